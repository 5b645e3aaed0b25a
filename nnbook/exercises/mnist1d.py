"""Checkers for the exercises of the chapter *MNIST-1D: reproducing a paper's table* (book/mnist1d.md)."""

import numbers

import torch
import torch.nn.functional as F

from nnbook.checks import (
    AnswerError,
    checker,
    expect_callable,
    expect_close,
    expect_tensor,
    reader_code,
)

# (L, kernel_size, stride, padding): the chapter's three layers, then cases that catch other slips.
CONV_CASES = [
    (40, 5, 2, 1),
    (19, 3, 2, 1),
    (10, 3, 2, 1),
    (40, 3, 1, 0),
    (40, 3, 1, 1),
    (28, 5, 1, 2),
    (33, 4, 3, 2),
    (7, 7, 1, 0),
]


def conv_length(L: int, kernel_size: int, stride: int, padding: int) -> int:
    """The output length that nn.Conv1d really produces, measured on a signal of zeros."""
    x = torch.zeros(1, 1, L)
    weight = torch.zeros(1, 1, kernel_size)
    return F.conv1d(x, weight, stride=stride, padding=padding).shape[-1]


@checker
def check_conv_out_len(conv_out_len):
    """`conv_out_len(L, kernel_size, stride, padding)` must give nn.Conv1d's output length."""
    conv_out_len = expect_callable(conv_out_len, "conv_out_len")
    for L, k, s, p in CONV_CASES:
        case = f"L={L}, kernel_size={k}, stride={s}, padding={p}"
        with reader_code(f"conv_out_len({L}, {k}, {s}, {p})"):
            got = conv_out_len(L, k, s, p)
        if (
            isinstance(got, torch.Tensor)
            and got.numel() == 1
            and not got.is_floating_point()
        ):
            got = int(got.item())
        expected = conv_length(L, k, s, p)
        if isinstance(got, float | torch.Tensor) or not isinstance(
            got, numbers.Integral
        ):
            raise AnswerError(
                f"for {case} your function returns {got!r}, not a whole number: a length is an "
                "int, so divide with // (floor division) and not with /"
            )
        if got != expected:
            raise AnswerError(
                f"for {case} your function gives {got}, but nn.Conv1d outputs {expected}: the "
                "length is floor((L + 2 * padding - kernel_size) / stride) + 1"
            )
    return "That is the formula nn.Conv1d uses, for every stride and padding."


@checker
def check_shuffled_weight(W_shuffled, weight, perm):
    """`W_shuffled` must make `F.linear(X[:, perm], W_shuffled, b)` equal `F.linear(X, weight, b)`."""
    weight = weight.detach().cpu()
    perm = perm.detach().cpu()
    W_shuffled = expect_tensor(
        W_shuffled, "W_shuffled", shape=weight.shape, dtype=weight.dtype
    )
    W_shuffled = W_shuffled.detach().cpu()
    if torch.equal(W_shuffled, weight) and not torch.equal(
        perm, torch.arange(len(perm))
    ):
        raise AnswerError(
            "`W_shuffled` is the original weight: the inputs moved, so its columns must move too"
        )
    inverse = torch.argsort(perm)
    if torch.equal(W_shuffled, weight[:, inverse]) and not torch.equal(inverse, perm):
        raise AnswerError(
            "you used the inverse permutation: shuffled position j holds original position "
            "perm[j], so column j of `W_shuffled` must be column perm[j] of `weight`"
        )
    X = torch.randn(8, weight.shape[1], generator=torch.Generator().manual_seed(0))
    expected = X @ weight.T
    got = X[:, perm] @ W_shuffled.T
    expect_close(got, expected, "X[:, perm] @ W_shuffled.T", atol=1e-4, rtol=1e-4)
    return "Moving the columns of the weight undoes the shuffle exactly: the MLP cannot tell."
