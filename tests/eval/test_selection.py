"""Model / layer selection on real labelled textiles: pretrained beats random weights; report in Chromium."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from junco.eval import main
from junco.eval.selection import (
    Candidate,
    default_candidates,
    load_labeled,
    score_embeddings,
    select_model,
)

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]
PER_CLASS = 12


@pytest.fixture(scope="module")
def textile_dir(tmp_path_factory):
    """3 classes x 12 real textile JPEGs as DATA/<class>/<file>, plus one file that is no image."""
    from junco.demo._data import textiles

    root = tmp_path_factory.mktemp("textiles")
    items, _ = textiles(PER_CLASS, 0)
    for it in items:
        (root / it.label).mkdir(exist_ok=True)
        shutil.copy(it.path, root / it.label / Path(it.path).name)
    (root / "local" / "zz_broken.jpg").write_bytes(b"this is not a jpeg")
    return root


@pytest.fixture(scope="module")
def random_checkpoint(tmp_path_factory):
    """The efficientnet-lite0 architecture with random initial weights, saved as a checkpoint."""
    import timm
    import torch

    import junco  # noqa: F401  (its import hook lets torchvision, hence timm, import on CPU torch)

    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("random") / "model.pt"
    torch.save(timm.create_model("tf_efficientnet_lite0", pretrained=False).state_dict(), path)
    return path


@pytest.fixture(scope="module")
def report(textile_dir, random_checkpoint):
    cands = default_candidates("image", models=["efficientnet-lite0"], layers=[None, -2])
    cands.append(Candidate("random-init efficientnet-lite0 @ pre-logits", "image-embedding/timm",
                           {"model_name": "efficientnet_lite0", "checkpoint_path": str(random_checkpoint)}))
    cands.append(Candidate("missing checkpoint", "image-embedding/timm",
                           {"model_name": "efficientnet_lite0", "checkpoint_path": "/nonexistent/w.pt"}))
    return select_model(textile_dir, candidates=cands, k=5, folds=4)


def test_pretrained_ranks_above_random_weights(report):
    ranking = report.ranking()
    assert ranking[-1] == "random-init efficientnet-lite0 @ pre-logits"
    assert set(ranking[:2]) == {"efficientnet-lite0 @ pre-logits", "efficientnet-lite0 @ stage -2"}
    by = {r.name: r for r in report.results}
    rnd = by["random-init efficientnet-lite0 @ pre-logits"]
    for name in ranking[:2]:
        assert by[name].get("mAP") > rnd.get("mAP") + 0.1
        assert by[name].get("probe_acc") > rnd.get("probe_acc") + 0.2
    assert by["efficientnet-lite0 @ pre-logits"].dim == 1280
    assert by["efficientnet-lite0 @ stage -2"].dim == 112  # blocks.4 of efficientnet-lite0
    assert all(r.items_per_s > 0 and r.map2d.shape == (3 * PER_CLASS, 2) for r in report.results if not r.error)


def test_bad_inputs_are_reported_not_fatal(report):
    assert [Path(p).name for p, _ in report.skipped] == ["zz_broken.jpg"]
    assert "ImageDecodeError" in report.skipped[0][1]
    assert len(report.items) == len(report.labels) == 3 * PER_CLASS
    failed = report.results[-1]
    assert failed.name == "missing checkpoint" and "ModelNotFoundError" in failed.error
    assert "missing checkpoint" not in report.ranking()
    text = report.table()
    assert "FAILED missing checkpoint" in text and "skipped" in text and "recall@5" in text


def test_retrieval_scores_match_sklearn_average_precision():
    from sklearn.metrics import average_precision_score

    rng = np.random.default_rng(1)
    labels = np.repeat(["a", "b", "c"], 8)
    x = rng.normal(size=(24, 16)) + 1.5 * (labels[:, None] == np.array(["a", "b", "c"])) @ rng.normal(size=(3, 16))
    got = score_embeddings(x, list(labels), k=3, folds=4)
    u = x / np.linalg.norm(x, axis=1, keepdims=True)
    sims = u @ u.T
    aps = []
    for i in range(len(x)):
        others = np.arange(len(x)) != i
        aps.append(average_precision_score(labels[others] == labels[i], sims[i, others]))
    assert got["mAP"] == pytest.approx(np.mean(aps), abs=1e-9)
    assert 0.0 <= got["recall@3"] <= 1.0 and 0.0 <= got["probe_acc"] <= 1.0
    assert got["score"] == pytest.approx((got["mAP"] + got["probe_acc"]) / 2)


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="chromium not installed (tools/system_deps.sh)")
def test_html_report_renders_chart_and_maps(report, tmp_path):
    from playwright.sync_api import sync_playwright

    out = report.write_html(tmp_path / "selection.html")
    ok = [r for r in report.results if r.error is None]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page()
        page.goto(out.resolve().as_uri())
        charts = page.locator("svg.junco-bar-chart")
        maps = page.locator("svg.junco-scatter")
        assert charts.count() == 4 and maps.count() == len(ok)
        for loc in (charts, maps):
            for i in range(loc.count()):
                box = loc.nth(i).bounding_box()
                assert box and box["width"] > 100 and box["height"] > 50
        bars = page.locator("svg.junco-bar-chart >> nth=0").locator("rect.bar")
        assert bars.count() == len(ok)
        widths = [bars.nth(i).bounding_box()["width"] for i in range(bars.count())]
        assert widths == sorted(widths, reverse=True) and widths[-1] > 0  # best first, longest bar
        dots = page.locator("svg.junco-scatter >> nth=0").locator("circle.pt")
        assert dots.count() == 3 * PER_CLASS
        assert all(dots.nth(i).bounding_box()["width"] > 0 for i in (0, dots.count() - 1))
        assert "missing checkpoint" in page.locator("section", has_text="Failed candidates").inner_text()
        browser.close()


def test_cli_select_on_a_csv(textile_dir, tmp_path, capsys):
    rows = ["path,label"]
    for cls in ("global", "nominal"):
        for f in sorted((textile_dir / cls).glob("*.jpg"))[:5]:
            rows.append(f"{f.relative_to(textile_dir)},{cls}")
    csv = textile_dir / "sample.csv"
    csv.write_text("\n".join(rows) + "\n")
    html = tmp_path / "r.html"
    rc = main(["select", str(csv), "--models", "mobilenetv2", "--k", "3", "--folds", "3", "--json",
               "--html", str(html)])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and out["items"] == 10 and out["classes"] == ["global", "nominal"]
    by_name = {r["name"]: r for r in out["results"]}  # MobileNetV2 is tried at three depths
    assert {n: r["dim"] for n, r in by_name.items()} == {"mobilenetv2 @ pre-logits": 1280,
                                                          "mobilenetv2 @ stage -2": 320,
                                                          "mobilenetv2 @ stage -5": 160}
    for res in by_name.values():
        assert res["error"] is None and 0.5 <= res["mAP"] <= 1.0 and 0.0 <= res["recall@3"] <= 1.0
    assert html.read_text().count('class="junco-scatter"') == 3


def test_cli_bad_input_exits_2_with_a_reason(tmp_path, capsys):
    assert main(["select", str(tmp_path / "nope")]) == 2
    assert "no such folder or CSV" in capsys.readouterr().err
    one = tmp_path / "one.csv"
    one.write_text("text,label\nhello,a\nhi,a\nbye,b\n")
    assert main(["select", str(one)]) == 2
    err = capsys.readouterr().err
    assert "at least 2 items" in err and "['b']" in err
    one.write_text("text,label\nhello,a\nhi,a\nbye,b\nciao,b\n")
    assert main(["select", str(one), "--models", "all-MiniLM-L6-v2", "nonexistent-model"]) == 2
    assert "['nonexistent-model'] not installed" in capsys.readouterr().err
    assert main(["select", str(one), "--models", "mobilenetv2"]) == 2  # an image model for texts
    assert "do not embed text" in capsys.readouterr().err


def test_load_labeled_formats(tmp_path):
    (tmp_path / "x.csv").write_text("red apple,fruit\npear,fruit\nbus,vehicle\ncar,vehicle\n")
    s = load_labeled(tmp_path / "x.csv")
    assert s.modality == "text" and s.items[0] == "red apple" and s.classes == ["fruit", "vehicle"]
    (tmp_path / "y.csv").write_text("label,text\nfruit,pear\n,car\n")
    with pytest.raises(ValueError, match="line 3"):
        load_labeled(tmp_path / "y.csv")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no class sub-folders"):
        load_labeled(tmp_path / "empty")


TOPICS = {
    "cooking": ["Simmer the onions in butter until golden.", "Knead the dough and let it rise overnight.",
                "Season the soup with salt and fresh pepper.", "Roast the vegetables in a hot oven.",
                "Whisk the eggs with sugar for the cake batter.", "Slice the garlic thinly before frying it."],
    "football": ["The striker scored a goal in the final minute.", "The goalkeeper saved a penalty kick.",
                 "Our team won the league match two to one.", "The referee showed the defender a red card.",
                 "Fans cheered as the midfielder passed the ball.", "The coach changed the formation at halftime."],
    "astronomy": ["The telescope observed a distant spiral galaxy.", "Jupiter has dozens of orbiting moons.",
                  "A supernova outshone its whole galaxy.", "The comet's tail points away from the sun.",
                  "Astronomers measured the star's redshift.", "Saturn's rings are made of ice and rock."],
}


def test_text_modality_with_minilm(tmp_path):
    rows = ["text,label"] + [f'"{t}",{lab}' for lab, ts in TOPICS.items() for t in ts]
    (tmp_path / "t.csv").write_text("\n".join(rows) + "\n")
    rep = select_model(tmp_path / "t.csv", k=3, folds=3)
    (res,) = [r for r in rep.results if r.name.startswith("all-MiniLM-L6-v2")]
    assert res.error is None and res.dim == 384
    assert res.get("mAP") > 0.7 and res.get("probe_acc") > 0.7  # chance: ~0.33
