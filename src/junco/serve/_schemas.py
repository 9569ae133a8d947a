"""Request and response bodies (pydantic), for validation and the OpenAPI docs at ``/docs``.

Unknown fields are refused (``extra="forbid"``) so a typo such as ``"txt"`` gets a clear 422 instead of
being silently ignored.
"""

from __future__ import annotations

from typing import Any, Union

from pydantic import BaseModel, ConfigDict, Field

Id = Union[str, int]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EmbedRequest(_Strict):
    """Inputs to embed: any mix of texts, base64 images and JSON values (for generic pipelines)."""

    text: str | None = None
    texts: list[str] | None = None
    image: str | None = Field(None, description="base64 image bytes (a data: URI prefix is allowed)")
    images: list[str] | None = None
    input: Any = None
    inputs: list[Any] | None = None
    ids: list[Id] | None = Field(None, description="one id per input; default their positions")


class EmbedResult(BaseModel):
    id: Id
    vector: list[float] | None = None
    output: Any = None


class ItemFailure(BaseModel):
    id: Id | None
    status: int
    error: str


class EmbedResponse(BaseModel):
    model: str
    results: list[EmbedResult]
    errors: list[ItemFailure]


class SearchRequest(_Strict):
    """One query: a text, a base64 image, a vector, the id of a stored item, or a file inside the roots."""

    text: str | None = None
    image: str | None = None
    vector: list[float] | None = None
    id: Id | None = None
    path: str | None = None
    k: int = Field(10, ge=1)
    filter: dict[str, Any] | None = Field(None, description='metadata filter, e.g. {"label": "cat"}')


class Hit(BaseModel):
    id: Id
    score: float
    metadata: dict[str, Any] = {}
    url: str | None = None


class SearchResponse(BaseModel):
    hits: list[Hit]
    metric: str | None = None
    search_ms: float
    took_ms: float


class InsertItem(_Strict):
    """One row for the store: its id, exactly one input, and optional metadata."""

    id: Id
    text: str | None = None
    image: str | None = None
    path: str | None = Field(None, description="a file inside the service's roots")
    vector: list[float] | None = Field(None, description="a vector made by this same model")
    input: Any = None
    metadata: dict[str, Any] | None = None


class InsertRequest(_Strict):
    items: list[InsertItem]
    upsert: bool = Field(True, description="replace rows with the same id (else: add, refusing changed ids)")


class InsertResponse(BaseModel):
    written: int
    count: int
    errors: list[ItemFailure]


class DeleteRequest(_Strict):
    ids: list[Id]


class DeleteResponse(BaseModel):
    deleted: int
    count: int


def request_body(model: type[BaseModel], *, files: bool = True, raw_image: bool = True) -> dict[str, Any]:
    """``openapi_extra`` documenting the JSON body plus multipart uploads and raw image bodies."""
    content: dict[str, Any] = {"application/json": {"schema": _inline(model.model_json_schema())}}
    if files:
        content["multipart/form-data"] = {"schema": {"type": "object", "properties": {
            "file": {"type": "array", "items": {"type": "string", "format": "binary"}},
            "text": {"type": "array", "items": {"type": "string"}},
            "k": {"type": "integer"}, "filter": {"type": "string", "description": "JSON object"}}}}
    if raw_image:
        content["image/*"] = {"schema": {"type": "string", "format": "binary"}}
    return {"requestBody": {"required": True, "content": content}}


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    """Replace ``#/$defs/...`` references by their definitions (OpenAPI has no ``$defs`` here)."""
    defs = schema.pop("$defs", {})

    def walk(x: Any) -> Any:
        if isinstance(x, dict):
            ref = x.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return walk(defs[ref.rsplit("/", 1)[1]])
            return {k: walk(v) for k, v in x.items()}
        if isinstance(x, list):
            return [walk(v) for v in x]
        return x

    return walk(schema)
