"""Checkers for the exercises of the chapter *Data pipelines* (book/data_pipelines.md)."""

import torch

from nnbook.checks import (
    AnswerError,
    call_answer,
    checker,
    close,
    expect_callable,
    expect_tensor,
)

TOL = {"atol": 1e-5, "rtol": 1e-4}

# The checker's labels for the stratified split: three classes of 500, 80 and 20 examples, in a
# shuffled order. SPLIT_SEEDS are the generator seeds it tries: a plain random split keeps the
# rare class's share by luck at one seed, but not at all of them.
STRATA_COUNTS = (500, 80, 20)
SPLIT_FRACTIONS = (0.7, 0.15, 0.15)
SPLIT_NAMES = ("training", "validation", "test")
SPLIT_SEEDS = (0, 1, 2, 3, 4)


def strata_labels() -> torch.Tensor:
    """The labels on which check_stratified_split runs the reader's function: int64, (600,)."""
    y = torch.cat([torch.full((n,), k) for k, n in enumerate(STRATA_COUNTS)])
    return y[torch.randperm(len(y), generator=torch.Generator().manual_seed(0))]


def _three_index_tensors(result, label: str, n: int) -> list[torch.Tensor]:
    """The reader's result as three 1-d int64 tensors; else raise AnswerError."""
    if result is Ellipsis or result is None:
        expect_tensor(result, label)  # the standard messages for `...` and None
    if isinstance(result, torch.Tensor) or not isinstance(result, (tuple, list)):
        raise AnswerError(
            f"{label} returned a {type(result).__name__}; return a tuple of three index tensors, "
            "(train_idx, val_idx, test_idx)"
        )
    if len(result) != 3:
        raise AnswerError(
            f"{label} returned {len(result)} parts; return three: training, validation and test"
        )
    parts = []
    for name, part in zip(SPLIT_NAMES, result, strict=True):
        if isinstance(part, (list, tuple)) and all(isinstance(i, int) for i in part):
            part = torch.tensor(part, dtype=torch.int64)  # a list of ints is fine too
        part = expect_tensor(part, f"the {name} indices")
        if part.is_floating_point() or part.dtype == torch.bool:
            raise AnswerError(
                f"the {name} indices have dtype {part.dtype}; indices are integers (int64), not a "
                "mask or floats"
            )
        parts.append(part.detach().cpu().long().flatten())
    every = torch.cat(parts)
    counts = torch.bincount(every.clamp(0, n), minlength=n + 1)
    if (every < 0).any() or (every >= n).any():
        raise AnswerError(
            f"the indices must lie between 0 and {n - 1}, the positions of y"
        )
    if (counts > 1).any():
        i = int((counts > 1).nonzero()[0])
        raise AnswerError(f"index {i} appears in more than one split, or twice in one")
    if (counts[:n] == 0).any():
        missing = int((counts[:n] == 0).sum())
        raise AnswerError(
            f"{missing} indices are in no split: together they must cover 0..{n - 1}"
        )
    return parts


@checker
def check_stratified_split(stratified_split):
    """`stratified_split(y, fractions, generator)` must split every class in the given fractions."""
    fn = expect_callable(stratified_split, "stratified_split")
    y = strata_labels()
    n = len(y)
    splits = {}
    for seed in SPLIT_SEEDS:
        label = f"stratified_split(y, {list(SPLIT_FRACTIONS)}, generator seeded {seed})"
        generator = torch.Generator().manual_seed(seed)
        result = call_answer(
            fn, "stratified_split", f"seed {seed}", y, SPLIT_FRACTIONS, generator
        )
        parts = _three_index_tensors(result, label, n)
        for k, n_k in enumerate(STRATA_COUNTS):
            for name, fraction, part in zip(
                SPLIT_NAMES, SPLIT_FRACTIONS, parts, strict=True
            ):
                got = int((y[part] == k).sum())
                if abs(got - fraction * n_k) > 1:
                    raise AnswerError(
                        f"with the generator seeded {seed}, the {name} split holds {got} of the "
                        f"{n_k} examples of class {k}, but {fraction} of them is about "
                        f"{fraction * n_k:g}: split each class on its own"
                    )
        splits[seed] = parts
        again = call_answer(
            fn,
            "stratified_split",
            f"seed {seed}",
            y,
            SPLIT_FRACTIONS,
            torch.Generator().manual_seed(seed),
        )
        again = _three_index_tensors(again, label, n)
        if any(
            set(a.tolist()) != set(b.tolist())
            for a, b in zip(parts, again, strict=True)
        ):
            raise AnswerError(
                "two calls with generators seeded alike give different splits: draw every random "
                "permutation from the `generator` argument, torch.randperm(..., generator=generator)"
            )
    first, second = splits[SPLIT_SEEDS[0]], splits[SPLIT_SEEDS[1]]
    if all(
        set(a.tolist()) == set(b.tolist()) for a, b in zip(first, second, strict=True)
    ):
        raise AnswerError(
            "generators with different seeds give the same split: the split must be random, drawn "
            "from the `generator`, not the first examples of each class"
        )
    return (
        "Every class is split 70 / 15 / 15, even the rare one, and the seed fixes the split: "
        "that is a stratified split."
    )


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
        raise AnswerError(
            f"`{name}` has dtype {answer.dtype}: statistics of features are floats"
        )
    if torch.isinf(answer).any():
        raise AnswerError(f"`{name}` contains inf: look for a division by zero")
    return answer.detach().cpu().reshape(n_features).to(X.dtype)


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
        if any(close(answer, s, **TOL) for s in statistic(X_train)):
            continue
        for label, A in others:
            if any(close(answer, s, **TOL) for s in statistic(A)):
                raise AnswerError(
                    f"`{name}` was computed on {label}, not on the {n_train} training examples: "
                    "the validation and test examples must stay unseen"
                )
        if name == "std" and any(
            close(answer, s**2, **TOL) for s in statistic(X_train)
        ):
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
