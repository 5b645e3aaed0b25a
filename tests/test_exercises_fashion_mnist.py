"""The checkers of book/fashion_mnist.md accept every valid answer and explain wrong ones."""

import numpy as np
import torch

from nnbook.exercises import fashion_mnist

# Six examples in three classes; the argmax of each row is 0, 1, 2, 2, 1, 0.
LOGITS = torch.tensor(
    [
        [2.0, 0.0, 0.0],
        [0.0, 3.0, 1.0],
        [0.0, 1.0, 2.0],
        [1.0, 0.0, 4.0],
        [0.0, 2.0, 1.0],
        [5.0, 1.0, 0.0],
    ]
)
LABELS = torch.tensor([0, 1, 2, 1, 2, 0])  # four right, two wrong


def test_accuracy_checker_accepts_every_valid_answer():
    right = (LOGITS.argmax(dim=1) == LABELS).float().mean()
    assert fashion_mnist.check_accuracy(right, LOGITS, LABELS)
    assert fashion_mnist.check_accuracy(right.item(), LOGITS, LABELS)
    assert fashion_mnist.check_accuracy(4 / 6, LOGITS, LABELS)
    assert fashion_mnist.check_accuracy(right.double().reshape(1), LOGITS, LABELS)
    probabilities = torch.softmax(LOGITS, dim=1)
    assert fashion_mnist.check_accuracy(
        (probabilities.argmax(dim=1) == LABELS).float().mean(), LOGITS, LABELS
    )
    assert "4 of 6 predictions are right" in repr(
        fashion_mnist.check_accuracy(right, LOGITS, LABELS)
    )


def test_accuracy_checker_explains_wrong_answers():
    def message(answer):
        verdict = fashion_mnist.check_accuracy(answer, LOGITS, LABELS)
        assert not verdict
        assert "\n" not in repr(verdict)
        return repr(verdict)

    assert "looks like a percentage (66.67)" in message(100 * 4 / 6)
    assert "number of correct predictions (4); divide it by the number of examples (6)" in message(
        torch.tensor(4)
    )
    assert "the error rate" in message(2 / 6)
    assert "between 0 and 1, but yours is 1.5" in message(1.5)
    assert "take the argmax over dim=1" in message(0.5)
    assert "shape (6,), but it should be one number: did you forget .mean()?" in message(
        LOGITS.argmax(dim=1) == LABELS
    )
    assert "is a bool" in message(True)
    assert "still `...`" in message(...)
    assert "is None" in message(None)
    assert "NumPy array of shape (2,)" in message(np.full(2, 0.5))
    assert "NaN" in message(float("nan"))


PREDICTIONS = torch.tensor([0, 1, 1, 1, 2, 2, 2, 0, 1])
TRUE = torch.tensor([0, 0, 0, 1, 1, 1, 2, 2, 2])
# Mistakes (true, predicted): (0, 1) twice, (1, 2) twice, (2, 0) once and (2, 1) once.


def test_most_confused_checker_accepts_every_maximal_pair():
    for pair in [(0, 1), [1, 2], torch.tensor([0, 1]), (torch.tensor(1), torch.tensor(2))]:
        assert fashion_mnist.check_most_confused(pair, PREDICTIONS, TRUE, num_classes=3)
    assert fashion_mnist.check_most_confused((np.int64(0), np.int64(1)), PREDICTIONS, TRUE, 3)
    verdict = fashion_mnist.check_most_confused((0, 1), PREDICTIONS, TRUE, num_classes=3)
    assert "2 images of class 0 were predicted as class 1" in repr(verdict)


def test_most_confused_checker_explains_wrong_answers():
    def message(pair):
        verdict = fashion_mnist.check_most_confused(pair, PREDICTIONS, TRUE, num_classes=3)
        assert not verdict
        assert "\n" not in repr(verdict)
        return repr(verdict)

    assert "the right pair backwards" in message((1, 0))
    assert "counts correct predictions, not mistakes" in message((1, 1))
    assert "predicted as class 0 1 times, but the most frequent mistake happens 2 times" in message(
        (2, 0)
    )
    assert "has 3 entries" in message((0, 1, 2))
    assert "holds a float" in message((0.0, 1.0))
    assert "holds floats" in message(torch.tensor([0.0, 1.0]))
    assert "run from 0 to 2, but `pair` holds 3" in message((0, 3))
    assert "should be a tuple" in message(7)
    assert "still `...`" in message(...)
    assert "is None" in message(None)
    assert "NumPy array" in message(np.array([0, 1]))
