"""The registry of index backends: ``index/exact``, ``index/faiss``, ``index/milvus`` and plugins."""

from __future__ import annotations

from typing import Any

from junco.registry import Registry

# the built-in backends register when junco.index._backends is imported (on first lookup); their
# heavy dependencies (faiss, pymilvus) are imported only when an index is opened
BACKENDS: Registry[Any] = Registry("index backend", modules={"index": "junco.index._backends"},
                                   entry_point_group="junco.index_backends")


def register_backend(name: str) -> Any:
    """Register a backend class under ``"namespace/name"`` (decorator).

    Example:
        >>> from junco.index import BACKENDS
        >>> BACKENDS.get("index/exact").__name__
        'ExactIndex'
    """
    return BACKENDS.register(name)
