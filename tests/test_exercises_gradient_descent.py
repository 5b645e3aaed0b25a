"""The checkers of book/gradient_descent.md accept every valid answer and explain wrong ones."""

import numpy as np
import torch

from nnbook.exercises import gradient_descent as gd

X_EX = torch.tensor([1.0, 2.0, 3.0, 4.0])  # a = 2 * mean(x**2) = 15, so the limit is 2/15
LIMIT = 2 / 15


def verdict(result) -> str:
    return repr(result)


def test_gd_step_checker_accepts_every_valid_answer():
    def in_place(w, grad, lr):
        w -= lr * grad
        return w

    assert gd.check_gd_step(lambda w, grad, lr: w - lr * grad)
    assert gd.check_gd_step(in_place)
    assert gd.check_gd_step(lambda w, grad, lr: torch.sub(w, grad, alpha=lr))
    assert gd.check_gd_step(lambda w, grad, lr: w.detach() - grad.mul(lr))
    assert "reached" not in verdict(gd.check_gd_step(in_place))
    assert verdict(gd.check_gd_step(in_place)).startswith("✅ Correct! 100 steps with lr = 0.2")


def test_gd_step_checker_explains_wrong_answers():
    def forgot_return(w, grad, lr):
        w = w - lr * grad

    def fails(w, grad, lr):
        return w - lr * gradient  # noqa: F821 - a typical typo

    def wrong(answer) -> str:
        result = gd.check_gd_step(answer)
        assert not result
        message = verdict(result)
        assert message.startswith("❌ Not yet: ") and "\n" not in message
        return message

    assert "you moved uphill: the loss grew from 54.5 to 168.5" in wrong(
        lambda w, g, lr: w + lr * g
    )
    assert "returned None" in wrong(forgot_return)
    assert "is still `...`" in wrong(...)
    assert "`gd_step(w, grad, lr)` is still `...`" in wrong(lambda w, g, lr: ...)  # the starter
    assert "should be a function" in wrong(0.1)
    assert "raised NameError" in wrong(fails)
    assert "returned w unchanged" in wrong(lambda w, g, lr: w)
    assert "ignores lr" in wrong(lambda w, g, lr: w - g)
    assert "returned only the step" in wrong(lambda w, g, lr: -lr * g)
    assert "the loss grew from" in wrong(lambda w, g, lr: w - 3 * g)
    assert "should give (3.4, -1), but gd_step returned (3.88, 2.2)" in wrong(
        lambda w, g, lr: w - lr * lr * g
    )
    assert "has shape ()" in wrong(lambda w, g, lr: (w - lr * g).sum())
    assert "Python list" in wrong(lambda w, g, lr: (w - lr * g).tolist())
    assert "NumPy array" in wrong(lambda w, g, lr: (w - lr * g).numpy())
    assert "not finite" in wrong(lambda w, g, lr: w - lr * g / 0)
    assert "dtype torch.int64" in wrong(lambda w, g, lr: (w - lr * g).long())


def test_gd_step_checker_runs_the_loop():
    calls = []

    def right_once(w, grad, lr):  # correct on the first call only, then stuck
        calls.append(1)
        return w - lr * grad if len(calls) == 1 else w

    message = verdict(gd.check_gd_step(right_once))
    assert message.startswith("❌ Not yet: after 100 steps with lr = 0.2 from w = (4, 3)")
    assert "but the minimum is at (1, -2)" in message


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
    assert "the limit itself" in wrong((2 / (2 * (X_EX**2).mean())).item())  # float32 rounding
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
