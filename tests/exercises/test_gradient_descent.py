"""The checkers of book/gradient_descent.md accept every valid answer and explain wrong ones."""

import numpy as np
import torch

from nnbook.exercises import gradient_descent as gd
from tests.exercises.verdicts import rejected

# a = 2 * mean(x**2) = 15, so the limit is 2/15
X_EX = torch.tensor([1.0, 2.0, 3.0, 4.0])
LIMIT = 2 / 15


def verdict(result) -> str:
    return repr(result)


def descend_until(loss_fn, theta0, lr, tol, max_steps):
    """The reference solution: check the gradient before each step, stop at tol or max_steps."""
    theta = theta0.detach().clone().requires_grad_(True)
    for step in range(max_steps + 1):
        loss_fn(theta).backward()
        if theta.grad.norm() < tol or step == max_steps:
            return theta.detach(), step
        with torch.no_grad():
            theta -= lr * theta.grad
        theta.grad = None
    raise AssertionError("unreachable")


def descend_while_loop(loss_fn, theta0, lr, tol, max_steps):
    """Another valid answer: a while loop, torch.autograd.grad, a tensor count and a new tensor."""
    theta, num_steps = theta0.clone(), torch.tensor(0)
    while True:
        theta.requires_grad_(True)
        (grad,) = torch.autograd.grad(loss_fn(theta), theta)
        if grad.norm().item() < tol or num_steps == max_steps:
            return theta, num_steps
        theta = (theta - lr * grad).detach()
        num_steps += 1


def make_wrong(
    rule="right", reset=True, sign=1.0, limit=True, copy=True, returned="theta"
):
    """A descend_until with one typical mistake."""

    def wrong(loss_fn, theta0, lr, tol, max_steps):
        theta = theta0.detach().clone() if copy else theta0
        theta.requires_grad_(True)
        step, previous, last_loss = 0, theta.detach().clone(), None
        while True:
            loss = loss_fn(theta)
            loss.backward()
            norm = theta.grad.norm().item()
            stops = {
                "right": norm < tol,
                "never": False,
                "loss": loss.item() < tol,
                "not_at_start": step > 0 and norm < tol,
                "rising": norm < tol
                or (last_loss is not None and loss.item() > last_loss),
            }[rule]
            if stops or (limit and step == max_steps):
                break
            last_loss = loss.item()
            previous = theta.detach().clone()
            with torch.no_grad():
                theta -= sign * lr * theta.grad
            if reset:
                theta.grad = None
            step += 1
        result = {
            "theta": theta,
            "previous": previous,
            "theta0": theta0,
            "double": 2 * theta,
        }
        return result[returned], step

    return wrong


def check_after_step(loss_fn, theta0, lr, tol, max_steps):
    """Takes a step, then looks at the gradient it used: one step too many."""
    theta = theta0.detach().clone().requires_grad_(True)
    for step in range(1, max_steps + 1):
        loss_fn(theta).backward()
        with torch.no_grad():
            theta -= lr * theta.grad
        if theta.grad.norm() < tol:
            return theta.detach(), step
        theta.grad = None
    return theta.detach(), max_steps


def test_descend_until_checker_accepts_every_valid_answer():
    assert gd.check_descend_until(descend_until)
    assert gd.check_descend_until(descend_while_loop), repr(
        gd.check_descend_until(descend_while_loop)
    )
    assert gd.check_descend_until(make_wrong())  # the helper itself, without a mistake
    assert verdict(gd.check_descend_until(descend_until)) == (
        "✅ Correct! It stops after 36 and 72 steps on the two converging runs, gives up after 50 "
        "on the diverging one, and takes 0 from the minimum."
    )


def test_descend_until_checker_explains_wrong_answers():
    def wrong(answer) -> str:
        return rejected(gd.check_descend_until(answer))

    def fails(loss_fn, theta0, lr, tol, max_steps):
        return theta0 - lr * gradient, 0  # noqa: F821 - a typical typo

    first = "on lr = 0.2 from (4, 3) with tol = 1e-3"
    diverging = "on lr = 0.6, which diverges, from (4, 3) with max_steps = 50"
    assert "is still `...`" in wrong(...)
    assert "should be a function" in wrong(0.1)
    assert f"raised NameError on {first[3:]}: name 'gradient' is not defined" in wrong(
        fails
    )
    assert "returned NoneType, not a pair: end with `return theta, num_steps`" in wrong(
        lambda loss_fn, theta0, lr, tol, max_steps: None
    )
    assert "returned Tensor, not a pair" in wrong(lambda *args: descend_until(*args)[0])
    assert "`the returned theta` has shape ()" in wrong(
        lambda *args: (descend_until(*args)[0].sum(), descend_until(*args)[1])
    )
    assert "`the returned num_steps` is 36.5, but it should be a whole number" in wrong(
        lambda *args: (descend_until(*args)[0], descend_until(*args)[1] + 0.5)
    )
    assert f"{first}, num_steps is -1, but it counts the steps taken" in wrong(
        lambda *args: (descend_until(*args)[0], -1)
    )
    assert f"{diverging}, descend_until computed the loss more than 60 times" in wrong(
        make_wrong(limit=False)
    )
    assert f"changed theta0 in place on {first[3:]}" in wrong(make_wrong(copy=False))
    assert f"{first}, descend_until took 37 steps, one too many" in wrong(
        check_after_step
    )
    assert "the gradient is 0 from the start, but descend_until took 1 steps" in wrong(
        make_wrong(rule="not_at_start")
    )
    assert f"{diverging} the gradient never gets below tol" in wrong(
        make_wrong(rule="rising")
    )
    assert f"{first}, descend_until never stopped early" in wrong(
        make_wrong(rule="never")
    )
    assert (
        "the rule stops at the first norm below tol = 0.001, after 36 steps"
        in wrong(make_wrong(rule="loss"))
    )
    assert "the returned theta is the one before the last step" in wrong(
        make_wrong(returned="previous")
    )
    assert "descend_until returned theta0 unchanged after 36 steps" in wrong(
        make_wrong(returned="theta0")
    )
    assert "the gradients add up from step to step" in wrong(make_wrong(reset=False))
    assert (
        f"{first}, the returned theta is [inf, inf]: the parameters blew up"
        in wrong(lambda *args: (torch.full((2,), float("inf")), 3))
    )
    assert "the returned theta is [nan, nan]: the parameters blew up" in wrong(
        lambda *args: (torch.full((2,), float("nan")), 3)
    )
    assert f"{first}, the loss grew from 54.5 to inf, but this learning rate" in wrong(
        make_wrong(sign=-1.0)
    )

    def five_steps_uphill(loss_fn, theta0, lr, tol, max_steps):
        return make_wrong(sign=-1.0)(loss_fn, theta0, lr, tol, min(max_steps, 5))

    assert f"{first}, the loss grew from 54.5 to" in wrong(five_steps_uphill)
    assert (
        f"{first}, theta after 36 steps should be (1.001, -2), but descend_until returned"
        in wrong(make_wrong(returned="double"))
    )


def test_largest_lr_checker_accepts_every_rate_just_below_the_limit():
    for lr in (0.99 * LIMIT, 0.9 * LIMIT, 0.86 * LIMIT, 0.13, 0.12):
        assert gd.check_largest_lr(lr, X_EX), lr
    assert gd.check_largest_lr(torch.tensor(0.13), X_EX)
    assert gd.check_largest_lr(np.float32(0.13), X_EX)
    assert "The limit is 2/a = 0.1333 with a = 2 mean(x**2) = 15" in verdict(
        gd.check_largest_lr(0.13, X_EX)
    )


def test_largest_lr_checker_explains_wrong_answers():
    def wrong(answer) -> str:
        result = gd.check_largest_lr(answer, X_EX)
        assert not result
        message = verdict(result)
        assert message.startswith("❌ Not yet: ") and "\n" not in message
        return message

    assert "diverges" in wrong(0.14)
    assert "1 - lr * a = -1.1" in wrong(0.14)
    assert "the limit itself" in wrong(LIMIT)
    # float32 rounding
    assert "the limit itself" in wrong((2 / (2 * (X_EX**2).mean())).item())
    assert "converges, but so does 0.11, 10% more" in wrong(0.1)
    assert "converges, but so does" in wrong(1e-6)
    assert "not positive" in wrong(0.0)
    assert "not positive" in wrong(-0.1)
    assert "is still `...`" in wrong(...)
    assert "is None" in wrong(None)
    assert "is a str, but it should be one number" in wrong("0.13")
    assert "is a bool, but a number is expected" in wrong(True)
    assert "shape (2,)" in wrong(torch.tensor([0.1, 0.13]))
    assert "finite" in wrong(float("nan"))


def test_three_steps_checker_accepts_the_answer_and_names_each_slip():
    check = gd.check_three_steps
    # The same three steps with autograd, as the chapter's hidden cell checks them.
    x, y = torch.tensor(gd.THREE_X), torch.tensor(gd.THREE_Y)
    w = torch.tensor(0.0, requires_grad=True)
    for _ in range(3):
        ((w * x - y) ** 2).mean().backward()
        with torch.no_grad():
            w -= gd.THREE_LR * w.grad
        w.grad = None
    for answer in (2.25, 9 / 4, 2.2504, w, np.float32(2.25)):
        assert check(answer), repr(check(answer))
    assert repr(check(2.25)) == (
        "✅ Correct! a = 2 mean(x**2) = 10 and w* = 2, so each step multiplies w - w* by "
        "1 - lr a = -0.5: w3 = 2 + (-0.5)**3 (0 - 2) = 2.25."
    )
    slips = {
        1.75: "a negative number: w jumps over the minimum at every step",
        2.0: "that is the minimum w*",
        1.96875: "the square brings a factor 2",
        3.0: "that is w after one step",
        1.5: "that is w after two steps",
        0.25: "that is the distance w3 - w*; add w* = 2",
        -0.125: "that is (1 - lr a)**3 alone",
        2.3: "find the curvature a = L''(w) and the minimum w*",
    }
    for answer, reason in slips.items():
        message = rejected(check(answer))
        assert reason in message, (answer, message)
    assert "is still `...`" in rejected(check(...))
    assert "should be one number: work it out as one number" in rejected(check([2.25]))
