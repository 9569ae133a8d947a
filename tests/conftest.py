"""Shared test setup: an isolated junco cache per test session, offline hubs."""

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session", autouse=True)
def _junco_cache(tmp_path_factory):
    path = tmp_path_factory.mktemp("junco-cache")
    old = os.environ.get("JUNCO_CACHE_DIR")
    os.environ["JUNCO_CACHE_DIR"] = str(path)
    yield path
    if old is None:
        os.environ.pop("JUNCO_CACHE_DIR", None)
    else:
        os.environ["JUNCO_CACHE_DIR"] = old
