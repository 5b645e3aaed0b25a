"""The checkers of book/binary_to_decimal.md accept every valid answer and explain wrong ones."""

import torch
from torch import nn

from nnbook.exercises import binary_to_decimal as b2d
from tests.exercises.verdicts import rejected


def reference_update(params, lr):
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad
            p.grad = None


def update_with_sub_and_zero(params, lr):
    """Another valid answer: sub_ on .data, and gradients zeroed instead of set to None."""
    for p in params:
        p.data.sub_(lr * p.grad)
        p.grad.zero_()


def update_uphill(params, lr):
    with torch.no_grad():
        for p in params:
            p += lr * p.grad
            p.grad = None


def update_without_lr(params, lr):
    with torch.no_grad():
        for p in params:
            p -= p.grad
            p.grad = None


def update_rebinding(params, lr):
    for p in params:
        p = p - lr * p.grad  # the mistake under test: a new tensor, p is unchanged
        p.grad = None


def update_without_no_grad(params, lr):
    for p in params:
        p -= lr * p.grad
        p.grad = None


def update_reset_first(params, lr):
    with torch.no_grad():
        for p in params:
            p.grad = None
            p -= lr * p.grad


def update_zero_first(params, lr):
    with torch.no_grad():
        for p in params:
            p.grad.zero_()
            p -= lr * p.grad


def update_without_reset(params, lr):
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad


def update_half_step(params, lr):
    with torch.no_grad():
        for p in params:
            p -= 0.5 * lr * p.grad
            p.grad = None


def update_nan(params, lr):
    with torch.no_grad():
        for p in params:
            p *= float("nan")
            p.grad = None


def update_raises(params, lr):
    raise ValueError("not written yet")


def test_sgd_update_checker_accepts_every_valid_update():
    verdict = b2d.check_sgd_update(reference_update)
    assert verdict
    assert repr(verdict).startswith("✅ Correct! With your update, 200 epochs take")
    assert b2d.check_sgd_update(update_with_sub_and_zero)


def test_sgd_update_checker_explains_wrong_updates():
    assert "moved along the gradient, uphill" in rejected(
        b2d.check_sgd_update(update_uphill)
    )
    assert "the step ignores lr" in rejected(b2d.check_sgd_update(update_without_lr))
    assert "did not change" in rejected(b2d.check_sgd_update(update_rebinding))
    assert "did not change" in rejected(b2d.check_sgd_update(update_zero_first))
    assert "torch.no_grad()" in rejected(b2d.check_sgd_update(update_without_no_grad))
    assert "reset p.grad after the step" in rejected(
        b2d.check_sgd_update(update_reset_first)
    )
    assert "gradients were not reset" in rejected(
        b2d.check_sgd_update(update_without_reset)
    )
    assert "differs from that by up to" in rejected(
        b2d.check_sgd_update(update_half_step)
    )
    assert "contains NaN" in rejected(b2d.check_sgd_update(update_nan))
    assert "raised ValueError: not written yet" in rejected(
        b2d.check_sgd_update(update_raises)
    )
    assert "is still `...`" in rejected(b2d.check_sgd_update(...))
    assert "should be a function" in rejected(b2d.check_sgd_update(0.1))


def test_sgd_update_checker_leaves_the_random_state_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    b2d.check_sgd_update(reference_update)
    assert torch.equal(torch.rand(3), expected)


def four_bit_data(order=None):
    numbers = torch.arange(16) if order is None else order
    X4 = ((numbers.unsqueeze(1) >> torch.tensor([3, 2, 1, 0])) & 1).float()
    return X4, numbers


def classifier(n_out=16):
    return nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, n_out))


def test_four_bit_checker_accepts_every_valid_answer():
    X4, y4 = four_bit_data()
    verdict = b2d.check_four_bit_classifier(X4, y4, classifier())
    assert verdict and "ready for F.cross_entropy" in repr(verdict)
    shuffled = torch.randperm(16, generator=torch.Generator().manual_seed(0))
    assert b2d.check_four_bit_classifier(*four_bit_data(shuffled), classifier())
    relu_net = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 16))
    assert b2d.check_four_bit_classifier(X4, y4, relu_net)


def test_four_bit_checker_explains_wrong_data():
    X4, y4 = four_bit_data()
    net = classifier()
    assert "dtype torch.float32, but torch.int64" in rejected(
        b2d.check_four_bit_classifier(X4, y4.float(), net)
    )
    assert "shape (16, 3)" in rejected(
        b2d.check_four_bit_classifier(X4[:, 1:], y4, net)
    )
    assert "reads the bits in reverse" in rejected(
        b2d.check_four_bit_classifier(X4.flip(1), y4, net)
    )
    twice = torch.cat([torch.arange(8), torch.arange(8)])
    assert "8 of them are missing, the first is 8" in rejected(
        b2d.check_four_bit_classifier(*four_bit_data(twice), net)
    )
    assert "contains 2" in rejected(b2d.check_four_bit_classifier(X4 * 2, y4, net))
    wrong = y4.clone()
    wrong[5] = 4
    assert "row 5 of X4 is 0101, which is 5, but y4[5] is 4" in rejected(
        b2d.check_four_bit_classifier(X4, wrong, net)
    )
    assert "`X4` is still `...`" in rejected(
        b2d.check_four_bit_classifier(..., y4, net)
    )


def test_four_bit_checker_explains_wrong_networks():
    X4, y4 = four_bit_data()
    assert "a regression output" in rejected(
        b2d.check_four_bit_classifier(X4, y4, classifier(1))
    )
    assert "gives 8 logits per example" in rejected(
        b2d.check_four_bit_classifier(X4, y4, classifier(8))
    )
    three_inputs = nn.Sequential(nn.Linear(3, 16), nn.Tanh(), nn.Linear(16, 16))
    assert "net4(X4) raised RuntimeError" in rejected(
        b2d.check_four_bit_classifier(X4, y4, three_inputs)
    )
    assert "should have one row of logits per example" in rejected(
        b2d.check_four_bit_classifier(X4, y4, lambda X: X.T)
    )
    assert "`net4` is still `...`" in rejected(
        b2d.check_four_bit_classifier(X4, y4, ...)
    )
