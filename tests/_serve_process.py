"""A real ``junco serve`` process on 127.0.0.1 for the security and load tests: start, wait, sample, stop."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    proc: subprocess.Popen
    log_path: str

    @property
    def pid(self) -> int:
        return self.proc.pid

    def rss_mb(self) -> float:
        """The server process's resident memory (``VmRSS``), in MiB."""
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        raise RuntimeError(f"no VmRSS for pid {self.pid}")

    def log(self) -> str:
        with open(self.log_path, errors="replace") as f:
            return f.read()[-5000:]


@contextlib.contextmanager
def junco_serve(args: list[str], log_path: str, *, ready: tuple[int, ...] = (200,), start_timeout: float = 180,
                env: dict[str, str] | None = None) -> Iterator[Server]:
    """Run ``python -m junco serve ARGS --port P`` until ``/health`` answers with a status in ``ready``;
    stop it with SIGINT (then SIGKILL) afterwards. The server's output goes to ``log_path``."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    full_env = {**os.environ, "OMP_NUM_THREADS": "1", **(env or {})}
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "junco", "serve", *args, "--port", str(port), "-q",
                                 "--log-level", "warning"], stdout=log, stderr=subprocess.STDOUT, env=full_env)
    server = Server(url, proc, log_path)
    try:
        deadline = time.monotonic() + start_timeout
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"junco serve exited with {proc.returncode}:\n{server.log()}")
            try:
                if httpx.get(url + "/health", timeout=10).status_code in ready:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"junco serve did not get ready in {start_timeout} s:\n{server.log()}")
            time.sleep(0.2)
        yield server
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
