"""The checkers of book/tensor_ops.md accept every valid answer and explain wrong ones."""

import torch

from nnbook.exercises import tensor_ops


def standardise_sample(X, dim):
    return (X - X.mean(dim=dim, keepdim=True)) / X.std(dim=dim, keepdim=True)


def standardise_population(X, dim):
    mean = X.mean(dim=dim).unsqueeze(dim)
    var = ((X - mean) ** 2).mean(dim=dim, keepdim=True)
    return (X - mean) / var.sqrt()


def test_standardise_checker_accepts_both_standard_deviations():
    assert tensor_ops.check_standardise(standardise_sample)
    assert tensor_ops.check_standardise(standardise_population)
    assert tensor_ops.check_standardise(
        lambda X, dim: (
            (X - X.mean(dim, keepdim=True)) / X.std(dim, keepdim=True, correction=0)
        )
    )


def test_standardise_checker_explains_wrong_answers():
    no_keepdim = repr(
        tensor_ops.check_standardise(
            lambda X, dim: (X - X.mean(dim=dim)) / X.std(dim=dim)
        )
    )
    assert no_keepdim.startswith(
        "❌ Not yet: `standardise(X, dim)` raised RuntimeError on the same (6, 3) matrix with dim=1"
    )
    assert "keep it with keepdim=True" in no_keepdim

    # runs on a square matrix without keepdim, and is silently wrong
    def square_only(X, dim):
        if X.shape == (4, 4):
            return (X - X.mean(dim=dim)) / X.std(dim=dim)
        return standardise_sample(X, dim)

    verdict = repr(tensor_ops.check_standardise(square_only))
    assert verdict.startswith(
        "❌ Not yet: on a (4, 4) matrix with dim=1: the slices along dim=1"
    )
    assert "not 0" in verdict

    centred_only = repr(
        tensor_ops.check_standardise(lambda X, dim: X - X.mean(dim=dim, keepdim=True))
    )
    assert (
        "on a (6, 3) matrix of features with dim=0: the slices along dim=0 have standard"
        in (centred_only)
    )

    def global_std(X, dim):
        return (X - X.mean(dim=dim, keepdim=True)) / X.std()

    assert "standard deviations from" in repr(tensor_ops.check_standardise(global_std))
    assert "is still `...`" in repr(tensor_ops.check_standardise(...))
    assert "should be a function" in repr(tensor_ops.check_standardise(torch.zeros(3)))
    assert "shape (3,)" in repr(
        tensor_ops.check_standardise(lambda X, dim: X.mean(dim=dim))
    )


def test_pairwise_sq_dists_checker_accepts_every_valid_answer():
    def by_broadcasting(A, B):
        return ((A[:, None, :] - B[None, :, :]) ** 2).sum(dim=-1)

    def by_expansion(A, B):  # |a|^2 - 2 a.b + |b|^2
        return (A**2).sum(1, keepdim=True) - 2 * A @ B.T + (B**2).sum(1)

    assert tensor_ops.check_pairwise_sq_dists(by_broadcasting)
    assert tensor_ops.check_pairwise_sq_dists(by_expansion)
    assert tensor_ops.check_pairwise_sq_dists(lambda A, B: torch.cdist(A, B) ** 2)


def test_pairwise_sq_dists_checker_explains_wrong_answers():
    wrong_axis = repr(
        tensor_ops.check_pairwise_sq_dists(
            lambda A, B: ((A[:, None, :] - B[None, :, :]) ** 2).sum(dim=1)
        )
    )
    assert wrong_axis.startswith(
        "❌ Not yet: on A of shape (4, 3) and B of shape (5, 3): `D`"
    )
    assert "shape (4, 3)" in wrong_axis and "(4, 5)" in wrong_axis

    rowwise = repr(
        tensor_ops.check_pairwise_sq_dists(lambda A, B: ((A - B) ** 2).sum(1))
    )
    assert "raised RuntimeError on A of shape (4, 3) and B of shape (5, 3)" in rowwise
    assert "every row meets every row" in rowwise

    not_squared = repr(
        tensor_ops.check_pairwise_sq_dists(
            lambda A, B: ((A[:, None] - B[None]) ** 2).sum(-1).sqrt()
        )
    )
    assert "holds the distances, not their squares" in not_squared

    off_by_two = repr(
        tensor_ops.check_pairwise_sq_dists(
            lambda A, B: 2 * ((A[:, None] - B[None]) ** 2).sum(-1)
        )
    )
    assert "largest difference" in off_by_two
    assert "is None" in repr(tensor_ops.check_pairwise_sq_dists(lambda A, B: None))


LOGITS = torch.tensor(
    [[2.0, 0.5, -1.0], [0.0, 1.0, 3.0], [1.0, 2.0, 0.5], [0.2, 0.1, 0.4]]
)
Y = torch.tensor([0, 1, 1, 2])


def margin_by_clone(logits, y):
    rows = torch.arange(len(y))
    others = logits.clone()
    others[rows, y] = -torch.inf
    return logits[rows, y] - others.max(dim=1).values


def test_margin_checker_accepts_every_valid_answer():
    expected = torch.tensor([1.5, -2.0, 1.0, 0.2])
    assert torch.allclose(margin_by_clone(LOGITS, Y), expected)
    verdict = tensor_ops.check_margin(margin_by_clone(LOGITS, Y), LOGITS, Y)
    assert verdict and "1 of 4 examples" in repr(verdict)
    mask = torch.nn.functional.one_hot(Y, 3).bool()
    by_mask = LOGITS[mask] - LOGITS.masked_fill(mask, -torch.inf).max(dim=1).values
    assert tensor_ops.check_margin(by_mask, LOGITS, Y)
    by_where = (LOGITS * mask).sum(1) - torch.where(mask, -torch.inf, LOGITS).amax(1)
    assert tensor_ops.check_margin(by_where, LOGITS, Y)


def test_margin_checker_explains_wrong_answers():
    rows = torch.arange(4)
    with_true = LOGITS[rows, Y] - LOGITS.max(dim=1).values
    assert "leave out the true class" in repr(
        tensor_ops.check_margin(with_true, LOGITS, Y)
    )
    assert "shape (4, 4)" in repr(
        tensor_ops.check_margin(LOGITS[:, Y] - LOGITS.max(1).values, LOGITS, Y)
    )
    written = LOGITS.clone()
    written[rows, Y] = -torch.inf  # the reader forgot to clone
    assert "`logits` now contains inf" in repr(
        tensor_ops.check_margin(with_true, written, Y)
    )
    assert "largest difference" in repr(
        tensor_ops.check_margin(margin_by_clone(LOGITS, Y) + 0.5, LOGITS, Y)
    )
    assert "dtype torch.int64" in repr(
        tensor_ops.check_margin(torch.zeros(4, dtype=torch.long), LOGITS, Y)
    )
