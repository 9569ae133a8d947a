"""``list_available()``: the models usable on this machine right now, without loading any of them."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from junco.models._sources import PACKAGED, hf_cache_dir, hf_cached_file, hf_cached_repos


@dataclass(frozen=True)
class ModelInfo:
    """One usable model.

    Attributes:
        name: what to pass as ``model=`` to a named pipeline.
        modality: ``"image"``, ``"text"`` or ``"image+text"`` (a shared space).
        dim: embedding dimension (None when it is only known after loading).
        source: ``"package"``, ``"cache"`` or ``"checkpoint"`` (a configured path).
        location: where the weights are.
        op: the operator that serves it; ``op_args`` its arguments.

    Example:
        >>> ModelInfo("m", "image", 8, "package", "/x", "image-embedding/timm").modality
        'image'
    """

    name: str
    modality: str
    dim: int | None
    source: str
    location: str
    op: str
    op_args: dict[str, Any] = field(default_factory=dict)

    def create(self, **kwargs: Any) -> Any:
        """The operator for this model (``kwargs`` add to or replace its arguments)."""
        from junco.ops import create

        return create(self.op, **{**self.op_args, **kwargs})


def clip_checkpoint() -> tuple[str, str | None] | None:
    """The CLIP model configured on this machine, as ``(model_name, checkpoint_path)``, or None.

    ``JUNCO_CLIP_MODEL`` (an open_clip architecture such as ``ViT-B-32``, or ``local-dir:/path``) with
    ``JUNCO_CLIP_CHECKPOINT`` (a weight file), else the first open_clip model in the local Hugging Face cache.

    Example:
        >>> clip_checkpoint() is None or isinstance(clip_checkpoint()[0], str)
        True
    """
    name = os.environ.get("JUNCO_CLIP_MODEL")
    ckpt = os.environ.get("JUNCO_CLIP_CHECKPOINT")
    if name and (ckpt or name.startswith(("local-dir:", "hf-hub:"))):
        return name, ckpt
    if ckpt and Path(ckpt).is_dir():
        return "local-dir:" + str(Path(ckpt)), None
    for org in ("laion", "timm", "apple", "openai"):
        for repo in hf_cached_repos(org):
            if hf_cached_file(repo, ("open_clip_config.json",)):
                return "hf-hub:" + repo, None
    return None


def list_available() -> list[ModelInfo]:
    """Every model usable right now, with its dimension, modality and where its weights are.

    Returns:
        Packaged models first (the defaults), then the text-image bridge, a configured CLIP, and
        models found in the local Hugging Face cache.

    Example:
        >>> names = [m.name for m in list_available()]
        >>> isinstance(names, list)
        True
    """
    out: list[ModelInfo] = []
    for p in PACKAGED.values():
        path = p.find()
        if path is not None:
            out.append(ModelInfo(p.name, p.modality, p.dim, "package", str(path), p.op, dict(p.op_args)))
    names = {m.name for m in out}
    if {"efficientnet-lite0", "all-MiniLM-L6-v2"} <= names:
        out.append(ModelInfo("text-image-bridge", "image+text", 384, "package",
                             "efficientnet-lite0 top-5 ImageNet classes -> all-MiniLM-L6-v2",
                             "text-image-embedding/bridge"))
    clip = clip_checkpoint()
    if clip is not None:
        out.append(ModelInfo(clip[0], "image+text", None, "checkpoint" if clip[1] else "cache",
                             clip[1] or clip[0], "image-text-embedding/clip",
                             {"model_name": clip[0], "checkpoint_path": clip[1]}))
    for repo in hf_cached_repos("timm"):
        cfg_file = hf_cached_file(repo, ("config.json",))
        if not cfg_file or hf_cached_file(repo, ("open_clip_config.json",)):
            continue
        dim = json.loads(Path(cfg_file).read_text()).get("num_features")
        out.append(ModelInfo(repo.split("/", 1)[1], "image", dim, "cache", str(Path(cfg_file).parent),
                             "image-embedding/timm", {"model_name": repo.split("/", 1)[1]}))
    for repo in hf_cached_repos("sentence-transformers"):
        snap = hf_cached_file(repo, ("modules.json",))
        if snap and repo.split("/")[1] not in names:
            out.append(ModelInfo(repo, "text", None, "cache", str(Path(snap).parent),
                                 "text-embedding/sentence-transformers", {"model_name_or_path": repo}))
    return out


def format_table(models: list[ModelInfo] | None = None) -> str:
    """``list_available()`` as a plain-text table (what ``junco models`` prints).

    Example:
        >>> "modality" in format_table([])
        True
    """
    rows = [("name", "modality", "dim", "source", "where")]
    rows += [(m.name, m.modality, str(m.dim or "?"), m.source, m.location)
             for m in (list_available() if models is None else models)]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r[:4], widths)) + "  " + r[4] for r in rows]
    return "\n".join(lines) + ("\n" if rows else "") + f"(HF cache: {hf_cache_dir()})"
