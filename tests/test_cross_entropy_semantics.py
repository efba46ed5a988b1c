"""PyTorch's exact semantics of cross_entropy / nll_loss / BCE, every combination, values and gradients.

Each case is compared with ``torch.nn.functional`` in float64: the value, and the gradient
for a random ``grad_output`` (``.grad`` after ``backward``), for NumPy and torch inputs.
"""
from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import lossbook
from lossbook.autograd import function as autograd_function

SHAPES = {"2d": (6, 5), "3d": (3, 5, 4), "unbatched": (5,)}
IGNORE = {"no_ignore": (-100, False), "ignore_-100": (-100, True), "ignore_class_2": (2, True)}


def _case(shape_key, weighted, ignore_key, soft, seed=0):
    rng = np.random.default_rng(seed)
    shape = SHAPES[shape_key]
    axis = 1 if len(shape) > 1 else 0
    n_classes = shape[axis]
    x = rng.normal(size=shape) * 2.0
    weight = rng.uniform(0.2, 2.0, size=n_classes) if weighted else None
    ignore_index, present = IGNORE[ignore_key]
    if soft:
        q = rng.uniform(size=shape)
        return x, q / q.sum(axis=axis, keepdims=True), weight, ignore_index
    target_shape = shape[:axis] + shape[axis + 1:]
    y = rng.integers(0, n_classes, size=target_shape)
    if present and len(target_shape):
        y.flat[0] = ignore_index
        y.flat[-1] = ignore_index
    elif present:
        y = np.array(ignore_index if ignore_index >= 0 else 1)
    return x, y, weight, ignore_index


def _torch_reference(x, y, weight, ignore_index, label_smoothing, reduction, grad_output):
    xt = torch.tensor(x, requires_grad=True)
    out = F.cross_entropy(xt, torch.as_tensor(y), weight=None if weight is None else torch.as_tensor(weight),
                          ignore_index=ignore_index, label_smoothing=label_smoothing, reduction=reduction)
    out.backward(torch.as_tensor(grad_output))
    return out.detach().numpy(), xt.grad.numpy()


CE_CASES = [c for c in itertools.product(SHAPES, (False, True), IGNORE, (0.0, 0.25), (False, True),
                                         ("mean", "sum", "none"))
            if not (c[4] and c[2] != "no_ignore")]


@pytest.mark.parametrize("backend", ["numpy", "torch"])
@pytest.mark.parametrize("shape,weighted,ignore,smoothing,soft,reduction", CE_CASES)
def test_cross_entropy_matches_pytorch(shape, weighted, ignore, smoothing, soft, reduction, backend):
    x, y, w, ignore_index = _case(shape, weighted, ignore, soft)
    kwargs = dict(weight=w, ignore_index=ignore_index, label_smoothing=smoothing, reduction=reduction)
    probe = lossbook.cross_entropy(x, y, **kwargs)
    g = np.random.default_rng(1).uniform(0.5, 1.5, size=np.shape(probe))
    ref_value, ref_grad = _torch_reference(x, y, w, ignore_index, smoothing, reduction, g)
    if backend == "torch":
        x, y, g = torch.as_tensor(x), torch.as_tensor(y), torch.as_tensor(g)
        kwargs["weight"] = None if w is None else torch.as_tensor(w)
    value = lossbook.cross_entropy(x, y, **kwargs)
    grad = lossbook.cross_entropy_grad(x, y, grad_output=g, **kwargs)
    value, grad = lossbook._backend.to_numpy(value), lossbook._backend.to_numpy(grad)
    if np.all(np.isnan(ref_value)):      # every sample ignored: NaN mean, zero gradient
        assert np.all(np.isnan(value))
    else:
        np.testing.assert_allclose(value, ref_value, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("shape,weighted,ignore,smoothing,soft,reduction",
                         [c for c in CE_CASES if c[-1] == "mean"])
def test_cross_entropy_float32(shape, weighted, ignore, smoothing, soft, reduction):
    x, y, w, ignore_index = _case(shape, weighted, ignore, soft)
    kwargs = dict(ignore_index=ignore_index, label_smoothing=smoothing, reduction=reduction)
    x32 = x.astype(np.float32)
    y32 = y.astype(np.float32) if soft else y
    w32 = None if w is None else w.astype(np.float32)
    ours = lossbook.cross_entropy(x32, y32, weight=w32, **kwargs)
    grad = lossbook.cross_entropy_grad(x32, y32, weight=w32, **kwargs)
    assert ours.dtype == np.float32 and grad.dtype == np.float32
    xt = torch.tensor(x32, requires_grad=True)
    ref = F.cross_entropy(xt, torch.as_tensor(y32), weight=None if w32 is None else torch.as_tensor(w32), **kwargs)
    ref.backward()
    np.testing.assert_allclose(ours, ref.detach().numpy(), rtol=2e-6, atol=1e-6)
    np.testing.assert_allclose(grad, xt.grad.numpy(), rtol=2e-5, atol=1e-7)


NLL_CASES = list(itertools.product(SHAPES, (False, True), IGNORE, ("mean", "sum", "none")))


@pytest.mark.parametrize("shape,weighted,ignore,reduction", NLL_CASES)
def test_nll_loss_matches_pytorch(shape, weighted, ignore, reduction):
    x, y, w, ignore_index = _case(shape, weighted, ignore, False, seed=3)
    axis = 1 if x.ndim > 1 else 0
    log_p = torch.log_softmax(torch.as_tensor(x), axis).numpy()
    kwargs = dict(weight=w, ignore_index=ignore_index, reduction=reduction)
    probe = lossbook.nll_loss(log_p, y, **kwargs)
    g = np.random.default_rng(2).uniform(0.5, 1.5, size=np.shape(probe))
    lt = torch.tensor(log_p, requires_grad=True)
    ref = F.nll_loss(lt, torch.as_tensor(y), weight=None if w is None else torch.as_tensor(w),
                     ignore_index=ignore_index, reduction=reduction)
    ref.backward(torch.as_tensor(g))
    if not np.all(np.isnan(ref.detach().numpy())):
        np.testing.assert_allclose(probe, ref.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(lossbook.nll_loss_grad(log_p, y, grad_output=g, **kwargs), lt.grad.numpy(),
                               rtol=1e-12, atol=1e-14)
    # cross_entropy(z) == nll_loss(log_softmax(z)), the same function (ER25)
    same = lossbook.cross_entropy(x, y, **kwargs)
    np.testing.assert_allclose(same, probe, rtol=1e-12, atol=1e-14)


def test_all_ignored_gives_nan_mean_and_zero_gradient_quietly():
    x = np.array([[0.0, 1.0], [2.0, 0.5]])
    y = np.array([-100, -100])
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for eps in (0.0, 0.2):
            assert np.isnan(lossbook.cross_entropy(x, y, label_smoothing=eps))
            np.testing.assert_array_equal(lossbook.cross_entropy_grad(x, y, label_smoothing=eps), 0.0)
        assert float(lossbook.cross_entropy(x, y, reduction="sum")) == 0.0


def test_soft_targets_average_over_n_not_sum_of_weights():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(4, 3))
    q = np.eye(3)[[0, 2, 1, 0]]
    w = np.array([0.2, 1.0, 3.0])
    soft = float(lossbook.cross_entropy(x, q, weight=w))
    hard = float(lossbook.cross_entropy(x, np.array([0, 2, 1, 0]), weight=w))
    per_sample = lossbook.cross_entropy(x, q, weight=w, reduction="none")
    assert soft == pytest.approx(per_sample.sum() / 4)
    assert hard == pytest.approx(per_sample.sum() / w[[0, 2, 1, 0]].sum())
    assert soft != pytest.approx(hard)


def test_soft_targets_refuse_ignore_index():
    with pytest.raises(ValueError, match="ignore_index"):
        lossbook.cross_entropy(np.zeros((2, 3)), np.full((2, 3), 1 / 3), ignore_index=0)


def test_weight_has_one_entry_per_class():
    """ER28: weight is (C,), not shaped like the labels."""
    x, y = np.zeros((4, 3)), np.array([0, 1, 2, 1])
    with pytest.raises(ValueError, match=r"weight must have shape \(3,\)"):
        lossbook.cross_entropy(x, y, weight=np.ones(4))
    with pytest.raises(ValueError, match="weight.*non-negative"):
        lossbook.cross_entropy(x, y, weight=np.array([1.0, -1.0, 1.0]))


@pytest.mark.parametrize("bad,match", [(np.array([0, 3]), "target.*class indices"),
                                       (np.array([0.5, 1.0]), "target"),
                                       (np.array([0, 1, 2]), "target must have shape")])
def test_bad_targets(bad, match):
    with pytest.raises((ValueError, TypeError), match=match):
        lossbook.cross_entropy(np.zeros((2, 3)), bad)


def test_label_smoothing_range():
    for eps in (-0.1, 1.5, "0.1"):
        with pytest.raises(ValueError, match="label_smoothing"):
            lossbook.cross_entropy(np.zeros((2, 3)), np.array([0, 1]), label_smoothing=eps)


def test_reduction_mean_is_already_a_scalar():
    """ER29: the default reduction returns a scalar; .mean() on it is a no-op."""
    x, y = np.random.default_rng(0).normal(size=(5, 4)), np.array([0, 1, 2, 3, 0])
    value = lossbook.cross_entropy(x, y)
    assert np.ndim(value) == 0 and float(np.mean(value)) == float(value)
    assert lossbook.cross_entropy(x, y, reduction="none").shape == (5,)


def test_softmax_then_cross_entropy_is_a_different_loss():
    """ER27: CrossEntropyLoss takes logits; a softmax in front applies softmax twice."""
    z, y = np.array([[4.0, 0.0, -2.0]]), np.array([0])
    right = float(lossbook.cross_entropy(z, y))
    double = float(lossbook.cross_entropy(lossbook.softmax(z), y))
    assert right == pytest.approx(-np.log(lossbook.softmax(z)[0, 0]))
    assert double > 0.5 > right            # a confident correct prediction looks uncertain
    # the double-softmax loss cannot go below log(1 + (C-1)/e) however confident the model
    huge = float(lossbook.cross_entropy(lossbook.softmax(np.array([[1e3, 0.0, 0.0]])), y))
    assert huge == pytest.approx(np.log(1 + 2 / np.e))


def test_nll_on_probabilities_is_the_classic_bug():
    """ER25: nll_loss expects log-probabilities; fed softmax outputs it returns -p_y."""
    z, y = np.array([[4.0, 0.0, -2.0], [0.0, 3.0, 0.0]]), np.array([0, 2])
    p = lossbook.softmax(z)
    wrong = lossbook.nll_loss(p, y, reduction="none")
    np.testing.assert_allclose(wrong, -p[[0, 1], y])
    np.testing.assert_allclose(lossbook.nll_loss(lossbook.log_softmax(z), y, reduction="none"),
                               lossbook.cross_entropy(z, y, reduction="none"), rtol=1e-14)


def test_cross_entropy_trains_through_lossbook_autograd():
    """A linear softmax classifier trained with OUR gradient reaches torch's loss exactly."""
    rng = np.random.default_rng(0)
    x = torch.as_tensor(rng.normal(size=(40, 3)))
    y = torch.as_tensor(rng.integers(0, 4, size=40))
    w = torch.as_tensor(np.array([0.5, 1.0, 2.0, 1.5]))
    losses = []
    for fn in (autograd_function("cross_entropy"), F.cross_entropy):
        W = torch.zeros(3, 4, dtype=torch.float64, requires_grad=True)
        opt = torch.optim.SGD([W], lr=0.5)
        for _ in range(30):
            opt.zero_grad()
            loss = fn(x @ W, y, weight=w, label_smoothing=0.1)
            loss.backward()
            opt.step()
        losses.append(loss.item())
    assert losses[0] == pytest.approx(losses[1], rel=1e-12)


# --- BCE and BCE with logits: weight / pos_weight broadcasting ------------------------------
BCE_CASES = list(itertools.product((None, "per_element", "per_column", "scalar"),
                                   (None, "per_column", "scalar"), ("mean", "sum", "none")))


def _weights(kind, shape, rng):
    return {None: None, "per_element": rng.uniform(0.5, 2.0, size=shape),
            "per_column": rng.uniform(0.5, 2.0, size=shape[-1:]), "scalar": np.array(1.7)}[kind]


@pytest.mark.parametrize("weight,pos_weight,reduction", BCE_CASES)
def test_bce_with_logits_matches_pytorch(weight, pos_weight, reduction):
    rng = np.random.default_rng(7)
    x = rng.normal(size=(5, 3)) * 4
    x[0] = [50.0, -50.0, 0.0]
    t = rng.uniform(size=(5, 3))
    t[1] = [0.0, 1.0, 1.0]
    w, pw = _weights(weight, x.shape, rng), _weights(pos_weight, x.shape, rng)
    out = lossbook.binary_cross_entropy_with_logits(x, t, weight=w, pos_weight=pw, reduction=reduction)
    g = rng.uniform(0.5, 1.5, size=np.shape(out))
    xt = torch.tensor(x, requires_grad=True)
    ref = F.binary_cross_entropy_with_logits(
        xt, torch.as_tensor(t), weight=None if w is None else torch.as_tensor(w),
        pos_weight=None if pw is None else torch.as_tensor(pw), reduction=reduction)
    ref.backward(torch.as_tensor(g))
    np.testing.assert_allclose(out, ref.detach().numpy(), rtol=1e-12, atol=1e-14)
    grad = lossbook.binary_cross_entropy_with_logits_grad(x, t, weight=w, pos_weight=pw,
                                                          reduction=reduction, grad_output=g)
    np.testing.assert_allclose(grad, xt.grad.numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("weight,reduction", [(w, r) for w in (None, "per_element", "per_column", "scalar")
                                              for r in ("mean", "sum", "none")])
def test_bce_matches_pytorch_including_the_clamp(weight, reduction):
    rng = np.random.default_rng(8)
    p = rng.uniform(size=(5, 4))
    p[0] = [0.0, 1.0, 0.0, 1.0]
    p[1] = [1e-50, 1 - 1e-16, 0.5, 1e-300]
    t = rng.uniform(size=(5, 4))
    t[0] = [0.0, 1.0, 1.0, 0.0]
    t[1] = [1.0, 0.0, 0.5, 1.0]
    w = _weights(weight, p.shape, rng)
    out = lossbook.binary_cross_entropy(p, t, weight=w, reduction=reduction)
    g = rng.uniform(0.5, 1.5, size=np.shape(out))
    pt = torch.tensor(p, requires_grad=True)
    ref = F.binary_cross_entropy(pt, torch.as_tensor(t), weight=None if w is None else torch.as_tensor(w),
                                 reduction=reduction)
    ref.backward(torch.as_tensor(g))
    np.testing.assert_allclose(out, ref.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(lossbook.binary_cross_entropy_grad(p, t, weight=w, reduction=reduction,
                                                                  grad_output=g),
                               pt.grad.numpy(), rtol=1e-12, atol=1e-14)


def test_bce_clamps_the_log_at_minus_100():
    assert float(lossbook.binary_cross_entropy(np.array([0.0]), np.array([1.0]))) == 100.0
    assert float(lossbook.binary_cross_entropy(np.array([1e-50]), np.array([1.0]))) == 100.0
    assert float(lossbook.binary_cross_entropy(np.array([0.0]), np.array([0.0]))) == 0.0


def test_bce_refuses_non_probabilities():
    with pytest.raises(ValueError, match="input must hold probabilities"):
        lossbook.binary_cross_entropy(np.array([1.2]), np.array([1.0]))
    with pytest.raises(ValueError, match="target must hold probabilities"):
        lossbook.binary_cross_entropy_with_logits(np.array([1.2]), np.array([-1.0]))
    with pytest.raises(ValueError, match="pos_weight"):
        lossbook.binary_cross_entropy_with_logits(np.zeros((2, 3)), np.zeros((2, 3)), pos_weight=np.ones(2))


def test_kl_div_refuses_the_seed_example():
    """ER23: KLDivLoss(input=randn, target=randn) is meaningless; we raise instead."""
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(3, 5)), rng.normal(size=(3, 5))
    with pytest.raises(ValueError, match="log-probabilities|probabilities"):
        lossbook.kl_div(a, b)


# --- a logit of -inf is a probability of 0 (issue 14 item 1) -----------------------------------
def _with_minus_inf(spec):
    args, kwargs = spec.example(0)
    x = np.array(args[0], dtype=np.float64).copy()
    t = np.asarray(args[1])
    for i in range(len(x)):               # a wrong class of every sample cannot occur
        x[i, (int(t[i]) + 1) % x.shape[1]] = -np.inf
    return x, args[1:], kwargs


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_cross_entropy_and_nll_with_minus_inf_match_pytorch(backend):
    import torch
    import torch.nn.functional as F

    z = np.array([[0.0, -np.inf, 1.0], [2.0, 0.5, -np.inf]])
    y = np.array([0, 1])
    cast = (lambda a: torch.tensor(a)) if backend == "torch" else (lambda a: a)
    assert float(lossbook.cross_entropy(cast(z[:1]), cast(y[:1]))) == pytest.approx(1.3132616875182228, abs=1e-12)
    zt = torch.tensor(z, requires_grad=True)
    expected = F.cross_entropy(zt, torch.tensor(y))
    expected.backward()
    assert float(lossbook.cross_entropy(cast(z), cast(y))) == pytest.approx(float(expected), abs=1e-12)
    np.testing.assert_allclose(np.asarray(lossbook.cross_entropy_grad(cast(z), cast(y))), zt.grad.numpy(),
                               atol=1e-12)
    log_p = np.array([[np.log(0.5), -np.inf, np.log(0.5)],
                      [-np.inf, 0.0, -np.inf]])
    lt = torch.tensor(log_p, requires_grad=True)
    ref = F.nll_loss(lt, torch.tensor([0, 1]))
    ref.backward()
    assert float(lossbook.nll_loss(cast(log_p), cast(np.array([0, 1])))) == pytest.approx(float(ref), abs=1e-12)
    np.testing.assert_allclose(np.asarray(lossbook.nll_loss_grad(cast(log_p), cast(np.array([0, 1])))),
                               lt.grad.numpy(), atol=1e-12)


@pytest.mark.parametrize("name", ["cross_entropy", "softmax_focal_loss", "poly1_loss", "class_balanced_loss"])
def test_losses_on_softmax_take_the_limit_of_a_minus_inf_logit(name):
    spec = lossbook.REGISTRY[name]
    x, rest, kwargs = _with_minus_inf(spec)
    limit = np.where(np.isinf(x), -1e4, x)   # exp(-1e4 - max) is exactly 0 in float64
    value, grad = spec.value(x, *rest, **kwargs), spec.grad(x, *rest, **kwargs)
    assert np.isfinite(value) and np.isfinite(grad).all()
    assert float(value) == pytest.approx(float(spec.value(limit, *rest, **kwargs)), abs=1e-12)
    np.testing.assert_allclose(grad, spec.grad(limit, *rest, **kwargs), atol=1e-12)
