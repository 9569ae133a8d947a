"""The model and store endpoints: ``/embed``, ``/search``, ``/insert``, ``/delete``."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request

from junco.serve import _schemas as S
from junco.serve._inputs import Item, RequestError, check_text, check_vector, from_base64
from junco.serve._parse import Payload, form_int, form_json, read_payload
from junco.serve._service import Service, as_request_error

router = APIRouter()


def _service(request: Request) -> Service:
    return request.app.state.service


def _timeout(request: Request) -> float | None:
    """The client's own deadline (``X-Timeout: seconds``), never longer than the service's."""
    raw = request.headers.get("x-timeout")
    if raw is None:
        return None
    try:
        t = float(raw)
    except ValueError:
        raise RequestError(400, f"X-Timeout must be a number of seconds, got {raw!r}") from None
    if not t > 0:
        raise RequestError(400, "X-Timeout must be > 0")
    return t


async def _raw_items(svc: Service, p: Payload) -> list[tuple[str, Any]]:
    """(modality, raw value) pairs from a payload, in order: texts, images, JSON inputs."""
    out: list[tuple[str, Any]] = []
    if p.json is not None:
        j = p.json
        out += [("text", t) for t in ([j.text] if j.text is not None else []) + (j.texts or [])]
        out += [("image", b) for b in ([j.image] if j.image is not None else []) + (j.images or [])]
        if "input" in j.model_fields_set:
            out.append(("json", j.input))
        out += [("json", x) for x in (j.inputs or [])]
    else:
        out += [("text", t) for t in p.fields.get("text", [])]
        out += [("image", data) for _, data in p.files]
    return out


async def _item(svc: Service, modality: str, value: Any, id_: Any) -> Item:
    if modality == "image":
        if not isinstance(value, bytes | bytearray):
            value = from_base64(value)
        return await svc.image_item(bytes(value), id_)
    if modality == "text":
        return Item("text", check_text(value), id_)
    return Item(modality, value, id_)


@router.post("/embed", response_model=S.EmbedResponse, response_model_exclude_none=True,
             summary="Embed texts, images or JSON inputs",
             openapi_extra=S.request_body(S.EmbedRequest))
async def embed(request: Request) -> Any:
    """Embed one or many inputs. Per-input failures come back in ``errors`` with their ids; a request
    whose every input failed gets the first failure's status (4xx for bad input)."""
    svc = _service(request)
    p = await read_payload(request, S.EmbedRequest, max_items=svc.limits.max_items)
    raw = await _raw_items(svc, p)
    if not raw:
        raise RequestError(422, "nothing to embed: send text / texts, image / images (base64), input / inputs, "
                                "or upload files")
    ids = (p.json.ids if p.json is not None and p.json.ids is not None
           else [name for name, _ in p.files] if p.files and len(p.files) == len(raw) and len(raw) > 1
           else list(range(len(raw))))
    if len(ids) != len(raw):
        raise RequestError(422, f"{len(ids)} ids for {len(raw)} inputs")
    items: list[Any] = []
    for (mod, val), id_ in zip(raw, ids):
        try:
            items.append(await _item(svc, mod, val, id_))
        except RequestError as e:
            items.append(e)
    live = [it for it in items if isinstance(it, Item)]
    outs = iter(await svc.run(live, _timeout(request)) if live else [])
    results, errors = [], []
    for it, id_ in zip(items, ids):
        r: Any = it if isinstance(it, RequestError) else next(outs)
        if isinstance(r, BaseException):
            err = as_request_error(r)
            errors.append({"id": id_, "status": err.status, "error": err.message})
            continue
        results.append(_result(id_, r))
    if not results and errors:
        first = errors[0]
        raise RequestError(first["status"], first["error"] if len(errors) == 1 else
                           f"all {len(errors)} inputs failed; first ({first['id']!r}): {first['error']}")
    return {"model": svc.model.name, "results": results, "errors": errors}


def _result(id_: Any, rows: list[Any]) -> dict[str, Any]:
    from junco.serve._model import ItemError, vector_of

    try:
        return {"id": id_, "vector": vector_of(rows).tolist()}
    except ItemError:
        return {"id": id_, "output": _jsonable(rows)}


def _jsonable(x: Any) -> Any:
    if hasattr(x, "tolist"):
        return x.tolist()
    if isinstance(x, tuple) and hasattr(x, "_asdict"):
        return {k: _jsonable(v) for k, v in x._asdict().items()}
    if isinstance(x, list | tuple):
        return [_jsonable(v) for v in x]
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, str | int | float | bool) or x is None:
        return x
    return repr(x)


@router.post("/search", response_model=S.SearchResponse, summary="Search the store by text, image, vector or id",
             openapi_extra=S.request_body(S.SearchRequest))
async def search(request: Request) -> Any:
    """Top-k hits from the attached store for one query; ``filter`` is a metadata filter."""
    t0 = time.perf_counter()
    svc = _service(request)
    p = await read_payload(request, S.SearchRequest, max_items=1)
    query: Any
    if p.json is not None:
        j = p.json
        given = [f for f in ("text", "image", "vector", "id", "path") if getattr(j, f) is not None]
        if len(given) != 1:
            raise RequestError(422, "send exactly one of text, image, vector, id, path "
                                    f"(got {', '.join(given) or 'none'})")
        k, flt = j.k, j.filter
        if j.text is not None:
            query = await _item(svc, "text", j.text, "query")
        elif j.image is not None:
            query = await _item(svc, "image", j.image, "query")
        elif j.path is not None:
            query = await svc.path_item(j.path, "query")
        elif j.id is not None:
            query = ("id", j.id)
        else:
            query = check_vector(j.vector, None)
    else:
        k = form_int(p, "k", int(request.query_params.get("k", 10)))
        flt = form_json(p, "filter")
        texts = [t for t in p.fields.get("text", []) if t.strip()]
        if len(p.files) + len(texts) != 1:
            raise RequestError(422, "send exactly one query: one uploaded image or one text field")
        query = (await _item(svc, "image", p.files[0][1], "query") if p.files
                 else await _item(svc, "text", texts[0], "query"))
    out = await svc.search(query, k=k, flt=flt, timeout=_timeout(request))
    out["took_ms"] = round(1000 * (time.perf_counter() - t0), 3)
    return out


@router.post("/insert", response_model=S.InsertResponse, summary="Embed items and write them to the store",
             openapi_extra=S.request_body(S.InsertRequest, raw_image=False))
async def insert(request: Request) -> Any:
    """Write items by id (upsert by default). Uploaded files take their file names as ids."""
    svc = _service(request)
    svc.need_index()
    p = await read_payload(request, S.InsertRequest, max_items=svc.limits.max_items)
    rows: list[tuple[Any, Any, dict[str, Any]]] = []  # (id, Item or RequestError, metadata)
    if p.json is not None:
        upsert = p.json.upsert
        for it in p.json.items:
            rows.append((it.id, await _insert_item(svc, it), dict(it.metadata or {})))
            if it.path is not None:
                rows[-1][2].setdefault("path", it.path)
    else:
        upsert = (p.field("upsert", "true") or "true").lower() not in ("0", "false", "no")
        meta_all = form_json(p, "metadata") or {}
        for name, data in p.files:
            try:
                item: Any = await _item(svc, "image", data, name)
            except RequestError as e:
                item = e
            rows.append((name, item, {"filename": name, **meta_all}))
    if not rows:
        raise RequestError(422, 'nothing to insert: send {"items": [{"id": ..., "text": ...}]} or upload files')
    good = [(it, meta) for _, it, meta in rows if isinstance(it, Item)]
    errors = [{"id": id_, "status": it.status, "error": it.message}
              for id_, it, _ in rows if isinstance(it, RequestError)]
    out = await svc.insert([g[0] for g in good], [g[1] for g in good], upsert=upsert, timeout=_timeout(request))
    out["errors"] = errors + out["errors"]
    if not good or (out["written"] == 0 and len(out["errors"]) == len(rows)):
        if out["errors"]:
            first = out["errors"][0]
            raise RequestError(first.get("status", 422), first["error"])
    return out


async def _insert_item(svc: Service, it: S.InsertItem) -> Item | RequestError:
    given = [f for f in ("text", "image", "path", "vector") if getattr(it, f) is not None]
    given += ["input"] if "input" in it.model_fields_set else []
    try:
        if len(given) != 1:
            raise RequestError(422, f"item {it.id!r}: send exactly one of text, image, path, vector, input "
                                    f"(got {', '.join(given) or 'none'})")
        f = given[0]
        if f == "path":
            return await svc.path_item(str(it.path), it.id)
        if f == "vector":
            return Item("vector", check_vector(it.vector, getattr(svc.index, "dim", None)), it.id)
        return await _item(svc, "json" if f == "input" else f, getattr(it, f), it.id)
    except RequestError as e:
        return e


@router.post("/delete", response_model=S.DeleteResponse, summary="Delete items from the store by id")
async def delete(request: Request) -> Any:
    """Remove rows by id; unknown ids are ignored."""
    svc = _service(request)
    p = await read_payload(request, S.DeleteRequest, max_items=svc.limits.max_items)
    if p.json is None:
        raise RequestError(415, 'send a JSON body like {"ids": ["a", "b"]}')
    return await svc.delete(list(p.json.ids))
