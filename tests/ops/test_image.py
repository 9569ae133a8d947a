"""Image decoding: RGB out of both decoders, EXIF orientation, and bad inputs as clear errors."""

import io

import numpy as np
import pytest
from PIL import Image

from _embedding_support import skimage_path
from junco import ops, pipe
from junco.ops.image import DecompressionBombError, ImageDecodeError

DECODERS = ["cv2", "pil"]


def _encode(arr, fmt, **kw):
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, fmt, **kw)
    return buf.getvalue()


@pytest.mark.parametrize("name", DECODERS)
def test_channel_order_is_rgb(name):
    red = np.zeros((8, 8, 3), np.uint8)
    red[..., 0] = 255
    out = getattr(ops.image_decode, name)()(_encode(red, "PNG"))
    assert out.dtype == np.uint8 and out.shape == (8, 8, 3)
    assert out[0, 0].tolist() == [255, 0, 0]


def test_both_decoders_agree_on_a_real_photo_from_path_bytes_and_file():
    path = skimage_path("chelsea.png")
    a = ops.image_decode.cv2()(path)
    b = ops.image_decode.pil()(open(path, "rb").read())
    with open(path, "rb") as f:
        c = ops.image_decode.cv2()(f)
    assert a.shape == (300, 451, 3)
    assert np.array_equal(a, b) and np.array_equal(a, c)


@pytest.mark.parametrize("name", DECODERS)
def test_exif_orientation_is_applied(name):
    img = np.zeros((20, 40, 3), np.uint8)
    img[:, :20] = 255  # left half white
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 CW on display
    out = getattr(ops.image_decode, name)()(_encode(img, "JPEG", exif=exif.tobytes(), quality=95))
    assert out.shape == (40, 20, 3)
    assert out[:20].mean() > 200 and out[20:].mean() < 50  # white half is now on top


@pytest.mark.parametrize("name", DECODERS)
@pytest.mark.parametrize("case", ["empty", "truncated-jpeg", "truncated-png", "not-an-image", "url"])
def test_bad_inputs_raise_image_decode_error(name, case):
    photo = np.asarray(Image.open(skimage_path("coffee.png")).convert("RGB"))
    data = {"empty": b"", "truncated-jpeg": _encode(photo, "JPEG")[:4000],
            "truncated-png": _encode(photo, "PNG")[:4000], "not-an-image": b"hello world" * 10,
            "url": "https://example.com/cat.jpg"}[case]
    with pytest.raises(ImageDecodeError):
        getattr(ops.image_decode, name)()(data)


@pytest.mark.parametrize("name", DECODERS)
def test_decompression_bomb_is_refused_before_decoding(name):
    bomb = io.BytesIO()
    Image.new("L", (12000, 12000)).save(bomb, "PNG")  # 144 Mpx in ~140 kB
    with pytest.raises(DecompressionBombError):
        getattr(ops.image_decode, name)()(bomb.getvalue())
    small = _encode(np.zeros((100, 100, 3), np.uint8), "PNG")
    with pytest.raises(DecompressionBombError, match="max_pixels"):
        getattr(ops.image_decode, name)(max_pixels=5000)(small)


def test_gray_gif_and_rgba_come_out_rgb():
    gray = np.arange(64, dtype=np.uint8).reshape(8, 8)
    assert ops.image_decode.cv2()(_encode(gray, "PNG")).shape == (8, 8, 3)
    assert ops.image_decode.cv2()(_encode(np.stack([gray] * 3, -1), "GIF")).shape == (8, 8, 3)
    rgba = np.zeros((8, 8, 4), np.uint8)
    assert ops.image_decode.pil()(_encode(rgba, "PNG")).shape == (8, 8, 3)


def test_bad_files_become_error_rows_and_the_stream_goes_on(tmp_path):
    good = tmp_path / "good.png"
    good.write_bytes(_encode(np.zeros((10, 10, 3), np.uint8), "PNG"))
    (tmp_path / "empty.jpg").write_bytes(b"")
    p = pipe.input("path").map("path", "img", ops.image_decode.cv2()).output("img")
    res = p.batch([str(good), str(tmp_path / "empty.jpg"), str(good)])
    assert [len(r) for r in res] == [1, 0, 1]
    assert len(res.errors) == 1 and "0 bytes" in str(res.errors[0])


def test_trailing_data_after_the_image_is_not_truncation():
    """A "motion photo" appends a video after the JPEG's end marker: it must still decode."""
    photo = np.asarray(Image.open(skimage_path("coffee.png")).convert("RGB"))
    for kw in ({}, {"progressive": True}):
        data = _encode(photo, "JPEG", **kw)
        junk = np.random.default_rng(0).integers(0, 256, 100_000, dtype=np.uint8).tobytes() + b"\xff\xda\x00\x08"
        assert ops.image_decode.cv2()(data + junk).shape == photo.shape
        with pytest.raises(ImageDecodeError, match="truncated"):
            ops.image_decode.cv2()(data[:-2])
