"""Checker for the exercise in templates/chapter.md: copy this file for a new chapter."""

import torch

from nnbook.checks import checker, expect_close, expect_tensor


@checker
def check_row_means(means, X: torch.Tensor):
    """`means` must hold the mean of each row of `X`, shape (N,)."""
    expected = X.mean(dim=1)
    means = expect_tensor(means, "means", shape=expected.shape, dtype=expected.dtype)
    expect_close(means, expected, "means")
    return "`dim=1` averages across each row."
