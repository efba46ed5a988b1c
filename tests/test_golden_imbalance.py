"""Golden values (catalog §W15, §W16) and the properties the imbalance chapter states.

The expected numbers are the catalog's and the papers', never lossbook's own output; the
independent comparisons use torch only.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import lossbook
from references import REFERENCES, _torchvision_sigmoid_focal_loss


def logit(p):
    p = np.asarray(p, dtype=np.float64)
    return np.log(p) - np.log1p(-p)


# --- W15: focal vs cross-entropy (alpha = 1, gamma = 2) -----------------------------------
P_T = np.array([0.6, 0.9, 0.968])


@pytest.mark.parametrize("target", [1.0, 0.0])
def test_w15_focal_over_ce_ratio(target):
    # p_t is the probability of the true label: x = logit(p_t) for t = 1, -logit(p_t) for t = 0.
    x = logit(P_T) * (1.0 if target == 1.0 else -1.0)
    t = np.full(3, target)
    ce = lossbook.balanced_cross_entropy(x, t, alpha=None, reduction="none")
    fl = lossbook.sigmoid_focal_loss(x, t, alpha=None, gamma=2.0, reduction="none")
    np.testing.assert_allclose(ce / fl, [6.25, 100.0, 976.6], rtol=5e-5)  # catalog prints 4 digits
    np.testing.assert_allclose(ce[0], 0.510826, atol=5e-7)
    np.testing.assert_allclose(fl[0], 0.081732, atol=5e-7)


def test_w15_paper_statement_100x_and_1000x():
    # "with gamma = 2, an example classified with p_t = 0.9 would have 100x lower loss
    # compared with CE and with p_t ~ 0.968 it would have 1000x lower loss" (Lin et al., Sec. 3.2)
    x = logit(P_T[1:])
    ratio = (lossbook.balanced_cross_entropy(x, np.ones(2), alpha=None, reduction="none")
             / lossbook.sigmoid_focal_loss(x, np.ones(2), alpha=None, reduction="none"))
    assert ratio[0] == pytest.approx(100.0, rel=1e-9)
    assert ratio[1] == pytest.approx(1000.0, rel=0.03)


def test_w15_softmax_focal_with_two_logits_equals_sigmoid_focal():
    # softmax over (0, x) is sigmoid(x): the binary focal loss is the C = 2 softmax one with
    # alpha_y = (1 - alpha, alpha) (the correct version of the seed's mixed module, ER34).
    rng = np.random.default_rng(0)
    x = rng.normal(size=7) * 3
    t = (rng.uniform(size=7) > 0.5).astype(np.int64)
    z = np.stack([np.zeros_like(x), x], axis=1)
    for gamma in (0.0, 0.5, 2.0):
        sig = lossbook.sigmoid_focal_loss(x, t.astype(float), alpha=0.3, gamma=gamma, reduction="none")
        soft = lossbook.softmax_focal_loss(z, t, alpha=[0.7, 0.3], gamma=gamma, reduction="none")
        np.testing.assert_allclose(soft, sig, rtol=1e-12, atol=1e-15)
        g_sig = lossbook.sigmoid_focal_loss_grad(x, t.astype(float), alpha=0.3, gamma=gamma)
        g_soft = lossbook.softmax_focal_loss_grad(z, t, alpha=[0.7, 0.3], gamma=gamma)
        np.testing.assert_allclose(g_soft[:, 1], g_sig, rtol=1e-10, atol=1e-15)
        np.testing.assert_allclose(g_soft[:, 0], -g_sig, rtol=1e-10, atol=1e-15)


# --- W16: class-balanced weights --------------------------------------------------------
def test_w16_class_balanced_weights():
    w = lossbook.class_balanced_weights([2, 3, 1, 2, 2], beta=0.9999)
    np.testing.assert_allclose(w, [0.8823633, 0.5882716, 1.7646384, 0.8823633, 0.8823633], atol=5e-8)
    assert w.sum() == pytest.approx(5.0, rel=1e-14)
    # close to normalised inverse frequency, since 1 - beta**n ~ n (1 - beta)
    inverse = 1.0 / np.array([2, 3, 1, 2, 2])
    np.testing.assert_allclose(w, inverse * 5 / inverse.sum(), rtol=3e-4)


def test_class_balanced_weights_limits():
    n = np.array([1000, 100, 10, 1])
    np.testing.assert_array_equal(lossbook.class_balanced_weights(n, beta=0.0), np.ones(4))
    inverse = 1.0 / n
    np.testing.assert_allclose(lossbook.class_balanced_weights(n, beta=1 - 1e-12), inverse * 4 / inverse.sum(),
                               rtol=1e-6)


def test_effective_number():
    n = np.array([1.0, 2.0, 10.0, 1e6])
    for beta in (0.0, 0.9, 0.99, 0.9999):
        e = lossbook.effective_number(n, beta)
        direct = np.array([sum(beta ** k for k in range(int(m))) for m in n[:3]])
        np.testing.assert_allclose(e[:3], direct, rtol=1e-12)
        assert e[0] == 1.0 and np.all(e <= np.minimum(n, 1 / (1 - beta)) * (1 + 1e-12))
    assert lossbook.effective_number([1e6], 0.9999)[0] == pytest.approx(1e4, rel=1e-12)


@pytest.mark.parametrize("bad", [[0, 3], [-1, 2], [np.nan, 1]])
def test_effective_number_rejects_bad_counts(bad):
    with pytest.raises(ValueError, match="samples_per_class"):
        lossbook.class_balanced_weights(bad, 0.9)


@pytest.mark.parametrize("beta", [1.0, -0.1, 1.5])
def test_effective_number_rejects_bad_beta(beta):
    with pytest.raises(ValueError, match="beta"):
        lossbook.class_balanced_weights([3, 1], beta)


def test_class_balanced_loss_rejects_wrong_number_of_counts():
    with pytest.raises(ValueError, match="samples_per_class"):
        lossbook.class_balanced_loss(np.zeros((2, 3)), np.array([0, 1]), samples_per_class=[5, 1])
    with pytest.raises(ValueError, match="loss_type"):
        lossbook.class_balanced_loss(np.zeros((2, 3)), np.array([0, 1]), samples_per_class=[5, 1, 1],
                                     loss_type="bce")


# --- the focal gradient -----------------------------------------------------------------
X = np.linspace(-30, 30, 200_001)


@pytest.mark.parametrize("gamma", [0.0, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0])
@pytest.mark.parametrize("alpha", [None, 0.25])
def test_focal_gradient_bound(gamma, alpha):
    for t in (0.0, 1.0):
        target = np.full_like(X, t)
        g = lossbook.sigmoid_focal_loss_grad(X, target, alpha=alpha, gamma=gamma, reduction="none")
        alpha_t = 1.0 if alpha is None else (alpha if t == 1.0 else 1 - alpha)
        assert np.max(np.abs(g)) <= alpha_t * (1 + gamma / math.e) + 1e-12


def test_focal_gradient_maximum_at_gamma_2_is_1_13_alpha_t():
    for alpha, t in ((None, 1.0), (0.25, 1.0), (0.25, 0.0)):
        g = lossbook.sigmoid_focal_loss_grad(X, np.full_like(X, t), alpha=alpha, gamma=2.0, reduction="none")
        alpha_t = 1.0 if alpha is None else (alpha if t == 1.0 else 1 - alpha)
        assert np.max(np.abs(g)) / alpha_t == pytest.approx(1.13, abs=0.005)


@pytest.mark.parametrize("gamma", [0.1, 0.5, 0.9])
def test_gamma_below_one_is_finite_where_the_naive_form_is_nan(gamma):
    # sigmoid(40) == 1.0 in float64: p_t = 1 exactly, and autograd of (1 - p_t) ** gamma is inf * 0.
    x = np.array([40.0, -40.0, 3.0])
    t = np.array([1.0, 0.0, 1.0])
    ours = lossbook.sigmoid_focal_loss_grad(x, t, gamma=gamma, reduction="none")
    assert np.all(np.isfinite(ours))
    assert np.all(np.abs(ours[:2]) < 1e-18)  # the true gradient is ~e^{-40(1+gamma)}, not NaN
    xt = torch.tensor(x, requires_grad=True)
    naive = _torchvision_sigmoid_focal_loss(xt, torch.tensor(t), 0.25, gamma).sum()
    naive.backward()
    assert torch.isnan(xt.grad[:2]).all() and torch.isfinite(xt.grad[2])
    # the softmax focal loss too, at a certain prediction
    z = np.array([[80.0, 0.0, -5.0], [1.0, 2.0, 0.5]])
    assert np.all(np.isfinite(lossbook.softmax_focal_loss_grad(z, np.array([0, 2]), gamma=gamma)))


# --- relations between the losses -------------------------------------------------------
def _binary_batch(seed=0, shape=(5, 4)):
    rng = np.random.default_rng(seed)
    return rng.normal(size=shape) * 2, (rng.uniform(size=shape) > 0.6).astype(np.float64)


def test_balanced_ce_is_focal_at_gamma_0_and_pos_weight_up_to_a_factor():
    x, t = _binary_batch()
    alpha = 0.75
    ours = lossbook.balanced_cross_entropy(x, t, alpha=alpha)
    assert ours == pytest.approx(float(lossbook.sigmoid_focal_loss(x, t, alpha=alpha, gamma=0.0)), rel=1e-14)
    pos_weight = F.binary_cross_entropy_with_logits(torch.tensor(x), torch.tensor(t),
                                                    pos_weight=torch.tensor(alpha / (1 - alpha)))
    assert ours == pytest.approx((1 - alpha) * float(pos_weight), rel=1e-12)


def test_softmax_focal_at_gamma_0_is_cross_entropy_and_alpha_mean_is_plain():
    rng = np.random.default_rng(1)
    z, y = rng.normal(size=(8, 3)), np.array([0, 1, 2, 0, 0, 1, 0, 0])
    zt, yt = torch.tensor(z), torch.tensor(y)
    assert float(lossbook.softmax_focal_loss(z, y, gamma=0.0)) == pytest.approx(
        float(F.cross_entropy(zt, yt)), rel=1e-13)
    w = np.array([0.2, 1.0, 3.0])
    per_sample = F.cross_entropy(zt, yt, weight=torch.tensor(w), reduction="none")
    ours = lossbook.softmax_focal_loss(z, y, alpha=w, gamma=0.0)
    assert float(ours) == pytest.approx(float(per_sample.mean()), rel=1e-13)  # plain mean
    assert float(ours) != pytest.approx(float(F.cross_entropy(zt, yt, weight=torch.tensor(w))), rel=1e-3)


def test_seed_focal_on_the_batch_mean_differs_er33():
    # ER33: the seed computes CE with the default mean, then pt = exp(-ce_mean): one modulating
    # factor for the whole batch.
    z = np.array([[4.0, 0.0, 0.0], [0.0, 0.0, 0.0], [-2.0, 3.0, 0.0]])
    y = np.array([0, 1, 0])
    ce_mean = F.cross_entropy(torch.tensor(z), torch.tensor(y))
    seed = float((1 - torch.exp(-ce_mean)) ** 2 * ce_mean)
    ours = float(lossbook.softmax_focal_loss(z, y, gamma=2.0))
    assert abs(seed - ours) > 0.1 * ours


def test_softmax_focal_class_axis_one_for_dense_inputs():
    rng = np.random.default_rng(2)
    z = rng.normal(size=(2, 3, 4, 5))
    y = rng.integers(0, 3, size=(2, 4, 5))
    ours = lossbook.softmax_focal_loss(z, y, gamma=1.5, reduction="none")
    flat = lossbook.softmax_focal_loss(np.moveaxis(z, 1, -1).reshape(-1, 3), y.reshape(-1), gamma=1.5,
                                       reduction="none")
    np.testing.assert_allclose(ours.reshape(-1), flat, rtol=1e-14)
    g = lossbook.softmax_focal_loss_grad(z, y, gamma=1.5)
    g_flat = lossbook.softmax_focal_loss_grad(np.moveaxis(z, 1, -1).reshape(-1, 3), y.reshape(-1), gamma=1.5)
    np.testing.assert_allclose(np.moveaxis(g, 1, -1).reshape(-1, 3), g_flat, rtol=1e-12)


def test_class_balanced_at_beta_0_is_the_base_loss():
    rng = np.random.default_rng(3)
    z, y = rng.normal(size=(6, 3)), np.array([0, 1, 2, 2, 1, 0])
    counts = [50, 5, 1]
    assert float(lossbook.class_balanced_loss(z, y, samples_per_class=counts, beta=0.0)) == pytest.approx(
        float(F.cross_entropy(torch.tensor(z), torch.tensor(y))), rel=1e-13)
    onehot = np.eye(3)[y]
    sig = lossbook.class_balanced_loss(z, y, samples_per_class=counts, beta=0.0, loss_type="focal", gamma=2.0)
    assert float(sig) == pytest.approx(
        float(lossbook.sigmoid_focal_loss(z, onehot, alpha=None, gamma=2.0, reduction="sum")) / 6, rel=1e-13)


def _vandit15(labels, logits, samples_per_cls, no_of_classes, loss_type, beta, gamma):
    """vandit15/Class-balanced-loss-pytorch CB_loss (keyword fixed to weight=, float64)."""
    effective_num = 1.0 - np.power(beta, samples_per_cls)
    weights = (1.0 - beta) / np.array(effective_num)
    weights = weights / np.sum(weights) * no_of_classes
    labels_one_hot = F.one_hot(labels, no_of_classes).double()
    weights = torch.tensor(weights).double().unsqueeze(0)
    weights = weights.repeat(labels_one_hot.shape[0], 1) * labels_one_hot
    weights = weights.sum(1).unsqueeze(1).repeat(1, no_of_classes)
    if loss_type == "sigmoid":
        return F.binary_cross_entropy_with_logits(input=logits, target=labels_one_hot, weight=weights)
    if loss_type == "softmax":
        pred = logits.softmax(dim=1)
        return F.binary_cross_entropy(input=pred, target=labels_one_hot, weight=weights)
    raise ValueError(loss_type)


def test_class_balanced_normalisation_vs_vandit15():
    rng = np.random.default_rng(4)
    z, y = rng.normal(size=(10, 5)), rng.integers(0, 5, size=10)
    counts, beta = [2, 3, 1, 2, 2], 0.9999
    kw = dict(samples_per_class=counts, beta=beta)
    zt, yt = torch.tensor(z), torch.tensor(y)
    # sigmoid: vandit15 averages over N*C elements, the official code (and we) over N
    ours = float(lossbook.class_balanced_loss(z, y, loss_type="sigmoid", **kw))
    assert float(_vandit15(yt, zt, counts, 5, "sigmoid", beta, 2.0)) == pytest.approx(ours / 5, rel=1e-12)
    # softmax: vandit15 is BCE on softmax probabilities, not the weighted softmax CE (ER40)
    assert float(_vandit15(yt, zt, counts, 5, "softmax", beta, 2.0)) != pytest.approx(
        float(lossbook.class_balanced_loss(z, y, loss_type="softmax", **kw)), rel=1e-2)
    # the official formula for all three types (tests/references.py)
    for loss_type in ("softmax", "sigmoid", "focal"):
        expected = REFERENCES["class_balanced_loss"]((z, y), {**kw, "loss_type": loss_type})
        assert float(lossbook.class_balanced_loss(z, y, loss_type=loss_type, **kw)) == pytest.approx(
            float(expected), rel=1e-12)


def test_official_cb_focal_modulator_overflows_ours_does_not():
    # the official focal modulator uses log1p(exp(-x)): inf for x < -710 in float64
    z = np.array([[-800.0, 2.0], [1.0, -3.0]])
    y = np.array([1, 0])
    value = lossbook.class_balanced_loss(z, y, samples_per_class=[10, 3], beta=0.9, loss_type="focal")
    assert np.isfinite(value)
    assert np.all(np.isfinite(lossbook.class_balanced_loss_grad(
        z, y, samples_per_class=[10, 3], beta=0.9, loss_type="focal")))
    with np.errstate(over="ignore"):
        assert np.isinf(np.log1p(np.exp(800.0)))


# --- GHM ----------------------------------------------------------------------------------
def test_ghm_weights_sum_to_n_and_batch_of_one_is_bce():
    rng = np.random.default_rng(5)
    g = rng.beta(0.3, 2.0, size=200)
    w = lossbook.ghm_weights(g)
    assert w.sum() == pytest.approx(200.0, rel=1e-12)
    counts = np.histogram(g, bins=np.linspace(0, 1, 11))[0]
    crowded = np.argmax(counts)
    in_crowded = (g >= crowded / 10) & (g < (crowded + 1) / 10)
    assert np.all(w[in_crowded] == w.min())
    x, t = np.array([1.3]), np.array([0.0])
    assert float(lossbook.ghm_c_loss(x, t)) == pytest.approx(float(lossbook.balanced_cross_entropy(
        x, t, alpha=None)), rel=1e-14)


def test_ghm_weights_are_detached_in_torch():
    x = torch.tensor([0.2, -3.0, 4.0, 1.0], dtype=torch.float64, requires_grad=True)
    t = torch.tensor([1.0, 0.0, 1.0, 0.0], dtype=torch.float64)
    loss = lossbook.ghm_c_loss(x, t)
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), lossbook.ghm_c_loss_grad(x.detach().numpy(), t.numpy()),
                               rtol=1e-13)


def test_ghm_c_matches_mmdet_on_a_detector_like_batch():
    # many easy negatives, a few positives, a few outliers: all ten bins exercised
    rng = np.random.default_rng(6)
    x = np.concatenate([rng.normal(-5, 1.5, 900), rng.normal(1, 2, 60), rng.normal(6, 1, 40)])
    t = np.concatenate([np.zeros(900), np.ones(60), np.zeros(40)])
    for bins in (10, 30):
        expected = REFERENCES["ghm_c_loss"]((x, t), {"bins": bins})
        assert float(lossbook.ghm_c_loss(x, t, bins=bins)) == pytest.approx(float(expected), rel=1e-12)


def test_ghm_r_matches_mmdet_with_default_mu():
    rng = np.random.default_rng(7)
    d = np.concatenate([rng.normal(0, 0.01, 300), rng.normal(0, 0.3, 50), [4.0, -6.0]])
    y = rng.normal(size=d.shape)
    expected = REFERENCES["ghm_r_loss"]((y + d, y), {})
    assert float(lossbook.ghm_r_loss(y + d, y)) == pytest.approx(float(expected), rel=1e-12)


# --- Poly-1 -----------------------------------------------------------------------------
def test_poly1_at_epsilon_0_is_cross_entropy_and_focal_form_at_0_is_focal():
    rng = np.random.default_rng(8)
    z, y = rng.normal(size=(5, 4)), np.array([0, 3, 1, 1, 2])
    assert float(lossbook.poly1_loss(z, y, epsilon=0.0)) == pytest.approx(
        float(F.cross_entropy(torch.tensor(z), torch.tensor(y))), rel=1e-13)
    x, t = _binary_batch(9)
    assert float(lossbook.poly1_focal_loss(x, t, epsilon=0.0)) == pytest.approx(
        float(lossbook.sigmoid_focal_loss(x, t)), rel=1e-14)


def test_poly1_is_the_leading_coefficient_of_the_ce_series():
    # -log p = sum_j (1 - p)^j / j; Poly-1 adds epsilon to the j = 1 coefficient
    p = np.array([0.3, 0.7, 0.95])
    z = np.stack([np.log(p), np.log1p(-p)], axis=1)  # softmax(z)[:, 0] == p
    series = sum((1 - p) ** j / j for j in range(1, 400))
    np.testing.assert_allclose(lossbook.poly1_loss(z, np.zeros(3, dtype=np.int64), epsilon=2.0, reduction="none"),
                               series + 2.0 * (1 - p), rtol=1e-12)


@pytest.mark.parametrize("name,kwargs", [
    ("sigmoid_focal_loss", {}), ("balanced_cross_entropy", {}), ("poly1_focal_loss", {}),
    ("ghm_c_loss", {}),
])
def test_binary_losses_reject_soft_targets(name, kwargs):
    with pytest.raises(ValueError, match="target"):
        getattr(lossbook, name)(np.zeros(3), np.array([0.0, 0.5, 1.0]), **kwargs)


def test_alpha_and_gamma_are_checked():
    x, t = np.zeros(2), np.array([0.0, 1.0])
    with pytest.raises(ValueError, match="alpha"):
        lossbook.sigmoid_focal_loss(x, t, alpha=1.5)
    with pytest.raises(ValueError, match="gamma"):
        lossbook.sigmoid_focal_loss(x, t, gamma=-1.0)
    with pytest.raises(ValueError, match="alpha"):
        lossbook.softmax_focal_loss(np.zeros((2, 3)), np.array([0, 1]), alpha=[1.0, 2.0])
    # torchvision's alpha = -1 switches alpha off
    assert float(lossbook.sigmoid_focal_loss(x, t, alpha=-1)) == float(lossbook.sigmoid_focal_loss(x, t, alpha=None))
