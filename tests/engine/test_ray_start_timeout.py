"""Starting Ray never hangs: an address nobody answers, a listener that is not Ray, a broken loopback
interface each end in a clear RuntimeError within a bounded time.

Each case runs in its own Python process: a timed-out ``ray.init`` leaves that process's Ray state
half-built (which is the point of the guard), and the other Ray tests share this process's runtime.
"""

import json
import socket
import subprocess
import sys
import textwrap
import time

import pytest

pytest.importorskip("ray")

pytestmark = pytest.mark.timeout(120)


def _run(code: str, limit: float = 90) -> dict:
    """Run ``code`` (which prints one JSON line last) in a fresh interpreter; return that JSON."""
    script = textwrap.dedent(code) + "\nimport os, sys\nsys.stdout.flush()\nos._exit(0)\n"
    t = time.perf_counter()
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=limit)
    assert r.returncode == 0, r.stderr[-3000:]
    out = json.loads(r.stdout.strip().splitlines()[-1])
    out["process_s"] = time.perf_counter() - t
    return out


def test_an_address_that_refuses_connections_fails_at_once_naming_it():
    with socket.socket() as s:  # a port that was free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = _run(f"""
        import json, time
        from junco.engine.ray import RayEngine
        t = time.perf_counter()
        try:
            RayEngine(address="127.0.0.1:{port}", start_timeout=30).connect()
            res = {{"error": None}}
        except RuntimeError as e:
            res = {{"error": str(e)}}
        import ray
        res.update(took=time.perf_counter() - t, initialized=ray.is_initialized())
        print(json.dumps(res))
    """)
    assert out["error"] and "cannot reach the Ray cluster" in out["error"] and f"127.0.0.1:{port}" in out["error"]
    assert out["took"] < 10 and not out["initialized"]


def test_a_listener_that_never_answers_times_out_and_blocks_a_second_start():
    out = _run("""
        import json, socket, time
        from junco.engine.ray import _runtime
        srv = socket.socket()
        srv.bind(("127.0.0.1", 0))
        srv.listen(8)  # accepts TCP, never speaks Ray's protocol: ray.init alone waits for minutes
        addr = f"127.0.0.1:{srv.getsockname()[1]}"
        t = time.perf_counter()
        try:
            _runtime.ensure(addr, timeout=3)
            first = None
        except RuntimeError as e:
            first = str(e)
        took = time.perf_counter() - t
        try:
            _runtime.ensure("local", timeout=3)
            second = None
        except RuntimeError as e:
            second = str(e)
        print(json.dumps({"first": first, "second": second, "took": took, "addr": addr}))
    """)
    assert out["first"] and "did not start within 3 s" in out["first"] and out["addr"] in out["first"]
    assert "JUNCO_RAY_START_TIMEOUT" in out["first"]
    assert 2.9 < out["took"] < 8, out
    assert out["second"] and "timed out and never finished" in out["second"]


def test_a_broken_loopback_interface_is_named_before_ray_starts():
    # the network itself is outside our control: loopback connections fail as they do with `lo` down
    out = _run("""
        import errno, json, socket, time
        def down(*a, **k):
            raise OSError(errno.ENETUNREACH, "Network is unreachable")
        socket.create_connection = down
        from junco.engine.ray import _runtime
        import ray
        t = time.perf_counter()
        try:
            _runtime.ensure("local", num_cpus=1, timeout=60)
            err = None
        except RuntimeError as e:
            err = str(e)
        print(json.dumps({"error": err, "took": time.perf_counter() - t, "initialized": ray.is_initialized()}))
    """)
    assert out["error"] and "loopback" in out["error"] and "Network is unreachable" in out["error"]
    assert out["took"] < 5 and not out["initialized"]


def test_the_timeout_setting_is_checked(monkeypatch):
    from junco.engine.ray import _runtime

    assert _runtime.start_timeout(2.5) == 2.5
    monkeypatch.setenv("JUNCO_RAY_START_TIMEOUT", "7")
    assert _runtime.start_timeout() == 7.0
    monkeypatch.setenv("JUNCO_RAY_START_TIMEOUT", "soon")
    with pytest.raises(ValueError, match="JUNCO_RAY_START_TIMEOUT"):
        _runtime.start_timeout()
    with pytest.raises(ValueError, match="> 0"):
        _runtime.start_timeout(0)
    assert _runtime._host_port("ray://head.example:10001") == ("head.example", 10001)
    assert _runtime._host_port("auto") is None
