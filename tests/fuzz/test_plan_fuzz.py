"""Property tests of the plan builder: random sequences of ``pipe`` operations (good and bad column
names, sizes, operators, branches) end in either a valid plan whose ``explain()`` works and whose spec
round-trips, or a clear build-time error raised on purpose by junco (``PlanError``/``ValueError``/
``TypeError`` from a ``raise`` in junco's own code) -- never an internal ``KeyError``/``AttributeError``/
``IndexError`` or an error raised deep inside Python. Mutated specs get the same treatment.
"""

import os
import re
import traceback

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import junco
from junco import ops, pipe
from junco.pipeline._spec import plan_to_spec, spec_to_plan
from junco.plan import PlanError

JUNCO_SRC = os.path.dirname(junco.__file__)
COLUMNS = ["x", "y", "z", "vec", "ts", "", "a,b"]
_REGISTERED = [ops.vector.normalize, ops.vector.to_numpy]


def _operator(draw):
    kind = draw(st.sampled_from(["registered", "registered", "lambda", "not-callable", "none"]))
    if kind == "registered":
        return draw(st.sampled_from(_REGISTERED))()
    if kind == "lambda":
        return lambda *a: a[0] if a else None
    return None if kind == "none" else draw(st.sampled_from([42, "text", [1]]))


def _cols(draw):
    return draw(st.one_of(st.sampled_from(COLUMNS), st.lists(st.sampled_from(COLUMNS), min_size=0, max_size=3)
                          .map(tuple)))


@st.composite
def pipe_programs(draw):
    """A list of (method, args) steps applied to ``pipe.input(...)``, then ``output(...)``."""
    steps = [("input", tuple(draw(st.lists(st.sampled_from(COLUMNS), min_size=0, max_size=3))))]
    for _ in range(draw(st.integers(0, 7))):
        m = draw(st.sampled_from(["map", "flat_map", "filter", "window", "time_window", "window_all", "concat"]))
        if m in ("map", "flat_map", "window_all"):
            steps.append((m, (_cols(draw), _cols(draw), _operator(draw))))
        elif m == "filter":
            steps.append((m, (_cols(draw), _cols(draw), _cols(draw), _operator(draw))))
        elif m == "window":
            steps.append((m, (_cols(draw), _cols(draw), draw(st.integers(-1, 4)), draw(st.integers(-1, 4)),
                              _operator(draw))))
        elif m == "time_window":
            steps.append((m, (_cols(draw), _cols(draw), draw(st.sampled_from(COLUMNS)),
                              draw(st.sampled_from([-1.0, 0.0, 0.5, 2.0])), draw(st.sampled_from([0.0, 1.0])),
                              _operator(draw))))
        else:  # concat with a branch forked from the input: a map (row-preserving) or a filter
            branch = draw(st.sampled_from(["map", "filter", "none"]))
            steps.append((m, (branch, _cols(draw), _cols(draw), _operator(draw))))
    steps.append(("output", tuple(draw(st.lists(st.sampled_from(COLUMNS), min_size=0, max_size=3)))))
    return steps


def _build(steps):
    start = pipe.input(*steps[0][1])
    p = start
    for m, args in steps[1:-1]:
        if m == "concat":
            branch, ins, outs, fn = args
            if branch == "map":
                p = p.concat(start.map(ins, outs, fn))
            elif branch == "filter":
                p = p.concat(start.filter(ins, outs, ins, fn))
            else:
                p = p.concat()
        else:
            p = getattr(p, m)(*args)
    return p.output(*steps[-1][1])


def _assert_deliberate(err):
    """The error is one junco raises on purpose, from its own code, with a message."""
    assert isinstance(err, PlanError | ValueError | TypeError), f"internal error: {type(err).__name__}: {err}"
    assert not isinstance(err, KeyError | IndexError | AttributeError), f"internal error: {err!r}"
    frame = traceback.extract_tb(err.__traceback__)[-1]
    assert frame.filename.startswith(JUNCO_SRC) and (frame.line or "").lstrip().startswith("raise"), \
        f"{type(err).__name__} from {frame.filename}:{frame.lineno} ({frame.line}): {err}"
    assert str(err).strip()


def _normal(text):
    return re.sub(r"\[\d+\]", "[#]", text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=pipe_programs())
def test_random_pipe_programs_build_or_fail_clearly(steps):
    try:
        p = _build(steps)
    except Exception as e:  # noqa: BLE001 - judged below
        _assert_deliberate(e)
        return
    text = p.explain()
    assert text.startswith("Plan (") and len(text.splitlines()) == len(p.plan.nodes) + 1
    registered = all(getattr(n.fn, "__junco_spec__", None) or getattr(n.fn, "__junco_name__", None)
                     for n in p.plan.steps)
    if not registered:
        with pytest.raises(PlanError, match="not a registered operator"):
            plan_to_spec(p.plan)
        return
    spec = plan_to_spec(p.plan)
    again = spec_to_plan(spec)
    assert plan_to_spec(again) == spec
    assert _normal(again.explain()) == _normal(text)


@st.composite
def mutated_specs(draw):
    p = (pipe.input("x", "ts").map("x", "vec", ops.vector.to_numpy()).filter("vec", "vec", "x", ops.vector.normalize())
         .window("vec", "w", 2, 1, ops.vector.to_numpy()).output("w"))
    spec = plan_to_spec(p.plan)
    for _ in range(draw(st.integers(1, 3))):
        where = draw(st.sampled_from(["top", "node"]))
        if where == "top":
            key = draw(st.sampled_from(["junco_pipeline", "nodes", "window_scope"]))
            spec[key] = draw(st.sampled_from([None, 1, "x", [], {}, [{}], [1, 2]]))
        elif isinstance(spec.get("nodes"), list) and spec["nodes"]:
            nodes = spec["nodes"]
            node = nodes[draw(st.integers(0, len(nodes) - 1))]
            if not isinstance(node, dict):
                continue
            key = draw(st.sampled_from(["kind", "inputs", "outputs", "parents", "op", "args", "params"]))
            value = draw(st.sampled_from([None, 7, -1, "map", "nope/op", "vector/normalize", [], [5], [-9],
                                          ["x"], {}, {"norm": "l7"}, {"size": 0}]))
            if draw(st.booleans()):
                node.pop(key, None)
            else:
                node[key] = value
    return spec


@settings(max_examples=300, deadline=None)
@given(spec=mutated_specs())
def test_mutated_specs_load_or_fail_clearly(spec):
    try:
        plan = spec_to_plan(spec)
    except Exception as e:  # noqa: BLE001 - judged below
        _assert_deliberate(e)
        return
    assert plan.explain().startswith("Plan (")
