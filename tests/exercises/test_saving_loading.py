"""The checkers of book/saving_loading.md accept every valid answer and explain wrong ones."""

import copy
import io
from collections import OrderedDict

import pytest
import torch

from nnbook.exercises import saving_loading

# ---------------------------------------------------------------------------------------------
# check_snapshot


def deep_copy(net):
    return copy.deepcopy(net.state_dict())


def cloned(net):
    return {name: t.detach().clone() for name, t in net.state_dict().items()}


def through_a_file(net):
    buffer = io.BytesIO()
    torch.save(net.state_dict(), buffer)
    buffer.seek(0)
    return torch.load(buffer, weights_only=True)


def cpu_clones(net):
    return OrderedDict((name, t.cpu().clone()) for name, t in net.state_dict().items())


def snapshot_verdict(answer) -> str:
    return repr(saving_loading.check_snapshot(answer))


@pytest.mark.parametrize("answer", [deep_copy, cloned, through_a_file, cpu_clones])
def test_snapshot_checker_accepts_every_valid_answer(answer):
    assert snapshot_verdict(answer) == (
        "✅ Correct! Your snapshot keeps the weights as they were while the network trains on."
    )


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (
            lambda net: net.state_dict(),
            "snapshot['0.weight'] changed when the network trained on: state_dict() returns the "
            "network's own tensors, so copy them (copy.deepcopy, or .clone() each one)",
        ),
        (
            lambda net: copy.copy(net.state_dict()),
            "changed when the network trained on",
        ),
        (
            # no copy on CPU
            lambda net: {name: t.cpu() for name, t in net.state_dict().items()},
            "changed when the network trained on",
        ),
        (
            lambda net: {name: p.clone() for name, p in net.named_parameters()},
            "the snapshot lacks the key(s) ['0.running_mean', '0.running_var', "
            "'0.num_batches_tracked']: state_dict() also holds the buffers, which "
            "named_parameters() leaves out",
        ),
        (
            lambda net: {
                name: torch.zeros_like(t) for name, t in net.state_dict().items()
            },
            "snapshot['0.weight'] differs from the network's 0.weight at the time of the snapshot",
        ),
        (
            lambda net: {**cloned(net), "epoch": 3},
            "the snapshot has key(s) that net.state_dict() lacks: ['epoch']",
        ),
        (
            lambda net: None,
            "`snapshot(net)` returned None: did the function forget to `return`",
        ),
        (
            copy.deepcopy,
            "`snapshot(net)` returned a module: return a copy of its state_dict()",
        ),
        (lambda net: list(net.state_dict().values()), "but it returned a list"),
        (
            lambda net: 1 / 0,
            "`snapshot(net)` raised ZeroDivisionError: division by zero",
        ),
        (..., "`snapshot` is still `...`"),
        ("net.state_dict()", "`snapshot` should be a function, but it is a str"),
    ],
)
def test_snapshot_checker_explains_wrong_answers(answer, message):
    verdict = snapshot_verdict(answer)
    assert verdict.startswith("❌ Not yet: ") and message in verdict, verdict


# ---------------------------------------------------------------------------------------------
# check_checkpoint


def save_checkpoint(path, net, optimiser, epoch):
    checkpoint = {
        "epoch": epoch,
        "model": net.state_dict(),
        "optimiser": optimiser.state_dict(),
    }
    torch.save(checkpoint, path)


def load_checkpoint(path, net, optimiser):
    checkpoint = torch.load(path, weights_only=True)
    net.load_state_dict(checkpoint["model"])
    optimiser.load_state_dict(checkpoint["optimiser"])
    return checkpoint["epoch"]


def save_other_names(path, net, optimiser, epoch):
    torch.save(
        {
            "model_state_dict": net.state_dict(),
            "optimizer_state_dict": optimiser.state_dict(),
            "epoch": torch.tensor(epoch),
        },
        str(path),
    )


def load_other_names(path, net, optimiser):
    checkpoint = torch.load(path, map_location="cpu", weights_only=False)
    optimiser.load_state_dict(checkpoint["optimizer_state_dict"])
    net.load_state_dict(checkpoint["model_state_dict"])
    return checkpoint["epoch"]  # a tensor holding the epoch


def save_model_only(path, net, optimiser, epoch):
    torch.save({"epoch": epoch, "model": net.state_dict()}, path)


def load_model_only(path, net, optimiser):
    checkpoint = torch.load(path, weights_only=True)
    net.load_state_dict(checkpoint["model"])
    return checkpoint["epoch"]


def load_next_epoch(path, net, optimiser):
    return load_checkpoint(path, net, optimiser) + 1


def load_no_return(path, net, optimiser):
    load_checkpoint(path, net, optimiser)


def load_into_a_new_net(path, net, optimiser):
    checkpoint = torch.load(path, weights_only=True)
    # rebinds the local name: the caller's network is untouched
    net = saving_loading.small_net(0)
    net.load_state_dict(checkpoint["model"])
    optimiser.load_state_dict(checkpoint["optimiser"])
    return checkpoint["epoch"]


def save_objects(path, net, optimiser, epoch):
    torch.save({"epoch": epoch, "model": net, "optimiser": optimiser}, path)


def save_elsewhere(path, net, optimiser, epoch):
    torch.save(net.state_dict(), path.with_name("model.pt"))


def save_epoch_as_text(path, net, optimiser, epoch):
    checkpoint = {
        "epoch": "three",
        "model": net.state_dict(),
        "optimiser": optimiser.state_dict(),
    }
    torch.save(checkpoint, path)


def checkpoint_verdict(save, load) -> str:
    return repr(saving_loading.check_checkpoint(save, load))


@pytest.mark.parametrize(
    ("save", "load"),
    [(save_checkpoint, load_checkpoint), (save_other_names, load_other_names)],
)
def test_checkpoint_checker_accepts_every_valid_answer(save, load):
    assert checkpoint_verdict(save, load) == (
        "✅ Correct! Resumed from your checkpoint after epoch 3, training matches an "
        "uninterrupted run for all 12 steps."
    )


@pytest.mark.parametrize(
    ("save", "load", "message"),
    [
        (
            save_model_only,
            load_model_only,
            "resumed training diverges at step 7 (the first step after loading): did you save "
            "and load the optimiser's state_dict?",
        ),
        (
            save_checkpoint,
            load_model_only,
            "resumed training diverges at step 7 (the first step after loading)",
        ),
        (
            save_checkpoint,
            load_next_epoch,
            "load_checkpoint returned 4, but the checkpoint was saved with epoch=3: store "
            "`epoch` in the checkpoint and return it unchanged",
        ),
        (
            save_checkpoint,
            load_no_return,
            "`load_checkpoint(path, net, optimiser)` is None: did a function forget to `return`",
        ),
        (
            save_epoch_as_text,
            load_checkpoint,
            "`load_checkpoint(path, net, optimiser)` is a str, but it should be one number",
        ),
        (
            save_checkpoint,
            load_into_a_new_net,
            "after load_checkpoint the network's 0.weight differs from the saved one: load the "
            "saved state into the `net` argument with net.load_state_dict(...)",
        ),
        (
            save_objects,
            load_checkpoint,
            "load_checkpoint raised UnpicklingError: torch.load with weights_only=True accepts "
            "only tensors and plain Python containers, so save state_dicts",
        ),
        (
            save_elsewhere,
            load_checkpoint,
            "save_checkpoint(path, ...) wrote no file at `path`: save the checkpoint with "
            "torch.save(checkpoint, path)",
        ),
        (
            lambda path, net, optimiser, epoch: None,
            load_checkpoint,
            "save_checkpoint(path, ...) wrote no file at `path`",
        ),
        (
            lambda path, net, optimiser: None,
            load_checkpoint,
            "save_checkpoint raised TypeError",
        ),
        (
            save_checkpoint,
            lambda path, net, optimiser: torch.load(path)["missing"],
            "load_checkpoint raised KeyError: 'missing'",
        ),
        (..., load_checkpoint, "`save_checkpoint` is still `...`"),
        (save_checkpoint, None, "`load_checkpoint` is None"),
    ],
)
def test_checkpoint_checker_explains_wrong_answers(save, load, message):
    verdict = checkpoint_verdict(save, load)
    assert verdict.startswith(f"❌ Not yet: {message}"), verdict


def test_checkpoint_checker_names_a_later_step_that_diverges():
    def load_then_nudge(path, net, optimiser):
        def after_the_first_step(opt, args, kwargs):
            for group in opt.param_groups:
                group["lr"] = 0.5  # the first step still matches, later ones do not

        epoch = load_checkpoint(path, net, optimiser)
        optimiser.register_step_post_hook(after_the_first_step)
        return epoch

    message = checkpoint_verdict(save_checkpoint, load_then_nudge)
    assert message.startswith(
        "❌ Not yet: resumed training diverges at step 8 (2 steps after"
    )


def test_checkers_leave_the_global_generator_alone():
    before = torch.get_rng_state()
    saving_loading.check_snapshot(deep_copy)
    saving_loading.check_checkpoint(save_checkpoint, load_checkpoint)
    assert torch.equal(torch.get_rng_state(), before)
