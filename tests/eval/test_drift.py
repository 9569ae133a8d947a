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
