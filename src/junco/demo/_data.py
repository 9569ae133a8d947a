"""Image sets that ship offline: labelled textiles (conformal-clip-data) and bundled sample photos."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# (name, loader) pairs of colour photos that ship inside installed packages (no download)
_SKIMAGE_PHOTOS = ["astronaut", "chelsea", "coffee", "rocket", "hubble_deep_field", "retina",
                   "motorcycle_left", "immunohistochemistry"]


@dataclass(frozen=True)
class Item:
    """One image on disk with its label (a class, or the photo it was cropped from)."""

    path: str
    label: str


def textiles(per_class: int, held_out: int) -> tuple[list[Item], list[Item]]:
    """The labelled textile images: ``per_class`` per class to index, ``held_out`` per class as queries.

    Raises:
        ModuleNotFoundError: the ``conformal-clip-data`` package is not installed (``junco[data]``).
    """
    spec = importlib.util.find_spec("conformal_clip_data")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError('the demo images need `pip install "junco[data]"` (conformal-clip-data)')
    root = Path(list(spec.submodule_search_locations)[0]) / "data" / "textile_images" / "simulated"
    db: list[Item] = []
    queries: list[Item] = []
    for cls_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        files = sorted(cls_dir.glob("*.jpg"))
        # every k-th file is held out, so queries spread over the class
        step = max(2, len(files) // max(held_out, 1))
        q = files[::step][:held_out]
        rest = [f for f in files if f not in set(q)][:per_class]
        db += [Item(str(f), cls_dir.name) for f in rest]
        queries += [Item(str(f), cls_dir.name) for f in q]
    return db, queries


def _photo_arrays() -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    try:
        import skimage.data as skd

        for name in _SKIMAGE_PHOTOS:
            try:
                img = getattr(skd, name)()
            except Exception:  # a fetcher that would need the network: skip it
                continue
            if img.ndim == 3 and img.shape[2] >= 3:
                out[name] = img[..., :3]
    except ImportError:
        pass
    try:
        from sklearn.datasets import load_sample_images

        imgs = load_sample_images()
        for fname, img in zip(imgs.filenames, imgs.images):
            out[Path(fname).stem] = img
    except ImportError:
        pass
    try:
        import matplotlib.cbook as cbook

        with cbook.get_sample_data("grace_hopper.jpg") as f:
            from PIL import Image

            out["grace_hopper"] = np.asarray(Image.open(f).convert("RGB"))
    except Exception:
        pass
    return out


def photos(folder: Path, *, crops_per_photo: int, seed: int = 0) -> tuple[list[Item], list[Item]]:
    """Write the bundled photos as JPEGs, and augmented crops of them (flip, brightness) as queries."""
    import cv2

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    db, queries = [], []
    for name, rgb in sorted(_photo_arrays().items()):
        rgb = np.ascontiguousarray(rgb.astype(np.uint8))
        path = folder / f"{name}.jpg"
        cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        db.append(Item(str(path), name))
        h, w = rgb.shape[:2]
        for k in range(crops_per_photo):
            frac = rng.uniform(0.55, 0.8)
            ch, cw = int(h * frac), int(w * frac)
            y, x = rng.integers(0, h - ch + 1), rng.integers(0, w - cw + 1)
            crop = rgb[y:y + ch, x:x + cw].astype(np.float32) * rng.uniform(0.8, 1.2)
            crop = np.clip(crop, 0, 255).astype(np.uint8)
            if k % 2:
                crop = crop[:, ::-1]
            qpath = folder / "queries" / f"{name}_crop{k}.jpg"
            qpath.parent.mkdir(exist_ok=True)
            cv2.imwrite(str(qpath), cv2.cvtColor(np.ascontiguousarray(crop), cv2.COLOR_RGB2BGR))
            queries.append(Item(str(qpath), name))
    return db, queries
