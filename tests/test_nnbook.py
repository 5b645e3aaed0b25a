"""Unit tests of the helper package: one-line checker messages, chapter checkers, glue fallback."""

import builtins
import importlib

import numpy as np
import pytest
import torch

from nnbook.checks import (
    AnswerError,
    Verdict,
    checker,
    expect_callable,
    expect_close,
    expect_tensor,
)
from nnbook.exercises import neuron, template, tensors

GOOD = torch.zeros(2, 3)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (..., "`y` is still `...`: replace the `...` with your answer"),
        (None, "`y` is None: did a function forget to `return` its result?"),
        ([[0.0] * 3] * 2, "`y` is a Python list, not a tensor: wrap it in torch.tensor(...)"),
        ((1.0, 2.0), "`y` is a Python tuple, not a tensor"),
        (np.zeros((2, 3), dtype=np.float32), "`y` is a NumPy array, not a tensor"),
        ("0.0", "`y` should be a torch.Tensor, but it is a str"),
        (torch.zeros(3, 2), "`y` has shape (3, 2), but the expected shape is (2, 3)"),
        (
            torch.zeros(2, 3, dtype=torch.int64),
            "`y` has dtype torch.int64, but torch.float32 is expected",
        ),
        (torch.full((2, 3), float("nan")), "`y` contains NaN"),
    ],
    ids=["ellipsis", "none", "list", "tuple", "numpy", "str", "shape", "dtype", "nan"],
)
def test_expect_tensor_rejects_bad_answers_in_one_line(answer, message):
    with pytest.raises(AnswerError) as err:
        expect_tensor(answer, "y", shape=(2, 3), dtype=torch.float32)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_expect_tensor_accepts_a_good_answer():
    assert expect_tensor(GOOD, "y", shape=(2, 3), dtype=torch.float32) is GOOD


def test_expect_close_names_the_worst_entry():
    wrong = GOOD.clone()
    wrong[1, 2] = 0.5
    with pytest.raises(AnswerError, match=r"largest difference is 0.5 at index \(1, 2\)"):
        expect_close(wrong, GOOD, "y")
    expect_close(GOOD + 1e-7, GOOD, "y")


def test_expect_callable():
    with pytest.raises(AnswerError, match=r"still `\.\.\.`"):
        expect_callable(..., "f")
    with pytest.raises(AnswerError, match="should be a function, but it is a int"):
        expect_callable(3, "f")
    assert expect_callable(len, "f") is len


def test_checker_turns_outcomes_into_one_line_verdicts():
    @checker
    def check_positive(x):
        if x <= 0:
            raise AnswerError("x must be positive")
        return "well done"

    good, bad = check_positive(1), check_positive(-1)
    assert isinstance(good, Verdict) and good and repr(good) == "✅ Correct! well done"
    assert not bad and repr(bad) == "❌ Not yet: x must be positive"


# Each chapter checker: the reference answer passes, and typical mistakes get a useful message.
X = torch.arange(12.0).reshape(4, 3)
W = torch.tensor([[1.0, -1.0], [0.5, 2.0], [-2.0, 0.0]])


def test_matmul_by_broadcasting_checker():
    assert tensors.check_matmul_by_broadcasting(X @ W, X, W)
    verdict = tensors.check_matmul_by_broadcasting((X[:, :, None] * W).sum(dim=2), X, W)
    assert not verdict and "shape (4, 3)" in repr(verdict) and "(4, 2)" in repr(verdict)
    assert "still `...`" in repr(tensors.check_matmul_by_broadcasting(..., X, W))
    assert "largest difference" in repr(tensors.check_matmul_by_broadcasting(X @ W + 1, X, W))


def test_independent_copy_checker():
    a = np.linspace(0.0, 1.0, 6).reshape(2, 3)
    assert tensors.check_independent_copy(torch.tensor(a), a)
    assert "shares memory" in repr(tensors.check_independent_copy(torch.from_numpy(a), a))
    assert "dtype torch.float32" in repr(tensors.check_independent_copy(torch.tensor(a).float(), a))
    assert "NumPy array" in repr(tensors.check_independent_copy(a.copy(), a))
    assert "different values" in repr(tensors.check_independent_copy(torch.tensor(a) * 2, a))


def test_and_neuron_checker_accepts_every_valid_answer_and_explains_a_wrong_one():
    assert neuron.check_and_neuron(torch.tensor([1.0, 1.0]), torch.tensor(-1.5))
    assert neuron.check_and_neuron(torch.tensor([0.5, 3.0]), torch.tensor(-3.2))
    verdict = neuron.check_and_neuron(torch.tensor([1.0, 1.0]), torch.tensor(-0.5))  # OR
    assert repr(verdict).startswith("❌ Not yet: for input [0, 1] the neuron computes z = 0.5")
    assert "dtype torch.int64" in repr(
        neuron.check_and_neuron(torch.tensor([1, 1]), torch.tensor(-1.5))
    )
    assert "shape (1,)" in repr(
        neuron.check_and_neuron(torch.tensor([1.0, 1.0]), torch.tensor([-1.5]))
    )


def test_two_layer_forward_checker():
    gen = torch.Generator().manual_seed(0)
    Xb, W1, b1 = torch.randn(5, 3, generator=gen), torch.randn(3, 2, generator=gen), torch.zeros(2)
    W2, b2 = torch.randn(2, 1, generator=gen), torch.zeros(1)
    y_hat = torch.sigmoid(torch.sigmoid(Xb @ W1 + b1) @ W2 + b2)
    assert neuron.check_two_layer_forward(y_hat, Xb, W1, b1, W2, b2)
    no_activation = (Xb @ W1 + b1) @ W2 + b2
    assert "largest difference" in repr(
        neuron.check_two_layer_forward(no_activation, Xb, W1, b1, W2, b2)
    )
    assert "is None" in repr(neuron.check_two_layer_forward(None, Xb, W1, b1, W2, b2))


def test_template_checker():
    assert template.check_row_means(X.mean(dim=1), X)
    assert "shape (3,)" in repr(template.check_row_means(X.mean(dim=0), X))


def test_glue_without_myst_nb_displays_or_stays_silent(monkeypatch, capsys):
    """In Colab or a bare Jupyter, myst-nb may be missing; glue must still work."""
    real_import = builtins.__import__

    def no_myst_nb(name, *args, **kwargs):
        if name.startswith("myst_nb"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    import nnbook.gluing

    monkeypatch.setattr(builtins, "__import__", no_myst_nb)
    fallback = importlib.reload(nnbook.gluing)
    try:
        assert fallback._myst_glue is None
        fallback.glue("quiet", 1.5)
        fallback.glue("shown", 2.5, display=True)
        assert capsys.readouterr().out.strip() == "2.5"
        with pytest.raises(ValueError, match="must be a Python identifier"):
            fallback.glue("not valid", 1)
    finally:
        monkeypatch.undo()
        importlib.reload(nnbook.gluing)


def test_glued_strings_dtypes_and_devices_print_without_quotes():
    from nnbook.gluing import Text

    assert repr(Text("float32")) == "float32"
    assert repr(Text(torch.float32)) == "torch.float32"
    assert repr(Text(torch.device("cpu"))) == "cpu"
