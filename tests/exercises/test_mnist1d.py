"""The checkers of book/mnist1d.md accept every valid answer and explain wrong ones."""

import math

import numpy as np
import pytest
import torch

from nnbook.exercises import mnist1d
from tests.exercises.verdicts import rejected


def test_conv_out_len_accepts_every_way_to_write_the_formula():
    def floor_division(L, kernel_size, stride, padding):
        return (L + 2 * padding - kernel_size) // stride + 1

    def with_math_floor(L, kernel_size, stride, padding):
        return math.floor((L + 2 * padding - kernel_size) / stride) + 1

    def with_a_tensor(L, kernel_size, stride, padding):
        return (
            torch.tensor(L + 2 * padding - kernel_size).div(
                stride, rounding_mode="floor"
            )
            + 1
        )

    def with_numpy(L, kernel_size, stride, padding):
        return np.int64((L + 2 * padding - kernel_size) // stride + 1)

    for answer in (floor_division, with_math_floor, with_a_tensor, with_numpy):
        verdict = mnist1d.check_conv_out_len(answer)
        assert verdict, repr(verdict)
        assert repr(verdict).startswith("✅ Correct!")


def test_conv_length_matches_the_chapter_and_the_formula():
    assert [mnist1d.conv_length(*case) for case in mnist1d.CONV_CASES[:3]] == [
        19,
        10,
        5,
    ]
    for L, k, s, p in mnist1d.CONV_CASES:
        assert mnist1d.conv_length(L, k, s, p) == (L + 2 * p - k) // s + 1


def test_conv_out_len_explains_a_wrong_formula():
    text = rejected(mnist1d.check_conv_out_len(lambda L, k, s, p: (L + 2 * p - k) // s))
    assert "for L=40, kernel_size=5, stride=2, padding=1 your function gives 18" in text
    assert (
        "nn.Conv1d outputs 19" in text
        and "floor((L + 2 * padding - kernel_size)" in text
    )
    # Padding on one side only is right for the first layer and wrong for the second.
    text = rejected(mnist1d.check_conv_out_len(lambda L, k, s, p: (L + p - k) // s + 1))
    assert "for L=19, kernel_size=3, stride=2, padding=1 your function gives 9" in text


def test_conv_out_len_explains_true_division():
    text = rejected(
        mnist1d.check_conv_out_len(lambda L, k, s, p: (L + 2 * p - k) / s + 1)
    )
    assert "returns 19.5, not a whole number" in text and "//" in text
    text = rejected(
        mnist1d.check_conv_out_len(
            lambda L, k, s, p: torch.tensor((L + 2 * p - k) / s + 1)
        )
    )
    assert "not a whole number" in text


def test_conv_out_len_reports_errors_and_non_functions():
    text = rejected(mnist1d.check_conv_out_len(lambda L, k, s: L))
    assert "conv_out_len(40, 5, 2, 1) raised TypeError" in text
    assert "still `...`" in rejected(mnist1d.check_conv_out_len(...))
    assert "should be a function, but it is a int" in rejected(
        mnist1d.check_conv_out_len(19)
    )


@pytest.fixture
def layer():
    gen = torch.Generator().manual_seed(0)
    weight = torch.randn(100, 40, generator=gen)  # nn.Linear(40, 100).weight: (out, in)
    perm = torch.randperm(40, generator=gen)
    return weight, perm


def test_shuffled_weight_accepts_the_permuted_columns(layer):
    weight, perm = layer
    verdict = mnist1d.check_shuffled_weight(weight[:, perm], weight, perm)
    assert verdict and repr(verdict).startswith("✅ Correct!")
    assert mnist1d.check_shuffled_weight(
        weight.index_select(1, perm).clone(), weight, perm
    )
    identity = torch.arange(40)
    assert mnist1d.check_shuffled_weight(weight, weight, identity), (
        "no shuffle: keep the weight"
    )


def test_shuffled_weight_explains_typical_mistakes(layer):
    weight, perm = layer
    text = rejected(
        mnist1d.check_shuffled_weight(weight[:, torch.argsort(perm)], weight, perm)
    )
    assert "inverse permutation" in text and "column perm[j]" in text
    assert "is the original weight" in rejected(
        mnist1d.check_shuffled_weight(weight, weight, perm)
    )
    assert "shape (40, 100)" in rejected(
        mnist1d.check_shuffled_weight(weight.T, weight, perm)
    )
    assert "dtype torch.float64" in rejected(
        mnist1d.check_shuffled_weight(weight[:, perm].double(), weight, perm)
    )
    other = torch.roll(perm, 1)
    text = rejected(mnist1d.check_shuffled_weight(weight[:, other], weight, perm))
    assert "largest difference" in text
    assert "is None" in rejected(mnist1d.check_shuffled_weight(None, weight, perm))
