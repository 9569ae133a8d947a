"""The operator contract the engines execute.

Any callable is an operator (called once per row). A subclass of :class:`Operator` may split its work
like a Hugging Face pipeline: ``preprocess`` (per row, CPU, may do I/O), ``forward`` (one call per
micro-batch, on the device, no I/O) and ``postprocess`` (back to one output per row). The engine owns
batching, ordering, ``torch.inference_mode`` and error isolation; the operator owns only its math.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any


class Operator:
    """Base class for operators with a batched ``forward``.

    Class attributes an operator may set (what it needs from the engine):
        batch_size: largest batch ``forward`` should see (a hint; the engine may send fewer rows).
        device: ``"cpu"``, ``"cuda"``, ``"cuda:1"`` or ``None``/``"auto"`` (CUDA when present).
        cacheable: outputs may be cached on disk, keyed by input content + :meth:`fingerprint`.

    Example:
        >>> class Double(Operator):
        ...     def forward(self, batch):
        ...         return [2 * x for x in batch]
        >>> Double()(21)
        42
    """

    batch_size: int = 32
    device: str | None = None
    cacheable: bool = False

    def setup(self) -> None:
        """Load heavy state (a model) once, before the first row; called by the engines. Idempotent."""

    def preprocess(self, *inputs: Any) -> Any:
        """Per-row CPU work; receives the node's input columns, returns one item for ``forward``."""
        return inputs[0] if len(inputs) == 1 else inputs

    def forward(self, batch: list[Any]) -> Sequence[Any]:
        """Batched work on preprocessed items; returns one output per item."""
        raise NotImplementedError

    def postprocess(self, outputs: Sequence[Any]) -> list[Any]:
        """Turn ``forward``'s output back into one value (or tuple, for several columns) per row."""
        return list(outputs)

    def __call__(self, *inputs: Any) -> Any:
        """Run one row through preprocess -> forward -> postprocess (convenience, unbatched)."""
        self.setup()
        item = self.preprocess(*inputs)
        return self.postprocess(_inference(self.forward, [item]))[0]

    def fingerprint(self) -> dict[str, Any]:
        """What identifies this operator's outputs: its registered name and arguments.

        Model operators add architecture, weight hash, layer, pooling and preprocessing.
        """
        spec = getattr(self, "__junco_spec__", None) or {"op": type(self).__qualname__, "args": {}}
        return {"op": spec["op"], "args": _jsonable(spec.get("args", {}))}


def _inference(fn: Any, batch: list[Any]) -> Any:
    try:
        import sys

        torch = sys.modules.get("torch")
        if torch is not None:
            with torch.inference_mode():
                return fn(batch)
    except ImportError:  # pragma: no cover
        pass
    return fn(batch)


def is_batched(op: Any) -> bool:
    """True when ``op`` has its own batched ``forward`` (so the engine micro-batches it)."""
    return isinstance(op, Operator) and type(op).forward is not Operator.forward


def op_name(op: Any) -> str:
    """A readable name for plans and reports."""
    spec = getattr(op, "__junco_spec__", None)
    if spec:
        return str(spec["op"])
    name = getattr(op, "__junco_name__", None) or getattr(op, "__qualname__", None)
    return str(name or type(op).__qualname__)


def op_fingerprint(op: Any) -> str:
    """A short stable hash of an operator's fingerprint (for caches and stores)."""
    fp = op.fingerprint() if hasattr(op, "fingerprint") else {"op": op_name(op)}
    return hashlib.sha256(json.dumps(fp, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _jsonable(x: Any) -> Any:
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_jsonable(v) for v in x]
    if isinstance(x, str | int | float | bool) or x is None:
        return x
    return repr(x)
