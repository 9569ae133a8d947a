"""Turning request payloads into model inputs, with every bad payload a clear 4xx.

Images are checked from their header first (format, size, pixel count) so a decompression bomb or a
1x1 image is refused before a pixel is decoded; decoding then runs in the request's own thread, never
inside a batch shared with other requests.
"""

from __future__ import annotations

import base64
import binascii
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from junco.serve._config import Limits

MODALITIES = ("text", "image", "json")


class RequestError(Exception):
    """A request the service will not compute; ``status`` is the HTTP status (4xx) to answer with."""

    def __init__(self, status: int, message: str):
        self.status = status
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class Item:
    """One model input: its modality, its value (text, image bytes or array, any JSON), its id.

    Example:
        >>> Item("text", "a cat", "q1").modality
        'text'
    """

    modality: str
    value: Any
    id: Any = None


def image_size(data: bytes) -> tuple[int, int]:
    """``(width, height)`` from the header only; :class:`RequestError` 422 when it is not an image."""
    from PIL import Image, UnidentifiedImageError

    if not data:
        raise RequestError(422, "empty image (0 bytes)")
    Image.MAX_IMAGE_PIXELS = None  # our own limit applies, with a clearer message
    try:
        with Image.open(io.BytesIO(data)) as im:
            return im.size
    except UnidentifiedImageError:
        raise RequestError(422, f"not an image in a known format ({len(data)} bytes)") from None
    except (OSError, SyntaxError, ValueError) as e:
        raise RequestError(422, f"not a readable image ({len(data)} bytes): {e}") from None


def check_image(data: bytes, limits: Limits) -> tuple[int, int]:
    """Refuse images that are too small or too large, from the header alone.

    Example:
        >>> try:
        ...     check_image(b"nope", Limits())
        ... except RequestError as e:
        ...     e.status
        422
    """
    w, h = image_size(data)
    if w * h > limits.max_image_pixels:
        raise RequestError(413, f"image is {w}x{h} = {w * h:,} pixels, over this service's limit of "
                                f"{limits.max_image_pixels:,} pixels")
    if min(w, h) < limits.min_image_side:
        raise RequestError(422, f"image is {w}x{h} pixels; the smallest side this service accepts is "
                                f"{limits.min_image_side} pixels")
    return w, h


def decode_image(data: bytes, limits: Limits) -> Any:
    """Check, then decode to an RGB ``uint8`` array ``(H, W, 3)``; 422 for corrupt or truncated data."""
    from junco.ops.image import Cv2Decode, ImageDecodeError

    check_image(data, limits)
    try:
        return Cv2Decode(max_pixels=limits.max_image_pixels).decode(data)
    except ImageDecodeError as e:
        raise RequestError(422, f"cannot decode the image: {e}") from None


def from_base64(text: Any, what: str = "image") -> bytes:
    """Bytes of a base64 string (a ``data:...;base64,`` prefix is allowed); 422 when it is not base64."""
    if not isinstance(text, str):
        raise RequestError(422, f"{what} must be a base64 string, got {type(text).__name__}")
    if text.startswith("data:") and "," in text:
        text = text.split(",", 1)[1]
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as e:
        raise RequestError(422, f"{what} is not valid base64: {e}") from None


def check_text(value: Any) -> str:
    """A non-empty string, or 422."""
    if not isinstance(value, str):
        raise RequestError(422, f"text must be a string, got {type(value).__name__}")
    if not value.strip():
        raise RequestError(422, "text is empty")
    return value


def check_vector(value: Any, dim: int | None) -> list[float]:
    """A flat list of finite numbers of the index's dimension, or 422."""
    import math

    if not isinstance(value, list) or not value or not all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in value):
        raise RequestError(422, "vector must be a non-empty list of numbers")
    if not all(math.isfinite(v) for v in value):
        raise RequestError(422, "vector contains NaN or infinity")
    if dim is not None and len(value) != dim:
        raise RequestError(422, f"vector has {len(value)} dimensions; this index holds {dim}-d vectors")
    return [float(v) for v in value]


def resolve_in_roots(path: str, roots: tuple[Path, ...]) -> Path:
    """The real path of ``path`` if it lies inside one of ``roots`` (symlinks resolved), else 403.

    A relative path is taken relative to each root in turn.

    Example:
        >>> resolve_in_roots("/etc/passwd", (Path("/tmp"),))
        Traceback (most recent call last):
        ...
        junco.serve._inputs.RequestError: '/etc/passwd' is outside the folders this service may read
    """
    if not roots:
        raise RequestError(403, "this service reads no files (start it with --root DIR to allow a folder)")
    if not isinstance(path, str) or not path or "\x00" in path:
        raise RequestError(422, "path must be a non-empty string")
    p = Path(path)
    candidates = [p] if p.is_absolute() else [r / p for r in roots]
    for c in candidates:
        real = Path(os.path.realpath(c))
        for r in roots:
            if real == r or r in real.parents:
                return real
    raise RequestError(403, f"{path!r} is outside the folders this service may read")
