import sys
import textwrap

import pytest

from junco import ops, register
from junco.ops import OPERATORS, create
from junco.registry import Registry, UnknownNameError, normalize_name


def test_normalize():
    assert normalize_name("Image_Decode.cv2") == "image-decode/cv2"


def test_register_function_class_and_callable_instance():
    @register("reg-test/plus", overwrite=True)
    def plus(x, n=1):
        return x + n

    @register("reg-test/times", overwrite=True)
    class Times:
        def __init__(self, n=2):
            self.n = n

        def __call__(self, x):
            return x * self.n

    assert ops.reg_test.plus()(1) == 2
    assert ops.reg_test.plus(n=5)(1) == 6
    assert ops.reg_test.times(n=3)(2) == 6
    assert create("reg-test/times", n=4).__junco_spec__ == {"op": "reg-test/times", "args": {"n": 4}}


def test_unknown_operator_fails_at_once_with_closest_names():
    register("reg-test/resize-image", lambda x: x, overwrite=True)
    with pytest.raises(UnknownNameError) as e:
        _ = ops.reg_test.resize_imag  # no call needed: the lookup itself fails
    assert "reg-test/resize-image" in str(e.value)
    with pytest.raises(UnknownNameError, match="reg-test/resize-image"):
        _ = ops.reg_tset.resize_image


def test_duplicate_registration_refused():
    r: Registry = Registry("thing")
    r.register("a/b", 1)
    with pytest.raises(ValueError, match="already registered"):
        r.register("a/b", 2)
    r.register("a/b", 2, overwrite=True)
    assert r.get("a/b") == 2
    with pytest.raises(ValueError, match="namespace/name"):
        r.register("flat", 3)


def test_entry_point_plugins_load_lazily(tmp_path, monkeypatch):
    """A third-party package registers through the `junco.operators` entry-point group."""
    pkg = tmp_path / "junco_plugin_demo.py"
    pkg.write_text(textwrap.dedent("""
        from junco import register
        LOADED = True
        @register("plugin-demo/shout")
        def shout(s):
            return s.upper() + "!"
    """))
    dist = tmp_path / "junco_plugin_demo-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: junco-plugin-demo\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[junco.operators]\nplugin-demo = junco_plugin_demo\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(OPERATORS, "_plugins_loaded", False)
    assert "junco_plugin_demo" not in sys.modules
    assert ops.plugin_demo.shout()("hi") == "HI!"
    assert "plugin-demo" in OPERATORS.namespaces()
