"""Rendering helpers: PNG thumbnails without an imaging library, value summaries, notebook detection."""

import base64
import io
import re

import numpy as np
import pytest

from junco.collection import Empty, _show


def test_png_bytes_decode_to_the_same_pixels():
    pil = pytest.importorskip("PIL.Image")
    rng = np.random.default_rng(0)
    for shape in ((5, 7, 3), (6, 4, 4), (3, 9)):
        a = rng.integers(0, 256, size=shape, dtype=np.uint8)
        back = np.asarray(pil.open(io.BytesIO(_show.png_bytes(a))))
        assert back.shape == a.shape and (back == a).all()


def test_thumbnails_are_small_and_bgr_is_shown_as_rgb():
    pil = pytest.importorskip("PIL.Image")

    class BGR(np.ndarray):
        mode = "BGR"

    big = np.zeros((600, 300, 3), np.uint8)
    big[..., 0] = 200  # blue in BGR order
    for arr, first in ((big, 200), (big.view(BGR), 0)):
        tag = _show.thumbnail(arr, np.asarray(arr))
        data = base64.b64decode(re.search(r"base64,([^\"]+)", tag).group(1))
        img = np.asarray(pil.open(io.BytesIO(data)))
        assert max(img.shape[:2]) <= _show.THUMB
        assert img[0, 0, 0] == first


def test_summaries():
    assert _show.summary(np.array([3.0, 4.0])).startswith("vec[2] float64 norm=5.000 [3, 4]")
    assert "..." in _show.summary(np.arange(10.0))
    assert _show.summary(np.zeros((2, 3, 5), np.float32)) == "array (2, 3, 5) float32"
    assert _show.summary(np.zeros((8, 8), np.uint8)) == "image 8x8 uint8"
    assert _show.summary("x" * 100).endswith("...") and len(_show.summary("x" * 100)) == 60
    assert _show.summary(Empty("map[1]", ValueError("bad"))) == "Empty(ValueError: bad)"

    class Hits:
        ids = ["a.jpg", "b.jpg"]
        scores = [0.1, 0.2]

    assert _show.summary(Hits()).startswith("hits ids=['a.jpg', 'b.jpg']")


def test_cells_render_lists_of_images_as_thumbnails():
    cell = _show.cell_html([np.zeros((4, 4, 3), np.uint8)] * 2)
    assert cell.count("<img") == 2
    assert _show.cell_html([1, 2]) == "[1, 2]"


def test_not_a_notebook_here():
    assert _show.in_notebook() is False
