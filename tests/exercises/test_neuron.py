"""The checkers of book/neuron.md accept every valid answer and explain wrong ones."""

import torch

from nnbook.exercises import neuron


def test_and_neuron_checker_accepts_every_valid_answer_and_explains_a_wrong_one():
    assert neuron.check_and_neuron(torch.tensor([1.0, 1.0]), torch.tensor(-1.5))
    assert neuron.check_and_neuron(torch.tensor([0.5, 3.0]), torch.tensor(-3.2))
    # OR
    verdict = neuron.check_and_neuron(torch.tensor([1.0, 1.0]), torch.tensor(-0.5))
    assert repr(verdict).startswith(
        "❌ Not yet: for input [0, 1] the neuron computes z = 0.5"
    )
    assert "dtype torch.int64" in repr(
        neuron.check_and_neuron(torch.tensor([1, 1]), torch.tensor(-1.5))
    )
    assert "shape (1,)" in repr(
        neuron.check_and_neuron(torch.tensor([1.0, 1.0]), torch.tensor([-1.5]))
    )


def test_two_layer_forward_checker():
    gen = torch.Generator().manual_seed(0)
    Xb, W1, b1 = (
        torch.randn(5, 3, generator=gen),
        torch.randn(3, 2, generator=gen),
        torch.zeros(2),
    )
    W2, b2 = torch.randn(2, 1, generator=gen), torch.zeros(1)
    y_hat = torch.sigmoid(torch.sigmoid(Xb @ W1 + b1) @ W2 + b2)
    assert neuron.check_two_layer_forward(y_hat, Xb, W1, b1, W2, b2)
    no_activation = (Xb @ W1 + b1) @ W2 + b2
    assert "largest difference" in repr(
        neuron.check_two_layer_forward(no_activation, Xb, W1, b1, W2, b2)
    )
    assert "is None" in repr(neuron.check_two_layer_forward(None, Xb, W1, b1, W2, b2))
