"""The checkers of book/pytorch_layers.md accept every valid answer and explain wrong ones."""

import numpy as np
import pytest
import torch
from torch import nn

from nnbook.exercises import pytorch_layers
from tests.exercises.verdicts import rejected


def conv_copy_of(linear: nn.Linear, **kwargs) -> nn.Conv1d:
    """The reference answer: a kernel-size-1 Conv1d holding `linear`'s parameters."""
    conv = nn.Conv1d(
        linear.in_features,
        linear.out_features,
        1,
        bias=linear.bias is not None,
        **kwargs,
    )
    with torch.no_grad():
        conv.weight.copy_(linear.weight.unsqueeze(-1))
        if linear.bias is not None:
            conv.bias.copy_(linear.bias)
    return conv


@pytest.fixture
def linear():
    torch.manual_seed(0)
    return nn.Linear(3, 5)


def test_conv_from_linear_accepts_every_valid_answer(linear):
    conv = conv_copy_of(linear)
    verdict = pytorch_layers.check_conv_from_linear(conv, linear)
    assert verdict and repr(verdict).startswith("✅ Correct!")
    assert pytorch_layers.check_conv_from_linear(
        conv_copy_of(linear, padding="same"), linear
    )
    assert pytorch_layers.check_conv_from_linear(
        conv_copy_of(linear, padding="valid"), linear
    )
    assert pytorch_layers.check_conv_from_linear(
        conv_copy_of(linear, dilation=3), linear
    )
    assert pytorch_layers.check_conv_from_linear(conv_copy_of(linear).double(), linear)
    no_bias = nn.Linear(3, 5, bias=False)
    assert pytorch_layers.check_conv_from_linear(conv_copy_of(no_bias), no_bias)
    zero_bias = conv_copy_of(no_bias, padding=0)
    zero_bias.bias = nn.Parameter(torch.zeros(5))  # a zero bias adds nothing
    assert pytorch_layers.check_conv_from_linear(zero_bias, no_bias)


def test_conv_from_linear_leaves_the_answer_unchanged(linear):
    conv = conv_copy_of(linear)
    before = conv.weight.detach().clone()
    pytorch_layers.check_conv_from_linear(conv, linear)
    assert (
        torch.equal(conv.weight.detach(), before) and conv.weight.device.type == "cpu"
    )


def test_conv_from_linear_explains_malformed_answers(linear):
    check = pytorch_layers.check_conv_from_linear
    assert "still `...`" in rejected(check(..., linear))
    assert "is None" in rejected(check(None, linear))
    assert "should be an nn.Conv1d, but it is a Linear" in rejected(
        check(linear, linear)
    )
    assert "it is a Conv2d" in rejected(check(nn.Conv2d(3, 5, 1), linear))
    assert "it is a Tensor" in rejected(check(linear.weight.detach(), linear))
    assert "kernel_size=3" in rejected(check(nn.Conv1d(3, 5, 3), linear))
    assert "3 input features" in rejected(check(nn.Conv1d(4, 5, 1), linear))
    assert "5 outputs" in rejected(check(nn.Conv1d(3, 4, 1), linear))
    assert "stride=2" in rejected(check(conv_copy_of(linear, stride=2), linear))
    assert "padding=1" in rejected(check(conv_copy_of(linear, padding=1), linear))
    assert "has no bias" in rejected(check(nn.Conv1d(3, 5, 1, bias=False), linear))
    square = nn.Linear(4, 4)
    grouped = nn.Conv1d(4, 4, 1, groups=2)
    assert "groups=2" in rejected(check(grouped, square))


def test_conv_from_linear_explains_wrong_values(linear):
    check = pytorch_layers.check_conv_from_linear
    random_conv = nn.Conv1d(3, 5, 1)
    assert "largest difference" in rejected(check(random_conv, linear))
    wrong_bias = conv_copy_of(linear)
    with torch.no_grad():
        wrong_bias.bias.zero_()
    assert "its bias does not" in rejected(check(wrong_bias, linear))
    square = nn.Linear(4, 4)
    transposed = nn.Conv1d(4, 4, 1)
    with torch.no_grad():
        transposed.weight.copy_(square.weight.T.unsqueeze(-1))
        transposed.bias.copy_(square.bias)
    assert "transposed" in rejected(check(transposed, square))


def test_conv2d_param_count_accepts_ints_and_integer_tensors():
    check = pytorch_layers.check_conv2d_param_count
    right = 16 * 3 * 5 * 5 + 16
    verdict = check(right)
    assert verdict and "16 × 3 × 5 × 5" in repr(verdict)
    assert check(torch.tensor(right))
    assert check(np.int64(right))
    assert check(sum(p.numel() for p in nn.Conv2d(3, 16, 5).parameters()))
    assert check(8 * 2 * 3 * 3 + 8, in_channels=2, out_channels=8, kernel_size=3)


def test_conv2d_param_count_explains_wrong_answers():
    check = pytorch_layers.check_conv2d_param_count
    assert "counts the weights only" in rejected(check(16 * 3 * 5 * 5))
    assert "5 × 5" in rejected(check(16 * 3 * 5 + 16))
    assert "for one output channel" in rejected(check(3 * 5 * 5 + 1))
    assert "plus out_channels biases" in rejected(check(1000))


def test_conv2d_param_count_explains_malformed_answers():
    check = pytorch_layers.check_conv2d_param_count
    assert "still `...`" in rejected(check(...))
    assert "is None" in rejected(check(None))
    assert "is a float (1216.0)" in rejected(check(1216.0))
    assert "torch.float32 tensor" in rejected(check(torch.tensor(1216.0)))
    assert "shape (1,)" in rejected(check(torch.tensor([1216])))
    assert "should be an int, but it is a str" in rejected(check("1216"))
    assert "should be an int, but it is a bool" in rejected(check(True))
