"""The checkers of book/depth_init.md accept every valid answer and explain wrong ones."""

import math

import numpy as np
import pytest
import torch
from torch import nn

from nnbook.exercises import depth_init
from tests.exercises.verdicts import rejected

# ---------------------------------------------------------------------------------------------
# init_relu: a ReLU stack must keep its scale


def normal_init(layer):
    with torch.no_grad():
        layer.weight.normal_(0.0, math.sqrt(2 / layer.in_features))
        layer.bias.zero_()


def uniform_init(layer):
    bound = math.sqrt(6 / layer.in_features)  # variance bound^2 / 3 = 2 / fan_in
    nn.init.uniform_(layer.weight, -bound, bound)


def new_parameter_init(layer):
    std = math.sqrt(2 / layer.in_features)
    layer.weight = nn.Parameter(
        torch.randn(layer.out_features, layer.in_features) * std
    )


def returns_a_new_layer(layer):
    fresh = nn.Linear(layer.in_features, layer.out_features)
    normal_init(fresh)
    return fresh


@pytest.mark.parametrize(
    "init",
    [
        normal_init,
        uniform_init,
        new_parameter_init,
        returns_a_new_layer,
        lambda layer: nn.init.kaiming_normal_(layer.weight, nonlinearity="relu"),
        lambda layer: nn.init.kaiming_uniform_(layer.weight, nonlinearity="relu"),
        lambda layer: nn.init.trunc_normal_(
            layer.weight, std=math.sqrt(2 / layer.in_features)
        ),
    ],
    ids=[
        "normal",
        "uniform",
        "new-parameter",
        "new-layer",
        "kaiming-normal",
        "kaiming-uniform",
        "trunc-normal",
    ],
)
def test_init_relu_accepts_every_kaiming_style_initialisation(init):
    verdict = depth_init.check_init_relu(init)
    assert verdict, repr(verdict)
    assert repr(verdict).startswith(
        "✅ Correct! The average std of every layer's output"
    )


def test_init_relu_leaves_the_callers_random_state_alone():
    before = torch.random.get_rng_state()
    depth_init.check_init_relu(normal_init)
    assert torch.equal(torch.random.get_rng_state(), before)


def test_init_relu_explains_a_variance_that_is_too_small_or_too_large():
    # PyTorch's default
    message = rejected(depth_init.check_init_relu(lambda layer: None))
    assert (
        "layer 1 has an average std of 0.3" in message
        and "outside 0.6 to 1.1" in message
    )
    assert "0.166 times 2/fan_in" in message and "too small" in message
    message = rejected(
        depth_init.check_init_relu(lambda layer: nn.init.xavier_normal_(layer.weight))
    )
    assert "too small" in message and "0.504 times 2/fan_in" in message

    def twice_too_large(layer):
        nn.init.normal_(layer.weight, std=2 * math.sqrt(2 / layer.in_features))

    message = rejected(depth_init.check_init_relu(twice_too_large))
    assert "too large" in message and "about 2.0" in message


def test_init_relu_tells_fan_in_from_fan_out():
    def fan_out(layer):
        nn.init.kaiming_normal_(layer.weight, mode="fan_out", nonlinearity="relu")

    message = rejected(depth_init.check_init_relu(fan_out))
    assert "widths alternate between 128 and 512" in message
    assert "2/fan_out = 2/512" in message and "2/fan_in = 2/128" in message


def test_init_relu_explains_weights_that_cannot_work():
    message = rejected(
        depth_init.check_init_relu(lambda layer: nn.init.zeros_(layer.weight))
    )
    assert "all its weights are 0" in message
    constant = depth_init.check_init_relu(
        lambda layer: nn.init.constant_(layer.weight, 0.09)
    )
    assert "every unit has the same weights" in rejected(constant)

    def shifted(layer):
        nn.init.uniform_(layer.weight, 0.0, math.sqrt(6 / layer.in_features))

    assert "not 0, so the weighted sums add up" in rejected(
        depth_init.check_init_relu(shifted)
    )

    def large_bias(layer):
        nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
        nn.init.constant_(layer.bias, 3.0)

    assert "look at its biases" in rejected(depth_init.check_init_relu(large_bias))

    def transposed(layer):
        std = math.sqrt(2 / layer.in_features)
        layer.weight = nn.Parameter(
            torch.randn(layer.in_features, layer.out_features) * std
        )

    message = rejected(depth_init.check_init_relu(transposed))
    assert "shape (128, 512), but nn.Linear(128, 512) needs (512, 128)" in message

    def nan_weights(layer):
        nn.init.constant_(layer.weight, math.nan)

    assert "NaN or inf" in rejected(depth_init.check_init_relu(nan_weights))


def test_init_relu_explains_malformed_answers():
    check = depth_init.check_init_relu
    assert "still `...`" in rejected(check(...))
    assert "is None" in rejected(check(None))
    assert "but it is a module (Linear)" in rejected(check(nn.Linear(2, 2)))
    outside_no_grad = rejected(check(lambda layer: layer.weight.normal_(0.0, 0.1)))
    assert (
        "`init_relu(layer)` raised RuntimeError on layer 1 of the stacks of width 256"
        in (outside_no_grad)
    )
    assert "torch.no_grad()" in outside_no_grad


# ---------------------------------------------------------------------------------------------
# default_relu_std: predict the std after k default ReLU layers without biases

RATIO = math.sqrt(1 - 1 / math.pi)
EXPECTED_7 = RATIO * 6 ** (-7 / 2)


@pytest.mark.parametrize(
    "answer",
    [
        EXPECTED_7,
        1.12 * EXPECTED_7,
        0.9 * EXPECTED_7,
        np.float64(EXPECTED_7),
        torch.tensor(EXPECTED_7),
        np.array([EXPECTED_7]),
    ],
)
def test_default_relu_std_accepts_the_formula_within_tolerance(answer):
    verdict = depth_init.check_default_relu_std(answer)
    assert verdict and "6^(-7/2)" in repr(verdict)


def test_default_relu_std_accepts_a_measurement():
    torch.manual_seed(0)
    H = torch.randn(256, 512)
    with torch.no_grad():
        for _ in range(7):
            H = torch.relu(nn.Linear(512, 512, bias=False)(H))
    assert depth_init.check_default_relu_std(H.std())


def test_default_relu_std_takes_other_depths():
    assert depth_init.check_default_relu_std(RATIO * 6 ** (-3 / 2), k=3)
    assert "std_after_3" in rejected(
        depth_init.check_default_relu_std(6 ** (-3 / 2), k=3)
    )


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (6 ** (-7 / 2), "that is the root mean square, 6^(-7/2)"),
        (RATIO * 6 ** (-6 / 2), "one layer too few"),
        (RATIO * 6 ** (-8 / 2), "one layer too many"),
        (RATIO * 3 ** (-7 / 2), "1/6, not 1/3: ReLU sets half"),
        (3 ** (-7 / 2), "(ReLU halves it), and the std is"),
        (6.0**-7, "that is the mean square"),
        (RATIO**2 * 6.0**-7, "that is the variance"),
        (0.0163, "the floor that the default biases set"),
        (0.5, "about 320 times too large"),
        (1e-6, "times too small"),
    ],
)
def test_default_relu_std_explains_wrong_answers(answer, reason):
    message = rejected(depth_init.check_default_relu_std(answer))
    assert message.startswith("❌ Not yet: std_after_7 = ") and reason in message


def test_default_relu_std_explains_malformed_answers():
    check = depth_init.check_default_relu_std
    assert "still `...`" in rejected(check(...))
    assert "is None" in rejected(check(None))
    assert "it must be a positive number" in rejected(check(-0.001))
    assert "is NaN" in rejected(check(math.nan))
    assert "a tensor of shape (2,)" in rejected(check(torch.ones(2)))
    assert "is a str" in rejected(check("0.0016"))


# ---------------------------------------------------------------------------------------------
# clip_grads: clip_grad_norm_ by hand


def clip_reference(grads, max_norm):
    total = torch.sqrt(sum((g**2).sum() for g in grads))
    scale = min(1.0, max_norm / total.item())
    return [g * scale for g in grads]


def clip_in_place(grads, max_norm):
    """As clip_grad_norm_ does: in place, with its small epsilon, returning nothing."""
    total = torch.linalg.vector_norm(
        torch.stack([torch.linalg.vector_norm(g) for g in grads])
    )
    for g in grads:
        g.mul_(torch.clamp(max_norm / (total + 1e-6), max=1.0))


def clip_with_torch(grads, max_norm):
    """Through torch.nn.utils itself, on parameters that hold the gradients."""
    params = [nn.Parameter(torch.zeros_like(g)) for g in grads]
    for p, g in zip(params, grads, strict=True):
        p.grad = g.clone()
    nn.utils.clip_grad_norm_(params, max_norm)
    return [p.grad for p in params]


@pytest.mark.parametrize(
    "clip_grads",
    [
        clip_reference,
        clip_in_place,
        clip_with_torch,
        lambda g, m: tuple(clip_reference(g, m)),
    ],
    ids=["reference", "in-place", "torch", "tuple"],
)
def test_clip_grads_accepts_every_valid_answer(clip_grads):
    verdict = depth_init.check_clip_grads(clip_grads)
    assert verdict and "min(1, max_norm / total norm)" in repr(verdict)


def test_clip_grads_explains_typical_mistakes():
    check = depth_init.check_clip_grads
    per_tensor = check(
        lambda grads, m: [g * min(1.0, m / g.norm().item()) for g in grads]
    )
    assert "total norm 13" in rejected(
        per_tensor
    ) and "clipped each tensor on its own" in (rejected(per_tensor))
    clamped = check(lambda grads, m: [g.clamp(-m, m) for g in grads])
    assert "clip_grad_value_" in rejected(clamped)

    def always_scale(grads, m):
        total = torch.sqrt(sum((g**2).sum() for g in grads))
        return [g * m / total for g in grads]

    message = rejected(check(always_scale))
    assert "two small gradients" in message and "must come back unchanged" in message

    def no_sqrt(grads, m):
        total = sum((g**2).sum() for g in grads)
        return [g * min(1.0, m / total.item()) for g in grads]

    assert "square root of the sum of the squares" in rejected(check(no_sqrt))
    halved = check(lambda grads, m: [0.5 * g for g in clip_reference(grads, m)])
    assert "largest difference" in rejected(halved)


def test_clip_grads_explains_malformed_answers():
    check = depth_init.check_clip_grads
    assert "still `...`" in rejected(check(...))
    assert "should be a function, but it is a int" in rejected(check(3))
    flat = check(
        lambda grads, m: torch.cat([g.flatten() for g in clip_reference(grads, m)])
    )
    assert "should return a list of tensors" in rejected(
        flat
    ) and "a Tensor" in rejected(flat)
    assert "returned 1 tensors for 2 gradients" in rejected(
        check(lambda grads, m: clip_reference(grads, m)[:1])
    )
    reshaped = check(lambda grads, m: [g.flatten() for g in clip_reference(grads, m)])
    assert "has shape (1,), but the expected shape is (1, 1)" in rejected(reshaped)
    assert "raised AttributeError" in rejected(check(lambda grads, m: grads.norm()))
    assert "should return a list of tensors" in rejected(check(lambda grads, m: 1.0))
