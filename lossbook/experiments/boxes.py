"""Bounding-box regression (chapter *box_losses*): box geometry examples and the DIoU paper's simulation.

* :func:`l2_vs_iou` builds GIoU's Fig. 1 situation: predictions with the same :math:`\\ell_2`
  corner error and different IoU and GIoU;
* :func:`random_pairs` samples box pairs for the IoU-vs-GIoU scatter;
* :func:`simulate` is the simulation experiment of Zheng et al. (DIoU, AAAI 2020, Sec. 3 and
  Alg. 1): anchors around targets regressed by gradient descent with each loss's gradient
  (lossbook's ``<name>_grad``), error against iteration; memoized;
* :func:`alpha_curves` and :func:`wiou_gain` read α-IoU's loss and gradient and Wise-IoU's
  focusing gain off the registry functions (nothing re-implemented);
* :func:`box_explorer` is the chapter's explorer: move a predicted box, see every IoU-family
  loss and the direction its gradient moves the box.

Boxes are ``(x1, y1, x2, y2)``; the simulation moves ``(cx, cy, w, h)`` as the paper does.
"""
from __future__ import annotations

import time

import numpy as np

from ..losses import boxes as _family
from ..cache import memoize
from ._jobs import run_jobs

__all__ = [
    "xyxy", "cxcywh", "l2_vs_iou", "random_pairs", "simulation_boxes", "SIMULATED", "simulate",
    "alpha_curves", "wiou_gain", "EXPLORED", "box_state", "box_explorer",
]


def _loss(name):
    """``lossbook.<name>`` of the box family."""
    return getattr(_family, name)


def _grad(name):
    """``lossbook.<name>_grad`` of the box family."""
    return getattr(_family, name + "_grad")


# --- box formats -----------------------------------------------------------------------------
def xyxy(boxes) -> np.ndarray:
    """``(cx, cy, w, h)`` -> ``(x1, y1, x2, y2)`` (last axis)."""
    b = np.asarray(boxes, dtype=np.float64)
    half = b[..., 2:] / 2.0
    return np.concatenate([b[..., :2] - half, b[..., :2] + half], axis=-1)


def cxcywh(boxes) -> np.ndarray:
    """``(x1, y1, x2, y2)`` -> ``(cx, cy, w, h)`` (last axis)."""
    b = np.asarray(boxes, dtype=np.float64)
    return np.concatenate([(b[..., :2] + b[..., 2:]) / 2.0, b[..., 2:] - b[..., :2]], axis=-1)


def _iou(pred, target):
    return 1.0 - _loss("iou_loss")(pred, target, eps=0.0, reduction="none")


def _giou(pred, target):
    return 1.0 - _loss("giou_loss")(pred, target, eps=0.0, reduction="none")


# --- GIoU's Fig. 1 ---------------------------------------------------------------------------
def l2_vs_iou(distance: float = 1.5, angles=(45.0, 225.0, 315.0)):
    """GIoU's Fig. 1 situation: predictions with the same ℓ2 corner error and different IoU.

    The target is ``(0, 0, 4, 2)``. Every prediction keeps the target's bottom-left corner and
    puts its top-right corner at ``distance`` from the target's, in the direction ``angles``
    (degrees): the ℓ2 norm of the corner differences is ``distance`` for all of them.

    Returns
    -------
    dict
        ``target`` (4,), ``pred`` (k, 4), ``l2`` (k,) the ℓ2 norm of the corner differences,
        ``l1`` (k,), ``iou`` (k,), ``giou`` (k,).
    """
    d = float(distance)
    phi = np.deg2rad(np.asarray(angles, dtype=np.float64))
    target = np.array([0.0, 0.0, 4.0, 2.0])
    pred = np.stack([np.zeros_like(phi), np.zeros_like(phi), 4.0 + d * np.cos(phi),
                     2.0 + d * np.sin(phi)], axis=1)
    if np.any(pred[:, 2:] <= 0):
        raise ValueError(f"distance {d} is too large: the top-right corner crosses the bottom-left one")
    diff = pred - target
    gt = np.broadcast_to(target, pred.shape)
    return {"target": target, "pred": pred, "l2": np.linalg.norm(diff, axis=1),
            "l1": np.abs(diff).sum(axis=1), "iou": _iou(pred, gt), "giou": _giou(pred, gt)}


def random_pairs(n: int = 2000, seed: int = 0, spread: float = 3.0):
    """``n`` random box pairs: IoU and GIoU of each (for the scatter), plus the boxes.

    Target and prediction are independent, centres uniform in ``[0, spread]²``, sides uniform
    in ``[0.2, 2]``: with ``spread=3`` about two thirds of the pairs are disjoint.
    """
    if int(n) < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0.0, spread, size=(2, int(n), 2))
    sides = rng.uniform(0.2, 2.0, size=(2, int(n), 2))
    pred = xyxy(np.concatenate([centres[0], sides[0]], axis=1))
    target = xyxy(np.concatenate([centres[1], sides[1]], axis=1))
    return {"pred": pred, "target": target, "iou": _iou(pred, target), "giou": _giou(pred, target)}


# --- the DIoU paper's simulation --------------------------------------------------------------
#: The losses of :func:`simulate`: label -> (registry name, keyword arguments).
SIMULATED = {
    "IoU": ("iou_loss", {}),
    "GIoU": ("giou_loss", {}),
    "DIoU": ("diou_loss", {}),
    "CIoU": ("ciou_loss", {}),
    "EIoU": ("eiou_loss", {}),
    "SIoU": ("siou_loss", {}),
    "Wise-IoU v1": ("wiou_loss", {"version": 1}),
    "Wise-IoU v3": ("wiou_loss", {"version": 3, "iou_mean": "running"}),
    "Focal-EIoU": ("focal_eiou_loss", {}),
    "α-CIoU (α = 3)": ("alpha_iou_loss", {"alpha": 3.0, "mode": "ciou"}),
}
"""``iou_mean="running"``: Wise-IoU's running mean of 1 − IoU, kept by :func:`simulate` (start
1, updated before each step with momentum :math:`1-0.05^{1/T}` over the :math:`T` iterations,
as the reference code does per batch)."""

_RATIOS = (1 / 4, 1 / 3, 1 / 2, 1.0, 2.0, 3.0, 4.0)
_SCALES = (0.5, 0.67, 0.75, 1.0, 1.33, 1.5, 2.0)


def simulation_boxes(n_points: int = 5000, *, radius: float = 3.0, centre=(10.0, 10.0),
                     ratios=_RATIOS, scales=_SCALES, seed: int = 0):
    """The paper's regression cases, ``(anchors, targets)`` as ``(cx, cy, w, h)``, shape ``(M, 4)``.

    Seven targets of area 1 and aspect ratios ``ratios`` (w/h) centred at ``centre``; anchors at
    ``n_points`` points uniform in the disc of ``radius`` around it, with every area in
    ``scales`` and every ratio: ``M = n_points * len(scales) * len(ratios) * len(ratios)``
    (1 715 000 in the paper, whose points are not uniform by area; ours are).
    """
    n_points = int(n_points)
    if n_points < 1:
        raise ValueError(f"n_points must be a positive integer, got {n_points!r}")
    rng = np.random.default_rng(seed)
    r = radius * np.sqrt(rng.uniform(size=n_points))
    phi = rng.uniform(0.0, 2.0 * np.pi, size=n_points)
    points = np.stack([centre[0] + r * np.cos(phi), centre[1] + r * np.sin(phi)], axis=1)
    ratios, scales = np.asarray(ratios, float), np.asarray(scales, float)
    targets = np.stack([np.full_like(ratios, centre[0]), np.full_like(ratios, centre[1]),
                        np.sqrt(ratios), 1.0 / np.sqrt(ratios)], axis=1)          # (T, 4)
    shapes = np.array([(np.sqrt(s * a), np.sqrt(s / a)) for s in scales for a in ratios])  # (S*A, 2)
    anchors = np.concatenate([np.repeat(points, len(shapes), axis=0),
                              np.tile(shapes, (n_points, 1))], axis=1)             # (P*S*A, 4)
    m = len(anchors)
    return (np.tile(anchors, (len(targets), 1)), np.repeat(targets, m, axis=0))


def _simulate_one(job, progress=False):
    """One loss of :func:`simulate` (top level, so workers can run it)."""
    from tqdm.auto import tqdm

    name, kwargs = job["name"], dict(job["kwargs"])
    grad = _grad(name)
    running = kwargs.get("iou_mean") == "running"
    momentum = 1.0 - 0.05 ** (1.0 / job["iterations"])
    means = []
    anchors, targets = simulation_boxes(job["n_points"], seed=job["seed"])
    box, target = anchors.copy(), xyxy(targets)
    errors, ious = [], []
    start, cpu = time.perf_counter(), time.process_time()
    clamped = 0
    for step in tqdm(range(job["iterations"] + 1), desc=job["label"], disable=not progress, leave=False):
        corners = xyxy(box)
        iou = _iou(corners, target)
        errors.append(float(np.abs(box - targets).sum(axis=1).mean()))
        ious.append(float(iou.mean()))
        if step == job["iterations"]:
            break
        if running:
            kwargs["iou_mean"] = _family.wiou_running_mean(means[-1] if means else 1.0, corners,
                                                           target, momentum=momentum)
            means.append(kwargs["iou_mean"])
        g = grad(corners, target, reduction="none", grad_output=np.ones(len(box)), **kwargs)
        # chain rule from (x1, y1, x2, y2) to (cx, cy, w, h)
        g_box = np.stack([g[:, 0] + g[:, 2], g[:, 1] + g[:, 3],
                          (g[:, 2] - g[:, 0]) / 2.0, (g[:, 3] - g[:, 1]) / 2.0], axis=1)
        box = box - job["lr"] * (2.0 - iou)[:, None] * g_box
        small = box[:, 2:] < job["min_size"]
        clamped += int(small.sum())
        box[:, 2:] = np.maximum(box[:, 2:], job["min_size"])
    final = xyxy(box)
    start_iou = _iou(xyxy(anchors), target)
    end_iou = _iou(final, target)
    return {"error": np.array(errors), "mean_iou": np.array(ious),
            "disjoint_start": int((start_iou == 0).sum()),
            "disjoint_end": int(((start_iou == 0) & (end_iou == 0)).sum()),
            "final_error": errors[-1], "final_iou": ious[-1], "clamped": clamped,
            "iou_mean": np.array(means),
            "cases": len(box), "time": time.perf_counter() - start,
            "cpu_time": time.process_time() - cpu}


@memoize(rng=False)   # the anchors come from default_rng(seed): no global random state
def simulate(losses=tuple(SIMULATED), *, n_points: int = 100, iterations: int = 200,
             lr: float = 0.1, min_size: float = 1e-3, seed: int = 0, workers: int = 1,
             progress: bool = True) -> dict:
    r"""The DIoU paper's simulation: regress every anchor of :func:`simulation_boxes` to its target.

    For each loss, each box :math:`B=(c_x, c_y, w, h)` takes ``iterations`` steps

    .. math::

        B^{t} = B^{t-1} - \eta\,\bigl(2-\mathrm{IoU}^{t-1}\bigr)\,\frac{\partial\ell}{\partial B}(B^{t-1}),

    the update of the paper's Algorithm 1 (the factor :math:`2-\mathrm{IoU}` speeds up boxes that
    overlap little), with the gradient of lossbook's ``<name>_grad`` taken with respect to the
    corners and carried to :math:`(c_x, c_y, w, h)` by the chain rule. A side that would fall
    below ``min_size`` is clamped there (counted in ``clamped``).

    Parameters
    ----------
    losses : sequence of str
        Labels of :data:`SIMULATED`.
    n_points : int
        Anchor centres (the paper: 5000; 100 gives 34 300 regression cases).
    iterations : int
        Gradient steps (the paper: 200).
    lr : float
        :math:`\eta`.
    min_size : float
        Smallest side allowed during descent.
    seed : int
        Seed of the anchor centres.
    workers : int
        Losses simulated in this many processes at once (same numbers).
    progress : bool
        Show progress bars.

    Returns
    -------
    dict
        Label -> dict with ``error`` (mean :math:`\ell_1` error
        :math:`\lVert B-B^g\rVert_1` per box, after each iteration, ``iterations + 1`` values), ``iou_mean`` (Wise-IoU's
        running mean used at each step; empty for the other losses),
        ``mean_iou`` (likewise), ``final_error``, ``final_iou``, ``disjoint_start`` (cases whose
        anchor does not overlap its target), ``disjoint_end`` (of those, still not overlapping at
        the end), ``clamped``, ``cases``, ``time`` and ``cpu_time``; plus ``"_meta"``.
    """
    unknown = [label for label in losses if label not in SIMULATED]
    if unknown:
        raise ValueError(f"unknown loss label(s) {unknown}: choose from {list(SIMULATED)}")
    if int(iterations) < 1:
        raise ValueError(f"iterations must be a positive integer, got {iterations!r}")
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr!r}")
    jobs = [dict(label=label, name=SIMULATED[label][0], kwargs=dict(SIMULATED[label][1]),
                 n_points=int(n_points), iterations=int(iterations), lr=float(lr),
                 min_size=float(min_size), seed=seed) for label in losses]
    outcomes = run_jobs(_simulate_one, jobs, workers, progress, "box regression simulations")
    results = {job["label"]: outcome for job, outcome in zip(jobs, outcomes)}
    results["_meta"] = {"n_points": int(n_points), "iterations": int(iterations), "lr": float(lr),
                        "min_size": float(min_size), "seed": seed,
                        "cases": outcomes[0]["cases"] if outcomes else 0}
    return results


# --- α-IoU and Wise-IoU, read off the registry functions -------------------------------------
def _iou_sweep(iou):
    """Boxes ``(0, 0, s, 1)`` against ``(0, 0, 1, 1)``: IoU = s, and d/dx2 = d/dIoU."""
    s = np.asarray(iou, dtype=np.float64)
    pred = np.stack([np.zeros_like(s), np.zeros_like(s), s, np.ones_like(s)], axis=-1)
    return pred, np.broadcast_to(np.array([0.0, 0.0, 1.0, 1.0]), pred.shape).copy()


def alpha_curves(iou, alphas=(0.5, 1.0, 2.0, 3.0)):
    r"""α-IoU's loss :math:`1-\mathrm{IoU}^\alpha` and its derivative :math:`\partial\ell/\partial\mathrm{IoU}`.

    Evaluated with ``lossbook.alpha_iou_loss`` and ``_grad`` on boxes ``(0, 0, s, 1)`` against
    ``(0, 0, 1, 1)``, whose IoU is ``s`` and for which :math:`\partial\ell/\partial x_2 =
    \partial\ell/\partial\mathrm{IoU}` (``eps=0``) for IoU < 1. IoU = 1 is a tie of the
    right edges, where the registry's half-and-half convention gives the derivative 0.

    Returns
    -------
    dict
        α -> ``(loss, dloss_diou)``, arrays like ``iou``.
    """
    pred, target = _iou_sweep(iou)
    out = {}
    for a in alphas:
        loss = _loss("alpha_iou_loss")(pred, target, alpha=a, eps=0.0, reduction="none")
        g = _grad("alpha_iou_loss")(pred, target, alpha=a, eps=0.0, reduction="none",
                                     grad_output=np.ones(pred.shape[:-1]))
        out[a] = (loss, g[..., 2])
    return out


def wiou_gain(beta, alpha: float = 1.9, delta: float = 3.0, *, version: int = 3,
              gamma: float = 0.5, iou_mean: float = 0.1):
    r"""Wise-IoU's focusing gain against the outlier degree :math:`\beta=L^*_{IoU}/\overline L`.

    Read off ``lossbook.wiou_loss``: the ratio of the v2/v3 loss to the v1 loss of a box pair
    whose :math:`1-\mathrm{IoU}` is :math:`\beta\,\overline L` (boxes ``(0, 0, s, 1)`` against
    ``(0, 0, 1, 1)``, ``eps=0``), so ``beta`` must lie in :math:`(0, 1/\overline L)` (at :math:`\beta=0`, IoU = 1, both losses are 0).

    Returns
    -------
    array
        :math:`r=\beta/(\delta\alpha^{\beta-\delta})` (v3) or :math:`\beta^\gamma` (v2), like ``beta``.
    """
    beta = np.asarray(beta, dtype=np.float64)
    if np.any(~(beta > 0)) or np.any(beta * iou_mean >= 1):
        raise ValueError(f"beta must lie in (0, 1/iou_mean) = (0, {1 / iou_mean:g}) for these boxes")
    pred, target = _iou_sweep(1.0 - beta * iou_mean)
    kw = dict(eps=0.0, reduction="none")
    wiou = _loss("wiou_loss")
    focused = wiou(pred, target, version=version, iou_mean=iou_mean, alpha=alpha, delta=delta,
                   gamma=gamma, **kw)
    plain = wiou(pred, target, version=1, **kw)
    return focused / plain


# --- the explorer ----------------------------------------------------------------------------
#: The losses of :func:`box_explorer`: label -> (registry name, keyword arguments).
EXPLORED = {label: SIMULATED[label] for label in
            ("IoU", "GIoU", "DIoU", "CIoU", "EIoU", "SIoU", "Wise-IoU v1")}


def box_state(x, y, w, h, target=(0.0, 0.0, 2.0, 1.0)):
    """Loss value and gradient of every :data:`EXPLORED` loss for the predicted box with
    bottom-left corner ``(x, y)`` and size ``(w, h)``.

    Returns
    -------
    dict
        label -> ``(value, gradient)``, the gradient with respect to ``(x1, y1, x2, y2)``.
    """
    pred = np.array([[x, y, x + w, y + h]], dtype=np.float64)
    gt = np.array([target], dtype=np.float64)
    return {label: (float(_loss(name)(pred, gt, reduction="sum", **kwargs)),
                    _grad(name)(pred, gt, reduction="sum", **kwargs)[0])
            for label, (name, kwargs) in EXPLORED.items()}


def _draw_boxes(fig, x, y, w, h, target=(0.0, 0.0, 2.0, 1.0)):
    from matplotlib.patches import Rectangle

    state = box_state(x, y, w, h, target)
    ax, bars = fig.subplots(1, 2, width_ratios=(1.3, 1.0))
    tx1, ty1, tx2, ty2 = target
    ax.add_patch(Rectangle((tx1, ty1), tx2 - tx1, ty2 - ty1, fill=True, alpha=0.25, color="0.3",
                           label="target"))
    ax.add_patch(Rectangle((x, y), w, h, fill=False, lw=2, color="black", label="prediction"))
    colours = {label: f"C{k}" for k, label in enumerate(state)}
    longest = max(float(np.abs(g).max()) for _, g in state.values())
    scale = 1.5 / longest if longest > 0 else 0.0
    starts, moves, colors = [], [], []
    for label, (_, g) in state.items():
        for corner, pair in (((x, y), g[:2]), ((x + w, y + h), g[2:])):
            starts.append(corner)
            moves.append(-scale * pair)
            colors.append(colours[label])
    starts, moves = np.array(starts), np.array(moves)
    ax.quiver(starts[:, 0], starts[:, 1], moves[:, 0], moves[:, 1], color=colors, angles="xy",
              scale_units="xy", scale=1.0, width=0.006)
    ax.set(xlim=(-4.0, 6.0), ylim=(-3.0, 5.0), aspect="equal", xlabel="x", ylabel="y",
           title=f"−gradient at the corners (arrow = {scale:.3g} × gradient)")
    ax.legend(loc="lower left", fontsize=7)
    labels = list(state)
    values = [state[k][0] for k in labels]
    bars.barh(range(len(labels)), values, color=[colours[k] for k in labels])
    for k, label in enumerate(labels):
        value, g = state[label]
        bars.text(value + 0.04, k, f"{value:.3f}   |∇| = {np.linalg.norm(g):.3f}", va="center",
                  fontsize=7)
    bars.set(yticks=range(len(labels)), yticklabels=labels, xlim=(0, 3.2), xlabel="loss value",
             title="loss value and gradient norm (arrow colours)")
    bars.invert_yaxis()


def box_explorer(x=(-2.5, -0.5, 1.0, 2.5), y=(0.0, 2.0), w=(1.0, 2.0), h=(0.5, 1.0)):
    """Move a predicted box (bottom-left corner ``x``, ``y``, size ``w``, ``h``) against the target
    ``(0, 0, 2, 1)``: each loss's value and its negative gradient, drawn as arrows at the two
    corners it moves (one common scale per frame). A :class:`lossbook.widgets.FrameExplorer`: the website shows the listed values, the live
    view continuous ranges."""
    from ..widgets import FrameExplorer

    return FrameExplorer(_draw_boxes, {"x": list(x), "y": list(y), "w": list(w), "h": list(h)},
                         start={"x": 1.0, "y": 0.0, "w": 2.0, "h": 1.0},
                         live={"x": (-3.0, 3.0), "y": (-2.5, 3.0), "w": (0.2, 3.0), "h": (0.2, 3.0)},
                         name="IoU-family losses of a moving box", figsize=(9.0, 3.8),
                         description="Left: the grey target box (0, 0, 2, 1), the predicted box "
                                     "outlined in black and, at its bottom-left and top-right "
                                     "corners, one arrow per loss pointing where gradient descent "
                                     "moves that corner. Right: each loss's value as a bar, with "
                                     "the value and the gradient's norm written next to it.")
