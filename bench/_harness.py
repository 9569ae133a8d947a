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
    for mod in ("numpy", "torch", "timm", "onnxruntime", "sentence_transformers", "faiss", "pymilvus", "ray"):
        try:
            m = __import__(mod)
            info[mod] = getattr(m, "__version__", "?")
        except Exception:
            pass
    try:
        import torch

        info["gpu"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"
    except Exception:
        info["gpu"] = "unknown"
    return info


def compare(cases: dict[str, Callable[[], Any]], *, repeats: int = 5, units: float = 1.0,
            unit: str = "items/s", warmup: bool = True) -> list[dict[str, Any]]:
    """Time each case ``repeats`` times, interleaved; return rows with median/spread throughput.

    Args:
        cases: name -> zero-argument callable doing the whole job once.
        units: items processed per call (for throughput).
    """
    if warmup:
        for fn in cases.values():
            fn()
    times: dict[str, list[float]] = {k: [] for k in cases}
    for _ in range(repeats):
        for name, fn in cases.items():
            t = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t)
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


def write(name: str, sections: list[str], data: Any) -> Path:
    """Print and write ``bench/results/<date>-<name>.md`` and ``.json`` with the machine described."""
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
