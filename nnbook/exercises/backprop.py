"""Checkers for the exercises of the chapter *Backpropagation by hand* (book/backprop.md).

Both exercises use the chapter's two-layer network with one change: the hidden layer applies the
sigmoid instead of tanh. The loss is the mean squared error over all N * m entries of the output:

    Z1 = X @ W1 + b1,  H1 = sigmoid(Z1),  y_hat = H1 @ W2 + b2,  L = mean((y_hat - y) ** 2).

The reference gradients come from autograd. When an answer is wrong, the checkers compare it with
the results of the usual mistakes (a transposed product, a missing or wrong activation derivative,
a missing factor of the loss, a mean instead of a sum) and name the mistake that fits.
"""

import math

import torch
import torch.nn.functional as F

from nnbook.checks import (
    AnswerError,
    checker,
    close,
    expect_close,
    expect_number,
    expect_tensor,
    explain_slip,
)

ATOL = RTOL = 1e-5


def _network(X, y, W1, b1, W2, b2) -> dict:
    """Autograd's gradients of the sigmoid network, and the intermediates the hints need, on the CPU."""
    X, y = X.detach().cpu(), y.detach().cpu()
    W1, b1, W2, b2 = (
        p.detach().cpu().clone().requires_grad_() for p in (W1, b1, W2, b2)
    )
    Z1 = X @ W1 + b1
    H1 = torch.sigmoid(Z1)
    y_hat = H1 @ W2 + b2
    F.mse_loss(y_hat, y).backward()
    N, m = y.shape
    dZ2 = (2 * (y_hat - y) / (N * m)).detach()
    dH1 = dZ2 @ W2.detach().T
    H1 = H1.detach()
    sigmoid_of_H1 = torch.sigmoid(H1)
    # dL/dZ1 as the reader might compute it, right and with the usual mistakes.
    dZ1 = {
        "right": dH1 * H1 * (1 - H1),
        "no_derivative": dH1,
        "tanh_derivative": dH1 * (1 - H1**2),
        "derivative_at_H1": dH1 * sigmoid_of_H1 * (1 - sigmoid_of_H1),
    }
    return {"X": X, "N": N, "m": m, "dZ1": dZ1, "W1": W1.grad, "b1": b1.grad}


def _explain_values(
    answer: torch.Tensor, expected: torch.Tensor, name: str, mistakes
) -> None:
    """Raise AnswerError naming the mistake that explains `answer`, or its largest difference."""
    answer = answer.detach().to("cpu", expected.dtype)
    if close(answer, expected, atol=ATOL, rtol=RTOL):
        return
    for wrong, reason in mistakes:
        if close(answer, wrong, atol=ATOL, rtol=RTOL):
            raise AnswerError(f"`{name}` is not the gradient: {reason}")
    expect_close(answer, expected, name, atol=ATOL, rtol=RTOL)


def _scale_mistakes(
    expected: torch.Tensor, N: int, m: int
) -> list[tuple[torch.Tensor, str]]:
    """The gradient when one piece of dL/dy_hat = 2 (y_hat - y) / (N m) is lost, and the reason."""
    return [
        (
            -expected,
            "it has the wrong sign; dL/dy_hat = 2 (y_hat - y) / (N m), prediction minus target",
        ),
        (
            expected * N,
            f"it is {N} times too large; it misses the 1/N of the mean over the N = {N} examples",
        ),
        (
            expected * N * m,
            f"it is {N * m} times too large; the loss is the mean of all N m = {N * m} entries, "
            "so divide by N m",
        ),
        (
            expected * m,
            f"it is {m} times too large; the loss is the mean of all N m = {N * m} entries, "
            "so divide by m as well as N",
        ),
        (
            expected / 2,
            "it is half the gradient; the derivative of the square brings a factor 2",
        ),
    ]


@checker
def check_grad_W1(dW1, X, y, W1, b1, W2, b2):
    """`dW1` must be dL/dW1 of the sigmoid network, with W1's shape (n, h).

    Any way of computing it passes, autograd included: the values are compared with autograd's
    gradient, with an absolute and relative tolerance of 1e-5. The dtype must be W1's.
    """
    net = _network(X, y, W1, b1, W2, b2)
    expected = net["W1"]
    if (
        isinstance(dW1, torch.Tensor)
        and dW1.ndim == 2
        and tuple(dW1.shape) != tuple(W1.shape)
    ):
        if tuple(dW1.shape) == tuple(W1.shape)[::-1]:
            hint = (
                "and it holds the transpose of the gradient"
                if close(dW1.T, expected, atol=ATOL, rtol=RTOL)
                else "the shape of W1.T"
            )
            raise AnswerError(
                f"`dW1` has shape {tuple(dW1.shape)}, {hint}: did you transpose? "
                f"A gradient has its parameter's shape, {tuple(W1.shape)}, so dW1 = X.T @ dZ1"
            )
    dW1 = expect_tensor(dW1, "dW1", shape=W1.shape, dtype=W1.dtype)
    X_T, dZ1 = net["X"].T, net["dZ1"]
    mistakes = [
        (
            X_T @ dZ1["no_derivative"],
            "the factor f'(Z1) is missing; dZ1 = dH1 * f'(Z1), and the sigmoid's f'(Z1) is "
            "H1 * (1 - H1)",
        ),
        (
            X_T @ dZ1["tanh_derivative"],
            "1 - H1**2 is the derivative of tanh; the sigmoid's derivative is H1 * (1 - H1)",
        ),
        (
            X_T @ dZ1["derivative_at_H1"],
            "the sigmoid's derivative is taken at H1 instead of Z1; sigmoid'(Z1) = H1 * (1 - H1)",
        ),
        *_scale_mistakes(expected, net["N"], net["m"]),
    ]
    # a square W1: the shape test above cannot see a transpose
    if W1.shape[0] == W1.shape[1]:
        mistakes.append(
            (expected.T, "it holds the transpose of the gradient; dW1 = X.T @ dZ1")
        )
    _explain_values(dW1, expected, "dW1", mistakes)
    return "Each entry of X.T @ dZ1 sums the contributions of all the examples in the batch."


@checker
def check_grad_b1(db1, X, y, W1, b1, W2, b2):
    """`db1` must be dL/db1 of the sigmoid network, with b1's shape (h,).

    Any way of computing it passes, autograd included. The common shape mistakes get their own
    message: one row per example (no sum), a kept dimension (1, h), and a sum over the wrong axis.
    """
    net = _network(X, y, W1, b1, W2, b2)
    expected = net["b1"]
    N, h = net["N"], expected.shape[0]
    if isinstance(db1, torch.Tensor) and tuple(db1.shape) != (h,):
        shape = tuple(db1.shape)
        if shape == (N, h):
            raise AnswerError(
                f"`db1` has shape {shape}, one row per example: b1 is added to every row, so its "
                "gradient is the sum of dZ1 over the batch, dZ1.sum(dim=0)"
            )
        if shape == (1, h):
            raise AnswerError(
                f"`db1` has shape {shape}, but b1 has shape {(h,)}: sum over dim=0 without "
                "keepdim=True"
            )
        if shape == (N,):
            raise AnswerError(
                f"`db1` has shape {shape}, one number per example: sum over the examples, "
                "dim=0, not over the hidden units"
            )
    db1 = expect_tensor(db1, "db1", shape=(h,), dtype=b1.dtype)
    dZ1 = net["dZ1"]
    mistakes = [
        (
            dZ1["no_derivative"].sum(dim=0),
            "the factor f'(Z1) is missing; dZ1 = dH1 * f'(Z1), and the sigmoid's f'(Z1) is "
            "H1 * (1 - H1)",
        ),
        (
            dZ1["tanh_derivative"].sum(dim=0),
            "1 - H1**2 is the derivative of tanh; the sigmoid's derivative is H1 * (1 - H1)",
        ),
        (
            dZ1["derivative_at_H1"].sum(dim=0),
            "the sigmoid's derivative is taken at H1 instead of Z1; sigmoid'(Z1) = H1 * (1 - H1)",
        ),
        (
            dZ1["right"].mean(dim=0),
            f"it is the mean over the batch, {N} times too small; the 1/N is already in dZ1, "
            "so sum the rows",
        ),
        *_scale_mistakes(expected, N, net["m"]),
    ]
    # the shape test above cannot tell a sum over the wrong axis; the values can
    if N == h:
        mistakes.append(
            (dZ1["right"].sum(dim=1), "it sums over the hidden units; sum over dim=0")
        )
    _explain_values(db1, expected, "db1", mistakes)
    return "b1 is added to every row, so its gradient sums dL/dZ1 over the examples."


# The exercise on paper: y_hat = w2 * sigmoid(w1 * x + b1) + b2 and L = (y_hat - y)**2, for one
# example. With these values z1 = 0, h = 0.5, sigmoid'(z1) = 0.25, y_hat = 3 and dL/dw1 = -12.
ONE_UNIT = {"x": 3.0, "y": 5.0, "w1": 1.0, "b1": -3.0, "w2": 4.0, "b2": 1.0}


@checker
def check_one_unit_gradient(dL_dw1):
    """`dL_dw1`: dL/dw1 of the one-unit sigmoid network ONE_UNIT, worked out on paper.

    The chain is dL/dw1 = 2 (y_hat - y) * w2 * sigmoid'(z1) * x. Each usual slip (a missing factor,
    the sign, the derivative of tanh or sigma itself in place of sigmoid', another derivative, the
    loss) gets its own explanation.
    """
    value = expect_number(dL_dw1, "dL_dw1", hint="work it out as one number")
    x, y, w1, b1, w2, b2 = (ONE_UNIT[k] for k in ("x", "y", "w1", "b1", "w2", "b2"))
    z1 = w1 * x + b1
    h = 1 / (1 + math.exp(-z1))
    slope = h * (1 - h)  # sigmoid'(z1)
    y_hat = w2 * h + b2
    d_y_hat = 2 * (y_hat - y)
    right = d_y_hat * w2 * slope * x
    if abs(value - right) <= 1e-3:
        return (
            f"z1 = {z1:g}, h = {h:g}, y_hat = {y_hat:g}, so dL/dw1 = 2 (y_hat - y) * w2 * "
            f"sigmoid'(z1) * x = {d_y_hat:g} * {w2:g} * {slope:g} * {x:g} = {right:g}."
        )
    slips = [
        (
            right / x,
            f"that is dL/dz1 (and dL/db1); z1 = w1 x + b1, so dL/dw1 also multiplies by x = {x:g}",
        ),
        (
            right / 2,
            "the derivative of (y_hat - y)**2 is 2 (y_hat - y): a factor 2 is missing",
        ),
        (
            -right,
            f"the sign is flipped: dL/dy_hat = 2 (y_hat - y) = {d_y_hat:g}, prediction minus "
            "target",
        ),
        (
            right / slope,
            f"the factor sigmoid'(z1) = {slope:g} is missing: the chain passes through the sigmoid",
        ),
        (
            right / slope * h,
            f"sigmoid'(z1) = sigma(z1) (1 - sigma(z1)) = {slope:g}, not sigma(z1) = {h:g}",
        ),
        (
            right / slope * (1 - h**2),
            f"1 - h**2 is the derivative of tanh; the sigmoid's is h (1 - h) = {slope:g}",
        ),
        (
            right / w2,
            f"the factor w2 = {w2:g} is missing: y_hat depends on h through w2",
        ),
        (
            d_y_hat * h,
            "that is dL/dw2 = dL/dy_hat * h; the exercise asks for dL/dw1, one layer further back",
        ),
        (
            (y_hat - y) ** 2,
            "that is the loss itself, (y_hat - y)**2; the exercise asks for its derivative",
        ),
    ]
    explain_slip(value, "dL_dw1", slips)
    raise AnswerError(
        f"`dL_dw1` is {value:.4g}: compute z1, h and y_hat first, then multiply the factors of "
        "the chain dL/dy_hat * dy_hat/dh * dh/dz1 * dz1/dw1"
    )
