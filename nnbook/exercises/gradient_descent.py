"""Checkers for the exercises of the chapter *Gradient descent* (book/gradient_descent.md)."""

import torch

from nnbook.checks import (
    AnswerError,
    checker,
    expect_callable,
    expect_number,
    expect_tensor,
    explain_slip,
    readable,
    reader_code,
)

# check_descend_until runs the reader's loop in float64 on the quadratic
# f(theta) = 1/2 * sum(CURVATURES * (theta - MINIMUM)**2), whose gradient is
# CURVATURES * (theta - MINIMUM). Gradient descent converges on it for lr < 2 / 4 = 0.5. Each case
# is (label, start, lr, tol, max_steps).
CURVATURES = torch.tensor([1.0, 4.0], dtype=torch.float64)
MINIMUM = torch.tensor([1.0, -2.0], dtype=torch.float64)
STOP_CASES = [
    ("lr = 0.2 from (4, 3) with tol = 1e-3", (4.0, 3.0), 0.2, 1e-3, 1000),
    ("lr = 0.45 from (-2, 0) with tol = 1e-6", (-2.0, 0.0), 0.45, 1e-6, 1000),
    (
        "lr = 0.6, which diverges, from (4, 3) with max_steps = 50",
        (4.0, 3.0),
        0.6,
        1e-3,
        50,
    ),
    ("a start at the minimum (1, -2)", (1.0, -2.0), 0.2, 1e-3, 1000),
]
CALL = "descend_until(loss_fn, theta0, lr, tol, max_steps)"

# check_largest_lr accepts learning rates in [LOWEST_SHARE * 2/a, 2/a).
LOWEST_SHARE = 0.85

# check_three_steps: the model y_hat = w x on THREE_X, THREE_Y, from w = 0 with lr = THREE_LR.
THREE_X = (1.0, 3.0)
THREE_Y = (2.0, 6.0)
THREE_LR = 0.15


def quadratic(theta: torch.Tensor) -> torch.Tensor:
    """The test loss of check_descend_until at `theta`."""
    return (0.5 * CURVATURES * (theta - MINIMUM) ** 2).sum()


def _fmt(t: torch.Tensor) -> str:
    return "(" + ", ".join(f"{v:.4g}" for v in t.tolist()) + ")"


def _reference_path(start, lr, max_steps, accumulate=False):
    """All iterates of gradient descent on `quadratic`, with the gradient norm at each of them."""
    theta, grad_sum = (
        torch.tensor(start, dtype=torch.float64),
        torch.zeros(2, dtype=torch.float64),
    )
    path, norms = [theta], []
    for _ in range(max_steps):
        grad = CURVATURES * (theta - MINIMUM)
        norms.append(grad.norm().item())
        grad_sum = grad_sum + grad if accumulate else grad
        theta = theta - lr * grad_sum
        path.append(theta)
    norms.append((CURVATURES * (theta - MINIMUM)).norm().item())
    return path, norms


def _near(theta: torch.Tensor, expected: torch.Tensor) -> bool:
    return torch.allclose(theta, expected, rtol=1e-6, atol=1e-9)


def _run(descend_until, label, start, lr, tol, max_steps):
    """Call the reader's function on one case; return (theta, num_steps), checked for form."""
    theta0 = torch.tensor(start, dtype=torch.float64)
    calls = []

    def loss_fn(theta):
        calls.append(1)
        if len(calls) > max_steps + 10:
            raise AnswerError(
                f"on {label}, descend_until computed the loss more than {max_steps + 10} times: "
                f"stop after max_steps = {max_steps} steps, even if the gradient is still large"
            )
        return quadratic(theta)

    with reader_code(f"`{CALL}`", where=label):
        result = descend_until(loss_fn, theta0, lr, tol, max_steps)
    if not torch.equal(theta0, torch.tensor(start, dtype=torch.float64)):
        raise AnswerError(
            f"descend_until changed theta0 in place on {label}: start from a copy, "
            "theta0.detach().clone()"
        )
    if not isinstance(result, tuple) or len(result) != 2:
        raise AnswerError(
            f"descend_until returned {type(result).__name__}, not a pair: "
            "end with `return theta, num_steps`"
        )
    theta, num_steps = result
    if (
        isinstance(theta, torch.Tensor)
        and readable(theta)
        and not torch.isfinite(theta.detach()).all()
    ):
        raise AnswerError(
            f"on {label}, the returned theta is {theta.tolist()}: the parameters blew up; "
            "step against the gradient, theta - lr * grad"
        )
    theta = expect_tensor(theta, "the returned theta", shape=(2,))
    num_steps = expect_number(num_steps, "the returned num_steps", integer=True)
    return theta.detach().cpu().double(), num_steps


def _explain(label, theta, num_steps, start, lr, tol, max_steps):
    """Raise AnswerError if (theta, num_steps) is not what the stopping rule gives on this case."""
    path, norms = _reference_path(start, lr, max_steps)
    accumulated, _ = _reference_path(start, lr, max_steps, accumulate=True)
    stop = next((n for n, norm in enumerate(norms) if norm < tol), max_steps)
    if not 0 <= num_steps <= max_steps:
        raise AnswerError(
            f"on {label}, num_steps is {num_steps}, but it counts the steps taken, "
            f"from 0 to max_steps = {max_steps}"
        )
    if not _near(theta, path[num_steps]) and _near(theta, accumulated[num_steps]):
        raise AnswerError(
            f"on {label}, the gradients add up from step to step: backward() accumulates in "
            "theta.grad, so reset it (theta.grad = None) after each step"
        )
    start_loss, final_loss = quadratic(path[0]).item(), quadratic(theta).item()
    if stop < max_steps and final_loss > start_loss:
        raise AnswerError(
            f"on {label}, the loss grew from {start_loss:.4g} to {final_loss:.4g}, but this "
            "learning rate converges: step against the gradient, theta - lr * grad"
        )
    if num_steps != stop:
        if stop == 0:
            raise AnswerError(
                f"on {label} the gradient is 0 from the start, but descend_until took {num_steps} "
                "steps: check the gradient before each step, the first one included"
            )
        if num_steps == stop + 1:
            raise AnswerError(
                f"on {label}, descend_until took {num_steps} steps, one too many: the gradient "
                f"norm was already below tol after {stop}; check it before each step, not after"
            )
        if stop == max_steps and norms[stop] >= tol:
            raise AnswerError(
                f"on {label} the gradient never gets below tol, so descend_until must take all "
                f"max_steps = {max_steps} steps, but it stopped after {num_steps}"
            )
        if num_steps == max_steps:
            raise AnswerError(
                f"on {label}, descend_until never stopped early: the gradient norm fell below "
                f"tol = {tol:g} after {stop} steps; compare theta.grad.norm() with tol"
            )
        raise AnswerError(
            f"on {label}, descend_until stopped after {num_steps} steps, where the gradient norm "
            f"is {norms[num_steps]:.3g}, but the rule stops at the first norm below tol = {tol:g}, "
            f"after {stop} steps"
        )
    expected = path[stop]
    if _near(theta, expected):
        return stop
    if stop > 0 and _near(theta, path[stop - 1]):
        raise AnswerError(
            f"on {label}, the returned theta is the one before the last step: return the "
            "parameters after the steps you counted"
        )
    if _near(theta, path[0]):
        raise AnswerError(
            f"on {label}, descend_until returned theta0 unchanged after {stop} steps"
        )
    raise AnswerError(
        f"on {label}, theta after {stop} steps should be {_fmt(expected)}, "
        f"but descend_until returned {_fmt(theta)}"
    )


@checker
def check_descend_until(descend_until):
    """`descend_until(loss_fn, theta0, lr, tol, max_steps)` runs gradient descent from a copy of
    theta0 until the norm of the gradient at the current parameters is below tol, or until it has
    taken max_steps steps, and returns (theta, num_steps).

    The checker runs it on STOP_CASES: two that converge, one that diverges and must stop at
    max_steps, and one that starts at the minimum and must take no step.
    """
    expect_callable(descend_until, "descend_until")
    counts = []
    for label, start, lr, tol, max_steps in STOP_CASES:
        theta, num_steps = _run(descend_until, label, start, lr, tol, max_steps)
        counts.append(_explain(label, theta, num_steps, start, lr, tol, max_steps))
    return (
        f"It stops after {counts[0]} and {counts[1]} steps on the two converging runs, gives up "
        f"after {counts[2]} on the diverging one, and takes {counts[3]} from the minimum."
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
    return f"The limit is 2/a = {limit:.4g} with a = 2 mean(x**2) = {a:.4g}; yours is just below it."


@checker
def check_three_steps(w3):
    """`w3`: w after three steps of gradient descent from w = 0 on mean((w * x - y)**2), with
    x = THREE_X, y = THREE_Y and the learning rate THREE_LR.

    With a = 2 mean(x**2) = 10 and w* = mean(x y) / mean(x**2) = 2, each step multiplies w - w* by
    1 - lr a = -0.5, so w3 = w* + (-0.5)**3 (0 - w*) = 2.25. The usual slips each get their own
    explanation.
    """
    value = expect_number(w3, "w3", hint="work it out as one number")
    mean_x2 = sum(v * v for v in THREE_X) / len(THREE_X)
    w_star = (
        sum(v * t for v, t in zip(THREE_X, THREE_Y, strict=True))
        / len(THREE_X)
        / mean_x2
    )
    a = 2 * mean_x2
    factor = 1 - THREE_LR * a

    def after(steps, factor=factor):
        """w after `steps` steps from w = 0, when each multiplies w - w* by `factor`."""
        return w_star + factor**steps * (0 - w_star)

    right = after(3)
    if abs(value - right) <= 1e-3:
        return (
            f"a = 2 mean(x**2) = {a:g} and w* = {w_star:g}, so each step multiplies w - w* by "
            f"1 - lr a = {factor:g}: w3 = {w_star:g} + ({factor:g})**3 (0 - {w_star:g}) = {right:g}."
        )
    slips = [
        (
            after(3, abs(factor)),
            f"each step multiplies w - w* by 1 - lr a = {factor:g}, a negative number: w jumps "
            f"over the minimum at every step, so after three steps it lies beyond w* = {w_star:g}",
        ),
        (
            w_star,
            "that is the minimum w*; three steps do not reach it, each only multiplies the "
            "distance w - w* by 1 - lr a",
        ),
        (
            after(3, 1 - THREE_LR * mean_x2),
            f"the curvature of the mean squared error is a = 2 mean(x**2) = {a:g}: the square "
            "brings a factor 2",
        ),
        (after(1), "that is w after one step; take three"),
        (after(2), "that is w after two steps; take three"),
        (right - w_star, f"that is the distance w3 - w*; add w* = {w_star:g}"),
        (
            factor**3,
            f"that is (1 - lr a)**3 alone; it multiplies the distance 0 - w* = {-w_star:g}",
        ),
    ]
    explain_slip(value, "w3", slips, fmt=".6g")
    raise AnswerError(
        f"`w3` is {value:.6g}: find the curvature a = L''(w) and the minimum w*, then use "
        "w - w* -> (1 - lr a)(w - w*) three times"
    )
