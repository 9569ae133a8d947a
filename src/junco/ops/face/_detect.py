"""``face-detect/dlib``: dlib's HOG face detector with its 5-point landmark model."""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from junco.ops import register
from junco.ops._native import NativeModel, NativeModelOperator
from junco.ops.face._models import SHAPE_5, as_rgb, import_dlib, model_file


class Face(NamedTuple):
    """One detected face.

    Attributes:
        box: ``(left, top, right, bottom)`` in pixels of the input image.
        landmarks: ``(5, 2)`` float32 ``(x, y)`` points: eye corners and the base of the nose.
        score: the detector's confidence (higher is surer; 0 is its default threshold).

    Example:
        >>> Face((0, 0, 10, 10), np.zeros((5, 2), np.float32), 1.0).box
        (0, 0, 10, 10)
    """

    box: tuple[int, int, int, int]
    landmarks: np.ndarray
    score: float


@register("face-detect/dlib")
class DlibFaceDetect(NativeModelOperator):
    """Find frontal faces with dlib's HOG detector; 5 landmarks per face for alignment.

    An image with no face gives an empty list (zero rows in a ``flat_map``), not an error.

    Args:
        upsample: times the image is upsampled before detecting (1 finds faces down to ~40 px).
        min_score: detection threshold added to dlib's own (negative finds more, less sure faces).
        max_faces: keep at most this many faces, the most confident first (None: all).
        max_side: detect on a copy scaled down to this longer side (bounds time on huge images; boxes
            and landmarks are given in the input's pixels).
        predictor_path: a dlib 5-point shape predictor; default the one in ``face_recognition_models``.

    Returns:
        Called on an RGB image (array, path or bytes): ``[Face(box, landmarks, score), ...]``.

    Example:
        >>> import skimage.data
        >>> from junco import ops
        >>> faces = ops.face_detect.dlib(max_faces=1)(skimage.data.astronaut())
        >>> faces[0].box, faces[0].landmarks.shape
        ((175, 76, 265, 166), (5, 2))
    """

    def __init__(self, *, upsample: int = 1, min_score: float = 0.0, max_faces: int | None = None,
                 max_side: int | None = 1600, predictor_path: str | None = None):
        if upsample < 0 or (max_faces is not None and max_faces < 1):
            raise ValueError("upsample must be >= 0 and max_faces >= 1 or None")
        super().__init__(config={"upsample": upsample, "min_score": min_score, "max_faces": max_faces,
                                 "max_side": max_side, "predictor_path": predictor_path})
        self.upsample, self.min_score, self.max_faces = upsample, float(min_score), max_faces
        self.max_side, self.predictor_path = max_side, predictor_path

    def check(self) -> None:
        """``ModelNotFoundError`` when the model file is missing, ``ImportError`` without dlib."""
        import_dlib()
        model_file(SHAPE_5, self.predictor_path)

    def load_model(self) -> Any:
        from junco.models import Weights

        dlib = import_dlib()
        path = model_file(SHAPE_5, self.predictor_path)
        self.weights = Weights("checkpoint" if self.predictor_path else "package", str(path),
                               "" if self.predictor_path else "face_recognition_models")
        return NativeModel((dlib.get_frontal_face_detector(), dlib.shape_predictor(str(path))))

    def model_fingerprint(self) -> dict[str, Any]:
        return {"architecture": "dlib-hog-frontal+shape5", "upsample": self.upsample, "min_score": self.min_score,
                "max_faces": self.max_faces, "max_side": self.max_side}

    def save_weights(self, directory: Path) -> dict[str, Any]:
        import shutil

        shutil.copyfile(self.weights.path, directory / SHAPE_5)
        return {"predictor_path": f"./{SHAPE_5}"}

    def detect(self, image: Any) -> list[Face]:
        """The faces in ``image``, most confident first."""
        dlib = import_dlib()
        self.setup()
        rgb = as_rgb(image)
        small, scale = rgb, 1.0
        if self.max_side and max(rgb.shape[:2]) > self.max_side:
            import cv2

            scale = self.max_side / max(rgb.shape[:2])
            # at least 1 pixel per side: a 1 x 100000 strip would round to 0 and make OpenCV assert
            small = cv2.resize(rgb, (max(1, round(rgb.shape[1] * scale)), max(1, round(rgb.shape[0] * scale))),
                               interpolation=cv2.INTER_AREA)
        detector, predictor = self.model.obj
        with self.model.lock:
            rects, scores, _ = detector.run(small, self.upsample, self.min_score)
            found = sorted(zip(scores, rects), key=lambda sr: -sr[0])[:self.max_faces]
            faces = []
            for score, r in found:
                box = dlib.rectangle(round(r.left() / scale), round(r.top() / scale),
                                     round(r.right() / scale), round(r.bottom() / scale))
                shape = predictor(rgb, box)
                pts = np.array([(p.x, p.y) for p in shape.parts()], np.float32)
                faces.append(Face((box.left(), box.top(), box.right(), box.bottom()), pts, float(score)))
        return faces

    def __call__(self, image: Any) -> list[Face]:
        return self.detect(image)
