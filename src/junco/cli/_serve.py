"""``junco serve``: any pipeline over HTTP, with dynamic batching and the search page."""

from __future__ import annotations

import argparse

from junco.cli._common import USAGE, CliError, parse_sets, say


def add_arguments(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("pipeline", help="named pipeline (text-embedding, image-embedding, ...) or a spec file")
    sp.add_argument("--index", metavar="URI", help="store to search and write (store.db, faiss://DIR, ...)")
    sp.add_argument("--root", action="append", default=[], metavar="DIR",
                    help="a folder the service may read files from (repeatable); no other path is opened")
    sp.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    sp.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    sp.add_argument("--modality", choices=("text", "image", "json"), help="input kind (default: guessed)")
    sp.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="a pipeline option, e.g. backend=torch (repeatable)")
    g = sp.add_argument_group("dynamic batching")
    g.add_argument("--max-batch-size", type=int, default=32, help="inputs per model call (1 = off; default 32)")
    g.add_argument("--max-wait-ms", type=float, default=5.0,
                   help="how long a lone input waits for company (default 5)")
    g.add_argument("--max-queue", type=int, default=1024, help="queued inputs before 503 (default 1024)")
    g.add_argument("--timeout", type=float, default=30.0, help="request deadline in seconds (default 30)")
    g = sp.add_argument_group("limits")
    g.add_argument("--max-body-mb", type=float, default=20.0, help="largest request body (default 20 MB)")
    g.add_argument("--max-image-pixels", type=int, default=40_000_000, help="largest image, w*h (default 40M)")
    g.add_argument("--min-image-side", type=int, default=8, help="smallest image side (default 8)")
    sp.add_argument("--log-level", default="warning", choices=("debug", "info", "warning", "error"))


def run(args: argparse.Namespace) -> int:
    try:
        from junco.serve import Batching, Limits, ServeConfig, serve
        from junco.serve._server import build_service  # noqa: F401 - fail now if the extra is missing
    except ModuleNotFoundError as e:
        raise CliError(str(e), USAGE) from None
    try:
        cfg = ServeConfig(args.pipeline, index=args.index, roots=tuple(args.root), modality=args.modality,
                          options=parse_sets(args.set),
                          host=args.host, port=args.port,
                          limits=Limits(max_body_bytes=int(args.max_body_mb * 1024 * 1024),
                                        max_image_pixels=args.max_image_pixels, min_image_side=args.min_image_side),
                          batching=Batching(max_batch_size=args.max_batch_size, max_wait_s=args.max_wait_ms / 1000,
                                            max_queue=args.max_queue, timeout_s=args.timeout))
    except ValueError as e:
        raise CliError(str(e), USAGE) from None
    for r in cfg.roots:
        if not r.is_dir():
            raise CliError(f"--root {r}: not a folder", USAGE)
    say(f"junco serve {args.pipeline} on http://{args.host}:{args.port} (search page at /, API docs at /docs)",
        quiet=args.quiet)
    try:
        serve(cfg, log_level=args.log_level)
    except KeyError as e:
        raise CliError(str(e.args[0]) if e.args else str(e), USAGE) from None
    except TypeError as e:  # an option the pipeline does not take
        raise CliError(f"{args.pipeline}: {e}", USAGE) from None
    return 0
