"""Checkers for the exercises of the chapter *Depth and initialisation* (book/depth_init.md)."""

import itertools
import math

import torch
from torch import nn

from nnbook.checks import (
    AnswerError,
    checker,
    expect_callable,
    expect_close,
    expect_number,
    expect_tensor,
    readable,
    reader_code,
)

# The stacks on which a reader's init_relu is tried: (label, widths), where layer k maps
# widths[k] -> widths[k + 1]. The alternating widths tell fan_in from fan_out apart.
STACKS = [
    ("the stacks of width 256", [256] * 11),
    ("the stacks whose widths alternate between 128 and 512", [128, 512] * 5 + [128]),
]
# One random stack's std can drift by 20 % and more over 10 layers; the average over a few stacks
# is steady enough for a band that every Kaiming-style draw passes and a wrong variance misses.
N_STACKS = 6
STD_BAND = (0.6, 1.1)  # Kaiming gives sqrt(1 - 1/pi) ~ 0.83 at every layer
# std(ReLU(z)) / sqrt(E[ReLU(z)^2]) for normal z
RELU_STD_RATIO = math.sqrt(1 - 1 / math.pi)
HINTS = {
    "leaf Variable": " (change a parameter inside `with torch.no_grad():`, or use nn.init)"
}


def _weight_problem(layer: nn.Linear, n_in: int, n_out: int) -> str | None:
    """Why this layer's weights cannot be a good initialisation, or None if they might be."""
    w = layer.weight
    if not isinstance(w, torch.Tensor) or tuple(w.shape) != (n_out, n_in):
        shape = tuple(w.shape) if isinstance(w, torch.Tensor) else type(w).__name__
        return f"its weight has shape {shape}, but nn.Linear({n_in}, {n_out}) needs {(n_out, n_in)}"
    if not readable(w):
        return f"its weight is a {w.layout} tensor on {w.device}, whose values cannot be read"
    w = w.detach().float()
    if not torch.isfinite(w).all():
        return "its weights contain NaN or inf"
    if (w == 0).all():
        return (
            "all its weights are 0, so every unit outputs the same value and gets the same "
            "gradient: the units can never become different; draw the weights at random"
        )
    if torch.equal(w, w[:1].expand_as(w)):
        return (
            "every unit has the same weights, so every unit outputs the same value and gets the "
            "same gradient: the units can never become different; draw each weight at random"
        )
    return None


def _why_out_of_band(layer: nn.Linear, n_in: int, n_out: int) -> str:
    """Explain, from the weights of the first layer that misses the band, what is wrong."""
    w = layer.weight.detach().double()
    mean_square = w.pow(2).mean().item()
    factor_in = mean_square * n_in / 2  # the ReLU factor per layer, forwards
    factor_out = mean_square * n_out / 2
    if abs(w.mean().item()) > 0.2 * math.sqrt(mean_square):
        return (
            f"its weights have mean {w.mean().item():.3g}, not 0, so the weighted sums add up "
            "instead of cancelling; draw the weights centred on 0"
        )
    if n_in != n_out and abs(factor_out - 1) < 0.2 and abs(factor_in - 1) > 0.2:
        return (
            f"its weights have variance 2/fan_out = 2/{n_out}, which keeps the backward pass; "
            f"the forward pass needs 2/fan_in = 2/{n_in} (fan_in is in_features, weight.shape[1])"
        )
    if abs(factor_in - 1) > 0.2:
        size = "small" if factor_in < 1 else "large"
        return (
            f"its weights have mean square {mean_square:.3g}, {factor_in:.3g} times 2/fan_in, so "
            f"each layer multiplies the std by about {math.sqrt(factor_in):.3g}: they are too "
            f"{size}; use variance 2/fan_in"
        )
    return "its weights have the right variance, 2/fan_in, so look at its biases: make them 0"


def _stack(fn, widths: list[int], label: str) -> list[nn.Linear]:
    """Layers for `widths`, each initialised by the reader's `fn` (in place, or returned)."""
    layers = []
    for k, (n_in, n_out) in enumerate(itertools.pairwise(widths), start=1):
        layer = nn.Linear(n_in, n_out)
        with reader_code(
            "`init_relu(layer)`", where=f"layer {k} of {label}", hints=HINTS
        ):
            result = fn(layer)
        layer = result if isinstance(result, nn.Linear) else layer
        problem = _weight_problem(layer, n_in, n_out)
        if problem:
            raise AnswerError(
                f"after init_relu, layer {k} of {label} is wrong: {problem}"
            )
        layers.append(layer.float().cpu())
    return layers


@checker
def check_init_relu(init_relu):
    """`init_relu(layer)` must initialise an nn.Linear so that a ReLU stack keeps its scale.

    For each kind of stack, the std of every layer's output, averaged over N_STACKS stacks fed with
    standard-normal inputs, must lie in STD_BAND.
    """
    if isinstance(init_relu, nn.Module):
        raise AnswerError(
            "`init_relu` should be a function that initialises a layer, but it is a module "
            f"({type(init_relu).__name__}): pass your function, check_init_relu(init_relu)"
        )
    fn = expect_callable(init_relu, "init_relu")
    low, high = STD_BAND
    averages = []
    for label, widths in STACKS:
        sums = [0.0] * (len(widths) - 1)
        # the reader's draws do not disturb the caller's
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            stacks = [_stack(fn, widths, label) for _ in range(N_STACKS)]
        gen = torch.Generator().manual_seed(1)
        for layers in stacks:
            H = torch.randn(128, widths[0], generator=gen)
            with torch.no_grad():
                for k, layer in enumerate(layers):
                    H = torch.relu(layer(H))
                    sums[k] += H.std().item() / N_STACKS
        for k, (std, (n_in, n_out)) in enumerate(
            zip(sums, itertools.pairwise(widths), strict=True), start=1
        ):
            if not low <= std <= high:  # also catches NaN
                raise AnswerError(
                    f"in {label}, the output of layer {k} has an average std of {std:.3g}, "
                    f"outside {low} to {high} (Kaiming gives about {RELU_STD_RATIO:.2f}): "
                    f"{_why_out_of_band(stacks[0][k - 1], n_in, n_out)}"
                )
        averages += sums
    return (
        f"The average std of every layer's output stayed between {min(averages):.2f} and "
        f"{max(averages):.2f}: Kaiming's variance, 2/fan_in."
    )


def _default_relu_std(k: int) -> float:
    """The std of the k-th output of a default-initialised ReLU stack without biases."""
    return RELU_STD_RATIO * 6 ** (-k / 2)


@checker
def check_default_relu_std(std, k=7, width=512):
    """`std` must predict std(H_k) for default-initialised nn.Linear(width, width, bias=False)."""
    name = f"std_after_{k}"
    value = expect_number(std, name, positive=True)
    expected = _default_relu_std(k)
    if abs(value / expected - 1) <= 0.15:  # a measurement with another seed passes too
        return (
            f"Each layer divides the mean square by 6, so std(H_{k}) = sqrt(1 - 1/pi) * 6^(-{k}/2)"
            f" = {expected:.3g}."
        )
    rms = 6 ** (-k / 2)
    floor = math.sqrt((1 - 1 / math.pi) / 2) * math.sqrt(2 / (5 * width))
    mistakes = [
        (
            rms,
            f"that is the root mean square, 6^(-{k}/2); ReLU outputs are never negative, so their "
            "mean is not 0, and their std is sqrt(1 - 1/pi) times the root mean square",
        ),
        (
            _default_relu_std(k - 1),
            "that counts one layer too few: the inputs have mean square 1, so the first layer "
            "divides the mean square by 6 too",
        ),
        (
            _default_relu_std(k + 1),
            f"that counts one layer too many: the output of layer {k} has passed {k} layers",
        ),
        (
            RELU_STD_RATIO * 3 ** (-k / 2),
            "each layer multiplies the mean square by n_in * Var(w) / 2 = 1/6, not 1/3: ReLU sets "
            "half of the weighted sums to 0, which halves the mean square",
        ),
        (
            3 ** (-k / 2),
            "each layer multiplies the mean square by n_in * Var(w) / 2 = 1/6, not 1/3 (ReLU "
            "halves it), and the std is sqrt(1 - 1/pi) times the root mean square",
        ),
        (rms**2, "that is the mean square E[h^2]: take the square root, then the std"),
        (RELU_STD_RATIO**2 * rms**2, "that is the variance: take its square root"),
        (
            floor,
            "that is the floor that the default biases set, but these layers have no biases "
            "(bias=False)",
        ),
    ]
    candidate, why = min(mistakes, key=lambda m: abs(math.log(value / m[0])))
    if abs(math.log(value / candidate)) < math.log(1.05):
        raise AnswerError(f"{name} = {value:.3g} is not it: {why}")
    direction = "large" if value > expected else "small"
    factor = max(value / expected, expected / value)
    raise AnswerError(
        f"{name} = {value:.3g} is about {factor:.3g} times too {direction}: each layer "
        "multiplies the mean square by n_in * Var(w) / 2 with Var(w) = 1/(3 n_in)"
    )


def _clip_cases():
    """(label, gradients, max_norm) on which a reader's clip_grads runs."""
    gen = torch.Generator().manual_seed(0)
    mixed = [torch.randn(4, 3, generator=gen), torch.randn(3, generator=gen)]
    mixed.append(torch.randn(1, 4, generator=gen))
    small = [
        0.1 * torch.randn(5, generator=gen),
        0.1 * torch.randn(2, 2, generator=gen),
    ]
    return [
        (
            "gradients [3, 4] and [[12]] (total norm 13) with max_norm=1",
            [
                torch.tensor([3.0, 4.0]),
                torch.tensor([[12.0]]),
            ],
            1.0,
        ),
        (
            "three random gradients of shapes (4, 3), (3,), (1, 4) with max_norm=0.5",
            mixed,
            0.5,
        ),
        (
            f"two small gradients (total norm {torch.sqrt(sum((g**2).sum() for g in small)):.2f})"
            " with max_norm=5",
            small,
            5.0,
        ),
        (
            "one gradient [0.0, 30.0, 40.0] with max_norm=10",
            [torch.tensor([0.0, 30.0, 40.0])],
            10.0,
        ),
    ]


def _scaled(grads, scale):
    return [g * scale for g in grads]


def _total_norm(grads) -> float:
    return math.sqrt(sum((g.double() ** 2).sum().item() for g in grads))


def _same(result, expected) -> bool:
    return all(
        torch.allclose(r.detach().cpu().float(), e, rtol=1e-4, atol=1e-6)
        for r, e in zip(result, expected, strict=True)
    )


@checker
def check_clip_grads(clip_grads):
    """`clip_grads(grads, max_norm)` must scale all gradients by min(1, max_norm / total norm)."""
    fn = expect_callable(clip_grads, "clip_grads")
    for label, grads, max_norm in _clip_cases():
        inputs = [g.clone() for g in grads]
        with reader_code("`clip_grads(grads, max_norm)`", where=label):
            result = fn(inputs, max_norm)
        if result is None:
            result = inputs  # changed in place, as clip_grad_norm_ does
        if isinstance(result, torch.Tensor) or not isinstance(result, (list, tuple)):
            raise AnswerError(
                f"on {label}: `clip_grads` should return a list of tensors, one per gradient, "
                f"but it returned a {type(result).__name__}"
            )
        if len(result) != len(grads):
            raise AnswerError(
                f"on {label}: `clip_grads` returned {len(result)} tensors for {len(grads)} "
                "gradients: return one per gradient"
            )
        for i, (r, g) in enumerate(zip(result, grads, strict=True)):
            try:
                expect_tensor(r, f"clip_grads(...)[{i}]", shape=g.shape)
            except AnswerError as err:
                raise AnswerError(f"on {label}: {err}") from None
        total = _total_norm(grads)
        expected = _scaled(grads, min(1.0, max_norm / total))
        if _same(result, expected):
            continue
        per_tensor = [g * min(1.0, max_norm / g.norm().item()) for g in grads]
        squares = sum((g**2).sum().item() for g in grads)
        if total > max_norm and _same(result, per_tensor):
            why = (
                "you clipped each tensor on its own; clip_grad_norm_ uses one norm for all the "
                "gradients together and scales them all by the same factor, which keeps the "
                "direction of the whole gradient"
            )
        elif _same(result, [g.clamp(-max_norm, max_norm) for g in grads]):
            why = (
                "you clamped each value to [-max_norm, max_norm], which is clip_grad_value_; "
                "scale all the gradients by min(1, max_norm / total norm) instead"
            )
        elif total < max_norm and _same(result, _scaled(grads, max_norm / total)):
            why = (
                "the total norm is already below max_norm, so the gradients must come back "
                "unchanged: the factor is min(1, max_norm / total norm)"
            )
        elif _same(result, _scaled(grads, min(1.0, max_norm / squares))):
            why = "the total norm is the square root of the sum of the squares"
        else:
            try:
                for i, (r, e) in enumerate(zip(result, expected, strict=True)):
                    expect_close(r, e, f"clip_grads(...)[{i}]", rtol=1e-4, atol=1e-6)
            except AnswerError as err:
                raise AnswerError(f"on {label}: {err}") from None
            why = "the result differs from the expected one"  # pragma: no cover
        raise AnswerError(f"on {label}: {why}")
    return "Every gradient is scaled by the same factor, min(1, max_norm / total norm)."
