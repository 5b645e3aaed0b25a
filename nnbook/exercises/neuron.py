"""Checkers for the exercises of the chapter *The artificial neuron* (book/neuron.md)."""

import torch

from nnbook.checks import (
    AnswerError,
    checker,
    expect_close,
    expect_number,
    expect_tensor,
)

AND_INPUTS = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
AND_TARGETS = torch.tensor([0.0, 0.0, 0.0, 1.0])


def step(z: torch.Tensor) -> torch.Tensor:
    """The binary step activation: 1 where z >= 0, else 0 (as in the chapter)."""
    return (z >= 0).to(z.dtype)


@checker
def check_and_neuron(w, b):
    """A step neuron with weights `w` (2,) and bias `b` (a scalar) must compute logical AND."""
    w = expect_tensor(w, "w", shape=(2,), dtype=torch.float32)
    if isinstance(b, torch.Tensor):
        b = expect_tensor(b, "b", shape=(), dtype=torch.float32)
    else:  # a plain number is a bias too
        b = torch.tensor(expect_number(b, "b"), dtype=torch.float32)
    outputs = step(AND_INPUTS @ w.detach().cpu() + b.detach().cpu())
    for x, out, target in zip(AND_INPUTS, outputs, AND_TARGETS, strict=True):
        if out != target:
            z = (x @ w.detach().cpu() + b.detach().cpu()).item()
            raise AnswerError(
                f"for input {x.int().tolist()} the neuron computes z = {z:.3g} and outputs "
                f"{int(out)}, but AND gives {int(target)}"
            )
    return "Any w and b with w1 + w2 + b >= 0 and every other sum below 0 work; yours is one."


@checker
def check_two_layer_forward(y_hat, X, W1, b1, W2, b2):
    """`y_hat` must be sigmoid(sigmoid(X @ W1 + b1) @ W2 + b2)."""
    expected = torch.sigmoid(torch.sigmoid(X @ W1 + b1) @ W2 + b2)
    y_hat = expect_tensor(y_hat, "y_hat", shape=expected.shape, dtype=expected.dtype)
    expect_close(y_hat, expected, "y_hat")
    return "That is a complete forward pass through a two-layer network."
