"""The FastAPI app: routes, error handling, health, metrics, files inside the roots, the search page."""

from __future__ import annotations

import asyncio
import contextlib
from importlib import resources
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, PlainTextResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from junco.serve._api import router
from junco.serve._inputs import RequestError, resolve_in_roots
from junco.serve._middleware import LimitsAndMetrics
from junco.serve._service import Service


def create_app(service: Service) -> FastAPI:
    """The HTTP app for a :class:`~junco.serve.Service` (start it with uvicorn, or test it with
    ``fastapi.testclient.TestClient`` used as a context manager so the batcher starts).

    Example:
        >>> from junco import pipe
        >>> from junco.serve import ServedModel, Service
        >>> m = ServedModel({"text": pipe.input("t").map("t", "v", lambda t: [len(t), 1.0]).output("v")})
        >>> create_app(Service(m)).title
        'junco: pipeline'
    """

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> Any:
        await service.start()
        try:
            yield
        finally:
            await service.stop()

    app = FastAPI(title=f"junco: {service.model.name}", version=_version(), lifespan=lifespan,
                  description="Embed, search and store with a junco pipeline. Bodies are JSON, multipart "
                              "uploads or raw image bytes; every error is JSON `{error, status}`.")
    app.state.service = service
    app.add_middleware(LimitsAndMetrics, metrics=service.metrics, max_body_bytes=service.limits.max_body_bytes)
    app.include_router(router)
    _errors(app)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def page() -> Any:
        return HTMLResponse(resources.files("junco.serve").joinpath("page.html").read_text("utf-8"))

    @app.get("/health", summary="Run a tiny probe through the model; 503 when it cannot run")
    async def health() -> Any:
        ok, info = await service.health()
        return JSONResponse(info, status_code=200 if ok else 503)

    @app.get("/metrics", response_class=PlainTextResponse, summary="Prometheus metrics")
    async def metrics() -> Any:
        service.metrics.set("junco_queue_depth", service.batcher.depth)
        return PlainTextResponse(service.metrics.render(), media_type="text/plain; version=0.0.4")

    @app.get("/info", summary="The model, its modalities, limits, batching and the store")
    async def info() -> Any:
        index = service.index
        count = None if index is None else await asyncio.to_thread(index.count)
        try:
            fingerprint = await asyncio.to_thread(service.model.fingerprint)
        except Exception:  # noqa: BLE001 - a model that cannot load: /info still answers, /health says why
            fingerprint = None
        return {"model": service.model.name, "modalities": service.model.modalities,
                "fingerprint": fingerprint, "startup_error": service.startup_error,
                "index": None if index is None else {"uri": service.index_uri, "count": count,
                                                     "dim": getattr(index, "dim", None)},
                "roots": [str(r) for r in service.roots],
                "limits": vars(service.limits), "batching": vars(service.batching)}

    @app.get("/files", summary="A file inside the service's roots (gallery images); 403 elsewhere")
    async def files(path: str) -> Any:
        real = resolve_in_roots(path, service.roots)
        if not real.is_file():
            raise RequestError(404, f"{path!r}: no such file")
        return FileResponse(real)

    return app


def _errors(app: FastAPI) -> None:
    @app.exception_handler(RequestError)
    async def request_error(request: Request, exc: RequestError) -> JSONResponse:
        headers = {"Retry-After": "1"} if exc.status == 503 else None
        return JSONResponse({"error": exc.message, "status": exc.status}, status_code=exc.status, headers=headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # unknown routes (404), wrong methods (405): the same JSON shape as every other error
        msg = {404: f"no such endpoint: {request.url.path}",
               405: f"{request.method} is not allowed on {request.url.path}"}.get(exc.status_code, str(exc.detail))
        return JSONResponse({"error": msg, "status": exc.status_code}, status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        msg = "; ".join(f"{'.'.join(str(x) for x in e.get('loc', ()))}: {e.get('msg')}" for e in exc.errors())
        return JSONResponse({"error": msg, "status": 422}, status_code=422)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"error": f"internal error: {type(exc).__name__}: {exc}", "status": 500},
                            status_code=500)


def _version() -> str:
    from junco import __version__

    return __version__
