"""Near-duplicate video search, offline: embed a small video library, then find the copies of each query.

The library is made here from scikit-image's bundled photos (slow zooms encoded with PyAV); the queries
are edited copies — re-encoded smaller with another codec, mirrored and brightened, trimmed — plus one
video that is in no library item. Every video becomes one vector with ``pipeline("video-embedding")``
(frames at 1 fps -> efficientnet-lite0 -> mean pool); a query is a duplicate when its best hit's cosine
similarity clears ``--threshold``.

Run: ``python examples/near_duplicate_video.py [--threshold 0.85] [--keep DIR]``.
"""

from __future__ import annotations

import argparse
import os
import tempfile

import numpy as np


def clip_frames(image: np.ndarray, n: int = 40, size: tuple[int, int] = (320, 240), zoom: float = 0.35,
                mirror: bool = False, gain: float = 1.0) -> list[np.ndarray]:
    """``n`` frames of a slow zoom into ``image`` (optionally mirrored / brightened)."""
    import cv2

    h, w = image.shape[:2]
    frames = []
    for i in range(n):
        s = 1.0 - zoom * i / (n - 1)
        ch, cw = int(h * s), int(w * s)
        f = cv2.resize(image[(h - ch) // 2:(h + ch) // 2, (w - cw) // 2:(w + cw) // 2], size)
        f = f[:, ::-1] if mirror else f
        frames.append(np.clip(f.astype(np.float32) * gain, 0, 255).astype(np.uint8))
    return frames


def encode(path: str, frames: list[np.ndarray], codec: str = "libx264", fps: int = 10) -> str:
    """Write ``frames`` (RGB) as a video with PyAV."""
    import av

    with av.open(path, "w") as out:
        stream = out.add_stream(codec, rate=fps)
        stream.height, stream.width = frames[0].shape[:2]
        stream.pix_fmt = "yuv420p"
        if codec == "mpeg4":
            stream.bit_rate = 400_000
        for f in frames:
            for pkt in stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(f), format="rgb24")):
                out.mux(pkt)
        for pkt in stream.encode():
            out.mux(pkt)
    return path


def make_videos(folder: str) -> tuple[dict[str, str], dict[str, tuple[str, str | None]]]:
    """The library (name -> path) and the queries (name -> (path, the library item it copies or None))."""
    import skimage.data

    photo = {n: getattr(skimage.data, n)() for n in ("chelsea", "coffee", "rocket", "astronaut", "hubble_deep_field")}
    library = {n: encode(os.path.join(folder, f"{n}.mp4"), clip_frames(photo[n]))
               for n in ("chelsea", "coffee", "rocket", "astronaut")}
    queries = {
        "chelsea, re-encoded 160x120 mpeg4": (encode(os.path.join(folder, "q1.avi"),
                                                     clip_frames(photo["chelsea"], size=(160, 120)), "mpeg4"),
                                              "chelsea"),
        "coffee, mirrored and brighter": (encode(os.path.join(folder, "q2.mp4"),
                                                 clip_frames(photo["coffee"], mirror=True, gain=1.2)), "coffee"),
        "rocket, last 2 seconds only": (encode(os.path.join(folder, "q3.mp4"), clip_frames(photo["rocket"])[20:]),
                                        "rocket"),
        "hubble deep field (not in library)": (encode(os.path.join(folder, "q4.mp4"),
                                                   clip_frames(photo["hubble_deep_field"])), None),
    }
    return library, queries


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threshold", type=float, default=0.85, help="cosine similarity that makes a duplicate")
    ap.add_argument("--keep", help="write the videos to this folder instead of a temporary one")
    args = ap.parse_args(argv)

    from junco import pipeline
    from junco.index import open_index

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or tmp
        os.makedirs(folder, exist_ok=True)
        library, queries = make_videos(folder)
        embed = pipeline("video-embedding", fps=1.0)
        lib_vecs = embed.batch(list(library.values()))
        index = open_index(dim=len(lib_vecs[0][0]), metric="cosine")
        index.add(list(library), [rows[0] for rows in lib_vecs])
        q_vecs = embed.batch([path for path, _ in queries.values()])
        correct = 0
        print(f"{'query':36s} {'best hit':10s} {'cosine':>7s}  verdict")
        for (name, (_, truth)), rows in zip(queries.items(), q_vecs):
            hits = index.search([rows[0]], topk=1)[0]
            best, score = hits.ids[0], float(hits.scores[0])
            found = best if score >= args.threshold else None
            correct += found == truth
            verdict = f"duplicate of {found}" if found else "no duplicate"
            print(f"{name:36s} {best:10s} {score:7.3f}  {verdict}{'' if found == truth else '  (WRONG)'}")
        print(f"{correct}/{len(queries)} queries answered correctly (threshold {args.threshold})")
    return 0 if correct == len(queries) else 1


if __name__ == "__main__":
    raise SystemExit(main())
