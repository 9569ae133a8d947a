"""Fixtures for the service tests: a started TestClient for any model."""

from __future__ import annotations

import contextlib

import pytest

from junco.serve import Batching, Limits, Service, create_app


@pytest.fixture
def client_for():
    """``client_for(model, **service_kwargs)``: a started TestClient (the batcher runs)."""
    from fastapi.testclient import TestClient

    stack = contextlib.ExitStack()

    def make(model, **kw):
        kw.setdefault("batching", Batching(max_wait_s=0.002))
        kw.setdefault("limits", Limits())
        svc = Service(model, **kw)
        return stack.enter_context(TestClient(create_app(svc)))

    with stack:
        yield make
