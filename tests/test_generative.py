"""The generative (GAN) and perceptual losses (catalog part K) beyond the generic harness.

Values against torch's ``binary_cross_entropy_with_logits`` (the log-D losses) and against the
formulas written in plain torch; gradients against autograd and finite differences; the
behaviour the chapter teaches (saturation, the optimal discriminator); the gradient penalty's
double backward through a small critic with :mod:`lossbook.autograd`; the perceptual loss over
a list of feature maps of a small fixed conv net; bad input.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy.special import expit

import lossbook
from lossbook.autograd import function

RTOL, ATOL = 1e-10, 1e-12


def close(actual, expected, rtol=RTOL, atol=ATOL, what=""):
    actual = actual.detach().numpy() if isinstance(actual, torch.Tensor) else np.asarray(actual)
    expected = expected.detach().numpy() if isinstance(expected, torch.Tensor) else np.asarray(expected)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=what)


def t64(a, grad=False):
    return torch.tensor(np.asarray(a), dtype=torch.float64, requires_grad=grad)


# --- K1, K2: the log-D losses against BCE with logits ---------------------------------
@pytest.mark.parametrize("smoothing", [0.0, 0.1, 0.3])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_discriminator_loss_is_bce_with_logits_and_its_gradient_is_autograd(smoothing, reduction):
    rng = np.random.default_rng(0)
    lr, lf = rng.normal(0, 3, (5, 2)), rng.normal(0, 3, (5, 2))
    tr, tf = t64(lr, True), t64(lf, True)
    ref = (F.binary_cross_entropy_with_logits(tr, torch.full_like(tr, 1 - smoothing), reduction=reduction)
           + F.binary_cross_entropy_with_logits(tf, torch.zeros_like(tf), reduction=reduction))
    ours = lossbook.gan_discriminator_loss(lr, lf, label_smoothing=smoothing, reduction=reduction)
    close(ours, ref)
    g = np.ones(np.shape(ours)) * 0.7
    ref.backward(t64(g))
    gr, gf = lossbook.gan_discriminator_loss_grad(lr, lf, label_smoothing=smoothing,
                                                  reduction=reduction, grad_output=g)
    close(gr, tr.grad, what="real")
    close(gf, tf.grad, what="fake")


def test_tf_gan_smoothing_is_towards_one_half_not_ours():
    """TF-GAN's label_smoothing=s (tf.losses.sigmoid_cross_entropy) targets 1 - s/2; ours
    (torchgan's) targets 1 - s: TF's 0.25 is our 0.125."""
    lr, lf = np.array([1.3, -0.4]), np.array([0.2, -2.0])
    tr = t64(lr)
    tf_style = (F.binary_cross_entropy_with_logits(tr, torch.full_like(tr, 1 * (1 - 0.25) + 0.5 * 0.25))
                + F.binary_cross_entropy_with_logits(t64(lf), torch.zeros(2, dtype=torch.float64)))
    close(lossbook.gan_discriminator_loss(lr, lf, label_smoothing=0.125), tf_style)
    assert abs(float(lossbook.gan_discriminator_loss(lr, lf, label_smoothing=0.25)) - float(tf_style)) > 1e-3


def test_generator_losses_against_bce_and_their_limits():
    l = np.array([-800.0, -30.0, -2.0, 0.0, 1.5, 30.0, 800.0])
    tl = t64(l)
    zeros, ones = torch.zeros_like(tl), torch.ones_like(tl)
    close(lossbook.gan_generator_loss(l, reduction="none"),
          -F.binary_cross_entropy_with_logits(tl, zeros, reduction="none"))
    close(lossbook.non_saturating_generator_loss(l, reduction="none"),
          F.binary_cross_entropy_with_logits(tl, ones, reduction="none"))
    # the saturation the chapter is about: d/dl log(1 - D) -> 0, d/dl (-log D) -> -1 as D -> 0
    sat = lossbook.gan_generator_loss_grad(l, reduction="none", grad_output=np.ones_like(l))
    ns = lossbook.non_saturating_generator_loss_grad(l, reduction="none", grad_output=np.ones_like(l))
    assert np.all(np.isfinite(sat)) and np.all(np.isfinite(ns))
    assert abs(sat[1]) < 1e-12 and abs(ns[1] + 1) < 1e-12
    close(sat, -expit(l))
    close(ns, -expit(-l))
    # maximum likelihood: -exp(l)/2, i.e. -D/(2(1 - D)) (computed where 1 - D keeps its digits)
    d = expit(l[2:5])
    close(lossbook.maximum_likelihood_generator_loss(l[2:5], reduction="none"), -0.5 * d / (1 - d),
          rtol=1e-9)


def test_the_optimal_discriminator_is_p_over_p_plus_q():
    """For densities p (data) and q (model) at a point, p*softplus(-l) + q*softplus(l) is the
    expected discriminator loss there; its gradient vanishes at sigma(l) = p / (p + q), and the
    minimum value over the two is -V = log 4 - 2 JSD."""
    p, q = np.array([0.7, 0.2, 0.05]), np.array([0.1, 0.6, 0.05])
    l_star = np.log(p / q)   # logit of p / (p + q)
    gr, gf = lossbook.gan_discriminator_loss_grad(l_star, l_star, reduction="none",
                                                  grad_output=np.ones(3))
    close(p * gr + q * gf, np.zeros(3), atol=1e-15)
    # minimum over a grid is at l_star
    grid = np.linspace(-6, 6, 20001)
    for pi, qi, li in zip(p, q, l_star):
        risk = pi * lossbook.non_saturating_generator_loss(grid, reduction="none") \
            + qi * -lossbook.gan_generator_loss(grid, reduction="none")
        assert abs(grid[np.argmin(risk)] - li) < 1e-3


# --- K3: WGAN and the gradient penalty --------------------------------------------------
def test_wgan_losses_are_differences_of_means():
    rng = np.random.default_rng(3)
    fr, ff = rng.normal(size=7), rng.normal(size=7)
    close(lossbook.wgan_critic_loss(fr, ff), ff.mean() - fr.mean())
    close(lossbook.wgan_generator_loss(ff, reduction="sum"), -ff.sum())
    gr, gf = lossbook.wgan_critic_loss_grad(fr, ff)
    close(gr, np.full(7, -1 / 7))
    close(gf, np.full(7, 1 / 7))


@pytest.mark.parametrize("one_sided", [False, True])
def test_gradient_penalty_against_plain_torch_and_finite_differences(one_sided):
    rng = np.random.default_rng(4)
    g = rng.normal(0, 0.8, (6, 2, 3))
    tg = t64(g, True)
    norm = tg.reshape(6, -1).norm(dim=1)
    ref = (torch.relu(norm - 1.2) if one_sided else norm - 1.2).square().mean()
    close(lossbook.wgan_gradient_penalty(g, target=1.2, one_sided=one_sided), ref)
    ref.backward()
    ours = lossbook.wgan_gradient_penalty_grad(g, target=1.2, one_sided=one_sided)
    close(ours, tg.grad)
    h, fd = 1e-6, np.zeros_like(g)
    for k in np.ndindex(g.shape):
        up, dn = g.copy(), g.copy()
        up[k] += h
        dn[k] -= h
        fd[k] = (lossbook.wgan_gradient_penalty(up, target=1.2, one_sided=one_sided)
                 - lossbook.wgan_gradient_penalty(dn, target=1.2, one_sided=one_sided)) / (2 * h)
    close(ours, fd, rtol=1e-6, atol=1e-8)


def _critic(seed=0):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1)).double()


def _penalty_of_critic(critic, x_hat, penalty):
    x_hat = x_hat.detach().requires_grad_(True)
    grads, = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    return penalty(grads)


def test_gradient_penalty_double_backward_through_a_critic_with_lossbook_autograd():
    """The critic's weight gradient of lambda * GP, with our penalty gradient as the backward of
    a LossbookFunction, equals autograd of the plain-torch formula, and finite differences."""
    critic = _critic()
    gen = torch.Generator().manual_seed(1)
    real, fake = torch.randn(5, 3, generator=gen, dtype=torch.float64), \
        torch.randn(5, 3, generator=gen, dtype=torch.float64) * 0.5 + 1.0
    eps = torch.rand(5, 1, generator=gen, dtype=torch.float64)
    x_hat = eps * real + (1 - eps) * fake
    gp = function("wgan_gradient_penalty")
    ours = 10.0 * _penalty_of_critic(critic, x_hat, gp)
    params = list(critic.parameters())[:3]   # the last bias does not change input gradients
    g_ours = torch.autograd.grad(ours, params)
    plain = 10.0 * _penalty_of_critic(critic, x_hat, lambda g: (g.norm(dim=1) - 1).square().mean())
    close(ours, plain)
    g_plain = torch.autograd.grad(plain, params)
    for a, b in zip(g_ours, g_plain):
        assert a.abs().max() > 0
        close(a, b)
    # finite differences on one weight matrix
    w = params[0]
    fd = torch.zeros_like(w)
    h = 1e-6
    for k in np.ndindex(tuple(w.shape)):
        with torch.no_grad():
            w[k] += h
        up = (10.0 * _penalty_of_critic(critic, x_hat, gp)).item()
        with torch.no_grad():
            w[k] -= 2 * h
        dn = (10.0 * _penalty_of_critic(critic, x_hat, gp)).item()
        with torch.no_grad():
            w[k] += h
        fd[k] = (up - dn) / (2 * h)
    close(g_ours[0], fd, rtol=1e-6, atol=1e-8)


# --- K4, K5 ---------------------------------------------------------------------------------
@pytest.mark.parametrize("abc", [(0.0, 1.0, 1.0), (-1.0, 1.0, 0.0)])
def test_lsgan_against_half_mse(abc):
    a, b, c = abc
    rng = np.random.default_rng(5)
    dr, df = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    tr, tf = t64(dr, True), t64(df, True)
    ref = 0.5 * F.mse_loss(tr, torch.full_like(tr, b)) + 0.5 * F.mse_loss(tf, torch.full_like(tf, a))
    close(lossbook.lsgan_discriminator_loss(dr, df, a=a, b=b), ref)
    ref.backward()
    gr, gf = lossbook.lsgan_discriminator_loss_grad(dr, df, a=a, b=b)
    close(gr, tr.grad)
    close(gf, tf.grad)
    tf2 = t64(df, True)
    ref_g = 0.5 * F.mse_loss(tf2, torch.full_like(tf2, c), reduction="sum")
    close(lossbook.lsgan_generator_loss(df, c=c, reduction="sum"), ref_g)
    ref_g.backward()
    close(lossbook.lsgan_generator_loss_grad(df, c=c, reduction="sum"), tf2.grad)


def test_loss_sensitive_hinge_is_active_only_with_a_violated_margin():
    real = np.array([0.0, 0.0, 1.0])
    fake = np.array([3.0, 0.5, 0.0])
    margin = np.array([1.0, 1.0, 1.0])   # h = -2 (inactive), 0.5, 2
    close(lossbook.loss_sensitive_gan_loss(real, fake, margin, weight=2.0, reduction="none"),
          np.array([0.0, 1.0, 5.0]))
    gr, gf, gm = lossbook.loss_sensitive_gan_loss_grad(real, fake, margin, weight=2.0, reduction="sum")
    close(gr, [1.0, 3.0, 3.0])
    close(gf, [0.0, -2.0, -2.0])
    close(gm, [0.0, 2.0, 2.0])


# --- K6: perceptual loss over a list of feature maps of a fixed conv net ----------------------
class _Features(torch.nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(7)
        self.c1 = torch.nn.Conv2d(1, 3, 3, padding=1).double()
        self.c2 = torch.nn.Conv2d(3, 4, 3, stride=2, padding=1).double()

    def forward(self, x):
        a = torch.tanh(self.c1(x))
        return [a, torch.tanh(self.c2(a))]


def _plain_perceptual(fx, fy, wf, ws):
    total = 0.0
    for x, y, a, b in zip(fx, fy, wf, ws):
        n, c = x.shape[:2]
        k = c * x[0, 0].numel()
        X, Y = x.reshape(n, c, -1), y.reshape(n, c, -1)
        gx, gy = X @ X.transpose(1, 2) / k, Y @ Y.transpose(1, 2) / k
        total = total + a * ((X - Y) ** 2).sum((1, 2)) / k + b * ((gx - gy) ** 2).sum((1, 2))
    return total.mean()


def test_perceptual_loss_over_a_list_through_a_fixed_net_matches_autograd():
    phi = _Features()
    gen = torch.Generator().manual_seed(2)
    image = torch.rand(2, 1, 6, 6, generator=gen, dtype=torch.float64, requires_grad=True)
    target = torch.rand(2, 1, 6, 6, generator=gen, dtype=torch.float64)
    wf, ws = [1.0, 0.5], [2.0, 3.0]
    feats = phi(image)
    with torch.no_grad():
        tfeats = phi(target)
    ours = lossbook.perceptual_loss(feats, tfeats, feature_weight=wf, style_weight=ws)
    plain = _plain_perceptual(feats, tfeats, wf, ws)
    close(ours, plain)
    # our per-layer gradients, back-propagated through phi, = autograd of the plain formula
    layer_grads = lossbook.perceptual_loss_grad([f.detach() for f in feats], tfeats,
                                                feature_weight=wf, style_weight=ws)
    assert isinstance(layer_grads, list) and len(layer_grads) == 2
    ours_image, = torch.autograd.grad(feats, image, grad_outputs=layer_grads, retain_graph=True)
    plain_image, = torch.autograd.grad(plain, image)
    close(ours_image, plain_image)
    # and layer by layer through lossbook.autograd (the loss is a sum over layers)
    image2 = image.detach().clone().requires_grad_(True)
    pl = function("perceptual_loss")
    total = sum(pl(f, t, feature_weight=a, style_weight=b)
                for f, t, a, b in zip(phi(image2), tfeats, wf, ws))
    total.backward()
    close(image2.grad, plain_image)


def test_perceptual_style_gradient_by_finite_differences():
    rng = np.random.default_rng(8)
    x, y = rng.normal(size=(2, 3, 2, 2)), rng.normal(size=(2, 3, 2, 2))
    g = lossbook.perceptual_loss_grad(x, y, feature_weight=0.0, style_weight=1.0, reduction="sum")
    h, fd = 1e-6, np.zeros_like(x)
    for k in np.ndindex(x.shape):
        up, dn = x.copy(), x.copy()
        up[k] += h
        dn[k] -= h
        fd[k] = (lossbook.perceptual_loss(up, y, feature_weight=0.0, style_weight=1.0, reduction="sum")
                 - lossbook.perceptual_loss(dn, y, feature_weight=0.0, style_weight=1.0, reduction="sum")) / (2 * h)
    close(g, fd, rtol=1e-6, atol=1e-8)


def test_perceptual_list_is_the_sum_of_its_layers():
    rng = np.random.default_rng(9)
    a, b = rng.normal(size=(3, 2, 4)), rng.normal(size=(3, 5, 2, 2))
    ta, tb = rng.normal(size=(3, 2, 4)), rng.normal(size=(3, 5, 2, 2))
    kw = dict(feature_weight=0.3, style_weight=1.7, reduction="none")
    close(lossbook.perceptual_loss([a, b], [ta, tb], **kw),
          lossbook.perceptual_loss(a, ta, **kw) + lossbook.perceptual_loss(b, tb, **kw))


# --- bad input ------------------------------------------------------------------------------
@pytest.mark.parametrize("call,error,message", [
    (lambda: lossbook.gan_discriminator_loss(np.zeros(4), np.zeros(3)), ValueError, "fake_logits"),
    (lambda: lossbook.gan_discriminator_loss(np.zeros(4), np.zeros(4), label_smoothing=1.0),
     ValueError, "label_smoothing"),
    (lambda: lossbook.wgan_gradient_penalty(np.ones(4)), ValueError, r"gradients must have shape \(N, d1"),
    (lambda: lossbook.wgan_gradient_penalty(np.ones((4, 2)), target=-1.0), ValueError, "target"),
    (lambda: lossbook.wgan_gradient_penalty(np.ones((4, 2)), one_sided=1), ValueError, "one_sided"),
    (lambda: lossbook.loss_sensitive_gan_loss(np.zeros(3), np.zeros(3), np.zeros(2)), ValueError, "margin"),
    (lambda: lossbook.loss_sensitive_gan_loss(np.zeros(3), np.zeros(3), np.zeros(3), weight=-1.0),
     ValueError, "weight"),
    (lambda: lossbook.perceptual_loss([np.ones((2, 1, 3))], np.ones((2, 1, 3))), ValueError, "target must be given like input"),
    (lambda: lossbook.perceptual_loss([np.ones((2, 1, 3))] * 2, [np.ones((2, 1, 3))]), ValueError, "one feature map per layer"),
    (lambda: lossbook.perceptual_loss([np.ones((2, 1, 3)), np.ones((3, 1, 3))],
                                      [np.ones((2, 1, 3)), np.ones((3, 1, 3))]), ValueError, r"input\[1\].*batch size"),
    (lambda: lossbook.perceptual_loss([np.ones((2, 1, 3))], [np.ones((2, 2, 3))]), ValueError, r"target\[0\]"),
    (lambda: lossbook.perceptual_loss([], []), ValueError, "input is an empty list"),
    (lambda: lossbook.perceptual_loss(np.ones((2, 3)), np.ones((2, 3))), ValueError, r"input must have shape \(N, C, d1"),
    (lambda: lossbook.perceptual_loss([np.ones((2, 1, 3))], [np.ones((2, 1, 3))], style_weight=[1.0, 2.0]),
     ValueError, "style_weight"),
    (lambda: lossbook.perceptual_loss([np.full((2, 1, 3), np.nan)], [np.ones((2, 1, 3))]), ValueError, r"input\[0\] contains NaN"),
])
def test_bad_input_names_the_argument(call, error, message):
    with pytest.raises(error, match=message):
        call()
