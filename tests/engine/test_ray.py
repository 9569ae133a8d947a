"""The Ray engine runs the local engine's plans with the same rows, order, error records and report.

Every Ray test shares one local Ray runtime (``ray_runtime`` in conftest.py) and compares a run on the
Ray engine with the same run on the local engine.
"""

import os
import time

import pytest

from junco import pipe, register
from junco.engine import Block, LocalEngine, RowError
from junco.operator import Operator
from junco.plan import NodeKind

pytest.importorskip("ray")

from junco.engine._block import rechunk as _rechunk  # noqa: E402
from junco.engine.ray import RayEngine  # noqa: E402
from junco.engine.ray._ship import ShippedNode  # noqa: E402
from junco.engine.ray._stages import segments  # noqa: E402

ray_test = pytest.mark.usefixtures("ray_runtime")


class NoCache:
    """A cache that never hits, so both engines really compute (and report the same work)."""

    def get_many(self, keys):
        return {}

    def put_many(self, items):
        pass


def run_both(p, inputs, **ray_kw):
    """``p.batch(inputs)`` on the local engine, then on Ray: (local rows, local report, Ray rows, Ray report)."""
    p.set_engine(LocalEngine(cache=NoCache()))
    local = p.batch(inputs)
    p.set_engine(RayEngine(cache=NoCache(), **ray_kw))
    on_ray = p.batch(inputs)
    return local, local.report, on_ray, on_ray.report


def assert_same_report(a, b):
    assert b.engine == "ray"
    assert (a.rows_in, a.rows_out) == (b.rows_in, b.rows_out)
    counts = [(s.name, s.rows_in, s.rows_out, s.errors) for s in a.nodes.values()]
    assert counts == [(s.name, s.rows_in, s.rows_out, s.errors) for s in b.nodes.values()]
    # the local engine's threads may record errors of different nodes in either order
    assert sorted(a.errors, key=repr) == sorted(b.errors, key=repr)
    assert a.warnings == b.warnings


# -- stateless nodes and windows ----------------------------------------------------------------------
def split_words(text):
    return text.split()


def score(word):
    return len(word), word.upper()


@ray_test
def test_pure_python_pipeline_same_rows_and_report():
    p = (pipe.input("text")
         .flat_map("text", "word", split_words)
         .filter("word", "word", "word", lambda w: w != "the")
         .map("word", ("n", "up"), score)
         .window("n", "pair", 2, 1, sum)
         .window_all("up", "all", " ".join)
         .output("word", "n", "pair", "all"))
    texts = ["the quick brown fox", "", "jumps over the lazy dog", "a b c d e f g"] * 5
    local, lr, on_ray, rr = run_both(p, texts, block_size=3)  # several blocks: groups span them
    assert on_ray == local
    assert isinstance(on_ray[0][0], tuple) and on_ray[0][0].word == "quick"  # tuples stay tuples
    assert_same_report(lr, rr)
    assert rr.rows_in == 20 and rr.node(next(iter(rr.nodes))).rows_out == 80


@ray_test
def test_stream_keeps_input_order_over_many_blocks():
    p = pipe.input("x").map("x", "y", lambda x: x * 3).filter("y", "y", "y", lambda y: y % 2 == 0).output("y")
    p.set_engine(RayEngine(block_size=7, blocks_per_dataset=5))  # 2 waves of Ray datasets
    assert list(p.stream(range(60))) == [y for y in (x * 3 for x in range(60)) if y % 2 == 0]


# -- bad rows -----------------------------------------------------------------------------------------
def parse(s):
    return int(s)


def explode(n):
    if n == 13:
        raise ValueError("unlucky")
    return range(n % 3)


def pair_or_not(x):
    return (x, -x) if x != 4 else (x,)  # wrong arity for 4


@ray_test
def test_bad_rows_same_error_records_and_the_job_goes_on():
    p = (pipe.input("s")
         .map("s", "n", parse)
         .flat_map("n", "k", explode)
         .filter("n", "n", "k", lambda k: 1 / k > 0)  # k == 0 raises
         .map("n", ("a", "b"), pair_or_not)
         .window("a", "s2", 2, 2, lambda xs: xs[0] / (len(xs) - 1))  # a lone last row divides by zero
         .output("n", "a", "b", "s2"))
    inputs = ["1", "x", "2", "13", "4", "5", "", "8"]
    local, lr, on_ray, rr = run_both(p, inputs)
    assert on_ray == local
    assert_same_report(lr, rr)
    assert {e.node.split(":")[0].split("[")[0] for e in rr.errors} == {"map", "flat_map", "filter", "window"}
    bad_parse = [e for e in rr.errors if e.row_id == 1]
    assert bad_parse and bad_parse[0].exc_type == "ValueError"


@ray_test
def test_strict_raises_the_first_error():
    p = pipe.input("s").map("s", "n", parse).output("n")
    p.set_engine(RayEngine(strict=True))
    with pytest.raises(RowError) as info:
        p.batch(["1", "2", "oops", "4"])
    assert info.value.record.row_id == 2 and info.value.record.exc_type == "ValueError"


# -- batched operators in actor pools -----------------------------------------------------------------
@register("test-ray/scale", overwrite=True)
class Scale(Operator):
    """A batched operator that says which process served each row and how often it was set up."""

    batch_size = 8

    def __init__(self, *, factor=2, poison=13):
        self.factor = factor
        self.poison = poison
        self.setups = 0

    def setup(self):
        if not self.setups:  # idempotent, as engines may call it more than once
            self.setups = 1
            time.sleep(0.05)  # "load a model"

    def preprocess(self, x):
        if x == "bad":
            raise TypeError("not a number")
        return x

    def forward(self, batch):
        if self.poison in batch:
            raise RuntimeError("poisoned batch")
        return [(x * self.factor, os.getpid(), self.setups) for x in batch]


@ray_test
def test_batched_operator_same_rows_and_report():
    from junco import ops

    op = ops.test_ray.scale(factor=3)
    p = pipe.input("x").map("x", "y", lambda x: x).map("y", ("z", "pid", "setups"), op).output("x", "z")
    inputs = list(range(30)) + ["bad"] + list(range(30, 60))
    local, lr, on_ray, rr = run_both(p, inputs)
    assert on_ray == local  # the poisoned row 13 alone fails, in its own batch retry
    assert_same_report(lr, rr)
    assert {e.row_id for e in rr.errors} == {13, 30}


@ray_test
def test_model_operator_loads_once_per_actor_on_the_workers():
    from junco import ops

    op = ops.test_ray.scale(factor=2, poison=-1)
    p = pipe.input("x").map("x", ("z", "pid", "setups"), op).output("z", "pid", "setups")
    p.set_engine(RayEngine(actors=2, cache=NoCache()))
    rows = [r for per in p.batch(range(64)) for r in per]
    assert [r.z for r in rows] == [2 * x for x in range(64)]
    pids = {r.pid for r in rows}
    assert os.getpid() not in pids and 1 <= len(pids) <= 2
    assert {r.setups for r in rows} == {1}
    assert op.setups == 0  # built and set up on the workers only; the driver never loaded it


def test_registered_operator_travels_as_a_descriptor():
    from junco import ops

    node = pipe.input("x").map("x", "y", ops.test_ray.scale(factor=5)).output("y").plan.steps[0]
    shipped = ShippedNode.of(node, by_ref=True)
    assert shipped.ref.blob is None and shipped.ref.spec == {"op": "test-ray/scale", "args": {"factor": 5}}
    rebuilt = shipped.build()
    assert rebuilt.name == node.name and rebuilt.fn.factor == 5 and rebuilt.fn.setups == 1
    assert rebuilt.params["batch_size"] == 8


class BrokenModel(Operator):
    def setup(self):
        raise FileNotFoundError("no weights at /models/missing.pt")

    def forward(self, batch):
        return batch


@ray_test
def test_an_operator_that_cannot_load_fails_the_run_with_its_own_error():
    p = pipe.input("x").map("x", "y", BrokenModel()).output("y").set_engine("ray")
    with pytest.raises(FileNotFoundError, match="no weights"):
        p.batch([1, 2])


# -- Parquet in and out -------------------------------------------------------------------------------
@ray_test
def test_parquet_source_and_sink_in_parallel(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    from junco.engine.ray import read_parquet, run, write_parquet

    values = [str(i) if i != 5 else "x" for i in range(20)]
    for k in range(2):
        pq.write_table(pa.table({"s": values[k * 10:(k + 1) * 10]}), tmp_path / f"in{k}.parquet", row_group_size=4)
    p = pipe.input("s").map("s", "n", parse).map("n", "sq", lambda n: [n, n * n]).output("n", "sq")
    local = [r for per in p.batch(values) for r in per]
    rows = run(p, read_parquet(tmp_path / "*.parquet"))
    assert rows == local
    assert [e.row_id for e in rows.errors] == ["in0.parquet:5"]
    report = write_parquet(p, read_parquet(tmp_path), tmp_path / "out")
    assert (report.rows_in, report.rows_out, len(report.errors)) == (20, 19, 1)
    table = pq.read_table(tmp_path / "out")
    assert len(list((tmp_path / "out").glob("part-*.parquet"))) == 6  # one per row group, in parallel
    assert table.column("n").to_pylist() == [r.n for r in local]
    assert table.column("id").to_pylist()[:2] == ["in0.parquet:0", "in0.parquet:1"]


# -- DataCollection -----------------------------------------------------------------------------------
@ray_test
def test_data_collection_on_ray():
    collection = pytest.importorskip("junco.collection")
    dc = (collection.DataCollection(range(40)).map(lambda x: x * x).filter(lambda x: x % 3 != 1)
          .map(lambda x: 10 // (x % 7)))  # some rows divide by zero
    local = dc.to_list()
    on_ray = dc.set_engine("ray")
    assert on_ray.to_list() == local
    assert_same_report(dc.report, on_ray.report)


# -- the packaged image model -------------------------------------------------------------------------
def _image_pipeline():
    try:
        from junco import pipeline

        return pipeline("image-embedding")
    except (ImportError, KeyError) as e:
        pytest.skip(f"the image-embedding pipeline is not available here: {e}")
    except Exception as e:  # ModelNotFoundError: the packaged weights are not installed
        pytest.skip(f"the packaged image model is not installed: {e}")


@ray_test
def test_image_embedding_on_a_packaged_model():
    import numpy as np

    skimage_data = pytest.importorskip("skimage.data")
    folder = os.path.dirname(skimage_data.__file__)
    paths = [os.path.join(folder, f) for f in ("astronaut.png", "chelsea.png", "coffee.png", "camera.png")]
    p = _image_pipeline()
    local, lr, on_ray, rr = run_both(p, paths + ["/no/such/image.png"] + paths[:2])
    assert [len(r) for r in on_ray] == [len(r) for r in local] == [1, 1, 1, 1, 0, 1, 1]
    for a, b in zip(local, on_ray):
        for x, y in zip(a, b):
            assert x.shape == y.shape and np.allclose(x, y, atol=1e-5)
    assert_same_report(lr, rr)
    assert [e.row_id for e in rr.errors] == [4]


# -- pieces that need no Ray runtime ------------------------------------------------------------------
def test_rechunk_keeps_window_group_bounds_safe():
    b1 = Block(range(0, 5), {"x": list(range(5))}, range(0, 5), 5)
    b2 = Block(range(5, 7), {"x": [5, 6]}, range(5, 7), 7)
    pieces = list(_rechunk(iter([b1, b2]), 2))
    assert [list(p.ids) for p in pieces] == [[0, 1], [2, 3], [4], [5, 6]]
    assert [p.src_end for p in pieces] == [0, 0, 5, 7]  # a piece never claims groups it has not finished


def test_windows_run_on_the_driver_everything_else_on_ray():
    p = (pipe.input("x").map("x", "y", abs).window("y", "w", 2, 2, sum).map("w", "v", str)
         .map("v", "u", Scale()).output("u"))
    segs = segments(p.plan.steps)
    assert [s.where for s in segs] == ["ray", "driver", "ray"]
    assert [st.kind for st in segs[2].stages()] == ["task", "actor"]
    assert segs[1].nodes[0].kind == NodeKind.WINDOW
