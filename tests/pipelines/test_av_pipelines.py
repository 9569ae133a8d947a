"""Named audio, video and face pipelines end to end: real models, real files, error rows, specs."""

import numpy as np
import pytest

from _media_support import (
    astronaut_crop,
    bad_audio,
    grace_hopper,
    photos,
    save_image,
    speech,
    videos,
    workdir,
)
from junco import pipeline
from junco.pipeline import list_pipelines


def test_the_pipelines_are_registered():
    assert {"audio-embedding", "video-embedding", "face-embedding"} <= set(list_pipelines())
    with pytest.raises(ValueError, match="known"):
        pipeline("audio-embedding", model="whale")


def test_audio_embedding_pipeline_rows_errors_and_windows(tmp_path):
    p = pipeline("audio-embedding", device="cpu")
    names = list(speech())
    res = p.batch([speech()[n] for n in names] + [bad_audio()["empty"], bad_audio()["random"]])
    assert [len(r) for r in res] == [1, 1, 1, 1, 0, 0]
    assert sorted(e.row_id for e in res.errors) == [4, 5]
    assert all("audio-decode" in e.node and e.exc_type == "AudioDecodeError" for e in res.errors)
    v = {n: r[0] for n, r in zip(names, res)}
    assert v["a1"] @ v["a2"] > max(v["a2"] @ v["b2"], v["a1"] @ v["c1"])
    windowed = pipeline("audio-embedding", window=1.6, hop=0.8, device="cpu")(speech()["a1"])
    assert len(windowed) >= 3 and [round(r.start, 1) for r in windowed[:2]] == [0.0, 0.8]
    assert all(r.vec.shape == (256,) for r in windowed)
    spec = p.save(tmp_path / "audio.yaml")
    assert np.allclose(pipeline(str(spec))(speech()["a1"])[0], v["a1"], atol=1e-5)


@pytest.fixture(scope="module")
def video_pipe():
    return pipeline("video-embedding", backend="torch", device="cpu")


def test_video_embedding_pipeline_finds_the_near_duplicate(video_pipe):
    names = ["chelsea", "chelsea_copy", "coffee", "rocket"]
    res = video_pipe.batch([videos()[n] for n in names] + [videos()["garbage"], videos()["empty"]])
    assert [len(r) for r in res] == [1, 1, 1, 1, 0, 0]
    assert sorted(e.row_id for e in res.errors) == [4, 5] and {e.exc_type for e in res.errors} == {"VideoDecodeError"}
    vecs = np.stack([r[0] for r in res[:4]])
    sims = vecs @ vecs.T
    np.fill_diagonal(sims, -1)
    assert list(sims.argmax(axis=1)[:2]) == [1, 0]


def test_video_embedding_per_frame_by_scene():
    p = pipeline("video-embedding", backend="torch", device="cpu", pool="none", sample="scene")
    rows = p(videos()["scenes"])
    assert [r.timestamp for r in rows] == [0.0, 1.0, 2.0]
    assert all(abs(np.linalg.norm(r.vec) - 1) < 1e-5 for r in rows)


def test_face_embedding_pipeline_one_row_per_face(tmp_path):
    paths = [save_image("astronaut.png", photos()["astronaut"]), save_image("crop.png", astronaut_crop()),
             save_image("hopper.png", grace_hopper()), save_image("coffee.png", photos()["coffee"])]
    corrupt = workdir() / "corrupt.png"
    corrupt.write_bytes(open(paths[0], "rb").read()[:300])
    p = pipeline("face-embedding")
    res = p.batch([*paths, str(corrupt)])
    assert len(res[0]) >= 1 and len(res[1]) == 1 and len(res[2]) == 1
    assert res[3] == [] and res[4] == []  # no face: zero rows; corrupt file: an error row
    assert [e.row_id for e in res.errors] == [4]
    a, b, other = res[0][0].vec, res[1][0].vec, res[2][0].vec
    assert np.linalg.norm(a - b) < 0.6 < np.linalg.norm(a - other)
    assert res[0][0].face.box == pytest.approx((175, 76, 265, 166), abs=8)
    spec = p.save(tmp_path / "face.yaml")
    assert len(pipeline(str(spec))(paths[2])) == 1
