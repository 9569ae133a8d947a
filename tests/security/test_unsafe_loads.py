"""The source tree never deserialises untrusted data into code: an AST scan of ``src/`` (and ``bench/``).

Refused anywhere, unless listed in ``ALLOWED`` with the reason it is safe:

* ``torch.load(...)`` without ``weights_only=True`` (a checkpoint is data; ``weights_only=False`` runs
  whatever the pickle says), and the same for timm's and open_clip's checkpoint loaders,
* ``torch.jit.load`` (TorchScript is code),
* ``pickle.load`` / ``pickle.loads`` / ``cloudpickle.load(s)`` / ``dill.load(s)`` / ``joblib.load`` /
  ``pickle.Unpickler`` / ``marshal.load(s)`` / ``shelve.open``,
* ``eval(...)``, ``exec(...)``, ``compile(...)`` (the builtins; ``module.eval()`` is torch's train/eval switch),
* ``np.load(..., allow_pickle=True)`` (or an ``allow_pickle`` that is not the literal ``False``),
* ``yaml.load(...)`` / ``yaml.load_all`` without ``Loader=SafeLoader`` (or ``CSafeLoader``),
  ``yaml.unsafe_load``, ``yaml.full_load``.

The scan follows imports (``from pickle import loads as l``; ``import numpy as xp``), so renaming does not
hide a call. ``test_the_scanner_catches_each_pattern`` proves each rule fires.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("src", "bench")

# (path relative to the repo, dotted call) -> why it is safe. Each entry must still match a call
# (a stale entry fails the test), so the list cannot silently grow stale or wide.
ALLOWED: dict[tuple[str, str], str] = {
    ("src/junco/engine/ray/_ship.py", "pickle.loads"):
        "driver -> Ray worker messages inside one job: Ray itself moves every task argument with pickle; "
        "the bytes never come from a file or a request",
}

# checkpoint loaders of the model libraries junco calls: safe by default today, pinned explicit here so a
# changed default upstream cannot turn them unsafe
_LIBRARY_LOADERS = {"timm.models.load_state_dict", "timm.models.load_checkpoint", "timm.models._helpers.load_state_dict",
                    "open_clip.create_model", "open_clip.create_model_and_transforms", "open_clip.load_checkpoint",
                    "open_clip.factory.load_state_dict"}
_NOT_OURS = {"site-packages", "node_modules", "__pycache__", "build", "dist"}
_PICKLE_LIKE = {"pickle", "cPickle", "_pickle", "cloudpickle", "dill", "joblib", "marshal"}
_SAFE_YAML_LOADERS = {"SafeLoader", "CSafeLoader", "BaseLoader", "CBaseLoader"}


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    call: str
    why: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.call}(...) {self.why}"


class _Scanner(ast.NodeVisitor):
    def __init__(self, path: str):
        self.path = path
        self.alias: dict[str, str] = {}  # local name -> dotted origin ("np" -> "numpy", "l" -> "pickle.loads")
        self.findings: list[Finding] = []

    # -- names --------------------------------------------------------------------------------------
    def visit_Import(self, node: ast.Import) -> None:
        for a in node.names:
            if a.asname:
                self.alias[a.asname] = a.name
            else:
                self.alias.setdefault(a.name.split(".")[0], a.name.split(".")[0])

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module and node.level == 0:
            for a in node.names:
                self.alias[a.asname or a.name] = f"{node.module}.{a.name}"

    def dotted(self, f: ast.expr) -> str | None:
        parts: list[str] = []
        while isinstance(f, ast.Attribute):
            parts.append(f.attr)
            f = f.value
        if not isinstance(f, ast.Name):
            return None
        head = self.alias.get(f.id, f.id)
        return ".".join([head, *reversed(parts)])

    # -- calls --------------------------------------------------------------------------------------
    def visit_Call(self, node: ast.Call) -> None:
        name = self.dotted(node.func)
        if name is not None:
            why = self.judge(name, node)
            if why:
                self.findings.append(Finding(self.path, node.lineno, name, why))
        self.generic_visit(node)

    @staticmethod
    def kw(node: ast.Call, key: str) -> ast.expr | None:
        for k in node.keywords:
            if k.arg == key:
                return k.value
        return None

    def judge(self, name: str, node: ast.Call) -> str | None:
        mod, _, fn = name.rpartition(".")
        top = name.split(".")[0]
        if name in ("eval", "exec", "compile", "builtins.eval", "builtins.exec", "builtins.compile"):
            return "runs text as code"
        if name == "torch.load" or name in _LIBRARY_LOADERS:
            w = self.kw(node, "weights_only")
            if not (isinstance(w, ast.Constant) and w.value is True):
                return "without weights_only=True unpickles arbitrary objects"
        if top in _PICKLE_LIKE and fn in ("load", "loads", "Unpickler"):
            return "unpickles (runs code from the data)"
        if name in ("shelve.open", "pandas.read_pickle", "torch.serialization.load"):
            return "unpickles (runs code from the data)"
        if name in ("torch.jit.load", "torch.package.PackageImporter"):
            return "runs the code stored in the file"
        if name in ("numpy.load", "numpy.lib.npyio.load"):
            ap = self.kw(node, "allow_pickle")
            if ap is not None and not (isinstance(ap, ast.Constant) and ap.value is False):
                return "with allow_pickle unpickles object arrays"
        if mod == "yaml" or top == "yaml":
            if fn in ("unsafe_load", "unsafe_load_all", "full_load", "full_load_all"):
                return "builds arbitrary Python objects"
            if fn in ("load", "load_all"):
                loader = self.kw(node, "Loader") or (node.args[1] if len(node.args) > 1 else None)
                lname = self.dotted(loader) if loader is not None else None
                if lname is None or lname.rsplit(".", 1)[-1] not in _SAFE_YAML_LOADERS:
                    return "without Loader=yaml.SafeLoader builds arbitrary Python objects"
        return None


def scan_source(text: str, path: str = "<string>") -> list[Finding]:
    """Every refused call in ``text``."""
    s = _Scanner(path)
    s.visit(ast.parse(text, filename=path))
    return s.findings


def scan_tree() -> list[Finding]:
    out: list[Finding] = []
    for top in SCANNED:
        for p in sorted((ROOT / top).rglob("*.py")):
            rel = p.relative_to(ROOT).as_posix()
            if any(part.startswith(".") or part in _NOT_OURS for part in Path(rel).parts):
                continue  # virtualenvs and caches inside bench/ hold other projects' code
            out += scan_source(p.read_text("utf-8"), rel)
    return out


def test_no_unsafe_deserialisation_or_eval_in_the_source_tree():
    findings = scan_tree()
    assert len(list((ROOT / "src").rglob("*.py"))) > 50  # the scan really walked the package
    bad = [f for f in findings if (f.path, f.call) not in ALLOWED]
    assert not bad, "unsafe calls (make them safe, or add them to ALLOWED with the reason):\n" + "\n".join(
        map(str, bad))
    stale = set(ALLOWED) - {(f.path, f.call) for f in findings}
    assert not stale, f"ALLOWED entries that match nothing any more (remove them): {sorted(stale)}"


@pytest.mark.parametrize("code, call", [
    ("import torch\ntorch.load('m.pt')", "torch.load"),
    ("import torch\ntorch.load('m.pt', weights_only=False)", "torch.load"),
    ("import torch as T\nT.load(p, map_location='cpu')", "torch.load"),
    ("from torch import load\nload(p)", "torch.load"),
    ("import pickle\npickle.loads(b)", "pickle.loads"),
    ("from pickle import load as l\nl(f)", "pickle.load"),
    ("import cloudpickle\ncloudpickle.loads(b)", "cloudpickle.loads"),
    ("import joblib\njoblib.load('m.joblib')", "joblib.load"),
    ("import pickle\npickle.Unpickler(f).load()", "pickle.Unpickler"),
    ("eval('1+1')", "eval"),
    ("exec(src)", "exec"),
    ("import builtins\nbuiltins.eval(s)", "builtins.eval"),
    ("import numpy as np\nnp.load(f, allow_pickle=True)", "numpy.load"),
    ("import numpy\nnumpy.load(f, allow_pickle=flag)", "numpy.load"),
    ("import yaml\nyaml.load(text)", "yaml.load"),
    ("import yaml\nyaml.load(text, Loader=yaml.Loader)", "yaml.load"),
    ("import yaml\nyaml.unsafe_load(text)", "yaml.unsafe_load"),
    ("import yaml\nyaml.full_load(text)", "yaml.full_load"),
    ("import pandas as pd\npd.read_pickle(p)", "pandas.read_pickle"),
    ("import torch\ntorch.jit.load('m.pt')", "torch.jit.load"),
    ("from timm.models import load_state_dict\nload_state_dict(p, use_ema=True)", "timm.models.load_state_dict"),
    ("import open_clip\nopen_clip.create_model(n, pretrained=p)", "open_clip.create_model"),
])
def test_the_scanner_catches_each_pattern(code, call):
    (f,) = scan_source(code)
    assert f.call == call and f.line == code.count("\n") + 1


@pytest.mark.parametrize("code", [
    "import torch\ntorch.load(p, map_location='cpu', weights_only=True)",
    "import torch\nnet.eval()\nmodel.train().eval()",
    "import numpy as np\nnp.load(f)\nnp.load(f, allow_pickle=False)",
    "import yaml\nyaml.safe_load(t)\nyaml.load(t, Loader=yaml.SafeLoader)\nyaml.load(t, yaml.CSafeLoader)",
    "import pickle\npickle.dumps(x)\npickle.dump(x, f)",
    "import json\njson.loads(s)",
    "def eval_model(m):\n    return m\neval_model(1)",
])
def test_the_scanner_lets_safe_calls_through(code):
    assert scan_source(code) == []
