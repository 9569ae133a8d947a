"""Typed service settings: request limits, dynamic batching, and the whole service config."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Limits:
    """What one request may ask of the service; anything past a limit gets a 4xx, never a crash.

    Attributes:
        max_body_bytes: largest request body (413 past it).
        max_image_pixels: largest decoded image, width x height (413 past it; read from the header,
            before any pixel is decoded).
        min_image_side: smallest image side in pixels (422 below it: a 1x1 image embeds as noise).
        max_items: most inputs in one embed / insert request.
        max_topk: most hits one search may ask for.

    Example:
        >>> Limits(max_body_bytes=1024).max_body_bytes
        1024
    """

    max_body_bytes: int = 20 * 1024 * 1024
    max_image_pixels: int = 40_000_000
    min_image_side: int = 8
    max_items: int = 256
    max_topk: int = 1000


@dataclass(frozen=True)
class Batching:
    """Dynamic batching across concurrent requests.

    Attributes:
        max_batch_size: most inputs per model call (1 turns batching off).
        max_wait_s: how long the first queued input waits for others before its batch runs anyway.
        max_queue: inputs waiting at most; past it new requests get 503 at once (back-pressure).
        timeout_s: default deadline of a request; an input still queued past its deadline is dropped
            (504), not computed. A client may ask for less with the ``X-Timeout`` header (seconds).

    Example:
        >>> Batching(max_batch_size=1).max_batch_size
        1
    """

    max_batch_size: int = 32
    max_wait_s: float = 0.005
    max_queue: int = 1024
    timeout_s: float = 30.0

    def __post_init__(self) -> None:
        if self.max_batch_size < 1:
            raise ValueError(f"max_batch_size must be >= 1, got {self.max_batch_size}")
        if self.max_wait_s < 0 or self.timeout_s <= 0 or self.max_queue < 1:
            raise ValueError("max_wait_s must be >= 0, timeout_s > 0 and max_queue >= 1")


@dataclass(frozen=True)
class ServeConfig:
    """Everything ``junco serve`` is started with.

    Attributes:
        pipeline: a named pipeline (``"text-embedding"``) or a spec file (``.yaml``/``.json``).
        index: a store URI (``"vectors.db"``, ``"faiss:///path"``, ...) to search and write, or None.
        roots: folders the service may read files from (insert by path, gallery thumbnails); no other
            path is ever opened.
        modality: ``"text"``, ``"image"`` or ``"json"``; None guesses from the pipeline.
        options: keyword options for the named pipeline (``{"backend": "torch"}``).
        host, port: where to listen.
        limits, batching: see :class:`Limits` and :class:`Batching`.

    Example:
        >>> ServeConfig("text-embedding", roots=("/data",)).roots
        (PosixPath('/data'),)
    """

    pipeline: str
    index: str | None = None
    roots: tuple[Path, ...] = ()
    modality: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    host: str = "127.0.0.1"
    port: int = 8000
    limits: Limits = field(default_factory=Limits)
    batching: Batching = field(default_factory=Batching)

    def __post_init__(self) -> None:
        object.__setattr__(self, "roots", tuple(Path(r).expanduser().resolve() for r in self.roots))

    def to_dict(self) -> dict[str, Any]:
        """Plain data (for ``/info`` and logs)."""
        d = asdict(self)
        d["roots"] = [str(r) for r in self.roots]
        return d
