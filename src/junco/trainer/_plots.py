"""Seeing a run: training curves, a 2-D map of embeddings by label, Grad-CAM heatmaps (PNG files).

matplotlib is imported lazily with the file-only ``Agg`` backend.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _plt() -> Any:
    try:
        import matplotlib
    except ImportError as e:
        raise ImportError('plots need matplotlib: pip install "junco[train]"') from e
    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def plot_curves(history: list[dict[str, Any]], path: str | Path) -> Path:
    """Loss curves (train and validation) and every other validation metric, by epoch.

    Args:
        history: ``TrainResult.history``.
        path: the PNG to write.

    Returns:
        ``path``.
    """
    plt = _plt()
    from matplotlib.ticker import MaxNLocator

    losses = sorted({k for r in history for k in r if k.endswith("/loss") and isinstance(r[k], float)})
    others = sorted({k for r in history for k in r if k.startswith("val/") and not k.endswith("/loss")
                     and isinstance(r[k], float)})
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, keys, title in ((axes[0], losses, "loss"), (axes[1], others, "validation metrics")):
        for k in keys:
            pts = [(r["epoch"], r[k]) for r in history if k in r]
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=k)
        ax.set_xlabel("epoch (0 = before training)")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(title)
        if keys:
            ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return Path(path)


def project_2d(embeddings: Any, method: str = "tsne", seed: int = 0) -> Any:
    """``(N, D) -> (N, 2)`` with t-SNE (scikit-learn), UMAP (if installed) or PCA.

    Example:
        >>> import numpy as np
        >>> project_2d(np.random.default_rng(0).normal(size=(20, 5)), "pca").shape
        (20, 2)
    """
    import numpy as np

    x = np.asarray(embeddings, dtype=np.float32)
    if method == "umap":
        try:
            import umap

            return umap.UMAP(n_components=2, random_state=seed).fit_transform(x)
        except ImportError:
            method = "tsne"
    if method == "tsne" and len(x) > 5:
        from sklearn.manifold import TSNE

        return TSNE(n_components=2, perplexity=min(30.0, (len(x) - 1) / 3), init="pca",
                    random_state=seed).fit_transform(x)
    from sklearn.decomposition import PCA

    return PCA(n_components=2, random_state=seed).fit_transform(x)


def plot_embedding_map(embeddings: Any, labels: Any, path: str | Path, *, method: str = "tsne",
                       classes: list[Any] | None = None, title: str = "") -> Path:
    """Scatter of a 2-D projection of ``embeddings`` coloured by label.

    Args:
        embeddings: ``(N, D)``.
        labels: ``N`` class indices (or names).
        path: the PNG to write.
        method: ``"tsne"``, ``"umap"`` or ``"pca"``.
        classes: names for the legend, indexed by label.
        title: figure title.

    Returns:
        ``path``.
    """
    import numpy as np

    plt = _plt()
    xy = project_2d(embeddings, method)
    labels = np.asarray(labels)
    fig, ax = plt.subplots(figsize=(6, 5))
    for lab in sorted(set(labels.tolist()), key=str):
        sel = labels == lab
        name = classes[lab] if classes is not None and isinstance(lab, int) and 0 <= lab < len(classes) else lab
        ax.scatter(xy[sel, 0], xy[sel, 1], s=12, label=str(name))
    ax.legend(fontsize=8, markerscale=1.5)
    ax.set_title(title or f"embeddings ({method})")
    ax.set_xticks([])
    ax.set_yticks([])
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return Path(path)


def write_run_plots(result: Any, parts: Any) -> dict[str, Path]:
    """The plots of a finished run into its ``output_dir``: curves, embedding map, Grad-CAM."""
    out: dict[str, Path] = {}
    cfg = result.trainer.cfg
    out["curves"] = plot_curves(result.history, result.output_dir / "curves.png")
    t = result.trainer
    if t.val_ds is None:
        return out
    t.evaluate(t.val_ds)  # embeddings of the final (restored) weights
    emb, labels = t.last_eval.get("emb"), t.last_eval.get("labels")
    method = cfg.logging.embedding_map.value
    if emb is not None and method != "none" and len(emb) >= 3:
        out["embedding_map"] = plot_embedding_map(emb.numpy(), labels.numpy(), result.output_dir /
                                                  "embedding_map.png", method=method, classes=result.classes)
    head = getattr(t.task.net, "head", None)
    n = cfg.logging.gradcam_images
    if parts.image and n > 0 and getattr(parts.model, "feature_info", None) and cfg.task.value == "classification":
        from junco.trainer._gradcam import plot_grad_cam

        items = [t.val_ds.items[i] for i in range(min(n, len(t.val_ds)))]
        out["gradcam"] = plot_grad_cam(parts, items, result.output_dir / "gradcam.png", head=head,
                                       classes=result.classes)
    return out
