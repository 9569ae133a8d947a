import numpy as np
import pytest

from junco.trainer import as_labeled, content_hash, find_leaks, image_folder, kfold, split_dataset


def test_stratified_seeded_split(digits):
    x, y = digits
    tr, va, te = split_dataset((x[:300], y[:300].tolist()), (0.6, 0.2, 0.2), seed=3)
    assert (len(tr), len(va), len(te)) == (180, 60, 60)
    again = split_dataset((x[:300], y[:300].tolist()), (0.6, 0.2, 0.2), seed=3)
    assert [p.labels for p in again] == [p.labels for p in (tr, va, te)]
    other = split_dataset((x[:300], y[:300].tolist()), (0.6, 0.2, 0.2), seed=4)
    assert other[1].labels != va.labels
    full = np.bincount(y[:300], minlength=10) / 300
    for part in (tr, va, te):
        share = np.bincount(part.labels, minlength=10) / len(part)
        assert np.abs(share - full).max() < 0.05  # stratified


def test_identical_items_never_straddle_a_split():
    rng = np.random.default_rng(0)
    base = [rng.integers(0, 255, (4, 4, 3), dtype=np.uint8) for _ in range(40)]
    items = base + [b.copy() for b in base[:10]]  # 10 exact duplicates
    labels = [i % 2 for i in range(40)] + [i % 2 for i in range(10)]
    tr, va = split_dataset((items, labels), (0.7, 0.3), seed=0)
    hashes_tr = {content_hash(i) for i in tr.items}
    assert not hashes_tr & {content_hash(i) for i in va.items}
    assert len(tr) + len(va) == 50
    assert find_leaks((items, labels), (base[:3], [0, 1, 0])) == [0, 1, 2, 40, 41, 42]


def test_kfold_covers_every_item_once(digits):
    x, y = digits
    data = (list(x[:90]), y[:90].tolist())
    folds = kfold(data, k=3, seed=0)
    seen = sorted(content_hash(i) for _, va in folds for i in va.items)
    assert seen == sorted(content_hash(i) for i in data[0])
    for tr, va in folds:
        assert not {content_hash(i) for i in tr.items} & {content_hash(i) for i in va.items}
        assert len(set(va.labels)) == 10


def test_dataset_shapes(tmp_path, digits):
    import torch
    from PIL import Image

    from junco import DataCollection

    x, y = digits
    pairs = as_labeled([(x[0], 1), (x[1], 0)])
    rows = as_labeled([{"image": x[0], "label": "a"}, {"image": x[1], "label": "b"}])
    dc = as_labeled(DataCollection.from_rows([{"path": "p1", "label": 3}, {"path": "p2", "label": 4}]))
    tds = as_labeled(torch.utils.data.TensorDataset(torch.zeros(3, 2), torch.tensor([0, 1, 1])))
    assert pairs.labels == [1, 0] and rows.labels == ["a", "b"] and dc.items == ["p1", "p2"]
    assert tds.labels == [0, 1, 1] and tuple(tds.items[2].shape) == (2,)
    for cls in ("cat", "dog"):
        (tmp_path / cls).mkdir()
        Image.new("RGB", (8, 8), (1, 2, 3) if cls == "cat" else (9, 9, 9)).save(tmp_path / cls / "a.png")
    folder = image_folder(tmp_path)
    assert folder.labels == ["cat", "dog"] and folder.items[0].endswith("a.png")
    with pytest.raises(ValueError, match="no label"):
        as_labeled([{"image": 1}, {"image": 2}])
