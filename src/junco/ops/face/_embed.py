"""``face-embedding/dlib``: dlib's ResNet face descriptor (128-d; same person when distance < 0.6)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from junco.ops import register
from junco.ops._native import NativeModel, NativeModelOperator
from junco.ops.face._detect import Face
from junco.ops.face._models import RESNET, as_rgb, import_dlib, model_file

CHIP_SIZE, CHIP_PADDING = 150, 0.25  # how dlib's ResNet was trained (dlib.get_face_chip defaults)


def align_face(image: Any, face: Face, *, size: int = CHIP_SIZE, padding: float = CHIP_PADDING) -> np.ndarray:
    """Rotate, scale and crop one face to an upright ``size x size`` chip from its 5 landmarks.

    Args:
        image: the RGB image the face was found in.
        face: a :class:`Face` from ``face-detect/dlib`` (box + 5 landmarks).
        size, padding: the chip's side and the margin around the face (dlib's defaults).

    Returns:
        An RGB ``uint8`` array ``(size, size, 3)``.

    Example:
        >>> import skimage.data
        >>> from junco import ops
        >>> img = skimage.data.astronaut()
        >>> align_face(img, ops.face_detect.dlib()(img)[0]).shape
        (150, 150, 3)
    """
    dlib = import_dlib()
    if len(face.landmarks) != 5:
        raise ValueError(f"align_face needs the 5-point landmarks, got {len(face.landmarks)} points")
    rect = dlib.rectangle(*(int(v) for v in face.box))
    points = dlib.points([dlib.point(int(round(x)), int(round(y))) for x, y in face.landmarks])
    shape = dlib.full_object_detection(rect, points)
    return np.asarray(dlib.get_face_chip(as_rgb(image), shape, size=size, padding=padding))


@register("face-embedding/dlib")
class DlibFaceEmbedding(NativeModelOperator):
    """128-d face descriptors from dlib's ResNet (LFW 99.38%); aligns each face first.

    Same person: Euclidean distance ~0.2-0.5; different people: > 0.6 (dlib's threshold).

    Args:
        num_jitters: embed this many randomly jittered copies and average (slower, slightly better).
        model_path: a dlib ResNet ``.dat``; default the one in ``face_recognition_models``.

    Returns:
        Called on ``(image, face)`` (a :class:`Face` from ``face-detect/dlib``), or on an aligned
        150x150 RGB chip alone: a float32 vector of 128 (not unit length; compare with L2 distance).

    Example:
        >>> from junco import ops
        >>> ops.face_embedding.dlib().dim
        128
    """

    batch_size = 16

    def __init__(self, *, num_jitters: int = 0, model_path: str | None = None):
        if num_jitters < 0:
            raise ValueError(f"num_jitters must be >= 0, got {num_jitters}")
        super().__init__(config={"num_jitters": num_jitters, "model_path": model_path})
        self.num_jitters, self.model_path = int(num_jitters), model_path
        self.dim = 128

    def check(self) -> None:
        """``ModelNotFoundError`` when the model file is missing, ``ImportError`` without dlib."""
        import_dlib()
        model_file(RESNET, self.model_path)

    def load_model(self) -> Any:
        from junco.models import Weights

        dlib = import_dlib()
        path = model_file(RESNET, self.model_path)
        self.weights = Weights("checkpoint" if self.model_path else "package", str(path),
                               "" if self.model_path else "face_recognition_models")
        return NativeModel(dlib.face_recognition_model_v1(str(path)))

    def model_fingerprint(self) -> dict[str, Any]:
        return {"architecture": "dlib-resnet-v1", "align": {"size": CHIP_SIZE, "padding": CHIP_PADDING,
                "landmarks": 5}, "num_jitters": self.num_jitters, "dim": self.dim}

    def save_weights(self, directory: Path) -> dict[str, Any]:
        import shutil

        shutil.copyfile(self.weights.path, directory / RESNET)
        return {"model_path": f"./{RESNET}"}

    def preprocess(self, image: Any, face: Face | None = None) -> np.ndarray:
        """``(image, face)`` -> the aligned 150x150 chip; a chip alone passes through."""
        if face is not None:
            return align_face(image, face)
        chip = as_rgb(image)
        if chip.shape[:2] != (CHIP_SIZE, CHIP_SIZE):
            raise ValueError(f"face-embedding/dlib got an image of {chip.shape[1]}x{chip.shape[0]} without a "
                             "face: pass (image, face) from face-detect/dlib, or an aligned 150x150 chip")
        return chip

    def forward(self, batch: list[np.ndarray]) -> list[np.ndarray]:
        self.setup()
        with self.model.lock:
            vecs = self.model.obj.compute_face_descriptor(list(batch), self.num_jitters)
        return [np.asarray(v, np.float32) for v in vecs]
