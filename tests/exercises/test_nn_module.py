"""The checkers of book/nn_module.md accept every valid answer and explain wrong ones."""

import torch
from torch import nn

from nnbook.exercises import nn_module
from tests.exercises.verdicts import rejected


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

    assert "returned None: does forward end with `return logits`?" in verdict_of(
        Starter
    )

    class ReturnsTuple(TinyNet):
        def forward(self, x):
            return super().forward(x), 0

    assert "returned a tuple, but forward should return one tensor" in verdict_of(
        ReturnsTuple
    )

    five_classes = sequential_net(
        nn.Flatten, linear_64_32, nn.ReLU, lambda: nn.Linear(32, 5)
    )
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
            self.layers = [
                nn.Flatten(),
                nn.Linear(64, 32),
                nn.ReLU(),
                nn.Linear(32, 10),
            ]

        def forward(self, x):
            for layer in self.layers:
                x = layer(x)
            return x

    assert "no registered parameters" in verdict_of(PlainList)
    assert "plain Python list" in verdict_of(PlainList)


def test_tiny_net_checker_detects_a_final_activation():
    final_relu = sequential_net(
        nn.Flatten, linear_64_32, nn.ReLU, linear_32_10, nn.ReLU
    )
    message = verdict_of(final_relu)
    assert message.startswith(
        "❌ Not yet: none of the 640 outputs for a random batch is negative"
    )
    assert "(it calls ReLU() after the last Linear layer)" in message

    class FunctionalReLU(TinyNet):
        def forward(self, x):
            return torch.relu(super().forward(x))

    assert "activation such as ReLU: return the logits" in verdict_of(FunctionalReLU)

    final_softmax = sequential_net(
        nn.Flatten, linear_64_32, nn.ReLU, linear_32_10, lambda: nn.Softmax(dim=1)
    )
    assert "every row of the output sums to 1" in verdict_of(final_softmax)

    final_tanh = sequential_net(
        nn.Flatten, linear_64_32, nn.ReLU, linear_32_10, nn.Tanh
    )
    assert verdict_of(final_tanh) == (
        "❌ Not yet: TinyNet changes the output of its last Linear layer (it calls Tanh() after the "
        "last Linear layer): return the logits of the last Linear layer, with no activation after it"
    )


def test_tiny_net_checker_detects_a_missing_hidden_activation():
    linear_only = sequential_net(nn.Flatten, linear_64_32, linear_32_10)
    assert "linear (affine) map of its input" in verdict_of(linear_only)
    assert "put an nn.ReLU() between them" in verdict_of(linear_only)


class Puzzle(nn.Module):
    """The chapter's module: parameters in attributes, a ModuleList of Sequentials, and two traps."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Linear(6, 4)
        self.blocks = nn.ModuleList(
            [nn.Sequential(nn.ReLU(), nn.Linear(4, 4)) for _ in range(2)]
        )
        self.helpers = [nn.Linear(4, 4)]  # a plain list: not registered
        self.head = nn.Linear(4, 3, bias=False)
        self.scale = torch.ones(3)  # a plain tensor: not a parameter


def true_shapes() -> dict:
    return {name: tuple(p.shape) for name, p in Puzzle().named_parameters()}


def test_param_shapes_checker_accepts_every_valid_answer():
    assert true_shapes() == nn_module.PUZZLE_SHAPES, (
        "the checker knows the chapter's module"
    )
    assert nn_module.check_param_shapes(true_shapes())
    as_sizes = {name: p.shape for name, p in Puzzle().named_parameters()}  # torch.Size
    assert nn_module.check_param_shapes(as_sizes)
    as_lists = {name: list(shape) for name, shape in reversed(true_shapes().items())}
    assert nn_module.check_param_shapes(as_lists)
    verdict = repr(nn_module.check_param_shapes(true_shapes()))
    assert "7 parameters, 80 numbers" in verdict


def test_param_shapes_checker_explains_wrong_answers():
    def message(answer) -> str:
        return rejected(nn_module.check_param_shapes(answer))

    def changed(**entries) -> dict:
        shapes = true_shapes()
        for key, value in entries.items():
            name = key.replace("__", ".")
            if value is None:
                del shapes[name]
            else:
                shapes[name] = value
        return shapes

    assert "not registered" in message(changed(helpers__0__weight=(4, 4)))
    assert "plain tensor attribute is not a parameter" in message(changed(scale=(3,)))
    assert "bias=False" in message(changed(head__bias=(3,)))
    assert "index 0 of each block is the nn.ReLU" in message(
        changed(blocks__0__0__weight=(4, 4))
    )
    assert "blocks.<i>.<j>.weight" in message(changed(blocks__1__weight=(4, 4)))
    assert "no parameter of that name" in message(changed(embed__weights=(4, 6)))
    assert "1 parameter(s) are missing, for example 'embed.bias'" in message(
        changed(embed__bias=None)
    )
    no_blocks = {
        name: s for name, s in true_shapes().items() if not name.startswith("blocks")
    }
    assert "inside an nn.ModuleList are registered" in message(no_blocks)
    assert "stores its weight as (out, in)" in message(changed(embed__weight=(6, 4)))
    assert "'head.weight' has shape (3, 4), not (4, 3)" in message(
        changed(head__weight=(4, 3))
    )
    assert "'embed.bias' does not have shape (6,)" in message(changed(embed__bias=(6,)))
    assert "should be a tuple of ints" in message(changed(embed__bias="4"))
    assert "should be a tuple of ints" in message(changed(embed__bias=(4.0,)))
    assert "should be a dict" in message(list(true_shapes()))
    assert "one key is 3" in message({3: (4,)})
    assert "still `...`" in message(...)
    assert "is None" in message(None)
