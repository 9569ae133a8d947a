"""A long source block reaches the first forward a batch at a time, so preprocessing overlaps the model."""

import time

from junco import pipe
from junco.engine import LocalEngine
from junco.operator import Operator


class Timeline(Operator):
    """Records when each row is preprocessed and when each forward starts."""

    batch_size = 4
    preprocess_workers = 1

    def __init__(self):
        self.pre_done: list[float] = []
        self.forward_start: list[float] = []

    def preprocess(self, x):
        time.sleep(0.01)
        self.pre_done.append(time.perf_counter())
        return x

    def forward(self, batch):
        self.forward_start.append(time.perf_counter())
        return [x + 1 for x in batch]


def test_first_forward_starts_before_the_block_is_preprocessed():
    op = Timeline()
    p = pipe.input("x").map("x", "y", op).output("y").set_engine(LocalEngine(block_size=1024))
    assert p.batch(range(40)) == [[i + 1] for i in range(40)]
    assert op.forward_start[0] < op.pre_done[-1]  # before: the whole 40-row block was preprocessed first


def test_windows_after_a_model_see_every_row_of_their_group():
    """Pieces of one source block must not close a group early (``src_end`` stays conservative)."""
    op = Timeline()
    p = (pipe.input("x").flat_map("x", "y", lambda x: range(x)).map("y", "z", op)
         .window_all("z", "s", sum).output("x", "s"))
    p.set_engine(LocalEngine(block_size=1024))
    xs = [3, 7, 1, 9, 2, 5, 4, 6, 8, 1]  # 10 source rows: pieces of 4, 4, 2
    got = p.batch(xs)
    assert [[tuple(r) for r in rows] for rows in got] == [[(x, sum(range(1, x + 1)))] for x in xs]
