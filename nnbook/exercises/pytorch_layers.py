"""Checkers for the exercises of the chapter *PyTorch layers* (book/pytorch_layers.md)."""

import copy
import numbers

import torch
from torch import nn

from nnbook.checks import AnswerError, checker, expect_close, expect_tensor


def _cpu_copy(module: nn.Module) -> nn.Module:
    """A copy of `module` on the CPU, so that checking never changes the reader's module."""
    return copy.deepcopy(module).cpu()


def _conv_structure_error(conv: nn.Conv1d, linear: nn.Linear) -> str | None:
    """Why `conv` cannot compute `linear` at every position, or None if its settings fit."""
    if conv.kernel_size != (1,):
        return (
            f"`conv` has kernel_size={conv.kernel_size[0]}, so each output reads "
            f"{conv.kernel_size[0]} positions: a linear layer reads one, use kernel_size=1"
        )
    if conv.in_channels != linear.in_features:
        return (
            f"`conv` has {conv.in_channels} input channels, but the linear layer has "
            f"{linear.in_features} input features: they must match"
        )
    if conv.out_channels != linear.out_features:
        return (
            f"`conv` has {conv.out_channels} output channels, but the linear layer has "
            f"{linear.out_features} outputs: they must match"
        )
    if conv.groups != 1:
        return (
            f"`conv` has groups={conv.groups}, so each output channel sees only some of the "
            "input channels: use groups=1 (the default)"
        )
    if conv.stride != (1,):
        return (
            f"`conv` has stride={conv.stride[0]}, so it skips positions: use stride=1"
        )
    # padding="same" or "valid" adds nothing when kernel_size=1; a number adds positions at both ends.
    if not isinstance(conv.padding, str) and conv.padding != (0,):
        return f"`conv` pads its input (padding={conv.padding[0]}), which adds positions: use padding=0"
    if conv.bias is None and linear.bias is not None:
        return "`conv` has no bias, but the linear layer has one: create it with bias=True (the default)"
    return None


@checker
def check_conv_from_linear(conv, linear: nn.Linear):
    """`conv` must be an nn.Conv1d that applies `linear` to the channel vector at every position."""
    if conv is Ellipsis or conv is None:
        expect_tensor(conv, "conv")  # the standard messages for `...` and None
    if not isinstance(conv, nn.Conv1d):
        raise AnswerError(
            f"`conv` should be an nn.Conv1d, but it is a {type(conv).__name__}"
        )
    reason = _conv_structure_error(conv, linear)
    if reason:
        raise AnswerError(reason)

    conv, linear = _cpu_copy(conv), _cpu_copy(linear)
    x = torch.randn(
        3, linear.in_features, 7, generator=torch.Generator().manual_seed(0)
    )
    # Any float dtype is fine: each layer computes in its own, and we compare in float32.
    with torch.no_grad():
        expected = (
            linear(x.to(linear.weight.dtype).transpose(1, 2)).transpose(1, 2).float()
        )
        got = conv(x.to(conv.weight.dtype)).float()
    weight = conv.weight.detach()[:, :, 0].float()
    if not torch.allclose(got, expected, atol=1e-5, rtol=1e-5):
        target = linear.weight.detach()
        square = weight.shape[0] == weight.shape[1]
        if (
            square
            and torch.allclose(weight, target.T)
            and not torch.allclose(weight, target)
        ):
            raise AnswerError(
                "`conv`'s weight holds linear.weight transposed: copy linear.weight itself, "
                "with a trailing axis of size 1 (unsqueeze(-1))"
            )
        if torch.allclose(weight, target) and linear.bias is not None:
            raise AnswerError(
                "`conv`'s weights match, but its bias does not: copy linear.bias into conv.bias"
            )
    expect_close(got, expected, "conv(x)")
    return "A kernel of size 1 makes a convolution a linear layer applied at every position."


@checker
def check_conv2d_param_count(n_params, in_channels=3, out_channels=16, kernel_size=5):
    """`n_params` must be the number of parameters of nn.Conv2d(in, out, kernel_size) with a bias."""
    if n_params is Ellipsis or n_params is None:
        expect_tensor(n_params, "n_params")  # the standard messages for `...` and None
    if isinstance(n_params, torch.Tensor):
        if n_params.ndim != 0:
            raise AnswerError(
                f"`n_params` is a tensor of shape {tuple(n_params.shape)}, but a count is a single "
                "number: give an int, or take .item() of a one-element tensor"
            )
        if (
            n_params.is_floating_point()
            or n_params.is_complex()
            or n_params.dtype == torch.bool
        ):
            raise AnswerError(
                f"`n_params` is a {n_params.dtype} tensor, but a count is a whole number: "
                "give an int (use // instead of /, or int(...))"
            )
        n_params = n_params.item()
    elif isinstance(n_params, bool) or not isinstance(n_params, numbers.Integral):
        if isinstance(n_params, numbers.Real) and not isinstance(n_params, bool):
            raise AnswerError(
                f"`n_params` is a {type(n_params).__name__} ({n_params!r}), but a count is a whole "
                "number: give an int (use // instead of /, or int(...))"
            )
        raise AnswerError(
            f"`n_params` should be an int, but it is a {type(n_params).__name__}"
        )
    n_params = int(n_params)

    k2 = kernel_size * kernel_size
    weights = out_channels * in_channels * k2
    expected = weights + out_channels
    if n_params == expected:
        return (
            f"{out_channels} × {in_channels} × {kernel_size} × {kernel_size} weights plus "
            f"{out_channels} biases, whatever the size of the image."
        )
    if n_params == weights:
        raise AnswerError(
            f"{n_params} counts the weights only: each of the {out_channels} output channels "
            "also has one bias"
        )
    if n_params == out_channels * in_channels * kernel_size + out_channels:
        raise AnswerError(
            f"{n_params} treats the kernel as {kernel_size} numbers long, but a Conv2d kernel is "
            f"{kernel_size} × {kernel_size}: it has {k2} weights per input channel"
        )
    if n_params == in_channels * k2 + 1:
        raise AnswerError(
            f"{n_params} is the count for one output channel: there are {out_channels} of them, "
            "each with its own kernel and bias"
        )
    raise AnswerError(
        f"{n_params} is not the count: a Conv2d has out_channels × in_channels × kernel height × "
        "kernel width weights, plus out_channels biases"
    )
