"""Operators come only from junco's own table and the declared ``junco.operators`` entry points: a name a
user (or a pipeline spec file) writes is never turned into a module path and imported.

The canary is a real importable module on ``sys.path`` that records its import in a file; every way of
naming an operator is tried with its name, and it must never be imported.
"""

from __future__ import annotations

import json
import sys
import textwrap

import pytest

from junco import ops, pipe
from junco.ops import OPERATORS, create
from junco.registry import UnknownNameError


@pytest.fixture
def canary(tmp_path, monkeypatch):
    """An importable module ``junco_canary_evil`` (with a submodule) that writes a marker file on import."""
    marker = tmp_path / "imported.txt"
    pkg = tmp_path / "junco_canary_evil"
    pkg.mkdir()
    code = f"open({str(marker)!r}, 'a').write(__name__ + '\\n')\ndef run(*a, **k):\n    return 'pwned'\n"
    (pkg / "__init__.py").write_text(code)
    (pkg / "run.py").write_text(code)
    monkeypatch.syspath_prepend(str(tmp_path))
    for m in [m for m in sys.modules if m.startswith("junco_canary_evil")]:
        monkeypatch.delitem(sys.modules, m)
    yield marker
    assert not marker.exists(), f"a user string imported a module: {marker.read_text()}"
    assert not any(m.startswith("junco_canary_evil") for m in sys.modules)


NAMES = ["junco_canary_evil/run", "junco_canary_evil.run", "junco-canary-evil/run", "junco_canary_evil:run",
         "os/system", "os.system", "subprocess/run", "builtins/eval", "importlib/import_module",
         "../junco_canary_evil/run", "junco_canary_evil/run/x"]


@pytest.mark.parametrize("name", NAMES)
def test_registry_lookups_never_import_a_named_module(canary, name):
    with pytest.raises((UnknownNameError, ValueError)):
        OPERATORS.get(name)
    with pytest.raises((UnknownNameError, ValueError)):
        create(name)
    assert name not in OPERATORS


def test_attribute_dispatch_never_imports_a_named_module(canary):
    with pytest.raises((AttributeError, UnknownNameError)):
        ops.junco_canary_evil.run()
    with pytest.raises((AttributeError, UnknownNameError)):
        ops.os.system()


@pytest.mark.parametrize("name", ["junco_canary_evil", "junco_canary_evil.run", "junco_canary_evil/run", "os"])
def test_named_pipelines_never_import_a_named_module(canary, name):
    from junco.pipeline import pipeline

    with pytest.raises((KeyError, ValueError)):
        pipeline(name)


def test_a_pipeline_spec_file_names_registered_operators_only(canary, tmp_path):
    from junco.pipeline import Pipeline

    good = pipe.input("x").map("x", "v", ops.vector.normalize()).output("v")
    spec_path = good.save(tmp_path / "p.json")
    spec = json.loads(spec_path.read_text())
    assert any(node.get("op") == "vector/normalize" for node in spec["nodes"]), spec
    for evil in ("junco_canary_evil/run", "junco_canary_evil.run", "os/system"):
        bad = json.loads(json.dumps(spec).replace("vector/normalize", evil))
        path = tmp_path / "evil.json"
        path.write_text(json.dumps(bad))
        with pytest.raises((UnknownNameError, ValueError, KeyError)) as e:
            Pipeline.load(path)
        assert "unknown operator" in str(e.value)


def test_a_declared_entry_point_is_the_only_way_in(canary, tmp_path, monkeypatch):
    """The same canary loads once it is declared in the ``junco.operators`` group, under its namespace."""
    mod = tmp_path / "junco_canary_plugin.py"
    mod.write_text(textwrap.dedent("""
        from junco import register
        @register("canary-ns/echo", overwrite=True)
        def echo(x):
            return x
    """))
    dist = tmp_path / "junco_canary_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: junco-canary-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[junco.operators]\ncanary-ns = junco_canary_plugin\n")
    monkeypatch.delitem(sys.modules, "junco_canary_plugin", raising=False)
    monkeypatch.setattr(OPERATORS, "_plugins_loaded", False)
    monkeypatch.setattr(OPERATORS, "_modules", dict(OPERATORS._modules))
    with pytest.raises(UnknownNameError):
        OPERATORS.get("junco_canary_plugin/echo")  # the module's own name is not a namespace
    assert ops.canary_ns.echo()(5) == 5  # declared: loads, under the declared namespace only
    assert "junco_canary_plugin" in sys.modules
    assert OPERATORS._modules["canary-ns"] == "junco_canary_plugin"
