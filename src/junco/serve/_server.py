"""Building a service from a :class:`ServeConfig` and running it under uvicorn."""

from __future__ import annotations

from typing import Any

from junco.serve._config import ServeConfig
from junco.serve._model import ServedModel
from junco.serve._service import Service


def open_store(uri: str, model: ServedModel) -> Any:
    """Open (or create) the store at ``uri`` for ``model``'s vectors (fingerprint recorded on first write)."""
    from junco.index import open_index

    return open_index(uri, fingerprint=model.fingerprint())


def build_service(config: ServeConfig, *, model: ServedModel | None = None) -> Service:
    """The :class:`Service` for ``config`` (the model is built from ``config.pipeline`` unless given).

    Example:
        >>> from junco import pipe
        >>> m = ServedModel({"text": pipe.input("t").map("t", "v", lambda t: [1.0]).output("v")})
        >>> build_service(ServeConfig("toy"), model=m).model is m
        True
    """
    model = model or ServedModel.from_name(config.pipeline, modality=config.modality, **config.options)
    index = open_store(config.index, model) if config.index else None
    return Service(model, index=index, roots=config.roots, limits=config.limits, batching=config.batching,
                   index_uri=config.index)


def serve(config: ServeConfig, *, model: ServedModel | None = None, log_level: str = "info") -> None:
    """Build the service and run it with uvicorn until interrupted (blocks).

    Example:
        >>> callable(serve)
        True
    """
    import uvicorn

    from junco.serve._app import create_app

    app = create_app(build_service(config, model=model))
    uvicorn.run(app, host=config.host, port=config.port, log_level=log_level, access_log=False,
                timeout_graceful_shutdown=5)
