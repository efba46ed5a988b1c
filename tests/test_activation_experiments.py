"""Tests of lossbook.experiments.activations: the computations behind the activation chapters."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import lossbook
from lossbook import REGISTRY
from lossbook.experiments import activations as ex


# --- initialisations --------------------------------------------------------------------------
@pytest.mark.parametrize("init, var", [("lecun_normal", 1 / 400), ("he_normal", 2 / 400),
                                       ("glorot_uniform", 2 / 700), ("standard_uniform", 1 / 1200)])
def test_init_weight_variance(init, var):
    w = ex.init_weight(np.random.default_rng(0), 400, 300, init)
    assert w.shape == (400, 300)
    assert w.var() == pytest.approx(var, rel=0.02)


def test_init_weight_unknown_name():
    with pytest.raises(ValueError, match="init must be one of"):
        ex.init_weight(np.random.default_rng(0), 3, 3, "xavier")


# --- deep propagation ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["tanh", "selu", "softplus", "leaky_relu", "gelu"])
def test_forward_backward_matches_torch_autograd(name):
    """The backward pass of propagate (our VJPs, chained by hand) equals torch autograd."""
    spec = REGISTRY[name]
    rng = np.random.default_rng(3)
    h0 = rng.standard_normal((6, 5))
    weights = [ex.init_weight(rng, 5, 5, "lecun_normal") for _ in range(4)]
    upstream = rng.standard_normal((6, 5))
    hidden, deltas = ex._forward_backward(spec, h0, weights, upstream, {})

    h = torch.tensor(h0, requires_grad=True)
    pre, post = [], []
    for w in weights:
        a = h @ torch.tensor(w)
        a.retain_grad()
        h = spec.value(a)
        pre.append(a)
        post.append(h)
    h.backward(torch.tensor(upstream))
    for layer in range(len(weights)):
        np.testing.assert_allclose(hidden[layer], post[layer].detach().numpy(), rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(deltas[layer], pre[layer].grad.numpy(), rtol=1e-12, atol=1e-14)


def test_selu_self_normalises():
    p = ex.propagate("selu", depth=30, width=64, n=500, init="lecun_normal")
    assert p.depth == 30
    assert np.all(np.abs(p.mean) < 0.1)
    assert np.all((p.var > 0.8) & (p.var < 1.25))


def test_relu_with_lecun_init_halves_the_second_moment():
    p = ex.propagate("relu", depth=30, width=64, n=500, init="lecun_normal")
    second = p.var + p.mean ** 2
    ratio = second[1:] / second[:-1]
    assert np.median(ratio) == pytest.approx(0.5, abs=0.1)
    assert second[-1] < 1e-6


def test_relu_with_he_init_keeps_the_second_moment():
    p = ex.propagate("relu", depth=30, width=128, n=500, init="he_normal")
    second = p.var + p.mean ** 2
    assert np.all((second > 0.3) & (second < 3.0))


def test_sigmoid_gradient_vanishes_by_about_a_sixteenth_per_layer():
    """sigma' <= 1/4, so with width * var(W) = 1 each layer scales the mean-square gradient by ~1/16."""
    p = ex.propagate("sigmoid", depth=12, width=128, n=500, init="glorot_uniform")
    ratio = p.delta_ms[:-1] / p.delta_ms[1:]
    assert np.all(ratio < 0.1)
    assert np.median(ratio) == pytest.approx(1 / 16, rel=0.25)


def test_propagate_passes_hyper_parameters():
    a = ex.propagate("leaky_relu", depth=3, width=8, n=20, negative_slope=0.3)
    b = ex.propagate("leaky_relu", depth=3, width=8, n=20)
    assert not np.allclose(a.var, b.var)


def test_propagate_rejects_non_elementwise():
    with pytest.raises(ValueError, match="element-wise"):
        ex.propagate("softmax", depth=2, width=4, n=3)


# --- training ---------------------------------------------------------------------------
def test_train_mlp_is_reproducible_and_learns():
    a = ex.train_mlp("relu", depth=2, width=16, steps=60, record_every=20, seed=4)
    b = ex.train_mlp("relu", depth=2, width=16, steps=60, record_every=20, seed=4)
    np.testing.assert_array_equal(a.loss, b.loss)
    assert a.record_steps.tolist() == [0, 20, 40, 60]
    assert a.act_mean.shape == a.act_p98.shape == (4, 2)
    assert len(a.initial) == len(a.final) == 2 and a.final[0].shape == (300, 16)
    assert a.train_error[-1] < a.train_error[0] - 0.3
    assert a.steps_to(1.0) == 0 and a.steps_to(-1.0) is None


def test_train_mlp_restores_torch_threads():
    before = torch.get_num_threads()
    ex.train_mlp("tanh", depth=1, width=8, steps=2, record_every=1)
    assert torch.get_num_threads() == before


def test_train_mlp_uses_our_gradients(monkeypatch):
    """A deliberately wrong _grad must change training: the backward is ours, not autograd's."""
    good = ex.train_mlp("tanh", depth=2, width=8, steps=5, record_every=5)
    spec = REGISTRY["tanh"]
    monkeypatch.setitem(REGISTRY, "tanh", type(spec)(**{**spec.__dict__,
                                                         "grad": lambda x, grad_output=None: 0 * x}))
    frozen = ex.train_mlp("tanh", depth=2, width=8, steps=5, record_every=5)
    assert not np.allclose(good.loss, frozen.loss)


def test_sigmoid_top_layer_saturates_while_the_net_stays_at_chance():
    """Glorot & Bengio (2010), Fig. 2, in miniature: the chapter's setting, fewer steps."""
    run = ex.train_mlp("sigmoid", depth=5, width=64, steps=200, lr=0.5, init="standard_uniform",
                       record_every=100)
    assert run.act_mean[0, -1] > 0.45 and run.act_mean[-1, -1] < 0.3
    assert np.all(run.train_error > 0.8)


def test_digits_are_standardised_copies():
    x, y = ex.digits()
    assert x.shape == (1797, 64) and y.shape == (1797,) and set(np.unique(y)) == set(range(10))
    assert np.allclose(x.mean(0), 0, atol=1e-12)
    x[0, 0] = 1e9
    assert ex.digits()[0][0, 0] != 1e9


# --- facts about single activations -----------------------------------------------------------
@pytest.mark.parametrize("name, x, f", [("silu", -1.27846, -0.27846), ("gelu", -0.75179, -0.16997),
                                         ("mish", -1.19243, -0.30884)])
def test_stationary_point_is_the_w20_minimum(name, x, f):
    xs, fs = ex.stationary_point(name)
    assert xs == pytest.approx(x, abs=5e-6) and fs == pytest.approx(f, abs=5e-6)
    assert float(REGISTRY[name].value(np.array(xs))) == pytest.approx(fs, abs=0)


def test_stationary_point_takes_hyper_parameters():
    x1, f1 = ex.stationary_point("swish", beta=1.0)
    x2, f2 = ex.stationary_point("swish", beta=2.0)
    assert x2 == pytest.approx(x1 / 2, rel=1e-10) and f2 == pytest.approx(f1 / 2, rel=1e-10)


def test_maxout_pieces_special_cases():
    z = np.linspace(-3, 3, 13) + 0.01
    zero = np.zeros_like(z)
    np.testing.assert_array_equal(lossbook.maxout(ex.maxout_pieces(z, zero), num_pieces=2), lossbook.relu(z))
    np.testing.assert_array_equal(lossbook.maxout(ex.maxout_pieces(z, -z), num_pieces=2), np.abs(z))
    np.testing.assert_allclose(lossbook.maxout(ex.maxout_pieces(z, 0.2 * z), num_pieces=2),
                               lossbook.leaky_relu(z, 0.2), rtol=0, atol=0)
    assert ex.maxout_pieces(np.ones((2, 3)), np.zeros((2, 3)), 2 * np.ones((2, 3))).shape == (2, 9)


def test_keras2_hard_sigmoid():
    x = np.array([-3.0, -2.5, 0.0, 1.0, 2.5, 3.0])
    np.testing.assert_allclose(ex.keras2_hard_sigmoid(x), [0.0, 0.0, 0.5, 0.7, 1.0, 1.0], rtol=0, atol=1e-15)
    assert float(lossbook.hardsigmoid(np.array(1.0))) == pytest.approx(2 / 3, abs=1e-16)


# --- kink table --------------------------------------------------------------------------------
def test_kink_table_covers_every_kink_and_agrees_with_torch():
    table = ex.kink_table()
    expected = sum(len(s.kinks) for s in REGISTRY.values() if s.family == "activation")
    assert len(table.rows) == expected
    assert table.all_agree
    with_torch = [r for r in table.rows if r["agree"] is not None]
    # maxout and sparse_sigmoid (Keras 3 / JAX) have no torch built-in
    assert {r["function"] for r in table.rows if r["agree"] is None} == {"maxout", "sparse_sigmoid"}
    assert len(with_torch) == expected - 2
    by_point = {(r["function"], r["point"]): r for r in table.rows}
    assert by_point[("hardswish", "-3")]["torch"] == "0" and by_point[("hardswish", "3")]["torch"] == "1"
    assert by_point[("prelu", "[0, 1]; [0.25]")]["lossbook"] == "[0.25, 1]; [0]"
    assert "<table>" in table._repr_html_() and "hardswish" in repr(table)


def test_kink_table_reports_a_disagreement(monkeypatch):
    spec = REGISTRY["relu"]
    wrong = type(spec)(**{**spec.__dict__, "kinks": (lossbook.registry.Kink((np.array(0.0),), {}, np.array(1.0)),),
                          "grad": lambda x, grad_output=None: np.ones_like(x)})
    monkeypatch.setitem(REGISTRY, "_wrong_relu", wrong)
    table = ex.kink_table(["_wrong_relu"])
    assert table.rows[0]["agree"] is False and not table.all_agree


def test_fit_prelu_slope_recovers_the_slope():
    for target in (0.05, 0.2, 0.6):
        history = ex.fit_prelu_slope(target)
        assert history[0] == 0.25
        assert history[-1] == pytest.approx(target, abs=0.01)
