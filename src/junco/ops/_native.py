"""A :class:`~junco.operator.ModelOperator` for models that are not ``torch.nn.Module`` (dlib, TFLite).

Such models run on the CPU only and are served by their own library; this module gives them the same
lifecycle (lazy ``setup``, weight-hash fingerprint, run-report notes) as the torch operators.
"""

from __future__ import annotations

import threading
from typing import Any

from junco.operator import ModelOperator


class NativeModel:
    """Wrap a native model object so :meth:`ModelOperator.setup` can treat it like a module.

    Args:
        obj: the library's model (a dlib detector, a TFLite interpreter, a tuple of them).

    Example:
        >>> NativeModel("model").to("cpu").eval().obj
        'model'
    """

    def __init__(self, obj: Any):
        self.obj = obj
        self.lock = threading.Lock()  # native models are rarely thread-safe

    def to(self, device: Any) -> NativeModel:
        """No-op: native models stay on the CPU."""
        return self

    def eval(self) -> NativeModel:
        """No-op: native models have no training mode."""
        return self


class NativeModelOperator(ModelOperator):
    """Base of operators whose model is a :class:`NativeModel`; always on the CPU, no ONNX export.

    Args:
        config: the subclass's constructor arguments (saved by :meth:`ModelOperator.save`).
    """

    def __init__(self, *, config: dict[str, Any]):
        super().__init__(device="cpu", backend="torch", config=config)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle as class + arguments (never the native model, which cannot be pickled)."""
        return (_rebuild, (type(self), dict(self.config), getattr(self, "__junco_spec__", None)))

    def _start_backend(self) -> None:
        self._runner = None
        self.active_backend = "native"


def _rebuild(cls: type, config: dict[str, Any], spec: Any) -> Any:
    op = cls(**config)
    if spec is not None:
        op.__junco_spec__ = spec
    return op


__all__ = ["NativeModel", "NativeModelOperator"]
