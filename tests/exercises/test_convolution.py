"""The checkers of book/convolution.md accept every valid answer and explain wrong ones."""

import numpy as np
import torch
import torch.nn.functional as F

from nnbook.exercises import convolution
from tests.exercises.verdicts import rejected


def loops(x, kernel, stride, padding):
    x = F.pad(x, (padding,) * 4)
    kh, kw = kernel.shape
    out = torch.zeros((x.shape[0] - kh) // stride + 1, (x.shape[1] - kw) // stride + 1)
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            r, c = i * stride, j * stride
            out[i, j] = (x[r : r + kh, c : c + kw] * kernel).sum()
    return out


def with_unfold(x, kernel, stride, padding):
    windows = F.pad(x, (padding,) * 4).unfold(0, kernel.shape[0], stride)
    return (windows.unfold(1, kernel.shape[1], stride) * kernel).sum(dim=(-2, -1))


def with_conv2d_in_float64(x, kernel, stride, padding):
    out = F.conv2d(
        x.double()[None, None],
        kernel.double()[None, None],
        stride=stride,
        padding=padding,
    )
    return out[0, 0]


def test_conv2d_accepts_loops_unfold_and_other_dtypes():
    for answer in (loops, with_unfold, with_conv2d_in_float64):
        verdict = convolution.check_conv2d(answer)
        assert verdict, repr(verdict)
        assert repr(verdict).startswith("✅ Correct!")


def test_conv2d_explains_a_flipped_kernel():
    text = rejected(
        convolution.check_conv2d(lambda x, k, s, p: loops(x, k.flip(0, 1), s, p))
    )
    assert "for a 5x5 image, a 3x3 kernel, stride 1 and padding 0" in text
    assert "the kernel flipped" in text and "cross-correlation" in text


def test_conv2d_explains_a_missing_stride_or_padding():
    text = rejected(convolution.check_conv2d(lambda x, k, s, p: loops(x, k, 1, p)))
    assert "for a 7x9 image, a 3x2 kernel, stride 2 and padding 1" in text
    assert "your output has shape (7, 10), but F.conv2d gives (4, 5)" in text
    assert "move `stride` pixels at a time" in text
    text = rejected(convolution.check_conv2d(lambda x, k, s, p: loops(x, k, s, 0)))
    assert "for a 6x7 image, a 3x3 kernel, stride 1 and padding 1" in text
    assert "shape (4, 5), but F.conv2d gives (6, 7)" in text and "pad the image" in text


def test_conv2d_names_the_largest_difference():
    text = rejected(
        convolution.check_conv2d(lambda x, k, s, p: loops(x, k, s, p) + 0.5)
    )
    assert "for a 5x5 image, a 3x3 kernel, stride 1 and padding 0" in text
    assert "differs from F.conv2d by up to 0.5" in text and "at output pixel" in text


def test_conv2d_reports_errors_and_non_functions():
    text = rejected(convolution.check_conv2d(lambda x, k, s: x))
    assert "my_conv2d(x, kernel, 1, 0) raised TypeError on a 5x5 image" in text
    assert "still `...`" in rejected(convolution.check_conv2d(lambda x, k, s, p: ...))
    assert "is None" in rejected(convolution.check_conv2d(lambda x, k, s, p: None))
    assert "should be a function" in rejected(convolution.check_conv2d(3))
    assert "still `...`" in rejected(convolution.check_conv2d(...))


def test_conv_stack_params_accepts_every_form_of_the_count():
    expected = sum(p.numel() for p in convolution.exercise_stack().parameters())
    assert expected == (16 * 3 * 9 + 16) + (32 * 16 * 9 + 32) + (10 * 32 + 10) == 5418
    for answer in (5418, 5418.0, np.int64(5418), torch.tensor(5418)):
        verdict = convolution.check_conv_stack_params(answer)
        assert verdict, repr(verdict)


def test_conv_stack_params_explains_the_usual_slips():
    text = rejected(convolution.check_conv_stack_params(5418 - 16 - 32 - 10))
    assert "5360 is not right" in text and "not the biases" in text
    text = rejected(
        convolution.check_conv_stack_params(16 * 9 + 16 + 32 * 9 + 32 + 10 + 10)
    )
    assert "500 is not right" in text and "every input channel" in text
    text = rejected(
        convolution.check_conv_stack_params(16 * 3 * 3 + 16 + 32 * 16 * 3 + 32 + 330)
    )
    assert "2058 is not right" in text and "9 weights" in text
    text = rejected(convolution.check_conv_stack_params(6000))
    assert "6000 is too high" in text and "C_out * C_in * kh * kw + C_out" in text
    assert "is too low" in rejected(convolution.check_conv_stack_params(100))
    assert "whole number" in rejected(convolution.check_conv_stack_params(5418.5))
    assert "still `...`" in rejected(convolution.check_conv_stack_params(...))


def dilated(layers):
    size, jump = 1, 1
    for kernel_size, stride, dilation in layers:
        size += dilation * (kernel_size - 1) * jump
        jump *= stride
    return size


def test_the_formula_is_what_the_gradient_measures():
    for layers in convolution.RF_CASES:
        assert convolution.measured_receptive_field(layers) == dilated(layers)
        assert convolution.receptive_field_formula(layers) == dilated(layers)
    assert (
        convolution.measured_receptive_field(
            [(5, 1, 1), (2, 2, 1), (5, 1, 1), (2, 2, 1)]
        )
        == 16
    )


def test_receptive_field_accepts_ints_of_every_kind():
    for answer in (
        dilated,
        lambda layers: np.int64(dilated(layers)),
        lambda layers: torch.tensor(dilated(layers)),
    ):
        verdict = convolution.check_receptive_field(answer)
        assert verdict, repr(verdict)


def test_receptive_field_explains_ignored_dilation_and_stride():
    text = rejected(
        convolution.check_receptive_field(
            lambda ls: dilated([(k, s, 1) for k, s, _ in ls])
        )
    )
    assert "for layers [(3, 1, 1), (3, 1, 2), (3, 1, 4)] your function gives 7" in text
    assert "depends on 15 x 15 input pixels" in text and "d * (k - 1) + 1" in text
    text = rejected(
        convolution.check_receptive_field(
            lambda ls: 1 + sum(d * (k - 1) for k, _, d in ls)
        )
    )
    assert (
        "for layers [(5, 1, 1), (2, 2, 1), (5, 1, 1), (2, 2, 1)] your function gives 11"
        in text
    )
    assert "moves `jump` input pixels" in text
    text = rejected(convolution.check_receptive_field(lambda ls: dilated(ls) + 1))
    assert "your function gives 4, but one output pixel depends on 3 x 3" in text


def test_receptive_field_rejects_tuples_floats_and_errors():
    text = rejected(convolution.check_receptive_field(lambda ls: (dilated(ls), 1)))
    assert "returns a tuple, (3, 1): return only the size" in text
    assert "whole number" in rejected(convolution.check_receptive_field(lambda ls: 3.0))
    text = rejected(convolution.check_receptive_field(lambda ls: ls[5]))
    assert "raised IndexError" in text
    assert "returns `...`" in rejected(
        convolution.check_receptive_field(lambda ls: ...)
    )
    assert "should be a function" in rejected(convolution.check_receptive_field(16))
