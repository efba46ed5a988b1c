"""Metric-learning (part H) and contrastive-estimation (part I) losses against the references.

The registry harness (``test_registry.py``) checks each entry at its default options against
``references.REFERENCES``; here are the other options, pytorch-metric-learning's classes
(with its reducers, margins and distances mapped to ours), the papers' formulas and the
errors. pytorch-metric-learning is a test-only dependency (``requirements.txt``).
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import lossbook
from references import REFERENCES

pml_losses = pytest.importorskip("pytorch_metric_learning.losses")
from pytorch_metric_learning.reducers import DoNothingReducer  # noqa: E402

RNG = np.random.default_rng(12)


def close(a, b, rtol=1e-9, atol=1e-11, what=""):
    a = a.detach().numpy() if isinstance(a, torch.Tensor) else np.asarray(a)
    b = b.detach().numpy() if isinstance(b, torch.Tensor) else np.asarray(b)
    assert a.shape == b.shape, f"{what}: {a.shape} != {b.shape}"
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=what)


def check_against(name, args, kwargs, wrt, reference=None, rtol=1e-9, fns=None):
    """Value and VJP (random grad_output) of ``name`` (or of ``fns = (value, grad)``) against
    autograd of a torch reference."""
    reference = reference or REFERENCES[name]
    value, grad = fns or (lossbook.REGISTRY[name].value, lossbook.REGISTRY[name].grad)
    ours = value(*args, **kwargs)
    tensors = [torch.as_tensor(a).clone().requires_grad_(i in wrt) if isinstance(a, np.ndarray) else a
               for i, a in enumerate(args)]
    expected = reference(tensors, kwargs)
    close(ours, expected, rtol=rtol, what=f"{name} {kwargs} value")
    g = RNG.uniform(0.5, 1.5, np.shape(ours))
    grads = grad(*args, grad_output=g, **kwargs)
    grads = grads if isinstance(grads, tuple) else (grads,)
    auto = torch.autograd.grad(expected, [tensors[i] for i in wrt], torch.as_tensor(g))
    for i, o, e in zip(wrt, grads, auto):
        close(o, e, rtol=rtol, atol=1e-10, what=f"{name} {kwargs} grad {i}")


def unit(x):
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def tangent(grad, x):
    """The component of ``grad`` orthogonal to each unit row of ``x`` (what survives an
    L2-normalisation in front of the loss)."""
    return grad - np.sum(grad * x, axis=1, keepdims=True) * x


# --- H1: contrastive ------------------------------------------------------------------
@pytest.mark.parametrize("similar_label", [0, 1])
@pytest.mark.parametrize("distance", ["euclidean", "cosine"])
@pytest.mark.parametrize("squared", [True, False])
@pytest.mark.parametrize("pos_margin", [0.0, 0.1])
@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_contrastive_options_match_the_formula(similar_label, distance, squared, pos_margin, reduction):
    (x1, x2, y), _ = lossbook.REGISTRY["contrastive_loss"].example(3)
    margin = 1.0 if distance == "euclidean" else 0.5
    kwargs = dict(similar_label=similar_label, distance=distance, squared=squared,
                  pos_margin=pos_margin, margin=margin, reduction=reduction)
    if distance == "cosine":   # keep the cosine distances away from the hinges
        x2 = x1 * np.array([[1.0, 0.3, -0.2]]) + 0.2
    check_against("contrastive_loss", [x1, x2, y], kwargs, wrt=(0, 1))


def test_contrastive_labels_flip_between_conventions():
    (x1, x2, y), _ = lossbook.REGISTRY["contrastive_loss"].example(0)
    hadsell = lossbook.contrastive_loss(x1, x2, y, reduction="none")
    flipped = lossbook.contrastive_loss(x1, x2, 1 - y, similar_label=1, reduction="none")
    np.testing.assert_array_equal(hadsell, flipped)


def test_contrastive_matches_pytorch_metric_learning():
    """PML ContrastiveLoss(pos_margin, neg_margin) on explicit pairs = ours with
    similar_label=1, squared=False, margin=neg_margin on normalised embeddings, then the mean
    over the non-zero positive terms plus the mean over the non-zero negative terms."""
    n, d = 8, 5
    gen = np.random.default_rng(5)
    x1 = unit(gen.normal(size=(n, d)))
    # pairs at chosen distances: similar ones below and above pos_margin, dissimilar ones
    # below and above neg_margin
    distances = np.array([0.1, 0.6, 0.15, 0.5, 1.5, 0.9, 1.0, 1.6])
    y = np.array([1, 1, 1, 0, 0, 0, 1, 0])
    x2 = np.empty_like(x1)
    for i, dist in enumerate(distances):      # a unit x2 at chord distance dist from x1
        u = gen.normal(size=d)
        u = unit(u - u @ x1[i] * x1[i])
        angle = 2 * np.arcsin(dist / 2)
        x2[i] = np.cos(angle) * x1[i] + np.sin(angle) * u
    pos_margin, neg_margin = 0.2, 1.2
    emb = torch.as_tensor(np.concatenate([x1, x2])).requires_grad_(True)
    idx = np.arange(n)
    tup = tuple(torch.as_tensor(v) for v in (idx[y == 1], n + idx[y == 1], idx[y == 0], n + idx[y == 0]))
    theirs = pml_losses.ContrastiveLoss(pos_margin=pos_margin, neg_margin=neg_margin)(emb, indices_tuple=tup)
    kwargs = dict(similar_label=1, squared=False, margin=neg_margin, pos_margin=pos_margin)
    per_pair = lossbook.contrastive_loss(x1, x2, y, reduction="none", **kwargs)
    weights = np.zeros(n)
    for group in (y == 1, y == 0):
        active = group & (per_pair > 0)
        assert 0 < active.sum() < group.sum(), "the test needs zero and non-zero terms"
        weights[active] = 1.0 / active.sum()
    close(np.sum(weights * per_pair), theirs, what="PML contrastive value")
    g1, g2 = lossbook.contrastive_loss_grad(x1, x2, y, reduction="none", grad_output=weights, **kwargs)
    (auto,) = torch.autograd.grad(theirs, [emb])
    close(tangent(g1, x1), auto[:n], what="PML contrastive grad input1 (tangent part)")
    close(tangent(g2, x2), auto[n:], what="PML contrastive grad input2 (tangent part)")


def test_contrastive_zero_distance_has_zero_hinge_direction():
    x = np.array([[0.5, -0.5]])
    g1, g2 = lossbook.contrastive_loss_grad(x, x.copy(), np.array([1]))
    np.testing.assert_array_equal(g1, [[0.0, 0.0]])
    assert float(lossbook.contrastive_loss(x, x.copy(), np.array([1]))) == 0.5


# --- H2: triplet ----------------------------------------------------------------------
@pytest.mark.parametrize("p", [1.0, 2.0, 3.0])
@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("squared", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_triplet_options_match_torch(p, swap, squared, reduction):
    (a, pos, neg), _ = lossbook.REGISTRY["triplet_margin_loss"].example(2)
    kwargs = dict(p=p, swap=swap, squared=squared, reduction=reduction,
                  margin=0.2 if squared else 1.0)
    check_against("triplet_margin_loss", [a, pos, neg], kwargs, wrt=(0, 1, 2))


@pytest.mark.parametrize("swap", [False, True])
def test_triplet_matches_pytorch_metric_learning(swap):
    """PML TripletMarginLoss(margin) on explicit triplets = ours with eps=0 on normalised
    embeddings, then the mean over the non-zero triplets (AvgNonZeroReducer)."""
    n, d = 9, 4
    a, p, neg = (unit(RNG.normal(size=(n, d))) for _ in range(3))
    margin = 0.3
    emb = torch.as_tensor(np.concatenate([a, p, neg])).requires_grad_(True)
    idx = torch.arange(n)
    loss = pml_losses.TripletMarginLoss(margin=margin, swap=swap)
    theirs = loss(emb, indices_tuple=(idx, idx + n, idx + 2 * n))
    per = lossbook.triplet_margin_loss(a, p, neg, margin=margin, eps=0.0, swap=swap, reduction="none")
    active = per > 0
    assert 0 < active.sum() < n
    close(per[active].mean(), theirs, what="PML triplet value")
    weights = active / active.sum()
    grads = lossbook.triplet_margin_loss_grad(a, p, neg, margin=margin, eps=0.0, swap=swap,
                                              reduction="none", grad_output=weights)
    (auto,) = torch.autograd.grad(theirs, [emb])
    for k, (ours, x) in enumerate(zip(grads, (a, p, neg))):
        close(tangent(ours, x), auto[k * n:(k + 1) * n], rtol=1e-7, atol=1e-9,
              what=f"PML triplet grad {k} (tangent part)")


def test_triplet_swap_tie_splits_the_gradient_like_torch():
    a = np.array([[0.0, 0.0]])
    p = np.array([[0.3, 0.0]])
    n = np.array([[0.15, 0.4]])          # equidistant from a and p (with eps = 0)
    check_against("triplet_margin_loss", [a, p, n], dict(swap=True, eps=0.0, margin=1.0), wrt=(0, 1, 2))


# --- H3: margin ranking, cosine embedding -----------------------------------------------
@pytest.mark.parametrize("margin", [-0.3, 0.0, 0.5])
def test_margin_ranking_and_cosine_embedding_margins(margin):
    (x1, x2, y), _ = lossbook.REGISTRY["margin_ranking_loss"].example(1)
    check_against("margin_ranking_loss", [x1, x2, y], dict(margin=margin), wrt=(0, 1))
    (u, v, t), _ = lossbook.REGISTRY["cosine_embedding_loss"].example(1)
    check_against("cosine_embedding_loss", [u, v, t], dict(margin=margin, reduction="none"), wrt=(0, 1))


def test_cosine_embedding_eps_is_atens():
    tiny = np.array([[1e-7, 0.0]])
    other = np.array([[1.0, 0.0]])
    ours = float(lossbook.cosine_embedding_loss(tiny, other, np.array([1])))
    theirs = float(F.cosine_embedding_loss(torch.as_tensor(tiny), torch.as_tensor(other),
                                           torch.tensor([1])))
    assert ours == pytest.approx(theirs, rel=1e-12) and ours > 1e-4   # the 1e-12 eps shows


# --- H5: angular margins ------------------------------------------------------------------
def margin_batch(seed=0, n=10, d=5, c=6):
    gen = np.random.default_rng(seed)
    return gen.normal(size=(n, d)), gen.integers(0, c, n), gen.normal(size=(c, d))


def target_angles(x, y, w):
    return np.arccos(np.sum(unit(x) * unit(w)[y], 1))


@pytest.mark.parametrize("easy_margin", [False, True])
@pytest.mark.parametrize("margin", [0.2, 0.5, 1.2])
def test_arcface_easy_margin_and_fallback_match_insightface(easy_margin, margin):
    x, y, w = margin_batch(1)
    theta = target_angles(x, y, w)
    assert np.any(theta > math.pi / 2), "the batch needs obtuse targets for easy_margin"
    check_against("arcface_loss", [x, y, w], dict(scale=3.0, margin=margin, easy_margin=easy_margin,
                                                  reduction="none"), wrt=(0, 2))


def test_arcface_fallback_is_discontinuous_as_the_catalog_says():
    m = 0.5
    w = np.array([[1.0, 0.0], [0.0, 1.0]])
    values = []
    for theta in (math.pi - m - 1e-9, math.pi - m + 1e-9):
        x = np.array([[math.cos(theta), math.sin(theta)]])
        logits = lossbook.angular_margin_logits(x, np.array([0]), w, scale=1.0, m2=m)
        values.append(float(logits[0, 0]))
    assert values[0] == pytest.approx(-1.0, abs=1e-8)                             # cos(θ + m) at π
    assert values[1] == pytest.approx(-math.cos(m) - m * math.sin(m), abs=1e-8)     # cos θ − m sin m
    assert values[1] == pytest.approx(-1.117, abs=1e-3)


def _pml_head(loss, w):
    loss.W.data = torch.as_tensor(w.T.copy())
    return loss


@pytest.mark.parametrize("margin", [0.3, 0.5])
def test_arcface_matches_pytorch_metric_learning(margin):
    """PML ArcFaceLoss takes the margin in degrees and W as (d, C); its default reducer is the
    mean. Same value and gradients (embeddings and W)."""
    x, y, w = margin_batch(2)
    loss = _pml_head(pml_losses.ArcFaceLoss(w.shape[0], w.shape[1], margin=math.degrees(margin),
                                            scale=4.0), w)
    assert abs(loss.margin - margin) < 1e-15
    xt = torch.as_tensor(x).requires_grad_(True)
    theirs = loss(xt, torch.as_tensor(y))
    theirs.backward()
    close(lossbook.arcface_loss(x, y, w, scale=4.0, margin=margin), theirs, what="value")
    gx, gw = lossbook.arcface_loss_grad(x, y, w, scale=4.0, margin=margin)
    close(gx, xt.grad, what="grad input")
    close(gw, loss.W.grad.T, what="grad weight")


def test_pml_arcface_default_margin_is_28_6_degrees():
    loss = pml_losses.ArcFaceLoss(3, 2)
    assert loss.margin == pytest.approx(math.radians(28.6)) and loss.margin != 0.5
    assert loss.scale == 64


def test_cosface_matches_pytorch_metric_learning():
    x, y, w = margin_batch(3)
    loss = _pml_head(pml_losses.CosFaceLoss(w.shape[0], w.shape[1], margin=0.35, scale=6.0), w)
    xt = torch.as_tensor(x).requires_grad_(True)
    theirs = loss(xt, torch.as_tensor(y))
    theirs.backward()
    close(lossbook.cosface_loss(x, y, w, scale=6.0), theirs, what="value")
    gx, gw = lossbook.cosface_loss_grad(x, y, w, scale=6.0)
    close(gx, xt.grad, what="grad input")
    close(gw, loss.W.grad.T, what="grad weight")


@pytest.mark.parametrize("margin", [2, 3, 4])
def test_sphereface_matches_pytorch_metric_learning_on_unit_embeddings(margin):
    """PML SphereFaceLoss multiplies the logits by ‖x‖ (and scale=1) instead of normalising:
    on unit-norm embeddings its value equals ours with scale=1; its W gradient too, and the
    embedding gradients agree on the tangent part (the radial part is its ‖x‖ factor's)."""
    x, y, w = margin_batch(4)
    x = unit(x)
    loss = _pml_head(pml_losses.SphereFaceLoss(w.shape[0], w.shape[1], margin=margin, scale=1), w)
    xt = torch.as_tensor(x).requires_grad_(True)
    theirs = loss(xt, torch.as_tensor(y))
    theirs.backward()
    close(lossbook.sphereface_loss(x, y, w, scale=1.0, margin=float(margin)), theirs, what="value")
    gx, gw = lossbook.sphereface_loss_grad(x, y, w, scale=1.0, margin=float(margin))
    close(gw, loss.W.grad.T, rtol=1e-8, what="grad weight")
    close(tangent(gx, x), tangent(xt.grad.numpy(), x), rtol=1e-8, atol=1e-10, what="grad input (tangent)")


def test_sphereface_psi_is_continuous_and_monotone():
    theta = np.linspace(1e-3, math.pi - 1e-3, 2001)
    for m in (1.5, 2.0, 4.0):
        x = np.stack([np.cos(theta), np.sin(theta)], 1)
        psi = lossbook.angular_margin_logits(x, np.zeros(len(x), dtype=int), np.array([[1.0, 0.0]]),
                                             scale=1.0, m1=m, m2=0.0)[:, 0]
        assert np.all(np.diff(psi) < 0)
        assert np.max(np.abs(np.diff(psi))) < 0.02


def test_combined_margin_is_the_three_special_cases():
    x, y, w = margin_batch(5)
    kw = dict(scale=2.0, reduction="none")
    np.testing.assert_array_equal(lossbook.combined_margin_loss(x, y, w, m1=1.0, m2=0.5, m3=0.0, **kw),
                                  lossbook.arcface_loss(x, y, w, margin=0.5, **kw))
    np.testing.assert_array_equal(lossbook.combined_margin_loss(x, y, w, m1=1.0, m2=0.0, m3=0.35, **kw),
                                  lossbook.cosface_loss(x, y, w, margin=0.35, **kw))
    np.testing.assert_array_equal(lossbook.combined_margin_loss(x, y, w, m1=4.0, m2=0.0, m3=0.0, **kw),
                                  lossbook.sphereface_loss(x, y, w, margin=4.0, **kw))
    # no margin at all is the plain softmax cross-entropy of s·cos
    plain = lossbook.combined_margin_loss(x, y, w, m1=1.0, m2=0.0, m3=0.0, **kw)
    close(plain, F.cross_entropy(torch.as_tensor(2.0 * unit(x) @ unit(w).T), torch.as_tensor(y),
                                 reduction="none"))


def test_combined_margin_with_both_additive_margins():
    """(1, m2, m3): insightface's ArcFace target logit (with its fallback), then CosFace's
    subtraction of m3 (insightface's CombinedMarginLoss applies only one of the two)."""
    x, y, w = margin_batch(6)
    kwargs = dict(scale=3.0, m1=1.0, m2=0.3, m3=0.2, reduction="sum")

    def reference(args, kw):
        logits = REFERENCES["arcface_loss"].__globals__["_insightface_logits"](
            args[0], args[1].long(), args[2], 3.0, m2=0.3)
        mask = F.one_hot(args[1].long(), args[2].shape[0]).bool()
        return F.cross_entropy(torch.where(mask, logits - 3.0 * 0.2, logits), args[1].long(), reduction="sum")

    check_against("combined_margin_loss", [x, y, w], kwargs, wrt=(0, 2), reference=reference,
                  fns=(lossbook.combined_margin_loss, lossbook.combined_margin_loss_grad))


# --- H6: GE2E ---------------------------------------------------------------------------
@pytest.mark.parametrize("variant", ["softmax", "contrast"])
@pytest.mark.parametrize("reduction", ["sum", "none"])
def test_ge2e_variants_match_the_paper(variant, reduction):
    args, _ = lossbook.REGISTRY["ge2e_loss"].example(4)
    check_against("ge2e_loss", list(args), dict(variant=variant, reduction=reduction), wrt=(0, 1, 2))


def test_ge2e_bias_gradient_is_zero_for_softmax_only():
    (e, w, b), _ = lossbook.REGISTRY["ge2e_loss"].example(0)
    assert float(lossbook.ge2e_loss_grad(e, w, b)[2]) == 0.0
    assert abs(float(lossbook.ge2e_loss_grad(e, w, b, variant="contrast")[2])) > 1e-6


def _rtvc_loss(embeds, w, b):
    """Real-Time-Voice-Cloning's encoder/model.py similarity_matrix + loss, transcribed
    (unit-norm embeddings; centroids normalised with norm + 1e-5; mean cross-entropy)."""
    n, m = embeds.shape[:2]
    centroids_incl = torch.mean(embeds, dim=1, keepdim=True)
    centroids_incl = centroids_incl.clone() / (torch.norm(centroids_incl, dim=2, keepdim=True) + 1e-5)
    centroids_excl = torch.sum(embeds, dim=1, keepdim=True) - embeds
    centroids_excl /= m - 1
    centroids_excl = centroids_excl.clone() / (torch.norm(centroids_excl, dim=2, keepdim=True) + 1e-5)
    sim = torch.zeros(n, m, n, dtype=embeds.dtype)
    mask_matrix = 1 - np.eye(n, dtype=int)
    for j in range(n):
        mask = np.where(mask_matrix[j])[0]
        sim[mask, :, j] = (embeds[mask] * centroids_incl[j]).sum(dim=2)
        sim[j, :, j] = (embeds[j] * centroids_excl[j]).sum(dim=1)
    sim = sim * w + b
    target = torch.from_numpy(np.repeat(np.arange(n), m)).long()
    return F.cross_entropy(sim.reshape(n * m, n), target)


def test_ge2e_matches_real_time_voice_cloning_up_to_its_eps():
    (e, w, b), _ = lossbook.REGISTRY["ge2e_loss"].example(1)
    e = unit(e)
    theirs = float(_rtvc_loss(torch.as_tensor(e), float(w), float(b)))
    ours = float(lossbook.ge2e_loss(e, w, b))
    assert ours == pytest.approx(theirs, rel=1e-4) and ours != theirs   # the 1e-5 in its norms


@pytest.mark.parametrize("shape, match", [((3, 1, 4), "M >= 2"), ((1, 3, 4), "N >= 2"), ((6, 4), "speakers")])
def test_ge2e_batch_must_be_speakers_by_utterances(shape, match):
    with pytest.raises(ValueError, match=match):
        lossbook.ge2e_loss(np.ones(shape), 10.0, -5.0)


def test_ge2e_w_must_be_positive_and_scalar():
    e = RNG.normal(size=(2, 3, 4))
    with pytest.raises(ValueError, match="w must be positive"):
        lossbook.ge2e_loss(e, np.array(-1.0), np.array(0.0))
    with pytest.raises(ValueError, match=r"b must have shape \(\) \(a scalar"):
        lossbook.ge2e_loss(e, np.array(1.0), np.zeros(2))


# --- beyond the catalog: circle loss, SupCon ---------------------------------------------
def test_supcon_matches_pytorch_metric_learning():
    """PML SupConLoss(temperature) = ours per anchor, averaged over the non-zero ones
    (AvgNonZeroReducer; our 'mean' averages over the anchors with a positive: the same here)."""
    (x, y), _ = lossbook.REGISTRY["supervised_contrastive_loss"].example(3)
    xt = torch.as_tensor(x).requires_grad_(True)
    theirs = pml_losses.SupConLoss(temperature=0.2)(xt, torch.as_tensor(y))
    per = lossbook.supervised_contrastive_loss(x, y, temperature=0.2, reduction="none")
    assert np.sum(per == 0) == 1                          # the singleton class
    close(lossbook.supervised_contrastive_loss(x, y, temperature=0.2), theirs, what="value")
    (auto,) = torch.autograd.grad(theirs, [xt])
    close(lossbook.supervised_contrastive_loss_grad(x, y, temperature=0.2), auto, what="grad")


def test_circle_loss_values_match_pytorch_metric_learning():
    """PML CircleLoss(m, gamma): the same per-anchor values and mean over the non-zero ones;
    its backward holds the weights alpha constant (detached), ours differentiates them."""
    (x, y), _ = lossbook.REGISTRY["circle_loss"].example(2)
    xt = torch.as_tensor(x).requires_grad_(True)
    loss = pml_losses.CircleLoss(m=0.4, gamma=80, reducer=DoNothingReducer())
    theirs = loss(xt, torch.as_tensor(y))["loss"]["losses"][:, 0]   # (B, 1) there
    ours = lossbook.circle_loss(x, y, m=0.4, gamma=80.0, reduction="none")
    close(ours, theirs, rtol=1e-9, what="per-anchor values")
    close(lossbook.circle_loss(x, y, m=0.4, gamma=80.0),
          pml_losses.CircleLoss(m=0.4, gamma=80)(torch.as_tensor(x), torch.as_tensor(y)), what="mean")
    (detached,) = torch.autograd.grad(theirs.sum(), [xt])
    ours_grad = lossbook.circle_loss_grad(x, y, m=0.4, gamma=80.0, reduction="sum")
    assert not np.allclose(ours_grad, detached.numpy(), rtol=1e-3), "the detach must show"
    check_against("circle_loss", [x, y], dict(m=0.4, gamma=8.0, reduction="sum"), wrt=(0,))


def test_labelled_batch_errors():
    x = RNG.normal(size=(4, 3))
    with pytest.raises(ValueError, match="no anchor has a positive"):
        lossbook.supervised_contrastive_loss(x, np.array([0, 1, 2, 3]))
    with pytest.raises(ValueError, match="target"):
        lossbook.circle_loss(x, np.array([0, 1, 0]))
    with pytest.raises(ValueError, match="temperature"):
        lossbook.supervised_contrastive_loss(x, np.array([0, 0, 1, 1]), temperature=0.0)
    with pytest.raises(ValueError, match="gamma"):
        lossbook.circle_loss(x, np.array([0, 0, 1, 1]), gamma=-1.0)


# --- I1: NCE ----------------------------------------------------------------------------
def test_nce_golden_values():
    s, sn = np.array([2.0]), np.array([[0.0, -1.0]])
    lq, lqn = np.log([0.25]), np.log([[0.5, 0.25]])
    softplus = lambda z: math.log1p(math.exp(z))  # noqa: E731
    d = 2.0 - math.log(2 * 0.25)
    expected = softplus(-d) + softplus(0.0 - math.log(2 * 0.5)) + softplus(-1.0 - math.log(2 * 0.25))
    assert float(lossbook.nce_loss(s, sn, lq, lqn)) == pytest.approx(expected, rel=1e-14)
    expected_ns = softplus(-2.0) + softplus(0.0) + softplus(-1.0)
    assert float(lossbook.nce_loss(s, sn, negative_sampling=True)) == pytest.approx(expected_ns, rel=1e-14)


def test_nce_population_gradient_vanishes_at_the_normalised_log_density():
    """Gutmann & Hyvärinen: with s(w) = log p_data(w), the expected NCE gradient
    p_d (σ(Δ) − 1) + k q σ(Δ) is zero for every w; negative sampling's is not."""
    gen = np.random.default_rng(0)
    p_data, q = gen.dirichlet(np.ones(7)), gen.dirichlet(np.ones(7))
    k = 5
    s = np.log(p_data)
    for ns in (False, True):
        g_data, _ = lossbook.nce_loss_grad(s, np.zeros((7, k)), np.log(q), np.zeros((7, k)) + np.log(0.5),
                                           negative_sampling=ns, reduction="sum")
        # d/ds of a noise term at the same word w: σ(Δ(w)), the same Δ as the data term
        sig = g_data + 1.0
        population = p_data * g_data + k * q * sig
        if ns:
            assert np.max(np.abs(population)) > 1e-3
        else:
            np.testing.assert_allclose(population, 0.0, atol=1e-15)


@pytest.mark.parametrize("negative_sampling", [False, True])
def test_nce_options_match_bce(negative_sampling):
    args, _ = lossbook.REGISTRY["nce_loss"].example(4)
    check_against("nce_loss", list(args), dict(negative_sampling=negative_sampling, reduction="none"),
                  wrt=(0, 1))


# --- I2, I3: InfoNCE, MNRL --------------------------------------------------------------
@pytest.mark.parametrize("similarity", ["cosine", "dot"])
@pytest.mark.parametrize("negatives", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_info_nce_options_match_cross_entropy(similarity, negatives, reduction):
    (q, k), _ = lossbook.REGISTRY["info_nce_loss"].example(5)
    args = [q, k] + ([RNG.normal(size=(4, q.shape[1]))] if negatives else [])
    check_against("info_nce_loss", args, dict(similarity=similarity, temperature=0.7, reduction=reduction),
                  wrt=(0, 1, 2) if negatives else (0, 1))


@pytest.mark.parametrize("similarity", ["cosine", "dot"])
def test_nt_xent_matches_cross_entropy(similarity):
    (q, k), _ = lossbook.REGISTRY["info_nce_loss"].example(6)
    check_against("info_nce_loss", [q, k], dict(similarity=similarity, nt_xent=True, temperature=0.5,
                                                reduction="none"), wrt=(0, 1))


def test_nt_xent_matches_pytorch_metric_learning():
    """PML NTXentLoss with labels [0..N-1, 0..N-1] is SimCLR's NT-Xent: mean over the 2N
    anchors, each with 2N - 2 negatives."""
    (q, k), _ = lossbook.REGISTRY["info_nce_loss"].example(7)
    n = q.shape[0]
    emb = torch.as_tensor(np.concatenate([q, k])).requires_grad_(True)
    labels = torch.cat([torch.arange(n), torch.arange(n)])
    theirs = pml_losses.NTXentLoss(temperature=0.3)(emb, labels)
    close(lossbook.info_nce_loss(q, k, temperature=0.3, nt_xent=True), theirs, what="value")
    (auto,) = torch.autograd.grad(theirs, [emb])
    gq, gk = lossbook.info_nce_loss_grad(q, k, temperature=0.3, nt_xent=True)
    close(gq, auto[:n], what="grad query")
    close(gk, auto[n:], what="grad key")


@pytest.mark.parametrize("hard", [False, True])
@pytest.mark.parametrize("symmetric", [False, True])
def test_mnrl_options_match_sentence_transformers(hard, symmetric):
    if hard and symmetric:
        pytest.skip("the symmetric variant has no hard negatives")
    (a, p), _ = lossbook.REGISTRY["multiple_negatives_ranking_loss"].example(2)
    args = [a, p] + ([RNG.normal(size=a.shape)] if hard else [])
    check_against("multiple_negatives_ranking_loss", args,
                  dict(scale=20.0, symmetric=symmetric, reduction="none"), wrt=(0, 1, 2) if hard else (0, 1))


def test_mnrl_is_info_nce_with_temperature_one_over_scale():
    (a, p), _ = lossbook.REGISTRY["multiple_negatives_ranking_loss"].example(0)
    close(lossbook.multiple_negatives_ranking_loss(a, p, scale=20.0),
          lossbook.info_nce_loss(a, p, temperature=1 / 20.0), rtol=1e-12)


# --- bad input --------------------------------------------------------------------------
X = np.ones((3, 2))


@pytest.mark.parametrize("call, match", [
    (lambda: lossbook.triplet_margin_loss(X, X, np.ones((3, 3))), "negative"),
    (lambda: lossbook.contrastive_loss(X, X, np.array([0, 1])), "target"),
    (lambda: lossbook.contrastive_loss(X, X, np.array([0, 1, 2])), "target"),
    (lambda: lossbook.contrastive_loss(X, X, np.array([0, 1, 1]), margin=-1.0), "margin"),
    (lambda: lossbook.contrastive_loss(X, X, np.array([0, 1, 1]), distance="l1"), "distance"),
    (lambda: lossbook.cosine_embedding_loss(X, X, np.array([1, 0, 1])), "target"),
    (lambda: lossbook.cosine_embedding_loss(X, X, np.array([1, -1, 1]), margin=2.0), "margin"),
    (lambda: lossbook.margin_ranking_loss(X, X, np.ones((3, 3))), "target"),
    (lambda: lossbook.arcface_loss(X, np.array([0, 1]), X), "target"),
    (lambda: lossbook.arcface_loss(X, np.array([0, 1, 0]), np.ones((2, 3))), "weight"),
    (lambda: lossbook.arcface_loss(X, np.array([0, 1, 0]), X, margin=28.6), "degrees"),
    (lambda: lossbook.arcface_loss(X, np.array([0, 1, 0]), X, margin=-0.1), "margin"),
    (lambda: lossbook.arcface_loss(X, np.array([0, 1, 0]), X, scale=0.0), "scale"),
    (lambda: lossbook.sphereface_loss(X, np.array([0, 1, 0]), X, margin=0.5), "margin"),
    (lambda: lossbook.cosface_loss(np.zeros((3, 2)), np.array([0, 1, 0]), X), "input"),
    (lambda: lossbook.combined_margin_loss(X, np.array([0, 1, 0]), X, m1=2.0, m2=0.3), "m1"),
    (lambda: lossbook.info_nce_loss(X, X, temperature=0.0), "temperature"),
    (lambda: lossbook.info_nce_loss(X, X, temperature=-1.0), "temperature"),
    (lambda: lossbook.info_nce_loss(X, np.ones((2, 2))), "positive_key"),
    (lambda: lossbook.info_nce_loss(X, X, np.ones((4, 3))), "negative_keys"),
    (lambda: lossbook.info_nce_loss(X, X, X, nt_xent=True), "negative_keys"),
    (lambda: lossbook.multiple_negatives_ranking_loss(X, X, scale=0), "scale"),
    (lambda: lossbook.multiple_negatives_ranking_loss(X, np.ones((3, 4))), "positive"),
    (lambda: lossbook.nce_loss(np.ones(3), np.ones((2, 4)), np.zeros(3), np.zeros((2, 4))), "noise_input"),
    (lambda: lossbook.nce_loss(np.ones(3), np.ones((3, 4))), "log_q"),
    (lambda: lossbook.nce_loss(np.ones(3), np.ones((3, 4)), np.ones(3), np.zeros((3, 4))), "log_q"),
])
def test_bad_input_names_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize("name", ["contrastive_loss", "triplet_margin_loss", "arcface_loss",
                                  "info_nce_loss", "multiple_negatives_ranking_loss", "nce_loss"])
def test_nan_in_a_second_argument_is_named(name):
    spec = lossbook.REGISTRY[name]
    args, kwargs = spec.example(0)
    args = list(args)
    index = spec.wrt[-1]
    bad = args[index].copy()
    bad.flat[-1] = np.nan
    args[index] = bad
    with pytest.raises(ValueError, match=rf"{spec.arg_names[index]}.*NaN"):
        spec.value(*args, **kwargs)
