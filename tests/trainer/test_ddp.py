"""DDP through torchrun: two CPU processes (Gloo) train one model; rank 0 alone writes."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def test_torchrun_two_processes_agree(tmp_path):
    torchrun = Path(sys.executable).with_name("torchrun")
    if not torchrun.exists() and shutil.which("torchrun") is None:
        pytest.skip("torchrun not installed")
    script = Path(__file__).with_name("_ddp_script.py")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}
    out = subprocess.run([str(torchrun if torchrun.exists() else "torchrun"), "--nproc_per_node=2",
                          "--master_port=29571", str(script), str(tmp_path / "run")],
                         capture_output=True, text=True, timeout=300, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    rows = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    assert sorted(r["rank"] for r in rows) == [0, 1]
    assert rows[0]["steps"] == rows[1]["steps"] == 20  # 320 items / (16 x 2 ranks) x 2 epochs
    assert rows[0]["wsum"] == pytest.approx(rows[1]["wsum"])  # gradients were averaged: same weights
    assert (tmp_path / "run" / "metrics.csv").is_file()
