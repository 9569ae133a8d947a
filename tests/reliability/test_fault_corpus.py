"""The image fault corpus through the decoders, the image-embedding pipeline and a DataCollection.

No crash, no hang (a timeout bound), every bad file reported under its path with a readable reason,
every good file a finite unit vector. Plus a property test: arbitrary bytes never crash the decoders.
"""

import io

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from junco import DataCollection, ops, pipeline
from junco.testing.fault_corpus import make_corpus


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return make_corpus(tmp_path_factory.mktemp("fault_corpus"))


@pytest.fixture(scope="module")
def embed():
    return pipeline("image-embedding")


def _check_outcomes(cases, vecs_by_path, errors):
    errs = {e.row_id: e for e in errors}
    assert set(errs) <= {c.path for c in cases}
    for c in cases:
        if c.path in errs:
            e = errs[c.path]
            assert c.expect_ok is not True, f"good {c.kind} file failed: {c.path}: {e.message}"
            assert isinstance(e.message, str) and e.message.strip() and e.exc_type, c.path
            assert c.path not in vecs_by_path or not vecs_by_path[c.path]
        else:
            assert c.expect_ok is not False, f"bad {c.kind} file not reported: {c.path}"
            (v,) = vecs_by_path[c.path]
            assert v.ndim == 1 and np.isfinite(v).all() and abs(np.linalg.norm(v) - 1) < 1e-4, c.path


def test_corpus_has_the_kinds_the_issue_asks_for(corpus):
    kinds = {c.kind for c in corpus}
    for k in ("truncated-jpg", "truncated-png", "truncated-webp", "bitflip-header-jpg", "empty", "tiny-1x1",
              "strip-1x100000", "decompression-bomb", "cmyk", "16-bit", "palette", "alpha", "grayscale",
              "wrong-extension", "not-image", "good-jpg"):
        assert k in kinds
    bomb = next(c for c in corpus if c.kind == "decompression-bomb")
    assert open(bomb.path, "rb").read().startswith(b"\x89PNG") and len(open(bomb.path, "rb").read()) < 10_000


@pytest.mark.parametrize("name", ["cv2", "pil"])
def test_decoders_on_the_corpus(corpus, name):
    decode = getattr(ops.image_decode, name)()
    for c in corpus:
        try:
            img = decode(c.path)
        except ValueError as e:  # ImageDecodeError is a ValueError
            assert c.expect_ok is not True and type(e).__name__.endswith("Error") and str(e), (c.path, e)
        else:
            assert c.expect_ok is not False, c.path
            assert img.ndim == 3 and img.shape[2] == 3 and img.dtype == np.uint8, c.path


@pytest.mark.timeout(120)
def test_pipeline_batch_reports_every_bad_file_and_embeds_every_good_one(corpus, embed):
    paths = [c.path for c in corpus]
    res = embed.batch(paths, ids=paths)
    assert len(res) == len(paths)
    _check_outcomes(corpus, dict(zip(paths, res)), embed.report.errors)
    assert {e.exc_type for e in embed.report.errors} <= {"ImageDecodeError", "DecompressionBombError"}


@pytest.mark.timeout(120)
def test_collection_from_glob_reports_bad_files_under_their_paths(corpus):
    folder = corpus[0].path.rsplit("/", 1)[0]
    dc = DataCollection.from_glob(folder + "/*").image_decode.cv2()
    out = dc.to_list()
    bad = {c.path for c in corpus if c.expect_ok is False}
    errs = {e.row_id: e for e in dc.errors}
    assert bad <= set(errs) and all(e.message for e in errs.values())
    assert not {c.path for c in corpus if c.expect_ok} & set(errs)
    assert len(out) + len(errs) == len(corpus)
    assert all(a.ndim == 3 and a.shape[2] == 3 and a.dtype == np.uint8 for a in out)


def _seed_images():
    from PIL import Image

    img = Image.fromarray(np.arange(8 * 6 * 3, dtype=np.uint8).reshape(8, 6, 3))
    out = []
    for fmt in ("PNG", "JPEG", "WEBP", "GIF", "BMP"):
        buf = io.BytesIO()
        img.save(buf, format=fmt)
        out.append(buf.getvalue())
    return out


_SEEDS = _seed_images()


@st.composite
def _mutated_images(draw):
    data = bytearray(draw(st.sampled_from(_SEEDS)))
    for _ in range(draw(st.integers(0, 6))):
        i = draw(st.integers(0, len(data) - 1))
        data[i] = draw(st.integers(0, 255))
    cut = draw(st.integers(1, len(data)))
    return bytes(data[:cut])


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", ["cv2", "pil"])
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(st.binary(max_size=2000), _mutated_images()))
def test_arbitrary_bytes_decode_to_rgb_or_raise(name, data):
    decode = getattr(ops.image_decode, name)(max_pixels=1_000_000)
    try:
        img = decode(data)
    except Exception:  # any Exception subclass is a reported error row; a crash or hang is not
        return
    assert img.ndim == 3 and img.shape[2] == 3 and img.dtype == np.uint8 and min(img.shape) >= 1


def test_fault_corpus_doctests():
    import doctest

    import junco.testing.fault_corpus as mod

    assert doctest.testmod(mod).failed == 0
