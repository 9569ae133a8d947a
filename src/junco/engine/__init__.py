"""Engines execute plans over streams of rows: the local engine here, Ray in ``junco.engine.ray``."""

from junco.engine._block import Block
from junco.engine._cache import DiskCache, cache_dir, shared_cache
from junco.engine._device import resolve_device
from junco.engine._local import LocalEngine, source_blocks
from junco.engine._report import ErrorRecord, NodeStats, RowError, RunReport

__all__ = ["Block", "DiskCache", "ErrorRecord", "LocalEngine", "NodeStats", "RowError", "RunReport",
           "cache_dir", "resolve_device", "shared_cache", "source_blocks"]
