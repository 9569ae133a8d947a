"""Every index backend in the registry, each at a real on-disk location, through one fixture."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from junco.index import BACKENDS, MissingExtraError, open_index

# a persistent location for each registered backend; a new backend must add its own here
PERSISTENT = {
    "index/exact": "exact://{d}",
    "index/faiss": "faiss://{d}",
    "index/milvus": "{d}.db",  # a real Milvus Lite database file
}
# FAISS index kinds run the same suite (auto is flat at these sizes)
EXTRA = {"index/faiss": [{"kind": "hnsw"}, {"kind": "ivfpq"}]}


def _variants() -> list[tuple[str, dict]]:
    out = []
    for name in BACKENDS.names():
        out.append((name, {}))
        out.extend((name, opts) for opts in EXTRA.get(name, []))
    return out


VARIANTS = _variants()


def _vid(v: tuple[str, dict]) -> str:
    return v[0].split("/", 1)[1] + "".join(f"-{x}" for x in v[1].values())


@pytest.fixture(params=VARIANTS, ids=[_vid(v) for v in VARIANTS])
def store(request, tmp_path):
    """``store.open(**kw)`` opens (or reopens) the same index; everything opened is closed afterwards."""
    name, opts = request.param
    if name not in PERSISTENT:
        pytest.fail(f"backend {name} has no persistent location in tests/index/conftest.py PERSISTENT")
    uri = PERSISTENT[name].format(d=tmp_path / "store")
    opened = []

    def open_(**kw):
        try:
            idx = open_index(uri, backend=name, **{**opts, **kw})
        except MissingExtraError as e:
            pytest.skip(str(e))
        opened.append(idx)
        return idx

    yield SimpleNamespace(name=name, opts=opts, uri=uri, open=open_, approximate=bool(opts))
    for idx in opened:
        try:
            idx.close()
        except Exception:
            pass

