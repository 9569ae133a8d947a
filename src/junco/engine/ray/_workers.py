"""The code Ray runs: the engine's own runners, applied to the packets of one Ray batch.

``run_task`` serves stateless nodes (Ray tasks); :class:`ActorWorker` serves nodes that load something
once (model operators: Ray actors). Both push each packet's block through the same
:func:`~junco.engine._runners.make_runner` runners the local engine uses, so a node behaves the same
on both engines by construction. Workers never raise for a bad row: its error record rides back in the
packet, and the driver decides (``strict``) whether to raise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from junco.engine._block import Block
from junco.engine._local import _push
from junco.engine._report import RunReport
from junco.engine._runners import Context, Runner, make_runner
from junco.engine.ray._ship import Packet, ShippedNode, dumps, loads, take_report


@dataclass(frozen=True)
class WorkerOptions:
    """Run settings the workers need: preprocessing threads, and the cache (a path, or an object)."""

    workers: int = 4
    cache: Any = None  # None: no cache; "shared": the worker's own shared cache; a str path; an object

    def make_cache(self) -> Any:
        if self.cache is None:
            return None
        from junco.engine._cache import shared_cache

        if self.cache == "shared":
            return shared_cache()
        if isinstance(self.cache, str):
            return shared_cache(self.cache)
        return self.cache


def _process(table: Any, runners: list[Runner], report: RunReport, warnings: list[str]) -> Any:
    out = []
    for env in table.column("env").to_pylist():
        packet: Packet = loads(env)
        blocks = _push(runners, packet.block)  # map/flat_map/filter/batched: exactly one block out
        packet.block = blocks[0] if len(blocks) == 1 else Block.concat(blocks)
        take_report(report, packet)
        if warnings:
            packet.warnings.extend(warnings)
            warnings.clear()
        out.append(packet)
    return _table(table.column("seq"), out)


def run_task(table: Any, *, nodes: list[ShippedNode], options: WorkerOptions) -> Any:
    """Ray task: run stateless ``nodes`` over every packet in ``table`` (``seq``, ``env`` columns)."""
    report = RunReport()
    ctx = Context(report, strict=False, cache=options.make_cache(), workers=options.workers)
    try:
        runners = [r for sn in nodes for r in make_runner(sn.build(), ctx)]
        return _process(table, runners, report, [])
    finally:
        ctx.close()


class ActorWorker:
    """Ray actor: builds its nodes' operators once (``setup()`` loads the model), then serves batches."""

    def __init__(self, nodes: list[ShippedNode], options: WorkerOptions):
        self.report = RunReport()
        self.ctx = Context(self.report, strict=False, cache=options.make_cache(), workers=options.workers)
        self.failure: BaseException | None = None
        self.warnings: list[str] = []
        self.runners: list[Runner] = []
        try:
            built = [sn.build() for sn in nodes]
        except Exception as e:
            # A failed setup (a missing model) must fail the run with its own exception, as it does
            # locally. Raised here, Ray would report a dead actor; raised from a call, a UserCodeException
            # that has lost the original. So it travels back as data, in the packets.
            self.failure = e
            return
        for node in built:
            notes = getattr(node.fn, "warnings", None)  # ModelOperator: preprocessing fidelity etc.
            self.warnings.extend(f"{node.name}: {w}" for w in (notes if isinstance(notes, list) else ()))
        self.runners = [r for n in built for r in make_runner(n, self.ctx)]

    def __call__(self, table: Any) -> Any:
        if self.failure is not None:
            return _fail(table, self.failure)
        return _process(table, self.runners, self.report, self.warnings)


def _fail(table: Any, exc: BaseException) -> Any:
    try:
        dumps(exc)
    except Exception:  # an exception that cannot travel: send its type and message
        exc = RuntimeError(f"{type(exc).__name__}: {exc}")
    packets = []
    for env in table.column("env").to_pylist():
        packet: Packet = loads(env)
        packet.fatal = exc
        packets.append(packet)
    return _table(table.column("seq"), packets)


def _table(seqs: Any, packets: list[Packet]) -> Any:
    import pyarrow as pa

    return pa.table({"seq": seqs, "env": pa.array([dumps(p) for p in packets], type=pa.large_binary())})


def read_task(table: Any, *, file_columns: tuple[str, ...], input_columns: tuple[str, ...]) -> Any:
    """Ray task: read the Parquet row groups named in ``table`` into packets."""
    from junco.engine.ray._io import read_piece

    packets = [Packet(read_piece(loads(env), file_columns, input_columns))
               for env in table.column("env").to_pylist()]
    return _table(table.column("seq"), packets)


def write_task(table: Any, *, sink: Any, wave: int) -> Any:
    """Ray task: write each packet's rows to its own part file; only the report travels on."""
    packets = []
    for seq, env in zip(table.column("seq").to_pylist(), table.column("env").to_pylist()):
        packet: Packet = loads(env)
        if packet.fatal is None:
            b = packet.block
            packet.written = sink.write(b, f"part-{wave:05d}-{seq:05d}")
            packet.block = Block([], {c: [] for c in b.cols}, None if b.groups is None else [], b.src_end)
        packets.append(packet)
    return _table(table.column("seq"), packets)
