"""Losses of the recipes: supervised InfoNCE / NT-Xent, batch-all triplet, pairwise contrastive,
soft cross-entropy, and mixup. Embeddings are L2-normalized inside; distances are cosine.

Imports torch at module import: import it lazily.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def info_nce(emb: torch.Tensor, labels: torch.Tensor, temperature: float = 0.1) -> torch.Tensor:
    """InfoNCE with in-batch negatives; every other item with the same label is a positive (SupCon).

    Args:
        emb: ``(B, D)`` embeddings.
        labels: ``(B,)`` labels; anchors without any positive in the batch are skipped.
        temperature: softmax temperature.

    Returns:
        Scalar loss (0 with a gradient when no anchor has a positive).

    Example:
        >>> e = torch.tensor([[1.0, 0], [1.0, 0.1], [0, 1.0], [0.1, 1.0]])
        >>> bool(info_nce(e, torch.tensor([0, 0, 1, 1])) < info_nce(e, torch.tensor([0, 1, 0, 1])))
        True
    """
    z = F.normalize(emb.float(), dim=1)
    logits = z @ z.T / temperature
    eye = torch.eye(len(z), dtype=torch.bool, device=z.device)
    logits = logits.masked_fill(eye, float("-inf"))
    pos = (labels[:, None] == labels[None, :]) & ~eye
    log_prob = torch.log_softmax(logits, dim=1).masked_fill(eye, 0.0)
    n_pos = pos.sum(1)
    has = n_pos > 0
    if not bool(has.any()):
        return emb.sum() * 0.0
    per_anchor = -(log_prob * pos).sum(1)[has] / n_pos[has]
    return per_anchor.mean()


def nt_xent(z1: torch.Tensor, z2: torch.Tensor, temperature: float = 0.5) -> torch.Tensor:
    """SimCLR's NT-Xent: view ``i`` of ``z1`` and view ``i`` of ``z2`` are the only positive pair.

    Example:
        >>> z = torch.eye(4)
        >>> bool(nt_xent(z, z) < nt_xent(z, z.flip(0)))
        True
    """
    n = len(z1)
    ids = torch.arange(n, device=z1.device)
    return info_nce(torch.cat([z1, z2]), torch.cat([ids, ids]), temperature)


def batch_all_triplet(emb: torch.Tensor, labels: torch.Tensor, margin: float = 0.2) -> torch.Tensor:
    """Triplet loss over every valid (anchor, positive, negative) of the batch, averaged over the triplets
    that still violate the margin (Hermans et al. 2017, "batch all"); cosine distance. Batch-hard mining
    collapses easily from a weak start; this variant does not.

    Example:
        >>> e = torch.tensor([[1.0, 0], [1.0, 0.1], [0, 1.0], [0.1, 1.0]])
        >>> float(batch_all_triplet(e, torch.tensor([0, 0, 1, 1])))
        0.0
    """
    z = F.normalize(emb.float(), dim=1)
    dist = 1.0 - z @ z.T
    same = labels[:, None] == labels[None, :]
    eye = torch.eye(len(z), dtype=torch.bool, device=z.device)
    valid = (same & ~eye)[:, :, None] & ~same[:, None, :]  # [a, p, n]
    loss = F.relu(dist[:, :, None] - dist[:, None, :] + margin) * valid
    active = (loss > 1e-12).sum()
    if int(valid.sum()) == 0:
        return emb.sum() * 0.0
    return loss.sum() / active.clamp(min=1)


def pair_contrastive(emb: torch.Tensor, labels: torch.Tensor, margin: float = 0.5) -> torch.Tensor:
    """Pairwise contrastive loss (Hadsell et al. 2006): pull positives together, push negatives past
    ``margin`` (cosine distance), over all pairs of the batch.

    Example:
        >>> e = torch.tensor([[1.0, 0], [1.0, 0.0], [0, 1.0]])
        >>> float(pair_contrastive(e, torch.tensor([0, 0, 1])))
        0.0
    """
    z = F.normalize(emb.float(), dim=1)
    dist = 1.0 - z @ z.T
    same = (labels[:, None] == labels[None, :]).float()
    off = 1.0 - torch.eye(len(z), device=z.device)
    loss = same * dist.pow(2) + (1.0 - same) * F.relu(margin - dist).pow(2)
    return (loss * off).sum() / off.sum().clamp(min=1.0)


def soft_cross_entropy(logits: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None = None
                       ) -> torch.Tensor:
    """Cross-entropy against a distribution ``target`` (``(B, K)``), optionally weighted per item.

    Example:
        >>> t = torch.tensor([[0.0, 1.0]])
        >>> bool(soft_cross_entropy(torch.tensor([[0.0, 5.0]]), t) < soft_cross_entropy(torch.zeros(1, 2), t))
        True
    """
    per_item = -(target * torch.log_softmax(logits.float(), dim=1)).sum(1)
    if weight is None:
        return per_item.mean()
    return (per_item * weight).sum() / weight.sum().clamp(min=1.0)


def smooth_one_hot(labels: torch.Tensor, num_classes: int, smoothing: float = 0.0) -> torch.Tensor:
    """One-hot targets with label smoothing.

    Example:
        >>> [round(v, 3) for v in smooth_one_hot(torch.tensor([1]), 2, 0.2)[0].tolist()]
        [0.1, 0.9]
    """
    target = F.one_hot(labels.long(), num_classes).float()
    return target * (1.0 - smoothing) + smoothing / num_classes


def mixup(x: torch.Tensor, target: torch.Tensor, alpha: float, weight: torch.Tensor | None = None
          ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """Mixup (Zhang et al. 2018): convex combinations of a batch with a shuffled copy of itself.

    Args:
        x: inputs ``(B, ...)``.
        target: soft targets ``(B, K)``.
        alpha: Beta(alpha, alpha) concentration; 0 returns the inputs unchanged.
        weight: optional per-item loss weights, mixed the same way.

    Returns:
        ``(x, target, weight)`` mixed.
    """
    if alpha <= 0:
        return x, target, weight
    lam = float(torch.distributions.Beta(alpha, alpha).sample())
    lam = max(lam, 1.0 - lam)  # keep the original item dominant (Arazo et al. 2019)
    perm = torch.randperm(len(x), device=x.device)
    mixed_w = None if weight is None else lam * weight + (1 - lam) * weight[perm]
    return lam * x + (1 - lam) * x[perm], lam * target + (1 - lam) * target[perm], mixed_w
