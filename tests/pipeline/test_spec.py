import pytest

from junco import ops, pipe, pipeline, register
from junco.pipeline import Pipeline
from junco.plan import PlanError


@register("spec-demo/scale", overwrite=True)
def scale(x, factor=1):
    return x * factor


@register("spec-demo/is-even", overwrite=True)
def is_even(x):
    return x % 2 == 0


def build():
    return (pipe.input("x")
            .map("x", "y", ops.spec_demo.scale(factor=3))
            .filter("y", "y", "y", ops.spec_demo.is_even())
            .output("x", "y"))


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_spec_round_trip(tmp_path, suffix):
    p = build()
    path = p.save(tmp_path / f"p{suffix}")
    q = Pipeline.load(path)
    assert q.to_spec()["nodes"] == p.to_spec()["nodes"]
    assert q.batch(range(5)) == p.batch(range(5)) == [[(0, 0)], [], [(2, 6)], [], [(4, 12)]]
    assert pipeline(str(path)).batch([2]) == [[(2, 6)]]


def test_lambda_cannot_be_saved(tmp_path):
    p = pipe.input("x").map("x", "y", lambda x: x).output("y")
    with pytest.raises(PlanError, match="not a registered operator"):
        p.save(tmp_path / "p.yaml")
