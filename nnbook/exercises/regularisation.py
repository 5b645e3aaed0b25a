"""Checkers for the exercises of the chapter *Regularisation* (book/regularisation.md)."""

import numbers

import torch

from nnbook.checks import (
    AnswerError,
    call_answer,
    checker,
    expect_callable,
    expect_tensor,
)

# check_dropout: the drop probability, the size of the test tensors and the tolerance on the
# fraction of zeroed entries (its standard deviation is about 0.001 for this many entries).
DROP_P = 0.3
ROWS, COLS = 1000, 200
FRACTION_TOLERANCE = 0.01


# ---------------------------------------------------------------------------------------------
# Exercise 1: inverted dropout by hand.


def _dropout_output(fn, x, p, training, label):
    out = call_answer(fn, "dropout", label, x, p, training)
    return expect_tensor(out, "the output of dropout", shape=x.shape, dtype=x.dtype)


def _check_eval_mode(fn, x):
    out = _dropout_output(
        fn, x, DROP_P, False, f"an input of shape {tuple(x.shape)} in eval mode"
    )
    if torch.equal(out, x):
        return
    zeroed = (out == 0).float().mean().item()
    if zeroed > 0.5 * DROP_P:
        raise AnswerError(
            f"with training=False your dropout still zeroes {zeroed:.0%} of the entries: in eval "
            "mode dropout is the identity, return x unchanged"
        )
    raise AnswerError(
        "with training=False your dropout changes its input (the largest change is "
        f"{(out - x).abs().max().item():.3g}): in eval mode return x unchanged, without scaling"
    )


def _check_fraction_zeroed(out, p):
    zeroed = (out == 0).float().mean().item()
    if abs(zeroed - p) <= FRACTION_TOLERANCE:
        return
    if zeroed == 0:
        raise AnswerError(
            "in training mode your dropout zeroes no entries: set each entry to 0 with probability p"
        )
    if abs(zeroed - (1 - p)) < FRACTION_TOLERANCE:
        raise AnswerError(
            f"with p = {p} your dropout zeroes {zeroed:.1%} of the entries, about 1 - p: p is the "
            "probability of dropping an entry, not of keeping it"
        )
    raise AnswerError(
        f"with p = {p} your dropout zeroes {zeroed:.1%} of the entries, but it should zero a "
        f"fraction p = {p:.0%} of them"
    )


def _check_survivors(out, p):
    survivors = out[out != 0]
    scale = 1 / (1 - p)
    if torch.allclose(survivors, torch.full_like(survivors, scale), rtol=1e-5, atol=0):
        return
    mean = out.mean().item()
    if torch.allclose(survivors, torch.ones_like(survivors)):
        raise AnswerError(
            f"on a tensor of ones the mean of the output is {mean:.2f}, about 1 - p = {1 - p:.2f}, "
            f"not 1: scale the survivors by 1/(1-p) = {scale:.4g}"
        )
    if torch.allclose(survivors, torch.full_like(survivors, 1 / p)):
        raise AnswerError(
            f"the survivors are scaled by 1/p = {1 / p:.4g}, and the mean of the output is "
            f"{mean:.2f}, not 1: scale them by 1/(1-p) = {scale:.4g}"
        )
    raise AnswerError(
        f"on a tensor of ones the entries that survive should all be 1/(1-p) = {scale:.4g}, but they "
        f"range from {survivors.min().item():.4g} to {survivors.max().item():.4g}"
    )


@checker
def check_dropout(dropout):
    """`dropout(x, p, training)` must be inverted dropout: drop with probability p, scale by 1/(1-p)."""
    fn = expect_callable(dropout, "dropout")
    with torch.random.fork_rng(devices=[]):  # leave the reader's random state alone
        torch.manual_seed(0)
        x = torch.randn(ROWS, COLS)
        _check_eval_mode(fn, x)

        ones = torch.ones(ROWS, COLS)
        out = _dropout_output(
            fn, ones, DROP_P, True, "a tensor of ones in training mode"
        )
        rows_zeroed = (out == 0).all(dim=1).float().mean().item()
        if rows_zeroed > 0.5 * DROP_P:
            raise AnswerError(
                f"{rows_zeroed:.0%} of the rows are zeroed as a whole: draw an independent random "
                "number for every entry, e.g. with torch.rand_like(x)"
            )
        _check_fraction_zeroed(out, DROP_P)
        _check_survivors(out, DROP_P)
        again = _dropout_output(
            fn, ones, DROP_P, True, "a second call in training mode"
        )
        if torch.equal(again, out):
            raise AnswerError(
                "two calls drop exactly the same entries: draw a new random mask on every call"
            )

        out = _dropout_output(fn, x, DROP_P, True, "a random input in training mode")
        kept = out != 0
        if not torch.allclose(out[kept], x[kept] / (1 - DROP_P), rtol=1e-5, atol=1e-6):
            raise AnswerError(
                "on a random input the kept entries are not x / (1 - p): multiply x by the mask "
                "and divide by 1 - p"
            )
        out = _dropout_output(fn, ones, 0.5, True, "a tensor of ones with p = 0.5")
        _check_fraction_zeroed(out, 0.5)
        _check_survivors(out, 0.5)
        # small, so that a random number of exactly 0 is unlikely
        few = torch.ones(10, 100)
        if not torch.equal(
            _dropout_output(fn, few, 0.0, True, "a tensor of ones with p = 0"), few
        ):
            raise AnswerError("with p = 0 nothing may be dropped: return x unchanged")
    return (
        "Every entry keeps its expected value, E[output] = x, so training and evaluation mode "
        "agree on average."
    )


# ---------------------------------------------------------------------------------------------
# Exercise 2: the early-stopping decision, on a list of validation losses.


def reference_early_stopping(val_losses, patience):
    """(best_epoch, stop_epoch): stop once `patience` epochs have passed without a new best."""
    best_epoch = 0
    for epoch in range(1, len(val_losses)):
        if val_losses[epoch] < val_losses[best_epoch]:
            best_epoch = epoch
        elif epoch - best_epoch >= patience:
            return best_epoch, epoch
    return best_epoch, len(val_losses) - 1


# Validation curves with the patience to use on each: a clean U shape, a late improvement that
# early stopping must not see, a tie with the best loss (not an improvement), a curve that keeps
# improving, and one with a short dip that patience must ride out.
EARLY_STOPPING_CASES = [
    ([1.0, 0.8, 0.6, 0.5, 0.55, 0.6, 0.7, 0.8, 0.9], 3),
    ([1.0, 0.7, 0.75, 0.8, 0.85, 0.9, 0.2, 0.1], 4),
    ([1.0, 0.6, 0.6, 0.6, 0.7, 0.8, 0.9, 1.0], 3),
    ([1.0, 0.9, 0.8, 0.7, 0.6, 0.5], 2),
    ([1.0, 0.8, 0.85, 0.7, 0.75, 0.8, 0.9, 0.6], 2),
]


def _is_epoch(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


@checker
def check_early_stopping(early_stopping):
    """`early_stopping(val_losses, patience)` must return (best_epoch, stop_epoch)."""
    fn = expect_callable(early_stopping, "early_stopping")
    for losses, patience in EARLY_STOPPING_CASES:
        label = f"{losses} with patience {patience}"
        answer = call_answer(fn, "early_stopping", label, list(losses), patience)
        if answer is Ellipsis:
            raise AnswerError(
                "`early_stopping` still returns `...`: replace it with your code"
            )
        if (
            isinstance(answer, torch.Tensor)
            or not isinstance(answer, tuple)
            or len(answer) != 2
        ):
            raise AnswerError(
                f"`early_stopping` should return a tuple (best_epoch, stop_epoch), but on {label} it "
                f"returned {answer!r}"
            )
        best, stop = answer
        if not (_is_epoch(best) and _is_epoch(stop)):
            raise AnswerError(
                f"the epochs should be Python ints (indices into val_losses), but on {label} they "
                f"are {type(best).__name__} and {type(stop).__name__}"
            )
        want_best, want_stop = reference_early_stopping(losses, patience)
        if (best, stop) == (want_best, want_stop):
            continue
        if best > stop:
            raise AnswerError(
                f"on {label} your best epoch {best} comes after your stop epoch {stop}: early "
                "stopping cannot know the losses of epochs it never trained"
            )
        if best == want_best and stop == want_stop + 1:
            raise AnswerError(
                f"on {label} you stop at epoch {stop}, one epoch late: stop as soon as {patience} "
                f"epochs have passed since the best one, at epoch {want_stop}"
            )
        if best == want_best and stop == want_stop - 1:
            raise AnswerError(
                f"on {label} you stop at epoch {stop}, one epoch early: wait {patience} full epochs "
                f"after the best one, until epoch {want_stop}"
            )
        ties = [i for i in range(1, len(losses)) if losses[i] in losses[:i]]
        if ties and best > want_best and losses[best] == losses[want_best]:
            raise AnswerError(
                f"on {label} your best epoch is {best}, but its loss only equals the loss of epoch "
                f"{want_best}: only a strictly lower loss counts as an improvement"
            )
        raise AnswerError(
            f"on {label} you return (best_epoch, stop_epoch) = ({best}, {stop}), but early stopping "
            f"gives ({want_best}, {want_stop})"
        )
    return "Your rule stops where the training loop of the chapter stops."
