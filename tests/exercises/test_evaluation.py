"""The checkers of book/evaluation.md accept every valid answer and explain wrong ones."""

import numpy as np
import torch

from nnbook.exercises import evaluation


def verdict_text(verdict) -> str:
    text = repr(verdict)
    assert "\n" not in text, "a verdict is one line"
    return text


# Ten points, highest score first; four positives. Flagging scores >= t for t = 0.9, 0.8, 0.7, 0.6,
# ... finds 1, 1, 2, 2, 3, ... positives. A recall of 0.75 needs 3 positives: t = 0.5, where five
# points are flagged, three of them positive: precision 0.6.
SCORES = torch.tensor(
    [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05], dtype=torch.float64
)
POSITIVE = torch.tensor([1, 0, 1, 0, 1, 0, 0, 1, 0, 0], dtype=torch.bool)


def threshold_verdict(threshold, precision_at, target=0.75):
    return evaluation.check_threshold_for_recall(
        threshold, precision_at, SCORES, POSITIVE, target
    )


def test_threshold_checker_accepts_every_valid_answer():
    assert threshold_verdict(0.5, 0.6)
    assert threshold_verdict(0.45, 3 / 5)  # flags the same points as 0.5
    assert threshold_verdict(torch.tensor(0.5), torch.tensor(0.6, dtype=torch.float64))
    assert threshold_verdict(np.float32(0.5), np.float64(0.6))
    assert threshold_verdict(0.5, 0.60004)
    assert threshold_verdict(0.9, 1.0, target=0.25)  # the top point alone
    assert threshold_verdict(0.2, 4 / 8, target=1.0)
    scores_on_gpu_or_not = SCORES.float()
    assert evaluation.check_threshold_for_recall(
        0.5, 0.6, scores_on_gpu_or_not, POSITIVE.long(), 0.75
    )
    assert "about 0.7 false alarms for every true find" in repr(
        threshold_verdict(0.5, 0.6)
    )


def test_threshold_checker_explains_wrong_answers():
    def message(threshold, precision_at, target=0.75):
        text = verdict_text(threshold_verdict(threshold, precision_at, target))
        assert text.startswith("❌ Not yet: "), text
        return text

    assert (
        "the recall is 0.5000, below the target 0.75: lower the threshold until 3"
        in message(0.6, 0.5)
    )
    assert "(the target recall is not a threshold on the scores)" in message(0.75, 0.6)
    assert (
        "but so does the higher threshold 0.5, with 2 fewer points flagged"
        in message(0.3, 3 / 7)
    )
    assert "that is the recall" in message(0.5, 0.75)
    assert "1 - precision" in message(0.5, 0.4)
    assert "false-positive rate" in message(0.5, 2 / 6)
    assert "divided by all the points" in message(0.5, 0.3)
    assert "counts scores > threshold" in message(0.5, 2 / 4)
    assert (
        "5 points are flagged and 3 of them are positive, a precision of 0.6000"
        in message(0.5, 0.9)
    )
    assert "is still `...`" in message(..., 0.6)
    assert "is still `...`" in message(0.5, ...)
    assert "is None" in message(None, 0.6)
    assert "the precision is one number" in message(0.5, torch.tensor([0.6, 0.6]))
    assert "NaN" in message(0.5, float("nan"))


def lstsq_val_error(degree, x_train, y_train, x_val, y_val):
    exponents = torch.arange(degree + 1, dtype=x_train.dtype)
    w = torch.linalg.lstsq(
        x_train.unsqueeze(1) ** exponents, y_train.unsqueeze(1)
    ).solution
    return (
        ((x_val.unsqueeze(1) ** exponents @ w).squeeze(1) - y_val).pow(2).mean().item()
    )


def vander_val_error(degree, x_train, y_train, x_val, y_val):
    """Normal equations, decreasing powers, result as a 0-d tensor: also right."""
    A = torch.vander(x_train, N=degree + 1)
    w = torch.linalg.solve(A.T @ A, A.T @ y_train)
    return ((torch.vander(x_val, N=degree + 1) @ w - y_val) ** 2).mean()


def numpy_val_error(degree, x_train, y_train, x_val, y_val):
    coefficients = np.polyfit(x_train.numpy(), y_train.numpy(), degree)
    return np.mean((np.polyval(coefficients, x_val.numpy()) - y_val.numpy()) ** 2)


def float32_val_error(degree, x_train, y_train, x_val, y_val):
    return lstsq_val_error(
        degree, x_train.float(), y_train.float(), x_val.float(), y_val.float()
    )


def test_val_error_checker_accepts_every_valid_answer():
    assert evaluation.check_val_error(lstsq_val_error)
    assert evaluation.check_val_error(vander_val_error)
    assert evaluation.check_val_error(numpy_val_error)
    assert evaluation.check_val_error(float32_val_error)


def test_val_error_checker_explains_wrong_answers():
    def on_training_points(degree, x_train, y_train, x_val, y_val):
        return lstsq_val_error(degree, x_train, y_train, x_train, y_train)

    text = verdict_text(evaluation.check_val_error(on_training_points))
    assert text == (
        "❌ Not yet: `val_error(2, ...)` is the error on the training points; evaluate the fitted "
        "polynomial on x_val and y_val instead"
    )

    def fitted_on_validation(degree, x_train, y_train, x_val, y_val):
        return lstsq_val_error(degree, x_val, y_val, x_val, y_val)

    text = verdict_text(evaluation.check_val_error(fitted_on_validation))
    assert "fitted to the validation points" in text

    def one_power_short(degree, x_train, y_train, x_val, y_val):
        return (
            lstsq_val_error(degree - 1, x_train, y_train, x_val, y_val)
            if degree
            else 1.0
        )

    text = verdict_text(evaluation.check_val_error(one_power_short))
    assert (
        "is the error of a degree-1 polynomial; degree 2 needs the 3 powers x**0 to x**2"
        in text
    )

    def arange_degree(degree, x_train, y_train, x_val, y_val):
        # one power short: none for degree 0
        exponents = torch.arange(degree, dtype=x_train.dtype)
        w = torch.linalg.lstsq(
            x_train.unsqueeze(1) ** exponents, y_train.unsqueeze(1)
        ).solution
        return (
            ((x_val.unsqueeze(1) ** exponents @ w).squeeze(1) - y_val)
            .pow(2)
            .mean()
            .item()
        )

    text = verdict_text(evaluation.check_val_error(arange_degree))
    assert "`val_error(2, ...)` is the error of a degree-1 polynomial" in text

    def only_zero(degree, *data):
        return (arange_degree if degree == 0 else lstsq_val_error)(degree, *data)

    text = verdict_text(evaluation.check_val_error(only_zero))
    assert "`val_error(0, ...)` is the error of predicting 0 everywhere" in text

    def root(degree, *data):
        return lstsq_val_error(degree, *data) ** 0.5

    assert "root of the mean squared error" in verdict_text(
        evaluation.check_val_error(root)
    )

    def summed(degree, *data):
        return lstsq_val_error(degree, *data) * len(data[2])

    assert "sum of the squared errors" in verdict_text(
        evaluation.check_val_error(summed)
    )

    def per_point(degree, x_train, y_train, x_val, y_val):
        exponents = torch.arange(degree + 1, dtype=x_train.dtype)
        w = torch.linalg.lstsq(
            x_train.unsqueeze(1) ** exponents, y_train.unsqueeze(1)
        ).solution
        return ((x_val.unsqueeze(1) ** exponents @ w).squeeze(1) - y_val) ** 2

    text = verdict_text(evaluation.check_val_error(per_point))
    assert "has shape (50,), one squared error per validation point" in text

    def broadcast(degree, x_train, y_train, x_val, y_val):
        exponents = torch.arange(degree + 1, dtype=x_train.dtype)
        w = torch.linalg.lstsq(
            x_train.unsqueeze(1) ** exponents, y_train.unsqueeze(1)
        ).solution
        return ((x_val.unsqueeze(1) ** exponents @ w - y_val) ** 2).mean()

    text = verdict_text(evaluation.check_val_error(broadcast))
    assert (
        "is the mean of a (50, 50) table" in text and "squeeze the predictions" in text
    )

    def broadcast_table(degree, x_train, y_train, x_val, y_val):
        exponents = torch.arange(degree + 1, dtype=x_train.dtype)
        w = torch.linalg.lstsq(
            x_train.unsqueeze(1) ** exponents, y_train.unsqueeze(1)
        ).solution
        return (x_val.unsqueeze(1) ** exponents @ w - y_val) ** 2

    text = verdict_text(evaluation.check_val_error(broadcast_table))
    assert "has shape (50, 50)" in text and "broadcast to a table" in text

    text = verdict_text(evaluation.check_val_error(lambda degree, *data: 0.5))
    assert text.startswith(
        "❌ Not yet: `val_error(2, ...)` is 0.5, but the validation error"
    )

    def crashes(degree, *data):
        raise ValueError("boom")

    text = verdict_text(evaluation.check_val_error(crashes))
    assert text == "❌ Not yet: `val_error` raised ValueError on degree 2: boom"
    assert "is None" in verdict_text(
        evaluation.check_val_error(lambda degree, *data: None)
    )
    assert "is still `...`" in verdict_text(evaluation.check_val_error(...))
    assert "should be a function" in verdict_text(evaluation.check_val_error(3.0))
    starter = verdict_text(evaluation.check_val_error(lambda degree, *data: ...))
    assert "`val_error(2, ...)` is still `...`" in starter
    nan = verdict_text(evaluation.check_val_error(lambda degree, *data: float("nan")))
    assert "is nan" in nan
