"""Face operators on bundled photos: scikit-image's astronaut and lfw_subset, matplotlib's Grace Hopper."""

import pickle
from functools import cache

import numpy as np
import pytest

from _media_support import astronaut_crop, grace_hopper, photos
from junco import ops
from junco.ops.face import CHIP_SIZE, Face, align_face


@cache
def detector():
    return ops.face_detect.dlib()


@cache
def embedder():
    return ops.face_embedding.dlib()


def test_detects_the_face_with_box_and_landmarks():
    faces = detector()(photos()["astronaut"])
    assert faces and isinstance(faces[0], Face)
    left, top, right, bottom = faces[0].box
    assert 150 < left < 200 and 50 < top < 100 and 240 < right < 290 and 140 < bottom < 190
    lm = faces[0].landmarks
    assert lm.shape == (5, 2) and np.all((lm[:, 0] > left) & (lm[:, 0] < right) & (lm[:, 1] > top) & (lm[:, 1] < bottom))
    assert [f.score for f in faces] == sorted((f.score for f in faces), reverse=True)
    assert len(ops.face_detect.dlib(max_faces=1)(photos()["astronaut"])) == 1


def test_images_without_faces_give_no_faces():
    for name in ("coffee", "rocket", "chelsea"):
        assert detector()(photos()[name]) == []


def test_lfw_faces_are_found_and_non_faces_are_not():
    import cv2
    import skimage.data

    lfw = skimage.data.lfw_subset()  # 100 faces, then 100 non-faces, 25x25 grey

    def count(indices):
        up = [cv2.resize((lfw[i] * 255).astype(np.uint8), (100, 100), interpolation=cv2.INTER_CUBIC) for i in indices]
        return sum(bool(detector()(im)) for im in up)

    assert count(range(20)) >= 14
    assert count(range(100, 120)) <= 2


def test_same_face_across_two_crops_is_nearer_than_another_face():
    det, emb = detector(), embedder()
    images = [photos()["astronaut"], astronaut_crop(), grace_hopper()]
    chips = [align_face(im, det(im)[0]) for im in images]
    assert all(c.shape == (CHIP_SIZE, CHIP_SIZE, 3) for c in chips)
    a, b, other = emb.forward([emb.preprocess(c) for c in chips])  # chips pass through preprocess
    assert a.shape == (128,)
    same, diff = np.linalg.norm(a - b), min(np.linalg.norm(a - other), np.linalg.norm(b - other))
    assert same < 0.45 < 0.6 < diff, (same, diff)  # dlib's same-person threshold is 0.6
    assert np.allclose(emb(images[0], det(images[0])[0]), a, atol=1e-5)  # (image, face) aligns itself


def test_embedding_needs_a_face_or_an_aligned_chip():
    with pytest.raises(ValueError, match="150x150"):
        embedder().preprocess(photos()["astronaut"])


def test_fingerprints_and_pickling():
    fp = embedder().fingerprint()
    assert fp["op"] == "face-embedding/dlib" and len(fp["weights_sha256"]) == 64 and fp["align"]["size"] == 150
    op = pickle.loads(pickle.dumps(ops.face_detect.dlib(upsample=2)))
    assert op.upsample == 2 and op.model is None
