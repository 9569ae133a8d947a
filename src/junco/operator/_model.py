"""``ModelOperator``: an operator holding a model — device, backend, fingerprint, save / load.

Subclasses implement ``load_model`` (return an ``nn.Module``, set ``self.weights``), ``preprocess``,
``forward`` (through :meth:`ModelOperator.run`) and ``postprocess``; optionally ``export_spec`` to be
servable by ONNX Runtime and ``model_fingerprint`` to say what identifies their outputs.
"""

from __future__ import annotations

import json
import threading
import warnings
from pathlib import Path
from typing import Any

from junco.operator._base import Operator

BACKENDS = ("torch", "onnxruntime", "auto")
SPEC_FILE = "junco_operator.json"


class ModelOperator(Operator):
    """Base class of operators that run a neural network.

    The model is loaded in :meth:`setup` (once, lazily), never in ``__init__``. ``self.model`` stays a
    trainable ``torch.nn.Module`` whatever the execution backend.

    Args:
        device: ``None``/``"auto"`` (CUDA when present, else CPU), ``"cpu"``, ``"cuda[:N]"``.
        backend: ``"torch"``, ``"onnxruntime"`` (export once, cache by fingerprint, verify against torch,
            serve from ONNX Runtime) or ``"auto"`` (ONNX Runtime on CPU, torch on CUDA).
        config: the subclass's own constructor arguments (saved by :meth:`save`).

    Attributes:
        warnings: notes for the run report (preprocessing fidelity, backend fallbacks).
        active_backend: the backend actually serving, after :meth:`setup`.

    Example:
        >>> from junco.operator import ModelOperator
        >>> issubclass(ModelOperator, Operator)
        True
    """

    batch_size = 32
    cacheable = True

    def __init__(self, *, device: str | None = None, backend: str = "auto",
                 config: dict[str, Any] | None = None):
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
        self.device = device
        self.requested_device = device
        self.backend = backend
        self.config = dict(config or {})
        self.model: Any = None
        self.weights: Any = None  # junco.models.Weights, set by load_model
        self.warnings: list[str] = []
        self.active_backend: str | None = None
        self.onnx_max_diff: float | None = None
        self._runner: Any = None
        self._modified_sha: str | None = None
        self._pending_state: Any = None
        self._lock = threading.RLock()

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle as a descriptor (class + arguments), never the loaded model: a worker loads it itself.

        Weights changed in memory (after :meth:`invalidate`) travel along as a state dict.
        """
        kwargs = {**self.config, "device": self.requested_device, "backend": self.backend}
        state = None
        if self._modified_sha is not None and self.model is not None:
            state = {k: v.detach().cpu() for k, v in self.model.state_dict().items()}
        return (_rebuild, (type(self), kwargs, state, getattr(self, "__junco_spec__", None)))

    # -- for subclasses -------------------------------------------------------------------------------
    def load_model(self) -> Any:
        """Build the model with its weights (set ``self.weights``); called once from :meth:`setup`."""
        raise NotImplementedError

    def check(self) -> None:
        """Fail fast (``ModelNotFoundError``) when the weights are missing, without loading them."""

    def inference_module(self) -> Any:
        """The module ``forward`` runs: input tensors -> one ``(B, D)`` tensor. Default: ``self.model``."""
        return self.model

    def export_spec(self) -> Any:
        """An :class:`~junco.models.ExportSpec` to serve from ONNX Runtime, or None (torch only)."""
        return None

    def model_fingerprint(self) -> dict[str, Any]:
        """What identifies the outputs besides the weights: architecture, layer, pooling, preprocessing."""
        return {}

    def on_load(self) -> None:
        """Called once after the model is loaded (on its device), before the backend starts."""

    def save_weights(self, directory: Path) -> dict[str, Any]:
        """Write the weights under ``directory``; return constructor arguments (paths relative to it)."""
        raise NotImplementedError(f"{type(self).__name__} cannot be saved")

    def note(self, message: str, category: type[Warning] | None = None) -> None:
        """Warn (with a junco warning class) and keep the message for the run report."""
        from junco.models import JuncoWarning

        if message not in self.warnings:
            self.warnings.append(message)
        warnings.warn(message, category or JuncoWarning, stacklevel=3)

    # -- machinery ------------------------------------------------------------------------------------
    def setup(self) -> None:
        """Resolve the device, load the model (offline unless allowed) and start the backend."""
        if self.model is not None:
            return
        with self._lock:
            if self.model is not None:
                return
            from junco.models import ensure_offline, resolve_device

            self.device = resolve_device(self.device)
            ensure_offline()
            model = self.load_model()
            if self._pending_state is not None:
                model.load_state_dict(self._pending_state)
                from junco.models import state_sha256

                self._modified_sha, self._pending_state = state_sha256(model), None
            self.model = model.to(self.device).eval()
            try:
                self.on_load()
                self._start_backend()
            except BaseException:
                self.model = None  # a failed setup can be retried, never half-done
                raise

    def _start_backend(self) -> None:
        want = self.backend
        if want == "auto":
            want = "onnxruntime" if self.device == "cpu" and _has_onnxruntime() else "torch"
        spec: Any = self.export_spec() if want == "onnxruntime" else None
        if want == "onnxruntime" and spec is None:
            if self.backend == "onnxruntime":
                raise ValueError(f"{type(self).__name__} cannot be served by onnxruntime; use backend='torch'")
            want = "torch"
        if want == "onnxruntime":
            from junco.models import load_or_export

            try:
                self._runner, self.onnx_max_diff = load_or_export(spec, self.fingerprint(), str(self.device))
                self.active_backend = "onnxruntime"
                return
            except Exception as e:  # noqa: BLE001 - fall back, and say so in the report
                if self.backend == "onnxruntime":
                    raise
                self.note(f"onnxruntime backend unavailable ({type(e).__name__}: {e}); serving with torch")
        self._runner = None
        self.active_backend = "torch"

    def run(self, *inputs: Any) -> Any:
        """Run the inference module on a batch on the active backend; returns a float32 numpy array."""
        import numpy as np

        if self.active_backend is None:
            with self._lock:
                if self.active_backend is None:
                    self._start_backend()
        if self.active_backend == "onnxruntime":
            return np.asarray(self._runner(*inputs), dtype=np.float32)
        import torch

        moved = [x.to(self.device, non_blocking=True) if hasattr(x, "to") else x for x in inputs]
        with torch.inference_mode():
            out = self.inference_module()(*moved)
        return out.detach().float().cpu().numpy()

    def invalidate(self) -> None:
        """Call after changing ``self.model``'s weights in memory (e.g. fine-tuning): the fingerprint is
        recomputed from the tensors and the backend restarted (a new ONNX export)."""
        from junco.models import state_sha256

        with self._lock:
            self._modified_sha = state_sha256(self.model)
            self.active_backend, self._runner = None, None

    def train(self, config: Any = None, *, train_dataset: Any, eval_dataset: Any = None, **kwargs: Any) -> Any:
        """Fine-tune this operator's model in place (see :mod:`junco.trainer`); afterwards the same
        operator serves the new weights in the same pipelines.

        Returns:
            The trainer's result (metrics history, best checkpoint path).
        """
        from junco.trainer import train_operator

        return train_operator(self, config, train_dataset=train_dataset, eval_dataset=eval_dataset, **kwargs)

    def fingerprint(self) -> dict[str, Any]:
        """Operator name, weight hash and :meth:`model_fingerprint` (loads the model if needed).

        Device, backend and file paths are left out: they do not change the vectors beyond tolerance.
        """
        self.setup()
        sha = self._modified_sha or (self.weights.sha256() if self.weights is not None else None)
        return {"op": _registered_name(self), "weights_sha256": sha, **self.model_fingerprint()}

    def save(self, directory: str | Path) -> Path:
        """Save weights and constructor arguments to ``directory``; load back with :meth:`load`.

        Returns:
            The directory.
        """
        self.setup()
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        args = {**self.config, **self.save_weights(d)}
        spec = {"format": 1, "op": _registered_name(self), "args": args, "fingerprint": self.fingerprint()}
        (d / SPEC_FILE).write_text(json.dumps(spec, indent=2, default=str))
        return d

    @classmethod
    def load(cls, directory: str | Path, **kwargs: Any) -> ModelOperator:
        """Load an operator saved by :meth:`save` (``device=``/``backend=`` may be given).

        Example:
            >>> ModelOperator.load("/nonexistent")  # doctest: +ELLIPSIS
            Traceback (most recent call last):
            ...
            FileNotFoundError: ...
        """
        from junco.ops import create

        d = Path(directory)
        if not (d / SPEC_FILE).is_file():
            raise FileNotFoundError(f"{d / SPEC_FILE} not found: not a folder written by ModelOperator.save")
        spec = json.loads((d / SPEC_FILE).read_text())
        args = {k: (str(d / v[len("./"):]) if isinstance(v, str) and v.startswith("./") else v)
                for k, v in spec["args"].items()}
        op = create(spec["op"], **args, **kwargs)
        if not isinstance(op, cls):
            raise TypeError(f"{d} holds a {type(op).__name__}, not a {cls.__name__}")
        return op


def _rebuild(cls: type, kwargs: dict[str, Any], state: Any, spec: Any) -> Any:
    op = cls(**kwargs)
    op._pending_state = state
    if spec is not None:
        op.__junco_spec__ = spec
    return op


def _registered_name(op: Any) -> str:
    return str(getattr(type(op), "__junco_name__", None) or type(op).__qualname__)


def _has_onnxruntime() -> bool:
    import importlib.util

    return importlib.util.find_spec("onnxruntime") is not None
