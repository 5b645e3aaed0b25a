"""Checkers for the exercises of the chapter *Classifying FashionMNIST* (book/fashion_mnist.md)."""

import math
import operator

import torch

from nnbook.checks import (
    AnswerError,
    checker,
    expect_number,
    expect_tensor,
    explain_slip,
)

UNTRAINED_TOLERANCE = 0.005  # "2.30" and "2.303" pass; the measured 2.31 or so does not


@checker
def check_untrained_loss(expected_loss, num_classes=10):
    """`expected_loss`: the cross-entropy of one example when all `num_classes` logits are equal.

    Softmax then gives every class 1/num_classes, so the loss is ln(num_classes). The usual slips
    (another logarithm base, the probability itself, 1/p, the sign, a nearby measured loss) each get
    their own explanation.
    """
    value = expect_number(
        expected_loss, "expected_loss", hint="work it out as one number"
    )
    k = num_classes
    right = math.log(k)
    if abs(value - right) <= UNTRAINED_TOLERANCE:
        return (
            f"Equal logits give every class the probability 1/{k}, and -ln(1/{k}) = ln {k} "
            f"= {right:.4f}, for every image and so for the mean."
        )
    slips = [
        (-right, "a loss is -ln p, which is positive here: check the sign"),
        (
            math.log10(k),
            f"that is log base 10 of {k}; cross-entropy uses the natural logarithm",
        ),
        (
            math.log2(k),
            "that is the loss in bits (log base 2); PyTorch uses the natural logarithm",
        ),
        (
            1 / k,
            f"1/{k} is the probability of each class; the loss is -ln of that probability",
        ),
        (
            1 - 1 / k,
            "that is the error rate of a guess; the loss is -ln of a probability",
        ),
        (float(k), f"{k} is 1/p; the loss is its natural logarithm"),
        (
            0.0,
            f"a loss of 0 needs probability 1 for the true class; equal logits give it 1/{k}",
        ),
    ]
    explain_slip(value, "expected_loss", slips, rtol=1e-3)
    if abs(value - right) <= 0.05:
        raise AnswerError(
            f"`expected_loss` is {value:.4g}, close but not exact: with exactly equal logits every "
            f"class gets 1/{k}; compute -ln(1/{k}) to three decimals"
        )
    raise AnswerError(
        f"`expected_loss` is {value:.4g}: with all {k} logits equal, softmax gives each class "
        "the same probability, and the loss is -ln of the true class's probability"
    )


def _as_pair(pair, num_classes: int) -> tuple[int, int]:
    """Turn a tuple, list or tensor of two class indices into two ints; else raise AnswerError."""
    if pair is Ellipsis or pair is None or type(pair).__module__ == "numpy":
        # the standard messages for `...`, None and NumPy arrays
        expect_tensor(pair, "pair")
    if isinstance(pair, torch.Tensor):
        if pair.is_floating_point():
            raise AnswerError(
                "`pair` holds floats: class indices are integers, use .long()"
            )
        pair = pair.detach().cpu().flatten().tolist()
    if not isinstance(pair, (tuple, list)):
        raise AnswerError(
            f"`pair` should be a tuple (true class, predicted class), but it is a {type(pair).__name__}"
        )
    if len(pair) != 2:
        raise AnswerError(
            f"`pair` should hold two class indices, (true class, predicted class), but it has "
            f"{len(pair)} entries"
        )
    entries = []
    for entry in pair:
        is_float = isinstance(entry, float) or (
            isinstance(entry, torch.Tensor) and entry.is_floating_point()
        )
        try:
            if isinstance(entry, bool) or is_float:
                raise TypeError
            # ints, NumPy ints and one-element integer tensors
            entry = operator.index(entry)
        except TypeError:
            raise AnswerError(
                f"`pair` should hold two int class indices, but it holds a {type(entry).__name__}"
            ) from None
        if not 0 <= entry < num_classes:
            raise AnswerError(
                f"class indices run from 0 to {num_classes - 1}, but `pair` holds {entry}"
            )
        entries.append(entry)
    return entries[0], entries[1]


@checker
def check_most_confused(pair, predictions, labels, num_classes=10):
    """`pair` = (true class, predicted class): the mistake that happens most often."""
    true_class, predicted_class = _as_pair(pair, num_classes)
    predictions, labels = predictions.detach().cpu(), labels.detach().cpu()
    counts = torch.bincount(
        labels * num_classes + predictions, minlength=num_classes**2
    )
    counts = counts.view(num_classes, num_classes)
    if true_class == predicted_class:
        raise AnswerError(
            f"({true_class}, {predicted_class}) counts correct predictions, not mistakes: "
            "leave out the diagonal"
        )
    mistakes = counts.clone()
    mistakes.fill_diagonal_(0)
    most = mistakes.max().item()
    found = mistakes[true_class, predicted_class].item()
    if found == most:
        return (
            f"{found} images of class {true_class} were predicted as class {predicted_class}, "
            "more often than any other mistake."
        )
    if mistakes[predicted_class, true_class].item() == most:
        raise AnswerError(
            f"({true_class}, {predicted_class}) is the right pair backwards: the first entry is "
            "the true class (the row), the second the predicted class"
        )
    raise AnswerError(
        f"images of class {true_class} were predicted as class {predicted_class} {found} times, "
        f"but the most frequent mistake happens {most} times"
    )
