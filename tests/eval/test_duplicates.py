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


# --- duplicates among the vectors of a stored collection ------------------------------------------------
from junco.eval.duplicates import find_duplicates_in_index, gallery_paths  # noqa: E402


def _store(kind, tmp_path, dim, metric="cosine"):
    from junco.index import open_index

    if kind == "faiss":
        pytest.importorskip("faiss")
        return open_index(f"faiss://{tmp_path}/fa", dim=dim, metric=metric, kind="hnsw")
    if kind == "milvus":
        pytest.importorskip("milvus_lite")
        return open_index(str(tmp_path / "dups.db"), dim=dim, metric=metric, collection="vecs")
    return open_index(f"exact://{tmp_path}/ex", dim=dim, metric=metric)


@pytest.mark.parametrize("kind,metric", [("exact", "cosine"), ("exact", "L2"), ("faiss", "cosine"),
                                         ("milvus", "cosine"), ("milvus", "IP")])
def test_finds_planted_groups_in_a_stored_collection(tmp_path, kind, metric):
    ids, x, planted = _planted(n=400, seed=2)
    with _store(kind, tmp_path, 64, metric) as idx:
        idx.add(ids, x.astype(np.float32))
        groups = find_duplicates_in_index(idx, threshold=0.95, topk=5, batch_size=64)
        if kind == "faiss":
            assert idx.kind == "hnsw"  # neighbours really came from the graph index
    assert sorted(map(sorted, groups)) == sorted(map(sorted, planted))
    assert len(groups[0]) == 3  # largest first
    if kind != "milvus":  # exact and FAISS list ids in insertion order (Milvus: primary-key order)
        assert groups == find_duplicates(ids, x, threshold=0.95)


def test_store_groups_link_through_neighbours_and_respect_the_threshold(tmp_path):
    ids, x, planted = _planted(n=300, seed=3)
    with _store("exact", tmp_path, 64) as idx:
        idx.add(ids, x.astype(np.float32))
        # topk=1: each row only sees its nearest neighbour, the 3-row group still comes out whole
        assert sorted(map(sorted, find_duplicates_in_index(idx, 0.95, topk=1))) == sorted(map(sorted, planted))
        assert find_duplicates_in_index(idx, threshold=0.9999) == []
        with pytest.raises(ValueError, match="topk"):
            find_duplicates_in_index(idx, topk=0)


def test_cli_duplicates_on_a_milvus_store_with_gallery(tmp_path, capsys):
    pytest.importorskip("milvus_lite")
    from PIL import Image

    from _embedding_support import SKIMAGE_PHOTOS, skimage_path
    from junco.index import open_index

    # vectors: 16x16 grey thumbnails, a real (if simple) image embedding; halves are near-duplicates
    def thumb(im):
        return np.asarray(im.convert("L").resize((16, 16)), dtype=np.float32).ravel() - 128.0

    ids, vecs, metas = [], [], []
    for name in SKIMAGE_PHOTOS[:4]:
        im = Image.open(skimage_path(name)).convert("RGB")
        stem = name.split(".")[0]
        for tag, img in (("full", im), ("half", im.resize((im.width // 2, im.height // 2)))):
            path = tmp_path / f"{stem}_{tag}.png"
            img.save(path)
            ids.append(f"{stem}_{tag}")
            vecs.append(thumb(img))
            metas.append({"path": str(path)})
    db = str(tmp_path / "photos.db")
    with open_index(db, dim=256, collection="photos") as idx:
        idx.add(ids, np.stack(vecs), metas)
        assert gallery_paths(idx, ["astronaut_full", "nope"]) == {"astronaut_full": metas[0]["path"]}
    html = tmp_path / "gallery.html"
    assert main(["duplicates", "--index", db, "--collection", "photos", "--threshold", "0.98", "--json",
                 "--html", str(html)]) == 0
    res = json.loads(capsys.readouterr().out)
    want = sorted([f"{n.split('.')[0]}_full", f"{n.split('.')[0]}_half"] for n in SKIMAGE_PHOTOS[:4])
    assert res["rows"] == 8 and sorted(map(sorted, res["groups"])) == want
    assert html.read_text().count("<img") == 8
    assert main(["duplicates", "--index", db, "--collection", "photos", "--threshold", "0.98"]) == 0
    assert "4 duplicate group(s)" in capsys.readouterr().out
    assert main(["duplicates", "--index", str(tmp_path / "nothing")]) == 2
    assert main(["duplicates"]) == 2
