"""The Towhee 1.1.3 peer, run by ``bench/image_peers.py`` inside ``bench/.venv-towhee`` (never imported
by junco's own venv).

The job is built the Towhee way: the model is a local operator (``@register`` then ``ops.<name>()``),
rows flow through ``pipe.input -> flat_map -> map(decode) -> map(preprocess) -> window(batch) ->
flat_map -> output``, and Towhee runs each node in its own thread. The per-row functions and the model
come from ``bench/_image_task.py``, like every other peer.

Protocol (lines, so the parent can alternate runs A B A B ... with a live process): it prints
``@@ {"ready": ...}`` once the pipeline is built; then for each ``run`` line on stdin it runs the whole
job once and prints ``@@ {"seconds": ..., "cpu_s": ..., "rows": ...}``; ``dump PATH`` saves the last
vectors (``.npy``); ``quit`` ends. Any failure prints ``@@ {"error": ...}``.

Usage: ``bench/.venv-towhee/bin/python bench/_towhee_worker.py SPEC.json PATHS.txt BATCH``.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _image_task as task  # noqa: E402  (this file runs as a script in the Towhee venv)


def say(obj: dict) -> None:
    print("@@ " + json.dumps(obj), flush=True)


def build(spec_path: str, batch: int):
    from importlib.metadata import version

    from towhee import ops, pipe, register

    spec = task.load_spec(spec_path)

    @register(name="junco-bench/effnet-embed")
    class EffnetEmbed:
        """The shared model as a local Towhee operator: a window of pixel arrays -> a list of vectors."""

        def __init__(self, spec_path: str):
            self.model = task.load_embedder(task.load_spec(spec_path))

        def __call__(self, pixels: list) -> list:
            return list(task.embed_batch(self.model, pixels))

    prep = task.Preprocess(spec)
    p = (pipe.input("paths")
         .flat_map("paths", "path", lambda paths: paths)
         .map("path", "img", task.decode)
         .map("img", "pix", prep)
         .window("pix", "vecs", batch, batch, ops.junco_bench.effnet_embed(spec_path=spec_path))
         .flat_map("vecs", "vec", lambda vecs: vecs)
         .output("vec"))
    return p, version("towhee")


def main() -> int:
    spec_path, paths_file, batch = sys.argv[1], sys.argv[2], int(sys.argv[3])
    try:
        import numpy as np
        import torch

        paths = [line for line in open(paths_file).read().splitlines() if line]
        p, version = build(spec_path, batch)
        say({"ready": True, "towhee": version, "torch": torch.__version__, "numpy": np.__version__,
             "python": sys.version.split()[0], "threads": torch.get_num_threads()})
    except Exception as e:  # noqa: BLE001 - reported to the parent as the row's status
        say({"error": f"{type(e).__name__}: {e}", "trace": traceback.format_exc()[-2000:]})
        return 1
    last = None
    for line in sys.stdin:
        cmd = line.strip()
        try:
            if cmd == "run":
                t, c = time.perf_counter(), time.process_time()
                last = p(paths).to_list()
                say({"seconds": time.perf_counter() - t, "cpu_s": time.process_time() - c, "rows": len(last)})
            elif cmd.startswith("dump "):
                np.save(cmd[5:], np.stack([row[0] for row in last or []]))
                say({"dumped": cmd[5:]})
            elif cmd == "quit":
                break
            else:
                say({"error": f"unknown command {cmd!r}"})
        except Exception as e:  # noqa: BLE001
            say({"error": f"{type(e).__name__}: {e}", "trace": traceback.format_exc()[-2000:]})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
