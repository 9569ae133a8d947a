"""Imports the built-in backend modules so that they register (cheap: no faiss/pymilvus import)."""

from junco.index import _exact, _faiss, _milvus  # noqa: F401
