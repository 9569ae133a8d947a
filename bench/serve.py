"""Serving throughput: single-image embed requests over loopback vs the offline batched pipeline.

Starts ``junco serve <pipeline>`` twice (dynamic batching on: max batch 32; off: max batch 1) and drives
each with 1, 8 and 32 concurrent async HTTP clients sending one JPEG per request, bounded in count and
time. Reports requests/s, p50 / p99 latency and the mean batch size the server formed, beside the
offline ``pipeline.batch(...)`` rate on the same model and images. Aim: with batching, 32 clients reach
>= 0.8x the offline rate.

Run: ``python -m bench.serve [--pipeline image-embedding] [--requests 256] [--seconds 30]``.
The load generator shares the machine's cores with the server, as a client on the same host would.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
from typing import Any

from bench._harness import compare, table, write


def images(n: int, seed: int = 0) -> list[bytes]:
    """``n`` distinct JPEGs (crops and scales of scikit-image's sample photos, or noise without it)."""
    import cv2
    import numpy as np

    rng = np.random.default_rng(seed)
    bases = []
    try:
        import skimage.data

        bases = [getattr(skimage.data, name)() for name in ("chelsea", "coffee", "astronaut", "rocket")]
        bases = [b if b.ndim == 3 else np.stack([b] * 3, -1) for b in bases]
    except Exception:  # noqa: BLE001 - any photo will do
        bases = [rng.integers(0, 255, (400, 500, 3), dtype=np.uint8)]
    out = []
    for i in range(n):
        b = bases[i % len(bases)]
        h, w = b.shape[:2]
        y, x = rng.integers(0, h // 4), rng.integers(0, w // 4)
        crop = b[y:y + 3 * h // 4, x:x + 3 * w // 4]
        side = int(rng.integers(224, 400))
        crop = cv2.resize(crop, (side, side * crop.shape[0] // crop.shape[1]))
        ok, buf = cv2.imencode(".jpg", crop[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, 90])
        out.append(buf.tobytes())
    return out


def offline(name: str, data: list[bytes], repeats: int, label: str) -> dict[str, Any]:
    """The offline batched pipeline on the same images (disk cache off, as in the service), timed in a
    fresh process so the server under test never shares one with it."""
    code = ("import json, sys; from bench.serve import _offline_child; "
            f"print(json.dumps(_offline_child({name!r}, {len(data)}, {repeats})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "TQDM_DISABLE": "1"}, cwd=os.path.dirname(os.path.dirname(__file__)))
    row = json.loads(out.stdout.strip().splitlines()[-1])
    row["case"] = label
    return row


def _offline_child(name: str, n: int, repeats: int) -> dict[str, Any]:
    from junco.serve import ServedModel

    data = images(n)
    model = ServedModel.from_name(name)
    p = model.encoders["image"]
    model.warmup()
    return compare({"offline": lambda: p.batch(data)}, repeats=repeats, units=len(data), unit="img/s")[0]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``junco serve`` in a subprocess, stopped with SIGINT."""

    def __init__(self, name: str, max_batch: int):
        import httpx

        self.port = _port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "junco", "serve", name, "--port", str(self.port), "--max-batch-size",
             str(max_batch), "--max-wait-ms", "5", "--log-level", "error", "-q"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 300
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"junco serve exited: {self.proc.stderr.read()}")
            try:
                if httpx.get(self.url + "/health", timeout=30).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("junco serve did not become healthy in 300 s")

    def batch_stats(self) -> tuple[float, float]:
        import httpx

        text = httpx.get(self.url + "/metrics").text
        s = re.search(r"^junco_batch_size_sum (\S+)$", text, re.M)
        c = re.search(r"^junco_batch_size_count (\S+)$", text, re.M)
        return (float(s.group(1)) if s else 0.0), (float(c.group(1)) if c else 0.0)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


async def load(url: str, data: list[bytes], clients: int, requests: int, seconds: float) -> dict[str, Any]:
    """``clients`` concurrent clients, each sending one image per request until ``requests`` are done or
    ``seconds`` have passed."""
    import httpx

    lat: list[float] = []
    errors = 0
    sent = 0
    stop_at = time.perf_counter() + seconds
    async with httpx.AsyncClient(base_url=url, timeout=60,
                                 limits=httpx.Limits(max_connections=clients)) as c:
        async def client() -> None:
            nonlocal sent, errors
            while sent < requests and time.perf_counter() < stop_at:
                i = sent
                sent += 1
                t = time.perf_counter()
                r = await c.post("/embed", content=data[i % len(data)], headers={"content-type": "image/jpeg"})
                lat.append(time.perf_counter() - t)
                errors += r.status_code != 200

        t0 = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        wall = time.perf_counter() - t0
    lat.sort()
    return {"requests": len(lat), "errors": errors, "seconds": wall, "req_per_s": len(lat) / wall,
            "p50_ms": 1000 * statistics.median(lat), "p99_ms": 1000 * lat[min(len(lat) - 1, int(0.99 * len(lat)))]}


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pipeline", default="image-embedding")
    ap.add_argument("--images", type=int, default=128, help="distinct JPEGs to send")
    ap.add_argument("--requests", type=int, default=256, help="most requests per case")
    ap.add_argument("--seconds", type=float, default=30.0, help="most seconds per case")
    ap.add_argument("--clients", default="1,8,32")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    os.environ.setdefault("TQDM_DISABLE", "1")
    print(f"offline rate, then the server under load (load average now {os.getloadavg()[0]:.1f})", flush=True)
    data = images(args.images)
    base = [offline(args.pipeline, data, args.repeats, "offline pipeline.batch (before)")]
    rows: list[dict[str, Any]] = []
    for label, max_batch in (("batching on (max 32)", 32), ("batching off", 1)):
        server = Server(args.pipeline, max_batch)
        try:
            asyncio.run(load(server.url, data, 4, 16, 30))  # warm-up
            for clients in [int(c) for c in args.clients.split(",")]:
                n = args.requests if clients > 1 else max(32, args.requests // 4)
                s0, c0 = server.batch_stats()
                r = asyncio.run(load(server.url, data, clients, n, args.seconds))
                s1, c1 = server.batch_stats()
                r.update(mode=label, clients=clients, mean_batch=(s1 - s0) / max(c1 - c0, 1))
                rows.append(r)
                print(f"{label:>22} {clients:>3} clients: {r['req_per_s']:7.1f} req/s  p50 {r['p50_ms']:7.1f} ms  "
                      f"p99 {r['p99_ms']:7.1f} ms  batch {r['mean_batch']:5.1f}", flush=True)
        finally:
            server.stop()
    base.append(offline(args.pipeline, data, args.repeats, "offline pipeline.batch (after)"))
    base[1]["time_vs_first"] = base[1]["median_s"] / base[0]["median_s"]
    offline_rate = statistics.mean(b["throughput"] for b in base)  # the load drifts: use both ends
    for r in rows:
        r["vs_offline"] = r["req_per_s"] / offline_rate
    lines = [f"### single-image embed requests, {args.pipeline}, over loopback (offline: "
             f"{offline_rate:,.1f} img/s)", "",
             "| mode | clients | requests | req/s | p50 ms | p99 ms | mean batch | vs offline | errors |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['mode']} | {r['clients']} | {r['requests']} | {r['req_per_s']:.1f} | {r['p50_ms']:.1f} | "
                     f"{r['p99_ms']:.1f} | {r['mean_batch']:.1f} | {r['vs_offline']:.2f}x | {r['errors']} |")
    best = max((r for r in rows if r["mode"].startswith("batching on")), key=lambda r: r["clients"])
    verdict = (f"Aim: batching on, 32 clients >= 0.8x offline. Measured at {best['clients']} clients: "
               f"{best['vs_offline']:.2f}x "
               f"({'met' if best['vs_offline'] >= 0.8 else 'NOT met'}). Load average at the end: "
               f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (the machine is shared; the client runs "
               "on the same cores as the server).")
    write("serve", [table(f"offline batched pipeline, {len(data)} JPEGs (before and after the load runs)", base),
                    "\n".join(lines), verdict],
          {"offline": base, "load": rows})
    return rows


if __name__ == "__main__":
    main()
