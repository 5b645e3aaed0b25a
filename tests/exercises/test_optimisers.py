"""The checkers of book/optimisers.md accept every valid answer and explain wrong ones."""

import pytest
import torch

from nnbook.exercises import optimisers


class MomentumSGD:
    """The reference answer: torch.optim.SGD's update with momentum and weight decay."""

    def __init__(self, params, lr, momentum, weight_decay):
        self.params = list(params)
        self.lr = lr
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.buf = [None] * len(self.params)

    @torch.no_grad()
    def step(self):
        for i, p in enumerate(self.params):
            g = p.grad + self.weight_decay * p
            if self.buf[i] is None:
                self.buf[i] = g.clone()
            else:
                self.buf[i] = self.momentum * self.buf[i] + g
            p -= self.lr * self.buf[i]


class InPlaceMomentumSGD:
    """Another valid answer: a state dict keyed by parameter, in-place tensor methods, .data."""

    def __init__(self, params, lr=0.01, momentum=0.0, weight_decay=0.0):
        self.params = list(params)
        self.lr, self.momentum, self.weight_decay = lr, momentum, weight_decay
        self.state = {}

    def step(self):
        for p in self.params:
            g = p.grad.add(p.data, alpha=self.weight_decay)
            if p not in self.state:
                # starting at 0 gives buf = g on the first step
                self.state[p] = torch.zeros_like(p)
            self.state[p].mul_(self.momentum).add_(g)
            p.data.add_(self.state[p], alpha=-self.lr)


class VelocityMomentumSGD(MomentumSGD):
    """Another valid answer for a constant lr: the velocity v = momentum * v - lr * g; p += v."""

    @torch.no_grad()
    def step(self):
        for i, p in enumerate(self.params):
            g = p.grad + self.weight_decay * p
            v = self.buf[i] if self.buf[i] is not None else torch.zeros_like(p)
            self.buf[i] = self.momentum * v - self.lr * g
            p += self.buf[i]


def with_step(step):
    """A MomentumSGD whose step() is replaced by `step`."""
    return type("Answer", (MomentumSGD,), {"step": torch.no_grad()(step)})


def no_weight_decay(self):
    for i, p in enumerate(self.params):
        self.buf[i] = (
            p.grad.clone()
            if self.buf[i] is None
            else self.momentum * self.buf[i] + p.grad
        )
        p -= self.lr * self.buf[i]


def dampened(self):
    for i, p in enumerate(self.params):
        g = p.grad + self.weight_decay * p
        old = torch.zeros_like(p) if self.buf[i] is None else self.buf[i]
        self.buf[i] = self.momentum * old + (1 - self.momentum) * g
        p -= self.lr * self.buf[i]


def decay_after_buffer(self):
    for i, p in enumerate(self.params):
        self.buf[i] = (
            p.grad.clone()
            if self.buf[i] is None
            else self.momentum * self.buf[i] + p.grad
        )
        p -= self.lr * (self.buf[i] + self.weight_decay * p)


def forgets_the_buffer(self):
    for p in self.params:
        buf = p.grad + self.weight_decay * p
        p -= self.lr * buf


def uphill(self):
    for i, p in enumerate(self.params):
        g = p.grad + self.weight_decay * p
        self.buf[i] = (
            g.clone() if self.buf[i] is None else self.momentum * self.buf[i] + g
        )
        p += self.lr * self.buf[i]


def rebinds(self):
    for i, p in enumerate(self.params):
        g = p.grad + self.weight_decay * p
        self.buf[i] = (
            g.clone() if self.buf[i] is None else self.momentum * self.buf[i] + g
        )
        p = p - self.lr * self.buf[i]  # the mistake under test


def verdict(answer) -> str:
    return repr(optimisers.check_momentum_sgd(answer))


def test_momentum_checker_accepts_every_valid_answer():
    for answer in (MomentumSGD, InPlaceMomentumSGD, VelocityMomentumSGD):
        result = optimisers.check_momentum_sgd(answer)
        assert result, repr(result)
        assert (
            repr(result)
            == "✅ Correct! Your steps match torch.optim.SGD's for all 5 steps."
        )


def test_the_right_variant_is_torch_optim_sgd():
    X, y, start = optimisers._problem()
    expected = optimisers._torch_trajectory(
        X, y, start, momentum=optimisers.MOMENTUM, weight_decay=optimisers.WEIGHT_DECAY
    )
    simulated = optimisers._simulate(optimisers._momentum_variant(), X, y, start)
    assert torch.allclose(simulated, expected, atol=1e-6)
    # every mistake is told apart from the answer
    for (
        update,
        _,
    ) in optimisers.MOMENTUM_MISTAKES:
        gap = (optimisers._simulate(update, X, y, start) - expected).abs().max().item()
        assert gap > 100 * optimisers.TOLERANCE


@pytest.mark.parametrize(
    ("step", "message"),
    [
        (
            no_weight_decay,
            "your steps match momentum without weight decay: add weight_decay * p",
        ),
        (
            dampened,
            "your buffer averages the gradients, buf = momentum * buf + (1 - momentum) * g",
        ),
        (decay_after_buffer, "you add weight_decay * p after the buffer"),
        (forgets_the_buffer, "your steps match SGD without momentum: keep each buffer"),
        (uphill, "your parameters move uphill, so the loss grows"),
        (rebinds, "step 1 did not change the parameters: update each one in place"),
    ],
)
def test_momentum_checker_names_the_mistake(step, message):
    assert verdict(with_step(step)).startswith(f"❌ Not yet: {message}")


def test_momentum_checker_names_the_first_step_that_differs():
    def late_bug(self):
        MomentumSGD.step(self)
        self.steps_done = getattr(self, "steps_done", 0) + 1
        if self.steps_done == 3:  # a stray change at step 3 only
            self.params[0] += 0.01

    message = verdict(with_step(late_bug))
    assert message.startswith(
        "❌ Not yet: after step 3 your parameters differ from torch.optim.SGD's"
    )
    assert "(the 2 steps before agree)" in message


def test_momentum_checker_explains_malformed_answers():
    assert "is still `...`" in verdict(...)
    assert "pass the class itself" in verdict(
        MomentumSGD([torch.zeros(1)], 0.1, 0.9, 0.0)
    )
    assert "should be a class" in verdict(lambda params, **kw: None)
    assert "has no step() method" in verdict(
        type("NoStep", (), {"__init__": lambda s, p, **kw: None})
    )
    assert "raised TypeError" in verdict(
        type("Args", (), {"__init__": lambda self, params: None})
    )

    def needs_no_grad(self):
        for p in self.params:
            p -= self.lr * p.grad

    message = verdict(type("Answer", (MomentumSGD,), {"step": needs_no_grad}))
    assert message.startswith("❌ Not yet: at step 1, step() raised RuntimeError")
    assert message.endswith("(update the parameters inside `with torch.no_grad():`)")


def test_adam_lr_checker_accepts_every_working_lr_and_explains_the_others():
    for lr in (0.1, 0.5, torch.tensor(0.2), 1):
        assert optimisers.check_adam_lr(lr), repr(optimisers.check_adam_lr(lr))
    assert repr(optimisers.check_adam_lr(0.1)).startswith(
        "✅ Correct! With lr = 0.1, Adam takes the loss from 33 to"
    )
    too_small = repr(optimisers.check_adam_lr(0.001))
    assert too_small.startswith(
        "❌ Not yet: with lr = 0.001 the loss after 100 steps is still"
    )
    assert "try a larger lr" in too_small
    assert "try a smaller lr" in repr(optimisers.check_adam_lr(50.0))
    assert "blew up" in repr(optimisers.check_adam_lr(1e30))
    assert "Adam failed (RuntimeError: value cannot be converted" in repr(
        optimisers.check_adam_lr(1e39)
    )
    assert "is still `...`" in repr(optimisers.check_adam_lr(...))
    assert "is None" in repr(optimisers.check_adam_lr(None))
    assert "is a str, but it should be one number" in repr(
        optimisers.check_adam_lr("0.1")
    )
    assert "must be a positive number" in repr(optimisers.check_adam_lr(-0.1))
    assert "is a tensor of shape (2,), but it should be one number" in repr(
        optimisers.check_adam_lr(torch.ones(2))
    )


def test_adam_on_valley_matches_the_chapter_setup():
    path = optimisers.adam_on_valley(0.1, num_steps=3)
    assert path.shape == (4, 2)
    assert optimisers.valley_loss(path[0]).item() == 0.5 * (16.0 + 50.0)
