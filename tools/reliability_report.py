"""The full fault-corpus run (``make reliability``): 10,000+ broken, odd and good items through the
decoders, every named pipeline and the vector stores, on the local engine and on Ray.

Writes ``bench/results/<date>-reliability.md`` (+ ``.json``) -- items per kind, and per run: items,
processed, reported, crashes, hangs, unreported failures, good items lost -- and exits 1 when any of the
last four is not zero. The report is rewritten after every run, so a run that kills the process (a
native crash) still leaves what came before it.

Usage: ``python tools/reliability_report.py [--items 10000] [--seed 0] [--no-ray] [--out DIR]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # bench._harness (machine description)
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("OPENCV_LOG_LEVEL", "OFF")  # every corrupt file would print a C++ error line

import numpy as np  # noqa: E402

from junco.testing.fault_corpus import (  # noqa: E402
    FaultCase,
    NoCache,
    Tally,
    decoder_view,
    make_audio_corpus,
    make_corpus,
    make_video_corpus,
    mutations,
    run_bounded,
    tally,
    text_cases,
    text_variants,
    vector_cases,
)

RUN_TIMEOUT_S = 600.0  # per run: a run past this is a hang


def _vector_check(dim: int | None, unit: bool) -> Any:
    def check(case: FaultCase, rows: list[Any]) -> str | None:
        for r in rows:
            v = np.asarray(getattr(r, "vec", r), np.float32)
            if v.ndim != 1 or (dim is not None and v.shape[0] != dim) or not np.isfinite(v).all():
                return f"bad vector: shape {v.shape}"
            if unit and abs(float(np.linalg.norm(v)) - 1) > 1e-3:
                return f"not unit length ({float(np.linalg.norm(v)):.4f})"
        return None
    return check


def _image_check(case: FaultCase, rows: list[Any]) -> str | None:
    (img,) = rows
    if not (img.ndim == 3 and img.shape[2] == 3 and img.dtype == np.uint8 and min(img.shape) >= 1):
        return f"bad image {img.shape} {img.dtype}"
    return None


def _audio_check(case: FaultCase, rows: list[Any]) -> str | None:
    (clip,) = rows
    s = clip.samples
    return None if s.ndim == 1 and len(s) and np.isfinite(s).all() else f"bad clip {s.shape}"


def _frames_check(case: FaultCase, rows: list[Any]) -> str | None:
    if not rows:
        return "no frames and no error"
    return None if all(f.frame.ndim == 3 and f.frame.dtype == np.uint8 for f in rows) else "bad frame"


class Runner:
    """Runs (name, engine, pipeline, cases) and keeps the tallies; rewrites the report after each."""

    def __init__(self, out: Path, meta: dict[str, Any]):
        self.out, self.meta = out, meta
        self.runs: list[dict[str, Any]] = []
        self.kinds: dict[str, Counter[str]] = {"items": Counter(), "processed": Counter(), "reported": Counter()}
        self.total = Tally()

    def run(self, name: str, engine: str, build: Any, cases: list[FaultCase], *, rows: str = "one",
            check: Any = None, make_input: Any = None, kinds: bool = False) -> None:
        """One pipeline over ``cases`` on ``engine``; ``kinds``: this run feeds the items-per-kind table."""
        t0 = time.perf_counter()
        row: dict[str, Any] = {"run": name, "engine": engine, "items": len(cases)}
        try:
            p = build()
            if engine == "ray":
                from junco.engine.ray import RayEngine

                p.set_engine(RayEngine(cache=NoCache(), block_size=64))
            else:
                from junco.engine import LocalEngine

                p.set_engine(LocalEngine(cache=NoCache()))
            inputs = [make_input(c) if make_input else c.input for c in cases]
            status, res = run_bounded(lambda: p.batch(inputs, ids=[c.path for c in cases]), RUN_TIMEOUT_S)
        except Exception as e:  # building the pipeline failed: count it as a crash of this run
            status, res = "crash", e
        t = Tally()
        if status == "ok":
            t = tally(cases, res, res.report.errors, check=check, rows_per_item=rows)
        elif status == "hang":
            t.hangs = 1
        else:
            t.crashes = 1
            row["crash"] = f"{type(res).__name__}: {res}"
        row.update(processed=sum(t.processed.values()), reported=sum(t.reported.values()), crashes=t.crashes,
                   hangs=t.hangs, unreported=len(t.unreported), good_lost=len(t.good_lost),
                   unreadable=len(t.unreadable), seconds=round(time.perf_counter() - t0, 1),
                   reasons=dict(t.reasons.most_common(6)), examples=(t.unreported + t.good_lost + t.unreadable)[:5])
        if kinds and status == "ok":
            for k in ("items", "processed", "reported"):
                self.kinds[k].update(getattr(t, k))
        self.total.merge(t)
        self.runs.append(row)
        print(f"{name:<44} {engine:<5} {row['items']:>6} items {row['processed']:>6} ok {row['reported']:>6} "
              f"reported  crash {t.crashes} hang {t.hangs} unreported {len(t.unreported)} "
              f"lost {len(t.good_lost)}  {row['seconds']:.1f}s", flush=True)
        for ex in row["examples"]:
            print("    !", ex[:300], flush=True)
        self.write()

    def write(self) -> None:
        stamp = self.meta["date"]
        bad = {k: sum(r[k] for r in self.runs) for k in ("crashes", "hangs", "unreported", "good_lost", "unreadable")}
        tried = sum(r["items"] for r in self.runs)
        distinct = sum(self.kinds["items"].values())
        lines = [f"# reliability ({stamp})", "",
                 "machine: " + ", ".join(f"{k}={v}" for k, v in self.meta["machine"].items()), "",
                 f"`make reliability` (`tools/reliability_report.py --items {self.meta['items']} "
                 f"--seed {self.meta['seed']}`): **{distinct:,} distinct corpus items**, "
                 f"**{tried:,} item-runs** over {len(self.runs)} runs (pipeline x engine), "
                 f"{self.meta.get('load', '')} at the end; {self.meta.get('seconds', '?')} s in all"
                 + (f", Ray start-up {self.meta['ray_start_s']} s" if "ray_start_s" in self.meta else "") + ".", "",
                 "| must be 0 | crashes | hangs | unreported failures | good items lost | unreadable reasons |",
                 "|---|---:|---:|---:|---:|---:|",
                 f"| **total** | {bad['crashes']} | {bad['hangs']} | {bad['unreported']} | {bad['good_lost']} | "
                 f"{bad['unreadable']} |", "",
                 "## Runs (how many items went through each pipeline on each engine)", "",
                 "| run | engine | items | processed | reported (error rows) | crashes | hangs | unreported | "
                 "good lost | seconds | top reasons |",
                 "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
        for r in self.runs:
            reasons = ", ".join(f"{k} {v}" for k, v in r["reasons"].items())
            lines.append(f"| {r['run']} | {r['engine']} | {r['items']:,} | {r['processed']:,} | {r['reported']:,} | "
                         f"{r['crashes']} | {r['hangs']} | {r['unreported']} | {r['good_lost']} | {r['seconds']} | "
                         f"{reasons} |")
        lines += ["", "## Items per kind (decoders for files, text-embedding for texts, the exact store "
                  "for vectors; local engine)", "",
                  "| kind | items | processed | reported |", "|---|---:|---:|---:|"]
        for k in sorted(self.kinds["items"]):
            lines.append(f"| {k} | {self.kinds['items'][k]:,} | {self.kinds['processed'][k]:,} | "
                         f"{self.kinds['reported'][k]:,} |")
        problems = [f"- {r['run']} ({r['engine']}): {ex}" for r in self.runs for ex in r["examples"]]
        problems += [f"- {r['run']} ({r['engine']}): crash: {r['crash']}" for r in self.runs if r.get("crash")]
        if problems:
            lines += ["", "## Problems", ""] + problems
        lines += ["", "Kinds: `good-*` / `good-copy-*` must be processed; `cut-*`, `flip-*`, `insert-*`, "
                  "`delete-*`, `header-*` are seeded corruptions (either outcome is right, but it must be one "
                  "of them: a vector or an error row with a reason); the named faults (empty, truncated, "
                  "NaN, ...) are described in `junco.testing.fault_corpus`."]
        self.out.mkdir(parents=True, exist_ok=True)
        (self.out / f"{stamp}-reliability.md").write_text("\n".join(lines) + "\n")
        data = {"meta": self.meta, "totals": bad, "distinct_items": distinct, "item_runs": tried, "runs": self.runs,
                "kinds": {k: dict(v) for k, v in self.kinds.items()}}
        (self.out / f"{stamp}-reliability.json").write_text(json.dumps(data, indent=2, default=str))

    @property
    def ok(self) -> bool:
        return all(r[k] == 0 for r in self.runs for k in ("crashes", "hangs", "unreported", "good_lost", "unreadable"))


def _sample(cases: list[FaultCase], n: int, seed: int) -> list[FaultCase]:
    """``n`` items: every named fault / control first, then seeded variants."""
    if n >= len(cases):
        return list(cases)
    rng = np.random.default_rng(seed)
    idx = sorted(rng.choice(len(cases), n, replace=False).tolist())
    return [cases[i] for i in idx]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=10_000, help="distinct corpus items (default 10,000)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-ray", action="store_true", help="skip the Ray engine runs")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results"))
    ap.add_argument("--model-share", type=float, default=1.0,
                    help="scale the item counts that go through the heavy models (0.1 for a quick look)")
    args = ap.parse_args(argv)

    from bench._harness import load_line, machine

    from junco import ops, pipe, pipeline
    from junco.index import open_index

    work = Path(tempfile.mkdtemp(prefix="junco-reliability-"))
    os.environ.setdefault("JUNCO_CACHE_DIR", str(work / "cache"))
    meta: dict[str, Any] = {"date": dt.date.today().isoformat(), "items": args.items, "seed": args.seed,
                            "machine": machine()}
    r = Runner(Path(args.out), meta)
    n = args.items
    share = args.model_share

    def m(k: int) -> int:
        return max(10, int(k * share))

    # -- the corpus: named faults + seeded variants, ~60% images, 15% audio, 5% video, 12% text, 8% vectors
    t0 = time.perf_counter()
    img_named = make_corpus(work / "image")
    aud_named = make_audio_corpus(work / "audio")
    vid_named = make_video_corpus(work / "video")
    n_img, n_aud, n_vid = int(n * 0.6), int(n * 0.15), int(n * 0.05)
    n_txt = int(n * 0.12)
    n_vec_sets = max(1, -(-(n - n_img - n_aud - n_vid - n_txt) // 14))  # 14 cases per set, rounded up
    # seeds under 400 kB keep 6,000 image decodes cheap (every good and odd-but-valid file but the largest)
    small = [c for c in img_named if c.expect_ok and os.path.getsize(c.path) < 400_000]
    images = img_named + mutations(small, work / "image_var", n_img - len(img_named), seed=args.seed)
    audio = aud_named + mutations(aud_named, work / "audio_var", n_aud - len(aud_named), seed=args.seed)
    video = vid_named + mutations(vid_named, work / "video_var", n_vid - len(vid_named), seed=args.seed)
    texts = text_cases() + text_variants(n_txt - len(text_cases()), seed=args.seed)
    DIM = 32
    vectors = [c for s in range(n_vec_sets) for c in vector_cases(DIM, seed=args.seed + s, n_good=4)]
    print(f"corpus: {len(images)} images, {len(audio)} audio, {len(video)} video, {len(texts)} texts, "
          f"{len(vectors)} vectors ({time.perf_counter() - t0:.1f}s)", flush=True)

    def decode_pipe(op: Any) -> Any:
        return lambda: pipe.input("path").map("path", "out", op).output("out")

    # -- decoders over every file (the light pipelines), local engine
    r.run("image-decode/cv2", "local", decode_pipe(ops.image_decode.cv2()), images, check=_image_check, kinds=True)
    r.run("image-decode/pil", "local", decode_pipe(ops.image_decode.pil()), images, check=_image_check)
    r.run("audio-decode/auto", "local", decode_pipe(ops.audio_decode.auto(sample_rate=16000)), decoder_view(audio),
          check=_audio_check, kinds=True)
    r.run("video-decode/av", "local",
          lambda: pipe.input("path").flat_map("path", ("frame", "ts"), ops.video_decode.av(max_frames=4))
          .output("frame", "ts"), video, rows="any", check=_frames_check, kinds=True)

    # -- the named pipelines: name, build, items, rows per item, vector dim, unit length,
    #    then (items, sample seed) on the local engine and on Ray (fewer: Ray reloads models in its actors)
    named = [
        ("text-embedding", lambda: pipeline("text-embedding"), texts, "one", 384, True, (None, 0), (600, 9)),
        ("image-embedding", lambda: pipeline("image-embedding"), images, "one", 1280, True, (1500, 1), (300, 10)),
        ("text-image-embedding [image]", lambda: pipeline("text-image-embedding", model="bridge"), images, "one",
         384, True, (300, 2), (100, 11)),
        ("text-image-embedding [text]", lambda: pipeline("text-image-embedding", model="bridge", modality="text"),
         texts, "one", 384, True, (500, 3), (200, 12)),
        ("face-embedding", lambda: pipeline("face-embedding"), images, "any", 128, False, (300, 4), (100, 13)),
        ("audio-embedding", lambda: pipeline("audio-embedding"), audio, "one", 256, True, (400, 5), (150, 14)),
        ("video-embedding", lambda: pipeline("video-embedding", max_frames=4), video, "one", 1280, True,
         (150, 6), (60, 15)),
    ]

    def named_runs(engine: str) -> None:
        for name, build, items, rows, dim, unit, on_local, on_ray in named:
            size, seed = on_local if engine == "local" else on_ray
            cases = items if size is None else _sample(items, m(size), seed)
            r.run(name, engine, build, cases, rows=rows, check=_vector_check(dim, unit),
                  kinds=engine == "local" and name == "text-embedding")

    named_runs("local")

    # -- vectors: normalize, then each store (a per-row check; the store must hold only the good rows)
    for backend in ("exact", "faiss", "milvus"):
        uri = {"exact": None, "faiss": f"faiss://{work}/faiss", "milvus": str(work / "vectors.db")}[backend]

        def build(uri: Any = uri, backend: str = backend) -> Any:
            idx = open_index(uri, dim=DIM, metric="cosine", backend=backend)
            build.index = idx  # type: ignore[attr-defined]
            return (pipe.input("id", "vec").map("vec", "vec", ops.vector.normalize())
                    .map(("id", "vec"), "id", ops.index.insert(uri=idx)).output("id"))

        r.run(f"vectors normalize + {backend} store", "local", build, vectors, make_input=lambda c: (c.path, c.value),
              kinds=backend == "exact")
        idx = getattr(build, "index", None)
        if idx is not None:
            good = {c.path for c in vectors if c.expect_ok}
            stored = set(idx.ids())
            if stored != good:
                r.runs[-1]["unreported"] += len(stored ^ good)
                r.runs[-1]["examples"].append(f"store holds {len(stored)} ids, expected the {len(good)} good ones")
                r.write()
            idx.close()

    # -- the same pipelines on Ray (fewer model items: a Ray run reloads the models in its actors)
    if not args.no_ray:
        from junco.engine.ray import _runtime

        t = time.perf_counter()
        _runtime.ensure("local", num_cpus=os.cpu_count() or 2)
        meta["ray_start_s"] = round(time.perf_counter() - t, 1)
        r.run("image-decode/cv2", "ray", decode_pipe(ops.image_decode.cv2()), _sample(images, 3000, 7),
              check=_image_check)
        r.run("audio-decode/auto", "ray", decode_pipe(ops.audio_decode.auto(sample_rate=16000)),
              decoder_view(_sample(audio, 500, 8)), check=_audio_check)
        named_runs("ray")
        # each actor writes its own in-memory store: the per-row refusals are what this run checks
        r.run("vectors normalize + exact store", "ray",
              lambda: (pipe.input("id", "vec").map("vec", "vec", ops.vector.normalize())
                       .map(("id", "vec"), "id", ops.index.insert(uri="memory://reliability-ray", dim=DIM))
                       .output("id")), vectors, make_input=lambda c: (c.path, c.value))
        _runtime.shutdown()

    meta["load"] = "load average " + load_line().split(" ", 2)[-1]
    meta["seconds"] = round(time.perf_counter() - t0, 1)
    r.write()
    print(f"\nwrote {args.out}/{meta['date']}-reliability.md: "
          + ("all zero" if r.ok else "PROBLEMS (see the report)") + f", {meta['seconds']}s", flush=True)
    return 0 if r.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
