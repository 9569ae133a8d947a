"""The served model: one pipeline per input modality, run a batch at a time, one outcome per input."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from junco.serve._inputs import MODALITIES, Item

SHARED_SPACE = ("text-image-search", "text-image-embedding")
_UNSET = object()


# exceptions that say "this input is bad" (422); any other failure of a row is the service's (500)
INPUT_ERRORS = {"ValueError", "TypeError", "KeyError", "IndexError", "UnicodeDecodeError", "ImageDecodeError",
                "DecompressionBombError", "ItemError"}


class ItemError(ValueError):
    """One input the pipeline could not compute; the message names the stage and the reason.

    Attributes:
        status: 422 when the input was at fault (a ``ValueError``-like failure), else 500.
    """

    def __init__(self, message: str, status: int = 422):
        super().__init__(message)
        self.status = status


def _op_name(node: Any) -> str:
    from junco.operator import op_name

    return op_name(node.fn) if node.fn is not None else ""


def guess_modality(name: str, pipeline: Any) -> str:
    """``"text"``, ``"image"`` or ``"json"`` for a pipeline: its own ``modality`` attribute, else its first
    operator's namespace, else its name.

    Example:
        >>> from junco import pipe
        >>> guess_modality("my-pipe", pipe.input("x").map("x", "y", str).output("y"))
        'json'
    """
    own = getattr(pipeline, "modality", None)
    if own in MODALITIES:
        return str(own)
    steps = getattr(getattr(pipeline, "plan", None), "steps", [])
    first = _op_name(steps[0]) if steps else ""
    for key, mod in (("image-decode/", "image"), ("image-embedding/", "image"), ("text-embedding/", "text")):
        if first.startswith(key):
            return mod
    base = str(name).rsplit("/", 1)[-1].lower()
    if base.startswith("text"):
        return "text"
    if "image" in base:
        return "image"
    return "json"


def shared_space_model(name: str) -> str | None:
    """For a text-image space name (``text-image-search[-<model>]``, ``text-image-embedding[-<model>]``):
    the model part (``""`` for the default); None for any other name.

    Example:
        >>> shared_space_model("text-image-search-bridge"), shared_space_model("text-embedding")
        ('bridge', None)
    """
    key = str(name).lower().replace("_", "-")
    for base in SHARED_SPACE:
        if key == base or key.startswith(base + "-"):
            return str(name)[len(base) + 1:]
    return None


def shared_space_pipeline(name: str, modality: str, **overrides: Any) -> Any:
    """The ``modality`` side (``"text"`` or ``"image"``) of a text-image space named ``name``."""
    from junco.pipeline import pipeline

    model = shared_space_model(name)
    return pipeline("text-image-embedding", model=model or None, modality=modality, **overrides)


def vector_fingerprint(pipeline: Any) -> Any:
    """What identifies a pipeline's vectors in a store: the fingerprint of its (last) model operator —
    the one that made them, shared by the text and image sides of one space — else the pipeline's own,
    else None (a pipeline of plain callables).

    Example:
        >>> from junco import pipe
        >>> vector_fingerprint(pipe.input("x").map("x", "y", lambda x: x).output("y"))["steps"][0]["node"]
        'map'
    """
    from junco.operator import ModelOperator

    for node in reversed(getattr(getattr(pipeline, "plan", None), "steps", [])):
        if isinstance(node.fn, ModelOperator):
            return node.fn.fingerprint()
    fn = getattr(pipeline, "fingerprint", None)
    try:
        return fn() if callable(fn) else None
    except Exception:  # noqa: BLE001 - plain callables cannot always say
        return None


def _image_input(pipeline: Any) -> str:
    """``"bytes"`` when the pipeline decodes images itself (its first operator is a decoder), else
    ``"array"`` (the service decodes in the request's thread and hands over RGB arrays)."""
    steps = pipeline.plan.steps
    return "bytes" if steps and _op_name(steps[0]).startswith("image-decode/") else "array"


def _quiet(pipeline: Any) -> Any:
    """No progress bars, and no disk cache: the cache hashes string inputs that name files by reading
    them, and a service must never open a path a client names (outside its roots)."""
    if hasattr(pipeline.engine, "progress"):
        pipeline.engine.progress = False
    for node in pipeline.plan.steps:
        node.params["cache"] = False
    return pipeline


class ServedModel:
    """Pipelines by modality, behind one ``run(items) -> outcomes`` for the batcher.

    Args:
        encoders: modality (``"text"``, ``"image"``, ``"json"``) -> a :class:`~junco.pipeline.Pipeline`
            with one input column. Several modalities share one vector space (CLIP-like models).
        name: what ``/health`` and ``/info`` call it.
        fingerprint: what identifies the vectors (recorded in the index); default: its model operator's
            (see :func:`vector_fingerprint`).
        probe: the input ``/health`` runs through the model, by modality; defaults exist for text and image.

    Example:
        >>> from junco import pipe
        >>> m = ServedModel({"json": pipe.input("x").map("x", "y", lambda x: [x, 1.0]).output("y")}, probe=2)
        >>> m.run([Item("json", 3)])
        [[[3, 1.0]]]
    """

    def __init__(self, encoders: dict[str, Any], *, name: str = "pipeline", fingerprint: Any = None,
                 probe: Any = None):
        bad = set(encoders) - set(MODALITIES)
        if bad or not encoders:
            raise ValueError(f"encoders are keyed by modality {MODALITIES}, got {sorted(encoders)}")
        for mod, p in encoders.items():
            if len(p.plan.input_columns) != 1:
                raise ValueError(f"the {mod} pipeline takes {len(p.plan.input_columns)} inputs; a served "
                                 "pipeline takes one (text, image or a JSON value)")
        self.encoders = {m: _quiet(p) for m, p in encoders.items()}
        self.name = name
        self.image_input = _image_input(encoders["image"]) if "image" in encoders else "array"
        self._fingerprint = fingerprint
        self._fp_cache: Any = _UNSET
        self._probe = probe

    @classmethod
    def from_name(cls, name: str, *, modality: str | None = None, **overrides: Any) -> ServedModel:
        """Build from a named pipeline or a spec file.

        The shared text-image space (``text-image-search``, ``text-image-embedding``, with an optional
        ``-<model>`` suffix) serves both sides: texts and images land in one space and one store.
        """
        from junco.pipeline import pipeline

        if shared_space_model(name) is not None:
            enc = {m: shared_space_pipeline(name, m, **overrides) for m in ("image", "text")}
            return cls(enc, name=name)
        p = pipeline(name, **overrides)
        mod = modality or guess_modality(name, p)
        if mod not in MODALITIES:
            raise ValueError(f"modality must be one of {MODALITIES}, got {mod!r}")
        return cls({mod: p}, name=name)

    @property
    def modalities(self) -> list[str]:
        return sorted(self.encoders)

    def fingerprint(self) -> Any:
        """The fingerprint stored with the vectors (see :func:`vector_fingerprint`); computed once, as
        the served weights do not change while the service runs."""
        if self._fp_cache is _UNSET:
            fp = self._fingerprint
            if fp is None:
                self._fp_cache = vector_fingerprint(next(iter(self.encoders.values())))
            else:
                self._fp_cache = fp() if callable(fp) else fp
        return self._fp_cache

    def warmup(self) -> None:
        """Load every model now (as the engine would on the first batch), so the first request and
        ``/health`` don't pay for it; then run the probes once."""
        for p in self.encoders.values():
            for node in p.plan.steps:
                setup = getattr(node.fn, "setup", None)
                if callable(setup):
                    setup()
        probes = self.probe_items()
        for r in self.run(probes) if probes else []:
            if isinstance(r, BaseException):
                raise r
        self.fingerprint()

    def probe_items(self) -> list[Item]:
        """Tiny inputs for ``/health``: one per modality (a probe value given at construction wins)."""
        items = []
        for mod in self.modalities:
            if self._probe is not None:
                value = self._probe.get(mod) if isinstance(self._probe, dict) else self._probe
            elif mod == "text":
                value = "junco health probe"
            elif mod == "image":
                value = _probe_image(self.image_input)
            else:
                continue
            if value is not None:
                items.append(Item(mod, value, f"probe-{mod}"))
        return items

    def run(self, items: Sequence[Item]) -> list[Any]:
        """Run a batch (any mix of modalities); per input its output rows, or an :class:`ItemError`."""
        out: list[Any] = [None] * len(items)
        groups: dict[str, list[int]] = {}
        for i, it in enumerate(items):
            groups.setdefault(it.modality, []).append(i)
        for mod, idx in groups.items():
            p = self.encoders.get(mod)
            if p is None:
                for i in idx:
                    out[i] = ItemError(f"this model takes {', '.join(self.modalities)} inputs, not {mod}")
                continue
            res = p.batch([items[i].value for i in idx], ids=idx)
            errors = {e.row_id: e for e in res.report.errors}
            for i, rows in zip(idx, res):
                e = errors.get(i)
                out[i] = list(rows) if e is None else ItemError(
                    f"{e.exc_type} in {e.node}: {e.message}", 422 if e.exc_type in INPUT_ERRORS else 500)
        return out


def _probe_image(kind: str) -> Any:
    import numpy as np

    ramp = np.linspace(0, 255, 64, dtype=np.uint8)
    img = np.stack(np.broadcast_arrays(ramp[None, :], ramp[:, None], np.full((64, 64), 128, np.uint8)), -1)
    if kind == "array":
        return np.ascontiguousarray(img)
    import cv2

    ok, buf = cv2.imencode(".png", img[:, :, ::-1])
    return buf.tobytes()


def vector_of(rows: list[Any]) -> Any:
    """The embedding in one input's output rows: the single row, or its first 1-D numeric field.

    Raises:
        ItemError: no row, several rows, or no vector in the row.

    Example:
        >>> vector_of([[0.5, 1.0]]).tolist()
        [0.5, 1.0]
    """
    import numpy as np

    if len(rows) != 1:
        raise ItemError(f"the pipeline gave {len(rows)} rows for this input; a vector needs exactly one")
    row = rows[0]
    fields = list(row) if isinstance(row, tuple) and hasattr(row, "_fields") else [row]
    for f in fields:
        try:
            a = np.asarray(f, dtype=np.float32)
        except (TypeError, ValueError):
            continue
        if a.ndim == 1 and a.size:
            return a
    raise ItemError("the pipeline's output holds no vector (a 1-D list of numbers)")
