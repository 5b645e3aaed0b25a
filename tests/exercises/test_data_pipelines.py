"""The checkers of book/data_pipelines.md accept every valid answer and explain wrong ones."""

import torch
from torch.utils.data import TensorDataset, random_split

from nnbook.exercises import data_pipelines
from tests.exercises.verdicts import rejected


def split_each_class(y, fractions, generator):
    """The reference: permute each class's indices, then cut them by rounded fractions."""
    parts = [[], [], []]
    for k in y.unique():
        idx = (y == k).nonzero().squeeze(1)
        idx = idx[torch.randperm(len(idx), generator=generator)]
        n_train, n_val = round(fractions[0] * len(idx)), round(fractions[1] * len(idx))
        pieces = idx.split([n_train, n_val, len(idx) - n_train - n_val])
        for part, piece in zip(parts, pieces, strict=True):
            part.append(piece)
    return tuple(torch.cat(part) for part in parts)


def random_split_each_class(y, fractions, generator):
    """Also right: torch's random_split, once per class, as lists of ints."""
    parts = [[], [], []]
    for k in y.unique().tolist():
        idx = (y == k).nonzero().squeeze(1).tolist()
        subsets = random_split(idx, fractions, generator=generator)
        for part, subset in zip(parts, subsets, strict=True):
            part.extend(idx_k for idx_k in subset)
    return parts


def test_stratified_split_checker_accepts_every_valid_answer():
    for answer in (split_each_class, random_split_each_class):
        verdict = data_pipelines.check_stratified_split(answer)
        assert verdict, repr(verdict)
    assert "Every class is split 70 / 15 / 15" in repr(
        data_pipelines.check_stratified_split(split_each_class)
    )


def test_stratified_split_checker_explains_wrong_answers():
    def message(fn) -> str:
        return rejected(data_pipelines.check_stratified_split(fn))

    def plain_random_split(y, fractions, generator):
        return tuple(
            torch.tensor(s.indices)
            for s in random_split(range(len(y)), fractions, generator)
        )

    assert "split each class on its own" in message(plain_random_split)

    def unseeded(y, fractions, generator):
        return split_each_class(
            y, fractions, torch.Generator().manual_seed(torch.seed() % 1000)
        )

    assert "seeded alike give different splits" in message(unseeded)

    def first_of_each_class(y, fractions, generator):
        return split_each_class(y, fractions, torch.Generator().manual_seed(0))

    assert "different seeds give the same split" in message(first_of_each_class)

    def overlapping(y, fractions, generator):
        train, val, test = split_each_class(y, fractions, generator)
        return train, torch.cat([val, train[:1]]), test

    assert "appears in more than one split" in message(overlapping)

    def missing_test(y, fractions, generator):
        train, val, test = split_each_class(y, fractions, generator)
        return train, val, test[:-5]

    assert "5 indices are in no split" in message(missing_test)

    def out_of_range(y, fractions, generator):
        train, val, test = split_each_class(y, fractions, generator)
        return train, val, test + 1000

    assert "between 0 and 599" in message(out_of_range)

    def masks(y, fractions, generator):
        return tuple(
            torch.zeros(len(y), dtype=torch.bool).index_fill(0, part, True)
            for part in split_each_class(y, fractions, generator)
        )

    assert "not a mask or floats" in message(masks)
    assert "return three" in message(lambda y, f, g: split_each_class(y, f, g)[:2])
    assert "return a tuple of three index tensors" in message(
        lambda y, f, g: torch.arange(3)
    )
    assert "`stratified_split` raised ValueError on seed 0: boom" in message(
        lambda y, f, g: (_ for _ in ()).throw(ValueError("boom"))
    )
    assert "is still `...`" in message(...)
    assert "is still `...`" in message(lambda y, f, g: ...)
    assert "is None" in message(lambda y, f, g: None)
    assert "should be a function" in message(3)


def make_split():
    gen = torch.Generator().manual_seed(3)
    X = torch.randn(200, 3, generator=gen) * torch.tensor([1.0, 10.0, 100.0])
    X = X + torch.tensor([0.0, 5.0, -50.0])
    train, _, _ = random_split(TensorDataset(X), [0.6, 0.2, 0.2], generator=gen)
    return X, train.indices


def test_train_statistics_checker_accepts_every_valid_answer():
    X, idx = make_split()
    X_train = X[idx]
    check = data_pipelines.check_train_statistics
    assert check(X_train.mean(dim=0), X_train.std(dim=0), X, idx)
    assert check(X_train.mean(dim=0), X_train.std(dim=0, correction=0), X, idx)
    assert check(
        X_train.mean(dim=0, keepdim=True), X_train.std(dim=0, keepdim=True), X, idx
    )
    assert check(
        X_train.double().mean(dim=0), X_train.double().std(dim=0), X, torch.tensor(idx)
    )


def test_train_statistics_checker_explains_wrong_answers():
    X, idx = make_split()
    X_train = X[idx]
    mean, std = X_train.mean(dim=0), X_train.std(dim=0)
    held_out = sorted(set(range(len(X))) - set(idx))

    def check(m, s):
        return repr(data_pipelines.check_train_statistics(m, s, X, idx))

    assert check(X.mean(dim=0), std) == (
        "❌ Not yet: `mean` was computed on all 200 examples, not on the 120 training examples: "
        "the validation and test examples must stay unseen"
    )
    assert "`std` was computed on all 200 examples" in check(mean, X.std(dim=0))
    assert "`mean` was computed on the 80 validation and test examples" in check(
        X[held_out].mean(dim=0), std
    )
    assert (
        "`mean` has shape (120,), one value per example: you averaged over features"
        in check(X_train.mean(dim=1), std)
    )
    assert "`std` has shape (200,), one value per example" in check(mean, X.std(dim=1))
    assert "`mean` is a single number for all features together" in check(
        X_train.mean(), std
    )
    assert "`std` has shape (3, 1), but the expected shape is (3,)" in check(
        mean, std[:, None]
    )
    assert "`std` equals the variance of the training features" in check(
        mean, X_train.var(dim=0)
    )
    assert "`mean` has dtype torch.int64" in check(mean.long(), std)
    assert "`std` contains inf" in check(mean, std / 0)
    assert (
        "`mean` differs from the training statistics; feature 1 is off by 1"
        in check(mean + torch.tensor([0.0, 1.0, 0.0]), std)
    )
    assert "is still `...`" in check(..., std)
    assert "is a NumPy array" in check(mean.numpy(), std)
