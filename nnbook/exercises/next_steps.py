"""Checkers for the exercises of the chapter *Where to go next* (book/next_steps.md).

`check_xor_network` runs a 2-2-1 network of step neurons on the four inputs of XOR.
`check_sine_settings` trains a small network on sin(x) with the reader's width, learning rate and
number of steps, and explains why a setting falls short: the steps were too large, too few or too
small, or the network too narrow. The training runs on the CPU with its own seed and leaves the caller's random state
alone, so calling a checker does not change the numbers of the cells that follow.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from nnbook.checks import AnswerError, checker, expect_number, expect_tensor

XOR_INPUTS = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_TARGETS = torch.tensor([0.0, 1.0, 1.0, 0.0])
N_HIDDEN = 2

SINE_POINTS = 100  # x = linspace(-pi, pi, SINE_POINTS), y = sin(x), trained full batch
SINE_TARGET = 1e-3  # the mean squared error to beat after the last step
SINE_MAX_STEPS = 1000
SINE_MAX_WIDTH = 512  # keeps one check below a few seconds
SINE_SEED = 0
# below this lr * num_steps, Adam cannot move the weights far enough
SINE_MIN_TRAVEL = 2.0
# reaches the target within SINE_MAX_STEPS for every width from 5 up
SINE_PROBE_LR = 0.01
SINE_KEYS = ("width", "lr", "num_steps")
SINE_EXAMPLE = '{"width": 16, "lr": 0.01, "num_steps": 500}'


def step(z: torch.Tensor) -> torch.Tensor:
    """The binary step activation: 1 where z >= 0, else 0 (as in the chapter *The artificial neuron*)."""
    return (z >= 0).to(z.dtype)


def _bits(t: torch.Tensor) -> list[int]:
    return [int(v) for v in t.tolist()]


@checker
def check_xor_network(W1, b1, W2, b2):
    """step(step(X @ W1 + b1) @ W2 + b2) must compute XOR on the four inputs of two bits.

    W1 is (2, 2), b1 (2,), W2 (2, 1) and b2 (1,), all float32. Any weights that give the right output
    for all four inputs pass.
    """
    W1 = (
        expect_tensor(W1, "W1", shape=(2, N_HIDDEN), dtype=torch.float32).detach().cpu()
    )
    b1 = expect_tensor(b1, "b1", shape=(N_HIDDEN,), dtype=torch.float32).detach().cpu()
    W2 = (
        expect_tensor(W2, "W2", shape=(N_HIDDEN, 1), dtype=torch.float32).detach().cpu()
    )
    b2 = expect_tensor(b2, "b2", shape=(1,), dtype=torch.float32).detach().cpu()
    H = step(XOR_INPUTS @ W1 + b1)  # (4, 2): the hidden units' outputs for each input
    z = (H @ W2 + b2).squeeze(1)  # (4,): the output neuron's weighted sums
    outputs = step(z)
    wrong = (outputs != XOR_TARGETS).nonzero().flatten().tolist()
    if not wrong:
        return "Two step neurons draw two lines, and the output neuron combines them into XOR."
    for i in range(len(XOR_INPUTS)):
        for j in range(i + 1, len(XOR_INPUTS)):
            if XOR_TARGETS[i] != XOR_TARGETS[j] and torch.equal(H[i], H[j]):
                raise AnswerError(
                    f"the hidden layer gives the same h = {_bits(H[i])} for inputs "
                    f"{_bits(XOR_INPUTS[i])} and {_bits(XOR_INPUTS[j])}, which XOR tells apart, so "
                    "no output neuron can fix it: change W1 or b1"
                )
    label = {tuple(_bits(h)): int(t) for h, t in zip(H, XOR_TARGETS, strict=True)}
    if (
        len(label) == 4
        and label[(0, 0)] == label[(1, 1)] != label[(0, 1)] == label[(1, 0)]
    ):
        raise AnswerError(
            "the hidden layer turns the four inputs into all four patterns h = [0, 0] ... [1, 1], "
            "and the output neuron would have to compute XOR of those, which one neuron cannot: "
            "change W1 or b1"
        )
    i = wrong[0]
    raise AnswerError(
        f"for input {_bits(XOR_INPUTS[i])} the hidden layer gives h = {_bits(H[i])}, the output "
        f"neuron computes z = {z[i].item():.3g} and outputs {int(outputs[i])}, but XOR gives "
        f"{int(XOR_TARGETS[i])}: change W2 or b2"
    )


# ---------------------------------------------------------------------------------------------
# Exercise 2: a width, a learning rate and a number of steps that fit sin(x).


@dataclass(frozen=True)
class SineFit:
    """The result of `fit_sine`: the loss before each step and after the last, and the predictions."""

    losses: tuple[float, ...]
    x: torch.Tensor  # (SINE_POINTS, 1)
    y_hat: torch.Tensor  # (SINE_POINTS, 1), after the last step

    @property
    def final(self) -> float:
        return self.losses[-1]


def sine_data() -> tuple[torch.Tensor, torch.Tensor]:
    """The exercise's data: x on [-pi, pi] as a column (SINE_POINTS, 1), and y = sin(x)."""
    x = torch.linspace(-math.pi, math.pi, SINE_POINTS).unsqueeze(1)
    return x, torch.sin(x)


@functools.lru_cache(maxsize=32)
def fit_sine(width: int, lr: float, num_steps: int) -> SineFit:
    """Train 1 -> width -> tanh -> 1 on sin(x) with full-batch Adam, on the CPU, from a fixed seed.

    The training is deterministic, so the result is cached: checking the same settings twice trains
    once. It stops early if the loss becomes NaN or infinite.
    """
    x, y = sine_data()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(SINE_SEED)
        net = nn.Sequential(nn.Linear(1, width), nn.Tanh(), nn.Linear(width, 1))
    optimiser = torch.optim.Adam(net.parameters(), lr=lr)
    losses = []
    for _ in range(num_steps):
        loss = F.mse_loss(net(x), y)
        losses.append(loss.item())
        if not math.isfinite(losses[-1]):
            break
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    with torch.no_grad():
        y_hat = net(x)
    losses.append(F.mse_loss(y_hat, y).item())
    return SineFit(tuple(losses), x, y_hat)


def _settings(settings) -> tuple[int, float, int]:
    if settings is Ellipsis:
        raise AnswerError(
            f"`settings` is still `...`: replace it with a dict such as {SINE_EXAMPLE} and run the cell"
        )
    if settings is None:
        raise AnswerError(
            f"`settings` is None: set it to a dict such as {SINE_EXAMPLE}"
        )
    if not isinstance(settings, dict):
        raise AnswerError(
            f"`settings` should be a dict such as {SINE_EXAMPLE}, but it is a "
            f"{type(settings).__name__}"
        )
    missing = [k for k in SINE_KEYS if k not in settings]
    unknown = [k for k in settings if k not in SINE_KEYS]
    if missing or unknown:
        raise AnswerError(
            f"`settings` needs exactly the keys {', '.join(map(repr, SINE_KEYS))}; "
            + ("missing: " + ", ".join(map(repr, missing)) if missing else "")
            + ("; " if missing and unknown else "")
            + ("unknown: " + ", ".join(map(repr, unknown)) if unknown else "")
        )
    width, lr, num_steps = (
        expect_number(
            settings[key],
            f'settings["{key}"]',
            integer=key != "lr",
            positive=True,
            nonfinite="a setting must be a finite number",
        )
        for key in SINE_KEYS
    )
    if width > SINE_MAX_WIDTH:
        raise AnswerError(
            f"width = {width} is more than this exercise allows ({SINE_MAX_WIDTH}): a few dozen "
            "hidden units are plenty for one sine wave"
        )
    if num_steps > SINE_MAX_STEPS:
        raise AnswerError(
            f"num_steps = {num_steps} is over the budget of {SINE_MAX_STEPS} steps: find settings "
            "that get there sooner"
        )
    return width, lr, num_steps


@checker
def check_sine_settings(settings):
    """Training 1 -> width -> tanh -> 1 on sin(x) with these settings must end below SINE_TARGET.

    `settings` is a dict with the keys "width", "lr" and "num_steps" (at most SINE_MAX_STEPS). The
    checker trains the network with full-batch Adam from a fixed seed and judges the mean squared
    error after the last step. When it is too high, it says whether the steps were too large (the
    loss blew up or rose), too few or too small to get far, or the network too narrow.
    """
    width, lr, num_steps = _settings(settings)
    fit = fit_sine(width, lr, num_steps)
    losses = fit.losses
    start, final, lowest = losses[0], fit.final, min(losses)
    setup = f"with width = {width}, lr = {lr:g} and {num_steps} steps"
    if not math.isfinite(final):
        raise AnswerError(
            f"{setup} the loss became {final} after {len(losses) - 1} steps: the steps are far too "
            "large, so try a smaller lr"
        )
    if final < SINE_TARGET:
        return (
            f"With width = {width}, lr = {lr:g} and {num_steps} steps, the mean squared error falls "
            f"from {start:.3g} to {final:.2g}, below {SINE_TARGET:g}."
        )
    peak = max(losses[1:])
    if peak > start:
        raise AnswerError(
            f"{setup} the loss rose from {start:.3g} to {peak:.3g} on the way and ended at "
            f"{final:.3g}: the steps overshoot, so try a smaller lr"
        )
    if final > 2 * lowest:
        raise AnswerError(
            f"{setup} the loss got down to {lowest:.3g} but ended at {final:.3g}: the steps "
            "overshoot the minimum, so try a smaller lr"
        )
    if lr * num_steps < SINE_MIN_TRAVEL:
        raise AnswerError(
            f"{setup} the loss only got down to {final:.3g}: Adam moves each weight by about lr "
            f"per step at most, {lr * num_steps:.3g} in all, which is too little; take more steps "
            f"(at most {SINE_MAX_STEPS}) or a larger lr"
        )
    probe = fit_sine(width, SINE_PROBE_LR, SINE_MAX_STEPS).final
    if probe >= SINE_TARGET:
        raise AnswerError(
            f"{setup} the loss only got down to {final:.3g}, and {width} tanh units are too few to "
            f"bend into a sine wave this closely (with lr = {SINE_PROBE_LR:g} and {SINE_MAX_STEPS} "
            f"steps they reach {probe:.3g}): try a wider hidden layer"
        )
    raise AnswerError(
        f"{setup} the loss was still {final:.3g} at the end; {width} hidden units are enough, but "
        f"training needs longer: take more steps (at most {SINE_MAX_STEPS}) or a larger lr"
    )
