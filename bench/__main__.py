"""`python -m bench` (`make bench`): run every benchmark, print ONE summary table, write one results file.

Each benchmark runs in its own Python process (a crash, a hung runtime or a memory peak in one cannot
touch the others) with sizes chosen so the default run takes < 15 minutes on 2 cores; ``--full`` runs
the larger sizes (and ``train_semi``). Every benchmark alternates its compared commands (A B A B ...)
and reports medians and spreads. The combined ``bench/results/<date>-<machine>.md`` + ``.json`` holds
the machine (CPU, cores, GPU, library versions, load average), the summary table (the key ratio per
comparison), each benchmark's own tables, and the notes of ``bench/NOTES.md`` on where junco loses and
why. ``--only NAME ...`` runs a subset; ``--out DIR`` writes elsewhere (the tests use it).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import importlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench._harness import RESULTS, load_line, machine, slug

# name -> (default arguments, --full arguments)
PLAN: dict[str, tuple[list[str], list[str]]] = {
    "overhead": (["--rows", "200000", "--repeats", "3"], ["--rows", "1000000", "--repeats", "5"]),
    "memory": ([], ["--full"]),
    "image_peers": (["--images", "96", "--repeats", "4"], ["--images", "300", "--repeats", "5"]),
    "embed": (["--images", "0", "--sentences", "400", "--repeats", "3"],
              ["--images", "300", "--sentences", "1000", "--repeats", "3"]),
    "search": (["--n", "20000", "--real-n", "10000", "--queries", "500", "--encode-budget", "90"], []),
    "engines": (["--images", "64", "--repeats", "2", "--rows", "100000"], []),
    "serve": (["--images", "64", "--requests", "96", "--seconds", "10", "--repeats", "2"], []),
    "modalities": (["--clips", "4", "--videos", "2", "--faces", "4", "--repeats", "2"], []),
    "gpu": ([], []),
}
FULL_ONLY: dict[str, list[str]] = {"train_semi": []}
TINY: dict[str, list[str]] = {  # --tiny: seconds, for the harness's own test
    "overhead": ["--rows", "2000", "--repeats", "2"],
    "memory": ["--sizes", "1000,5000"],
    "gpu": [],
}


def _fmt_pct(x: float) -> str:
    return f"{x:.2f}x"


def _overhead(d: Any) -> list[dict[str, str]]:
    rows = {r["case"]: r for r in d}
    base = rows["plain python loop"]
    return [{"comparison": f"per-row overhead: {k} vs plain Python loop (map + filter)",
             "result": f"{r['throughput']:,.0f} vs {base['throughput']:,.0f} rows/s",
             "ratio": f"{r['median_s'] / base['median_s']:.2f}x time"}
            for k, r in rows.items() if k != "plain python loop"]


def _embed(d: Any) -> list[dict[str, str]]:
    out = []
    if "text" in d:
        rows = d["text"]["rows"]
        base = rows[0]
        for r in rows[1:]:
            out.append({"comparison": f"text: junco {r['case']} vs sentence_transformers.encode",
                        "result": f"{r['throughput']:.0f} vs {base['throughput']:.0f} sent/s",
                        "ratio": _fmt_pct(r["throughput"] / base["throughput"])})
    if "image" in d:
        by = {r["case"]: r for r in d["image"]["rows"]}
        for b in ("torch", "onnxruntime"):
            e, f = by[f"{b}: pipeline, files -> vectors"], by[f"{b}: bare batched forward"]
            out.append({"comparison": f"image ({b}): junco pipeline vs bare batched forward",
                        "result": f"{e['throughput']:.1f} vs {f['throughput']:.1f} img/s",
                        "ratio": _fmt_pct(e["throughput"] / f["throughput"])})
    return out


def _search(d: Any) -> list[dict[str, str]]:
    from bench.search import TARGET, _best

    out = []
    for label in dict.fromkeys(r["set"] for r in d):
        rows = [r for r in d if r["set"] == label]
        # the reference: FAISS used directly, its fastest index and setting that reaches the target
        refs = [b for b in (_best(rows, "faiss HNSW32 (direct)"), _best(rows, "faiss flat (direct)")) if b]
        ref = max(refs, key=lambda b: b["qps"]) if refs else None
        for name in dict.fromkeys(r["system"] for r in rows):
            if not name.startswith("junco") or ref is None:
                continue
            b = _best(rows, name)
            short = label.split(" (")[0]
            if b is None:
                out.append({"comparison": f"search {short}: {name} vs {ref['system']}",
                            "result": f"recall@10 never >= {TARGET}", "ratio": "-"})
                continue
            out.append({"comparison": f"search {short}: {name} vs fastest FAISS direct, {ref['system']} "
                                      f"{ref['setting']} (recall@10 >= {TARGET})",
                        "result": f"{b['qps']:,.0f} vs {ref['qps']:,.0f} q/s at recall {b['recall@10']:.3f} / "
                                  f"{ref['recall@10']:.3f}",
                        "ratio": _fmt_pct(b["qps"] / ref["qps"])})
    return out


def _engines(d: Any) -> list[dict[str, str]]:
    out = []
    if "image" in d:
        local, ray = d["image"]["rows"][0], d["image"]["rows"][1]
        out.append({"comparison": "engines: Ray engine vs local engine (image-embedding)",
                    "result": f"{ray['throughput']:.1f} vs {local['throughput']:.1f} img/s",
                    "ratio": _fmt_pct(ray["throughput"] / local["throughput"])})
    if "python" in d:
        local, ray = d["python"][0], d["python"][1]
        out.append({"comparison": "engines: Ray engine vs local engine (pure Python map + filter)",
                    "result": f"{ray['throughput']:,.0f} vs {local['throughput']:,.0f} rows/s",
                    "ratio": _fmt_pct(ray["throughput"] / local["throughput"])})
    return out


def _serve(d: Any) -> list[dict[str, str]]:
    on = [r for r in d["load"] if r["mode"].startswith("batching on")]
    best = max(on, key=lambda r: r["clients"])
    return [{"comparison": f"serve: single-image requests, batching on, {best['clients']} clients vs offline batch",
             "result": f"{best['req_per_s']:.1f} req/s, p99 {best['p99_ms']:.0f} ms",
             "ratio": _fmt_pct(best["vs_offline"])}]


def _modalities(d: Any) -> list[dict[str, str]]:
    out = []
    for key, what in (("audio", "audio (Resemblyzer)"), ("video", "video (frames)"), ("face", "face (dlib)")):
        rows = (d.get(key) or {}).get("rows") if isinstance(d.get(key), dict) else None
        if rows and len(rows) > 1:
            out.append({"comparison": f"{what}: junco pipeline vs bare batched forward",
                        "result": f"{rows[0]['throughput']:.1f} vs {rows[1]['throughput']:.1f} {rows[0]['unit']}",
                        "ratio": _fmt_pct(rows[0]["throughput"] / rows[1]["throughput"])})
    return out


def _train_semi(d: Any) -> list[dict[str, str]]:
    return [{"comparison": "train_semi: semi-supervised recipes (see its table)", "result": "done", "ratio": "-"}]


SUMMARIES: dict[str, Callable[[Any], list[dict[str, str]]]] = {
    "overhead": _overhead, "embed": _embed, "search": _search, "engines": _engines, "serve": _serve,
    "modalities": _modalities, "train_semi": _train_semi,
}


def summarize(name: str, data: Any) -> list[dict[str, str]]:
    """The summary rows of one benchmark's written data (its own ``summary()`` or one above)."""
    fn = SUMMARIES.get(name) or getattr(importlib.import_module(f"bench.{name}"), "summary", None)
    if fn is None:
        return [{"comparison": name, "result": "done", "ratio": "-"}]
    return fn(data)


def run_one(name: str, args: list[str], timeout: float) -> dict[str, Any]:
    """Run ``python -m bench.<name> ARGS`` in a fresh process; its sections and data, or why it failed."""
    root = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory() as tmp:
        collect = os.path.join(tmp, "out.json")
        env = {**os.environ, "JUNCO_BENCH_COLLECT": collect, "TQDM_DISABLE": "1"}
        t = time.perf_counter()
        try:
            proc = subprocess.run([sys.executable, "-m", f"bench.{name}", *args], cwd=root, env=env,
                                  timeout=timeout, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            rc, tail = proc.returncode, proc.stdout[-3000:]
        except subprocess.TimeoutExpired as e:
            got = e.stdout or ""
            got = got.decode("utf-8", "replace") if isinstance(got, bytes) else got
            rc, tail = -1, got[-2000:] + f"\ntimed out after {timeout:.0f} s"
        seconds = time.perf_counter() - t
        if rc == 0 and os.path.exists(collect):
            got = json.loads(Path(collect).read_text())
            return {"name": name, "status": "ok", "seconds": seconds, "args": args,
                    "sections": got["sections"], "data": got["data"]}
    last = [ln for ln in tail.strip().splitlines() if ln.strip()][-1:] or ["no output"]
    return {"name": name, "status": f"failed (rc {rc}): {last[0][:300]}", "seconds": seconds, "args": args,
            "sections": [f"```\n{tail[-2500:]}\n```"], "data": None}


def summary_table(results: list[dict[str, Any]]) -> str:
    lines = ["| benchmark | comparison | result | key ratio |", "|---|---|---|---|"]
    for r in results:
        if r["status"] != "ok":
            lines.append(f"| {r['name']} | - | {r['status']} | - |")
            continue
        try:
            rows = summarize(r["name"], r["data"])
        except Exception as e:  # noqa: BLE001 - a summary bug must not hide the numbers
            rows = [{"comparison": "(summary failed)", "result": f"{type(e).__name__}: {e}", "ratio": "-"}]
        r["summary"] = rows
        for s in rows:
            lines.append(f"| {r['name']} | {s['comparison']} | {s['result']} | {s['ratio']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", nargs="*", help="benchmark modules to run")
    ap.add_argument("--full", action="store_true", help="larger sizes, and the long benchmarks")
    ap.add_argument("--tiny", action="store_true", help="seconds-long smoke sizes (the harness's own test)")
    ap.add_argument("--out", type=Path, default=RESULTS, help="folder for the results files")
    ap.add_argument("--timeout", type=float, default=1800.0, help="most seconds per benchmark")
    args = ap.parse_args(argv)
    names = args.only or (list(TINY) if args.tiny else list(PLAN) + (list(FULL_ONLY) if args.full else []))
    unknown = [n for n in names if n not in PLAN and n not in FULL_ONLY]
    if unknown:
        ap.error(f"unknown benchmark(s) {unknown}; choose from {list(PLAN) + list(FULL_ONLY)}")
    t0 = time.perf_counter()
    load0 = load_line()
    results = []
    for name in names:
        if args.tiny:
            bargs = TINY.get(name, [])
        else:
            default, full = PLAN.get(name, (FULL_ONLY.get(name, []), FULL_ONLY.get(name, [])))
            bargs = full if args.full else default
        print(f"== {name} {' '.join(bargs)}", flush=True)
        r = run_one(name, bargs, args.timeout)
        print(f"== {name}: {r['status']} in {r['seconds']:.0f} s", flush=True)
        results.append(r)
    total = time.perf_counter() - t0
    m = machine()
    m["load_before"], m["load_after"] = load0, load_line()
    stamp = _dt.date.today().isoformat()
    mode = "full" if args.full else "tiny" if args.tiny else "default"
    table = summary_table(results)
    notes_file = Path(__file__).resolve().parent / "NOTES.md"
    notes = notes_file.read_text() if notes_file.exists() and not args.tiny else ""
    head = [f"# junco benchmarks, {stamp}, {slug(m)} ({mode} sizes, {total / 60:.1f} min)", "",
            "machine: " + ", ".join(f"{k}={v}" for k, v in m.items()), "",
            "The machine may be shared with other jobs (see the load averages): compare the ratios, which "
            "come from runs alternated A B A B, rather than absolute numbers.", "", "## Summary", "", table, "",
            "| benchmark | seconds | status | arguments |", "|---|---:|---|---|"]
    head += [f"| {r['name']} | {r['seconds']:.0f} | {r['status']} | `{' '.join(r['args'])}` |" for r in results]
    body = []
    for r in results:
        body += [f"## {r['name']}", "", "\n\n".join(r["sections"]), ""]
    text = "\n".join(head + [""] + ([notes, ""] if notes else []) + body)
    print("\n" + table + "\n")
    args.out.mkdir(parents=True, exist_ok=True)
    suffix = "" if mode == "default" else f"-{mode}"
    md = args.out / f"{stamp}-{slug(m)}{suffix}.md"
    md.write_text(text)
    md.with_suffix(".json").write_text(json.dumps(
        {"machine": m, "mode": mode, "seconds": total,
         "results": [{k: r.get(k) for k in ("name", "status", "seconds", "args", "summary", "data")}
                     for r in results]}, indent=2, default=str))
    print(f"wrote {md} and {md.with_suffix('.json').name} ({total / 60:.1f} min)")
    return 0 if all(r["status"] == "ok" for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
