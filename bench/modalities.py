"""Audio, video and face throughput: each named pipeline end to end next to its bare model forward.

- audio: ``pipeline("audio-embedding")`` (decode -> resample -> VAD -> mel -> speaker encoder) on
  espeak-ng WAVs, against the encoder's batched forward on mel partials computed beforehand.
- video: ``pipeline("video-embedding")`` (PyAV decode at 1 fps -> efficientnet-lite0 -> mean pool) on
  H.264 clips made from the bundled photos, against the image model's batched forward on the frames'
  tensors computed beforehand.
- face: ``pipeline("face-embedding")`` (decode -> HOG detect -> align -> ResNet) on photos, against the
  ResNet's batched forward on aligned chips; the detector alone is timed too.
- ``--birdnet``: the opt-in BirdNET operator (non-commercial licence) on 3 s chunks.

The engine's output cache is off, so every run computes. Runs alternate (A B A B ...).

Run: ``python -m bench.modalities [--clips 16] [--videos 6] [--faces 12] [--repeats 3] [--birdnet]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
from typing import Any

import numpy as np

from bench._harness import compare, table, write

VOICES = ("en", "en+f3", "en-us+m7", "en+m3")
TEXTS = ("The quick brown fox jumps over the lazy dog near the river bank.",
         "She sells sea shells by the sea shore every summer morning.",
         "A journey of a thousand miles begins with a single step forward.",
         "Bright stars were shining over the quiet harbour late last night.")


def _engine() -> Any:
    from bench.engines import NoCache
    from junco.engine import LocalEngine

    return LocalEngine(cache=NoCache())


def make_speech(folder: str, n: int) -> list[str]:
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise RuntimeError("espeak-ng is needed (tools/system_deps.sh installs it)")
    paths = []
    for i in range(n):
        path = os.path.join(folder, f"speech{i}.wav")
        subprocess.run([exe, "-v", VOICES[i % len(VOICES)], "-w", path, TEXTS[(i // len(VOICES)) % len(TEXTS)]],
                       check=True)
        paths.append(path)
    return paths


def make_videos(folder: str, n: int, seconds: int = 5, fps: int = 10) -> list[str]:
    import av
    import cv2
    import skimage.data

    photos = [getattr(skimage.data, name)() for name in ("chelsea", "coffee", "rocket", "astronaut")]
    paths = []
    for i in range(n):
        img = photos[i % len(photos)]
        h, w = img.shape[:2]
        path = os.path.join(folder, f"video{i}.mp4")
        with av.open(path, "w") as out:
            stream = out.add_stream("libx264", rate=fps)
            stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
            for k in range(seconds * fps):
                s = 1.0 - 0.4 * k / (seconds * fps)
                ch, cw = int(h * s), int(w * s)
                frame = cv2.resize(img[(h - ch) // 2:(h + ch) // 2, (w - cw) // 2:(w + cw) // 2], (320, 240))
                for pkt in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                    out.mux(pkt)
            for pkt in stream.encode():
                out.mux(pkt)
        paths.append(path)
    return paths


def make_faces(folder: str, n: int) -> list[str]:
    import cv2
    import matplotlib
    import skimage.data

    hopper = cv2.imread(os.path.join(os.path.dirname(matplotlib.__file__), "mpl-data", "sample_data",
                                     "grace_hopper.jpg"))
    astronaut = cv2.cvtColor(skimage.data.astronaut(), cv2.COLOR_RGB2BGR)
    rng = np.random.default_rng(0)
    paths = []
    for i in range(n):
        img = (astronaut, hopper)[i % 2]
        h, w = img.shape[:2]
        s = rng.uniform(0.8, 1.0)
        y, x = rng.integers(0, int(h * (1 - s)) + 1), rng.integers(0, int(w * (1 - s)) + 1)
        path = os.path.join(folder, f"face{i}.jpg")
        cv2.imwrite(path, img[y:y + int(h * s), x:x + int(w * s)])
        paths.append(path)
    return paths


def _batched(fn: Any, items: list[Any], batch: int) -> Any:
    def run() -> None:
        for i in range(0, len(items), batch):
            fn(items[i:i + batch])

    return run


def _pipe_case(p: Any, inputs: list[str]) -> Any:
    def run() -> None:
        res = p.batch(inputs)
        assert not res.errors, res.report.summary()

    return run


def bench_audio(folder: str, n: int, repeats: int) -> tuple[str, dict[str, Any]]:
    from junco import ops, pipeline

    paths = make_speech(folder, n)
    p = pipeline("audio-embedding", engine=_engine())
    op = p.plan.steps[1].fn
    op.setup()
    partials = [op.preprocess(x) for x in paths]
    seconds = sum(ops.audio_decode.soundfile()(x).duration for x in paths)
    rows = compare({"pipeline, files -> vectors": _pipe_case(p, paths),
                    "bare batched forward (mel partials)": _batched(op.forward, partials, op.batch_size)},
                   repeats=repeats, units=n, unit="clips/s")
    note = (f"- {seconds:.0f} s of speech in {n} clips: pipeline = **{seconds * rows[0]['throughput'] / n:.0f}x "
            f"real time**; backend {op.active_backend}; pipeline / bare = "
            f"{rows[0]['throughput'] / rows[1]['throughput']:.2f}x")
    return table(f"audio-embedding (Resemblyzer speaker encoder) over {n} espeak-ng clips", rows) + "\n\n" + note, \
        {"audio": {"rows": rows, "seconds": seconds}}


def bench_video(folder: str, n: int, repeats: int) -> tuple[str, dict[str, Any]]:
    from junco import ops, pipeline

    paths = make_videos(folder, n)
    p = pipeline("video-embedding", engine=_engine())
    image_op = p.plan.steps[1].fn
    image_op.setup()
    decode = ops.video_decode.av(fps=1.0, max_side=512)
    tensors = [image_op.preprocess(f) for x in paths for f, _ in decode(x)]
    rows = compare({"pipeline, files -> vectors": _pipe_case(p, paths),
                    "bare batched forward (frame tensors)": _batched(image_op.forward, tensors, image_op.batch_size)},
                   repeats=repeats, units=n, unit="videos/s")
    per = len(tensors) / n
    note = (f"- {len(tensors)} frames sampled (1 fps, {per:.0f} per 5 s clip): pipeline "
            f"**{rows[0]['throughput'] * per:.1f} frames/s**, bare forward **{rows[1]['throughput'] * per:.1f} "
            f"frames/s** (backend {image_op.active_backend})")
    return table(f"video-embedding (efficientnet-lite0, mean pool) over {n} H.264 clips (320x240, 5 s)", rows) + \
        "\n\n" + note, {"video": {"rows": rows, "frames": len(tensors)}}


def bench_face(folder: str, n: int, repeats: int) -> tuple[str, dict[str, Any]]:
    from junco import ops, pipeline

    paths = make_faces(folder, n)
    p = pipeline("face-embedding", engine=_engine(), max_faces=1)
    detect = ops.face_detect.dlib(max_faces=1)
    embed = ops.face_embedding.dlib()
    images = [ops.image_decode.cv2()(x) for x in paths]
    chips = [embed.preprocess(im, detect(im)[0]) for im in images]
    embed.setup()
    rows = compare({"pipeline, files -> vectors": _pipe_case(p, paths),
                    "bare batched forward (aligned chips)": _batched(embed.forward, chips, embed.batch_size),
                    "detector alone (decoded images)": lambda: [detect(im) for im in images]},
                   repeats=repeats, units=n, unit="faces/s")
    return table(f"face-embedding (dlib HOG + ResNet) over {n} photos (~500 px), one face each", rows), \
        {"face": {"rows": rows}}


def bench_birdnet(repeats: int) -> tuple[str, dict[str, Any]]:
    from junco import ops

    op = ops.audio_embedding.birdnet()
    op.setup()
    chunks = np.random.default_rng(0).standard_normal((8, 144000)).astype(np.float32) * 0.05
    rows = compare({"bare forward, 3 s chunks": lambda: op.embed_chunks(chunks)}, repeats=repeats, units=8,
                   unit="chunks/s")
    return table("audio-embedding/birdnet (opt-in, CC BY-NC-SA 4.0), chunk_batch 1", rows), {"birdnet": {"rows": rows}}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clips", type=int, default=16)
    ap.add_argument("--videos", type=int, default=6)
    ap.add_argument("--faces", type=int, default=12)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--birdnet", action="store_true", help="also time the opt-in BirdNET model")
    args = ap.parse_args(argv)
    sections, data = [], {}
    with tempfile.TemporaryDirectory() as folder:
        for fn, k in ((bench_audio, args.clips), (bench_video, args.videos), (bench_face, args.faces)):
            text, d = fn(folder, k, args.repeats)
            sections.append(text)
            data.update(d)
    if args.birdnet:
        text, d = bench_birdnet(args.repeats)
        sections.append(text)
        data.update(d)
    write("modalities", sections, data)
    return data


if __name__ == "__main__":
    main()
