"""GPU image embedding: img/s at the largest batch that fits, and where the time goes per image.

Without CUDA (``torch.cuda.is_available()`` false) it records ``skipped: no GPU`` as its row and exits:
no number is made up. With CUDA it measures, for EfficientNet-Lite0 (the shared model of
``bench/_image_task.py``, torch eager, fp32):

* the bare forward at batch 32, 64, ... doubling until CUDA runs out of memory (or ``--max-batch``);
  img/s at each and at the largest that fit;
* the time split per image at that batch: decode (OpenCV), preprocess (resize/crop), transfer
  (pinned host -> device copy), forward (synchronised);
* junco's ``pipeline("image-embedding", backend="torch", device="cuda")`` end to end on the same files.

Run: ``python -m bench.gpu [--images 512] [--max-batch 1024]``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from typing import Any

import junco  # noqa: F401  (first: its import hook lets torchvision load before any model library)
from bench import _image_task as task
from bench._harness import load_line, write


def _timed(fn: Any, sync: Any, repeats: int = 3) -> float:
    """Median seconds of ``fn()`` (after one warm-up), synchronising the device around each call."""
    fn()
    sync()
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        sync()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def run_cuda(n: int, max_batch: int) -> dict[str, Any]:
    """The measurements on ``cuda:0`` (see the module docstring)."""
    import numpy as np
    import torch

    from bench.embed import _engine
    from bench.engines import make_images
    from bench.image_peers import export_task
    from junco import pipeline

    dev = torch.device("cuda:0")
    sync = torch.cuda.synchronize
    out: dict[str, Any] = {"device": torch.cuda.get_device_name(0), "images": n, "sweep": []}
    with tempfile.TemporaryDirectory() as folder:
        paths = make_images(folder, n)
        spec, _, _ = export_task(folder, None)
        model = task.load_embedder(spec).to(dev)
        prep = task.Preprocess(spec)
        t = time.perf_counter()
        images = [task.decode(p) for p in paths]
        decode_s = time.perf_counter() - t
        t = time.perf_counter()
        pixels = np.stack([prep(im) for im in images])
        prep_s = time.perf_counter() - t
        host = torch.from_numpy(pixels).pin_memory()
        best = None
        batch = 32
        while batch <= max_batch:
            x = host[:batch] if batch <= len(host) else host[torch.arange(batch) % len(host)].pin_memory()
            try:
                xd = x.to(dev)
                with torch.inference_mode():
                    fwd = _timed(lambda xd=xd: model(xd), sync)
                xfer = _timed(lambda x=x: x.to(dev, non_blocking=True), sync)
            except torch.cuda.OutOfMemoryError:
                torch.cuda.empty_cache()
                out["oom_at"] = batch
                break
            row = {"batch": batch, "forward_s": fwd, "transfer_s": xfer, "img_s": batch / fwd,
                   "peak_mem_gb": torch.cuda.max_memory_allocated() / 1e9}
            out["sweep"].append(row)
            best = row
            batch *= 2
        if best is None:
            raise RuntimeError("CUDA ran out of memory at batch 32")
        b = best["batch"]
        out["largest_batch"] = b
        out["split_ms_per_image"] = {"decode": 1e3 * decode_s / n, "preprocess": 1e3 * prep_s / n,
                                     "transfer": 1e3 * best["transfer_s"] / b, "forward": 1e3 * best["forward_s"] / b}
        p = pipeline("image-embedding", backend="torch", device="cuda", engine=_engine())
        p.batch(paths[:64])  # warm-up: model load and CUDA kernels
        t = time.perf_counter()
        res = p.batch(paths)
        e2e = time.perf_counter() - t
        assert not res.errors, res.report.summary()
        out["junco_e2e_img_s"] = n / e2e
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=512)
    ap.add_argument("--max-batch", type=int, default=1024)
    args = ap.parse_args(argv)
    import torch

    if not torch.cuda.is_available():
        data: dict[str, Any] = {"status": "skipped: no GPU", "torch": torch.__version__,
                                "cuda_build": torch.version.cuda}
        sections = ["### GPU image embedding\n\n"
                    f"skipped: no GPU (torch {torch.__version__}, CUDA build: {torch.version.cuda}; "
                    "`torch.cuda.is_available()` is False). The CUDA code path (batch sweep until out of "
                    "memory, decode/preprocess/transfer/forward split, junco end to end) has not been run "
                    "on this machine."]
    else:
        data = {"status": "ok", **run_cuda(args.images, args.max_batch)}
        lines = [f"### GPU image embedding on {data['device']} ({data['images']} JPEGs), efficientnet-lite0 fp32",
                 "", "| batch | forward img/s | forward s | transfer s | peak GPU memory GB |",
                 "|---:|---:|---:|---:|---:|"]
        for r in data["sweep"]:
            lines.append(f"| {r['batch']} | {r['img_s']:,.0f} | {r['forward_s']:.4f} | {r['transfer_s']:.4f} | "
                         f"{r['peak_mem_gb']:.2f} |")
        split = data["split_ms_per_image"]
        lines += ["", f"- largest batch that fit: {data['largest_batch']}"
                  + (f" (out of memory at {data['oom_at']})" if "oom_at" in data else " (sweep limit)"),
                  "- ms per image: " + ", ".join(f"{k} {v:.3f}" for k, v in split.items()),
                  f"- junco pipeline end to end: {data['junco_e2e_img_s']:,.0f} img/s",
                  f"- {load_line()}"]
        sections = ["\n".join(lines)]
    write("gpu", sections, data)
    return data


def summary(data: dict[str, Any]) -> list[dict[str, str]]:
    if data["status"] != "ok":
        return [{"comparison": "GPU: img/s at the largest batch; decode/preprocess/transfer/forward",
                 "result": data["status"], "ratio": "-"}]
    best = data["sweep"][-1]
    return [{"comparison": f"GPU ({data['device']}): junco e2e vs bare forward at batch {best['batch']}",
             "result": f"{data['junco_e2e_img_s']:,.0f} vs {best['img_s']:,.0f} img/s",
             "ratio": f"{data['junco_e2e_img_s'] / best['img_s']:.2f}x"}]


if __name__ == "__main__":
    main()
