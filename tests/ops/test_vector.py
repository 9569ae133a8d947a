"""Vector utilities."""

import numpy as np
import pytest
import torch

from junco import ops


@pytest.mark.parametrize("norm,expected", [("l2", 1.0), ("l1", 1.0), ("max", 1.0)])
def test_normalize(norm, expected):
    v = ops.vector.normalize(norm=norm)(np.array([3.0, -4.0, 1.0]))
    measure = {"l2": np.linalg.norm(v), "l1": np.abs(v).sum(), "max": np.abs(v).max()}[norm]
    assert v.dtype == np.float32 and measure == pytest.approx(expected)


def test_normalize_keeps_zero_vectors_and_takes_tensors_and_batches():
    assert ops.vector.normalize()([0.0, 0.0]).tolist() == [0.0, 0.0]
    t = torch.tensor([[3.0, 4.0], [0.0, 2.0]])
    np.testing.assert_allclose(ops.vector.normalize()(t), [[0.6, 0.8], [0.0, 1.0]], rtol=1e-6)


def test_bad_norm_fails_at_build():
    with pytest.raises(ValueError, match="norm"):
        ops.vector.normalize(norm="l3")


def test_to_numpy():
    out = ops.vector.to_numpy()(torch.ones(3, dtype=torch.float64, requires_grad=True))
    assert isinstance(out, np.ndarray) and out.dtype == np.float32 and out.tolist() == [1.0, 1.0, 1.0]
