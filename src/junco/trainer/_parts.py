"""What the trainer needs from a model: the served embedder, its own classifier (if it fits), transforms.

:func:`parts_of` accepts a junco :class:`~junco.operator.ModelOperator` (its ``inference_module`` is the
embedding it serves, sharing weights with ``op.model``; its preprocessing drives the transforms), a
timm model, or any ``nn.Module`` mapping a batch to ``(B, D)`` embeddings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ModelParts:
    """The pieces of a model the recipes train.

    Attributes:
        model: the whole pretrained network (its parameters are the "backbone").
        embedder: ``x -> (B, D)``, the embedding that is served after training.
        classifier: the model's own classifier ``(B, D) -> (B, K)`` when it is the embedder's head.
        num_outputs: that classifier's size (None without one).
        train_transform: ``augment -> item transform`` for training.
        eval_transform: item -> model input, exactly the inference preprocessing.
        image: inputs are images (Grad-CAM and image augmentation apply).
        collate: turns a list of transformed items into the embedder's input(s) (a tensor or a tuple of
            tensors, e.g. padded token ids and mask); None stacks them.
        op: the operator, when one was given.
        notes: decisions the caller should hear about.
    """

    model: Any
    embedder: Any
    classifier: Any
    num_outputs: int | None
    train_transform: Callable[[str], Any]
    eval_transform: Callable[[Any], Any]
    image: bool
    collate: Any = None
    op: Any = None
    notes: list[str] = field(default_factory=list)


def parts_of(target: Any, *, transform: Any = None, eval_transform: Any = None) -> ModelParts:
    """Inspect an operator or module.

    Args:
        target: a ModelOperator, a timm model, or an ``nn.Module`` returning embeddings.
        transform: override of the training item transform (receives raw items).
        eval_transform: override of the evaluation item transform.

    Returns:
        A :class:`ModelParts`.
    """
    from junco.operator import ModelOperator

    if isinstance(target, ModelOperator):
        return _op_parts(target, transform, eval_transform)
    return _module_parts(target, transform, eval_transform)


def _op_parts(op: Any, transform: Any, eval_transform: Any) -> ModelParts:
    from junco.trainer._transforms import ImageTrainTransform, TensorTransform

    op.setup()
    model = op.model
    embedder = op.inference_module()
    pre = getattr(op, "preprocess_config", None)
    image = pre is not None and hasattr(pre, "input_size")
    classifier, k = None, None
    if getattr(op, "_layer", "x") is None and hasattr(model, "get_classifier"):  # pre-logits of a timm model
        clf: Any = model.get_classifier()  # type: ignore[operator]
        if hasattr(clf, "out_features"):
            classifier, k = clf, int(clf.out_features)

    like = op.preprocess(_probe_image()) if image else None

    def train_tf(augment: str) -> Any:
        if transform is not None:
            return transform
        if image:
            return op.preprocess if augment == "none" else ImageTrainTransform(pre, augment, like)
        # no generic augmentation is safe for non-image inputs: only self-supervised views get noise
        return op.preprocess if augment != "simclr" else _Chain(op.preprocess, TensorTransform(augment))

    return ModelParts(model, embedder, classifier, k, train_tf, eval_transform or op.preprocess, image,
                      getattr(op, "collate", None), op)


def _module_parts(model: Any, transform: Any, eval_transform: Any) -> ModelParts:
    from torch import nn

    from junco.trainer._transforms import TensorTransform

    if not isinstance(model, nn.Module):
        raise TypeError(f"cannot train a {type(model).__name__}: give a junco ModelOperator or a torch nn.Module")
    classifier, k, embedder = None, None, model
    if hasattr(model, "forward_head") and hasattr(model, "get_classifier"):
        clf: Any = model.get_classifier()  # type: ignore[operator]
        from junco.trainer._nets import PreLogits

        embedder = PreLogits(model)
        if hasattr(clf, "out_features"):
            classifier, k = clf, int(clf.out_features)

    def train_tf(augment: str) -> Any:
        # tensors: no augmentation for supervised training (none is safe in general; pass transform=);
        # the self-supervised views get random crops and noise
        return transform if transform is not None else TensorTransform("simclr" if augment == "simclr" else "none")

    return ModelParts(model, embedder, classifier, k, train_tf, eval_transform or TensorTransform("none"),
                      image=False)


def _probe_image() -> Any:
    import numpy as np

    return np.zeros((16, 16, 3), np.uint8)


class _Chain:
    def __init__(self, *fns: Any):
        self.fns = fns

    def __call__(self, x: Any) -> Any:
        for f in self.fns:
            x = f(x)
        return x
