"""The checkers of book/distributed.md accept every valid answer and explain wrong ones."""

import torch

from nnbook.exercises import distributed


def weighted_mean(grads_per_worker, shard_sizes):
    total = sum(shard_sizes)
    return [
        sum(n * g for n, g in zip(shard_sizes, grads, strict=True)) / total
        for grads in zip(*grads_per_worker, strict=True)
    ]


def weighted_mean_stacked(grads_per_worker, shard_sizes):
    weights = torch.tensor(shard_sizes, dtype=torch.float64)
    weights = weights / weights.sum()
    return tuple(
        torch.einsum("w,w...->...", weights, torch.stack(grads))
        for grads in zip(*grads_per_worker, strict=True)
    )


def weighted_mean_float32(grads_per_worker, shard_sizes):
    return [g.float() for g in weighted_mean(grads_per_worker, shard_sizes)]


def test_average_gradients_checker_accepts_every_valid_answer():
    for answer in (weighted_mean, weighted_mean_stacked, weighted_mean_float32):
        verdict = distributed.check_average_gradients(answer)
        assert verdict, repr(verdict)


def test_average_gradients_checker_explains_wrong_answers():
    def check(fn):
        return repr(distributed.check_average_gradients(fn))

    def summed(grads_per_worker, shard_sizes):
        return [sum(grads) for grads in zip(*grads_per_worker, strict=True)]

    def plain_mean(grads_per_worker, shard_sizes):
        return [
            sum(grads) / len(grads) for grads in zip(*grads_per_worker, strict=True)
        ]

    assert check(summed) == (
        "❌ Not yet: on shards of sizes [6, 6], your result is the sum of the workers' gradients, "
        "2 times too large: each worker's gradient is already a mean over its shard, so combine "
        "them with a mean, not a sum"
    )
    assert check(plain_mean) == (
        "❌ Not yet: on shards of sizes [8, 4], your result is the plain mean of the shard "
        "gradients, which is the full-batch gradient only for equal shards: a larger shard holds "
        "more of the batch's examples and must count more"
    )
    first_worker = check(lambda grads, sizes: grads[0])
    assert first_worker == (
        "❌ Not yet: on shards of sizes [6, 6], your gradient of 2.bias (3,) differs from the "
        "full-batch gradient by up to 0.343"
    )
    assert "returned 2 tensors, but the network has 4 parameters" in check(
        lambda grads, sizes: grads
    )
    assert (
        "should return a list with one tensor per parameter, but it returned a Tensor"
        in check(lambda grads, sizes: torch.zeros(3))
    )
    assert (
        "average_gradients(...)[0]` has shape (20,), but the expected shape is (4, 5)"
        in check(
            lambda grads, sizes: [g.flatten() for g in weighted_mean(grads, sizes)]
        )
    )
    assert "is None" in check(lambda grads, sizes: None)
    assert "is still `...`" in check(lambda grads, sizes: ...)
    assert "is still `...`" in check(...)
    assert "should be a function" in check(3)
    assert (
        "`average_gradients` raised ZeroDivisionError on shards of sizes [6, 6]"
        in check(lambda grads, sizes: 1 / 0)
    )


def test_average_gradients_checker_does_not_change_its_data():
    def in_place(grads_per_worker, shard_sizes):
        for grads in grads_per_worker:
            for g in grads:
                g.mul_(0)
        return weighted_mean(grads_per_worker, shard_sizes)

    assert not distributed.check_average_gradients(in_place)
    assert distributed.check_average_gradients(weighted_mean), (
        "the next check is unaffected"
    )


def test_shard_indices_checker_accepts_every_valid_answer():
    def strided(n, rank, world_size):
        return torch.arange(rank, n, world_size)

    def blocks(n, rank, world_size):
        base, extra = divmod(n, world_size)
        start = rank * base + min(rank, extra)
        return torch.arange(start, start + base + (rank < extra))

    def strided_backwards_int32(n, rank, world_size):
        return torch.arange(rank, n, world_size, dtype=torch.int32).flip(0)

    for answer in (strided, blocks, strided_backwards_int32):
        verdict = distributed.check_shard_indices(answer)
        assert verdict, repr(verdict)


def test_shard_indices_checker_explains_wrong_answers():
    def check(fn):
        return repr(distributed.check_shard_indices(fn))

    assert check(lambda n, rank, w: torch.arange(n)) == (
        "❌ Not yet: `shard_indices(8, 1, 2)` returned index 0 and so does rank 0: each index "
        "must go to exactly one rank, once"
    )
    assert check(
        lambda n, rank, w: torch.arange(rank * (n // w), (rank + 1) * (n // w))
    ) == (
        "❌ Not yet: with n = 10 and world_size = 3, index 9 goes to no rank (1 of the 10 indices "
        "are missing)"
    )
    assert check(
        lambda n, rank, w: torch.arange(
            rank * (n // w), n if rank == w - 1 else (rank + 1) * (n // w)
        )
    ) == (
        "❌ Not yet: with n = 7 and world_size = 4 the shard sizes are [1, 1, 1, 4]; they should "
        "differ by at most one, so that every rank has the same work"
    )
    assert check(lambda n, rank, w: torch.arange(rank, n + 1, w)) == (
        "❌ Not yet: `shard_indices(8, 0, 2)` returned index 8, but the indices run from 0 to 7"
    )
    assert "returned index 0 twice" in check(
        lambda n, rank, w: torch.cat([torch.arange(rank, n, w), torch.tensor([rank])])
    )
    assert "returned a Python list, not a tensor" in check(
        lambda n, rank, w: list(range(rank, n, w))
    )
    assert "has dtype torch.float32, but indices are integers" in check(
        lambda n, rank, w: torch.arange(rank, n, w).float()
    )
    assert "has shape (1, 4), but it should be a 1-D tensor" in check(
        lambda n, rank, w: torch.arange(rank, n, w)[None]
    )
    assert "is None" in check(lambda n, rank, w: None)
    assert "`shard_indices` is None" in check(None)
    assert "`shard_indices` should be a function, but it is a Tensor" in check(
        torch.arange(4)
    )
    assert "`shard_indices(8, 0, 2)` raised ValueError: no" in check(
        lambda n, rank, w: (_ for _ in ()).throw(ValueError("no"))
    )
