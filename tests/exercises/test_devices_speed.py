"""The checkers of book/devices_speed.md accept every valid answer and explain wrong ones."""

import torch
from torch.utils._pytree import tree_map

from nnbook.exercises import devices_speed
from tests.exercises.verdicts import rejected

CPU = torch.device("cpu")


def recursive(batch, device):
    if isinstance(batch, torch.Tensor):
        return batch.to(device)
    if isinstance(batch, dict):
        return {key: recursive(value, device) for key, value in batch.items()}
    if isinstance(batch, (list, tuple)):
        return type(batch)(recursive(item, device) for item in batch)
    return batch


def with_pytree(batch, device):
    return tree_map(lambda x: x.to(device) if isinstance(x, torch.Tensor) else x, batch)


def reversed_keys(batch, device):
    """Valid too: a dict whose keys come back in another order."""
    if isinstance(batch, dict):
        return {key: reversed_keys(batch[key], device) for key in reversed(list(batch))}
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, (list, tuple)):
        return type(batch)(reversed_keys(item, device) for item in batch)
    return batch


def verdict(to_device) -> str:
    return repr(devices_speed.check_to_device(to_device, CPU))


def test_to_device_checker_accepts_valid_answers():
    for answer in (recursive, with_pytree, reversed_keys):
        assert devices_speed.check_to_device(answer, CPU), answer.__name__
    assert devices_speed.check_to_device(recursive, "cpu"), (
        "a device given as a string works"
    )


def test_to_device_checker_names_what_is_wrong():
    assert "`to_device` is still `...`" in verdict(...)
    assert "should be a function" in verdict(42)
    assert "returned None" in verdict(lambda batch, device: None)
    assert "returns `...`: replace the `...` with your code" in verdict(
        lambda batch, device: ...
    )
    assert (
        "raised AttributeError on a batch for meta: 'dict' object has no attribute 'to'"
        in (verdict(lambda batch, device: tuple(item.to(device) for item in batch)))
    )

    def top_level_only(batch, device):
        return tuple(x.to(device) if isinstance(x, torch.Tensor) else x for x in batch)

    message = verdict(top_level_only)
    assert "the tensor at batch[1]['labels'] is on cpu, not on meta" in message
    assert "\n" not in message, "verdicts are one line"

    assert "batch[2] was a list and came back as a tuple" in verdict(
        lambda batch, device: tuple(
            tuple(x) if isinstance(x, list) else x for x in recursive(batch, device)
        )
    )

    def to_float(batch, device):
        return tree_map(
            lambda x: x.to(device, torch.float32) if torch.is_tensor(x) else x, batch
        )

    assert (
        "batch[1]['labels'] changed dtype from torch.int64 to torch.float32"
        in verdict(to_float)
    )

    def drop_mask(batch, device):
        moved = recursive(batch, device)
        del moved[1]["mask"]
        return moved

    assert "the dict at batch[1] has keys ['labels']" in verdict(drop_mask)

    def zeros(batch, device):
        return tree_map(
            lambda x: torch.zeros_like(x, device=device) if torch.is_tensor(x) else x,
            batch,
        )

    assert "the tensor at batch[0] changed its values" in verdict(zeros)

    def flatten_images(batch, device):
        moved = recursive(batch, device)
        return (moved[0].flatten(1), *moved[1:])

    assert "changed shape from (4, 1, 28, 28) to (4, 784)" in verdict(flatten_images)

    def stringify(batch, device):
        return tree_map(
            lambda x: x.to(device) if torch.is_tensor(x) else x.upper(), batch
        )

    assert (
        "batch[2][1] was 'batch-7', which is not a tensor, and came back as 'BATCH-7'"
        in (verdict(stringify))
    )

    def numpy_leaves(batch, device):
        return tree_map(lambda x: x.numpy() if torch.is_tensor(x) else x, batch)

    assert "batch[0] was a tensor and came back as an ndarray" in verdict(numpy_leaves)

    def partial_list(batch, device):
        moved = recursive(batch, device)
        return (moved[0], moved[1], moved[2][:1])

    assert "the list at batch[2] has 1 items, but the batch had 2" in verdict(
        partial_list
    )

    def forgets_return(batch, device):
        if isinstance(batch, torch.Tensor):
            return batch.to(device)
        if isinstance(batch, (list, tuple)):
            return type(batch)(forgets_return(item, device) for item in batch)
        if isinstance(batch, dict):
            for key, value in batch.items():
                batch[key] = forgets_return(value, device)  # in place, but no return
        else:
            return batch

    assert "batch[1] became None: did a function forget to `return`?" in verdict(
        forgets_return
    )


def test_linear_gflops_checker():
    N, n, m, seconds = 512, 784, 256, 0.004
    right = 2 * N * n * m / seconds / 1e9
    check = devices_speed.check_linear_gflops
    assert check(right, N, n, m, seconds)
    assert check(torch.tensor(right), N, n, m, seconds), (
        "a one-element tensor is a number too"
    )
    assert check((2 * N * n * m + N * m) / seconds / 1e9, N, n, m, seconds), (
        "counting the bias"
    )
    assert "✅ Correct! 205,520,896 operations in 4 ms is 51.4 GFLOP/s." == repr(
        check(right, N, n, m, seconds)
    )

    def message(answer) -> str:
        return rejected(check(answer, N, n, m, seconds))

    assert "each multiply-add counts as two operations" in message(
        N * n * m / seconds / 1e9
    )
    assert "divide by 1e9" in message(2 * N * n * m / seconds)
    assert "a number of GFLOP, not a rate" in message(2 * N * n * m / 1e9)
    assert "multiplies by the time" in message(2 * N * n * m * seconds / 1e9)
    assert "multiply by the batch size N" in message(2 * n * m / seconds / 1e9)
    assert "not milliseconds" in message(2 * N * n * m / (seconds * 1e3) / 1e9)
    assert "not by 1e6" in message(2 * N * n * m / seconds / 1e6)
    assert "give 51.38 GFLOP/s" in message(3.0)
    assert "is still `...`" in message(...)
    assert "is None" in message(None)
    assert "is a str, but it should be one number" in message("51.4")
    assert "is a tensor of shape (2,), but it should be one number" in message(
        torch.ones(2)
    )
    assert "is inf: look for a division by zero" in message(float("inf"))
