"""The eval HTML reports (drift report, duplicates gallery) opened in headless Chromium: plots and
thumbnails really render (non-zero boxes, images decoded)."""

import shutil

import numpy as np
import pytest

from junco.eval import main
from junco.eval.drift import analyze_drift

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not shutil.which("chromium"), reason="chromium not installed (tools/system_deps.sh)")]

_SVG_BOXES = """() => Array.from(document.querySelectorAll('svg')).map(s => {
    const r = s.getBoundingClientRect();
    return {cls: s.getAttribute('class'), w: r.width, h: r.height,
            marks: Array.from(s.querySelectorAll('rect.bar, circle.pt, line.observed')).filter(e => {
                const b = e.getBoundingClientRect(); return b.width > 0 && b.height > 0; }).length};
})"""


def _open(path, script):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page()
            page.goto(path.resolve().as_uri())
            page.wait_for_load_state("load")
            return page.evaluate(script)
        finally:
            browser.close()


def test_drift_report_plots_render(tmp_path):
    rng = np.random.default_rng(0)
    centers = np.eye(3, 8) * 3.0
    y_ref, y_new = rng.choice(3, 200, p=[0.5, 0.3, 0.2]), rng.choice(3, 150, p=[0.2, 0.2, 0.6])
    x_ref = centers[y_ref] + rng.normal(size=(200, 8))
    x_new = centers[y_new] + rng.normal(size=(150, 8))
    an = analyze_drift(x_ref, x_new, tests=["mmd", "classifier"], classifier=lambda x: np.argmax(x[:, :3], 1))
    out = an.write_html(tmp_path / "drift.html")
    boxes = _open(out, _SVG_BOXES)
    by_cls = {b["cls"]: b for b in boxes}
    assert len(boxes) == 4 and set(by_cls) == {"junco-grouped-bars", "junco-histogram", "junco-scatter"}
    assert all(b["w"] > 100 and b["h"] > 100 for b in boxes)
    assert by_cls["junco-grouped-bars"]["marks"] == 6  # 3 classes x (reference, new)
    hists = [b for b in boxes if b["cls"] == "junco-histogram"]
    assert all(h["marks"] >= 3 for h in hists)  # null bars and the observed line
    assert by_cls["junco-scatter"]["marks"] == 350


def test_duplicates_gallery_images_load(tmp_path, capsys):
    from PIL import Image

    from _embedding_support import SKIMAGE_PHOTOS, skimage_path
    from junco.index import open_index

    ids, vecs, metas = [], [], []
    for name in SKIMAGE_PHOTOS[:3]:
        im = Image.open(skimage_path(name)).convert("RGB")
        for tag, img in (("a", im), ("b", im.resize((im.width // 2, im.height // 2)))):
            path = tmp_path / f"{name.split('.')[0]}_{tag}.jpg"
            img.save(path, quality=90)
            ids.append(path.stem)
            vecs.append(np.asarray(img.convert("L").resize((16, 16)), dtype=np.float32).ravel() - 128.0)
            metas.append({"path": str(path)})
    uri = f"exact://{tmp_path}/store"
    with open_index(uri, dim=256) as idx:
        idx.add(ids, np.stack(vecs), metas)
    html = tmp_path / "gallery.html"
    assert main(["duplicates", "--index", uri, "--threshold", "0.98", "--html", str(html)]) == 0
    assert "3 duplicate group(s)" in capsys.readouterr().out
    res = _open(html, """() => ({n: document.images.length,
        loaded: Array.from(document.images).every(i => i.complete && i.naturalWidth > 0),
        shown: Array.from(document.images).every(i => i.getBoundingClientRect().width > 0)})""")
    assert res == {"n": 6, "loaded": True, "shown": True}
