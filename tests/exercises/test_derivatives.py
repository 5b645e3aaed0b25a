"""The checkers of book/derivatives.md accept every valid answer and explain wrong ones."""

import math

import numpy as np
import torch

from nnbook.exercises import derivatives

W, X, B, Y = 0.6, -1.5, 0.4, 0.5  # the numbers of the chapter's exercise


def by_hand(w=W, x=X, b=B, y=Y):
    y_hat = math.tanh(w * x + b)
    return 2 * (y_hat - y) * (1 - y_hat**2) * x


def test_tanh_neuron_grad_checker_accepts_every_valid_answer():
    right = by_hand()
    assert derivatives.check_tanh_neuron_grad(right, W, X, B, Y)
    assert derivatives.check_tanh_neuron_grad(torch.tensor(right), W, X, B, Y)
    assert derivatives.check_tanh_neuron_grad(torch.tensor([right]), W, X, B, Y)
    assert derivatives.check_tanh_neuron_grad(np.float32(right), W, X, B, Y)
    assert derivatives.check_tanh_neuron_grad(np.array([right]), W, X, B, Y)
    assert derivatives.check_tanh_neuron_grad(round(right, 4), W, X, B, Y), (
        "4 digits are enough"
    )
    # With autograd, on the device, in float32: also a valid way to get the number.
    w = torch.tensor(W, requires_grad=True)
    ((torch.tanh(w * X + B) - Y) ** 2).backward()
    assert derivatives.check_tanh_neuron_grad(w.grad, W, X, B, Y)
    # Other numbers: the checker follows its arguments.
    assert derivatives.check_tanh_neuron_grad(
        by_hand(1.0, 2.0, 0.5, -1.0), 1.0, 2.0, 0.5, -1.0
    )


def test_tanh_neuron_grad_checker_names_the_chain_rule_slip():
    y_hat = math.tanh(W * X + B)
    z = W * X + B
    sigma = 1 / (1 + math.exp(-z))
    right = by_hand()
    cases = [
        ((y_hat - Y) * (1 - y_hat**2) * X, "the factor 2 is missing"),
        (2 * (y_hat - Y) * X, "the factor dy_hat/dz is missing"),
        (
            2 * (y_hat - Y) * y_hat * (1 - y_hat) * X,
            "y_hat (1 - y_hat) is the sigmoid's derivative",
        ),
        (
            2 * (y_hat - Y) * sigma * (1 - sigma) * X,
            "you used the sigmoid's derivative",
        ),
        (2 * (y_hat - Y) * (1 - z**2) * X, "not 1 - z**2"),
        (2 * (y_hat - Y) * (1 - y_hat**2), "that is dL/db"),
        (-right, "the sign is flipped"),
    ]
    for wrong, reason in cases:
        verdict = derivatives.check_tanh_neuron_grad(wrong, W, X, B, Y)
        assert not verdict
        assert repr(verdict).startswith(
            f"❌ Not yet: `dL_dw` is {wrong:.4g}, but autograd gives"
        )
        assert reason in repr(verdict), (reason, repr(verdict))
        assert "\n" not in repr(verdict)


def test_tanh_neuron_grad_checker_explains_other_wrong_answers():
    right = by_hand()
    rounded = derivatives.check_tanh_neuron_grad(right * 1.01, W, X, B, Y)
    assert "not within 3 significant digits" in repr(rounded)
    far = derivatives.check_tanh_neuron_grad(10.0, W, X, B, Y)
    assert "(off by " in repr(far) and "check each factor" in repr(far)
    assert "still `...`" in repr(derivatives.check_tanh_neuron_grad(..., W, X, B, Y))
    assert "is None" in repr(derivatives.check_tanh_neuron_grad(None, W, X, B, Y))
    assert "is a list, but it should be one number" in repr(
        derivatives.check_tanh_neuron_grad([right], W, X, B, Y)
    )
    vector = derivatives.check_tanh_neuron_grad(
        torch.tensor([right, right]), W, X, B, Y
    )
    assert "is a tensor of shape (2,), but it should be one number" in repr(vector)
    pair = derivatives.check_tanh_neuron_grad(np.array([right, right]), W, X, B, Y)
    assert "is a NumPy array of shape (2,)" in repr(pair)
    assert "is a bool" in repr(derivatives.check_tanh_neuron_grad(True, W, X, B, Y))
    assert "is a str" in repr(derivatives.check_tanh_neuron_grad("2.27", W, X, B, Y))
    assert "is NaN" in repr(derivatives.check_tanh_neuron_grad(math.nan, W, X, B, Y))
    assert "is inf: look for a division by zero" in repr(
        derivatives.check_tanh_neuron_grad(math.inf, W, X, B, Y)
    )
    flag = derivatives.check_tanh_neuron_grad(torch.tensor(True), W, X, B, Y)
    assert "dtype torch.bool" in repr(flag)


def central(f, x, h):
    return (f(x + h) - f(x - h)) / (2 * h)


def test_central_difference_checker_accepts_every_valid_answer():
    assert derivatives.check_central_difference(central)
    assert derivatives.check_central_difference(
        lambda f, x, h: (f(x + h / 2) - f(x - h / 2)) / h
    )
    assert derivatives.check_central_difference(
        lambda f, x, h: 0.5 * (f(x + h) - f(x - h)) / h
    )

    # Through tensors, returning a 0-d tensor.
    def as_tensor(f, x, h):
        return (f(torch.tensor(x + h)) - f(torch.tensor(x - h))) / (2 * h)

    assert derivatives.check_central_difference(as_tensor)
    # The average of a forward and a backward difference is the central difference.
    averaged = lambda f, x, h: ((f(x + h) - f(x)) / h + (f(x) - f(x - h)) / h) / 2  # noqa: E731
    assert derivatives.check_central_difference(averaged)


def test_central_difference_checker_catches_one_sided_differences():
    forward = derivatives.check_central_difference(
        lambda f, x, h: (f(x + h) - f(x)) / h
    )
    assert repr(forward).startswith(
        "❌ Not yet: on f(x) = x**3 at x = 1 the error shrinks like h, not h**2 (from 0.31 at "
        "h = 0.1 to 0.03 at h = 0.01): that is a one-sided difference"
    )
    backward = derivatives.check_central_difference(
        lambda f, x, h: (f(x) - f(x - h)) / h
    )
    assert "the error shrinks like h, not h**2" in repr(backward)


def test_central_difference_checker_explains_other_wrong_answers():
    no_two = derivatives.check_central_difference(
        lambda f, x, h: (f(x + h) - f(x - h)) / h
    )
    assert "does not approach f'(x) = 3" in repr(no_two) and "not by h" in repr(no_two)
    swapped = derivatives.check_central_difference(
        lambda f, x, h: (f(x - h) - f(x + h)) / (2 * h)
    )
    assert "does not approach" in repr(swapped) and "(2 * h)" in repr(swapped)
    fixed_h = derivatives.check_central_difference(lambda f, x, h: central(f, x, 1e-6))
    assert "exact already at h = 0.1" in repr(fixed_h)
    # Order 2, but about 200 times too large an error: caught by the size of the error.
    wide = derivatives.check_central_difference(lambda f, x, h: central(f, x, 15 * h))
    assert "at h = 0.01 is" in repr(wide) and "(2 * h)" in repr(wide)
    raised = derivatives.check_central_difference(lambda f, x: f(x))
    assert repr(raised).startswith(
        "❌ Not yet: central_difference on f(x) = x**3 at x = 1 with h = 0.1 raised TypeError"
    )
    none = derivatives.check_central_difference(lambda f, x, h: None)
    assert (
        "on f(x) = x**3 at x = 1 with h = 0.1: `central_difference(f, x, h)` is None"
        in repr(none)
    )
    assert "still `...`" in repr(
        derivatives.check_central_difference(lambda f, x, h: ...)
    )
    assert "still `...`" in repr(derivatives.check_central_difference(...))
    assert "should be a function" in repr(derivatives.check_central_difference(3.0))
    for fn in [lambda f, x, h: (f(x + h) - f(x)) / h, lambda f, x: 0]:
        assert "\n" not in repr(derivatives.check_central_difference(fn))


def test_the_reference_gradient_is_autograds():
    assert math.isclose(
        derivatives.tanh_neuron_grad(W, X, B, Y), by_hand(), rel_tol=1e-12
    )
