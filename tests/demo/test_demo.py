"""The main demo end to end on a small slice, and its gallery opened in headless Chromium."""

import shutil
import subprocess
import sys

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    proc = subprocess.run([sys.executable, "-m", "junco", "demo", "--out", str(out), "--per-class", "12",
                           "--queries-per-class", "2", "--crops", "1", "--no-text"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out, proc.stdout


def test_demo_prints_metrics_and_stage_times(demo_run):
    out, stdout = demo_run
    assert "precision@5" in stdout and "recall@5" in stdout
    assert "store:" in stdout and "MilvusIndex" in stdout
    # augmented crops find their source photo far above chance
    recall = float(stdout.split("augmented photo crops: recall@5 ")[1].split(",")[0])
    assert recall >= 0.8
    assert (out / "junco.db").exists()


@pytest.mark.skipif(not shutil.which("chromium"), reason="chromium not installed (tools/system_deps.sh)")
def test_gallery_shows_top5_for_every_query(demo_run):
    from playwright.sync_api import sync_playwright

    out, _ = demo_run
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page()
        page.goto((out / "index.html").resolve().as_uri())
        queries = page.locator("div.q").count()
        results = page.locator("img.result")
        assert queries >= 6
        assert results.count() == 5 * queries
        # every thumbnail actually loaded
        loaded = page.evaluate("Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)")
        browser.close()
    assert loaded
