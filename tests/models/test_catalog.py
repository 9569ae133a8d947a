"""``junco.models.list_available()``: what is usable right now, with dim, modality and location."""

import os

from junco import models


def test_lists_the_packaged_models_and_the_bridge(monkeypatch):
    monkeypatch.delenv("JUNCO_CLIP_MODEL", raising=False)
    monkeypatch.delenv("JUNCO_CLIP_CHECKPOINT", raising=False)
    found = {m.name: m for m in models.list_available()}
    assert (found["efficientnet-lite0"].modality, found["efficientnet-lite0"].dim) == ("image", 1280)
    assert (found["mobilenetv2"].modality, found["mobilenetv2"].dim) == ("image", 1280)
    assert (found["all-MiniLM-L6-v2"].modality, found["all-MiniLM-L6-v2"].dim) == ("text", 384)
    assert found["text-image-bridge"].modality == "image+text"
    for name in ("efficientnet-lite0", "mobilenetv2", "all-MiniLM-L6-v2"):
        assert os.path.exists(found[name].location)


def test_a_configured_clip_is_listed(tmp_path, monkeypatch):
    (tmp_path / "open_clip_config.json").write_text("{}")
    monkeypatch.delenv("JUNCO_CLIP_MODEL", raising=False)
    monkeypatch.setenv("JUNCO_CLIP_CHECKPOINT", str(tmp_path))
    clip = [m for m in models.list_available() if m.op == "image-text-embedding/clip"]
    assert clip and clip[0].name == f"local-dir:{tmp_path}"


def test_table_names_every_model():
    table = models.format_table()
    for m in models.list_available():
        assert m.name in table


def test_listing_does_not_import_torch():
    import subprocess
    import sys

    code = "import sys, junco.models as m; m.list_available(); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr
