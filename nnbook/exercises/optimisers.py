"""Checkers for the exercises of the chapter *Optimisers* (book/optimisers.md)."""

import math

import torch

from nnbook.checks import (
    AnswerError,
    checker,
    expect_class,
    expect_number,
    one_line_error,
    reader_code,
)

# check_momentum_sgd: the settings and the number of steps on which the reader's class is compared
# with torch.optim.SGD(params, lr=LR, momentum=MOMENTUM, weight_decay=WEIGHT_DECAY).
LR, MOMENTUM, WEIGHT_DECAY = 0.1, 0.9, 0.05
NUM_STEPS = 5
TOLERANCE = 1e-5

# check_adam_lr: the chapter's valley f(w) = 0.5 (a1 w1^2 + a2 w2^2), started at VALLEY_START.
VALLEY_CURVATURES = (1.0, 50.0)
VALLEY_START = (-4.0, 1.0)
ADAM_STEPS = 100
ADAM_TARGET = 0.01


# ---------------------------------------------------------------------------------------------
# Exercise 1: SGD with momentum and weight decay, step by step as torch.optim.SGD computes it.


def _problem():
    """A fixed batch and starting parameters W (3, 2) and b (2,) of a linear model, on the CPU."""
    gen = torch.Generator().manual_seed(0)
    X = torch.randn(8, 3, generator=gen)
    y = torch.randn(8, 2, generator=gen)
    start = [torch.randn(3, 2, generator=gen), torch.randn(2, generator=gen)]
    return X, y, start


def _loss(params, X, y):
    W, b = params
    return ((X @ W + b - y) ** 2).mean()


def _flat(params) -> torch.Tensor:
    return torch.cat([p.detach().flatten() for p in params]).clone()


def _simulate(update, X, y, start) -> torch.Tensor:
    """Apply `update(params, grads, bufs, k)` NUM_STEPS times; return the parameters after each step."""
    params = [p.clone() for p in start]
    bufs = [None] * len(params)
    trajectory = []
    for k in range(1, NUM_STEPS + 1):
        leaves = [p.clone().requires_grad_(True) for p in params]
        grads = torch.autograd.grad(_loss(leaves, X, y), leaves)
        update(params, grads, bufs, k)
        trajectory.append(_flat(params))
    return torch.stack(trajectory)


def _torch_trajectory(X, y, start, **options) -> torch.Tensor:
    params = [p.clone().requires_grad_(True) for p in start]
    optimiser = torch.optim.SGD(params, lr=LR, **options)
    trajectory = []
    for _ in range(NUM_STEPS):
        optimiser.zero_grad()
        _loss(params, X, y).backward()
        optimiser.step()
        trajectory.append(_flat(params))
    return torch.stack(trajectory)


def _momentum_variant(
    *,
    decay=WEIGHT_DECAY,
    dampen=False,
    dampen_first=True,
    decay_outside=False,
    nesterov=False,
    sign=1.0,
    keep_buffer=True,
):
    """One wrong (or, with the defaults, right) way to write the momentum update."""

    def update(params, grads, bufs, k):
        for i, (p, g) in enumerate(zip(params, grads, strict=True)):
            if not decay_outside:
                g = g + decay * p
            if bufs[i] is None or not keep_buffer:
                first = (1 - MOMENTUM) * g if dampen and dampen_first else g
                bufs[i] = first.clone()
            elif dampen:
                bufs[i] = MOMENTUM * bufs[i] + (1 - MOMENTUM) * g
            else:
                bufs[i] = MOMENTUM * bufs[i] + g
            direction = g + MOMENTUM * bufs[i] if nesterov else bufs[i]
            if decay_outside:
                direction = direction + decay * p
            p -= sign * LR * direction

    return update


# Each typical mistake, and the one-line hint the checker gives when the reader's steps match it.
MOMENTUM_MISTAKES = (
    (
        _momentum_variant(decay=0.0),
        "your steps match momentum without weight decay: add weight_decay * p to the gradient "
        "before it enters the buffer",
    ),
    (
        _momentum_variant(decay=-WEIGHT_DECAY),
        "your weight decay has the wrong sign: add weight_decay * p to the gradient, so that it "
        "pulls the weights towards 0",
    ),
    (
        _momentum_variant(dampen=True),
        "your buffer averages the gradients, buf = momentum * buf + (1 - momentum) * g, but "
        "PyTorch adds the whole gradient: buf = momentum * buf + g",
    ),
    (
        _momentum_variant(dampen=True, dampen_first=False),
        "your buffer averages the gradients, buf = momentum * buf + (1 - momentum) * g, but "
        "PyTorch adds the whole gradient: buf = momentum * buf + g",
    ),
    (
        _momentum_variant(decay_outside=True),
        "you add weight_decay * p after the buffer, but PyTorch adds it to the gradient first, "
        "so that it goes through the buffer too",
    ),
    (
        _momentum_variant(keep_buffer=False),
        "your steps match SGD without momentum: keep each buffer from one step to the next "
        "(self.bufs[i]) and step along it, p -= lr * buf",
    ),
    (
        _momentum_variant(nesterov=True),
        "your steps match Nesterov momentum (nesterov=True): step along the buffer itself, "
        "p -= lr * buf",
    ),
    (
        _momentum_variant(sign=-1.0),
        "your parameters move uphill, so the loss grows: subtract lr * buf from each parameter",
    ),
)


@checker
def check_momentum_sgd(MomentumSGD):
    """`MomentumSGD(params, lr, momentum, weight_decay).step()` must match torch.optim.SGD's steps.

    The checker takes the class. It builds a small linear model on the CPU, runs NUM_STEPS steps of
    the reader's optimiser and of torch.optim.SGD from the same start, and compares the parameters
    after every step. When they differ, it names the first step that differs, or the typical
    mistake whose steps the reader's match.
    """
    expect_class(MomentumSGD, "MomentumSGD", "check_momentum_sgd")
    X, y, start = _problem()
    params = [p.clone().requires_grad_(True) for p in start]
    call = f"MomentumSGD(params, lr={LR}, momentum={MOMENTUM}, weight_decay={WEIGHT_DECAY})"
    with reader_code(call):
        optimiser = MomentumSGD(
            params, lr=LR, momentum=MOMENTUM, weight_decay=WEIGHT_DECAY
        )
    if not callable(getattr(optimiser, "step", None)):
        raise AnswerError(
            "the optimiser has no step() method: define `def step(self):` in the class"
        )

    ours = []
    for k in range(1, NUM_STEPS + 1):
        for p in params:
            p.grad = None  # what zero_grad() does
        _loss(params, X, y).backward()
        before = _flat(params)
        hints = {
            "leaf Variable": " (update the parameters inside `with torch.no_grad():`)"
        }
        with reader_code(f"at step {k}, step()", hints=hints):
            optimiser.step()
        after = _flat(params)
        if torch.isnan(after).any():
            raise AnswerError(f"after step {k} the parameters contain NaN")
        if torch.equal(before, after):
            raise AnswerError(
                f"step {k} did not change the parameters: update each one in place, p -= ..., "
                "because p = p - ... only gives the name p a new tensor"
            )
        ours.append(after)
    ours = torch.stack(ours)

    expected = _torch_trajectory(
        X, y, start, momentum=MOMENTUM, weight_decay=WEIGHT_DECAY
    )
    gaps = (ours - expected).abs().amax(dim=1)
    wrong = (gaps > TOLERANCE).nonzero()
    if len(wrong) == 0:
        return f"Your steps match torch.optim.SGD's for all {NUM_STEPS} steps."
    for update, hint in MOMENTUM_MISTAKES:
        if torch.allclose(ours, _simulate(update, X, y, start), atol=TOLERANCE, rtol=0):
            raise AnswerError(hint)
    k = wrong[0].item() + 1
    agreed = f" (the {k - 1} steps before agree)" if k > 1 else ""
    raise AnswerError(
        f"after step {k} your parameters differ from torch.optim.SGD's by up to "
        f"{gaps[k - 1].item():.3g}{agreed}: compare your step with the three equations"
    )


# ---------------------------------------------------------------------------------------------
# Exercise 2: a learning rate for Adam on the valley.


def valley_loss(w: torch.Tensor) -> torch.Tensor:
    """The chapter's valley, 0.5 (a1 w1^2 + a2 w2^2), for w of shape (2,) or (k, 2)."""
    a = torch.tensor(VALLEY_CURVATURES, dtype=w.dtype, device=w.device)
    return 0.5 * (a * w**2).sum(dim=-1)


def adam_on_valley(lr: float, num_steps: int = ADAM_STEPS) -> torch.Tensor:
    """Run torch.optim.Adam on the valley from VALLEY_START; return the path, (num_steps + 1, 2)."""
    w = torch.tensor(VALLEY_START, requires_grad=True)
    optimiser = torch.optim.Adam([w], lr=lr)
    path = [w.detach().clone()]
    for _ in range(num_steps):
        optimiser.zero_grad()
        valley_loss(w).backward()
        optimiser.step()
        path.append(w.detach().clone())
    return torch.stack(path)


@checker
def check_adam_lr(lr):
    """With learning rate `lr`, Adam must bring the valley's loss below ADAM_TARGET in ADAM_STEPS."""
    lr = expect_number(lr, "lr", positive=True)
    try:
        path = adam_on_valley(lr)
    except RuntimeError as err:  # e.g. an lr too large for float32
        raise AnswerError(
            f"with lr = {lr:g} Adam failed ({one_line_error(err)}): try a smaller lr"
        ) from None
    losses = valley_loss(path)
    start, final = losses[0].item(), losses[-1].item()
    if final < ADAM_TARGET:
        return f"With lr = {lr:g}, Adam takes the loss from {start:.3g} to {final:.2g} in {ADAM_STEPS} steps."
    if not math.isfinite(final):
        raise AnswerError(
            f"with lr = {lr:g} the parameters blew up (the loss is {final}): try a smaller lr"
        )
    w1 = path[:, 0]
    if (w1 < 0).all():  # never reached the minimum at w1 = 0
        raise AnswerError(
            f"with lr = {lr:g} the loss after {ADAM_STEPS} steps is still {final:.3g}, not below "
            f"{ADAM_TARGET:g}: on the valley, Adam moves "
            f"each coordinate by at most lr per step, and w1 only got from "
            f"{VALLEY_START[0]:g} to {w1[-1].item():.3g} on its way to 0; try a larger lr"
        )
    raise AnswerError(
        f"with lr = {lr:g} the loss after {ADAM_STEPS} steps is {final:.3g}, not below "
        f"{ADAM_TARGET:g}: Adam keeps "
        "overshooting the minimum by up to about lr per step; try a smaller lr"
    )
