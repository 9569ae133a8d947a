"""Preprocessing sensitivity of efficientnet-lite0 on crops of large sample photos (downscaling shows the
nearest-vs-bicubic trap), checked against the operator's own override path; CLI and report in Chromium."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from _embedding_support import augment, embed, sample_images
from junco.eval import main
from junco.eval.sensitivity import BASELINE, default_variants, preprocessing_sensitivity

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]
PHOTOS = ("astronaut", "chelsea", "coffee")  # 512x512, 451x300, 600x400: every crop is downscaled
PER_CLASS = 6


@pytest.fixture(scope="module")
def photo_dir(tmp_path_factory):
    from PIL import Image

    root = tmp_path_factory.mktemp("photos")
    images, rng = sample_images(), np.random.default_rng(0)
    for name in PHOTOS:
        (root / name).mkdir()
        for i in range(PER_CLASS):
            Image.fromarray(augment(images[name], rng)).save(root / name / f"{i}.png")
    return root


@pytest.fixture(scope="module")
def report(photo_dir):
    return preprocessing_sensitivity(photo_dir, model="efficientnet-lite0", k=3, folds=3)


def test_variants_against_the_models_own_config(report):
    assert report.config["interpolation"] == "bicubic" and report.config["crop_mode"] == "center"
    assert [r.name for r in report.results] == list(default_variants(_cfg(report)))
    base = report[BASELINE]
    assert base.changes == [] and base.cosine_min == pytest.approx(1.0, abs=1e-5)
    nearest, bilinear = report["nearest"], report["bilinear"]
    assert nearest.changes == ["interpolation 'nearest' differs from the model's 'bicubic'"]
    # the trap as a number: nearest (no antialiasing when downscaling) moves vectors far more than bilinear
    assert nearest.cosine_mean < bilinear.cosine_mean - 0.01
    assert nearest.cosine_min < 0.95 and bilinear.cosine_min > 0.97
    assert report["squash (no crop)"].cosine_mean < 0.99
    for r in report.results:
        assert 0.0 <= r.get("mAP") <= 1.0 and 0.0 <= r.get("probe_acc") <= 1.0
        assert r.cosines.shape == (3 * PER_CLASS,) and r.map2d.shape == (3 * PER_CLASS, 2)


def _cfg(report):
    from junco.models import ImagePreprocess

    c = report.config
    return ImagePreprocess(tuple(c["input_size"]), c["interpolation"], c["crop_pct"], c["crop_mode"],
                           tuple(c["mean"]), tuple(c["std"]), c["channel_order"])


def test_cosines_match_the_operators_override_path(report):
    """The same numbers come out of an operator built with ``interpolation="nearest"`` (which warns)."""
    from junco import ops
    from junco.models import PreprocessingFidelityWarning

    first = report.items[:2]
    base = embed(ops.image_embedding.timm(model_name="efficientnet_lite0", backend="torch"), first)
    with pytest.warns(PreprocessingFidelityWarning):
        op = ops.image_embedding.timm(model_name="efficientnet_lite0", backend="torch", interpolation="nearest")
        near = embed(op, first)
    cos = (base * near).sum(1) / np.linalg.norm(base, axis=1) / np.linalg.norm(near, axis=1)
    np.testing.assert_allclose(cos, report["nearest"].cosines[:2], atol=1e-4)


def test_bad_requests_raise_clear_errors(photo_dir, tmp_path):
    with pytest.raises(ValueError, match="unknown field"):
        preprocessing_sensitivity(photo_dir, variants={"x": {"gamma": 2.2}})
    with pytest.raises(ValueError, match="needs an image model"):
        preprocessing_sensitivity(photo_dir, model="all-MiniLM-L6-v2")
    (tmp_path / "t.csv").write_text("text,label\na,x\nb,x\nc,y\nd,y\n")
    with pytest.raises(ValueError, match="for images"):
        preprocessing_sensitivity(tmp_path / "t.csv")


def test_cli_preprocess_json_and_html_in_chromium(photo_dir, tmp_path, capsys):
    html, csv = tmp_path / "sens.html", tmp_path / "sample.csv"  # 3 per class keeps the CLI run short
    csv.write_text("".join(f"{photo_dir / n / f'{i}.png'},{n}\n" for n in PHOTOS for i in range(3)))
    rc = main(["preprocess", str(csv), "--model", "mobilenetv2", "--k", "2", "--folds", "3", "--json",
               "--html", str(html)])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and out["model"] == "mobilenetv2" and out["config"]["crop_mode"] == "squash"
    assert out["items"] == 9
    names = [r["name"] for r in out["results"]]
    assert names == [BASELINE, "nearest", "bicubic", "center crop 0.875"]
    assert out["results"][0]["cosine_mean"] == pytest.approx(1.0, abs=1e-5)
    assert out["results"][1]["cosine_mean"] < out["results"][2]["cosine_mean"]
    assert main(["preprocess", str(photo_dir), "--model", "nope"]) == 2
    assert "not installed" in capsys.readouterr().err
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium not installed (tools/system_deps.sh)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page()
        page.goto(html.resolve().as_uri())
        assert page.locator("svg.junco-bar-chart").count() == 3
        assert page.locator("svg.junco-scatter").count() == len(names)
        box = page.locator("svg.junco-bar-chart >> nth=0").bounding_box()
        assert box and box["width"] > 100 and box["height"] > 50
        bars = page.locator("svg.junco-bar-chart >> nth=0").locator("rect.bar")
        assert bars.count() == len(names) and bars.nth(0).bounding_box()["width"] > 0
        assert "interpolation 'nearest' differs" in page.content()
        browser.close()
