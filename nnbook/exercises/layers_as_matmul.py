"""Checkers for the exercises of the chapter *A layer is a matrix multiplication*.

The chapter is book/layers_as_matmul.md.
"""

import itertools

import torch

from nnbook.checks import (
    AnswerError,
    checker,
    expect_callable,
    expect_number,
    expect_tensor,
    reader_code,
)

INPUT = torch.tensor([0.0, 1.0, 0.0, 1.0])
TARGET = torch.tensor([1.0, 0.0, 1.0, 0.0])
TOLERANCE = 1e-4

# Layer sizes on which the reader's `count_parameters` is tried, from input to output.
SIZES = ([3, 20, 8], [784, 128, 64, 10], [4, 4], [1, 1], [5, 3, 3, 2, 7])


@checker
def check_weights_for_target(W):
    """`W`, a (4, 4) weight matrix, must map the input [0, 1, 0, 1] to [1, 0, 1, 0].

    Every such `W` is accepted: the checker tests the product `x @ W`, not the entries, with an
    absolute tolerance of 1e-4 for float rounding. Many answers are right, because only rows 1 and 3
    meet a non-zero input, and only their sum matters.

    The dtype must be float32, as for every weight in the book. An integer tensor, such as
    `torch.tensor([[0, 0, 0, 0], ...])`, gets the standard dtype message (write `1.0`, not `1`, or
    call `.float()`): weights are learned in small steps, so they must be floats, and `x @ W` needs
    `x` and `W` in the same dtype. Integers are not converted silently, so the reader learns this here.
    """
    W = expect_tensor(W, "W", shape=(4, 4), dtype=torch.float32).detach().cpu()
    if not torch.isfinite(W).all():
        raise AnswerError("`W` contains inf: every weight must be a finite number")
    out = INPUT @ W
    for j, (got, wanted) in enumerate(zip(out.tolist(), TARGET.tolist(), strict=True)):
        if abs(got - wanted) > TOLERANCE:
            raise AnswerError(
                f"entry {j} of x @ W is {got:.4g} (that is W[1, {j}] + W[3, {j}]), "
                f"but the target wants {wanted:.4g}"
            )
    return "Only rows 1 and 3 meet a non-zero input: any W with W[1] + W[3] = [1, 0, 1, 0] works."


def _parameter_count(sizes) -> int:
    """Weights and biases of the fully connected layers between consecutive sizes."""
    return sum(n_in * n_out + n_out for n_in, n_out in itertools.pairwise(sizes))


@checker
def check_count_parameters(count_parameters):
    """`count_parameters(sizes)` must return the number of parameters of a fully connected network.

    `sizes` lists the layer sizes from input to output, e.g. [3, 20, 8] for 3 -> 20 -> 8. The function
    is called on several lists; it may return an int (a NumPy integer is fine) or a one-element
    integer tensor. Floats are rejected, because a count is a whole number.
    """
    fn = expect_callable(count_parameters, "count_parameters")
    for sizes in SIZES:
        call = f"count_parameters({list(sizes)})"
        with reader_code(call):
            # A fresh list each time, so that a function that changes its argument harms nothing.
            result = fn(list(sizes))
        got = expect_number(result, call, integer=True)
        expected = _parameter_count(sizes)
        if got == expected:
            continue
        layers = list(itertools.pairwise(sizes))
        weights = sum(n_in * n_out for n_in, n_out in layers)
        if got == weights:
            raise AnswerError(
                f"{call} returns {got}, the weights only: each layer also has one bias per output, "
                f"{expected - weights} biases in all"
            )
        if got == weights + sum(n_in for n_in, _ in layers):
            raise AnswerError(
                f"{call} returns {got}, which counts one bias per input: "
                "a layer has one bias per output neuron"
            )
        raise AnswerError(
            f"{call} returns {got}, but a layer n_in -> n_out has n_in * n_out + n_out parameters, "
            f"{expected} in all for these sizes"
        )
    return (
        "Each layer has n_in * n_out weights and n_out biases, and the layers add up."
    )
