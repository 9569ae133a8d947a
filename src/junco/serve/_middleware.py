"""ASGI middleware: the body-size limit (before any handler reads it) and per-route request metrics."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from junco.serve._inputs import RequestError
from junco.serve._metrics import Metrics

KNOWN_ROUTES = ("/", "/embed", "/search", "/insert", "/delete", "/health", "/metrics", "/info", "/files",
                "/docs", "/openapi.json")


class LimitsAndMetrics:
    """Refuse bodies over ``max_body_bytes`` with 413 (by ``Content-Length`` before the app sees the
    request, else while the body streams in), and count every request by route, method and status, with
    its latency. The rest of an oversized body is read and dropped (up to twice the limit, at least
    16 MiB, within 10 s) so the client can read the 413 rather than a connection reset.

    Args:
        app: the ASGI app to wrap.
        metrics: where to count.
        max_body_bytes: the body limit.
    """

    def __init__(self, app: Any, metrics: Metrics, max_body_bytes: int):
        self.app = app
        self.metrics = metrics
        self.max = max_body_bytes
        self.drain_bytes = max(2 * max_body_bytes, 16 * 1024 * 1024)
        self.drain_s = 10.0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        t0 = time.perf_counter()
        path = scope.get("path", "")
        route = path if path in KNOWN_ROUTES else "other"
        status = {"code": 500, "started": False}

        async def send_wrapped(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                status["started"] = True
            await send(message)

        seen = 0

        async def receive_limited() -> dict[str, Any]:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max:  # answered by the app's RequestError handler
                    if message.get("more_body"):
                        await self._drain(receive, seen)
                    raise RequestError(413, f"the request body is over this service's limit of "
                                            f"{self.max:,} bytes")
            return message

        try:
            length = _content_length(scope)
            if length is not None and length > self.max:
                if not _expects_continue(scope):  # such a client waits for a go-ahead: it sent no body yet
                    await self._drain(receive, 0)
                await self._too_large(send_wrapped, length)
            else:
                await self.app(scope, receive_limited, send_wrapped)
        finally:
            self.metrics.inc("junco_http_requests_total", route=route, method=scope.get("method", ""),
                             status=status["code"])
            self.metrics.observe("junco_http_request_seconds", time.perf_counter() - t0, route=route)

    async def _drain(self, receive: Any, seen: int) -> None:
        """Read and drop the rest of an oversized body (up to a bound) before answering 413.

        A server that answers and closes while the client is still sending makes the client's kernel see
        a reset instead of the 413; reading the rest first lets the client read the answer. A body far
        over the limit (past ``drain_bytes``) or one that trickles in (past ``drain_s``) is cut off.
        """
        deadline = time.monotonic() + self.drain_s
        while seen <= self.drain_bytes:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            try:
                message = await asyncio.wait_for(receive(), left)
            except asyncio.TimeoutError:
                return
            if message["type"] != "http.request":
                return
            seen += len(message.get("body", b""))
            if not message.get("more_body"):
                return

    async def _too_large(self, send: Any, length: int) -> None:
        body = json.dumps({"error": f"the request body is {length:,} bytes; this service accepts at most "
                                    f"{self.max:,} bytes", "status": 413}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"connection", b"close"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


def _content_length(scope: dict[str, Any]) -> int | None:
    for k, v in scope.get("headers", ()):
        if k == b"content-length":
            try:
                return int(v)
            except ValueError:
                return None
    return None


def _expects_continue(scope: dict[str, Any]) -> bool:
    return any(k == b"expect" and v.lower() == b"100-continue" for k, v in scope.get("headers", ()))
