"""Near-duplicate groups on planted duplicates, the HTML gallery, and the CLI on real images."""

import json
import time

import numpy as np
import pytest

from junco.eval import main
from junco.eval.duplicates import find_duplicates, write_duplicates_gallery


def _planted(n=300, d=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d))
    ids = [f"item{i}" for i in range(n)]
    planted = [[3, 150, 299], [10, 11], [42, 200]]
    for group in planted:
        for j in group[1:]:
            x[j] = x[group[0]] + 0.05 * rng.normal(size=d)  # cosine ~0.998
    return ids, x, [[ids[i] for i in g] for g in planted]


def test_finds_exactly_the_planted_groups():
    ids, x, planted = _planted()
    groups = find_duplicates(ids, x, threshold=0.95)
    assert sorted(map(sorted, groups)) == sorted(map(sorted, planted))
    assert len(groups[0]) == 3  # largest first


def test_blocks_and_transitive_links_give_the_same_groups():
    ids, x, _ = _planted(seed=1)
    assert find_duplicates(ids, x, 0.95, block_size=7) == find_duplicates(ids, x, 0.95)
    chain = np.array([[1.0, 0.0], [np.cos(0.3), np.sin(0.3)], [np.cos(0.6), np.sin(0.6)]])
    assert find_duplicates("abc", chain, threshold=0.95) == [["a", "b", "c"]]  # a~b, b~c, not a~c


def test_threshold_and_edge_cases():
    ids, x, _ = _planted()
    assert find_duplicates(ids, x, threshold=1.01) == []
    assert find_duplicates(["only"], x[:1]) == []
    with pytest.raises(ValueError):
        find_duplicates(ids[:5], x)


def test_gallery_html(tmp_path):
    img = tmp_path / "a.png"
    img.write_bytes(b"\x89PNG")
    out = write_duplicates_gallery([["a", "b<x>"]], {"a": str(img)}, tmp_path / "sub" / "g.html")
    text = out.read_text()
    assert out.exists() and text.count("class='group'") == 1
    assert img.resolve().as_uri() in text and "b&lt;x&gt;" in text


def test_cli_duplicates_on_real_images(tmp_path, capsys):
    pytest.importorskip("timm")
    from PIL import Image

    from _embedding_support import SKIMAGE_PHOTOS, skimage_path

    t0 = time.time()
    names = [n.split(".")[0] for n in SKIMAGE_PHOTOS[:3]]
    for name, photo in zip(names, SKIMAGE_PHOTOS[:3], strict=True):
        im = Image.open(skimage_path(photo)).convert("RGB")
        im.save(tmp_path / f"{name}.png")
        im.resize((im.width // 2, im.height // 2)).save(tmp_path / f"{name}_small.jpg", quality=90)
    html = tmp_path / "dups.html"
    assert main(["duplicates", str(tmp_path / "*.*g"), "--threshold", "0.9", "--json", "--html", str(html)]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["embedded"] == 6
    got = sorted(sorted(g) for g in res["groups"])
    want = sorted(sorted([str(tmp_path / f"{n}.png"), str(tmp_path / f"{n}_small.jpg")]) for n in names)
    assert got == want and html.exists()
    assert time.time() - t0 < 60
