"""The checkers of book/evaluation.md accept every valid answer and explain wrong ones."""

import numpy as np
import torch

from nnbook.exercises import evaluation

C = torch.tensor([[50, 3, 7], [10, 25, 5], [2, 8, 40]])
RECALL = torch.tensor([50 / 60, 25 / 40, 40 / 50])


def verdict_text(verdict) -> str:
    text = repr(verdict)
    assert "\n" not in text, "a verdict is one line"
    return text


def test_recall_checker_accepts_every_valid_answer():
    assert evaluation.check_recall(C.diag() / C.sum(dim=1), C)
    assert evaluation.check_recall(C.diag().double() / C.sum(dim=1).double(), C)
    assert evaluation.check_recall(torch.diagonal(C).float() / C.float().sum(1), C)
    assert evaluation.check_recall(RECALL, C)
    tp = C.diag()
    assert evaluation.check_recall(tp / (tp + (C.sum(dim=1) - tp)), C)  # TP / (TP + FN)


def test_recall_checker_explains_wrong_answers():
    text = verdict_text(evaluation.check_recall(C.diag() / C.sum(dim=0), C))
    assert text == (
        "❌ Not yet: you divided by the column sums (how often each class was predicted), which "
        "gives precision; recall divides by the row sums (how many examples truly are each class)"
    )
    text = verdict_text(evaluation.check_recall(C.diag() // C.sum(dim=1), C))
    assert "dtype torch.int64" in text and "divide with / (not //)" in text
    text = verdict_text(evaluation.check_recall(100 * RECALL, C))
    assert "percentages" in text and "between 0 and 1" in text
    text = verdict_text(evaluation.check_recall(C.diag() / C.sum(), C))
    assert text.startswith("❌ Not yet: you divided by the total count")
    text = verdict_text(evaluation.check_recall(1 - RECALL, C))
    assert "that is 1 - recall" in text
    text = verdict_text(evaluation.check_recall(C / C.sum(dim=1, keepdim=True), C))
    assert "every entry by its row sum" in text and "C.diag() / C.sum(dim=1)" in text
    text = verdict_text(evaluation.check_recall(RECALL.mean(), C))
    assert "macro-averaged recall" in text and "shape (3,)" in text
    text = verdict_text(evaluation.check_recall(C.diag().sum() / C.sum(), C))
    assert "the accuracy" in text
    text = verdict_text(evaluation.check_recall(RECALL[:2], C))
    assert "`recall` has shape (2,), but the expected shape is (3,)" in text
    off = RECALL.clone()
    off[1] = 0.5
    text = verdict_text(evaluation.check_recall(off, C))
    assert "the recall of class 1 should be 0.625, but yours is 0.5" in text
    assert "is still `...`" in verdict_text(evaluation.check_recall(..., C))
    assert "Python list" in verdict_text(evaluation.check_recall(RECALL.tolist(), C))
    assert "NumPy array" in verdict_text(evaluation.check_recall(RECALL.numpy(), C))


def lstsq_val_error(degree, x_train, y_train, x_val, y_val):
    exponents = torch.arange(degree + 1, dtype=x_train.dtype)
    w = torch.linalg.lstsq(x_train.unsqueeze(1) ** exponents, y_train.unsqueeze(1)).solution
    return ((x_val.unsqueeze(1) ** exponents @ w).squeeze(1) - y_val).pow(2).mean().item()


def vander_val_error(degree, x_train, y_train, x_val, y_val):
    """Normal equations, decreasing powers, result as a 0-d tensor: also right."""
    A = torch.vander(x_train, N=degree + 1)
    w = torch.linalg.solve(A.T @ A, A.T @ y_train)
    return ((torch.vander(x_val, N=degree + 1) @ w - y_val) ** 2).mean()


def numpy_val_error(degree, x_train, y_train, x_val, y_val):
    coefficients = np.polyfit(x_train.numpy(), y_train.numpy(), degree)
    return np.mean((np.polyval(coefficients, x_val.numpy()) - y_val.numpy()) ** 2)


def float32_val_error(degree, x_train, y_train, x_val, y_val):
    return lstsq_val_error(degree, x_train.float(), y_train.float(), x_val.float(), y_val.float())


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
        return lstsq_val_error(degree - 1, x_train, y_train, x_val, y_val) if degree else 1.0

    text = verdict_text(evaluation.check_val_error(one_power_short))
    assert "is the error of a degree-1 polynomial; degree 2 needs the 3 powers x**0 to x**2" in text

    def arange_degree(degree, x_train, y_train, x_val, y_val):
        exponents = torch.arange(degree, dtype=x_train.dtype)  # one power short: none for degree 0
        w = torch.linalg.lstsq(x_train.unsqueeze(1) ** exponents, y_train.unsqueeze(1)).solution
        return ((x_val.unsqueeze(1) ** exponents @ w).squeeze(1) - y_val).pow(2).mean().item()

    text = verdict_text(evaluation.check_val_error(arange_degree))
    assert "`val_error(2, ...)` is the error of a degree-1 polynomial" in text

    def only_zero(degree, *data):
        return (arange_degree if degree == 0 else lstsq_val_error)(degree, *data)

    text = verdict_text(evaluation.check_val_error(only_zero))
    assert "`val_error(0, ...)` is the error of predicting 0 everywhere" in text

    def root(degree, *data):
        return lstsq_val_error(degree, *data) ** 0.5

    assert "root of the mean squared error" in verdict_text(evaluation.check_val_error(root))

    def summed(degree, *data):
        return lstsq_val_error(degree, *data) * len(data[2])

    assert "sum of the squared errors" in verdict_text(evaluation.check_val_error(summed))

    def per_point(degree, x_train, y_train, x_val, y_val):
        exponents = torch.arange(degree + 1, dtype=x_train.dtype)
        w = torch.linalg.lstsq(x_train.unsqueeze(1) ** exponents, y_train.unsqueeze(1)).solution
        return ((x_val.unsqueeze(1) ** exponents @ w).squeeze(1) - y_val) ** 2

    text = verdict_text(evaluation.check_val_error(per_point))
    assert "has shape (50,), one squared error per validation point" in text

    def broadcast(degree, x_train, y_train, x_val, y_val):
        exponents = torch.arange(degree + 1, dtype=x_train.dtype)
        w = torch.linalg.lstsq(x_train.unsqueeze(1) ** exponents, y_train.unsqueeze(1)).solution
        return ((x_val.unsqueeze(1) ** exponents @ w - y_val) ** 2).mean()

    text = verdict_text(evaluation.check_val_error(broadcast))
    assert "is the mean of a (50, 50) table" in text and "squeeze the predictions" in text

    def broadcast_table(degree, x_train, y_train, x_val, y_val):
        exponents = torch.arange(degree + 1, dtype=x_train.dtype)
        w = torch.linalg.lstsq(x_train.unsqueeze(1) ** exponents, y_train.unsqueeze(1)).solution
        return (x_val.unsqueeze(1) ** exponents @ w - y_val) ** 2

    text = verdict_text(evaluation.check_val_error(broadcast_table))
    assert "has shape (50, 50)" in text and "broadcast to a table" in text

    text = verdict_text(evaluation.check_val_error(lambda degree, *data: 0.5))
    assert text.startswith("❌ Not yet: `val_error(2, ...)` is 0.5, but the validation error")

    def crashes(degree, *data):
        raise ValueError("boom")

    text = verdict_text(evaluation.check_val_error(crashes))
    assert text == "❌ Not yet: `val_error` raised ValueError on degree 2: boom"
    assert "is None" in verdict_text(evaluation.check_val_error(lambda degree, *data: None))
    assert "is still `...`" in verdict_text(evaluation.check_val_error(...))
    assert "should be a function" in verdict_text(evaluation.check_val_error(3.0))
    starter = verdict_text(evaluation.check_val_error(lambda degree, *data: ...))
    assert "`val_error(2, ...)` is still `...`" in starter
    nan = verdict_text(evaluation.check_val_error(lambda degree, *data: float("nan")))
    assert "is nan" in nan
