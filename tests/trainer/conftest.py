"""Data that ships offline, kept tiny: scikit-learn digits and a few conformal-clip-data textiles."""

import importlib.util
import warnings
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """One torch thread: on a shared 2-core machine oversubscribed threads make tiny models ~10x slower."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def digits():
    """Digits 8x8 as (1, 8, 8) float arrays in [0, 1], and integer labels."""
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    return (x / 16.0).astype("float32").reshape(-1, 1, 8, 8), y.astype(int)


def textile_root() -> Path:
    spec = importlib.util.find_spec("conformal_clip_data")
    if spec is None:
        pytest.skip('needs conformal-clip-data (pip install "junco[data]")')
    return Path(list(spec.submodule_search_locations)[0]) / "data" / "textile_images" / "simulated"


@pytest.fixture(scope="session")
def textiles():
    """``per_class`` sorted paths per class -> list of (path, class name)."""

    def take(per_class: int, offset: int = 0):
        root = textile_root()
        out = []
        for cls in ("global", "local", "nominal"):
            files = sorted((root / cls).glob("*.jpg"))[offset:offset + per_class]
            out += [(str(f), cls) for f in files]
        return out

    return take


def small_cfg(tmp_path, **kw):
    from junco.trainer import TrainingConfig

    base = dict(output_dir=str(tmp_path / "run"), tensorboard=False, plots=False, progress_bar=False)
    base.update(kw)
    return TrainingConfig(**base)


@pytest.fixture
def cfg(tmp_path):
    return lambda **kw: small_cfg(tmp_path, **kw)


def mlp(seed: int = 0, dim: int = 32):
    import torch

    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, dim), torch.nn.ReLU())


@pytest.fixture
def make_mlp():
    return mlp


