"""The shared loop on a tiny MLP over scikit-learn digits: improvement, early stopping, resume, logs."""

import csv

import numpy as np
import pytest
import torch

from junco.trainer import Trainer, train_model


def _data(digits, n_train=300, n_val=150):
    x, y = digits
    return (x[:n_train], y[:n_train].tolist()), (x[n_train:n_train + n_val], y[n_train:n_train + n_val].tolist())


def test_training_beats_the_untrained_model_and_writes_logs(digits, make_mlp, cfg, tmp_path):
    pytest.importorskip("matplotlib")
    pytest.importorskip("tensorboard")
    tr, va = _data(digits)
    c = cfg(batch_size=32, epoch_num=3, lr=2e-2, backbone_lr_scale=1.0, warmup_epochs=0.5, lr_schedule="constant",
            metrics=("accuracy", "f1", "recall@1"), plots=True, tensorboard=True)
    r = train_model(make_mlp(), c, train_dataset=tr, eval_dataset=va)
    base = r.baseline
    best = r.metric("val/accuracy")
    assert base["val/accuracy"] < 0.3 < 0.6 < best, r.history
    assert r.metric("val/loss") < base["val/loss"] and r.improved
    assert r.metric("val/recall@1") > base["val/recall@1"]
    out = r.output_dir
    rows = list(csv.DictReader(open(out / "metrics.csv")))
    assert [int(row["epoch"]) for row in rows] == [0, 1, 2, 3]
    assert any((out / "tensorboard").iterdir())
    assert (out / "checkpoints" / "best.pt").is_file() and (out / "checkpoints" / "last.pt").is_file()
    assert (out / "config.yaml").is_file() and set(r.plots) == {"curves", "embedding_map"}
    test = r.evaluate((digits[0][600:900], digits[1][600:900].tolist()))
    assert test["accuracy"] > 0.6


def test_early_stopping_stops(digits, make_mlp, cfg):
    tr, va = _data(digits, 200, 100)
    r = train_model(make_mlp(), cfg(batch_size=50, epoch_num=10, patience=2, min_delta=10.0),
                    train_dataset=tr, eval_dataset=va)
    assert r.stopped_early and r.epochs_run == 3 and r.best_epoch == 1


def test_resume_continues_from_the_checkpoint(digits, make_mlp, cfg, tmp_path, monkeypatch):
    tr, va = _data(digits, 200, 100)
    common = dict(batch_size=25, epoch_num=3, lr=5e-3, initial_eval=False, grad_accum_steps=2)
    full = train_model(make_mlp(), cfg(output_dir=str(tmp_path / "a"), **common), train_dataset=tr,
                       eval_dataset=va, )
    real = Trainer._train_epoch

    def crash_in_epoch_2(self, epoch, *a, **k):
        if epoch == 1:
            raise KeyboardInterrupt("killed")
        return real(self, epoch, *a, **k)

    monkeypatch.setattr(Trainer, "_train_epoch", crash_in_epoch_2)
    with pytest.raises(KeyboardInterrupt):
        train_model(make_mlp(), cfg(output_dir=str(tmp_path / "b"), **common), train_dataset=tr, eval_dataset=va)
    monkeypatch.setattr(Trainer, "_train_epoch", real)
    resumed = train_model(make_mlp(seed=123), cfg(output_dir=str(tmp_path / "b"), resume=True, **common),
                          train_dataset=tr, eval_dataset=va)
    assert [r["epoch"] for r in resumed.history] == [1, 2, 3]
    assert any("resumed" in n for n in resumed.notes)
    a = full.trainer.task.net.state_dict()
    b = resumed.trainer.task.net.state_dict()
    for k in a:
        torch.testing.assert_close(a[k], b[k])  # the same run, interrupted or not
    assert full.history[-1]["val/accuracy"] == resumed.history[-1]["val/accuracy"]


def test_schedule_warmup_clipping_and_accumulation(digits, make_mlp, cfg):
    tr, va = _data(digits, 128, 64)
    r = train_model(make_mlp(), cfg(batch_size=16, epoch_num=2, lr=1e-2, warmup_epochs=1.0, lr_schedule="linear",
                                    grad_accum_steps=4, grad_clip_norm=0.5, optimizer="sgd"),
                    train_dataset=tr, eval_dataset=va)
    t = r.trainer
    assert t.global_step == 4  # 8 batches per epoch / 4 accumulated = 2 optimizer steps per epoch
    assert r.history[1]["lr"] == pytest.approx(1e-2)  # warm-up (1/3, 2/3) done after epoch 1
    assert r.history[2]["lr"] == pytest.approx(0.0)  # then linear decay to 0 at the last step
    from junco.trainer import ScheduleConfig
    from junco.trainer._schedule import lr_factor

    s = ScheduleConfig(lr_schedule="linear")
    assert [lr_factor(i, total=4, warmup=2, schedule=s) for i in range(5)] == pytest.approx([1 / 3, 2 / 3, 1, .5, 0])


@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_mixed_precision_on_cpu(digits, make_mlp, cfg, precision):
    tr, va = _data(digits, 64, 32)
    r = train_model(make_mlp(), cfg(batch_size=16, epoch_num=1, precision=precision), train_dataset=tr,
                    eval_dataset=va)
    assert np.isfinite(r.history[-1]["val/loss"])
    if precision == "bf16":
        assert r.trainer.autocast_dtype == torch.bfloat16
    else:  # fp16 autocast needs a GPU: said, and fp32 used
        assert r.trainer.autocast_dtype is None and any("fp16" in n for n in r.notes)


def test_no_validation_monitors_training_loss(digits, make_mlp, cfg):
    x, y = digits
    r = train_model(make_mlp(), cfg(batch_size=32, epoch_num=1, val_fraction=0.0), train_dataset=(x[:64], y[:64]))
    assert r.monitor == "train/loss" and r.baseline is None and any("no validation" in n for n in r.notes)


def test_leakage_is_dropped_or_refused(digits, make_mlp, cfg):
    x, y = digits
    tr, va = (x[:100], y[:100].tolist()), (x[90:130], y[90:130].tolist())
    r = train_model(make_mlp(), cfg(batch_size=20, epoch_num=1), train_dataset=tr, eval_dataset=va)
    assert r.splits["dropped_duplicates"] == 10 and r.splits["train"] == 90
    with pytest.raises(ValueError, match="identical"):
        train_model(make_mlp(), cfg(batch_size=20, epoch_num=1, leakage="error"), train_dataset=tr,
                    eval_dataset=va)


def test_own_split_when_no_eval_set_is_given(digits, make_mlp, cfg):
    x, y = digits
    r = train_model(make_mlp(), cfg(batch_size=32, epoch_num=1, val_fraction=0.25), train_dataset=(x[:200], y[:200]))
    assert r.splits["train"] == 150 and r.splits["val"] == 50
    assert np.isfinite(r.history[-1]["val/loss"])


def test_frozen_backbone_trains_only_the_head(digits, make_mlp, cfg):
    tr, va = _data(digits, 128, 64)
    net = make_mlp()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    r = train_model(net, cfg(batch_size=32, epoch_num=2, lr=1e-2, freeze="backbone"), train_dataset=tr,
                    eval_dataset=va)
    for k, v in net.state_dict().items():
        torch.testing.assert_close(v, before[k])  # the pretrained part did not move
    assert r.improved and all(p.requires_grad for p in net.parameters())  # flags restored
