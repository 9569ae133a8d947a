"""A fault corpus of image files: broken, odd and good inputs for the image decoders and pipelines.

``make_corpus(folder)`` writes the files and returns one :class:`FaultCase` per file; ``expect_ok`` says
whether a correct decoder must turn the file into an RGB ``uint8`` image (odd but valid inputs, such as
CMYK, 16-bit, palette, alpha, grayscale or a PNG named ``.jpg``) or report it as an error (truncated,
bit-flipped headers, empty, decompression bombs, non-image files). Only Pillow, OpenCV and numpy are used.

Example:
    >>> import tempfile
    >>> cases = make_corpus(tempfile.mkdtemp())
    >>> len(cases) > 20, any(c.expect_ok for c in cases), any(not c.expect_ok for c in cases)
    (True, True, True)
"""

from __future__ import annotations

import io
import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class FaultCase:
    """One corpus file: its path, what kind of fault (or control) it is, and whether it must decode."""

    path: str
    kind: str
    expect_ok: bool | None  # None: either outcome is right (e.g. bit flips inside the pixel data)


def _controls() -> dict[str, object]:
    import numpy as np
    import skimage.data

    return {"chelsea": skimage.data.chelsea(), "coffee": skimage.data.coffee(),
            "astronaut": np.ascontiguousarray(skimage.data.astronaut()[::2, ::2])}


def _encode(img: object, fmt: str, **kw: object) -> bytes:
    from PIL import Image

    im = img if isinstance(img, Image.Image) else Image.fromarray(img)  # type: ignore[arg-type]
    buf = io.BytesIO()
    im.save(buf, format=fmt, **kw)
    return buf.getvalue()


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def png_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A tiny PNG whose header claims ``width x height`` pixels (8-bit RGB): a decompression bomb."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 4096, 9)  # a little real data: a decoder that trusts the header blows up
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b"")


def _bitflip(data: bytes, positions: list[int]) -> bytes:
    b = bytearray(data)
    for p in positions:
        b[p % len(b)] ^= 0xFF
    return bytes(b)


def make_corpus(folder: str | os.PathLike[str]) -> list[FaultCase]:
    """Write the fault corpus into ``folder`` (created if missing) and describe each file.

    Args:
        folder: where the files go.

    Returns:
        A list of :class:`FaultCase`, one per file written, in a fixed order.
    """
    import numpy as np
    from PIL import Image

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    cases: list[FaultCase] = []

    def put(name: str, data: bytes, kind: str, ok: bool) -> None:
        p = out / name
        p.write_bytes(data)
        cases.append(FaultCase(str(p), kind, ok))

    controls = _controls()
    rng = np.random.default_rng(0)
    for cname, img in controls.items():
        for fmt, ext in (("JPEG", "jpg"), ("PNG", "png"), ("WEBP", "webp")):
            good = _encode(img, fmt, quality=90) if fmt != "PNG" else _encode(img, fmt)
            put(f"good_{cname}.{ext}", good, f"good-{ext}", True)
            if cname != "chelsea":
                continue
            for frac in (0.02, 0.5):
                put(f"truncated_{int(frac * 100)}_{cname}.{ext}", good[: int(len(good) * frac)],
                    f"truncated-{ext}", False)
            # bit flips in the signature/header: the file can no longer be recognised or parsed
            put(f"flipped_header_{cname}.{ext}", _bitflip(good, [0, 1, 2, 3]), f"bitflip-header-{ext}", False)
            # bit flips deep in the data: may decode to garbage pixels or fail; either is fine, no crash
            pos = [int(x) for x in rng.integers(len(good) // 2, len(good) - 16, size=8)]
            put(f"flipped_data_{cname}.{ext}", _bitflip(good, pos), f"bitflip-data-{ext}", None)

    put("empty.jpg", b"", "empty", False)
    put("empty.png", b"", "empty", False)
    put("text.jpg", b"this is not an image\n" * 10, "not-image", False)
    put("html.png", b"<!doctype html><html><body>404 not found</body></html>", "not-image", False)
    put("random.webp", rng.integers(0, 256, 2000, dtype=np.uint8).tobytes(), "not-image", False)
    put("bomb.png", png_bomb(), "decompression-bomb", False)

    chelsea = controls["chelsea"]
    put("tiny_1x1.png", _encode(np.full((1, 1, 3), 200, np.uint8), "PNG"), "tiny-1x1", True)
    put("tiny_1x1.jpg", _encode(np.full((1, 1, 3), 200, np.uint8), "JPEG"), "tiny-1x1", True)
    put("strip_1x100000.png", _encode(np.full((1, 100_000, 3), 90, np.uint8), "PNG"), "strip-1x100000", True)
    put("strip_100000x1.png", _encode(np.full((100_000, 1, 3), 90, np.uint8), "PNG"), "strip-100000x1", True)
    put("cmyk.jpg", _encode(Image.fromarray(chelsea).convert("CMYK"), "JPEG"), "cmyk", True)
    gray16 = (chelsea.mean(axis=2) * 257).astype(np.uint16)
    put("gray16.png", _encode(Image.fromarray(gray16), "PNG"), "16-bit", True)
    put("palette.png", _encode(Image.fromarray(chelsea).convert("P"), "PNG"), "palette", True)
    put("palette.gif", _encode(Image.fromarray(chelsea).convert("P"), "GIF"), "palette", True)
    put("rgba.png", _encode(Image.fromarray(chelsea).convert("RGBA"), "PNG"), "alpha", True)
    put("rgba.webp", _encode(Image.fromarray(chelsea).convert("RGBA"), "WEBP"), "alpha", True)
    put("gray.jpg", _encode(Image.fromarray(chelsea).convert("L"), "JPEG"), "grayscale", True)
    put("gray_alpha.png", _encode(Image.fromarray(chelsea).convert("LA"), "PNG"), "grayscale-alpha", True)
    put("png_named.jpg", _encode(chelsea, "PNG"), "wrong-extension", True)
    put("jpeg_named.png", _encode(chelsea, "JPEG"), "wrong-extension", True)
    put("no_extension", _encode(chelsea, "JPEG"), "wrong-extension", True)
    return cases


__all__ = ["FaultCase", "make_corpus", "png_bomb"]
