"""Checkers for the exercises of the chapter *Building networks with nn.Module* (book/nn_module.md)."""

import inspect
import itertools

import torch
from torch import nn

from nnbook.checks import (
    AnswerError,
    checker,
    expect_callable,
    expect_number,
    expect_tensor,
    one_line_error,
)

TINY_BATCH = 64
TINY_INPUT_SHAPE = (TINY_BATCH, 1, 8, 8)
TINY_OUTPUT_SHAPE = (TINY_BATCH, 10)
TINY_LAYERS = "Flatten -> Linear(64, 32) -> ReLU -> Linear(32, 10)"
TINY_PARAMETERS = 64 * 32 + 32 + 32 * 10 + 10

# Layer sizes on which check_count_parameters tries the reader's function.
PARAMETER_CASES = ((784, 512, 512, 10), (64, 32, 10), (3, 1), (10, 20, 30, 40, 5))


def _leaf_modules(net: nn.Module) -> list[nn.Module]:
    return [m for m in net.modules() if m is not net and not list(m.children())]


def _run_with_trace(net: nn.Module, X: torch.Tensor):
    """Run `net(X)`; return its output and the leaf modules it called, in order, with their outputs."""
    calls: list[tuple[nn.Module, object]] = []
    handles = [
        m.register_forward_hook(lambda module, inputs, output: calls.append((module, output)))
        for m in _leaf_modules(net)
    ]
    try:
        with torch.no_grad():
            out = net(X)
    finally:
        for handle in handles:
            handle.remove()
    return out, calls


def _explain_final_activation(out: torch.Tensor, calls: list) -> None:
    """Raise AnswerError if the network changes the logits of its last Linear layer."""
    linear_calls = [i for i, (m, _) in enumerate(calls) if isinstance(m, nn.Linear)]
    changed = False
    after = ""
    if linear_calls:
        last = linear_calls[-1]
        last_out = calls[last][1]
        changed = not (
            isinstance(last_out, torch.Tensor)
            and last_out.shape == out.shape
            and torch.equal(last_out.detach().cpu(), out)
        )
        if calls[last + 1 :]:
            after = f" (it calls {type(calls[-1][0]).__name__}() after the last Linear layer)"
    fix = "return the logits of the last Linear layer, with no activation after it"
    if (out >= 0).all():
        if torch.allclose(out.sum(dim=1), torch.ones(out.shape[0]), atol=1e-4):
            raise AnswerError(
                f"every row of the output sums to 1, so TinyNet ends in a softmax: {fix}"
            )
        raise AnswerError(
            f"none of the {out.numel()} outputs for a random batch is negative, so TinyNet ends in an "
            f"activation{after or ' such as ReLU'}: {fix}"
        )
    if changed:
        raise AnswerError(f"TinyNet changes the output of its last Linear layer{after}: {fix}")


@checker
def check_tiny_net(TinyNet):
    """`TinyNet` must be an nn.Module subclass computing Flatten -> Linear(64, 32) -> ReLU -> Linear(32, 10).

    The checker takes the class, not an instance. It creates `TinyNet()` under a fixed seed (without
    changing the caller's random state), runs a random batch of shape (64, 1, 8, 8) through it on the
    CPU, and checks the output shape, the parameter count, that the logits come straight from the last
    Linear layer, and that the network is not linear.
    """
    if isinstance(TinyNet, nn.Module):
        raise AnswerError(
            "pass the class itself, check_tiny_net(TinyNet), not an instance, check_tiny_net(TinyNet())"
        )
    expect_callable(TinyNet, "TinyNet")
    if not inspect.isclass(TinyNet):
        raise AnswerError(
            f"`TinyNet` should be a class, `class TinyNet(nn.Module): ...`, but it is a "
            f"{type(TinyNet).__name__}"
        )
    if not issubclass(TinyNet, nn.Module):
        raise AnswerError("`TinyNet` must subclass nn.Module: write `class TinyNet(nn.Module):`")

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        try:
            net = TinyNet()
        except Exception as err:
            hint = " (call super().__init__() first)" if "Module.__init__" in str(err) else ""
            raise AnswerError(f"TinyNet() raised {one_line_error(err)}{hint}") from None
        gen = torch.Generator().manual_seed(0)
        X, X2 = torch.randn((2, *TINY_INPUT_SHAPE), generator=gen)

        try:
            out, calls = _run_with_trace(net, X)
            out2, _ = _run_with_trace(net, X2)
            out_sum, _ = _run_with_trace(net, X + X2)
            out_zero, _ = _run_with_trace(net, torch.zeros_like(X))
        except Exception as err:
            raise AnswerError(
                f"TinyNet()(X) with X of shape {TINY_INPUT_SHAPE} raised {one_line_error(err)}"
            ) from None

    if out is None:
        raise AnswerError("TinyNet()(X) returned None: does forward end with `return logits`?")
    if not isinstance(out, torch.Tensor):
        raise AnswerError(
            f"TinyNet()(X) returned a {type(out).__name__}, but forward should return one tensor of "
            "logits"
        )
    out = expect_tensor(out, "TinyNet()(X)")
    if tuple(out.shape) != TINY_OUTPUT_SHAPE:
        raise AnswerError(
            f"for X of shape {TINY_INPUT_SHAPE} the output has shape {tuple(out.shape)}, but it should "
            f"be {TINY_OUTPUT_SHAPE}: one row of 10 logits per image"
        )
    out = out.detach().cpu().float()

    n_params = sum(p.numel() for p in net.parameters())
    if n_params == 0:
        raise AnswerError(
            "TinyNet() has no registered parameters: assign the layers to attributes of self in "
            "__init__ (layers in a plain Python list are not registered)"
        )
    if n_params != TINY_PARAMETERS:
        raise AnswerError(
            f"TinyNet() has {n_params} parameters, but {TINY_LAYERS} has {TINY_PARAMETERS}: "
            "check the sizes of the two Linear layers"
        )

    _explain_final_activation(out, calls)

    def cpu(t):
        return t.detach().cpu().float()

    if torch.allclose(cpu(out_sum), out + cpu(out2) - cpu(out_zero), atol=1e-4):
        raise AnswerError(
            "TinyNet is a linear (affine) map of its input, so its two Linear layers collapse into "
            "one: put an nn.ReLU() between them"
        )
    return f"TinyNet maps (N, 1, 8, 8) images to (N, 10) logits with {TINY_PARAMETERS} parameters."


def _expected_count(sizes) -> int:
    return sum(n_in * n_out + n_out for n_in, n_out in itertools.pairwise(sizes))


@checker
def check_count_parameters(count_parameters):
    """`count_parameters(sizes)` must count the weights and biases of Linear layers of these sizes."""
    expect_callable(count_parameters, "count_parameters")
    for case in PARAMETER_CASES:
        sizes = list(case)
        call = f"count_parameters({sizes})"
        try:
            result = count_parameters(list(case))
        except Exception as err:
            raise AnswerError(f"{call} raised {one_line_error(err)}") from None
        got = expect_number(result, call, integer=True)
        expected = _expected_count(sizes)
        if got == expected:
            continue
        weights = sum(n_in * n_out for n_in, n_out in itertools.pairwise(sizes))
        if got == weights:
            raise AnswerError(
                f"{call} returned {got}, which counts the weights but not the biases: each layer "
                "also has one bias per output"
            )
        if got == weights + sum(sizes[:-1]):
            raise AnswerError(
                f"{call} returned {got}, which gives each layer one bias per input, but a layer has "
                f"one bias per output ({expected} parameters in all)"
            )
        raise AnswerError(
            f"{call} returned {got}, but Linear layers of these sizes have {expected} parameters"
        )
    return "A layer from n_in to n_out units has n_in * n_out weights and n_out biases."
