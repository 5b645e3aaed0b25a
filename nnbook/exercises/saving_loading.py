"""Checkers for the exercises of the chapter *Saving and loading* (book/saving_loading.md).

Both checkers build their own small network on the CPU, under `torch.random.fork_rng`, so that
checking an answer leaves the reader's global random number generator where it was.
"""

import pickle
import tempfile
from collections.abc import Mapping
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from nnbook.checks import (
    AnswerError,
    checker,
    expect_callable,
    expect_number,
    reader_code,
)

# check_checkpoint: Adam with this learning rate trains for TOTAL_EPOCHS epochs of STEPS_PER_EPOCH
# full-size mini-batches in a fixed order; the run is interrupted and resumed after SAVE_AT epochs.
LR = 0.05
TOTAL_EPOCHS = 6
SAVE_AT = 3
STEPS_PER_EPOCH = 2
TOLERANCE = 1e-6


def small_net(seed: int) -> nn.Sequential:
    """A small network with a buffer-holding layer, built without touching the global generator."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return nn.Sequential(
            nn.BatchNorm1d(3), nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1)
        )


def _copy_state(net: nn.Module) -> dict[str, torch.Tensor]:
    return {name: t.detach().clone() for name, t in net.state_dict().items()}


def _first_difference(state: Mapping, expected: Mapping) -> str | None:
    """The first key whose tensor differs between `state` and `expected` (same keys), or None."""
    for name, want in expected.items():
        got = state[name]
        if not isinstance(got, torch.Tensor):
            return name
        got = got.detach().cpu()
        if got.shape != want.shape or not torch.equal(got.to(want.dtype), want):
            return name
    return None


# ---------------------------------------------------------------------------------------------
# Exercise 1: a snapshot of the weights that later training does not change.


@checker
def check_snapshot(snapshot):
    """`snapshot(net)` must return a copy of `net.state_dict()` that stays put while `net` trains."""
    snapshot = expect_callable(snapshot, "snapshot")
    with torch.random.fork_rng(devices=[]):
        net = small_net(0)
        expected = _copy_state(net)
        with reader_code("`snapshot(net)`"):
            snap = snapshot(net)
        if snap is None:
            raise AnswerError(
                "`snapshot(net)` returned None: did the function forget to `return` the copy?"
            )
        if isinstance(snap, nn.Module):
            raise AnswerError(
                "`snapshot(net)` returned a module: return a copy of its state_dict(), a dict "
                "of tensors"
            )
        if not isinstance(snap, Mapping):
            raise AnswerError(
                f"`snapshot(net)` should return a dict of tensors like net.state_dict(), but it "
                f"returned a {type(snap).__name__}"
            )
        missing = [name for name in expected if name not in snap]
        if missing:
            buffers = {name for name, _ in net.named_buffers()}
            hint = (
                ": state_dict() also holds the buffers, which named_parameters() leaves out"
                if set(missing) <= buffers
                else ""
            )
            raise AnswerError(f"the snapshot lacks the key(s) {missing}{hint}")
        extra = [name for name in snap if name not in expected]
        if extra:
            raise AnswerError(
                f"the snapshot has key(s) that net.state_dict() lacks: {extra}"
            )
        wrong = _first_difference(snap, expected)
        if wrong is not None:
            raise AnswerError(
                f"snapshot[{wrong!r}] differs from the network's {wrong} at the time of the "
                "snapshot"
            )

        # stands in for more training: every tensor of the state changes
        with torch.no_grad():
            for tensor in net.state_dict().values():
                tensor.add_(1)
        changed = _first_difference(snap, expected)
        if changed is not None:
            raise AnswerError(
                f"snapshot[{changed!r}] changed when the network trained on: state_dict() "
                "returns the network's own tensors, so copy them (copy.deepcopy, or .clone() "
                "each one)"
            )
    return "Your snapshot keeps the weights as they were while the network trains on."


# ---------------------------------------------------------------------------------------------
# Exercise 2: save_checkpoint and load_checkpoint, checked by an interrupted and resumed run.


def _problem():
    """Inputs (8, 3) and targets (8, 1), cut into STEPS_PER_EPOCH mini-batches of 4, on the CPU."""
    gen = torch.Generator().manual_seed(0)
    X = torch.randn(8, 3, generator=gen)
    y = torch.randn(8, 1, generator=gen)
    return list(zip(X.chunk(STEPS_PER_EPOCH), y.chunk(STEPS_PER_EPOCH), strict=True))


def _train(net, optimiser, batches, first_epoch, num_epochs) -> list[torch.Tensor]:
    """Train from epoch `first_epoch` up to `num_epochs`; return the flat state after every step."""
    states = []
    for _ in range(first_epoch, num_epochs):
        for X, y in batches:
            loss = F.mse_loss(net(X), y)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            states.append(
                torch.cat([p.detach().flatten() for p in net.parameters()]).clone()
            )
    return states


@checker
def check_checkpoint(save_checkpoint, load_checkpoint):
    """A run interrupted after SAVE_AT epochs and resumed from the reader's checkpoint must match
    an uninterrupted run step for step.

    `save_checkpoint(path, net, optimiser, epoch)` writes the file; `load_checkpoint(path, net,
    optimiser)` loads it into a new network and a new Adam and returns the epoch.
    """
    save_checkpoint = expect_callable(save_checkpoint, "save_checkpoint")
    load_checkpoint = expect_callable(load_checkpoint, "load_checkpoint")
    with torch.random.fork_rng(devices=[]), tempfile.TemporaryDirectory() as folder:
        batches = _problem()
        net = small_net(0)
        expected = _train(
            net, torch.optim.Adam(net.parameters(), lr=LR), batches, 0, TOTAL_EPOCHS
        )

        net = small_net(0)
        optimiser = torch.optim.Adam(net.parameters(), lr=LR)
        _train(net, optimiser, batches, 0, SAVE_AT)
        saved = _copy_state(net)
        path = Path(folder) / "checkpoint.pt"
        with reader_code("save_checkpoint"):
            save_checkpoint(path, net, optimiser, SAVE_AT)
        if not path.is_file():
            raise AnswerError(
                "save_checkpoint(path, ...) wrote no file at `path`: save the checkpoint with "
                "torch.save(checkpoint, path)"
            )
        del net, optimiser  # the interrupted run is over

        net = small_net(1)  # new objects, with other initial weights
        optimiser = torch.optim.Adam(net.parameters(), lr=LR)
        with reader_code("load_checkpoint"):
            try:
                epoch = load_checkpoint(path, net, optimiser)
            except pickle.UnpicklingError:
                raise AnswerError(
                    "load_checkpoint raised UnpicklingError: torch.load with weights_only=True "
                    "accepts only tensors and plain Python containers, so save state_dicts, "
                    "not the network or optimiser objects"
                ) from None
        wrong = _first_difference(net.state_dict(), saved)
        if wrong is not None:
            raise AnswerError(
                f"after load_checkpoint the network's {wrong} differs from the saved one: "
                "load the saved state into the `net` argument with net.load_state_dict(...)"
            )
        epoch = expect_number(
            epoch, "load_checkpoint(path, net, optimiser)", integer=True
        )
        if epoch != SAVE_AT:
            raise AnswerError(
                f"load_checkpoint returned {epoch}, but the checkpoint was saved with "
                f"epoch={SAVE_AT}: store `epoch` in the checkpoint and return it unchanged"
            )

        resumed = _train(net, optimiser, batches, epoch, TOTAL_EPOCHS)
        first = SAVE_AT * STEPS_PER_EPOCH
        for k, (ours, theirs) in enumerate(zip(resumed, expected[first:], strict=True)):
            if not torch.allclose(ours, theirs, atol=TOLERANCE, rtol=0):
                after = "the first step" if k == 0 else f"{k + 1} steps"
                raise AnswerError(
                    f"resumed training diverges at step {first + k + 1} ({after} after loading): "
                    "did you save and load the optimiser's state_dict?"
                )
    return (
        f"Resumed from your checkpoint after epoch {SAVE_AT}, training matches an uninterrupted "
        f"run for all {TOTAL_EPOCHS * STEPS_PER_EPOCH} steps."
    )
