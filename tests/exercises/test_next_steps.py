"""The checkers of book/next_steps.md accept every valid answer and explain wrong ones."""

import pytest
import torch

from nnbook.exercises import next_steps

T = torch.tensor
OR_AND = (T([[1.0, 1.0], [1.0, 1.0]]), T([-0.5, -1.5]))  # hidden units: OR, AND
OR_AND_NOT = (T([[1.0], [-1.0]]), T([-0.5]))  # output: OR and not AND


@pytest.mark.parametrize(
    "W1, b1, W2, b2",
    [
        (*OR_AND, *OR_AND_NOT),
        (OR_AND[0] * 3, OR_AND[1] * 3, OR_AND_NOT[0] * 2, OR_AND_NOT[1] * 2),  # scaled
        # x1 and not x2, x2 and not x1; the output is their OR
        (T([[1.0, -1.0], [-1.0, 1.0]]), T([-0.5, -0.5]), T([[1.0], [1.0]]), T([-0.5])),
        # OR and NAND; the output is their AND
        (T([[1.0, -1.0], [1.0, -1.0]]), T([-0.5, 1.5]), T([[1.0], [1.0]]), T([-1.5])),
        # the same with the hidden units swapped
        (T([[1.0, 1.0], [1.0, 1.0]]), T([-1.5, -0.5]), T([[-1.0], [1.0]]), T([-0.5])),
    ],
)
def test_xor_checker_accepts_every_valid_network(W1, b1, W2, b2):
    verdict = next_steps.check_xor_network(W1, b1, W2, b2)
    assert verdict, repr(verdict)
    assert repr(verdict).startswith("✅ Correct!")


def test_xor_checker_accepts_tensors_that_track_gradients():
    W1 = OR_AND[0].clone().requires_grad_()
    assert next_steps.check_xor_network(W1, OR_AND[1], *OR_AND_NOT)


def test_xor_checker_names_the_failing_input_when_the_output_layer_is_wrong():
    verdict = next_steps.check_xor_network(*OR_AND, T([[1.0], [1.0]]), T([-0.5]))  # OR
    assert not verdict
    assert repr(verdict) == (
        "❌ Not yet: for input [1, 1] the hidden layer gives h = [1, 1], the output neuron computes "
        "z = 1.5 and outputs 1, but XOR gives 0: change W2 or b2"
    )


def test_xor_checker_explains_a_hidden_layer_that_merges_inputs_xor_tells_apart():
    verdict = next_steps.check_xor_network(
        T([[1.0, 1.0], [1.0, 1.0]]), T([-0.5, -0.5]), *OR_AND_NOT
    )
    assert repr(verdict) == (
        "❌ Not yet: the hidden layer gives the same h = [1, 1] for inputs [0, 1] and [1, 1], which "
        "XOR tells apart, so no output neuron can fix it: change W1 or b1"
    )


@pytest.mark.parametrize(
    "W1", [T([[1.0, 0.0], [0.0, 1.0]]), T([[0.0, 1.0], [1.0, 0.0]])]
)
def test_xor_checker_explains_a_hidden_layer_that_only_copies_the_inputs(W1):
    verdict = next_steps.check_xor_network(
        W1, T([-0.5, -0.5]), T([[1.0], [1.0]]), T([-1.5])
    )
    assert "all four patterns" in repr(verdict)
    assert "which one neuron cannot: change W1 or b1" in repr(verdict)


def test_xor_checker_rejects_malformed_answers():
    W1, b1 = OR_AND
    W2, b2 = OR_AND_NOT
    assert "`W1` is still `...`" in repr(next_steps.check_xor_network(..., b1, W2, b2))
    assert "dtype torch.int64" in repr(
        next_steps.check_xor_network(W1.long(), b1, W2, b2)
    )
    assert "`W2` has shape (2,), but the expected shape is (2, 1)" in repr(
        next_steps.check_xor_network(W1, b1, W2.squeeze(1), b2)
    )
    assert "`b2` has shape (), but the expected shape is (1,)" in repr(
        next_steps.check_xor_network(W1, b1, W2, b2.squeeze())
    )
    assert "Python list" in repr(next_steps.check_xor_network(W1, [-0.5, -1.5], W2, b2))


def test_step_fires_at_zero():
    assert torch.equal(next_steps.step(T([-1.0, 0.0, 2.0])), T([0.0, 1.0, 1.0]))


# ---------------------------------------------------------------------------------------------
# check_sine_settings


def settings(width=16, lr=0.01, num_steps=500):
    return {"width": width, "lr": lr, "num_steps": num_steps}


def test_sine_checker_accepts_good_settings_and_reports_the_loss():
    verdict = next_steps.check_sine_settings(settings())
    assert verdict, repr(verdict)
    assert repr(verdict).startswith(
        "✅ Correct! With width = 16, lr = 0.01 and 500 steps"
    )
    assert next_steps.check_sine_settings(settings(width=8, lr=0.03, num_steps=300))


def test_sine_checker_accepts_numbers_of_other_types():
    assert next_steps.check_sine_settings(
        settings(width=16.0, lr=T(0.01), num_steps=T(500))
    )


def test_sine_checker_is_deterministic_cached_and_leaves_the_random_state_alone():
    before = torch.get_rng_state()
    first = next_steps.fit_sine(16, 0.01, 500)
    assert torch.equal(torch.get_rng_state(), before)
    assert next_steps.fit_sine(16, 0.01, 500) is first
    next_steps.fit_sine.cache_clear()
    again = next_steps.fit_sine(16, 0.01, 500)
    assert again.losses == first.losses and torch.equal(again.y_hat, first.y_hat)
    assert len(first.losses) == 501 and first.final < next_steps.SINE_TARGET


def test_sine_checker_explains_a_loss_that_blows_up():
    verdict = next_steps.check_sine_settings(settings(width=4, lr=1e30, num_steps=20))
    assert not verdict
    assert "the loss became inf after" in repr(verdict)
    assert "try a smaller lr" in repr(verdict)


def test_sine_checker_explains_a_loss_that_rises():
    verdict = next_steps.check_sine_settings(settings(lr=3.0, num_steps=100))
    assert repr(verdict).startswith(
        "❌ Not yet: with width = 16, lr = 3 and 100 steps the loss rose from 0.214 to"
    )
    assert "the steps overshoot, so try a smaller lr" in repr(verdict)


def test_sine_checker_explains_a_loss_that_overshoots_the_minimum():
    verdict = next_steps.check_sine_settings(settings(width=32, lr=0.1, num_steps=100))
    assert "the loss got down to" in repr(verdict)
    assert "overshoot the minimum, so try a smaller lr" in repr(verdict)


def test_sine_checker_explains_steps_that_cannot_get_far_enough():
    verdict = next_steps.check_sine_settings(settings(width=32, lr=1e-4, num_steps=200))
    assert "Adam moves each weight by about lr per step at most, 0.02 in all" in repr(
        verdict
    )
    assert "take more steps (at most 1000) or a larger lr" in repr(verdict)


def test_sine_checker_explains_a_network_that_is_too_narrow():
    verdict = next_steps.check_sine_settings(settings(width=1, lr=0.1, num_steps=100))
    assert "1 tanh units are too few" in repr(verdict)
    assert "try a wider hidden layer" in repr(verdict)


def test_sine_checker_explains_a_training_that_is_too_short():
    verdict = next_steps.check_sine_settings(settings(width=8, lr=0.03, num_steps=100))
    assert "8 hidden units are enough, but training needs longer" in repr(verdict)


@pytest.mark.parametrize(
    "answer, message",
    [
        (..., "`settings` is still `...`"),
        (None, "`settings` is None"),
        ([16, 0.01, 500], "should be a dict such as"),
        ({"width": 16, "lr": 0.01}, "missing: 'num_steps'"),
        ({**settings(), "steps": 3}, "unknown: 'steps'"),
        (settings(width=...), '`settings["width"]` is still `...`'),
        (
            settings(width="16"),
            '`settings["width"]` is a str, but it should be one number',
        ),
        (
            settings(width=True),
            '`settings["width"]` is a bool, but a number is expected',
        ),
        (
            settings(width=16.5),
            '`settings["width"]` is 16.5, but it should be a whole number',
        ),
        (
            settings(lr=-0.1),
            '`settings["lr"]` is -0.1, but it must be a positive number',
        ),
        (
            settings(lr=float("inf")),
            '`settings["lr"]` is inf: a setting must be a finite number',
        ),
        (
            settings(num_steps=0),
            '`settings["num_steps"]` is 0, but it must be a positive number',
        ),
        (settings(num_steps=5000), "num_steps = 5000 is over the budget of 1000 steps"),
        (settings(width=5000), "width = 5000 is more than this exercise allows (512)"),
    ],
)
def test_sine_checker_rejects_malformed_settings(answer, message):
    verdict = next_steps.check_sine_settings(answer)
    assert not verdict
    assert message in repr(verdict)
    assert "\n" not in repr(verdict)
