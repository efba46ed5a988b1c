r"""Imbalance and hard-example losses (catalog part D), each value function with its gradient.

* :func:`balanced_cross_entropy` (D1): sigmoid cross-entropy with the class factor
  :math:`\alpha_t`.
* :func:`sigmoid_focal_loss` (D2) and :func:`softmax_focal_loss` (D3): the focal loss of
  Lin et al., binary on logits and multi-class on logits.
* :func:`class_balanced_loss` (D4) with :func:`class_balanced_weights` and
  :func:`effective_number`: the re-weighting by the effective number of samples of Cui et al.
* :func:`ghm_c_loss` and :func:`ghm_r_loss` (D5), with :func:`ghm_weights`: the gradient
  harmonising mechanism of Li et al., as implemented by mmdetection (``momentum=0``).
* :func:`poly1_loss` and :func:`poly1_focal_loss` (D6): Poly-1 of Leng et al.

Every ``<name>_grad`` is the vector–Jacobian product with respect to the logits (or, for
GHM-R, the predictions): what ``input.grad`` holds after ``<name>(...).backward(grad_output)``
in PyTorch. Conventions for the binary losses: logit :math:`x`, label :math:`t\in\{0,1\}`,
:math:`s=2t-1`, :math:`x_t=sx`, :math:`p_t=\sigma(x_t)`; so :math:`\log p_t=-\operatorname{softplus}(-x_t)`
and :math:`1-p_t=\sigma(-x_t)`, :math:`(1-p_t)^\gamma=e^{-\gamma\operatorname{softplus}(x_t)}`, which
is how they are computed: nothing is exponentiated that could overflow and nothing is raised
to a power :math:`\gamma<1` at 0.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from .. import _kit as kit
from .._backend import is_torch, namespace
from .._kit import class_labels, real, rng, zero_ones
from .._reduction import reduce, upstream
from .._spec import Curve, Family, Param
from .information import cross_entropy, cross_entropy_grad

__all__ = [
    "balanced_cross_entropy", "balanced_cross_entropy_grad",
    "sigmoid_focal_loss", "sigmoid_focal_loss_grad",
    "softmax_focal_loss", "softmax_focal_loss_grad",
    "class_balanced_loss", "class_balanced_loss_grad",
    "class_balanced_weights", "effective_number",
    "ghm_c_loss", "ghm_c_loss_grad", "ghm_r_loss", "ghm_r_loss_grad", "ghm_weights",
    "poly1_loss", "poly1_loss_grad", "poly1_focal_loss", "poly1_focal_loss_grad",
]

CB_LOSS_TYPES = ("softmax", "sigmoid", "focal")


# --- shared input handling --------------------------------------------------------------
def _binary(input, target):
    """Logits and 0/1 labels of the same shape (hard labels: the stable focal form needs
    them), the labels cast to the logits' dtype."""
    return kit.pair(input, target, kit.binary_labels)


def _alpha_t(t, alpha):
    """:math:`\\alpha_t` (``alpha`` for positives, ``1-alpha`` for negatives), or 1 for ``None``."""
    if alpha is None:
        return 1.0
    return alpha * t + (1.0 - alpha) * (1.0 - t)


def _check_alpha(alpha, name="alpha"):
    """``None`` or a number in [0, 1]; a negative number means ``None`` (torchvision's -1)."""
    if isinstance(alpha, numbers.Real) and not isinstance(alpha, bool) and alpha < 0:
        return None
    return kit.number(alpha, name, "[0, 1]", optional=True)


def _check_gamma(gamma):
    return kit.number(gamma, "gamma", "[0, inf)")


def _multiclass(input, target):
    """Logits ``(N, C, ...)`` moved to class-last ``(N, ..., C)`` and validated class indices."""
    x = kit.nonempty(kit.floating(input, "input"), "input")
    kit.has_ndim(x, "input", "(N, C) or (N, C, d1, ...)", at_least=2)
    num_classes = x.shape[1]
    t = kit.class_targets(x, target, num_classes, (x.shape[0],) + tuple(x.shape[2:]),
                          hint=" (input shape without the class axis 1)")
    xp = namespace(x)
    z = xp.moveaxis(x, 1, -1) if x.ndim > 2 else x
    return z, t, num_classes


def _class_first(g, ndim):
    """Undo :func:`_multiclass`'s move of the class axis."""
    return namespace(g).moveaxis(g, -1, 1) if ndim > 2 else g


def _true_class_ce(input, target):
    """Per-sample :math:`-\\log p_y` from :func:`~lossbook.cross_entropy` (``reduction='none'``)."""
    return cross_entropy(input, target, reduction="none")


def _one_minus_exp(log_p):
    """:math:`1-p` from :math:`\\log p`, accurate when :math:`p\\to1`: ``-expm1(log p)``."""
    return -namespace(log_p).expm1(log_p)


def _log_ratio(log_p, u):
    """:math:`\\log p/(1-p)` with its limit :math:`-1` where :math:`1-p` underflows to 0."""
    xp = namespace(log_p)
    positive = u > 0.0
    return xp.where(positive, log_p / xp.where(positive, u, 1.0), -1.0)


def _class_alpha(alpha, z, num_classes):
    """``alpha`` as ``None``, a Python float, or a per-class array like ``z``."""
    if alpha is None:
        return None
    if isinstance(alpha, numbers.Real) and not isinstance(alpha, bool):
        return kit.number(alpha, "alpha", "[0, inf)")
    a = np.asarray(kit.to_numpy(alpha), dtype=np.float64)
    kit.has_shape(a, "alpha", (num_classes,), " (or be None or a number: one weight per class)")
    if np.isnan(a).any() or (a < 0).any():
        raise ValueError("alpha must hold non-negative per-class weights")
    return namespace(z).asarray(a, like=z)


# --- D1 ---------------------------------------------------------------------------------
def balanced_cross_entropy(input, target, *, alpha: float = 0.25, reduction: str = "mean"):
    r"""α-balanced sigmoid cross-entropy: binary cross-entropy on logits, weighted by :math:`\alpha_t`.

    .. math::

        \ell = -\alpha_t \log p_t,\qquad
        \alpha_t = \begin{cases}\alpha & t=1\\ 1-\alpha & t=0\end{cases},\quad
        p_t = \sigma\bigl((2t-1)\,x\bigr)

    Parameters
    ----------
    input : array_like
        Logits :math:`x`, any shape.
    target : array_like
        Labels 0/1, the shape of ``input`` (float, int or bool).
    alpha : float or None, default 0.25
        :math:`\alpha\in[0,1]`, the weight of the positives; ``None`` (or a negative number,
        torchvision's ``-1``) gives plain binary cross-entropy. 0.25 is the RetinaNet default
        *with* focusing (:func:`sigmoid_focal_loss`), which this loss equals at
        :math:`\gamma=0`; without focusing RetinaNet's best was :math:`\alpha=0.75`
        (Lin et al., Table 1a).
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        ``'mean'`` averages over all elements, as :func:`torch.nn.functional.binary_cross_entropy_with_logits`.

    Returns
    -------
    array
        Scalar, or shaped like ``input`` for ``reduction='none'``.

    Notes
    -----
    Computed as :math:`\alpha_t\,\operatorname{softplus}(-x_t)`, which never overflows. It is
    ``binary_cross_entropy_with_logits(x, t, weight=α_t)``; ``pos_weight=α/(1-α)`` gives the
    same loss up to the factor :math:`1-\alpha`. The seed calls it "BCE", the usual
    abbreviation of *binary* cross-entropy, and then explains ``BCELoss`` (ER31). Xie & Tu's
    HED sets :math:`\alpha=|Y_-|/|Y|` per image.

    References
    ----------
    Lin, Goyal, Girshick, He & Dollár, "Focal Loss for Dense Object Detection", ICCV 2017,
    arXiv:1708.02002, Sec. 3.1.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> x, t = np.array([2.0, -1.0, 0.0, 5.0]), np.array([1.0, 0.0, 1.0, 0.0])
    >>> lossbook.balanced_cross_entropy(x, t, alpha=0.75, reduction="none").round(6)
    array([0.095196, 0.078315, 0.51986 , 1.251679])
    """
    x, t = _binary(input, target)
    alpha = _check_alpha(alpha)
    xp = namespace(x)
    loss = _alpha_t(t, alpha) * xp.softplus(-(2.0 * t - 1.0) * x)
    return reduce(loss, reduction)


def balanced_cross_entropy_grad(input, target, *, alpha: float = 0.25, reduction: str = "mean",
                                grad_output=None):
    r"""Gradient (VJP) of :func:`balanced_cross_entropy` with respect to the logits.

    .. math::

        \frac{\partial \ell}{\partial x} = \alpha_t\,\bigl(\sigma(x) - t\bigr)
    """
    x, t = _binary(input, target)
    alpha = _check_alpha(alpha)
    xp = namespace(x)
    return _alpha_t(t, alpha) * (xp.sigmoid(x) - t) * upstream(x, reduction, grad_output)


# --- D2 ---------------------------------------------------------------------------------
def _focal_value(x, t, alpha, gamma):
    r""":math:`\alpha_t e^{-\gamma\,\mathrm{sp}(x_t)}\,\mathrm{sp}(-x_t)`, element-wise."""
    xp = namespace(x)
    xt = (2.0 * t - 1.0) * x
    modulator = xp.exp(-gamma * xp.softplus(xt)) if gamma != 0.0 else 1.0
    return _alpha_t(t, alpha) * modulator * xp.softplus(-xt)


def _focal_derivative(x, t, alpha, gamma):
    r""":math:`\partial FL/\partial x = \alpha_t s\,[\gamma p_t(1-p_t)^\gamma\log p_t-(1-p_t)^{\gamma+1}]`."""
    xp = namespace(x)
    s = 2.0 * t - 1.0
    xt = s * x
    sp = xp.softplus(xt)
    bracket = -xp.exp(-(gamma + 1.0) * sp)
    if gamma != 0.0:
        bracket = bracket - gamma * xp.sigmoid(xt) * xp.exp(-gamma * sp) * xp.softplus(-xt)
    return _alpha_t(t, alpha) * s * bracket


def sigmoid_focal_loss(input, target, *, alpha: float = 0.25, gamma: float = 2.0,
                       reduction: str = "mean"):
    r"""Focal loss on logits (binary / one-vs-all, as in RetinaNet).

    .. math::

        FL(p_t) = -\alpha_t\,(1-p_t)^{\gamma}\,\log p_t,\qquad p_t = \sigma\bigl((2t-1)\,x\bigr)

    Parameters
    ----------
    input : array_like
        Logits :math:`x`, any shape (for detection: anchors × classes, one sigmoid each).
    target : array_like
        Labels 0/1, the shape of ``input``.
    alpha : float or None, default 0.25
        :math:`\alpha\in[0,1]`; ``None`` (or negative, torchvision's ``-1``) switches it off.
    gamma : float, default 2.0
        Focusing parameter :math:`\gamma\ge0`; :math:`\gamma=0` is :func:`balanced_cross_entropy`.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        ``'mean'`` averages over all elements. torchvision's default is ``'none'``; RetinaNet
        divides the **sum** by the number of positive anchors (use ``'sum'`` and divide);
        Ultralytics takes ``loss.mean(1).sum()``.

    Returns
    -------
    array
        Scalar, or shaped like ``input`` for ``reduction='none'``.

    Notes
    -----
    Evaluated as :math:`\alpha_t\,e^{-\gamma\,\operatorname{softplus}(x_t)}\operatorname{softplus}(-x_t)`
    with :math:`x_t=(2t-1)x`: :math:`\log p_t` comes from softplus and
    :math:`(1-p_t)^\gamma` is never a power of 0, so the value and the gradient stay finite
    for every logit and every :math:`\gamma\ge0`. The naive ``(1 - p_t) ** gamma`` gives
    ``nan`` gradients at :math:`p_t=1` when :math:`\gamma<1` (``inf * 0`` in autograd). The
    gradient is bounded, :math:`|\partial FL/\partial x|\le\alpha_t(1+\gamma/e)`: focal loss
    does not make gradients explode (ER37). :math:`\alpha` is a tuned hyper-parameter, not a
    class frequency: with :math:`\gamma=2` the best RetinaNet value 0.25 *down*-weights the
    rare positives (ER32). The paper is Lin et al., Aug 2017 (ER32).

    References
    ----------
    Lin, Goyal, Girshick, He & Dollár, "Focal Loss for Dense Object Detection", ICCV 2017,
    arXiv:1708.02002.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> x = np.log(np.array([0.6, 0.9]) / np.array([0.4, 0.1]))   # p_t = 0.6, 0.9
    >>> lossbook.sigmoid_focal_loss(x, np.ones(2), alpha=None, reduction="none").round(6)
    array([0.081732, 0.001054])
    """
    x, t = _binary(input, target)
    return reduce(_focal_value(x, t, _check_alpha(alpha), _check_gamma(gamma)), reduction)


def sigmoid_focal_loss_grad(input, target, *, alpha: float = 0.25, gamma: float = 2.0,
                            reduction: str = "mean", grad_output=None):
    r"""Gradient (VJP) of :func:`sigmoid_focal_loss` with respect to the logits.

    .. math::

        \frac{\partial FL}{\partial x} = \alpha_t\,s\,(1-p_t)^{\gamma}\bigl(\gamma\,p_t\log p_t + p_t - 1\bigr),
        \qquad s = 2t-1

    Without :math:`\alpha_t` this is the derivative in the paper's appendix. Computed as
    :math:`\alpha_t s\,[\gamma p_t e^{-\gamma\,\mathrm{sp}(x_t)}\log p_t - e^{-(\gamma+1)\,\mathrm{sp}(x_t)}]`.
    """
    x, t = _binary(input, target)
    d = _focal_derivative(x, t, _check_alpha(alpha), _check_gamma(gamma))
    return d * upstream(x, reduction, grad_output)


# --- D3 ---------------------------------------------------------------------------------
def _softmax_focal_parts(input, target, alpha, gamma):
    z, t, num_classes = _multiclass(input, target)
    gamma = _check_gamma(gamma)
    a = _class_alpha(alpha, z, num_classes)
    log_py = -_true_class_ce(input, target)
    a_y = 1.0 if a is None else (a if isinstance(a, float) else _gather_weights(a, t))
    return gamma, a_y, log_py


def _gather_weights(w, t):
    """Per-class weights ``w`` (shape ``(C,)``) looked up at the labels ``t``."""
    xp = namespace(w)
    flat = xp.reshape(t, (-1,))
    return xp.reshape(xp.take_along_axis(w, flat, axis=0), tuple(t.shape))


def softmax_focal_loss(input, target, *, alpha=None, gamma: float = 2.0, reduction: str = "mean"):
    r"""Multi-class focal loss on logits (softmax over the class axis).

    .. math::

        FL = -\alpha_y\,(1-p_y)^{\gamma}\,\log p_y,\qquad p = \operatorname{softmax}(z)

    Parameters
    ----------
    input : array_like
        Logits, shape ``(N, C)`` or ``(N, C, d1, ...)`` (class axis 1, as ``F.cross_entropy``).
    target : array_like
        Class indices, shape ``(N,)`` or ``(N, d1, ...)``.
    alpha : None, float or array_like of shape (C,), default None
        No weighting, one factor for every class, or one per class (:math:`\alpha_y`).
    gamma : float, default 2.0
        Focusing parameter :math:`\gamma\ge0`; :math:`\gamma=0` is softmax cross-entropy.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        ``'mean'`` is the plain mean over samples, as in kornia and Keras, also with a
        per-class ``alpha`` (``F.cross_entropy(weight=…)`` divides by :math:`\sum_i w_{y_i}` instead).

    Returns
    -------
    array
        Scalar, or shaped like ``target`` for ``reduction='none'``.

    Notes
    -----
    :math:`\log p_y` is minus :func:`~lossbook.cross_entropy` (``reduction='none'``, a
    log-softmax) and :math:`1-p_y` is ``-expm1(log p_y)``, so a confident correct prediction
    gives an exact small loss; the gradient is the cross-entropy VJP with a per-sample factor. The
    per-sample :math:`p_y` must come from a per-sample cross-entropy (``reduction='none'``):
    the seed's snippet takes ``exp(-CE)`` of the *batch mean*, which modulates the whole batch
    by one number (ER33); with class weights :math:`e^{-\mathrm{CE}_w}\ne p_y`. Feed logits,
    not probabilities: the seed's ``__main__`` applies softmax twice (ER35). For :math:`C=2`,
    softmax over :math:`(0, x)` is :math:`\sigma(x)`, so the binary case is
    :func:`sigmoid_focal_loss` with :math:`\alpha_y` taken per class; the seed's "binary"
    module mixes the two formulations (ER34). The focal loss is not limited to two classes (ER37).

    References
    ----------
    Lin, Goyal, Girshick, He & Dollár, "Focal Loss for Dense Object Detection", ICCV 2017,
    arXiv:1708.02002.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> z = np.array([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]])
    >>> lossbook.softmax_focal_loss(z, np.array([0, 1]), reduction="none").round(6)
    array([0.011093, 2.601111])
    """
    gamma, a_y, log_py = _softmax_focal_parts(input, target, alpha, gamma)
    u = _one_minus_exp(log_py)
    modulator = u ** gamma if gamma != 0.0 else 1.0
    return reduce(-a_y * modulator * log_py, reduction)


def softmax_focal_loss_grad(input, target, *, alpha=None, gamma: float = 2.0, reduction: str = "mean",
                            grad_output=None):
    r"""Gradient (VJP) of :func:`softmax_focal_loss` with respect to the logits.

    .. math::

        \frac{\partial FL}{\partial z_j} = \alpha_y\,(\delta_{jy} - p_j)
        \Bigl[\gamma\,p_y(1-p_y)^{\gamma-1}\log p_y - (1-p_y)^{\gamma}\Bigr]

    At :math:`\gamma=0` this is :math:`\alpha_y(p_j-\delta_{jy})`. The bracket is evaluated as
    :math:`(1-p_y)^\gamma\,[\gamma p_y\,\log p_y/(1-p_y) - 1]`, with the limit
    :math:`\log p_y/(1-p_y)\to-1`, so :math:`\gamma<1` is finite at :math:`p_y=1`.
    """
    gamma, a_y, log_py = _softmax_focal_parts(input, target, alpha, gamma)
    u = _one_minus_exp(log_py)
    modulator = u ** gamma if gamma != 0.0 else 1.0
    py = namespace(log_py).exp(log_py)
    bracket = modulator * (gamma * py * _log_ratio(log_py, u) - 1.0)
    # (e_y - p) * a_y * bracket = (p - e_y) * (-a_y * bracket): the cross-entropy VJP.
    g = -a_y * bracket * upstream(log_py, reduction, grad_output)
    return cross_entropy_grad(input, target, reduction="none", grad_output=g)


# --- D4 ---------------------------------------------------------------------------------
def effective_number(n, beta: float):
    r"""Effective number of samples :math:`E_n = (1-\beta^n)/(1-\beta)` of Cui et al.

    .. math::

        E_n = \frac{1-\beta^{n}}{1-\beta} = \sum_{k=1}^{n}\beta^{k-1}

    :math:`E_1=1`, :math:`E_n\le\min(n, 1/(1-\beta))`; :math:`\beta=0` gives 1 for every
    :math:`n` and :math:`\beta\to1` gives :math:`n`. Computed with ``expm1``/``log1p``, so
    :math:`\beta=0.9999` and large :math:`n` lose no digits.

    Parameters
    ----------
    n : array_like
        Numbers of samples (positive).
    beta : float
        :math:`\beta\in[0,1)`.

    Returns
    -------
    numpy.ndarray
        float64, shaped like ``n``.

    Examples
    --------
    >>> import lossbook
    >>> lossbook.effective_number([1, 10, 1000], 0.9).round(6)
    array([ 1.      ,  6.513216, 10.      ])
    """
    n = np.asarray(kit.to_numpy(n), dtype=np.float64)
    if np.isnan(n).any() or (n <= 0).any():
        raise ValueError("samples_per_class must hold positive numbers of samples")
    beta = kit.number(beta, "beta", "[0, 1)")
    if beta == 0.0:
        return np.ones_like(n)
    # 1 - beta**n = -expm1(n log beta): no cancellation when beta**n is close to 1.
    return -np.expm1(n * math.log(beta)) / (1.0 - beta)


def class_balanced_weights(samples_per_class, beta: float = 0.9999):
    r"""Class-balanced weights :math:`w_c\propto 1/E_{n_c}`, normalised so that :math:`\sum_c w_c = C`.

    .. math::

        w_c = C\,\frac{(1-\beta)/(1-\beta^{n_c})}{\sum_k (1-\beta)/(1-\beta^{n_k})}

    Parameters
    ----------
    samples_per_class : array_like
        :math:`n_c`, the number of training samples of each class (positive).
    beta : float, default 0.9999
        :math:`\beta\in[0,1)`: 0 gives equal weights, :math:`\beta\to1` inverse class frequency.

    Returns
    -------
    numpy.ndarray
        float64 weights of shape ``(C,)``, summing to :math:`C`.

    Notes
    -----
    The normalisation to :math:`\sum_c w_c=C` is the official code's (and the seed's); it keeps
    the loss on the scale of the unweighted one.

    References
    ----------
    Cui, Jia, Lin, Song & Belongie, "Class-Balanced Loss Based on Effective Number of Samples",
    CVPR 2019, arXiv:1901.05555.

    Examples
    --------
    >>> import lossbook
    >>> lossbook.class_balanced_weights([2, 3, 1, 2, 2], beta=0.9999).round(7)
    array([0.8823633, 0.5882716, 1.7646384, 0.8823633, 0.8823633])
    """
    inverse = 1.0 / effective_number(samples_per_class, beta)
    if inverse.ndim != 1:
        raise ValueError(f"samples_per_class must be 1-D (one count per class), got shape {inverse.shape}")
    return inverse * (inverse.size / inverse.sum())


def _cb_parts(input, target, samples_per_class, beta, loss_type, gamma):
    kit.choice(loss_type, "loss_type", CB_LOSS_TYPES)
    z, t, num_classes = _multiclass(input, target)
    weights = class_balanced_weights(samples_per_class, beta)
    if weights.shape[0] != num_classes:
        raise ValueError(f"samples_per_class must have one count per class ({num_classes}), "
                         f"got {weights.shape[0]}")
    gamma = _check_gamma(gamma)
    w_y = _gather_weights(namespace(z).asarray(weights, like=z), t)
    return z, t, num_classes, w_y, gamma


def class_balanced_loss(input, target, *, samples_per_class, beta: float = 0.9999,
                        loss_type: str = "softmax", gamma: float = 2.0, reduction: str = "mean"):
    r"""Class-balanced loss: a base loss weighted by the inverse effective number of the true class.

    .. math::

        CB(z, y) = w_y\,\mathcal L(z, y),\qquad w_y \propto \frac{1-\beta}{1-\beta^{n_y}},\ \sum_c w_c = C

    with :math:`\mathcal L` the softmax cross-entropy :math:`-\log p_y`, the sigmoid
    cross-entropy :math:`\sum_c\mathrm{BCE}(z_c, [c=y])` or the focal loss
    :math:`\sum_c FL_\gamma(z_c, [c=y])` (one sigmoid per class, no :math:`\alpha`).

    Parameters
    ----------
    input : array_like
        Logits, shape ``(N, C)`` or ``(N, C, d1, ...)``.
    target : array_like
        Class indices, shape ``(N,)`` or ``(N, d1, ...)``.
    samples_per_class : array_like
        :math:`n_c`, the training-set count of each class, shape ``(C,)``.
    beta : float, default 0.9999
        :math:`\beta\in[0,1)`; see :func:`class_balanced_weights`.
    loss_type : {'softmax', 'sigmoid', 'focal'}, default 'softmax'
        The base loss :math:`\mathcal L`.
    gamma : float, default 2.0
        Focusing parameter, used by ``loss_type='focal'`` only.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        ``'none'`` gives the per-sample :math:`w_y\mathcal L` (shape of ``target``); ``'mean'``
        divides their sum by the number of samples :math:`N`.

    Returns
    -------
    array
        Scalar, or shaped like ``target``.

    Notes
    -----
    **Normalisation.** ``'mean'`` is :math:`\frac1N\sum_i w_{y_i}\mathcal L_i` for all three types,
    which is what the official TensorFlow code computes (``tf.losses.softmax_cross_entropy`` with
    per-sample weights; the sigmoid and focal sums divided by :math:`\sum` one-hot labels
    :math:`=N`). It is not ``F.cross_entropy(weight=w)``, whose mean is
    :math:`\sum_i w_{y_i}\ell_i/\sum_i w_{y_i}`. The PyTorch port vandit15 averages its sigmoid
    variant over all :math:`N\cdot C` elements (ours divided by :math:`C`), and its ``"softmax"``
    branch is binary cross-entropy on softmax *probabilities*, not the paper's softmax loss
    (ER40). The CB paper (Cui et al., CVPR 2019) is a research paper, not a survey, and the
    re-weighting applies to any loss, not only to the focal loss (ER40).

    References
    ----------
    Cui, Jia, Lin, Song & Belongie, "Class-Balanced Loss Based on Effective Number of Samples",
    CVPR 2019, arXiv:1901.05555.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> z, y = np.array([[1.0, 0.0], [0.0, 2.0]]), np.array([0, 1])
    >>> round(float(lossbook.class_balanced_loss(z, y, samples_per_class=[100, 10], beta=0.99)), 6)
    0.151349
    """
    z, t, num_classes, w_y, gamma = _cb_parts(input, target, samples_per_class, beta, loss_type, gamma)
    if loss_type == "softmax":
        base = _true_class_ce(input, target)
    else:
        onehot = namespace(z).one_hot(t, num_classes, z)
        base = namespace(z).sum(_focal_value(z, onehot, None, gamma if loss_type == "focal" else 0.0),
                                axis=-1)
    return reduce(w_y * base, reduction)


def class_balanced_loss_grad(input, target, *, samples_per_class, beta: float = 0.9999,
                             loss_type: str = "softmax", gamma: float = 2.0, reduction: str = "mean",
                             grad_output=None):
    r"""Gradient (VJP) of :func:`class_balanced_loss` with respect to the logits.

    .. math::

        \frac{\partial CB}{\partial z} = w_y\,\frac{\partial\mathcal L}{\partial z}

    The weights are constants: softmax :math:`w_y(p-e_y)`, sigmoid :math:`w_y(\sigma(z)-e_y)`,
    focal :math:`w_y\,\partial FL_\gamma/\partial z_c` per class (see :func:`sigmoid_focal_loss_grad`).
    """
    z, t, num_classes, w_y, gamma = _cb_parts(input, target, samples_per_class, beta, loss_type, gamma)
    g = w_y * upstream(w_y, reduction, grad_output)
    if loss_type == "softmax":
        return cross_entropy_grad(input, target, reduction="none", grad_output=g)
    onehot = namespace(z).one_hot(t, num_classes, z)
    grad = _focal_derivative(z, onehot, None, gamma if loss_type == "focal" else 0.0) * g[..., None]
    return _class_first(grad, kit.floating(input, "input").ndim)


# --- D5 ---------------------------------------------------------------------------------
def ghm_weights(g, bins: int = 10):
    r"""GHM weights from gradient norms :math:`g\in[0,1]`: inverse gradient density, mmdet style.

    .. math::

        \beta_i = \frac{N}{\#\{k : g_k \in \text{bin}(g_i)\}\;\cdot\;M_{\text{non-empty}}}

    Bin :math:`b` is :math:`[b/M, (b+1)/M)` for :math:`b<M-1`; the last bin is closed
    above (mmdet widens its last edge). :math:`N` is the number of elements and
    :math:`M_{\text{non-empty}}` the number of non-empty bins, as in mmdetection's ``GHMC``/``GHMR``
    with ``momentum=0``; the paper's :math:`N/GD(g)` uses :math:`M` instead (the same when every
    bin is occupied). The result is a constant for the gradient (detached).

    Parameters
    ----------
    g : array_like
        Gradient norms, any shape (NumPy or torch).
    bins : int, default 10
        :math:`M`.

    Returns
    -------
    array
        Shaped like ``g``, on the same backend.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> lossbook.ghm_weights(np.array([0.01, 0.02, 0.03, 0.95]))
    array([0.66666667, 0.66666667, 0.66666667, 2.        ])
    """
    bins = kit.number(bins, "bins", "[1, inf)", integer=True)
    g = kit.floating(g, "g")
    if is_torch(g):
        g = g.detach()
    xp = namespace(g)
    total = max(float(kit.numel(g)), 1.0)
    weights = xp.zeros_like(g)
    occupied = 0
    for b in range(bins):
        inside = g >= b / bins
        if b < bins - 1:
            inside = inside & (g < (b + 1) / bins)
        count = float(xp.sum(xp.where(inside, 1.0, 0.0, like=g)))
        if count > 0:
            weights = xp.where(inside, total / count, weights)
            occupied += 1
    return weights / occupied if occupied else weights


def _ghm_c_parts(input, target, bins):
    x, t = _binary(input, target)
    xp = namespace(x)
    p = xp.sigmoid(x)
    return x, t, p, ghm_weights(xp.abs(p - t), bins)


def ghm_c_loss(input, target, *, bins: int = 10, reduction: str = "mean"):
    r"""GHM-C: sigmoid cross-entropy weighted by the inverse density of its gradient norm.

    .. math::

        L_{GHM\text{-}C} = \frac1N\sum_i \beta_i\,\mathrm{BCE}(x_i, t_i),\qquad
        g_i = |\sigma(x_i) - t_i|,\quad \beta_i = \frac{N}{GD(g_i)}

    Parameters
    ----------
    input : array_like
        Logits, any shape (anchors × classes); :math:`N` is the number of elements.
    target : array_like
        Labels 0/1, the shape of ``input``.
    bins : int, default 10
        Number :math:`M` of gradient-norm bins.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        ``'none'`` gives :math:`\beta_i\mathrm{BCE}_i`; ``'mean'`` is mmdetection's
        ``GHMC(bins, momentum=0)`` value, :math:`\sum_i\beta_i\mathrm{BCE}_i/N`.

    Returns
    -------
    array
        Scalar, or shaped like ``input``.

    Notes
    -----
    :math:`g_i` is exactly :math:`|\partial\,\mathrm{BCE}/\partial x_i|`. The weights
    (:func:`ghm_weights`) depend on the whole batch and are treated as constants in the
    gradient (mmdet detaches them), so the loss is not a sum of per-sample functions: a batch
    of one gives plain BCE. mmdet's exponential moving average of the bin counts
    (``momentum>0``) needs state across batches and is not offered here; neither are its
    ignored anchors (``label_weight=0``). Very easy examples (small :math:`g`, the crowded
    first bin) and outliers (:math:`g\approx1`, often crowded too) are both down-weighted.

    References
    ----------
    Li, Liu & Wang, "Gradient Harmonized Single-stage Detector", AAAI 2019, arXiv:1811.05181;
    mmdetection ``mmdet/models/losses/ghm_loss.py``.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> x, t = np.array([-4.0, -3.0, -5.0, 2.0]), np.array([0.0, 0.0, 0.0, 1.0])
    >>> round(float(lossbook.ghm_c_loss(x, t)), 6)
    0.075706
    """
    x, t, _, w = _ghm_c_parts(input, target, bins)
    return reduce(w * namespace(x).softplus(-(2.0 * t - 1.0) * x), reduction)


def ghm_c_loss_grad(input, target, *, bins: int = 10, reduction: str = "mean", grad_output=None):
    r"""Gradient (VJP) of :func:`ghm_c_loss`, with the weights held constant (detached).

    .. math::

        \frac{\partial L}{\partial x_i} = \frac{\beta_i}{N}\,\bigl(\sigma(x_i) - t_i\bigr)
    """
    x, t, p, w = _ghm_c_parts(input, target, bins)
    return w * (p - t) * upstream(x, reduction, grad_output)


def _ghm_r_parts(input, target, mu, bins):
    x, y = kit.pair(input, target)
    kit.number(mu, "mu", "(0, inf)")
    xp = namespace(x)
    d = x - y
    root = xp.sqrt(d * d + float(mu) ** 2)
    return x, d, root, ghm_weights(xp.abs(d) / root, bins)


def ghm_r_loss(input, target, *, mu: float = 0.02, bins: int = 10, reduction: str = "mean"):
    r"""GHM-R: the authentic smooth L1 loss weighted by the inverse density of its gradient norm.

    .. math::

        L_{GHM\text{-}R} = \frac1N\sum_i \beta_i\,\mathrm{ASL}_1(d_i),\qquad
        \mathrm{ASL}_1(d) = \sqrt{d^2+\mu^2}-\mu,\quad d = \hat y - y,\quad
        g_i = \frac{|d_i|}{\sqrt{d_i^2+\mu^2}}

    Parameters
    ----------
    input : array_like
        Predictions :math:`\hat y` (box offsets), any shape; :math:`N` is the number of elements.
    target : array_like
        Targets :math:`y`, the shape of ``input``.
    mu : float, default 0.02
        :math:`\mu>0`: quadratic for :math:`|d|\ll\mu`, linear for :math:`|d|\gg\mu`.
    bins : int, default 10
        Number :math:`M` of gradient-norm bins.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        ``'mean'`` is mmdetection's ``GHMR(mu, bins, momentum=0)`` with unit ``label_weight``.

    Returns
    -------
    array
        Scalar, or shaped like ``input``.

    Notes
    -----
    :math:`g=|\partial\mathrm{ASL}_1/\partial d|\in[0,1)` (never 1, unlike smooth L1's
    gradient norm, which is 1 for every outlier and so cannot be binned usefully). The weights
    are batch statistics held constant in the gradient; see :func:`ghm_c_loss`.

    References
    ----------
    Li, Liu & Wang, "Gradient Harmonized Single-stage Detector", AAAI 2019, arXiv:1811.05181.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> lossbook.ghm_r_loss(np.array([0.5, 0.01]), np.zeros(2), reduction="none").round(6)
    array([0.4804  , 0.002361])
    """
    _, d, root, w = _ghm_r_parts(input, target, mu, bins)
    return reduce(w * (root - float(mu)), reduction)


def ghm_r_loss_grad(input, target, *, mu: float = 0.02, bins: int = 10, reduction: str = "mean",
                    grad_output=None):
    r"""Gradient (VJP) of :func:`ghm_r_loss` with respect to the predictions (weights detached).

    .. math::

        \frac{\partial L}{\partial \hat y_i} = \frac{\beta_i}{N}\,\frac{d_i}{\sqrt{d_i^2+\mu^2}}
    """
    x, d, root, w = _ghm_r_parts(input, target, mu, bins)
    return w * (d / root) * upstream(x, reduction, grad_output)


# --- D6 ---------------------------------------------------------------------------------
def poly1_loss(input, target, *, epsilon: float = 1.0, reduction: str = "mean"):
    r"""Poly-1 loss: softmax cross-entropy plus :math:`\epsilon` times its first polynomial term.

    .. math::

        L_{\text{Poly-1}} = -\log p_y + \epsilon\,(1 - p_y),\qquad p = \operatorname{softmax}(z)

    Parameters
    ----------
    input : array_like
        Logits, shape ``(N, C)`` or ``(N, C, d1, ...)``.
    target : array_like
        Class indices, shape ``(N,)`` or ``(N, d1, ...)``.
    epsilon : float, default 1.0
        :math:`\epsilon`; 0 gives cross-entropy, :math:`\epsilon=-1` removes the leading
        polynomial term. The paper's best value is task dependent (positive on ImageNet).
    reduction : {'mean', 'sum', 'none'}, default 'mean'

    Returns
    -------
    array
        Scalar, or shaped like ``target``.

    Notes
    -----
    Cross-entropy is :math:`\sum_{j\ge1}(1-p_y)^j/j`; Poly-1 changes the leading coefficient
    from 1 to :math:`1+\epsilon` (a *vertical* shift), whereas the focal loss shifts all powers
    by :math:`\gamma` (a *horizontal* shift). The sigmoid Poly-1 focal form of the paper's
    detection experiments is :func:`poly1_focal_loss`.

    References
    ----------
    Leng, Tan, Liu, Cubuk, Shi, Cheng & Anguelov, "PolyLoss: A Polynomial Expansion Perspective
    of Classification Loss Functions", ICLR 2022, arXiv:2204.12511.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> z = np.array([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]])
    >>> lossbook.poly1_loss(z, np.array([0, 1]), reduction="none").round(6)
    array([0.455714, 3.855104])
    """
    _multiclass(input, target)
    epsilon = kit.number(epsilon, "epsilon")
    ce = _true_class_ce(input, target)
    return reduce(ce + epsilon * _one_minus_exp(-ce), reduction)


def poly1_loss_grad(input, target, *, epsilon: float = 1.0, reduction: str = "mean", grad_output=None):
    r"""Gradient (VJP) of :func:`poly1_loss` with respect to the logits.

    .. math::

        \frac{\partial L}{\partial z} = (1 + \epsilon\,p_y)\,(p - e_y)
    """
    _multiclass(input, target)
    epsilon = kit.number(epsilon, "epsilon")
    ce = _true_class_ce(input, target)
    py = namespace(ce).exp(-ce)
    g = (1.0 + epsilon * py) * upstream(py, reduction, grad_output)
    return cross_entropy_grad(input, target, reduction="none", grad_output=g)


def poly1_focal_loss(input, target, *, epsilon: float = 1.0, alpha: float = 0.25, gamma: float = 2.0,
                     reduction: str = "mean"):
    r"""Poly-1 focal loss on logits: the sigmoid focal loss plus :math:`\epsilon(1-p_t)^{\gamma+1}`.

    .. math::

        L = -\alpha_t(1-p_t)^{\gamma}\log p_t + \epsilon\,(1-p_t)^{\gamma+1},\qquad
        p_t = \sigma\bigl((2t-1)\,x\bigr)

    Parameters
    ----------
    input : array_like
        Logits, any shape.
    target : array_like
        Labels 0/1, the shape of ``input``.
    epsilon : float, default 1.0
        :math:`\epsilon`, the change of the leading coefficient of the focal polynomial.
    alpha : float or None, default 0.25
        As in :func:`sigmoid_focal_loss`; it multiplies the focal term only (as in the paper's code).
    gamma : float, default 2.0
        Focusing parameter :math:`\gamma\ge0`.
    reduction : {'mean', 'sum', 'none'}, default 'mean'

    Returns
    -------
    array
        Scalar, or shaped like ``input`` for ``reduction='none'``.

    Notes
    -----
    The focal loss is :math:`\sum_{j\ge1}(1-p_t)^{j+\gamma}/j`; the added term changes the
    coefficient of its leading power :math:`(1-p_t)^{\gamma+1}`. The paper's best COCO value
    is negative (:math:`\epsilon=-1`). Computed with :math:`(1-p_t)^{\gamma+1}=e^{-(\gamma+1)\,\mathrm{softplus}(x_t)}`.

    References
    ----------
    Leng et al., "PolyLoss", ICLR 2022, arXiv:2204.12511.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> lossbook.poly1_focal_loss(np.array([0.0]), np.array([1.0]), alpha=None, reduction="none").round(6)
    array([0.298287])
    """
    x, t = _binary(input, target)
    alpha, gamma = _check_alpha(alpha), _check_gamma(gamma)
    epsilon = kit.number(epsilon, "epsilon")
    xp = namespace(x)
    poly = xp.exp(-(gamma + 1.0) * xp.softplus((2.0 * t - 1.0) * x))
    return reduce(_focal_value(x, t, alpha, gamma) + epsilon * poly, reduction)


def poly1_focal_loss_grad(input, target, *, epsilon: float = 1.0, alpha: float = 0.25, gamma: float = 2.0,
                          reduction: str = "mean", grad_output=None):
    r"""Gradient (VJP) of :func:`poly1_focal_loss` with respect to the logits.

    .. math::

        \frac{\partial L}{\partial x} = \frac{\partial FL}{\partial x} - \epsilon\,(\gamma+1)\,s\,p_t\,(1-p_t)^{\gamma+1}
    """
    x, t = _binary(input, target)
    alpha, gamma = _check_alpha(alpha), _check_gamma(gamma)
    epsilon = kit.number(epsilon, "epsilon")
    xp = namespace(x)
    s = 2.0 * t - 1.0
    xt = s * x
    poly = -epsilon * (gamma + 1.0) * s * xp.sigmoid(xt) * xp.exp(-(gamma + 1.0) * xp.softplus(xt))
    return (_focal_derivative(x, t, alpha, gamma) + poly) * upstream(x, reduction, grad_output)


# --- registry entries -------------------------------------------------------------------
def _binary_example(**kwargs):
    return lambda seed: ((real(seed, (3, 5)), zero_ones(seed + 1, (3, 5))), dict(kwargs))


def _multiclass_example(**kwargs):
    return lambda seed: ((real(seed, (6, 4), avoid=()), class_labels(seed + 1, 6, 4, every_class=True)), dict(kwargs))


_CB_COUNTS = (120, 40, 9, 3)


def _cb_example(seed):
    (z, y), _ = _multiclass_example()(seed)
    loss_type = CB_LOSS_TYPES[seed % 3]
    return (z, y), {"samples_per_class": np.array(_CB_COUNTS), "beta": 0.99, "loss_type": loss_type,
                    "gamma": 1.5}


def _ghm_c_example(seed, bins=10):
    """Logits whose gradient norms sit near bin centres (finite differences stay in one bin)."""
    r = rng(seed)
    t = zero_ones(seed + 1, (4, 6))
    # Uneven occupancy: several bins crowded, some empty, so the weights differ.
    centre = r.choice([0, 0, 0, 1, 2, 4, 7, 9], size=t.shape)
    g = (centre + 0.5 + r.uniform(-0.3, 0.3, size=t.shape)) / bins
    p = np.where(t == 1.0, 1.0 - g, g)
    return (np.log(p) - np.log1p(-p), t), {}


def _ghm_r_example(seed, bins=10, mu=0.5):
    """Residuals whose gradient norms sit near bin centres; mu=0.5 keeps them well apart."""
    r = rng(seed)
    centre = r.choice([0, 0, 1, 3, 3, 5, 8, 9], size=(4, 5))
    g = (centre + 0.5 + r.uniform(-0.3, 0.3, size=centre.shape)) / bins
    d = mu * g / np.sqrt(1.0 - g * g) * r.choice([-1.0, 1.0], size=g.shape)
    y = r.normal(size=g.shape)
    return (y + d, y), {"mu": mu}


_LOGIT = Curve("logit x (target 1)", (-6.0, 6.0), call=kit.with_target(1.0))
_TRUE_LOGIT = Curve("true-class logit (others 0, C = 3)", (-6.0, 6.0), call=kit.true_class_logit(3),
                    select=kit.first_column)
_ALPHA = Param("alpha", 0.25, 0.0, 1.0, doc="weight of the positives")
_GAMMA = Param("gamma", 2.0, 0.0, 5.0, doc="focusing parameter")
_FOCAL_PAPER = "Lin, Goyal, Girshick, He & Dollár, Focal Loss for Dense Object Detection, ICCV 2017, arXiv:1708.02002"
_CB_PAPER = ("Cui, Jia, Lin, Song & Belongie, Class-Balanced Loss Based on Effective Number of Samples, "
             "CVPR 2019, arXiv:1901.05555")
_GHM_PAPER = "Li, Liu & Wang, Gradient Harmonized Single-stage Detector, AAAI 2019, arXiv:1811.05181"
_POLY_PAPER = ("Leng, Tan, Liu, Cubuk, Shi, Cheng & Anguelov, PolyLoss: A Polynomial Expansion Perspective "
               "of Classification Loss Functions, ICLR 2022, arXiv:2204.12511")


#: This module's part of the catalog; the registry enrols its SPECS under it.
FAMILY = Family(key="imbalance", title="Imbalance and hard-example losses", part="D",
                chapters=("imbalance",))

_spec = kit.spec_factory(FAMILY, globals())

SPECS = (
    _spec("balanced_cross_entropy", "D1", "平衡交叉熵",
          "F.binary_cross_entropy_with_logits(x, t, weight=alpha_t); torchvision.ops.sigmoid_focal_loss(gamma=0)",
          _FOCAL_PAPER, example=_binary_example(alpha=0.7), params=(_ALPHA,), curve=_LOGIT),
    _spec("sigmoid_focal_loss", "D2", "焦点损失(二分类)",
          "torchvision.ops.sigmoid_focal_loss(x, t, alpha, gamma); keras.losses.BinaryFocalCrossentropy",
          _FOCAL_PAPER, example=_binary_example(alpha=0.3, gamma=1.5), params=(_ALPHA, _GAMMA), curve=_LOGIT),
    _spec("softmax_focal_loss", "D3", "焦点损失(多分类)",
          "F.cross_entropy(z, y, reduction='none') -> p_y = exp(-ce); kornia.losses.focal_loss",
          _FOCAL_PAPER, example=_multiclass_example(alpha=[0.4, 1.0, 2.0, 0.7], gamma=1.5),
          params=(_GAMMA,), curve=_TRUE_LOGIT),
    _spec("class_balanced_loss", "D4", "类别均衡损失",
          "richardaecn/class-balanced-loss (official TF code), transcribed in torch", _CB_PAPER,
          example=_cb_example,
          params=(Param("beta", 0.9999, 0.0, 0.9999, doc="effective-number decay"), _GAMMA,
                  Param("loss_type", "softmax", options=CB_LOSS_TYPES)),
          curve=Curve("true-class logit (others 0; n = 100, 10, 1)", (-6.0, 6.0),
                      call=lambda x, p: (kit.true_class_logit(3)(x, {})[0], {**p, "samples_per_class": [100, 10, 1]}),
                      select=kit.first_column)),
    _spec("ghm_c_loss", "D5", "梯度均衡损失(分类)",
          "mmdet GHMC(bins=10, momentum=0, use_sigmoid=True), transcribed in torch", _GHM_PAPER,
          # the weights are batch statistics: the examples keep every gradient norm near a bin centre
          example=_ghm_c_example, params=(Param("bins", 10, 2, 30),), curve=None),
    _spec("ghm_r_loss", "D5", "梯度均衡损失(回归)",
          "mmdet GHMR(mu=0.02, bins=10, momentum=0), transcribed in torch", _GHM_PAPER,
          example=_ghm_r_example, params=(Param("mu", 0.02, 0.005, 1.0, log=True), Param("bins", 10, 2, 30)),
          curve=None),  # batch-statistic weights, as for ghm_c_loss
    _spec("poly1_loss", "D6", "多项式损失 Poly-1", "F.cross_entropy(z, y) + epsilon * (1 - p_y) (FD only)",
          _POLY_PAPER, example=_multiclass_example(epsilon=2.0),
          params=(Param("epsilon", 1.0, -1.0, 5.0, doc="leading-coefficient shift"),), curve=_TRUE_LOGIT),
    _spec("poly1_focal_loss", "D6", "多项式焦点损失 Poly-1 focal",
          "torchvision sigmoid_focal_loss + epsilon * (1 - p_t)**(gamma + 1) (paper's code)", _POLY_PAPER,
          example=_binary_example(epsilon=-0.5, alpha=0.3, gamma=1.5),
          params=(Param("epsilon", 1.0, -1.0, 5.0, doc="leading-coefficient shift"), _ALPHA, _GAMMA),
          curve=_LOGIT),
)
