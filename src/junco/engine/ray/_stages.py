"""Where each node of a plan runs under the Ray engine.

* Windows (``window``, ``time_window``, ``window_all``) run on the driver, over the ordered stream the
  Ray stages return: a window's group may span any number of Ray batches, and the driver is the one
  place that sees a group's rows in order. The same window runners as the local engine do the work.
* Stateless nodes (plain callables: ``map``, ``flat_map``, ``filter``) run as Ray tasks; a run of them
  is one task stage.
* Nodes that load something once (a batched :class:`~junco.operator.Operator`, or any operator with a
  ``setup()``) run in an actor pool; each actor builds the operator from a descriptor and calls
  ``setup()`` once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from junco.operator import Operator
from junco.plan import Node, NodeKind

DRIVER_KINDS = {NodeKind.WINDOW, NodeKind.TIME_WINDOW, NodeKind.WINDOW_ALL}


def is_stateful(node: Node) -> bool:
    """True when the node's operator loads state once (so it belongs in an actor): a batched operator,
    or one with its own ``setup()`` (the base class's no-op does not count)."""
    if node.batched:
        return True
    setup = getattr(type(node.fn), "setup", None)
    return callable(setup) and setup is not Operator.setup


@dataclass
class Stage:
    """Consecutive nodes run together: ``kind`` is ``"task"`` or ``"actor"``."""

    kind: str
    nodes: list[Node] = field(default_factory=list)


@dataclass
class Segment:
    """Consecutive nodes on one side: ``where`` is ``"ray"`` (in stages) or ``"driver"``."""

    where: str
    nodes: list[Node] = field(default_factory=list)

    def stages(self) -> list[Stage]:
        out: list[Stage] = []
        for n in self.nodes:
            if is_stateful(n):
                out.append(Stage("actor", [n]))
            elif out and out[-1].kind == "task":
                out[-1].nodes.append(n)
            else:
                out.append(Stage("task", [n]))
        return out


def segments(steps: tuple[Node, ...]) -> list[Segment]:
    """Split a plan's steps into driver and Ray segments, keeping their order."""
    out: list[Segment] = []
    for n in steps:
        where = "driver" if n.kind in DRIVER_KINDS else "ray"
        if not out or out[-1].where != where:
            out.append(Segment(where))
        out[-1].nodes.append(n)
    return out
