"""The HTTP API through TestClient: every endpoint, every body form, and bad requests as clear 4xx."""

import base64
import struct
import zlib

import numpy as np
import pytest
from serve_toys import ToyText, colour_model, png, text_model

from junco.index import open_index
from junco.serve import Batching, Limits


def test_embed_json_texts_with_ids(client_for):
    c = client_for(text_model()[0])
    r = c.post("/embed", json={"texts": ["banana", "kiwi"], "ids": ["b", "k"]})
    assert r.status_code == 200
    body = r.json()
    assert body["results"] == [{"id": "b", "vector": [6.0, 3.0, 1.0]}, {"id": "k", "vector": [4.0, 0.0, 1.0]}]
    assert body["errors"] == []


def test_one_bad_input_fails_alone_with_its_id(client_for):
    c = client_for(text_model()[0])
    r = c.post("/embed", json={"texts": ["ok", "boom", "fine"]})
    assert r.status_code == 200
    body = r.json()
    assert [x["id"] for x in body["results"]] == [0, 2]
    assert body["errors"][0]["id"] == 1 and body["errors"][0]["status"] == 422
    assert "boom is not a word" in body["errors"][0]["error"]
    single = c.post("/embed", json={"text": "boom"})
    assert single.status_code == 422 and "boom is not a word" in single.json()["error"]


@pytest.mark.parametrize("body, ctype, status, words", [
    (b"{not json", "application/json", 400, "not valid JSON"),
    (b'["a list"]', "application/json", 422, "must be an object"),
    (b'{"txt": "typo"}', "application/json", 422, "txt: Extra inputs are not permitted"),
    (b'{"text": 3}', "application/json", 422, "text: Input should be a valid string"),
    (b"{}", "application/json", 422, "nothing to embed"),
    (b"", "application/json", 422, "empty body"),
    (b"hello", "application/xml", 415, "unsupported content type"),
    (b'{"text": "   "}', "application/json", 422, "text is empty"),
])
def test_malformed_requests_get_clear_4xx(client_for, body, ctype, status, words):
    c = client_for(text_model()[0])
    r = c.post("/embed", content=body, headers={"content-type": ctype})
    assert r.status_code == status, r.text
    assert words in r.json()["error"] and r.json()["status"] == status
    assert c.post("/embed", json={"text": "still works"}).status_code == 200


def _png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height (with a valid CRC), holding no real pixels."""
    data = bytearray(png(size=(8, 8)))
    ihdr = struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr) & 0xFFFFFFFF)
    return bytes(data)


def test_images_bad_in_every_way_get_4xx_and_never_reach_the_model(client_for):
    c = client_for(colour_model(), limits=Limits(max_image_pixels=1_000_000))
    ok = c.post("/embed", content=png((250, 0, 0)), headers={"content-type": "image/png"})
    assert ok.status_code == 200 and np.argmax(ok.json()["results"][0]["vector"]) == 0
    cases = {
        "1x1": (png(size=(1, 1)), 422, "smallest side"),
        "corrupt": (b"\x89PNG\r\n\x1a\n" + b"garbage" * 20, 422, "image"),
        "truncated": (png(size=(64, 64))[:60], 422, "image"),
        "not an image": (b"hello world", 422, "not an image in a known format"),
        "bomb": (_png_claiming(50_000, 50_000), 413, "pixels"),
    }
    for name, (data, status, words) in cases.items():
        r = c.post("/embed", content=data, headers={"content-type": "image/png"})
        assert r.status_code == status, (name, r.text)
        assert words in r.json()["error"], (name, r.json())
    r = c.post("/embed", json={"image": "%%% not base64"})
    assert r.status_code == 422 and "base64" in r.json()["error"]


def test_multipart_and_base64_uploads(client_for):
    c = client_for(colour_model())
    files = [("file", ("g.png", png((0, 230, 0)), "image/png")), ("file", ("b.png", png((0, 0, 230)), "image/png"))]
    r = c.post("/embed", files=files)
    assert r.status_code == 200
    assert [x["id"] for x in r.json()["results"]] == ["g.png", "b.png"]
    assert [int(np.argmax(x["vector"])) for x in r.json()["results"]] == [1, 2]
    b64 = "data:image/png;base64," + base64.b64encode(png((0, 0, 230))).decode()
    r = c.post("/embed", json={"images": [b64], "texts": ["blue"]})
    vecs = [x["vector"] for x in r.json()["results"]]
    assert np.allclose(np.argmax(vecs, axis=1), [2, 2])


def test_body_limit(client_for):
    c = client_for(text_model()[0], limits=Limits(max_body_bytes=1000))
    r = c.post("/embed", json={"text": "x" * 5000})
    assert r.status_code == 413 and "1,000 bytes" in r.json()["error"]

    def chunks():  # no Content-Length: the limit applies while the body streams in
        for _ in range(10):
            yield b"x" * 500

    r = c.post("/embed", content=chunks(), headers={"content-type": "text/plain"})
    assert r.status_code == 413
    assert c.post("/embed", json={"text": "small"}).status_code == 200


def test_deadline_and_timeout_header(client_for):
    model, op = text_model(ToyText(delay=0.3))
    c = client_for(model, batching=Batching(max_batch_size=1, max_wait_s=0.0))
    r = c.post("/embed", json={"text": "slow"}, headers={"X-Timeout": "0.05"})
    assert r.status_code == 504 and "deadline" in r.json()["error"]
    assert c.post("/embed", json={"text": "x"}, headers={"X-Timeout": "soon"}).status_code == 400


def test_health_is_truthful(client_for):
    model, op = text_model()
    c = client_for(model)
    r = c.get("/health")
    assert r.status_code == 200 and r.json()["status"] == "ok" and r.json()["dim"] == 3
    op.broken = True
    r = c.get("/health")
    assert r.status_code == 503 and r.json()["status"] == "fail"
    assert "model weights are gone" in r.json()["error"]
    r = c.post("/embed", json={"text": "a"})
    assert r.status_code == 500 and "RuntimeError" in r.json()["error"]  # the model's fault, not the input's


def test_metrics_count_requests_and_batches(client_for):
    c = client_for(text_model()[0])
    c.post("/embed", json={"texts": ["a", "b", "c"]})
    c.post("/embed", content=b"{", headers={"content-type": "application/json"})
    text = c.get("/metrics").text
    assert 'junco_http_requests_total{method="POST",route="/embed",status="200"} 1' in text
    assert 'junco_http_requests_total{method="POST",route="/embed",status="400"} 1' in text
    assert "junco_http_request_seconds_bucket" in text and "junco_batch_size_count" in text
    assert "# TYPE junco_batch_size histogram" in text


def test_openapi_docs_and_page(client_for):
    c = client_for(text_model()[0])
    spec = c.get("/openapi.json").json()
    assert {"/embed", "/search", "/insert", "/delete", "/health", "/metrics"} <= set(spec["paths"])
    content = spec["paths"]["/embed"]["post"]["requestBody"]["content"]
    assert {"application/json", "multipart/form-data", "image/*"} <= set(content)
    assert c.get("/docs").status_code == 200
    assert "junco search" in c.get("/").text


def test_store_insert_search_filter_delete(client_for, tmp_path):
    (tmp_path / "pics").mkdir()
    for name, col in (("red", (230, 10, 10)), ("green", (10, 230, 10)), ("blue", (10, 10, 230))):
        (tmp_path / "pics" / f"{name}.png").write_bytes(png(col))
    index = open_index(f"memory://serve-{tmp_path.name}")
    c = client_for(colour_model(), index=index, roots=(tmp_path / "pics",))
    items = [{"id": n, "path": f"{n}.png", "metadata": {"warm": n == "red"}} for n in ("red", "green", "blue")]
    items.append({"id": "bad", "path": "/etc/hostname"})
    items.append({"id": "mauve", "text": "mauve"})  # fails inside the model
    r = c.post("/insert", json={"items": items})
    assert r.status_code == 200, r.text
    errors = {e["id"]: e for e in r.json()["errors"]}
    assert r.json()["written"] == 3 and errors["bad"]["status"] == 403
    assert errors["mauve"]["status"] == 422 and "unknown colour" in errors["mauve"]["error"]
    hits = c.post("/search", json={"text": "green", "k": 2}).json()["hits"]
    assert hits[0]["id"] == "green" and hits[0]["url"].startswith("/files?path=")
    assert c.get(hits[0]["url"]).content == (tmp_path / "pics" / "green.png").read_bytes()
    up = c.post("/search", files={"file": ("q.png", png((0, 0, 250)), "image/png")}, data={"k": "1"})
    assert up.json()["hits"][0]["id"] == "blue"
    by_id = c.post("/search", json={"id": "red", "k": 1}).json()["hits"]
    assert by_id[0]["id"] == "red"
    flt = c.post("/search", json={"text": "green", "k": 3, "filter": {"warm": True}}).json()["hits"]
    assert [h["id"] for h in flt] == ["red"]
    vec = c.post("/search", json={"vector": [0, 0, 1.0], "k": 1}).json()["hits"]
    assert vec[0]["id"] == "blue"
    assert c.post("/search", json={"vector": [1.0, 2.0], "k": 1}).status_code == 422
    assert c.post("/search", json={"text": "a", "id": "b"}).status_code == 422
    assert c.post("/search", json={"text": "mauve"}).status_code == 422
    assert c.post("/delete", json={"ids": ["green", "nope"]}).json() == {"deleted": 1, "count": 2}
    assert "green" not in [h["id"] for h in c.post("/search", json={"text": "green"}).json()["hits"]]


def test_the_service_never_reads_outside_its_roots(client_for, tmp_path):
    inside = tmp_path / "ok"
    inside.mkdir()
    (inside / "a.png").write_bytes(png())
    (tmp_path / "secret.png").write_bytes(png())
    (inside / "link.png").symlink_to(tmp_path / "secret.png")
    c = client_for(colour_model(), index=open_index(f"memory://roots-{tmp_path.name}"), roots=(inside,))
    for path in ("/etc/passwd", "../secret.png", str(tmp_path / "secret.png"), "link.png"):
        assert c.get("/files", params={"path": path}).status_code == 403, path
        assert c.post("/search", json={"path": path}).status_code == 403, path
    assert c.get("/files", params={"path": "a.png"}).status_code == 200
    no_roots = client_for(colour_model(), index=open_index(f"memory://noroots-{tmp_path.name}"))
    r = no_roots.post("/search", json={"path": str(inside / "a.png")})
    assert r.status_code == 403 and "--root" in r.json()["error"]


def test_search_without_a_store_says_how_to_attach_one(client_for):
    r = client_for(text_model()[0]).post("/search", json={"text": "a"})
    assert r.status_code == 409 and "--index" in r.json()["error"]


def test_insert_uploaded_files_and_search_by_path(client_for, tmp_path):
    (tmp_path / "q.png").write_bytes(png((0, 0, 240)))
    c = client_for(colour_model(), index=open_index(f"memory://upload-{tmp_path.name}"), roots=(tmp_path,))
    files = [("file", ("navy.png", png((0, 0, 120)), "image/png")),
             ("file", ("lime.png", png((100, 250, 0)), "image/png")),
             ("file", ("tiny.png", png(size=(1, 1)), "image/png"))]
    r = c.post("/insert", files=files, data={"metadata": '{"source": "upload"}'})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["written"] == 2 and body["count"] == 2
    assert body["errors"] == [{"id": "tiny.png", "status": 422, "error": body["errors"][0]["error"]}]
    hits = c.post("/search", json={"path": "q.png", "k": 1}).json()["hits"]
    assert hits[0]["id"] == "navy.png" and hits[0]["metadata"] == {"filename": "navy.png", "source": "upload"}
    assert c.post("/insert", json={"items": [{"id": "v", "vector": [0.0, 1.0, 0.0]}]}).json()["count"] == 3

