import pytest

from junco import pipe
from junco.plan import Node, NodeKind, Plan, PlanError


def test_plan_orders_nodes_and_lists_columns():
    p = pipe.input("a", "b").map("a", "c", str).output("b", "c")
    plan = p.plan
    assert [n.kind for n in plan.nodes] == [NodeKind.INPUT, NodeKind.MAP, NodeKind.OUTPUT]
    assert plan.input_columns == ("a", "b") and plan.output_columns == ("b", "c")
    assert len(plan.steps) == 1


def test_filter_column_must_exist():
    with pytest.raises(PlanError, match="reads column 'flag'"):
        pipe.input("x").filter("x", "x", "flag", bool).output("x")


def test_plan_must_start_with_input():
    with pytest.raises(PlanError, match="starts with input"):
        Plan.from_output(Node(NodeKind.OUTPUT))


def test_bad_window_arguments():
    with pytest.raises(ValueError, match="size and step"):
        pipe.input("x").window("x", "y", 0, 1, list)
