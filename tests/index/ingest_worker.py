"""An ingest that test_resume.py kills with SIGKILL and runs again: batches of add() + save().

Usage: python ingest_worker.py URI BACKEND OPTS_JSON N BATCH
"""

from __future__ import annotations

import json
import sys

import numpy as np

from junco.index import open_index

DIM = 32
FINGERPRINT = {"model": "worker-test", "weights": "0123abcd", "layer": "pool"}


def vector(i: int) -> np.ndarray:
    """Row ``i``'s vector: the same in every run, so a re-run re-adds identical rows."""
    return np.random.default_rng(i).standard_normal(DIM).astype(np.float32)


def main() -> None:
    uri, backend, opts, n, batch = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    idx = open_index(uri, backend=backend, dim=DIM, metric="L2", fingerprint=FINGERPRINT, **opts)
    for s in range(0, n, batch):
        rows = range(s, min(n, s + batch))
        idx.add([f"doc-{i}" for i in rows], np.stack([vector(i) for i in rows]), [{"i": i} for i in rows])
        idx.save()
        print(f"saved {rows[-1] + 1}", flush=True)
    idx.close()
    print("done", flush=True)


if __name__ == "__main__":
    main()
