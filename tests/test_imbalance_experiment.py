"""The imbalance chapter's data, training helpers and curves (lossbook.experiments.imbalance)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import lossbook
import lossbook.experiments.imbalance as ie


def test_long_tailed_counts_and_blobs():
    counts = ie.long_tailed_counts(5, 500, 100.0)
    np.testing.assert_array_equal(counts, [500, 158, 50, 16, 5])
    X, y, X_test, y_test = ie.long_tailed_blobs(counts, n_test_per_class=40, seed=3)
    assert X.shape == (counts.sum(), 2) and X.dtype == np.float64 and y.dtype == np.int64
    np.testing.assert_array_equal(np.bincount(y), counts)
    np.testing.assert_array_equal(np.bincount(y_test), np.full(5, 40))
    again = ie.long_tailed_blobs(counts, n_test_per_class=40, seed=3)
    np.testing.assert_array_equal(again[0], X)
    assert not np.array_equal(ie.long_tailed_blobs(counts, n_test_per_class=40, seed=4)[0], X)


def test_training_uses_our_gradients_and_learns():
    counts = np.array([200, 60, 20])
    X, y, X_test, y_test = ie.long_tailed_blobs(counts, radius=3.0, seed=0)
    model = ie.train_classifier(X, y, "poly1_loss", {"epsilon": 1.0}, steps=60, lr=0.05, seed=0)
    result = ie.recall_metrics(model, X_test, y_test)
    assert result["recall"].shape == (3,)
    assert result["balanced_accuracy"] > 0.6 and 0 <= result["accuracy"] <= 1
    # deterministic
    again = ie.recall_metrics(ie.train_classifier(X, y, "poly1_loss", {"epsilon": 1.0}, steps=60, lr=0.05, seed=0),
                        X_test, y_test)
    np.testing.assert_array_equal(again["recall"], result["recall"])
    # the criterion's backward is lossbook's _grad (not autograd of the formula)
    from lossbook.autograd import Loss

    z = torch.tensor(np.random.default_rng(0).normal(size=(5, 3)), requires_grad=True)
    target = torch.tensor([0, 1, 2, 2, 0])
    Loss("softmax_focal_loss", gamma=2.0)(z, target).backward()
    np.testing.assert_allclose(z.grad.numpy(), lossbook.softmax_focal_loss_grad(z.detach().numpy(), target.numpy()),
                               rtol=1e-14)


def test_compare_losses_small_and_format_comparison():
    counts = np.array([100, 30, 8])
    losses = {"focal": ("softmax_focal_loss", {"gamma": 2.0}),
              "class-balanced": ("class_balanced_loss", {"samples_per_class": counts.tolist(), "beta": 0.9})}
    table = ie.compare_losses(losses, counts=counts, seeds=(0,), steps=30, n_test_per_class=20)
    assert list(table) == ["focal", "class-balanced"]
    for row in table.values():
        assert row["recall"].shape == (3,) and 0 <= row["balanced_accuracy"] <= 1 and row["std"] == 0
    text = ie.format_comparison(table, counts)
    assert "class 2" in text and "n=8" in text and "class-balanced" in text and "balanced acc." in text
    head, sizes = text.splitlines()[:2]
    assert head.index("class 2") + len("class 2") == sizes.index("n=8") + len("n=8")  # aligned
    assert max(len(line) for line in text.splitlines()) <= 90


def test_default_losses_names_are_registered_and_alpha_is_inverse_frequency():
    counts = [500, 50, 5]
    losses = ie.default_losses(counts)
    assert len(losses) == 5
    for name, kwargs in losses.values():
        assert name in lossbook.REGISTRY
    alpha = np.array(losses["class-weighted CE"][1]["alpha"])
    np.testing.assert_allclose(alpha * counts, alpha[0] * counts[0])
    assert alpha.sum() == pytest.approx(3.0)


@pytest.mark.slow
def test_chapter_experiment_claims():
    # The chapter's qualitative statements about its table (its exact settings).
    counts = ie.long_tailed_counts()
    table = ie.compare_losses(counts=counts)
    ce, bal, cb = table["CE"], table["class-weighted CE"], table["class-balanced (β=0.99)"]
    assert bal["recall"][-1] > ce["recall"][-1] + 0.1      # the rarest class gains with re-weighting
    assert cb["recall"][-1] > ce["recall"][-1]
    assert bal["recall"][0] < ce["recall"][0]              # ... paid for by the head class
    assert bal["balanced_accuracy"] > ce["balanced_accuracy"]


def test_focal_curves_reproduce_fig1_facts():
    p = np.array([0.6, 0.9, 0.968])
    curves = ie.focal_curves(p)
    ce, d_ce = curves[0.0]
    np.testing.assert_allclose(ce, -np.log(p), rtol=1e-13)
    np.testing.assert_allclose(d_ce, p - 1, rtol=1e-12)       # dCE/dx_t = p_t - 1
    np.testing.assert_allclose(ce / curves[2.0][0], 1 / (1 - p) ** 2, rtol=1e-12)
    assert all(np.all(curves[g][1] <= 0) for g in curves)


def test_polynomial_coefficients():
    p = 0.3
    powers, coeffs = ie.polynomial_coefficients("ce", terms=300)
    assert np.sum(coeffs * (1 - p) ** powers) == pytest.approx(-np.log(p), rel=1e-12)
    powers, coeffs = ie.polynomial_coefficients("focal", gamma=2.0, terms=300)
    assert np.sum(coeffs * (1 - p) ** powers) == pytest.approx(-(1 - p) ** 2 * np.log(p), rel=1e-12)
    powers, coeffs = ie.polynomial_coefficients("poly1", epsilon=2.0, terms=300)
    assert np.sum(coeffs * (1 - p) ** powers) == pytest.approx(-np.log(p) + 2 * (1 - p), rel=1e-12)
    with pytest.raises(ValueError, match="kind"):
        ie.polynomial_coefficients("dice")


def test_detection_like_gradient_norms_are_u_shaped():
    X, t = ie.detection_like_data(n_negative=4000, n_positive=40, seed=1)
    assert X.shape == (4040, 2) and set(np.unique(t)) == {0.0, 1.0}
    x = ie.train_logistic(X, t, steps=150)
    g = np.abs(lossbook.sigmoid(x) - t)
    counts = np.histogram(g, bins=np.linspace(0, 1, 11))[0]
    assert counts[0] > 0.9 * len(g)                 # most examples are easy
    assert counts[-1] > counts[4:7].mean()          # and the very hard ones (wrong labels) pile up
    w = lossbook.ghm_weights(g)
    assert w[g < 0.1].max() < w[(g > 0.4) & (g < 0.6)].min()
