"""Checkers for the exercises of the chapter *Training from scratch: binary to decimal*.

The chapter is book/binary_to_decimal.md. Both checkers run on the CPU and leave the caller's random
state alone, so calling them does not change the numbers of the cells that follow.
"""

import math

import torch
import torch.nn.functional as F

from nnbook.checks import (
    AnswerError,
    checker,
    close,
    expect_callable,
    expect_tensor,
    reader_code,
)

# the learning rate with which check_sgd_update calls the reader's function
UPDATE_LR = 0.1
TRAIN_LR = 0.05  # and with which it then trains a small regression network
TRAIN_EPOCHS = 200
FOUR_BITS = 4
FOUR_BIT_CLASSES = 2**FOUR_BITS
PLACE_VALUES = torch.tensor([8.0, 4.0, 2.0, 1.0])  # the highest bit, b3, comes first


def _call_update(update, params, lr) -> None:
    """Call the reader's `update(params, lr)`; explain the usual exceptions in one line."""
    hints = {
        "leaf Variable": " (PyTorch refused to change a parameter in place while it tracks "
        "gradients: do the update inside `with torch.no_grad():`)",
        "requires grad": " (do the update inside `with torch.no_grad():`)",
        "NoneType": " (a gradient was None when your update used it: reset p.grad after the "
        "step, not before)",
    }
    with reader_code("sgd_update(params, lr)", hints=hints):
        update(params, lr)


def _all_close(tensors, expected) -> bool:
    return all(
        close(t, e, atol=1e-6, rtol=1e-5)
        for t, e in zip(tensors, expected, strict=True)
    )


def _check_one_step(update) -> None:
    """Run one update on known gradients and explain any difference from p - lr * grad."""
    gen = torch.Generator().manual_seed(0)
    W = torch.randn(3, 4, generator=gen).requires_grad_()
    b = torch.randn(4, generator=gen).requires_grad_()
    X = torch.randn(5, 3, generator=gen)
    params = [W, b]
    loss = ((X @ W + b) ** 2).mean()
    loss.backward()
    before = [p.detach().clone() for p in params]
    grads = [p.grad.detach().clone() for p in params]

    _call_update(update, list(params), UPDATE_LR)

    after = [
        expect_tensor(p.detach(), f"params[{i}] after the update")
        for i, p in enumerate(params)
    ]
    if any(a.shape != b.shape for a, b in zip(after, before, strict=True)):
        raise AnswerError(
            "the update changed the shape of a parameter: change its values only"
        )
    if _all_close(after, before):
        raise AnswerError(
            "the parameters did not change: did you reset p.grad before using it, or write "
            "`p = p - ...`, which makes a new tensor instead of updating p in place?"
        )
    if _all_close(
        after, [p + UPDATE_LR * g for p, g in zip(before, grads, strict=True)]
    ):
        raise AnswerError(
            "the parameters moved along the gradient, uphill, so the loss would grow: "
            "subtract lr * p.grad"
        )
    if _all_close(after, [p - g for p, g in zip(before, grads, strict=True)]):
        raise AnswerError("the step ignores lr: subtract lr * p.grad, not p.grad")
    expected = [p - UPDATE_LR * g for p, g in zip(before, grads, strict=True)]
    for i, (a, e) in enumerate(zip(after, expected, strict=True)):
        if not torch.allclose(a, e, atol=1e-6, rtol=1e-5):
            diff = (a - e).abs().max().item()
            raise AnswerError(
                f"params[{i}] should become p - lr * p.grad, but it differs from that by up to "
                f"{diff:.4g}"
            )
    for i, p in enumerate(params):
        if not p.requires_grad:
            raise AnswerError(
                f"params[{i}] no longer requires grad after the update, so it cannot be trained"
            )
        if p.grad is not None and p.grad.abs().sum().item() != 0:
            raise AnswerError(
                "the gradients were not reset: set p.grad = None after the step, or the next "
                "backward() adds the new gradient to the old one"
            )


def _train_tiny_regression(update) -> tuple[float, float]:
    """Train 3 -> 8 (tanh) -> 1 on the 3-bit numbers with `update`; return the first and last loss."""
    numbers = torch.arange(8)
    X = ((numbers.unsqueeze(1) >> torch.tensor([2, 1, 0])) & 1).float()
    y = numbers.float()
    gen = torch.Generator().manual_seed(1)
    W1 = ((torch.rand(3, 8, generator=gen) * 2 - 1) / math.sqrt(3)).requires_grad_()
    b1 = ((torch.rand(8, generator=gen) * 2 - 1) / math.sqrt(3)).requires_grad_()
    W2 = ((torch.rand(8, 1, generator=gen) * 2 - 1) / math.sqrt(8)).requires_grad_()
    b2 = ((torch.rand(1, generator=gen) * 2 - 1) / math.sqrt(8)).requires_grad_()
    losses = []
    for _ in range(TRAIN_EPOCHS):
        loss = F.mse_loss((torch.tanh(X @ W1 + b1) @ W2 + b2).squeeze(1), y)
        losses.append(loss.item())
        loss.backward()
        _call_update(update, [W1, b1, W2, b2], TRAIN_LR)
    if not all(math.isfinite(v) for v in losses):
        raise AnswerError("training with your update made the loss NaN or infinite")
    return losses[0], losses[-1]


@checker
def check_sgd_update(sgd_update):
    """`sgd_update(params, lr)` must do `p -= lr * p.grad` in place, without tracking, then reset p.grad.

    The checker takes the function. It calls it once on two parameters with known gradients and
    compares the result with p - lr * grad, then trains a small regression network with it. Resetting
    a gradient to None or to zeros are both accepted.
    """
    update = expect_callable(sgd_update, "sgd_update")
    with torch.random.fork_rng(devices=[]):
        _check_one_step(update)
        first, last = _train_tiny_regression(update)
    if not last < first:
        raise AnswerError(
            f"the loss did not fall when training with your update ({first:.3g} -> {last:.3g})"
        )
    return (
        f"With your update, {TRAIN_EPOCHS} epochs take a small regression network's loss from "
        f"{first:.3g} to {last:.3g}."
    )


def _check_four_bit_data(X4: torch.Tensor, y4: torch.Tensor) -> None:
    X4, y4 = X4.detach().cpu(), y4.detach().cpu()
    not_bits = X4[(X4 != 0) & (X4 != 1)]
    if not_bits.numel():
        raise AnswerError(
            f"`X4` should hold bits, 0 or 1, but it contains {not_bits[0].item():g}"
        )
    values = (X4 @ PLACE_VALUES).long()
    missing = sorted(set(range(FOUR_BIT_CLASSES)) - set(values.tolist()))
    if missing:
        raise AnswerError(
            f"`X4` should hold every 4-bit number from 0000 to 1111 once, but {len(missing)} of them "
            f"are missing, the first is {missing[0]}"
        )
    if torch.equal(y4, values):
        return
    if torch.equal(y4, (X4 @ PLACE_VALUES.flip(0)).long()):
        raise AnswerError(
            "`y4` reads the bits in reverse: the first column of X4 is the highest bit, worth 8"
        )
    i = int((y4 != values).nonzero()[0, 0])
    bits = "".join(str(int(v)) for v in X4[i].tolist())
    raise AnswerError(
        f"row {i} of X4 is {bits}, which is {values[i].item()}, but y4[{i}] is {y4[i].item()}"
    )


@checker
def check_four_bit_classifier(X4, y4, net4):
    """The data and the classifier for 4-bit numbers: X4 (16, 4) bits, y4 (16,) labels, 16 logits.

    Any order of the 16 rows is accepted, as long as y4 holds the value of each row of X4, and any
    network that maps X4 to one row of 16 logits per example.
    """
    X4 = expect_tensor(
        X4, "X4", shape=(FOUR_BIT_CLASSES, FOUR_BITS), dtype=torch.float32
    )
    y4 = expect_tensor(y4, "y4", shape=(FOUR_BIT_CLASSES,), dtype=torch.int64)
    _check_four_bit_data(X4, y4)
    net4 = expect_callable(net4, "net4")
    with reader_code(
        "net4(X4)", hints={"": "; does net4 take 4 inputs, on X4's device?"}
    ):
        with torch.no_grad():
            logits = net4(X4)
    logits = expect_tensor(logits, "net4(X4)").detach().cpu()
    if logits.ndim == 1 or (logits.ndim == 2 and logits.shape[1] == 1):
        raise AnswerError(
            "net4 gives one number per example, a regression output: a classifier needs one logit "
            f"per class, {FOUR_BIT_CLASSES}"
        )
    if logits.ndim != 2 or logits.shape[0] != FOUR_BIT_CLASSES:
        raise AnswerError(
            f"net4(X4) has shape {tuple(logits.shape)}, but it should have one row of logits per "
            f"example, ({FOUR_BIT_CLASSES}, {FOUR_BIT_CLASSES})"
        )
    if logits.shape[1] != FOUR_BIT_CLASSES:
        raise AnswerError(
            f"net4 gives {logits.shape[1]} logits per example, but 4-bit numbers fall into "
            f"{FOUR_BIT_CLASSES} classes, 0 to 15"
        )
    # the pair is ready for the classification loss
    F.cross_entropy(logits.float(), y4.cpu())
    return "16 logits per example and integer labels: ready for F.cross_entropy."
