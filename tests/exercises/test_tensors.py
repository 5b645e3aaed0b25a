"""The checkers of book/tensors.md accept right answers and explain wrong ones."""

import numpy as np
import torch

from nnbook.exercises import tensors

X = torch.arange(12.0).reshape(4, 3)
W = torch.tensor([[1.0, -1.0], [0.5, 2.0], [-2.0, 0.0]])


def test_matmul_by_broadcasting_checker():
    assert tensors.check_matmul_by_broadcasting(X @ W, X, W)
    verdict = tensors.check_matmul_by_broadcasting((X[:, :, None] * W).sum(dim=2), X, W)
    assert not verdict and "shape (4, 3)" in repr(verdict) and "(4, 2)" in repr(verdict)
    assert "still `...`" in repr(tensors.check_matmul_by_broadcasting(..., X, W))
    assert "largest difference" in repr(
        tensors.check_matmul_by_broadcasting(X @ W + 1, X, W)
    )


def test_independent_copy_checker():
    a = np.linspace(0.0, 1.0, 6).reshape(2, 3)
    assert tensors.check_independent_copy(torch.tensor(a), a)
    assert "shares memory" in repr(
        tensors.check_independent_copy(torch.from_numpy(a), a)
    )
    assert "dtype torch.float32" in repr(
        tensors.check_independent_copy(torch.tensor(a).float(), a)
    )
    assert "NumPy array" in repr(tensors.check_independent_copy(a.copy(), a))
    assert "different values" in repr(
        tensors.check_independent_copy(torch.tensor(a) * 2, a)
    )
