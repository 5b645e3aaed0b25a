"""Checkers for the exercises of the chapter *Data pipelines* (book/data_pipelines.md)."""

import math
import numbers

import torch
from torch.utils.data import DataLoader

from nnbook.checks import AnswerError, call_answer, checker, expect_callable, expect_tensor

# (n, batch_size, drop_last): exact and inexact divisions, a batch larger than the data, one example.
BATCH_CASES = [
    (1000, 64, False),
    (1000, 64, True),
    (10, 5, False),
    (10, 5, True),
    (10, 3, False),
    (10, 3, True),
    (7, 10, False),
    (7, 10, True),
    (1, 1, False),
    (4096, 512, True),
]


@checker
def check_num_batches(num_batches):
    """`num_batches(n, batch_size, drop_last)` must return len(DataLoader(...)) as an int."""
    fn = expect_callable(num_batches, "num_batches")
    for n, batch_size, drop_last in BATCH_CASES:
        label = f"n={n}, batch_size={batch_size}, drop_last={drop_last}"
        got = call_answer(fn, "num_batches", label, n, batch_size, drop_last)
        if got is Ellipsis:
            raise AnswerError("`num_batches` returns `...`: replace the `...` with your code")
        if isinstance(got, torch.Tensor) and got.numel() == 1 and not got.is_floating_point():
            got = got.item()
        if isinstance(got, bool) or not isinstance(got, numbers.Integral):
            raise AnswerError(
                f"for {label} you return {got!r} ({type(got).__name__}), but a number of batches is "
                "an int: round with math.ceil(...) or use floor division //"
            )
        expected = len(DataLoader(range(n), batch_size=batch_size, drop_last=drop_last))
        if got == expected:
            continue
        left_over = n % batch_size
        if not drop_last and got == n // batch_size:
            reason = f"the last, partial batch of {left_over} examples counts too"
        elif drop_last and got == math.ceil(n / batch_size):
            reason = f"drop_last=True drops the partial batch of {left_over} examples"
        else:
            reason = (
                "an epoch has ceil(n / batch_size) batches, floor(n / batch_size) with drop_last"
            )
        raise AnswerError(
            f"for {label} you return {got}, but the DataLoader makes {expected} batches: {reason}"
        )
    return "That is len(DataLoader(...)): ceil(N / B) batches, or floor(N / B) with drop_last=True."


def _per_feature(answer, name: str, X: torch.Tensor, n_train: int) -> torch.Tensor:
    """Validate `answer` as one statistic per feature of `X`, shape (n,) or (1, n); return it as (n,)."""
    n_features = X.shape[1]
    answer = expect_tensor(answer, name)
    shape = tuple(answer.shape)
    if shape in {(n_train,), (n_train, 1), (X.shape[0],), (X.shape[0], 1)}:
        raise AnswerError(
            f"`{name}` has shape {shape}, one value per example: you averaged over features "
            "(dim=1), not over examples (dim=0)"
        )
    if answer.numel() == 1:
        raise AnswerError(
            f"`{name}` is a single number for all features together: compute one per feature, "
            "over the examples only (dim=0)"
        )
    if shape not in {(n_features,), (1, n_features)}:
        raise AnswerError(
            f"`{name}` has shape {shape}, but the expected shape is ({n_features},), one value per "
            "feature"
        )
    if not answer.is_floating_point():
        raise AnswerError(f"`{name}` has dtype {answer.dtype}: statistics of features are floats")
    if torch.isinf(answer).any():
        raise AnswerError(f"`{name}` contains inf: look for a division by zero")
    return answer.detach().cpu().reshape(n_features).to(X.dtype)


def _close(a: torch.Tensor, b: torch.Tensor) -> bool:
    return torch.allclose(a, b, rtol=1e-4, atol=1e-5)


@checker
def check_train_statistics(mean, std, X, train_indices):
    """`mean` and `std` must be the per-feature statistics of the training rows `X[train_indices]`.

    The standard deviation may use either correction (`X.std(dim=0)` divides by n - 1,
    `X.std(dim=0, correction=0)` by n): both are in common use.
    """
    X = X.detach().cpu()
    train_indices = torch.as_tensor(train_indices, dtype=torch.long).cpu()
    n_train = len(train_indices)
    held_out = torch.ones(len(X), dtype=torch.bool)
    held_out[train_indices] = False
    X_train, X_held_out = X[train_indices], X[held_out]

    mean = _per_feature(mean, "mean", X, n_train)
    std = _per_feature(std, "std", X, n_train)

    others = [
        (f"all {len(X)} examples", X),
        (f"the {len(X_held_out)} validation and test examples", X_held_out),
    ]
    for name, answer, statistic in [
        ("mean", mean, lambda A: [A.mean(dim=0)]),
        ("std", std, lambda A: [A.std(dim=0), A.std(dim=0, correction=0)]),
    ]:
        if any(_close(answer, s) for s in statistic(X_train)):
            continue
        for label, A in others:
            if any(_close(answer, s) for s in statistic(A)):
                raise AnswerError(
                    f"`{name}` was computed on {label}, not on the {n_train} training examples: "
                    "the validation and test examples must stay unseen"
                )
        if name == "std" and any(_close(answer, s**2) for s in statistic(X_train)):
            raise AnswerError(
                "`std` equals the variance of the training features: take its square root"
            )
        expected = statistic(X_train)[0]
        diff = (answer - expected).abs()
        worst = int(diff.argmax())
        raise AnswerError(
            f"`{name}` differs from the training statistics; feature {worst} is off by "
            f"{diff[worst].item():.4g} (yours {answer[worst].item():.4g}, expected "
            f"{expected[worst].item():.4g})"
        )
    return "Fitted on the training split only; apply (X - mean) / std to every split."
