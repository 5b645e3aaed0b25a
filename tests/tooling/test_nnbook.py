"""Unit tests of the helper package: one-line checker messages, verdicts, glue fallback.

Each chapter's own checkers are tested in tests/test_exercises_<chapter>.py.
"""

import ast
import builtins
import importlib
import re
import sys

import numpy as np
import pytest
import torch

from bookkit.typeset import number
from nnbook.checks import (
    AnswerError,
    Verdict,
    checker,
    expect_callable,
    expect_close,
    expect_number,
    expect_tensor,
)
from tests.booklib import ROOT

GOOD = torch.zeros(2, 3)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (..., "`y` is still `...`: replace the `...` with your answer"),
        (None, "`y` is None: did a function forget to `return` its result?"),
        (
            [[0.0] * 3] * 2,
            "`y` is a Python list, not a tensor: wrap it in torch.tensor(...)",
        ),
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
    with pytest.raises(
        AnswerError, match=r"largest difference is 0.5 at index \(1, 2\)"
    ):
        expect_close(wrong, GOOD, "y")
    expect_close(GOOD + 1e-7, GOOD, "y")


@pytest.mark.parametrize(
    ("answer", "kwargs", "message"),
    [
        (..., {}, "`x` is still `...`"),
        (None, {}, "`x` is None"),
        ([1.0], {}, "`x` is a list, but it should be one number"),
        (
            np.zeros(2),
            {},
            "`x` is a NumPy array of shape (2,), but it should be one number",
        ),
        ("1", {}, "`x` is a str, but it should be one number"),
        (True, {}, "`x` is a bool, but a number is expected"),
        (
            torch.zeros(3),
            {},
            "`x` is a tensor of shape (3,), but it should be one number",
        ),
        (torch.zeros(3), {"hint": "take the mean"}, "one number: take the mean"),
        (
            torch.tensor(True),
            {},
            "`x` has dtype torch.bool, but a real number is expected",
        ),
        (float("nan"), {}, "`x` is NaN: look for a division by zero"),
        (
            float("inf"),
            {"nonfinite": "lower the learning rate"},
            "`x` is inf: lower the learning rate",
        ),
        (0.0, {"positive": True}, "`x` is 0, but it must be a positive number"),
        (2.5, {"integer": True}, "`x` is 2.5, but it should be a whole number"),
    ],
    ids=[
        "ellipsis",
        "none",
        "list",
        "numpy",
        "str",
        "bool",
        "vector",
        "hint",
        "bool-tensor",
        "nan",
        "inf",
        "not-positive",
        "not-whole",
    ],
)
def test_expect_number_rejects_bad_answers_in_one_line(answer, kwargs, message):
    with pytest.raises(AnswerError) as err:
        expect_number(answer, "x", **kwargs)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    ("answer", "kwargs", "expected"),
    [
        (3, {}, 3.0),
        (np.float32(0.5), {}, 0.5),
        (torch.tensor([[2.0]]), {}, 2.0),
        (torch.tensor(4), {"integer": True, "positive": True}, 4),
        (7.0, {"integer": True}, 7),
    ],
)
def test_expect_number_accepts_numbers_and_one_element_tensors(
    answer, kwargs, expected
):
    value = expect_number(answer, "x", **kwargs)
    assert value == expected and type(value) is type(expected)


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


def referenced_names(tree: ast.AST) -> set[str]:
    """The names that a module's code uses, as `f` or `module.f`; comments and strings do not count."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, ast.Name):
            names.add(node.id)
    return names


@pytest.mark.parametrize(
    "module",
    sorted((ROOT / "nnbook" / "exercises").glob("[!_]*.py")),
    ids=lambda p: p.stem,
)
def test_every_checker_is_called_by_its_unit_tests(module):
    """nnbook/exercises/<chapter>.py is tested by tests/exercises/test_<chapter>.py: the code there
    uses each of its checkers (a mention in a comment or a string does not count)."""
    tests = ROOT / "tests" / "exercises" / f"test_{module.stem}.py"
    assert tests.is_file(), (
        f"{module.name} has no unit tests: create {tests.relative_to(ROOT)}"
    )
    checkers = re.findall(
        r"^def (check_\w+)", module.read_text(encoding="utf-8"), flags=re.M
    )
    used = referenced_names(ast.parse(tests.read_text(encoding="utf-8")))
    untested = [name for name in checkers if name not in used]
    assert not untested, f"the code of {tests.name} never uses {untested}"


@pytest.mark.parametrize(
    "code, message",
    [
        (lambda x: sys.exit(3), "`f` raised SystemExit on x = 1: 3"),
        (lambda x: 1 / 0, "`f` raised ZeroDivisionError on x = 1: division by zero"),
    ],
)
def test_call_answer_turns_anything_the_reader_raises_into_one_line(code, message):
    from nnbook.checks import AnswerError, call_answer

    with pytest.raises(AnswerError) as caught:
        call_answer(code, "f", "x = 1", 1)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("text", "typeset"),
    [
        ("-0.7000", "−0.7000"),
        ("2.39e-04", "2.39 × 10⁻⁴"),
        ("3.4e+38", "3.4 × 10³⁸"),
        ("1e-08", "10⁻⁸"),
        ("-1.5e+00", "−1.5"),
        ("60000", "60,000"),
        ("60,000", "60,000"),
        ("1234.5", "1,234.5"),
        ("999", "999"),
        ("12.5%", "12.5%"),
        ("-3.2%", "−3.2%"),
        ("float32", "float32"),
        ("torch.Size([3, 4])", "torch.Size([3, 4])"),
        ("cpu", "cpu"),
        ("1e5 steps", "1e5 steps"),
    ],
)
def test_glued_numbers_are_typeset_and_other_text_is_left_alone(text, typeset):
    assert number(text) == typeset
