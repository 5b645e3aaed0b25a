"""Checkers for the exercises of the chapter *Gradient descent* (book/gradient_descent.md)."""

import torch

from nnbook.checks import (
    AnswerError,
    checker,
    expect_callable,
    expect_number,
    expect_tensor,
    one_line_error,
)

# The test problem of check_gd_step: f(w) = 1/2 * sum(CURVATURES * (w - MINIMUM)**2), whose
# gradient is CURVATURES * (w - MINIMUM). Gradient descent converges on it for lr < 2 / 4 = 0.5.
CURVATURES = torch.tensor([1.0, 4.0])
MINIMUM = torch.tensor([1.0, -2.0])
START = torch.tensor([4.0, 3.0])
LR = 0.2
NUM_STEPS = 100

# check_largest_lr accepts learning rates in [LOWEST_SHARE * 2/a, 2/a).
LOWEST_SHARE = 0.85


def quadratic(w: torch.Tensor) -> float:
    """The test loss of check_gd_step at `w`."""
    return (0.5 * CURVATURES * (w - MINIMUM) ** 2).sum().item()


def quadratic_grad(w: torch.Tensor) -> torch.Tensor:
    """The gradient of the test loss of check_gd_step at `w`."""
    return CURVATURES * (w - MINIMUM)


def _fmt(t: torch.Tensor) -> str:
    return "(" + ", ".join(f"{v:.4g}" for v in t.tolist()) + ")"


def _call_step(gd_step, w: torch.Tensor, lr: float) -> torch.Tensor:
    """One call of the reader's gd_step on copies of w and its gradient; the result, checked."""
    call = "gd_step(w, grad, lr)"
    try:
        result = gd_step(w.clone(), quadratic_grad(w), lr)
    except Exception as err:
        raise AnswerError(f"{call} raised {one_line_error(err)}") from None
    if result is None:
        raise AnswerError(
            f"{call} returned None: end the function with `return` and the new parameters"
        )
    result = expect_tensor(result, call, shape=w.shape)
    if not result.is_floating_point():
        raise AnswerError(f"{call} returned a tensor of dtype {result.dtype}; keep it float32")
    if not torch.isfinite(result).all():
        raise AnswerError(f"{call} returned {result.tolist()}, which is not finite")
    return result.detach().cpu().float()


def _diagnose_first_step(new: torch.Tensor) -> None:
    """Raise AnswerError with the reason if `new` is not one correct step from START."""
    grad = quadratic_grad(START)
    expected = START - LR * grad

    def near(t):
        return torch.allclose(new, t, atol=1e-5, rtol=1e-5)

    if near(expected):
        return
    before, after = quadratic(START), quadratic(new)
    if near(START):
        raise AnswerError("gd_step returned w unchanged: subtract lr * grad from it")
    if near(START + LR * grad):
        raise AnswerError(
            f"you moved uphill: the loss grew from {before:.4g} to {after:.4g} in one step; "
            "subtract lr * grad instead of adding it"
        )
    if near(START - grad):
        raise AnswerError("the step ignores lr: it moves w by the whole gradient, not lr * grad")
    if near(-LR * grad):
        raise AnswerError("gd_step returned only the step -lr * grad: add it to w")
    if after > before:
        raise AnswerError(
            f"the loss grew from {before:.4g} to {after:.4g} in one step from w = {_fmt(START)}: "
            "the new parameters are w - lr * grad"
        )
    raise AnswerError(
        f"one step from w = {_fmt(START)} with grad = {_fmt(grad)} and lr = {LR} should give "
        f"{_fmt(expected)}, but gd_step returned {_fmt(new)}"
    )


@checker
def check_gd_step(gd_step):
    """`gd_step(w, grad, lr)` must return w - lr * grad, so that a loop of it finds the minimum.

    The checker tries one step on a known quadratic and explains the usual mistakes, then runs
    NUM_STEPS steps from START and checks that they reach the quadratic's minimum.
    """
    expect_callable(gd_step, "gd_step")
    _diagnose_first_step(_call_step(gd_step, START, LR))

    w = START.clone()
    for _ in range(NUM_STEPS):
        w = _call_step(gd_step, w, LR)
    if not torch.allclose(w, MINIMUM, atol=1e-3):
        raise AnswerError(
            f"after {NUM_STEPS} steps with lr = {LR} from w = {_fmt(START)}, w = {_fmt(w)}, but the "
            f"minimum is at {_fmt(MINIMUM)}: does gd_step use its arguments w, grad and lr?"
        )
    return (
        f"{NUM_STEPS} steps with lr = {LR} took w from {_fmt(START)} to the minimum "
        f"{_fmt(MINIMUM)} of the test quadratic."
    )


@checker
def check_largest_lr(lr, x):
    """`lr` must converge on the loss mean((w * x - y)**2) and lie within 15% of the limit 2/a.

    The curvature of that loss is a = 2 mean(x**2), whatever the targets y are, and gradient descent
    converges exactly when 0 < lr < 2/a.
    """
    lr = expect_number(lr, "lr", nonfinite="a learning rate is a finite number")
    x = expect_tensor(x, "x").detach().cpu().double()
    a = 2 * (x**2).mean().item()
    limit = 2 / a
    factor = 1 - lr * a  # each step multiplies the distance to the minimum by this
    if lr <= 0:
        raise AnswerError(
            f"lr = {lr:.4g} is not positive: a step of -lr * grad would go uphill or stand still"
        )
    if abs(factor + 1) < 1e-4:
        raise AnswerError(
            f"lr = {lr:.6g} is (up to rounding) the limit itself: each step multiplies the distance "
            "to the minimum by -1, so w jumps back and forth forever; take a value just below it"
        )
    if abs(factor) > 1:
        raise AnswerError(
            f"lr = {lr:.4g} diverges: each step multiplies the distance to the minimum by "
            f"1 - lr * a = {factor:.4g}, so the loss grows; the limit involves the curvature a = L''(w)"
        )
    if lr < LOWEST_SHARE * limit:
        raise AnswerError(
            f"lr = {lr:.4g} converges, but so does {lr * 1.1:.4g}, 10% more: look for the largest "
            "learning rate, from the curvature a = L''(w)"
        )
    return (
        f"The limit is 2/a = {limit:.4g} with a = 2 mean(x**2) = {a:.4g}; yours is just below it."
    )
