"""Checkers for the exercises of the chapter *Evaluating a model* (book/evaluation.md)."""

import numbers

import torch

from nnbook.checks import AnswerError, call_answer, checker, expect_callable, expect_tensor

# ---------------------------------------------------------------------------------------------
# Exercise 1: per-class recall from a confusion matrix (rows: true class, columns: predicted).


def _close(a: torch.Tensor, b: torch.Tensor, tol: float = 1e-3) -> bool:
    a, b = a.detach().cpu().double(), b.detach().cpu().double()
    return a.shape == b.shape and torch.allclose(a, b, atol=tol, rtol=tol)


def _fractions(C: torch.Tensor) -> dict[str, torch.Tensor]:
    """Recall, and the quantities that the usual mistakes compute instead, from the counts `C`."""
    counts = torch.as_tensor(C).detach().cpu().double()
    tp = counts.diag()
    return {
        "recall": tp / counts.sum(dim=1),
        "precision": tp / counts.sum(dim=0),
        "share_of_total": tp / counts.sum(),
        "row_normalised": counts / counts.sum(dim=1, keepdim=True),
        "accuracy": tp.sum() / counts.sum(),
    }


@checker
def check_recall(recall, C):
    """`recall` must hold the recall of each class of the confusion matrix `C`, shape (K,)."""
    f = _fractions(C)
    expected = f["recall"]
    K = len(expected)
    recall = expect_tensor(recall, "recall")
    if recall.numel() == 1 and recall.is_floating_point():
        if _close(recall.reshape(()), expected.mean()):
            raise AnswerError(
                f"`recall` is one number, the macro-averaged recall; the exercise asks for the "
                f"recall of each class, a tensor of shape ({K},)"
            )
        if _close(recall.reshape(()), f["accuracy"]):
            raise AnswerError(
                f"`recall` is one number, the accuracy; the exercise asks for the recall of each "
                f"class, a tensor of shape ({K},)"
            )
    if tuple(recall.shape) == (K, K) and _close(recall, f["row_normalised"]):
        raise AnswerError(
            "you divided every entry by its row sum; recall keeps only the diagonal: "
            "C.diag() / C.sum(dim=1)"
        )
    recall = expect_tensor(recall, "recall", shape=(K,))
    if not recall.is_floating_point():
        raise AnswerError(
            f"`recall` has dtype {recall.dtype}, but recall is a fraction: divide with / "
            "(not //) so that the result is a float tensor"
        )
    if _close(recall, expected):
        return "Recall divides each diagonal entry by its row sum, the number of true examples."
    if _close(recall, f["precision"]):
        raise AnswerError(
            "you divided by the column sums (how often each class was predicted), which gives "
            "precision; recall divides by the row sums (how many examples truly are each class)"
        )
    if _close(recall, 100 * expected):
        raise AnswerError(
            "these are percentages; recall is a fraction between 0 and 1: leave out the factor 100"
        )
    if _close(recall, f["share_of_total"]):
        raise AnswerError(
            "you divided by the total count; recall divides each diagonal entry by the sum of its "
            "row, the number of examples that truly are that class"
        )
    if _close(recall, 1 - expected):
        raise AnswerError(
            "that is 1 - recall, the fraction of each class that the model missed; recall is the "
            "fraction it found"
        )
    worst = int((recall.detach().cpu().double() - expected).abs().argmax())
    raise AnswerError(
        f"the recall of class {worst} should be {expected[worst].item():.4g}, but yours is "
        f"{recall[worst].item():.4g}: divide C[{worst}, {worst}] by the sum of row {worst}"
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


def _fit_and_errors(degree: int, x_fit, y_fit, x_eval, y_eval, squeeze=True) -> torch.Tensor:
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
        raise AnswerError(f"`{label}` has shape {shape}, but the mean squared error is one number")
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
            raise AnswerError(f"`{label}` is {value}: look for a division by zero or an overflow")
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
            if other >= 0 and near(_fit_and_errors(other, x_train, y_train, x_val, y_val).mean()):
                raise AnswerError(
                    f"`{label}` is the error of a degree-{other} polynomial; degree {degree} needs "
                    f"the {degree + 1} powers x**0 to x**{degree}: torch.arange({degree} + 1)"
                )
        if near(_fit_and_errors(degree, x_train, y_train, x_val, y_val, squeeze=False).mean()):
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
