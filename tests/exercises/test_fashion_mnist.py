"""The checkers of book/fashion_mnist.md accept every valid answer and explain wrong ones."""

import math

import numpy as np
import torch
import torch.nn.functional as F

from nnbook.exercises import fashion_mnist
from tests.exercises.verdicts import rejected


def test_untrained_loss_checker_accepts_every_valid_answer():
    equal_logits = torch.zeros(5, 10)
    measured = F.cross_entropy(equal_logits, torch.tensor([0, 2, 4, 6, 9]))
    for answer in [
        math.log(10),
        -math.log(1 / 10),
        2.30,
        2.303,
        measured,
        np.float64(2.3026),
    ]:
        assert fashion_mnist.check_untrained_loss(answer), answer
    assert fashion_mnist.check_untrained_loss(
        torch.tensor([math.log(10)], dtype=torch.float64)
    )
    assert fashion_mnist.check_untrained_loss(math.log(3), num_classes=3)
    assert "ln 10 = 2.3026" in repr(fashion_mnist.check_untrained_loss(math.log(10)))


def test_untrained_loss_checker_explains_wrong_answers():
    def message(answer, num_classes=10):
        return rejected(fashion_mnist.check_untrained_loss(answer, num_classes))

    assert "check the sign" in message(-math.log(10))
    assert "log base 10" in message(1.0)
    assert "in bits" in message(math.log2(10))
    assert "1/10 is the probability of each class" in message(0.1)
    assert "error rate of a guess" in message(0.9)
    assert "10 is 1/p" in message(10)
    assert "a loss of 0 needs probability 1" in message(0)
    assert "close but not exact" in message(2.31)
    assert "close but not exact" in message(2.296)
    assert "the same probability" in message(5.0)
    assert "the same probability" in message(math.log(10), num_classes=3)
    assert "one number: work it out as one number" in message(torch.zeros(10))
    assert "is a bool" in message(True)
    assert "still `...`" in message(...)
    assert "is None" in message(None)
    assert "NaN" in message(float("nan"))


PREDICTIONS = torch.tensor([0, 1, 1, 1, 2, 2, 2, 0, 1])
TRUE = torch.tensor([0, 0, 0, 1, 1, 1, 2, 2, 2])
# Mistakes (true, predicted): (0, 1) twice, (1, 2) twice, (2, 0) once and (2, 1) once.


def test_most_confused_checker_accepts_every_maximal_pair():
    for pair in [
        (0, 1),
        [1, 2],
        torch.tensor([0, 1]),
        (torch.tensor(1), torch.tensor(2)),
    ]:
        assert fashion_mnist.check_most_confused(pair, PREDICTIONS, TRUE, num_classes=3)
    assert fashion_mnist.check_most_confused(
        (np.int64(0), np.int64(1)), PREDICTIONS, TRUE, 3
    )
    verdict = fashion_mnist.check_most_confused(
        (0, 1), PREDICTIONS, TRUE, num_classes=3
    )
    assert "2 images of class 0 were predicted as class 1" in repr(verdict)


def test_most_confused_checker_explains_wrong_answers():
    def message(pair):
        return rejected(
            fashion_mnist.check_most_confused(pair, PREDICTIONS, TRUE, num_classes=3)
        )

    assert "the right pair backwards" in message((1, 0))
    assert "counts correct predictions, not mistakes" in message((1, 1))
    assert (
        "predicted as class 0 1 times, but the most frequent mistake happens 2 times"
        in message((2, 0))
    )
    assert "has 3 entries" in message((0, 1, 2))
    assert "holds a float" in message((0.0, 1.0))
    assert "holds floats" in message(torch.tensor([0.0, 1.0]))
    assert "run from 0 to 2, but `pair` holds 3" in message((0, 3))
    assert "should be a tuple" in message(7)
    assert "still `...`" in message(...)
    assert "is None" in message(None)
    assert "NumPy array" in message(np.array([0, 1]))
