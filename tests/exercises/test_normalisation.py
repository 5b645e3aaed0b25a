"""The checkers of book/normalisation.md accept every valid answer and explain wrong ones."""

import torch
import torch.nn.functional as F
from torch import nn

from nnbook.exercises import normalisation
from tests.exercises.verdicts import rejected

# ---------------------------------------------------------------------------------------------
# check_batch_norm


def batch_norm(X, gamma, beta, eps):
    """The reference answer."""
    mu = X.mean(dim=0)
    var = X.var(dim=0, correction=0)
    return gamma * (X - mu) / torch.sqrt(var + eps) + beta


def batch_norm_std(X, gamma, beta, eps):
    """Another valid answer: the standard deviation with unbiased=False, and rsqrt."""
    centred = X - X.mean(dim=0, keepdim=True)
    var = X.std(dim=0, unbiased=False, keepdim=True) ** 2
    return centred * torch.rsqrt(var + eps) * gamma + beta


def batch_norm_loops(X, gamma, beta, eps):
    """Another valid answer: one feature at a time, in float64, converted back."""
    columns = []
    for j in range(X.shape[1]):
        col = X[:, j].double()
        mean = col.sum() / len(col)
        var = ((col - mean) ** 2).sum() / len(col)
        columns.append(gamma[j] * (col - mean) / (var + eps) ** 0.5 + beta[j])
    return torch.stack(columns, dim=1).float()


def batch_norm_module(X, gamma, beta, eps):
    """PyTorch's own layer in training mode is also right."""
    bn = nn.BatchNorm1d(X.shape[1], eps=eps)
    with torch.no_grad():
        bn.weight.copy_(gamma)
        bn.bias.copy_(beta)
    return bn(X)


def batch_norm_in_place(X, gamma, beta, eps):
    """Another valid answer, which changes its input in place (the checker passes copies)."""
    X -= X.mean(dim=0)
    X /= torch.sqrt(X.pow(2).mean(dim=0) + eps)
    return X * gamma + beta


def test_batch_norm_checker_accepts_every_valid_answer():
    for answer in (
        batch_norm,
        batch_norm_std,
        batch_norm_loops,
        batch_norm_module,
        batch_norm_in_place,
    ):
        verdict = normalisation.check_batch_norm(answer)
        assert verdict, f"{answer.__name__}: {verdict!r}"
        assert repr(verdict).startswith("✅ Correct!")


def test_batch_norm_checker_explains_each_typical_mistake():
    def unbiased(X, gamma, beta, eps):
        return gamma * (X - X.mean(dim=0)) / torch.sqrt(X.var(dim=0) + eps) + beta

    assert "divide the variance by N - 1" in rejected(
        normalisation.check_batch_norm(unbiased)
    )
    assert "X of shape (8, 3) and eps = 1e-05" in rejected(
        normalisation.check_batch_norm(unbiased)
    )

    def over_rows(X, gamma, beta, eps):
        return F.layer_norm(X, X.shape[1:], gamma, beta, eps)

    assert "which is layer normalisation" in rejected(
        normalisation.check_batch_norm(over_rows)
    )

    def no_gamma_beta(X, gamma, beta, eps):
        return F.batch_norm(X, None, None, training=True, eps=eps)

    assert "without gamma and beta" in rejected(
        normalisation.check_batch_norm(no_gamma_beta)
    )

    def swapped(X, gamma, beta, eps):
        return F.batch_norm(X, None, None, beta, gamma, training=True, eps=eps)

    assert "gamma and beta are swapped" in rejected(
        normalisation.check_batch_norm(swapped)
    )

    def eps_outside(X, gamma, beta, eps):
        std = X.std(dim=0, correction=0)
        return gamma * (X - X.mean(dim=0)) / (std + eps) + beta

    message = rejected(normalisation.check_batch_norm(eps_outside))
    assert "eps is added to the standard deviation" in message

    def no_sqrt(X, gamma, beta, eps):
        return gamma * (X - X.mean(dim=0)) / (X.var(dim=0, correction=0) + eps) + beta

    assert "you divide by the variance" in rejected(
        normalisation.check_batch_norm(no_sqrt)
    )

    def no_eps(X, gamma, beta, eps):
        return gamma * (X - X.mean(dim=0)) / X.std(dim=0, correction=0) + beta

    message = rejected(normalisation.check_batch_norm(no_eps))
    assert "eps is missing" in message

    def over_all_entries(X, gamma, beta, eps):
        return gamma * (X - X.mean()) / torch.sqrt(X.var(correction=0) + eps) + beta

    message = rejected(normalisation.check_batch_norm(over_all_entries))
    assert message.startswith(
        "❌ Not yet: `batch_norm(X, ...) for X of shape (8, 3) and eps = 1e-05` differs from the "
        "expected values; the largest difference is"
    )

    def nan_for_a_constant_feature(X, gamma, beta, eps):
        var = X.var(dim=0, correction=0)
        return gamma * (X - X.mean(dim=0)) / torch.sqrt(var + eps * (var > 0)) + beta

    message = rejected(normalisation.check_batch_norm(nan_for_a_constant_feature))
    assert "feature 2 is constant" in message and "contains NaN" in message


def test_batch_norm_checker_explains_malformed_answers():
    def returns_none(X, gamma, beta, eps):
        X.mean(dim=0)

    assert "is None" in rejected(normalisation.check_batch_norm(returns_none))

    def returns_the_mean(X, gamma, beta, eps):
        return X.mean(dim=0)

    assert "has shape (3,), but the expected shape is (8, 3)" in rejected(
        normalisation.check_batch_norm(returns_the_mean)
    )

    def returns_float64(X, gamma, beta, eps):
        return batch_norm(X.double(), gamma.double(), beta.double(), eps)

    assert "dtype torch.float64" in rejected(
        normalisation.check_batch_norm(returns_float64)
    )

    def crashes(X, gamma, beta, eps):
        return X @ gamma.reshape(1, -1)

    message = rejected(normalisation.check_batch_norm(crashes))
    assert message.startswith(
        "❌ Not yet: `batch_norm` raised RuntimeError on X of shape (8, 3)"
    )
    assert "is still `...`" in rejected(normalisation.check_batch_norm(...))
    assert "should be a function" in rejected(normalisation.check_batch_norm(3.0))


# ---------------------------------------------------------------------------------------------
# check_residual_block


class ResidualBlock(nn.Module):
    """The reference answer."""

    def __init__(self, width):
        super().__init__()
        self.f = nn.Sequential(
            nn.Linear(width, width), nn.ReLU(), nn.Linear(width, width)
        )
        nn.init.zeros_(self.f[-1].weight)
        nn.init.zeros_(self.f[-1].bias)

    def forward(self, x):
        return x + self.f(x)


class FunctionalBlock(nn.Module):
    """Another valid answer: two attributes, F.relu, a wider hidden layer, zeroed with .zero_()."""

    def __init__(self, width):
        super().__init__()
        self.fc1 = nn.Linear(width, 2 * width)
        self.fc2 = nn.Linear(2 * width, width)
        with torch.no_grad():
            self.fc2.weight.zero_()
            self.fc2.bias.zero_()

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x))) + x


class PreNormBlock(ResidualBlock):
    """Another valid answer: a LayerNorm before f, as in a transformer."""

    def __init__(self, width):
        super().__init__(width)
        self.norm = nn.LayerNorm(width)

    def forward(self, x):
        out = x
        out = out + self.f(self.norm(x))
        return out


class BatchNormBlock(ResidualBlock):
    """Another valid answer: a BatchNorm inside f."""

    def __init__(self, width):
        super().__init__(width)
        self.f.insert(1, nn.BatchNorm1d(width))


def test_residual_block_checker_accepts_every_valid_answer():
    state = torch.random.get_rng_state()
    for answer in (ResidualBlock, FunctionalBlock, PreNormBlock, BatchNormBlock):
        verdict = normalisation.check_residual_block(answer)
        assert verdict, f"{answer.__name__}: {verdict!r}"
        assert repr(verdict).startswith("✅ Correct!")
    assert torch.equal(torch.random.get_rng_state(), state), (
        "the caller's random state is kept"
    )


def verdict_of(answer) -> str:
    return rejected(normalisation.check_residual_block(answer))


def test_residual_block_checker_explains_a_wrong_identity_path():
    class NoSkip(ResidualBlock):
        def forward(self, x):
            return self.f(x)

    assert "returns all zeros" in verdict_of(NoSkip)

    class ReluAfterTheSum(ResidualBlock):
        def forward(self, x):
            return torch.relu(x + self.f(x))

    assert "returns ReLU(x), not x" in verdict_of(ReluAfterTheSum)

    class OnlyWeightZeroed(ResidualBlock):
        def __init__(self, width):
            super().__init__(width)
            nn.init.constant_(self.f[-1].bias, 0.1)

    assert "the bias of f's last Linear layer is not zero" in verdict_of(
        OnlyWeightZeroed
    )

    class NothingZeroed(ResidualBlock):
        def __init__(self, width):
            super().__init__(width)
            nn.init.normal_(self.f[-1].weight)

    message = verdict_of(NothingZeroed)
    assert "should return x unchanged" in message and "x of shape (16, 8)" in message

    class Doubled(ResidualBlock):
        def forward(self, x):
            return 2 * x + self.f(x)

    assert "should return x unchanged" in verdict_of(Doubled)


def test_residual_block_checker_explains_a_broken_gradient_path():
    class DetachedInput(ResidualBlock):
        def forward(self, x):
            return x.detach() + self.f(x)

    assert "no gradient reaches x" in verdict_of(DetachedInput)

    class NoGrad(ResidualBlock):
        def forward(self, x):
            with torch.no_grad():
                return x + self.f(x)

    assert "does not track gradients" in verdict_of(NoGrad)

    class ScaledGradient(ResidualBlock):
        def forward(self, x):
            identity = x * 0.5 + (x * 0.5).detach()  # the value of x, half its gradient
            return identity + self.f(x)

    assert "the gradient with respect to x should pass through unchanged" in verdict_of(
        ScaledGradient
    )


def test_residual_block_checker_explains_what_f_must_do():
    class IgnoresF(ResidualBlock):
        def forward(self, x):
            return x + 0 * self.f(x)

    assert "still returns x" in verdict_of(IgnoresF)

    class LinearF(ResidualBlock):
        def __init__(self, width):
            super().__init__(width)
            self.f[1] = nn.Identity()

    assert "f is linear" in verdict_of(LinearF)

    class UnusedParameter(ResidualBlock):
        def __init__(self, width):
            super().__init__(width)
            self.spare = nn.Linear(width, width)

    assert "the parameter `spare.weight` gets no gradient" in verdict_of(
        UnusedParameter
    )


def test_residual_block_checker_explains_malformed_answers():
    assert "pass the class itself" in verdict_of(ResidualBlock(8))
    assert "is still `...`" in verdict_of(...)

    class NotAModule:
        pass

    assert "must subclass nn.Module" in verdict_of(NotAModule)

    class NoSuper(nn.Module):
        def __init__(self, width):
            self.f = nn.Linear(width, width)

    message = verdict_of(NoSuper)
    assert "ResidualBlock(8) raised AttributeError" in message
    assert "call super().__init__() first" in message

    class NoParameters(nn.Module):
        def forward(self, x):
            return x

        def __init__(self, width):
            super().__init__()

    assert "has no registered parameters" in verdict_of(NoParameters)

    class Shrinks(nn.Module):
        def __init__(self, width):
            super().__init__()
            self.f = nn.Linear(width, width // 2)

        def forward(self, x):
            return self.f(x)

    assert "must keep the shape of its input" in verdict_of(Shrinks)

    class Crashes(ResidualBlock):
        def forward(self, x):
            return x + self.f(x.T)

    assert verdict_of(Crashes).startswith(
        "❌ Not yet: ResidualBlock(8)(x) raised RuntimeError on x of shape (16, 8)"
    )

    class ReturnsTuple(ResidualBlock):
        def forward(self, x):
            return x, self.f(x)

    assert "the block returns a tuple: forward should return one tensor" in verdict_of(
        ReturnsTuple
    )
