"""The ``junco`` command.

Every command takes ``--help``; most take ``--json`` (machine-readable output on stdout) and
``--quiet``. Progress bars show on a terminal only. Exit codes: 0 success, 1 failure (including some
inputs that failed: each is reported on stderr with its id), 2 usage error or a feature that is not
installed, 130 interrupted.

Example:
    >>> main(["--version"])  # doctest: +SKIP
    0
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

# command -> (module, add-arguments function, run function, one-line help); modules import lazily
COMMANDS: dict[str, tuple[str, str, str, str]] = {
    "embed": ("_embed", "add_arguments", "run", "embed files, globs, stdin or texts -> JSONL / Parquet"),
    "index": ("_store", "add_index_arguments", "run_index", "build or update a vector store from files"),
    "search": ("_store", "add_search_arguments", "run_search", "search a vector store by text, image or vector"),
    "train": ("_apps", "add_train_arguments", "run_train", "fine-tune a model from a TrainingConfig file"),
    "eval": ("_apps", "add_passthrough_arguments", "run_eval", "model / layer selection, drift, duplicates"),
    "serve": ("_serve", "add_arguments", "run", "serve a pipeline over HTTP (batching, search page)"),
    "demo": ("_apps", "add_passthrough_arguments", "run_demo", "the reverse image search demo"),
    "models": ("_info", "add_models_arguments", "run_models", "the models and pipelines installed here"),
    "doctor": ("_info", "add_doctor_arguments", "run_doctor", "check this environment (torch, device, extras)"),
}
PASSTHROUGH = {"eval", "demo"}  # their own parsers read every argument, --help included

EPILOG = "exit codes: 0 ok, 1 failure (or some inputs failed), 2 usage / not installed, 130 interrupted"


def _module(name: str) -> object:
    return importlib.import_module(f"junco.cli.{name}")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every command (imports only the light command modules)."""
    from junco import __version__

    parser = argparse.ArgumentParser(prog="junco", description="junco: embedding applications in a few lines.",
                                     epilog=EPILOG)
    parser.add_argument("--version", action="version", version=f"junco {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (mod, add, _, help_) in COMMANDS.items():
        if name in PASSTHROUGH:
            sp = sub.add_parser(name, help=help_, description=help_, add_help=False)
        else:
            sp = sub.add_parser(name, help=help_, description=help_, epilog=EPILOG)
            sp.add_argument("--json", action="store_true", help="machine-readable output on stdout")
            sp.add_argument("-q", "--quiet", action="store_true", help="no progress bars or notes")
        getattr(_module(mod), add)(sp)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``junco`` command line; returns the exit code.

    Args:
        argv: the arguments (default ``sys.argv[1:]``).

    Returns:
        0 on success, 1 on failure, 2 on a usage error, 130 when interrupted.
    """
    from junco.cli._common import CliError

    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if argv and argv[0] in PASSTHROUGH:  # hand every later argument on untouched
        args = argparse.Namespace(command=argv[0], args=argv[1:], json=False, quiet=False)
    else:
        try:
            args = parser.parse_args(argv)
        except SystemExit as e:  # --help / --version (0) or a usage error (2)
            return int(e.code or 0)
    if not args.command:
        parser.print_help()
        return 2
    if getattr(args, "quiet", False) or not sys.stderr.isatty():  # quiet when piped: hub/tqdm bars too
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TQDM_DISABLE", "1")
    mod, _, run, _ = COMMANDS[args.command]
    try:
        return int(getattr(_module(mod), run)(args) or 0)
    except CliError as e:
        print(f"junco {args.command}: error: {e}", file=sys.stderr)
        return e.code
    except KeyboardInterrupt:
        print(f"junco {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `junco embed ... | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as e:  # noqa: BLE001 - one readable line; JUNCO_DEBUG=1 for the traceback
        if os.environ.get("JUNCO_DEBUG"):
            raise
        print(f"junco {args.command}: error: {type(e).__name__}: {e}", file=sys.stderr)
        return 1


__all__ = ["COMMANDS", "build_parser", "main"]
