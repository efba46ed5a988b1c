"""The likelihood experiment (chapter what_a_loss_is): fitted constants are the sample
statistics, and each NLL (scipy.stats) is scale * loss + constant."""
from __future__ import annotations

import types

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import lossbook
from lossbook.experiments import likelihood as lk

BUILT_IN = ["gaussian", "laplace", "asymmetric_laplace", "bernoulli", "categorical"]
LATER = {"poisson": "poisson_nll_loss", "gaussian_var": "gaussian_nll_loss"}


def _independent_statistic(key, y):
    """What maximum likelihood predicts, written out here without the module."""
    if key in ("gaussian", "bernoulli", "poisson"):
        return np.array([np.sum(y) / len(y)])
    s = np.sort(y)
    if key == "laplace":
        return np.array([s[len(y) // 2]])  # odd n: the middle order statistic
    if key == "asymmetric_laplace":
        return np.array([s[int(np.ceil(len(y) * lk.TAU)) - 1]])
    if key == "categorical":
        return np.array([np.mean(y == k) for k in range(len(lk.PROBS))])
    mean = np.sum(y) / len(y)
    return np.array([mean, np.sum((y - mean) ** 2) / len(y)])


@pytest.mark.parametrize("key", BUILT_IN)
def test_fitted_constant_is_the_sample_statistic(key):
    y = lk.sample(key, n=101, seed=3)
    result = lk.fit_constant(key, y)
    assert result.converged
    np.testing.assert_allclose(result.parameter, _independent_statistic(key, y), rtol=0, atol=1e-9)
    # it really descended: the loss went down from the start
    assert result.history[-1] < result.history[0]


def test_median_is_the_fit_and_the_mean_is_not():
    """Skewed data: the L1 fit is the median, far from the mean; MSE's fit is the mean."""
    y = np.array([0.0, 1.0, 2.0, 3.0, 100.0])
    np.testing.assert_allclose(lk.fit_constant("laplace", y).parameter, [2.0], atol=1e-9)
    np.testing.assert_allclose(lk.fit_constant("gaussian", y).parameter, [21.2], atol=1e-9)


def test_without_the_halving_l1_does_not_settle():
    """Fixed-step descent on L1 cycles around the median (0.3) for ever; the halving settles."""
    y = np.array([0.0, 0.3, 10.0])
    fixed = lk.fit_constant("laplace", y, lr=1.0, halve=False, max_steps=300)
    assert not fixed.converged
    assert min(abs(t - 0.3) for t in (fixed.parameter[0],)) > 0.01
    assert abs(lk.fit_constant("laplace", y, lr=1.0).parameter[0] - 0.3) < 1e-9


@pytest.mark.parametrize("key", BUILT_IN)
def test_nll_is_scale_times_loss_plus_constant(key):
    out = lk.nll_identity(key)
    assert out["difference"] < 1e-12, out
    assert out["scale"] > 0


def test_table_has_exactly_the_available_rows():
    rows = lk.likelihood_table(n=51)
    keys = [r["key"] for r in rows]
    assert keys == lk.available()
    assert set(BUILT_IN) <= set(keys)
    for key, name in LATER.items():
        assert (key in keys) == (name in lossbook.REGISTRY)
    for row in rows:
        assert row["max_abs_diff"] < 1e-9 and row["converged"], row


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="key must be one of"):
        lk.sample("cauchy")
    with pytest.raises(ValueError, match="n must be an integer"):
        lk.sample("gaussian", n=2)
    with pytest.raises(ValueError, match="y must be a non-empty 1-D"):
        lk.fit_constant("gaussian", np.zeros((2, 2)))
    with pytest.raises(ValueError, match="lr must be positive"):
        lk.fit_constant("gaussian", np.zeros(3), lr=-1.0)


# --- the rows that wait for poisson_nll_loss / gaussian_nll_loss (branch keras) --------------
def _torch_spec(name, fn, wrt):
    """A stand-in registry entry built on torch.nn.functional (value and autograd gradient)."""
    def value(*args, **kwargs):
        return fn(*[torch.as_tensor(a, dtype=torch.float64) for a in args], **kwargs).numpy()

    def grads(*args, **kwargs):
        tensors = [torch.tensor(a, dtype=torch.float64, requires_grad=i in wrt) for i, a in enumerate(args)]
        out = fn(*tensors, **kwargs)
        return tuple(g.numpy() for g in torch.autograd.grad(out, [tensors[i] for i in wrt]))

    return types.SimpleNamespace(name=name, value=value, grads=grads, wrt=wrt)


@pytest.fixture
def later_losses(monkeypatch):
    for name, fn, wrt in (("poisson_nll_loss", F.poisson_nll_loss, (0,)),
                          ("gaussian_nll_loss", F.gaussian_nll_loss, (0, 2))):
        if name not in lossbook.REGISTRY:
            monkeypatch.setitem(lossbook.registry.REGISTRY, name, _torch_spec(name, fn, wrt))


@pytest.mark.parametrize("key", sorted(LATER))
def test_poisson_and_gaussian_rows(later_losses, key):
    assert key in lk.available()
    y = lk.sample(key, n=101, seed=3)
    result = lk.fit_constant(key, y)
    assert result.converged
    np.testing.assert_allclose(result.parameter, _independent_statistic(key, y), rtol=0, atol=1e-8)
    assert lk.nll_identity(key)["difference"] < 1e-12


def test_missing_loss_is_reported(monkeypatch):
    monkeypatch.delitem(lossbook.registry.REGISTRY, "poisson_nll_loss", raising=False)
    assert "poisson" not in lk.available()
    with pytest.raises(ValueError, match="poisson_nll_loss"):
        lk.fit_constant("poisson", np.ones(3))


def test_loss_curve_and_explorer():
    y = lk.sample("gaussian", n=21, seed=0)
    grid = np.linspace(0.0, 4.0, 9)
    np.testing.assert_allclose(lk.loss_curve("gaussian", y, grid),
                               [np.mean((c - y) ** 2) for c in grid], rtol=1e-12)
    rate = np.array([0.2, 0.5])
    yb = lk.sample("bernoulli", n=21, seed=0)
    np.testing.assert_allclose(lk.loss_curve("bernoulli", yb, rate),
                               [-np.mean(yb * np.log(p) + (1 - yb) * np.log(1 - p)) for p in rate], rtol=1e-12)
    with pytest.raises(ValueError, match="one-parameter"):
        lk.loss_curve("categorical", yb, rate)
    explorer = lk.explore_likelihood(sizes=(11, 51))
    keys = [k for k in lk.SCALAR if k in lk.available()]
    assert len(list(explorer.states())) == 2 * len(keys)
    fig = explorer.figure({"distribution": "laplace", "n": 51})
    assert len(fig.axes) == 2
