"""Serve any pipeline over HTTP, with dynamic batching across requests and a search web page.

``junco serve text-embedding --index vectors.db`` runs it; in code::

    from junco.serve import ServeConfig, serve
    serve(ServeConfig("text-embedding", index="vectors.db", port=8000))

Endpoints: ``POST /embed``, ``/search``, ``/insert``, ``/delete``; ``GET /health`` (a probe through the
model), ``/metrics`` (Prometheus), ``/info``, ``/docs`` (OpenAPI), ``/`` (the search page).
Needs the ``serve`` extra: ``pip install "junco[serve]"``.
"""

from __future__ import annotations

from typing import Any

_LAZY = {
    "Batcher": "junco.serve._batcher",
    "Batching": "junco.serve._config",
    "DeadlineError": "junco.serve._batcher",
    "Item": "junco.serve._inputs",
    "ItemError": "junco.serve._model",
    "Limits": "junco.serve._config",
    "Metrics": "junco.serve._metrics",
    "QueueFullError": "junco.serve._batcher",
    "RequestError": "junco.serve._inputs",
    "ServeConfig": "junco.serve._config",
    "ServedModel": "junco.serve._model",
    "Service": "junco.serve._service",
    "build_service": "junco.serve._server",
    "create_app": "junco.serve._app",
    "serve": "junco.serve._server",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    # lazy: `import junco.serve` must not import FastAPI (the CLI imports this for --help)
    if name in _LAZY:
        import importlib

        try:
            mod = importlib.import_module(_LAZY[name])
        except ModuleNotFoundError as e:
            if e.name in ("fastapi", "uvicorn", "starlette", "pydantic", "multipart", "python_multipart"):
                raise ModuleNotFoundError(f"{e.name} is not installed; pip install \"junco[serve]\"",
                                          name=e.name) from e
            raise
        return getattr(mod, name)
    raise AttributeError(f"module 'junco.serve' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + list(_LAZY))
