r"""Margin-based classification losses (catalog part C).

Each loss is a value function with its ``_grad`` directly below it; ``SPECS`` at the end
registers them. The binary losses take ``(input, target)`` with ``input`` the score
:math:`f` (any real number, not a probability) and ``target`` the label :math:`y\in\{-1,+1\}`,
and are functions of the **margin** :math:`m = y f` alone: :math:`m>0` is a correct decision,
:math:`m<0` a wrong one, and :math:`|f|` the confidence. The logistic loss of the same family
is :func:`lossbook.logistic_loss` (in :mod:`lossbook.losses.information`). Each ``_grad`` is
with respect to ``input`` (the targets are labels).
"""
from __future__ import annotations

import numpy as np

from .. import _kit as kit
from .._backend import namespace
from .._kit import f64, real, rng, signs
from .._reduction import reduce, upstream
from .._spec import Curve, Family, Kink, Param

__all__ = [
    "zero_one_loss", "zero_one_loss_grad", "perceptron_loss", "perceptron_loss_grad",
    "hinge_loss", "hinge_loss_grad", "squared_hinge_loss", "squared_hinge_loss_grad",
    "exponential_loss", "exponential_loss_grad", "hinge_embedding_loss",
    "hinge_embedding_loss_grad", "multi_margin_loss", "multi_margin_loss_grad",
    "multilabel_soft_margin_loss", "multilabel_soft_margin_loss_grad", "multilabel_margin_loss",
    "multilabel_margin_loss_grad", "multiclass_hinge_loss", "multiclass_hinge_loss_grad",
    "categorical_hinge", "categorical_hinge_grad",
]


def _setup(input, target, reduction):
    """Scores, labels in {-1, +1} cast like the scores, and the margin ``y * f``."""
    f, y = kit.pair(input, target, kit.sign_labels, reduction=reduction)
    return f, y, y * f


# --- C1 ---------------------------------------------------------------------------------
def zero_one_loss(input, target, *, reduction: str = "mean"):
    r"""0-1 loss: 1 for a wrong decision, 0 for a right one; a margin of exactly 0 is an error.

    .. math::

        \ell(f, y) = \mathbb 1[\,y f \le 0\,]

    Parameters
    ----------
    input : array_like
        Scores :math:`f`; the decision is :math:`\operatorname{sign}(f)`.
    target : array_like
        Labels in :math:`\{-1, +1\}`, same shape.
    reduction : {'mean', 'sum', 'none'}
        ``'mean'`` is the error rate (1 - accuracy), ``'sum'`` the number of errors.

    Returns
    -------
    array

    Notes
    -----
    The loss we actually care about and the one we cannot train: its gradient is 0 wherever
    it exists and it jumps at :math:`m=0`, so gradient descent never moves. Minimising it
    over linear classifiers is NP-hard; convex *surrogates* (hinge, logistic, exponential)
    upper-bound it and are minimised instead. It is an evaluation metric: the perceptron
    does **not** minimise it (it minimises :func:`perceptron_loss`).

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> lossbook.zero_one_loss(np.array([2.0, -0.5, 0.0]), np.array([1, 1, -1]), reduction="none")
    array([0., 1., 1.])
    """
    f, y, m = _setup(input, target, reduction)
    return reduce(namespace(f).where(m <= 0, 1.0, 0.0, like=f), reduction)


def zero_one_loss_grad(input, target, *, reduction: str = "mean", grad_output=None):
    r"""Gradient of :func:`zero_one_loss`: zero everywhere (also at the jump, by convention).

    .. math::

        \frac{\partial \ell}{\partial f} = 0
    """
    f, y, m = _setup(input, target, reduction)
    return namespace(f).zeros_like(f) * upstream(f, reduction, grad_output)


# --- C2 ---------------------------------------------------------------------------------
def perceptron_loss(input, target, *, reduction: str = "mean"):
    r"""Perceptron criterion: the size of the violation when the decision is wrong.

    .. math::

        \ell(f, y) = \max(0, -y f)

    Parameters
    ----------
    input : array_like
        Scores :math:`f`.
    target : array_like
        Labels in :math:`\{-1, +1\}`, same shape.
    reduction : {'mean', 'sum', 'none'}

    Returns
    -------
    array

    Notes
    -----
    Gradient :math:`-y` on every error *including* :math:`m=0` (Rosenblatt's update rule and
    scikit-learn's ``SGDClassifier(loss='perceptron')``, which update when
    :math:`y f \le 0`): with the ReLU convention (0 at the kink) a model initialised at zero
    would never move. Convex, but not classification-calibrated: :math:`f=0` minimises it.

    References
    ----------
    Rosenblatt, "The perceptron: a probabilistic model for information storage and
    organization in the brain", Psychological Review 65(6), 1958.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> lossbook.perceptron_loss(np.array([2.0, -0.5]), np.array([1.0, 1.0]), reduction="none")
    array([0. , 0.5])
    """
    f, y, m = _setup(input, target, reduction)
    return reduce(namespace(f).maximum(-m, 0.0), reduction)


def perceptron_loss_grad(input, target, *, reduction: str = "mean", grad_output=None):
    r"""Gradient (VJP) of :func:`perceptron_loss`; :math:`-y` at :math:`m = 0` (Rosenblatt, sklearn).

    .. math::

        \frac{\partial \ell}{\partial f} = -y\,\mathbb 1[\,y f \le 0\,]
    """
    f, y, m = _setup(input, target, reduction)
    xp = namespace(f)
    return xp.where(m <= 0, -y, 0.0) * upstream(f, reduction, grad_output)


# --- C3 ---------------------------------------------------------------------------------
def hinge_loss(input, target, *, reduction: str = "mean"):
    r"""Hinge loss of the support vector machine: zero only beyond the margin :math:`y f \ge 1`.

    .. math::

        \ell(f, y) = \max(0, 1 - y f)

    Parameters
    ----------
    input : array_like
        Scores :math:`f` (unbounded: not a probability, not restricted to :math:`[-1, 1]`).
    target : array_like
        Labels in :math:`\{-1, +1\}`, same shape.
    reduction : {'mean', 'sum', 'none'}

    Returns
    -------
    array

    Notes
    -----
    A correct decision still costs something while :math:`0 < y f < 1` (inside the margin).
    **Kink convention**: the gradient at :math:`y f = 1` is :math:`-y` (the left branch), as
    PyTorch's ``(1 - y*f).clamp(min=0)`` and scikit-learn's SGD hinge give; ``relu(1 - y*f)``
    would give 0. Convex and classification-calibrated; the population minimiser is
    :math:`\operatorname{sign}(2p-1)`, so hinge scores carry no probabilities.
    PyTorch's ``HingeEmbeddingLoss`` is a *different* loss (:func:`hinge_embedding_loss`).

    References
    ----------
    Cortes & Vapnik, "Support-vector networks", Machine Learning 20(3), 1995.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> lossbook.hinge_loss(np.array([2.0, 0.5, -1.0]), np.array([1.0, 1.0, 1.0]), reduction="none")
    array([0. , 0.5, 2. ])
    """
    f, y, m = _setup(input, target, reduction)
    return reduce(namespace(f).maximum(1.0 - m, 0.0), reduction)


def hinge_loss_grad(input, target, *, reduction: str = "mean", grad_output=None):
    r"""Gradient (VJP) of :func:`hinge_loss`; :math:`-y` at :math:`y f = 1` (``clamp(min=0)``, sklearn).

    .. math::

        \frac{\partial \ell}{\partial f} = -y\,\mathbb 1[\,y f \le 1\,]
    """
    f, y, m = _setup(input, target, reduction)
    xp = namespace(f)
    return xp.where(m <= 1.0, -y, 0.0) * upstream(f, reduction, grad_output)


# --- C4 ---------------------------------------------------------------------------------
def squared_hinge_loss(input, target, *, reduction: str = "mean"):
    r"""Squared hinge loss: the hinge squared, differentiable everywhere (:math:`C^1`).

    .. math::

        \ell(f, y) = \max(0, 1 - y f)^2

    Parameters
    ----------
    input : array_like
        Scores :math:`f`.
    target : array_like
        Labels in :math:`\{-1, +1\}`, same shape.
    reduction : {'mean', 'sum', 'none'}

    Returns
    -------
    array

    Notes
    -----
    The default loss of scikit-learn's ``LinearSVC`` and Keras's ``SquaredHinge``. Smooth
    (no kink convention needed) but it punishes large violations quadratically, so it is less
    robust to mislabelled points than the hinge.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> lossbook.squared_hinge_loss(np.array([2.0, 0.5, -1.0]), np.array([1.0, 1.0, 1.0]),
    ...                             reduction="none")
    array([0.  , 0.25, 4.  ])
    """
    f, y, m = _setup(input, target, reduction)
    h = namespace(f).maximum(1.0 - m, 0.0)
    return reduce(h * h, reduction)


def squared_hinge_loss_grad(input, target, *, reduction: str = "mean", grad_output=None):
    r"""Gradient (VJP) of :func:`squared_hinge_loss`.

    .. math::

        \frac{\partial \ell}{\partial f} = -2y\,\max(0, 1 - y f)
    """
    f, y, m = _setup(input, target, reduction)
    return -2.0 * y * namespace(f).maximum(1.0 - m, 0.0) * upstream(f, reduction, grad_output)


# --- C5 ---------------------------------------------------------------------------------
def exponential_loss(input, target, *, reduction: str = "mean"):
    r"""Exponential loss, the loss AdaBoost minimises.

    .. math::

        \ell(f, y) = e^{-y f}

    Parameters
    ----------
    input : array_like
        Scores :math:`f`.
    target : array_like
        Labels in :math:`\{-1, +1\}`, same shape.
    reduction : {'mean', 'sum', 'none'}

    Returns
    -------
    array

    Notes
    -----
    Convex and classification-calibrated, with population minimiser
    :math:`f^* = \tfrac12\log\frac{p}{1-p}` (half the log-odds; Friedman, Hastie & Tibshirani
    2000). A wrongly classified point costs :math:`e^{|m|}`: one mislabelled outlier can
    dominate the sum, so it is the least robust of the convex surrogates. The value overflows
    to ``inf`` for :math:`m < -709.78` in float64 (:math:`-88.7` in float32): that is the
    correct value rounded, not a numerical accident.

    References
    ----------
    Freund & Schapire, "A decision-theoretic generalization of on-line learning and an
    application to boosting", JCSS 55(1), 1997. Friedman, Hastie & Tibshirani, "Additive
    logistic regression: a statistical view of boosting", Ann. Statist. 28(2), 2000.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> lossbook.exponential_loss(np.array([0.0, 1.0]), np.array([1.0, -1.0]), reduction="none")
    array([1.        , 2.71828183])
    """
    f, y, m = _setup(input, target, reduction)
    return reduce(namespace(f).exp(-m), reduction)


def exponential_loss_grad(input, target, *, reduction: str = "mean", grad_output=None):
    r"""Gradient (VJP) of :func:`exponential_loss`.

    .. math::

        \frac{\partial \ell}{\partial f} = -y\,e^{-y f}
    """
    f, y, m = _setup(input, target, reduction)
    return -y * namespace(f).exp(-m) * upstream(f, reduction, grad_output)


# --- C6 ---------------------------------------------------------------------------------
def hinge_embedding_loss(input, target, *, margin: float = 1.0, reduction: str = "mean"):
    r"""PyTorch's ``HingeEmbeddingLoss``: pull similar pairs' distances down, push dissimilar ones past ``margin``.

    .. math::

        \ell(x, y) = \begin{cases} x & y = 1 \\ \max(0, \Delta - x) & y = -1 \end{cases}

    Parameters
    ----------
    input : array_like
        :math:`x`, typically a **distance** between two embeddings (e.g. :math:`\lVert a-b\rVert_1`),
        not a classifier score.
    target : array_like
        :math:`y=1` for a similar pair, :math:`-1` for a dissimilar one; same shape.
    margin : float, default 1.0
        :math:`\Delta`.
    reduction : {'mean', 'sum', 'none'}

    Returns
    -------
    array

    Notes
    -----
    Despite its name this is **not** the SVM hinge :math:`\max(0, 1-yf)` (:func:`hinge_loss`):
    for :math:`y=1` it is the distance itself, and only the dissimilar branch is a hinge, on
    :math:`\Delta - x`. It is a metric-learning loss, a relative of the contrastive loss.
    At the kink :math:`x=\Delta` (:math:`y=-1`) the gradient is :math:`-1`, as PyTorch's
    ``clamp_min`` gives.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> lossbook.hinge_embedding_loss(np.array([0.3, 0.3, 2.0]), np.array([1.0, -1.0, -1.0]),
    ...                               reduction="none")
    array([0.3, 0.7, 0. ])
    """
    delta = kit.number(margin, "margin")
    x, y, _ = _setup(input, target, reduction)
    xp = namespace(x)
    return reduce(xp.where(y > 0, x, xp.maximum(delta - x, 0.0)), reduction)


def hinge_embedding_loss_grad(input, target, *, margin: float = 1.0, reduction: str = "mean",
                              grad_output=None):
    r"""Gradient (VJP) of :func:`hinge_embedding_loss`; :math:`-1` at :math:`x=\Delta` for :math:`y=-1`.

    .. math::

        \frac{\partial \ell}{\partial x} = \begin{cases} 1 & y = 1 \\
        -\mathbb 1[\,x \le \Delta\,] & y = -1 \end{cases}
    """
    delta = kit.number(margin, "margin")
    x, y, _ = _setup(input, target, reduction)
    xp = namespace(x)
    d = xp.where(y > 0, 1.0, xp.where(x <= delta, -1.0, 0.0, like=x), like=x)
    return d * upstream(x, reduction, grad_output)


# --- C7 ---------------------------------------------------------------------------------
def _multi_margin_setup(input, target, p, margin, weight, reduction):
    kit.check_reduction(reduction)
    kit.choice(p, "p", (1, 2))
    delta = kit.number(margin, "margin")
    z = kit.nonempty(kit.floating(input, "input"), "input")
    kit.has_ndim(z, "input", "(N, C) or (C,)", allowed=(1, 2))
    xp = namespace(z)
    ax = kit.class_axis(z)
    n_classes = z.shape[ax]
    t = kit.class_targets(z, target, n_classes, tuple(z.shape[:ax]),
                          hint=" (one class index per row of input)")
    onehot = xp.one_hot(t, n_classes, z)
    z_y = xp.sum(onehot * z, axis=-1, keepdims=True)
    h = xp.maximum(delta - z_y + z, 0.0) * (1.0 - onehot)     # the j = y term is excluded
    w_y = 1.0
    if weight is not None:
        w = kit.aux_array(weight, "weight", z, shape=(n_classes,), nonnegative=True)
        w_y = xp.sum(onehot * w, axis=-1, keepdims=True)
    return z, onehot, h, w_y, n_classes, delta


def multi_margin_loss(input, target, *, p: int = 1, margin: float = 1.0, weight=None,
                      reduction: str = "mean"):
    r"""Multi-class hinge loss (Weston–Watkins form, PyTorch's ``MultiMarginLoss``).

    .. math::

        \ell_i = \frac{w_{y_i}}{C} \sum_{j \ne y_i} \max\bigl(0, \Delta - z_{i,y_i} + z_{i,j}\bigr)^p

    Parameters
    ----------
    input : array_like
        Class scores :math:`z`, shape ``(N, C)`` or ``(C,)``.
    target : array_like
        Integer class indices, shape ``(N,)`` or ``()``.
    p : {1, 2}, default 1
        Power of each hinge (2 is the squared form).
    margin : float, default 1.0
        :math:`\Delta`.
    weight : array_like, optional
        Class weights, shape ``(C,)``; the weight of the *true* class multiplies the row.
    reduction : {'mean', 'sum', 'none'}
        ``'mean'`` divides by :math:`N` (not by :math:`\sum w`).

    Returns
    -------
    array

    Notes
    -----
    Every wrong class whose score comes within :math:`\Delta` of the true one contributes.
    PyTorch divides by :math:`C` (not :math:`C-1`); Crammer & Singer use :math:`\max_{j\ne y}`
    instead of the sum. **Kink convention**: a hinge exactly at 0 contributes no gradient
    (PyTorch's kernel tests ``> 0``), unlike :func:`hinge_loss`.

    References
    ----------
    Weston & Watkins, "Support vector machines for multi-class pattern recognition",
    ESANN 1999. Crammer & Singer, JMLR 2, 2001.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> z = np.array([[0.1, 0.2, 0.4], [2.0, -1.0, 0.5]])
    >>> lossbook.multi_margin_loss(z, np.array([1, 0]), reduction="none").round(6)
    array([0.7, 0. ])
    """
    z, onehot, h, w_y, n_classes, _ = _multi_margin_setup(input, target, p, margin, weight, reduction)
    xp = namespace(z)
    terms = h if p == 1 else h * h
    loss = xp.sum(terms * w_y, axis=-1) / n_classes
    return reduce(loss, reduction)


def multi_margin_loss_grad(input, target, *, p: int = 1, margin: float = 1.0, weight=None,
                           reduction: str = "mean", grad_output=None):
    r"""Gradient (VJP) of :func:`multi_margin_loss`; active hinges are those strictly above 0.

    .. math::

        \frac{\partial \ell_i}{\partial z_{i,j}} = \frac{w_{y_i}}{C}\, g_j \ (j\ne y_i),\qquad
        \frac{\partial \ell_i}{\partial z_{i,y_i}} = -\frac{w_{y_i}}{C}\sum_{j\ne y_i} g_j,\qquad
        g_j = \begin{cases} \mathbb 1[h_j > 0] & p = 1\\ 2h_j & p = 2 \end{cases}

    with :math:`h_j=\max(0,\Delta - z_{i,y_i} + z_{i,j})`.
    """
    z, onehot, h, w_y, n_classes, _ = _multi_margin_setup(input, target, p, margin, weight, reduction)
    xp = namespace(z)
    g = xp.where(h > 0, 1.0, 0.0, like=z) if p == 1 else 2.0 * h
    g = g * w_y / n_classes
    d = g - onehot * xp.sum(g, axis=-1, keepdims=True)
    up = upstream(xp.sum(h, axis=-1), reduction, grad_output)
    return d * xp.reshape(up, tuple(up.shape) + (1,))


# --- C+: the multi-label and multi-class margin losses of PyTorch and Keras (issue 17) -----
def _mlsm_setup(input, target, weight, reduction):
    x, t = kit.pair(input, target, kit.probabilities, reduction=reduction)
    kit.has_ndim(x, "input", "(N, C) or (C,)", at_least=1)
    w = None if weight is None else kit.aux_array(weight, "weight", x)
    return x, t, w, x.shape[-1]


def multilabel_soft_margin_loss(input, target, *, weight=None, reduction: str = "mean"):
    r"""Multi-label soft-margin loss: a logistic loss per class, averaged over the classes.

    .. math::

        \ell_n = -\frac1C\sum_{c=1}^{C} w_c\bigl[y_{nc}\log\sigma(x_{nc})
        + (1 - y_{nc})\log\sigma(-x_{nc})\bigr]

    Parameters
    ----------
    input : array_like
        Scores :math:`x`, shape ``(N, C)`` or ``(C,)`` (the classes on the last axis).
    target : array_like
        :math:`y\in\{0,1\}` per class (probabilities are accepted), shaped like ``input``.
    weight : array_like, optional
        Per-class weights :math:`w_c`, broadcast against ``input`` (usually shape ``(C,)``).
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        Over the :math:`N` samples (``'none'`` gives one value per sample).

    Returns
    -------
    array

    Notes
    -----
    It is ``binary_cross_entropy_with_logits(x, y, weight, reduction='none').mean(-1)``:
    :math:`C` independent binary problems, one per label, so a sample may have any number of
    labels. The ``'mean'`` is over samples of class-means, which equals the BCE's mean over
    all elements when there is no weight. Computed as :math:`\operatorname{softplus}(x) - yx`
    (stable for large :math:`|x|`).

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> x, y = np.array([[0.0, 2.0]]), np.array([[1.0, 0.0]])
    >>> lossbook.multilabel_soft_margin_loss(x, y, reduction="none").round(6)
    array([1.410038])
    """
    x, t, w, n_classes = _mlsm_setup(input, target, weight, reduction)
    xp = namespace(x)
    terms = xp.softplus(x) - t * x
    if w is not None:
        terms = terms * w
    return reduce(xp.sum(terms, axis=-1) / n_classes, reduction)


def multilabel_soft_margin_loss_grad(input, target, *, weight=None, reduction: str = "mean",
                                     grad_output=None):
    r"""Gradient (VJP) of :func:`multilabel_soft_margin_loss` with respect to ``input``.

    .. math::

        \frac{\partial\ell_n}{\partial x_{nc}} = \frac{w_c}{C}\bigl(\sigma(x_{nc}) - y_{nc}\bigr)
    """
    x, t, w, n_classes = _mlsm_setup(input, target, weight, reduction)
    xp = namespace(x)
    d = (xp.sigmoid(x) - t) / n_classes
    if w is not None:
        d = d * w
    up = upstream(xp.sum(d, axis=-1), reduction, grad_output)
    return d * xp.reshape(up, tuple(up.shape) + (1,))


def _mlm_setup(input, target, reduction):
    kit.check_reduction(reduction)
    x = kit.nonempty(kit.floating(input, "input"), "input")
    kit.has_ndim(x, "input", "(N, C) or (C,)", allowed=(1, 2))
    n_classes = x.shape[-1]
    t = kit.same_kind(x, kit.labels(target, "target", n_classes, ignore_index=-1), "input", "target")
    kit.has_shape(t, "target", tuple(x.shape), " (class indices padded with -1)")
    rows = kit.to_numpy(t).reshape(-1, n_classes)
    counts = np.zeros(rows.shape)
    for r, row in enumerate(rows):
        for label in row:
            if label < 0:
                break                      # the targets end at the first -1
            counts[r, label] += 1.0
    xp = namespace(x)
    z = xp.reshape(x, (rows.shape[0], n_classes))
    cnt = kit.cast_like(counts, z, "target")
    other = kit.cast_like((counts == 0).astype(np.float64), z, "target")
    # h[r, j, i] = max(0, 1 - (z_j - z_i)) for a target class j and a non-target class i
    pair = cnt[:, :, None] * other[:, None, :]
    h = xp.maximum(1.0 - z[:, :, None] + z[:, None, :], 0.0) * pair
    return x, z, h, pair, n_classes, xp


def multilabel_margin_loss(input, target, *, reduction: str = "mean"):
    r"""Multi-label margin loss (PyTorch's ``MultiLabelMarginLoss``): every target class should
    beat every other class by a margin of 1.

    .. math::

        \ell_n = \frac1C\sum_{j\in Y_n}\sum_{i\notin Y_n}\max\bigl(0,\ 1 - (x_{nj} - x_{ni})\bigr)

    Parameters
    ----------
    input : array_like
        Scores, shape ``(N, C)`` or ``(C,)``.
    target : array_like
        Integers, shaped like ``input``: the target classes :math:`Y_n` of each sample
        first, then ``-1``; everything from the first ``-1`` on is ignored
        (``[3, 0, -1, 1]`` means :math:`Y = \{3, 0\}`).
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        Over the :math:`N` samples.

    Returns
    -------
    array

    Notes
    -----
    A ranking loss: the pairs (target, non-target) are hinged, as in :func:`multi_margin_loss`,
    and like there the sum is divided by :math:`C`. **Kink convention**: a hinge exactly at 0
    gives no gradient (PyTorch's kernel tests ``> 0``). A class listed twice counts twice, as
    in PyTorch's loop.

    References
    ----------
    Crammer & Singer, "A family of additive online algorithms for category ranking", JMLR 3,
    2003.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> x = np.array([[0.1, 0.2, 0.4, 0.8]])
    >>> y = np.array([[3, 0, -1, 1]])
    >>> lossbook.multilabel_margin_loss(x, y, reduction="none").round(6)
    array([0.85])
    """
    x, z, h, pair, n_classes, xp = _mlm_setup(input, target, reduction)
    loss = xp.sum(xp.sum(h, axis=-1), axis=-1) / n_classes
    return reduce(xp.reshape(loss, tuple(x.shape[:-1])), reduction)


def multilabel_margin_loss_grad(input, target, *, reduction: str = "mean", grad_output=None):
    r"""Gradient (VJP) of :func:`multilabel_margin_loss`; a hinge at exactly 0 is inactive.

    .. math::

        \frac{\partial\ell_n}{\partial x_{nj}} = -\frac1C\,\#\{i\notin Y_n: h_{ji} > 0\}
        \ (j\in Y_n),\qquad
        \frac{\partial\ell_n}{\partial x_{ni}} = \frac1C\,\#\{j\in Y_n: h_{ji} > 0\}
        \ (i\notin Y_n)
    """
    x, z, h, pair, n_classes, xp = _mlm_setup(input, target, reduction)
    active = xp.where(h > 0, 1.0, 0.0, like=z) * pair / n_classes
    d = xp.sum(active, axis=1) - xp.sum(active, axis=2)
    up = upstream(xp.reshape(d[:, 0], tuple(x.shape[:-1])), reduction, grad_output)
    return xp.reshape(d * xp.reshape(up, (z.shape[0], 1)), tuple(x.shape))


def _cs_setup(input, target, margin, reduction):
    kit.check_reduction(reduction)
    delta = kit.number(margin, "margin")
    z = kit.nonempty(kit.floating(input, "input"), "input")
    kit.has_ndim(z, "input", "(N, C) or (C,)", allowed=(1, 2))
    n_classes = z.shape[-1]
    if n_classes < 2:
        raise ValueError(f"input must have at least 2 classes on its last axis, got {n_classes}")
    t = kit.class_targets(z, target, n_classes, tuple(z.shape[:-1]),
                          hint=" (one class index per row of input)")
    xp = namespace(z)
    onehot = xp.one_hot(t, n_classes, z)
    z_y = xp.sum(onehot * z, axis=-1)
    wrong = xp.where(onehot > 0, xp.full_like(z, -np.inf), z)
    runner_up = xp.one_hot(xp.argmax(wrong, axis=-1), n_classes, z)   # ties: the first index
    h = xp.maximum(delta + xp.sum(runner_up * z, axis=-1) - z_y, 0.0)
    return z, onehot, runner_up, h, xp


def multiclass_hinge_loss(input, target, *, margin: float = 1.0, reduction: str = "mean"):
    r"""Crammer–Singer multi-class hinge: only the best wrong class must stay ``margin`` below.

    .. math::

        \ell_n = \max\Bigl(0,\ \Delta + \max_{j\ne y_n} z_{nj} - z_{n y_n}\Bigr)

    Parameters
    ----------
    input : array_like
        Class scores :math:`z`, shape ``(N, C)`` or ``(C,)``, :math:`C \ge 2`.
    target : array_like
        Integer class indices, shape ``(N,)`` or ``()``.
    margin : float, default 1.0
        :math:`\Delta`.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        Over the :math:`N` samples.

    Returns
    -------
    array

    Notes
    -----
    :func:`multi_margin_loss` (Weston–Watkins, PyTorch) *sums* the hinges of all wrong
    classes and divides by :math:`C`; Crammer–Singer keeps the largest one, undivided.
    ``sklearn.metrics.hinge_loss`` with more than two classes is this loss (``margin=1``,
    ``'mean'``). Keras's ``categorical_hinge`` is close but not equal: see
    :func:`categorical_hinge`. **Kink convention**: a hinge exactly at 0 is inactive, as in
    :func:`multi_margin_loss`; ties between wrong classes go to the first.

    References
    ----------
    Crammer & Singer, "On the algorithmic implementation of multiclass kernel-based vector
    machines", JMLR 2, 2001.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> z = np.array([[0.1, 0.2, 0.4], [2.0, -1.0, 0.5]])
    >>> lossbook.multiclass_hinge_loss(z, np.array([1, 0]), reduction="none").round(6)
    array([1.2, 0. ])
    """
    z, onehot, runner_up, h, xp = _cs_setup(input, target, margin, reduction)
    return reduce(h, reduction)


def multiclass_hinge_loss_grad(input, target, *, margin: float = 1.0, reduction: str = "mean",
                               grad_output=None):
    r"""Gradient (VJP) of :func:`multiclass_hinge_loss`: +1 on the best wrong class, -1 on the
    true one, where the hinge is active (:math:`h > 0`).

    .. math::

        \frac{\partial\ell_n}{\partial z_n} = \mathbb 1[h_n > 0]\,\bigl(e_{j^*} - e_{y_n}\bigr),
        \qquad j^* = \arg\max_{j\ne y_n} z_{nj}
    """
    z, onehot, runner_up, h, xp = _cs_setup(input, target, margin, reduction)
    active = xp.where(h > 0, 1.0, 0.0, like=z) * upstream(h, reduction, grad_output)
    return (runner_up - onehot) * xp.reshape(active, tuple(active.shape) + (1,))


def _ch_setup(input, target, reduction):
    x, t = kit.pair(input, target, kit.probabilities, reduction=reduction)
    kit.has_ndim(x, "input", "(N, C) or (C,)", at_least=1)
    xp = namespace(x)
    masked = (1.0 - t) * x
    top = xp.one_hot(xp.argmax(masked, axis=-1), x.shape[-1], x)          # ties: the first
    h = xp.maximum(xp.sum(top * masked, axis=-1) - xp.sum(t * x, axis=-1) + 1.0, 0.0)
    return x, t, top, h, xp


def categorical_hinge(input, target, *, reduction: str = "mean"):
    r"""Keras's categorical hinge: the best *masked* wrong score against the true score.

    .. math::

        \ell_n = \max\bigl(0,\ \mathrm{neg}_n - \mathrm{pos}_n + 1\bigr),\qquad
        \mathrm{pos}_n = \sum_c y_{nc} z_{nc},\quad \mathrm{neg}_n = \max_c\,(1 - y_{nc})\,z_{nc}

    Parameters
    ----------
    input : array_like
        Scores :math:`z` (Keras's ``y_pred``), classes on the last axis.
    target : array_like
        One-hot targets :math:`y` (Keras's ``y_true``; entries in [0, 1]), shaped like
        ``input``.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        Over the samples; ``'mean'`` is Keras's default ``sum_over_batch_size``.

    Returns
    -------
    array

    Notes
    -----
    The argument order is PyTorch's (prediction first): Keras's
    ``categorical_hinge(y_true, y_pred)`` is ``categorical_hinge(y_pred, y_true)`` here.
    With one-hot :math:`y` the true class enters the max as :math:`0\cdot z_y = 0`, so
    :math:`\mathrm{neg} = \max(0, \max_{j\ne y} z_j)`: this equals
    :func:`multiclass_hinge_loss` (Crammer–Singer) only when some wrong score is
    non-negative; when all wrong scores are negative Keras still compares :math:`z_y` with 0.
    **Kink convention**: a hinge exactly at 0 is inactive (TensorFlow's ``maximum`` would
    pass the gradient there); ties in the max go to the first class.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> z = np.array([[-1.0, -2.0, 0.5], [-1.0, -2.0, 0.5]])
    >>> y = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    >>> lossbook.categorical_hinge(z, y, reduction="none")
    array([0.5, 2.5])
    """
    x, t, top, h, xp = _ch_setup(input, target, reduction)
    return reduce(h, reduction)


def categorical_hinge_grad(input, target, *, reduction: str = "mean", grad_output=None):
    r"""Gradient (VJP) of :func:`categorical_hinge` with respect to ``input``.

    .. math::

        \frac{\partial\ell_n}{\partial z_n} = \mathbb 1[\ell_n > 0]\,
        \bigl((1 - y_{nc^*})\,e_{c^*} - y_n\bigr),\qquad c^* = \arg\max_c (1 - y_{nc}) z_{nc}
    """
    x, t, top, h, xp = _ch_setup(input, target, reduction)
    active = xp.where(h > 0, 1.0, 0.0, like=x) * upstream(h, reduction, grad_output)
    return (top * (1.0 - t) - t) * xp.reshape(active, tuple(active.shape) + (1,))


# --- registry entries -------------------------------------------------------------------
def _binary(avoid_margins=(0.0,), low=-3.0, high=3.0, **kwargs):
    """Scores whose margins y*f stay ``gap`` away from the kinks, and labels in {-1, +1}."""
    def example(seed):
        y = signs(seed + 1, (4, 5))
        m = real(seed, (4, 5), low, high, avoid=avoid_margins, gap=0.05)
        return (m * y, y), dict(kwargs)
    return example


def _binary_extreme(seed):
    y = signs(seed + 1, (3, 4))
    return (real(seed, (3, 4), -1.0, 1.0) * 1e4 * y, y), {}


def _exponential_extreme(seed):
    """|m| up to 700 (e^700 ~ 1e304): beyond ~709.78 the value itself is not a float64."""
    y = signs(seed + 1, (2, 3))
    return (np.array([[700.0, -700.0, 30.0], [-650.0, 1e4, 0.5]]) * y, y), {"reduction": "none"}


def _hel_example(seed):
    x = real(seed, (4, 5), 0.05, 3.0, avoid=(1.5,))
    return (x, signs(seed + 1, (4, 5))), {"margin": 1.5}


def _mm_example(seed):
    case = seed % 3
    z = real(seed, (6, 4), -2.0, 2.0, avoid=())
    y = rng(seed).integers(0, 4, size=6)
    kwargs = [{}, {"p": 2, "margin": 1.5}, {"weight": rng(seed + 1).uniform(0.3, 2.0, size=4)}][case]
    # keep every hinge away from its kink at 0
    delta = kwargs.get("margin", 1.0)
    zy = z[np.arange(6), y][:, None]
    h = delta - zy + z
    z = np.where((np.abs(h) < 0.05) & (np.arange(4) != y[:, None]), z + 0.1, z)
    return (z, y), kwargs


def _mlsm_example(seed):
    x = real(seed, (4, 5), -3.0, 3.0, avoid=())
    y = kit.zero_ones(seed + 1, (4, 5))
    return (x, y), ({"weight": rng(seed + 2).uniform(0.3, 2.0, size=5)} if seed % 2 else {})


def _mlm_example(seed, n=4, c=5, gap=0.05):
    """Scores and padded target lists (1 to 3 classes, then -1, then junk PyTorch ignores),
    every (target, non-target) hinge at least ``gap`` away from 0."""
    g = rng(seed)
    xs, ys = [], []
    while len(xs) < n:
        x = g.uniform(-1.5, 1.5, size=c)
        k = int(g.integers(1, 4))
        chosen = g.permutation(c)[:k]
        mask = np.zeros(c, dtype=bool)
        mask[chosen] = True
        h = 1.0 - x[mask][:, None] + x[~mask][None, :]
        if np.all(np.abs(h) > gap):
            y = np.full(c, -1)
            y[:k] = chosen
            if k + 1 < c:
                y[k + 1:] = g.integers(0, c, size=c - k - 1)
            xs.append(x)
            ys.append(y)
    return (np.stack(xs), np.stack(ys).astype(np.int64)), {}


def _cs_example(seed, n=6, c=4, gap=0.05):
    """Scores, labels and a margin with every hinge and the runner-up gap away from the kinks."""
    g = rng(seed)
    margin = [1.0, 0.5][seed % 2]
    zs, ys = [], []
    while len(zs) < n:
        z, y = g.uniform(-2.0, 2.0, size=c), int(g.integers(0, c))
        wrong = np.sort(np.delete(z, y))
        if abs(margin + wrong[-1] - z[y]) > gap and wrong[-1] - wrong[-2] > gap:
            zs.append(z)
            ys.append(y)
    return (np.stack(zs), np.array(ys)), ({} if margin == 1.0 else {"margin": margin})


def _ch_example(seed, n=6, c=4, gap=0.05):
    """Scores and one-hot targets away from the kinks; some rows with every wrong score
    negative (where Keras's max picks the masked 0)."""
    g = rng(seed)
    zs, ys = [], []
    while len(zs) < n:
        z, y = g.uniform(-2.0, 2.0, size=c), np.eye(c)[int(g.integers(0, c))]
        if len(zs) % 3 == 0:
            z = np.where(y > 0, z, -np.abs(z) - 0.1)
        masked = np.sort((1.0 - y) * z)
        if abs(masked[-1] - np.sum(y * z) + 1.0) > gap and masked[-1] - masked[-2] > gap:
            zs.append(z)
            ys.append(y)
    return (np.stack(zs), np.stack(ys)), {}


#: This module's part of the catalog; the registry enrols its SPECS under it.
FAMILY = Family(key="margin", title="Margin-based losses", part="C",
                chapters=("margin_losses",))

_spec = kit.spec_factory(FAMILY, globals(), extreme=_binary_extreme,
                         curve=Curve("margin m = y f (y = +1)", (-3.0, 3.0), call=kit.with_target(1.0)))

SPECS = (
    _spec("zero_one_loss", "C1", "0-1 损失", "sklearn.metrics.zero_one_loss(y, sign(f))",
          example=_binary(),
          kinks=(Kink((f64([0.0, 0.0]), f64([1.0, -1.0])), {}, f64([0.0, 0.0]),
                      "zero gradient everywhere, also at m = 0 (which counts as an error)"),)),
    _spec("perceptron_loss", "C2", "感知机损失", "none (sklearn Perceptron for behaviour only)",
          "Rosenblatt, Psychological Review 1958", example=_binary(),
          kinks=(Kink((f64([0.0, 0.0]), f64([1.0, -1.0])), {"reduction": "sum"}, f64([-1.0, 1.0]),
                      "-y at m = 0: Rosenblatt's rule and sklearn SGDClassifier update when y f <= 0"),)),
    _spec("hinge_loss", "C3", "合页损失(铰链损失)",
          "(1 - y*f).clamp(min=0) in torch; sklearn.metrics.hinge_loss; 2 * F.multi_margin_loss on [0, f]",
          "Cortes & Vapnik, Support-vector networks, Machine Learning 1995",
          example=_binary(avoid_margins=(1.0,)),
          kinks=(Kink((f64([1.0, -1.0]), f64([1.0, -1.0])), {"reduction": "sum"}, f64([-1.0, 1.0]),
                      "-y at y f = 1 (PyTorch's (1 - y*f).clamp(min=0), sklearn's SGD hinge)"),)),
    _spec("squared_hinge_loss", "C4", "平方合页损失",
          "2 * F.multi_margin_loss(p=2) on the two-class scores [0, f]; keras.losses.SquaredHinge",
          in_seeds=False, example=_binary(avoid_margins=(1.0,))),
    _spec("exponential_loss", "C5", "指数损失", "none (sklearn GradientBoostingClassifier(loss='exponential') for behaviour)",
          "Freund & Schapire, JCSS 1997; Friedman, Hastie & Tibshirani, Ann. Statist. 2000",
          example=_binary(avoid_margins=()), extreme=_exponential_extreme),
    _spec("hinge_embedding_loss", "C6", "HingeEmbedding 损失", "torch.nn.functional.hinge_embedding_loss",
          example=_hel_example, params=(Param("margin", 1.0, 0.1, 3.0),),
          curve=Curve("input x, a distance (dissimilar pair, y = -1)", (0.0, 3.0),
                      call=kit.with_target(-1.0)),
          kinks=(Kink((f64([1.0, 1.0]), f64([-1.0, 1.0])), {"reduction": "sum"}, f64([-1.0, 1.0]),
                      "-1 at x = margin for y = -1 (PyTorch's clamp_min is inclusive)"),)),
    _spec("multi_margin_loss", "C7", "多分类合页损失", "torch.nn.functional.multi_margin_loss",
          "Weston & Watkins, ESANN 1999; Crammer & Singer, JMLR 2001", in_seeds=False,
          example=_mm_example, extreme=lambda seed: ((real(seed, (3, 4)) * 1e4, np.array([0, 3, 1])), {}),
          params=(Param("margin", 1.0, 0.1, 3.0), Param("p", 1, options=(1, 2))),
          curve=Curve("score of the true class (the two others are 0)", (-3.0, 3.0),
                      call=kit.true_class_logit(3), select=kit.first_column),
          kinks=(Kink((f64([[0.0, 1.0, -0.5]]), np.array([1])), {"reduction": "sum"},
                      f64([[0.0, 0.0, 0.0]]),
                      "a hinge exactly at 0 is inactive (PyTorch's kernel tests > 0)"),)),
    # --- C+: multi-label and multi-class margin losses (issue 17) ---
    _spec("multilabel_soft_margin_loss", "C+", "多标签软间隔损失",
          "torch.nn.functional.multilabel_soft_margin_loss", in_seeds=False, example=_mlsm_example,
          extreme=lambda seed: ((real(seed, (3, 4)) * 1e4, kit.zero_ones(seed, (3, 4))), {}),
          curve=Curve("score x of a one-class sample with label 1", (-6.0, 6.0),
                      call=lambda x, p: ((x[:, None], np.ones((x.size, 1))), dict(p)),
                      select=kit.first_column)),
    _spec("multilabel_margin_loss", "C+", "多标签间隔损失", "torch.nn.functional.multilabel_margin_loss",
          "Crammer & Singer, A family of additive online algorithms for category ranking, JMLR 2003",
          in_seeds=False, example=_mlm_example, curve=None,
          extreme=lambda seed: ((real(seed, (2, 4)) * 1e4, np.array([[0, 2, -1, 1], [3, -1, 0, 0]])), {}),
          kinks=(Kink((f64([[1.0, 0.0, 0.5]]), np.array([[0, 2, -1]])), {"reduction": "sum"},
                      f64([[0.0, 1.0 / 3.0, -1.0 / 3.0]]),
                      "the hinge exactly at 0 (class 0 over class 1) is inactive (PyTorch's kernel tests > 0)"),)),
    _spec("multiclass_hinge_loss", "C+", "Crammer–Singer 多分类合页损失",
          "relu(margin + max_{j != y} z_j - z_y) in torch; sklearn.metrics.hinge_loss (multi-class)",
          "Crammer & Singer, JMLR 2, 2001", in_seeds=False, aliases=("crammer_singer_loss",),
          example=_cs_example, params=(Param("margin", 1.0, 0.1, 3.0),),
          extreme=lambda seed: ((real(seed, (3, 4)) * 1e4, np.array([0, 3, 1])), {}),
          curve=Curve("score of the true class (the two others are 0)", (-3.0, 3.0),
                      call=kit.true_class_logit(3), select=kit.first_column),
          kinks=(Kink((f64([[0.0, 1.0, -0.5]]), np.array([1])), {"reduction": "sum"},
                      f64([[0.0, 0.0, 0.0]]), "a hinge exactly at 0 is inactive, as in multi_margin_loss"),)),
    _spec("categorical_hinge", "C+", "分类合页损失 (Keras)",
          "keras.losses.categorical_hinge(y_true, y_pred) (Keras 3 formula, transcribed)",
          in_seeds=False, example=_ch_example, curve=None,
          extreme=lambda seed: ((real(seed, (3, 4)) * 1e4, np.eye(4)[[0, 3, 1]]), {}),
          kinks=(Kink((f64([[0.5, 1.5, -1.0]]), f64([[0.0, 1.0, 0.0]])), {"reduction": "sum"},
                      f64([[0.0, 0.0, 0.0]]), "a hinge exactly at 0 is inactive"),)),
)
