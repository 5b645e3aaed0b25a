"""Checkers for the exercises of the chapter *Loss functions* (book/loss_functions.md)."""

import math

import torch
import torch.nn.functional as F

from nnbook.checks import (
    AnswerError,
    call_answer,
    checker,
    close,
    expect_callable,
    expect_close,
    expect_number,
    expect_tensor,
    explain_slip,
    readable,
)

TOL = {"atol": 1e-4, "rtol": 1e-4}

# (label, logits, targets) on which a reader's cross-entropy is run. The first batch has N > 1, so
# a sum differs from the mean, and moderate logits, so softmax applied twice gives a clearly
# different number. The last two hold logits for which exp overflows or a probability underflows.
CROSS_ENTROPY_INPUTS = [
    (
        "a batch of 4 examples with 3 classes",
        torch.tensor(
            [[2.0, 1.0, 0.1], [0.5, -1.0, 2.5], [-0.3, 0.8, 0.2], [1.5, 1.5, -2.0]],
        ),
        torch.tensor([0, 2, 1, 1]),
    ),
    (
        "one example with 5 classes",
        torch.tensor([[0.1, -2.0, 3.0, 0.5, 1.0]]),
        torch.tensor([3]),
    ),
    (
        "a batch of 8 examples with 10 classes",
        3 * torch.randn(8, 10, generator=torch.Generator().manual_seed(0)),
        torch.tensor([0, 9, 3, 3, 5, 1, 7, 2]),
    ),
    (
        "huge logits [[1000, 0, -1000], [0, 1000, 0]] with targets [2, 0]",
        torch.tensor([[1000.0, 0.0, -1000.0], [0.0, 1000.0, 0.0]]),
        torch.tensor([2, 0]),
    ),
    (
        "very negative logits [[-1000, -1001, -1002]] with target [1]",
        torch.tensor([[-1000.0, -1001.0, -1002.0]]),
        torch.tensor([1]),
    ),
]


@checker
def check_cross_entropy(cross_entropy):
    """`cross_entropy(logits, y)` must equal F.cross_entropy(logits, y), also for huge logits."""
    fn = expect_callable(cross_entropy, "cross_entropy")
    for label, logits, y in CROSS_ENTROPY_INPUTS:
        out = call_answer(fn, "cross_entropy", label, logits, y)
        name = "cross_entropy(logits, y)"
        expected = F.cross_entropy(logits, y)
        try:
            if (
                isinstance(out, torch.Tensor)
                and readable(out)
                and out.is_floating_point()
            ):
                if not torch.isfinite(out.detach()).all():
                    raise AnswerError(
                        f"overflow: `{name}` is inf or NaN, because exp overflowed to inf or a "
                        "probability underflowed to 0 before the log; subtract each row's max "
                        "before exp, or use torch.logsumexp"
                    )
            out = expect_tensor(out, name)
            if not out.is_floating_point():
                raise AnswerError(
                    f"`{name}` has dtype {out.dtype}, but a loss is a float"
                )
            if out.shape != ():
                raise AnswerError(
                    f"`{name}` has shape {tuple(out.shape)}, but a loss is one number, a 0-d "
                    "tensor: average the per-example losses with .mean()"
                )
            if len(y) > 1 and close(out, expected * len(y), **TOL):
                raise AnswerError(
                    "you summed the per-example losses; the convention is the mean over the batch"
                )
            if close(out, F.cross_entropy(torch.softmax(logits, dim=1), y), **TOL):
                raise AnswerError(
                    "you applied softmax twice: your function turned the logits into "
                    "probabilities and then took log-softmax of those; apply log-softmax to the "
                    "logits once"
                )
            if close(out, -expected, **TOL):
                raise AnswerError(
                    f"`{name}` is {out.item():.4g}, but cross-entropy is never negative: the loss "
                    "is minus the mean log-probability of the true classes"
                )
            expect_close(out, expected, name, **TOL)
        except AnswerError as err:
            raise AnswerError(f"on {label}: {err}") from None
    return (
        "Your cross-entropy matches F.cross_entropy and stays finite for huge logits."
    )


def _expect_scalar(answer: object, name: str, n: int) -> torch.Tensor:
    """A 0-d float tensor, with specific messages for the shapes that the usual mistakes give."""
    answer = expect_tensor(answer, name)
    shape = tuple(answer.shape)
    if shape == (n,) or shape == (n, 1):
        raise AnswerError(
            f"`{name}` has shape {shape}: one error per example; average them with .mean() "
            "to get a single number"
        )
    if shape == (n, n):
        raise AnswerError(
            f"`{name}` has shape {shape}: y_hat {(n, 1)} minus y {(n,)} broadcast to a table of "
            "every prediction minus every target; squeeze y_hat to shape "
            f"{(n,)} first"
        )
    answer = expect_tensor(answer, name, shape=())
    if not answer.is_floating_point():
        raise AnswerError(f"`{name}` has dtype {answer.dtype}, but a loss is a float")
    return answer


@checker
def check_mse_mae(mse, mae, y_hat, y):
    """`mse` and `mae` must be the mean squared and mean absolute errors of `y_hat` against `y`."""
    n = len(y)
    errors = y_hat.detach().cpu().reshape(-1) - y.detach().cpu()
    # the (N, 1) - (N,) trap, if shapes differ
    broadcast = y_hat.detach().cpu() - y.detach().cpu()
    right_mse, right_mae = (errors**2).mean(), errors.abs().mean()

    mse = _expect_scalar(mse, "mse", n)
    if not close(mse, right_mse, **TOL):
        if broadcast.shape != errors.shape and close(mse, (broadcast**2).mean(), **TOL):
            raise AnswerError(
                f"`mse` is the mean of a {tuple(broadcast.shape)} table: y_hat "
                f"{tuple(y_hat.shape)} minus y {tuple(y.shape)} broadcasts; squeeze y_hat first"
            )
        if close(mse, (errors**2).sum(), **TOL):
            raise AnswerError(
                "`mse` is the sum of the squared errors; the mean divides it by the number of "
                "examples"
            )
        if close(mse, right_mae, **TOL):
            raise AnswerError(
                "`mse` equals the MAE: square the errors instead of taking .abs()"
            )
        if close(mse, right_mse.sqrt(), **TOL):
            raise AnswerError(
                "`mse` is the square root of the MSE (the RMSE): leave out the square root"
            )
        expect_close(mse, right_mse, "mse", **TOL)

    mae = _expect_scalar(mae, "mae", n)
    if not close(mae, right_mae, **TOL):
        if broadcast.shape != errors.shape and close(
            mae, broadcast.abs().mean(), **TOL
        ):
            raise AnswerError(
                f"`mae` is the mean of a {tuple(broadcast.shape)} table: y_hat "
                f"{tuple(y_hat.shape)} minus y {tuple(y.shape)} broadcasts; squeeze y_hat first"
            )
        if close(mae, errors.abs().sum(), **TOL):
            raise AnswerError(
                "`mae` is the sum of the absolute errors; the mean divides it by the number of "
                "examples"
            )
        if close(mae, right_mse, **TOL):
            raise AnswerError(
                "`mae` equals the MSE: take .abs() of the errors instead of squaring"
            )
        if close(mae, errors.mean(), **TOL) or close(mae, -errors.mean(), **TOL):
            raise AnswerError(
                "`mae` is the mean of the signed errors, where positive and negative errors "
                "cancel: take .abs() before the mean"
            )
        expect_close(mae, right_mae, "mae", **TOL)
    return "Both match F.mse_loss and F.l1_loss on predictions of the right shape."


# The exercise on paper: one example, logits (0, ln 3, ln 4), so exp(z) = (1, 3, 4) and
# p = (1/8, 3/8, 4/8), with the soft target q = (0.5, 0.5, 0). The answer is dL/dz_1 = p_1 - q_1.
SOFT_LOGITS = (0.0, math.log(3.0), math.log(4.0))
SOFT_TARGET = (0.5, 0.5, 0.0)
SOFT_TOLERANCE = 1e-3  # -0.125 and -0.1250 pass; -0.12 does not


@checker
def check_soft_target_gradient(dL_dz1):
    """`dL_dz1`: dL/dz_1 of the cross-entropy of one example with SOFT_LOGITS and SOFT_TARGET.

    The derivative is p_1 - q_1 = 3/8 - 1/2 = -1/8. The usual slips (the one-hot formula, p or q
    alone, the sign, the logit in place of the probability, a softmax without e^0, an average over
    the classes, the loss itself) each get their own explanation.
    """
    value = expect_number(dL_dz1, "dL_dz1", hint="work it out as one number")
    exp_z = [math.exp(z) for z in SOFT_LOGITS]
    p = [e / sum(exp_z) for e in exp_z]
    q = SOFT_TARGET
    right = p[1] - q[1]
    if abs(value - right) <= SOFT_TOLERANCE:
        return f"dL/dz_1 = p_1 - q_1 = 3/8 - 1/2 = {right:g}."
    loss = -sum(qk * math.log(pk) for qk, pk in zip(q, p, strict=True))
    slips = [
        (
            p[1] - 1,
            "that is p_1 - 1, the gradient for a one-hot target of class 1; the soft target "
            "has q_1 = 0.5, so subtract 0.5",
        ),
        (p[1], "that is p_1 alone; the term -q_1 z_1 of the loss adds -q_1"),
        (-q[1], "that is -q_1 alone; the log-sum-exp term adds p_1 = softmax(z)_1"),
        (
            q[1] - p[1],
            "the sign is flipped: the derivative is p_1 - q_1, probability minus target",
        ),
        (
            SOFT_LOGITS[1] - q[1],
            "that uses the logit z_1 = ln 3 where the probability p_1 = softmax(z)_1 belongs",
        ),
        (
            3 / 7 - q[1],
            "softmax divides by e^0 + e^(ln 3) + e^(ln 4) = 1 + 3 + 4 = 8; "
            "the class with logit 0 counts too",
        ),
        (
            right / 3,
            "the cross-entropy sums over the classes, it does not average them: do not divide by 3",
        ),
        (
            loss,
            "that is the loss itself, -sum q_k log p_k; the exercise asks for its derivative",
        ),
    ]
    explain_slip(value, "dL_dz1", slips, atol=SOFT_TOLERANCE)
    raise AnswerError(
        f"`dL_dz1` is {value:.4g}, not p_1 - q_1: compute p = softmax(z) from exp(z) = (1, 3, 4), "
        "then subtract the target's q_1"
    )
