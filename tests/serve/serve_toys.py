"""Small real operators for the service's mechanics (no weights), and a threaded uvicorn server."""

from __future__ import annotations

import contextlib
import socket
import threading
import time

import numpy as np

from junco import pipe
from junco.operator import Operator
from junco.serve import ServedModel


class ToyText(Operator):
    """Text -> [len, count of 'a', 1]; records batch sizes and inputs; ``"boom"`` fails its row only."""

    batch_size = 64

    def __init__(self, delay: float = 0.0):
        self.delay = delay
        self.batches: list[int] = []
        self.seen: list[str] = []
        self.broken = False

    def forward(self, batch):
        if self.broken:
            raise RuntimeError("model weights are gone")
        self.batches.append(len(batch))
        self.seen.extend(batch)
        if self.delay:
            time.sleep(self.delay)
        if "boom" in batch:
            raise ValueError("boom is not a word")
        return [np.array([len(t), t.count("a"), 1.0], dtype=np.float32) for t in batch]


class MeanColor(Operator):
    """RGB image array -> its mean colour, unit length (a real image 'model' with no weights)."""

    batch_size = 16

    def preprocess(self, img):
        if img.ndim != 3 or img.shape[2] != 3:
            raise ValueError(f"expected an RGB image, got shape {img.shape}")
        return img.reshape(-1, 3).mean(0)

    def forward(self, batch):
        v = np.stack(batch).astype(np.float32) + 1e-3
        return list(v / np.linalg.norm(v, axis=1, keepdims=True))


COLOURS = {"red": (220, 20, 20), "green": (20, 200, 20), "blue": (20, 20, 220)}


class ColourWords(Operator):
    """A colour word -> the unit vector of that colour (the text side of the toy shared space)."""

    def forward(self, batch):
        out = []
        for t in batch:
            c = COLOURS.get(t.strip().lower())
            if c is None:
                raise ValueError(f"unknown colour {t!r}; try {', '.join(COLOURS)}")
            v = np.array(c, dtype=np.float32)
            out.append(v / np.linalg.norm(v))
        return out


def text_model(op: ToyText | None = None, **kw) -> tuple[ServedModel, ToyText]:
    op = op or ToyText()
    return ServedModel({"text": pipe.input("text").map("text", "vec", op).output("vec")}, name="toy-text", **kw), op


def colour_model() -> ServedModel:
    return ServedModel({"image": pipe.input("img").map("img", "vec", MeanColor()).output("vec"),
                        "text": pipe.input("text").map("text", "vec", ColourWords()).output("vec")},
                       name="toy-colours", fingerprint={"op": "toy-colours"}, probe={"text": "red"})


def png(colour=(200, 30, 30), size=(32, 32)) -> bytes:
    import cv2

    img = np.zeros((size[1], size[0], 3), np.uint8)
    img[:] = colour[::-1]  # cv2 writes BGR
    ok, buf = cv2.imencode(".png", img)
    return buf.tobytes()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running(app):
    """A real uvicorn server for ``app`` on a loopback port, in a thread; yields its base URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           access_log=False))
    t = threading.Thread(target=server.run, daemon=True)
    t.start()
    deadline = time.time() + 30
    while not server.started:
        if time.time() > deadline or not t.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        t.join(10)
