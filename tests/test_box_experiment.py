"""The box-regression experiments (chapter *box_losses*), on tiny sizes, against references
independent of lossbook: Shapely for the geometry, the papers' formulas, brute-force descent."""
from __future__ import annotations

import numpy as np
import pytest

import lossbook.experiments.boxes as bx

shapely = pytest.importorskip("shapely.geometry")


def _shapely_iou(a, b):
    pa, pb = shapely.box(*a), shapely.box(*b)
    inter = pa.intersection(pb).area
    return inter / (pa.area + pb.area - inter)


def _shapely_giou(a, b):
    pa, pb = shapely.box(*a), shapely.box(*b)
    inter = pa.intersection(pb).area
    union = pa.area + pb.area - inter
    hull = shapely.box(*pa.union(pb).bounds).area
    return inter / union - (hull - union) / hull


def test_box_formats_round_trip():
    boxes = np.array([[1.0, 2.0, 4.0, 3.0], [-1.0, 0.5, 0.0, 2.5]])
    assert np.allclose(bx.cxcywh(boxes), [[2.5, 2.5, 3.0, 1.0], [-0.5, 1.5, 1.0, 2.0]])
    assert np.allclose(bx.xyxy(bx.cxcywh(boxes)), boxes)


def test_l2_vs_iou_has_equal_l2_and_different_iou_matching_shapely():
    out = bx.l2_vs_iou(distance=1.5)
    assert np.allclose(out["l2"], 1.5)
    for k, pred in enumerate(out["pred"]):
        assert out["iou"][k] == pytest.approx(_shapely_iou(pred, out["target"]), rel=1e-12)
        assert out["giou"][k] == pytest.approx(_shapely_giou(pred, out["target"]), rel=1e-12)
    assert np.ptp(out["iou"]) > 0.1            # same l2 error, clearly different IoU
    with pytest.raises(ValueError, match="distance"):
        bx.l2_vs_iou(distance=5.0)


def test_random_pairs_match_shapely_and_giou_is_below_iou():
    out = bx.random_pairs(200, seed=3)
    ref_iou = [_shapely_iou(a, b) for a, b in zip(out["pred"], out["target"])]
    ref_giou = [_shapely_giou(a, b) for a, b in zip(out["pred"], out["target"])]
    assert np.allclose(out["iou"], ref_iou, rtol=1e-12, atol=1e-15)
    assert np.allclose(out["giou"], ref_giou, rtol=1e-12, atol=1e-15)
    assert np.all(out["giou"] <= out["iou"] + 1e-15) and np.all(out["giou"] > -1)
    disjoint = out["iou"] == 0
    assert 0.2 < disjoint.mean() < 0.9          # both kinds present
    assert np.ptp(out["giou"][disjoint]) > 0.3  # GIoU tells disjoint pairs apart, IoU cannot
    with pytest.raises(ValueError, match="n must"):
        bx.random_pairs(0)


def test_simulation_boxes_follow_the_paper_layout():
    anchors, targets = bx.simulation_boxes(3, seed=1)
    assert anchors.shape == targets.shape == (3 * 49 * 7, 4)
    assert np.allclose(targets[:, 2] * targets[:, 3], 1.0)            # unit-area targets
    assert sorted(set(np.round(targets[:, 2] / targets[:, 3], 6))) == sorted(
        np.round([1 / 4, 1 / 3, 1 / 2, 1, 2, 3, 4], 6))
    assert np.all(np.hypot(anchors[:, 0] - 10, anchors[:, 1] - 10) <= 3.0)
    areas = sorted(set(np.round(anchors[:, 2] * anchors[:, 3], 6)))
    assert areas == sorted([0.5, 0.67, 0.75, 1.0, 1.33, 1.5, 2.0])
    with pytest.raises(ValueError, match="n_points"):
        bx.simulation_boxes(0)


def test_one_descent_step_is_the_papers_update(monkeypatch):
    """One iteration against a hand-written step in (cx, cy, w, h) with a central-difference
    gradient of the value (independent of the _grad functions)."""
    monkeypatch.setenv("LOSSBOOK_CACHE", "off")
    res = bx.simulate(("DIoU",), n_points=1, iterations=1, lr=0.1, progress=False)
    anchors, targets = bx.simulation_boxes(1, seed=0)
    from lossbook import diou_loss

    def loss(b):
        return diou_loss(bx.xyxy(b), bx.xyxy(targets), reduction="none")

    h = 1e-6
    grad = np.stack([(loss(anchors + h * e) - loss(anchors - h * e)) / (2 * h) for e in np.eye(4)], axis=1)
    iou = 1 - __import__("lossbook").iou_loss(bx.xyxy(anchors), bx.xyxy(targets), eps=0.0, reduction="none")
    stepped = anchors - 0.1 * (2 - iou)[:, None] * grad
    assert res["DIoU"]["error"][0] == pytest.approx(np.abs(anchors - targets).sum(axis=1).mean())
    assert res["DIoU"]["error"][1] == pytest.approx(np.abs(stepped - targets).sum(axis=1).mean(), rel=1e-7)


def test_simulation_iou_is_stuck_on_disjoint_boxes_and_the_others_converge(monkeypatch):
    monkeypatch.setenv("LOSSBOOK_CACHE", "off")
    res = bx.simulate(("IoU", "GIoU", "DIoU", "CIoU", "Wise-IoU v1"), n_points=4, iterations=120,
                      progress=False)
    iou = res["IoU"]
    assert iou["disjoint_start"] > 0 and iou["disjoint_end"] == iou["disjoint_start"]
    for label in ("GIoU", "DIoU", "CIoU", "Wise-IoU v1"):
        r = res[label]
        assert r["disjoint_end"] == 0, label                   # every box reaches its target
        assert r["final_error"] < 0.25 * r["error"][0], label
        assert r["final_error"] < 0.5 * iou["final_error"], label
        assert r["final_iou"] > 0.7, label
        assert np.all(np.diff(r["error"][:20]) < 0), label    # descent lowers the error at first
    assert res["_meta"]["cases"] == 4 * 49 * 7
    assert len(res["GIoU"]["iou_mean"]) == 0


def test_simulation_focal_eiou_ignores_disjoint_boxes_and_wiou_v3_keeps_its_running_mean(monkeypatch):
    monkeypatch.setenv("LOSSBOOK_CACHE", "off")
    iterations = 30
    res = bx.simulate(("Focal-EIoU", "Wise-IoU v3"), n_points=2, iterations=iterations, progress=False)
    focal = res["Focal-EIoU"]
    assert focal["disjoint_start"] > 0 and focal["disjoint_end"] == focal["disjoint_start"]
    # the running mean: starts at 1, one update per step, as lossbook.wiou_running_mean (checked
    # here against the recursion written out: (1 - m) * mean + m * mean(1 - IoU) of the batch)
    means = res["Wise-IoU v3"]["iou_mean"]
    assert len(means) == iterations
    m = 1 - 0.05 ** (1 / iterations)
    anchors, targets = bx.simulation_boxes(2, seed=0)
    losses = [1 - _shapely_iou(a, t) for a, t in zip(bx.xyxy(anchors), bx.xyxy(targets))]
    assert means[0] == pytest.approx((1 - m) * 1.0 + m * np.mean(losses), rel=1e-9)
    assert np.all(means > 0) and np.all(np.diff(means) < 0)     # the boxes improve
    assert res["Wise-IoU v3"]["error"][-1] < 0.5 * res["Wise-IoU v3"]["error"][0]
    with pytest.raises(ValueError, match="unknown loss"):
        bx.simulate(("L2",), progress=False)


def test_simulation_workers_give_the_same_numbers(monkeypatch):
    monkeypatch.setenv("LOSSBOOK_CACHE", "off")
    one = bx.simulate(("GIoU", "DIoU"), n_points=1, iterations=5, progress=False)
    two = bx.simulate(("GIoU", "DIoU"), n_points=1, iterations=5, progress=False, workers=2)
    for label in ("GIoU", "DIoU"):
        assert np.array_equal(one[label]["error"], two[label]["error"])


def test_alpha_curves_follow_the_papers_power_law():
    iou = np.linspace(0.05, 0.99, 20)
    curves = bx.alpha_curves(iou, alphas=(0.5, 3.0))
    for a, (loss, grad) in curves.items():
        assert np.allclose(loss, 1 - iou ** a, rtol=1e-12)
        assert np.allclose(grad, -a * iou ** (a - 1), rtol=1e-9)
    # IoU = 1 is the tie x2 = x2^g: min/max split the derivative, the one-sided slopes are
    # -alpha (shrinking) and 0 (growing); half-and-half shares of I and U cancel: 0
    loss, grad = bx.alpha_curves(np.array([1.0]), alphas=(3.0,))[3.0]
    assert loss[0] == 0.0 and grad[0] == 0.0


def test_wiou_gain_is_the_papers_r():
    beta = np.linspace(0.1, 9.5, 40)
    for alpha, delta in ((1.9, 3.0), (1.6, 4.0), (2.5, 2.0)):
        r = beta / (delta * alpha ** (beta - delta))          # Tong et al., Eq. for v3
        assert np.allclose(bx.wiou_gain(beta, alpha, delta), r, rtol=1e-9)
        assert bx.wiou_gain(np.array([delta]), alpha, delta)[0] == pytest.approx(1.0)
    assert np.allclose(bx.wiou_gain(beta, version=2, gamma=0.5), np.sqrt(beta), rtol=1e-9)
    with pytest.raises(ValueError, match="beta"):
        bx.wiou_gain(np.array([0.0]))


def test_box_explorer_frames_and_state():
    from lossbook.widgets import MAX_FRAMES

    ex = bx.box_explorer()
    assert len(list(ex.states())) <= min(40, MAX_FRAMES)
    state = bx.box_state(3.0, 0.0, 1.0, 1.0)                 # disjoint, to the right of the target
    assert state["IoU"][0] == pytest.approx(1.0) and np.allclose(state["IoU"][1], 0.0)
    for label in ("GIoU", "DIoU", "Wise-IoU v1"):
        g = state[label][1]
        assert g[0] + g[2] > 0, label                           # descent moves the box left
    assert ex.png({"x": 1.0, "y": 0.0, "w": 2.0, "h": 1.0})[:8] == b"\x89PNG\r\n\x1a\n"


def test_simulation_is_served_from_the_cache_whatever_the_global_random_state(tmp_path, monkeypatch):
    import random

    monkeypatch.setenv("LOSSBOOK_CACHE", str(tmp_path))
    kwargs = dict(n_points=1, iterations=2, progress=False)
    np.random.seed(1)
    first = bx.simulate(("GIoU",), **kwargs)
    np.random.seed(2)
    random.seed(5)
    assert bx.simulate.is_cached(("GIoU",), **kwargs)
    assert np.array_equal(bx.simulate(("GIoU",), **kwargs)["GIoU"]["error"], first["GIoU"]["error"])
