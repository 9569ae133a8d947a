"""junco: embedding applications in a few lines.

Example:
    >>> from junco import pipe
    >>> pipe.input("x").map("x", "y", lambda x: x * 2).output("y")(21)
    [42]
"""

from __future__ import annotations

from typing import Any

from junco import _compat

_compat.install()  # lets the CUDA torchvision wheel import on CPU torch; a no-op elsewhere

__version__ = "0.1.0"

# Bound eagerly (all light): the names `ops` and `pipeline` are also subpackages, and binding them here
# keeps `from junco import ops, pipeline` the objects, whatever was imported before.
from junco.engine import RunReport  # noqa: E402
from junco.ops import ops, register  # noqa: E402
from junco.pipeline import Pipeline, pipe, pipeline, register_pipeline  # noqa: E402
from junco.pipeline import list_pipelines as pipeline_names  # noqa: E402

_LAZY = {
    "DataCollection": ("junco.collection", "DataCollection"),
}

__all__ = ["DataCollection", "Pipeline", "RunReport", "ops", "pipe", "pipeline", "pipeline_names",
           "register", "register_pipeline"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        mod, attr = _LAZY[name]
        return getattr(importlib.import_module(mod), attr)
    raise AttributeError(f"module 'junco' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + list(_LAZY))
