"""Which model, and which layer, suits *your* data: rank candidates on a labelled sample.

Every candidate — an installed model that fits the modality, at several layers (pre-logits and earlier
feature stages for timm models) — embeds the same labelled items. Each is scored by leave-one-out
retrieval (recall@k and mAP over cosine similarity, :mod:`junco.index.metrics`), by a cross-validated
linear probe (scikit-learn ``LogisticRegression`` over ``StratifiedKFold``), by speed (items/s) and by
vector size, and drawn as a 2-D PCA map. :func:`select_model` returns a :class:`SelectionReport` with a
terminal table (:meth:`SelectionReport.table`) and a self-contained HTML report
(:meth:`SelectionReport.write_html`). ``junco eval select DATA`` is the command-line face.

Labelled data is a folder with one sub-folder of images per class, or a CSV of ``path,label`` (images)
or ``text,label`` (texts); see :func:`load_labeled`.
"""

from __future__ import annotations

import csv
import math
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from junco.eval import _html

__all__ = ["DEFAULT_LAYERS", "IMAGE_EXTENSIONS", "MOBILENET_LAYERS", "Candidate", "CandidateResult", "LabeledSet", "SelectionReport",
           "default_candidates", "load_labeled", "pca_2d", "score_embeddings", "select_model"]

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff")
#: Layers tried for timm models when none are asked for: pre-logits, the last and second-to-last stage.
DEFAULT_LAYERS: tuple[str | int | None, ...] = (None, -1, -2)
#: MobileNetV2's ``features`` end with the 1x1 conv to 1280 (= ``None``); -2 and -5 are earlier blocks
MOBILENET_LAYERS: tuple[int | None, ...] = (None, -2, -5)
RANK_BY = ("score", "map", "recall", "probe")
# which catalogue modalities can embed which data (a shared image+text space embeds images as images)
_FITS = {"image": ("image", "image+text"), "text": ("text",)}


# -- labelled data ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class LabeledSet:
    """A labelled sample: items (image paths or texts) with one label each.

    Attributes:
        items: image file paths (``modality="image"``) or texts (``"text"``).
        labels: the class of each item.
        modality: ``"image"`` or ``"text"``.
        source: where it was read from.

    Example:
        >>> LabeledSet(["a", "b"], ["x", "y"], "text").classes
        ['x', 'y']
    """

    items: list[str]
    labels: list[str]
    modality: str
    source: str = ""

    @property
    def classes(self) -> list[str]:
        """The distinct labels, sorted."""
        return sorted(set(self.labels))


def load_labeled(source: str | Path) -> LabeledSet:
    """Read a labelled sample from a folder of class folders or a CSV file.

    A folder holds one sub-folder per class, each with image files (``IMAGE_EXTENSIONS``). A CSV holds
    ``path,label`` or ``text,label`` rows; a header row is recognized when it names a ``label`` column
    (and ``path``/``file``/``image`` or ``text`` for the other); without one, the first column is the
    item and the second the label, and the modality is ``"image"`` when every item is an existing file.
    Relative paths are relative to the CSV's folder.

    Args:
        source: the folder or the ``.csv`` file.

    Returns:
        The :class:`LabeledSet`.

    Raises:
        ValueError: the source is missing or empty, a row lacks a label, there are fewer than 2 classes,
            or a class has fewer than 2 items (retrieval needs a second item to find).

    Example:
        >>> import tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
        >>> _ = p.write_text("text,label\\nred apple,fruit\\npear,fruit\\ncar,vehicle\\nbus,vehicle\\n")
        >>> s = load_labeled(p)
        >>> s.modality, s.classes
        ('text', ['fruit', 'vehicle'])
    """
    p = Path(source)
    if p.is_dir():
        items, labels = [], []
        for cls_dir in sorted(d for d in p.iterdir() if d.is_dir()):
            for f in sorted(cls_dir.iterdir()):
                if f.is_file() and f.suffix.lower() in IMAGE_EXTENSIONS:
                    items.append(str(f))
                    labels.append(cls_dir.name)
        if not items:
            raise ValueError(f"{p}: no class sub-folders with images ({', '.join(IMAGE_EXTENSIONS)}) found; "
                             "expected DATA/<class>/<image>")
        out = LabeledSet(items, labels, "image", str(p))
    elif p.is_file():
        out = _read_csv(p)
    else:
        raise ValueError(f"{p}: no such folder or CSV file")
    _check_classes(out)
    return out


def _read_csv(p: Path) -> LabeledSet:
    with p.open(newline="", encoding="utf-8") as f:
        rows = [r for r in csv.reader(f) if any(c.strip() for c in r)]
    if not rows:
        raise ValueError(f"{p}: empty CSV; expected rows of path,label or text,label")
    head = [c.strip().lower() for c in rows[0]]
    modality: str | None = None
    item_col, label_col = 0, 1
    if "label" in head:
        label_col = head.index("label")
        others = [i for i, h in enumerate(head) if i != label_col]
        named = {h: i for i, h in enumerate(head)}
        if "text" in named:
            item_col, modality = named["text"], "text"
        else:
            item_col = next((named[h] for h in ("path", "file", "image") if h in named), others[0] if others else 0)
            modality = "image" if head[item_col] in ("path", "file", "image") else None
        rows = rows[1:]
    items, labels = [], []
    for n, r in enumerate(rows, start=2 if "label" in head else 1):
        if len(r) <= max(item_col, label_col) or not r[label_col].strip() or not r[item_col].strip():
            raise ValueError(f"{p}: line {n} needs an item and a label, got {r!r}")
        items.append(r[item_col].strip())
        labels.append(r[label_col].strip())
    if not items:
        raise ValueError(f"{p}: no data rows under the header")
    if modality is None:
        modality = "image" if all((p.parent / i).is_file() for i in items) else "text"
    if modality == "image":
        items = [str(x if Path(x).is_absolute() else p.parent / x) for x in items]
    return LabeledSet(items, labels, modality, str(p))


def _check_classes(data: LabeledSet) -> None:
    counts = Counter(data.labels)
    if len(counts) < 2:
        raise ValueError(f"{data.source}: need at least 2 classes, found {sorted(counts)}")
    small = sorted(c for c, n in counts.items() if n < 2)
    if small:
        raise ValueError(f"{data.source}: every class needs at least 2 items; too few in {small}")


# -- candidates -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Candidate:
    """One (model, layer) to try: an operator name and its arguments.

    Attributes:
        name: the display name (``"efficientnet-lite0 @ pre-logits"``).
        op: the registered operator (``"image-embedding/timm"``).
        op_args: its arguments (``layer=`` included).
        modality: ``"image"`` or ``"text"``.

    Example:
        >>> c = Candidate("random effnet", "image-embedding/timm",
        ...               {"model_name": "efficientnet_lite0", "checkpoint_path": "/tmp/random.pt"})
        >>> c.modality
        'image'
    """

    name: str
    op: str
    op_args: dict[str, Any] = field(default_factory=dict)
    modality: str = "image"

    def create(self, **kwargs: Any) -> Any:
        """Build the operator (``kwargs`` such as ``backend=`` add to its arguments)."""
        from junco.ops import create

        return create(self.op, **{**self.op_args, **kwargs})


def layer_label(layer: str | int | None) -> str:
    """How a layer request is shown: ``None`` is ``"pre-logits"``.

    Example:
        >>> layer_label(None), layer_label(-2)
        ('pre-logits', 'stage -2')
    """
    if layer is None:
        return "pre-logits"
    return f"stage {layer}" if isinstance(layer, int) else str(layer)


def parse_layer(text: str) -> str | int | None:
    """A layer given on the command line: ``"pre-logits"`` -> None, ``"-1"`` -> -1, names as is.

    Example:
        >>> parse_layer("pre-logits"), parse_layer("-1"), parse_layer("blocks.3")
        (None, -1, 'blocks.3')
    """
    if text.lower() in ("pre-logits", "pre_logits", "penultimate", "none", "default"):
        return None
    return int(text) if text.lstrip("-").isdigit() else text


def default_candidates(modality: str = "image", *, models: Sequence[str] | None = None,
                       layers: Sequence[str | int | None] | None = None) -> list[Candidate]:
    """Candidates from the models installed here (:func:`junco.models.list_available`).

    timm models are tried at each of ``layers`` (default :data:`DEFAULT_LAYERS`), MobileNetV2 at the
    int/``None`` ones (default :data:`MOBILENET_LAYERS`: indexes into its ``features``); other models at their
    one embedding layer (named ``"<model> @ embedding"``). Image data also fits shared image+text models
    (embedded on their image side); text data fits text models only.

    Args:
        modality: ``"image"`` or ``"text"``: which installed models fit.
        models: only these model names (as :func:`~junco.models.list_available` names them).
        layers: the layers to try on timm models (``None`` = pre-logits, ints = feature stages, names).

    Returns:
        The candidates, in catalogue order.

    Raises:
        ValueError: a named model is not installed or does not embed ``modality``, or none fits.

    Example:
        >>> [c.name for c in default_candidates("image", models=["mobilenetv2"])]
        ['mobilenetv2 @ pre-logits', 'mobilenetv2 @ stage -2', 'mobilenetv2 @ stage -5']
    """
    from junco.models import list_available

    if modality not in _FITS:
        raise ValueError(f"modality must be one of {sorted(_FITS)}, got {modality!r}")
    avail = list_available()
    if models:
        by_name = {m.name: m for m in avail}
        missing = [m for m in models if m not in by_name]
        if missing:
            raise ValueError(f"model(s) {missing} not installed; available: {sorted(by_name)}")
        chosen = [by_name[m] for m in models]
        wrong = [m.name for m in chosen if m.modality not in _FITS[modality]]
        if wrong:
            raise ValueError(f"model(s) {wrong} do not embed {modality}; "
                             f"{modality} models: {sorted(n for n, m in by_name.items() if m.modality == modality)}")
    else:
        chosen = [m for m in avail if m.modality == modality]
    if not chosen:
        raise ValueError(f"no installed {modality} model; see `junco models`")
    out = []
    for m in chosen:
        if m.op == "image-embedding/timm":
            out += [Candidate(f"{m.name} @ {layer_label(layer)}", m.op, {**m.op_args, "layer": layer}, modality)
                    for layer in (layers or DEFAULT_LAYERS)]
        elif m.op == "image-embedding/mobilenetv2":  # layers index its features blocks (ints only)
            picks = [x for x in (layers or MOBILENET_LAYERS) if x is None or isinstance(x, int)] or [None]
            out += [Candidate(f"{m.name} @ {layer_label(layer)}", m.op, {**m.op_args, "layer": layer}, modality)
                    for layer in picks]
        else:  # one embedding layer: the operator's own output
            out.append(Candidate(f"{m.name} @ embedding", m.op, dict(m.op_args), modality))
    return out


# -- scoring ----------------------------------------------------------------------------------------
def pca_2d(vectors: np.ndarray) -> np.ndarray:
    """Project rows onto their first two principal components (numpy SVD).

    Example:
        >>> pca_2d(np.eye(3, 4)).shape
        (3, 2)
    """
    x = np.asarray(vectors, dtype=np.float64)
    x = x - x.mean(axis=0, keepdims=True)
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    pts = x @ vt[:2].T
    return np.pad(pts, ((0, 0), (0, 2 - pts.shape[1]))) if pts.shape[1] < 2 else pts


def _unit(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float64)
    return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)


def score_embeddings(vectors: np.ndarray, labels: Sequence[str], *, k: int = 5, folds: int = 5,
                     seed: int = 0) -> dict[str, float]:
    """Retrieval and linear-probe quality of one embedding of a labelled set.

    Retrieval is leave-one-out: every item queries all the others by cosine similarity; an item of the
    same class is relevant. The probe is ``StandardScaler`` + ``LogisticRegression`` scored by
    stratified k-fold cross-validation (folds capped by the smallest class).

    Args:
        vectors: ``(n, d)`` embeddings.
        labels: ``n`` class labels.
        k: cut-off for recall@k.
        folds: cross-validation folds.
        seed: fold shuffling seed.

    Returns:
        ``{"recall@k": ..., "mAP": ..., "probe_acc": ..., "probe_std": ..., "score": ...}``; ``score`` is
        the mean of mAP and probe accuracy.

    Example:
        >>> v = np.array([[1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9]] * 2)
        >>> score_embeddings(v, list("aabb") * 2, k=1, folds=2)["mAP"]
        1.0
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from junco.index.metrics import mean_average_precision, recall_at_k, relevant_by_label

    x = _unit(vectors)
    labs = list(labels)
    sims = x @ x.T
    np.fill_diagonal(sims, -np.inf)
    ranked = [[int(j) for j in row[:-1]] for row in np.argsort(-sims, axis=1, kind="stable")]
    relevant = relevant_by_label(labs, dict(enumerate(labs)), exclude=list(range(len(labs))))
    n_splits = max(2, min(folds, min(Counter(labs).values())))
    cv = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    acc = cross_val_score(probe, x, np.asarray(labs), cv=cv)
    m_ap = mean_average_precision(ranked, relevant)
    return {f"recall@{k}": recall_at_k(ranked, relevant, k), "mAP": m_ap, "probe_acc": float(acc.mean()),
            "probe_std": float(acc.std()), "score": (m_ap + float(acc.mean())) / 2}


def decode_images(paths: Sequence[str]) -> tuple[list[Any], list[int], list[tuple[str, str]]]:
    """Decode image files as RGB arrays; files that fail are reported, not fatal.

    Returns:
        ``(arrays, kept_indices, skipped)`` with ``skipped`` as ``(path, reason)`` pairs.
    """
    from junco.ops.image import Cv2Decode

    decode = Cv2Decode()
    arrays, kept, skipped = [], [], []
    for i, path in enumerate(paths):
        try:
            arrays.append(decode(path))
            kept.append(i)
        except Exception as e:  # any unreadable file: record it, keep going
            skipped.append((path, f"{type(e).__name__}: {e}"))
    return arrays, kept, skipped


def embed_all(op: Any, items: Sequence[Any], *, batch_size: int = 32,
              transform: Callable[[Any], Any] | None = None) -> tuple[np.ndarray, float]:
    """Embed ``items`` the way the engine does (per-row preprocess, batched forward), timed.

    The model is loaded and warmed on one item first, so the rate is steady-state throughput of
    preprocessing + forward (decoding excluded when ``items`` are arrays).

    Args:
        op: a model operator.
        items: its inputs.
        batch_size: rows per forward.
        transform: replaces ``op.preprocess`` (used to try other preprocessing).

    Returns:
        ``(vectors (n, d) float32, items_per_second)``.
    """
    op.setup()
    prep = transform or op.preprocess
    op.postprocess(op.forward([prep(items[0])]))
    t0 = time.perf_counter()
    out: list[Any] = []
    for s in range(0, len(items), batch_size):
        out += op.postprocess(op.forward([prep(x) for x in items[s:s + batch_size]]))
    dt = time.perf_counter() - t0
    vecs = np.stack([np.asarray(v, dtype=np.float32).ravel() for v in out])
    return vecs, len(items) / dt if dt > 0 else math.inf


# -- the report -------------------------------------------------------------------------------------
@dataclass
class CandidateResult:
    """How one candidate did. ``error`` is set (and the metrics NaN) when it could not run.

    Attributes:
        name: the candidate's name.
        dim: vector size.
        items_per_s: embedding throughput (preprocess + forward).
        metrics: :func:`score_embeddings` output.
        map2d: ``(n, 2)`` PCA coordinates of the items.
        error: why it failed, or None.
    """

    name: str
    dim: int = 0
    items_per_s: float = float("nan")
    metrics: dict[str, float] = field(default_factory=dict)
    map2d: np.ndarray | None = None
    error: str | None = None

    def get(self, key: str) -> float:
        """A metric, NaN when absent."""
        return float(self.metrics.get(key, float("nan")))


_RANK_KEYS = {"score": "score", "map": "mAP", "probe": "probe_acc"}


@dataclass
class SelectionReport:
    """The ranked candidates of :func:`select_model`.

    Attributes:
        results: candidates best first (failed ones last).
        labels: the class of each embedded item.
        items: the embedded items (paths or texts).
        skipped: ``(item, reason)`` for inputs that could not be read.
        k: recall cut-off.
        rank_by: the metric the ranking uses.
        title: report heading.
    """

    results: list[CandidateResult]
    labels: list[str]
    items: list[str]
    skipped: list[tuple[str, str]] = field(default_factory=list)
    k: int = 5
    rank_by: str = "score"
    title: str = "junco: model and layer selection"

    @property
    def best(self) -> CandidateResult:
        """The top-ranked candidate."""
        return self.results[0]

    def ranking(self) -> list[str]:
        """Candidate names, best first (failed candidates excluded)."""
        return [r.name for r in self.results if r.error is None]

    def _rows(self) -> list[list[Any]]:
        rows: list[list[Any]] = []
        for i, r in enumerate(x for x in self.results if x.error is None):
            rows.append([i + 1, r.name, r.dim, f"{r.items_per_s:.1f}", r.get(f"recall@{self.k}"), r.get("mAP"),
                         f"{r.get('probe_acc'):.3f} ± {r.get('probe_std'):.3f}", r.get("score")])
        return rows

    def _headers(self) -> list[str]:
        return ["rank", "candidate", "dim", "items/s", f"recall@{self.k}", "mAP", "probe acc", "score"]

    def table(self) -> str:
        """A plain-text table for the terminal (failed candidates and skipped items listed after)."""
        headers = self._headers()
        cells = [[f"{c:.4f}" if isinstance(c, float) else str(c) for c in r] for r in self._rows()]
        widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
        lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
        lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in cells]
        lines.append(f"{len(self.items)} items, {len(set(self.labels))} classes; score = (mAP + probe acc) / 2; "
                     f"ranked by {self.rank_by}")
        lines += [f"FAILED {r.name}: {r.error}" for r in self.results if r.error is not None]
        lines += [f"skipped {item}: {why}" for item, why in self.skipped]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (no maps)."""
        return {"k": self.k, "rank_by": self.rank_by, "items": len(self.items), "classes": sorted(set(self.labels)),
                "skipped": [list(s) for s in self.skipped],
                "results": [{"name": r.name, "dim": r.dim, "items_per_s": r.items_per_s, **r.metrics,
                             "error": r.error} for r in self.results]}

    def to_html(self) -> str:
        """The self-contained HTML report: ranking table, bar charts, one PCA map per candidate."""
        ok = [r for r in self.results if r.error is None]
        names = [r.name for r in ok]
        sections = [
            ("Ranking", _html.table_html(self._rows(), self._headers())),
            ("Scores", '<div class="grid">'
             + _html.bar_chart_svg(names, [r.get("score") for r in ok], title="score = (mAP + probe acc) / 2",
                                   value_max=1.0)
             + _html.bar_chart_svg(names, [r.get("mAP") for r in ok], title="retrieval mAP (leave-one-out)",
                                   value_max=1.0, color=_html.PALETTE[1])
             + _html.bar_chart_svg(names, [r.get("probe_acc") for r in ok], title="linear probe accuracy (CV)",
                                   value_max=1.0, color=_html.PALETTE[2])
             + _html.bar_chart_svg(names, [r.items_per_s for r in ok], title="speed (items/s)",
                                   color=_html.PALETTE[3]) + "</div>"),
            ("Embedding maps (PCA, coloured by class)", _maps_html(
                [(r.name, r.map2d) for r in ok], self.labels)),
        ]
        failed = [[r.name, r.error] for r in self.results if r.error is not None]
        if failed:
            sections.append(("Failed candidates", _html.table_html(failed, ["candidate", "error"])))
        if self.skipped:
            sections.append(("Skipped items", _html.table_html(self.skipped, ["item", "reason"])))
        intro = (f"{len(self.items)} items in {len(set(self.labels))} classes. Retrieval: every item queries "
                 f"the others by cosine similarity (recall@{self.k}, mAP). Probe: logistic regression, "
                 "stratified cross-validation.")
        return _html.page(self.title, sections, intro=intro)

    def write_html(self, path: str | Path) -> Path:
        """Write :meth:`to_html` to ``path`` (folders created) and return the path."""
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(self.to_html(), encoding="utf-8")
        return out


def _maps_html(maps: Sequence[tuple[str, np.ndarray | None]], labels: Sequence[str]) -> str:
    figs = []
    for name, pts in maps:
        if pts is not None:
            figs.append(f"<figure>{_html.scatter_svg(pts.tolist(), labels)}"
                        f"<figcaption>{_html.esc(name)}</figcaption></figure>")
    return '<div class="grid">' + "".join(figs) + "</div>"


def _order(results: list[CandidateResult], rank_by: str, k: int) -> list[CandidateResult]:
    key = f"recall@{k}" if rank_by == "recall" else _RANK_KEYS[rank_by]

    def sort_key(r: CandidateResult) -> tuple[int, float, float]:
        v = r.get(key)
        return (r.error is not None, -(v if math.isfinite(v) else -math.inf), -r.get("score"))

    return sorted(results, key=sort_key)


def select_model(data: LabeledSet | str | Path, *, candidates: Sequence[Candidate] | None = None,
                 models: Sequence[str] | None = None, layers: Sequence[str | int | None] | None = None,
                 k: int = 5, folds: int = 5, rank_by: str = "score", backend: str = "torch",
                 batch_size: int = 32, seed: int = 0) -> SelectionReport:
    """Embed a labelled sample with every candidate and rank them.

    Args:
        data: a :class:`LabeledSet`, or a folder / CSV for :func:`load_labeled`.
        candidates: the (model, layer) pairs to try; default :func:`default_candidates` for the data's
            modality, ``models`` and ``layers``. Pass your own to add, e.g., a checkpoint of yours.
        models: installed model names to try (default all that fit the modality).
        layers: layers to try on timm models (default :data:`DEFAULT_LAYERS`).
        k: recall cut-off.
        folds: linear-probe cross-validation folds.
        rank_by: ``"score"`` (mean of mAP and probe accuracy), ``"map"``, ``"recall"`` or ``"probe"``.
        backend: the operators' backend; ``"torch"`` skips the one-off ONNX export per candidate.
        batch_size: rows per forward.
        seed: fold shuffling seed.

    Returns:
        The :class:`SelectionReport`, best candidate first. A candidate that fails (missing weights, a
        layer the model lacks) is kept at the end with its error; unreadable items are listed in
        ``skipped`` and left out for every candidate alike.

    Raises:
        ValueError: bad arguments, or too few readable items per class.

    Example:
        >>> rep = select_model("photos/", models=["efficientnet-lite0"], layers=[None, -1])  # doctest: +SKIP
        >>> print(rep.table())  # doctest: +SKIP
    """
    if rank_by not in RANK_BY:
        raise ValueError(f"rank_by must be one of {RANK_BY}, got {rank_by!r}")
    if k < 1 or folds < 2:
        raise ValueError(f"need k >= 1 and folds >= 2, got k={k}, folds={folds}")
    ds = data if isinstance(data, LabeledSet) else load_labeled(data)
    cands = list(candidates) if candidates is not None else default_candidates(ds.modality, models=models,
                                                                                 layers=layers)
    if not cands:
        raise ValueError("no candidates to evaluate")
    inputs, kept, skipped = _inputs(ds)
    labels = [ds.labels[i] for i in kept]
    _check_classes(LabeledSet([ds.items[i] for i in kept], labels, ds.modality, ds.source + " (readable items)"))
    results = []
    for c in cands:
        try:
            vecs, rate = embed_all(c.create(backend=backend), inputs, batch_size=batch_size)
            metrics = score_embeddings(vecs, labels, k=k, folds=folds, seed=seed)
            results.append(CandidateResult(c.name, int(vecs.shape[1]), rate, metrics, pca_2d(vecs)))
        except Exception as e:  # one candidate failing must not lose the others' results
            results.append(CandidateResult(c.name, error=f"{type(e).__name__}: {e}"))
    return SelectionReport(_order(results, rank_by, k), labels, [ds.items[i] for i in kept], skipped, k, rank_by)


def _inputs(ds: LabeledSet) -> tuple[list[Any], list[int], list[tuple[str, str]]]:
    if ds.modality == "text":
        return list(ds.items), list(range(len(ds.items))), []
    return decode_images(ds.items)
