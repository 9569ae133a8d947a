"""Image embedding end to end (files -> L2-normalized vectors) on junco and its peers, side by side.

Same model (EfficientNet-Lite0 from the packaged weights, pre-logits 1280-d, torch eager on CPU), same
JPEGs, same batch size, same per-row functions (``bench/_image_task.py``: OpenCV decode, timm's eval
resize/crop), so the ratios measure how each framework moves rows and batches:

* junco ``pipeline("image-embedding", backend="torch")`` (engine output cache off), and the same with
  the default backend (``auto``: onnxruntime on CPU) as an extra row;
* the bare batched forward on pixels preprocessed beforehand (the limit: decode and resize not timed);
* a plain Python loop (decode, preprocess, forward per batch, one thread: no overlap);
* Towhee 1.1.3 in its own venv (``bench/.venv-towhee``, made by ``make bench``): the model as a local
  ``@register`` operator, ``map``/``window`` nodes; a live subprocess so runs still alternate;
* Hugging Face ``datasets.Dataset.map(batched=True)``;
* Ray Data ``map_batches`` (a preprocessing task stage, then an actor holding the model; every run
  starts its actor, as a job does; Ray's own start-up is timed apart).

Runs alternate (A B C ... A B C ...) after one warm-up each; every peer's vectors are checked against
junco's. Run: ``python -m bench.image_peers [--images 96] [--repeats 3] [--batch 32]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import junco  # noqa: F401  (first: its import hook lets torchvision load before any model library)
from bench import _image_task as task
from bench._harness import in_thread, interleave, load_line, start_ray, table, write

ROOT = Path(__file__).resolve().parent.parent
TOWHEE_PY = ROOT / "bench" / ".venv-towhee" / "bin" / "python"
JUNCO = "junco pipeline (torch)"


def _set_batch(p: Any, batch: int | None) -> int:
    """Give the pipeline's model node ``batch`` rows a forward (when given); returns its batch size."""
    node = p.plan.steps[1]
    if batch:
        node.fn.batch_size = batch
        if node.params.get("batch_size"):
            node.params["batch_size"] = batch
    return int(node.params.get("batch_size") or node.fn.batch_size)


def export_task(folder: str, batch: int | None) -> tuple[dict[str, Any], str, Any]:
    """Build junco's image-embedding pipeline (torch) and export its model for the peers.

    Args:
        folder: where the state dict and the spec go.
        batch: rows per forward for every case (None: junco's default for the model).

    Returns:
        The task spec, the spec's path, and the junco pipeline.
    """
    import torch

    from bench.embed import _engine
    from junco import pipeline

    p = pipeline("image-embedding", backend="torch", engine=_engine())
    batch = _set_batch(p, batch)
    op = p.plan.steps[1].fn
    op.setup()
    cfg = op.preprocess_config
    if cfg.crop_mode != "center" or cfg.channel_order != "RGB" or op._layer is not None:
        raise RuntimeError(f"bench/_image_task.py reproduces centre-crop RGB pre-logits only, not {cfg}")
    state = os.path.join(folder, "model.pt")
    torch.save(op.model.state_dict(), state)
    spec = {"arch": op.architecture(), "num_classes": int(op.model.num_classes), "state_dict": state,
            "input_size": list(cfg.input_size), "crop_pct": cfg.crop_pct, "interpolation": cfg.interpolation,
            "mean": list(cfg.mean), "std": list(cfg.std), "batch": batch}
    path = os.path.join(folder, "spec.json")
    Path(path).write_text(json.dumps(spec))
    return spec, path, p


class TowheePeer:
    """A live Towhee worker process (``bench/_towhee_worker.py`` in ``bench/.venv-towhee``)."""

    def __init__(self, spec_path: str, paths: list[str], batch: int, folder: str):
        if not TOWHEE_PY.exists():
            raise RuntimeError(f"{TOWHEE_PY} missing: run `make bench-venv` (or `make bench`) to create it")
        plist = os.path.join(folder, "paths.txt")
        Path(plist).write_text("\n".join(paths))
        self.proc = subprocess.Popen([str(TOWHEE_PY), str(ROOT / "bench" / "_towhee_worker.py"), spec_path,
                                      plist, str(batch)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True, env={**os.environ, "PYTHONPATH": ""})
        self.info = self._reply()
        if "error" in self.info:
            self.close()
            raise RuntimeError(f"towhee worker: {self.info['error']}")

    def _reply(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("@@ "):
                return dict(json.loads(line[3:]))
        return {"error": f"worker exited (rc {self.proc.wait()})"}

    def ask(self, cmd: str) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(cmd + "\n")
        self.proc.stdin.flush()
        out = self._reply()
        if "error" in out:
            raise RuntimeError(f"towhee worker: {out['error']}\n{out.get('trace', '')}")
        return out

    def run(self) -> float:
        """One whole job in the worker; returns the worker's CPU seconds for it."""
        return float(self.ask("run")["cpu_s"])

    def vectors(self, folder: str) -> Any:
        import numpy as np

        path = os.path.join(folder, "towhee.npy")
        self.ask(f"dump {path}")
        return np.load(path)

    def close(self) -> None:
        try:
            if self.proc.poll() is None and self.proc.stdin is not None:
                self.proc.stdin.write("quit\n")
                self.proc.stdin.flush()
            self.proc.wait(timeout=30)
        except Exception:  # noqa: BLE001 - a stuck worker is killed
            self.proc.kill()


def measure(cases: dict[str, Callable[[], Any]], *, repeats: int, units: int) -> list[dict[str, Any]]:
    """Run the cases alternated (one warm-up each, then A B C ... ``repeats`` times): wall time and CPU time.

    CPU time is this process's (all threads) unless the case returns its own CPU seconds (the Towhee
    worker reports its process's; Ray's workers are not counted, so its CPU is left out: NaN). On a
    shared machine CPU seconds per image say what the work costs, whatever else runs.
    """
    import statistics

    # Ray kills its actor processes after a run returns: give that 3 s, untimed, so it is not charged to
    # the case that runs next (it cost junco ~15% in an earlier run: 0.83x -> see NOTES.md)
    wall, cpu = interleave(cases, repeats=repeats, settle={n: 3.0 for n in cases if n.startswith("ray")})
    rows = []
    first = None
    for name in cases:
        med = statistics.median(wall[name])
        first = first or med
        c = statistics.median(cpu[name])
        rows.append({"case": name, "median_s": med, "min_s": min(wall[name]), "max_s": max(wall[name]),
                     "throughput": units / med, "unit": "img/s", "time_vs_first": med / first,
                     "cpu_s": c, "per_cpu_s": units / c if c == c and c > 0 else float("nan")})
    return rows


def _datasets_case(paths: list[str], spec: dict[str, Any], embedder: Any, out: dict[str, Any]) -> Callable[[], None]:
    import datasets
    import numpy as np

    datasets.disable_progress_bars()
    prep = task.Preprocess(spec)
    ds = datasets.Dataset.from_dict({"path": paths})

    def fn(batch: dict[str, list[Any]]) -> dict[str, Any]:
        return {"vec": task.embed_batch(embedder, [prep(task.decode(p)) for p in batch["path"]])}

    def run() -> None:
        res = ds.map(fn, batched=True, batch_size=spec["batch"], remove_columns=["path"])
        out["hf datasets"] = np.asarray(res.with_format("numpy")["vec"])

    return run


class _RayEmbed:
    """Ray Data actor: the shared model, one batch of pixel arrays -> vectors."""

    def __init__(self, spec: dict[str, Any]):
        self.model = task.load_embedder(spec)

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        return {"vec": task.embed_batch(self.model, list(batch["pix"]))}


def _ray_case(paths: list[str], spec: dict[str, Any], out: dict[str, Any]) -> Callable[[], None]:
    import numpy as np
    import ray

    ray.data.DataContext.get_current().execution_options.preserve_order = True
    ray.data.DataContext.get_current().enable_progress_bars = False
    prep = task.Preprocess(spec)

    def preprocess(batch: dict[str, Any]) -> dict[str, Any]:
        return {"pix": np.stack([prep(task.decode(str(p))) for p in batch["path"]])}

    def run() -> float:
        ds = (ray.data.from_items([{"path": p} for p in paths])
              .map_batches(preprocess, batch_size=spec["batch"])
              .map_batches(_RayEmbed, fn_constructor_kwargs={"spec": spec}, batch_size=spec["batch"],
                           concurrency=1))
        out["ray data"] = np.concatenate([b["vec"] for b in ds.iter_batches(batch_size=None,
                                                                             batch_format="numpy")])
        return float("nan")  # the work runs in Ray's worker processes: this process's CPU says nothing

    return run


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=96)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--batch", type=int, default=None, help="rows per forward (default: junco's)")
    ap.add_argument("--no-ray", action="store_true", help="leave out the Ray Data peer")
    ap.add_argument("--no-towhee", action="store_true", help="leave out the Towhee peer")
    ap.add_argument("--main-thread", action="store_true",
                    help="time in-process cases on the main thread (default: a fresh worker thread each)")
    args = ap.parse_args(argv)

    import numpy as np

    from bench.embed import _engine
    from bench.engines import make_images
    from junco import pipeline

    status: dict[str, str] = {}
    data: dict[str, Any] = {"images": args.images, "status": status}
    out: dict[str, Any] = {}
    towhee: TowheePeer | None = None
    ray_started = False
    with tempfile.TemporaryDirectory() as folder:
        paths = make_images(folder, args.images)
        spec, spec_path, p = export_task(folder, args.batch)
        p_auto = pipeline("image-embedding", engine=_engine())
        _set_batch(p_auto, spec["batch"])
        batch = spec["batch"]
        data["batch"] = batch
        embedder = task.load_embedder(spec)
        prep = task.Preprocess(spec)
        pixels = [prep(task.decode(x)) for x in paths]
        batches = [pixels[i:i + batch] for i in range(0, len(pixels), batch)]
        reports: dict[str, Any] = {}

        def run_junco(pl: Any, key: str) -> None:
            res = pl.batch(paths)
            assert not res.errors, res.report.summary()
            out[key] = np.stack([r[0] for r in res])
            reports[key] = res.report

        def bare() -> None:
            out["bare"] = np.concatenate([task.embed_batch(embedder, b) for b in batches])

        def loop() -> None:
            vecs = []
            for i in range(0, len(paths), batch):
                vecs.append(task.embed_batch(embedder, [prep(task.decode(x)) for x in paths[i:i + batch]]))
            out["loop"] = np.concatenate(vecs)

        cases: dict[str, Callable[[], None]] = {
            JUNCO: lambda: run_junco(p, JUNCO),
            "bare batched forward (the limit; decode + resize not timed)": bare,
            "plain Python loop (one thread)": loop,
        }
        if args.no_towhee:
            status["towhee 1.1.3"] = "skipped: --no-towhee"
        else:
            try:
                towhee = TowheePeer(spec_path, paths, batch, folder)
                cases["towhee 1.1.3 (own venv, local operator)"] = towhee.run
                data["towhee_env"] = towhee.info
            except Exception as e:  # noqa: BLE001 - recorded as the row's status, never a number
                status["towhee 1.1.3"] = f"failed: {e}"
        try:
            cases["hf datasets.map(batched=True)"] = _datasets_case(paths, spec, embedder, out)
        except Exception as e:  # noqa: BLE001
            status["hf datasets"] = f"failed: {type(e).__name__}: {e}"
        if args.no_ray:
            status["ray data"] = "skipped: --no-ray"
        else:
            try:
                data["ray_start_s"] = start_ray()
                ray_started = True
                cases["ray data map_batches (actor)"] = _ray_case(paths, spec, out)
            except Exception as e:  # noqa: BLE001
                status["ray data"] = f"failed: {type(e).__name__}: {e}"
        cases["junco pipeline (default backend: auto)"] = lambda: run_junco(p_auto, "auto")
        if not args.main_thread:  # see bench._harness.in_thread
            cases = {k: (fn if k.startswith("towhee") else in_thread(fn)) for k, fn in cases.items()}
        data["threading"] = "main thread" if args.main_thread else "each case on a fresh worker thread"
        load0 = load_line()
        try:
            rows = measure(cases, repeats=args.repeats, units=len(paths))
            if towhee is not None:
                out["towhee"] = towhee.vectors(folder)
        finally:
            if towhee is not None:
                towhee.close()
            if ray_started:
                import ray

                ray.shutdown()
    ref = out[JUNCO]
    diffs = {k: float(np.abs(v - ref).max()) if v.shape == ref.shape else float("nan")
             for k, v in out.items() if k != JUNCO}
    by = {r["case"]: r for r in rows}
    j = by[JUNCO]["throughput"]
    for r in rows:
        r["junco_vs_this"] = j / r["throughput"]
    data.update(rows=rows, max_abs_diff=diffs, load_before=load0, load_after=load_line(),
                junco_nodes={k: {n.name: n.seconds for n in rep.nodes.values()} for k, rep in reports.items()})
    write("image_peers", sections(data), data)
    return data


def sections(data: dict[str, Any]) -> list[str]:
    """The markdown for :func:`main`'s data: the timing table, ratios, checks and junco's stage times."""
    rows = data["rows"]
    lines = [table(f"image embedding, files -> vectors: {data['images']} JPEGs (160-480 px), "
                   f"efficientnet-lite0 torch eager, batch {data['batch']}", rows), "",
             "| case | img/s (wall) | junco (torch) / this, wall | CPU s | img per CPU-second | "
             "junco (torch) / this, per CPU-second |", "|---|---:|---:|---:|---:|---:|"]
    by = {r["case"]: r for r in rows}
    jc = by[JUNCO]["per_cpu_s"]
    for r in rows:
        pc = r["per_cpu_s"]
        lines.append(f"| {r['case']} | {r['throughput']:.1f} | {r['junco_vs_this']:.2f}x | "
                     + (f"{r['cpu_s']:.2f} | {pc:.1f} | {jc / pc:.2f}x |" if pc == pc else "n/a | n/a | n/a |"))
    for name, st in data["status"].items():
        lines.append(f"| {name} | - | {st} | | | |")
    notes = [f"- machine: {data['load_before']} before, {data['load_after']} after (shared cores: compare "
             "ratios, not absolutes)",
             f"- in-process cases timed on: {data.get('threading', 'main thread')} (see bench._harness.in_thread)",
             "- largest difference from junco's vectors: "
             + ", ".join(f"{k} {v:.1e}" for k, v in data["max_abs_diff"].items())]
    if "ray_start_s" in data:
        notes.append(f"- Ray start-up (once, not timed): {data['ray_start_s']:.1f} s")
    if "towhee_env" in data:
        env = data["towhee_env"]
        notes.append(f"- Towhee venv: towhee {env.get('towhee')}, torch {env.get('torch')}, "
                     f"python {env.get('python')}, {env.get('threads')} torch threads")
    for key, nodes in data["junco_nodes"].items():
        notes.append(f"- junco stage times, last run ({key}): "
                     + ", ".join(f"{n.split(':', 1)[-1]} {s:.2f}s" for n, s in nodes.items()))
    return ["\n".join(lines), "\n".join(notes)]


def summary(data: dict[str, Any]) -> list[dict[str, str]]:
    """Rows for the combined table of ``python -m bench``: junco against each peer."""
    by = {r["case"]: r for r in data["rows"]}
    j = by[JUNCO]
    out = []
    for r in data["rows"]:
        if r["case"] == JUNCO:
            continue
        pc = r["per_cpu_s"]
        cpu = f"; per CPU-second {j['per_cpu_s'] / pc:.2f}x" if pc == pc else ""
        out.append({"comparison": f"image e2e: junco (torch) vs {r['case']}",
                    "result": f"{j['throughput']:.1f} vs {r['throughput']:.1f} img/s{cpu}",
                    "ratio": f"{r['junco_vs_this']:.2f}x"})
    for name, st in data["status"].items():
        out.append({"comparison": f"image e2e: junco (torch) vs {name}", "result": st, "ratio": "-"})
    return out


if __name__ == "__main__":
    main()
    sys.exit(0)
