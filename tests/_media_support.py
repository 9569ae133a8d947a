"""Real audio, video and face inputs made offline for the audio / video / face tests, once per process.

Speech is synthesised with espeak-ng (different voices = different speakers), videos are encoded with
PyAV from scikit-image's bundled photos, faces come from bundled photos (astronaut, Grace Hopper).
Tests import this module directly (``tests/`` is on ``sys.path`` through the root ``conftest.py``).
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import tempfile
from functools import cache
from pathlib import Path

import numpy as np
import pytest

SENTENCES = ("The quick brown fox jumps over the lazy dog near the river bank.",
             "She sells sea shells by the sea shore every summer morning.")
# voice -> sentence index: A says both sentences; B says A's second sentence (same words, other voice)
SPEECH = {"a1": ("en", 0), "a2": ("en", 1), "b2": ("en+f3", 1), "c1": ("en-us+m7", 0)}


@cache
def workdir() -> Path:
    path = Path(tempfile.mkdtemp(prefix="junco-media-"))
    atexit.register(shutil.rmtree, path, True)
    return path


@cache
def speech() -> dict[str, str]:
    """espeak-ng utterances (22.05 kHz WAV) keyed as in :data:`SPEECH`; skips without espeak-ng."""
    exe = shutil.which("espeak-ng")
    if exe is None:
        pytest.skip("espeak-ng is not installed (tools/system_deps.sh installs it)")
    out = {}
    for key, (voice, sentence) in SPEECH.items():
        path = workdir() / f"{key}.wav"
        subprocess.run([exe, "-v", voice, "-w", str(path), SENTENCES[sentence]], check=True)
        out[key] = str(path)
    return out


def write_audio(name: str, samples: np.ndarray, rate: int, fmt: str = "WAV") -> str:
    import soundfile as sf

    path = workdir() / name
    sf.write(str(path), samples, rate, format=fmt)
    return str(path)


@cache
def bad_audio() -> dict[str, str]:
    """Files each decoder must turn into a clear error: empty, header only, random bytes, cut header."""
    d = workdir()
    (d / "empty.wav").write_bytes(b"")
    header_only = write_audio("header_only.wav", np.zeros(0, np.float32), 16000)
    (d / "random.wav").write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    (d / "cut.wav").write_bytes(Path(speech()["a1"]).read_bytes()[:20])
    return {"empty": str(d / "empty.wav"), "header_only": header_only, "random": str(d / "random.wav"),
            "cut_header": str(d / "cut.wav")}


@cache
def long_audio(minutes: float = 15.0) -> str:
    """A quiet 8 kHz tone of ``minutes`` (15 min = 14 MB) for the duration cap."""
    rate = 8000
    t = np.arange(int(minutes * 60 * rate), dtype=np.float32) / rate
    return write_audio("long.wav", (0.1 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), rate)


def _frames(image: np.ndarray, n: int, size: tuple[int, int], zoom: float) -> list[np.ndarray]:
    """``n`` frames of a slow zoom into ``image``, resized to ``size`` (w, h)."""
    import cv2

    h, w = image.shape[:2]
    out = []
    for i in range(n):
        s = 1.0 - zoom * i / max(n - 1, 1)
        ch, cw = int(h * s), int(w * s)
        y, x = (h - ch) // 2, (w - cw) // 2
        out.append(cv2.resize(image[y:y + ch, x:x + cw], size, interpolation=cv2.INTER_AREA))
    return out


def encode_video(path: Path, frames: list[np.ndarray], fps: int = 10, codec: str = "libx264",
                 bit_rate: int | None = None) -> str:
    import av

    h, w = frames[0].shape[:2]
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        if bit_rate:
            stream.bit_rate = bit_rate
        for f in frames:
            for pkt in stream.encode(av.VideoFrame.from_ndarray(f, format="rgb24")):
                out.mux(pkt)
        for pkt in stream.encode():
            out.mux(pkt)
    return str(path)


@cache
def photos() -> dict[str, np.ndarray]:
    import skimage.data

    return {n: getattr(skimage.data, n)() for n in ("chelsea", "coffee", "rocket", "astronaut")}


@cache
def videos() -> dict[str, str]:
    """Short test videos (3 s, 10 fps): one per photo, a near-duplicate re-encode of ``chelsea``
    (other size, codec, zoom), a three-scene cut and a broken one."""
    d, p = workdir(), photos()
    out = {name: encode_video(d / f"{name}.mp4", _frames(p[name], 30, (160, 120), 0.3))
           for name in ("chelsea", "coffee", "rocket")}
    out["chelsea_copy"] = encode_video(d / "chelsea_copy.avi", _frames(p["chelsea"], 30, (128, 96), 0.25),
                                       codec="mpeg4", bit_rate=400_000)
    scenes = [f for name in ("chelsea", "coffee", "rocket") for f in _frames(p[name], 10, (160, 120), 0.05)]
    out["scenes"] = encode_video(d / "scenes.mp4", scenes)
    data = Path(out["chelsea"]).read_bytes()
    (d / "truncated.mp4").write_bytes(data[:len(data) // 3])
    out["truncated"] = str(d / "truncated.mp4")
    (d / "garbage.mp4").write_bytes(np.random.default_rng(1).integers(0, 256, 20000, dtype=np.uint8).tobytes())
    out["garbage"] = str(d / "garbage.mp4")
    (d / "empty.mp4").write_bytes(b"")
    out["empty"] = str(d / "empty.mp4")
    return out


def grace_hopper() -> np.ndarray:
    """matplotlib's bundled portrait of Grace Hopper (RGB)."""
    import matplotlib

    from junco import ops

    path = os.path.join(os.path.dirname(matplotlib.__file__), "mpl-data", "sample_data", "grace_hopper.jpg")
    return ops.image_decode.cv2()(path)


def astronaut_crop() -> np.ndarray:
    """Another view of the astronaut's face: cropped, mirrored, scaled up 1.5x."""
    import cv2

    crop = photos()["astronaut"][20:300, 100:330, :][:, ::-1]
    return np.ascontiguousarray(cv2.resize(crop, None, fx=1.5, fy=1.5, interpolation=cv2.INTER_CUBIC))


def save_image(name: str, image: np.ndarray) -> str:
    import cv2

    path = workdir() / name
    cv2.imwrite(str(path), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    return str(path)


@cache
def speaker_op():
    from junco import ops

    op = ops.audio_embedding.resemblyzer(device="cpu")
    op.setup()
    return op


@cache
def frame_op():
    from junco import ops

    op = ops.image_embedding.timm(model_name="efficientnet_lite0", backend="torch", device="cpu")
    op.setup()
    return op


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))
