"""Checkers for the exercises of the chapter *Convolutional networks* (book/convolution.md)."""

import numbers

import torch
import torch.nn.functional as F
from torch import nn

from nnbook.checks import (
    AnswerError,
    checker,
    expect_callable,
    expect_number,
    expect_tensor,
    reader_code,
)

# (H, W, kh, kw, stride, padding): square and oblong images and kernels, several strides and pads.
CONV_CASES = [
    (5, 5, 3, 3, 1, 0),
    (6, 7, 3, 3, 1, 1),
    (7, 9, 3, 2, 2, 1),
    (8, 8, 5, 5, 2, 2),
    (9, 6, 2, 4, 3, 0),
    (10, 10, 4, 4, 3, 2),
]


def _describe(H, W, kh, kw, stride, padding):
    return f"a {H}x{W} image, a {kh}x{kw} kernel, stride {stride} and padding {padding}"


@checker
def check_conv2d(my_conv2d):
    """`my_conv2d(x, kernel, stride, padding)` must equal F.conv2d for one channel, no bias."""
    my_conv2d = expect_callable(my_conv2d, "my_conv2d")
    gen = torch.Generator().manual_seed(0)
    for H, W, kh, kw, stride, padding in CONV_CASES:
        x, kernel = torch.randn(H, W, generator=gen), torch.randn(kh, kw, generator=gen)
        case = _describe(H, W, kh, kw, stride, padding)
        with reader_code(f"my_conv2d(x, kernel, {stride}, {padding})", where=case):
            got = my_conv2d(x.clone(), kernel.clone(), stride, padding)
        got = expect_tensor(got, "my_conv2d(x, kernel, stride, padding)")
        got = got.detach().to("cpu", torch.float32)

        def conv(k, s=stride, p=padding, x=x):
            return F.conv2d(x[None, None], k[None, None], stride=s, padding=p)[0, 0]

        expected = conv(kernel)
        if got.shape != expected.shape:
            hint = ""
            if got.shape == conv(kernel, s=1).shape:
                hint = ": the window must move `stride` pixels at a time"
            elif got.shape == conv(kernel, p=0).shape:
                hint = ": pad the image with `padding` zeros on every side first"
            raise AnswerError(
                f"for {case} your output has shape {tuple(got.shape)}, but F.conv2d gives "
                f"{tuple(expected.shape)}{hint}"
            )
        if torch.allclose(got, expected, atol=1e-4, rtol=1e-4):
            continue
        if torch.allclose(got, conv(kernel.flip(0, 1)), atol=1e-4, rtol=1e-4):
            raise AnswerError(
                f"for {case} your output is the convolution with the kernel flipped: F.conv2d "
                "does not flip the kernel (it computes a cross-correlation)"
            )
        diff = (got - expected).abs()
        worst = tuple(int(i) for i in torch.unravel_index(diff.argmax(), diff.shape))
        raise AnswerError(
            f"for {case} your output differs from F.conv2d by up to {diff.max().item():.4g}, at "
            f"output pixel {worst} (yours {got[worst].item():.4g}, expected "
            f"{expected[worst].item():.4g})"
        )
    return (
        "Your convolution matches F.conv2d for every shape, stride and padding tried."
    )


def exercise_stack() -> nn.Sequential:
    """The stack whose parameters the second exercise counts (the chapter prints the same one)."""
    return nn.Sequential(
        nn.Conv2d(3, 16, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, kernel_size=3, stride=2),
        nn.ReLU(),
        nn.Conv2d(32, 10, kernel_size=1),
    )


def _conv_counts(stack, *, biases=True, in_channels=True, kernel_area=True):
    """The parameter count of the stack's convolutions, optionally with a typical slip."""
    total = 0
    for layer in stack:
        if isinstance(layer, nn.Conv2d):
            kh, kw = layer.kernel_size
            area = kh * kw if kernel_area else kh
            c_in = layer.in_channels if in_channels else 1
            total += layer.out_channels * c_in * area + (
                layer.out_channels if biases else 0
            )
    return total


@checker
def check_conv_stack_params(n_params):
    """`n_params` must be the number of parameters of `exercise_stack()`."""
    n_params = expect_number(n_params, "n_params", integer=True)
    stack = exercise_stack()
    expected = sum(p.numel() for p in stack.parameters())
    if n_params == expected:
        return "Padding, stride, ReLU and pooling add no parameters; only the kernels and biases count."
    slips = [
        (
            _conv_counts(stack, biases=False),
            "that counts the weights but not the biases: each convolution also has C_out biases",
        ),
        (
            _conv_counts(stack, in_channels=False),
            "each output channel has a kernel for every input channel: multiply by C_in too",
        ),
        (
            _conv_counts(stack, kernel_area=False),
            "a 3x3 kernel has 9 weights for each pair of channels, kh * kw, not 3",
        ),
    ]
    for count, reason in slips:
        if n_params == count:
            raise AnswerError(f"{n_params} is not right: {reason}")
    direction = "too high" if n_params > expected else "too low"
    raise AnswerError(
        f"{n_params} is {direction}: count each convolution as C_out * C_in * kh * kw + C_out, "
        "and give ReLU and pooling 0"
    )


# (kernel_size, stride, dilation) per layer: plain stacks, dilated ones, and strides with dilation.
RF_CASES = [
    [(3, 1, 1)],
    [(5, 1, 1), (2, 2, 1), (5, 1, 1), (2, 2, 1)],
    [(3, 1, 1), (3, 1, 2), (3, 1, 4)],
    [(3, 2, 1), (3, 1, 2)],
    [(3, 1, 2), (3, 2, 1), (3, 1, 3)],
    [(7, 2, 1), (3, 2, 2), (3, 1, 1)],
]


def receptive_field_formula(layers, *, dilation=True, jump=True) -> int:
    """The receptive field of (kernel_size, stride, dilation) layers, optionally with a slip."""
    size, step = 1, 1
    for kernel_size, stride, d in layers:
        size += (d if dilation else 1) * (kernel_size - 1) * (step if jump else 1)
        step *= stride
    return size


def measured_receptive_field(layers, side: int = 64) -> int:
    """The side of the square of input pixels on which one output pixel has a non-zero gradient.

    Every layer is a one-channel convolution with positive weights and no activation, so no sum of
    terms cancels; the first output pixel's window starts at the input's corner.
    """
    gen = torch.Generator().manual_seed(0)
    convs = []
    for kernel_size, stride, d in layers:
        conv = nn.Conv2d(1, 1, kernel_size, stride=stride, dilation=d, bias=False)
        with torch.no_grad():
            conv.weight.copy_(0.1 + torch.rand(conv.weight.shape, generator=gen))
        convs.append(conv)
    x = torch.rand(1, 1, side, side, generator=gen).requires_grad_()
    nn.Sequential(*convs)(x)[0, 0, 0, 0].backward()
    rows = (x.grad[0, 0] != 0).any(dim=1).nonzero()
    return int(rows.max() - rows.min() + 1)


@checker
def check_receptive_field(receptive_field_dilated):
    """`receptive_field_dilated(layers)` must give the receptive field's size for dilated layers."""
    fn = expect_callable(receptive_field_dilated, "receptive_field_dilated")
    for layers in RF_CASES:
        with reader_code(f"receptive_field_dilated({layers})"):
            got = fn(list(layers))
        if got is Ellipsis:
            raise AnswerError(
                "`receptive_field_dilated` returns `...`: replace the `...` with your code"
            )
        if isinstance(got, tuple | list):
            raise AnswerError(
                f"for {layers} your function returns a {type(got).__name__}, {got!r}: return only "
                "the size, one int"
            )
        if (
            isinstance(got, torch.Tensor)
            and got.numel() == 1
            and not got.is_floating_point()
        ):
            got = int(got.item())
        if not isinstance(got, numbers.Integral) or isinstance(got, bool):
            raise AnswerError(
                f"for {layers} your function returns {got!r}, but a size is a whole number (int)"
            )
        expected = measured_receptive_field(layers)
        if got == expected:
            continue
        message = (
            f"for layers {layers} your function gives {got}, but one output pixel depends on "
            f"{expected} x {expected} input pixels"
        )
        if got == receptive_field_formula(layers, dilation=False):
            message += ": a kernel with dilation d spans d * (k - 1) + 1 pixels, not k"
        elif got == receptive_field_formula(layers, jump=False):
            message += ": after a stride, each step of a later kernel moves `jump` input pixels"
        raise AnswerError(message)
    return (
        "That is the receptive field that the gradient measures, for every stack tried."
    )
