"""Checkers for the exercises of the chapter *Evaluating a model* (book/evaluation.md)."""

import math
import numbers

import torch

from nnbook.checks import (
    AnswerError,
    call_answer,
    checker,
    expect_callable,
    expect_number,
    expect_tensor,
)

# ---------------------------------------------------------------------------------------------
# Exercise 1: the highest decision threshold that reaches a target recall, and its precision.

PRECISION_TOL = 1e-4  # the precision is compared to four decimals


def _counts(
    scores: torch.Tensor, is_positive: torch.Tensor, threshold: float
) -> tuple[int, int]:
    """True and false positives when the scores >= threshold are flagged."""
    flagged = scores >= threshold
    return int((flagged & is_positive).sum()), int((flagged & ~is_positive).sum())


@checker
def check_threshold_for_recall(
    threshold, precision_at, scores, is_positive, target_recall=0.9
):
    """`threshold`: the highest t whose flags (scores >= t) reach `target_recall`; `precision_at`:
    the precision there.

    Every t that flags the same points as the highest such threshold is accepted, so a threshold
    just below it passes too. The usual slips (the target taken as a threshold, a threshold too low,
    recall or 1 - precision reported as the precision, `>` instead of `>=`) get their own reasons.
    """
    t = expect_number(threshold, "threshold")
    p = expect_number(precision_at, "precision_at", hint="the precision is one number")
    scores = torch.as_tensor(scores).detach().cpu().double()
    is_positive = torch.as_tensor(is_positive).detach().cpu().bool()
    num_positive, num_negative = int(is_positive.sum()), int((~is_positive).sum())
    # true positives the target needs
    needed = math.ceil(target_recall * num_positive - 1e-9)
    best = scores[is_positive].sort(descending=True).values[needed - 1].item()
    tp, fp = _counts(scores, is_positive, t)
    tp_best, fp_best = _counts(scores, is_positive, best)
    if tp < needed:
        hint = ""
        if abs(t - target_recall) < 1e-9:
            hint = " (the target recall is not a threshold on the scores)"
        raise AnswerError(
            f"with threshold {t:.4g}{hint}, the recall is {tp / num_positive:.4f}, below the "
            f"target {target_recall}: lower the threshold until {needed} of the {num_positive} "
            "positives are flagged"
        )
    if tp + fp > tp_best + fp_best:
        raise AnswerError(
            f"threshold {t:.4g} reaches the target recall, but so does the higher threshold "
            f"{best:.6g}, with {tp + fp - tp_best - fp_best} fewer points flagged: take the "
            "highest threshold that reaches the target"
        )
    precision = tp / (tp + fp)
    if abs(p - precision) <= PRECISION_TOL:
        return (
            f"Scores >= {best:.6g} find {tp} of the {num_positive} positives (recall "
            f"{tp / num_positive:.3f}) with a precision of {precision:.3f}: about "
            f"{fp / tp:.1f} false alarms for every true find."
        )
    tp_strict = int(((scores > t) & is_positive).sum())
    flagged_strict = int((scores > t).sum())
    reasons = [
        (
            tp / num_positive,
            "that is the recall; precision divides by the flagged points",
        ),
        (
            fp / (tp + fp),
            "that is 1 - precision, the fraction of false alarms among the flags",
        ),
        (
            fp / num_negative,
            "that is the false-positive rate; precision divides by the flagged",
        ),
        (
            tp / len(scores),
            "you divided by all the points; precision divides by the flagged ones",
        ),
        (
            tp_strict / max(flagged_strict, 1),
            "that counts scores > threshold; flag scores >= threshold, as the exercise says",
        ),
    ]
    for wrong, reason in reasons:
        if abs(p - wrong) <= PRECISION_TOL:
            raise AnswerError(f"`precision_at` is {p:.4f}: {reason}")
    raise AnswerError(
        f"at threshold {t:.4g}, {tp + fp} points are flagged and {tp} of them are positive, a "
        f"precision of {precision:.4f}, but `precision_at` is {p:.4f}"
    )


# ---------------------------------------------------------------------------------------------
# Exercise 2: the validation error of a least-squares polynomial of a given degree.

# The checker's own data: 12 equally spaced training points and 50 random validation points of a
# noisy cosine, in float64. DEGREES are the degrees on which the reader's function is run, in
# this order: degree 2 first, so that an off-by-one in the powers is named before degree 0 hits it.
POLY_NUM_TRAIN, POLY_NUM_VAL = 12, 50
DEGREES = (2, 5, 0)


def poly_data() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """x_train, y_train, x_val, y_val for check_val_error, all 1-d float64 tensors on the CPU."""
    gen = torch.Generator().manual_seed(0)
    x_train = torch.linspace(-1, 1, POLY_NUM_TRAIN, dtype=torch.float64)
    noise = torch.randn(POLY_NUM_TRAIN, generator=gen, dtype=torch.float64)
    y_train = torch.cos(2 * x_train) + 0.1 * noise
    x_val = torch.rand(POLY_NUM_VAL, generator=gen, dtype=torch.float64) * 2 - 1
    noise = torch.randn(POLY_NUM_VAL, generator=gen, dtype=torch.float64)
    y_val = torch.cos(2 * x_val) + 0.1 * noise
    return x_train, y_train, x_val, y_val


def _fit_and_errors(
    degree: int, x_fit, y_fit, x_eval, y_eval, squeeze=True
) -> torch.Tensor:
    """Squared errors on (x_eval, y_eval) of the least-squares polynomial fitted to (x_fit, y_fit).

    With squeeze=False, the predictions keep their shape (N, 1), and subtracting the targets (N,)
    broadcasts to the (N, N) table that a forgotten squeeze gives.
    """
    powers = torch.arange(degree + 1, dtype=torch.float64)
    w = torch.linalg.lstsq(x_fit.unsqueeze(1) ** powers, y_fit.unsqueeze(1)).solution
    y_hat = x_eval.unsqueeze(1) ** powers @ w
    return ((y_hat.squeeze(1) if squeeze else y_hat) - y_eval) ** 2


def _as_number(out: object, label: str, n_val: int) -> float:
    """The reader's result as a float, with specific messages for the shapes of the usual mistakes."""
    if isinstance(out, numbers.Real) and not isinstance(out, bool):
        return float(out)
    out = expect_tensor(out, label)
    shape = tuple(out.shape)
    if shape in {(n_val,), (n_val, 1)}:
        raise AnswerError(
            f"`{label}` has shape {shape}, one squared error per validation point; the mean "
            "squared error is their mean, one number"
        )
    if shape == (n_val, n_val):
        raise AnswerError(
            f"`{label}` has shape {shape}: predictions of shape ({n_val}, 1) minus targets of shape "
            f"({n_val},) broadcast to a table; squeeze the predictions to shape ({n_val},) first"
        )
    if out.numel() != 1:
        raise AnswerError(
            f"`{label}` has shape {shape}, but the mean squared error is one number"
        )
    if not out.is_floating_point():
        raise AnswerError(f"`{label}` has dtype {out.dtype}, but an error is a float")
    return out.detach().cpu().double().reshape(()).item()


@checker
def check_val_error(val_error):
    """`val_error(degree, x_train, y_train, x_val, y_val)` must fit on train, return the val MSE."""
    fn = expect_callable(val_error, "val_error")
    x_train, y_train, x_val, y_val = poly_data()
    for degree in DEGREES:
        label = f"val_error({degree}, ...)"
        out = call_answer(
            fn, "val_error", f"degree {degree}", degree, x_train, y_train, x_val, y_val
        )
        value = _as_number(out, label, len(x_val))
        if value != value or abs(value) == float("inf"):
            raise AnswerError(
                f"`{label}` is {value}: look for a division by zero or an overflow"
            )
        expected = _fit_and_errors(degree, x_train, y_train, x_val, y_val)

        def near(target: torch.Tensor | float, value: float = value) -> bool:
            return abs(value - float(target)) <= 1e-6 + 1e-3 * abs(float(target))

        if near(expected.mean()):
            continue
        if near(_fit_and_errors(degree, x_train, y_train, x_train, y_train).mean()):
            raise AnswerError(
                f"`{label}` is the error on the training points; evaluate the fitted polynomial "
                "on x_val and y_val instead"
            )
        if near(_fit_and_errors(degree, x_val, y_val, x_val, y_val).mean()):
            raise AnswerError(
                f"`{label}` comes from a polynomial fitted to the validation points; fit it to "
                "x_train and y_train, and use x_val and y_val only to measure its error"
            )
        if near((y_val**2).mean()):
            raise AnswerError(
                f"`{label}` is the error of predicting 0 everywhere, a polynomial without "
                f"coefficients; degree {degree} needs the {degree + 1} powers x**0 to "
                f"x**{degree}: torch.arange({degree} + 1)"
            )
        for other in (degree - 1, degree + 1):
            if other >= 0 and near(
                _fit_and_errors(other, x_train, y_train, x_val, y_val).mean()
            ):
                raise AnswerError(
                    f"`{label}` is the error of a degree-{other} polynomial; degree {degree} needs "
                    f"the {degree + 1} powers x**0 to x**{degree}: torch.arange({degree} + 1)"
                )
        if near(
            _fit_and_errors(
                degree, x_train, y_train, x_val, y_val, squeeze=False
            ).mean()
        ):
            n = len(x_val)
            raise AnswerError(
                f"`{label}` is the mean of a ({n}, {n}) table: predictions of shape ({n}, 1) minus "
                f"targets of shape ({n},) broadcast to every prediction minus every target; "
                f"squeeze the predictions to shape ({n},) first"
            )
        if near(expected.mean().sqrt()):
            raise AnswerError(
                f"`{label}` is the root of the mean squared error; return the mean squared error "
                "itself, without the square root"
            )
        if near(expected.sum()):
            raise AnswerError(
                f"`{label}` is the sum of the squared errors; the mean squared error divides it "
                f"by the {len(x_val)} validation points"
            )
        raise AnswerError(
            f"`{label}` is {value:.4g}, but the validation error of the degree-{degree} "
            f"least-squares fit is {expected.mean().item():.4g}"
        )
    return "Fit on the training split, measure on the validation split: that is the whole rule."
