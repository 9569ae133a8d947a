import pytest

from junco import pipe, pipeline, register_pipeline


@register_pipeline("test-power")
def _power(model="2", exponent_offset=0):
    e = int(model) + exponent_offset
    return pipe.input("x").map("x", "y", lambda x: x ** e).output("y")


def test_named_pipeline_with_overrides_and_alias():
    assert pipeline("test-power")(3) == [9]
    assert pipeline("test-power", model="3")(2) == [8]
    assert pipeline("test-power-4")(2) == [16]  # alias: "<name>-<model>"
    assert pipeline("test_power", exponent_offset=1)(2) == [8]


def test_unknown_pipeline_lists_closest():
    with pytest.raises(KeyError, match="test-power"):
        pipeline("test-powr")
