"""Reading a request body in any of its accepted forms: JSON, a multipart upload, or raw image bytes.

Whatever the form, the result is a :class:`Payload`; malformed bodies raise :class:`RequestError` with
a message that says what was wrong and what is accepted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from junco.serve._inputs import RequestError


@dataclass
class Payload:
    """A parsed body: the validated JSON model, or uploaded files and form fields."""

    json: Any = None
    files: list[tuple[str, bytes]] = field(default_factory=list)
    fields: dict[str, list[str]] = field(default_factory=dict)

    def field(self, name: str, default: Any = None) -> Any:
        vals = self.fields.get(name)
        return vals[-1] if vals else default


def validation_message(e: ValidationError) -> str:
    """One readable line per problem: ``field.path: message``."""
    parts = []
    for err in e.errors():
        loc = ".".join(str(x) for x in err.get("loc", ())) or "body"
        parts.append(f"{loc}: {err.get('msg', 'invalid')}")
    return "; ".join(parts)


def parse_json(raw: bytes, model: type[BaseModel]) -> BaseModel:
    """Validate a JSON body against ``model``; 400 for invalid JSON, 422 for the wrong fields."""
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise RequestError(400, f"the body is not valid JSON: {e}") from None
    if not isinstance(data, dict):
        raise RequestError(422, f"the JSON body must be an object, got {type(data).__name__}")
    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise RequestError(422, validation_message(e)) from None


async def read_payload(request: Any, model: type[BaseModel], *, max_items: int) -> Payload:
    """Parse ``request``'s body by its content type."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "multipart/form-data":
        try:
            form = await request.form(max_files=max_items, max_fields=max_items + 16)
        except RequestError:
            raise
        except Exception as e:  # noqa: BLE001 - a malformed multipart body is the client's error
            if getattr(e, "status_code", None) == 413:
                raise
            raise RequestError(400, f"cannot read the multipart form: {getattr(e, 'detail', None) or e}") from None
        p = Payload()
        try:
            for key, value in form.multi_items():
                if hasattr(value, "read"):
                    p.files.append((value.filename or key, await value.read()))
                else:
                    p.fields.setdefault(key, []).append(str(value))
        finally:
            await form.close()
        return p
    body = await request.body()
    if ctype.startswith("image/") or ctype == "application/octet-stream":
        if not body:
            raise RequestError(422, "empty body: send the image bytes")
        return Payload(files=[("body", body)])
    if ctype == "text/plain":
        return Payload(fields={"text": [body.decode("utf-8", "replace")]})
    if ctype in ("application/json", "") or ctype.endswith("+json"):
        if not body:
            raise RequestError(422, f"empty body: send a JSON object like {_example(model)}")
        return Payload(json=parse_json(body, model))
    raise RequestError(415, f"unsupported content type {ctype!r}; send application/json, "
                            "multipart/form-data, or image bytes (image/*)")


def form_json(p: Payload, name: str) -> Any:
    """A form field holding JSON (e.g. ``filter``), or None."""
    raw = p.field(name)
    if raw is None or raw == "":
        return None
    try:
        return json.loads(raw)
    except json.JSONDecodeError as e:
        raise RequestError(422, f"form field {name!r} is not valid JSON: {e}") from None


def form_int(p: Payload, name: str, default: int) -> int:
    raw = p.field(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise RequestError(422, f"form field {name!r} must be an integer, got {raw!r}") from None


def _example(model: type[BaseModel]) -> str:
    return '{"text": "a cat"}' if "text" in model.model_fields else '{"ids": ["a"]}'
