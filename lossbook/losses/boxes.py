r"""Bounding-box regression losses (catalog part G): the IoU family and Balanced L1.

Every IoU-family loss takes a predicted box ``input`` and a ground-truth box ``target`` as
:math:`(x_1, y_1, x_2, y_2)` with :math:`x_2\ge x_1` and :math:`y_2\ge y_1`, any batch shape
``(..., 4)``, and returns one loss per box (shape ``(...)`` for ``reduction='none'``; ``'mean'``
averages over boxes). Each ``_grad`` is the vector–Jacobian product with respect to ``input``
(the target is data), exactly what torch autograd of the value gives. :func:`balanced_l1_loss`
is element-wise on regression targets (box deltas), like :func:`lossbook.smooth_l1_loss`.

The geometry is written once, with its derivatives, and every loss is assembled from it:
:math:`w=x_2-x_1`, :math:`h=y_2-y_1` (ground truth :math:`w^g, h^g`), the intersection
:math:`I`, the union :math:`U=wh+w^gh^g-I`, :math:`\mathrm{IoU}=I/(U+\varepsilon)`, the smallest
enclosing box :math:`c_w\times c_h` with area :math:`|C|` and squared diagonal
:math:`c^2=c_w^2+c_h^2+\varepsilon`, the centre offset :math:`(\Delta_x,\Delta_y)` (prediction
minus target) with :math:`\rho^2=\Delta_x^2+\Delta_y^2`, and the aspect angle
:math:`\theta=\arctan(w/h)`.

Conventions, shared by every loss here:

* **ε** (``eps``, default ``1e-7``, torchvision's): added to the denominators
  :math:`U`, :math:`|C|`, :math:`c^2`, :math:`c_w^2`, :math:`c_h^2`, :math:`\sigma^2` and
  :math:`\max(w, w^g)`. With it disjoint, degenerate (zero width or height, even a point) and
  identical boxes and coincident centres give finite values and gradients. ``eps=0`` gives the
  papers' formulas exactly, and may then divide by zero for degenerate boxes.
* **Touching boxes** (intersection width or height exactly 0) have :math:`I=0` and no
  gradient through :math:`I`: torchvision's strict mask ``(x2' > x1') & (y2' > y1')``.
* **Ties** between a predicted and a target coordinate inside :math:`\min`/:math:`\max`
  share the derivative half and half, as ``torch.maximum``/``torch.minimum`` do.
* **Zero-size aspect**: :math:`\theta=\arctan(w/h)` is :math:`\pi/2` for :math:`h=0<w` (its
  limit) and 0 for a point box, with the one-sided derivative :math:`-1/w` at :math:`h=0`
  (computed as :math:`\pi/2-\arctan(h/w)` where :math:`h\le w`) and 0 at a point.
* **Detached factors** (CIoU's :math:`\alpha`, α-CIoU's :math:`\beta`, Wise-IoU's
  normaliser and focusing coefficients, Focal-EIoU's weight by default) are constants for the
  gradient, as in the papers' and torchvision's code.
* ``abs'(0) = 0`` (PyTorch), for the SIoU angle and shape costs and Balanced L1 at
  :math:`r=0`.

Argument checking lives in the set-up functions at the top of this module (``_boxes``,
``_deltas``, ``_iou_mean``, ``_wiou_hyper``, ``_balanced_l1_hyper``), built from the family kit
(``lossbook._kit``).
"""
from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np

from .. import _kit as kit
from .._backend import is_torch, namespace
from .._reduction import reduce, upstream
from .._spec import Curve, Family, Kink, Param

__all__ = [
    "iou_loss", "iou_loss_grad", "giou_loss", "giou_loss_grad", "diou_loss", "diou_loss_grad",
    "ciou_loss", "ciou_loss_grad", "eiou_loss", "eiou_loss_grad", "focal_eiou_loss",
    "focal_eiou_loss_grad", "alpha_iou_loss", "alpha_iou_loss_grad", "siou_loss",
    "siou_loss_grad", "wiou_loss", "wiou_loss_grad", "wiou_running_mean",
    "balanced_l1_loss", "balanced_l1_loss_grad",
]

#: Default ε of every IoU-family loss (torchvision's ``eps``).
EPS = 1e-7
_HALF_PI = math.pi / 2.0
_FOUR_OVER_PI2 = 4.0 / math.pi ** 2


# --- set-up: every argument check of this module --------------------------------------------
def _boxes(input, target, reduction, eps):
    """Validated ``(xp, input, target, eps)``: boxes ``(..., 4)`` for an IoU-family loss.

    Checks: ``reduction``; ``eps >= 0``; floating arrays of one kind and dtype, without NaN or
    inf (a target given as a list takes the dtype of input); at least one box; equal shapes; a
    last axis of 4; :math:`x_2\\ge x_1`, :math:`y_2\\ge y_1`.
    """
    kit.check_reduction(reduction)
    eps = kit.number(eps, "eps", "[0, inf)")
    p, g = kit.pair(input, target, dtype=True)
    if p.ndim == 0 or tuple(p.shape)[-1] != 4:
        raise ValueError(f"input must hold boxes (x1, y1, x2, y2) along its last axis, shape "
                         f"(..., 4); got shape {tuple(p.shape)}")
    if kit.enabled():
        xp = namespace(p)
        for x, name in ((p, "input"), (g, "target")):
            if not bool(xp.isfinite(x).all()):
                raise ValueError(f"{name} contains inf: box coordinates must be finite")
            for lo, hi, axis in ((0, 2, "x"), (1, 3, "y")):
                bad = int((x[..., hi] < x[..., lo]).sum())
                if bad:
                    raise ValueError(f"{name} holds {bad} box(es) with {axis}2 < {axis}1: boxes are "
                                     f"(x1, y1, x2, y2) with x2 >= x1 and y2 >= y1 (convert "
                                     f"(cx, cy, w, h) or (x, y, w, h) boxes first)")
    return namespace(p), p, g, eps


def _deltas(input, target, reduction):
    """Validated ``(xp, input, target)`` for an element-wise loss (Balanced L1)."""
    kit.check_reduction(reduction)
    x, t = kit.pair(input, target, dtype=True)
    return namespace(x), x, t


def _iou_mean(iou_mean, version):
    """Wise-IoU's running mean of :math:`1-\\mathrm{IoU}`: required (and > 0) for v2 and v3;
    v1 does not use it (``None``), but a value given is still checked."""
    if iou_mean is None:
        if version == 1:
            return None
        raise ValueError(f"iou_mean is required for Wise-IoU v{version}: pass the running mean of "
                         f"1 - IoU (see lossbook.wiou_running_mean); lossbook keeps no hidden state")
    if (is_torch(iou_mean) or isinstance(iou_mean, np.ndarray)) and np.size(kit.to_numpy(iou_mean)) == 1:
        iou_mean = float(kit.to_numpy(iou_mean).reshape(()))
    iou_mean = kit.number(iou_mean, "iou_mean", "(0, inf)")
    return None if version == 1 else iou_mean


def _wiou_hyper(version, iou_mean, alpha, delta, gamma):
    kit.choice(version, "version", (1, 2, 3))
    iou_mean = _iou_mean(iou_mean, version)
    return (iou_mean, kit.number(alpha, "alpha", "(0, inf)"),
            kit.number(delta, "delta", "(0, inf)"), kit.number(gamma, "gamma", "(0, inf)"))


def _balanced_l1_hyper(alpha, gamma, beta):
    return (kit.number(alpha, "alpha", "(0, inf)"), kit.number(gamma, "gamma", "(0, inf)"),
            kit.number(beta, "beta", "(0, inf)"))


# --- the geometry, written once, and its derivatives ----------------------------------------
def _col(a):
    """``a[..., None]``: a per-box coefficient against a ``(..., 4)`` derivative."""
    return a[..., None]


def _vec(like, *components):
    """A ``(..., 4)`` derivative d/d(x1, y1, x2, y2) from its four components (0 for none)."""
    out = namespace(like).zeros_like(like)
    for k, c in enumerate(components):
        if not (isinstance(c, float) and c == 0.0):
            out[..., k] = c
    return out


def _step(xp, a, b):
    r""":math:`\partial\max(a,b)/\partial a`: 1 if :math:`a>b`, ½ on a tie (torch's convention), else 0."""
    return xp.where(a > b, xp.ones_like(a), xp.where(a == b, xp.full_like(a, 0.5), xp.zeros_like(a)))


def _ratio_grad(num, dnum, den, dden):
    r""":math:`\partial(n/d) = (\partial n - (n/d)\,\partial d)/d` (per box, derivatives ``(..., 4)``)."""
    return (dnum - _col(num / den) * dden) / _col(den)


def _geometry(xp, p, g, eps):
    """The shared quantities of a box pair (values only; see :func:`_geometry_grad`)."""
    G = SimpleNamespace(p=p, eps=eps)
    x1, y1, x2, y2 = p[..., 0], p[..., 1], p[..., 2], p[..., 3]
    X1, Y1, X2, Y2 = g[..., 0], g[..., 1], g[..., 2], g[..., 3]
    G.x1, G.y1, G.x2, G.y2, G.X1, G.Y1, G.X2, G.Y2 = x1, y1, x2, y2, X1, Y1, X2, Y2
    G.w, G.h, G.W, G.H = x2 - x1, y2 - y1, X2 - X1, Y2 - Y1
    # intersection: torchvision's strict mask (touching boxes have I = 0)
    G.iw = xp.minimum(x2, X2) - xp.maximum(x1, X1)
    G.ih = xp.minimum(y2, Y2) - xp.maximum(y1, Y1)
    G.overlap = (G.iw > 0) & (G.ih > 0)
    G.inter = xp.where(G.overlap, G.iw * G.ih, xp.zeros_like(G.iw))
    G.union = G.w * G.h + G.W * G.H - G.inter
    G.iou = G.inter / (G.union + eps)
    # smallest enclosing box
    G.cw = xp.maximum(x2, X2) - xp.minimum(x1, X1)
    G.ch = xp.maximum(y2, Y2) - xp.minimum(y1, Y1)
    G.area_c = G.cw * G.ch
    G.diag = G.cw ** 2 + G.ch ** 2 + eps
    # centre offset, prediction minus target
    G.dx = (x2 + x1) / 2.0 - (X1 + X2) / 2.0
    G.dy = (y2 + y1) / 2.0 - (Y1 + Y2) / 2.0
    G.rho2 = G.dx ** 2 + G.dy ** 2
    return G


def _geometry_grad(xp, G):
    """Derivatives ``(..., 4)`` of :func:`_geometry`'s quantities w.r.t. the predicted box."""
    D = SimpleNamespace()
    p, zero = G.p, 0.0
    one = xp.ones_like(G.w)
    D.w = _vec(p, -one, zero, one, zero)
    D.h = _vec(p, zero, -one, zero, one)
    mask = xp.where(G.overlap, one, xp.zeros_like(one))
    D.inter = _vec(p, -mask * G.ih * _step(xp, G.x1, G.X1), -mask * G.iw * _step(xp, G.y1, G.Y1),
                   mask * G.ih * _step(xp, G.X2, G.x2), mask * G.iw * _step(xp, G.Y2, G.y2))
    D.union = _vec(p, -G.h, -G.w, G.h, G.w) - D.inter
    D.iou = _ratio_grad(G.inter, D.inter, G.union + G.eps, D.union)
    D.cw = _vec(p, -_step(xp, G.X1, G.x1), zero, _step(xp, G.x2, G.X2), zero)
    D.ch = _vec(p, zero, -_step(xp, G.Y1, G.y1), zero, _step(xp, G.y2, G.Y2))
    D.area_c = _col(G.ch) * D.cw + _col(G.cw) * D.ch
    D.diag = 2.0 * (_col(G.cw) * D.cw + _col(G.ch) * D.ch)
    D.dx = _vec(p, 0.5 * one, zero, 0.5 * one, zero)
    D.dy = _vec(p, zero, 0.5 * one, zero, 0.5 * one)
    D.rho2 = _vec(p, G.dx, G.dy, G.dx, G.dy)
    return D


def _angle(xp, w, h):
    r"""Aspect angle :math:`\arctan(w/h)`: :math:`\pi/2` for :math:`h=0<w`, 0 for a point box."""
    tall = h > w
    wide = (~tall) & (w > 0)
    safe_h = xp.where(tall, h, xp.ones_like(h))
    safe_w = xp.where(wide, w, xp.ones_like(w))
    return xp.where(tall, xp.arctan(w / safe_h),
                    xp.where(wide, _HALF_PI - xp.arctan(h / safe_w), xp.zeros_like(w)))


def _angle_grad(xp, w, h):
    r""":math:`(\partial\theta/\partial w, \partial\theta/\partial h) = (h, -w)/(w^2+h^2)`; 0 at a point box."""
    r2 = w * w + h * h
    safe = xp.where(r2 > 0, r2, xp.ones_like(r2))
    return h / safe, -w / safe


def _aspect(xp, G):
    """CIoU's aspect term :math:`v` and its derivative."""
    gap = _angle(xp, G.W, G.H) - _angle(xp, G.w, G.h)
    return _FOUR_OVER_PI2 * gap ** 2, gap


def _aspect_grad(xp, G, D, gap):
    dw, dh = _angle_grad(xp, G.w, G.h)
    return _col(-2.0 * _FOUR_OVER_PI2 * gap) * (_col(dw) * D.w + _col(dh) * D.h)


def _ciou_alpha(G, v):
    """CIoU's trade-off :math:`\\alpha = v/(1-\\mathrm{IoU}+v+\\varepsilon)`, detached (a constant)."""
    den = 1.0 - G.iou + v + G.eps
    positive = den > 0   # 0 only for identical boxes with eps = 0: alpha = 0 there
    xp = namespace(den)
    return _const(xp.where(positive, v / xp.where(positive, den, xp.ones_like(den)), xp.zeros_like(den)),
                  "ciou_alpha")


def _power(xp, q, a):
    r""":math:`q^a` for :math:`q\ge0`, and its derivative :math:`a q^{a-1}` (0 at :math:`q\le0`)."""
    positive = q > 0
    safe = xp.where(positive, q, xp.ones_like(q))
    zero = xp.zeros_like(q)
    return xp.where(positive, safe ** a, zero), xp.where(positive, a * safe ** (a - 1.0), zero)


#: Stack of stores of detached factors (see :func:`_frozen`); empty outside tests.
_FREEZE: list = []


def _const(x, key):
    """``x`` as a constant for autograd (``.detach()`` on a tensor): the papers' detached factors.

    Inside :func:`_frozen` the factor named ``key`` is recorded at the first call and replayed
    (as a constant) afterwards.
    """
    if _FREEZE:
        store = _FREEZE[-1]
        if key not in store:
            store[key] = np.array(kit.to_numpy(x), dtype=np.float64)
        x = namespace(x).asarray(store[key], like=x)
    return x.detach() if is_torch(x) else x


def _frozen(value):
    """For the registry's ``extra["frozen"]``: ``frozen(args, kwargs)`` is the loss as a function
    of its arguments with every detached factor frozen at ``args``.

    Its true derivative is what ``_grad`` returns (the gradient with those factors held
    constant), so finite differences and ``gradcheck`` can check it; the loss itself has a
    different derivative, on purpose.
    """
    def frozen(args, kwargs):
        store: dict = {}
        _FREEZE.append(store)
        try:
            value(*args, **kwargs)
        finally:
            _FREEZE.pop()

        def call(*arguments):
            _FREEZE.append(store)
            try:
                return value(*arguments, **kwargs)
            finally:
                _FREEZE.pop()
        return call
    return frozen


def _finish(loss_like, dloss, reduction, grad_output):
    """The VJP: per-box ``dloss`` times the upstream gradient of the reduction."""
    return dloss * _col(upstream(loss_like, reduction, grad_output))


# --- G1 --------------------------------------------------------------------------------------
def iou_loss(input, target, *, mode: str = "linear", eps: float = EPS, reduction: str = "mean"):
    r"""IoU loss: one minus the intersection over union (``'linear'``) or UnitBox's :math:`-\ln\mathrm{IoU}` (``'log'``).

    .. math::

        \mathrm{IoU} = \frac{I}{U+\varepsilon},\qquad
        \ell_{\text{linear}} = 1-\mathrm{IoU},\qquad
        \ell_{\text{log}} = -\ln\max(\mathrm{IoU}, \varepsilon)

    Parameters
    ----------
    input : array_like
        Predicted boxes :math:`(x_1, y_1, x_2, y_2)`, shape ``(..., 4)`` (NumPy or torch).
    target : array_like
        Ground-truth boxes, same shape.
    mode : {'linear', 'log'}, default 'linear'
        ``'linear'`` is :math:`1-\mathrm{IoU}` (mmdet ``IoULoss(mode='linear')``); ``'log'`` is
        UnitBox's :math:`-\ln\mathrm{IoU}` (mmdet's default), with IoU clamped at ε.
    eps : float, default 1e-7
        ε of the union's denominator and of the clamp (see the module's conventions).
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        ``'none'`` gives one loss per box, shape ``input.shape[:-1]``.

    Returns
    -------
    array

    Notes
    -----
    For disjoint boxes :math:`I=0` whatever their distance: the loss is flat (1, or
    :math:`-\ln\varepsilon\approx16.1` for ``'log'``) and its gradient is 0, the failure GIoU
    repairs. The log form's gradient :math:`-\partial\mathrm{IoU}/\mathrm{IoU}` grows without
    bound as the overlap vanishes. Conventions differ: torchvision's ``box_iou`` has no ε, mmdet
    divides by :math:`\max(U, 10^{-6})` and clamps IoU at :math:`10^{-6}`; we use torchvision's
    loss-internal :math:`I/(U+\varepsilon)` everywhere.

    References
    ----------
    Yu, Jiang, Wang, Cao & Huang, "UnitBox: An Advanced Object Detection Network", ACM MM 2016,
    arXiv:1608.01471.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> box, gt = np.array([0.0, 0.0, 2.0, 2.0]), np.array([1.0, 0.0, 3.0, 2.0])
    >>> round(float(lossbook.iou_loss(box, gt, eps=0.0)), 6)   # IoU = 2/6
    0.666667
    """
    xp, p, g, eps = _boxes(input, target, reduction, eps)
    kit.choice(mode, "mode", ("linear", "log"))
    G = _geometry(xp, p, g, eps)
    if mode == "linear":
        return reduce(1.0 - G.iou, reduction)
    return reduce(-xp.log(xp.maximum(G.iou, eps)), reduction)


def iou_loss_grad(input, target, *, mode: str = "linear", eps: float = EPS, reduction: str = "mean",
                  grad_output=None):
    r"""Gradient (VJP) of :func:`iou_loss` with respect to ``input``.

    .. math::

        \frac{\partial\mathrm{IoU}}{\partial b} = \frac{\partial I - \mathrm{IoU}\,\partial U}{U+\varepsilon},
        \qquad \partial U = \partial(wh) - \partial I,\qquad
        \frac{\partial\ell_{\text{linear}}}{\partial b} = -\frac{\partial\mathrm{IoU}}{\partial b},\quad
        \frac{\partial\ell_{\text{log}}}{\partial b} = -\frac{1}{\mathrm{IoU}}\frac{\partial\mathrm{IoU}}{\partial b}

    with :math:`\partial(wh)/\partial(x_1,y_1,x_2,y_2)=(-h,-w,h,w)` and
    :math:`\partial I/\partial x_1=-i_h\mathbb 1[x_1>x_1^g]` (½ on a tie),
    :math:`\partial I/\partial x_2=i_h\mathbb 1[x_2<x_2^g]`, likewise in :math:`y`. The log form's
    gradient is 0 where IoU < ε (the clamp; ``torch.clamp`` passes the gradient at equality).
    """
    xp, p, g, eps = _boxes(input, target, reduction, eps)
    kit.choice(mode, "mode", ("linear", "log"))
    G = _geometry(xp, p, g, eps)
    D = _geometry_grad(xp, G)
    if mode == "linear":
        d = -D.iou
    else:
        kept = G.iou >= eps
        d = -D.iou * _col(xp.where(kept, 1.0 / xp.where(kept, G.iou, xp.ones_like(G.iou)),
                                   xp.zeros_like(G.iou)))
    return _finish(G.iou, d, reduction, grad_output)


# --- G2 --------------------------------------------------------------------------------------
def giou_loss(input, target, *, eps: float = EPS, reduction: str = "mean"):
    r"""Generalized IoU loss: IoU minus the empty fraction of the enclosing box, in :math:`[0, 2]`.

    .. math::

        \ell = 1 - \mathrm{IoU} + \frac{|C| - U}{|C| + \varepsilon}

    Parameters
    ----------
    input : array_like
        Predicted boxes :math:`(x_1, y_1, x_2, y_2)`, shape ``(..., 4)``.
    target : array_like
        Ground-truth boxes, same shape.
    eps : float, default 1e-7
        ε of the denominators (torchvision's).
    reduction : {'mean', 'sum', 'none'}, default 'mean'

    Returns
    -------
    array

    Notes
    -----
    :math:`|C|` is the area of the smallest box enclosing both. For disjoint boxes the penalty
    grows as they move apart, so the gradient pulls them together where IoU's is 0. Once one box
    contains the other, :math:`|C|=U` and GIoU is plain IoU again: the slow convergence the
    DIoU paper points out. Same numbers as ``torchvision.ops.generalized_box_iou_loss``
    (its ``eps=1e-7``); mmdet's ``GIoULoss`` defaults to ``eps=1e-6`` and takes
    :math:`\max(|C|, \varepsilon)` instead of adding ε.

    References
    ----------
    Rezatofighi, Tsoi, Gwak, Sadeghian, Reid & Savarese, "Generalized Intersection over Union: A
    Metric and A Loss for Bounding Box Regression", CVPR 2019, arXiv:1902.09630.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> box, gt = np.array([0.0, 0.0, 1.0, 1.0]), np.array([2.0, 0.0, 3.0, 1.0])
    >>> float(lossbook.giou_loss(box, gt, eps=0.0))   # disjoint: 1 - 0 + (3 - 2)/3
    1.3333333333333333
    """
    xp, p, g, eps = _boxes(input, target, reduction, eps)
    G = _geometry(xp, p, g, eps)
    return reduce(1.0 - G.iou + (G.area_c - G.union) / (G.area_c + eps), reduction)


def giou_loss_grad(input, target, *, eps: float = EPS, reduction: str = "mean", grad_output=None):
    r"""Gradient (VJP) of :func:`giou_loss` with respect to ``input``.

    .. math::

        \frac{\partial\ell}{\partial b} = -\frac{\partial\mathrm{IoU}}{\partial b}
        + \frac{(\partial|C| - \partial U)(|C|+\varepsilon) - (|C| - U)\,\partial|C|}{(|C|+\varepsilon)^2},
        \qquad \partial|C| = c_h\,\partial c_w + c_w\,\partial c_h

    with :math:`\partial c_w/\partial x_1 = -\mathbb 1[x_1<x_1^g]`,
    :math:`\partial c_w/\partial x_2=\mathbb 1[x_2>x_2^g]` (½ on ties).
    """
    xp, p, g, eps = _boxes(input, target, reduction, eps)
    G = _geometry(xp, p, g, eps)
    D = _geometry_grad(xp, G)
    d = -D.iou + _ratio_grad(G.area_c - G.union, D.area_c - D.union, G.area_c + eps, D.area_c)
    return _finish(G.iou, d, reduction, grad_output)


# --- G3 --------------------------------------------------------------------------------------
def diou_loss(input, target, *, eps: float = EPS, reduction: str = "mean"):
    r"""Distance-IoU loss: IoU loss plus the squared centre distance over the enclosing diagonal.

    .. math::

        \ell = 1 - \mathrm{IoU} + \frac{\rho^2}{c^2},\qquad
        \rho^2 = \Delta_x^2 + \Delta_y^2,\quad c^2 = c_w^2 + c_h^2 + \varepsilon

    Parameters
    ----------
    input : array_like
        Predicted boxes :math:`(x_1, y_1, x_2, y_2)`, shape ``(..., 4)``.
    target : array_like
        Ground-truth boxes, same shape.
    eps : float, default 1e-7
        ε of the denominators (torchvision's).
    reduction : {'mean', 'sum', 'none'}, default 'mean'

    Returns
    -------
    array

    Notes
    -----
    The penalty lies in :math:`[0,1)` and pulls the centres together directly, also when one box
    contains the other (where GIoU's penalty vanishes). Same numbers as
    ``torchvision.ops.distance_box_iou_loss``; mmdet's ``diou_loss`` adds ε to the union itself
    (:math:`I/(U+\varepsilon)` too) and to :math:`c^2` likewise.

    References
    ----------
    Zheng, Wang, Liu, Li, Ye & Ren, "Distance-IoU Loss: Faster and Better Learning for Bounding
    Box Regression", AAAI 2020, arXiv:1911.08287.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> box, gt = np.array([0.0, 0.0, 2.0, 2.0]), np.array([1.0, 0.0, 3.0, 2.0])
    >>> round(float(lossbook.diou_loss(box, gt, eps=0.0)), 6)   # 1 - 1/3 + 1/13
    0.74359
    """
    xp, p, g, eps = _boxes(input, target, reduction, eps)
    G = _geometry(xp, p, g, eps)
    return reduce(1.0 - G.iou + G.rho2 / G.diag, reduction)


def diou_loss_grad(input, target, *, eps: float = EPS, reduction: str = "mean", grad_output=None):
    r"""Gradient (VJP) of :func:`diou_loss` with respect to ``input``.

    .. math::

        \frac{\partial\ell}{\partial b} = -\frac{\partial\mathrm{IoU}}{\partial b}
        + \frac{\partial\rho^2\,c^2 - \rho^2\,\partial c^2}{c^4},\qquad
        \frac{\partial\rho^2}{\partial(x_1,y_1,x_2,y_2)} = (\Delta_x, \Delta_y, \Delta_x, \Delta_y),
        \quad \partial c^2 = 2c_w\,\partial c_w + 2c_h\,\partial c_h
    """
    xp, p, g, eps = _boxes(input, target, reduction, eps)
    G = _geometry(xp, p, g, eps)
    D = _geometry_grad(xp, G)
    d = -D.iou + _ratio_grad(G.rho2, D.rho2, G.diag, D.diag)
    return _finish(G.iou, d, reduction, grad_output)


def ciou_loss(input, target, *, eps: float = EPS, reduction: str = "mean"):
    r"""Complete-IoU loss: DIoU plus an aspect-ratio term weighted by a detached trade-off :math:`\alpha`.

    .. math::

        \ell = 1 - \mathrm{IoU} + \frac{\rho^2}{c^2} + \alpha v,\qquad
        v = \frac{4}{\pi^2}\Bigl(\arctan\frac{w^g}{h^g} - \arctan\frac{w}{h}\Bigr)^2,\qquad
        \alpha = \frac{v}{1 - \mathrm{IoU} + v + \varepsilon}

    Parameters
    ----------
    input : array_like
        Predicted boxes :math:`(x_1, y_1, x_2, y_2)`, shape ``(..., 4)``.
    target : array_like
        Ground-truth boxes, same shape.
    eps : float, default 1e-7
        ε of the denominators (torchvision's).
    reduction : {'mean', 'sum', 'none'}, default 'mean'

    Returns
    -------
    array

    Notes
    -----
    :math:`\alpha` is a **constant** for the gradient, as in the paper and in
    ``torchvision.ops.complete_box_iou_loss`` (computed under ``torch.no_grad()``); the values
    are torchvision's. The aspect angle of a zero-height box is its limit :math:`\pi/2`
    (torchvision divides by :math:`h` and gives NaN/inf there). Other implementations differ:

    * mmdet's current ``ciou_loss`` uses :math:`\alpha=\mathbb 1[\mathrm{IoU}>0.5]\,v/(1-\mathrm{IoU}+v)`
      (the journal version, arXiv:2005.03572), adds ε to :math:`h` and :math:`h^g`, and clamps
      CIoU to :math:`[-1, 1]`; its early version used :math:`v^2/(1-\mathrm{IoU}+v)` *with*
      gradient through it.
    * YOLOv5 uses :math:`\alpha=v/(v-\mathrm{IoU}+1+\varepsilon)`.
    * The paper's own code replaces the factor :math:`1/(w^2+h^2)` of
      :math:`\partial v/\partial(w,h)` by 1 (to avoid large gradients for small normalised
      boxes); this gradient keeps it, as autograd does.

    References
    ----------
    Zheng, Wang, Liu, Li, Ye & Ren, "Distance-IoU Loss: Faster and Better Learning for Bounding
    Box Regression", AAAI 2020, arXiv:1911.08287.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> box, gt = np.array([0.0, 0.0, 2.0, 2.0]), np.array([0.0, 0.0, 2.0, 2.0])
    >>> float(lossbook.ciou_loss(box, gt, eps=0.0))   # identical boxes
    0.0
    """
    xp, p, g, eps = _boxes(input, target, reduction, eps)
    G = _geometry(xp, p, g, eps)
    v, _ = _aspect(xp, G)
    return reduce(1.0 - G.iou + G.rho2 / G.diag + _ciou_alpha(G, v) * v, reduction)


def ciou_loss_grad(input, target, *, eps: float = EPS, reduction: str = "mean", grad_output=None):
    r"""Gradient (VJP) of :func:`ciou_loss` with respect to ``input`` (:math:`\alpha` held constant).

    .. math::

        \frac{\partial\ell}{\partial b} = \frac{\partial\ell_{\mathrm{DIoU}}}{\partial b}
        + \alpha\frac{\partial v}{\partial b},\qquad
        \frac{\partial v}{\partial w} = -\frac{8}{\pi^2}\Bigl(\arctan\frac{w^g}{h^g}-\arctan\frac wh\Bigr)\frac{h}{w^2+h^2},
        \quad
        \frac{\partial v}{\partial h} = +\frac{8}{\pi^2}\Bigl(\arctan\frac{w^g}{h^g}-\arctan\frac wh\Bigr)\frac{w}{w^2+h^2}

    and :math:`\partial v/\partial(x_1,y_1,x_2,y_2) = (-v_w, -v_h, v_w, v_h)`; 0 for a point box.
    """
    xp, p, g, eps = _boxes(input, target, reduction, eps)
    G = _geometry(xp, p, g, eps)
    D = _geometry_grad(xp, G)
    v, gap = _aspect(xp, G)
    d = -D.iou + _ratio_grad(G.rho2, D.rho2, G.diag, D.diag) \
        + _col(_ciou_alpha(G, v)) * _aspect_grad(xp, G, D, gap)
    return _finish(G.iou, d, reduction, grad_output)


# --- G4 --------------------------------------------------------------------------------------
def _eiou(G):
    """EIoU's loss (per box)."""
    eps = G.eps
    return (1.0 - G.iou + G.rho2 / G.diag + (G.w - G.W) ** 2 / (G.cw ** 2 + eps)
            + (G.h - G.H) ** 2 / (G.ch ** 2 + eps))


def _eiou_grad(G, D):
    eps = G.eps
    return (-D.iou + _ratio_grad(G.rho2, D.rho2, G.diag, D.diag)
            + _ratio_grad((G.w - G.W) ** 2, _col(2.0 * (G.w - G.W)) * D.w, G.cw ** 2 + eps,
                          _col(2.0 * G.cw) * D.cw)
            + _ratio_grad((G.h - G.H) ** 2, _col(2.0 * (G.h - G.H)) * D.h, G.ch ** 2 + eps,
                          _col(2.0 * G.ch) * D.ch))


def eiou_loss(input, target, *, eps: float = EPS, reduction: str = "mean"):
    r"""Efficient-IoU loss: DIoU plus the width and height differences, each over the enclosing box's side.

    .. math::

        \ell = 1 - \mathrm{IoU} + \frac{\rho^2}{c^2}
        + \frac{(w - w^g)^2}{c_w^2 + \varepsilon} + \frac{(h - h^g)^2}{c_h^2 + \varepsilon}

    Parameters
    ----------
    input : array_like
        Predicted boxes :math:`(x_1, y_1, x_2, y_2)`, shape ``(..., 4)``.
    target : array_like
        Ground-truth boxes, same shape.
    eps : float, default 1e-7
        ε of the denominators.
    reduction : {'mean', 'sum', 'none'}, default 'mean'

    Returns
    -------
    array

    Notes
    -----
    EIoU replaces CIoU's aspect *ratio* (which cannot tell a box from a scaled copy of it) by the
    side differences themselves. Not the same loss as mmdet's ``eiou_loss(smooth_point=0.1)``,
    an "Extended-IoU" loss of another paper (IEEE 9429909); ``Instinct323/wiou``'s ``_EIoU``
    penalises centre offsets over the enclosing sides instead of :math:`w-w^g`, :math:`h-h^g`.
    No library implements this formula, so it is checked against the paper's equation.

    References
    ----------
    Zhang, Ren, Zhang, Jia, Wang & Tan, "Focal and Efficient IOU Loss for Accurate Bounding Box
    Regression", Neurocomputing 506, 2022, arXiv:2101.08158, Eq. (8).

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> box, gt = np.array([0.0, 0.0, 2.0, 2.0]), np.array([0.0, 0.0, 4.0, 2.0])
    >>> float(lossbook.eiou_loss(box, gt, eps=0.0))   # 1 - 1/2 + 1/20 + 4/16
    0.8
    """
    xp, p, g, eps = _boxes(input, target, reduction, eps)
    return reduce(_eiou(_geometry(xp, p, g, eps)), reduction)


def eiou_loss_grad(input, target, *, eps: float = EPS, reduction: str = "mean", grad_output=None):
    r"""Gradient (VJP) of :func:`eiou_loss` with respect to ``input``.

    .. math::

        \frac{\partial\ell}{\partial b} = \frac{\partial\ell_{\mathrm{DIoU}}}{\partial b}
        + \frac{2(w-w^g)\,\partial w}{c_w^2+\varepsilon} - \frac{2(w-w^g)^2c_w\,\partial c_w}{(c_w^2+\varepsilon)^2}
        + \frac{2(h-h^g)\,\partial h}{c_h^2+\varepsilon} - \frac{2(h-h^g)^2c_h\,\partial c_h}{(c_h^2+\varepsilon)^2}
    """
    xp, p, g, eps = _boxes(input, target, reduction, eps)
    G = _geometry(xp, p, g, eps)
    return _finish(G.iou, _eiou_grad(G, _geometry_grad(xp, G)), reduction, grad_output)


def focal_eiou_loss(input, target, *, gamma: float = 0.5, detach: bool = True, eps: float = EPS,
                    reduction: str = "mean"):
    r"""Focal-EIoU loss: EIoU weighted by :math:`\mathrm{IoU}^\gamma`, so well-overlapping boxes count more.

    .. math::

        \ell = \mathrm{IoU}^{\gamma}\,\ell_{\mathrm{EIoU}}

    Parameters
    ----------
    input : array_like
        Predicted boxes :math:`(x_1, y_1, x_2, y_2)`, shape ``(..., 4)``.
    target : array_like
        Ground-truth boxes, same shape.
    gamma : float, default 0.5
        The focusing exponent :math:`\gamma>0` (the paper's choice 0.5).
    detach : bool, default True
        Treat the weight :math:`\mathrm{IoU}^\gamma` as a constant for the gradient (what the
        YOLO implementations do: they return the weight and multiply by ``weight.detach()``).
        ``False`` differentiates it too; its derivative :math:`\gamma\mathrm{IoU}^{\gamma-1}` is
        unbounded as IoU → 0 for γ < 1 and is taken as 0 at IoU = 0.
    eps : float, default 1e-7
        ε of the denominators.
    reduction : {'mean', 'sum', 'none'}, default 'mean'

    Returns
    -------
    array

    Notes
    -----
    The weight is 0 for disjoint boxes, so they contribute neither loss nor gradient: the focal
    term suppresses low-quality (low-IoU) examples, the opposite of the focal loss for
    classification, which up-weights hard ones. The paper does not say whether the weight is
    detached; this is the option ``detach``.

    References
    ----------
    Zhang, Ren, Zhang, Jia, Wang & Tan, "Focal and Efficient IOU Loss for Accurate Bounding Box
    Regression", Neurocomputing 506, 2022, arXiv:2101.08158, Eq. (10).

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> box, gt = np.array([0.0, 0.0, 2.0, 2.0]), np.array([0.0, 0.0, 4.0, 2.0])
    >>> round(float(lossbook.focal_eiou_loss(box, gt, eps=0.0)), 6)   # sqrt(1/2) * 0.8
    0.565685
    """
    xp, p, g, eps = _boxes(input, target, reduction, eps)
    gamma = kit.number(gamma, "gamma", "(0, inf)")
    detach = kit.flag(detach, "detach")
    G = _geometry(xp, p, g, eps)
    weight, _ = _power(xp, G.iou, gamma)
    return reduce((_const(weight, "focal_weight") if detach else weight) * _eiou(G), reduction)


def focal_eiou_loss_grad(input, target, *, gamma: float = 0.5, detach: bool = True, eps: float = EPS,
                         reduction: str = "mean", grad_output=None):
    r"""Gradient (VJP) of :func:`focal_eiou_loss` with respect to ``input``.

    .. math::

        \frac{\partial\ell}{\partial b} = \mathrm{IoU}^\gamma\frac{\partial\ell_{\mathrm{EIoU}}}{\partial b}
        \;\Bigl[+\;\gamma\,\mathrm{IoU}^{\gamma-1}\,\ell_{\mathrm{EIoU}}\frac{\partial\mathrm{IoU}}{\partial b}
        \text{ if not detached}\Bigr]
    """
    xp, p, g, eps = _boxes(input, target, reduction, eps)
    gamma = kit.number(gamma, "gamma", "(0, inf)")
    detach = kit.flag(detach, "detach")
    G = _geometry(xp, p, g, eps)
    D = _geometry_grad(xp, G)
    weight, dweight = _power(xp, G.iou, gamma)
    d = _col(weight) * _eiou_grad(G, D)
    if not detach:
        d = d + _col(dweight * _eiou(G)) * D.iou
    return _finish(G.iou, d, reduction, grad_output)


# --- G5 --------------------------------------------------------------------------------------
_ALPHA_MODES = ("iou", "giou", "diou", "ciou")


def _alpha_terms(xp, G, D, mode):
    """``[(q, dq)]``: each penalty of ``mode`` and its derivative (``dq`` None without ``D``)."""
    if mode == "iou":
        return []
    if mode == "giou":
        q = (G.area_c - G.union) / (G.area_c + G.eps)
        dq = None if D is None else _ratio_grad(G.area_c - G.union, D.area_c - D.union,
                                                 G.area_c + G.eps, D.area_c)
        return [(q, dq)]
    terms = [(G.rho2 / G.diag, None if D is None else _ratio_grad(G.rho2, D.rho2, G.diag, D.diag))]
    if mode == "ciou":
        v, gap = _aspect(xp, G)
        beta = _ciou_alpha(G, v)
        terms.append((beta * v, None if D is None else _col(beta) * _aspect_grad(xp, G, D, gap)))
    return terms


def alpha_iou_loss(input, target, *, alpha: float = 3.0, mode: str = "iou", eps: float = EPS,
                   reduction: str = "mean"):
    r"""α-IoU loss: the power generalisation of the IoU losses, :math:`1-\mathrm{IoU}^\alpha` plus powered penalties.

    .. math::

        \ell_{\alpha\text{-IoU}} = 1 - \mathrm{IoU}^\alpha,\quad
        \ell_{\alpha\text{-GIoU}} = 1 - \mathrm{IoU}^\alpha + \Bigl(\frac{|C|-U}{|C|+\varepsilon}\Bigr)^\alpha,\quad
        \ell_{\alpha\text{-DIoU}} = 1 - \mathrm{IoU}^\alpha + \Bigl(\frac{\rho^2}{c^2}\Bigr)^\alpha,\quad
        \ell_{\alpha\text{-CIoU}} = \ell_{\alpha\text{-DIoU}} + (\beta v)^\alpha

    Parameters
    ----------
    input : array_like
        Predicted boxes :math:`(x_1, y_1, x_2, y_2)`, shape ``(..., 4)``.
    target : array_like
        Ground-truth boxes, same shape.
    alpha : float, default 3.0
        The power :math:`\alpha>0` (the paper recommends 3; 1 gives the plain losses).
    mode : {'iou', 'giou', 'diou', 'ciou'}, default 'iou'
        Which IoU loss is powered.
    eps : float, default 1e-7
        ε of the denominators.
    reduction : {'mean', 'sum', 'none'}, default 'mean'

    Returns
    -------
    array

    Notes
    -----
    :math:`\beta=v/(1-\mathrm{IoU}+v+\varepsilon)` is CIoU's trade-off (called α there), computed
    from the plain IoU and detached. :math:`\partial/\partial\mathrm{IoU}=-\alpha\mathrm{IoU}^{\alpha-1}`:
    for α > 1 high-IoU boxes get larger gradients. The paper's Box-Cox form
    :math:`(1-\mathrm{IoU}^\alpha)/\alpha` is ``mode='iou'`` divided by α. A power's derivative
    at 0 is taken as 0. The official code (``Jacobi93/Alpha-IoU``, YOLOv5) computes
    :math:`(\mathrm{IoU}+10^{-9})^\alpha`, adds ε inside each power, uses
    :math:`\max(|C|+\varepsilon, U)` for GIoU and, in some versions, the powered IoU inside
    :math:`\beta`; we use the paper's formulas.

    References
    ----------
    He, Erfani, Ma, Wang & Bailey, "Alpha-IoU: A Family of Power Intersection over Union Losses
    for Bounding Box Regression", NeurIPS 2021, arXiv:2110.13675, Eqs. (1), (4).

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> box, gt = np.array([0.0, 0.0, 2.0, 2.0]), np.array([0.0, 0.0, 4.0, 2.0])
    >>> float(lossbook.alpha_iou_loss(box, gt, alpha=3.0, eps=0.0))   # 1 - (1/2)^3
    0.875
    """
    xp, p, g, eps = _boxes(input, target, reduction, eps)
    alpha = kit.number(alpha, "alpha", "(0, inf)")
    kit.choice(mode, "mode", _ALPHA_MODES)
    G = _geometry(xp, p, g, eps)
    loss = 1.0 - _power(xp, G.iou, alpha)[0]
    for q, _ in _alpha_terms(xp, G, None, mode):
        loss = loss + _power(xp, q, alpha)[0]
    return reduce(loss, reduction)


def alpha_iou_loss_grad(input, target, *, alpha: float = 3.0, mode: str = "iou", eps: float = EPS,
                        reduction: str = "mean", grad_output=None):
    r"""Gradient (VJP) of :func:`alpha_iou_loss` with respect to ``input``.

    .. math::

        \frac{\partial\ell}{\partial b} = -\alpha\,\mathrm{IoU}^{\alpha-1}\frac{\partial\mathrm{IoU}}{\partial b}
        + \sum_k \alpha\,q_k^{\alpha-1}\frac{\partial q_k}{\partial b}

    over the penalties :math:`q_k` of the form (GIoU's, DIoU's, and CIoU's :math:`\beta v` with
    :math:`\beta` constant); each power's derivative is 0 where its base is 0.
    """
    xp, p, g, eps = _boxes(input, target, reduction, eps)
    alpha = kit.number(alpha, "alpha", "(0, inf)")
    kit.choice(mode, "mode", _ALPHA_MODES)
    G = _geometry(xp, p, g, eps)
    D = _geometry_grad(xp, G)
    d = -_col(_power(xp, G.iou, alpha)[1]) * D.iou
    for q, dq in _alpha_terms(xp, G, D, mode):
        d = d + _col(_power(xp, q, alpha)[1]) * dq
    return _finish(G.iou, d, reduction, grad_output)


# --- G6 --------------------------------------------------------------------------------------
def _siou(xp, G, theta):
    """SIoU's parts: angle cost, the distance terms and the shape terms (per box)."""
    eps = G.eps
    S = SimpleNamespace()
    S.a, S.b = xp.abs(G.dx), xp.abs(G.dy)
    S.s = G.rho2 + eps
    S.angle = 2.0 * S.a * S.b / S.s
    S.gamma = 2.0 - S.angle
    S.cw2, S.ch2 = G.cw ** 2 + eps, G.ch ** 2 + eps
    S.rx, S.ry = G.dx ** 2 / S.cw2, G.dy ** 2 / S.ch2
    S.ex, S.ey = xp.exp(-S.gamma * S.rx), xp.exp(-S.gamma * S.ry)
    S.distance = 2.0 - S.ex - S.ey
    S.mw, S.mh = xp.maximum(G.w, G.W) + eps, xp.maximum(G.h, G.H) + eps
    S.ow, S.oh = xp.abs(G.w - G.W) / S.mw, xp.abs(G.h - G.H) / S.mh
    S.tw, S.th = -xp.expm1(-S.ow), -xp.expm1(-S.oh)
    S.shape = S.tw ** theta + S.th ** theta
    return S


def _siou_grad(xp, G, D, S, theta):
    dangle = 2.0 * _ratio_grad(S.a * S.b, _col(xp.sign(G.dx) * S.b) * D.dx
                               + _col(S.a * xp.sign(G.dy)) * D.dy, S.s, D.rho2)
    dgamma = -dangle
    drx = _ratio_grad(G.dx ** 2, _col(2.0 * G.dx) * D.dx, S.cw2, _col(2.0 * G.cw) * D.cw)
    dry = _ratio_grad(G.dy ** 2, _col(2.0 * G.dy) * D.dy, S.ch2, _col(2.0 * G.ch) * D.ch)
    ddistance = (_col(S.ex) * (_col(S.rx) * dgamma + _col(S.gamma) * drx)
                 + _col(S.ey) * (_col(S.ry) * dgamma + _col(S.gamma) * dry))
    dow = _ratio_grad(xp.abs(G.w - G.W), _col(xp.sign(G.w - G.W)) * D.w, S.mw,
                      _col(_step(xp, G.w, G.W)) * D.w)
    doh = _ratio_grad(xp.abs(G.h - G.H), _col(xp.sign(G.h - G.H)) * D.h, S.mh,
                      _col(_step(xp, G.h, G.H)) * D.h)
    dshape = (_col(theta * S.tw ** (theta - 1.0) * (1.0 - S.tw)) * dow
              + _col(theta * S.th ** (theta - 1.0) * (1.0 - S.th)) * doh)
    return -D.iou + 0.5 * (ddistance + dshape)


def siou_loss(input, target, *, theta: float = 4.0, eps: float = EPS, reduction: str = "mean"):
    r"""SCYLLA-IoU loss: IoU loss plus angle-aware distance and shape costs.

    .. math::

        \ell = 1 - \mathrm{IoU} + \frac{\Delta + \Omega}{2},\qquad
        \Lambda = 1 - 2\sin^2\Bigl(\arcsin\frac{|\Delta_y|}{\sigma} - \frac\pi4\Bigr)
        = \frac{2|\Delta_x||\Delta_y|}{\sigma^2 + \varepsilon},\qquad \sigma^2 = \rho^2,\qquad
        \Delta = \sum_{t\in\{x,y\}} \bigl(1 - e^{-(2-\Lambda)\rho_t}\bigr),\quad
        \rho_x = \frac{\Delta_x^2}{c_w^2+\varepsilon},\ \rho_y = \frac{\Delta_y^2}{c_h^2+\varepsilon},\qquad
        \Omega = \sum_{t\in\{w,h\}} \bigl(1 - e^{-\omega_t}\bigr)^\theta,\quad
        \omega_w = \frac{|w - w^g|}{\max(w, w^g)+\varepsilon}

    Parameters
    ----------
    input : array_like
        Predicted boxes :math:`(x_1, y_1, x_2, y_2)`, shape ``(..., 4)``.
    target : array_like
        Ground-truth boxes, same shape.
    theta : float, default 4.0
        Shape-cost exponent :math:`\theta\ge1` (the paper uses 2 to 6, and 4).
    eps : float, default 1e-7
        ε of the denominators.
    reduction : {'mean', 'sum', 'none'}, default 'mean'

    Returns
    -------
    array

    Notes
    -----
    The angle cost :math:`\Lambda=\sin2\alpha` (with :math:`\alpha` the angle of the centre line
    to the x-axis) is 0 when the centres are aligned horizontally or vertically and 1 on the
    diagonal; it is evaluated as :math:`2|\Delta_x\Delta_y|/\sigma^2`, equal to the paper's
    :math:`\arcsin` form, whose slope is infinite at :math:`|\Delta_y|=\sigma`, and defined
    (:math:`\Lambda=0`) for coincident centres. The paper writes :math:`c_h` both for the
    vertical centre offset (angle cost) and for the enclosing box's height (distance cost);
    :math:`c_w, c_h` here are the enclosing box's sides. ``Instinct323/wiou``'s ``_SIoU`` has the
    same costs with ε = 1e-4 inside the arcsin and none elsewhere.

    References
    ----------
    Gevorgyan, "SIoU Loss: More Powerful Learning for Bounding Box Regression", 2022,
    arXiv:2205.12740.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> box, gt = np.array([0.0, 0.0, 2.0, 2.0]), np.array([0.0, 0.0, 2.0, 2.0])
    >>> round(float(lossbook.siou_loss(box, gt)), 12)   # identical boxes: 1 - 4/(4 + 1e-7)
    2.5e-08
    """
    xp, p, g, eps = _boxes(input, target, reduction, eps)
    theta = kit.number(theta, "theta", "[1, inf)")
    G = _geometry(xp, p, g, eps)
    S = _siou(xp, G, theta)
    return reduce(1.0 - G.iou + 0.5 * (S.distance + S.shape), reduction)


def siou_loss_grad(input, target, *, theta: float = 4.0, eps: float = EPS, reduction: str = "mean",
                   grad_output=None):
    r"""Gradient (VJP) of :func:`siou_loss` with respect to ``input``.

    .. math::

        \frac{\partial\ell}{\partial b} = -\frac{\partial\mathrm{IoU}}{\partial b}
        + \frac12\sum_{t\in\{x,y\}} e^{-\gamma\rho_t}\bigl(\rho_t\,\partial\gamma + \gamma\,\partial\rho_t\bigr)
        + \frac\theta2\sum_{t\in\{w,h\}}(1-e^{-\omega_t})^{\theta-1}e^{-\omega_t}\,\partial\omega_t,
        \qquad \partial\gamma = -\partial\Lambda

    with :math:`\Lambda = 2|\Delta_x\Delta_y|/(\sigma^2+\varepsilon)` differentiated as a quotient
    (``abs'(0)=0``) and :math:`\partial\rho_x = \partial\bigl(\Delta_x^2/(c_w^2+\varepsilon)\bigr)`.
    """
    xp, p, g, eps = _boxes(input, target, reduction, eps)
    theta = kit.number(theta, "theta", "[1, inf)")
    G = _geometry(xp, p, g, eps)
    D = _geometry_grad(xp, G)
    return _finish(G.iou, _siou_grad(xp, G, D, _siou(xp, G, theta), theta), reduction, grad_output)


# --- G7 --------------------------------------------------------------------------------------
def _wiou_focus(xp, G, version, iou_mean, alpha, delta, gamma):
    """Wise-IoU's (detached) focusing coefficient: 1 (v1), :math:`\\beta^\\gamma` (v2) or :math:`r` (v3)."""
    if version == 1:
        return None
    beta = _const(1.0 - G.iou, "wiou_beta") / iou_mean
    if version == 2:
        return beta ** gamma
    return beta / (delta * alpha ** (beta - delta))


def wiou_loss(input, target, *, version: int = 3, iou_mean=None, alpha: float = 1.9, delta: float = 3.0,
              gamma: float = 0.5, eps: float = EPS, reduction: str = "mean"):
    r"""Wise-IoU loss: IoU loss scaled by a distance attention and, in v2/v3, a dynamic focusing coefficient.

    .. math::

        \ell_{v1} = \exp\Bigl(\frac{\rho^2}{(c^2)^*}\Bigr)\,\bigl(1 - \mathrm{IoU}\bigr),\qquad
        \ell_{v2} = \Bigl(\frac{L^*}{\overline L}\Bigr)^{\gamma}\ell_{v1},\qquad
        \ell_{v3} = \frac{\beta}{\delta\,\alpha^{\beta-\delta}}\,\ell_{v1},\quad
        \beta = \frac{L^*}{\overline L},\quad L = 1-\mathrm{IoU}

    Parameters
    ----------
    input : array_like
        Predicted boxes :math:`(x_1, y_1, x_2, y_2)`, shape ``(..., 4)``.
    target : array_like
        Ground-truth boxes, same shape.
    version : {1, 2, 3}, default 3
        v1: distance attention only; v2: monotonic focusing; v3: non-monotonic focusing.
    iou_mean : float
        :math:`\overline L`, the running mean of :math:`1-\mathrm{IoU}` over training: state that
        the caller keeps and passes in (required for v2 and v3; update it with
        :func:`wiou_running_mean`). Nothing is stored between calls.
    alpha, delta : float, default 1.9, 3.0
        v3's :math:`\alpha` and :math:`\delta` (the paper's best pair; :math:`r=1` at :math:`\beta=\delta`).
    gamma : float, default 0.5
        v2's exponent (0.5 in the paper and its code).
    eps : float, default 1e-7
        ε of the denominators.
    reduction : {'mean', 'sum', 'none'}, default 'mean'

    Returns
    -------
    array

    Notes
    -----
    A star marks a detached quantity: the enclosing diagonal :math:`c^2=c_w^2+c_h^2+\varepsilon`
    inside the exponential and the outlier degree :math:`\beta` (so the whole focusing
    coefficient) are constants for the gradient, as in the paper and its code. The attention
    :math:`\exp(\rho^2/c^2)\in[1, e)` amplifies the IoU loss of ordinary boxes; v3 gives the
    largest gain to boxes of medium outlier degree and little to both very good and very bad
    (likely mislabelled) boxes. The reference code (``Instinct323/wiou``) keeps
    :math:`\overline L` in the loss object, updates it with momentum
    :math:`1-0.05^{1/(nt)}` *before* computing the loss, and has no ε in IoU.

    References
    ----------
    Tong, Chen, Xu & Yu, "Wise-IoU: Bounding Box Regression Loss with Dynamic Focusing
    Mechanism", 2023, arXiv:2301.10051.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> box, gt = np.array([0.0, 0.0, 2.0, 2.0]), np.array([0.0, 0.0, 4.0, 2.0])
    >>> round(float(lossbook.wiou_loss(box, gt, version=1, eps=0.0)), 6)   # e^(1/20) * 1/2
    0.525636
    """
    xp, p, g, eps = _boxes(input, target, reduction, eps)
    iou_mean, alpha, delta, gamma = _wiou_hyper(version, iou_mean, alpha, delta, gamma)
    G = _geometry(xp, p, g, eps)
    loss = xp.exp(G.rho2 / _const(G.diag, "wiou_diag")) * (1.0 - G.iou)
    focus = _wiou_focus(xp, G, version, iou_mean, alpha, delta, gamma)
    return reduce(loss if focus is None else focus * loss, reduction)


def wiou_loss_grad(input, target, *, version: int = 3, iou_mean=None, alpha: float = 1.9,
                   delta: float = 3.0, gamma: float = 0.5, eps: float = EPS, reduction: str = "mean",
                   grad_output=None):
    r"""Gradient (VJP) of :func:`wiou_loss` with respect to ``input`` (starred factors constant).

    .. math::

        \frac{\partial\ell}{\partial b} = r\,R\Bigl(-\frac{\partial\mathrm{IoU}}{\partial b}
        + (1-\mathrm{IoU})\frac{1}{c^2}\frac{\partial\rho^2}{\partial b}\Bigr),\qquad
        R = e^{\rho^2/c^2}

    with :math:`r` the focusing coefficient (1 for v1).
    """
    xp, p, g, eps = _boxes(input, target, reduction, eps)
    iou_mean, alpha, delta, gamma = _wiou_hyper(version, iou_mean, alpha, delta, gamma)
    G = _geometry(xp, p, g, eps)
    D = _geometry_grad(xp, G)
    attention = xp.exp(G.rho2 / G.diag)
    d = _col(attention) * (-D.iou + _col((1.0 - G.iou) / G.diag) * D.rho2)
    focus = _wiou_focus(xp, G, version, iou_mean, alpha, delta, gamma)
    if focus is not None:
        d = _col(focus) * d
    return _finish(G.iou, d, reduction, grad_output)


def wiou_running_mean(iou_mean, input, target, *, momentum: float, eps: float = EPS) -> float:
    r"""Wise-IoU's running mean updated with one batch: :math:`(1-m)\,\overline L + m\,\operatorname{mean}(1-\mathrm{IoU})`.

    Parameters
    ----------
    iou_mean : float
        The current :math:`\overline L` (the reference code starts at 1).
    input, target : array_like
        The batch's predicted and ground-truth boxes, shape ``(..., 4)``.
    momentum : float
        :math:`m\in(0,1]`; the reference code uses :math:`1-0.05^{1/(nt)}` for :math:`n` batches
        per epoch and :math:`t` epochs until the mean settles.
    eps : float, default 1e-7

    Returns
    -------
    float
        The new mean, to pass as ``iou_mean`` to :func:`wiou_loss` (the reference code updates
        before computing the batch's loss).

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> box, gt = np.array([0.0, 0.0, 2.0, 2.0]), np.array([0.0, 0.0, 4.0, 2.0])
    >>> lossbook.wiou_running_mean(1.0, box, gt, momentum=0.5, eps=0.0)
    0.75
    """
    xp, p, g, eps = _boxes(input, target, "mean", eps)
    iou_mean = kit.number(iou_mean, "iou_mean", "(0, inf)")
    momentum = kit.number(momentum, "momentum", "(0, 1]")
    batch = float(kit.to_numpy(reduce(1.0 - _geometry(xp, p, g, eps).iou, "mean")))
    return (1.0 - momentum) * iou_mean + momentum * batch


# --- G8 --------------------------------------------------------------------------------------
def balanced_l1_loss(input, target, *, alpha: float = 0.5, gamma: float = 1.5, beta: float = 1.0,
                     reduction: str = "mean"):
    r"""Balanced L1 loss (Libra R-CNN): Smooth L1 with a logarithmic inner part that promotes small errors.

    .. math::

        \ell(d) = \begin{cases}
        \dfrac{\alpha}{b}(b d + 1)\ln\Bigl(\dfrac{b d}{\beta} + 1\Bigr) - \alpha d & d < \beta \\[1ex]
        \gamma d + \dfrac{\gamma}{b} - \alpha\beta & d \ge \beta
        \end{cases},\qquad d = |\hat y - y|,\quad b = e^{\gamma/\alpha} - 1

    Parameters
    ----------
    input : array_like
        Predicted regression targets (box deltas), any shape.
    target : array_like
        Their targets, same shape.
    alpha : float, default 0.5
        :math:`\alpha>0`: smaller values raise the gradient of small errors.
    gamma : float, default 1.5
        :math:`\gamma>0`: the slope outside :math:`[-\beta, \beta]`.
    beta : float, default 1.0
        :math:`\beta>0`: where the two parts meet.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        Element-wise loss, averaged over all elements (mmdet).

    Returns
    -------
    array

    Notes
    -----
    :math:`b` is fixed by :math:`\alpha\ln(b+1)=\gamma`, which makes the value continuous at
    :math:`d=\beta` for every β and the gradient continuous there for β = 1, the paper's
    setting (its formula has no β). The formula with β is mmdet's ``balanced_l1_loss`` (same
    numbers); for β ≠ 1 its inner part is *not* a rescaling of the paper's, and its gradient
    jumps at :math:`d=\beta` and is :math:`\pm\alpha(1-\beta)/\beta` next to 0 (we return 0 at
    :math:`d=0`, ``abs'(0)=0``). Compared with Smooth L1 at the same outer slope, the inliers
    (:math:`d<\beta`) get a larger gradient :math:`\alpha\ln(bd+1)`.

    References
    ----------
    Pang, Chen, Shi, Feng, Ouyang & Lin, "Libra R-CNN: Towards Balanced Learning for Object
    Detection", CVPR 2019, arXiv:1904.02701, Eqs. (7)–(9).

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> lossbook.balanced_l1_loss(np.array([0.0, 2.0]), np.array([0.0, 0.0]), reduction="none")
    array([0.        , 2.57859354])
    """
    xp, x, t = _deltas(input, target, reduction)
    alpha, gamma, beta = _balanced_l1_hyper(alpha, gamma, beta)
    b = math.exp(gamma / alpha) - 1.0
    d = xp.abs(x - t)
    inner = alpha / b * (b * d + 1.0) * xp.log(b * d / beta + 1.0) - alpha * d
    return reduce(xp.where(d < beta, inner, gamma * d + gamma / b - alpha * beta), reduction)


def balanced_l1_loss_grad(input, target, *, alpha: float = 0.5, gamma: float = 1.5, beta: float = 1.0,
                          reduction: str = "mean", grad_output=None):
    r"""Gradient (VJP) of :func:`balanced_l1_loss` with respect to ``input``.

    .. math::

        \frac{\partial\ell}{\partial\hat y} = \operatorname{sign}(r)\begin{cases}
        \alpha\ln\Bigl(\dfrac{b d}{\beta}+1\Bigr) + \alpha\dfrac{b d + 1}{b d + \beta} - \alpha & d < \beta\\[1ex]
        \gamma & d \ge \beta\end{cases}

    which is :math:`\operatorname{sign}(r)\,\alpha\ln(bd+1)` inside for β = 1; 0 at :math:`r=0`
    and :math:`\pm\gamma` at :math:`d=\beta` (the outer branch, as mmdet's ``torch.where``).
    """
    xp, x, t = _deltas(input, target, reduction)
    alpha, gamma, beta = _balanced_l1_hyper(alpha, gamma, beta)
    b = math.exp(gamma / alpha) - 1.0
    r = x - t
    d = xp.abs(r)
    inner = alpha * xp.log(b * d / beta + 1.0) + alpha * (b * d + 1.0) / (b * d + beta) - alpha
    slope = xp.where(d < beta, inner, xp.full_like(d, gamma))
    return xp.sign(r) * slope * upstream(r, reduction, grad_output)


# --- registry entries ------------------------------------------------------------------------
def _k(value):
    """A float64 NumPy array (kink points and expected gradients)."""
    return np.asarray(value, dtype=np.float64)


def _far(a, b, gap):
    return bool(np.all(np.abs(a - b) >= gap))


def _box_pairs(seed, shape=(2, 3), disjoint=2, gap=0.05):
    """Random ``(input, target)`` box pairs of batch ``shape``, the last ``disjoint`` of them
    apart, the others overlapping; every min/max tie, touching edge, coincident centre
    coordinate and equal side is at least ``gap`` away (the kinks)."""
    generator = kit.rng(seed)
    n = int(np.prod(shape))
    pred, gt = np.zeros((n, 4)), np.zeros((n, 4))
    for i in range(n):
        apart = i >= n - disjoint
        while True:
            X1, Y1 = generator.uniform(-2.0, 2.0, size=2)
            W, H = generator.uniform(0.5, 3.0, size=2)
            w, h = W * generator.uniform(0.5, 1.6), H * generator.uniform(0.5, 1.6)
            cx, cy = X1 + W / 2, Y1 + H / 2
            if apart:
                side = generator.choice([-1.0, 1.0])
                ox = side * ((w + W) / 2 + generator.uniform(0.2, 2.0))
                oy = generator.uniform(-1.5, 1.5)
            else:
                ox, oy = generator.uniform(-0.4, 0.4) * W, generator.uniform(-0.4, 0.4) * H
            b = np.array([cx + ox - w / 2, cy + oy - h / 2, cx + ox + w / 2, cy + oy + h / 2])
            t = np.array([X1, Y1, X1 + W, Y1 + H])
            ok = (_far(b[[0, 2]], t[[0, 2]], gap) and _far(b[[1, 3]], t[[1, 3]], gap)
                  and _far(b[[0, 2]], t[[2, 0]], gap) and _far(b[[1, 3]], t[[3, 1]], gap)
                  and abs(ox) >= gap and abs(oy) >= gap and abs(w - W) >= gap and abs(h - H) >= gap)
            if ok:
                pred[i], gt[i] = b, t
                break
    return pred.reshape(*shape, 4), gt.reshape(*shape, 4)


def _example(options=None, **fixed):
    """Example: random box pairs; each keyword of ``options`` cycles through its values by seed."""
    def example(seed):
        kwargs = dict(fixed)
        for name, values in (options or {}).items():
            kwargs[name] = values[seed % len(values)]
        return _box_pairs(seed), kwargs
    return example


def _delta_example(seed):
    """Balanced L1: residuals away from 0 and ±beta (beta = 1 and 0.8 by seed), inside and out."""
    generator = kit.rng(seed)
    beta = (1.0, 0.8)[seed % 2]
    magnitude = generator.uniform(0.05, 2.5, size=(3, 4))
    magnitude = np.where(np.abs(magnitude - beta) < 0.05, magnitude + 0.1, magnitude)
    target = generator.uniform(-1.0, 1.0, size=(3, 4))
    return (target + generator.choice([-1.0, 1.0], size=(3, 4)) * magnitude, target), {"beta": beta}


_GT = np.array([0.0, 0.0, 2.0, 1.5])


def _shift_call(x, params):
    """The predicted box ``(x, 0.3, x + 1.6, 1.7)`` against the target ``(0, 0, 2, 1.5)``."""
    x = np.asarray(x, dtype=np.float64)
    pred = np.stack([x, np.full_like(x, 0.3), x + 1.6, np.full_like(x, 1.7)], axis=-1)
    return (pred, np.broadcast_to(_GT, pred.shape).copy()), dict(params)


def _along_x(a):
    """The derivative along the shift: d/dx1 + d/dx2 (the value is passed through)."""
    return a[..., 0] + a[..., 2] if np.ndim(a) == 2 else a


_SHIFT = Curve("x1 of the predicted box (x, 0.3, x + 1.6, 1.7); target (0, 0, 2, 1.5)", (-3.5, 3.5),
               call=_shift_call, select=_along_x)
_RESIDUAL = Curve("residual r = input − target", (-3.0, 3.0),
                  call=lambda x, p: ((x, np.zeros_like(x)), dict(p)))
_TIE = ("pred (0, 0, 2, 2), target (0, 0, 4, 2), eps = 0: x1, y1 and y2 tie; torch.maximum/"
        "minimum split the derivative half and half")


_TIED = (_k([[0.0, 0.0, 2.0, 2.0]]), _k([[0.0, 0.0, 4.0, 2.0]]))
_TOUCHING = (_k([[0.0, 0.0, 1.0, 1.0]]), _k([[1.0, 0.0, 2.0, 1.0]]))

#: This module's part of the catalog; the registry enrols its SPECS under it.
FAMILY = Family(key="boxes", title="Bounding-box regression losses", part="G", chapters=("box_losses",))

_spec = kit.spec_factory(FAMILY, globals(), curve=_SHIFT, example=_example())

SPECS = (
    _spec("iou_loss", "G1", "", "1 - diag(torchvision.ops.box_iou) with eps; mmdet IoULoss(mode='linear'|'log')",
          "Yu et al., UnitBox, ACM MM 2016, arXiv:1608.01471",
          params=(Param("mode", "linear", options=("linear", "log"), doc="1 - IoU or -ln IoU"),),
          example=_example({"mode": ("linear", "log")}),
          kinks=(Kink(_TOUCHING, {"reduction": "sum"}, _k([[0.0, 0.0, 0.0, 0.0]]),
                      "touching boxes: I = 0 and no gradient (torchvision's strict mask)"),
                 Kink(_TIED, {"eps": 0.0, "reduction": "sum"}, _k([[0.0625, 0.0625, -0.25, -0.0625]]),
                      _TIE))),
    _spec("giou_loss", "G2", "", "torchvision.ops.generalized_box_iou_loss (eps=1e-7)",
          "Rezatofighi et al., Generalized Intersection over Union, CVPR 2019, arXiv:1902.09630",
          kinks=(Kink(_TIED, {"eps": 0.0, "reduction": "sum"}, _k([[0.0625, -0.0625, -0.25, 0.0625]]),
                      _TIE),)),
    _spec("diou_loss", "G3", "", "torchvision.ops.distance_box_iou_loss (eps=1e-7)",
          "Zheng et al., Distance-IoU Loss, AAAI 2020, arXiv:1911.08287"),
    # alpha is detached as in torchvision; mmdet multiplies it by 1[IoU > 0.5] (see the docstring)
    _spec("ciou_loss", "G3", "", "torchvision.ops.complete_box_iou_loss (eps=1e-7; alpha under no_grad)",
          "Zheng et al., Distance-IoU Loss, AAAI 2020, arXiv:1911.08287",
          extra={"frozen": _frozen(ciou_loss)}),
    _spec("eiou_loss", "G4", "", "none (FD and the paper's Eq. 8; mmdet's eiou_loss is another loss)",
          "Zhang et al., Focal and Efficient IOU Loss, Neurocomputing 2022, arXiv:2101.08158"),
    _spec("focal_eiou_loss", "G4", "", "none (FD and the paper's Eq. 10)",
          "Zhang et al., Focal and Efficient IOU Loss, Neurocomputing 2022, arXiv:2101.08158",
          params=(Param("gamma", 0.5, 0.1, 2.0, doc="focusing exponent"),
                  Param("detach", True, options=(True, False), doc="IoU^gamma held constant")),
          example=_example({"detach": (True, False)}), extra={"frozen": _frozen(focal_eiou_loss)}),
    _spec("alpha_iou_loss", "G5", "", "none (FD and the paper's Eqs. 1, 4; official code Jacobi93/Alpha-IoU)",
          "He et al., Alpha-IoU, NeurIPS 2021, arXiv:2110.13675",
          params=(Param("alpha", 3.0, 0.5, 5.0, doc="the power"),
                  Param("mode", "iou", options=_ALPHA_MODES, doc="which IoU loss is powered")),
          example=_example({"mode": _ALPHA_MODES, "alpha": (3.0, 0.5, 2.0)}),
          extra={"frozen": _frozen(alpha_iou_loss)}),
    _spec("siou_loss", "G6", "", "none (FD and the paper's equations; Instinct323/wiou _SIoU for behaviour)",
          "Gevorgyan, SIoU Loss, 2022, arXiv:2205.12740",
          params=(Param("theta", 4.0, 1.0, 6.0, doc="shape-cost exponent"),)),
    _spec("wiou_loss", "G7", "", "none (FD and the paper's equations; Instinct323/wiou with a fixed iou_mean)",
          "Tong et al., Wise-IoU, 2023, arXiv:2301.10051",
          params=(Param("version", 3, options=(1, 2, 3), doc="v1, v2 (monotonic) or v3 (non-monotonic)"),
                  Param("iou_mean", 0.5, 0.05, 1.0, doc="running mean of 1 - IoU (caller's state; "
                        "no default in the function)"),
                  Param("alpha", 1.9, 1.0, 3.0, doc="v3's alpha"), Param("delta", 3.0, 1.0, 5.0, doc="v3's delta"),
                  Param("gamma", 0.5, 0.1, 2.0, doc="v2's exponent")),
          example=_example({"version": (1, 2, 3)}, iou_mean=0.37), extra={"frozen": _frozen(wiou_loss)}),
    _spec("balanced_l1_loss", "G8", "", "mmdet balanced_l1_loss(pred, target, beta, alpha, gamma)",
          "Pang et al., Libra R-CNN, CVPR 2019, arXiv:1904.02701",
          params=(Param("alpha", 0.5, 0.1, 1.0), Param("gamma", 1.5, 0.5, 3.0), Param("beta", 1.0, 0.2, 3.0)),
          example=_delta_example, curve=_RESIDUAL,
          kinks=(Kink((_k([0.0, 1.0, -1.0, 3.0]), _k([0.0, 0.0, 0.0, 3.0])), {"reduction": "sum"},
                      _k([0.0, 1.5, -1.5, 0.0]),
                      "0 at r = 0 (abs'(0) = 0); ±gamma at |r| = beta (the outer branch, continuous for beta = 1)"),)),
)
