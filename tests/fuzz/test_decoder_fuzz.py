"""Property tests of the audio and video decoders on mutated files (the image decoders' twin lives in
tests/reliability/test_fault_corpus.py): any bytes give either a well-formed result or the decoder's own
error type (a ``ValueError`` with a message) -- never another exception, a crash or a hang.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from junco import ops
from junco.testing.fault_corpus import _audio_bytes, _clip_frames, _video_bytes, mutate


def _audio_seeds():
    t = np.arange(4000, dtype=np.float32) / 8000
    x = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    return [_audio_bytes(x, 8000, "WAV"), _audio_bytes(x, 8000, "WAV", "FLOAT"), _audio_bytes(x, 8000, "FLAC"),
            _audio_bytes(x, 8000, "OGG")]


_AUDIO = _audio_seeds()
_VIDEO = [_video_bytes(_clip_frames(4, (32, 32)), fps=4)]


@st.composite
def _mutated(draw, seeds):
    data = draw(st.sampled_from(seeds))
    for _ in range(draw(st.integers(1, 3))):
        if not data:
            break
        data = mutate(data, draw(st.integers(0, 2**31)))[1]
    return data


@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", ["auto", "soundfile", "av"])
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(st.binary(max_size=512), _mutated(_AUDIO)))
def test_mutated_audio_decodes_to_finite_samples_or_a_decode_error(name, data):
    from junco.ops.audio import AudioDecodeError

    decode = getattr(ops.audio_decode, name)(sample_rate=16000, max_duration=5.0)
    try:
        clip = decode(data)
    except AudioDecodeError as e:
        assert str(e).strip()
        return
    assert clip.samples.dtype == np.float32 and clip.samples.ndim == 1 and len(clip.samples) > 0
    assert np.isfinite(clip.samples).all() and clip.sample_rate == 16000


@pytest.mark.timeout(120)
@settings(max_examples=60, deadline=None)
@given(data=st.one_of(st.binary(max_size=512), _mutated(_VIDEO)))
def test_mutated_video_decodes_to_frames_or_a_decode_error(data):
    from junco.ops.video import VideoDecodeError

    decode = ops.video_decode.av(max_frames=8)
    try:
        frames = decode(data)
    except VideoDecodeError as e:
        assert str(e).strip()
        return
    assert 1 <= len(frames) <= 8
    for img, ts in frames:
        assert img.dtype == np.uint8 and img.ndim == 3 and img.shape[2] == 3 and np.isfinite(ts)
