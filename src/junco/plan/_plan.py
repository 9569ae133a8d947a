"""A validated, topologically ordered plan."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from junco.plan._nodes import ROW_COUNT_CHANGING, Node, NodeKind


class PlanError(ValueError):
    """A plan that cannot run, found at build time; the message says which node and column."""


@dataclass(frozen=True)
class Plan:
    """Nodes in execution order, from ``input`` to ``output``.

    Args:
        nodes: topologically ordered nodes (input first, output last).
        window_scope: ``"input"``: windows never span two inputs (``pipe``: each call's rows are one
            group); ``"stream"``: the whole stream is one group (``DataCollection``).
    """

    nodes: tuple[Node, ...]
    window_scope: str = "input"

    @property
    def input_columns(self) -> tuple[str, ...]:
        return self.nodes[0].outputs

    @property
    def output_columns(self) -> tuple[str, ...]:
        return self.nodes[-1].inputs

    @property
    def steps(self) -> tuple[Node, ...]:
        """The nodes that do work (no input/output/concat markers)."""
        return tuple(n for n in self.nodes if n.kind not in (NodeKind.INPUT, NodeKind.OUTPUT, NodeKind.CONCAT))

    @classmethod
    def from_output(cls, out: Node, *, window_scope: str = "input") -> Plan:
        """Walk back from an output node, order the DAG, and validate it."""
        order: list[Node] = []
        seen: set[int] = set()

        def visit(n: Node) -> None:
            if n.uid in seen:
                return
            seen.add(n.uid)
            for p in n.parents:
                visit(p)
            order.append(n)

        visit(out)
        plan = cls(tuple(order), window_scope)
        plan.validate()
        return plan

    def validate(self) -> None:
        """Raise :class:`PlanError` for a node reading a column that no upstream node writes."""
        if not self.nodes or self.nodes[0].kind != NodeKind.INPUT:
            raise PlanError("a plan starts with input(...)")
        inputs = [n for n in self.nodes if n.kind == NodeKind.INPUT]
        if len({n.uid for n in inputs}) > 1:
            raise PlanError("concat joins branches of one pipe; they must share the same input(...)")
        available: dict[int, set[str]] = {}
        for n in self.nodes:
            upstream: set[str] = set()
            for p in n.parents:
                upstream |= available[p.uid]
            for col in n.reads():
                if col not in upstream:
                    known = ", ".join(sorted(upstream)) or "none"
                    raise PlanError(f"node {n.name} reads column {col!r}, which no upstream node writes "
                                    f"(available: {known})")
            if n.kind == NodeKind.CONCAT:
                _check_concat(n)
            available[n.uid] = upstream | set(n.outputs)

    def explain(self) -> str:
        """The plan, one node per line."""
        lines = [f"Plan ({len(self.steps)} steps, windows per {self.window_scope})"]
        for i, n in enumerate(self.nodes):
            lines.append(f"  {i:>2}. {n.describe()}")
        return "\n".join(lines)

    def to_spec(self) -> dict[str, Any]:
        """A serializable description (operators by registered name + arguments); see pipeline specs."""
        from junco.pipeline._spec import plan_to_spec

        return plan_to_spec(self)


def _check_concat(node: Node) -> None:
    """Branches joined by concat are aligned row by row, so they must not change the row count."""
    base = _common_ancestors(node.parents)
    for branch in node.parents:
        stack = [branch]
        while stack:
            n = stack.pop()
            if n.uid in base:
                continue
            if n.kind in ROW_COUNT_CHANGING:
                raise PlanError(f"concat joins branches row by row, but branch node {n.name} changes the "
                                "row count; apply filter/flat_map/window after the concat")
            stack.extend(n.parents)


def _common_ancestors(parents: tuple[Node, ...]) -> set[int]:
    sets = []
    for p in parents:
        s: set[int] = set()
        stack = [p]
        while stack:
            n = stack.pop()
            if n.uid not in s:
                s.add(n.uid)
                stack.extend(n.parents)
        sets.append(s)
    return set.intersection(*sets) if sets else set()
