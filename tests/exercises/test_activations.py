"""The checkers of book/activations.md accept every valid answer and explain wrong ones."""

import numpy as np
import torch

from nnbook.exercises import activations


def row_max_softmax(z):
    shifted = z - z.max(dim=1, keepdim=True).values
    e = torch.exp(shifted)
    return e / e.sum(dim=1, keepdim=True)


def logsumexp_softmax(z):
    return torch.exp(z - torch.logsumexp(z, dim=1, keepdim=True))


def naive_softmax(z):
    e = torch.exp(z)
    return e / e.sum(dim=1, keepdim=True)


def global_max_softmax(z):
    e = torch.exp(z - z.max())
    return e / e.sum(dim=1, keepdim=True)


def wrong_dim_softmax(z):
    e = torch.exp(z - z.max(dim=0, keepdim=True).values)
    return e / e.sum(dim=0, keepdim=True)


def no_keepdim_softmax(z):
    e = torch.exp(z - z.max(dim=1, keepdim=True).values)
    return e / e.sum(dim=1)


def square_no_keepdim_softmax(z):
    """Sums without keepdim, but reshapes when the batch is not square: only a square batch fails."""
    e = torch.exp(z - z.max(dim=1, keepdim=True).values)
    sums = e.sum(dim=1)
    return e / (sums if z.shape[0] == z.shape[1] else sums[:, None])


def test_stable_softmax_checker_accepts_every_valid_answer():
    assert activations.check_stable_softmax(row_max_softmax)
    assert activations.check_stable_softmax(logsumexp_softmax)
    assert activations.check_stable_softmax(lambda z: torch.softmax(z, dim=1))
    assert activations.check_stable_softmax(
        lambda z: torch.softmax(z.double(), dim=1).float()
    )


def test_stable_softmax_checker_explains_wrong_answers():
    verdict = activations.check_stable_softmax(naive_softmax)
    assert not verdict
    assert repr(verdict).startswith(
        "❌ Not yet: on huge logits [[1000.0, 1001.0, 1002.0]]:"
    )
    assert "contains NaN or inf" in repr(verdict) and "each row's maximum" in repr(
        verdict
    )

    verdict = activations.check_stable_softmax(global_max_softmax)
    assert "on a batch mixing huge and small rows" in repr(verdict)
    assert "contains NaN or inf" in repr(verdict)

    verdict = activations.check_stable_softmax(wrong_dim_softmax)
    assert "on small logits [[2.0, 1.0, 0.1]]: row 0 sums to 3, not 1" in repr(verdict)
    assert "dim=1" in repr(verdict)

    verdict = activations.check_stable_softmax(no_keepdim_softmax)
    assert "raised RuntimeError on a batch of 4 rows of 5 logits" in repr(verdict)

    verdict = activations.check_stable_softmax(square_no_keepdim_softmax)
    assert "on a batch of 3 rows of 3 logits: row" in repr(verdict)
    assert "keepdim=True" in repr(verdict)

    verdict = activations.check_stable_softmax(lambda z: row_max_softmax(z).sum(dim=1))
    assert "has shape (1,), but the expected shape is (1, 3)" in repr(verdict)

    verdict = activations.check_stable_softmax(
        lambda z: row_max_softmax(z) * 0.5 + 0.5 / 3
    )
    assert "largest difference" in repr(verdict)

    verdict = activations.check_stable_softmax(lambda z: None)
    assert "is None" in repr(verdict)
    verdict = activations.check_stable_softmax(lambda z: row_max_softmax(z).numpy())
    assert "NumPy array" in repr(verdict)
    assert "still `...`" in repr(activations.check_stable_softmax(...))
    # the starter cell as given
    unfinished = activations.check_stable_softmax(lambda z: ...)
    assert "`stable_softmax(z)` is still `...`" in repr(unfinished)
    assert "should be a function" in repr(activations.check_stable_softmax(np.zeros(3)))


def test_every_message_is_one_line():
    wrong = [naive_softmax, global_max_softmax, wrong_dim_softmax, no_keepdim_softmax]
    for fn in wrong:
        assert "\n" not in repr(activations.check_stable_softmax(fn))


def leaky_relu_grad(z, negative_slope):
    return torch.where(z > 0, 1.0, negative_slope)


def test_leaky_relu_grad_checker_accepts_every_valid_answer():
    assert activations.check_leaky_relu_grad(leaky_relu_grad)
    # Either one-sided slope is a valid choice at z = 0.
    assert activations.check_leaky_relu_grad(lambda z, s: torch.where(z >= 0, 1.0, s))
    assert activations.check_leaky_relu_grad(
        lambda z, s: (z > 0).float() + s * (z <= 0).float()
    )


def test_leaky_relu_grad_checker_explains_wrong_answers():
    relu_grad = activations.check_leaky_relu_grad(lambda z, s: (z > 0).float())
    assert repr(relu_grad).startswith(
        "❌ Not yet: on z = [-3, -0.5, 0, 0.5, 3] with negative_slope=0.1: at z = -3 your "
        "derivative is 0, but it should be 0.1: for z < 0 leaky ReLU is negative_slope * z"
    )
    fixed_slope = activations.check_leaky_relu_grad(
        lambda z, s: torch.where(z > 0, 1.0, 0.1)
    )
    assert "negative_slope=0.01" in repr(fixed_slope) and "should be 0.01" in repr(
        fixed_slope
    )
    values = activations.check_leaky_relu_grad(
        lambda z, s: torch.nn.functional.leaky_relu(z, s)
    )
    assert "at z = -3 your derivative is -0.3, but it should be 0.1" in repr(values)
    positive_wrong = activations.check_leaky_relu_grad(
        lambda z, s: torch.where(z > 0, 2.0, s)
    )
    assert "at z = 0.5 your derivative is 2, but it should be 1: for z > 0" in repr(
        positive_wrong
    )
    at_zero = activations.check_leaky_relu_grad(
        lambda z, s: torch.where(z > 0, 1.0, s) * (z != 0)
    )
    assert "at z = 0 either one-sided slope is accepted, 1 or 0.1" in repr(at_zero)
    assert "dtype torch.bool" in repr(
        activations.check_leaky_relu_grad(lambda z, s: z > 0)
    )
    assert "shape (5, 1)" in repr(
        activations.check_leaky_relu_grad(lambda z, s: leaky_relu_grad(z, s)[:, None])
    )
    assert "is still `...`" in repr(activations.check_leaky_relu_grad(lambda z, s: ...))
    raised = activations.check_leaky_relu_grad(lambda z: z)
    assert "`leaky_relu_grad` raised TypeError on z = [-3, -0.5, 0, 0.5, 3]" in repr(
        raised
    )
