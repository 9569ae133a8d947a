"""What every command shares: errors and exit codes, JSON output, progress, inputs, pipelines."""

from __future__ import annotations

import glob
import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

OK, FAILED, USAGE = 0, 1, 2
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff"}
TEXT_SUFFIXES = {".txt", ".md", ".csv", ".tsv"}


class CliError(Exception):
    """A failure to report in one line, with its exit code (1 failure, 2 usage / not available)."""

    def __init__(self, message: str, code: int = FAILED):
        self.code = code
        super().__init__(message)


def emit(data: Any, *, as_json: bool, text: str | None = None) -> None:
    """Print ``data`` as JSON (``--json``) or ``text`` for people."""
    if as_json:
        print(json.dumps(data, indent=2, default=_default))
    elif text is not None:
        print(text)


def _default(x: Any) -> Any:
    if hasattr(x, "tolist"):
        return x.tolist()
    if isinstance(x, Path):
        return str(x)
    return repr(x)


def say(message: str, *, quiet: bool = False) -> None:
    """A note for people, on stderr (stdout stays clean for data)."""
    if not quiet:
        print(message, file=sys.stderr)


def progress(total: int | None, *, quiet: bool, label: str = "junco") -> Any:
    """A rich progress bar on a terminal; a no-op when stderr is piped or ``--quiet``."""
    if quiet or not sys.stderr.isatty():
        return _NoProgress()
    from rich.progress import Progress

    p = Progress(transient=True)
    return _RichProgress(p, p.add_task(label, total=total))


class _NoProgress:
    def __enter__(self) -> _NoProgress:
        return self

    def __exit__(self, *a: Any) -> None:
        pass

    def advance(self, n: int) -> None:
        pass


class _RichProgress(_NoProgress):
    def __init__(self, p: Any, task: Any):
        self.p, self.task = p, task

    def __enter__(self) -> _RichProgress:
        self.p.start()
        return self

    def __exit__(self, *a: Any) -> None:
        self.p.stop()

    def advance(self, n: int) -> None:
        self.p.update(self.task, advance=n)


# -- inputs -----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Source:
    """One input to embed: its id, the value handed to the pipeline, and metadata for a store."""

    id: str
    value: Any
    metadata: dict[str, Any]


def expand(patterns: list[str]) -> list[str]:
    """Files named by paths, globs (``**`` recursive) and folders (their files, recursively), sorted;
    ``-`` is kept for stdin. A pattern that matches nothing is an error."""
    out: list[str] = []
    for pat in patterns:
        if pat == "-":
            out.append(pat)
            continue
        if os.path.isdir(pat):
            found = sorted(str(p) for p in Path(pat).rglob("*") if p.is_file())
        elif glob.has_magic(pat):
            found = sorted(p for p in glob.glob(pat, recursive=True) if os.path.isfile(p))
        else:
            found = [pat] if os.path.isfile(pat) else []
        if not found:
            raise CliError(f"{pat}: no such file (or the glob matches no file)", USAGE)
        out.extend(found)
    return out


def sources(files: list[str], texts: list[str], modality: str) -> Iterator[Source]:
    """Pipeline inputs: image files by path; text files, stdin and ``--text`` one line per item."""
    for i, t in enumerate(texts):
        yield Source(f"text:{i}", t, {"text": t})
    for f in files:
        if modality == "image":
            if f == "-":
                for line in sys.stdin:
                    if line.strip():
                        yield Source(line.strip(), line.strip(), {"path": line.strip()})
            else:
                yield Source(f, f, {"path": f})
            continue
        stream = sys.stdin if f == "-" else open(f, encoding="utf-8", errors="replace")
        name = "stdin" if f == "-" else f
        try:
            for n, line in enumerate(stream, 1):
                line = line.rstrip("\n")
                if not line.strip():
                    continue
                value: Any = line
                if modality == "json":
                    try:
                        value = json.loads(line)
                    except json.JSONDecodeError:
                        pass
                yield Source(f"{name}:{n}", value, {"text": line} if modality == "text" else {})
        finally:
            if stream is not sys.stdin:
                stream.close()


def default_pipeline(files: list[str], texts: list[str]) -> str:
    """``text-embedding`` for text inputs, else ``image-embedding``."""
    if texts or (files and all(f == "-" or Path(f).suffix.lower() in TEXT_SUFFIXES for f in files)):
        return "text-embedding"
    return "image-embedding"


def parse_sets(pairs: list[str]) -> dict[str, Any]:
    """``["backend=torch", "top_k=3"]`` -> ``{"backend": "torch", "top_k": 3}`` (values as JSON when they
    parse); a pair without ``=`` is a usage error."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise CliError(f"--set takes KEY=VALUE, got {pair!r}", USAGE)
        try:
            out[key] = json.loads(raw)
        except json.JSONDecodeError:
            out[key] = raw
    return out


def load_pipeline(name: str, modality: str | None = None, *, prefer: str = "image",
                  overrides: dict[str, Any] | None = None) -> tuple[Any, str]:
    """The pipeline and its input modality; unknown names are a usage error with the closest names.

    A text-image space (``text-image-search``, ``text-image-embedding``) gives its ``modality`` side, else
    the ``prefer`` side: texts and images embed into one space, with one fingerprint.
    """
    from junco.pipeline import pipeline
    from junco.serve._model import guess_modality, shared_space_model, shared_space_pipeline

    try:
        if shared_space_model(name) is not None:
            modality = modality or prefer
            p = shared_space_pipeline(name, modality, **(overrides or {}))
        else:
            p = pipeline(name, **(overrides or {}))
    except KeyError as e:
        raise CliError(str(e.args[0]) if e.args else str(e), USAGE) from None
    except TypeError as e:  # an override the pipeline does not take
        raise CliError(f"{name}: {e}", USAGE) from None
    if hasattr(p.engine, "progress"):
        p.engine.progress = False  # the command shows its own bar over the whole job
    return p, modality or guess_modality(name, p)


def fingerprint_of(p: Any) -> tuple[Any, str | None]:
    """The fingerprint stored with ``p``'s vectors (its model operator's) and its short hash."""
    import hashlib

    from junco.serve._model import vector_fingerprint

    fp = vector_fingerprint(p)
    if fp is None:
        return None, None
    text = json.dumps(fp, sort_keys=True, default=str)
    return fp, hashlib.sha256(text.encode()).hexdigest()[:16]
