"""Untrusted requests against a real ``junco serve image-embedding`` process (the packaged image model, a
file root, an exact store): no path outside the root is ever read, whatever the spelling; bodies and
images over the limits are refused from their size or header, before any pixel is decoded; every refusal
is a JSON ``{error, status}`` with a readable reason, and the server stays healthy throughout.
"""

from __future__ import annotations

import base64
import io
import os
import socket
import time
import zlib

import httpx
import numpy as np
import pytest
from PIL import Image

from _serve_process import junco_serve
from junco.testing.fault_corpus import png_bomb

pytest.importorskip("fastapi")

MAX_BODY_MB = 2
MAX_PIXELS = 1_000_000
SECRET = "the secret outside the root"


def _png(w: int, h: int, colour=(200, 30, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (w, h), colour).save(buf, "PNG")
    return buf.getvalue()


def _real_png_bomb(side: int = 12_000) -> bytes:
    """A PNG that really inflates to ``side`` x ``side`` RGB (432 MB for 12k) from ~0.4 MB of zeros."""
    import struct

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    raw = zlib.compressobj(9)
    row = b"\x00" * (1 + 3 * side)
    idat = b"".join(raw.compress(row) for _ in range(side)) + raw.flush()
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def _jpeg_claiming(w: int, h: int) -> bytes:
    """A small real JPEG whose frame header is rewritten to claim ``w`` x ``h``."""
    buf = io.BytesIO()
    Image.new("RGB", (16, 16), (10, 200, 10)).save(buf, "JPEG")
    data = bytearray(buf.getvalue())
    i = data.index(b"\xff\xc0")
    data[i + 5:i + 9] = h.to_bytes(2, "big") + w.to_bytes(2, "big")
    return bytes(data)


@pytest.fixture(scope="module")
def layout(tmp_path_factory):
    base = tmp_path_factory.mktemp("serve-sec")
    root = base / "root"
    (root / "sub").mkdir(parents=True)
    (root / "cat.png").write_bytes(_png(64, 48, (220, 120, 40)))
    (root / "sub" / "dog.png").write_bytes(_png(64, 48, (40, 120, 220)))
    outside = base / "outside"
    outside.mkdir()
    (outside / "secret.png").write_bytes(_png(64, 48, (1, 2, 3)))
    (outside / "secret.txt").write_text(SECRET)
    sibling = base / "root2"  # shares the root's name as a string prefix: still outside
    sibling.mkdir()
    (sibling / "cat.png").write_bytes(_png(64, 48))
    os.symlink(outside / "secret.png", root / "link-out.png")  # a symlink escaping the root
    os.symlink(outside, root / "dir-out")  # a folder symlink escaping the root
    os.symlink(root / "cat.png", root / "link-in.png")  # a symlink that stays inside: allowed
    return {"base": base, "root": root, "outside": outside, "sibling": sibling}


@pytest.fixture(scope="module")
def server(layout):
    store = f"exact://{layout['base'] / 'store'}"
    args = ["image-embedding", "--set", "backend=torch", "--root", str(layout["root"]), "--index", store,
            "--max-body-mb", str(MAX_BODY_MB), "--max-image-pixels", str(MAX_PIXELS)]
    with junco_serve(args, str(layout["base"] / "server.log")) as srv:
        yield srv


def _is_json_error(r: httpx.Response, status: int | tuple[int, ...]) -> dict:
    statuses = (status,) if isinstance(status, int) else status
    assert r.status_code in statuses, (r.status_code, r.text[:300])
    body = r.json()
    assert body["status"] == r.status_code and isinstance(body["error"], str) and len(body["error"]) > 10, body
    return body


def _traversals(layout) -> list[str]:
    outside, sibling = layout["outside"], layout["sibling"]
    return [
        "../outside/secret.png",
        "sub/../../outside/secret.png",
        "./../outside/secret.txt",
        str(outside / "secret.png"),  # absolute
        "/etc/passwd",
        str(sibling / "cat.png"),  # /.../root2/cat.png: the root's name is a prefix of it
        "../root2/cat.png",
        "link-out.png",  # symlink inside the root pointing outside
        "dir-out/secret.txt",  # through a symlinked folder
        str(layout["root"] / ".." / "outside" / "secret.txt"),
        "//etc/passwd",
    ]


def test_files_endpoint_never_serves_outside_the_root(server, layout):
    with httpx.Client(base_url=server.url, timeout=30) as c:
        for p in _traversals(layout):
            r = c.get("/files", params={"path": p})
            body = _is_json_error(r, 403)
            assert "outside" in body["error"], (p, body)
            assert SECRET not in r.text
        # URL-encoded by hand: %2e%2e%2f is "../" once decoded; double-encoded stays a literal name
        for raw in ("..%2Foutside%2Fsecret.txt", "%2e%2e%2foutside%2fsecret.txt", "%2E%2E/outside/secret.txt",
                    "sub%2F..%2F..%2Foutside%2Fsecret.txt", "%2Fetc%2Fpasswd"):
            r = c.get("/files?path=" + raw)
            _is_json_error(r, 403)
        r = c.get("/files?path=%252e%252e%252foutside%252fsecret.txt")  # a file literally named "%2e%2e%2f..."
        _is_json_error(r, (403, 404))
        assert SECRET not in r.text
        r = c.get("/files", params={"path": "with\x00nul.png"})
        _is_json_error(r, 422)
        # inside the root: served, including through a symlink that stays inside
        for p in ("cat.png", "sub/dog.png", str(layout["root"] / "cat.png"), "link-in.png", "sub/../cat.png"):
            r = c.get("/files", params={"path": p})
            assert r.status_code == 200 and r.content[:4] == b"\x89PNG", (p, r.status_code)


def test_search_and_insert_by_path_never_read_outside_the_root(server, layout):
    with httpx.Client(base_url=server.url, timeout=60) as c:
        for p in _traversals(layout):
            _is_json_error(c.post("/search", json={"path": p, "k": 1}), 403)
            r = c.post("/insert", json={"items": [{"id": "x", "path": p}]})
            _is_json_error(r, 403)
        r = c.post("/insert", json={"items": [{"id": "cat", "path": "cat.png"}, {"id": "dog", "path": "sub/dog.png"},
                                              {"id": "evil", "path": "link-out.png"}]})
        assert r.status_code == 200, r.text
        out = r.json()
        assert out["written"] == 2 and [e["id"] for e in out["errors"]] == ["evil"]
        assert out["errors"][0]["status"] == 403
        hits = c.post("/search", json={"path": "cat.png", "k": 2}).json()["hits"]
        assert hits[0]["id"] == "cat" and hits[0]["url"].startswith("/files?path=")
        assert c.get(hits[0]["url"]).status_code == 200
        info = c.get("/info").json()
        assert info["index"]["count"] == 2


def test_body_limit_by_header_and_while_streaming(server):
    big = os.urandom(MAX_BODY_MB * 1024 * 1024 + 1)
    with httpx.Client(base_url=server.url, timeout=60) as c:
        r = c.post("/embed", content=big, headers={"content-type": "image/png"})
        body = _is_json_error(r, 413)
        assert f"{MAX_BODY_MB * 1024 * 1024:,}" in body["error"]

        def chunks():  # no Content-Length: the limit applies while the body streams in
            for i in range(0, len(big), 256 * 1024):
                yield big[i:i + 256 * 1024]

        r = c.post("/embed", content=chunks(), headers={"content-type": "application/octet-stream"})
        _is_json_error(r, 413)
        r = c.post("/embed", files={"file": ("big.png", big, "image/png")})
        _is_json_error(r, 413)
        r = c.post("/embed", json={"image": base64.b64encode(big).decode()})
        _is_json_error(r, 413)
    assert httpx.get(server.url + "/health", timeout=30).json()["status"] == "ok"


def test_pixel_limit_and_decompression_bombs_are_refused_from_the_header(server):
    rss0 = server.rss_mb()
    real_bomb = _real_png_bomb()
    assert len(real_bomb) < MAX_BODY_MB * 1024 * 1024  # under the byte limit: only the pixel check stops it
    cases = {
        "over the pixel limit": (_png(1200, 1000), "1200x1000 = 1,200,000 pixels"),
        "png bomb (header only)": (png_bomb(), "100000x100000"),
        "png bomb (really inflates to 432 MB)": (real_bomb, "12000x12000"),
        "jpeg claiming 60000x60000": (_jpeg_claiming(60_000, 60_000), "60000x60000"),
    }
    with httpx.Client(base_url=server.url, timeout=60) as c:
        for name, (data, words) in cases.items():
            for send in (
                lambda d: c.post("/embed", content=d, headers={"content-type": "image/png"}),
                lambda d: c.post("/embed", files={"file": ("x.png", d, "image/png")}),
                lambda d: c.post("/embed", json={"image": base64.b64encode(d).decode()}),
                lambda d: c.post("/search", files={"file": ("x.png", d, "image/png")}),
            ):
                t = time.perf_counter()
                r = send(data)
                took = time.perf_counter() - t
                body = _is_json_error(r, 413)
                assert words in body["error"] and f"{MAX_PIXELS:,} pixels" in body["error"], (name, body)
                assert took < 5, (name, took)  # refused from the header, not after a 432 MB inflate
        # a normal image is embedded: the limits refuse only what is over them
        r = c.post("/embed", content=_png(640, 480), headers={"content-type": "image/png"})
        assert r.status_code == 200, r.text
        v = np.array(r.json()["results"][0]["vector"])
        assert v.ndim == 1 and np.isfinite(v).all() and abs(np.linalg.norm(v) - 1) < 1e-3
        small = c.post("/embed", content=_png(4, 4), headers={"content-type": "image/png"})
        assert _is_json_error(small, 422)["error"].startswith("image is 4x4 pixels")
    assert server.rss_mb() - rss0 < 200, (rss0, server.rss_mb())  # nothing was inflated
    assert httpx.get(server.url + "/health", timeout=30).json()["status"] == "ok"


def test_unknown_endpoints_methods_and_fields_get_json_errors(server):
    with httpx.Client(base_url=server.url, timeout=30) as c:
        assert "no such endpoint" in _is_json_error(c.post("/pipelines/../../etc/embed"), 404)["error"]
        _is_json_error(c.get("/embed/text-embedding"), 404)
        assert "not allowed" in _is_json_error(c.delete("/embed"), 405)["error"]
        body = _is_json_error(c.post("/embed", json={"pipeline": "text-embedding", "text": "x"}), 422)
        assert "pipeline" in body["error"]
        _is_json_error(c.post("/embed", json={"image": "%%% not base64 %%%"}), 422)
        _is_json_error(c.post("/embed", content=b'{"image": ', headers={"content-type": "application/json"}), 400)
        _is_json_error(c.post("/embed", content=b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,
                              headers={"content-type": "image/png"}), 422)


def test_a_client_waiting_for_100_continue_gets_413_before_sending_the_body(server):
    from urllib.parse import urlparse

    u = urlparse(server.url)
    head = (b"POST /embed HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nContent-Length: 50000000\r\n"
            b"Expect: 100-continue\r\n\r\n")
    t = time.perf_counter()
    with socket.create_connection((u.hostname, u.port), timeout=10) as s:
        s.sendall(head)
        data = b""
        while b"}" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    assert data.startswith(b"HTTP/1.1 413"), data[:200]
    assert b"100 Continue" not in data and b"50,000,000 bytes" in data
    assert time.perf_counter() - t < 5
