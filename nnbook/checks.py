"""The machinery behind every self-checking exercise.

A chapter's checker is a function decorated with `@checker`. It validates the reader's answer with
`expect_tensor` (and friends), compares it with the reference, and raises `AnswerError` with a
one-line reason when something is off. The decorator turns that into a `Verdict`: it displays as a
single line (✅ or ❌ and why) and is truthy only for a correct answer, so the book's hidden cells
can `assert check_something(reference_solution)`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import torch


class AnswerError(ValueError):
    """An exercise answer is malformed or wrong; the message says what to fix, in one line."""


@dataclass(frozen=True)
class Verdict:
    """The outcome of a check: truthy when correct, shown as one line in a notebook."""

    ok: bool
    message: str

    def __bool__(self) -> bool:
        return self.ok

    def __repr__(self) -> str:
        return self.message


def checker(fn: Callable[..., str | None]) -> Callable[..., Verdict]:
    """Wrap `fn(answer, ...)`, which returns an optional note or raises AnswerError, as a checker."""

    @functools.wraps(fn)
    def check(*args, **kwargs) -> Verdict:
        try:
            note = fn(*args, **kwargs)
        except AnswerError as err:
            return Verdict(False, f"❌ Not yet: {err}")
        return Verdict(True, "✅ Correct!" + (f" {note}" if note else ""))

    return check


def _shape(shape) -> tuple[int, ...]:
    return tuple(int(n) for n in shape)


def expect_tensor(
    answer: object,
    name: str,
    *,
    shape: tuple[int, ...] | torch.Size | None = None,
    dtype: torch.dtype | None = None,
) -> torch.Tensor:
    """Return `answer` if it is a usable tensor of the given shape and dtype; else raise AnswerError."""
    if answer is Ellipsis:
        raise AnswerError(
            f"`{name}` is still `...`: replace the `...` with your answer and run the cell"
        )
    if answer is None:
        raise AnswerError(f"`{name}` is None: did a function forget to `return` its result?")
    if isinstance(answer, (list, tuple)):
        raise AnswerError(
            f"`{name}` is a Python {type(answer).__name__}, not a tensor: wrap it in torch.tensor(...)"
        )
    if type(answer).__module__ == "numpy":
        raise AnswerError(
            f"`{name}` is a NumPy array, not a tensor: convert it with torch.from_numpy(...)"
        )
    if not isinstance(answer, torch.Tensor):
        raise AnswerError(f"`{name}` should be a torch.Tensor, but it is a {type(answer).__name__}")
    if shape is not None and _shape(answer.shape) != _shape(shape):
        raise AnswerError(
            f"`{name}` has shape {_shape(answer.shape)}, but the expected shape is {_shape(shape)}"
        )
    if dtype is not None and answer.dtype != dtype:
        raise AnswerError(
            f"`{name}` has dtype {answer.dtype}, but {dtype} is expected: try .to({dtype})"
        )
    if answer.is_floating_point() and torch.isnan(answer).any():
        raise AnswerError(
            f"`{name}` contains NaN: look for a division by zero or log of a negative number"
        )
    return answer


def expect_close(
    answer: torch.Tensor,
    expected: torch.Tensor,
    name: str,
    *,
    atol: float = 1e-5,
    rtol: float = 1e-5,
) -> None:
    """Raise AnswerError naming the worst entry if `answer` and `expected` differ beyond tolerance."""
    answer = answer.detach().to("cpu", expected.dtype)
    expected = expected.detach().cpu()
    if torch.allclose(answer, expected, atol=atol, rtol=rtol):
        return
    diff = (answer - expected).abs()
    worst = tuple(int(i) for i in torch.unravel_index(diff.argmax(), diff.shape))
    raise AnswerError(
        f"`{name}` differs from the expected values; the largest difference is {diff.max().item():.4g} "
        f"at index {worst} (yours {answer[worst].item():.4g}, expected {expected[worst].item():.4g})"
    )


def one_line_error(err: BaseException, limit: int = 160) -> str:
    """`TypeName: first line of the message`, short enough for a one-line verdict."""
    lines = str(err).strip().splitlines()
    first = lines[0].strip() if lines else ""
    if len(first) > limit:
        first = first[: limit - 3] + "..."
    return f"{type(err).__name__}: {first}" if first else type(err).__name__


def call_answer(fn: Callable, name: str, label: str, *args):
    """Call the reader's function on copies of `args`; an exception becomes a one-line AnswerError."""
    try:
        return fn(*(a.clone() if isinstance(a, torch.Tensor) else a for a in args))
    except Exception as err:  # the reader's code may raise anything
        kind, _, message = one_line_error(err).partition(": ")
        detail = f": {message}" if message else ""
        raise AnswerError(f"`{name}` raised {kind} on {label}{detail}") from None


def expect_callable(answer: object, name: str) -> Callable:
    """Return `answer` if it can be called, else raise AnswerError."""
    if answer is Ellipsis or answer is None:
        expect_tensor(answer, name)  # same messages for `...` and None
    if not callable(answer):
        raise AnswerError(f"`{name}` should be a function, but it is a {type(answer).__name__}")
    return answer
