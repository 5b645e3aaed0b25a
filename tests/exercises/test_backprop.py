"""The checkers of book/backprop.md accept every valid answer and explain wrong ones."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from nnbook.exercises import backprop as ex
from tests.exercises.verdicts import rejected

N, n, h, m = 6, 3, 4, 2


def problem(seed: int = 0, sizes=(N, n, h, m)):
    """A batch and the parameters of a two-layer network, in float64 as in the chapter."""
    N_, n_, h_, m_ = sizes
    gen = torch.Generator().manual_seed(seed)
    X = torch.randn(N_, n_, generator=gen, dtype=torch.float64)
    y = torch.randn(N_, m_, generator=gen, dtype=torch.float64)
    W1 = torch.randn(n_, h_, generator=gen, dtype=torch.float64) * 0.5
    b1 = torch.randn(h_, generator=gen, dtype=torch.float64) * 0.1
    W2 = torch.randn(h_, m_, generator=gen, dtype=torch.float64) * 0.5
    b2 = torch.randn(m_, generator=gen, dtype=torch.float64) * 0.1
    return X, y, W1, b1, W2, b2


def by_hand(X, y, W1, b1, W2, b2):
    """The reference solution of the chapter, written as a reader would."""
    H1 = torch.sigmoid(X @ W1 + b1)
    y_hat = H1 @ W2 + b2
    dZ2 = 2 * (y_hat - y) / y.numel()
    dH1 = dZ2 @ W2.T
    return {"X": X, "H1": H1, "dZ2": dZ2, "dH1": dH1, "dZ1": dH1 * H1 * (1 - H1)}


def by_autograd(X, y, W1, b1, W2, b2):
    W1, b1 = W1.clone().requires_grad_(), b1.clone().requires_grad_()
    loss = F.mse_loss(torch.sigmoid(X @ W1 + b1) @ W2 + b2, y)
    loss.backward()
    return W1.grad, b1.grad


@pytest.mark.parametrize("seed", range(5))
def test_both_checkers_accept_the_hand_gradient_and_autograds(seed):
    args = problem(seed)
    g = by_hand(*args)
    assert ex.check_grad_W1(g["X"].T @ g["dZ1"], *args)
    assert ex.check_grad_b1(g["dZ1"].sum(dim=0), *args)
    dW1, db1 = by_autograd(*args)
    assert ex.check_grad_W1(dW1, *args)
    assert ex.check_grad_b1(db1, *args)
    # Other correct ways to write the same numbers.
    assert ex.check_grad_W1(torch.einsum("ni,nj->ij", g["X"], g["dZ1"]), *args)
    assert ex.check_grad_b1(torch.ones(N, dtype=torch.float64) @ g["dZ1"], *args)
    assert ex.check_grad_W1((g["X"].T @ g["dZ1"]).requires_grad_(), *args)


def test_checkers_accept_other_sizes_and_the_verdict_says_why_it_is_right():
    for sizes in [(1, 2, 5, 1), (10, 4, 4, 3), (5, 5, 5, 5)]:
        args = problem(1, sizes)
        g = by_hand(*args)
        assert ex.check_grad_W1(g["X"].T @ g["dZ1"], *args)
        assert ex.check_grad_b1(g["dZ1"].sum(dim=0), *args)
    args = problem()
    g = by_hand(*args)
    assert "sums the contributions of all the examples" in repr(
        ex.check_grad_W1(g["X"].T @ g["dZ1"], *args)
    )
    assert repr(ex.check_grad_b1(g["dZ1"].sum(dim=0), *args)).startswith("✅ Correct!")


def test_W1_checker_spots_a_transposed_answer():
    args = problem()
    g = by_hand(*args)
    verdict = ex.check_grad_W1(g["dZ1"].T @ g["X"], *args)  # the un-transposed product
    assert not verdict
    assert repr(verdict) == (
        "❌ Not yet: `dW1` has shape (4, 3), and it holds the transpose of the gradient: did you "
        "transpose? A gradient has its parameter's shape, (3, 4), so dW1 = X.T @ dZ1"
    )
    verdict = ex.check_grad_W1(g["dH1"].T @ g["X"], *args)  # transposed and wrong
    assert "shape (4, 3), the shape of W1.T: did you transpose?" in repr(verdict)
    square = problem(2, (5, 4, 4, 2))
    gs = by_hand(*square)
    verdict = ex.check_grad_W1(gs["dZ1"].T @ gs["X"], *square)
    assert "holds the transpose of the gradient" in repr(verdict)


def test_W1_checker_names_the_missing_or_wrong_activation_derivative():
    args = problem()
    g = by_hand(*args)
    X, H1, dH1 = g["X"], g["H1"], g["dH1"]
    assert "the factor f'(Z1) is missing" in repr(ex.check_grad_W1(X.T @ dH1, *args))
    tanh_derivative = ex.check_grad_W1(X.T @ (dH1 * (1 - H1**2)), *args)
    assert "1 - H1**2 is the derivative of tanh" in repr(tanh_derivative)
    at_H1 = X.T @ (dH1 * torch.sigmoid(H1) * (1 - torch.sigmoid(H1)))
    assert "taken at H1 instead of Z1" in repr(ex.check_grad_W1(at_H1, *args))


def test_W1_checker_names_a_missing_factor_of_the_loss():
    args = problem()
    g = by_hand(*args)
    right = g["X"].T @ g["dZ1"]
    assert (
        "it is 6 times too large; it misses the 1/N of the mean over the N = 6 examples"
        in repr(ex.check_grad_W1(right * N, *args))
    )
    assert "12 times too large; the loss is the mean of all N m = 12 entries" in repr(
        ex.check_grad_W1(right * N * m, *args)
    )
    assert (
        "2 times too large; the loss is the mean of all N m = 12 entries, so divide by m"
        in repr(ex.check_grad_W1(right * m, *args))
    )
    assert (
        "it is half the gradient; the derivative of the square brings a factor 2"
        in repr(ex.check_grad_W1(right / 2, *args))
    )
    assert "it has the wrong sign" in repr(ex.check_grad_W1(-right, *args))


def test_W1_checker_reports_the_largest_difference_of_any_other_answer():
    args = problem()
    g = by_hand(*args)
    wrong = g["X"].T @ g["dZ1"]
    wrong[1, 2] += 0.01
    verdict = ex.check_grad_W1(wrong, *args)
    assert not verdict
    assert "largest difference is 0.01 at index (1, 2)" in repr(verdict)


def test_b1_checker_names_the_shape_mistakes():
    args = problem()
    dZ1 = by_hand(*args)["dZ1"]
    verdict = ex.check_grad_b1(dZ1, *args)
    assert repr(verdict) == (
        "❌ Not yet: `db1` has shape (6, 4), one row per example: b1 is added to every row, so its "
        "gradient is the sum of dZ1 over the batch, dZ1.sum(dim=0)"
    )
    assert "without keepdim=True" in repr(
        ex.check_grad_b1(dZ1.sum(dim=0, keepdim=True), *args)
    )
    assert "sum over the examples, dim=0" in repr(
        ex.check_grad_b1(dZ1.sum(dim=1), *args)
    )
    other = ex.check_grad_b1(dZ1[:, :2].sum(dim=0), *args)
    assert "shape (2,), but the expected shape is (4,)" in repr(other)


def test_b1_checker_names_the_value_mistakes():
    args = problem()
    g = by_hand(*args)
    dZ1, H1, dH1 = g["dZ1"], g["H1"], g["dH1"]
    assert "it is the mean over the batch, 6 times too small" in repr(
        ex.check_grad_b1(dZ1.mean(dim=0), *args)
    )
    assert "the factor f'(Z1) is missing" in repr(
        ex.check_grad_b1(dH1.sum(dim=0), *args)
    )
    tanh_derivative = (dH1 * (1 - H1**2)).sum(dim=0)
    assert "derivative of tanh" in repr(ex.check_grad_b1(tanh_derivative, *args))
    at_H1 = (dH1 * torch.sigmoid(H1) * (1 - torch.sigmoid(H1))).sum(dim=0)
    assert "taken at H1 instead of Z1" in repr(ex.check_grad_b1(at_H1, *args))
    assert "it misses the 1/N" in repr(ex.check_grad_b1(dZ1.sum(dim=0) * N, *args))
    assert "it has the wrong sign" in repr(ex.check_grad_b1(-dZ1.sum(dim=0), *args))
    # N == h: a sum over the wrong axis has the right shape
    square = problem(3, (4, 3, 4, 2))
    dZ1s = by_hand(*square)["dZ1"]
    assert "it sums over the hidden units" in repr(
        ex.check_grad_b1(dZ1s.sum(dim=1), *square)
    )
    wrong = dZ1.sum(dim=0)
    wrong[3] += 0.5
    assert "largest difference is 0.5 at index (3,)" in repr(
        ex.check_grad_b1(wrong, *args)
    )


@pytest.mark.parametrize("check", [ex.check_grad_W1, ex.check_grad_b1])
def test_checkers_reject_malformed_answers_with_the_standard_messages(check):
    args = problem()
    g = by_hand(*args)
    name = "dW1" if check is ex.check_grad_W1 else "db1"
    good = g["X"].T @ g["dZ1"] if name == "dW1" else g["dZ1"].sum(dim=0)
    assert "still `...`" in repr(check(..., *args))
    assert "is None" in repr(check(None, *args))
    assert "Python list" in repr(check(good.tolist(), *args))
    assert "NumPy array" in repr(check(good.numpy(), *args))
    assert "should be a torch.Tensor, but it is a float" in repr(check(1.0, *args))
    verdict = check(good.float(), *args)
    assert "dtype torch.float32" in repr(verdict) and "torch.float64" in repr(verdict)
    nan = good.clone()
    nan.view(-1)[0] = float("nan")
    assert "contains NaN" in repr(check(nan, *args))
    assert f"`{name}` has shape (7,)" in repr(
        check(torch.zeros(7, dtype=torch.float64), *args)
    )


@pytest.mark.parametrize("check", [ex.check_grad_W1, ex.check_grad_b1])
def test_checker_messages_are_one_line(check):
    args = problem()
    g = by_hand(*args)
    answers = [
        None,
        ...,
        g["dZ1"],
        g["dZ1"].T @ g["X"],
        g["X"].T @ g["dH1"],
        g["dZ1"].sum(dim=0) * 3,
        torch.zeros(7),
    ]
    for answer in answers:
        verdict = check(answer, *args)
        assert not verdict and "\n" not in repr(verdict), repr(verdict)


def test_checkers_leave_their_inputs_unchanged():
    args = problem()
    copies = [a.clone() for a in args]
    g = by_hand(*args)
    ex.check_grad_W1(g["X"].T @ g["dZ1"], *args)
    ex.check_grad_b1(g["dZ1"].sum(dim=0), *args)
    for a, c in zip(args, copies, strict=True):
        assert torch.equal(a, c) and a.grad is None and not a.requires_grad


def one_unit_autograd():
    """dL/dw1 of the paper exercise's network, from autograd."""
    p = {
        k: torch.tensor(v, dtype=torch.float64, requires_grad=True)
        for k, v in ex.ONE_UNIT.items()
    }
    y_hat = p["w2"] * torch.sigmoid(p["w1"] * p["x"] + p["b1"]) + p["b2"]
    ((y_hat - p["y"]) ** 2).backward()
    return p["w1"].grad


def test_one_unit_checker_accepts_the_answer_in_any_form():
    check = ex.check_one_unit_gradient
    for answer in (-12, -12.0, -12.0004, one_unit_autograd(), np.float64(-12.0)):
        assert check(answer), repr(check(answer))
    assert repr(check(-12)) == (
        "✅ Correct! z1 = 0, h = 0.5, y_hat = 3, so dL/dw1 = 2 (y_hat - y) * w2 * sigmoid'(z1) * x "
        "= -4 * 4 * 0.25 * 3 = -12."
    )


def test_one_unit_checker_names_each_slip():
    check = ex.check_one_unit_gradient
    slips = {
        -4.0: "that is dL/dz1 (and dL/db1)",
        -6.0: "a factor 2 is missing",
        12.0: "the sign is flipped: dL/dy_hat = 2 (y_hat - y) = -4",
        -48.0: "the factor sigmoid'(z1) = 0.25 is missing",
        -24.0: "not sigma(z1) = 0.5",
        -36.0: "1 - h**2 is the derivative of tanh",
        -3.0: "the factor w2 = 4 is missing",
        -2.0: "that is dL/dw2",
        4.0: "that is the loss itself",
        -11.0: "compute z1, h and y_hat first",
    }
    for answer, reason in slips.items():
        message = rejected(check(answer))
        assert reason in message, (answer, message)
    assert "is still `...`" in rejected(check(...))
    assert (
        "is a str, but it should be one number: work it out as one number"
        in rejected(check("-12"))
    )
    assert "is NaN" in rejected(check(float("nan")))
