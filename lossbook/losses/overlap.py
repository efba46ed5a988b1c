r"""Overlap (segmentation) losses (catalog part F), each value function with its gradient.

* :func:`dice_loss` (F1): soft Dice with smoothing, and the squared-denominator V-Net form.
* :func:`dsc_loss` (F2): the self-adjusting Dice loss of Li et al. (ACL 2020).
* :func:`tversky_loss` (F2, context) and :func:`focal_tversky_loss` (F3, form 3).
* :func:`focal_dice_loss` (F3): the power form of Wang & Chung (2018) by default; the
  Dice + focal composite (MONAI's ``DiceFocalLoss``) and the focal-Tversky form as options.
* Beyond the catalog: :func:`jaccard_loss` (soft IoU), :func:`generalized_dice_loss` (Sudre
  et al. 2017), :func:`lovasz_hinge_loss` and :func:`lovasz_softmax_loss` (Berman et al. 2018).

**Inputs, as segmentation libraries take them.** ``input`` has shape :math:`(N, C, d_1, \dots)`
(at least one spatial axis) and holds logits (``activation='sigmoid'`` or ``'softmax'``, the
softmax over the class axis 1) or probabilities (``activation=None``; checked to lie in
[0, 1]). ``target`` is either a mask of the shape of ``input`` with values in {0, 1} (binary
:math:`C=1`, one-hot multi-class or multi-label; float, integer or bool), or integer class
indices of shape :math:`(N, d_1, \dots)` or :math:`(N, 1, d_1, \dots)` (one-hot encoded inside;
with :math:`C=1` the indices must be 0 or 1). Only class indices can carry ``ignore_index``:
those pixels leave every sum (they are masked out of prediction and target, as in MONAI).

**The choices that change the loss** are keywords with documented defaults: ``batch`` (sums
per image, the default, or over the whole batch: "batch Dice"), ``pool_classes`` (one score
per class, the default, or classes pooled into one score: kornia's ``average='micro'``),
``include_background`` (drop channel 0), ``smooth_nr`` / ``smooth_dr`` (smoothing in the
numerator and the denominator), ``ignore_index`` and ``empty`` (the value of an entry whose
target is empty; ``None`` keeps the formula). The unreduced loss (``reduction='none'``) has
shape :math:`(N, C')` — per image and class, :math:`C'` the classes kept — losing the image
axis with ``batch=True`` and the class axis with ``pool_classes=True``; ``'mean'`` averages
its entries and ``'sum'`` adds them (MONAI's semantics).

Every ``<name>_grad`` is the vector–Jacobian product with respect to ``input``: what
``input.grad`` holds after ``<name>(...).backward(grad_output)`` in PyTorch, through the
activation. The sums :math:`I=\sum_i p_i g_i`, :math:`P=\sum_i p_i` (or :math:`\sum_i p_i^2`) and
:math:`G=\sum_i g_i` (over the pixels of an image, or of the batch) give every Dice-type score
:math:`\ell(I, P, G)`, so :math:`\partial\ell/\partial p_i = \ell_I\, g_i + \ell_P\,\partial P/\partial p_i`;
the sigmoid multiplies this by :math:`p_i(1-p_i)` and the softmax applies its Jacobian
:math:`p\odot(v - \langle p, v\rangle)`.
"""
from __future__ import annotations

import math

import numpy as np

from .. import _kit as kit
from .._backend import is_torch, namespace
from .._reduction import reduce, upstream
from .._spec import Curve, Family, Kink, Param

__all__ = [
    "dice_loss", "dice_loss_grad",
    "dsc_loss", "dsc_loss_grad",
    "focal_dice_loss", "focal_dice_loss_grad",
    "tversky_loss", "tversky_loss_grad",
    "focal_tversky_loss", "focal_tversky_loss_grad",
    "jaccard_loss", "jaccard_loss_grad",
    "generalized_dice_loss", "generalized_dice_loss_grad",
    "lovasz_hinge_loss", "lovasz_hinge_loss_grad",
    "lovasz_softmax_loss", "lovasz_softmax_loss_grad",
]

ACTIVATIONS = ("sigmoid", "softmax", None)
FOCAL_DICE_KINDS = ("power", "dice_focal", "focal_tversky")
GDL_WEIGHTS = ("square", "simple", "uniform")


# =====================================================================================
# Set-up: ALL argument validation of this module lives in the functions of this section.
# =====================================================================================
class _Setup:
    """Validated inputs: logits/probabilities ``x``, the 0/1 target ``g`` shaped like ``x``
    (in ``x``'s dtype, zero at ignored pixels), the valid-pixel mask ``m`` (``(N, 1, ...)``,
    or ``None`` without ``ignore_index``), and the options."""

    __slots__ = ("x", "g", "m", "xp", "activation", "start", "axes", "out_shape")


def _check_ignore_index(ignore_index):
    return kit.number(ignore_index, "ignore_index", integer=True, optional=True)


def _check_smoothing(smooth_nr, smooth_dr, *, at_most_dr=False):
    smooth_nr = kit.number(smooth_nr, "smooth_nr", "[0, inf)")
    smooth_dr = kit.number(smooth_dr, "smooth_dr", "[0, inf)")
    if at_most_dr and smooth_nr > smooth_dr:
        raise ValueError(f"smooth_nr must not exceed smooth_dr here (the score would pass 1 and "
                         f"its fractional power be undefined), got {smooth_nr!r} > {smooth_dr!r}")
    return smooth_nr, smooth_dr


def _check_empty(empty):
    return kit.number(empty, "empty", optional=True)


def _input(input, activation, allowed=ACTIVATIONS):
    """``input`` as a floating array of shape (N, C, d1, ...), probabilities checked."""
    kit.choice(activation, "activation", allowed)
    x = kit.floating(input, "input")
    kit.has_ndim(x, "input", "(N, C, d1, ...) with at least one spatial axis", at_least=3)
    kit.nonempty(x, "input")
    if activation == "softmax" and x.shape[1] < 2:
        raise ValueError(f"activation='softmax' needs at least 2 classes on axis 1 of input, "
                         f"got shape {tuple(x.shape)}")
    if activation is None:
        kit.probabilities(x, "input")
    return x


def _target(x, target, ignore_index):
    """The 0/1 target shaped like ``x`` (one-hot encoded from class indices) and the mask."""
    t = target
    if not is_torch(t) and not isinstance(t, np.ndarray):
        t = np.asarray(t)
    kit.same_kind(x, t, "input", "target")
    xp = namespace(x)
    n, c, spatial = x.shape[0], x.shape[1], tuple(x.shape[2:])
    shape = tuple(t.shape)
    if shape == tuple(x.shape):
        if ignore_index is not None:
            raise ValueError("ignore_index needs target as class indices of shape (N, d1, ...); "
                             "a mask target has no label to ignore (mask the pixels out instead)")
        t = kit.binary_labels(t, "target")
        return kit.cast_like(t, x), None
    if shape in ((n,) + spatial, (n, 1) + spatial):
        # a floating target of this shape is a TypeError here (class indices must be integers)
        t = kit.labels(t, "target", max(c, 2), ignore_index=ignore_index)
        if len(shape) == x.ndim:
            t = t[:, 0]
        if is_torch(t):
            t = t.to(device=x.device).long()
        valid = None
        if ignore_index is not None:
            valid = t != ignore_index
            t = xp.where(valid, t, t * 0)
        if c == 1:
            g = kit.cast_like(t, x)[:, None]
        else:
            g = xp.moveaxis(xp.one_hot(t, c, like=x), -1, 1)
        m = None
        if valid is not None:
            m = kit.cast_like(valid, x, "ignore_index mask")[:, None]
            g = g * m
        return g, m
    raise ValueError(f"target must be a 0/1 mask of the shape of input {tuple(x.shape)} or class "
                     f"indices of shape {(n,) + spatial}, got shape {shape}")


def _setup(input, target, *, activation, include_background, ignore_index, batch,
           pool_classes, reduction, allowed=ACTIVATIONS):
    """Validate everything a Dice-type loss takes; the sums' axes and the unreduced shape."""
    kit.check_reduction(reduction)
    include_background = kit.flag(include_background, "include_background")
    batch, pool_classes = kit.flag(batch, "batch"), kit.flag(pool_classes, "pool_classes")
    ignore_index = _check_ignore_index(ignore_index)
    x = _input(input, activation, allowed)
    g, m = _target(x, target, ignore_index)
    c = x.shape[1]
    if not include_background and c < 2:
        raise ValueError("include_background=False needs at least 2 classes on axis 1 of input "
                         f"(channel 0 is the background), got shape {tuple(x.shape)}")
    s = _Setup()
    s.x, s.g, s.m, s.xp, s.activation = x, g, m, namespace(x), activation
    s.start = 0 if include_background else 1
    s.axes = ((0,) if batch else ()) + ((1,) if pool_classes else ()) + tuple(range(2, x.ndim))
    s.out_shape = ((() if batch else (x.shape[0],)) + (() if pool_classes else (c - s.start,)))
    return s


def _dice_options(smooth_nr, smooth_dr, empty, *, at_most_dr=False):
    return _check_smoothing(smooth_nr, smooth_dr, at_most_dr=at_most_dr) + (_check_empty(empty),)


def _tversky_options(alpha, beta):
    return kit.number(alpha, "alpha", "[0, inf)"), kit.number(beta, "beta", "[0, inf)")


def _gamma_option(gamma, name="gamma"):
    return kit.number(gamma, name, "(0, inf)")


def _focal_dice_options(kind, beta, gamma, focal_alpha, lambda_dice, lambda_focal, activation, reduction):
    kit.choice(kind, "kind", FOCAL_DICE_KINDS)
    beta = kit.number(beta, "beta", "[1, inf)")
    if gamma is None:
        gamma = 4.0 / 3.0 if kind == "focal_tversky" else 2.0
    gamma = kit.number(gamma, "gamma", "(0, inf)" if kind == "focal_tversky" else "[0, inf)")
    focal_alpha = kit.number(focal_alpha, "focal_alpha", "[0, 1]", optional=True)
    lambda_dice = kit.number(lambda_dice, "lambda_dice", "[0, inf)")
    lambda_focal = kit.number(lambda_focal, "lambda_focal", "[0, inf)")
    if kind == "dice_focal":
        if activation is None:
            raise ValueError("kind='dice_focal' needs logits (activation 'sigmoid' or 'softmax'): "
                             "its focal term is the sigmoid focal loss of the logits")
        if reduction == "none":
            raise ValueError("reduction='none' is not defined for kind='dice_focal' (the Dice and "
                             "focal terms have different shapes); use 'mean' or 'sum'")
    return beta, gamma, focal_alpha, lambda_dice, lambda_focal


def _gdl_options(weight_type, smooth_nr, smooth_dr):
    kit.choice(weight_type, "weight_type", GDL_WEIGHTS)
    return _check_smoothing(smooth_nr, smooth_dr)


def _lovasz_setup(input, target, *, activation, ignore_index, per_image, reduction, allowed):
    kit.check_reduction(reduction)
    per_image = kit.flag(per_image, "per_image")
    ignore_index = _check_ignore_index(ignore_index)
    x = _input(input, activation, allowed)
    g, m = _target(x, target, ignore_index)
    return x, g, m, per_image


def _check_classes(classes, num_classes):
    if isinstance(classes, str):
        if classes not in ("present", "all"):
            raise ValueError(f"classes must be 'present', 'all' or a sequence of class indices; got {classes!r}")
        return classes
    try:
        chosen = [int(c) for c in classes]
    except (TypeError, ValueError):
        raise ValueError(f"classes must be 'present', 'all' or a sequence of class indices; got {classes!r}") from None
    if not chosen or any(c < 0 or c >= num_classes for c in chosen) or len(set(chosen)) != len(chosen):
        raise ValueError(f"classes must list distinct class indices in [0, {num_classes - 1}], got {classes!r}")
    return tuple(chosen)


# =====================================================================================
# The shared machinery: activation, sums over pixels, and their backward passes.
# =====================================================================================
def _activate(s):
    xp, x = s.xp, s.x
    if s.activation == "sigmoid":
        return xp.sigmoid(x)
    if s.activation == "softmax":
        return xp.softmax(x, axis=1)
    return x


def _activation_vjp(s, p, v):
    """``v`` (the gradient with respect to the probabilities) taken back to ``input``."""
    xp = s.xp
    if s.activation == "sigmoid":
        return v * (p * (1.0 - p))
    if s.activation == "softmax":
        return p * (v - xp.sum(p * v, axis=1, keepdims=True))
    return v


def _kept(a, start):
    return a if start == 0 else a[:, start:]


def _pad_classes(s, d):
    """``d`` (gradient for the kept channels) as a gradient for every channel."""
    if s.start == 0:
        return d
    full = s.xp.zeros_like(s.x)
    full[:, s.start:] = d
    return full


def _sums(s, q, g, squared):
    """:math:`I=\\sum q g`, :math:`P=\\sum q` (or :math:`\\sum q^2`), :math:`G=\\sum g` (kept dims)."""
    xp = s.xp
    qm = q if s.m is None else q * s.m
    I = xp.sum(qm * g, axis=s.axes, keepdims=True)
    P = xp.sum(qm * q if squared else qm, axis=s.axes, keepdims=True)
    G = xp.sum(g, axis=s.axes, keepdims=True)
    return I, P, G


def _sums_vjp(s, q, g, squared, dI, dP):
    """Gradient with respect to ``q`` of a function of the sums, from its partials (kept dims)."""
    dq = dI * g + (dP * (2.0 * q) if squared else dP)
    return dq if s.m is None else dq * s.m


def _with_empty(s, G, loss, partials, empty):
    """Entries whose target is empty (:math:`G=0`) take the value ``empty`` (no gradient)."""
    if empty is None:
        return loss, partials
    xp = s.xp
    hollow = G == 0.0
    loss = xp.where(hollow, xp.asarray(empty, like=loss), loss)
    return loss, tuple(xp.where(hollow, xp.zeros_like(d), d) for d in partials)


def _score_loss(s, score, squared, empty, q_of_p=None):
    """The unreduced loss ``score(I, P, G)`` (shaped ``out_shape``) and what backward needs."""
    p = _activate(s)
    pk, g = _kept(p, s.start), _kept(s.g, s.start)
    q = pk if q_of_p is None else q_of_p(pk)[0]
    I, P, G = _sums(s, q, g, squared)
    loss, dI, dP = score(I, P, G)
    loss, (dI, dP) = _with_empty(s, G, loss, (dI, dP), empty)
    return s.xp.reshape(loss, s.out_shape), (p, pk, q, g, dI, dP, tuple(loss.shape))


def _score_grad(s, loss, saved, squared, reduction, grad_output, q_of_p=None):
    """The VJP of :func:`_score_loss`'s loss (reduced by ``reduction``) with respect to ``input``."""
    p, pk, q, g, dI, dP, kept_shape = saved
    u = s.xp.reshape(upstream(loss, reduction, grad_output), kept_shape)
    dq = _sums_vjp(s, q, g, squared, dI * u, dP * u)
    dpk = dq if q_of_p is None else dq * q_of_p(pk)[1]
    return _activation_vjp(s, p, _pad_classes(s, dpk))


def _reduced_grad(s, score, squared, empty, reduction, grad_output, q_of_p=None):
    loss, saved = _score_loss(s, score, squared, empty, q_of_p)
    return _score_grad(s, loss, saved, squared, reduction, grad_output, q_of_p)


# --- the scores: value and partials with respect to I and P ---------------------------
def _dice_score(smooth_nr, smooth_dr):
    def score(I, P, G):
        num, den = 2.0 * I + smooth_nr, P + G + smooth_dr
        return 1.0 - num / den, -2.0 / den, num / (den * den)
    return score


def _jaccard_score(smooth_nr, smooth_dr):
    def score(I, P, G):
        num, den = I + smooth_nr, P + G - I + smooth_dr
        return 1.0 - num / den, -(1.0 / den + num / (den * den)), num / (den * den)
    return score


def _tversky_index(I, P, G, alpha, beta, smooth_nr, smooth_dr):
    """TI and its partials :math:`\\partial TI/\\partial I`, :math:`\\partial TI/\\partial P`."""
    num = I + smooth_nr
    den = I + alpha * (P - I) + beta * (G - I) + smooth_dr
    ti = num / den
    return ti, 1.0 / den - num * (1.0 - alpha - beta) / (den * den), -num * alpha / (den * den)


def _tversky_score(alpha, beta, smooth_nr, smooth_dr):
    def score(I, P, G):
        ti, ti_I, ti_P = _tversky_index(I, P, G, alpha, beta, smooth_nr, smooth_dr)
        return 1.0 - ti, -ti_I, -ti_P
    return score


def _focal_tversky_score(alpha, beta, gamma, smooth_nr, smooth_dr):
    def score(I, P, G):
        ti, ti_I, ti_P = _tversky_index(I, P, G, alpha, beta, smooth_nr, smooth_dr)
        base = 1.0 - ti
        slope = (1.0 / gamma) * base ** (1.0 / gamma - 1.0)
        return base ** (1.0 / gamma), -slope * ti_I, -slope * ti_P
    return score


def _power_dice_score(beta, smooth_nr, smooth_dr):
    def score(I, P, G):
        num, den = 2.0 * I + smooth_nr, P + G + smooth_dr
        d = num / den
        slope = (1.0 / beta) * d ** (1.0 / beta - 1.0)
        return 1.0 - d ** (1.0 / beta), -slope * (2.0 / den), slope * (num / (den * den))
    return score


# =====================================================================================
# F1. Dice
# =====================================================================================
def dice_loss(input, target, *, activation: str | None = "sigmoid", squared: bool = False,
              batch: bool = False, pool_classes: bool = False, include_background: bool = True,
              smooth_nr: float = 1e-5, smooth_dr: float = 1e-5, ignore_index: int | None = None,
              empty: float | None = None, reduction: str = "mean"):
    r"""Soft Dice (Sørensen–Dice) loss, smoothed; the squared-denominator V-Net form as an option.

    .. math::

        \ell = 1 - \frac{2I + s_{nr}}{P + G + s_{dr}},\qquad
        I=\sum_i p_i g_i,\quad P=\sum_i p_i\ \Bigl(\text{or } \sum_i p_i^2\Bigr),\quad G=\sum_i g_i

    The sums run over the pixels of one image and one class (or of the batch, or pooled over
    classes); :math:`p` are the probabilities, :math:`g\in\{0,1\}` the target.

    Parameters
    ----------
    input : array_like
        Logits or probabilities, shape :math:`(N, C, d_1, \dots)`.
    target : array_like
        A 0/1 mask shaped like ``input`` (binary, one-hot or multi-label), or integer class
        indices of shape :math:`(N, d_1, \dots)` (or :math:`(N, 1, d_1, \dots)`).
    activation : {'sigmoid', 'softmax', None}, default 'sigmoid'
        Applied to ``input``: ``'sigmoid'`` per channel (binary and multi-label), ``'softmax'``
        over axis 1 (multi-class), ``None`` for probabilities (checked to lie in [0, 1]).
    squared : bool, default False
        Milletari et al.'s V-Net form: :math:`P=\sum_i p_i^2` (and :math:`\sum_i g_i^2=G`).
    batch : bool, default False
        Sum over the whole batch ("batch Dice", one score per class) instead of per image.
    pool_classes : bool, default False
        Pool the classes into one score per image (kornia's ``average='micro'``).
    include_background : bool, default True
        ``False`` drops channel 0 (after the activation, so the softmax still sees it).
    smooth_nr, smooth_dr : float, default 1e-5
        Smoothing added to the numerator and the denominator (MONAI's names and defaults).
    ignore_index : int or None, default None
        With class-index targets, pixels of this label leave every sum.
    empty : float or None, default None
        The loss of an entry whose target is empty (:math:`G=0`), with zero gradient; ``None``
        keeps the formula, which gives :math:`1 - s_{nr}/(P + s_{dr})`, close to 1 as soon as
        anything is predicted (and 0 with equal smoothing when :math:`P=G=0`).
        segmentation_models_pytorch's choice is ``0.0``.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        ``'none'`` returns shape :math:`(N, C')`, :math:`(C',)` with ``batch=True``,
        :math:`(N,)` with ``pool_classes=True`` (:math:`C'` the classes kept).

    Returns
    -------
    array
        Scalar, or the unreduced loss described under ``reduction``.

    Notes
    -----
    :math:`D = 2I/(P+G)` is the F1 score of the soft prediction. Convention differences found:

    * MONAI ``DiceLoss(sigmoid|softmax, squared_pred, batch, include_background, smooth_nr,
      smooth_dr)`` computes the same numbers (its ``to_onehot_y`` is our class-index target);
      its ``reduction='none'`` keeps singleton spatial axes, :math:`(N, C, 1, \dots)`; with
      ``include_background=False`` and one channel it warns and keeps the channel, where we
      raise. Its ``ignore_index`` with one-hot targets masks all-zero pixels; we accept
      ``ignore_index`` only with class indices.
    * kornia ``dice_loss`` always takes logits with a softmax, adds ``eps`` to the denominator
      only (``smooth_nr=0, smooth_dr=eps``), pools the classes by default (``average='micro'``
      is ``pool_classes=True``), averages ``average='macro'`` over the classes *present* in
      each image only, and returns the batch mean.
    * The seed's ``DiceLoss`` flattens the whole batch: that is ``batch=True,
      pool_classes=True`` (ER51).

    References
    ----------
    Dice, Ecology 26 (1945); Milletari, Navab & Ahmadi, "V-Net", 3DV 2016, arXiv:1606.04797.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> p = np.array([[[0.9, 0.8, 0.1, 0.2]]])        # (N=1, C=1, 4 pixels), probabilities
    >>> g = np.array([[[1.0, 1.0, 0.0, 0.0]]])
    >>> round(float(lossbook.dice_loss(p, g, activation=None, smooth_nr=0, smooth_dr=0)), 6)
    0.15
    """
    s = _setup(input, target, activation=activation, include_background=include_background,
               ignore_index=ignore_index, batch=batch, pool_classes=pool_classes, reduction=reduction)
    smooth_nr, smooth_dr, empty = _dice_options(smooth_nr, smooth_dr, empty)
    squared = kit.flag(squared, "squared")
    loss, _ = _score_loss(s, _dice_score(smooth_nr, smooth_dr), squared, empty)
    return reduce(loss, reduction)


def dice_loss_grad(input, target, *, activation: str | None = "sigmoid", squared: bool = False,
                   batch: bool = False, pool_classes: bool = False, include_background: bool = True,
                   smooth_nr: float = 1e-5, smooth_dr: float = 1e-5, ignore_index: int | None = None,
                   empty: float | None = None, reduction: str = "mean", grad_output=None):
    r"""Gradient (VJP) of :func:`dice_loss` with respect to ``input``.

    .. math::

        \frac{\partial\ell}{\partial p_j} = -\frac{2g_j\,(P+G+s_{dr}) - (2I+s_{nr})\,\partial P/\partial p_j}{(P+G+s_{dr})^2},
        \qquad \frac{\partial P}{\partial p_j} = 1\ \text{or}\ 2p_j

    then through the activation (sigmoid: times :math:`p_j(1-p_j)`; softmax: its Jacobian).
    Entries with an ``empty`` value have zero gradient; ignored pixels get zero.
    """
    s = _setup(input, target, activation=activation, include_background=include_background,
               ignore_index=ignore_index, batch=batch, pool_classes=pool_classes, reduction=reduction)
    smooth_nr, smooth_dr, empty = _dice_options(smooth_nr, smooth_dr, empty)
    squared = kit.flag(squared, "squared")
    return _reduced_grad(s, _dice_score(smooth_nr, smooth_dr), squared, empty, reduction, grad_output)


# =====================================================================================
# Beyond the catalog: Jaccard (soft IoU)
# =====================================================================================
def jaccard_loss(input, target, *, activation: str | None = "sigmoid", squared: bool = False,
                 batch: bool = False, pool_classes: bool = False, include_background: bool = True,
                 smooth_nr: float = 1e-5, smooth_dr: float = 1e-5, ignore_index: int | None = None,
                 empty: float | None = None, reduction: str = "mean"):
    r"""Soft Jaccard (IoU) loss: one minus the smoothed soft intersection over union.

    .. math::

        \ell = 1 - \frac{I + s_{nr}}{P + G - I + s_{dr}},\qquad
        I=\sum_i p_i g_i,\quad P=\sum_i p_i\ \Bigl(\text{or }\sum_i p_i^2\Bigr),\quad G=\sum_i g_i

    Without smoothing :math:`J = D/(2-D)` for the Dice score :math:`D`, so both losses have the
    same minimisers; the Jaccard loss penalises a given error more.

    Parameters
    ----------
    input, target, activation, squared, batch, pool_classes, include_background, ignore_index, empty
        As in :func:`dice_loss`.
    smooth_nr, smooth_dr : float, default 1e-5
        Added to the intersection and to the union.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        As in :func:`dice_loss`.

    Returns
    -------
    array
        Scalar, or the unreduced loss of shape :math:`(N, C')` (see :func:`dice_loss`).

    Notes
    -----
    MONAI ``DiceLoss(jaccard=True)`` computes :math:`1-(2I+s_{nr})/(2(P+G-I)+s_{dr})`: our loss
    with both smoothing terms *halved* (``smooth_nr=s/2, smooth_dr=s/2`` reproduce MONAI's
    ``s``). Its other options map as for :func:`dice_loss`.

    References
    ----------
    Jaccard, New Phytologist 11 (1912); Rahman & Wang, "Optimizing Intersection-over-Union in
    Deep Neural Networks for Image Segmentation", ISVC 2016.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> p = np.array([[[0.9, 0.8, 0.1, 0.2]]])
    >>> g = np.array([[[1.0, 1.0, 0.0, 0.0]]])
    >>> round(float(lossbook.jaccard_loss(p, g, activation=None, smooth_nr=0, smooth_dr=0)), 6)
    0.26087
    """
    s = _setup(input, target, activation=activation, include_background=include_background,
               ignore_index=ignore_index, batch=batch, pool_classes=pool_classes, reduction=reduction)
    smooth_nr, smooth_dr, empty = _dice_options(smooth_nr, smooth_dr, empty)
    squared = kit.flag(squared, "squared")
    loss, _ = _score_loss(s, _jaccard_score(smooth_nr, smooth_dr), squared, empty)
    return reduce(loss, reduction)


def jaccard_loss_grad(input, target, *, activation: str | None = "sigmoid", squared: bool = False,
                      batch: bool = False, pool_classes: bool = False, include_background: bool = True,
                      smooth_nr: float = 1e-5, smooth_dr: float = 1e-5, ignore_index: int | None = None,
                      empty: float | None = None, reduction: str = "mean", grad_output=None):
    r"""Gradient (VJP) of :func:`jaccard_loss` with respect to ``input``.

    .. math::

        \frac{\partial\ell}{\partial p_j} = -\frac{g_j\,(U+s_{dr}) - (I+s_{nr})\,(\partial P/\partial p_j - g_j)}{(U+s_{dr})^2},
        \qquad U = P + G - I

    then through the activation.
    """
    s = _setup(input, target, activation=activation, include_background=include_background,
               ignore_index=ignore_index, batch=batch, pool_classes=pool_classes, reduction=reduction)
    smooth_nr, smooth_dr, empty = _dice_options(smooth_nr, smooth_dr, empty)
    squared = kit.flag(squared, "squared")
    return _reduced_grad(s, _jaccard_score(smooth_nr, smooth_dr), squared, empty, reduction, grad_output)


# =====================================================================================
# F2. Self-adjusting Dice (DSC)
# =====================================================================================
def _self_adjusting(alpha):
    """:math:`\\tilde p=(1-p)^\\alpha p` and :math:`d\\tilde p/dp=(1-p)^\\alpha-\\alpha p(1-p)^{\\alpha-1}`."""
    def q_of_p(p):
        if alpha == 0.0:
            return p, 1.0
        one_minus = 1.0 - p
        if alpha == 1.0:
            return one_minus * p, one_minus - p
        return one_minus ** alpha * p, one_minus ** alpha - alpha * p * one_minus ** (alpha - 1.0)
    return q_of_p


def dsc_loss(input, target, *, alpha: float = 1.0, activation: str | None = "sigmoid",
             squared: bool = False, batch: bool = False, pool_classes: bool = False,
             include_background: bool = True, smooth_nr: float = 1e-4, smooth_dr: float = 1e-4,
             ignore_index: int | None = None, empty: float | None = None, reduction: str = "mean"):
    r"""Self-adjusting Dice loss (DSC) of Li et al.: Dice on the down-weighted :math:`\tilde p=(1-p)^\alpha p`.

    .. math::

        \ell = 1 - \frac{2\sum_i \tilde p_i g_i + \gamma}{\sum_i \tilde p_i + \sum_i g_i + \gamma},
        \qquad \tilde p_i = (1-p_i)^{\alpha}\,p_i

    (:math:`\gamma` is the smoothing, ``smooth_nr`` = ``smooth_dr``.) :math:`\tilde p` peaks at
    :math:`p=1/(1+\alpha)` (:math:`p=1/2` for :math:`\alpha=1`): confident, already correct
    pixels stop pulling the loss down ("没有必要将它推向0").

    Parameters
    ----------
    input, target, activation, squared, batch, pool_classes, include_background, ignore_index, empty
        As in :func:`dice_loss` (``squared`` squares :math:`\tilde p` in the denominator, the
        official code's ``square_denominator``).
    alpha : float, default 1.0
        The self-adjusting exponent :math:`\alpha\ge0`; 0 gives :func:`dice_loss`.
    smooth_nr, smooth_dr : float, default 1e-4
        The paper's :math:`\gamma` (the official code's ``smooth=1e-4``, in both).
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        As in :func:`dice_loss`.

    Returns
    -------
    array
        Scalar, or the unreduced loss of shape :math:`(N, C')` (see :func:`dice_loss`).

    Notes
    -----
    The paper writes the per-example score
    :math:`DSC(x_i)=\frac{2(1-p_i)^\alpha p_i y_i+\gamma}{(1-p_i)^\alpha p_i+y_i+\gamma}`: that is
    this loss with one pixel per image. The official code (ShannonAI/dice_loss_for_NLP,
    ``DiceLoss(smooth=1e-4, alpha=0.0, with_logits=True)``) sums over the whole batch in the
    binary case (``batch=True``); its default ``alpha=0`` is plain Dice. In its multi-class
    branch the intersection is not summed (one numerator per token over the batch's pooled
    denominator), which no option here reproduces. The seed's TF ``dsc_loss`` is the
    :math:`\alpha=1` batch form. :math:`d\tilde p/dp=(1-p)^{\alpha-1}(1-(1+\alpha)p)` is
    infinite at :math:`p=1` for :math:`\alpha<1`.

    References
    ----------
    Li, Sun, Meng, Liang, Wu & Li, "Dice Loss for Data-imbalanced NLP Tasks", ACL 2020,
    arXiv:1911.02855.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> p, y = np.array([[[0.5]]]), np.array([[[1.0]]])     # one example, p = 0.5, y = 1
    >>> round(float(lossbook.dsc_loss(p, y, activation=None, smooth_nr=1.0, smooth_dr=1.0)), 6)
    0.333333
    """
    s = _setup(input, target, activation=activation, include_background=include_background,
               ignore_index=ignore_index, batch=batch, pool_classes=pool_classes, reduction=reduction)
    smooth_nr, smooth_dr, empty = _dice_options(smooth_nr, smooth_dr, empty)
    squared, alpha = kit.flag(squared, "squared"), kit.number(alpha, "alpha", "[0, inf)")
    loss, _ = _score_loss(s, _dice_score(smooth_nr, smooth_dr), squared, empty, _self_adjusting(alpha))
    return reduce(loss, reduction)


def dsc_loss_grad(input, target, *, alpha: float = 1.0, activation: str | None = "sigmoid",
                  squared: bool = False, batch: bool = False, pool_classes: bool = False,
                  include_background: bool = True, smooth_nr: float = 1e-4, smooth_dr: float = 1e-4,
                  ignore_index: int | None = None, empty: float | None = None, reduction: str = "mean",
                  grad_output=None):
    r"""Gradient (VJP) of :func:`dsc_loss` with respect to ``input``.

    .. math::

        \frac{\partial\ell}{\partial p_j} = \frac{\partial\ell_{\mathrm{Dice}}}{\partial\tilde p_j}\,
        (1-p_j)^{\alpha-1}\bigl(1-(1+\alpha)p_j\bigr)

    with the Dice gradient of :func:`dice_loss_grad` taken at :math:`\tilde p`, then through the
    activation.
    """
    s = _setup(input, target, activation=activation, include_background=include_background,
               ignore_index=ignore_index, batch=batch, pool_classes=pool_classes, reduction=reduction)
    smooth_nr, smooth_dr, empty = _dice_options(smooth_nr, smooth_dr, empty)
    squared, alpha = kit.flag(squared, "squared"), kit.number(alpha, "alpha", "[0, inf)")
    return _reduced_grad(s, _dice_score(smooth_nr, smooth_dr), squared, empty, reduction, grad_output,
                         _self_adjusting(alpha))


# =====================================================================================
# Tversky and focal Tversky
# =====================================================================================
def tversky_loss(input, target, *, alpha: float = 0.3, beta: float = 0.7,
                 activation: str | None = "sigmoid", batch: bool = False, pool_classes: bool = False,
                 include_background: bool = True, smooth_nr: float = 1e-5, smooth_dr: float = 1e-5,
                 ignore_index: int | None = None, empty: float | None = None, reduction: str = "mean"):
    r"""Tversky loss: one minus the Tversky index, which weighs false positives by α and false negatives by β.

    .. math::

        \ell = 1 - TI,\qquad
        TI = \frac{TP + s_{nr}}{TP + \alpha\,FP + \beta\,FN + s_{dr}},\quad
        TP=\sum_i p_i g_i,\ FP=\sum_i p_i(1-g_i),\ FN=\sum_i (1-p_i)g_i

    :math:`\alpha=\beta=1/2` is the Dice loss (with the smoothing doubled), :math:`\alpha=\beta=1`
    the Jaccard loss.

    Parameters
    ----------
    input, target, activation, batch, pool_classes, include_background, ignore_index, empty
        As in :func:`dice_loss`.
    alpha : float, default 0.3
        Weight of the false positives (:math:`\ge0`).
    beta : float, default 0.7
        Weight of the false negatives (:math:`\ge0`); Salehi et al.'s best
        :math:`\alpha=0.3, \beta=0.7` are the defaults.
    smooth_nr, smooth_dr : float, default 1e-5
        Smoothing of the numerator and the denominator (MONAI's).
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        As in :func:`dice_loss`.

    Returns
    -------
    array
        Scalar, or the unreduced loss of shape :math:`(N, C')` (see :func:`dice_loss`).

    Notes
    -----
    MONAI ``TverskyLoss(alpha, beta)`` has the same ``alpha`` (false positives) and ``beta``
    (false negatives) but defaults 0.5/0.5, and gives the same numbers with the options mapped
    as in :func:`dice_loss`. kornia ``tversky_loss(alpha, beta, eps)`` takes softmax logits,
    adds ``eps`` to the denominator only, and averages over the classes *present* in each
    image, then over the batch. Abraham & Khan write :math:`TI=TP/(TP+\alpha FN+\beta FP)` with
    :math:`\alpha=0.7`: the same weights, the letters swapped.

    References
    ----------
    Salehi, Erdogmus & Gholipour, "Tversky loss function for image segmentation using 3D fully
    convolutional deep networks", MLMI 2017, arXiv:1706.05721.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> p = np.array([[[0.9, 0.8, 0.1, 0.2]]])
    >>> g = np.array([[[1.0, 1.0, 0.0, 0.0]]])
    >>> round(float(lossbook.tversky_loss(p, g, activation=None, smooth_nr=0, smooth_dr=0)), 6)
    0.15
    """
    s = _setup(input, target, activation=activation, include_background=include_background,
               ignore_index=ignore_index, batch=batch, pool_classes=pool_classes, reduction=reduction)
    smooth_nr, smooth_dr, empty = _dice_options(smooth_nr, smooth_dr, empty)
    alpha, beta = _tversky_options(alpha, beta)
    loss, _ = _score_loss(s, _tversky_score(alpha, beta, smooth_nr, smooth_dr), False, empty)
    return reduce(loss, reduction)


def tversky_loss_grad(input, target, *, alpha: float = 0.3, beta: float = 0.7,
                      activation: str | None = "sigmoid", batch: bool = False, pool_classes: bool = False,
                      include_background: bool = True, smooth_nr: float = 1e-5, smooth_dr: float = 1e-5,
                      ignore_index: int | None = None, empty: float | None = None, reduction: str = "mean",
                      grad_output=None):
    r"""Gradient (VJP) of :func:`tversky_loss` with respect to ``input``.

    .. math::

        \frac{\partial\ell}{\partial p_j} = -\frac{g_j\,Den - (TP+s_{nr})\bigl(g_j+\alpha(1-g_j)-\beta g_j\bigr)}{Den^2},
        \qquad Den = TP + \alpha FP + \beta FN + s_{dr}

    then through the activation.
    """
    s = _setup(input, target, activation=activation, include_background=include_background,
               ignore_index=ignore_index, batch=batch, pool_classes=pool_classes, reduction=reduction)
    smooth_nr, smooth_dr, empty = _dice_options(smooth_nr, smooth_dr, empty)
    alpha, beta = _tversky_options(alpha, beta)
    return _reduced_grad(s, _tversky_score(alpha, beta, smooth_nr, smooth_dr), False, empty, reduction,
                         grad_output)


def focal_tversky_loss(input, target, *, alpha: float = 0.3, beta: float = 0.7, gamma: float = 4.0 / 3.0,
                       activation: str | None = "sigmoid", batch: bool = False, pool_classes: bool = False,
                       include_background: bool = True, smooth_nr: float = 1e-5, smooth_dr: float = 1e-5,
                       ignore_index: int | None = None, empty: float | None = None, reduction: str = "mean"):
    r"""Focal Tversky loss of Abraham & Khan: the Tversky loss raised to the power :math:`1/\gamma`.

    .. math::

        \ell = (1 - TI)^{1/\gamma},\qquad
        TI = \frac{TP + s_{nr}}{TP + \alpha\,FP + \beta\,FN + s_{dr}}

    With :math:`\gamma>1` the loss is steeper where :math:`TI` is close to 1, flatter where it is small.

    Parameters
    ----------
    input, target, activation, batch, pool_classes, include_background, ignore_index, empty
        As in :func:`dice_loss`.
    alpha, beta : float, default 0.3, 0.7
        Weights of the false positives and false negatives (as in :func:`tversky_loss`).
    gamma : float, default 4/3
        The focal exponent (the paper's best, :math:`\gamma=4/3`); :math:`\gamma=1` is the Tversky loss.
    smooth_nr, smooth_dr : float, default 1e-5
        Smoothing; ``smooth_nr`` may not exceed ``smooth_dr`` (else :math:`TI` can pass 1).
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        As in :func:`dice_loss`.

    Returns
    -------
    array
        Scalar, or the unreduced loss of shape :math:`(N, C')` (see :func:`dice_loss`).

    Notes
    -----
    The paper sums over classes; we average (``reduction='sum'`` gives its sum per image). For
    :math:`\gamma>1` the slope :math:`\frac1\gamma(1-TI)^{1/\gamma-1}` is infinite at
    :math:`TI=1` (a perfect prediction in probabilities, unreachable from finite logits), where
    the gradient is ``inf``/``nan`` as in autograd. MONAI has no focal Tversky loss (its
    ``AsymmetricFocalTverskyLoss`` is another one); the reference is MONAI ``TverskyLoss`` raised
    to :math:`1/\gamma`.

    References
    ----------
    Abraham & Khan, "A Novel Focal Tversky Loss Function with Improved Attention U-Net for Lesion
    Segmentation", ISBI 2019, arXiv:1810.07842.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> p = np.array([[[0.9, 0.8, 0.1, 0.2]]])
    >>> g = np.array([[[1.0, 1.0, 0.0, 0.0]]])
    >>> round(float(lossbook.focal_tversky_loss(p, g, gamma=2.0, activation=None, smooth_nr=0, smooth_dr=0)), 6)
    0.387298
    """
    s = _setup(input, target, activation=activation, include_background=include_background,
               ignore_index=ignore_index, batch=batch, pool_classes=pool_classes, reduction=reduction)
    smooth_nr, smooth_dr, empty = _dice_options(smooth_nr, smooth_dr, empty, at_most_dr=True)
    alpha, beta = _tversky_options(alpha, beta)
    gamma = _gamma_option(gamma)
    loss, _ = _score_loss(s, _focal_tversky_score(alpha, beta, gamma, smooth_nr, smooth_dr), False, empty)
    return reduce(loss, reduction)


def focal_tversky_loss_grad(input, target, *, alpha: float = 0.3, beta: float = 0.7, gamma: float = 4.0 / 3.0,
                            activation: str | None = "sigmoid", batch: bool = False,
                            pool_classes: bool = False, include_background: bool = True,
                            smooth_nr: float = 1e-5, smooth_dr: float = 1e-5, ignore_index: int | None = None,
                            empty: float | None = None, reduction: str = "mean", grad_output=None):
    r"""Gradient (VJP) of :func:`focal_tversky_loss` with respect to ``input``.

    .. math::

        \frac{\partial\ell}{\partial p_j} = -\frac1\gamma(1-TI)^{1/\gamma-1}\,\frac{\partial TI}{\partial p_j},\qquad
        \frac{\partial TI}{\partial p_j}=\frac{g_j\,Den-(TP+s_{nr})\bigl(g_j+\alpha(1-g_j)-\beta g_j\bigr)}{Den^2}

    then through the activation.
    """
    s = _setup(input, target, activation=activation, include_background=include_background,
               ignore_index=ignore_index, batch=batch, pool_classes=pool_classes, reduction=reduction)
    smooth_nr, smooth_dr, empty = _dice_options(smooth_nr, smooth_dr, empty, at_most_dr=True)
    alpha, beta = _tversky_options(alpha, beta)
    gamma = _gamma_option(gamma)
    return _reduced_grad(s, _focal_tversky_score(alpha, beta, gamma, smooth_nr, smooth_dr), False, empty,
                         reduction, grad_output)


# =====================================================================================
# F3. Focal Dice
# =====================================================================================
def _focal_term(s, gamma, focal_alpha):
    """The sigmoid focal loss of the kept logits, masked (``(N, C', ...)``), and its derivative."""
    from .imbalance import sigmoid_focal_loss, sigmoid_focal_loss_grad

    xk, g = _kept(s.x, s.start), _kept(s.g, s.start)
    value = sigmoid_focal_loss(xk, g, alpha=focal_alpha, gamma=gamma, reduction="none")
    return xk, g, value if s.m is None else value * s.m, sigmoid_focal_loss_grad


def focal_dice_loss(input, target, *, beta: float = 2.0, kind: str = "power", gamma: float | None = None,
                    focal_alpha: float | None = None, lambda_dice: float = 1.0, lambda_focal: float = 1.0,
                    activation: str | None = "sigmoid", squared: bool = False, batch: bool = False,
                    pool_classes: bool = False, include_background: bool = True, smooth_nr: float = 1e-5,
                    smooth_dr: float = 1e-5, ignore_index: int | None = None, empty: float | None = None,
                    reduction: str = "mean"):
    r"""Focal Dice loss of Wang & Chung: one minus the Dice score raised to :math:`1/\beta`.

    .. math::

        \ell = 1 - D^{1/\beta},\qquad D = \frac{2I + s_{nr}}{P + G + s_{dr}}

    The name is used for three losses (catalog F3); this one (``kind='power'``, the default)
    is the one published under it. :math:`\beta=1` is :func:`dice_loss`; :math:`\beta>1`
    lowers the loss of well-segmented classes (:math:`D^{1/\beta}\ge D`) and so focuses on the
    poorly segmented ones.

    Parameters
    ----------
    input, target, activation, squared, batch, pool_classes, include_background, smooth_nr, smooth_dr, ignore_index, empty
        As in :func:`dice_loss`.
    beta : float, default 2.0
        The focal exponent :math:`\beta\ge1` of ``kind='power'``.
    kind : {'power', 'dice_focal', 'focal_tversky'}, default 'power'
        ``'dice_focal'``: the composite :math:`\lambda_d\,\mathrm{Dice} + \lambda_f\,\mathrm{FL}`
        of MONAI's ``DiceFocalLoss``, with the sigmoid focal loss
        (:func:`~lossbook.sigmoid_focal_loss`) of the logits averaged (or summed) over every
        element; ``'focal_tversky'``: :math:`(1-D)^{1/\gamma}`, i.e. :func:`focal_tversky_loss`
        with :math:`\alpha=\beta=1/2` (call that function for other weights).
    gamma : float or None, default None
        The focusing exponent of ``kind='dice_focal'`` (default 2) or the focal-Tversky exponent
        of ``kind='focal_tversky'`` (default 4/3); unused by ``'power'``.
    focal_alpha : float or None, default None
        The class factor of the focal term (``'dice_focal'``); ``None`` (MONAI's default) for none.
    lambda_dice, lambda_focal : float, default 1.0
        The weights of the two terms of ``'dice_focal'``.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        As in :func:`dice_loss`. ``'dice_focal'`` reduces each term on its own (the Dice term
        over its :math:`(N, C')` entries, the focal term over all elements) and has no
        ``'none'``.

    Returns
    -------
    array
        Scalar, or the unreduced loss of shape :math:`(N, C')` (see :func:`dice_loss`).

    Notes
    -----
    Wang & Chung write :math:`\sum_c w_c(1-DSC_c^{1/\beta})`; PyMIC's ``MyFocalDiceLoss`` uses
    :math:`1-(0.005+0.99\,DSC_c)^{1/\beta}` to keep the slope finite at :math:`DSC=0`; here the
    smoothing keeps :math:`D\ge s_{nr}/(P+G+s_{dr})>0`, but the slope
    :math:`\frac1\beta D^{1/\beta-1}` is still large for a class that is entirely missed. MONAI's
    ``DiceFocalLoss`` feeds the logits to a *sigmoid* focal loss even with ``softmax=True``;
    ``kind='dice_focal'`` does the same, so it matches MONAI for both activations (MONAI computes
    the focal term in float32). With ``reduction='sum'`` MONAI's focal term adds the spatial
    *means* of each image and class; ours adds every element (PyTorch's ``'sum'``).

    References
    ----------
    Wang & Chung, "Focal Dice Loss and Image Dilation for Brain Tumor Segmentation", DLMIA 2018,
    LNCS 11045, doi:10.1007/978-3-030-00889-5_14. Abraham & Khan, ISBI 2019, arXiv:1810.07842.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> p = np.array([[[0.9, 0.8, 0.1, 0.2]]])
    >>> g = np.array([[[1.0, 1.0, 0.0, 0.0]]])
    >>> round(float(lossbook.focal_dice_loss(p, g, beta=2.0, activation=None, smooth_nr=0, smooth_dr=0)), 6)
    0.078046
    """
    s = _setup(input, target, activation=activation, include_background=include_background,
               ignore_index=ignore_index, batch=batch, pool_classes=pool_classes, reduction=reduction)
    beta, gamma, focal_alpha, lambda_dice, lambda_focal = _focal_dice_options(
        kind, beta, gamma, focal_alpha, lambda_dice, lambda_focal, activation, reduction)
    smooth_nr, smooth_dr, empty = _dice_options(smooth_nr, smooth_dr, empty, at_most_dr=kind == "focal_tversky")
    squared = kit.flag(squared, "squared")
    if kind == "power":
        loss, _ = _score_loss(s, _power_dice_score(beta, smooth_nr, smooth_dr), squared, empty)
        return reduce(loss, reduction)
    if kind == "focal_tversky":
        score = _focal_tversky_score(0.5, 0.5, gamma, smooth_nr, smooth_dr)
        loss, _ = _score_loss(s, score, squared, empty)
        return reduce(loss, reduction)
    dice, _ = _score_loss(s, _dice_score(smooth_nr, smooth_dr), squared, empty)
    focal = _focal_term(s, gamma, focal_alpha)[2]
    return lambda_dice * reduce(dice, reduction) + lambda_focal * reduce(focal, reduction)


def focal_dice_loss_grad(input, target, *, beta: float = 2.0, kind: str = "power", gamma: float | None = None,
                         focal_alpha: float | None = None, lambda_dice: float = 1.0, lambda_focal: float = 1.0,
                         activation: str | None = "sigmoid", squared: bool = False, batch: bool = False,
                         pool_classes: bool = False, include_background: bool = True, smooth_nr: float = 1e-5,
                         smooth_dr: float = 1e-5, ignore_index: int | None = None, empty: float | None = None,
                         reduction: str = "mean", grad_output=None):
    r"""Gradient (VJP) of :func:`focal_dice_loss` with respect to ``input``.

    .. math::

        \frac{\partial\ell}{\partial p_j} = -\frac1\beta D^{1/\beta-1}\,\frac{\partial D}{\partial p_j},\qquad
        \frac{\partial D}{\partial p_j} = \frac{2g_j\,(P+G+s_{dr}) - (2I+s_{nr})\,\partial P/\partial p_j}{(P+G+s_{dr})^2}

    then through the activation; ``'dice_focal'`` adds :math:`\lambda_f` times the focal
    loss's gradient (:func:`~lossbook.sigmoid_focal_loss_grad`) to :math:`\lambda_d` times the Dice
    gradient.
    """
    s = _setup(input, target, activation=activation, include_background=include_background,
               ignore_index=ignore_index, batch=batch, pool_classes=pool_classes, reduction=reduction)
    beta, gamma, focal_alpha, lambda_dice, lambda_focal = _focal_dice_options(
        kind, beta, gamma, focal_alpha, lambda_dice, lambda_focal, activation, reduction)
    smooth_nr, smooth_dr, empty = _dice_options(smooth_nr, smooth_dr, empty, at_most_dr=kind == "focal_tversky")
    squared = kit.flag(squared, "squared")
    if kind == "power":
        return _reduced_grad(s, _power_dice_score(beta, smooth_nr, smooth_dr), squared, empty, reduction,
                             grad_output)
    if kind == "focal_tversky":
        return _reduced_grad(s, _focal_tversky_score(0.5, 0.5, gamma, smooth_nr, smooth_dr), squared, empty,
                             reduction, grad_output)
    xp = s.xp
    go = None if grad_output is None else xp.asarray(grad_output, like=s.x)
    g_dice = None if go is None else lambda_dice * go
    dice = _reduced_grad(s, _dice_score(smooth_nr, smooth_dr), squared, empty, reduction, g_dice)
    if go is None and lambda_dice != 1.0:
        dice = lambda_dice * dice
    xk, g, focal, focal_grad = _focal_term(s, gamma, focal_alpha)
    u = upstream(focal, reduction, None if go is None else lambda_focal * go)
    if go is None:
        u = lambda_focal * u
    if s.m is not None:
        u = u * s.m
    d_focal = focal_grad(xk, g, alpha=focal_alpha, gamma=gamma, reduction="none", grad_output=u)
    return dice + _pad_classes(s, d_focal)


# =====================================================================================
# Generalised Dice (Sudre et al. 2017)
# =====================================================================================
def _gdl_weights(s, G, weight_type):
    """Sudre's class weights from the target counts; empty classes get the largest weight."""
    xp = s.xp
    if weight_type == "uniform":
        return xp.ones_like(G)
    present = G > 0.0
    safe = xp.where(present, G, xp.ones_like(G))
    w = xp.where(present, 1.0 / (safe * safe if weight_type == "square" else safe), xp.zeros_like(G))
    largest = xp.max(w, axis=1, keepdims=True)
    return xp.where(present, w, largest)


def _gdl_score(s, weight_type, smooth_nr, smooth_dr):
    def score(I, P, G):
        xp = s.xp
        w = _gdl_weights(s, G, weight_type)
        num = 2.0 * xp.sum(w * I, axis=1, keepdims=True) + smooth_nr
        den = xp.sum(w * (P + G), axis=1, keepdims=True) + smooth_dr
        return 1.0 - num / den, -2.0 * w / den, w * num / (den * den)
    return score


def _gdl_setup(input, target, activation, batch, include_background, ignore_index, reduction):
    s = _setup(input, target, activation=activation, include_background=include_background,
               ignore_index=ignore_index, batch=batch, pool_classes=False, reduction=reduction)
    s.out_shape = s.out_shape[:-1]
    return s


def generalized_dice_loss(input, target, *, weight_type: str = "square", activation: str | None = "sigmoid",
                          batch: bool = False, include_background: bool = True, smooth_nr: float = 1e-5,
                          smooth_dr: float = 1e-5, ignore_index: int | None = None, reduction: str = "mean"):
    r"""Generalised Dice loss of Sudre et al.: classes pooled with weights :math:`1/G_c^2`.

    .. math::

        \ell = 1 - \frac{2\sum_c w_c I_c + s_{nr}}{\sum_c w_c\,(P_c + G_c) + s_{dr}},\qquad
        w_c = \frac{1}{G_c^{2}},\quad I_c=\sum_i p_{ic}g_{ic},\ P_c=\sum_i p_{ic},\ G_c=\sum_i g_{ic}

    Rare classes get large weights, so each class contributes about equally.

    Parameters
    ----------
    input, target, activation, batch, include_background, ignore_index
        As in :func:`dice_loss`.
    weight_type : {'square', 'simple', 'uniform'}, default 'square'
        :math:`w_c = 1/G_c^2` (Sudre), :math:`1/G_c`, or 1 (MONAI's ``w_type``).
    smooth_nr, smooth_dr : float, default 1e-5
        Smoothing of the numerator and the denominator.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        ``'none'`` returns one loss per image, shape :math:`(N,)`, or a 0-d array with
        ``batch=True``.

    Returns
    -------
    array
        Scalar, or the unreduced loss described under ``reduction``.

    Notes
    -----
    **Zero counts.** A class absent from an image's target (:math:`G_c=0`) would get an infinite
    weight; it gets the largest weight of the classes present instead (the convention of NiftyNet,
    which Sudre et al. used, and of MONAI), and all weights are 0 when no class is present (the
    loss is then :math:`1-s_{nr}/s_{dr}`). The weights are functions of the target only: no
    gradient flows through them. MONAI ``GeneralizedDiceLoss`` gives the same numbers except
    that it computes the weights in float32 (agreement to about 1e-7); its
    ``reduction='none'`` has shape :math:`(N, 1, 1, \dots)`, and it has no ``ignore_index``.

    References
    ----------
    Sudre, Li, Vercauteren, Ourselin & Cardoso, "Generalised Dice overlap as a deep learning loss
    function for highly unbalanced segmentations", DLMIA 2017, arXiv:1707.03237.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> p = np.array([[[0.9, 0.8, 0.1, 0.2], [0.1, 0.2, 0.9, 0.8]]])   # (1, 2, 4), probabilities
    >>> g = np.array([[[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0]]])
    >>> round(float(lossbook.generalized_dice_loss(p, g, activation=None, smooth_nr=0, smooth_dr=0)), 6)
    0.15
    """
    s = _gdl_setup(input, target, activation, batch, include_background, ignore_index, reduction)
    smooth_nr, smooth_dr = _gdl_options(weight_type, smooth_nr, smooth_dr)
    loss, _ = _score_loss(s, _gdl_score(s, weight_type, smooth_nr, smooth_dr), False, None)
    return reduce(loss, reduction)


def generalized_dice_loss_grad(input, target, *, weight_type: str = "square", activation: str | None = "sigmoid",
                               batch: bool = False, include_background: bool = True, smooth_nr: float = 1e-5,
                               smooth_dr: float = 1e-5, ignore_index: int | None = None, reduction: str = "mean",
                               grad_output=None):
    r"""Gradient (VJP) of :func:`generalized_dice_loss` with respect to ``input``.

    .. math::

        \frac{\partial\ell}{\partial p_{jc}} = -w_c\,\frac{2g_{jc}\,Den - Num}{Den^2},\qquad
        Num = 2\sum_c w_cI_c + s_{nr},\ Den = \sum_c w_c(P_c+G_c) + s_{dr}

    then through the activation (the weights depend on the target only).
    """
    s = _gdl_setup(input, target, activation, batch, include_background, ignore_index, reduction)
    smooth_nr, smooth_dr = _gdl_options(weight_type, smooth_nr, smooth_dr)
    return _reduced_grad(s, _gdl_score(s, weight_type, smooth_nr, smooth_dr), False, None, reduction,
                         grad_output)


# =====================================================================================
# Lovász hinge and Lovász-softmax (Berman et al. 2018)
# =====================================================================================
def _sort_descending(key):
    """Permutation sorting the last axis in decreasing order; ties keep their original order."""
    if is_torch(key):
        import torch

        return torch.sort(key, dim=-1, descending=True, stable=True).indices
    return np.argsort(-key, axis=-1, kind="stable")


def _cumsum(a):
    if is_torch(a):
        return a.cumsum(-1)
    return np.cumsum(a, axis=-1)


def _unsort(values, perm):
    """``values`` (in sorted order) put back at the positions ``perm`` came from."""
    if is_torch(values):
        return values.new_zeros(values.shape).scatter_(-1, perm, values)
    out = np.empty_like(values)
    np.put_along_axis(out, perm, values, axis=-1)
    return out


def _lovasz_weights(gt_sorted):
    r"""The Lovász extension's weights on the sorted errors (Berman et al., Alg. 1):
    :math:`\Delta_k = J_k - J_{k-1}` with :math:`J_k = 1 - \frac{G - \sum_{j\le k} g_j}{G + \sum_{j\le k}(1-g_j)}`."""
    xp = namespace(gt_sorted)
    total = xp.sum(gt_sorted, axis=-1, keepdims=True)
    intersection = total - _cumsum(gt_sorted)
    union = total + _cumsum(1.0 - gt_sorted)
    jaccard = 1.0 - intersection / union
    delta = jaccard + 0.0           # a copy (NumPy and torch alike)
    delta[..., 1:] = jaccard[..., 1:] - jaccard[..., :-1]
    return delta


def _flatten(a, per_image, shape):
    """``(N, C, ...)`` -> ``(N, C, L)`` per image, or ``(C, N·L)`` over the batch."""
    xp = namespace(a)
    a = xp.reshape(xp.broadcast_to(a, shape), (shape[0], shape[1], -1))
    if per_image:
        return a
    return xp.reshape(xp.moveaxis(a, 0, 1), (shape[1], -1))


def _unflatten(a, per_image, shape):
    xp = namespace(a)
    if not per_image:
        a = xp.moveaxis(xp.reshape(a, (shape[1], shape[0], -1)), 1, 0)
    return xp.reshape(a, shape)


def _lovasz_sorted(errors, g, m, per_image):
    """Errors, target and mask flattened and sorted by decreasing error (ignored pixels last)."""
    xp = namespace(errors)
    shape = tuple(errors.shape)
    e, gf = _flatten(errors, per_image, shape), _flatten(g, per_image, shape)
    key = e
    mf = None
    if m is not None:
        mf = _flatten(m, per_image, shape)
        key = xp.where(mf > 0.0, e, xp.full_like(e, -math.inf))
    perm = _sort_descending(key)
    e_s, g_s = xp.take_along_axis(e, perm, axis=-1), xp.take_along_axis(gf, perm, axis=-1)
    m_s = None if mf is None else xp.take_along_axis(mf, perm, axis=-1)
    return e_s, g_s, m_s, perm, gf


def _relu(e):
    """max(e, 0) with derivative 0 at 0 (F.relu's, which the reference code uses)."""
    xp = namespace(e)
    return xp.where(e > 0.0, e, xp.zeros_like(e))


def _hinge_errors(x, g):
    return 1.0 - x * (2.0 * g - 1.0)


def lovasz_hinge_loss(input, target, *, per_image: bool = True, ignore_index: int | None = None,
                      reduction: str = "mean"):
    r"""Lovász hinge loss of Berman et al.: the Lovász extension of the Jaccard loss at the hinge errors.

    .. math::

        \ell = \sum_{k=1}^{L} \max(e_{\pi(k)}, 0)\,\bigl(J_k - J_{k-1}\bigr),\qquad
        e_i = 1 - x_i(2g_i - 1),\quad
        J_k = 1 - \frac{G - \sum_{j\le k} g_{\pi(j)}}{G + \sum_{j\le k}(1 - g_{\pi(j)})}

    where :math:`\pi` sorts the errors in decreasing order, :math:`G=\sum_i g_i` and
    :math:`J_0 = 0`: :math:`J_k` is the Jaccard loss of predicting the :math:`k` worst pixels
    wrong, and :math:`\ell` is the convex, piecewise-linear (Lovász) extension of
    :math:`1-\mathrm{IoU}` evaluated at the errors.

    Parameters
    ----------
    input : array_like
        Logits :math:`x`, shape :math:`(N, C, d_1, \dots)`: :math:`C=1` for a binary task,
        several channels for multi-label masks (each channel its own binary problem).
    target : array_like
        A 0/1 mask shaped like ``input``, or for :math:`C=1` labels 0/1 of shape
        :math:`(N, d_1, \dots)` (which may carry ``ignore_index``).
    per_image : bool, default True
        One loss per image (the reference code's default), or the pixels of the whole batch
        sorted together.
    ignore_index : int or None, default None
        With label targets, pixels of this label are left out (sorted last, weight 0).
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        ``'none'`` returns shape :math:`(N, C)`, or :math:`(C,)` with ``per_image=False``.

    Returns
    -------
    array
        Scalar, or the unreduced loss described under ``reduction``.

    Notes
    -----
    **The gradient and its conventions.** The weights :math:`J_k-J_{k-1}` depend on the target
    and on the order only, so the loss is linear between ties and its gradient with respect to
    :math:`e_{\pi(k)}` is :math:`J_k-J_{k-1}` where :math:`e_{\pi(k)}>0` and 0 where
    :math:`e_{\pi(k)}\le0` (``F.relu``'s derivative 0 at 0, as in the reference code). At a tie
    the extension is continuous but not differentiable; the order used is that of a *stable*
    descending sort (tied pixels in their original order), and the gradient is that of this
    order, as torch autograd of the reference code gives with ``torch.sort``'s order. Pixels
    whose labels are all ignored give loss 0 (the reference code's ``logits.sum() * 0``).
    The reference code (``bermanmaxim/LovaszSoftmax``, ``lovasz_hinge``) takes logits
    :math:`(N, H, W)`; kornia ``lovasz_hinge_loss`` takes :math:`(N, 1, H, W)`, is per image,
    returns the batch mean and has no ``ignore_index``.

    References
    ----------
    Berman, Rannen Triki & Blaschko, "The Lovász-Softmax loss: A tractable surrogate for the
    optimization of the intersection-over-union measure in neural networks", CVPR 2018,
    arXiv:1705.08790.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> x = np.array([[[[2.0, -0.5, -3.0]]]])     # (N=1, C=1, 1, 3) logits
    >>> t = np.array([[[[1.0, 1.0, 0.0]]]])
    >>> float(lossbook.lovasz_hinge_loss(x, t))  # errors -1, 1.5, -2: one missed pixel of two
    0.75
    """
    x, g, m, per_image = _lovasz_setup(input, target, activation="logits", ignore_index=ignore_index,
                                       per_image=per_image, reduction=reduction, allowed=("logits",))
    xp = namespace(x)
    e_s, g_s, m_s, _, _ = _lovasz_sorted(_hinge_errors(x, g), g, m, per_image)
    terms = _relu(e_s) * _lovasz_weights(g_s)
    if m_s is not None:
        terms = terms * m_s
    return reduce(xp.sum(terms, axis=-1), reduction)


def lovasz_hinge_loss_grad(input, target, *, per_image: bool = True, ignore_index: int | None = None,
                           reduction: str = "mean", grad_output=None):
    r"""Gradient (VJP) of :func:`lovasz_hinge_loss` with respect to the logits.

    .. math::

        \frac{\partial\ell}{\partial x_{\pi(k)}} = -(2g_{\pi(k)}-1)\,\bigl(J_k - J_{k-1}\bigr)\,
        \mathbb 1\bigl[e_{\pi(k)} > 0\bigr]

    (Berman et al., Alg. 1: the weights are the gradient of the Lovász extension at the sorted errors.)
    """
    x, g, m, per_image = _lovasz_setup(input, target, activation="logits", ignore_index=ignore_index,
                                       per_image=per_image, reduction=reduction, allowed=("logits",))
    xp = namespace(x)
    shape = tuple(x.shape)
    e_s, g_s, m_s, perm, _ = _lovasz_sorted(_hinge_errors(x, g), g, m, per_image)
    weights = _lovasz_weights(g_s)
    loss = xp.sum(_relu(e_s) * weights, axis=-1)
    u = upstream(loss, reduction, grad_output)
    d_sorted = xp.where(e_s > 0.0, weights, xp.zeros_like(weights)) * xp.reshape(u, tuple(u.shape) + (1,))
    if m_s is not None:
        d_sorted = d_sorted * m_s
    d_e = _unflatten(_unsort(d_sorted, perm), per_image, shape)
    return -(2.0 * g - 1.0) * d_e


def _class_selection(classes, G, xp):
    """Per-entry class weights: 1 for the classes averaged over, 0 for the others."""
    if classes == "all":
        return xp.ones_like(G)
    if classes == "present":
        return xp.where(G > 0.0, xp.ones_like(G), xp.zeros_like(G))
    chosen = np.zeros(G.shape[-1])
    chosen[list(classes)] = 1.0
    return xp.ones_like(G) * xp.asarray(chosen, like=G)


def _lovasz_softmax_parts(x, g, m, per_image, activation, classes):
    xp = namespace(x)
    p = xp.softmax(x, axis=1) if activation == "softmax" else x
    e_s, g_s, m_s, perm, gf = _lovasz_sorted(xp.abs(g - p), g, m, per_image)
    weights = _lovasz_weights(g_s)
    terms = e_s * weights
    if m_s is not None:
        terms = terms * m_s
    per_class = xp.sum(terms, axis=-1)                     # (N, C) or (C,)
    if not per_image:
        per_class, gf = per_class[None], gf[None]
    select = _class_selection(classes, xp.sum(gf, axis=-1), xp)
    count = xp.maximum(xp.sum(select, axis=-1, keepdims=True), 1.0)
    loss = xp.sum(select * per_class, axis=-1) / count[..., 0]
    if not per_image:
        loss = loss[0]
    return p, e_s, weights, m_s, perm, select, count, loss


def lovasz_softmax_loss(input, target, *, activation: str | None = "softmax", classes="present",
                        per_image: bool = False, ignore_index: int | None = None, reduction: str = "mean"):
    r"""Lovász-softmax loss of Berman et al.: the mean over classes of the Lovász extension of the Jaccard loss.

    .. math::

        \ell = \frac{1}{|\mathcal C|}\sum_{c\in\mathcal C}\sum_{k=1}^{L} e_{c,\pi_c(k)}\,\bigl(J_{c,k}-J_{c,k-1}\bigr),
        \qquad e_{ci} = |g_{ci} - p_{ci}|

    with :math:`\pi_c` sorting class :math:`c`'s errors in decreasing order and :math:`J_{c,k}`
    the Jaccard loss of class :math:`c` when its :math:`k` worst pixels are wrong (as in
    :func:`lovasz_hinge_loss`).

    Parameters
    ----------
    input : array_like
        Logits (``activation='softmax'``) or probabilities (``activation=None``, the reference
        code's input), shape :math:`(N, C, d_1, \dots)`.
    target : array_like
        Class indices of shape :math:`(N, d_1, \dots)` or a one-hot mask shaped like ``input``.
    activation : {'softmax', None}, default 'softmax'
        The softmax over axis 1, or none.
    classes : 'present', 'all' or sequence of int, default 'present'
        The classes :math:`\mathcal C` averaged over: those present in the target (of the image
        with ``per_image``, of the batch otherwise; the reference code's default), all of them
        (kornia's choice), or the listed ones. An image without any present class has loss 0.
    per_image : bool, default False
        One loss per image, or the pixels of the whole batch sorted together (the reference
        code's default).
    ignore_index : int or None, default None
        With class-index targets, pixels of this label are left out.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        ``'none'`` returns shape :math:`(N,)` with ``per_image=True``, a 0-d array otherwise.

    Returns
    -------
    array
        Scalar, or the unreduced loss described under ``reduction``.

    Notes
    -----
    The derivative of :math:`|g-p|` is :math:`\operatorname{sign}(p-g)`, 0 at :math:`p=g` (torch's
    ``abs``); ties are broken by a stable descending sort, as for :func:`lovasz_hinge_loss`.
    kornia ``lovasz_softmax_loss`` takes logits, is per image with ``classes='all'`` (an absent
    class contributes its largest probability), returns the batch mean, and has no
    ``ignore_index``; its ``weight`` multiplies each class's term and still divides by :math:`C`.

    References
    ----------
    Berman, Rannen Triki & Blaschko, CVPR 2018, arXiv:1705.08790.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> p = np.array([[[[0.8, 0.3]], [[0.2, 0.7]]]])   # (N=1, C=2, 1, 2) probabilities
    >>> y = np.array([[[0, 1]]])
    >>> round(float(lossbook.lovasz_softmax_loss(p, y, activation=None)), 6)
    0.275
    """
    x, g, m, per_image = _lovasz_setup(input, target, activation=activation, ignore_index=ignore_index,
                                       per_image=per_image, reduction=reduction, allowed=("softmax", None))
    classes = _check_classes(classes, x.shape[1])
    return reduce(_lovasz_softmax_parts(x, g, m, per_image, activation, classes)[-1], reduction)


def lovasz_softmax_loss_grad(input, target, *, activation: str | None = "softmax", classes="present",
                             per_image: bool = False, ignore_index: int | None = None, reduction: str = "mean",
                             grad_output=None):
    r"""Gradient (VJP) of :func:`lovasz_softmax_loss` with respect to ``input``.

    .. math::

        \frac{\partial\ell}{\partial p_{c,\pi_c(k)}} = \frac{1}{|\mathcal C|}\,
        \operatorname{sign}\bigl(p_{c,\pi_c(k)} - g_{c,\pi_c(k)}\bigr)\,\bigl(J_{c,k}-J_{c,k-1}\bigr)
        \quad (c\in\mathcal C)

    then through the softmax Jacobian.
    """
    x, g, m, per_image = _lovasz_setup(input, target, activation=activation, ignore_index=ignore_index,
                                       per_image=per_image, reduction=reduction, allowed=("softmax", None))
    classes = _check_classes(classes, x.shape[1])
    xp = namespace(x)
    shape = tuple(x.shape)
    p, e_s, weights, m_s, perm, select, count, loss = _lovasz_softmax_parts(x, g, m, per_image, activation,
                                                                          classes)
    u = upstream(loss, reduction, grad_output)
    u = xp.reshape(u, (-1, 1)) if per_image else xp.reshape(u, (1, 1))
    d_class = select * u / count                           # (N, C) or (1, C)
    if not per_image:
        d_class = d_class[0]
    d_sorted = weights * d_class[..., None]
    if m_s is not None:
        d_sorted = d_sorted * m_s
    d_e = _unflatten(_unsort(d_sorted, perm), per_image, shape)
    d_p = xp.sign(p - g) * d_e
    if activation == "softmax":
        return p * (d_p - xp.sum(p * d_p, axis=1, keepdims=True))
    return d_p


# =====================================================================================
# Registry entries
# =====================================================================================
_SHAPE = (2, 3, 4)   # N, and the spatial axes


def _logits(seed, channels, low=-3.0, high=3.0):
    return kit.rng(seed).uniform(low, high, size=(_SHAPE[0], channels) + _SHAPE[1:])


def _labels(seed, channels):
    """Class indices with every class present in every image."""
    y = kit.rng(seed).integers(0, channels, size=_SHAPE)
    for n in range(_SHAPE[0]):
        y[n].flat[:channels] = kit.rng(seed + n).permutation(channels)
    return y


def _mask(seed, channels):
    """A 0/1 float mask with both values in every image and channel."""
    t = kit.rng(seed).integers(0, 2, size=(_SHAPE[0], channels) + _SHAPE[1:]).astype(np.float64)
    t[:, :, 0, 0], t[:, :, 0, 1] = 1.0, 0.0
    return t


def _dice_family_example(**extra):
    """Four settings in turn: softmax with class indices; a binary mask over the batch; class
    indices with ignore_index and without background; multi-label masks with more smoothing."""
    def example(seed):
        case = seed % 4
        if case == 0:
            return (_logits(seed, 3), _labels(seed + 1, 3)), dict(activation="softmax", **extra)
        if case == 1:
            return (_logits(seed, 1), _mask(seed + 1, 1)), dict(activation="sigmoid", batch=True, **extra)
        if case == 2:
            y = _labels(seed + 1, 3)
            y[0, 2, 3] = y[1, 1, 2] = -1
            return (_logits(seed, 3), y), dict(activation="softmax", include_background=False,
                                               ignore_index=-1, **extra)
        return (_logits(seed, 2), _mask(seed + 1, 2)), dict(activation="sigmoid", smooth_nr=0.5,
                                                            smooth_dr=1.0, **extra)
    return example


def _squared_dice_example(seed):
    args, kwargs = _dice_family_example()(seed)
    return args, {**kwargs, "squared": seed % 3 == 1}


def _gdl_example(seed):
    """As the Dice examples; in one setting a class is absent from an image (zero count)."""
    args, kwargs = _dice_family_example()(seed)
    kwargs.pop("smooth_nr", None), kwargs.pop("smooth_dr", None)
    if seed % 4 == 0:
        x, y = args
        y = y.copy()
        y[0][y[0] == 2] = 0
        args = (x, y)
    if seed % 4 == 1:   # one channel: GDL is Dice; use two sigmoid channels instead
        args = (_logits(seed, 2), _mask(seed + 1, 2))
    return args, kwargs


def _spaced(seed, size, avoid=0.0, gap=0.1, low=-1.5, high=2.5):
    """``size`` distinct values in [low, high], at least ``gap`` apart and from ``avoid``."""
    grid = np.arange(low, high, gap)
    grid = grid[np.abs(grid - avoid) > gap / 2]
    values = kit.rng(seed).choice(grid, size=size, replace=False)
    return values + kit.rng(seed + 1).uniform(-0.2 * gap, 0.2 * gap, size=size)


def _lovasz_hinge_example(seed):
    """Errors 1 - x(2t-1) distinct over the whole batch and away from the hinge at 0."""
    n, h, w = _SHAPE
    t = kit.rng(seed).integers(0, 2, size=_SHAPE)
    t[:, 0, 0], t[:, 0, 1] = 1, 0
    e = _spaced(seed + 1, t.size).reshape(_SHAPE)
    x = ((1.0 - e) * (2.0 * t - 1.0))[:, None]
    if seed % 2:
        return (x, t), {}
    return (x, t[:, None].astype(np.float64)), {}


def _lovasz_softmax_example(seed, channels=3, gap=0.004):
    """Logits whose class errors |g - p| are distinct (by ``gap``) over the whole batch."""
    r = kit.rng(seed)
    y = _labels(seed + 1, channels)
    g = np.moveaxis(np.eye(channels)[y], -1, 1)
    while True:
        z = r.uniform(-2.5, 2.5, size=(_SHAPE[0], channels) + _SHAPE[1:])
        p = np.exp(z - z.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        e = np.sort(np.abs(g - p).transpose(1, 0, 2, 3).reshape(channels, -1), axis=-1)
        if np.min(np.diff(e, axis=-1)) > gap and e.min() > gap:
            break
    return (z, y), {"classes": "all", "per_image": True}


def _lovasz_softmax_extreme(seed):
    (z, y), kwargs = _lovasz_softmax_example(seed)
    return (z * 1e3, y), kwargs


def _two_pixel_curve(x, params):
    """N images of two pixels: a foreground pixel with logit x and a background pixel (logit -1)."""
    z = np.stack([x, np.full_like(x, -1.0)], axis=-1)[:, None, None]
    t = np.broadcast_to(np.array([1.0, 0.0]), z.shape).copy()
    return (z, t), params


def _first_per_image(a):
    a = np.asarray(a)
    return a.reshape(a.shape[0], -1)[:, 0]


_CURVE = Curve("logit of the foreground pixel (1 foreground, 1 background pixel, logit -1)", (-6.0, 6.0),
               call=_two_pixel_curve, select=_first_per_image)
_SMOOTH = (Param("smooth_nr", 1e-5, 1e-6, 1.0, log=True, doc="smoothing of the numerator"),
           Param("smooth_dr", 1e-5, 1e-6, 1.0, log=True, doc="smoothing of the denominator"))
_BATCH = Param("batch", False, options=(False, True), doc="sums over the batch")
_ALPHA_T = Param("alpha", 0.3, 0.0, 1.0, doc="weight of the false positives")
_BETA_T = Param("beta", 0.7, 0.0, 1.0, doc="weight of the false negatives")
_MILLETARI = "Milletari, Navab & Ahmadi, V-Net, 3DV 2016, arXiv:1606.04797"
_LI = "Li, Sun, Meng, Liang, Wu & Li, Dice Loss for Data-imbalanced NLP Tasks, ACL 2020, arXiv:1911.02855"
_SALEHI = ("Salehi, Erdogmus & Gholipour, Tversky loss function for image segmentation using 3D fully "
           "convolutional deep networks, MLMI 2017, arXiv:1706.05721")
_ABRAHAM = ("Abraham & Khan, A Novel Focal Tversky Loss Function with Improved Attention U-Net for Lesion "
            "Segmentation, ISBI 2019, arXiv:1810.07842")
_WANG = ("Wang & Chung, Focal Dice Loss and Image Dilation for Brain Tumor Segmentation, DLMIA 2018, "
         "doi:10.1007/978-3-030-00889-5_14")
_SUDRE = ("Sudre, Li, Vercauteren, Ourselin & Cardoso, Generalised Dice overlap as a deep learning loss "
          "function for highly unbalanced segmentations, DLMIA 2017, arXiv:1707.03237")
_BERMAN = ("Berman, Rannen Triki & Blaschko, The Lovász-Softmax loss: A tractable surrogate for the "
           "optimization of the intersection-over-union measure in neural networks, CVPR 2018, arXiv:1705.08790")

_HINGE_KINKS = (
    Kink(args=(np.array([[[[0.5, -0.5, -2.0]]]]), np.array([[[1, 0, 0]]])), kwargs={},
         grad=np.array([[[[-1.0, 0.0, 0.0]]]]),
         note="errors 0.5, 0.5 tie (foreground first): the stable order gives weights 1, 0 "
              "(the other order would give 1/2, 1/2)"),
    Kink(args=(np.array([[[[1.0, -2.0]]]]), np.array([[[1, 0]]])), kwargs={},
         grad=np.array([[[[0.0, 0.0]]]]),
         note="error exactly 0 at the hinge: relu'(0) = 0, as F.relu in the reference code"),
)


#: This module's part of the catalog; the registry enrols its SPECS under it.
FAMILY = Family(key="overlap", title="Overlap (segmentation) losses", part="F", chapters=("overlap_losses",))

_spec = kit.spec_factory(FAMILY, globals())

SPECS = (
    _spec("dice_loss", "F1", "骰子损失 (Dice 损失)",
          "monai.losses.DiceLoss(sigmoid|softmax, squared_pred, batch, include_background, smooth_nr, "
          "smooth_dr, ignore_index); kornia.losses.dice_loss (eps in the denominator only)", _MILLETARI,
          example=_squared_dice_example,
          params=_SMOOTH + (Param("squared", False, options=(False, True), doc="V-Net denominator"), _BATCH),
          curve=_CURVE),
    _spec("dsc_loss", "F2", "自适应 Dice 损失 (DSC)",
          "ShannonAI/dice_loss_for_NLP DiceLoss(alpha, smooth=1e-4) (not packaged; FD and golden values)", _LI,
          example=_dice_family_example(alpha=1.0),
          params=(Param("alpha", 1.0, 0.0, 3.0, doc="self-adjusting exponent"), _BATCH), curve=_CURVE),
    _spec("focal_dice_loss", "F3", "焦点 Dice 损失",
          "monai.losses.DiceLoss(reduction='none') -> 1 - (1 - loss)**(1/beta); PyMIC MyFocalDiceLoss "
          "(affine clamp); kind='dice_focal': monai.losses.DiceFocalLoss", _WANG,
          example=_dice_family_example(beta=2.0),
          params=(Param("beta", 2.0, 1.0, 5.0, doc="focal exponent"),
                  Param("kind", "power", options=FOCAL_DICE_KINDS)), curve=_CURVE),
    _spec("tversky_loss", "F2", "Tversky 损失",
          "monai.losses.TverskyLoss(alpha, beta, ...); kornia.losses.tversky_loss (present classes)", _SALEHI,
          example=_dice_family_example(alpha=0.3, beta=0.7), params=(_ALPHA_T, _BETA_T) + _SMOOTH,
          curve=_CURVE, in_seeds=False),
    _spec("focal_tversky_loss", "F3", "焦点 Tversky 损失",
          "monai.losses.TverskyLoss(reduction='none') ** (1/gamma)", _ABRAHAM,
          example=_dice_family_example(alpha=0.3, beta=0.7, gamma=4.0 / 3.0),
          params=(_ALPHA_T, _BETA_T, Param("gamma", 4.0 / 3.0, 1.0, 3.0, doc="focal exponent")),
          curve=_CURVE, in_seeds=False),
    _spec("jaccard_loss", "F+", "Jaccard (IoU) 损失",
          "monai.losses.DiceLoss(jaccard=True, smooth_nr=2*smooth_nr, smooth_dr=2*smooth_dr)",
          "Rahman & Wang, Optimizing Intersection-over-Union in Deep Neural Networks for Image "
          "Segmentation, ISVC 2016", example=_squared_dice_example, params=_SMOOTH + (_BATCH,),
          curve=_CURVE, in_seeds=False),
    _spec("generalized_dice_loss", "F+", "广义 Dice 损失",
          "monai.losses.GeneralizedDiceLoss(w_type='square', ...) (weights in float32)", _SUDRE,
          example=_gdl_example,
          params=(Param("weight_type", "square", options=GDL_WEIGHTS), _BATCH), curve=_CURVE, in_seeds=False),
    _spec("lovasz_hinge_loss", "F+", "Lovász hinge 损失",
          "bermanmaxim/LovaszSoftmax lovasz_hinge(per_image=True); kornia.losses.lovasz_hinge_loss", _BERMAN,
          example=_lovasz_hinge_example, kinks=_HINGE_KINKS,
          params=(Param("per_image", True, options=(True, False)),),
          curve=Curve("logit of the foreground pixel (1 foreground, 1 background pixel, logit -1)",
                      (-6.0, 6.0), call=_two_pixel_curve, select=_first_per_image), in_seeds=False),
    _spec("lovasz_softmax_loss", "F+", "Lovász-Softmax 损失",
          "bermanmaxim/LovaszSoftmax lovasz_softmax(classes='present'); kornia.losses.lovasz_softmax_loss "
          "(classes='all', per image)", _BERMAN,
          example=_lovasz_softmax_example, extreme=_lovasz_softmax_extreme,
          params=(Param("classes", "present", options=("present", "all")),
                  Param("per_image", False, options=(False, True))), curve=None, in_seeds=False),
)
