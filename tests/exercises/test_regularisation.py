"""The checkers of book/regularisation.md accept every valid answer and explain wrong ones."""

import torch
import torch.nn.functional as F

from nnbook.exercises import regularisation
from tests.exercises.verdicts import rejected


def dropout_rand(x, p, training):
    """The reference answer: keep each entry where a uniform random number exceeds p."""
    if not training:
        return x
    mask = (torch.rand_like(x) > p).to(x.dtype)
    return x * mask / (1 - p)


def dropout_bernoulli(x, p, training):
    """Another valid answer: a Bernoulli mask with keep probability 1 - p, and in-place scaling."""
    if training:
        x = x * torch.bernoulli(torch.full_like(x, 1 - p))
        x /= 1 - p
    return x


def dropout_functional(x, p, training):
    """PyTorch's own dropout is a valid answer too."""
    return F.dropout(x, p, training)


def unscaled(x, p, training):
    return x * (torch.rand_like(x) > p) if training else x


def dropped_in_eval(x, p, training):
    return x * (torch.rand_like(x) > p) / (1 - p)


def scaled_in_eval(x, p, training):
    return dropout_rand(x, p, training) if training else x * (1 - p)


def keep_probability(x, p, training):
    return x * (torch.rand_like(x) < p) / (1 - p) if training else x


def scaled_by_one_over_p(x, p, training):
    return x * (torch.rand_like(x) > p) / p if training else x


def whole_rows(x, p, training):
    if not training:
        return x
    return x * (torch.rand(x.shape[0], 1) > p) / (1 - p)


FIXED_MASK = torch.rand(1000, 200, generator=torch.Generator().manual_seed(1)) > 0.3


def fixed_mask(x, p, training):
    if not training or p == 0:
        return x
    if x.shape != FIXED_MASK.shape:
        return dropout_rand(x, p, training)
    return x * FIXED_MASK / (1 - p)


def ones_only(x, p, training):
    """Right on tensors of ones, but returns the scaled mask instead of masking x."""
    return (torch.rand_like(x) > p) / (1 - p) if training else x


def test_dropout_checker_accepts_valid_answers():
    for answer in (dropout_rand, dropout_bernoulli, dropout_functional):
        verdict = regularisation.check_dropout(answer)
        assert verdict, verdict
        assert repr(verdict).startswith("✅ Correct!")


def test_dropout_checker_leaves_the_global_random_state_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    regularisation.check_dropout(dropout_rand)
    assert torch.equal(torch.rand(3), expected)


def test_dropout_checker_explains_wrong_answers():
    def message(answer):
        return rejected(regularisation.check_dropout(answer))

    assert "the mean of the output is 0.70" in message(unscaled)
    assert "scale the survivors by 1/(1-p)" in message(unscaled)
    assert "with training=False your dropout still zeroes" in message(dropped_in_eval)
    assert "in eval mode return x unchanged, without scaling" in message(scaled_in_eval)
    assert "p is the probability of dropping an entry, not of keeping it" in message(
        keep_probability
    )
    assert "scaled by 1/p" in message(scaled_by_one_over_p)
    assert "zeroed as a whole" in message(whole_rows)
    assert "draw a new random mask on every call" in message(fixed_mask)
    assert "the kept entries are not x / (1 - p)" in message(ones_only)
    assert "zeroes no entries" in message(lambda x, p, training: x)
    assert "is still `...`" in message(...)
    assert "`the output of dropout` is still `...`" in message(
        lambda x, p, training: ...
    )
    assert "should be a function" in message(0.5)
    assert "raised ZeroDivisionError" in message(lambda x, p, training: 1 / 0)
    assert "has shape (1000,)" in message(lambda x, p, training: x[:, 0])
    wrong_p = message(lambda x, p, training: dropout_rand(x, 0.1, training))
    assert "zeroes 10." in wrong_p and "should zero a fraction p = 30%" in wrong_p
    p_zero = message(lambda x, p, training: dropout_rand(x, max(p, 0.2), training))
    assert "with p = 0 nothing may be dropped" in p_zero


def early_stopping(val_losses, patience):
    """The reference answer: a counter of epochs without improvement, as in the chapter."""
    best_loss, best_epoch, waited = float("inf"), -1, 0
    for epoch, loss in enumerate(val_losses):
        if loss < best_loss:
            best_loss, best_epoch, waited = loss, epoch, 0
        else:
            waited += 1
            if waited == patience:
                return best_epoch, epoch
    return best_epoch, len(val_losses) - 1


def early_stopping_tensor_ops(val_losses, patience):
    """Another valid answer: the running minimum with tensor operations."""
    losses = torch.tensor(val_losses)
    running_min = torch.cummin(losses, dim=0).values
    improved = torch.cat([torch.tensor([True]), losses[1:] < running_min[:-1]])
    best_so_far = torch.cummax(
        torch.where(improved, torch.arange(len(losses)), 0), dim=0
    ).values
    waited = torch.arange(len(losses)) - best_so_far
    stops = (waited >= patience).nonzero()
    stop = int(stops[0]) if len(stops) else len(losses) - 1
    return int(best_so_far[stop]), stop


def with_rule(improves, waited_enough):
    def answer(val_losses, patience):
        best_epoch = 0
        for epoch in range(1, len(val_losses)):
            if improves(val_losses[epoch], val_losses[best_epoch]):
                best_epoch = epoch
            elif waited_enough(epoch - best_epoch, patience):
                return best_epoch, epoch
        return best_epoch, len(val_losses) - 1

    return answer


def test_early_stopping_checker_accepts_valid_answers():
    for answer in (early_stopping, early_stopping_tensor_ops):
        verdict = regularisation.check_early_stopping(answer)
        assert verdict, verdict
    assert regularisation.check_early_stopping(regularisation.reference_early_stopping)


def test_early_stopping_checker_explains_wrong_answers():
    def message(answer):
        return rejected(regularisation.check_early_stopping(answer))

    late = with_rule(
        lambda new, best: new < best, lambda waited, patience: waited > patience
    )
    assert "one epoch late" in message(late)
    early = with_rule(
        lambda new, best: new < best, lambda waited, patience: waited >= patience - 1
    )
    assert "one epoch early" in message(early)
    ties = with_rule(
        lambda new, best: new <= best, lambda waited, patience: waited >= patience
    )
    assert "only a strictly lower loss counts as an improvement" in message(ties)

    def hindsight(val_losses, patience):
        _, stop = early_stopping(val_losses, patience)
        return min(range(len(val_losses)), key=val_losses.__getitem__), stop

    assert "cannot know the losses of epochs it never trained" in message(hindsight)

    def never_stops(val_losses, patience):
        return min(range(len(val_losses)), key=val_losses.__getitem__), len(
            val_losses
        ) - 1

    assert "but early stopping gives (3, 6)" in message(never_stops)
    assert "should return a tuple" in message(lambda val_losses, patience: [0, 1])
    assert "should be Python ints" in message(lambda val_losses, patience: (0.0, 1.0))
    tensors = message(lambda val_losses, patience: (torch.tensor(0), torch.tensor(1)))
    assert "should be Python ints" in tensors and "Tensor" in tensors
    assert "is still `...`" in message(...)
    assert "still returns `...`" in message(lambda val_losses, patience: ...)
    assert "raised IndexError" in message(lambda val_losses, patience: val_losses[99])
