"""Checkers for the exercises of the chapter *Activation functions* (book/activations.md)."""

import torch

from nnbook.checks import (
    AnswerError,
    call_answer,
    checker,
    expect_callable,
    expect_close,
    expect_tensor,
    readable,
)

# Inputs on which a reader's softmax is run, each with a label that names it in a message. The 3 x 3
# batch catches a division that broadcasts the row sums the wrong way (a sum without keepdim=True),
# and the mixed batch catches subtracting the maximum of the whole batch instead of each row's.
SOFTMAX_INPUTS = [
    ("small logits [[2.0, 1.0, 0.1]]", torch.tensor([[2.0, 1.0, 0.1]])),
    (
        "a batch of 4 rows of 5 logits",
        torch.randn(4, 5, generator=torch.Generator().manual_seed(0)),
    ),
    (
        "a batch of 3 rows of 3 logits",
        torch.tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0], [-1.0, 5.0, 2.0]]),
    ),
    (
        "huge logits [[1000.0, 1001.0, 1002.0]]",
        torch.tensor([[1000.0, 1001.0, 1002.0]]),
    ),
    (
        "very negative logits [[-1000.0, -1001.0, -1002.0]]",
        torch.tensor([[-1000.0, -1001.0, -1002.0]]),
    ),
    (
        "a batch mixing huge and small rows",
        torch.tensor([[1000.0, 1001.0, 1002.0], [0.1, 0.2, 0.3], [-50.0, 0.0, 50.0]]),
    ),
]

# (label, z, negative_slope) for the leaky ReLU derivative. Two slopes catch a hard-coded 0.01.
LEAKY_INPUTS = [
    (
        "z = [-3, -0.5, 0, 0.5, 3] with negative_slope=0.1",
        torch.tensor([-3.0, -0.5, 0.0, 0.5, 3.0]),
        0.1,
    ),
    (
        "a (4, 3) batch with negative_slope=0.01",
        torch.randn(4, 3, generator=torch.Generator().manual_seed(1)),
        0.01,
    ),
    (
        "z = [-2, -1, 1, 2] with negative_slope=0.2",
        torch.tensor([-2.0, -1.0, 1.0, 2.0]),
        0.2,
    ),
]


@checker
def check_stable_softmax(stable_softmax):
    """`stable_softmax(z)` must equal torch.softmax(z, dim=1), also for logits that overflow exp."""
    fn = expect_callable(stable_softmax, "stable_softmax")
    for label, z in SOFTMAX_INPUTS:
        out = call_answer(fn, "stable_softmax", label, z)
        try:
            if (
                isinstance(out, torch.Tensor)
                and readable(out)
                and out.is_floating_point()
            ):
                if not torch.isfinite(out.detach()).all():
                    raise AnswerError(
                        "`stable_softmax(z)` contains NaN or inf: exp overflowed to inf or "
                        "underflowed to 0, and inf/inf or 0/0 is NaN; subtract each row's "
                        "maximum before calling exp"
                    )
            out = expect_tensor(out, "stable_softmax(z)", shape=z.shape, dtype=z.dtype)
            row_sums = out.detach().cpu().sum(dim=1)
            if not torch.allclose(row_sums, torch.ones_like(row_sums), atol=1e-4):
                worst = int((row_sums - 1).abs().argmax())
                raise AnswerError(
                    f"row {worst} sums to {row_sums[worst].item():.4g}, not 1: normalise each "
                    "row over dim=1, and keep the summed dimension (keepdim=True) so the "
                    "division lines up with the rows"
                )
            expect_close(out, torch.softmax(z, dim=1), "stable_softmax(z)")
        except AnswerError as err:
            raise AnswerError(f"on {label}: {err}") from None
    return "Your softmax is correct and stays finite however large or small the logits are."


@checker
def check_leaky_relu_grad(leaky_relu_grad):
    """`leaky_relu_grad(z, negative_slope)` must be 1 where z > 0 and negative_slope where z < 0."""
    fn = expect_callable(leaky_relu_grad, "leaky_relu_grad")
    for label, z, slope in LEAKY_INPUTS:
        out = call_answer(fn, "leaky_relu_grad", label, z, slope)
        try:
            out = expect_tensor(
                out, "leaky_relu_grad(z, negative_slope)", shape=z.shape, dtype=z.dtype
            )
        except AnswerError as err:
            raise AnswerError(f"on {label}: {err}") from None
        out = out.detach().cpu()
        expected = torch.where(z > 0, 1.0, slope)
        # the derivative is undefined at 0: either one-sided slope is accepted
        at_zero = z == 0
        expected = torch.where(
            at_zero & torch.isclose(out, torch.ones_like(out)), 1.0, expected
        )
        wrong = ~torch.isclose(out, expected, atol=1e-6)
        if wrong.any():
            i = tuple(int(k) for k in wrong.nonzero()[0])
            if z[i] > 0:
                why = "for z > 0 leaky ReLU is z itself, whose slope is 1"
            elif z[i] < 0:
                why = f"for z < 0 leaky ReLU is negative_slope * z, whose slope is {slope}"
            else:
                why = f"at z = 0 either one-sided slope is accepted, 1 or {slope}"
            raise AnswerError(
                f"on {label}: at z = {z[i].item():.4g} your derivative is {out[i].item():.4g}, "
                f"but it should be {expected[i].item():.4g}: {why}"
            )
    return "1 for z > 0 and negative_slope for z < 0: the slopes autograd uses for leaky_relu."
