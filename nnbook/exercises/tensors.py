"""Checkers for the exercises of the chapter *Tensors* (book/tensors.md)."""

import numpy as np
import torch

from nnbook.checks import AnswerError, checker, expect_close, expect_tensor


@checker
def check_matmul_by_broadcasting(Y, X: torch.Tensor, W: torch.Tensor):
    """`Y` must equal `X @ W`, computed with `*`, broadcasting and `.sum` only."""
    expected = X @ W
    Y = expect_tensor(Y, "Y", shape=expected.shape, dtype=expected.dtype)
    expect_close(Y, expected, "Y")
    return "Multiply, broadcast, sum over the shared axis: that is all `@` does."


@checker
def check_independent_copy(t, a: np.ndarray):
    """`t` must hold the values of `a` (same dtype) in memory of its own."""
    reference = torch.from_numpy(a)
    t = expect_tensor(t, "t", shape=reference.shape, dtype=reference.dtype)
    if not torch.equal(t.detach().cpu(), reference):
        raise AnswerError(
            "`t` holds different values from `a`: copy the values without changing them"
        )
    if t.device.type == "cpu" and np.shares_memory(t.detach().numpy(), a):
        raise AnswerError(
            "`t` shares memory with `a`, so changing one changes the other: "
            "use torch.tensor(a) or torch.from_numpy(a).clone()"
        )
    return "`t` is a copy: changing `a` no longer changes `t`."
