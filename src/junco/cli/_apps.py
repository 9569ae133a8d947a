"""Commands that hand over to another part of junco: ``train``, ``eval`` and ``demo``."""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path
from typing import Any

from junco.cli._common import OK, USAGE, CliError, emit, parse_sets


def _module(name: str, what: str) -> Any:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as e:
        if e.name and (e.name == name or name.startswith(e.name + ".")):
            raise CliError(f"`junco {what}` is not available in this installation ({name} is missing)",
                           USAGE) from None
        raise CliError(f"`junco {what}` needs {e.name}, which is not installed: "
                       f"pip install \"junco[{_extra(e.name or '')}]\"", USAGE) from None


def _extra(module: str) -> str:
    return {"sklearn": "train", "torchmetrics": "train", "torch": "image", "timm": "image"}.get(module, "all")


def add_train_arguments(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("config", help="a TrainingConfig file (.yaml or .json): optimization, schedule, data, ...")
    sp.add_argument("--train-data", required=True, metavar="DIR",
                    help="a folder with one sub-folder of images per class")
    sp.add_argument("--eval-data", metavar="DIR", help="validation folder (default: a stratified split of "
                                                       "--train-data, the config's val_fraction)")
    sp.add_argument("--model", help="image model to fine-tune (default: the best installed)")
    sp.add_argument("--op", help="any registered model operator instead, e.g. image-embedding/timm")
    sp.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="an operator argument (value as JSON when it parses), repeatable")
    sp.add_argument("--num-classes", type=int, help="classifier size (default: the number of class folders)")
    sp.add_argument("--output-dir", help="override the config's output_dir")
    sp.add_argument("--save", metavar="DIR", help="save the trained operator (ModelOperator.load(DIR) reads it)")


def _classes(folder: Path) -> int:
    return sum(1 for d in folder.iterdir() if d.is_dir() and not d.name.startswith("."))


def run_train(args: argparse.Namespace) -> int:
    trainer = _module("junco.trainer", "train")
    config_cls = getattr(trainer, "TrainingConfig", None)
    if config_cls is None:
        raise CliError("`junco train` is not available: junco.trainer has no TrainingConfig", USAGE)
    path, data = Path(args.config), Path(args.train_data)
    for p, what in ((path, "config"), (data, "--train-data")):
        if not p.exists():
            raise CliError(f"{what} {p}: no such file or folder", USAGE)
    try:
        cfg = config_cls.load(path)
        if args.output_dir:
            cfg = cfg.replace(output_dir=args.output_dir)
    except (ValueError, TypeError, KeyError) as e:
        raise CliError(f"{path}: {e}", USAGE) from None
    kw = parse_sets(args.set)
    if getattr(cfg.task, "value", cfg.task) == "classification":
        kw.setdefault("num_classes", args.num_classes or _classes(data))
    if args.op:
        from junco.ops import create

        op = create(args.op, **kw)
    else:
        from junco.pipelines.image import default_image_model, image_embedding_op

        op = image_embedding_op(args.model or default_image_model(), **kw)
    result = op.train(cfg, train_dataset=str(data), eval_dataset=args.eval_data)
    if args.save:
        op.save(args.save)
    out = result.to_dict() if hasattr(result, "to_dict") else dict(getattr(result, "__dict__", {}))
    out = {k: v for k, v in out.items() if k not in ("history", "trainer")}
    out.update(saved_to=args.save, output_dir=getattr(cfg, "output_dir", None))
    emit(out, as_json=args.json, text="\n".join(f"{k}: {v}" for k, v in out.items()))
    return OK


def add_passthrough_arguments(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the command (see its --help)")


def run_eval(args: argparse.Namespace) -> int:
    ev = _module("junco.eval", "eval")
    main = getattr(ev, "main", None)
    if main is None:
        cli = _module("junco.eval.cli", "eval")
        main = getattr(cli, "main", None)
    if main is None:
        raise CliError("`junco eval` is not available: junco.eval has no main()", USAGE)
    return int(main(_forward(args)) or 0)


def run_demo(args: argparse.Namespace) -> int:
    demo = _module("junco.demo", "demo")
    main = getattr(demo, "main", None)
    if main is None:
        raise CliError("`junco demo` is not available: junco.demo has no main()", USAGE)
    return int(main(_forward(args)) or 0)


def _forward(args: argparse.Namespace) -> list[str]:
    """Everything after the command name, handed on as is (a leading ``--`` is dropped)."""
    rest = list(args.args)
    return rest[1:] if rest[:1] == ["--"] else rest
