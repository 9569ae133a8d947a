"""The search page in a real headless Chromium (Debian's), against a real server and store."""

import shutil

import pytest
from serve_toys import colour_model, png, running

from junco.index import open_index
from junco.serve import Service, create_app

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not shutil.which("chromium"), reason="chromium is not installed "
                                 "(tools/system_deps.sh installs it)")]


@pytest.fixture
def site(tmp_path):
    pics = tmp_path / "pics"
    pics.mkdir()
    colours = {"red": (230, 20, 20), "crimson": (200, 30, 50), "green": (20, 220, 20), "blue": (20, 20, 230)}
    for name, c in colours.items():
        (pics / f"{name}.png").write_bytes(png(c, size=(48, 48)))
    (tmp_path / "query-blue.png").write_bytes(png((10, 10, 250), size=(40, 40)))
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    index = open_index(f"memory://page-{tmp_path.name}")
    svc = Service(colour_model(), index=index, roots=(pics,))
    with running(create_app(svc)) as url:
        import httpx

        items = [{"id": n, "path": f"{n}.png"} for n in colours]
        assert httpx.post(url + "/insert", json={"items": items}).json()["written"] == 4
        yield url, tmp_path


def test_search_page_text_and_image_queries(site):
    from playwright.sync_api import sync_playwright

    url, tmp = site
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page()
            page.goto(url + "/")
            page.wait_for_function("document.getElementById('info').textContent.includes('4 items')")
            assert "toy-colours" in page.inner_text("#info")

            page.fill("#text", "red")
            page.select_option("#k", "5")
            page.click("#go")
            page.wait_for_selector("#results .hit")
            ids = page.eval_on_selector_all("#results .hit", "els => els.map(e => e.dataset.id)")
            assert ids[:2] == ["red", "crimson"] and len(ids) == 4
            scores = [float(s) for s in page.eval_on_selector_all(".hit .score", "els => els.map(e => e.textContent)")]
            assert scores == sorted(scores, reverse=True) and scores[0] > 0.99
            # the gallery shows the real images, served from inside the root
            page.wait_for_function("[...document.querySelectorAll('#results img')].every(i => i.complete && "
                                   "i.naturalWidth === 48)")
            assert "results in" in page.inner_text("#status")

            page.set_input_files("#file", str(tmp / "query-blue.png"))
            assert page.input_value("#text") == ""
            page.click("#go")
            page.wait_for_function("document.querySelector('#results .hit')?.dataset.id === 'blue'")

            page.click("#results .hit[data-id='green']")  # more like this
            page.wait_for_function("document.querySelector('#results .hit')?.dataset.id === 'green'")

            page.set_input_files("#file", str(tmp / "broken.png"))
            page.click("#go")
            page.wait_for_function("document.getElementById('status').classList.contains('error')")
            assert "Error 422" in page.inner_text("#status")
            assert page.locator("#results .hit").count() == 0

            page.set_input_files("#file", [])
            page.fill("#text", "mauve")
            page.click("#go")
            page.wait_for_function("document.getElementById('status').textContent.includes('unknown colour')")
        finally:
            browser.close()
