"""Embedding throughput: the named pipelines end to end next to the bare batched model, one run.

Images: ``pipeline("image-embedding", backend=...)`` on JPEG files (decode -> model preprocessing ->
embed -> normalize) against the same operator's bare batched forward on tensors preprocessed
beforehand, for torch and onnxruntime, runs alternating (A B A B ...). Text: ``pipeline("text-embedding")``
against ``SentenceTransformer.encode`` on the same sentences. The engine's output cache is off, so every
run computes.

Run: ``python -m bench.embed [--images 300] [--sentences 1000] [--repeats 3]`` (0 leaves a part out).
"""

from __future__ import annotations

import argparse
import inspect
import re
import tempfile
from typing import Any

import junco  # noqa: F401  (first: its import hook lets torchvision load before any model library)
from bench._harness import in_thread, interleave, write


def measure(cases: dict[str, Any], *, repeats: int, units: int, unit: str) -> list[dict[str, Any]]:
    """Run the cases interleaved (A B A B ..., after one warm-up each); wall and process CPU time.

    CPU time (all threads of this process) is reported next to wall time because the benchmark machine
    may be shared: throughput per CPU-second is what the code costs, whatever else is running.
    """
    import statistics

    wall, cpu = interleave(cases, repeats=repeats)
    rows = []
    for name in cases:
        med = statistics.median(wall[name])
        rows.append({"case": name, "median_s": med, "min_s": min(wall[name]), "max_s": max(wall[name]),
                     "throughput": units / med, "cpu_s": statistics.median(cpu[name]),
                     "per_cpu_s": units / statistics.median(cpu[name]), "unit": unit})
    return rows


def table(title: str, rows: list[dict[str, Any]]) -> str:
    """Markdown: wall median and spread, throughput, CPU seconds and throughput per CPU-second."""
    lines = [f"### {title}", "", "| case | median s | spread (min-max) s | throughput | CPU s | per CPU-second |",
             "|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['case']} | {r['median_s']:.3f} | {r['min_s']:.3f}-{r['max_s']:.3f} | "
                     f"{r['throughput']:,.1f} {r['unit']} | {r['cpu_s']:.2f} | {r['per_cpu_s']:,.1f} |")
    return "\n".join(lines)


def _load() -> str:
    import os

    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def sentences(n: int) -> list[str]:
    """``n`` real English sentences of varied length: the standard library's docstrings, split."""
    import collections
    import email
    import json
    import logging
    import os
    import pathlib
    import subprocess
    import threading

    seen: dict[str, None] = {}
    for mod in (os, json, logging, collections, pathlib, subprocess, threading, email, inspect, re, argparse):
        for _, obj in inspect.getmembers(mod):
            doc = inspect.getdoc(obj) or ""
            for s in re.split(r"(?<=[.!?])\s+", " ".join(doc.split())):
                if 20 <= len(s) <= 400:
                    seen.setdefault(s)
    out = list(seen)
    if not out:
        raise RuntimeError("no sentences found")
    return (out * (n // len(out) + 1))[:n]


def _bare_forward(op: Any, rows: list[Any], batch: int) -> Any:
    """The operator's model on batches collated beforehand (decode and preprocessing not timed)."""
    import numpy as np
    import torch

    def collate(items: list[Any]) -> Any:
        return torch.from_numpy(np.stack(items)) if isinstance(items[0], np.ndarray) else torch.stack(items)

    stacked = [collate(rows[i:i + batch]) for i in range(0, len(rows), batch)]

    def run() -> None:
        for x in stacked:
            op.run(x)

    return run


def _engine() -> Any:
    """The local engine with the output cache off (batched model operators cache by default)."""
    from bench.engines import NoCache
    from junco.engine import LocalEngine

    return LocalEngine(cache=NoCache())


def bench_images(n: int, repeats: int) -> tuple[list[str], dict[str, Any]]:
    from bench.engines import make_images
    from junco import ops, pipeline

    sections, data = [], {}
    with tempfile.TemporaryDirectory() as folder:
        paths = make_images(folder, n)
        decode = ops.image_decode.cv2()
        cases, per_backend = {}, {}
        for backend in ("torch", "onnxruntime"):
            p = pipeline("image-embedding", backend=backend, engine=_engine())
            op = p.plan.steps[1].fn
            op.setup()
            tensors = [op.preprocess(decode(x)) for x in paths]

            def e2e(p: Any = p) -> None:
                res = p.batch(paths)
                assert not res.errors, res.report.summary()

            cases[f"{backend}: pipeline, files -> vectors"] = e2e
            cases[f"{backend}: bare batched forward"] = _bare_forward(op, tensors, op.batch_size)
            per_backend[backend] = op
        load0 = _load()
        rows = measure(cases, repeats=repeats, units=len(paths), unit="img/s")
    sections.append(table(f"image-embedding (efficientnet-lite0) over {n} JPEGs (160-480 px), batch 32", rows))
    by = {r["case"]: r for r in rows}
    lines = [f"- machine {load0} before, {_load()} after (shared machine: see the CPU-time columns)"]
    for backend, op in per_backend.items():
        e2e, bare = by[f"{backend}: pipeline, files -> vectors"], by[f"{backend}: bare batched forward"]
        lines.append(f"- {backend}: pipeline **{e2e['throughput']:.1f} img/s**, bare forward "
                     f"**{bare['throughput']:.1f} img/s**, ratio **{e2e['throughput'] / bare['throughput']:.2f}x** "
                     f"(per CPU-second: {e2e['per_cpu_s'] / bare['per_cpu_s']:.2f}x)"
                     + (f"; onnx vs torch max diff {op.onnx_max_diff:.1e}" if op.onnx_max_diff is not None else ""))
    best = max(per_backend, key=lambda b: by[f"{b}: bare batched forward"]["throughput"])
    lines.append(f"- fastest backend: {best}")
    sections.append("\n".join(lines))
    data["image"] = {"rows": rows}
    return sections, data


def bench_text(n: int, repeats: int) -> tuple[list[str], dict[str, Any]]:
    import numpy as np
    from sentence_transformers import SentenceTransformer

    from junco import models, pipeline

    texts = sentences(n)
    st = SentenceTransformer(str(models.PACKAGED["all-MiniLM-L6-v2"].find()), device="cpu")
    pipes = {b: pipeline("text-embedding", backend=b, engine=_engine()) for b in ("torch", "onnxruntime")}
    out: dict[str, Any] = {}

    def run(backend: str) -> None:
        res = pipes[backend].batch(texts)
        assert not res.errors, res.report.summary()
        out[backend] = res

    def encode() -> None:
        out["st"] = st.encode(texts, batch_size=32)

    load0 = _load()
    # every case on a fresh worker thread, as the engine runs its forward (see bench._harness.in_thread)
    rows = measure({"sentence_transformers.encode (torch)": in_thread(encode),
                    "torch: pipeline": in_thread(lambda: run("torch")),
                    "onnxruntime: pipeline": in_thread(lambda: run("onnxruntime"))},
                   repeats=repeats, units=len(texts), unit="sent/s")
    diff = max(float(np.abs(np.stack([r[0] for r in out[b]]) - out["st"]).max()) for b in pipes)
    words = sum(len(t.split()) for t in texts) / len(texts)
    sections = [table(f"text-embedding (all-MiniLM-L6-v2) over {n} sentences (mean {words:.0f} words)", rows)]
    base = rows[0]
    sections.append("\n".join([f"- machine {load0} before, {_load()} after; every case timed on a fresh worker "
                                "thread (bench._harness.in_thread)"] + [
        f"- {r['case']}: **{r['throughput']:.0f} sent/s**, {r['throughput'] / base['throughput']:.2f}x of encode "
        f"(per CPU-second: {r['per_cpu_s'] / base['per_cpu_s']:.2f}x)" for r in rows[1:]])
                    + f"\n- largest difference from encode's vectors: {diff:.1e}")
    return sections, {"text": {"rows": rows, "max_abs_diff": diff}}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=300)
    ap.add_argument("--sentences", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    sections, data = bench_images(args.images, args.repeats) if args.images > 0 else ([], {})
    s2, d2 = bench_text(args.sentences, args.repeats) if args.sentences > 0 else ([], {})
    write("embed", sections + s2, {**data, **d2})
    return {**data, **d2}


if __name__ == "__main__":
    main()
