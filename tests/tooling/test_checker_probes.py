"""Every checker answers every input with a one-line verdict, and accepts no broken one.

Hypothesis feeds each `check_*` function of `nnbook.exercises` inputs that a reader can make by
accident (a meta or sparse tensor, inf or NaN, a huge expanded view, 10**400, a NumPy string,
None, a string, a wrong dtype or shape) in every argument position, also as what a function
answer returns. A checker signals its verdict by returning a `Verdict`; the `@checker` decorator
turns the book's `AnswerError` into one, so any exception that escapes is a gap.
"""

import importlib
import inspect
import math
import pkgutil
import re

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nnbook.exercises
from nnbook import checks
from nnbook.exercises import fashion_mnist, loss_functions, neuron, tensors
from tests.exercises.verdicts import rejected

CHECKERS = sorted(
    (
        (f"{info.name}.{name}", fn)
        for info in pkgutil.iter_modules(nnbook.exercises.__path__)
        for name, fn in vars(
            importlib.import_module(f"nnbook.exercises.{info.name}")
        ).items()
        if name.startswith("check_") and callable(fn)
    ),
    key=lambda item: item[0],
)
SHAPES = [(), (1,), (2,), (4,), (3, 4), (4, 2), (2, 1, 4, 4), (0,)]
HUGE = [
    torch.zeros(1).expand(10**13),
    torch.zeros(1, 1).expand(10**7, 10**6),
    torch.ones(()).expand(4, 10**12),
]


def _broken_tensors(shape):
    """Tensors of `shape` that no checker may accept."""
    dense = torch.rand(shape) + 0.5
    made = [
        torch.empty(shape, device="meta"),
        torch.full(shape, math.inf),
        torch.full(shape, -math.inf),
        torch.full(shape, math.nan),
        torch.zeros(shape, dtype=torch.complex64),
        torch.ones(shape, dtype=torch.bool),
        dense.to(torch.float16).to("meta"),
    ]
    if dense.dim() > 0:
        made.append(dense.to_sparse())
    if shape != (0,):
        made += [
            torch.full(shape, math.inf, dtype=torch.float64),
            dense[..., None, None],
        ]
    return made


BROKEN = [
    *(t for shape in SHAPES for t in _broken_tensors(shape)),
    10**400,
    -(10**400),
    np.str_("0.5"),
    np.float64(math.inf),
    np.array([math.nan]),
    "0.5",
    "abc",
    None,
    ...,
    [math.inf],
    float("inf"),
    float("nan"),
]


def _returning(value):
    def answer(*args, **kwargs):
        return value

    return answer


def _like_first_tensor(make):
    """A function answer whose output has the shape of its first tensor input, but is broken."""

    def answer(*args, **kwargs):
        x = next((a for a in args if isinstance(a, torch.Tensor)), torch.zeros(3))
        return make(x)

    return answer


SHAPED = [
    lambda x: torch.empty_like(x, device="meta"),
    lambda x: torch.full_like(x, math.inf, dtype=torch.float32),
    lambda x: torch.full_like(x, math.nan, dtype=torch.float32),
    lambda x: x.to_sparse() if x.dim() else x.to("meta"),
    lambda x: torch.zeros(1).expand(10**13),
]
broken = st.one_of(
    st.sampled_from(BROKEN),
    st.sampled_from(BROKEN).map(_returning),
    st.sampled_from(SHAPED[:-1]).map(_like_first_tensor),
)
# Huge views only as the answer (the first argument): a chapter never passes one as the
# context of a checker, which would compute with it, and a checker rejects one before using it.
huge_answer = st.one_of(
    st.sampled_from(HUGE),
    st.sampled_from(HUGE).map(_returning),
    st.just(_like_first_tensor(SHAPED[-1])),
)
# What a chapter passes as a context argument, and a reader as a number: may be right, never fatal.
plain = st.one_of(
    st.floats(-3, 3),
    st.integers(-3, 12),
    st.sampled_from(SHAPES).map(lambda shape: torch.rand(shape) - 0.5),
)
SAFETY_NET = "the checker could not use these arguments"


def _parameters(fn):
    return list(inspect.signature(fn).parameters.values())


@pytest.mark.parametrize("name, fn", CHECKERS, ids=[name for name, _ in CHECKERS])
@settings(
    max_examples=10,
    deadline=None,
    derandomize=True,  # the same examples on every run, and nothing written to .hypothesis/
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_every_checker_gives_a_one_line_verdict_and_accepts_nothing_broken(
    name, fn, data, capsys
):
    params = _parameters(fn)
    required = [p for p in params if p.default is inspect.Parameter.empty]
    spoilt = data.draw(st.sampled_from(params), label="spoilt position")
    args, kwargs = [], {}
    for param in params:
        if param is spoilt:
            answer = param is params[0]
            value = data.draw(
                st.one_of(broken, huge_answer) if answer else broken, label=param.name
            )
        elif param in required:
            value = data.draw(st.one_of(plain, broken), label=param.name)
        else:
            continue
        if param in required:
            args.append(value)
        else:
            kwargs[param.name] = value
    verdict = fn(*args, **kwargs)
    printed = capsys.readouterr()
    assert isinstance(verdict, checks.Verdict), f"{name} returned {verdict!r}"
    text = repr(verdict)
    assert re.fullmatch(r"❌ Not yet: [^\n]+", text), f"{name}: {text!r}"
    assert "Correct" not in printed.out + printed.err
    # no context: the answer alone is at fault
    if len(required) == 1 and len(params) == 1:
        assert SAFETY_NET not in text, f"{name} crashed on its answer: {text}"


def test_the_probe_covers_every_chapter_module():
    modules = {name.split(".")[0] for name, _ in CHECKERS}
    expected = {info.name for info in pkgutil.iter_modules(nnbook.exercises.__path__)}
    assert modules == expected - {"__init__"}
    assert len(CHECKERS) >= 50


INF = math.inf
X, W = torch.rand(3, 4), torch.rand(4, 2)


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: neuron.check_and_neuron(
                torch.tensor([INF, INF]), torch.tensor(0.0)
            ),
            "`w` contains inf",
        ),
        (
            lambda: neuron.check_and_neuron(torch.empty(2, device="meta"), -1.5),
            "`w` is a meta tensor, which has a shape but no values",
        ),
        (
            lambda: tensors.check_matmul_by_broadcasting((X @ W).to_sparse(), X, W),
            "`Y` has layout torch.sparse_coo, but a dense tensor is expected",
        ),
        (
            lambda: loss_functions.check_cross_entropy(_returning(HUGE[0])),
            "10,000,000,000,000 elements, far more than any answer here",
        ),
        (
            lambda: fashion_mnist.check_untrained_loss(10**400),
            "`expected_loss` is too large to be a float",
        ),
        (
            lambda: fashion_mnist.check_untrained_loss(np.str_("2.3")),
            "`expected_loss` is a str, but it should be one number",
        ),
        (
            lambda: fashion_mnist.check_untrained_loss(
                torch.tensor(2.3, device="meta")
            ),
            "`expected_loss` is a meta tensor",
        ),
    ],
)
def test_the_probes_of_the_tracker_get_their_own_one_line_verdict(call, message):
    text = rejected(call())
    assert message in text and checks.CANNOT_USE not in text, text


def test_a_python_number_is_a_bias():
    assert neuron.check_and_neuron(torch.tensor([1.0, 1.0]), -1.5)
    assert neuron.check_and_neuron(torch.tensor([1.0, 1.0]), np.float64(-1.5))
    assert "`b` is a str" in rejected(neuron.check_and_neuron(torch.ones(2), "-1.5"))


def test_an_unusable_argument_of_the_chapter_is_a_verdict_too():
    text = rejected(tensors.check_matmul_by_broadcasting(X @ W, X, "W"))
    assert text.startswith(f"❌ Not yet: {checks.CANNOT_USE} (TypeError: ")
