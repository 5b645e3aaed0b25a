"""Checkers for the exercises of the chapter *Indexing, shapes and broadcasting*
(book/tensor_ops.md)."""

import torch

from nnbook.checks import (
    AnswerError,
    checker,
    expect_callable,
    expect_close,
    expect_tensor,
    readable,
    reader_code,
)

# What usually causes a broadcasting error in each exercise, appended to the reader's error.
KEEPDIM_HINT = {
    "must match the size": ": the reduced mean or std lost its dimension; keep it with keepdim=True"
}
PAIRS_HINT = {
    "must match the size": ": A - B pairs rows only when N == M; give A and B size-1 dimensions, "
    "A[:, None, :] and B[None, :, :], so that every row meets every row"
}


def _inputs(seed: int, *shapes: tuple[int, ...]) -> list[torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    return [torch.randn(*shape, generator=gen) for shape in shapes]


def _features() -> torch.Tensor:
    """Six examples with three features on very different scales (cm, kg, years)."""
    raw = _inputs(0, (6, 3))[0]
    return raw * torch.tensor([10.0, 15.0, 3.0]) + torch.tensor([170.0, 70.0, 40.0])


# (label, X, dim) for standardise(X, dim). The square matrix catches a mean without keepdim, which
# broadcasts along the wrong axis without an error; the 3-d tensor catches a hard-coded [:, None].
STANDARDISE_INPUTS = [
    ("a (6, 3) matrix of features with dim=0", _features(), 0),
    ("the same (6, 3) matrix with dim=1", _features(), 1),
    ("a (4, 4) matrix with dim=0", _inputs(1, (4, 4))[0] * 5 + 2, 0),
    ("a (4, 4) matrix with dim=1", _inputs(2, (4, 4))[0] * 5 + 2, 1),
    ("a (2, 3, 5) tensor with dim=1", _inputs(3, (2, 3, 5))[0] * 2 - 1, 1),
    ("a (2, 3, 5) tensor with dim=-1", _inputs(4, (2, 3, 5))[0] * 2 - 1, -1),
]


@checker
def check_standardise(standardise):
    """`standardise(X, dim)` must give every slice along `dim` mean 0 and standard deviation 1.

    Either standard deviation is accepted: the sample one (`X.std(dim)`, divide by n - 1) and the
    population one (`correction=0`, divide by n).
    """
    fn = expect_callable(standardise, "standardise")
    for label, X, dim in STANDARDISE_INPUTS:
        with reader_code("`standardise(X, dim)`", where=label, hints=KEEPDIM_HINT):
            out = fn(X.clone(), dim)
        try:
            out = expect_tensor(
                out, "standardise(X, dim)", shape=X.shape, dtype=X.dtype
            )
            out = out.detach().cpu()
            centred = X - X.mean(dim=dim, keepdim=True)
            candidates = [
                centred / X.std(dim=dim, keepdim=True, correction=c) for c in (1, 0)
            ]
            if any(
                torch.allclose(out, ref, atol=1e-4, rtol=1e-4) for ref in candidates
            ):
                continue
            means = out.mean(dim=dim)
            if means.abs().max() > 1e-3:
                raise AnswerError(
                    f"the slices along dim={dim} have means up to "
                    f"{means.abs().max().item():.3g}, not 0: subtract the mean along dim, "
                    "kept as a size-1 dimension (keepdim=True) so it lines up with its own slice"
                )
            stds = out.std(dim=dim, correction=0)
            if not torch.allclose(stds, torch.ones_like(stds), atol=0.2):
                raise AnswerError(
                    f"the slices along dim={dim} have standard deviations from "
                    f"{stds.min().item():.3g} to {stds.max().item():.3g}, not 1: divide by the "
                    "standard deviation along the same dim, with keepdim=True"
                )
            expect_close(
                out, candidates[0], "standardise(X, dim)", atol=1e-4, rtol=1e-4
            )
        except AnswerError as err:
            raise AnswerError(f"on {label}: {err}") from None
    return "Kept as size-1 dimensions, the mean and std broadcast back along any dim."


# (label, A, B) for pairwise_sq_dists(A, B). N != M catches a sum over the wrong axis, the square
# case a subtraction of A - B row by row, and d = 1 a squeeze that drops the feature dimension.
DISTANCE_INPUTS = [
    ("A of shape (4, 3) and B of shape (5, 3)", *_inputs(5, (4, 3), (5, 3))),
    ("A and B both of shape (5, 2)", *_inputs(6, (5, 2), (5, 2))),
    ("A of shape (3, 1) and B of shape (6, 1)", *_inputs(7, (3, 1), (6, 1))),
    ("A of shape (1, 4) and B of shape (3, 4)", *_inputs(8, (1, 4), (3, 4))),
]


def sq_dists(A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
    """torch.cdist(A, B) ** 2, computed without the matrix-product shortcut (exact for small d)."""
    return torch.cdist(A, B, compute_mode="donot_use_mm_for_euclid_dist") ** 2


@checker
def check_pairwise_sq_dists(pairwise_sq_dists):
    """`pairwise_sq_dists(A, B)[i, j]` must be the squared distance between A[i] and B[j]."""
    fn = expect_callable(pairwise_sq_dists, "pairwise_sq_dists")
    for label, A, B in DISTANCE_INPUTS:
        with reader_code("`pairwise_sq_dists(A, B)`", where=label, hints=PAIRS_HINT):
            out = fn(A.clone(), B.clone())
        try:
            expected = sq_dists(A, B)
            out = expect_tensor(out, "D", shape=expected.shape, dtype=expected.dtype)
            out = out.detach().cpu()
            if torch.allclose(
                out, expected.sqrt(), atol=1e-4, rtol=1e-4
            ) and not torch.allclose(out, expected, atol=1e-4, rtol=1e-4):
                raise AnswerError(
                    "`D` holds the distances, not their squares: leave out the square root"
                )
            expect_close(out, expected, "D", atol=1e-4, rtol=1e-4)
        except AnswerError as err:
            raise AnswerError(f"on {label}: {err}") from None
    return "(N, 1, d) against (1, M, d) broadcasts to every pair of rows at once."


@checker
def check_margin(margin, logits: torch.Tensor, y: torch.Tensor):
    """`margin[i]` must be logits[i, y[i]] minus the largest logit of row i among the other classes."""
    if isinstance(logits, torch.Tensor) and readable(logits) and logits.isinf().any():
        raise AnswerError(
            "`logits` now contains inf: your code wrote into it; write into a copy, "
            "logits.clone(), instead"
        )
    logits, y = logits.detach().cpu(), y.cpu()
    rows = torch.arange(len(y))
    true_score = logits[rows, y]
    others = logits.clone()
    others[rows, y] = -torch.inf
    expected = true_score - others.max(dim=1).values
    margin = expect_tensor(margin, "margin", shape=expected.shape, dtype=expected.dtype)
    margin = margin.detach().cpu()
    with_true = true_score - logits.max(dim=1).values
    if torch.allclose(margin, with_true) and not torch.allclose(margin, expected):
        raise AnswerError(
            "every margin is 0 or below: the maximum must leave out the true class, "
            "so set logits[i, y[i]] to -inf in a copy before taking it"
        )
    expect_close(margin, expected, "margin")
    wrong = int((expected <= 0).sum())
    return f"{wrong} of {len(y)} examples have a margin of 0 or below: misclassified."
