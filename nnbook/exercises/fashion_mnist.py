"""Checkers for the exercises of the chapter *Classifying FashionMNIST* (book/fashion_mnist.md)."""

import operator

import torch

from nnbook.checks import AnswerError, checker, expect_number, expect_tensor


def _predictions_and_labels(logits, labels) -> tuple[torch.Tensor, torch.Tensor]:
    return logits.detach().cpu().argmax(dim=1), labels.detach().cpu()


@checker
def check_accuracy(accuracy, logits, labels):
    """`accuracy` must be the fraction of rows of `logits` whose argmax equals the label."""
    value = expect_number(accuracy, "accuracy", hint="did you forget .mean()?")
    predictions, labels = _predictions_and_labels(logits, labels)
    n = len(labels)
    n_correct = (predictions == labels).sum().item()
    expected = n_correct / n
    if abs(value - expected) <= 1e-6:
        return f"{n_correct} of {n} predictions are right: an accuracy of {expected:.2%}."
    if abs(value - 100 * expected) <= 1e-4:
        raise AnswerError(
            f"`accuracy` looks like a percentage ({value:.2f}); give it as a fraction between 0 and 1"
        )
    if value == n_correct:
        raise AnswerError(
            f"`accuracy` is the number of correct predictions ({n_correct}); "
            f"divide it by the number of examples ({n})"
        )
    if abs(value - (1 - expected)) <= 1e-6:
        raise AnswerError(
            "`accuracy` is the error rate, the fraction of wrong predictions; count the right ones"
        )
    if not 0 <= value <= 1:
        raise AnswerError(f"an accuracy is a fraction between 0 and 1, but yours is {value:.4g}")
    raise AnswerError(
        f"`accuracy` is {value:.4f}, but the argmax of each row of the logits matches the label for "
        f"a fraction {expected:.4f} of the examples: take the argmax over dim=1, the class dimension"
    )


def _as_pair(pair, num_classes: int) -> tuple[int, int]:
    """Turn a tuple, list or tensor of two class indices into two ints; else raise AnswerError."""
    if pair is Ellipsis or pair is None or type(pair).__module__ == "numpy":
        expect_tensor(pair, "pair")  # the standard messages for `...`, None and NumPy arrays
    if isinstance(pair, torch.Tensor):
        if pair.is_floating_point():
            raise AnswerError("`pair` holds floats: class indices are integers, use .long()")
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
            entry = operator.index(entry)  # ints, NumPy ints and one-element integer tensors
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
    counts = torch.bincount(labels * num_classes + predictions, minlength=num_classes**2)
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
