"""Named pipelines: ``pipeline("image-embedding", model=...)`` and alias forms like
``pipeline("image-embedding-resnet50")`` (a builder name + its ``model`` argument)."""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

_BUILDERS: dict[str, Callable[..., Any]] = {}
_PREFIX_OK: set[str] = set()
# modules that register built-in pipelines; imported on first lookup
_BUILTIN_MODULES = ["junco.pipelines.image", "junco.pipelines.text", "junco.pipelines.audio",
                    "junco.pipelines.video", "junco.pipelines.face"]
_loaded = False


def register_pipeline(name: str, *, aliases_prefix: bool = True) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a builder ``fn(**kwargs) -> Pipeline``.

    Args:
        name: the pipeline's name, e.g. ``"image-embedding"``.
        aliases_prefix: also answer ``"<name>-<model>"`` by calling the builder with ``model=<model>``.
    """
    key = name.lower().replace("_", "-")

    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        _BUILDERS[key] = fn
        if aliases_prefix:
            _PREFIX_OK.add(key)
        return fn

    return deco


def _load_builtins() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for mod in _BUILTIN_MODULES:
        try:
            importlib.import_module(mod)
        except ModuleNotFoundError as e:
            if not (e.name or "").startswith("junco.pipelines"):
                raise


def list_pipelines() -> list[str]:
    """The names of every registered pipeline."""
    _load_builtins()
    return sorted(_BUILDERS)


def pipeline(name: str, *, engine: Any = None, **overrides: Any) -> Any:
    """Build a named pipeline, or load a spec file (``.yaml``/``.json``).

    Example:
        >>> from junco import pipeline
        >>> "image-embedding" in __import__("junco").pipeline_names()
        True
    """
    if name.endswith((".yaml", ".yml", ".json")) and Path(name).is_file():
        from junco.pipeline._runnable import Pipeline

        return Pipeline.load(name, engine=engine)
    _load_builtins()
    key = name.lower().replace("_", "-")
    if key in _BUILDERS:
        p = _BUILDERS[key](**overrides)
    else:
        for base in sorted(_PREFIX_OK, key=len, reverse=True):
            if key.startswith(base + "-"):
                p = _BUILDERS[base](model=name[len(base) + 1:], **overrides)
                break
        else:
            close = difflib.get_close_matches(key, list(_BUILDERS), n=5, cutoff=0.4)
            hint = f" Closest: {', '.join(close)}." if close else ""
            raise KeyError(f"unknown pipeline {name!r}.{hint} Known: {', '.join(sorted(_BUILDERS))}")
    if engine is not None:
        p.set_engine(engine)
    return p
