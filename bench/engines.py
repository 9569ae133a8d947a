"""The image-embedding job on the local engine and on the Ray engine, side by side in one run.

Writes a few hundred JPEGs cut from scikit-image's sample photos, embeds them with the packaged model
(``pipeline("image-embedding")``) on both engines (alternating runs, caches off so both really compute),
checks that the vectors agree, and prints img/s for each and the ratio. A small pure-Python job shows
the engines' fixed per-run costs. Every Ray run includes building its actor pool (each actor loads the
model once), as a real job does; Ray's own start-up is timed separately.

Run: ``python -m bench.engines [--images 300] [--repeats 3] [--actors N]``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from typing import Any

from bench._harness import compare, start_ray, table, write


class NoCache:
    """A cache that never hits: both engines compute every row on every run."""

    def get_many(self, keys: list[str]) -> dict[str, Any]:
        return {}

    def put_many(self, items: dict[str, Any]) -> None:
        pass


def make_images(folder: str, n: int, seed: int = 0) -> list[str]:
    """``n`` distinct JPEGs (random crops of the sample photos, 160-480 px a side) in ``folder``."""
    import glob

    import cv2
    import numpy as np
    import skimage.data

    src = sorted(glob.glob(os.path.join(os.path.dirname(skimage.data.__file__), "*.png")))
    photos = [im for im in (cv2.imread(p, cv2.IMREAD_COLOR) for p in src) if im is not None
              and min(im.shape[:2]) >= 128]
    rng = np.random.default_rng(seed)
    paths = []
    for i in range(n):
        im = photos[i % len(photos)]
        h, w = im.shape[:2]
        ch, cw = int(rng.integers(h // 2, h + 1)), int(rng.integers(w // 2, w + 1))
        y, x = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
        side = int(rng.integers(160, 481))
        crop = cv2.resize(im[y:y + ch, x:x + cw], (side, side * ch // cw or 1))
        path = os.path.join(folder, f"img{i:05d}.jpg")
        cv2.imwrite(path, crop, [cv2.IMWRITE_JPEG_QUALITY, 90])
        paths.append(path)
    return paths


def _check_same(a: Any, b: Any) -> float:
    import numpy as np

    assert [len(r) for r in a] == [len(r) for r in b], "the engines returned different rows"
    return max(float(np.abs(x - y).max()) for ra, rb in zip(a, b) for x, y in zip(ra, rb))


def _nodes(report: Any) -> str:
    return ", ".join(f"{s.name.split(':', 1)[-1]} {s.seconds:.2f}s" for s in report.nodes.values())


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=300)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--actors", type=int, default=None, help="Ray actors for the model (default: CPUs)")
    ap.add_argument("--rows", type=int, default=200_000, help="rows of the pure-Python job")
    args = ap.parse_args(argv)

    import ray

    from junco import pipe, pipeline
    from junco.engine import LocalEngine
    from junco.engine.ray import RayEngine

    ray_start = start_ray()  # from the main thread (see bench._harness.start_ray)
    ray_engine = RayEngine(cache=NoCache(), actors=args.actors)
    ray_engine.connect()
    local_engine = LocalEngine(cache=NoCache())
    sections, data = [], {"ray_start_s": ray_start}
    try:
        with tempfile.TemporaryDirectory() as folder:
            paths = make_images(folder, args.images)
            p = pipeline("image-embedding")
            out: dict[str, Any] = {}

            def run(engine: Any) -> None:
                p.set_engine(engine)
                res = p.batch(paths)
                assert not res.errors, res.report.summary()
                out[engine.name] = res

            rows = compare({"local engine": lambda: run(local_engine), "ray engine": lambda: run(ray_engine)},
                           repeats=args.repeats, units=len(paths), unit="img/s")
            diff = _check_same(out["local"], out["ray"])
            local_ips, ray_ips = rows[0]["throughput"], rows[1]["throughput"]
            sections.append(table(f"image-embedding ({p.plan.steps[1].name.split(':', 1)[-1]}) over "
                                  f"{len(paths)} JPEGs, caches off", rows))
            sections.append(
                f"- local: **{local_ips:.1f} img/s**, ray: **{ray_ips:.1f} img/s**, ray/local = "
                f"**{ray_ips / local_ips:.2f}x**; largest vector difference {diff:.2e}\n"
                f"- Ray start-up (once per process, not in the timings): {ray_start:.1f}s\n"
                f"- load average at the end (a shared machine: other jobs compete for the cores): "
                f"{os.getloadavg()[0]:.1f}\n"
                f"- last local run, time per node: {_nodes(out['local'].report)}\n"
                f"- last Ray run, time per node (summed over workers): {_nodes(out['ray'].report)}")
            data["image"] = {"rows": rows, "max_abs_diff": diff, "ray_over_local": ray_ips / local_ips}

        q = pipe.input("x").map("x", "y", lambda x: x * 3 + 1).filter("y", "y", "y", lambda y: y % 2 == 0)
        q = q.output("y")
        n = args.rows

        def run_py(engine: Any) -> None:
            q.set_engine(engine)
            assert len(q.batch(range(n))) == n

        py = compare({"local engine": lambda: run_py(local_engine), "ray engine": lambda: run_py(ray_engine)},
                     repeats=args.repeats, units=n, unit="rows/s")
        sections.append(table(f"pure Python map + filter over {n:,} rows (per-run and per-row overhead)", py))
        data["python"] = py
    finally:
        ray.shutdown()
    write("engines", sections, data)
    return data


if __name__ == "__main__":
    main()
