"""The seeds' shape on real packaged weights (efficientnet-lite0) and real textile images."""

import importlib.util

import numpy as np
import pytest

from junco import ops, pipe
from junco.operator import ModelOperator
from junco.trainer import TrainingConfig

SIZE = 64  # small input: seconds per epoch on 2 cores


@pytest.fixture(scope="module")
def run(textiles, tmp_path_factory):
    """One fine-tuning run shared by the assertions below (4 epochs, 48 training images)."""
    import warnings

    warnings.simplefilter("ignore")
    train, val = textiles(16), textiles(10, offset=100)
    op = ops.image_embedding.timm(model_name="efficientnet_lite0", num_classes=10, backend="torch", size=SIZE)
    p = pipe.input("img").map("img", "vec", op).output("vec")
    probe = [path for path, _ in val[::4]]
    before = np.stack([p(x)[0] for x in probe])
    fp_before = op.fingerprint()
    out = tmp_path_factory.mktemp("op_run")
    plots = importlib.util.find_spec("matplotlib") is not None
    cfg = TrainingConfig(batch_size=8, epoch_num=4, lr=2e-3, output_dir=str(out), tensorboard=False,
                         gradcam_images=3, embedding_map="pca", progress_bar=False, plots=plots)
    result = op.train(cfg, train_dataset=train, eval_dataset=val)
    return {"op": op, "pipe": p, "probe": probe, "before": before, "fp_before": fp_before, "result": result}


def test_training_improves_validation_metrics(run):
    r = run["result"]
    for row in r.history:
        print({k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()})
    base = r.baseline
    assert r.metric("val/loss") < base["val/loss"] - 0.05, r.history
    assert r.best_value > max(base["val/accuracy"], 0.4), r.history
    assert r.improved
    assert any("never a target" in n for n in r.notes)  # num_classes=10, 3 classes in the data
    assert r.classes == ["global", "local", "nominal"]


def test_same_operator_same_pipeline_new_weights(run):
    op, p = run["op"], run["pipe"]
    after = np.stack([p(x)[0] for x in run["probe"]])
    assert after.shape == run["before"].shape
    assert np.abs(after - run["before"]).max() > 1e-3  # the embeddings changed
    fp = op.fingerprint()
    assert fp["weights_sha256"] != run["fp_before"]["weights_sha256"]
    assert {k: v for k, v in fp.items() if k != "weights_sha256"} == \
        {k: v for k, v in run["fp_before"].items() if k != "weights_sha256"}
    assert not op.model.training and op.model.num_classes == 10


def test_save_and_load_round_trip(run, tmp_path):
    op = run["op"]
    op.save(tmp_path / "saved")
    back = ModelOperator.load(tmp_path / "saved", backend="torch")
    x = run["probe"][0]
    np.testing.assert_allclose(back(x), op(x), atol=1e-5)
    assert back.model.num_classes == 10


def test_pictures_are_written(run):
    pytest.importorskip("matplotlib")
    r = run["result"]
    for name in ("curves", "embedding_map", "gradcam"):
        assert r.plots[name].is_file() and r.plots[name].stat().st_size > 1000
    assert (r.output_dir / "metrics.csv").is_file() and r.best_checkpoint.is_file()


def test_seed_quick_start_literal(textiles, tmp_path):
    """The seeds' snippet as written (batch 2, 2 epochs), on the default backend (ONNX Runtime on CPU):
    after training the operator re-exports and serves the new weights."""
    data = textiles(2)
    train, val = data[::2], data[1::2]
    cfg = TrainingConfig(batch_size=2, epoch_num=2, output_dir=str(tmp_path / "quick_start_output"))
    op = ops.image_embedding.timm(model_name="efficientnet_lite0", num_classes=10, size=SIZE)
    p = pipe.input("img").map("img", "vec", op).output("vec")
    before = p(val[0][0])[0]
    result = op.train(cfg, train_dataset=train, eval_dataset=val)
    after = p(val[0][0])[0]
    assert result.epochs_run == 2 and op.active_backend == "onnxruntime"
    assert np.abs(after - before).max() > 1e-4
    import torch

    pixels = torch.as_tensor(np.asarray(op.preprocess(val[0][0]))[None])
    with torch.no_grad():
        ref = op.inference_module()(pixels).numpy()[0]
    np.testing.assert_allclose(after, ref, atol=1e-3)  # ONNX serves the trained torch weights
