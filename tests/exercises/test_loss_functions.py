"""The checkers of book/loss_functions.md accept every valid answer and explain wrong ones."""

import math

import numpy as np
import torch
import torch.nn.functional as F

from nnbook.exercises import loss_functions
from tests.exercises.verdicts import rejected


def logsumexp_cross_entropy(logits, y):
    log_probs = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    return -log_probs[torch.arange(len(y)), y].mean()


def max_shift_cross_entropy(logits, y):
    shifted = logits - logits.max(dim=1, keepdim=True).values
    log_probs = shifted - torch.log(torch.exp(shifted).sum(dim=1, keepdim=True))
    return -log_probs.gather(1, y[:, None]).mean()


def one_hot_cross_entropy(logits, y):
    log_probs = F.log_softmax(logits, dim=1)
    return -(F.one_hot(y, logits.shape[1]) * log_probs).sum(dim=1).mean()


def naive_cross_entropy(logits, y):
    probs = torch.exp(logits) / torch.exp(logits).sum(dim=1, keepdim=True)
    return -torch.log(probs[torch.arange(len(y)), y]).mean()


def log_of_softmax_cross_entropy(logits, y):
    """Stable softmax, then log: a probability that underflows to 0 gives log(0) = -inf."""
    probs = torch.softmax(logits, dim=1)
    return -torch.log(probs[torch.arange(len(y)), y]).mean()


def test_cross_entropy_checker_accepts_every_valid_answer():
    assert loss_functions.check_cross_entropy(logsumexp_cross_entropy)
    assert loss_functions.check_cross_entropy(max_shift_cross_entropy)
    assert loss_functions.check_cross_entropy(one_hot_cross_entropy)
    assert loss_functions.check_cross_entropy(F.cross_entropy)
    assert loss_functions.check_cross_entropy(
        lambda z, y: F.cross_entropy(z.double(), y)
    )


def test_cross_entropy_checker_explains_wrong_answers():
    verdict = loss_functions.check_cross_entropy(naive_cross_entropy)
    assert not verdict
    assert repr(verdict).startswith(
        "❌ Not yet: on huge logits [[1000, 0, -1000], [0, 1000, 0]] with targets [2, 0]: "
        "overflow: `cross_entropy(logits, y)` is inf or NaN"
    )
    assert "subtract each row's max before exp, or use torch.logsumexp" in repr(verdict)
    verdict = loss_functions.check_cross_entropy(log_of_softmax_cross_entropy)
    assert "on huge logits" in repr(verdict) and "overflow:" in repr(verdict)

    summed = loss_functions.check_cross_entropy(
        lambda z, y: logsumexp_cross_entropy(z, y) * len(y)
    )
    assert repr(summed) == (
        "❌ Not yet: on a batch of 4 examples with 3 classes: you summed the per-example losses; "
        "the convention is the mean over the batch"
    )
    twice = loss_functions.check_cross_entropy(
        lambda z, y: F.cross_entropy(torch.softmax(z, dim=1), y)
    )
    assert "on a batch of 4 examples with 3 classes: you applied softmax twice" in repr(
        twice
    )
    negated = loss_functions.check_cross_entropy(lambda z, y: -F.cross_entropy(z, y))
    assert "cross-entropy is never negative" in repr(negated)

    per_example = loss_functions.check_cross_entropy(
        lambda z, y: F.cross_entropy(z, y, reduction="none")
    )
    assert "has shape (4,), but a loss is one number, a 0-d tensor" in repr(per_example)
    wrong_dim = loss_functions.check_cross_entropy(
        lambda z, y: -F.log_softmax(z, dim=0)[torch.arange(len(y)), y].mean()
    )
    assert (
        "on a batch of 4 examples with 3 classes: `cross_entropy(logits, y)` differs"
        in repr(wrong_dim)
    )
    assert "largest difference" in repr(wrong_dim)

    integer = loss_functions.check_cross_entropy(lambda z, y: torch.tensor(1))
    assert "dtype torch.int64, but a loss is a float" in repr(integer)
    assert "is None" in repr(loss_functions.check_cross_entropy(lambda z, y: None))
    assert "`cross_entropy(logits, y)` is still `...`" in repr(
        loss_functions.check_cross_entropy(lambda z, y: ...)
    )
    assert "still `...`" in repr(loss_functions.check_cross_entropy(...))
    assert "should be a function" in repr(
        loss_functions.check_cross_entropy(np.zeros(3))
    )
    raised = loss_functions.check_cross_entropy(lambda z: z)
    assert "`cross_entropy` raised TypeError on a batch of 4 examples" in repr(raised)


def test_cross_entropy_messages_are_one_line():
    wrong = [
        naive_cross_entropy,
        log_of_softmax_cross_entropy,
        lambda z, y: F.cross_entropy(torch.softmax(z, dim=1), y),
        lambda z, y: F.cross_entropy(z, y, reduction="sum"),
    ]
    for fn in wrong:
        verdict = loss_functions.check_cross_entropy(fn)
        assert not verdict and "\n" not in repr(verdict)


Y = torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
# a model's output, shape (6, 1)
Y_HAT = torch.tensor([[1.5], [0.5], [3.0], [6.0], [4.0], [6.5]])


def test_mse_mae_checker_accepts_every_valid_answer():
    errors = Y_HAT.squeeze(1) - Y
    assert loss_functions.check_mse_mae(
        (errors**2).mean(), errors.abs().mean(), Y_HAT, Y
    )
    y_hat = Y_HAT.view(-1)
    assert loss_functions.check_mse_mae(
        F.mse_loss(y_hat, Y), F.l1_loss(y_hat, Y), Y_HAT, Y
    )
    mse = ((Y - Y_HAT[:, 0]) ** 2).sum() / len(Y)
    assert loss_functions.check_mse_mae(
        mse, (Y - y_hat).abs().mean().double(), Y_HAT, Y
    )


def test_mse_mae_checker_explains_wrong_answers():
    errors = Y_HAT.squeeze(1) - Y
    mse, mae = (errors**2).mean(), errors.abs().mean()
    check = loss_functions.check_mse_mae

    verdict = check(((Y_HAT - Y) ** 2).mean(), mae, Y_HAT, Y)
    assert repr(verdict) == (
        "❌ Not yet: `mse` is the mean of a (6, 6) table: y_hat (6, 1) minus y (6,) broadcasts; "
        "squeeze y_hat first"
    )
    assert "`mae` is the mean of a (6, 6) table" in repr(
        check(mse, (Y_HAT - Y).abs().mean(), Y_HAT, Y)
    )
    assert "`mse` has shape (6, 6): y_hat (6, 1) minus y (6,) broadcast" in repr(
        check((Y_HAT - Y) ** 2, mae, Y_HAT, Y)
    )
    assert "`mse` has shape (6,): one error per example" in repr(
        check(errors**2, mae, Y_HAT, Y)
    )
    assert "`mse` is the sum of the squared errors" in repr(
        check((errors**2).sum(), mae, Y_HAT, Y)
    )
    assert "`mse` equals the MAE" in repr(check(mae, mae, Y_HAT, Y))
    assert "(the RMSE)" in repr(check(mse.sqrt(), mae, Y_HAT, Y))
    assert "`mse` differs from the expected values" in repr(
        check(mse + 1, mae, Y_HAT, Y)
    )

    assert "`mae` is the sum of the absolute errors" in repr(
        check(mse, errors.abs().sum(), Y_HAT, Y)
    )
    assert "`mae` equals the MSE" in repr(check(mse, mse, Y_HAT, Y))
    assert "mean of the signed errors" in repr(check(mse, errors.mean(), Y_HAT, Y))
    assert "mean of the signed errors" in repr(
        check(mse, (Y - Y_HAT.squeeze(1)).mean(), Y_HAT, Y)
    )
    assert "`mae` differs from the expected values" in repr(
        check(mse, mae * 2, Y_HAT, Y)
    )

    assert "`mse` is still `...`" in repr(check(..., ..., Y_HAT, Y))
    assert "`mae` is still `...`" in repr(check(mse, ..., Y_HAT, Y))
    assert "`mse` has dtype torch.int64, but a loss is a float" in repr(
        check(torch.tensor(1), mae, Y_HAT, Y)
    )
    assert "Python float, not a tensor" not in repr(check(mse, mae, Y_HAT, Y))
    assert "should be a torch.Tensor, but it is a float" in repr(
        check(mse.item(), mae, Y_HAT, Y)
    )


def test_soft_target_gradient_checker_accepts_the_answer_and_names_each_slip():
    check = loss_functions.check_soft_target_gradient
    logits = torch.tensor(loss_functions.SOFT_LOGITS, requires_grad=True)
    target = torch.tensor(loss_functions.SOFT_TARGET)
    F.cross_entropy(logits[None], target[None]).backward()
    autograd_answer = logits.grad[1]
    for answer in (-0.125, -1 / 8, -0.1254, autograd_answer, np.float64(-0.125)):
        assert check(answer), repr(check(answer))
    assert (
        repr(check(-0.125)) == "✅ Correct! dL/dz_1 = p_1 - q_1 = 3/8 - 1/2 = -0.125."
    )
    slips = {
        -0.625: "the gradient for a one-hot target of class 1",
        0.375: "that is p_1 alone",
        -0.5: "that is -q_1 alone",
        0.125: "the sign is flipped",
        math.log(3) - 0.5: "uses the logit z_1 = ln 3",
        3 / 7 - 0.5: "the class with logit 0 counts too",
        -0.125 / 3: "do not divide by 3",
        -(0.5 * math.log(1 / 8) + 0.5 * math.log(3 / 8)): "that is the loss itself",
        0.3: "not p_1 - q_1: compute p = softmax(z)",
        -0.12: "not p_1 - q_1",
    }
    for answer, reason in slips.items():
        message = rejected(check(answer))
        assert reason in message, (answer, message)
    assert "is still `...`" in rejected(check(...))
    assert (
        "is a str, but it should be one number: work it out as one number"
        in rejected(check("-0.125"))
    )
    assert "is a tensor of shape (3,)" in rejected(check(torch.zeros(3)))
    assert "is NaN" in rejected(check(float("nan")))
