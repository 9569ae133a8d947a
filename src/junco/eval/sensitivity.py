"""How much does preprocessing matter for *your* data? Score a model under variants of its transform.

The model is loaded once; the same labelled images are embedded under its own eval transform (the
baseline) and under each variant — another resize interpolation (nearest / bilinear / bicubic), another
``crop_pct``, a squash resize without crop. Each variant gets the selection report's scores (retrieval
recall@k and mAP, linear-probe accuracy) plus the cosine between every item's vector under the variant
and under the model's own config, so a silent "nearest instead of bicubic" shows as a number.
``junco eval preprocess DATA --model M`` is the command-line face.

Example:
    >>> rep = preprocessing_sensitivity("photos/", model="efficientnet-lite0")  # doctest: +SKIP
    >>> print(rep.table())  # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from junco.eval import _html
from junco.eval.selection import (
    Candidate,
    LabeledSet,
    _check_classes,
    _maps_html,
    decode_images,
    embed_all,
    load_labeled,
    pca_2d,
    score_embeddings,
)

__all__ = ["BASELINE", "SensitivityReport", "VariantResult", "default_variants", "preprocessing_sensitivity"]

BASELINE = "model config"
_VARIANT_FIELDS = ("interpolation", "crop_pct", "crop_mode")
_SHOWN = ("input_size", *_VARIANT_FIELDS)


def default_variants(config: Any) -> dict[str, dict[str, Any]]:
    """The variants tried against a model's own :class:`~junco.models.ImagePreprocess`.

    The other two of nearest / bilinear / bicubic, ``crop_pct`` 1.0 and 0.75 (when the model
    centre-crops), a squash resize with no crop (or, for a squash model, a centre crop at 0.875).

    Args:
        config: the model's training transform.

    Returns:
        name -> field changes (the baseline, ``{}``, first).

    Example:
        >>> from junco.models import ImagePreprocess
        >>> list(default_variants(ImagePreprocess(interpolation="bicubic", crop_pct=0.875)))
        ['model config', 'nearest', 'bilinear', 'crop_pct=1.0', 'crop_pct=0.75', 'squash (no crop)']
    """
    out: dict[str, dict[str, Any]] = {BASELINE: {}}
    for interp in ("nearest", "bilinear", "bicubic"):
        if interp != config.interpolation:
            out[interp] = {"interpolation": interp}
    if config.crop_mode == "center":
        for pct in (1.0, 0.75):
            if not math.isclose(pct, config.crop_pct, abs_tol=1e-6):
                out[f"crop_pct={pct}"] = {"crop_pct": pct}
        out["squash (no crop)"] = {"crop_mode": "squash", "crop_pct": 1.0}
    else:
        out["center crop 0.875"] = {"crop_mode": "center", "crop_pct": 0.875}
    return out


@dataclass
class VariantResult:
    """One preprocessing variant's scores.

    Attributes:
        name: the variant's name.
        changes: how it departs from the model's config (readable).
        metrics: retrieval / probe scores (see :func:`~junco.eval.selection.score_embeddings`).
        cosine_mean: mean over items of cos(vector under variant, vector under the model's config).
        cosine_min: the smallest such cosine.
        cosines: the per-item cosines (item order of the report).
        map2d: PCA map of the items.
    """

    name: str
    changes: list[str]
    metrics: dict[str, float]
    cosine_mean: float
    cosine_min: float
    cosines: np.ndarray | None = None
    map2d: np.ndarray | None = None

    def get(self, key: str) -> float:
        """A metric, NaN when absent."""
        return float(self.metrics.get(key, float("nan")))


@dataclass
class SensitivityReport:
    """The variants of :func:`preprocessing_sensitivity`, baseline first.

    Attributes:
        model: the model's name.
        config: the model's own transform, as a dict.
        results: one :class:`VariantResult` per variant.
        labels: the class of each item.
        items: the embedded image paths.
        skipped: ``(path, reason)`` for unreadable files.
        k: recall cut-off.
    """

    model: str
    config: dict[str, Any]
    results: list[VariantResult]
    labels: list[str]
    items: list[str]
    skipped: list[tuple[str, str]] = field(default_factory=list)
    k: int = 5

    def __getitem__(self, name: str) -> VariantResult:
        for r in self.results:
            if r.name == name:
                return r
        raise KeyError(f"no variant {name!r}; have {[r.name for r in self.results]}")

    def _headers(self) -> list[str]:
        return ["variant", "cos vs model config (mean)", "(min)", f"recall@{self.k}", "mAP", "probe acc", "score"]

    def _rows(self) -> list[list[Any]]:
        return [[r.name, f"{r.cosine_mean:.4f}", f"{r.cosine_min:.4f}", r.get(f"recall@{self.k}"), r.get("mAP"),
                 f"{r.get('probe_acc'):.3f} ± {r.get('probe_std'):.3f}", r.get("score")] for r in self.results]

    def table(self) -> str:
        """A plain-text table for the terminal."""
        headers = self._headers()
        cells = [[f"{c:.4f}" if isinstance(c, float) else str(c) for c in r] for r in self._rows()]
        widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
        lines = [f"{self.model}: own config " + ", ".join(f"{k}={self.config[k]}" for k in _SHOWN)]
        lines.append("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
        lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in cells]
        lines.append(f"{len(self.items)} items, {len(set(self.labels))} classes")
        lines += [f"skipped {item}: {why}" for item, why in self.skipped]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (no maps)."""
        return {"model": self.model, "config": self.config, "k": self.k, "items": len(self.items),
                "skipped": [list(s) for s in self.skipped],
                "results": [{"name": r.name, "changes": r.changes, "cosine_mean": r.cosine_mean,
                             "cosine_min": r.cosine_min, **r.metrics} for r in self.results]}

    def to_html(self) -> str:
        """Self-contained HTML: table, bar charts of cosine and scores, a PCA map per variant."""
        names = [r.name for r in self.results]
        changes = [[r.name, "; ".join(r.changes) or "(the model's own transform)"] for r in self.results]
        sections = [
            ("Variants", _html.table_html(self._rows(), self._headers())
             + _html.table_html(changes, ["variant", "differs from the model's training transform"])),
            ("Charts", '<div class="grid">'
             + _html.bar_chart_svg(names, [r.cosine_mean for r in self.results],
                                   title="mean cosine to the model's own preprocessing", value_max=1.0)
             + _html.bar_chart_svg(names, [r.get("mAP") for r in self.results], title="retrieval mAP",
                                   value_max=1.0, color=_html.PALETTE[1])
             + _html.bar_chart_svg(names, [r.get("probe_acc") for r in self.results],
                                   title="linear probe accuracy (CV)", value_max=1.0, color=_html.PALETTE[2])
             + "</div>"),
            ("Embedding maps (PCA, coloured by class)", _maps_html([(r.name, r.map2d) for r in self.results],
                                                                    self.labels)),
        ]
        if self.skipped:
            sections.append(("Skipped items", _html.table_html(self.skipped, ["item", "reason"])))
        cfg = ", ".join(f"{k}={self.config[k]}" for k in _SHOWN)
        return _html.page(f"junco: preprocessing sensitivity of {self.model}", sections,
                          intro=f"{len(self.items)} items in {len(set(self.labels))} classes. The model's own "
                                f"transform: {cfg}.")

    def write_html(self, path: str | Path) -> Path:
        """Write :meth:`to_html` to ``path`` (folders created) and return the path."""
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(self.to_html(), encoding="utf-8")
        return out


def _resolve(model: str | Candidate) -> Candidate:
    if isinstance(model, Candidate):
        return model
    from junco.models import list_available

    for m in list_available():
        if m.name == model:
            if m.modality != "image":
                raise ValueError(f"preprocessing sensitivity needs an image model; {model!r} is {m.modality}")
            return Candidate(m.name, m.op, dict(m.op_args))
    names = sorted(m.name for m in list_available() if m.modality == "image")
    raise ValueError(f"model {model!r} not installed; image models available: {names}")


def preprocessing_sensitivity(data: LabeledSet | str | Path, *, model: str | Candidate = "efficientnet-lite0",
                              variants: Mapping[str, Mapping[str, Any]] | None = None, k: int = 5,
                              folds: int = 5, backend: str = "torch", batch_size: int = 32,
                              seed: int = 0) -> SensitivityReport:
    """Score one image model under its own preprocessing and under variants of it.

    Args:
        data: a labelled image set (:class:`~junco.eval.selection.LabeledSet`, folder or CSV).
        model: an installed image model's name, or a :class:`~junco.eval.selection.Candidate`.
        variants: name -> changes to the model's :class:`~junco.models.ImagePreprocess`
            (``interpolation``, ``crop_pct``, ``crop_mode``; the input size stays the model's); default
            :func:`default_variants`. The baseline (the model's own config) is always included first.
        k: recall cut-off.
        folds: linear-probe cross-validation folds.
        backend: the operator's backend.
        batch_size: rows per forward.
        seed: fold shuffling seed.

    Returns:
        The :class:`SensitivityReport`.

    Raises:
        ValueError: a text data set or model, an unknown variant field, or too few readable items.
    """
    ds = data if isinstance(data, LabeledSet) else load_labeled(data)
    if ds.modality != "image":
        raise ValueError("preprocessing sensitivity is for images; the data set holds texts")
    for name, ch in (variants or {}).items():
        bad = sorted(set(ch) - set(_VARIANT_FIELDS))
        if bad:
            raise ValueError(f"variant {name!r}: unknown field(s) {bad}; use {_VARIANT_FIELDS}")
    cand = _resolve(model)
    arrays, kept, skipped = decode_images(ds.items)
    labels = [ds.labels[i] for i in kept]
    _check_classes(LabeledSet([ds.items[i] for i in kept], labels, "image", ds.source + " (readable items)"))
    op = cand.create(backend=backend)
    op.setup()
    base_cfg = getattr(op, "preprocess_config", None)
    if base_cfg is None:
        raise ValueError(f"{cand.name}: not an image model with a preprocessing config")
    todo = dict(default_variants(base_cfg) if variants is None else {BASELINE: {}, **variants})
    results, base_vecs = [], None
    for name, ch in todo.items():
        cfg = replace(base_cfg, **dict(ch))
        vecs, _ = embed_all(op, arrays, batch_size=batch_size, transform=cfg.transform())
        unit = vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
        if base_vecs is None:
            base_vecs = unit
        cos = (unit * base_vecs).sum(axis=1)
        results.append(VariantResult(name, base_cfg.differences(cfg), score_embeddings(vecs, labels, k=k,
                                     folds=folds, seed=seed), float(cos.mean()), float(cos.min()), cos, pca_2d(vecs)))
    return SensitivityReport(cand.name, base_cfg.to_dict(), results, labels, [ds.items[i] for i in kept], skipped, k)
