"""A real uvicorn server under real concurrency: batching, isolation, the CLI's `junco serve`, and the
packaged text model end to end."""

import asyncio
import os
import signal
import subprocess
import sys
import time

import httpx
import numpy as np
import pytest
from serve_toys import ToyText, colour_model, free_port, png, running, text_model

from junco import ops, pipe
from junco.serve import Batching, Limits, Service, create_app


async def _blast(url: str, n: int, concurrency: int, make) -> list[httpx.Response]:
    sem = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=httpx.Limits(max_connections=concurrency)) as c:
        async def one(i):
            async with sem:
                return await make(c, i)

        return await asyncio.gather(*(one(i) for i in range(n)))


@pytest.mark.parametrize("max_batch", [32, 1])
def test_concurrent_requests_are_batched_together(max_batch):
    model, op = text_model(ToyText(delay=0.05))  # a model call costs 50 ms, whatever its size
    svc = Service(model, batching=Batching(max_batch_size=max_batch, max_wait_s=0.005))
    with running(create_app(svc)) as url:
        op.batches.clear()
        n = 96 if max_batch > 1 else 32
        rs = asyncio.run(_blast(url, n, 32, lambda c, i: c.post("/embed", json={"text": "a" * (i % 7 + 1)})))
        assert all(r.status_code == 200 for r in rs)
        assert [r.json()["results"][0]["vector"][0] for r in rs] == [float(i % 7 + 1) for i in range(n)]
        if max_batch == 1:
            assert op.batches == [1] * n
        else:  # requests that arrive while the model runs go together into the next call
            assert max(op.batches) >= 4 and len(op.batches) <= n // 3, op.batches
        metrics = httpx.get(url + "/metrics").text
        assert f"junco_batch_size_sum {n}" in metrics


def test_bad_requests_in_a_crowd_never_wedge_the_batch_or_the_server():
    svc = Service(colour_model(), batching=Batching(max_batch_size=16, max_wait_s=0.01),
                  limits=Limits(max_image_pixels=10_000_000))
    bad = {
        0: lambda c: c.post("/embed", content=png(size=(1, 1)), headers={"content-type": "image/png"}),
        1: lambda c: c.post("/embed", content=png()[:50], headers={"content-type": "image/png"}),
        2: lambda c: c.post("/embed", content=b'{"image": ', headers={"content-type": "application/json"}),
        3: lambda c: c.post("/embed", json={"text": "mauve"}),
    }

    async def make(c, i):
        if i % 8 in bad:
            return await bad[i % 8](c)
        colour = [(240, 0, 0), (0, 240, 0), (0, 0, 240)][i % 3]
        return await c.post("/embed", content=png(colour), headers={"content-type": "image/png"})

    with running(create_app(svc)) as url:
        rs = asyncio.run(_blast(url, 96, 24, make))
        for i, r in enumerate(rs):
            if i % 8 in bad:
                assert 400 <= r.status_code < 500 and r.json()["error"], (i, r.text)
            else:
                assert r.status_code == 200, (i, r.text)
                assert int(np.argmax(r.json()["results"][0]["vector"])) == i % 3
        assert httpx.get(url + "/health").json()["status"] == "ok"


def test_a_request_past_its_deadline_is_dropped_from_the_queue_not_computed():
    model, op = text_model(ToyText(delay=0.4))
    svc = Service(model, batching=Batching(max_batch_size=1, max_wait_s=0.0))

    async def go(url):
        async with httpx.AsyncClient(base_url=url, timeout=30) as c:
            first = asyncio.ensure_future(c.post("/embed", json={"text": "first"}))
            await asyncio.sleep(0.1)  # the model is busy with "first" for 0.4 s
            late = await c.post("/embed", json={"text": "late"}, headers={"X-Timeout": "0.1"})
            return (await first), late

    with running(create_app(svc)) as url:
        first, late = asyncio.run(go(url))
        assert first.status_code == 200
        assert late.status_code == 504 and "deadline" in late.json()["error"]
        time.sleep(0.5)
        assert "late" not in op.seen and "first" in op.seen
        metrics = httpx.get(url + "/metrics").text
        assert 'junco_items_total{outcome="dropped_abandoned"} 1' in metrics


def test_junco_serve_command_end_to_end_with_a_persistent_store(tmp_path):
    spec = tmp_path / "norm.json"
    pipe.input("x").map("x", "v", ops.vector.normalize()).output("v").save(spec)
    store = f"exact://{tmp_path / 'store'}"

    def start():
        port = free_port()
        proc = subprocess.Popen([sys.executable, "-m", "junco", "serve", str(spec), "--index", store,
                                 "--modality", "json", "--port", str(port), "-q"],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        url = f"http://127.0.0.1:{port}"
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if httpx.get(url + "/health", timeout=2).status_code == 200:
                    return proc, url
            except httpx.HTTPError:
                pass
            if proc.poll() is not None:
                raise AssertionError(proc.stdout.read())
            time.sleep(0.1)
        proc.kill()
        raise AssertionError("junco serve did not become healthy")

    def stop(proc):
        proc.send_signal(signal.SIGINT)
        assert proc.wait(20) == 0, proc.stdout.read()

    proc, url = start()
    try:
        r = httpx.post(url + "/insert", json={"items": [{"id": "x", "input": [3, 0]}, {"id": "y", "input": [0, 5]},
                                                        {"id": "z", "input": [1, 1]}]})
        assert r.status_code == 200 and r.json()["written"] == 3, r.text
        r = httpx.post(url + "/embed", json={"input": [3, 4]})
        assert np.allclose(r.json()["results"][0]["vector"], [0.6, 0.8])
        assert httpx.post(url + "/search", json={"vector": [0.1, 1], "k": 1}).json()["hits"][0]["id"] == "y"
    finally:
        stop(proc)
    proc, url = start()  # a restart finds the store as it was
    try:
        info = httpx.get(url + "/info").json()
        assert info["index"]["count"] == 3
        assert httpx.post(url + "/search", json={"vector": [1, 0.1], "k": 1}).json()["hits"][0]["id"] == "x"
    finally:
        stop(proc)


def test_unknown_pipeline_fails_fast_with_close_names():
    r = subprocess.run([sys.executable, "-m", "junco", "serve", "text-embeding", "--port", str(free_port())],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "text-embedding" in r.stderr


def _text_pipeline_available() -> bool:
    try:
        from junco.pipeline import list_pipelines

        return "text-embedding" in list_pipelines() and os.environ.get("JUNCO_SKIP_MODELS") != "1"
    except Exception:
        return False


@pytest.mark.skipif(not _text_pipeline_available(), reason="the packaged text model is not installed")
def test_packaged_text_model_served_for_real(tmp_path):
    from junco.index import open_index
    from junco.serve import ServedModel

    model = ServedModel.from_name("text-embedding", backend="torch")
    svc = Service(model, index=open_index(f"memory://text-{tmp_path.name}"))
    with running(create_app(svc)) as url:
        health = httpx.get(url + "/health").json()
        assert health["status"] == "ok" and health["dim"] == 384
        docs = {"cat": "a cat sleeps on the sofa", "market": "stock prices fell sharply today",
                "rain": "heavy rain is expected tomorrow"}
        r = httpx.post(url + "/insert", json={"items": [{"id": k, "text": v} for k, v in docs.items()]}, timeout=60)
        assert r.json()["written"] == 3, r.text
        queries = {"a kitten napping on the couch": "cat", "the shares dropped": "market", "wet weather soon": "rain"}
        for q, want in queries.items():
            hits = httpx.post(url + "/search", json={"text": q, "k": 3}, timeout=60).json()["hits"]
            assert hits[0]["id"] == want, (q, hits)
        rs = asyncio.run(_blast(url, 32, 16, lambda c, i: c.post("/embed", json={"text": f"sentence {i}"})))
        vecs = np.array([r.json()["results"][0]["vector"] for r in rs])
        assert vecs.shape == (32, 384) and np.allclose(np.linalg.norm(vecs, axis=1), 1, atol=1e-4)
