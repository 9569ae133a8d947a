"""The benchmark harness itself (bench/), on tiny sizes, so `make bench` cannot silently rot.

Runs the real ``python -m bench --tiny`` (per-row overhead, streaming memory in fresh processes, the
GPU benchmark's detection) into a temporary folder and checks the one summary table and the two files,
plus the alternation and failure isolation of the harness.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench import __main__ as bench_main  # noqa: E402
from bench import _harness  # noqa: E402


def test_compare_alternates_cases_and_reports_ratios():
    calls: list[str] = []
    rows = _harness.compare({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")},
                            repeats=3, units=10, unit="rows/s")
    assert calls == ["a", "b"] * 4  # one warm-up each, then A B A B A B
    assert [r["case"] for r in rows] == ["a", "b"]
    for r in rows:
        assert r["min_s"] <= r["median_s"] <= r["max_s"]
        assert r["throughput"] == pytest.approx(10 / r["median_s"])
    assert rows[0]["time_vs_first"] == 1.0


def test_settle_pauses_after_a_case_without_timing_the_pause():
    import time

    starts: dict[str, list[float]] = {"ray": [], "next": []}
    cases = {"ray": lambda: starts["ray"].append(time.perf_counter()),
             "next": lambda: starts["next"].append(time.perf_counter())}
    wall, cpu = _harness.interleave(cases, repeats=2, settle={"ray": 0.2})
    assert all(t < 0.1 for t in wall["ray"])  # the pause is not charged to the case that left work behind
    assert all(n - r >= 0.2 for r, n in zip(starts["ray"], starts["next"]))  # ... nor to the next one
    assert len(wall["ray"]) == len(cpu["next"]) == 2


def test_in_thread_runs_each_call_on_a_fresh_thread_and_reraises():
    import threading

    seen: list[int] = []
    fn = _harness.in_thread(lambda: seen.append(threading.get_ident()) or len(seen))
    assert fn() == 1 and fn() == 2
    assert threading.get_ident() not in seen

    def boom() -> None:
        raise ValueError("bad row")

    with pytest.raises(ValueError, match="bad row"):
        _harness.in_thread(boom)()


def test_machine_slug_has_no_hostname():
    assert _harness.slug({"cores": 2, "gpu": "none"}) == "2core-cpu"
    assert _harness.slug({"cores": 16, "gpu": "NVIDIA H100 80GB HBM3"}) == "16core-gpu-h100"
    assert _harness.slug({"cores": 8, "gpu": "NVIDIA A100-SXM4-40GB"}) == "8core-gpu-a100"
    info = _harness.machine()
    assert info["cores"] == os.cpu_count() and "numpy" in info and "gpu" in info
    assert os.uname().nodename not in _harness.slug(info)


def test_a_failing_benchmark_is_reported_not_fatal():
    got = bench_main.run_one("no_such_benchmark", [], timeout=60)
    assert got["status"].startswith("failed (rc 1)") and "No module named" in got["status"]
    table = bench_main.summary_table([got])
    assert "no_such_benchmark" in table and "failed" in table


def test_unknown_benchmark_name_is_a_clear_error(capsys):
    with pytest.raises(SystemExit):
        bench_main.main(["--only", "nope"])
    assert "unknown benchmark" in capsys.readouterr().err


def test_tiny_run_writes_one_summary_and_both_files(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "bench", "--tiny", "--out", str(tmp_path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    mds = list(tmp_path.glob("*-tiny.md"))
    assert len(mds) == 1 and re.fullmatch(r"\d{4}-\d\d-\d\d-\d+core-(cpu|gpu-\w+)-tiny\.md", mds[0].name)
    text = mds[0].read_text()
    assert "machine: " in text and "load average" in text and "## Summary" in text
    summary = text.split("## Summary", 1)[1].split("| benchmark | seconds |", 1)[0]
    # one row per comparison, each with a number in its key-ratio column
    overhead = [ln for ln in summary.splitlines() if ln.startswith("| overhead |")]
    assert len(overhead) == 2 and all(re.search(r"\| \d+\.\d\dx time \|$", ln) for ln in overhead)
    memory = [ln for ln in summary.splitlines() if ln.startswith("| memory |")]
    assert len(memory) == 2 and all("MiB" in ln for ln in memory)
    gpu = [ln for ln in summary.splitlines() if ln.startswith("| gpu |")]
    assert len(gpu) == 1
    data = json.loads(mds[0].with_suffix(".json").read_text())
    assert data["mode"] == "tiny" and data["machine"]["cores"] == os.cpu_count()
    by = {r["name"]: r for r in data["results"]}
    assert set(by) == {"overhead", "memory", "gpu"} and all(r["status"] == "ok" for r in by.values())
    import torch

    if torch.cuda.is_available():
        assert by["gpu"]["data"]["status"] == "ok"
    else:
        assert by["gpu"]["data"]["status"] == "skipped: no GPU" and "skipped: no GPU" in gpu[0]
    # the memory rows are real measurements from separate processes, and the stream stays flat
    mem = by["memory"]["data"]
    assert {r["rows"] for r in mem["rows"]} == {1000, 5000}
    assert all(r["peak_mb"] > 5 for r in mem["rows"])
    assert mem["verdict"]["junco pipe.stream"]["flat"]
    # the summary printed to stdout is the same table
    assert overhead[0] in proc.stdout
