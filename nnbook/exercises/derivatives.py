"""Checkers for the exercises of the chapter *Derivatives and the chain rule* (book/derivatives.md)."""

import math
from collections.abc import Callable

import torch

from nnbook.checks import (
    AnswerError,
    checker,
    close,
    expect_callable,
    expect_number,
    reader_code,
)

# Relative tolerance for a derivative worked out by hand: three significant digits. Rounding each
# intermediate value to four digits stays well inside it, and every hinted mistake is far outside.
GRAD_RTOL = 1e-3

# (label, f, x, f'(x)) for the reader's central difference. Each f has a third derivative that is not
# zero at x, so a central difference has a visible error of about h**2 / 6 * f'''(x). The functions
# work on Python floats and on one-element tensors alike.
DIFFERENCE_CASES = [
    ("f(x) = x**3 at x = 1", lambda x: x**3, 1.0, 3.0),
    ("f(x) = sin(x) at x = 0.5", math.sin, 0.5, math.cos(0.5)),
    ("f(x) = exp(x) at x = -1", math.exp, -1.0, math.exp(-1.0)),
    ("f(x) = 1 / x at x = 2", lambda x: 1 / x, 2.0, -0.25),
]
# the error of an O(h**2) method falls 100-fold between them, O(h) 10-fold
STEPS = (
    0.1,
    0.01,
)


def tanh_neuron_grad(w: float, x: float, b: float, y: float) -> float:
    """dL/dw for L = (tanh(w * x + b) - y)**2, by autograd in float64."""
    w_t = torch.tensor(float(w), dtype=torch.float64, requires_grad=True)
    loss = (torch.tanh(w_t * float(x) + float(b)) - float(y)) ** 2
    loss.backward()
    return w_t.grad.item()


@checker
def check_tanh_neuron_grad(dL_dw, w, x, b, y):
    """`dL_dw` must be dL/dw for L = (tanh(w * x + b) - y)**2, to three significant digits.

    A Python number, a NumPy scalar or a tensor with one element is accepted. When the answer is
    wrong, it is compared with the results of the usual chain-rule slips (a dropped factor 2, a
    dropped tanh', the sigmoid's derivative instead of tanh's, 1 - z**2 instead of 1 - tanh(z)**2, a
    missing dz/dw = x, a flipped sign), and the message names the slip that matches.
    """
    answer = expect_number(dL_dw, "dL_dw")
    expected = tanh_neuron_grad(w, x, b, y)
    if close(answer, expected, rtol=GRAD_RTOL, atol=1e-9):
        return "dL/dw = 2 (y_hat - y) * (1 - y_hat**2) * x: three local derivatives, multiplied."
    z = w * x + b
    y_hat = math.tanh(z)
    dL_dyhat, dyhat_dz, dz_dw = 2 * (y_hat - y), 1 - y_hat**2, x
    sigma = 1 / (1 + math.exp(-z))
    slips = [
        (
            (y_hat - y) * dyhat_dz * dz_dw,
            "the factor 2 is missing: the derivative of (y_hat - y)**2 is 2 (y_hat - y)",
        ),
        (
            dL_dyhat * dz_dw,
            "the factor dy_hat/dz is missing: multiply by tanh'(z) = 1 - tanh(z)**2",
        ),
        (
            dL_dyhat * y_hat * (1 - y_hat) * dz_dw,
            "y_hat (1 - y_hat) is the sigmoid's derivative; for tanh, dy_hat/dz = 1 - y_hat**2",
        ),
        (
            dL_dyhat * sigma * (1 - sigma) * dz_dw,
            "you used the sigmoid's derivative; for tanh, dy_hat/dz = 1 - tanh(z)**2",
        ),
        (
            dL_dyhat * (1 - z**2) * dz_dw,
            "tanh'(z) is 1 - tanh(z)**2, not 1 - z**2: square the output y_hat, not z",
        ),
        (
            dL_dyhat * dyhat_dz,
            "that is dL/db: the last factor, dz/dw, is x (dz/db is 1)",
        ),
        (
            -expected,
            "the sign is flipped: dL/dy_hat is 2 (y_hat - y), not 2 (y - y_hat)",
        ),
    ]
    for value, why in slips:
        if close(answer, value, rtol=GRAD_RTOL, atol=1e-9):
            raise AnswerError(
                f"`dL_dw` is {answer:.4g}, but autograd gives {expected:.4g}: {why}"
            )
    if close(answer, expected, rtol=0.03, atol=1e-9):
        raise AnswerError(
            f"`dL_dw` is {answer:.6g}, close to autograd's {expected:.6g} but not within 3 "
            "significant digits: keep full precision in the intermediate values (compute them in code)"
        )
    raise AnswerError(
        f"`dL_dw` is {answer:.4g}, but autograd gives {expected:.4g} (off by "
        f"{abs(answer - expected):.3g}): write dL/dw = dL/dy_hat * dy_hat/dz * dz/dw and check "
        "each factor"
    )


def _call(fn: Callable, label: str, f: Callable, x: float, h: float) -> float:
    """Run the reader's `central_difference(f, x, h)` and return its result as a float."""
    call = f"central_difference on {label} with h = {h}"
    with reader_code(call):
        result = fn(f, x, h)
    try:
        return expect_number(result, "central_difference(f, x, h)")
    except AnswerError as err:
        raise AnswerError(f"on {label} with h = {h}: {err}") from None


@checker
def check_central_difference(central_difference):
    """`central_difference(f, x, h)` must approximate f'(x) with an error that shrinks like h**2.

    The function is called with h = 0.1 and h = 0.01 on several functions whose derivative is known.
    A central difference's error falls about 100-fold between the two steps. A forward or backward
    difference (error of order h) falls only 10-fold, and a result that does not change with h
    ignores the step it is given. Any scheme of order 2 is accepted, for example one that evaluates
    f at x + h/2 and x - h/2.
    """
    fn = expect_callable(central_difference, "central_difference")
    h1, h2 = STEPS
    for label, f, x, slope in DIFFERENCE_CASES:
        out1, out2 = _call(fn, label, f, x, h1), _call(fn, label, f, x, h2)
        e1, e2 = abs(out1 - slope), abs(out2 - slope)
        if e1 < 1e-9:
            raise AnswerError(
                f"on {label} the result is exact already at h = {h1}, which a central difference "
                "is not: does your function use the h it is given?"
            )
        order = math.log10(e1 / e2) if e2 > 0 else math.inf
        if order < 0.5:
            hint = (
                "divide by 2 * h, not by h"
                if close(out2 / slope, 2.0, rtol=0.05, atol=1e-9)
                else "the formula is (f(x + h) - f(x - h)) / (2 * h)"
            )
            raise AnswerError(
                f"on {label} the result does not approach f'(x) = {slope:.6g} as h shrinks "
                f"(it is {out2:.6g} at h = {h2}): {hint}"
            )
        if order < 1.5:
            raise AnswerError(
                f"on {label} the error shrinks like h, not h**2 (from {e1:.2g} at h = {h1} to "
                f"{e2:.2g} at h = {h2}): that is a one-sided difference; use f(x + h) and f(x - h)"
            )
        if e2 > 1e-3:
            raise AnswerError(
                f"on {label} the result at h = {h2} is {out2:.6g}, but f'(x) = {slope:.6g}: "
                "the formula is (f(x + h) - f(x - h)) / (2 * h)"
            )
    return "The error falls 100-fold when h falls 10-fold: it is O(h**2), as a central difference's is."
