"""The fault corpus through every named pipeline, on the local engine and on Ray.

For each pipeline (image-, text-, text-image-, audio-, video-, face-embedding) a batch of broken, odd
and good inputs runs within a time bound; the run must end, report every bad item under its id with a
readable reason, and process every good one (a finite vector of the model's dimension; unit length where
the pipeline normalizes). Model outputs are not cached (``NoCache``), so both engines really compute.
The long run (10,000+ items) is ``make reliability`` (``tools/reliability_report.py``), which also runs
the Ray cases marked ``slow`` here.
"""

import numpy as np
import pytest

from junco import pipeline
from junco.engine import LocalEngine
from junco.testing.fault_corpus import (
    NoCache,
    make_audio_corpus,
    make_corpus,
    make_video_corpus,
    run_bounded,
    tally,
    text_cases,
)

RUN_TIMEOUT_S = 180  # one batch on one engine; a hang fails the test instead of stalling the suite


@pytest.fixture(scope="module")
def corpora(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    return {"image": make_corpus(root / "image"), "audio": make_audio_corpus(root / "audio"),
            "video": make_video_corpus(root / "video"), "text": text_cases()}


@pytest.fixture(scope="module")
def ray_session():
    pytest.importorskip("ray")
    from junco.engine.ray import _runtime

    started = _runtime.ensure("local", num_cpus=2)  # reuses a runtime an earlier test module started
    yield
    if started:
        _runtime.shutdown()


def _vector_check(dim, unit):
    def check(case, rows):
        for r in rows:
            v = np.asarray(getattr(r, "vec", r), np.float32)
            if v.shape != (dim,) or not np.isfinite(v).all():
                return f"bad vector: shape {v.shape}, finite {np.isfinite(v).all()}"
            if unit and abs(float(np.linalg.norm(v)) - 1) > 1e-3:
                return f"not unit length: {np.linalg.norm(v)}"
        return None
    return check


# name, pipeline kwargs, corpus, output dim, unit vectors, rows per item ("one" or "any": flat_map)
PIPELINES = {
    "image-embedding": ({"backend": "torch"}, "image", 1280, True, "one"),
    "text-embedding": ({"backend": "torch"}, "text", 384, True, "one"),
    "text-image-embedding[image]": ({"model": "bridge", "backend": "torch"}, "image", 384, True, "one"),
    "text-image-embedding[text]": ({"model": "bridge", "modality": "text", "backend": "torch"}, "text", 384,
                                   True, "one"),
    "audio-embedding": ({}, "audio", 256, True, "one"),
    "video-embedding": ({"backend": "torch"}, "video", 1280, True, "one"),
    "face-embedding": ({}, "image", 128, False, "any"),
}

_built: dict = {}
_local_runs: dict = {}  # key -> the local run, compared with the Ray run


def _pipeline(key):
    if key not in _built:
        kwargs = PIPELINES[key][0]
        _built[key] = pipeline(key.split("[")[0], **kwargs)
    return _built[key]


def _run(key, corpora, engine):
    kwargs, corpus, dim, unit, rows = PIPELINES[key]
    cases = corpora[corpus]
    p = _pipeline(key)
    if engine == "local":
        p.set_engine(LocalEngine(cache=NoCache()))
    else:
        from junco.engine.ray import RayEngine

        p.set_engine(RayEngine(cache=NoCache(), block_size=16))  # several packets: bad rows among good
    status, out = run_bounded(lambda: p.batch([c.input for c in cases], ids=[c.path for c in cases]),
                              RUN_TIMEOUT_S)
    assert status != "hang", f"{key} on {engine} did not finish within {RUN_TIMEOUT_S}s"
    assert status == "ok", f"{key} on {engine} crashed: {out!r}"
    t = tally(cases, out, out.report.errors, check=_vector_check(dim, unit), rows_per_item=rows)
    assert t.ok, f"{key} on {engine}: {t.problems()}"
    assert out.report.engine == engine
    return cases, out, t


@pytest.mark.timeout(600)
@pytest.mark.parametrize("key", list(PIPELINES))
def test_corpus_through_named_pipeline_local(key, corpora):
    cases, out, t = _local_runs[key] = _run(key, corpora, "local")
    assert sum(t.processed.values()) >= sum(c.expect_ok is True for c in cases)
    assert sum(t.reported.values()) >= sum(c.expect_ok is False for c in cases)
    # every bad item's record names the step that refused it
    assert all(e.node for e in out.report.errors)


# On Ray by default: face-embedding (decode task + two model actor pools + flat_map: the plan that once
# starved its task on 2 CPUs) and audio-embedding; the rest are `slow` (make reliability) to keep
# `make test` short: each Ray run loads its models again in every actor.
RAY_DEFAULT = ("face-embedding", "audio-embedding")


@pytest.mark.ray
@pytest.mark.timeout(600)
@pytest.mark.parametrize("key", [k if k in RAY_DEFAULT else pytest.param(k, marks=pytest.mark.slow)
                                 for k in PIPELINES])
def test_corpus_through_named_pipeline_ray(key, corpora, ray_session):
    cases, out, t = _run(key, corpora, "ray")
    _, local_out, local_t = _local_runs.get(key) or _run(key, corpora, "local")
    # the same items fail for the same reasons on both engines
    assert sorted((e.row_id, e.exc_type) for e in out.report.errors) == \
        sorted((e.row_id, e.exc_type) for e in local_out.report.errors)
    assert t.processed == local_t.processed
