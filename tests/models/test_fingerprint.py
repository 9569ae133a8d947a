"""Fingerprints: weight hash, architecture, layer, pooling and preprocessing — and nothing else."""

import torch

from _embedding_support import efficientnet
from junco import ops
from junco.models import PACKAGED, file_sha256, state_sha256


def test_file_hash_is_the_sha256_of_the_bytes(tmp_path):
    (tmp_path / "w").write_bytes(b"junco")
    assert file_sha256(tmp_path / "w").startswith("b4ccc09f880a")
    assert len(file_sha256(tmp_path)) == 64  # a folder hashes every file in it


def test_operator_fingerprint_contents():
    fp = efficientnet().fingerprint()
    assert fp["op"] == "image-embedding/timm"
    assert fp["architecture"] == "tf_efficientnet_lite0"
    assert fp["weights_sha256"] == file_sha256(PACKAGED["efficientnet-lite0"].find())
    assert fp["layer"] is None and fp["dim"] == 1280
    assert fp["preprocess"]["interpolation"] == "bicubic" and fp["preprocess"]["mean"] == [0.5, 0.5, 0.5]


def test_fingerprint_changes_with_layer_pool_and_preprocessing_but_not_backend_or_device():
    base = efficientnet().fingerprint()
    assert efficientnet(layer=2).fingerprint() != base
    same = ops.image_embedding.timm(model_name="tf_efficientnet_lite0", backend="torch", device="cpu")
    assert same.fingerprint() == base
    pooled = ops.image_embedding.timm(model_name="efficientnet_lite0", layer=2, pool="max", backend="torch")
    assert pooled.fingerprint() != efficientnet(layer=2).fingerprint()
    resized = ops.image_embedding.timm(model_name="efficientnet_lite0", size=256, backend="torch")
    assert resized.fingerprint()["preprocess"]["input_size"] == [3, 256, 256]


def test_changed_weights_change_the_fingerprint():
    op = ops.image_embedding.mobilenetv2(backend="torch")
    before = op.fingerprint()
    assert len(state_sha256(op.model)) == 64
    with torch.no_grad():
        op.model.features[0][0].weight.mul_(1.01)
    op.invalidate()
    assert op.fingerprint()["weights_sha256"] != before["weights_sha256"]


def test_operators_pickle_as_descriptors_and_keep_changed_weights():
    import pickle

    op = ops.image_embedding.mobilenetv2(backend="torch")
    op.setup()
    blob = pickle.dumps(op)
    assert len(blob) < 10_000  # no weights travel for an unchanged model
    with torch.no_grad():
        op.model.features[0][0].weight.mul_(1.01)
    op.invalidate()
    back = pickle.loads(pickle.dumps(op))
    assert back.model is None and back.fingerprint() == op.fingerprint()
