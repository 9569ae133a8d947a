"""Side-by-side timing: alternate the compared commands (A B A B ...), report median, spread, ratios."""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"


def machine() -> dict[str, Any]:
    """CPU, cores, GPU and library versions of this machine."""
    info: dict[str, Any] = {"python": platform.python_version(), "platform": platform.platform(),
                            "cores": os.cpu_count()}
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from importlib.metadata import PackageNotFoundError, version

    for mod, dist in (("numpy", "numpy"), ("torch", "torch"), ("timm", "timm"), ("onnxruntime", "onnxruntime"),
                      ("sentence_transformers", "sentence-transformers"), ("faiss", "faiss-cpu"),
                      ("pymilvus", "pymilvus"), ("ray", "ray"), ("datasets", "datasets"), ("junco", "junco")):
        try:  # installed versions from the metadata: no heavy imports
            info[mod] = version(dist)
        except PackageNotFoundError:
            pass
    towhee = sorted(RESULTS.parent.glob(".venv-towhee/lib/python*/site-packages/towhee-*.dist-info"))
    info["towhee (bench/.venv-towhee)"] = towhee[-1].name[len("towhee-"):-len(".dist-info")] if towhee else "not installed"
    try:
        import torch

        info["gpu"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"
    except Exception:
        info["gpu"] = "unknown"
    return info


def in_thread(fn: Callable[[], Any]) -> Callable[[], Any]:
    """``fn`` run on a fresh thread per call (exceptions re-raised here), returning its result.

    The image and text benchmarks time every in-process case this way, because junco's engine and
    Towhee run their model forward on worker threads, and on a loaded machine torch's OpenMP forward
    measured up to 5x slower on the main thread than on a worker thread (same process, same call):
    timing everyone on a worker thread compares the frameworks, not that artifact.
    """
    import threading

    def run() -> Any:
        box: dict[str, Any] = {}

        def target() -> None:
            try:
                box["out"] = fn()
            except BaseException as e:  # noqa: BLE001 - handed back to the caller
                box["err"] = e

        t = threading.Thread(target=target, name="bench-case")
        t.start()
        t.join()
        if "err" in box:
            raise box["err"]
        return box.get("out")

    return run


def interleave(cases: dict[str, Callable[[], Any]], *, repeats: int, warmup: bool = True,
               settle: dict[str, float] | None = None) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Run the cases alternated (one warm-up each, then A B C ... ``repeats`` times).

    ``settle`` gives cases that leave work behind (Ray tears its actor processes down after the call
    returns) seconds of untimed pause afterwards, so that work is not charged to the next case.

    Returns:
        ``(wall, cpu)``: seconds per run for each case. CPU is this process's (all threads) unless the
        case returns a float: its own CPU seconds (e.g. measured in a worker process).
    """
    settle = settle or {}
    if warmup:
        for name, fn in cases.items():
            fn()
            time.sleep(settle.get(name, 0.0))
    wall: dict[str, list[float]] = {k: [] for k in cases}
    cpu: dict[str, list[float]] = {k: [] for k in cases}
    for _ in range(repeats):
        for name, fn in cases.items():
            t, c = time.perf_counter(), time.process_time()
            got = fn()
            wall[name].append(time.perf_counter() - t)
            cpu[name].append(float(got) if isinstance(got, float) else time.process_time() - c)
            time.sleep(settle.get(name, 0.0))
    return wall, cpu


def compare(cases: dict[str, Callable[[], Any]], *, repeats: int = 5, units: float = 1.0,
            unit: str = "items/s", warmup: bool = True) -> list[dict[str, Any]]:
    """Time each case ``repeats`` times, interleaved; return rows with median/spread throughput.

    Args:
        cases: name -> zero-argument callable doing the whole job once.
        units: items processed per call (for throughput).
    """
    times, _ = interleave(cases, repeats=repeats, warmup=warmup)
    rows = []
    base = None
    for name, ts in times.items():
        med = statistics.median(ts)
        row = {"case": name, "median_s": med, "min_s": min(ts), "max_s": max(ts),
               "throughput": units / med if med > 0 else float("inf"), "unit": unit}
        if base is None:
            base = med
        row["time_vs_first"] = med / base if base else float("nan")
        rows.append(row)
    return rows


def table(title: str, rows: list[dict[str, Any]]) -> str:
    """A markdown table of :func:`compare` rows."""
    lines = [f"### {title}", "", "| case | median s | spread (min-max) s | throughput | time vs first |",
             "|---|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['case']} | {r['median_s']:.4f} | {r['min_s']:.4f}-{r['max_s']:.4f} | "
                     f"{r['throughput']:,.0f} {r['unit']} | {r['time_vs_first']:.2f}x |")
    return "\n".join(lines)


def load_line() -> str:
    """``"load average 1.2 0.8 0.5"``: the 1/5/15-minute load (the bench machine may be shared)."""
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def slug(info: dict[str, Any] | None = None) -> str:
    """A short, hostname-free name for this machine: ``2core-cpu``, ``16core-gpu-h100``.

    Args:
        info: what :func:`machine` returns (default: this machine).

    Example:
        >>> slug({"cores": 2, "gpu": "none"})
        '2core-cpu'
    """
    info = machine() if info is None else info
    gpu = str(info.get("gpu", "none"))
    if gpu in ("none", "unknown", ""):
        return f"{info.get('cores', '?')}core-cpu"
    words = gpu.split()
    model = next((w for w in words if any(c.isdigit() for c in w)), words[-1]).split("-")[0]
    return f"{info.get('cores', '?')}core-gpu-" + "".join(c for c in model.lower() if c.isalnum())


def write(name: str, sections: list[str], data: Any) -> Path:
    """Print and write ``bench/results/<date>-<name>.md`` and ``.json`` with the machine described.

    Under ``python -m bench`` (which runs each benchmark in its own process with ``JUNCO_BENCH_COLLECT``
    set to a file) the sections and data go to that file, for the one combined results file.
    """
    collect = os.environ.get("JUNCO_BENCH_COLLECT")
    if collect:
        print("\n\n".join(sections), flush=True)
        Path(collect).write_text(json.dumps({"name": name, "sections": sections, "data": data}, default=str))
        return Path(collect)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = _dt.date.today().isoformat()
    m = machine()
    head = f"# {name} ({stamp})\n\nmachine: " + ", ".join(f"{k}={v}" for k, v in m.items())
    text = head + "\n\n" + "\n\n".join(sections) + "\n"
    print(text)
    md = RESULTS / f"{stamp}-{name}.md"
    md.write_text(text)
    (RESULTS / f"{stamp}-{name}.json").write_text(json.dumps({"machine": m, "results": data}, indent=2,
                                                             default=str))
    return md


def start_ray() -> float:
    """Start a local Ray runtime from this (main) thread; returns the seconds it took.

    Started here rather than through ``junco.engine.ray`` so the benchmark does not depend on how the
    engine starts Ray; junco's engine then finds Ray initialised and uses it. Workers get the driver's
    import path (so ``bench`` modules unpickle there). Stop it with ``ray.shutdown()``.
    """
    import sys

    import ray

    t = time.perf_counter()
    if not ray.is_initialized():
        paths = [p for p in sys.path if p and os.path.isdir(p)]
        ray.init(address="local", include_dashboard=False, logging_level="WARNING",
                 runtime_env={"env_vars": {"PYTHONPATH": os.pathsep.join(paths)}})
    return time.perf_counter() - t
