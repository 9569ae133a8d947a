"""The ONNX Runtime backend: export a module once, cache the ``.onnx`` by fingerprint, verify, serve.

The exported file lives in ``<cache_dir>/onnx/<key>.onnx`` where ``key`` hashes the operator's fingerprint,
the export signature and the torch version, so a different model, layer, pooling or preprocessing never
reuses a stale file. Every load is checked against torch on the example batch: outputs must agree within
:data:`TOLERANCE` (``|onnx - torch| <= atol + rtol * max|torch|`` elementwise and row cosine
``>= min_cosine``) or the file is discarded.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from junco.models._settings import cache_dir

TOLERANCE = {"atol": 1e-4, "rtol": 1e-3, "min_cosine": 0.9999}


class OnnxMismatchError(RuntimeError):
    """The exported ONNX model's outputs differ from torch's beyond :data:`TOLERANCE`."""


@dataclass
class ExportSpec:
    """What to export: a module mapping input tensors to one ``(B, D)`` output tensor.

    Attributes:
        module: the ``nn.Module`` to export (in eval mode).
        example_inputs: a tuple of example tensors (batch of at least 2).
        input_names: one name per input.
        dynamic_axes: ``{input name: {axis: label}}`` (the batch axis at least).
    """

    module: Any
    example_inputs: tuple[Any, ...]
    input_names: tuple[str, ...]
    dynamic_axes: dict[str, dict[int, str]] = field(default_factory=dict)


def cache_key(fingerprint: dict[str, Any], spec: ExportSpec) -> str:
    """A stable file key for the fingerprint and export signature."""
    import torch

    sig = {"fp": fingerprint, "inputs": spec.input_names, "axes": {k: sorted(v) for k, v in
                                                                    spec.dynamic_axes.items()},
           "dtypes": [str(getattr(x, "dtype", type(x).__name__)) for x in spec.example_inputs],
           "torch": torch.__version__, "format": 2}
    return hashlib.sha256(json.dumps(sig, sort_keys=True, default=str).encode()).hexdigest()[:24]


def export(spec: ExportSpec, path: Path) -> None:
    """Export ``spec.module`` to ``path`` (atomically: a temporary file, then a rename)."""
    import torch

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    axes = dict(spec.dynamic_axes)
    axes.setdefault("output", {0: "batch"})
    with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
        warnings.simplefilter("ignore")
        # The TorchScript exporter handles dynamic axes on these models in a few seconds; the dynamo
        # exporter is the fallback (slower, ~4x, but the future default).
        try:
            torch.onnx.export(spec.module, spec.example_inputs, str(tmp), dynamo=False,
                              input_names=list(spec.input_names), output_names=["output"],
                              dynamic_axes=axes, opset_version=17)
        except Exception:  # noqa: BLE001 - any exporter failure: try the other exporter
            shapes = [{ax: torch.export.Dim.AUTO for ax in spec.dynamic_axes.get(n, {})}
                      for n in spec.input_names]
            torch.onnx.export(spec.module, spec.example_inputs, str(tmp), dynamo=True,
                              input_names=list(spec.input_names), output_names=["output"],
                              dynamic_shapes=tuple(shapes), external_data=False)
    os.replace(tmp, path)


class OnnxRunner:
    """An ONNX Runtime session called like the torch module: ``runner(*arrays) -> np.ndarray``.

    Args:
        path: the ``.onnx`` file.
        device: ``"cpu"`` or ``"cuda[:N]"`` (uses the CUDA provider when onnxruntime has it).
    """

    def __init__(self, path: str | Path, device: str = "cpu"):
        import onnxruntime as ort

        providers = ["CPUExecutionProvider"]
        if device.startswith("cuda") and "CUDAExecutionProvider" in ort.get_available_providers():
            providers.insert(0, "CUDAExecutionProvider")
        self.path = str(path)
        opts = ort.SessionOptions()
        # Decode and preprocessing threads share the cores with the model: idle ORT workers must sleep,
        # not spin (spinning cost ~20% of the CPU per image in the end-to-end image pipeline here).
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(self.path, opts, providers=providers)
        self.input_names = [i.name for i in self.session.get_inputs()]

    def __call__(self, *inputs: Any) -> Any:
        import numpy as np

        feed = {}
        for name, x in zip(self.input_names, inputs):
            feed[name] = x.detach().cpu().numpy() if hasattr(x, "detach") else np.asarray(x)
        return self.session.run(None, feed)[0]


def check(reference: Any, candidate: Any) -> float:
    """Max abs difference, raising :class:`OnnxMismatchError` when beyond :data:`TOLERANCE`."""
    import numpy as np

    ref = np.asarray(reference, dtype=np.float64).reshape(len(reference), -1)
    got = np.asarray(candidate, dtype=np.float64).reshape(len(candidate), -1)
    if ref.shape != got.shape:
        raise OnnxMismatchError(f"onnx output shape {got.shape} != torch {ref.shape}")
    diff = float(np.abs(ref - got).max()) if ref.size else 0.0
    bound = TOLERANCE["atol"] + TOLERANCE["rtol"] * float(np.abs(ref).max() if ref.size else 0.0)
    cos = (ref * got).sum(1) / (np.linalg.norm(ref, axis=1) * np.linalg.norm(got, axis=1) + 1e-12)
    if diff > bound or float(cos.min(initial=1.0)) < TOLERANCE["min_cosine"]:
        raise OnnxMismatchError(f"onnx vs torch: max |diff| {diff:.3g} (allowed {bound:.3g}), "
                                f"min cosine {float(cos.min()):.6f} (allowed {TOLERANCE['min_cosine']})")
    return diff


def load_or_export(spec: ExportSpec, fingerprint: dict[str, Any], device: str = "cpu"
                   ) -> tuple[OnnxRunner, float]:
    """A verified runner for ``spec``: from the cache when the file exists, else exported now.

    Returns:
        ``(runner, max_abs_diff)`` against torch on the example inputs.

    Raises:
        OnnxMismatchError: outputs disagree beyond :data:`TOLERANCE` (the file is removed).
    """
    import torch

    path = cache_dir() / "onnx" / f"{cache_key(fingerprint, spec)}.onnx"
    if not path.exists():
        export(spec, path)
    runner = OnnxRunner(path, device)
    with torch.inference_mode():
        ref = spec.module(*spec.example_inputs).float().cpu().numpy()
    try:
        diff = check(ref, runner(*spec.example_inputs))
    except OnnxMismatchError:
        path.unlink(missing_ok=True)
        raise
    return runner, diff
