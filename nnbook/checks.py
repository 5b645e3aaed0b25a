"""The machinery behind every self-checking exercise.

A chapter's checker is a function decorated with `@checker`. It validates the reader's answer with
`expect_tensor` (and friends), compares it with the reference, and raises `AnswerError` with a
one-line reason when something is off. The decorator turns that into a `Verdict`: it displays as a
single line (✅ or ❌ and why) and is truthy only for a correct answer, so the book's hidden cells
can `assert check_something(reference_solution)`.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import math
import numbers
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
            return Verdict(False, f"❌ Not yet: {_one_line(str(err))}")
        except Exception as err:  # arguments the checker cannot use: still one line
            return Verdict(
                False,
                f"❌ Not yet: {CANNOT_USE} ({one_line_error(err)}): pass the values the "
                "exercise asks for",
            )
        return Verdict(True, "✅ Correct!" + (f" {_one_line(note)}" if note else ""))

    return check


CANNOT_USE = "the checker could not use these arguments"
# No answer in the book comes near this many elements; a bigger tensor is a slip, or an expanded
# view (`expand` makes one of any size without memory) that a check must not materialise.
MAX_ELEMENTS = 10**8


def _one_line(text: str) -> str:
    return " ".join(text.split())


def readable(tensor: torch.Tensor) -> bool:
    """True unless reading the tensor's values fails or takes too much memory: meta, sparse,
    or more than MAX_ELEMENTS elements (`expect_tensor` says which, in its message)."""
    return (
        not tensor.is_meta
        and tensor.layout == torch.strided
        and tensor.numel() <= MAX_ELEMENTS
    )


def _usable(answer: torch.Tensor, name: str) -> None:
    """Raise AnswerError for a tensor whose values cannot be read cheaply."""
    if answer.is_meta:
        raise AnswerError(
            f"`{name}` is a meta tensor, which has a shape but no values: "
            "create it on a real device, such as device='cpu'"
        )
    if answer.layout != torch.strided:
        raise AnswerError(
            f"`{name}` has layout {answer.layout}, but a dense tensor is expected: "
            "convert it with .to_dense()"
        )


def _shape(shape) -> tuple[int, ...]:
    return tuple(int(n) for n in shape)


def expect_tensor(
    answer: object,
    name: str,
    *,
    shape: tuple[int, ...] | torch.Size | None = None,
    dtype: torch.dtype | None = None,
    finite: bool = True,
) -> torch.Tensor:
    """Return `answer` if it is a usable tensor of the given shape and dtype; else raise AnswerError.

    A meta or sparse tensor, one of more than MAX_ELEMENTS elements, NaN and (unless
    `finite=False`) infinity are rejected too.
    """
    if answer is Ellipsis:
        raise AnswerError(
            f"`{name}` is still `...`: replace the `...` with your answer and run the cell"
        )
    if answer is None:
        raise AnswerError(
            f"`{name}` is None: did a function forget to `return` its result?"
        )
    if isinstance(answer, (list, tuple)):
        raise AnswerError(
            f"`{name}` is a Python {type(answer).__name__}, not a tensor: wrap it in torch.tensor(...)"
        )
    if type(answer).__module__ == "numpy":
        raise AnswerError(
            f"`{name}` is a NumPy array, not a tensor: convert it with torch.from_numpy(...)"
        )
    if not isinstance(answer, torch.Tensor):
        raise AnswerError(
            f"`{name}` should be a torch.Tensor, but it is a {type(answer).__name__}"
        )
    _usable(answer, name)
    if shape is not None and _shape(answer.shape) != _shape(shape):
        raise AnswerError(
            f"`{name}` has shape {_shape(answer.shape)}, but the expected shape is {_shape(shape)}"
        )
    if dtype is not None and answer.dtype != dtype:
        raise AnswerError(
            f"`{name}` has dtype {answer.dtype}, but {dtype} is expected: try .to({dtype})"
        )
    if answer.numel() > MAX_ELEMENTS:
        raise AnswerError(
            f"`{name}` has shape {_shape(answer.shape)}, {answer.numel():,} elements, far "
            "more than any answer here"
        )
    inexact = answer.is_floating_point() or answer.is_complex()
    if inexact and torch.isnan(answer).any():
        raise AnswerError(
            f"`{name}` contains NaN: look for a division by zero or log of a negative number"
        )
    if finite and torch.isinf(answer).any():
        raise AnswerError(
            f"`{name}` contains inf: look for an overflow, or a division by zero"
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


def expect_number(
    answer: object,
    name: str,
    *,
    integer: bool = False,
    positive: bool = False,
    hint: str = "",
    nonfinite: str = "look for a division by zero",
) -> float:
    """Return `answer` as a float if it is one finite real number; else raise AnswerError.

    A Python or NumPy number and a one-element tensor all count. `integer=True` also demands a whole
    number (returned as an int), `positive=True` a number above 0. `hint` ends the message for an
    answer that is not one number (say "did you forget .mean()?"), and `nonfinite` the message for
    NaN or infinity. A string (a NumPy one too), a meta or sparse tensor, and a number beyond a
    float's range, such as 10**400, get a one-line message as well.
    """
    hint = f": {hint}" if hint else ""
    if answer is Ellipsis or answer is None:
        expect_tensor(answer, name)  # the standard messages for `...` and None
    # A str or bytes, np.str_ too, which NumPy's .item() would unwrap
    if isinstance(answer, (str, bytes)):
        kind = "str" if isinstance(answer, str) else "bytes"
        raise AnswerError(f"`{name}` is a {kind}, but it should be one number{hint}")
    is_numpy = type(answer).__module__ == "numpy"
    if isinstance(answer, torch.Tensor):
        _usable(answer, name)
    if isinstance(answer, torch.Tensor) and answer.numel() == 1:
        if answer.dtype == torch.bool or answer.is_complex():
            raise AnswerError(
                f"`{name}` has dtype {answer.dtype}, but a real number is expected"
            )
        answer = answer.item()
    elif is_numpy and getattr(answer, "size", 0) == 1:
        answer = answer.item()  # a NumPy scalar or one-element array
    if isinstance(answer, bool):
        raise AnswerError(f"`{name}` is a bool, but a number is expected")
    if not isinstance(answer, numbers.Real):
        if isinstance(answer, torch.Tensor):
            what = f"a tensor of shape {tuple(answer.shape)}"
        elif is_numpy:
            what = f"a NumPy array of shape {tuple(answer.shape)}"
        else:
            what = f"a {type(answer).__name__}"
        raise AnswerError(f"`{name}` is {what}, but it should be one number{hint}")
    try:
        value = float(answer)
    except OverflowError:  # an int or Fraction beyond a float's range, such as 10**400
        raise AnswerError(f"`{name}` is too large to be a float: {nonfinite}") from None
    if not math.isfinite(value):
        raise AnswerError(
            f"`{name}` is {'NaN' if math.isnan(value) else value}: {nonfinite}"
        )
    if positive and value <= 0:
        raise AnswerError(f"`{name}` is {value:g}, but it must be a positive number")
    if integer:
        if not value.is_integer():
            raise AnswerError(f"`{name}` is {value:g}, but it should be a whole number")
        return int(value)
    return value


def close(answer, expected, *, atol: float = 1e-5, rtol: float = 1e-5) -> bool:
    """True when two tensors (or numbers) have the same shape and agree within tolerance.

    Both are compared on the CPU in float64, so a float32 answer on a GPU is compared fairly.
    """
    if any(isinstance(x, torch.Tensor) and not readable(x) for x in (answer, expected)):
        return False
    a, b = (
        torch.as_tensor(x).detach().to("cpu", torch.float64) for x in (answer, expected)
    )
    return a.shape == b.shape and torch.allclose(a, b, atol=atol, rtol=rtol)


def explain_slip(
    value: float,
    name: str,
    slips,
    *,
    atol: float = 1e-3,
    rtol: float = 0.0,
    fmt: str = ".4g",
) -> None:
    """For an answer worked out on paper: raise AnswerError with the reason of the first usual
    slip, `(wrong_value, reason)`, that `value` matches; return if it matches none."""
    for wrong, reason in slips:
        if abs(value - wrong) <= atol + rtol * abs(wrong):
            raise AnswerError(f"`{name}` is {value:{fmt}}: {reason}")


def one_line_error(err: BaseException, limit: int = 160) -> str:
    """`TypeName: first line of the message`, short enough for a one-line verdict."""
    lines = str(err).strip().splitlines()
    first = lines[0].strip() if lines else ""
    if len(first) > limit:
        first = first[: limit - 3] + "..."
    return f"{type(err).__name__}: {first}" if first else type(err).__name__


@contextlib.contextmanager
def reader_code(call: str, where: str = "", hints: dict[str, str] | None = None):
    """Run the reader's code inside `with reader_code("f(x)"):`. Any exception it raises, even
    SystemExit, becomes a one-line AnswerError, "f(x) raised TypeError: ...", or with `where`,
    "f raised TypeError on <where>: ...". When a key of `hints` occurs in the error message, its
    value is appended, to say what usually causes that error."""
    try:
        yield
    except AnswerError:
        raise  # the checker's own verdict, from inside the block
    except (Exception, SystemExit) as err:  # the reader's code may raise anything
        kind, _, detail = one_line_error(err).partition(": ")
        where = f" on {where}" if where else ""
        detail = f": {detail}" if detail else ""
        hint = next((h for key, h in (hints or {}).items() if key in str(err)), "")
        raise AnswerError(f"{call} raised {kind}{where}{detail}{hint}") from None


def call_answer(fn: Callable, name: str, label: str, *args):
    """Call the reader's function on copies of `args`; an exception becomes a one-line AnswerError."""
    with reader_code(f"`{name}`", where=label):
        return fn(*(a.clone() if isinstance(a, torch.Tensor) else a for a in args))


def expect_callable(answer: object, name: str) -> Callable:
    """Return `answer` if it can be called, else raise AnswerError."""
    if answer is Ellipsis or answer is None:
        expect_tensor(answer, name)  # same messages for `...` and None
    if not callable(answer):
        raise AnswerError(
            f"`{name}` should be a function, but it is a {type(answer).__name__}"
        )
    return answer


def expect_class(
    answer: object, name: str, check: str, base: type | None = None
) -> type:
    """Return `answer` if it is a class (a subclass of `base`, when given); else raise AnswerError.

    `check` is the checker's name: an instance of the class gets "pass the class itself, check(Net),
    not an instance, check(Net())".
    """
    if answer is Ellipsis or answer is None:
        expect_tensor(answer, name)  # same messages for `...` and None
    if not inspect.isclass(answer):
        made_from_a_class = type(
            answer
        ).__module__ != "builtins" and not inspect.isroutine(answer)
        if made_from_a_class or (base is not None and isinstance(answer, base)):
            raise AnswerError(
                f"pass the class itself, {check}({name}), not an instance, {check}({name}(...))"
            )
        raise AnswerError(
            f"`{name}` should be a class, `class {name}: ...`, but it is a {type(answer).__name__}"
        )
    if base is not None and not issubclass(answer, base):
        torch_nn = base.__module__.startswith("torch.nn")
        # as the chapters write it
        parent = f"nn.{base.__name__}" if torch_nn else base.__name__
        raise AnswerError(
            f"`{name}` must subclass {parent}: write `class {name}({parent}):`"
        )
    return answer
