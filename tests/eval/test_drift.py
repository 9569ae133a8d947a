"""MMD² drift test: flags a shifted batch, not a same-distribution one; operator and CLI."""

import json

import numpy as np
import pytest

from junco.eval import main
from junco.eval.drift import MMDDrift, drift_report, mmd2


def _gauss(n, d=16, shift=0.0, seed=0):
    return np.random.default_rng(seed).normal(size=(n, d)) + shift


def test_shifted_batch_is_flagged():
    rep = drift_report(_gauss(150, seed=1), _gauss(120, shift=0.5, seed=2), n_permutations=200, seed=0)
    assert rep.drift and rep.p_value < 0.05 and rep.mmd2 > 0


def test_same_distribution_is_not_flagged():
    rep = drift_report(_gauss(150, seed=1), _gauss(120, seed=2), n_permutations=200, seed=0)
    assert not rep.drift and rep.p_value > 0.05


def test_false_alarm_rate_is_near_alpha():
    alarms = sum(drift_report(_gauss(40, d=4, seed=2 * i), _gauss(40, d=4, seed=2 * i + 1),
                              n_permutations=99, seed=i).drift for i in range(40))
    assert alarms <= 6  # alpha = 0.05 -> about 2 of 40 expected


def test_seed_makes_it_reproducible_and_mmd2_matches():
    a, b = _gauss(60, seed=3), _gauss(50, shift=0.2, seed=4)
    r1, r2 = drift_report(a, b, seed=7), drift_report(a, b, seed=7)
    assert r1 == r2 and r1.mmd2 == pytest.approx(mmd2(a, b))


def test_bad_input_is_rejected():
    with pytest.raises(ValueError, match="dimension"):
        drift_report(_gauss(10, d=3), _gauss(10, d=4))
    with pytest.raises(ValueError, match="at least 2"):
        drift_report(_gauss(10), _gauss(1))


def test_operator_flags_drifting_batches():
    from junco import ops

    op = ops.drift.mmd(_gauss(100, seed=5), n_permutations=100)
    assert isinstance(op, MMDDrift)
    shifted = op.forward(list(_gauss(50, shift=1.0, seed=6)))
    same = op.forward(list(_gauss(50, seed=7)))
    assert len(shifted) == 50 and all(r["drift"] for r in shifted) and shifted[0]["p_value"] < 0.05
    assert not same[0]["drift"] and same[0]["p_value"] > 0.05
    assert op.forward([np.zeros(16)])[0]["drift"] is False


def test_cli_drift_prints_table_and_json(tmp_path, capsys):
    np.save(tmp_path / "ref.npy", _gauss(80, seed=8))
    np.save(tmp_path / "new.npy", _gauss(80, shift=1.0, seed=9))
    assert main(["drift", str(tmp_path / "ref.npy"), str(tmp_path / "new.npy"), "--permutations", "50"]) == 0
    out = capsys.readouterr().out
    assert "drift" in out and "YES" in out and "p_value" in out
    assert main(["drift", str(tmp_path / "ref.npy"), str(tmp_path / "new.npy"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["drift"] is True
    assert main(["drift", str(tmp_path / "ref.npy"), str(tmp_path / "missing.npy")]) == 2


# --- classifier two-sample test, prediction drift, stored references, the report ---------------------
from junco.eval.drift import (  # noqa: E402
    analyze_drift,
    classifier_test,
    predict_classes,
    prediction_drift,
    sample_vectors,
)


def test_classifier_test_flags_shift_not_same_distribution():
    shifted = classifier_test(_gauss(150, seed=1), _gauss(120, shift=0.5, seed=2), seed=0)
    same = classifier_test(_gauss(150, seed=1), _gauss(120, seed=2), seed=0)
    assert shifted.drift and shifted.p_value < 0.01 and shifted.auc > 0.8
    assert not same.drift and same.p_value > 0.05 and 0.35 < same.auc < 0.65
    assert len(same.null) == 200 and "null" not in same.to_dict()


def test_classifier_test_false_alarm_rate_is_near_alpha():
    alarms = sum(classifier_test(_gauss(40, d=4, seed=2 * i), _gauss(40, d=4, seed=2 * i + 1),
                                 n_permutations=99, seed=i).drift for i in range(40))
    assert alarms <= 6  # alpha = 0.05 -> about 2 of 40 expected


def test_classifier_test_sees_a_shift_along_one_axis_of_64():
    # a shift along one axis of 64: a linear classifier finds the direction
    new = _gauss(200, d=64, seed=11)
    new[:, 5] += 0.6
    assert classifier_test(_gauss(200, d=64, seed=10), new, seed=0).drift


def _three_class(n, probs, seed):
    """Vectors from three Gaussian clusters with the given class probabilities."""
    rng = np.random.default_rng(seed)
    y = rng.choice(3, size=n, p=probs)
    centers = np.eye(3, 8) * 3.0
    return centers[y] + rng.normal(size=(n, 8)), y


def test_prediction_drift_with_a_real_sklearn_head():
    LogisticRegression = pytest.importorskip("sklearn.linear_model").LogisticRegression

    x_ref, y_ref = _three_class(300, [0.5, 0.3, 0.2], seed=0)
    head = LogisticRegression(max_iter=500).fit(x_ref, np.array(["cat", "dog", "owl"])[y_ref])
    x_same, _ = _three_class(200, [0.5, 0.3, 0.2], seed=1)
    x_shift, _ = _three_class(200, [0.2, 0.3, 0.5], seed=2)
    shifted = prediction_drift(x_ref, x_shift, classifier=head)
    same = prediction_drift(x_ref, x_same, classifier=head)
    assert shifted.classes == ["cat", "dog", "owl"] and sum(shifted.new_counts) == 200
    assert shifted.drift and shifted.p_value < 0.01 and shifted.psi > 0.25 and shifted.js > 0.03
    assert not same.drift and same.p_value > 0.05 and same.psi < 0.1
    assert shifted.new_counts[2] > shifted.new_counts[0]  # owls now outnumber cats


def test_prediction_drift_false_alarm_rate_is_near_alpha():
    rng = np.random.default_rng(3)
    alarms = sum(prediction_drift(rng.choice(4, size=60, p=[0.4, 0.3, 0.2, 0.1]),
                                  rng.choice(4, size=50, p=[0.4, 0.3, 0.2, 0.1]), seed=i,
                                  n_permutations=999).drift for i in range(60))
    assert alarms <= 8  # alpha = 0.05 -> about 3 of 60 expected


def test_prediction_drift_from_scores_and_from_a_junco_operator_head():
    from junco.operator import Operator

    class LinearHead(Operator):
        """A fixed linear classifier head: logits = x @ W."""

        def __init__(self, w):
            self.w = np.asarray(w)

        def forward(self, batch):
            return list(np.stack(batch) @ self.w)

    w = np.zeros((8, 3))
    w[:3, :3] = np.eye(3)
    x_ref, y_ref = _three_class(200, [0.5, 0.3, 0.2], seed=4)
    head = LinearHead(w)
    labels = predict_classes(head, x_ref, batch_size=64)
    assert labels.shape == (200,) and np.mean(labels == y_ref) > 0.9  # the head really classifies
    x_new, _ = _three_class(150, [0.1, 0.1, 0.8], seed=5)
    rep = prediction_drift(x_ref, x_new, classifier=head)
    assert rep.drift and rep.classes == ["0", "1", "2"]
    # logits passed in directly give the same counts
    same = prediction_drift(x_ref @ w, x_new @ w)
    assert same.reference_counts == rep.reference_counts and same.new_counts == rep.new_counts


def test_prediction_drift_rejects_bad_input():
    with pytest.raises(ValueError, match="both sides"):
        prediction_drift([], [1, 2])
    with pytest.raises(ValueError, match="labels"):
        prediction_drift(np.zeros((4, 2, 2)), [1, 2])
    with pytest.raises(TypeError, match="predict_proba"):
        predict_classes(object(), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="unknown drift test"):
        analyze_drift(_gauss(10), _gauss(10), tests=["ks"])
    with pytest.raises(ValueError, match="both"):
        analyze_drift(_gauss(10), _gauss(10), reference_predictions=[0] * 10)
    with pytest.raises(ValueError, match="NaN"):
        drift_report(np.full((5, 3), np.nan), _gauss(5, d=3))


def test_analyze_drift_corrects_for_several_tests_and_writes_html(tmp_path):
    x_ref, y_ref = _three_class(200, [0.5, 0.3, 0.2], seed=6)
    x_new, _ = _three_class(150, [0.2, 0.2, 0.6], seed=7)
    an = analyze_drift(x_ref, x_new, tests=["mmd", "classifier"], classifier=lambda x: np.argmax(x[:, :3], 1))
    assert an.drift and an.mmd.alpha == pytest.approx(0.05 / 3) and an.prediction.drift
    d = an.to_dict()
    assert set(d) >= {"drift", "mmd", "classifier", "prediction"} and "null" not in d["mmd"]
    assert an.pca_reference.shape == (200, 2) and an.pca_new.shape == (150, 2)
    out = an.write_html(tmp_path / "r" / "drift.html")
    text = out.read_text()
    assert text.count("<svg") == 4 and "junco-grouped-bars" in text and 'class="observed"' in text
    assert text.count('class="pt"') == 350 and "DRIFT" in text
    calm = analyze_drift(x_ref, _three_class(150, [0.5, 0.3, 0.2], seed=8)[0], tests=["mmd"])
    assert not calm.drift and calm.classifier is None and "no drift" in calm.to_html()


@pytest.mark.parametrize("uri", ["exact", "faiss", "milvus"])
def test_sample_vectors_reads_back_a_stored_collection(tmp_path, uri):
    from junco.index import open_index

    if uri == "faiss":
        pytest.importorskip("faiss")
    if uri == "milvus":
        pytest.importorskip("milvus_lite")
    where = {"exact": f"exact://{tmp_path}/ex", "faiss": f"faiss://{tmp_path}/fa",
             "milvus": str(tmp_path / "m.db")}[uri]
    x = _gauss(120, d=8, seed=12).astype(np.float32)
    with open_index(where, dim=8) as idx:
        idx.add([f"r{i}" for i in range(120)], x)
    ids, v = sample_vectors(where, 50, seed=1)
    assert len(ids) == 50 and v.shape == (50, 8) and len(set(ids)) == 50
    np.testing.assert_allclose(v, x[[int(i[1:]) for i in ids]], rtol=1e-5)
    all_ids, all_v = sample_vectors(where, None)
    assert len(all_ids) == 120
    assert sample_vectors(where, 50, seed=1)[0] == ids  # same seed, same sample


def test_sample_vectors_of_an_empty_store_is_an_error():
    from junco.index import open_index

    with pytest.raises(ValueError, match="no vectors"):
        sample_vectors(open_index(dim=4))
    with pytest.raises(ValueError, match="sample size"):
        sample_vectors(open_index(dim=4), 0)


def test_cli_drift_rejects_bad_arrays(tmp_path, capsys):
    np.save(tmp_path / "ref.npy", _gauss(20))
    np.save(tmp_path / "cube.npy", np.zeros((4, 4, 4)))
    np.save(tmp_path / "narrow.npy", _gauss(20, d=3))
    for bad in ("cube.npy", "narrow.npy"):
        assert main(["drift", str(tmp_path / "ref.npy"), str(tmp_path / bad)]) == 2
    err = capsys.readouterr().err
    assert "2-D array" in err and "dimension mismatch" in err
    assert main(["drift", str(tmp_path / "ref.npy")]) == 2  # one file and no --reference-index


def test_cli_drift_against_a_stored_milvus_collection_with_html(tmp_path, capsys):
    pytest.importorskip("milvus_lite")
    from junco.index import open_index

    db = str(tmp_path / "ref.db")
    with open_index(db, dim=16, collection="ref") as idx:
        idx.add(list(range(300)), _gauss(300, seed=13).astype(np.float32))
    np.save(tmp_path / "new.npy", _gauss(100, shift=0.5, seed=14))
    np.save(tmp_path / "calm.npy", _gauss(100, seed=15))
    html = tmp_path / "drift.html"
    args = ["drift", "--reference-index", db, "--collection", "ref", "--sample", "200", "--test", "both"]
    assert main([*args, str(tmp_path / "new.npy"), "--html", str(html), "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["drift"] and res["n_reference"] == 200 and res["classifier"]["p_value"] < 0.05
    assert html.exists() and "<svg" in html.read_text()
    assert main([*args, str(tmp_path / "calm.npy")]) == 0
    out = capsys.readouterr().out
    assert "classifier p_value" in out and out.splitlines()[0].split()[-1] == "no"
    # bad calls: two positionals with an index, reference predictions with an index sample
    assert main([*args, str(tmp_path / "new.npy"), str(tmp_path / "new.npy")]) == 2
    np.save(tmp_path / "p.npy", np.zeros(100, dtype=int))
    assert main([*args, str(tmp_path / "new.npy"), "--reference-predictions", str(tmp_path / "p.npy"),
                 "--new-predictions", str(tmp_path / "p.npy")]) == 2
    assert main(["drift", "--reference-index", str(tmp_path / "nothing"), str(tmp_path / "new.npy")]) == 2


def test_cli_drift_with_prediction_files(tmp_path, capsys):
    np.save(tmp_path / "ref.npy", _gauss(120, seed=16))
    np.save(tmp_path / "new.npy", _gauss(100, seed=17))
    rng = np.random.default_rng(18)
    np.save(tmp_path / "rp.npy", rng.choice(3, size=120, p=[0.6, 0.3, 0.1]))
    np.save(tmp_path / "np.npy", rng.choice(3, size=100, p=[0.1, 0.3, 0.6]))
    assert main(["drift", str(tmp_path / "ref.npy"), str(tmp_path / "new.npy"), "--reference-predictions",
                 str(tmp_path / "rp.npy"), "--new-predictions", str(tmp_path / "np.npy"), "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["drift"] and res["prediction"]["drift"] and not res["mmd"]["drift"]


def test_operator_classifier_test_and_prediction_drift_against_a_store(tmp_path):
    from junco import ops
    from junco.index import open_index

    x_ref, _ = _three_class(200, [0.5, 0.3, 0.2], seed=19)
    uri = f"exact://{tmp_path}/ref"
    with open_index(uri, dim=8) as idx:
        idx.add(list(range(200)), x_ref.astype(np.float32))
    op = ops.drift.mmd(uri, test="both", classifier=lambda x: np.argmax(x[:, :3], 1), n_permutations=100)
    assert op.reference.shape == (200, 8)
    shifted = op.forward(list(_three_class(80, [0.1, 0.1, 0.8], seed=20)[0]))
    calm = op.forward(list(_three_class(80, [0.5, 0.3, 0.2], seed=21)[0]))
    assert shifted[0]["drift"] and shifted[0]["prediction"]["drift"] and len(shifted) == 80
    assert not calm[0]["drift"] and calm[0]["classifier"]["p_value"] > 0.05
    with pytest.raises(ValueError, match="test must be"):
        MMDDrift(x_ref, test="ks")


def test_operator_flags_drifting_batches_in_a_pipeline():
    from junco import ops, pipe

    op = ops.drift.mmd(_gauss(200, d=8, seed=22), test="both", n_permutations=100, batch_size=64)
    p = pipe.input("vec").map("vec", "report", op).output("report")
    shifted = [r[0] for r in p.batch(list(_gauss(128, d=8, shift=0.8, seed=23)))]
    calm = [r[0] for r in p.batch(list(_gauss(128, d=8, seed=24)))]
    assert len(shifted) == 128 and all(r["drift"] and r["classifier"]["p_value"] < 0.05 for r in shifted)
    assert not all(r["drift"] for r in calm) and p.report.errors == []
