"""On a 1-CPU Ray runtime a task stage and a model actor pool must both get scheduled (it used to hang)."""

import subprocess
import sys
from pathlib import Path

import pytest

JOB = Path(__file__).with_name("ray_one_cpu_job.py")


@pytest.mark.ray
def test_task_stage_and_actor_pool_fit_on_one_cpu():
    pytest.importorskip("ray")
    try:  # its own 1-CPU runtime in a fresh process, beside any runtime this session holds
        out = subprocess.run([sys.executable, str(JOB)], capture_output=True, text=True, timeout=150)
    except subprocess.TimeoutExpired:
        pytest.fail("a map + batched operator pipeline on a 1-CPU Ray runtime did not finish in 150 s")
    assert "RESULT True" in out.stdout, out.stdout[-2000:] + out.stderr[-3000:]
