"""The one plan every front end compiles to: a DAG of nodes over named columns."""

from junco.plan._nodes import Node, NodeKind
from junco.plan._plan import Plan, PlanError

__all__ = ["Node", "NodeKind", "Plan", "PlanError"]
