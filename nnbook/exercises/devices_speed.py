"""Checkers for the exercises of the chapter *Devices and speed* (book/devices_speed.md)."""

import math

import torch

from nnbook.checks import (
    AnswerError,
    call_answer,
    checker,
    expect_callable,
    expect_number,
)

# The meta device stores shapes and dtypes but no values. Every PyTorch build has it, so moving a
# batch there shows a tensor left behind even on a machine whose only device is the CPU.
META = torch.device("meta")


def sample_batch() -> tuple:
    """A nested batch like the ones data loaders yield: tensors of several dtypes, and a string."""
    gen = torch.Generator().manual_seed(0)
    images = torch.rand(4, 1, 28, 28, generator=gen)
    labels = torch.randint(0, 10, (4,), generator=gen)
    mask = torch.tensor([True, True, False, True])
    lengths = torch.tensor([28, 28, 14, 28])
    return (images, {"labels": labels, "mask": mask}, [lengths, "batch-7"])


def _same_device(tensor: torch.Tensor, target: torch.device) -> bool:
    if tensor.device.type != target.type:
        return False
    return target.index is None or tensor.device.index == target.index


def _a(obj: object) -> str:
    """`a tuple`, `an int`: the type of `obj` with its article."""
    name = type(obj).__name__
    vowel_sound = name[0] in "aeiou" or name.startswith("nd")  # an int, an ndarray
    return f"{'an' if vowel_sound else 'a'} {name}"


def _compare(
    result, original, target: torch.device, path: str, with_values: bool
) -> None:
    """Raise AnswerError for the first place where `result` is not `original` moved to `target`."""
    if result is None and original is not None:
        raise AnswerError(
            f"{path} became None: did a function forget to `return`? (`.to` is not in place)"
        )
    if isinstance(original, torch.Tensor):
        if not isinstance(result, torch.Tensor):
            raise AnswerError(
                f"{path} was a tensor and came back as {_a(result)}: keep it a tensor"
            )
        if not _same_device(result, target):
            raise AnswerError(
                f"the tensor at {path} is on {result.device}, not on {target}: move every tensor, "
                "however deep in the batch"
            )
        if result.dtype != original.dtype:
            raise AnswerError(
                f"the tensor at {path} changed dtype from {original.dtype} to {result.dtype}: "
                "move tensors with .to(device) alone"
            )
        if tuple(result.shape) != tuple(original.shape):
            raise AnswerError(
                f"the tensor at {path} changed shape from {tuple(original.shape)} to "
                f"{tuple(result.shape)}"
            )
        if with_values and not torch.equal(result.cpu(), original.cpu()):
            raise AnswerError(
                f"the tensor at {path} changed its values: moving must copy them"
            )
        return
    if isinstance(original, dict):
        if not isinstance(result, dict):
            raise AnswerError(
                f"{path} was a dict and came back as {_a(result)}: keep the same containers"
            )
        if set(result) != set(original):
            raise AnswerError(
                f"the dict at {path} has keys {sorted(map(str, result))}, but the batch had "
                f"{sorted(map(str, original))}"
            )
        for key, value in original.items():
            _compare(result[key], value, target, f"{path}[{key!r}]", with_values)
        return
    if isinstance(original, (tuple, list)):
        kind = type(original).__name__
        if not isinstance(result, (tuple, list)) or isinstance(
            result, tuple
        ) != isinstance(original, tuple):
            raise AnswerError(
                f"{path} was {_a(original)} and came back as {_a(result)}: keep the same containers"
            )
        if len(result) != len(original):
            raise AnswerError(
                f"the {kind} at {path} has {len(result)} items, but the batch had {len(original)}"
            )
        for i, (res, orig) in enumerate(zip(result, original, strict=True)):
            _compare(res, orig, target, f"{path}[{i}]", with_values)
        return
    if result is not original and not (
        type(result) is type(original) and result == original
    ):
        raise AnswerError(
            f"{path} was {original!r}, which is not a tensor, and came back as {result!r}: "
            "leave it unchanged"
        )


@checker
def check_to_device(to_device, device):
    """`to_device(batch, device)` must move every tensor of a nested tuple/list/dict batch.

    The checker moves `sample_batch()` to the meta device (to catch a tensor left behind on any
    machine) and to `device` (to compare the values), and names the first place that is wrong.
    """
    to_device = expect_callable(to_device, "to_device")
    for target, with_values in ((META, False), (torch.device(device), True)):
        batch = sample_batch()
        result = call_answer(
            to_device, "to_device", f"a batch for {target}", batch, target
        )
        if result is Ellipsis:
            raise AnswerError(
                "`to_device` returns `...`: replace the `...` with your code"
            )
        if result is None:
            raise AnswerError(
                "`to_device` returned None: did it forget to `return` the batch?"
            )
        _compare(result, sample_batch(), target, "batch", with_values)
    return "Every tensor moved, whatever the nesting, and everything else stayed as it was."


@checker
def check_linear_gflops(gflops, batch_size, n_in, n_out, seconds):
    """`gflops` must be the rate of `X @ W` for X (batch_size, n_in), W (n_in, n_out) in `seconds`.

    The product does batch_size * n_in * n_out multiply-adds, 2 * N * n * m floating-point
    operations. Adding the bias (N * m more) is accepted too: it changes the result by 1/(2 n).
    """
    value = expect_number(gflops, "gflops", positive=True)
    flop = 2 * batch_size * n_in * n_out
    expected = flop / seconds / 1e9
    with_bias = (flop + batch_size * n_out) / seconds / 1e9
    if any(math.isclose(value, rate, rel_tol=1e-3) for rate in (expected, with_bias)):
        return (
            f"{flop:,} operations in {seconds * 1e3:.3g} ms is {expected:.3g} GFLOP/s."
        )
    ratio = value / expected
    hints = [
        (
            0.5,
            "it is half the rate: each multiply-add counts as two operations, 2 * N * n * m",
        ),
        (1e9, "it is in FLOP/s, not GFLOP/s: divide by 1e9"),
        (seconds, "it is a number of GFLOP, not a rate: divide by the time in seconds"),
        (seconds**2, "it multiplies by the time instead of dividing by it"),
        (1 / batch_size, "it counts one example: multiply by the batch size N as well"),
        (
            1e-3,
            "it is 1000 times too small: divide by the time in seconds, not milliseconds",
        ),
        (1e3, "it is 1000 times too large: divide by 1e9 for GFLOP/s, not by 1e6"),
    ]
    for factor, hint in hints:
        if math.isclose(ratio, factor, rel_tol=1e-2):
            raise AnswerError(f"`gflops` is {value:.4g}, but {hint}")
    raise AnswerError(
        f"`gflops` is {value:.4g}, but 2 * {batch_size} * {n_in} * {n_out} operations in "
        f"{seconds:.4g} s give {expected:.4g} GFLOP/s"
    )
