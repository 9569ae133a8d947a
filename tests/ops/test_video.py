"""Video operators on videos the tests encode with PyAV from scikit-image's bundled photos."""

import pickle

import numpy as np
import pytest

from _media_support import frame_op, videos, write_audio
from junco import ops
from junco.ops.video import FrameEmbeddings, VideoDecodeError, temporal_pool


def test_rate_sampling_keeps_timestamps():
    frames = ops.video_decode.av(fps=1.0)(videos()["chelsea"])
    assert [t for _, t in frames] == [0.0, 1.0, 2.0]
    assert all(f.shape == (120, 160, 3) and f.dtype == np.uint8 for f, _ in frames)
    assert [t for _, t in ops.video_decode.av(fps=2.0)(videos()["chelsea"])] == [0.0, 0.5, 1.0, 1.5, 2.0, 2.5]
    capped = ops.video_decode.av(sample="all", max_frames=4, max_side=80)(videos()["chelsea"])
    assert len(capped) == 4 and capped[0][0].shape == (60, 80, 3)
    assert len(ops.video_decode.av(sample="all", max_duration=1.0)(videos()["chelsea"])) == 11  # 0.0 .. 1.0 s


def test_scene_sampling_finds_the_cuts():
    scene = ops.video_decode.av(sample="scene")
    assert [t for _, t in scene(videos()["scenes"])] == [0.0, 1.0, 2.0]  # three photos, one second each
    assert [t for _, t in scene(videos()["chelsea"])] == [0.0]  # a slow zoom is one scene


@pytest.mark.parametrize("case", ["truncated", "garbage", "empty"])
def test_broken_videos_raise_video_decode_errors(case):
    with pytest.raises(VideoDecodeError):
        ops.video_decode.av()(videos()[case])


def test_audio_only_file_has_no_video_stream():
    path = write_audio("tone.flac", np.zeros(8000, np.float32), 8000, "FLAC")
    with pytest.raises(VideoDecodeError, match="no video stream"):
        ops.video_decode.av()(path)


def test_temporal_pool():
    v = [np.array([1.0, 0.0]), np.array([0.0, 2.0])]
    assert np.allclose(temporal_pool(v), np.array([1.0, 1.0]) / np.sqrt(2))
    assert np.allclose(temporal_pool(v, mode="max", normalize=False), [1.0, 2.0])
    with pytest.raises(ValueError):
        temporal_pool([])


@pytest.fixture(scope="module")
def per_frame_op():
    op = ops.video_embedding.frames(pool="none", backend="torch", device="cpu")
    op.image = frame_op()  # share the model the other tests loaded (same arguments)
    return op


def test_frames_of_a_video_are_nearer_each_other_than_other_videos(per_frame_op):
    names = ["chelsea", "chelsea_copy", "coffee", "rocket"]
    out = per_frame_op.forward([per_frame_op.preprocess(videos()[n]) for n in names])
    assert all(isinstance(o, FrameEmbeddings) and len(o.vectors) == len(o.timestamps) == 3 for o in out)
    vecs = np.concatenate([o.vectors for o in out])
    labels = [n.replace("_copy", "") for n, o in zip(names, out) for _ in o.timestamps]
    sims = vecs @ vecs.T
    np.fill_diagonal(sims, -np.inf)
    assert [labels[j] for j in sims.argmax(axis=1)] == labels  # nearest frame: same content
    pooled = np.stack([temporal_pool(list(o.vectors)) for o in out])
    s = pooled @ pooled.T
    assert s[0, 1] > 0.8 and s[0, 1] > max(s[0, 2], s[0, 3]) + 0.3, s  # the re-encode is the near-duplicate


def test_video_embedding_op_pools_and_fingerprints(per_frame_op):
    op = ops.video_embedding.frames(backend="torch", device="cpu", fps=2.0)
    op.image = per_frame_op.image
    vec = op(videos()["rocket"])
    assert vec.shape == (1280,) and abs(np.linalg.norm(vec) - 1) < 1e-5
    fp = op.fingerprint()
    assert fp["decode"]["fps"] == 2.0 and fp["image"]["weights_sha256"] and fp["pool"] == "mean"
    assert pickle.loads(pickle.dumps(op)).decoder.fps == 2.0
    with pytest.raises(VideoDecodeError):
        op.preprocess(videos()["garbage"])
