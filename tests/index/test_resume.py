"""Kill an ingest with SIGKILL midway, twice, then re-run it: no row lost, none duplicated, none torn."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np

from junco.index import open_index

WORKER = Path(__file__).with_name("ingest_worker.py")
sys.path.insert(0, str(WORKER.parent))
from ingest_worker import FINGERPRINT, vector  # noqa: E402

N, BATCH = 2000, 100


def _cmd(store) -> list[str]:
    return [sys.executable, str(WORKER), store.uri, store.name, json.dumps(store.opts), str(N), str(BATCH)]


def _kill_after(store, rows: int) -> int:
    """Start the ingest, SIGKILL it once it has reported ``rows`` saved rows; return the last reported."""
    p = subprocess.Popen(_cmd(store), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    last = 0
    try:
        for line in p.stdout:  # type: ignore[union-attr]
            if line.startswith("saved "):
                last = int(line.split()[1])
                if last >= rows:
                    os.kill(p.pid, signal.SIGKILL)
                    break
    finally:
        p.wait(timeout=60)
    assert p.returncode == -signal.SIGKILL, "the ingest finished before it could be killed"
    return last


def _check_partial(store, at_least: int) -> None:
    idx = open_index(store.uri, backend=store.name, **store.opts)
    try:
        ids = idx.ids()
        assert len(ids) == len(set(ids)) == idx.count()
        assert at_least <= len(ids) <= N
        assert set(ids) <= {f"doc-{i}" for i in range(N)}
    finally:
        idx.close()


def test_sigkill_midway_then_rerun(store):
    _check_partial(store, _kill_after(store, 300))
    _check_partial(store, _kill_after(store, 1200))
    done = subprocess.run(_cmd(store), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "done" in done.stdout, done.stderr[-2000:]

    idx = open_index(store.uri, backend=store.name, **store.opts)
    try:
        want = [f"doc-{i}" for i in range(N)]
        ids = idx.ids()
        assert len(ids) == N and sorted(ids) == sorted(want)
        assert idx.count() == N
        assert idx.fingerprint == FINGERPRINT
        recs = {r.id: r for r in idx.get(want)}
        assert len(recs) == N
        for i in range(N):
            r = recs[f"doc-{i}"]
            np.testing.assert_array_equal(r.vector, vector(i))
            assert r.metadata == {"i": i}
        assert idx.search(vector(1234), topk=1)[0].ids == ["doc-1234"]
    finally:
        idx.close()
