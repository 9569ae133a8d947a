"""A fault corpus: broken, odd and good inputs for every modality's decoders, pipelines and stores.

``make_corpus(folder)`` writes image files and returns one :class:`FaultCase` per file; ``expect_ok`` says
whether a correct decoder must turn the file into an RGB ``uint8`` image (odd but valid inputs, such as
CMYK, 16-bit, palette, alpha, grayscale or a PNG named ``.jpg``) or report it as an error (truncated,
bit-flipped headers, empty, decompression bombs, non-image files). Only Pillow, OpenCV and numpy are used.

The other modalities: :func:`make_audio_corpus` (WAV/FLAC/OGG, truncated, NaN samples, silence, ...),
:func:`make_video_corpus` (MP4, truncated, audio-only, ...), :func:`text_cases` (empty, huge, non-UTF-8,
non-strings) and :func:`vector_cases` (NaN/inf, wrong dimension, wrong rank). :func:`mutations` turns
good files into any number of seeded variants (cut at random points, random bit flips, inserted and
deleted bytes) for the long runs, and :func:`tally` checks a run's outcome against the cases: every bad
item reported with a readable reason, every good item processed, nothing lost.

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
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class FaultCase:
    """One corpus item: its id (a file path, or a label for in-memory items), what kind of fault (or
    control) it is, and whether it must be processed.

    Args:
        path: the file, or for in-memory items (``value`` set) a unique label used as the row id.
        kind: the fault, e.g. ``"truncated-jpg"``, or ``"good-..."`` for a control.
        expect_ok: True: must be processed; False: must be reported as an error row; None: either.
        modality: ``"image"``, ``"audio"``, ``"video"``, ``"text"`` or ``"vector"``.
        value: the input itself for in-memory items (texts, vectors); None for files.
    """

    path: str
    kind: str
    expect_ok: bool | None  # None: either outcome is right (e.g. bit flips inside the pixel data)
    modality: str = "image"
    value: Any = field(default=None, compare=False, repr=False)

    @property
    def input(self) -> Any:
        """What a pipeline is given: the in-memory value (texts, vectors), else the path."""
        return self.value if self.modality in ("text", "vector") else self.path


class _Writer:
    """Writes corpus files into one folder (created if missing), recording a :class:`FaultCase` each."""

    def __init__(self, folder: str | os.PathLike[str], modality: str):
        self.out = Path(folder)
        self.out.mkdir(parents=True, exist_ok=True)
        self.modality = modality
        self.cases: list[FaultCase] = []

    def __call__(self, name: str, data: bytes, kind: str, ok: bool | None) -> None:
        p = self.out / name
        p.write_bytes(data)
        self.cases.append(FaultCase(str(p), kind, ok, self.modality))


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

    put = _Writer(folder, "image")
    cases = put.cases

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


# -- audio ---------------------------------------------------------------------------------------------
def _speech(rate: int = 16000) -> tuple[Any, bool]:
    """A spoken sentence (espeak-ng) as float32 samples at ``rate``; without espeak-ng a voiced-like
    synthetic signal (second value False: a speaker model may find no speech in it)."""
    import shutil
    import subprocess
    import tempfile

    import numpy as np

    exe = shutil.which("espeak-ng")
    if exe is not None:
        import soundfile as sf

        with tempfile.TemporaryDirectory() as d:
            wav = os.path.join(d, "s.wav")
            subprocess.run([exe, "-w", wav, "The quick brown fox jumps over the lazy dog."], check=True,
                           capture_output=True, timeout=60)
            x, sr = sf.read(wav, dtype="float32")
        idx = np.arange(int(len(x) * rate / sr)) * (sr / rate)
        return np.interp(idx, np.arange(len(x)), x).astype(np.float32), True
    t = np.arange(int(2.5 * rate), dtype=np.float32) / rate
    f0 = 120 + 30 * np.sin(2 * np.pi * 0.7 * t)
    phase = 2 * np.pi * np.cumsum(f0) / rate
    x = sum(np.sin(k * phase) / k for k in range(1, 12)) * (0.5 + 0.5 * np.sin(2 * np.pi * 3 * t) ** 2)
    return (0.2 * x / np.abs(x).max()).astype(np.float32), False


def _audio_bytes(samples: Any, rate: int, fmt: str, subtype: str | None = None) -> bytes:
    import soundfile as sf

    buf = io.BytesIO()
    sf.write(buf, samples, rate, format=fmt, subtype=subtype)
    return buf.getvalue()


def make_audio_corpus(folder: str | os.PathLike[str]) -> list[FaultCase]:
    """Write the audio fault corpus into ``folder``: good speech (WAV, FLAC, OGG, stereo 48 kHz, 8 kHz,
    16-bit PCM, a ``.mp3``-named WAV) and broken or unusable files (empty, header only, cut header,
    truncated, bit-flipped header, random bytes, text, an image, NaN/inf samples, digital silence).

    Args:
        folder: where the files go (created if missing).

    Returns:
        One :class:`FaultCase` (``modality="audio"``) per file, in a fixed order.
    """
    import numpy as np

    put = _Writer(folder, "audio")
    cases = put.cases

    x, real = _speech(16000)
    good: bool | None = True if real else None
    wav = _audio_bytes(x, 16000, "WAV", "FLOAT")
    put("good.wav", wav, "good-wav", good)
    put("good.flac", _audio_bytes(x, 16000, "FLAC"), "good-flac", good)
    put("good.ogg", _audio_bytes(x, 16000, "OGG"), "good-ogg", good)
    put("good_pcm16.wav", _audio_bytes(x, 16000, "WAV", "PCM_16"), "good-wav", good)
    x48 = np.interp(np.arange(len(x) * 3) / 3, np.arange(len(x)), x).astype(np.float32)
    put("stereo_48k.wav", _audio_bytes(np.stack([x48, 0.5 * x48], 1), 48000, "WAV"), "stereo-48k", good)
    put("rate_8k.wav", _audio_bytes(x[::2], 8000, "WAV"), "rate-8k", good)
    put("wav_named.mp3", wav, "wrong-extension", good)
    put("empty.wav", b"", "empty", False)
    put("header_only.wav", _audio_bytes(np.zeros(0, np.float32), 16000, "WAV"), "header-only", False)
    put("cut_header.wav", wav[:20], "truncated-header", False)
    put("truncated_50.wav", wav[: len(wav) // 2], "truncated-wav", None)  # readers may keep what is there
    put("truncated_50.flac", _audio_bytes(x, 16000, "FLAC")[:3000], "truncated-flac", None)
    put("flipped_header.wav", _bitflip(wav, [0, 1, 2, 3, 8, 9, 10, 11]), "bitflip-header-wav", False)
    rng = np.random.default_rng(1)
    put("random.wav", rng.integers(0, 256, 4096, dtype=np.uint8).tobytes(), "not-audio", False)
    put("text.wav", b"this is not audio\n" * 50, "not-audio", False)
    put("image.ogg", _encode(np.full((8, 8, 3), 7, np.uint8), "PNG"), "not-audio", False)
    nan = x.copy()
    nan[1000:1010] = np.nan
    nan[2000] = np.inf
    put("nan_samples.wav", _audio_bytes(nan, 16000, "WAV", "FLOAT"), "nan-samples", False)
    put("silence.wav", _audio_bytes(np.zeros(32000, np.float32), 16000, "WAV"), "silence", False)
    put("one_sample.wav", _audio_bytes(np.full(1, 0.3, np.float32), 16000, "WAV"), "one-sample", False)
    return cases


# kinds a decoder must decode although the embedding pipeline must refuse them (nothing to embed)
DECODABLE_BUT_UNUSABLE = frozenset({"silence", "one-sample"})


def decoder_view(cases: Sequence[FaultCase]) -> list[FaultCase]:
    """``cases`` as a decoder sees them: silent or one-sample audio decodes fine (``expect_ok=True``);
    only the embedding step refuses it.

    Example:
        >>> decoder_view([FaultCase("s.wav", "silence", False, "audio")])[0].expect_ok
        True
    """
    import dataclasses

    return [dataclasses.replace(c, expect_ok=True) if c.kind in DECODABLE_BUT_UNUSABLE else c for c in cases]


# -- video ---------------------------------------------------------------------------------------------
def _video_bytes(frames: Sequence[Any], fps: int = 5, codec: str = "libx264", fmt: str = "mp4") -> bytes:
    import av

    h, w = frames[0].shape[:2]
    buf = io.BytesIO()
    with av.open(buf, "w", format=fmt) as out:
        stream = out.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        for f in frames:
            for pkt in stream.encode(av.VideoFrame.from_ndarray(f, format="rgb24")):
                out.mux(pkt)
        for pkt in stream.encode():
            out.mux(pkt)
    return buf.getvalue()


def _clip_frames(n: int, size: tuple[int, int] = (96, 64)) -> list[Any]:
    import cv2

    img = _controls()["chelsea"]
    h, w = img.shape[:2]
    out = []
    for i in range(n):
        s = 1.0 - 0.3 * i / max(n - 1, 1)
        ch, cw = int(h * s), int(w * s)
        y, x = (h - ch) // 2, (w - cw) // 2
        out.append(cv2.resize(img[y:y + ch, x:x + cw], size, interpolation=cv2.INTER_AREA))  # type: ignore[index]
    return out


def make_video_corpus(folder: str | os.PathLike[str]) -> list[FaultCase]:
    """Write the video fault corpus into ``folder``: good short clips (MP4/H.264, AVI/MPEG-4, a single
    frame, an ``.mov``-named MP4) and broken ones (empty, truncated, bit-flipped header, random bytes,
    text, a WAV named ``.mp4``).

    Args:
        folder: where the files go (created if missing).

    Returns:
        One :class:`FaultCase` (``modality="video"``) per file, in a fixed order.
    """
    import numpy as np

    put = _Writer(folder, "video")
    cases = put.cases

    frames = _clip_frames(10)
    mp4 = _video_bytes(frames)
    put("good.mp4", mp4, "good-mp4", True)
    put("good.avi", _video_bytes(frames, codec="mpeg4", fmt="avi"), "good-avi", True)
    put("one_frame.mp4", _video_bytes(frames[:1]), "one-frame", True)
    put("mp4_named.mov", mp4, "wrong-extension", True)
    put("empty.mp4", b"", "empty", False)
    put("truncated_5.mp4", mp4[: max(len(mp4) // 20, 8)], "truncated-mp4", False)
    put("truncated_60.mp4", mp4[: len(mp4) * 6 // 10], "truncated-mp4", None)  # moov atom may be gone
    put("flipped_header.mp4", _bitflip(mp4, list(range(4, 12))), "bitflip-header-mp4", None)
    rng = np.random.default_rng(2)
    put("random.mp4", rng.integers(0, 256, 20_000, dtype=np.uint8).tobytes(), "not-video", False)
    put("text.mp4", b"this is not a video\n" * 100, "not-video", False)
    put("audio_only.mp4", _audio_bytes(np.zeros(8000, np.float32) + 0.1, 16000, "WAV"), "no-video-stream",
        False)
    return cases


# -- text and vectors ----------------------------------------------------------------------------------
def text_cases() -> list[FaultCase]:
    """In-memory text inputs: ordinary, empty, whitespace, huge (2 MB), control characters, mixed
    scripts and emoji, lone surrogates (good: a string is a string); and non-strings (bytes that are not
    UTF-8, ``None``, a number, a list), which must be reported.

    Returns:
        :class:`FaultCase` items with ``modality="text"``; ``path`` is a unique label.
    """
    good: dict[str, str] = {
        "good": "A cat sleeps on the warm windowsill.",
        "good-2": "Stock markets fell sharply on Monday.",
        "empty-string": "",
        "whitespace": " \t\n  ",
        "huge-string": "lorem ipsum dolor sit amet " * 80_000,
        "control-chars": "tab\tnul\x00bell\x07 del\x7f escape\x1b[31m",
        "mixed-scripts": "日本語のテキスト, العربية, русский, emoji 🐈‍⬛🚀",
        "lone-surrogate": "broken \udcff half of a pair \ud800",
        "one-char": "a",
    }
    bad: dict[str, Any] = {"non-utf8-bytes": b"\xff\xfe\xfa caf\xe9", "none": None, "number": 42,
                           "list": ["a", "b"]}
    cases = [FaultCase(f"text:{k}", "good-text" if k.startswith("good") else k, True, "text", v) for k, v in good.items()]
    cases += [FaultCase(f"text:{k}", k, False, "text", v) for k, v in bad.items()]
    return cases


def vector_cases(dim: int, *, seed: int = 0, n_good: int = 4) -> list[FaultCase]:
    """In-memory vectors for normalize and the stores: ``n_good`` finite ``dim``-d vectors and bad ones
    (NaN, +inf, -inf, one dimension short / long, a scalar, a 2-D array, an empty vector, strings).

    Args:
        dim: the store's dimension.
        seed: the random seed of the good vectors and of where NaN/inf land.
        n_good: how many good vectors.

    Returns:
        :class:`FaultCase` items with ``modality="vector"``; ``path`` is a unique label (a row id).

    Example:
        >>> sum(c.expect_ok is True for c in vector_cases(8, n_good=3))
        3
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    cases = [FaultCase(f"vec:{seed}:good-{i}", "good-vector", True, "vector",
                       rng.normal(size=dim).astype(np.float32)) for i in range(n_good)]

    def poisoned(value: float) -> Any:
        v = rng.normal(size=dim).astype(np.float32)
        v[rng.integers(0, dim)] = value
        return v

    bad: dict[str, Any] = {
        "nan": poisoned(np.nan), "inf": poisoned(np.inf), "neg-inf": poisoned(-np.inf),
        "all-nan": np.full(dim, np.nan, np.float32),
        "dim-short": rng.normal(size=max(dim - 1, 1)).astype(np.float32),
        "dim-long": rng.normal(size=dim + 1).astype(np.float32),
        "scalar": np.float32(1.5), "matrix": rng.normal(size=(2, dim)).astype(np.float32),
        "empty-vector": np.zeros(0, np.float32), "strings": ["a"] * dim,
    }
    cases += [FaultCase(f"vec:{seed}:{k}", k, False, "vector", v) for k, v in bad.items()]
    return cases


def text_variants(n: int, *, seed: int = 0) -> list[FaultCase]:
    """``n`` seeded text inputs for long runs: random code points (lone surrogates, controls, emoji and
    all), random lengths up to 200,000 characters, empty and whitespace strings, sentences, and a few
    non-strings (random bytes, ``None``, numbers) that must be reported.

    Example:
        >>> [c.expect_ok for c in text_variants(3, seed=5)] == [c.expect_ok for c in text_variants(3, seed=5)]
        True
    """
    import numpy as np

    out: list[FaultCase] = []
    words = ("cat", "dog", "river", "über", "日本", "naïve", "🚀", "data", "model", "the")
    for i in range(n):
        rng = np.random.default_rng(seed + i)
        how = ("sentence", "random-unicode", "long", "empty", "whitespace", "bytes", "non-string")[
            int(rng.choice(7, p=[0.35, 0.3, 0.05, 0.05, 0.05, 0.12, 0.08]))]
        value: Any
        if how == "sentence":
            value = " ".join(str(rng.choice(words)) for _ in range(int(rng.integers(1, 40))))
        elif how == "random-unicode":
            cps = rng.integers(1, 0x10FFFF, int(rng.integers(1, 300)))
            value = "".join(map(chr, cps.tolist()))
        elif how == "long":
            value = "x y " * int(rng.integers(1_000, 50_000))
        elif how == "empty":
            value = ""
        elif how == "whitespace":
            value = "".join(rng.choice([" ", "\t", "\n", "\u00a0", "\u200b"], int(rng.integers(1, 20))).tolist())
        elif how == "bytes":
            value = rng.integers(0, 256, int(rng.integers(0, 200)), dtype=np.uint8).tobytes()
        else:
            value = [None, 3.5, 7, ["a"], {"text": "a"}][int(rng.integers(0, 5))]
        ok = isinstance(value, str)
        out.append(FaultCase(f"text:{seed + i}:{how}", how if ok else f"{how}-bad", ok, "text", value))
    return out


class NoCache:
    """An engine cache that never hits (``LocalEngine(cache=NoCache())``): every run really computes."""

    def get_many(self, keys: Any) -> dict[Any, Any]:
        return {}

    def put_many(self, items: Any) -> None:
        pass


# -- seeded variants for long runs ---------------------------------------------------------------------
def mutate(data: bytes, seed: int) -> tuple[str, bytes]:
    """One seeded corruption of ``data``: ``("cut", ...)`` cut at a random point, ``("flip", ...)`` 1-8
    random bytes replaced, ``("insert", ...)`` / ``("delete", ...)`` a random run of bytes added or
    removed, or ``("header", ...)`` the first 16 bytes scrambled.

    Example:
        >>> mutate(b"0123456789", 3)[0] in ("cut", "flip", "insert", "delete", "header")
        True
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    how = ("cut", "flip", "insert", "delete", "header")[int(rng.integers(0, 5))]
    b = bytearray(data)
    n = len(b)
    if how == "cut":
        return how, bytes(b[: int(rng.integers(0, n))])
    if how == "flip":
        for p in rng.integers(0, n, size=int(rng.integers(1, 9))):
            b[int(p)] = int(rng.integers(0, 256))
        return how, bytes(b)
    if how == "insert":
        p = int(rng.integers(0, n))
        return how, bytes(b[:p] + rng.integers(0, 256, int(rng.integers(1, 64)), dtype=np.uint8).tobytes() + b[p:])
    if how == "delete":
        p = int(rng.integers(0, n))
        return how, bytes(b[:p] + b[p + int(rng.integers(1, 64)):])
    b[: min(16, n)] = rng.integers(0, 256, min(16, n), dtype=np.uint8).tobytes()
    return how, bytes(b)


def mutations(seeds: Sequence[FaultCase], folder: str | os.PathLike[str], n: int, *, seed: int = 0,
              good_every: int = 10) -> list[FaultCase]:
    """``n`` seeded variants of the good files among ``seeds`` written to ``folder``; every
    ``good_every``-th item is an untouched copy of a good file (``expect_ok=True``) so that a run that
    drops good rows next to bad ones is caught. Variants have ``expect_ok=None`` (a flip inside pixel
    data may still decode) and kind ``"<how>-<ext>"``.

    Args:
        seeds: cases to vary (only those with ``expect_ok`` True are used).
        folder: where the variants go (created if missing).
        n: how many items to write.
        seed: the first seed; item ``i`` uses ``seed + i``, so runs are reproducible.
        good_every: interleave one untouched good copy every this many items (0: none).

    Returns:
        ``n`` :class:`FaultCase` items with the seeds' modality.
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    pool = [c for c in seeds if c.expect_ok is True and c.value is None]
    if not pool:
        raise ValueError("mutations() needs at least one good file case among seeds")
    blobs = [Path(c.path).read_bytes() for c in pool]
    cases: list[FaultCase] = []
    for i in range(n):
        src = pool[(seed + i) % len(pool)]
        ext = src.path.rsplit(".", 1)[-1] if "." in os.path.basename(src.path) else "bin"
        name = f"v{seed + i:06d}.{ext}"
        if good_every and i % good_every == 0:
            (out / name).write_bytes(blobs[(seed + i) % len(pool)])
            cases.append(FaultCase(str(out / name), f"good-copy-{ext}", True, src.modality))
            continue
        how, data = mutate(blobs[(seed + i) % len(pool)], seed + i)
        (out / name).write_bytes(data)
        cases.append(FaultCase(str(out / name), f"{how}-{ext}", None if data else False, src.modality))
    return cases


# -- checking a run ------------------------------------------------------------------------------------
@dataclass
class Tally:
    """Outcome of one corpus run, per ``modality/kind``: items, processed, reported; and what must stay 0.

    ``crashes``: the run raised instead of finishing; ``hangs``: it did not end within its time bound;
    ``unreported``: an item with no output and no error record (lost), or a bad item (``expect_ok``
    False) that came out as if it were good; ``good_lost``: a good item reported as an error;
    ``unreadable``: an error record without an exception type or a message.
    """

    items: Counter[str] = field(default_factory=Counter)
    processed: Counter[str] = field(default_factory=Counter)
    reported: Counter[str] = field(default_factory=Counter)
    crashes: int = 0
    hangs: int = 0
    unreported: list[str] = field(default_factory=list)
    good_lost: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    reasons: Counter[str] = field(default_factory=Counter)

    @property
    def ok(self) -> bool:
        return not (self.crashes or self.hangs or self.unreported or self.good_lost or self.unreadable)

    def merge(self, other: Tally) -> Tally:
        for name in ("items", "processed", "reported", "reasons"):
            getattr(self, name).update(getattr(other, name))
        self.crashes += other.crashes
        self.hangs += other.hangs
        for name in ("unreported", "good_lost", "unreadable"):
            getattr(self, name).extend(getattr(other, name))
        return self

    def problems(self) -> str:
        """A readable list of what went wrong (empty when :attr:`ok`)."""
        parts = [f"{self.crashes} crashes"] if self.crashes else []
        parts += [f"{self.hangs} hangs"] if self.hangs else []
        for name in ("unreported", "good_lost", "unreadable"):
            items = getattr(self, name)
            if items:
                parts.append(f"{name}: {len(items)}, e.g. {items[:3]}")
        return "; ".join(parts)


def tally(cases: Sequence[FaultCase], outputs: Sequence[Any], errors: Iterable[Any], *,
          check: Any = None, rows_per_item: str = "one") -> Tally:
    """Check a ``Pipeline.batch`` run over ``cases`` (run with ``ids=[c.path for c in cases]``).

    Args:
        cases: the items, in the order they were given.
        outputs: ``batch``'s result: one list of output rows per item.
        errors: the run's :class:`~junco.engine.ErrorRecord` list.
        check: optional ``check(case, rows) -> str | None``: a problem with a processed item's rows.
        rows_per_item: ``"one"`` (a processed item has exactly one row) or ``"any"`` (flat_map
            pipelines, e.g. faces: zero rows is a valid outcome for an item without error).

    Returns:
        The :class:`Tally`.
    """
    t = Tally()
    by_id: dict[Any, list[Any]] = {}
    for e in errors:
        by_id.setdefault(e.row_id, []).append(e)
        if not (isinstance(e.message, str) and e.message.strip() and e.exc_type):
            t.unreadable.append(f"{e.row_id}: {e!r}")
    known = {c.path for c in cases}
    t.unreported += [f"error for unknown id {i!r}" for i in by_id if i not in known]
    if len(outputs) != len(cases):
        t.unreported.append(f"{len(cases)} items in, {len(outputs)} result lists out")
    for c, rows in zip(cases, outputs):
        kind = f"{c.modality}/{c.kind}"
        t.items[kind] += 1
        errs = by_id.get(c.path, [])
        if errs:
            t.reported[kind] += 1
            t.reasons[errs[0].exc_type] += 1
            if c.expect_ok is True:
                t.good_lost.append(f"{c.path} ({c.kind}): {errs[0].exc_type}: {errs[0].message}")
            continue
        if rows_per_item == "one" and len(rows) != 1:
            t.unreported.append(f"{c.path} ({c.kind}): {len(rows)} rows and no error")
            continue
        if c.expect_ok is False:
            t.unreported.append(f"{c.path} ({c.kind}): bad item processed without an error")
            continue
        problem = check(c, rows) if check is not None else None
        if problem:
            t.unreported.append(f"{c.path} ({c.kind}): {problem}")
            continue
        t.processed[kind] += 1
    return t


def run_bounded(fn: Any, timeout_s: float) -> tuple[str, Any]:
    """Run ``fn()`` in a daemon thread for at most ``timeout_s`` seconds.

    Returns:
        ``("ok", result)``, ``("crash", exception)`` or ``("hang", None)`` (the thread is left behind:
        a hang is a bug to report, not something to recover from).

    Example:
        >>> run_bounded(lambda: 1 + 1, 5)
        ('ok', 2)
    """
    import threading

    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["ok"] = fn()
        except BaseException as e:  # noqa: B036 - reported to the caller, whatever it is
            box["crash"] = e

    th = threading.Thread(target=target, daemon=True, name="junco-fault-corpus")
    th.start()
    th.join(timeout_s)
    if th.is_alive():
        return "hang", None
    if "crash" in box:
        return "crash", box["crash"]
    return "ok", box.get("ok")


def iter_kinds(cases: Iterable[FaultCase]) -> Iterator[tuple[str, int]]:
    """``(kind, count)`` pairs, sorted by kind."""
    yield from sorted(Counter(c.kind for c in cases).items())


__all__ = ["DECODABLE_BUT_UNUSABLE", "FaultCase", "NoCache", "Tally", "decoder_view", "iter_kinds", "make_audio_corpus", "make_corpus", "make_video_corpus", "mutate",
           "mutations", "png_bomb", "run_bounded", "tally", "text_cases", "text_variants", "vector_cases"]
