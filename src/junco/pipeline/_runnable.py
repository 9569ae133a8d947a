"""A runnable pipeline: a plan plus an engine. Call it on one input, a batch, or a stream."""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from junco.engine import LocalEngine, RunReport, source_blocks
from junco.operator import op_name
from junco.plan import Plan


def make_engine(engine: Any, *, strict: bool = False, **kw: Any) -> Any:
    """``None``/``"local"`` -> :class:`LocalEngine`, ``"ray"`` -> the Ray engine, or an engine as is."""
    if engine is None or engine == "local":
        return LocalEngine(strict=strict, **kw)
    if engine == "ray":
        from junco.engine.ray import RayEngine

        return RayEngine(strict=strict, **kw)
    if isinstance(engine, str):
        raise ValueError(f"unknown engine {engine!r}; use 'local' or 'ray'")
    return engine


class Results(list):  # type: ignore[type-arg]
    """Output rows (a list) with the run's ``report`` and ``errors`` attached."""

    report: RunReport

    def __init__(self, rows: Iterable[Any], report: RunReport):
        super().__init__(rows)
        self.report = report

    @property
    def errors(self) -> list[Any]:
        return self.report.errors

    def get(self) -> Any:
        """The first row as a list (Towhee's ``DataQueue.get()``), or ``None`` when there is none."""
        if not self:
            return None
        first = self[0]
        return list(first) if isinstance(first, tuple) else [first]


class Pipeline:
    """A plan bound to an engine.

    ``p(x)`` runs one input and returns its output rows; ``p.batch(xs)`` returns one list of rows per
    input; ``p.stream(xs)`` yields rows lazily in bounded memory. Each run's :class:`RunReport` is
    ``p.report`` (and ``result.report``). A row with one output column is the bare value; with several,
    a named tuple.
    """

    def __init__(self, plan: Plan, *, engine: Any = None, strict: bool = False):
        self.plan = plan
        self.strict = strict
        self.engine = make_engine(engine, strict=strict)
        self.report = RunReport()
        outs = plan.output_columns
        self._row = namedtuple("Row", outs, rename=True) if len(outs) > 1 else None  # type: ignore[misc]

    def set_engine(self, engine: Any, **kw: Any) -> Pipeline:
        """Run on another engine (``"local"``, ``"ray"``, or an engine object); returns self."""
        self.engine = make_engine(engine, strict=self.strict, **kw)
        return self

    def explain(self) -> str:
        """The plan, readable."""
        return self.plan.explain()

    def _run(self, inputs: Iterable[Any], ids: Iterable[Any] | None, total: int | None) -> Iterator[Any]:
        report = self.report = RunReport()
        blocks = source_blocks(inputs, self.plan.input_columns, ids=ids,
                               block_size=getattr(self.engine, "block_size", 1024), report=report)
        return self.engine.execute(self.plan, blocks, report, total=total)

    def _rows(self, block: Any) -> list[Any]:
        cols = [block.cols[c] for c in self.plan.output_columns]
        if self._row is None:
            return list(cols[0]) if cols else [()] * len(block)
        return [self._row(*r) for r in zip(*cols)]

    def __call__(self, *inputs: Any) -> Results:
        """Run one input; returns its output rows."""
        item = inputs[0] if len(self.plan.input_columns) == 1 else inputs
        rows: list[Any] = []
        for b in self._run([item], None, 1):
            rows.extend(self._rows(b))
        return Results(rows, self.report)

    def batch(self, inputs: Iterable[Any], *, ids: Iterable[Any] | None = None) -> Results:
        """Run many inputs; returns one list of output rows per input (empty for a failed input)."""
        inputs = list(inputs)
        per: list[list[Any]] = [[] for _ in inputs]
        for b in self._run(inputs, ids, len(inputs)):
            for g, r in zip(b.groups, self._rows(b)):
                per[g].append(r)
        return Results(per, self.report)

    def stream(self, inputs: Iterable[Any], *, ids: Iterable[Any] | None = None) -> Iterator[Any]:
        """Yield output rows lazily; memory stays bounded whatever the length of ``inputs``."""
        for b in self._run(inputs, ids, None):
            yield from self._rows(b)

    def fingerprint(self) -> dict[str, Any]:
        """What identifies this pipeline's outputs: the fingerprint of every step, in order.

        Stores record it so vectors stay traceable to the model, weights, layer and preprocessing.
        """
        steps = []
        for n in self.plan.steps:
            fp = n.fn.fingerprint() if hasattr(n.fn, "fingerprint") else {"op": op_name(n.fn)}
            steps.append({"node": n.kind.value, **fp})
        return {"steps": steps}

    def to_spec(self) -> dict[str, Any]:
        return self.plan.to_spec()

    def save(self, path: str | Path) -> Path:
        """Write the pipeline spec (operators by registered name + arguments) as YAML or JSON."""
        from junco.pipeline._spec import save_spec

        return save_spec(self.plan.to_spec(), path)

    @classmethod
    def load(cls, path: str | Path, **kw: Any) -> Pipeline:
        """Build a pipeline back from a spec file written by :meth:`save`."""
        from junco.pipeline._spec import load_spec, spec_to_pipe

        return spec_to_pipe(load_spec(path), **kw)

    def __repr__(self) -> str:
        return f"<Pipeline {self.plan.input_columns} -> {self.plan.output_columns}, {len(self.plan.steps)} steps>"

