"""Activation-specific facts, identities and golden values (catalog part A, §W rows W8, W10,
W17, W20; errata ER15-ER22).

The generic checks (references, gradients, kinks, dtypes, bad inputs) are in
``test_registry.py``; here are the numbers the chapters state. Expected values come from the
catalog, from closed forms, or from PyTorch / SciPy, never from lossbook's own output.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.optimize
import torch
import torch.nn.functional as F

import lossbook

X = np.linspace(-20.0, 20.0, 4001)


# --- W20: minima of the non-monotone activations, located numerically -----------------------------
@pytest.mark.parametrize("name, x_min, f_min", [
    ("silu", -1.27846, -0.27846),
    ("mish", -1.19243, -0.30884),
    ("gelu", -0.75179, -0.16997),
])
def test_w20_minimum(name, x_min, f_min):
    fn = getattr(lossbook, name)
    res = scipy.optimize.minimize_scalar(lambda x: float(fn(np.array(x))), bounds=(-3.0, 0.0),
                                         method="bounded", options={"xatol": 1e-10})
    assert res.x == pytest.approx(x_min, abs=5e-6)
    assert res.fun == pytest.approx(f_min, abs=5e-6)
    # the derivative changes sign there: negative to the left (ER16: not all derivatives >= 0)
    grad = getattr(lossbook, name + "_grad")
    assert float(grad(np.array(res.x - 0.1))) < 0 < float(grad(np.array(res.x + 0.1)))


def test_silu_minimum_is_a_lambert_w_closed_form():
    """x* solves 1 + x + e^x = 0, i.e. x* = -1 - W(1/e); and f(x*) = x* + 1 (= -0.27846...)."""
    from scipy.special import lambertw

    x_star = -1.0 - float(lambertw(math.exp(-1.0)).real)
    assert float(lossbook.silu_grad(np.array(x_star))) == pytest.approx(0.0, abs=1e-15)
    assert float(lossbook.silu(np.array(x_star))) == pytest.approx(x_star + 1.0, abs=1e-15)


# --- saturating activations ----------------------------------------------------------------
def test_tanh_is_a_rescaled_sigmoid():
    """tanh x = 2 sigma(2x) - 1 (ER15: squeezed horizontally, stretched vertically, shifted down)."""
    np.testing.assert_allclose(lossbook.tanh(X), 2.0 * lossbook.sigmoid(2.0 * X) - 1.0, rtol=0, atol=1e-15)
    np.testing.assert_allclose(lossbook.tanh(X) + 1.0, 2.0 * lossbook.sigmoid(2.0 * X), rtol=0, atol=1e-15)


def test_max_slopes_of_sigmoid_and_tanh():
    assert float(lossbook.sigmoid_grad(np.array(0.0))) == 0.25
    assert float(lossbook.tanh_grad(np.array(0.0))) == 1.0
    away = X[X != 0.0]
    assert np.all(lossbook.sigmoid_grad(away) < 0.25)
    assert np.all(lossbook.tanh_grad(away) < 1.0)
    # tanh'(x) = 4 sigma'(2x); 1 - tanh^2 (PyTorch's form too) cancels to 0 for |x| > 19, hence atol
    np.testing.assert_allclose(lossbook.tanh_grad(X), 4.0 * lossbook.sigmoid_grad(2.0 * X), rtol=1e-12, atol=1e-15)


def test_sigmoid_is_stable_and_symmetric():
    big = np.array([-1000.0, -40.0, 40.0, 1000.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s = lossbook.sigmoid(big)
    np.testing.assert_allclose(s, [0.0, 4.248354255291589e-18, 1.0, 1.0], rtol=1e-15)
    np.testing.assert_allclose(lossbook.sigmoid(X) + lossbook.sigmoid(-X), 1.0, rtol=0, atol=1e-15)


def test_softsign_tail_is_polynomial():
    """softsign'(x) x^2 -> 1, while tanh'(x) decays like 4 e^{-2|x|}."""
    x = np.array([10.0, 100.0, 1000.0])
    np.testing.assert_allclose(lossbook.softsign_grad(x) * (1 + x) ** 2, 1.0, rtol=1e-15)
    assert float(lossbook.tanh_grad(np.array(10.0))) < 1e-8 < float(lossbook.softsign_grad(np.array(10.0)))
    assert float(lossbook.softsign_grad(np.array(0.0))) == 1.0


def test_hardsigmoid_torch_vs_keras2():
    """W20: hardsigmoid(1) = 2/3 (PyTorch, Keras 3); tf.keras <= 2.15 gave clip(0.2x + 0.5) = 0.7."""
    assert float(lossbook.hardsigmoid(np.array(1.0))) == pytest.approx(2.0 / 3.0, abs=1e-16)
    assert float(F.hardsigmoid(torch.tensor(1.0, dtype=torch.float64))) == pytest.approx(2.0 / 3.0, abs=1e-16)
    assert float(np.clip(0.2 * 1.0 + 0.5, 0.0, 1.0)) == 0.7


def test_torch_hardsigmoid_backward_uses_a_float32_sixth():
    """Documented quirk: F.hardsigmoid's CPU backward multiplies by 1/6 rounded to float32, even
    in float64. lossbook returns exactly 1/6 (hence the harness's reference is relu6(x+3)/6)."""
    x = torch.tensor([-1.0, 0.5, 2.0], dtype=torch.float64, requires_grad=True)
    F.hardsigmoid(x).backward(torch.ones_like(x))
    assert x.grad.tolist() == [0.1666666716337204] * 3
    assert float(np.float32(1.0 / 6.0)) == 0.1666666716337204
    ours = lossbook.hardsigmoid_grad(x.detach().numpy())
    assert ours.tolist() == [1.0 / 6.0] * 3


def test_hardtanh_and_relu6_are_clips():
    np.testing.assert_array_equal(lossbook.hardtanh(X), np.clip(X, -1.0, 1.0))
    np.testing.assert_array_equal(lossbook.relu6(X), np.clip(X, 0.0, 6.0))
    np.testing.assert_allclose(lossbook.hardsigmoid(X), lossbook.relu6(X + 3.0) / 6.0, rtol=0, atol=2.3e-16)


def test_stacked_identity_layers_collapse_to_one_affine_map():
    rng = np.random.default_rng(0)
    w1, b1, w2, b2 = rng.normal(size=(4, 3)), rng.normal(size=4), rng.normal(size=(2, 4)), rng.normal(size=2)
    x = rng.normal(size=3)
    two_layers = w2 @ lossbook.identity(w1 @ x + b1) + b2
    np.testing.assert_allclose(two_layers, (w2 @ w1) @ x + (w2 @ b1 + b2), rtol=1e-13)


# --- rectifiers and gated units -------------------------------------------------------------------
def test_leaky_relu_default_slope_is_pytorchs():
    """W17 / ER17: the book's default is 0.01 (PyTorch); the seed's text says 0.1, its code 0.01."""
    x = np.array([-2.0, 3.0])
    np.testing.assert_array_equal(lossbook.leaky_relu(x), [-0.02, 3.0])
    np.testing.assert_array_equal(lossbook.leaky_relu(x), F.leaky_relu(torch.tensor(x)).numpy())
    np.testing.assert_array_equal(lossbook.leaky_relu(x, 0.3), [-0.6, 3.0])  # Keras layers' default


def test_prelu_per_channel_weight_gradient_matches_torch():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(4, 3, 5, 2))
    w = np.array([0.1, 0.25, -0.3])
    g = rng.normal(size=x.shape)
    xt = torch.tensor(x, requires_grad=True)
    wt = torch.tensor(w, requires_grad=True)
    F.prelu(xt, wt).backward(torch.tensor(g))
    gx, gw = lossbook.prelu_grad(x, w, grad_output=g)
    assert gw.shape == (3,)
    np.testing.assert_allclose(gw, wt.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(gx, xt.grad.numpy(), rtol=1e-14)
    # shared slope: one number, summed over every position
    ws = np.array([0.25])
    xs = torch.tensor(x, requires_grad=True)
    wst = torch.tensor(ws, requires_grad=True)
    F.prelu(xs, wst).backward(torch.tensor(g))
    np.testing.assert_allclose(lossbook.prelu_grad(x, ws, grad_output=g)[1], wst.grad.numpy(), rtol=1e-12)


def test_maxout_special_cases():
    """ER19: with k = 2 and the second piece fixed to 0, maxout is ReLU; (z, az) is leaky ReLU;
    (z, -z) is |z|. Pieces are consecutive entries of the last axis."""
    z = np.array([-2.5, -0.5, 0.7, 3.0])

    def pieces(a, b):
        return np.stack([a, b], axis=-1).reshape(-1)

    np.testing.assert_array_equal(lossbook.maxout(pieces(z, np.zeros_like(z)), 2), lossbook.relu(z))
    np.testing.assert_array_equal(lossbook.maxout(pieces(z, 0.01 * z), 2), lossbook.leaky_relu(z))
    np.testing.assert_array_equal(lossbook.maxout(pieces(z, -z), 2), np.abs(z))
    # the gradient is routed to the winning piece only
    g = lossbook.maxout_grad(pieces(z, np.zeros_like(z)), 2).reshape(-1, 2)
    np.testing.assert_array_equal(g[:, 0], (z > 0).astype(float))
    np.testing.assert_array_equal(g[:, 1], (z <= 0).astype(float))


def test_swish_limits_in_beta():
    """beta = 0 gives x/2; beta -> infinity gives ReLU, with max |swish - relu| = 0.27846/beta."""
    np.testing.assert_array_equal(lossbook.swish(X, 0.0), X / 2.0)
    silu_depth = 0.2784645427610738  # -min SiLU = W(1/e) (catalog W20)
    for beta in (10.0, 100.0, 1000.0):
        x = np.linspace(-5.0, 5.0, 200001)
        gap = np.max(np.abs(lossbook.swish(x, beta) - lossbook.relu(x)))
        assert gap <= silu_depth / beta * (1 + 1e-9)
        assert gap == pytest.approx(silu_depth / beta, rel=1e-3)


def test_silu_is_swish_with_beta_one():
    np.testing.assert_array_equal(lossbook.silu(X), lossbook.swish(X, 1.0))
    np.testing.assert_allclose(lossbook.silu(X), F.silu(torch.tensor(X)).numpy(), rtol=1e-14, atol=1e-300)


def test_gelu_tanh_approximation_error():
    x = np.linspace(-8.0, 8.0, 160001)
    err = np.max(np.abs(lossbook.gelu(x) - lossbook.gelu(x, approximate="tanh")))
    assert 4e-4 < err < 5e-4


def test_softplus_is_a_smooth_relu_and_a_two_way_logsumexp():
    np.testing.assert_allclose(lossbook.softplus(X), np.logaddexp(0.0, X), rtol=1e-15, atol=1e-300)
    gaps = [np.max(lossbook.softplus(X, beta) - lossbook.relu(X)) for beta in (1.0, 10.0, 100.0)]
    np.testing.assert_allclose(gaps, [math.log(2) / b for b in (1.0, 10.0, 100.0)], rtol=1e-12)
    smooth = 3.0 * X <= 20.0  # above the threshold PyTorch's softplus is x, with derivative exactly 1
    np.testing.assert_allclose(lossbook.softplus_grad(X, 3.0)[smooth], lossbook.sigmoid(3.0 * X)[smooth], rtol=1e-15)
    assert np.all(lossbook.softplus_grad(X, 3.0)[~smooth] == 1.0)


def test_elu_is_c1_only_for_alpha_one():
    left = float(lossbook.elu_grad(np.array(-1e-12)))
    right = float(lossbook.elu_grad(np.array(1e-12)))
    assert left == pytest.approx(right, abs=1e-11)
    assert float(lossbook.elu_grad(np.array(-1e-12), 2.0)) == pytest.approx(2.0, abs=1e-11)


def test_selu_constants():
    """lambda and alpha solve the fixed-point equations: a N(0,1) input keeps mean 0, variance 1."""
    from scipy.integrate import quad

    pdf = lambda x: math.exp(-x * x / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    f = lambda x: float(lossbook.selu(np.array(x)))  # noqa: E731
    mean = quad(lambda x: f(x) * pdf(x), -np.inf, np.inf)[0]
    second = quad(lambda x: f(x) ** 2 * pdf(x), -np.inf, np.inf)[0]
    assert mean == pytest.approx(0.0, abs=1e-9)
    assert second == pytest.approx(1.0, abs=1e-9)


def test_hardswish_kinks_follow_the_pinned_pytorch():
    x = torch.tensor([-3.0, 3.0], dtype=torch.float64, requires_grad=True)
    F.hardswish(x).backward(torch.ones_like(x))
    assert x.grad.tolist() == [0.0, 1.0]
    assert lossbook.hardswish_grad(np.array([-3.0, 3.0])).tolist() == [0.0, 1.0]


# --- normalising maps ----------------------------------------------------------------------
def test_w8_uniform_logits():
    np.testing.assert_array_equal(lossbook.softmax(np.array([1.0, 1.0, 1.0, 1.0])), [0.25] * 4)


def test_w10_seed_logits():
    np.testing.assert_allclose(lossbook.softmax(np.array([0.1826171875, -0.98828125])),
                               [0.7633074, 0.2366926], rtol=0, atol=5e-8)


def _seed_softmax(x):
    """The seed's code (001, "softmax"), copied verbatim minus its debug print. Do not use."""
    x -= np.max(x, axis=0, keepdims=True)
    f_x = np.exp(x) / np.sum(np.exp(x), axis=0, keepdims=True)
    return f_x


def test_er22_the_seed_mutates_its_input_and_lossbook_does_not():
    logits = np.array([0.1826171875, -0.98828125])
    seed_input = logits.copy()
    _seed_softmax(seed_input)
    assert not np.array_equal(seed_input, logits)  # the seed's bug
    for fn in (lossbook.softmax, lossbook.log_softmax, lossbook.hardmax):
        kept = logits.copy()
        fn(kept)
        np.testing.assert_array_equal(kept, logits)
        t = torch.tensor(logits)
        fn(t)
        np.testing.assert_array_equal(t.numpy(), logits)
    # on a Python list the seed's code works, because list - array makes a new array
    np.testing.assert_allclose(_seed_softmax(list(logits)), lossbook.softmax(logits), rtol=1e-15)


def test_softmax_shift_invariance_and_temperature_limit():
    z = np.array([1.0, 3.0, 2.5, -1.0])
    np.testing.assert_allclose(lossbook.softmax(z + 1000.0), lossbook.softmax(z), rtol=1e-14)
    np.testing.assert_allclose(lossbook.softmax(z / 1e-3), lossbook.hardmax(z), rtol=0, atol=1e-200)
    np.testing.assert_allclose(lossbook.softmax(z / 1e6), 0.25, rtol=1e-5)


def test_softmax_jacobian_and_vjp():
    z = np.array([0.3, -1.2, 2.0])
    s = lossbook.softmax(z)
    jac = lossbook.softmax_jacobian(z)
    np.testing.assert_allclose(jac, np.diag(s) - np.outer(s, s), rtol=1e-15)
    torch_jac = torch.autograd.functional.jacobian(lambda t: torch.softmax(t, -1), torch.tensor(z)).numpy()
    np.testing.assert_allclose(jac, torch_jac, rtol=1e-13, atol=1e-16)
    v = np.array([0.5, -2.0, 1.5])
    np.testing.assert_allclose(lossbook.softmax_grad(z, grad_output=v), jac.T @ v, rtol=1e-13, atol=1e-16)
    np.testing.assert_allclose(jac.sum(axis=1), 0.0, atol=1e-16)
    assert np.all(lossbook.softmax_grad(z) == 0.0) or np.allclose(lossbook.softmax_grad(z), 0.0, atol=1e-16)


def test_log_softmax_is_stable_where_log_of_softmax_is_not():
    z = np.array([0.0, 1000.0])
    with np.errstate(divide="ignore"):
        naive = np.log(lossbook.softmax(z))
    assert naive[0] == -np.inf
    np.testing.assert_array_equal(lossbook.log_softmax(z), [-1000.0, 0.0])


def test_hardmax_ties_and_zero_gradient():
    z = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    np.testing.assert_array_equal(lossbook.hardmax(z), [[0, 1, 0], [1, 0, 0]])
    np.testing.assert_array_equal(lossbook.hardmax_grad(z), np.zeros_like(z))
    np.testing.assert_array_equal(lossbook.hardmax(torch.tensor(z)).numpy(), [[0, 1, 0], [1, 0, 0]])


def test_logsigmoid_stable_form():
    x = np.array([-1000.0, -750.0, -40.0, 0.0, 40.0])
    with np.errstate(divide="ignore"):
        naive = np.log(lossbook.sigmoid(x))
    assert np.isneginf(naive[0]) and np.isneginf(naive[1])
    np.testing.assert_allclose(lossbook.logsigmoid(x), F.logsigmoid(torch.tensor(x)).numpy(), rtol=1e-15)
    np.testing.assert_allclose(lossbook.logsigmoid(x)[:2], [-1000.0, -750.0], rtol=1e-15)


# --- the student checker on activations with two differentiable arguments --------------------
def test_check_accepts_one_gradient_per_argument_of_different_shapes():
    """swish(x, beta) with beta broadcast: the beta gradient is summed to beta's shape."""
    def swish_grad(x, beta):
        s = 1.0 / (1.0 + np.exp(-beta * x))
        return s + beta * x * s * (1.0 - s), (x * x * s * (1.0 - s)).sum(axis=0)

    assert lossbook.check("swish", grad=swish_grad).ok

    def wrong_beta_grad(x, beta):
        dx, dbeta = swish_grad(x, beta)
        return dx, 2.0 * dbeta

    report = lossbook.check("swish", grad=wrong_beta_grad)
    assert not report.ok and "gradient for beta" in repr(report)


def test_check_of_prelu_gradient_with_per_channel_and_shared_slopes():
    def prelu_grad(x, w):
        shape = (1, -1) + (1,) * (x.ndim - 2) if w.size > 1 else (1,) * x.ndim
        a = w.reshape(shape)
        gx = np.where(x > 0, 1.0, a * np.ones_like(x))
        axes = tuple(i for i in range(x.ndim) if i != 1) if w.size > 1 else None
        gw = np.where(x > 0, 0.0, x).sum(axis=axes)
        return gx, np.reshape(gw, w.shape)

    assert lossbook.check("prelu", grad=prelu_grad).ok
