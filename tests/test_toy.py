"""lossbook.experiments.toy: the toy problems and the linear models the classification chapters
train with our gradients."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from lossbook.experiments.toy import (blobs, conditional_risk, fit_linear_classifier, fit_softmax,
                                      population_minimiser, two_blobs)


def test_two_blobs_shapes_labels_and_outliers():
    X, y = two_blobs(50, seed=1, outliers=3)
    assert X.shape == (103, 2) and y.shape == (103,)
    assert set(np.unique(y)) == {-1.0, 1.0}
    # the outliers are labelled +1 but sit on the -1 side
    assert np.all(y[-3:] == 1) and np.all(X[-3:].sum(1) < -5)
    X2, y2 = two_blobs(50, seed=1, outliers=3)
    np.testing.assert_array_equal(X, X2)


def test_blobs():
    X, y = blobs(10, 4, seed=0)
    assert X.shape == (40, 2) and sorted(set(y)) == [0, 1, 2, 3]


@pytest.mark.parametrize("loss", ["hinge_loss", "logistic_loss", "squared_hinge_loss", "exponential_loss"])
def test_fit_linear_classifier_separates_two_blobs(loss):
    X, y = two_blobs(60, seed=0, distance=4.0)
    fit = fit_linear_classifier(loss, X, y, steps=300, lr=0.05)
    assert fit.accuracy(X, y) > 0.95
    assert fit.history[-1] < fit.history[0]
    # the boundary helper is the zero set of the decision function
    x1 = np.array([-1.0, 0.5, 2.0])
    np.testing.assert_allclose(fit.decision_function(np.stack([x1, fit.boundary(x1)], 1)), 0, atol=1e-12)
    np.testing.assert_allclose(fit.decision_function(np.stack([x1, fit.margin_line(x1, 1.0)], 1)), 1, atol=1e-12)


def test_fit_linear_classifier_uses_our_gradient_and_matches_torch():
    """Same trajectory as plain torch autograd of (1 - y f).clamp(min=0): our backward is used."""
    X, y = two_blobs(30, seed=2)
    fit = fit_linear_classifier("hinge_loss", X, y, steps=50, lr=0.1, l2=0.01)
    Xt, yt = torch.as_tensor(X), torch.as_tensor(y)
    gen = torch.Generator().manual_seed(0)
    w = (0.01 * torch.randn(2, generator=gen, dtype=torch.float64)).requires_grad_(True)
    b = torch.zeros((), dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([w, b], lr=0.1)
    for _ in range(50):
        opt.zero_grad()
        loss = (1 - yt * (Xt @ w + b)).clamp(min=0).mean() + 0.005 * (w * w).sum()
        loss.backward()
        opt.step()
    np.testing.assert_allclose(fit.weight, w.detach().numpy(), rtol=1e-10)
    assert fit.bias == pytest.approx(float(b.detach()), rel=1e-10, abs=1e-12)


def test_fit_softmax_gap_grows_without_smoothing_and_settles_with_it():
    X, y = blobs(30, 3, seed=0, radius=4.0, spread=0.5)
    plain = fit_softmax(X, y, steps=200)
    smooth = fit_softmax(X, y, steps=200, loss_kwargs={"label_smoothing": 0.1})
    assert plain.accuracy(X, y) == 1.0 and smooth.accuracy(X, y) == 1.0
    assert plain.logit_gap[-1] > plain.logit_gap[100] > smooth.logit_gap[-1]
    assert abs(smooth.logit_gap[-1] - smooth.logit_gap[150]) < 1e-2
    # no sample needs a gap above the optimum log((1 - eps + eps/C) / (eps/C))
    assert smooth.logit_gap[-1] < math.log((1 - 0.1 + 0.1 / 3) / (0.1 / 3))


@pytest.mark.parametrize("loss,expected", [
    ("logistic_loss", lambda e: np.log(e / (1 - e))),
    ("exponential_loss", lambda e: 0.5 * np.log(e / (1 - e))),
    ("hinge_loss", lambda e: np.sign(2 * e - 1)),
    ("squared_hinge_loss", lambda e: 2 * e - 1),
    ("perceptron_loss", lambda e: 0 * e),
])
def test_population_minimisers(loss, expected):
    eta = np.array([0.1, 0.3, 0.45, 0.6, 0.9])
    np.testing.assert_allclose(population_minimiser(loss, eta), expected(eta), atol=1e-3)


def test_conditional_risk_shape_and_value():
    f = np.array([-1.0, 0.0, 2.0])
    risk = conditional_risk("hinge_loss", f, [0.2, 0.7])
    assert risk.shape == (2, 3)
    # eta = 0.7, f = 2: 0.7 * 0 + 0.3 * max(0, 1 + 2)
    assert risk[1, 2] == pytest.approx(0.9)
    assert conditional_risk("hinge_loss", f, 0.5).shape == (3,)
