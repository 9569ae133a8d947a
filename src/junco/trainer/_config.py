"""``TrainingConfig``: typed, grouped, frozen; round-trips to YAML / JSON; accepts flat seed-style kwargs.

Groups: ``optimization``, ``schedule``, ``checkpointing``, ``logging``, ``data``, ``evaluation`` and the
recipe groups ``pseudo_label`` and ``contrastive``. ``TrainingConfig(batch_size=2, epoch_num=2,
output_dir="out")`` routes each flat name to its group; ``cfg.batch_size`` reads it back.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from junco.trainer._groups import (
    CheckpointConfig,
    ContrastiveConfig,
    DataConfig,
    EvalConfig,
    LoggingConfig,
    OptimConfig,
    PseudoLabelConfig,
    ScheduleConfig,
    Task,
    from_plain,
    to_plain,
)

_GROUPS: dict[str, type] = {
    "optimization": OptimConfig, "schedule": ScheduleConfig, "checkpointing": CheckpointConfig,
    "logging": LoggingConfig, "data": DataConfig, "evaluation": EvalConfig,
    "pseudo_label": PseudoLabelConfig, "contrastive": ContrastiveConfig,
}
_TOP = ("task", "seed", "device", "deterministic", "num_threads")
# flat name -> group; names are unique across groups (a test checks it)
FLAT: dict[str, str] = {f.name: g for g, cls in _GROUPS.items() for f in fields(cls)}


@dataclass(frozen=True, init=False)
class TrainingConfig:
    """Everything a training run needs, grouped; frozen and serializable.

    Args:
        optimization: :class:`OptimConfig` (or a dict of its fields).
        schedule: :class:`ScheduleConfig`.
        checkpointing: :class:`CheckpointConfig`.
        logging: :class:`LoggingConfig`.
        data: :class:`DataConfig`.
        evaluation: :class:`EvalConfig`.
        pseudo_label: :class:`PseudoLabelConfig` (used when an ``unlabeled_dataset`` is given).
        contrastive: :class:`ContrastiveConfig` (metric learning and self-supervised recipes).
        task: ``"classification"``, ``"metric_learning"`` or ``"self_supervised"``.
        seed: seeds Python, NumPy and torch, the splits, the shuffling and the augmentations.
        device: ``None``/``"auto"`` (CUDA when present), ``"cpu"``, ``"cuda[:N]"``.
        deterministic: ask torch for deterministic kernels (slower on GPU).
        num_threads: torch CPU threads while training (None: torch's default). On a shared or small
            machine 1 can be several times faster than oversubscribed cores.
        **flat: any field of any group by its own name (``batch_size=2``, ``epoch_num=3``, ``lr=1e-4``).

    Example:
        >>> cfg = TrainingConfig(batch_size=2, epoch_num=2, output_dir="quick_start_output")
        >>> cfg.batch_size, cfg.schedule.epoch_num, cfg.checkpointing.output_dir
        (2, 2, 'quick_start_output')
        >>> TrainingConfig.from_yaml(cfg.to_yaml()) == cfg
        True
    """

    optimization: OptimConfig
    schedule: ScheduleConfig
    checkpointing: CheckpointConfig
    logging: LoggingConfig
    data: DataConfig
    evaluation: EvalConfig
    pseudo_label: PseudoLabelConfig
    contrastive: ContrastiveConfig
    task: Task = Task.CLASSIFICATION
    seed: int = 0
    device: str | None = None
    deterministic: bool = False
    num_threads: int | None = None

    def __init__(self, *, task: Task | str = Task.CLASSIFICATION, seed: int = 0, device: str | None = None,
                 deterministic: bool = False, num_threads: int | None = None, **kwargs: Any):
        groups: dict[str, dict[str, Any]] = {g: {} for g in _GROUPS}
        given: dict[str, Any] = {}
        for key, value in kwargs.items():
            if key in _GROUPS:
                given[key] = value
            elif key in FLAT:
                groups[FLAT[key]][key] = value
            else:
                close = difflib.get_close_matches(key, [*FLAT, *_GROUPS, *_TOP], n=3)
                hint = f"; did you mean {', '.join(close)}?" if close else ""
                raise TypeError(f"TrainingConfig got an unknown option {key!r}{hint}")
        for name, cls in _GROUPS.items():
            base = given.get(name)
            if base is None:
                obj = cls(**groups[name])
            elif isinstance(base, dict):
                obj = from_plain(cls, {**base, **groups[name]})
            elif isinstance(base, cls):
                obj = dataclasses.replace(base, **groups[name]) if groups[name] else base  # type: ignore[type-var]
            else:
                raise TypeError(f"{name} must be a {cls.__name__} or a dict, got {type(base).__name__}")
            object.__setattr__(self, name, obj)
        object.__setattr__(self, "task", Task(task))
        object.__setattr__(self, "seed", int(seed))
        object.__setattr__(self, "device", device)
        object.__setattr__(self, "deterministic", bool(deterministic))
        if num_threads is not None and int(num_threads) < 1:
            raise ValueError(f"num_threads must be >= 1, got {num_threads}")
        object.__setattr__(self, "num_threads", None if num_threads is None else int(num_threads))

    def __getattr__(self, name: str) -> Any:
        group = FLAT.get(name)
        if group is None:
            raise AttributeError(f"TrainingConfig has no option {name!r}")
        return getattr(object.__getattribute__(self, group), name)

    def replace(self, **changes: Any) -> TrainingConfig:
        """A copy with ``changes`` (flat names, group objects/dicts or top-level fields) applied.

        Example:
            >>> TrainingConfig(lr=0.1).replace(lr=0.01).lr
            0.01
        """
        current: dict[str, Any] = {g: getattr(self, g) for g in _GROUPS}
        current.update({k: getattr(self, k) for k in _TOP})
        for k, v in changes.items():
            if k in FLAT and FLAT[k] in current and not isinstance(current[FLAT[k]], dict):
                current[FLAT[k]] = dataclasses.replace(current[FLAT[k]], **{k: v})
            else:
                current[k] = v
        return TrainingConfig(**current)

    # -- serialization --------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (enums as their values, tuples as lists)."""
        out: dict[str, Any] = {k: to_plain(getattr(self, k)) for k in _TOP}
        out.update({g: to_plain(getattr(self, g)) for g in _GROUPS})
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainingConfig:
        """Inverse of :meth:`to_dict`; unknown keys raise ``TypeError`` naming the closest option."""
        return cls(**dict(data))

    def to_json(self) -> str:
        """JSON text of :meth:`to_dict`."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=False)

    @classmethod
    def from_json(cls, text: str) -> TrainingConfig:
        """Read a config from JSON text."""
        return cls.from_dict(json.loads(text))

    def to_yaml(self) -> str:
        """YAML text of :meth:`to_dict`."""
        import yaml

        return str(yaml.safe_dump(self.to_dict(), sort_keys=False))

    @classmethod
    def from_yaml(cls, text: str) -> TrainingConfig:
        """Read a config from YAML text."""
        import yaml

        return cls.from_dict(yaml.safe_load(text) or {})

    def save(self, path: str | Path) -> Path:
        """Write to ``path``: YAML for ``.yaml``/``.yml``, JSON otherwise."""
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(self.to_yaml() if p.suffix in (".yaml", ".yml") else self.to_json())
        return p

    @classmethod
    def load(cls, path: str | Path) -> TrainingConfig:
        """Read a file written by :meth:`save` (YAML or JSON, by extension)."""
        p = Path(path)
        text = p.read_text()
        return cls.from_yaml(text) if p.suffix in (".yaml", ".yml") else cls.from_json(text)


def as_config(config: TrainingConfig | dict[str, Any] | str | Path | None, **overrides: Any) -> TrainingConfig:
    """Coerce ``None`` / a dict / a YAML or JSON path / a config into a :class:`TrainingConfig`.

    Example:
        >>> as_config({"batch_size": 4}).batch_size
        4
    """
    if config is None:
        cfg = TrainingConfig()
    elif isinstance(config, TrainingConfig):
        cfg = config
    elif isinstance(config, dict):
        cfg = TrainingConfig.from_dict(config)
    elif isinstance(config, str | Path):
        cfg = TrainingConfig.load(config)
    else:
        raise TypeError(f"config must be a TrainingConfig, dict or path, got {type(config).__name__}")
    return cfg.replace(**overrides) if overrides else cfg
