"""Checkers for the exercises of the chapter *Normalisation and residual connections*
(book/normalisation.md)."""

import torch
import torch.nn.functional as F
from torch import nn

from nnbook.checks import (
    AnswerError,
    call_answer,
    checker,
    expect_callable,
    expect_class,
    expect_close,
    expect_tensor,
    readable,
    reader_code,
)

# ---------------------------------------------------------------------------------------------
# Exercise 1: the training-mode forward pass of batch normalisation, by hand.

# (N, n, eps, index of a constant feature or None) of each batch the checker tries, in order.
# N = 2 makes dividing by N - 1 instead of N double the variance; eps = 0.1 and 1.0 make a
# misplaced eps visible; the constant feature has variance 0, which only eps keeps finite.
BATCH_NORM_CASES = (
    (8, 3, 1e-5, None),
    (2, 5, 1e-5, None),
    (64, 10, 0.1, None),
    (5, 4, 1.0, None),
    (6, 4, 1e-3, 2),
)
BATCH_NORM_TOLERANCE = 1e-4


def _batch_norm_case(N, n, eps, constant, seed):
    """A batch X (N, n) with features on different scales, and gamma, beta of shape (n,)."""
    gen = torch.Generator().manual_seed(seed)
    scale = torch.rand(n, generator=gen) * 5 + 0.5
    shift = torch.randn(n, generator=gen) * 3
    X = torch.randn(N, n, generator=gen) * scale + shift
    if constant is not None:
        X[:, constant] = 1.5
    gamma = torch.rand(n, generator=gen) + 0.5  # positive and not 1, so that swaps show
    beta = torch.randn(n, generator=gen)
    return X, gamma, beta


def _normalise(X, mean, var, eps):
    return (X - mean) / torch.sqrt(var + eps)


def _batch_norm_mistakes(X, gamma, beta, eps):
    """Typical wrong answers, each with the one-line explanation of what went wrong."""
    mu, var = X.mean(dim=0), X.var(dim=0, correction=0)
    X_hat = _normalise(X, mu, var, eps)
    row_mu = X.mean(dim=1, keepdim=True)
    row_var = X.var(dim=1, keepdim=True, correction=0)
    return (
        (
            gamma * _normalise(X, mu, X.var(dim=0), eps) + beta,
            "you divide the variance by N - 1 (`X.var(dim=0)` does by default), but the forward "
            "pass divides by N: use X.var(dim=0, correction=0)",
        ),
        (
            gamma * _normalise(X, row_mu, row_var, eps) + beta,
            "you normalise each example (row) over its features, which is layer normalisation: "
            "batch normalisation averages over the examples, dim=0",
        ),
        (
            X_hat,
            "the output is the standardised X without gamma and beta: scale by gamma and shift by "
            "beta at the end",
        ),
        (
            beta * X_hat + gamma,
            "gamma and beta are swapped: gamma scales the standardised X, beta shifts it",
        ),
        (
            gamma * (X - mu) / var.sqrt() + beta,
            "eps is missing: divide by sqrt(var + eps), which stays finite and smooth when a "
            "feature barely varies",
        ),
        (
            gamma * (X - mu) / (var.sqrt() + eps) + beta,
            "eps is added to the standard deviation: add it to the variance, inside the square "
            "root, sqrt(var + eps)",
        ),
        (
            gamma * (X - mu) / (var + eps) + beta,
            "you divide by the variance: divide by the standard deviation, sqrt(var + eps)",
        ),
    )


@checker
def check_batch_norm(batch_norm):
    """`batch_norm(X, gamma, beta, eps)` must compute batch normalisation in training mode.

    The checker compares it with F.batch_norm(X, None, None, gamma, beta, training=True, eps=eps)
    on the batches of BATCH_NORM_CASES, and explains the typical mistakes.
    """
    expect_callable(batch_norm, "batch_norm")
    for seed, (N, n, eps, constant) in enumerate(BATCH_NORM_CASES):
        X, gamma, beta = _batch_norm_case(N, n, eps, constant, seed)
        where = f"X of shape {(N, n)} and eps = {eps:g}"
        if constant is not None:
            where += f", where feature {constant} is constant"
        out = call_answer(batch_norm, "batch_norm", where, X, gamma, beta, eps)
        if (
            isinstance(out, torch.Tensor)
            and readable(out)
            and out.is_floating_point()
            and out.isnan().any()
        ):
            if constant is not None:
                raise AnswerError(
                    f"for {where}, your output contains NaN: that feature has variance 0, so add "
                    "eps to the variance before the square root, sqrt(var + eps)"
                )
        out = expect_tensor(
            out, f"batch_norm(X, ...) for {where}", shape=(N, n), dtype=X.dtype
        )
        out = out.detach().cpu()
        expected = F.batch_norm(X, None, None, gamma, beta, training=True, eps=eps)
        if torch.allclose(
            out, expected, atol=BATCH_NORM_TOLERANCE, rtol=BATCH_NORM_TOLERANCE
        ):
            continue
        matches = [
            ((out - wrong).abs().max().item(), reason)
            for wrong, reason in _batch_norm_mistakes(X, gamma, beta, eps)
            if torch.allclose(
                out, wrong, atol=BATCH_NORM_TOLERANCE, rtol=BATCH_NORM_TOLERANCE
            )
        ]
        if matches:  # the closest of the typical mistakes explains it
            raise AnswerError(f"for {where}, {min(matches)[1]}")
        expect_close(
            out,
            expected,
            f"batch_norm(X, ...) for {where}",
            atol=BATCH_NORM_TOLERANCE,
            rtol=BATCH_NORM_TOLERANCE,
        )
    return "Mean and variance over the batch (divided by N), eps inside the root, then gamma, beta."


# ---------------------------------------------------------------------------------------------
# Exercise 2: a residual block that starts as the identity.

RESIDUAL_WIDTHS = (8, 32)
RESIDUAL_BATCH = 16
SUPER_HINT = {"Module.__init__": " (call super().__init__() first)"}


def _expect_identity_at_init(out, x, call):
    """A new block, whose f ends in a zero layer, must return x unchanged."""
    if torch.allclose(out, x, atol=1e-6, rtol=0):
        return
    if torch.allclose(out, torch.zeros_like(out), atol=1e-6):
        raise AnswerError(
            f"a new block returns all zeros for {call}: forward returns f(x) alone, without the "
            "skip; return x + f(x)"
        )
    if torch.allclose(out, torch.relu(x), atol=1e-6, rtol=0):
        raise AnswerError(
            f"a new block returns ReLU(x), not x, for {call}: there is an activation after the "
            "sum; return x + f(x), with nothing on the identity path"
        )
    diff = out - x
    largest = diff.abs().max().item()
    if torch.allclose(diff, diff[:1].expand_as(diff), atol=1e-6, rtol=0):
        raise AnswerError(
            f"a new block returns x plus the same vector for every example ({call}; up to "
            f"{largest:.3g}): the bias of f's last Linear layer is not zero; zero it with "
            "nn.init.zeros_ as well as the weight"
        )
    raise AnswerError(
        f"a new block should return x unchanged, because f's last Linear layer starts at zero, "
        f"but for {call} it differs from x by up to {largest:.3g}: set that layer's weight and "
        "bias to zero with nn.init.zeros_"
    )


def _expect_identity_gradient(out, x, v, call):
    """The gradient of sum(v * block(x)) with respect to x must be v: the Jacobian is I."""
    if not out.requires_grad:
        raise AnswerError(
            f"the block's output for {call} does not track gradients: does forward run under "
            "torch.no_grad() or detach its result?"
        )
    with reader_code("backward()", where=f"the block's output for {call}"):
        (out * v).sum().backward()
    if x.grad is None or not x.grad.abs().any():
        raise AnswerError(
            f"no gradient reaches x through a new block ({call}): does forward detach x? The "
            "identity path must carry the gradient"
        )
    if not torch.allclose(x.grad, v, atol=1e-5, rtol=1e-5):
        largest = (x.grad - v).abs().max().item()
        raise AnswerError(
            f"in a new block the gradient with respect to x should pass through unchanged "
            f"(the Jacobian is I), but for {call} it differs by up to {largest:.3g}"
        )


def _check_trained_block(block, width, gen):
    """Once its parameters move away from zero, f must do something, non-linear, and train."""
    with torch.no_grad():
        for p in block.parameters():
            p.copy_(0.5 * torch.randn(p.shape, generator=gen))
    x1, x2 = torch.randn(2, RESIDUAL_BATCH, width, generator=gen)
    call = f"ResidualBlock({width}) with random parameters"
    with reader_code(call):
        with torch.no_grad():
            g1, g2, g12, g0 = (
                block(x) - x for x in (x1, x2, x1 + x2, torch.zeros_like(x1))
            )
        block.zero_grad()
        out = block(x1)
        (out * torch.randn(out.shape, generator=gen)).sum().backward()
    if g1.abs().max().item() < 1e-4:
        raise AnswerError(
            f"{call} still returns x: forward must return x + f(x), with f computed from x"
        )
    if torch.allclose(g12, g1 + g2 - g0, atol=1e-4, rtol=1e-4):
        raise AnswerError(
            f"f is linear ({call}): its two Linear layers collapse into one; put an nn.ReLU() "
            "between them"
        )
    for name, p in block.named_parameters():
        if p.grad is None or not p.grad.abs().any():
            raise AnswerError(
                f"the parameter `{name}` gets no gradient ({call}): is it used in forward?"
            )


@checker
def check_residual_block(ResidualBlock):
    """`ResidualBlock(width)` must return x + f(x), with f's last layer zero-initialised.

    For each width in RESIDUAL_WIDTHS (under a fixed seed, without changing the caller's random
    state) the checker builds a block and checks that it keeps the shape, returns x unchanged and
    passes the gradient through unchanged while new, and that after random parameters f is a
    non-linear function of x whose every parameter gets a gradient.
    """
    expect_class(ResidualBlock, "ResidualBlock", "check_residual_block", base=nn.Module)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        for width in RESIDUAL_WIDTHS:
            with reader_code(f"ResidualBlock({width})", hints=SUPER_HINT):
                block = ResidualBlock(width)
            if not isinstance(block, nn.Module):
                raise AnswerError(f"ResidualBlock({width}) is not an nn.Module")
            if not list(block.parameters()):
                raise AnswerError(
                    f"ResidualBlock({width}) has no registered parameters: assign f's layers to "
                    "attributes of self in __init__"
                )
            block.train()
            gen = torch.Generator().manual_seed(width)
            x = torch.randn(RESIDUAL_BATCH, width, generator=gen).requires_grad_(True)
            call = f"x of shape {(RESIDUAL_BATCH, width)}"
            with reader_code(f"ResidualBlock({width})(x)", where=call):
                out = block(x)
            if isinstance(out, (tuple, list)):
                raise AnswerError(
                    f"for {call} the block returns a {type(out).__name__}: forward should return "
                    "one tensor, x + f(x)"
                )
            out = expect_tensor(out, f"ResidualBlock({width})(x)")
            if tuple(out.shape) != tuple(x.shape):
                raise AnswerError(
                    f"for {call} the block returns shape {tuple(out.shape)}: a residual block "
                    "must keep the shape of its input, so that x and f(x) can be added"
                )
            _expect_identity_at_init(out.detach(), x.detach(), call)
            v = torch.randn(out.shape, generator=gen)
            _expect_identity_gradient(out, x, v, call)
            _check_trained_block(block, width, gen)
    return "A new block is the identity, with Jacobian I; training then moves f away from zero."
