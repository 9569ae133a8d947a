"""The service's work, apart from HTTP: embed through the batcher, search / insert / delete in the store,
the health probe. Every method raises :class:`RequestError` (4xx) or :class:`ItemError` for bad input."""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from junco.serve._batcher import Batcher, DeadlineError, QueueFullError
from junco.serve._config import Batching, Limits
from junco.serve._inputs import Item, RequestError, check_vector, decode_image, resolve_in_roots
from junco.serve._metrics import Metrics
from junco.serve._model import ItemError, ServedModel, vector_of


class Service:
    """A served model with its batcher, optional store and file roots.

    Args:
        model: the :class:`~junco.serve.ServedModel`.
        index: an open vector index (see :func:`junco.index.open_index`) or None.
        roots: the only folders files are read from.
        limits, batching: see :class:`~junco.serve.Limits`, :class:`~junco.serve.Batching`.
    """

    def __init__(self, model: ServedModel, *, index: Any = None, roots: tuple[Path, ...] = (),
                 limits: Limits | None = None, batching: Batching | None = None,
                 index_uri: str | None = None):
        self.model = model
        self.index = index
        self.index_uri = index_uri
        self.roots = tuple(Path(r).resolve() for r in roots)
        self.limits = limits or Limits()
        self.batching = batching or Batching()
        self.metrics = Metrics()
        self.batcher = Batcher(model.run, self.batching, self.metrics)
        self._decode_pool = ThreadPoolExecutor(2, thread_name_prefix="junco-decode")
        self._index_lock = asyncio.Lock()
        self.started = time.time()
        self.startup_error: str | None = None
        self._describe()

    def _describe(self) -> None:
        m = self.metrics
        m.describe("junco_http_requests_total", "HTTP requests by route, method and status")
        m.describe("junco_http_request_seconds", "HTTP request latency by route")
        m.describe("junco_batch_size", "inputs per model call (dynamic batching)")
        m.describe("junco_batch_seconds", "time per model call")
        m.describe("junco_items_total", "model inputs by outcome (ok, error, dropped_deadline, ...)")
        m.describe("junco_queue_depth", "inputs waiting for a batch")

    async def start(self, *, warmup: bool = True) -> None:
        """Load the model and start the batcher. A model that fails to load does not stop the service:
        ``/health`` reports the failure (503) and requests get 500 with the reason."""
        _quiet_opencv()
        if warmup:
            try:
                await asyncio.to_thread(self.model.warmup)
            except Exception as e:  # noqa: BLE001 - reported by /health, logged here
                self.startup_error = f"{type(e).__name__}: {e}"
                logging.getLogger("junco.serve").error("model warm-up failed: %s", self.startup_error)
        await self.batcher.start()

    async def stop(self) -> None:
        await self.batcher.stop()
        self._decode_pool.shutdown(wait=False, cancel_futures=True)
        if self.index is not None and hasattr(self.index, "close"):
            self.index.close()

    # -- inputs ---------------------------------------------------------------------------------------
    async def image_item(self, data: bytes, id_: Any = None) -> Item:
        """Check (and, for pipelines that take arrays, decode) an uploaded image, off the event loop."""
        if self.model.image_input == "bytes":
            from junco.serve._inputs import check_image

            check_image(data, self.limits)
            return Item("image", data, id_)
        loop = asyncio.get_running_loop()
        arr = await loop.run_in_executor(self._decode_pool, decode_image, data, self.limits)
        return Item("image", arr, id_)

    async def path_item(self, path: str, id_: Any = None) -> Item:
        """An image or text file inside the roots (never outside), by its modality."""
        real = resolve_in_roots(path, self.roots)
        if not real.is_file():
            raise RequestError(404, f"{path!r}: no such file")
        size = real.stat().st_size
        if size > self.limits.max_body_bytes:
            raise RequestError(413, f"{path!r} is {size:,} bytes, over the limit of {self.limits.max_body_bytes:,}")
        data = await asyncio.to_thread(real.read_bytes)
        if "image" in self.model.encoders:
            return await self.image_item(data, path if id_ is None else id_)
        if "text" in self.model.encoders:
            return Item("text", data.decode("utf-8", "replace"), path if id_ is None else id_)
        raise RequestError(422, "this model takes no file inputs")

    # -- embedding ------------------------------------------------------------------------------------
    async def run(self, items: list[Item], timeout: float | None = None) -> list[Any]:
        """Outputs (a list of rows) or an exception per item, through the dynamic batcher."""
        if len(items) > self.limits.max_items:
            raise RequestError(413, f"{len(items)} inputs in one request; the limit is {self.limits.max_items}")
        for it in items:
            if it.modality not in self.model.encoders:
                raise RequestError(422, f"this model takes {', '.join(self.model.modalities)} inputs, "
                                        f"not {it.modality}")
        res = await self.batcher.submit_many(items, timeout=timeout)
        for r in res:
            if isinstance(r, QueueFullError):
                raise RequestError(503, str(r))
        return res

    async def vectors(self, items: list[Item], timeout: float | None = None) -> list[Any]:
        """One vector (float32 array) or exception per item; ``"vector"`` items are taken as they are."""
        import numpy as np

        model_items = [it for it in items if it.modality != "vector"]
        outs = iter(await self.run(model_items, timeout) if model_items else [])
        res: list[Any] = []
        for it in items:
            if it.modality == "vector":
                res.append(np.asarray(it.value, dtype=np.float32))
                continue
            r = next(outs)
            if isinstance(r, BaseException):
                res.append(r)
                continue
            try:
                res.append(vector_of(r))
            except ItemError as e:
                res.append(e)
        return res

    async def one_vector(self, item: Item, timeout: float | None = None) -> Any:
        """The vector of a single input, raising its failure as a 4xx/5xx."""
        r = (await self.vectors([item], timeout))[0]
        if isinstance(r, BaseException):
            raise as_request_error(r)
        return r

    # -- the store ------------------------------------------------------------------------------------
    def need_index(self) -> Any:
        if self.index is None:
            raise RequestError(409, "no store is attached: start the service with --index URI")
        return self.index

    async def search(self, query: Any, *, k: int, flt: Any = None, timeout: float | None = None) -> dict[str, Any]:
        """Top-``k`` hits for a query: an :class:`Item`, a vector (list) or ``("id", stored_id)``."""
        index = self.need_index()
        if not 1 <= k <= self.limits.max_topk:
            raise RequestError(422, f"k must be between 1 and {self.limits.max_topk}, got {k}")
        if flt is not None and not isinstance(flt, dict):
            raise RequestError(422, "filter must be a JSON object such as {\"label\": \"cat\"}")
        fp = None
        if isinstance(query, Item):
            vec = await self.one_vector(query, timeout)
            fp = self.model.fingerprint()
        elif isinstance(query, tuple) and query[0] == "id":
            async with self._index_lock:
                recs = await asyncio.to_thread(index.get, [query[1]])
            if not recs:
                raise RequestError(404, f"no stored item with id {query[1]!r}")
            vec = recs[0].vector
        else:
            vec = check_vector(query, getattr(index, "dim", None))
        t = time.perf_counter()
        try:
            async with self._index_lock:  # backends are not all safe under concurrent reads and writes
                res = await asyncio.to_thread(index.search, [vec], k, filter=flt, fingerprint=fp)
        except (ValueError, TypeError) as e:
            raise RequestError(422, f"search failed: {e}") from None
        hits = [{**h, "url": self.file_url(h["id"], h.get("metadata"))} for h in res[0].to_list()]
        return {"hits": hits, "metric": getattr(getattr(index, "metric", None), "value", None),
                "search_ms": round(1000 * (time.perf_counter() - t), 3)}

    async def insert(self, items: list[Item], metadata: list[dict[str, Any]], *, upsert: bool,
                     timeout: float | None = None) -> dict[str, Any]:
        """Embed ``items`` and write them to the store by id; per-item failures are reported with ids."""
        index = self.need_index()
        vecs = await self.vectors(items, timeout)
        ok = [i for i, v in enumerate(vecs) if not isinstance(v, BaseException)]
        errors = []
        for i, v in enumerate(vecs):
            if isinstance(v, BaseException):
                err = as_request_error(v)
                errors.append({"id": items[i].id, "status": err.status, "error": err.message})
        written = 0
        async with self._index_lock:
            if ok:
                import numpy as np

                write = index.upsert if upsert else index.add
                try:
                    written = await asyncio.to_thread(
                        write, [items[i].id for i in ok], np.stack([vecs[i] for i in ok]),
                        [metadata[i] for i in ok], fingerprint=self.model.fingerprint())
                except (ValueError, TypeError) as e:
                    raise RequestError(409 if "fingerprint" in str(e) or "already" in str(e) else 422,
                                       str(e)) from None
                await asyncio.to_thread(index.save)  # durable once answered
            count = await asyncio.to_thread(index.count)
        return {"written": int(written), "errors": errors, "count": count}

    async def delete(self, ids: list[Any]) -> dict[str, Any]:
        index = self.need_index()
        async with self._index_lock:
            try:
                n = await asyncio.to_thread(index.delete, ids)
            except (ValueError, TypeError) as e:
                raise RequestError(422, str(e)) from None
            await asyncio.to_thread(index.save)
            count = await asyncio.to_thread(index.count)
        return {"deleted": int(n), "count": count}

    def file_url(self, id_: Any, metadata: Any) -> str | None:
        """A ``/files/...`` URL for a hit whose id or ``metadata["path"]`` is a file inside the roots."""
        from urllib.parse import quote

        for cand in ((metadata or {}).get("path"), id_):
            if isinstance(cand, str) and self.roots:
                try:
                    real = resolve_in_roots(cand, self.roots)
                except RequestError:
                    continue
                if real.is_file():
                    return "/files?path=" + quote(str(real))
        return None

    # -- health ---------------------------------------------------------------------------------------
    async def health(self) -> tuple[bool, dict[str, Any]]:
        """Run the probe inputs through the real model (via the batcher); ok only when each gives a
        finite vector (or output)."""
        import numpy as np

        info: dict[str, Any] = {"model": self.model.name, "modalities": self.model.modalities,
                                "queue_depth": self.batcher.depth, "uptime_s": round(time.time() - self.started, 1)}
        if self.startup_error:
            info["startup_error"] = self.startup_error
        t = time.perf_counter()
        probes = self.model.probe_items()
        if not probes:
            info["probe"] = "none configured for this pipeline"
        try:
            outs = await self.run(probes, timeout=min(10.0, self.batching.timeout_s)) if probes else []
            for it, r in zip(probes, outs):
                if isinstance(r, BaseException):
                    raise r
                try:
                    v = vector_of(r)
                except ItemError:
                    continue  # a non-embedding pipeline: it ran, that is all we can check
                if not np.isfinite(v).all():
                    raise ItemError(f"the {it.modality} probe gave NaN or infinite values")
                info.setdefault("dim", int(v.shape[0]))
        except Exception as e:  # noqa: BLE001 - health reports any failure
            info.update(status="fail", error=f"{type(e).__name__}: {e}")
            return False, info
        info["probe_ms"] = round(1000 * (time.perf_counter() - t), 2)
        if self.index is not None:
            try:
                info["index"] = {"uri": self.index_uri, "count": await asyncio.to_thread(self.index.count)}
            except Exception as e:  # noqa: BLE001
                info.update(status="fail", error=f"index: {type(e).__name__}: {e}")
                return False, info
        info["status"] = "ok"
        return True, info


def _quiet_opencv() -> None:
    """OpenCV logs a warning per corrupt upload; a client's bad file is a 422, not a server log line."""
    try:
        import cv2

        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
    except Exception:  # noqa: BLE001 - no OpenCV, or an old one: nothing to quiet
        pass


def as_request_error(exc: BaseException) -> RequestError:
    """The HTTP error for an item's failure: 422 bad input, 504 deadline, 503 overload, 500 otherwise."""
    if isinstance(exc, RequestError):
        return exc
    if isinstance(exc, ItemError):
        return RequestError(exc.status, str(exc))
    if isinstance(exc, DeadlineError):
        return RequestError(504, str(exc))
    if isinstance(exc, QueueFullError):
        return RequestError(503, str(exc))
    return RequestError(500, f"the model failed: {type(exc).__name__}: {exc}")
