"""The checkers of book/nn_module.md accept every valid answer and explain wrong ones."""

import itertools

import torch
from torch import nn

from nnbook.exercises import nn_module


class TinyNet(nn.Module):
    """The reference answer: Flatten -> Linear(64, 32) -> ReLU -> Linear(32, 10)."""

    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.stack = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))

    def forward(self, x):
        return self.stack(self.flatten(x))


class FunctionalTinyNet(nn.Module):
    """Another valid answer: two attributes and functional calls in forward."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(64, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x.reshape(x.shape[0], -1))))


class ParameterTinyNet(nn.Module):
    """Another valid answer: the layers written as X @ W + b with nn.Parameter, as in the book."""

    def __init__(self):
        super().__init__()
        self.W1 = nn.Parameter(0.1 * torch.randn(64, 32))
        self.b1 = nn.Parameter(torch.zeros(32))
        self.W2 = nn.Parameter(0.1 * torch.randn(32, 10))
        self.b2 = nn.Parameter(torch.zeros(10))

    def forward(self, X):
        return torch.relu(X.flatten(1) @ self.W1 + self.b1) @ self.W2 + self.b2


def sequential_net(*layers, call_super=True):
    """A TinyNet-like class that runs `layers` in order."""

    class Net(nn.Module):
        def __init__(self):
            if call_super:
                super().__init__()
            self.layers = nn.Sequential(*(layer() for layer in layers))

        def forward(self, x):
            return self.layers(x)

    return Net


def linear_64_32():
    return nn.Linear(64, 32)


def linear_32_10():
    return nn.Linear(32, 10)


def verdict_of(answer) -> str:
    return repr(nn_module.check_tiny_net(answer))


def test_tiny_net_checker_accepts_every_valid_answer():
    for answer in (
        TinyNet,
        FunctionalTinyNet,
        ParameterTinyNet,
        sequential_net(nn.Flatten, linear_64_32, nn.ReLU, linear_32_10),
    ):
        verdict = nn_module.check_tiny_net(answer)
        assert verdict, repr(verdict)
        assert repr(verdict).startswith("✅ Correct!")


def test_tiny_net_checker_leaves_the_callers_random_state_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    nn_module.check_tiny_net(TinyNet)
    assert torch.equal(torch.rand(3), expected)


def test_tiny_net_checker_explains_answers_that_are_not_classes():
    assert "still `...`" in verdict_of(...)
    assert "is None" in verdict_of(None)
    assert verdict_of(TinyNet()).startswith("❌ Not yet: pass the class itself")
    assert "should be a class" in verdict_of(lambda: TinyNet())
    assert "must subclass nn.Module" in verdict_of(int)


def test_tiny_net_checker_reports_errors_in_init_and_forward():
    forgot_super = sequential_net(nn.Flatten, call_super=False)
    assert verdict_of(forgot_super) == (
        "❌ Not yet: TinyNet() raised AttributeError: cannot assign module before "
        "Module.__init__() call (call super().__init__() first)"
    )

    class NeedsArgument(TinyNet):
        def __init__(self, hidden):
            super().__init__()

    assert "TinyNet() raised TypeError:" in verdict_of(NeedsArgument)

    no_flatten = sequential_net(linear_64_32, nn.ReLU, linear_32_10)
    assert verdict_of(no_flatten) == (
        "❌ Not yet: TinyNet()(X) with X of shape (64, 1, 8, 8) raised RuntimeError: "
        "mat1 and mat2 shapes cannot be multiplied (512x8 and 64x32)"
    )

    class NoForward(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(64, 10)

    assert "raised NotImplementedError" in verdict_of(NoForward)


def test_tiny_net_checker_explains_a_wrong_output():
    class Starter(nn.Module):  # the starter cell as given: forward returns None
        def __init__(self):
            super().__init__()

        def forward(self, x): ...

    assert "returned None: does forward end with `return logits`?" in verdict_of(Starter)

    class ReturnsTuple(TinyNet):
        def forward(self, x):
            return super().forward(x), 0

    assert "returned a tuple, but forward should return one tensor" in verdict_of(ReturnsTuple)

    five_classes = sequential_net(nn.Flatten, linear_64_32, nn.ReLU, lambda: nn.Linear(32, 5))
    assert verdict_of(five_classes) == (
        "❌ Not yet: for X of shape (64, 1, 8, 8) the output has shape (64, 5), but it should be "
        "(64, 10): one row of 10 logits per image"
    )


def test_tiny_net_checker_explains_a_wrong_parameter_count():
    narrow = sequential_net(
        nn.Flatten, lambda: nn.Linear(64, 16), nn.ReLU, lambda: nn.Linear(16, 10)
    )
    assert verdict_of(narrow) == (
        "❌ Not yet: TinyNet() has 1210 parameters, but Flatten -> Linear(64, 32) -> ReLU -> "
        "Linear(32, 10) has 2410: check the sizes of the two Linear layers"
    )

    class PlainList(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = [nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10)]

        def forward(self, x):
            for layer in self.layers:
                x = layer(x)
            return x

    assert "no registered parameters" in verdict_of(PlainList)
    assert "plain Python list" in verdict_of(PlainList)


def test_tiny_net_checker_detects_a_final_activation():
    final_relu = sequential_net(nn.Flatten, linear_64_32, nn.ReLU, linear_32_10, nn.ReLU)
    message = verdict_of(final_relu)
    assert message.startswith("❌ Not yet: none of the 640 outputs for a random batch is negative")
    assert "(it calls ReLU() after the last Linear layer)" in message

    class FunctionalReLU(TinyNet):
        def forward(self, x):
            return torch.relu(super().forward(x))

    assert "activation such as ReLU: return the logits" in verdict_of(FunctionalReLU)

    final_softmax = sequential_net(
        nn.Flatten, linear_64_32, nn.ReLU, linear_32_10, lambda: nn.Softmax(dim=1)
    )
    assert "every row of the output sums to 1" in verdict_of(final_softmax)

    final_tanh = sequential_net(nn.Flatten, linear_64_32, nn.ReLU, linear_32_10, nn.Tanh)
    assert verdict_of(final_tanh) == (
        "❌ Not yet: TinyNet changes the output of its last Linear layer (it calls Tanh() after the "
        "last Linear layer): return the logits of the last Linear layer, with no activation after it"
    )


def test_tiny_net_checker_detects_a_missing_hidden_activation():
    linear_only = sequential_net(nn.Flatten, linear_64_32, linear_32_10)
    assert "linear (affine) map of its input" in verdict_of(linear_only)
    assert "put an nn.ReLU() between them" in verdict_of(linear_only)


def reference_count(sizes):
    return sum(n_in * n_out + n_out for n_in, n_out in itertools.pairwise(sizes))


def counted_by_pytorch(sizes):
    layers = [nn.Linear(n_in, n_out) for n_in, n_out in itertools.pairwise(sizes)]
    return sum(p.numel() for p in nn.Sequential(*layers).parameters())


def test_count_parameters_checker_accepts_every_valid_answer():
    for answer in (
        reference_count,
        counted_by_pytorch,
        lambda sizes: torch.tensor(reference_count(sizes)),
        lambda sizes: float(reference_count(sizes)),
    ):
        verdict = nn_module.check_count_parameters(answer)
        assert verdict, repr(verdict)


def test_count_parameters_checker_explains_wrong_answers():
    def check(answer) -> str:
        return repr(nn_module.check_count_parameters(answer))

    call = "count_parameters([784, 512, 512, 10])"
    weights_only = check(lambda s: sum(a * b for a, b in itertools.pairwise(s)))
    assert weights_only == (
        f"❌ Not yet: {call} returned 668672, which counts the weights but not the biases: each "
        "layer also has one bias per output"
    )
    bias_per_input = check(lambda s: sum(a * b + a for a, b in itertools.pairwise(s)))
    assert "one bias per input, but a layer has one bias per output (669706" in bias_per_input
    assert check(lambda s: 5) == (
        f"❌ Not yet: {call} returned 5, but Linear layers of these sizes have 669706 parameters"
    )
    assert check(lambda s: None) == (
        f"❌ Not yet: `{call}` is None: did a function forget to `return` its result?"
    )
    assert "is a list, but it should be one number" in check(lambda s: [1])
    assert "is a tensor of shape (2,)" in check(lambda s: torch.tensor([1, 2]))
    assert "is 2.5, but it should be a whole number" in check(lambda s: 2.5)
    assert "is NaN" in check(lambda s: float("nan"))
    assert (
        check(lambda s: 1 / 0) == f"❌ Not yet: {call} raised ZeroDivisionError: division by zero"
    )
    assert "still `...`" in check(...)
    assert "should be a function" in check(3)

    def hard_coded(sizes):  # right for the chapter's network only
        return 669706

    assert "count_parameters([64, 32, 10]) returned 669706, but" in check(hard_coded)
