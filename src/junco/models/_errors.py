"""Errors and warnings of the model layer."""

from __future__ import annotations

from collections.abc import Sequence


class JuncoWarning(UserWarning):
    """Base class of the warnings junco emits (filter them all with ``warnings.simplefilter``)."""


class PreprocessingFidelityWarning(JuncoWarning):
    """Inference preprocessing differs from the transform the model was trained with.

    Example:
        >>> import warnings
        >>> warnings.simplefilter("error", PreprocessingFidelityWarning)
    """


class ModelNotFoundError(FileNotFoundError):
    """No weights for a model on this machine; the message names every place looked in and the fixes.

    Args:
        model: the model name that was asked for.
        looked_in: every place that was checked, in order.
        how_to_fix: ways to provide the weights.

    Example:
        >>> err = ModelNotFoundError("resnet50", ["checkpoint_path: not given"], ["pass checkpoint_path=..."])
        >>> "checkpoint_path" in str(err)
        True
    """

    def __init__(self, model: str, looked_in: Sequence[str], how_to_fix: Sequence[str]):
        self.model = model
        self.looked_in = list(looked_in)
        self.how_to_fix = list(how_to_fix)
        lines = [f"no weights found for model {model!r} (junco never substitutes random weights).",
                 "Looked in:"]
        lines += [f"  - {p}" for p in self.looked_in]
        lines.append("To provide them:")
        lines += [f"  - {h}" for h in self.how_to_fix]
        super().__init__("\n".join(lines))

    def __str__(self) -> str:
        return str(self.args[0])
