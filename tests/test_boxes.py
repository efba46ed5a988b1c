"""Box losses (catalog part G) against references independent of lossbook.

* the geometry (intersection, union, enclosing box) of random box pairs against Shapely polygons;
* golden values worked out by hand from the papers' equations on one small example;
* Wise-IoU against a transcription of its reference code (Instinct323/wiou) with a fixed mean;
* degenerate pairs (identical, disjoint, touching, coincident centres, zero width or height,
  points): finite values and gradients, equal to torch autograd of the same formula;
* bad input naming the argument.

The registry harness (tests/test_registry.py) covers the rest: torchvision/mmdet values, VJPs
against autograd, gradcheck, finite differences, parity, float32, kinks and extremes.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
import torch

import lossbook
from lossbook.losses import boxes as B

IOU_LOSSES = ["iou_loss", "giou_loss", "diou_loss", "ciou_loss", "eiou_loss", "focal_eiou_loss",
              "alpha_iou_loss", "siou_loss", "wiou_loss"]
#: every option of every IoU-family loss (wiou with a fixed running mean)
VARIANTS = ([("iou_loss", {"mode": m}) for m in ("linear", "log")]
            + [(n, {}) for n in ("giou_loss", "diou_loss", "ciou_loss", "eiou_loss", "siou_loss")]
            + [("focal_eiou_loss", {"detach": d}) for d in (True, False)]
            + [("alpha_iou_loss", {"mode": m, "alpha": a}) for m in B._ALPHA_MODES for a in (0.5, 3.0)]
            + [("wiou_loss", {"version": v, "iou_mean": 0.4}) for v in (1, 2, 3)])


def random_pairs(seed, n=400):
    """Random pairs: overlapping, disjoint, nested, sharing edges (integer grid), thin."""
    g = np.random.default_rng(seed)
    lo = g.integers(0, 6, size=(n, 2, 2)).astype(float)      # grid corners: ties and touching
    size = g.integers(0, 5, size=(n, 2, 2)).astype(float)    # zero width/height included
    half = n // 2
    lo[half:] = g.uniform(-3, 3, size=(n - half, 2, 2))
    size[half:] = g.uniform(0, 4, size=(n - half, 2, 2))
    boxes = np.concatenate([lo, lo + size], axis=-1)         # (n, 2, 4)
    return boxes[:, 0], boxes[:, 1]


# --- geometry against Shapely ---------------------------------------------------------------
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_geometry_matches_shapely(seed):
    pred, gt = random_pairs(seed)
    G = B._geometry(lossbook.namespace(pred), pred, gt, 1e-300)  # ε below any area here
    a = shapely.box(pred[:, 0], pred[:, 1], pred[:, 2], pred[:, 3])
    b = shapely.box(gt[:, 0], gt[:, 1], gt[:, 2], gt[:, 3])
    inter = shapely.area(shapely.intersection(a, b))
    np.testing.assert_allclose(G.inter, inter, rtol=1e-12, atol=1e-12)
    # the union's area (Shapely drops zero-area boxes from a union: compare where both have area)
    solid = (shapely.area(a) > 0) & (shapely.area(b) > 0)
    assert solid.sum() > 100
    np.testing.assert_allclose(G.union[solid], shapely.area(shapely.union(a, b))[solid], rtol=1e-12)
    np.testing.assert_allclose(G.iou[solid], inter[solid] / shapely.area(shapely.union(a, b))[solid],
                               rtol=1e-12, atol=1e-15)
    # the smallest enclosing box: the bounds of the two boxes together (degenerate ones too)
    bounds = np.array([shapely.GeometryCollection([p, q]).bounds for p, q in zip(a, b)])
    np.testing.assert_allclose(G.cw, bounds[:, 2] - bounds[:, 0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(G.ch, bounds[:, 3] - bounds[:, 1], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(G.area_c, shapely.area(shapely.box(*bounds.T)), rtol=1e-12, atol=1e-12)
    # the centre distance: between the boxes' centroids (of their envelopes: boxes as polygons)
    np.testing.assert_allclose(np.sqrt(G.rho2[solid]),
                               shapely.distance(shapely.centroid(a), shapely.centroid(b))[solid],
                               rtol=1e-12, atol=1e-12)


def test_iou_matches_shapely_ratio():
    pred, gt = random_pairs(5)
    a = shapely.box(pred[:, 0], pred[:, 1], pred[:, 2], pred[:, 3])
    b = shapely.box(gt[:, 0], gt[:, 1], gt[:, 2], gt[:, 3])
    keep = (shapely.area(a) > 0) & (shapely.area(b) > 0)
    expected = shapely.area(shapely.intersection(a, b))[keep] / shapely.area(shapely.union(a, b))[keep]
    ours = 1.0 - lossbook.iou_loss(pred, gt, eps=1e-300, reduction="none")
    np.testing.assert_allclose(ours[keep], expected, rtol=1e-12, atol=1e-14)


# --- golden values: the papers' equations by hand on one example ----------------------------
# predicted box (1, 1, 4, 3): w = 3, h = 2, centre (2.5, 2); target (0, 0.5, 2, 4.5): w = 2,
# h = 4, centre (1, 2.5). Intersection [1, 2] x [1, 3] = 2; areas 6 and 8, union 12, IoU = 1/6.
# Enclosing box [0, 4] x [0.5, 4.5]: c_w = c_h = 4, |C| = 16, c^2 = 32. Centre offset
# (1.5, -0.5): rho^2 = 2.5.
PRED = np.array([[1.0, 1.0, 4.0, 3.0]])
GT = np.array([[0.0, 0.5, 2.0, 4.5]])
IOU, DIST, ASPECT = 1 / 6, 2.5 / 32, 4 / math.pi ** 2 * (math.atan(2 / 4) - math.atan(3 / 2)) ** 2
CIOU_ALPHA = ASPECT / (1 - IOU + ASPECT)
EIOU = 1 - IOU + DIST + (3 - 2) ** 2 / 4 ** 2 + (2 - 4) ** 2 / 4 ** 2     # Zhang et al. Eq. (8)


def _siou_by_hand(theta=4.0):
    """Gevorgyan 2022, with the paper's arcsin form of the angle cost."""
    sigma = math.sqrt(1.5 ** 2 + 0.5 ** 2)
    angle = 1 - 2 * math.sin(math.asin(0.5 / sigma) - math.pi / 4) ** 2      # Lambda
    gamma = 2 - angle
    distance = sum(1 - math.exp(-gamma * rho) for rho in ((1.5 / 4) ** 2, (0.5 / 4) ** 2))
    shape = sum((1 - math.exp(-omega)) ** theta for omega in (abs(3 - 2) / 3, abs(2 - 4) / 4))
    return 1 - IOU + (distance + shape) / 2


def _wiou_by_hand(version, mean=0.37, alpha=1.9, delta=3.0):
    """Tong et al. 2023: R_WIoU = exp(rho^2 / (W_g^2 + H_g^2)), v2 (L/mean)^0.5, v3 r = beta/(delta alpha^(beta-delta))."""
    v1 = math.exp(2.5 / 32) * (1 - IOU)
    beta = (1 - IOU) / mean
    return {1: v1, 2: beta ** 0.5 * v1, 3: beta / (delta * alpha ** (beta - delta)) * v1}[version]


GOLDEN = [
    ("iou_loss", {}, 5 / 6),
    ("iou_loss", {"mode": "log"}, math.log(6)),
    ("giou_loss", {}, 5 / 6 + (16 - 12) / 16),
    ("diou_loss", {}, 5 / 6 + DIST),
    ("ciou_loss", {}, 5 / 6 + DIST + CIOU_ALPHA * ASPECT),
    ("eiou_loss", {}, EIOU),
    ("focal_eiou_loss", {}, IOU ** 0.5 * EIOU),                          # Eq. (10), gamma = 0.5
    ("focal_eiou_loss", {"gamma": 2.0, "detach": False}, IOU ** 2 * EIOU),
    ("alpha_iou_loss", {}, 1 - IOU ** 3),                                  # He et al. Eq. (4)
    ("alpha_iou_loss", {"mode": "giou"}, 1 - IOU ** 3 + 0.25 ** 3),
    ("alpha_iou_loss", {"mode": "diou", "alpha": 2.0}, 1 - IOU ** 2 + DIST ** 2),
    ("alpha_iou_loss", {"mode": "ciou"}, 1 - IOU ** 3 + DIST ** 3 + (CIOU_ALPHA * ASPECT) ** 3),
    ("alpha_iou_loss", {"mode": "ciou", "alpha": 1.0}, 5 / 6 + DIST + CIOU_ALPHA * ASPECT),
    ("siou_loss", {}, _siou_by_hand()),
    ("siou_loss", {"theta": 2.0}, _siou_by_hand(2.0)),
    ("wiou_loss", {"version": 1}, _wiou_by_hand(1)),
    ("wiou_loss", {"version": 2, "iou_mean": 0.37}, _wiou_by_hand(2)),
    ("wiou_loss", {"version": 3, "iou_mean": 0.37}, _wiou_by_hand(3)),
    ("wiou_loss", {"version": 3, "iou_mean": 0.9, "alpha": 1.7, "delta": 2.7},
     _wiou_by_hand(3, 0.9, 1.7, 2.7)),
]


@pytest.mark.parametrize("name,kwargs,expected", GOLDEN)
def test_golden_values_from_the_papers(name, kwargs, expected):
    # eps = 0: the papers' formulas exactly (nothing here divides by zero)
    for boxes in ((PRED, GT), (torch.as_tensor(PRED), torch.as_tensor(GT))):
        value = getattr(lossbook, name)(*boxes, eps=0.0, **kwargs)
        assert float(value) == pytest.approx(expected, rel=1e-13, abs=1e-15)


def test_siou_angle_cost_closed_form_equals_the_papers():
    """Lambda = 1 - 2 sin^2(arcsin(|dy|/sigma) - pi/4) = 2|dx dy|/sigma^2, for any offset.

    The paper's form is evaluated in 50-digit arithmetic (mpmath): in float64 its arcsin near 1
    loses digits (at dx = 1e-3 it is off by 4e-11 relative), which is why we use the other form.
    """
    import mpmath

    mpmath.mp.dps = 50
    for dx, dy in [(1.5, -0.5), (0.1, 3.0), (-2.0, 2.0), (1e-3, 1.0), (2.0, 1e-4)]:
        sigma = mpmath.sqrt(mpmath.mpf(dx) ** 2 + mpmath.mpf(dy) ** 2)
        paper = 1 - 2 * mpmath.sin(mpmath.asin(abs(mpmath.mpf(dy)) / sigma) - mpmath.pi / 4) ** 2
        ours = B._siou(lossbook.namespace(np.zeros(1)), B._geometry(
            lossbook.namespace(np.zeros(1)), np.array([dx, dy, dx + 1.0, dy + 1.0]),
            np.array([0.0, 0.0, 1.0, 1.0]), 0.0), 4.0).angle
        # rel 1e-12: the offset dx = 1e-3 is a difference of box centres ~0.5 (1e-16 / 1e-3)
        assert float(ours) == pytest.approx(float(paper), rel=1e-12, abs=1e-300)


def test_balanced_l1_golden_values():
    """Pang et al. 2019, Eqs. (8)-(9) with alpha = 0.5, gamma = 1.5: b = e^3 - 1."""
    b = math.e ** 3 - 1
    inner = 0.5 / b * (0.5 * b + 1) * math.log(0.5 * b + 1) - 0.5 * 0.5        # |x| = 0.5
    outer = 1.5 * 2.0 + 1.5 / b - 0.5                                          # |x| = 2
    ours = lossbook.balanced_l1_loss(np.array([0.5, -2.0]), np.array([0.0, 0.0]), reduction="none")
    np.testing.assert_allclose(ours, [inner, outer], rtol=1e-14)
    # the gradient alpha ln(b|x| + 1) inside, gamma outside (Eq. 7), continuous at |x| = 1
    grad = lossbook.balanced_l1_loss_grad(np.array([0.5, -2.0, 1.0 - 1e-12]), np.zeros(3), reduction="sum")
    np.testing.assert_allclose(grad, [0.5 * math.log(0.5 * b + 1), -1.5, 1.5], rtol=1e-10)


def test_wiou_running_mean():
    # IoU = 1/6 for the golden pair: 1 - IoU = 5/6
    new = lossbook.wiou_running_mean(1.0, PRED, GT, momentum=0.25, eps=0.0)
    assert new == pytest.approx(0.75 * 1.0 + 0.25 * 5 / 6, rel=1e-14)
    momentum = 1 - 0.05 ** (1 / (890 * 34))   # the reference code's, n = 890 batches, t = 34 epochs
    assert lossbook.wiou_running_mean(0.5, PRED, GT, momentum=momentum) == pytest.approx(
        (1 - momentum) * 0.5 + momentum * (1 - 2 / (12 + 1e-7)), rel=1e-14)


# --- Wise-IoU against its reference code (Instinct323/wiou, iou.py), with a fixed mean -------
def _instinct323_wiou(pred, target, iou_mean, monotonous):
    """The reference code's IouLoss(ltype='WIoU') lines for one call, without the running-mean
    update (iou_mean fixed); ``monotonous``: None (v1), True (v2), False (v3)."""
    alpha, delta = 1.9, 3
    pred_xy = (pred[..., :2] + pred[..., 2: 4]) / 2
    pred_wh = pred[..., 2: 4] - pred[..., :2]
    target_xy = (target[..., :2] + target[..., 2: 4]) / 2
    target_wh = target[..., 2: 4] - target[..., :2]
    min_coord = torch.minimum(pred[..., :4], target[..., :4])
    max_coord = torch.maximum(pred[..., :4], target[..., :4])
    wh_inter = torch.relu(min_coord[..., 2: 4] - max_coord[..., :2])
    s_inter = torch.prod(wh_inter, dim=-1)
    s_union = torch.prod(pred_wh, dim=-1) + torch.prod(target_wh, dim=-1) - s_inter
    wh_box = max_coord[..., 2: 4] - min_coord[..., :2]
    l2_box = torch.square(wh_box).sum(dim=-1)
    d_center = pred_xy - target_xy
    l2_center = torch.square(d_center).sum(dim=-1)
    iou = 1 - s_inter / s_union
    loss = torch.exp(l2_center / l2_box.detach()) * iou
    if isinstance(monotonous, bool):
        beta = iou.detach() / iou_mean
        if monotonous:
            loss = loss * beta.sqrt()
        else:
            divisor = delta * torch.pow(alpha, beta - delta)
            loss = loss * (beta / divisor)
    return loss


@pytest.mark.parametrize("version,monotonous", [(1, None), (2, True), (3, False)])
def test_wiou_matches_reference_code(version, monotonous):
    pred, gt = B._box_pairs(21, shape=(4, 5), disjoint=5)
    tp = torch.tensor(pred, requires_grad=True)
    expected = _instinct323_wiou(tp, torch.tensor(gt), 0.6, monotonous)
    g = np.random.default_rng(3).uniform(-1, 1, expected.shape)
    expected.backward(torch.as_tensor(g))
    kwargs = {"version": version, "iou_mean": 0.6, "eps": 0.0, "reduction": "none"}
    np.testing.assert_allclose(lossbook.wiou_loss(pred, gt, **kwargs), expected.detach().numpy(), rtol=1e-13)
    np.testing.assert_allclose(lossbook.wiou_loss_grad(pred, gt, grad_output=g, **kwargs),
                               tp.grad.numpy(), rtol=1e-11, atol=1e-14)


# --- degenerate pairs: finite values and gradients, equal to autograd ----------------------
DEGENERATE = {
    "identical": ([0.0, 0.0, 2.0, 3.0], [0.0, 0.0, 2.0, 3.0]),
    "disjoint": ([0.0, 0.0, 1.0, 1.0], [5.0, 4.0, 6.0, 7.0]),
    "touching": ([0.0, 0.0, 1.0, 1.0], [1.0, 0.0, 2.0, 1.0]),
    "coincident centres": ([0.5, 0.5, 1.5, 2.5], [0.0, 0.0, 2.0, 3.0]),
    "zero width": ([1.0, 0.0, 1.0, 2.0], [0.0, 0.0, 2.0, 3.0]),
    "zero height": ([0.0, 1.0, 3.0, 1.0], [0.0, 0.0, 2.0, 3.0]),
    "point": ([1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 2.0, 3.0]),
    "same point": ([1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0]),
    "zero widths, same x": ([1.0, 0.0, 1.0, 2.0], [1.0, 1.0, 1.0, 4.0]),
    "zero-width target": ([0.0, 0.0, 2.0, 3.0], [1.0, 0.0, 1.0, 2.0]),
}


@pytest.mark.parametrize("case", list(DEGENERATE))
@pytest.mark.parametrize("name,kwargs", VARIANTS, ids=[f"{n}-{k}" for n, k in VARIANTS])
def test_degenerate_boxes_are_finite_and_match_autograd(name, kwargs, case):
    pred, gt = (np.array([b]) for b in DEGENERATE[case])
    value_fn, grad_fn = getattr(lossbook, name), getattr(lossbook, name + "_grad")
    value = value_fn(pred, gt, reduction="sum", **kwargs)
    grad = grad_fn(pred, gt, reduction="sum", **kwargs)
    assert np.isfinite(value) and np.all(np.isfinite(grad)), (value, grad)
    tp = torch.tensor(pred, requires_grad=True)
    out = value_fn(tp, torch.tensor(gt), reduction="sum", **kwargs)
    assert float(out.detach()) == pytest.approx(float(value), rel=1e-14, abs=1e-15)
    auto = torch.autograd.grad(out, tp)[0] if out.requires_grad else torch.zeros_like(tp)
    assert torch.all(torch.isfinite(auto)), auto
    np.testing.assert_allclose(grad, auto.numpy(), rtol=1e-12, atol=1e-14)


def test_degenerate_values_are_the_documented_ones():
    same = (np.array([0.0, 0.0, 2.0, 3.0]),) * 2
    assert float(lossbook.giou_loss(*same, eps=0.0)) == 0.0
    assert float(lossbook.ciou_loss(*same, eps=0.0)) == 0.0
    far = np.array([0.0, 0.0, 1.0, 1.0]), np.array([5.0, 4.0, 6.0, 7.0])
    assert float(lossbook.iou_loss(*far)) == 1.0
    assert float(lossbook.iou_loss(*far, mode="log")) == pytest.approx(-math.log(1e-7))
    np.testing.assert_array_equal(lossbook.iou_loss_grad(*far), np.zeros(4))   # IoU's flat region
    assert np.all(lossbook.giou_loss_grad(*far) != 0)                         # GIoU's repair
    assert float(lossbook.focal_eiou_loss(*far)) == 0.0                        # weight IoU^0.5 = 0
    # zero height: the aspect angle is its limit pi/2, with the one-sided derivative -1/w in h
    flat, gt = np.array([0.0, 1.0, 3.0, 1.0]), np.array([0.0, 0.0, 2.0, 2.0])
    theta = B._angle(lossbook.namespace(flat), np.array(3.0), np.array(0.0))
    assert float(theta) == pytest.approx(math.pi / 2)
    dw, dh = B._angle_grad(lossbook.namespace(flat), np.array(3.0), np.array(0.0))
    assert (float(dw), float(dh)) == (0.0, pytest.approx(-1 / 3))
    assert np.isfinite(float(lossbook.ciou_loss(flat, gt)))


def test_ties_split_like_torchvision():
    """At shared coordinates the min/max derivative is split in half, as torch.maximum does:
    equal to autograd of the torchvision transcriptions in tests/references.py."""
    from references import REFERENCES

    pred, gt = np.array([[0.0, 0.0, 2.0, 2.0], [1.0, 0.0, 3.0, 2.0]]), np.array([[0.0, 0.0, 4.0, 2.0],
                                                                                 [1.0, 0.0, 3.0, 2.5]])
    for name in ("iou_loss", "giou_loss", "diou_loss", "ciou_loss"):
        tp = torch.tensor(pred, requires_grad=True)
        out = REFERENCES[name]([tp, torch.tensor(gt)], {"reduction": "sum"})
        auto = torch.autograd.grad(out, tp)[0].numpy()
        np.testing.assert_allclose(getattr(lossbook, name + "_grad")(pred, gt, reduction="sum"), auto,
                                   rtol=1e-12, atol=1e-15, err_msg=name)


def test_detached_factors_are_constants_for_the_gradient():
    """CIoU's alpha is detached: the gradient is not the derivative of the value, but the
    derivative with alpha frozen (finite differences of both)."""
    pred, gt = B._box_pairs(7, shape=(3,), disjoint=0)
    spec = lossbook.REGISTRY["ciou_loss"]
    frozen = spec.extra["frozen"]([pred, gt], {"reduction": "sum"})
    grad = lossbook.ciou_loss_grad(pred, gt, reduction="sum")
    h = 1e-6
    for k in np.ndindex(pred.shape):
        step = np.zeros_like(pred)
        step[k] = h
        fd_frozen = (frozen(pred + step, gt) - frozen(pred - step, gt)) / (2 * h)
        assert float(fd_frozen) == pytest.approx(grad[k], rel=1e-6, abs=1e-8)
    full = (lossbook.ciou_loss(pred + step, gt, reduction="sum")
            - lossbook.ciou_loss(pred - step, gt, reduction="sum")) / (2 * h)
    assert abs(float(full) - grad[k]) > 1e-6   # the value's own derivative differs (dalpha)


# --- bad input -----------------------------------------------------------------------------
GOOD = np.array([[0.0, 0.0, 2.0, 2.0]]), np.array([[1.0, 0.0, 3.0, 2.0]])


@pytest.mark.parametrize("name", IOU_LOSSES)
@pytest.mark.parametrize("bad,kwargs,error,match", [
    ((np.array([[2.0, 0.0, 0.0, 2.0]]), GOOD[1]), {}, ValueError, r"input .*x2 < x1"),
    ((GOOD[0], np.array([[0.0, 3.0, 2.0, 2.0]])), {}, ValueError, r"target .*y2 < y1"),
    ((GOOD[0][:, :3], GOOD[1][:, :3]), {}, ValueError, r"input must hold boxes .*\(\.\.\., 4\)"),
    ((GOOD[0], np.concatenate([GOOD[1]] * 2)), {}, ValueError, r"target must have the same shape"),
    ((np.array([[0.0, np.nan, 2.0, 2.0]]), GOOD[1]), {}, ValueError, r"input contains NaN"),
    ((GOOD[0], np.array([[0.0, 0.0, np.inf, 2.0]])), {}, ValueError, r"target contains inf"),
    ((GOOD[0], GOOD[1].astype(np.float32)), {}, TypeError, r"target must have the dtype of input"),
    ((GOOD[0].astype(int), GOOD[1]), {}, TypeError, r"input must be a floating-point"),
    (GOOD, {"eps": -1e-7}, ValueError, r"eps must be a non-negative number"),
    (GOOD, {"reduction": "avg"}, ValueError, r"reduction"),
])
def test_bad_boxes_name_the_argument(name, bad, kwargs, error, match):
    extra = {"iou_mean": 0.5} if name == "wiou_loss" else {}
    for fn in (getattr(lossbook, name), getattr(lossbook, name + "_grad")):
        with pytest.raises(error, match=match):
            fn(*bad, **kwargs, **extra)


@pytest.mark.parametrize("name,kwargs,match", [
    ("iou_loss", {"mode": "square"}, r"mode must be one of 'linear', 'log'"),
    ("alpha_iou_loss", {"alpha": 0.0}, r"alpha must be a positive number"),
    ("alpha_iou_loss", {"mode": "eiou"}, r"mode must be one of"),
    ("focal_eiou_loss", {"gamma": -0.5}, r"gamma must be a positive number"),
    ("focal_eiou_loss", {"detach": "yes"}, r"detach must be one of True, False"),
    ("siou_loss", {"theta": 0.5}, r"theta must be a number at least 1"),
    ("wiou_loss", {"version": 4, "iou_mean": 0.5}, r"version must be one of 1, 2, 3"),
    ("wiou_loss", {"version": 3}, r"iou_mean is required for Wise-IoU v3"),
    ("wiou_loss", {"version": 2, "iou_mean": 0.0}, r"iou_mean must be a positive number"),
    ("wiou_loss", {"version": 3, "iou_mean": 0.5, "delta": 0.0}, r"delta must be a positive number"),
    ("balanced_l1_loss", {"beta": 0.0}, r"beta must be a positive number"),
    ("balanced_l1_loss", {"alpha": float("nan")}, r"alpha must be a positive number, got nan"),
])
def test_bad_hyper_parameters_name_the_argument(name, kwargs, match):
    for fn in (getattr(lossbook, name), getattr(lossbook, name + "_grad")):
        with pytest.raises(ValueError, match=match):
            fn(*GOOD, **kwargs)


def test_batch_shapes_and_single_boxes():
    pred, gt = B._box_pairs(3, shape=(2, 3, 2), disjoint=3)
    for name, kwargs in VARIANTS:
        none = getattr(lossbook, name)(pred, gt, reduction="none", **kwargs)
        assert none.shape == (2, 3, 2)
        single = getattr(lossbook, name)(pred[1, 2, 0], gt[1, 2, 0], reduction="none", **kwargs)
        assert np.shape(single) == () and float(single) == pytest.approx(float(none[1, 2, 0]), rel=1e-15)
        grad = getattr(lossbook, name + "_grad")(pred[1, 2, 0], gt[1, 2, 0], **kwargs)
        assert grad.shape == (4,)
