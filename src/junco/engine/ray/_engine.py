"""``RayEngine``: the plan the local engine runs, executed on Ray Data.

How a run goes:

1. Source blocks (``pipe`` inputs, a ``DataCollection``) are cut into packets and fed to Ray as a
   dataset, ``blocks_per_dataset`` blocks at a time (a *wave*; see below).
2. Each Ray segment of the plan is a chain of ``map_batches``: stateless nodes as tasks, model
   operators as actor pools that build the operator from a descriptor and load it once per actor
   (asking for a GPU per actor when the cluster has GPUs and the operator does not pin the CPU).
3. ``preserve_order`` is on, so packets come back in input order; the driver merges each packet's
   error records and counters into the run's :class:`~junco.engine.RunReport` and yields its block.
4. Windows run on the driver over that ordered stream (a group may span Ray batches), with the same
   runners as the local engine; later Ray segments consume their output.

A wave is one Ray dataset, and an actor pool lives as long as its dataset, so every wave loads the
model again in each actor: keep ``blocks_per_dataset`` large for long streams (the default holds
``256 x block_size`` input rows on the driver at a time), and use ``batch``/``stream`` over many inputs
rather than calling a Ray pipeline once per input.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import Any

from junco.engine._block import Block, rechunk
from junco.engine._local import _flush, _push
from junco.engine._report import RowError, RunReport
from junco.engine._runners import Context, make_runner
from junco.engine.ray import _runtime
from junco.engine.ray._io import ParquetSink, ParquetSource
from junco.engine.ray._ship import Packet, ShippedNode, dumps, loads, merge_packet
from junco.engine.ray._stages import Segment, Stage, segments
from junco.engine.ray._workers import ActorWorker, WorkerOptions, read_task, run_task, write_task
from junco.plan import Node, Plan

_TASKS_PER_CPU = 4


class RayEngine:
    """Runs plans on a Ray cluster (or a local Ray runtime it starts).

    Args:
        address: the cluster to use (``"ray://head:10001"``, ``"auto"``); ``None``: ``$RAY_ADDRESS`` or
            a new local runtime. Ignored when Ray is already initialised in this process.
        strict: raise :class:`~junco.engine.RowError` for the first failing row (in output order).
        block_size: rows per block read from the source.
        rows_per_task: rows per Ray task; default: a model operator's batch size in segments that have
            one (so each actor call is one forward batch), else ``block_size``.
        blocks_per_dataset: source blocks per Ray dataset (a wave; actor pools are rebuilt per wave).
        actors: actor pool size per model operator; default: the cluster's GPUs for GPU operators,
            else its CPUs (at most 8), never more than the wave has packets.
        actor_cpus: CPUs each actor reserves (fractional, so tasks can still be scheduled beside them).
        task_cpus: CPUs each stateless task reserves.
        workers: threads per worker for ``parallel`` nodes and preprocessing (as in the local engine).
        cache: a :class:`~junco.engine.DiskCache` (or any picklable cache) for cacheable nodes; default:
            each worker's shared cache, as the local engine does.
        progress: Ray Data's progress bars; ``None``: only when stderr is a terminal.
        num_cpus, num_gpus: size of a local runtime the engine starts.
        init_kwargs: more ``ray.init`` arguments for a runtime the engine starts or connects to.
        start_timeout: seconds starting or connecting to Ray may take before a :class:`RuntimeError`
            naming the cause (default: ``$JUNCO_RAY_START_TIMEOUT`` or 120); it never hangs.

    Example:
        >>> from junco import pipe
        >>> p = pipe.input("x").map("x", "y", lambda x: x + 1).output("y")
        >>> p.set_engine("ray").batch([1, 2])  # doctest: +SKIP
        [[2], [3]]
    """

    name = "ray"

    def __init__(self, *, address: str | None = None, strict: bool = False, block_size: int = 1024,
                 rows_per_task: int | None = None, blocks_per_dataset: int = 256,
                 actors: int | None = None, actor_cpus: float = 0.5, task_cpus: float = 1.0,
                 workers: int = 4, cache: Any = None, progress: bool | None = None,
                 num_cpus: int | None = None, num_gpus: int | None = None,
                 init_kwargs: dict[str, Any] | None = None, start_timeout: float | None = None):
        self.address = address
        self.strict = strict
        self.block_size = block_size
        self.rows_per_task = rows_per_task
        self.blocks_per_dataset = max(1, int(blocks_per_dataset))
        self.actors = actors
        self.actor_cpus = actor_cpus
        self.task_cpus = task_cpus
        self.workers = workers
        self.cache = cache
        self.progress = progress
        self.num_cpus = num_cpus
        self.num_gpus = num_gpus
        self.init_kwargs = dict(init_kwargs or {})
        self.start_timeout = start_timeout

    @staticmethod
    def shutdown() -> None:
        """Stop the Ray runtime junco started (a runtime the user started is left alone)."""
        _runtime.shutdown()

    def connect(self) -> None:
        """Connect to (or start) the Ray runtime now rather than at the first run."""
        _runtime.ensure(self.address, num_cpus=self.num_cpus, num_gpus=self.num_gpus, timeout=self.start_timeout,
                        **self.init_kwargs)

    def execute(self, plan: Plan, blocks: Iterable[Block] | ParquetSource, report: RunReport, *,
                total: int | None = None, sink: ParquetSink | None = None) -> Iterator[Block]:
        """Run ``plan`` over source ``blocks``; yield output blocks in order, filling ``report``.

        Args:
            blocks: source blocks, or a :class:`~junco.engine.ray.ParquetSource` read by Ray tasks.
            total: rows expected (unused: Ray Data shows its own progress).
            sink: write the output rows to Parquet part files instead of yielding them (see
                :func:`~junco.engine.ray.write_parquet`).
        """
        report.engine = self.name
        self.connect()
        for n in plan.steps:  # the report lists nodes in plan order, as the local engine's does
            report.node(n.name)
        options = WorkerOptions(self.workers, self._cache_option(plan))
        ctx = Context(report, strict=self.strict, workers=self.workers)
        feed: Any = blocks
        if isinstance(blocks, ParquetSource):
            report.rows_in += blocks.num_rows
        else:
            feed = iter(blocks)
        t0 = time.perf_counter()
        try:
            segs = segments(plan.steps)
            for i, seg in enumerate(segs):
                if seg.where == "driver":
                    feed = self._on_driver(seg, _blocks(feed, plan), ctx)
                else:
                    last = sink if i == len(segs) - 1 else None
                    feed = self._on_ray(seg, feed, plan, report, options, last)
                    sink = None if last is not None else sink
            parts = 0
            for b in _blocks(feed, plan):
                if sink is not None:  # the plan ends on the driver: write here
                    report.rows_out += sink.write(b, f"part-{parts:05d}")
                    parts += 1
                    continue
                report.rows_out += len(b)
                if len(b) or not b.cols:
                    yield b
        finally:
            report.wall_seconds += time.perf_counter() - t0
            ctx.close()

    # -- driver side ----------------------------------------------------------------------------------
    def _on_driver(self, seg: Segment, stream: Iterator[Block], ctx: Context) -> Iterator[Block]:
        for node in seg.nodes:
            setup = getattr(node.fn, "setup", None)
            if callable(setup):
                setup()
        runners = [r for n in seg.nodes for r in make_runner(n, ctx)]
        for block in stream:
            yield from _push(runners, block)
        yield from _flush(runners)

    def _cache_option(self, plan: Plan) -> Any:
        from junco.engine._cache import DiskCache

        if self.cache is not None:
            return str(self.cache.path) if isinstance(self.cache, DiskCache) else self.cache
        wants = any(n.params.get("cache") or getattr(n.fn, "cacheable", False) for n in plan.steps)
        return "shared" if wants else None

    # -- Ray side -------------------------------------------------------------------------------------
    def _on_ray(self, seg: Segment, feed: Iterator[Block] | ParquetSource, plan: Plan, report: RunReport,
                options: WorkerOptions, sink: ParquetSink | None) -> Iterator[Block]:
        stages = seg.stages()
        shipped = [(st, [ShippedNode.of(n, by_ref=st.kind == "actor") for n in st.nodes]) for st in stages]
        pools = sum(st.kind == "actor" for st in stages)
        tasks = (any(st.kind == "task" for st in stages) or sink is not None
                 or isinstance(feed, ParquetSource))
        cpus = self._fit_cpus(pools, tasks)
        for w, (ds, packets) in enumerate(self._datasets(feed, plan, _batch_rows(seg.nodes), cpus[0])):
            for st, nodes in shipped:
                ds = self._map(ds, st, nodes, options, packets, pools, cpus)
            if sink is not None:
                ds = ds.map_batches(write_task, fn_kwargs={"sink": sink, "wave": w}, num_cpus=cpus[0],
                                    batch_size=1, batch_format="pyarrow", zero_copy_batch=True)
            expected = 0
            for batch in ds.iter_batches(batch_size=None, batch_format="pyarrow"):
                for seq, env in zip(batch.column("seq").to_pylist(), batch.column("env").to_pylist()):
                    if seq != expected:  # preserve_order is on; never expected to happen
                        raise RuntimeError(f"Ray returned block {seq} where block {expected} was due")
                    expected += 1
                    packet: Packet = loads(env)
                    if packet.fatal is not None:  # an operator failed to set up: the run fails, as locally
                        raise packet.fatal
                    if self.strict and packet.errors:
                        raise RowError(packet.errors[0])
                    merge_packet(report, packet)
                    report.rows_out += packet.written
                    yield packet.block

    def _datasets(self, feed: Iterator[Block] | ParquetSource, plan: Plan,
                  batch_rows: int | None, task_cpus: float) -> Iterator[tuple[Any, int]]:
        """One Ray dataset of packets per wave, and how many packets it holds."""
        if isinstance(feed, ParquetSource):
            pieces = feed.pieces()
            cols = feed.columns or plan.input_columns
            for s in range(0, len(pieces), self.blocks_per_dataset):
                wave = pieces[s:s + self.blocks_per_dataset]
                ds = self._dataset([dumps(p) for p in wave])
                ds = ds.map_batches(read_task, fn_kwargs={"file_columns": cols, "input_columns": plan.input_columns},
                                    num_cpus=task_cpus, batch_size=1, batch_format="pyarrow",
                                    zero_copy_batch=True)
                yield ds, len(wave)
            return
        rows = self.rows_per_task or batch_rows
        for wave_blocks in _waves(rechunk(feed, rows), self.blocks_per_dataset):
            yield self._dataset([dumps(Packet(b)) for b in wave_blocks]), len(wave_blocks)

    def _dataset(self, envs: list[bytes]) -> Any:
        import sys

        import ray.data

        items = [{"seq": i, "env": env} for i, env in enumerate(envs)]
        # A Ray task costs milliseconds: a few Ray blocks (tasks) per CPU, each holding several packets,
        # keep every core busy without paying that cost per packet (200k-row map+filter on 2 CPUs:
        # 5.2s with one task per 1024-row packet, 1.2s with 4 tasks per CPU).
        cpus = int(ray.cluster_resources().get("CPU", 1))
        ds = ray.data.from_items(items, override_num_blocks=min(len(items), max(1, _TASKS_PER_CPU * cpus)))
        dctx = ds.context  # this dataset's own copy: the user's global DataContext stays untouched
        dctx.execution_options.preserve_order = True
        show = self.progress if self.progress is not None else sys.stderr.isatty()
        dctx.enable_progress_bars = bool(show)
        return ds

    def _map(self, ds: Any, stage: Stage, nodes: list[ShippedNode], options: WorkerOptions,
             packets: int, pools: int, cpus: tuple[float, float, bool]) -> Any:
        task_cpus, actor_cpus, tasks = cpus
        common = {"batch_size": 1, "batch_format": "pyarrow", "zero_copy_batch": True}
        if stage.kind == "task":
            return ds.map_batches(run_task, fn_kwargs={"nodes": nodes, "options": options},
                                  num_cpus=task_cpus, **common)
        import ray.data

        gpus = self._gpus(stage.nodes[0])
        size = max(1, min(self.actors or self._default_actors(gpus, pools, tasks, task_cpus, actor_cpus),
                          packets))
        return ds.map_batches(ActorWorker, fn_constructor_kwargs={"nodes": nodes, "options": options},
                              compute=ray.data.ActorPoolStrategy(size=size),
                              num_cpus=0 if gpus else actor_cpus, num_gpus=gpus or None, **common)

    def _fit_cpus(self, pools: int, tasks: bool) -> tuple[float, float, bool]:
        """``(task CPUs, actor CPUs, tasks)`` for this segment, scaled down to fit a small cluster.

        A task stage plus one actor per pool must fit at once, or Ray can schedule neither the tasks
        that feed the actors nor the actors, and the run never ends (1 CPU: a 1.0-CPU task beside a
        0.5-CPU actor). Requests are kept as given where they fit.
        """
        import ray

        cpus = float(ray.cluster_resources().get("CPU", 1.0))
        need = (self.task_cpus if tasks else 0.0) + pools * self.actor_cpus
        if need <= cpus or need <= 0:
            return self.task_cpus, self.actor_cpus, tasks
        scale = 0.99 * cpus / need  # 1% headroom: Ray compares fractional CPUs in fixed point
        return self.task_cpus * scale, self.actor_cpus * scale, tasks

    def _gpus(self, node: Node) -> int:
        """One GPU per actor when the cluster has GPUs and the operator does not pin the CPU."""
        import ray

        device = str(getattr(node.fn, "device", None) or "auto")
        if device.startswith("cpu"):
            return 0
        return 1 if ray.cluster_resources().get("GPU", 0) >= 1 else 0

    def _default_actors(self, gpus: int, pools: int = 1, tasks: bool = False, task_cpus: float | None = None,
                        actor_cpus: float | None = None) -> int:
        """Actors per pool. CPU pools share the CPUs a task stage of the segment leaves free: pools
        that reserve every CPU starve the tasks that feed them and the run never ends (two model
        operators, e.g. face detect + embed, on 2 CPUs)."""
        import ray

        res = ray.cluster_resources()
        if gpus:
            return max(1, int(res.get("GPU", 1)))
        cpus = res.get("CPU", 1)
        task_cpus = self.task_cpus if task_cpus is None else task_cpus
        actor_cpus = self.actor_cpus if actor_cpus is None else actor_cpus
        free = cpus - (task_cpus if tasks else 0.0)
        per_pool = int(free / (max(1, pools) * max(actor_cpus, 1e-3)))
        return max(1, min(8, int(cpus), per_pool))

    def __repr__(self) -> str:
        return f"RayEngine(address={self.address!r}, block_size={self.block_size})"


def _blocks(feed: Iterator[Block] | ParquetSource, plan: Plan) -> Iterator[Block]:
    """A feed as blocks on the driver (a Parquet source read here, when no Ray stage reads it)."""
    return feed.blocks(plan.input_columns) if isinstance(feed, ParquetSource) else feed


def _batch_rows(nodes: list[Node]) -> int | None:
    for n in nodes:
        if n.batched:
            return int(n.params.get("batch_size") or getattr(n.fn, "batch_size", 32) or 32)
    return None


def _waves(blocks: Iterator[Block], size: int) -> Iterator[list[Block]]:
    wave: list[Block] = []
    for b in blocks:
        wave.append(b)
        if len(wave) >= size:
            yield wave
            wave = []
    if wave:
        yield wave
