r"""Information-theoretic and probabilistic classification losses (catalog part B).

Each loss is a value function with its ``_grad`` directly below it; ``SPECS`` at the end
registers them. Semantics are PyTorch's (``torch.nn.functional``): the class axis is axis 1
(``(N, C)`` or ``(N, C, d1, ...)`` inputs; an unbatched ``(C,)`` input is accepted too),
``cross_entropy`` takes **logits**, ``nll_loss`` and ``kl_div`` take **log-probabilities**,
``binary_cross_entropy`` takes probabilities and ``binary_cross_entropy_with_logits`` logits.
Targets are treated as constants: every ``_grad`` returns the gradient with respect to
``input`` only.
"""
from __future__ import annotations

import math

import numpy as np

from .. import _kit as kit
from .._backend import Numpy, is_torch, namespace
from .._kit import class_axis, class_labels, expand_classes, f64, real, rng, signs
from .._reduction import reduce, upstream
from .._spec import Curve, Family, Kink, Param
from ..activations import _sparsemax_example, sparsemax

__all__ = [
    "entropy", "entropy_grad", "cross_entropy", "cross_entropy_grad", "nll_loss", "nll_loss_grad",
    "kl_div", "kl_div_grad", "binary_cross_entropy", "binary_cross_entropy_grad",
    "binary_cross_entropy_with_logits", "binary_cross_entropy_with_logits_grad",
    "logistic_loss", "logistic_loss_grad", "sparsemax_loss", "sparsemax_loss_grad",
]

#: PyTorch's ``BCELoss`` clamps each log at -100 (so one wrong certain prediction costs 100).
BCE_LOG_CLAMP = -100.0
#: PyTorch's ``BCELoss`` backward divides by ``max(p(1-p), EPSILON)`` with a *float32*
#: ``EPSILON = 1e-12f``, i.e. 9.999999960041972e-13 (so ``p=0, t=1`` gives -1000000003995.8).
BCE_GRAD_EPS = 9.999999960041972e-13


def _unsqueeze(a, axis: int):
    """Insert a length-1 axis at ``axis`` (to broadcast per-sample values along classes)."""
    shape = tuple(a.shape)
    return namespace(a).reshape(a, shape[:axis] + (1,) + shape[axis:])


# --- shared machinery of cross_entropy and nll_loss ------------------------------------
def _check_logits(input):
    x = kit.nonempty(kit.floating(input, "input"), "input")
    return kit.has_ndim(x, "input", "(C,), (N, C) or (N, C, d1, ...) (a class axis)", at_least=1)


def _index_target(x, target, weight, ignore_index: int, label_smoothing: float):
    r"""The effective weighted targets ``u`` (shaped like ``x``) and the ``'mean'`` denominator.

    .. math::

        u_c = (1-\varepsilon)\,w_{y}\,\delta_{c y} + \frac{\varepsilon}{C}\,w_c,
        \qquad u = 0 \text{ for ignored samples},

    so that the per-sample loss is :math:`-\sum_c u_c \log p_c` and the ``'mean'``
    denominator is :math:`\sum_{i\ \text{not ignored}} w_{y_i}` (PyTorch).
    """
    xp = namespace(x)
    ax = class_axis(x)
    n_classes = x.shape[ax]
    ignore_index = kit.number(ignore_index, "ignore_index", integer=True)
    t = kit.class_targets(x, target, n_classes, tuple(x.shape[:ax]) + tuple(x.shape[ax + 1:]),
                          ignore_index=ignore_index,
                          hint=f" (input's shape without the class axis {ax}) for class indices")
    valid = t != ignore_index
    safe = xp.where(valid, t, 0)
    onehot = xp.moveaxis(xp.one_hot(safe, n_classes, x), -1, ax)
    valid_k = xp.where(_unsqueeze(valid, ax), 1.0, 0.0, like=x)   # 1 for counted samples
    if weight is None:
        w_y = valid_k
    else:
        wb = expand_classes(weight, x.ndim, ax)
        w_y = xp.sum(onehot * wb, axis=ax, keepdims=True) * valid_k
    u = onehot * w_y
    if label_smoothing:
        smooth = valid_k * (label_smoothing / n_classes)
        u = (1.0 - label_smoothing) * u + (smooth if weight is None else smooth * wb)
    return u, xp.sum(w_y)


def _class_weight(x, weight):
    if weight is None:
        return None
    return kit.aux_array(weight, "weight", x, shape=(x.shape[class_axis(x)],), nonnegative=True)


def _ce_setup(input, target, weight, ignore_index, label_smoothing, reduction):
    """``(x, u, denominator_or_None)``: the logits, effective weighted targets, mean denominator."""
    kit.check_reduction(reduction)
    x = _check_logits(input)
    eps = kit.number(label_smoothing, "label_smoothing", "[0, 1]")
    w = _class_weight(x, weight)
    xp = namespace(x)
    ax = class_axis(x)
    if is_torch(target) and target.is_floating_point() or (
            not is_torch(target) and np.issubdtype(np.asarray(target).dtype, np.floating)):
        # probability ("soft") targets, shaped like the input
        q = kit.match(x, kit.probabilities(target, "target"))
        if ignore_index != -100:
            raise ValueError("ignore_index is not supported with probability (soft) targets; "
                             "give the samples to skip a zero weight or drop them")
        if eps:
            q = (1.0 - eps) * q + eps / x.shape[ax]
        u = q if w is None else q * expand_classes(w, x.ndim, ax)
        return x, u, None      # 'mean' divides by the number of samples (N * d1 * ...), not sum(w)
    u, denominator = _index_target(x, target, w, ignore_index, eps)
    return x, u, denominator


def cross_entropy(input, target, *, weight=None, ignore_index: int = -100,
                  label_smoothing: float = 0.0, reduction: str = "mean"):
    r"""Softmax cross-entropy of logits, with PyTorch's ``weight``, ``ignore_index``, ``label_smoothing``.

    .. math::

        \ell_i = -\sum_c u_{ic}\,\log \operatorname{softmax}(z_i)_c,\qquad
        u_{ic} = (1-\varepsilon)\,w_{y_i}\,\delta_{c\,y_i} + \frac{\varepsilon}{C}\,w_c

    Without weights and smoothing this is :math:`-\log p_{i,y_i}`, the negative
    log-likelihood of the true class. With probability targets :math:`q` (same shape as the
    input), :math:`u_{ic}=w_c\,\bigl((1-\varepsilon)q_{ic}+\varepsilon/C\bigr)`.

    Parameters
    ----------
    input : array_like
        **Logits** (not probabilities), shape ``(N, C)``, ``(N, C, d1, ...)`` (class axis 1)
        or ``(C,)``.
    target : array_like
        Either integer class indices of shape ``(N,)`` / ``(N, d1, ...)`` / ``()`` in
        ``[0, C)`` (or equal to ``ignore_index``), or floating class probabilities shaped
        like ``input``.
    weight : array_like, optional
        Class weights :math:`w`, shape ``(C,)`` (one per class, **not** one per sample).
    ignore_index : int, default -100
        Samples with this target contribute to neither the numerator nor the denominator of
        the mean, for both the likelihood and the smoothing term. Class-index targets only.
    label_smoothing : float, default 0.0
        :math:`\varepsilon\in[0,1]`: the target becomes :math:`(1-\varepsilon)e_y+\varepsilon/C`.
    reduction : {'mean', 'sum', 'none'}
        ``'mean'`` is :math:`\sum_i\ell_i/\sum_{i\ \text{not ignored}}w_{y_i}` for class
        indices (a weighted mean; the count of non-ignored samples without weights) and
        :math:`\sum_i\ell_i/N` for probability targets (PyTorch: not :math:`\sum w`).

    Returns
    -------
    array
        A scalar, or the per-sample losses (shape of the class-index target) for ``'none'``.

    Notes
    -----
    Computed as ``-sum(u * log_softmax(z))`` with :math:`\log\operatorname{softmax}(z) =
    z-\operatorname{logsumexp}(z)`: never ``log(softmax(z))``, which gives ``-inf`` once a
    probability underflows. The input must be raw logits: a softmax in front of it applies
    softmax twice (a classic bug), and a sigmoid belongs with :func:`binary_cross_entropy`.
    ``cross_entropy(z, y) == nll_loss(log_softmax(z, 1), y)`` exactly. With every sample
    ignored the ``'mean'`` is NaN (0/0), as in PyTorch.

    References
    ----------
    Shannon, "A Mathematical Theory of Communication", 1948. Label smoothing: Szegedy et al.,
    "Rethinking the Inception Architecture for Computer Vision", CVPR 2016, arXiv:1512.00567.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> z = np.array([[-1.1011, 0.6231], [0.2384, -0.3223]])
    >>> lossbook.cross_entropy(z, np.array([0, 1]), reduction="none").round(4)
    array([1.8883, 1.0123])
    >>> float(lossbook.cross_entropy(z, np.array([0, 0]), weight=np.array([0.5, 1.5])).round(6))
    1.169939
    """
    x, u, denominator = _ce_setup(input, target, weight, ignore_index, label_smoothing, reduction)
    xp = namespace(x)
    ax = class_axis(x)
    log_p = xp.log_softmax(x, axis=ax)
    loss = -xp.sum(xp.xmul(u, log_p), axis=ax)       # 0·(−inf) = 0: a logit of −inf is p = 0
    return reduce(loss, reduction, denominator=denominator)


def cross_entropy_grad(input, target, *, weight=None, ignore_index: int = -100,
                       label_smoothing: float = 0.0, reduction: str = "mean", grad_output=None):
    r"""Gradient (VJP) of :func:`cross_entropy` with respect to the logits.

    .. math::

        \frac{\partial \ell_i}{\partial z_i} = \Bigl(\sum_c u_{ic}\Bigr)\,p_i - u_i,
        \qquad p_i = \operatorname{softmax}(z_i)

    which is :math:`p_i - e_{y_i}` without weights and smoothing; then multiplied by the
    upstream gradient of the reduction (divided by :math:`\sum w_{y_i}` for ``'mean'``).
    Ignored samples get a zero gradient (also when every sample is ignored, as in PyTorch).
    """
    x, u, denominator = _ce_setup(input, target, weight, ignore_index, label_smoothing, reduction)
    xp = namespace(x)
    ax = class_axis(x)
    p = xp.softmax(x, axis=ax)
    u_total = xp.sum(u, axis=ax, keepdims=True)          # shaped like the loss, plus the class axis
    g = upstream(xp.squeeze(u_total, ax), reduction, grad_output, denominator=denominator)
    return (u_total * p - u) * _unsqueeze(g, ax)


def _nll_setup(input, target, weight, ignore_index, reduction):
    kit.check_reduction(reduction)
    x = _check_logits(input)
    w = _class_weight(x, weight)
    u, denominator = _index_target(x, target, w, ignore_index, 0.0)
    return x, u, denominator


def nll_loss(input, target, *, weight=None, ignore_index: int = -100, reduction: str = "mean"):
    r"""Negative log-likelihood of the true class, given **log-probabilities**.

    .. math::

        \ell_i = -w_{y_i}\, x_{i, y_i}

    Parameters
    ----------
    input : array_like
        Log-probabilities (e.g. the output of :func:`~lossbook.log_softmax` along axis 1),
        shape ``(N, C)``, ``(N, C, d1, ...)`` or ``(C,)``.
    target : array_like
        Integer class indices of shape ``(N,)`` / ``(N, d1, ...)`` / ``()``.
    weight : array_like, optional
        Class weights, shape ``(C,)``.
    ignore_index : int, default -100
        Target value whose samples are skipped (numerator and denominator).
    reduction : {'mean', 'sum', 'none'}
        ``'mean'`` is the weighted mean :math:`\sum_i\ell_i/\sum_{i\ \text{not ignored}}w_{y_i}`.

    Returns
    -------
    array
        A scalar, or per-sample losses for ``'none'``.

    Notes
    -----
    ``nll_loss`` does not take a logarithm: fed softmax *probabilities* instead of
    log-probabilities it silently returns :math:`-p_y`, a different (and non-convex) loss.
    ``nll_loss(log_softmax(z, 1), y)`` is :func:`cross_entropy` ``(z, y)``; for one-hot
    targets "softmax + cross-entropy" and "softmax + log-likelihood" are the same loss.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> logp = np.log(np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]]))
    >>> lossbook.nll_loss(logp, np.array([0, 2]), reduction="none").round(6)
    array([0.356675, 0.223144])
    """
    x, u, denominator = _nll_setup(input, target, weight, ignore_index, reduction)
    xp = namespace(x)
    loss = -xp.sum(xp.xmul(u, x), axis=class_axis(x))    # 0·(−inf) = 0
    return reduce(loss, reduction, denominator=denominator)


def nll_loss_grad(input, target, *, weight=None, ignore_index: int = -100, reduction: str = "mean",
                  grad_output=None):
    r"""Gradient (VJP) of :func:`nll_loss` with respect to the log-probabilities.

    .. math::

        \frac{\partial \ell_i}{\partial x_{i,c}} = -w_{y_i}\,\delta_{c\,y_i}

    divided by :math:`\sum w_{y_i}` under ``'mean'``; zero for ignored samples.
    """
    x, u, denominator = _nll_setup(input, target, weight, ignore_index, reduction)
    xp = namespace(x)
    ax = class_axis(x)
    g = upstream(xp.sum(u, axis=ax), reduction, grad_output, denominator=denominator)
    return -u * _unsqueeze(g, ax)


# --- B1: entropy ----------------------------------------------------------------------
def _entropy_setup(input, dim, base, reduction):
    kit.check_reduction(reduction)
    p = kit.nonempty(kit.probabilities(input, "input"), "input")
    kit.has_ndim(p, "input", "(..., K) (at least one axis: the distribution's support)", at_least=1)
    dim = kit.axis(dim, "dim", p.ndim)
    scale = 1.0 if base is None else 1.0 / math.log(kit.number(base, "base", "(0, inf)"))
    if base is not None and base == 1:
        raise ValueError("base must be a positive number other than 1, got 1")
    return p, dim, scale


def entropy(input, *, dim: int = -1, base: float | None = None, reduction: str = "mean"):
    r"""Shannon entropy of the probability vectors along ``dim``.

    .. math::

        H(p) = -\sum_i p_i \log p_i, \qquad 0 \log 0 = 0

    Parameters
    ----------
    input : array_like
        Probabilities in :math:`[0, 1]`, one distribution per slice along ``dim``.
        (They are not renormalised: the formula is applied as written.)
    dim : int, default -1
        The support axis.
    base : float, optional
        Logarithm base: ``None`` (natural log, nats, like every framework) or 2 (bits).
    reduction : {'mean', 'sum', 'none'}
        Over the distributions (``'none'`` returns one entropy per distribution).

    Returns
    -------
    array
        Entropies; ``input``'s shape without ``dim`` for ``'none'``.

    Notes
    -----
    :math:`H(p)` is the average code length, in bits for ``base=2``, of an optimal code for
    :math:`p`; it is maximal (:math:`\log C`) for the uniform distribution. Cross-entropy
    :math:`H(p, q) = H(p) + D_{KL}(p\Vert q)` is *not* a distance: :math:`H(p, p) = H(p) \ne 0`.
    Uses ``xlogy`` so that zero probabilities contribute 0.

    References
    ----------
    Shannon, "A Mathematical Theory of Communication", Bell System Technical Journal, 1948.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> float(lossbook.entropy(np.array([0.5, 0.5, 0.0, 0.0]), base=2))
    1.0
    """
    p, dim, scale = _entropy_setup(input, dim, base, reduction)
    xp = namespace(p)
    h = -xp.sum(xp.xlogy(p, p), axis=dim) * scale
    return reduce(h, reduction)


def entropy_grad(input, *, dim: int = -1, base: float | None = None, reduction: str = "mean",
                 grad_output=None):
    r"""Gradient (VJP) of :func:`entropy`: unconstrained, not projected onto the simplex.

    .. math::

        \frac{\partial H}{\partial p_i} = -(\log p_i + 1)

    It is :math:`+\infty` at :math:`p_i = 0` (the one-sided derivative of :math:`-p\log p`);
    divide by :math:`\log b` for base :math:`b`.
    """
    p, dim, scale = _entropy_setup(input, dim, base, reduction)
    xp = namespace(p)
    positive = p > 0
    log_p = xp.log(xp.where(positive, p, 1.0))
    d = xp.where(positive, -(log_p + 1.0) * scale, math.inf)
    g = upstream(xp.sum(p, axis=dim), reduction, grad_output)
    return d * _unsqueeze(g, dim % p.ndim)


# --- B2: Kullback-Leibler divergence ---------------------------------------------------
#: kl_div's reductions (its spec declares them): PyTorch's default 'mean' and 'batchmean'.
_KL_REDUCTIONS = ("mean", "sum", "none", "batchmean")


def _kl_setup(input, target, reduction, log_target):
    kit.choice(reduction, "reduction", _KL_REDUCTIONS)
    return kit.pair(input, target, kit.log_probabilities if log_target else kit.probabilities,
                    check_input=kit.log_probabilities)


def kl_div(input, target, *, reduction: str = "mean", log_target: bool = False):
    r"""Kullback–Leibler divergence :math:`D_{KL}(p\Vert q)` in PyTorch's convention: ``input`` is :math:`\log q`.

    .. math::

        \ell = p\,(\log p - \log q) \quad\text{elementwise};\qquad
        D_{KL}(p\Vert q) = \sum_c p_c \log\frac{p_c}{q_c}

    Parameters
    ----------
    input : array_like
        :math:`\log q`: the model's **log-probabilities** (e.g. ``log_softmax``), any shape.
    target : array_like
        :math:`p`: probabilities, or log-probabilities if ``log_target=True``. Same shape.
    reduction : {'mean', 'batchmean', 'sum', 'none'}
        ``'batchmean'`` (sum divided by ``input.shape[0]``) is the mathematical KL averaged
        over the batch. ``'mean'`` (PyTorch's default) divides by the number of *elements*
        (also the classes), which is not a KL divergence.
    log_target : bool, default False
        Whether ``target`` holds :math:`\log p`; then :math:`\ell = e^{t}(t - x)`.

    Returns
    -------
    array
        Reduced value, or the elementwise terms for ``'none'``.

    Notes
    -----
    :math:`D_{KL}\ge 0`, zero iff :math:`p=q`; it is not symmetric and not a metric. For a
    fixed target, :math:`H(p,q) = H(p) + D_{KL}(p\Vert q)`: cross-entropy and KL differ by a
    constant and have the same gradient in :math:`q`. PyTorch works in nats; divide by
    :math:`\ln 2` for bits. Zero target probabilities contribute 0 (``xlogy``).

    References
    ----------
    Kullback & Leibler, "On Information and Sufficiency", Ann. Math. Statist. 22(1), 1951.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> p, q = np.array([0.5, 0.5, 0.0, 0.0]), np.full(4, 0.25)
    >>> float(lossbook.kl_div(np.log(q), p, reduction="sum"))   # 1 bit, in nats
    0.6931471805599453
    """
    x, t = _kl_setup(input, target, reduction, log_target)
    xp = namespace(x)
    loss = xp.exp(t) * (t - x) if log_target else xp.xlogy(t, t) - t * x
    return reduce(loss, reduction, accepted=_KL_REDUCTIONS)


def kl_div_grad(input, target, *, reduction: str = "mean", log_target: bool = False,
                grad_output=None):
    r"""Gradient (VJP) of :func:`kl_div` with respect to ``input`` (:math:`\log q`).

    .. math::

        \frac{\partial \ell}{\partial x} = -p

    (:math:`-e^{t}` with ``log_target=True``). Through a log-softmax this becomes
    :math:`q - p`, the same as cross-entropy's.
    """
    x, t = _kl_setup(input, target, reduction, log_target)
    xp = namespace(x)
    p = xp.exp(t) if log_target else t
    return -p * upstream(x, reduction, grad_output, accepted=_KL_REDUCTIONS)


# --- B5: binary cross-entropy -----------------------------------------------------------
def _binary_setup(input, target, weight, reduction, *, probabilities: bool):
    x, t = kit.pair(input, target, kit.probabilities, reduction=reduction,
                    check_input=kit.probabilities if probabilities else kit.floating)
    w = None if weight is None else kit.aux_array(weight, "weight", x, nonnegative=True)
    return x, t, w


def _clamped_log(xp, p):
    """:math:`\\max(\\log p, -100)` without evaluating ``log(0)``."""
    positive = p > 0
    return xp.where(positive, xp.maximum(xp.log(xp.where(positive, p, 1.0)), BCE_LOG_CLAMP),
                    BCE_LOG_CLAMP)


def _clamped_log1m(xp, p):
    """:math:`\\max(\\log(1-p), -100)` via ``log1p``, without evaluating ``log(0)``."""
    below = p < 1
    return xp.where(below, xp.maximum(xp.log1p(-xp.where(below, p, 0.0)), BCE_LOG_CLAMP),
                    BCE_LOG_CLAMP)


def binary_cross_entropy(input, target, *, weight=None, reduction: str = "mean"):
    r"""Binary cross-entropy of **probabilities** (PyTorch's ``BCELoss``), logs clamped at -100.

    .. math::

        \ell = -w\,\bigl[t\log p + (1-t)\log(1-p)\bigr]

    Parameters
    ----------
    input : array_like
        Probabilities :math:`p\in[0,1]` (e.g. a sigmoid output), any shape.
    target : array_like
        Targets :math:`t\in[0,1]`, same shape.
    weight : array_like, optional
        Per-element rescaling :math:`w`, broadcastable to ``input``.
    reduction : {'mean', 'sum', 'none'}
        ``'mean'`` averages over all elements (the weights are *not* the denominator).

    Returns
    -------
    array

    Notes
    -----
    As in PyTorch each logarithm is clamped, :math:`\max(\log p, -100)`, so a certain wrong
    prediction costs 100 instead of :math:`\infty` (and :math:`0\cdot\log 0` never gives NaN).
    Keras instead clips :math:`p` to :math:`[10^{-7}, 1-10^{-7}]` and (tf.keras 2.x) adds
    :math:`10^{-7}` inside the log, which is why its ``BinaryCrossentropy`` prints 0.5108254
    for the exact :math:`-\ln 0.6 = 0.5108256`. Prefer :func:`binary_cross_entropy_with_logits`:
    a sigmoid followed by this loss loses precision once :math:`\sigma(x)` rounds to 1.

    References
    ----------
    Cox, "The regression analysis of binary sequences", JRSS-B 20(2), 1958.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> float(lossbook.binary_cross_entropy(np.array([0.4, 0.6]), np.array([0.0, 1.0])))
    0.5108256237659907
    >>> float(lossbook.binary_cross_entropy(np.array([0.0]), np.array([1.0])))
    100.0
    """
    x, t, w = _binary_setup(input, target, weight, reduction, probabilities=True)
    xp = namespace(x)
    loss = -(t * _clamped_log(xp, x) + (1.0 - t) * _clamped_log1m(xp, x))
    if w is not None:
        loss = loss * w
    return reduce(loss, reduction)


def binary_cross_entropy_grad(input, target, *, weight=None, reduction: str = "mean",
                              grad_output=None):
    r"""Gradient (VJP) of :func:`binary_cross_entropy` with respect to the probabilities.

    .. math::

        \frac{\partial \ell}{\partial p} = w\,\frac{p - t}{\max\bigl(p(1-p),\,10^{-12}\bigr)}

    Exactly PyTorch's backward: the :math:`10^{-12}` (a float32 constant in ATen,
    ``BCE_GRAD_EPS``) keeps it finite at :math:`p\in\{0,1\}` (so :math:`p=0, t=1` gives
    :math:`\approx -10^{12}`, not the 0 slope of the clamped value). Times
    :math:`\sigma'(x)=p(1-p)` this is :math:`p-t`: the sigmoid's derivative cancels.
    """
    x, t, w = _binary_setup(input, target, weight, reduction, probabilities=True)
    xp = namespace(x)
    d = (x - t) / xp.maximum((1.0 - x) * x, BCE_GRAD_EPS)
    if w is not None:
        d = d * w
    return d * upstream(x, reduction, grad_output)


def _pos_weight(x, pos_weight):
    if pos_weight is None:
        return None
    return kit.aux_array(pos_weight, "pos_weight", x, nonnegative=True)


def binary_cross_entropy_with_logits(input, target, *, weight=None, pos_weight=None,
                                     reduction: str = "mean"):
    r"""Binary cross-entropy of **logits** (sigmoid inside), stable, with ``pos_weight``.

    .. math::

        \ell = w\,\bigl[(1-t)\,x + \bigl(1 + (P-1)\,t\bigr)\operatorname{softplus}(-x)\bigr]
             = -w\,\bigl[P\,t\log\sigma(x) + (1-t)\log(1-\sigma(x))\bigr]

    Parameters
    ----------
    input : array_like
        Logits :math:`x`, any shape.
    target : array_like
        Targets :math:`t\in[0,1]`, same shape.
    weight : array_like, optional
        Per-element rescaling :math:`w`, broadcastable to ``input``.
    pos_weight : array_like, optional
        :math:`P`, the weight of the positive term, broadcastable to ``input`` (usually one
        per class, shape ``(C,)`` along the last axis). ``n_negative / n_positive`` balances
        a class.
    reduction : {'mean', 'sum', 'none'}

    Returns
    -------
    array

    Notes
    -----
    :math:`\operatorname{softplus}(-x)=-\log\sigma(x)` is evaluated as
    :math:`\max(-x,0)+\operatorname{log1p}(e^{-|x|})`: no overflow and no ``log(0)`` for any
    finite :math:`x`. Without ``pos_weight`` the loss is :math:`\operatorname{softplus}(x)-tx`.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> x, t = np.array([2.0, -1.0, 0.0, 5.0]), np.array([1.0, 0.0, 1.0, 0.0])
    >>> float(lossbook.binary_cross_entropy_with_logits(x, t).round(7))
    1.5350131
    """
    x, t, w = _binary_setup(input, target, weight, reduction, probabilities=False)
    pw = _pos_weight(x, pos_weight)
    xp = namespace(x)
    coef = 1.0 if pw is None else 1.0 + (pw - 1.0) * t
    loss = (1.0 - t) * x + coef * xp.softplus(-x)
    if w is not None:
        loss = loss * w
    return reduce(loss, reduction)


def binary_cross_entropy_with_logits_grad(input, target, *, weight=None, pos_weight=None,
                                          reduction: str = "mean", grad_output=None):
    r"""Gradient (VJP) of :func:`binary_cross_entropy_with_logits` with respect to the logits.

    .. math::

        \frac{\partial \ell}{\partial x} = w\,\bigl[(P t + 1 - t)\,\sigma(x) - P t\bigr]

    which is :math:`w\,(\sigma(x) - t)` without ``pos_weight``: bounded, and never vanishing
    while the prediction is wrong.
    """
    x, t, w = _binary_setup(input, target, weight, reduction, probabilities=False)
    pw = _pos_weight(x, pos_weight)
    xp = namespace(x)
    s = xp.sigmoid(x)
    d = s - t if pw is None else (pw * t + 1.0 - t) * s - pw * t
    if w is not None:
        d = d * w
    return d * upstream(x, reduction, grad_output)


# --- B6: logistic loss, margin form ------------------------------------------------------
def logistic_loss(input, target, *, reduction: str = "mean"):
    r"""Logistic loss in margin form, labels in :math:`\{-1,+1\}`: BCE-with-logits in disguise.

    .. math::

        \ell(f, y) = \log\bigl(1 + e^{-y f}\bigr) = \operatorname{softplus}(-m),\qquad m = y f

    Parameters
    ----------
    input : array_like
        Scores :math:`f` (logits), any shape.
    target : array_like
        Labels :math:`y\in\{-1,+1\}`, same shape.
    reduction : {'mean', 'sum', 'none'}

    Returns
    -------
    array

    Notes
    -----
    Identical to :func:`binary_cross_entropy_with_logits` with :math:`t=(y+1)/2` and to
    PyTorch's ``soft_margin_loss``. Natural logarithm; some texts use :math:`\log_2` so that
    :math:`\ell(0)=1` and the loss upper-bounds the 0-1 loss (divide by :math:`\ln 2`).
    Convex, smooth, classification-calibrated; unlike the hinge it never reaches 0.

    References
    ----------
    Cox 1958; Friedman, Hastie & Tibshirani, "Additive logistic regression", Ann. Statist. 2000.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> lossbook.logistic_loss(np.array([0.0, 2.0]), np.array([1.0, -1.0]), reduction="none")
    array([0.69314718, 2.12692801])
    """
    f, y = kit.pair(input, target, kit.sign_labels, reduction=reduction)
    return reduce(namespace(f).softplus(-y * f), reduction)


def logistic_loss_grad(input, target, *, reduction: str = "mean", grad_output=None):
    r"""Gradient (VJP) of :func:`logistic_loss` with respect to the scores.

    .. math::

        \frac{\partial \ell}{\partial f} = -y\,\sigma(-y f)
    """
    f, y = kit.pair(input, target, kit.sign_labels, reduction=reduction)
    return -y * namespace(f).sigmoid(-y * f) * upstream(f, reduction, grad_output)



# --- B+: the Fenchel-Young loss of sparsemax (issue 17) --------------------------------------
def _sparsemax_loss_setup(input, target, reduction):
    kit.check_reduction(reduction)
    z = kit.nonempty(kit.floating(input, "input"), "input")
    kit.has_ndim(z, "input", "(N, C) or (C,)", allowed=(1, 2))
    n_classes = z.shape[-1]
    t = kit.class_targets(z, target, n_classes, tuple(z.shape[:-1]),
                          hint=" (one class index per row of input)")
    xp = namespace(z)
    z = z - xp.max(z, axis=-1, keepdims=True)        # the loss is shift-invariant: no overflow
    return z, xp.one_hot(t, n_classes, z), sparsemax(z, -1), xp


def sparsemax_loss(input, target, *, reduction: str = "mean"):
    r"""Sparsemax loss (Martins & Astudillo 2016): the Fenchel–Young loss whose gradient is
    :math:`\operatorname{sparsemax}(z) - e_y`.

    .. math::

        \ell(z, y) = -z_y + \tfrac12\sum_{j\in S(z)}\bigl(z_j^2 - \tau(z)^2\bigr) + \tfrac12
        = \tfrac12\lVert e_y - z\rVert^2 - \tfrac12\lVert \operatorname{sparsemax}(z) - z\rVert^2

    Parameters
    ----------
    input : array_like
        Logits :math:`z`, shape ``(N, C)`` or ``(C,)``.
    target : array_like
        Integer class indices, shape ``(N,)`` or ``()``.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        Over the :math:`N` samples.

    Returns
    -------
    array

    Notes
    -----
    :math:`S(z)` and :math:`\tau(z)` are the support and the threshold of :func:`sparsemax`.
    As cross-entropy is to softmax, this loss is to sparsemax: convex, non-negative, zero
    exactly when :math:`\operatorname{sparsemax}(z) = e_y` (the true logit leads by at least
    1), and :math:`\nabla = p - e_y` with :math:`p` sparse. It is a Huber-like classification
    loss; it is **not** :math:`-\log\operatorname{sparsemax}(z)_y`, which is infinite
    whenever the true class is outside the support.

    References
    ----------
    Martins & Astudillo, ICML 2016, arXiv:1602.02068 (eq. 18); Blondel, Martins & Niculae,
    "Learning with Fenchel-Young Losses", JMLR 21, 2020.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> lossbook.sparsemax_loss(np.array([[2.0, 0.0, 0.0], [0.0, 1.0, 0.0]]), np.array([0, 0]),
    ...                         reduction="none")
    array([0., 1.])
    """
    z, onehot, p, xp = _sparsemax_loss_setup(input, target, reduction)
    e, q = onehot - z, p - z
    return reduce(0.5 * (xp.sum(e * e, axis=-1) - xp.sum(q * q, axis=-1)), reduction)


def sparsemax_loss_grad(input, target, *, reduction: str = "mean", grad_output=None):
    r"""Gradient (VJP) of :func:`sparsemax_loss`: the sparsemax minus the one-hot target.

    .. math::

        \frac{\partial\ell}{\partial z} = \operatorname{sparsemax}(z) - e_y
    """
    z, onehot, p, xp = _sparsemax_loss_setup(input, target, reduction)
    up = upstream(xp.sum(p, axis=-1), reduction, grad_output)
    return (p - onehot) * xp.reshape(up, tuple(up.shape) + (1,))


# --- registry entries -------------------------------------------------------------------
def _ce_example(seed):
    """Rotates through the PyTorch semantics: plain, weights + ignore_index, smoothing,
    weights + smoothing + ignore_index, soft targets (+ weights + smoothing), and a
    ``(N, C, d)`` input."""
    case = seed % 6
    r = rng(seed)
    n, c = 6, 5
    x = real(seed, (n, c), avoid=())
    w = r.uniform(0.2, 2.0, size=c)
    if case == 0:
        return (x, class_labels(seed, n, c)), {}
    if case == 1:
        y = class_labels(seed, n, c)
        y[1] = -100
        return (x, y), {"weight": w}
    if case == 2:
        return (x, class_labels(seed, n, c)), {"label_smoothing": 0.15}
    if case == 3:
        y = class_labels(seed, n, c)
        y[[0, 3]] = 2
        return (x, y), {"weight": w, "ignore_index": 2, "label_smoothing": 0.2}
    if case == 4:
        q = Numpy.softmax(real(seed + 1, (n, c), avoid=()))
        return (x, q), {"weight": w, "label_smoothing": 0.1}
    x3 = real(seed, (3, c, 4), avoid=())
    y3 = class_labels(seed, (3, 4), c)
    y3[0, 1] = -100
    return (x3, y3), {"weight": w}


def _nll_example(seed):
    x, y = _ce_example(seed)[0]
    if x.ndim == 2 and np.issubdtype(y.dtype, np.floating):
        y = class_labels(seed, x.shape[0], x.shape[1])
    logp = Numpy.log_softmax(x, axis=1)
    kwargs = {"weight": rng(seed).uniform(0.2, 2.0, size=x.shape[1])} if seed % 2 else {}
    if seed % 3 == 1:
        y = y.copy()
        y.flat[0] = -100
    return (logp, y), kwargs


def _extreme_logits(seed):
    x = real(seed, (4, 5), avoid=()) * 1e4
    return (x, class_labels(seed, 4, 5)), {"label_smoothing": 0.1, "weight": np.linspace(0.5, 2.0, 5)}


def _entropy_example(seed):
    return (Numpy.softmax(real(seed, (4, 5), -1.5, 1.5, avoid=())),), {}


def _entropy_extreme(seed):
    p = np.array([[1e-30, 1.0 - 2e-30, 1e-30], [0.5, 0.25, 0.25], [1e-20, 0.5, 0.5]])
    return (p,), {"base": 2.0}


def _kl_example(seed):
    logq = real(seed, (4, 5), -2.0, 2.0, avoid=())
    logq = logq - np.log(np.exp(logq).sum(1, keepdims=True))
    p = Numpy.softmax(real(seed + 3, (4, 5), avoid=()))
    if seed % 2:
        return (logq, np.log(p)), {"reduction": "batchmean", "log_target": True}
    return (logq, p), {"reduction": "batchmean"}


def _kl_extreme(seed):
    logq = np.array([[-1e4, -1e-4, -30.0], [-2.0, -1.0, -1e3]])
    p = np.array([[0.0, 1.0, 0.0], [0.5, 0.5, 0.0]])
    return (logq, p), {"reduction": "batchmean"}


def _bce_example(seed):
    p = rng(seed).uniform(0.05, 0.95, size=(4, 3))
    t = rng(seed + 1).uniform(0.0, 1.0, size=(4, 3))
    t[0] = [0.0, 1.0, 1.0]
    kwargs = {"weight": rng(seed + 2).uniform(0.5, 2.0, size=(3,))} if seed % 2 else {}
    return (p, t), kwargs


def _bce_extreme(seed):
    p = np.array([0.0, 1.0, 0.0, 1.0, 1e-300, 1.0 - 1e-16])
    t = np.array([0.0, 1.0, 1.0, 0.0, 1.0, 0.0])
    return (p, t), {}


def _bcel_example(seed):
    x = real(seed, (4, 3), -6.0, 6.0, avoid=())
    t = rng(seed + 1).uniform(0.0, 1.0, size=(4, 3))
    t[0] = [0.0, 1.0, 1.0]
    if seed % 2:
        return (x, t), {"weight": rng(seed + 2).uniform(0.5, 2.0, size=(4, 1)),
                        "pos_weight": rng(seed + 3).uniform(0.5, 4.0, size=(3,))}
    return (x, t), {}


def _logistic_example(seed):
    return (real(seed, (4, 5), -5.0, 5.0, avoid=()), signs(seed + 1, (4, 5))), {}


#: This module's part of the catalog; the registry enrols its SPECS under it.
FAMILY = Family(key="information", title="Information-theoretic and probabilistic losses", part="B",
                chapters=("information_theory", "margin_losses"))

_spec = kit.spec_factory(FAMILY, globals())

SPECS = (
    _spec("cross_entropy", "B4", "交叉熵损失(Softmax 交叉熵)",
          "torch.nn.functional.cross_entropy(input, target, weight, ignore_index, "
          "reduction, label_smoothing); sklearn.metrics.log_loss",
          "Shannon 1948; label smoothing: Szegedy et al., CVPR 2016, arXiv:1512.00567",
          example=_ce_example, extreme=_extreme_logits,
          params=(Param("label_smoothing", 0.0, 0.0, 0.5, doc="ε: target (1-ε)·onehot + ε/C"),),
          curve=Curve("logit of the true class (the others are 0)", (-4.0, 12.0),
                      call=kit.true_class_logit(10), select=kit.first_column),
          aliases=("softmax_cross_entropy", "categorical_cross_entropy"),
          reduction_kind="weighted", extra={"features": {"ignore_index": kit.uses_ignore_index}}),
    _spec("nll_loss", "B3", "负对数似然损失",
          "torch.nn.functional.nll_loss(input, target, weight, ignore_index, reduction)",
          "Fisher 1922 (maximum likelihood)", example=_nll_example, curve=None,
          extreme=lambda seed: ((np.array([[-1e4, -1e-4, -50.0], [-3.0, -2e4, -0.1]]),
                                 np.array([0, 1])), {}),
          aliases=("negative_log_likelihood",), reduction_kind="weighted",
          extra={"features": {"ignore_index": kit.uses_ignore_index}}),
    _spec("entropy", "B1", "信息熵", "scipy.stats.entropy(p, base=...); scipy.special.entr(p).sum(-1)",
          "Shannon, A Mathematical Theory of Communication, 1948",
          example=_entropy_example, extreme=_entropy_extreme,
          curve=Curve("p (one term -p log p of H)", (0.005, 0.98),
                      call=lambda x, p: ((x[:, None],), dict(p)), select=kit.first_column)),
    _spec("kl_div", "B2", "KL 散度(相对熵)",
          "torch.nn.functional.kl_div(input=log q, target=p, reduction='batchmean', "
          "log_target); scipy.special.rel_entr(p, q)",
          "Kullback & Leibler, On Information and Sufficiency, Ann. Math. Statist. 1951",
          example=_kl_example, extreme=_kl_extreme,
          curve=Curve("log q (input), target p = 0.3", (-6.0, -0.05), call=kit.with_target(0.3)),
          aliases=("kl_divergence",), reductions=_KL_REDUCTIONS),
    _spec("binary_cross_entropy", "B5", "二元交叉熵损失",
          "torch.nn.functional.binary_cross_entropy(input, target, weight); sklearn.metrics.log_loss",
          "Cox, The regression analysis of binary sequences, JRSS-B 1958",
          example=_bce_example, extreme=_bce_extreme,
          curve=Curve("p (target t = 1)", (0.002, 0.98), call=kit.with_target(1.0)),
          kinks=(Kink((f64([0.0, 1.0, 0.0, 1.0]), f64([0.0, 1.0, 1.0, 0.0])), {"reduction": "sum"},
                      f64([0.0, 0.0, -1.0 / BCE_GRAD_EPS, 1.0 / BCE_GRAD_EPS]),
                      "p in {0, 1}: PyTorch's backward (p - t) / max(p(1-p), 1e-12f)"),),
          aliases=("bce_loss",)),
    _spec("binary_cross_entropy_with_logits", "B5", "带 Sigmoid 的二元交叉熵损失",
          "torch.nn.functional.binary_cross_entropy_with_logits(input, target, weight, pos_weight)",
          "Cox 1958", example=_bcel_example,
          curve=Curve("logit x (target t = 1)", (-6.0, 6.0), call=kit.with_target(1.0)),
          aliases=("bce_with_logits_loss",)),
    _spec("logistic_loss", "B6", "对数损失(逻辑回归损失)", "torch.nn.functional.soft_margin_loss(input, target)",
          "Cox 1958; Friedman, Hastie & Tibshirani, Additive logistic regression, Ann. Statist. 2000",
          example=_logistic_example,
          curve=Curve("margin m = y f", (-3.0, 3.0), call=kit.with_target(1.0)),
          chapter="margin_losses", aliases=("soft_margin_loss",)),
    _spec("sparsemax_loss", "B+", "Sparsemax 损失", "none in torch (Fenchel-Young loss of sparsemax)",
          "Martins & Astudillo, From Softmax to Sparsemax, ICML 2016, arXiv:1602.02068",
          in_seeds=False, chapter="information_theory",
          example=lambda seed: ((_sparsemax_example(seed)[0][0], rng(seed + 3).integers(0, 5, size=4)), {}),
          curve=Curve("logit of the true class (the two others are 0)", (-3.0, 3.0),
                      call=kit.true_class_logit(3), select=kit.first_column)),
)
