import pytest

from junco.trainer import (
    CheckpointConfig,
    OptimConfig,
    Precision,
    Schedule,
    TrainingConfig,
    as_config,
)
from junco.trainer._config import FLAT


def test_seed_shape_flat_kwargs():
    cfg = TrainingConfig(batch_size=2, epoch_num=2, output_dir="quick_start_output")
    assert (cfg.batch_size, cfg.epoch_num, cfg.output_dir) == (2, 2, "quick_start_output")
    assert cfg.data.batch_size == 2 and cfg.schedule.epoch_num == 2
    assert cfg.checkpointing.output_dir == "quick_start_output"


def test_groups_and_flat_mix_and_enums():
    cfg = TrainingConfig(optimization=OptimConfig(lr=0.1), precision="bf16", lr_schedule="step",
                         checkpointing={"monitor": "f1"}, metrics=["accuracy", "f1"])
    assert cfg.lr == 0.1 and cfg.precision is Precision.BF16 and cfg.lr_schedule is Schedule.STEP
    assert cfg.monitor == "f1" and cfg.metrics == ("accuracy", "f1")
    assert isinstance(cfg.checkpointing, CheckpointConfig)


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_round_trip_text_and_files(tmp_path, fmt):
    cfg = TrainingConfig(batch_size=4, lr=3e-4, patience=2, leakage="error", loss="triplet", seed=7,
                         resume=True, metrics=("accuracy", "recall@5"))
    text = cfg.to_yaml() if fmt == "yaml" else cfg.to_json()
    back = TrainingConfig.from_yaml(text) if fmt == "yaml" else TrainingConfig.from_json(text)
    assert back == cfg
    path = cfg.save(tmp_path / f"c.{'yaml' if fmt == 'yaml' else 'json'}")
    assert TrainingConfig.load(path) == cfg == as_config(path)


def test_frozen_replace_and_hashable():
    cfg = TrainingConfig(lr=1.0)
    with pytest.raises(AttributeError):
        cfg.seed = 3
    new = cfg.replace(lr=0.5, seed=3)
    assert (new.lr, new.seed, cfg.lr) == (0.5, 3, 1.0)
    assert hash(cfg) != hash(new)


def test_errors_name_the_fix():
    with pytest.raises(TypeError, match="batch_size"):
        TrainingConfig(batchsize=3)
    with pytest.raises(ValueError, match="lr"):
        TrainingConfig(lr=-1)
    with pytest.raises(ValueError):
        TrainingConfig(precision="fp8")
    with pytest.raises(TypeError, match="no option"):
        TrainingConfig.from_dict({"data": {"nope": 1}})


def test_flat_names_are_unique_across_groups():
    import dataclasses

    from junco.trainer._config import _GROUPS

    names = [f.name for cls in _GROUPS.values() for f in dataclasses.fields(cls)]
    assert len(names) == len(set(names)) == len(FLAT)
