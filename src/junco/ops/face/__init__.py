"""Face operators on dlib's models (``dlib-bin`` + ``face_recognition_models``, CC0 weights):
``face-detect/dlib`` (HOG boxes + 5 landmarks) and ``face-embedding/dlib`` (aligned ResNet, 128-d).

Importing this module registers them; dlib loads when an operator first runs.

Example:
    >>> from junco import ops
    >>> dir(ops.face_detect), dir(ops.face_embedding)
    (['dlib'], ['dlib'])
"""

from junco.ops.face._detect import DlibFaceDetect, Face
from junco.ops.face._embed import CHIP_PADDING, CHIP_SIZE, DlibFaceEmbedding, align_face
from junco.ops.face._models import as_rgb, model_file

__all__ = ["CHIP_PADDING", "CHIP_SIZE", "DlibFaceDetect", "DlibFaceEmbedding", "Face", "align_face", "as_rgb",
           "model_file"]
