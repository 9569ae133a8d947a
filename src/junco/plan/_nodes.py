"""Plan nodes: what to compute, over which columns. Immutable; engines decide how."""

from __future__ import annotations

import enum
import itertools
from dataclasses import dataclass, field
from typing import Any

from junco.operator import is_batched, op_name

_ids = itertools.count()


class NodeKind(str, enum.Enum):
    """The kinds of plan node."""

    INPUT = "input"
    MAP = "map"
    FLAT_MAP = "flat_map"
    FILTER = "filter"
    WINDOW = "window"
    TIME_WINDOW = "time_window"
    WINDOW_ALL = "window_all"
    CONCAT = "concat"
    OUTPUT = "output"


ROW_COUNT_CHANGING = {NodeKind.FLAT_MAP, NodeKind.FILTER, NodeKind.WINDOW, NodeKind.TIME_WINDOW,
                      NodeKind.WINDOW_ALL}


def as_columns(spec: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    """``"a"`` -> ``("a",)``, ``("a", "b")`` -> itself, ``None``/``()`` -> ``()``."""
    if spec is None:
        return ()
    if isinstance(spec, str):
        return tuple(c.strip() for c in spec.split(",")) if "," in spec else (spec,)
    return tuple(spec)


@dataclass(frozen=True, eq=False)
class Node:
    """One step of a plan.

    Args:
        kind: what the node does (see :class:`NodeKind`).
        inputs: columns the node reads.
        outputs: columns the node writes.
        fn: the operator (any callable, or an :class:`~junco.operator.Operator`).
        parents: upstream nodes (one, or several for ``concat``).
        params: kind-specific settings: ``filter_columns``, ``size``/``step``, ``timestamp_col``,
            and execution hints ``parallel``, ``batch_size``, ``cache``.
    """

    kind: NodeKind
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    fn: Any = None
    parents: tuple[Node, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)
    uid: int = field(default_factory=lambda: next(_ids))

    @property
    def name(self) -> str:
        """Readable and unique within a plan: ``map[3]:image-decode/cv2``."""
        label = self.params.get("name") or (op_name(self.fn) if self.fn is not None else "")
        return f"{self.kind.value}[{self.uid}]" + (f":{label}" if label else "")

    @property
    def batched(self) -> bool:
        return self.kind == NodeKind.MAP and is_batched(self.fn)

    def reads(self) -> tuple[str, ...]:
        """Every column this node needs from upstream."""
        extra = tuple(self.params.get("filter_columns", ())) + (
            (self.params["timestamp_col"],) if self.kind == NodeKind.TIME_WINDOW else ())
        return self.inputs + tuple(c for c in extra if c not in self.inputs)

    def describe(self) -> str:
        ins = ", ".join(self.inputs)
        outs = ", ".join(self.outputs)
        extras = []
        for key in ("filter_columns", "size", "step", "timestamp_col", "parallel", "batch_size", "cache"):
            if self.params.get(key) not in (None, False, ()):
                extras.append(f"{key}={self.params[key]!r}")
        if self.batched:
            extras.append(f"batched(max {self.params.get('batch_size') or self.fn.batch_size})")
        tail = f"  [{', '.join(extras)}]" if extras else ""
        if self.kind in (NodeKind.INPUT, NodeKind.OUTPUT):
            return f"{self.kind.value}({ins or outs})"
        return f"{self.name}  ({ins}) -> ({outs}){tail}"
