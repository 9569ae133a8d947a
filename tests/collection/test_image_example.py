"""The issue's image example, on images this test writes and the packaged efficientnet_lite0 model.

Dataset: photos shipped with scikit-image and scikit-learn, saved as JPEG; queries: mirrored crops of
three of them. Each query's nearest data set image must be the photo it was cut from.
"""

import importlib.util

import numpy as np
import pytest

from junco import DataCollection

pytest.importorskip("junco.ops.image_embedding")
pytest.importorskip("skimage")

MODEL = "efficientnet_lite0"
QUERIES = ["chelsea", "coffee", "rocket"]


@pytest.fixture(scope="module")
def image_dataset(tmp_path_factory):
    from PIL import Image
    from skimage import data as sk

    root = tmp_path_factory.mktemp("image_dataset")
    (root / "dataset").mkdir()
    (root / "query").mkdir()
    photos = {n: getattr(sk, n)() for n in ["astronaut", "chelsea", "coffee", "rocket", "immunohistochemistry",
                                            "hubble_deep_field"]}
    if importlib.util.find_spec("sklearn") is not None:
        from sklearn.datasets import load_sample_images

        photos.update(zip(["china", "flower"], load_sample_images().images))
    for name, img in photos.items():
        Image.fromarray(img).save(root / "dataset" / f"{name}.JPEG", quality=90)
    for name in QUERIES:
        img = photos[name]
        h, w = img.shape[:2]
        crop = np.ascontiguousarray(img[h // 10: h - h // 10, w // 10: w - w // 10][:, ::-1])
        Image.fromarray(crop).save(root / "query" / f"{name}.JPEG", quality=85)
    return root


@pytest.fixture(scope="module")
def collections(image_dataset):
    dataset = DataCollection.from_glob(str(image_dataset / "dataset" / "*.JPEG")).unstream()
    query = DataCollection.from_glob(str(image_dataset / "query" / "*.JPEG")).unstream()
    dc_data = dataset.image_decode.cv2().image_embedding.timm(model_name=MODEL).unstream()
    return dataset, query, dc_data


def _name(path):
    return path.rsplit("/", 1)[-1].split(".")[0]


def test_decode_and_embed_every_image_with_its_path_as_id(collections):
    dataset, _, dc_data = collections
    assert len(dc_data) == len(dataset) >= 6 and dc_data.errors == []
    assert dc_data.ids() == dataset.to_list()  # ids are the paths
    vec = dc_data[0]
    assert vec.shape == (1280,) and vec.dtype == np.float32 and np.isfinite(vec).all()


def test_issue_image_example_as_written(collections):
    pytest.importorskip("junco.ops.search")
    dataset, query, dc_data = collections
    result = (query.image_decode.cv2()
                   .image_embedding.timm(model_name=MODEL)
                   .junco.search_vectors(data=dc_data, cal="L2", topk=5)
                   .map(lambda x: x.ids)
                   .select_from(dataset))
    hits = result.to_list()
    assert len(hits) == len(QUERIES) and all(len(h) == 5 for h in hits)
    assert [_name(h[0]) for h in hits] == QUERIES == [_name(q) for q in query.to_list()]
    assert result.errors == []


def test_vectors_go_to_an_index_under_their_paths_with_the_model_fingerprint(collections):
    dataset, _, dc_data = collections
    idx = dc_data.to_index(metric="L2")
    assert idx.fingerprint["op"] == "image-embedding/timm"  # the model that made the vectors
    assert sorted(idx.ids()) == dataset.to_list()
    nearest = [hits.ids[0] for hits in idx.search(np.stack(dc_data.to_list()), topk=1)]
    assert nearest == dataset.to_list()


def test_bad_image_is_an_error_row_under_its_path(image_dataset, tmp_path):
    bad = tmp_path / "broken.JPEG"
    bad.write_bytes(b"not a jpeg")
    dc = DataCollection.from_glob(str(image_dataset / "query" / "chelsea.JPEG"), str(bad)).image_decode.cv2()
    out = dc.to_list()
    assert len(out) == 1 and out[0].ndim == 3
    (err,) = dc.errors
    assert err.row_id == str(bad) and "image-decode/cv2" in err.node


def test_show_renders_thumbnails_and_vector_summaries(collections, capsys):
    dataset, _, dc_data = collections
    images = dataset.image_decode.cv2["_", "img"]()  # column mode: path "_" and image "img"
    table = images.zip(dc_data.map("_", "vec", lambda v: v).select("vec"))
    assert table.columns == ("_", "img", "vec")
    html = table.to_html(2)
    assert html.count("data:image/png;base64,") == 2 and "vec[1280] float32 norm=" in html
    table.show(2)
    out = capsys.readouterr().out
    assert "image" in out and "vec[1280]" in out
