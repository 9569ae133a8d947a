"""Recipes on digits with a tiny MLP: pseudo-labeling, metric learning, SimCLR, linear probe, k-fold."""

import numpy as np
import pytest

from junco.trainer import cross_validate, linear_probe, train_model


def _sets(digits, n_lab=60, n_unl=600, n_val=300):
    x, y = digits
    lab = (x[:n_lab], y[:n_lab].tolist())
    unl = list(x[n_lab:n_lab + n_unl])
    val = (x[1000:1000 + n_val], y[1000:1000 + n_val].tolist())
    return lab, unl, val


@pytest.mark.parametrize("variant", [{}, {"pseudo_labels": "soft", "mixup_alpha": 0.4}])
def test_pseudo_labeling_uses_the_unlabeled_set(digits, make_mlp, cfg, variant):
    lab, unl, val = _sets(digits)
    c = cfg(batch_size=10, epoch_num=12, lr=3e-2, backbone_lr_scale=1.0, lr_schedule="constant", patience=None,
            ramp_start=0.4, ramp_end=0.8, **variant)
    r = train_model(make_mlp(), c, train_dataset=lab, eval_dataset=val, unlabeled_dataset=unl)
    alphas = [row["train/pseudo/alpha"] for row in r.history[1:]]
    assert alphas[0] < alphas[-1] == pytest.approx(3.0)  # ramped from 0 (Lee's schedule)
    assert r.history[-1]["train/pseudo/mask_rate"] > 0.1  # confident unlabeled items were used
    assert r.splits["unlabeled"] == 600 and r.improved
    assert r.best_value > r.baseline["val/accuracy"] + 0.3


def test_unlabeled_items_identical_to_validation_items_are_dropped(digits, make_mlp, cfg):
    lab, unl, val = _sets(digits, n_unl=50)
    r = train_model(make_mlp(), cfg(batch_size=10, epoch_num=1), train_dataset=lab, eval_dataset=val,
                    unlabeled_dataset=unl + list(val[0][:5]))
    assert r.splits["unlabeled"] == 50


@pytest.mark.parametrize("loss", ["infonce", "triplet", "contrastive"])
def test_metric_learning_improves_retrieval(digits, make_mlp, cfg, loss):
    lab, _, val = _sets(digits, n_lab=400)
    c = cfg(task="metric_learning", loss=loss, batch_size=40, epoch_num=3, lr=1e-2, backbone_lr_scale=1.0,
            metrics=("recall@1", "recall@5", "map"))
    r = train_model(make_mlp(dim=8), c, train_dataset=lab, eval_dataset=val)
    assert r.monitor == "val/recall@1"
    assert r.metric("val/map") > r.baseline["val/map"] + 0.05, r.history
    assert r.best_value >= r.baseline["val/recall@1"]


def test_simclr_then_fine_tune(digits, make_mlp, cfg, tmp_path):
    _, unl, val = _sets(digits, n_unl=400)
    net = make_mlp(dim=16)
    ssl = train_model(net, cfg(task="self_supervised", batch_size=50, epoch_num=3, lr=1e-2, temperature=0.5,
                               backbone_lr_scale=1.0, output_dir=str(tmp_path / "ssl")),
                      train_dataset=unl, eval_dataset=val)
    assert ssl.monitor == "val/loss" and ssl.metric("val/loss") < ssl.baseline["val/loss"], ssl.history
    assert "val/recall@1" in ssl.history[-1]  # labels, where given, only monitor the embedding
    lab = (digits[0][:100], digits[1][:100].tolist())
    fine = train_model(net, cfg(batch_size=20, epoch_num=2, lr=1e-2, output_dir=str(tmp_path / "ft")),
                       train_dataset=lab, eval_dataset=val)
    assert fine.best_value > fine.baseline["val/accuracy"]


def test_linear_probe_and_cross_validation(digits, make_mlp, cfg):
    x, y = digits
    probe = linear_probe(make_mlp(dim=64), (x[:300], y[:300].tolist()), (x[300:500], y[300:500].tolist()),
                         grid=(0.1, 1.0))
    assert probe["accuracy"] > 0.8 and probe["C"] in (0.1, 1.0)
    svm = linear_probe(None, (x[:300].reshape(300, -1), y[:300].tolist()), model="svm", grid=(0.1,))
    assert svm["accuracy"] > 0.8
    cv = cross_validate(lambda: make_mlp(), cfg(batch_size=30, epoch_num=1, lr=2e-2), dataset=(x[:180], y[:180]),
                        k=3)
    assert len(cv["folds"]) == 3 and 0 <= cv["std"]["val/accuracy"] < 0.3
    assert np.isfinite(cv["mean"]["val/accuracy"])
