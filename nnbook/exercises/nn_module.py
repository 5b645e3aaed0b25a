"""Checkers for the exercises of the chapter *Building networks with nn.Module* (book/nn_module.md)."""

import math
import re

import torch
from torch import nn

from nnbook.checks import (
    AnswerError,
    checker,
    expect_class,
    expect_tensor,
    reader_code,
)

TINY_BATCH = 64
TINY_INPUT_SHAPE = (TINY_BATCH, 1, 8, 8)
TINY_OUTPUT_SHAPE = (TINY_BATCH, 10)
TINY_LAYERS = "Flatten -> Linear(64, 32) -> ReLU -> Linear(32, 10)"
TINY_PARAMETERS = 64 * 32 + 32 + 32 * 10 + 10


def _leaf_modules(net: nn.Module) -> list[nn.Module]:
    return [m for m in net.modules() if m is not net and not list(m.children())]


def _run_with_trace(net: nn.Module, X: torch.Tensor):
    """Run `net(X)`; return its output and the leaf modules it called, in order, with their outputs."""
    calls: list[tuple[nn.Module, object]] = []
    handles = [
        m.register_forward_hook(
            lambda module, inputs, output: calls.append((module, output))
        )
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
        raise AnswerError(
            f"TinyNet changes the output of its last Linear layer{after}: {fix}"
        )


@checker
def check_tiny_net(TinyNet):
    """`TinyNet` must be an nn.Module subclass computing Flatten -> Linear(64, 32) -> ReLU -> Linear(32, 10).

    The checker takes the class, not an instance. It creates `TinyNet()` under a fixed seed (without
    changing the caller's random state), runs a random batch of shape (64, 1, 8, 8) through it on the
    CPU, and checks the output shape, the parameter count, that the logits come straight from the last
    Linear layer, and that the network is not linear.
    """
    expect_class(TinyNet, "TinyNet", "check_tiny_net", nn.Module)

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        with reader_code(
            "TinyNet()", hints={"Module.__init__": " (call super().__init__() first)"}
        ):
            net = TinyNet()
        gen = torch.Generator().manual_seed(0)
        X, X2 = torch.randn((2, *TINY_INPUT_SHAPE), generator=gen)

        with reader_code(f"TinyNet()(X) with X of shape {TINY_INPUT_SHAPE}"):
            out, calls = _run_with_trace(net, X)
            out2, _ = _run_with_trace(net, X2)
            out_sum, _ = _run_with_trace(net, X + X2)
            out_zero, _ = _run_with_trace(net, torch.zeros_like(X))

    if out is None:
        raise AnswerError(
            "TinyNet()(X) returned None: does forward end with `return logits`?"
        )
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


# The parameters of the chapter's `Puzzle` module, by name: what `named_parameters()` yields.
PUZZLE_SHAPES = {
    "embed.weight": (4, 6),
    "embed.bias": (4,),
    "blocks.0.1.weight": (4, 4),
    "blocks.0.1.bias": (4,),
    "blocks.1.1.weight": (4, 4),
    "blocks.1.1.bias": (4,),
    "head.weight": (3, 4),
}

# Why a name that is not a parameter of Puzzle might have been expected, by pattern.
NOT_PARAMETERS = (
    (
        r"helpers\.",
        "layers in a plain Python list are not registered, so PyTorch never sees them",
    ),
    (
        r"scale$",
        "a plain tensor attribute is not a parameter; only an nn.Parameter would be",
    ),
    (
        r"head\.bias$",
        "`head` was built with bias=False, so it has a weight and no bias",
    ),
    (
        r"blocks\.\d+\.0\.",
        "index 0 of each block is the nn.ReLU, which has no parameters; the Linear is at index 1",
    ),
    (
        r"blocks\.\d+\.(weight|bias)$",
        "each block is an nn.Sequential, so the name holds the block's index in the ModuleList "
        "and the layer's index in the Sequential, as in blocks.<i>.<j>.weight",
    ),
)


def _as_shape(value, name: str) -> tuple[int, ...]:
    """A shape given as a tuple, list or torch.Size of ints, as a tuple; else raise AnswerError."""
    if isinstance(value, (tuple, list)) and all(
        isinstance(n, int) and not isinstance(n, bool) for n in value
    ):
        return tuple(value)
    raise AnswerError(
        f"the shape of {name!r} should be a tuple of ints, such as (2, 3), but it is "
        f"{value!r} ({type(value).__name__})"
    )


@checker
def check_param_shapes(param_shapes):
    """`param_shapes` must map every parameter name of `Puzzle()` to its shape, and nothing else."""
    if param_shapes is Ellipsis or param_shapes is None:
        # the standard messages for `...` and None
        expect_tensor(param_shapes, "param_shapes")
    if not isinstance(param_shapes, dict):
        raise AnswerError(
            "`param_shapes` should be a dict from parameter names to shapes, such as "
            f"{{'layer.weight': (2, 3)}}, but it is a {type(param_shapes).__name__}"
        )
    for name in param_shapes:
        if not isinstance(name, str):
            raise AnswerError(
                f"the keys are names such as 'layer.weight', but one key is {name!r}"
            )
        if name in PUZZLE_SHAPES:
            continue
        reason = next(
            (why for pattern, why in NOT_PARAMETERS if re.match(pattern, name)), None
        )
        if reason is None:
            reason = "Puzzle has no parameter of that name; names join the attribute names with dots"
        raise AnswerError(f"{name!r} is not a parameter of Puzzle: {reason}")
    missing = [name for name in PUZZLE_SHAPES if name not in param_shapes]
    if missing:
        hint = ""
        if all(name.startswith("blocks.") for name in missing):
            hint = ": the layers inside an nn.ModuleList are registered"
        raise AnswerError(
            f"{len(missing)} parameter(s) are missing, for example {missing[0]!r}{hint}"
        )
    for name, expected in PUZZLE_SHAPES.items():
        shape = _as_shape(param_shapes[name], name)
        if shape == expected:
            continue
        if shape == expected[::-1] and len(expected) == 2:
            raise AnswerError(
                f"{name!r} has shape {expected}, not {shape}: nn.Linear stores its weight as "
                "(out, in)"
            )
        raise AnswerError(
            f"{name!r} does not have shape {shape}; look again at its layer's sizes"
        )
    total = sum(math.prod(shape) for shape in PUZZLE_SHAPES.values())
    return (
        f"{len(PUZZLE_SHAPES)} parameters, {total} numbers. The plain list and the plain tensor "
        "are invisible to PyTorch."
    )
