"""The checkers of book/data_pipelines.md accept every valid answer and explain wrong ones."""

import math

import numpy as np
import torch
from torch.utils.data import TensorDataset, random_split

from nnbook.exercises import data_pipelines


def test_num_batches_checker_accepts_every_valid_answer():
    def with_ceil(n, batch_size, drop_last=False):
        return n // batch_size if drop_last else math.ceil(n / batch_size)

    def with_floor_division(n, batch_size, drop_last=False):
        return n // batch_size if drop_last else (n + batch_size - 1) // batch_size

    def as_numpy_int(n, batch_size, drop_last=False):
        return np.int64(with_ceil(n, batch_size, drop_last))

    for answer in (with_ceil, with_floor_division, as_numpy_int):
        assert data_pipelines.check_num_batches(answer)


def test_num_batches_checker_explains_wrong_answers():
    def check(fn):
        return repr(data_pipelines.check_num_batches(fn))

    assert check(lambda n, b, drop_last=False: n // b) == (
        "❌ Not yet: for n=1000, batch_size=64, drop_last=False you return 15, but the DataLoader "
        "makes 16 batches: the last, partial batch of 40 examples counts too"
    )
    assert "drop_last=True drops the partial batch of 40 examples" in check(
        lambda n, b, drop_last=False: math.ceil(n / b)
    )
    assert "you return 15.625 (float), but a number of batches is an int" in check(
        lambda n, b, drop_last=False: n / b
    )
    assert "you return 17, but the DataLoader makes 16 batches: an epoch has" in check(
        lambda n, b, drop_last=False: n // b + 2
    )
    assert "`num_batches` raised ZeroDivisionError" in check(lambda n, b, drop_last=False: 1 // 0)
    assert "is still `...`" in check(...)
    assert check(lambda n, b, drop_last=False: ...) == (
        "❌ Not yet: `num_batches` returns `...`: replace the `...` with your code"
    )
    assert "should be a function" in check(16)
    assert check(lambda n, b, drop_last=False: torch.tensor(n // b)).startswith("❌ Not yet: for")


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
    assert check(X_train.mean(dim=0, keepdim=True), X_train.std(dim=0, keepdim=True), X, idx)
    assert check(X_train.double().mean(dim=0), X_train.double().std(dim=0), X, torch.tensor(idx))


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
    assert "`mean` has shape (120,), one value per example: you averaged over features" in check(
        X_train.mean(dim=1), std
    )
    assert "`std` has shape (200,), one value per example" in check(mean, X.std(dim=1))
    assert "`mean` is a single number for all features together" in check(X_train.mean(), std)
    assert "`std` has shape (3, 1), but the expected shape is (3,)" in check(mean, std[:, None])
    assert "`std` equals the variance of the training features" in check(mean, X_train.var(dim=0))
    assert "`mean` has dtype torch.int64" in check(mean.long(), std)
    assert "`std` contains inf" in check(mean, std / 0)
    assert "`mean` differs from the training statistics; feature 1 is off by 1" in check(
        mean + torch.tensor([0.0, 1.0, 0.0]), std
    )
    assert "is still `...`" in check(..., std)
    assert "is a NumPy array" in check(mean.numpy(), std)
