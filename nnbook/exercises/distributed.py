"""Checkers for the exercises of the chapter *Training on more than one device*
(book/distributed.md)."""

import copy

import torch
import torch.nn.functional as F
from torch import nn

from nnbook.checks import (
    AnswerError,
    checker,
    close,
    expect_callable,
    expect_tensor,
    reader_code,
)

# Shard sizes: equal shards first (where a sum instead of a mean shows), then unequal ones.
SHARD_CASES = [[6, 6], [4, 4, 4], [8, 4], [5, 4, 3], [12]]

# (n, world_size): w divides n, w does not, more ranks than examples, one rank.
SHARDING_CASES = [(8, 2), (10, 3), (7, 4), (3, 4), (5, 1), (12, 4)]


def _model_and_data():
    """A small float64 network and a batch of 12 examples, the same on every call."""
    gen = torch.Generator().manual_seed(0)
    net = nn.Sequential(nn.Linear(5, 4), nn.Tanh(), nn.Linear(4, 3)).double()
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn(p.shape, generator=gen, dtype=torch.float64))
    X = torch.randn(12, 5, generator=gen, dtype=torch.float64)
    y = torch.randint(0, 3, (12,), generator=gen)
    return net, X, y


def _gradients(net, X, y):
    """The gradient of the mean cross-entropy over (X, y), one tensor per parameter."""
    net.zero_grad()
    F.cross_entropy(net(X), y).backward()
    return [p.grad.detach().clone() for p in net.parameters()]


def _all_close(answer, expected) -> bool:
    return all(
        close(a, e, atol=1e-7, rtol=1e-5) for a, e in zip(answer, expected, strict=True)
    )


@checker
def check_average_gradients(average_gradients):
    """`average_gradients(grads_per_worker, shard_sizes)` must return the full-batch gradient.

    `grads_per_worker[r]` is the list of gradients (one tensor per parameter) of the mean loss
    over worker r's shard, and `shard_sizes[r]` the number of examples in that shard.
    """
    fn = expect_callable(average_gradients, "average_gradients")
    net, X, y = _model_and_data()
    names = [f"{name} {tuple(p.shape)}" for name, p in net.named_parameters()]
    full = _gradients(net, X, y)
    for sizes in SHARD_CASES:
        shards = zip(X.split(sizes), y.split(sizes), strict=True)
        grads_per_worker = [_gradients(net, Xs, ys) for Xs, ys in shards]
        label = f"shards of sizes {sizes}"
        with reader_code("`average_gradients`", where=label):
            answer = fn(copy.deepcopy(grads_per_worker), list(sizes))
        if answer is Ellipsis or answer is None:
            expect_tensor(answer, "average_gradients(...)")  # the standard messages
        if isinstance(answer, torch.Tensor) or not isinstance(answer, (list, tuple)):
            raise AnswerError(
                "`average_gradients` should return a list with one tensor per parameter, "
                f"but it returned a {type(answer).__name__}"
            )
        if len(answer) != len(full):
            raise AnswerError(
                f"on {label}, `average_gradients` returned {len(answer)} tensors, but the "
                f"network has {len(full)} parameters: combine the workers' gradients "
                "parameter by parameter"
            )
        for i, (a, e) in enumerate(zip(answer, full, strict=True)):
            expect_tensor(a, f"average_gradients(...)[{i}]", shape=e.shape)
        if _all_close(answer, full):
            continue
        total = [sum(grads) for grads in zip(*grads_per_worker, strict=True)]
        plain_mean = [t / len(sizes) for t in total]
        if len(sizes) > 1 and _all_close(answer, total):
            raise AnswerError(
                f"on {label}, your result is the sum of the workers' gradients, "
                f"{len(sizes)} times too large: each worker's gradient is already a mean over "
                "its shard, so combine them with a mean, not a sum"
            )
        if len(set(sizes)) > 1 and _all_close(answer, plain_mean):
            raise AnswerError(
                f"on {label}, your result is the plain mean of the shard gradients, which is the "
                "full-batch gradient only for equal shards: a larger shard holds more of the "
                "batch's examples and must count more"
            )
        diffs = [
            (a.detach().cpu().double() - e).abs().max().item()
            for a, e in zip(answer, full, strict=True)
        ]
        worst = max(range(len(diffs)), key=diffs.__getitem__)
        raise AnswerError(
            f"on {label}, your gradient of {names[worst]} differs from the full-batch gradient "
            f"by up to {diffs[worst]:.3g}"
        )
    return "The size-weighted mean of the shard gradients is the full-batch gradient."


@checker
def check_shard_indices(shard_indices):
    """`shard_indices(n, rank, world_size)` must split 0..n-1 among the ranks: every index goes
    to exactly one rank, and the shard sizes differ by at most one."""
    fn = expect_callable(shard_indices, "shard_indices")
    for n, world_size in SHARDING_CASES:
        owner: dict[int, int] = {}
        sizes = []
        for rank in range(world_size):
            call = f"shard_indices({n}, {rank}, {world_size})"
            with reader_code(f"`{call}`"):
                answer = fn(n, rank, world_size)
            if isinstance(answer, (list, tuple, range)):
                raise AnswerError(
                    f"`{call}` returned a Python {type(answer).__name__}, not a tensor: "
                    "wrap it in torch.tensor(..., dtype=torch.int64)"
                )
            answer = expect_tensor(answer, call)
            if (
                answer.is_floating_point()
                or answer.dtype == torch.bool
                or answer.is_complex()
            ):
                raise AnswerError(
                    f"`{call}` has dtype {answer.dtype}, but indices are integers: "
                    "use torch.arange or .long()"
                )
            if answer.dim() != 1:
                raise AnswerError(
                    f"`{call}` has shape {tuple(answer.shape)}, but it should be a 1-D tensor "
                    "of indices"
                )
            indices = answer.detach().cpu().tolist()
            for i in indices:
                if not 0 <= i < n:
                    raise AnswerError(
                        f"`{call}` returned index {i}, but the indices run from 0 to {n - 1}"
                    )
                if i in owner:
                    where = (
                        "twice" if owner[i] == rank else f"and so does rank {owner[i]}"
                    )
                    raise AnswerError(
                        f"`{call}` returned index {i} {where}: each index must go to exactly "
                        "one rank, once"
                    )
                owner[i] = rank
            sizes.append(len(indices))
        missing = sorted(set(range(n)) - set(owner))
        if missing:
            raise AnswerError(
                f"with n = {n} and world_size = {world_size}, index {missing[0]} goes to no rank "
                f"({len(missing)} of the {n} indices are missing)"
            )
        if max(sizes) - min(sizes) > 1:
            raise AnswerError(
                f"with n = {n} and world_size = {world_size} the shard sizes are {sizes}; they "
                "should differ by at most one, so that every rank has the same work"
            )
    return "Every index goes to exactly one rank, and every rank gets the same share, give or take one."
