"""Image decoding: path / bytes / file-like -> **RGB** ``uint8`` array ``(H, W, 3)``.

Both decoders return RGB (never BGR, whatever the library), with the EXIF orientation applied.
Empty, truncated, oversized (decompression bomb) and non-image inputs raise :class:`ImageDecodeError`
(the engine turns it into an error row). URLs are not fetched.
"""

from __future__ import annotations

import io
import os
import re
from typing import IO, Any

from junco.operator import Operator
from junco.ops import register

DEFAULT_MAX_PIXELS = 89_478_485  # Pillow's MAX_IMAGE_PIXELS: ~0.25 GiB of RGB


class ImageDecodeError(ValueError):
    """An input that is not a decodable image (empty, truncated, too large, unknown format)."""


class DecompressionBombError(ImageDecodeError):
    """An image whose pixel count exceeds the decoder's ``max_pixels``."""


def read_bytes(source: str | os.PathLike[str] | bytes | bytearray | memoryview | IO[bytes]) -> bytes:
    """The bytes of a path, a bytes-like object or a binary file-like object.

    Example:
        >>> read_bytes(b"abc")
        b'abc'
    """
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
    elif hasattr(source, "read"):
        data = source.read()
        if isinstance(data, str):
            raise ImageDecodeError("file-like object is in text mode; open it with 'rb'")
    elif isinstance(source, str | os.PathLike):
        s = os.fspath(source)
        if "://" in s:
            raise ImageDecodeError(f"{s!r} looks like a URL; junco decodes local files and bytes only")
        with open(s, "rb") as f:
            data = f.read()
    else:
        raise ImageDecodeError(f"cannot decode an image from {type(source).__name__}")
    if not data:
        raise ImageDecodeError("empty input (0 bytes)")
    return data


def _check_header(data: bytes, max_pixels: int | None) -> tuple[int, int]:
    """Read only the header: size, and the bomb check, before any pixel is decoded."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as im:
            w, h = im.size
    except UnidentifiedImageError as e:
        raise ImageDecodeError(f"not a recognised image format ({len(data)} bytes)") from e
    except Image.DecompressionBombError as e:
        raise DecompressionBombError(str(e)) from e
    except (OSError, SyntaxError, ValueError, EOFError) as e:  # e.g. a truncated WebP: "could not create decoder"
        raise ImageDecodeError(f"cannot read the image header: {e}") from e
    if max_pixels is not None and w * h > max_pixels:
        raise DecompressionBombError(f"image is {w}x{h} = {w * h:,} pixels, over max_pixels={max_pixels:,}")
    return w, h


_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")  # a marker, not stuffing (FF00) nor a restart (RSTn)


def _jpeg_complete(data: bytes) -> bool:
    r"""Whether a JPEG's main image reaches its end-of-image marker (OpenCV decodes truncated ones silently).

    Walks the segments (skipping them by length, so an EXIF thumbnail's EOI does not count) and the
    entropy-coded scans; bytes after EOI (e.g. the video of a "motion photo") are ignored.

    Example:
        >>> _jpeg_complete(b"\xff\xd8\xff\xd9"), _jpeg_complete(b"\xff\xd8\xff\xdb\x00\x43")
        (True, False)
    """
    if not data.startswith(b"\xff\xd8"):
        return True  # not a JPEG: the decoders judge it
    pos, n = 2, len(data)
    while pos + 1 < n:
        if data[pos] != 0xFF:
            return True  # malformed, not truncated: left to the decoder
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xD9:
            return True
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:  # stand-alone markers
            pos += 2
            continue
        if pos + 4 > n:
            return False
        pos += 2 + int.from_bytes(data[pos + 2:pos + 4], "big")
        if marker == 0xDA:  # start of scan: entropy-coded data up to the next real marker
            found = _MARKER.search(data, pos)
            if found is None:
                return False
            pos = found.start()
    return False


class _Decoder(Operator):
    def __init__(self, *, max_pixels: int | None = DEFAULT_MAX_PIXELS):
        self.max_pixels = max_pixels

    def __call__(self, source: Any) -> Any:
        return self.decode(read_bytes(source))

    def decode(self, data: bytes) -> Any:
        raise NotImplementedError


@register("image-decode/pil")
class PilDecode(_Decoder):
    """Decode with Pillow to an RGB ``uint8`` array ``(H, W, 3)``; EXIF orientation applied.

    Args:
        max_pixels: refuse images with more pixels than this (decompression bombs); None for no limit.

    Returns:
        Called on a path, bytes or binary file-like: a ``numpy.ndarray`` (H, W, 3), dtype uint8, **RGB**.

    Example:
        >>> from junco import ops
        >>> import os, skimage.data
        >>> img = ops.image_decode.pil()(os.path.join(os.path.dirname(skimage.data.__file__), "chelsea.png"))
        >>> img.shape, img.dtype.name
        ((300, 451, 3), 'uint8')
    """

    def decode(self, data: bytes) -> Any:
        import numpy as np
        from PIL import Image, ImageOps

        _check_header(data, self.max_pixels)
        try:
            with Image.open(io.BytesIO(data)) as im:
                im.load()  # raises on truncated data (LOAD_TRUNCATED_IMAGES is left off)
                im = ImageOps.exif_transpose(im)
                rgb = im.convert("RGB")
        except (OSError, SyntaxError, ValueError) as e:
            raise ImageDecodeError(f"cannot decode image: {e}") from e
        return np.asarray(rgb)


@register("image-decode/cv2")
class Cv2Decode(_Decoder):
    """Decode with OpenCV to an **RGB** ``uint8`` array ``(H, W, 3)`` (converted from OpenCV's BGR).

    OpenCV applies the EXIF orientation; formats it cannot read (GIF, ...) go through Pillow.

    Args:
        max_pixels: refuse images with more pixels than this (decompression bombs); None for no limit.

    Returns:
        Called on a path, bytes or binary file-like: a ``numpy.ndarray`` (H, W, 3), dtype uint8, **RGB**.

    Example:
        >>> from junco import ops
        >>> import os, skimage.data
        >>> img = ops.image_decode.cv2()(os.path.join(os.path.dirname(skimage.data.__file__), "chelsea.png"))
        >>> img.shape, img.dtype.name
        ((300, 451, 3), 'uint8')
    """

    def decode(self, data: bytes) -> Any:
        import cv2
        import numpy as np

        _check_header(data, self.max_pixels)
        if not _jpeg_complete(data):
            raise ImageDecodeError("truncated JPEG (no end-of-image marker after the last scan)")
        bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        if bgr is None:  # a format OpenCV does not read, or corrupt data: Pillow decides
            return PilDecode(max_pixels=self.max_pixels).decode(data)
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


__all__ = ["Cv2Decode", "DecompressionBombError", "ImageDecodeError", "PilDecode", "read_bytes"]
