import numpy as np

from junco import pipe
from junco.engine import DiskCache, LocalEngine
from junco.operator import Operator


class Embed(Operator):
    cacheable = True

    def __init__(self):
        self.calls = 0

    def forward(self, batch):
        self.calls += len(batch)
        return [np.full(4, x, dtype=np.float32) for x in batch]


def test_cache_second_run_does_no_work(tmp_path):
    cache = DiskCache(tmp_path / "c.sqlite")
    op = Embed()
    p = pipe.input("x").map("x", "v", op).output("v").set_engine(LocalEngine(cache=cache))
    first = p.batch(range(50))
    assert op.calls == 50
    second = p.batch(range(50))
    assert op.calls == 50  # nothing recomputed
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(first, second))
    assert sum(s.cache_hits for s in p.report.nodes.values()) == 50
    p.batch(range(55))
    assert op.calls == 55  # only the 5 new rows


def test_cache_keys_on_file_content_and_plain_functions(tmp_path):
    cache = DiskCache(tmp_path / "c.sqlite")
    calls = []

    def size(path):
        calls.append(path)
        return len(open(path, "rb").read())

    f = tmp_path / "a.bin"
    f.write_bytes(b"12345")
    p = pipe.input("p").map("p", "n", size, cache=True).output("n").set_engine(LocalEngine(cache=cache))
    assert p(str(f)) == [5] and p(str(f)) == [5]
    assert len(calls) == 1
    f.write_bytes(b"123")  # same path, new content: recomputed
    assert p(str(f)) == [3] and len(calls) == 2
