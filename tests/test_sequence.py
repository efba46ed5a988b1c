"""ctc_loss (catalog J1) against F.ctc_loss, brute-force enumeration of every alignment, finite
differences and gradcheck, in float64.

F.ctc_loss's backward returns Graves's Eq. 16 (the gradient at the logits as if log_softmax
followed), not the derivative with respect to log_probs; so gradients are compared at the
LOGITS: log_softmax -> our ctc_loss (through lossbook.autograd, our backward) against
log_softmax -> F.ctc_loss. Our own gradient with respect to log_probs is checked by gradcheck,
finite differences and brute force.
"""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import lossbook
from lossbook.autograd import function

ctc = function("ctc_loss")


def _case(seed, T=7, N=4, C=5, blank=0, padded=True, infeasible=False, scale=1.5):
    """Random logits and labels with repeats, a length-0 label, varied input lengths."""
    r = np.random.default_rng(seed)
    z = r.normal(0.0, scale, size=(T, N, C))
    labels = [c for c in range(C) if c != blank]
    tl = r.integers(0, 4, size=N)
    tl[0] = 3
    tl[1:2] = 0
    il = r.integers(max(1, T - 3), T + 1, size=N)
    il[0] = T
    rows = [r.choice(labels, size=k) for k in tl]
    rows[0][1] = rows[0][0]                                   # a repeat
    need = np.array([len(row) + int(np.sum(row[1:] == row[:-1])) for row in rows])
    il = np.maximum(il, need)                                 # every label feasible ...
    if infeasible:                                            # ... but this one: T_n < L_n + repeats
        rows[-1] = np.array([labels[0]] * 3)
        tl[-1], il[-1] = 3, 4
    if padded:
        S = max(tl.max(), 1) + 1
        targets = r.choice(labels, size=(N, S))               # padding is ignored
        for i, row in enumerate(rows):
            targets[i, :len(row)] = row
    else:
        targets = np.concatenate(rows).astype(np.int64)
    return z, targets.astype(np.int64), il.astype(np.int64), tl.astype(np.int64)


def _t(*arrays):
    return [torch.as_tensor(a) for a in arrays]


def _log_softmax(z):
    return torch.as_tensor(z).log_softmax(-1).numpy()


CASES = [dict(seed=s, padded=p, blank=b, infeasible=i)
         for s, p, b, i in [(0, True, 0, False), (1, False, 0, False), (2, True, 4, False),
                            (3, False, 2, False), (4, True, 0, True), (5, False, 3, True)]]


@pytest.mark.parametrize("zero_infinity", [False, True])
@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(f"{k}{v}" for k, v in c.items()))
def test_value_matches_torch(case, reduction, zero_infinity):
    z, targets, il, tl = _case(**case)
    lp = _log_softmax(z)
    kwargs = dict(blank=case["blank"], reduction=reduction, zero_infinity=zero_infinity)
    expected = F.ctc_loss(*_t(lp, targets, il, tl), **kwargs).numpy()
    for backend in ("numpy", "torch"):
        args = (lp, targets, il, tl) if backend == "numpy" else _t(lp, targets, il, tl)
        ours = np.asarray(lossbook.ctc_loss(*args, **kwargs))
        np.testing.assert_allclose(ours, expected, rtol=1e-10, atol=1e-12)
    if case["infeasible"] and reduction == "none":
        assert ours[-1] == (0.0 if zero_infinity else math.inf)


@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(f"{k}{v}" for k, v in c.items()))
def test_gradient_at_the_logits_matches_torch(case, reduction):
    """log_softmax -> ours (our backward) == log_softmax -> F.ctc_loss (its backward). With an
    infeasible sequence only zero_infinity=True has a finite gradient to compare."""
    z, targets, il, tl = _case(**case)
    zero_infinity = case["infeasible"]
    kwargs = dict(blank=case["blank"], reduction=reduction, zero_infinity=zero_infinity)
    rest = _t(targets, il, tl)
    za = torch.as_tensor(z).requires_grad_()
    zb = torch.as_tensor(z).requires_grad_()
    ours = ctc(za.log_softmax(-1), *rest, **kwargs)
    theirs = F.ctc_loss(zb.log_softmax(-1), *rest, **kwargs)
    g = torch.as_tensor(np.random.default_rng(7).uniform(0.5, 1.5, tuple(ours.shape)))
    (ga,) = torch.autograd.grad(ours, za, g)
    (gb,) = torch.autograd.grad(theirs, zb, g)
    np.testing.assert_allclose(ga.numpy(), gb.numpy(), rtol=1e-9, atol=1e-11)
    if zero_infinity:
        assert torch.all(ga[:, -1] == 0)                      # the infeasible sequence


def test_torch_backward_at_log_probs_is_eq16_not_the_derivative():
    """The caveat itself: F.ctc_loss's gradient w.r.t. log_probs is ours plus y = exp(log_probs)
    at every used frame (Eq. 16), so it is not the derivative; ours is (gradcheck)."""
    z, targets, il, tl = _case(0)
    lp = torch.as_tensor(_log_softmax(z)).requires_grad_()
    (theirs,) = torch.autograd.grad(F.ctc_loss(lp, *_t(targets, il, tl), reduction="sum"), lp)
    ours = lossbook.ctc_loss_grad(lp.detach(), *_t(targets, il, tl), reduction="sum")
    used = (torch.arange(z.shape[0])[:, None] < torch.as_tensor(il)[None, :])[..., None]
    np.testing.assert_allclose(theirs.numpy(), (ours + lp.detach().exp() * used).numpy(), atol=1e-10)
    assert not torch.allclose(theirs, ours)


# --- brute force: every alignment of every tiny case ---------------------------------
def _collapse(path, blank):
    out, prev = [], None
    for k in path:
        if k != prev and k != blank:
            out.append(k)
        prev = k
    return tuple(out)


@pytest.mark.parametrize("C", [2, 3])
@pytest.mark.parametrize("T", [1, 2, 3, 4, 5])
def test_equals_brute_force_over_all_alignments(T, C):
    """Every T <= 5, C <= 3 and every label of length <= 3: the probability and the gradient
    (minus the posterior occupancy) by summing over all C**T paths."""
    blank = 0 if C == 2 else 1                                 # a blank in the middle too
    symbols = [k for k in range(C) if k != blank]
    labels = [seq for n in range(4) for seq in itertools.product(symbols, repeat=n)]
    N = len(labels)
    z = np.random.default_rng(T * 10 + C).normal(0.0, 1.0, size=(T, N, C))
    lp = _log_softmax(z)
    y = np.exp(lp)
    targets = np.full((N, 3), symbols[0], dtype=np.int64)
    for i, seq in enumerate(labels):
        targets[i, :len(seq)] = seq
    tl = np.array([len(s) for s in labels])
    il = np.full(N, T)
    p = np.zeros(N)
    dp = np.zeros((T, N, C))                                   # sum over paths of prob * [pi_t = k]
    for path in itertools.product(range(C), repeat=T):
        c = _collapse(path, blank)
        for i, seq in enumerate(labels):
            if c == seq:
                prob = np.prod(y[np.arange(T), i, list(path)])
                p[i] += prob
                dp[np.arange(T), i, list(path)] += prob
    with np.errstate(divide="ignore"):
        expected = -np.log(p)
    ours = lossbook.ctc_loss(lp, targets, il, tl, blank=blank, reduction="none")
    np.testing.assert_allclose(ours, expected, rtol=1e-12, atol=1e-13)
    assert np.all(np.isinf(ours) == (p == 0))
    grad = lossbook.ctc_loss_grad(lp, targets, il, tl, blank=blank, reduction="none",
                                  grad_output=np.ones(N))
    feasible = p > 0
    np.testing.assert_allclose(grad[:, feasible], -dp[:, feasible] / p[feasible][None, :, None],
                               rtol=1e-11, atol=1e-13)
    np.testing.assert_array_equal(grad[:, ~feasible], 0.0)


def test_lattice_occupancy_is_a_distribution_and_matches_the_loss():
    z, targets, il, tl = _case(1, padded=True)
    lp = _log_softmax(z)
    out = lossbook.ctc_lattice(lp, targets, il, tl)
    np.testing.assert_allclose(out["log_likelihood"], -lossbook.ctc_loss(lp, targets, il, tl, reduction="none"),
                               rtol=1e-12)
    for n in range(len(il)):
        np.testing.assert_allclose(out["occupancy"][n, :il[n]].sum(-1), 1.0, atol=1e-12)
        assert np.all(out["occupancy"][n, il[n]:] == 0)
        # alpha_t(s) beta_t(s) / y = p at every used frame, summed over s
        y = np.take_along_axis(lp[:, n, :], np.broadcast_to(out["extended"][n], (lp.shape[0], out["extended"].shape[1])), 1)
        t = il[n] - 1
        total = np.logaddexp.reduce(out["log_alpha"][n, t] + out["log_beta"][n, t] - y[t])
        np.testing.assert_allclose(total, out["log_likelihood"][n], rtol=1e-12)


# --- gradcheck and finite differences of our backward w.r.t. log_probs ---------------
@pytest.mark.parametrize("case", CASES[:4], ids=lambda c: f"seed{c['seed']}")
@pytest.mark.parametrize("reduction", ["none", "mean"])
def test_gradcheck_wrt_log_probs(case, reduction):
    z, targets, il, tl = _case(**{**case, "infeasible": False}, T=5, N=3, C=4 if case["blank"] < 4 else 5)
    lp = torch.as_tensor(_log_softmax(z)).requires_grad_()
    rest = _t(targets, il, tl)
    assert torch.autograd.gradcheck(lambda x: ctc(x, *rest, blank=case["blank"], reduction=reduction),
                                    (lp,), eps=1e-6, atol=1e-7)


def test_unbatched_matches_torch_and_finite_differences():
    z, targets, il, tl = _case(3, N=1, padded=True)
    lp = _log_softmax(z)[:, 0]
    target, il0, tl0 = targets[0, :tl[0]], int(il[0]), int(tl[0])
    ours = lossbook.ctc_loss(lp, target, il0, tl0, reduction="none")
    assert np.ndim(ours) == 0
    expected = F.ctc_loss(torch.as_tensor(lp), torch.as_tensor(target), torch.tensor(il0), torch.tensor(tl0),
                          reduction="none")
    np.testing.assert_allclose(ours, expected.numpy(), rtol=1e-10)
    grad = lossbook.ctc_loss_grad(lp, target, il0, tl0)
    assert grad.shape == lp.shape
    h, fd = 1e-5, np.zeros_like(lp)
    for k in np.ndindex(lp.shape):
        up, down = lp.copy(), lp.copy()
        up[k] += h
        down[k] -= h
        fd[k] = (lossbook.ctc_loss(up, target, il0, tl0) - lossbook.ctc_loss(down, target, il0, tl0)) / (2 * h)
    np.testing.assert_allclose(grad, fd, atol=1e-8)


# --- infeasible labels: +inf or 0, never NaN -----------------------------------------
def test_infeasible_is_inf_or_zero_and_never_nan():
    lp = np.log(np.full((2, 1, 3), 1 / 3))
    targets, il, tl = np.array([[1, 1]]), np.array([2]), np.array([2])     # "11" needs 3 frames
    for zero_infinity, value in ((False, math.inf), (True, 0.0)):
        for backend in ("numpy", "torch"):
            args = (lp, targets, il, tl) if backend == "numpy" else _t(lp, targets, il, tl)
            loss = lossbook.ctc_loss(*args, zero_infinity=zero_infinity)
            grad = lossbook.ctc_loss_grad(*args, zero_infinity=zero_infinity)
            assert float(loss) == value
            assert np.all(np.asarray(grad) == 0)
            if backend == "torch":
                x = args[0].clone().requires_grad_()
                (g,) = torch.autograd.grad(lossbook.ctc_loss(x, *args[1:], zero_infinity=zero_infinity), x)
                assert not torch.isnan(g).any()
    ref = F.ctc_loss(*_t(lp, targets, il, tl), reduction="none")
    assert torch.isinf(ref).all()


def test_infeasible_gradient_without_zero_infinity_is_zero_where_torch_gives_nan():
    """A documented difference: PyTorch's gradient of an infinite loss is NaN; ours is 0."""
    z = torch.zeros(2, 1, 3, dtype=torch.float64, requires_grad=True)
    rest = _t(np.array([[1, 1]]), np.array([2]), np.array([2]))
    (theirs,) = torch.autograd.grad(F.ctc_loss(z.log_softmax(-1), *rest), z)
    (ours,) = torch.autograd.grad(ctc(z.log_softmax(-1), *rest), z)
    assert torch.isnan(theirs).all() and torch.all(ours == 0)


def test_float32_with_logits_from_a_model():
    z, targets, il, tl = _case(6)
    lp32 = torch.as_tensor(z, dtype=torch.float32).log_softmax(-1)
    ours = lossbook.ctc_loss(lp32, *_t(targets, il, tl))
    assert ours.dtype == torch.float32
    np.testing.assert_allclose(ours.item(), F.ctc_loss(lp32, *_t(targets, il, tl)).item(), rtol=1e-5)


# --- bad input -------------------------------------------------------------------------
def _good():
    z, targets, il, tl = _case(0, T=6, N=3, C=4)
    return _log_softmax(z), targets, il, tl


@pytest.mark.parametrize("change,error,message", [
    (lambda a: (a[0], a[1], a[2] + 5, a[3]), ValueError, r"input_lengths must be at most 6"),
    (lambda a: (a[0], a[1], a[2], a[3] + 9), ValueError, r"target_lengths must be at most"),
    (lambda a: (a[0], a[1], -a[2], a[3]), ValueError, r"input_lengths must be non-negative"),
    (lambda a: (a[0], a[1], a[2], a[3] - 5), ValueError, r"target_lengths must be non-negative"),
    (lambda a: (a[0], np.where(np.arange(a[1].shape[1]) == 0, 0, a[1]), a[2], a[3]), ValueError,
     r"targets must not contain the blank \(index 0\)"),
    (lambda a: (a[0], a[1] + 10, a[2], a[3]), ValueError, r"targets must hold class indices in \[0, 3\]"),
    (lambda a: (a[0], a[1].astype(float), a[2], a[3]), TypeError, r"targets must be integers"),
    (lambda a: (a[0], a[1], a[2].astype(float), a[3]), TypeError, r"input_lengths must be integers"),
    (lambda a: (a[0], a[1], a[2][:2], a[3]), ValueError, r"input_lengths must have shape \(3,\)"),
    (lambda a: (a[0] + 1.0, a[1], a[2], a[3]), ValueError, r"log_probs must be log-probabilities.*within 0.01"),
    (lambda a: (np.exp(a[0]), a[1], a[2], a[3]), ValueError, r"log_softmax"),
    (lambda a: (np.where(np.arange(4) == 2, np.nan, a[0]), a[1], a[2], a[3]), ValueError, r"log_probs contains NaN"),
    (lambda a: (a[0][0], a[1], a[2], a[3]), ValueError,       # read as unbatched (T, C)
     r"input_lengths must have shape \(\) or \(1,\)"),
    (lambda a: (a[0], a[1][:, 0], a[2], a[3]), ValueError, r"sum\(target_lengths\)"),
])
def test_bad_input_names_the_argument(change, error, message):
    args = change(_good())
    for fn in (lossbook.ctc_loss, lossbook.ctc_loss_grad):
        with pytest.raises(error, match=message):
            fn(*args)


def test_bad_options():
    args = _good()
    with pytest.raises(ValueError, match=r"^blank must be an integer in \[0, 3\]"):
        lossbook.ctc_loss(*args, blank=4)
    with pytest.raises(ValueError, match="^zero_infinity must be one of True, False"):
        lossbook.ctc_loss(*args, zero_infinity=1)
    with pytest.raises(ValueError, match="reduction"):
        lossbook.ctc_loss(*args, reduction="batchmean")


def test_padding_frames_need_not_be_normalised():
    """Frames past a sequence's input length are ignored, as in PyTorch (zero padding is common)."""
    lp, targets, il, tl = _good()
    padded = lp.copy()
    il = il.copy()
    il[1] = 3
    padded[3:, 1] = 0.0
    np.testing.assert_allclose(lossbook.ctc_loss(padded, targets, il, tl, reduction="none"),
                               lossbook.ctc_loss(lp, targets, il, tl, reduction="none"), rtol=1e-14)
