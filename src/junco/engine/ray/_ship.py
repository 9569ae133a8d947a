"""What travels between the driver and Ray workers: packets of rows, and operators as descriptors.

A :class:`Packet` is one junco :class:`~junco.engine.Block` plus what the workers learnt while
processing it (error records, per-node counters, warnings). Packets cross Ray as opaque bytes in a
single binary column, so values never go through Arrow type conversion: a tuple stays a tuple, a
ragged numpy array stays itself, and the rows the driver gets back are exactly what the runners made.

Model operators are shipped as a small :class:`OpRef` (registered name + arguments) and rebuilt on the
worker, so weights are loaded there once per actor and never pickled from the driver.
"""

from __future__ import annotations

import dataclasses
import pickle
from dataclasses import dataclass, field
from typing import Any

from junco.engine._block import Block
from junco.engine._report import ErrorRecord, RunReport
from junco.operator import op_name
from junco.plan import Node


@dataclass
class Packet:
    """One block on its way through the Ray stages, with what the workers recorded for it."""

    block: Block
    errors: list[ErrorRecord] = field(default_factory=list)
    stats: list[tuple[str, int, int, float, int]] = field(default_factory=list)  # name, in, out, s, hits
    warnings: list[str] = field(default_factory=list)
    fatal: BaseException | None = None  # the worker could not run at all (an operator's setup failed)
    written: int = 0  # rows a sink stage wrote (the block itself is then dropped)


def dumps(obj: Any) -> bytes:
    """Pickle (protocol 5); values plain pickle cannot handle (lambdas, local classes) use cloudpickle."""
    try:
        return pickle.dumps(obj, protocol=5)
    except (pickle.PicklingError, AttributeError, TypeError):
        import cloudpickle

        return cloudpickle.dumps(obj, protocol=5)


def loads(data: bytes) -> Any:
    return pickle.loads(data)


def take_report(report: RunReport, packet: Packet) -> None:
    """Move what ``report`` gathered since the last call into ``packet`` and reset it.

    Runners keep references to their :class:`~junco.engine.NodeStats`, so counters are zeroed in place.
    Error counts travel as the records themselves (the driver's ``add_error`` counts them).
    """
    with report._lock:
        packet.errors.extend(report.errors)
        report.errors.clear()
        for st in report.nodes.values():
            if st.rows_in or st.rows_out or st.seconds or st.cache_hits:
                packet.stats.append((st.name, st.rows_in, st.rows_out, st.seconds, st.cache_hits))
            st.rows_in = st.rows_out = st.errors = st.cache_hits = 0
            st.seconds = 0.0


def merge_packet(report: RunReport, packet: Packet) -> None:
    """Add a packet's counters, error records and warnings to the driver's report."""
    for name, rows_in, rows_out, seconds, hits in packet.stats:
        st = report.node(name)
        st.rows_in += rows_in
        st.rows_out += rows_out
        st.seconds += seconds
        st.cache_hits += hits
    for rec in packet.errors:
        report.add_error(rec)
    for w in packet.warnings:
        report.warn(w)


@dataclass(frozen=True)
class OpRef:
    """A picklable recipe for an operator: its registered name + arguments, or the pickled object.

    Registered operators (built by ``junco.ops.create``/``ops.<ns>.<name>(...)``) carry
    ``__junco_spec__``; workers rebuild them with ``create(name, **args)`` (or the operator's class when
    the worker's registry does not know the name, e.g. one registered in a user script). Anything else
    is shipped with cloudpickle.
    """

    spec: dict[str, Any] | None = None
    cls: type | None = None
    blob: bytes | None = None

    @classmethod
    def of(cls, op: Any) -> OpRef:
        spec = getattr(op, "__junco_spec__", None)
        if isinstance(spec, dict) and isinstance(spec.get("args"), dict) and hasattr(op, "setup"):
            try:
                pickle.dumps(spec["args"])
                return cls(spec={"op": spec["op"], "args": dict(spec["args"])}, cls=type(op))
            except Exception:  # arguments that cannot travel: ship the object itself
                pass
        import cloudpickle

        try:
            return cls(blob=cloudpickle.dumps(op))
        except Exception as e:
            raise TypeError(f"operator {op_name(op)} cannot be sent to Ray workers ({e}); register it with "
                            "junco.register(...) and build it with junco.ops so workers can rebuild it by "
                            "name, or make it picklable") from e

    def build(self) -> Any:
        """The operator, built on this process (not yet ``setup()``)."""
        if self.blob is not None:
            return loads(self.blob)
        from junco.ops import create
        from junco.registry import UnknownNameError

        assert self.spec is not None
        try:
            op = create(self.spec["op"], **self.spec["args"])
        except UnknownNameError:
            if self.cls is None:
                raise
            op = self.cls(**self.spec["args"])
            op.__junco_spec__ = dict(self.spec)
        return op


@dataclass(frozen=True)
class ShippedNode:
    """A plan node as sent to a worker: no parents (they would drag the whole plan along), its name
    pinned, and a model operator replaced by an :class:`OpRef`."""

    node: Node
    ref: OpRef | None = None

    @classmethod
    def of(cls, node: Node, *, by_ref: bool) -> ShippedNode:
        params = dict(node.params)
        params.setdefault("name", op_name(node.fn) if node.fn is not None else "")
        if node.batched:  # the batch size the driver's op asks for, whatever the rebuilt op says
            params["batch_size"] = int(params.get("batch_size") or getattr(node.fn, "batch_size", 32) or 32)
        if by_ref:
            return cls(dataclasses.replace(node, fn=None, parents=(), params=params), OpRef.of(node.fn))
        return cls(dataclasses.replace(node, parents=(), params=params))

    def build(self) -> Node:
        """The node with its operator built and set up (models load here, once per worker)."""
        if self.ref is None:
            return self.node
        op = self.ref.build()
        setup = getattr(op, "setup", None)
        if callable(setup):
            setup()
        return dataclasses.replace(self.node, fn=op)
