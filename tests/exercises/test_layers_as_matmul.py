"""The checkers of book/layers_as_matmul.md accept every valid answer and explain wrong ones."""

import itertools

import numpy as np
import pytest
import torch
from torch import nn

from nnbook.exercises import layers_as_matmul as ex

TARGET = torch.tensor([1.0, 0.0, 1.0, 0.0])


def reference_weights() -> torch.Tensor:
    W = torch.zeros(4, 4)
    W[1] = TARGET
    return W


def test_weights_checker_accepts_every_valid_answer():
    assert ex.check_weights_for_target(reference_weights())
    # Rows 0 and 2 never matter, and rows 1 and 3 only through their sum.
    gen = torch.Generator().manual_seed(0)
    for _ in range(20):
        W = torch.randn(4, 4, generator=gen) * 10
        W[3] = TARGET - W[1]
        assert ex.check_weights_for_target(W), W
    W = torch.zeros(4, 4)
    W[3] = TARGET
    assert ex.check_weights_for_target(W)
    # float rounding is tolerated
    assert ex.check_weights_for_target(reference_weights() + 1e-6)
    assert ex.check_weights_for_target(reference_weights().requires_grad_())


def test_weights_checker_names_the_wrong_entry_what_it_got_and_what_was_wanted():
    # nn.Linear's (out, in) layout
    verdict = ex.check_weights_for_target(reference_weights().T)
    assert repr(verdict) == (
        "❌ Not yet: entry 0 of x @ W is 0 (that is W[1, 0] + W[3, 0]), but the target wants 1"
    )
    verdict = ex.check_weights_for_target(torch.eye(4))  # gives the input back
    assert repr(verdict).startswith("❌ Not yet: entry 0 of x @ W is 0")
    W = reference_weights()
    W[3, 2] = 0.5
    assert "entry 2 of x @ W is 1.5" in repr(ex.check_weights_for_target(W))
    W = reference_weights()
    W[1, 3] = 1e-3  # beyond the tolerance of 1e-4
    assert "entry 3 of x @ W is 0.001" in repr(ex.check_weights_for_target(W))


def test_weights_checker_messages_are_one_line():
    for W in (reference_weights().T, torch.eye(4), None, ..., [[0.0] * 4] * 4):
        assert "\n" not in repr(ex.check_weights_for_target(W))


def test_weights_checker_rejects_malformed_answers_with_the_standard_messages():
    assert "still `...`" in repr(ex.check_weights_for_target(...))
    assert "is None" in repr(ex.check_weights_for_target(None))
    assert "Python list" in repr(
        ex.check_weights_for_target(reference_weights().tolist())
    )
    assert "NumPy array" in repr(
        ex.check_weights_for_target(reference_weights().numpy())
    )
    verdict = ex.check_weights_for_target(TARGET)
    assert "shape (4,)" in repr(verdict) and "(4, 4)" in repr(verdict)
    W = reference_weights()
    W[0, 0] = float("nan")
    assert "contains NaN" in repr(ex.check_weights_for_target(W))
    W[0, 0] = float("inf")  # 0 * inf is NaN, so an infinite weight is rejected by name
    assert "contains inf" in repr(ex.check_weights_for_target(W))


def test_weights_checker_wants_float32_and_does_not_convert_integers():
    """The documented choice: integer (and float64) weights get the dtype message, not a pass."""
    verdict = ex.check_weights_for_target(reference_weights().long())
    assert (
        not verdict
        and "dtype torch.int64" in repr(verdict)
        and "torch.float32" in repr(verdict)
    )
    assert "dtype torch.float64" in repr(
        ex.check_weights_for_target(reference_weights().double())
    )


def count_parameters(sizes):
    return sum(n_in * n_out + n_out for n_in, n_out in itertools.pairwise(sizes))


def test_count_checker_accepts_every_valid_function():
    assert ex.check_count_parameters(count_parameters)
    assert ex.check_count_parameters(
        lambda sizes: sum(
            p.numel()
            for a, b in itertools.pairwise(sizes)
            for p in nn.Linear(a, b, device="meta").parameters()
        )
    )
    assert ex.check_count_parameters(
        lambda sizes: torch.tensor(count_parameters(sizes))
    )
    assert ex.check_count_parameters(lambda sizes: np.int64(count_parameters(sizes)))

    def changes_its_argument(sizes):
        total = 0
        while len(sizes) > 1:
            n_in = sizes.pop(0)
            total += (n_in + 1) * sizes[0]
        return total

    assert ex.check_count_parameters(changes_its_argument)


def test_count_checker_reference_agrees_with_nn_linear():
    for sizes in ex.SIZES:
        layers = [nn.Linear(a, b, device="meta") for a, b in itertools.pairwise(sizes)]
        assert ex._parameter_count(sizes) == sum(
            p.numel() for m in layers for p in m.parameters()
        )


def test_count_checker_explains_the_common_mistakes():
    weights_only = ex.check_count_parameters(
        lambda sizes: sum(a * b for a, b in itertools.pairwise(sizes))
    )
    assert repr(weights_only) == (
        "❌ Not yet: count_parameters([3, 20, 8]) returns 220, the weights only: "
        "each layer also has one bias per output, 28 biases in all"
    )
    bias_per_input = ex.check_count_parameters(
        lambda sizes: sum(a * b + a for a, b in itertools.pairwise(sizes))
    )
    assert "counts one bias per input" in repr(bias_per_input)
    last_layer_only = ex.check_count_parameters(
        lambda sizes: sizes[-2] * sizes[-1] + sizes[-1]
    )
    assert repr(last_layer_only) == (
        "❌ Not yet: count_parameters([3, 20, 8]) returns 168, but a layer n_in -> n_out has "
        "n_in * n_out + n_out parameters, 248 in all for these sizes"
    )
    two_layers_only = ex.check_count_parameters(
        lambda sizes: count_parameters(sizes[:3])
    )
    assert "count_parameters([784, 128, 64, 10]) returns 108736" in repr(
        two_layers_only
    )


def test_count_checker_rejects_bad_answers_and_bad_return_values():
    assert "still `...`" in repr(ex.check_count_parameters(...))
    assert "is None" in repr(ex.check_count_parameters(None))
    assert "should be a function, but it is a int" in repr(
        ex.check_count_parameters(248)
    )
    assert "is None: did a function forget to `return` its result?" in repr(
        ex.check_count_parameters(print)
    )
    assert repr(ex.check_count_parameters(lambda sizes: ...)) == (
        "❌ Not yet: `count_parameters([3, 20, 8])` is still `...`: replace the `...` with your "
        "answer and run the cell"
    )
    assert "is 248.5, but it should be a whole number" in repr(
        ex.check_count_parameters(lambda sizes: count_parameters(sizes) + 0.5)
    )
    assert "is a str, but it should be one number" in repr(
        ex.check_count_parameters(lambda sizes: str(count_parameters(sizes)))
    )
    assert "is a bool" in repr(ex.check_count_parameters(lambda sizes: True))


@pytest.mark.parametrize(
    ("fn", "message"),
    [
        (lambda sizes: sizes[0] / 0, "raised ZeroDivisionError: division by zero"),
        (lambda: 0, "raised TypeError:"),
        (
            lambda sizes: sizes[1][0],
            "raised TypeError: 'int' object is not subscriptable",
        ),
    ],
)
def test_count_checker_reports_an_exception_in_one_line(fn, message):
    verdict = ex.check_count_parameters(fn)
    assert not verdict and message in repr(verdict) and "\n" not in repr(verdict)
    assert "count_parameters([3, 20, 8]) raised" in repr(verdict)
