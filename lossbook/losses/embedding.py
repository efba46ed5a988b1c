"""Metric-learning and embedding losses (catalog part H).

Each loss is a value function with its ``_grad`` directly below it; ``SPECS`` at the end
registers them.
"""
from __future__ import annotations

import math

import numpy as np

from .. import _kit as kit
from .._backend import namespace
from .._kit import real, rng
from .._reduction import reduce, upstream
from .._spec import Curve, Family, Kink, Param
from ._similarity import cosine_matrix, cosine_matrix_vjp, row_norms

__all__: list[str] = [
    "center_loss", "center_loss_grad", "center_update",
    "contrastive_loss", "contrastive_loss_grad", "triplet_margin_loss", "triplet_margin_loss_grad",
    "margin_ranking_loss", "margin_ranking_loss_grad",
    "cosine_embedding_loss", "cosine_embedding_loss_grad",
    "angular_margin_logits", "combined_margin_loss", "combined_margin_loss_grad", "arcface_loss", "arcface_loss_grad",
    "cosface_loss", "cosface_loss_grad", "sphereface_loss", "sphereface_loss_grad",
    "ge2e_loss", "ge2e_loss_grad", "ge2e_similarity", "circle_loss", "circle_loss_grad",
    "supervised_contrastive_loss", "supervised_contrastive_loss_grad",
    "triplet_margin_with_distance_loss", "triplet_margin_with_distance_loss_grad",
    "cosine_similarity_loss", "cosine_similarity_loss_grad",
]


# --- H4 ---------------------------------------------------------------------------------
def _center_args(input, target, centers, names=("input", "target", "centers")):
    """Validated ``(x, y, c, xp)``: features (B, d), labels (B,) in [0, C), centres (C, d)."""
    x_name, y_name, c_name = names
    x = kit.floating(input, x_name)
    c = kit.same_kind(x, kit.floating(centers, c_name), x_name, c_name)
    kit.has_ndim(x, x_name, "(batch, features)", allowed=(2,))
    kit.nonempty(x, x_name)
    kit.has_ndim(c, c_name, f"(num_classes, {x.shape[1]}) to match {x_name}", allowed=(2,))
    kit.has_shape(c, c_name, (c.shape[0], x.shape[1]), f" (one row per class, as many columns as {x_name})")
    kit.same_dtype(x, c, x_name, c_name)
    y = kit.class_targets(x, target, c.shape[0], (x.shape[0],), names=(x_name, y_name),
                          hint=f" (one label per row of {x_name})")
    return x, y, c, namespace(x)


def center_loss(input, target, centers, *, reduction: str = "mean"):
    r"""Center loss: half the squared distance from each feature to its class centre.

    .. math::

        \ell_i = \tfrac12\,\lVert x_i - c_{y_i}\rVert_2^2

    The paper's :math:`L_C = \tfrac12\sum_{i=1}^{m}\lVert x_i - c_{y_i}\rVert_2^2` is
    ``reduction='sum'``; the default ``'mean'`` divides by the batch size :math:`m` (as the
    authors' Caffe layer does). It is added to the softmax loss, :math:`L = L_S + \lambda L_C`.

    Parameters
    ----------
    input : array_like, shape (m, d)
        Deep features :math:`x_i` (the layer before the classifier).
    target : array_like of int, shape (m,)
        Class labels :math:`y_i` in ``[0, C)``.
    centers : array_like, shape (C, d)
        Class centres :math:`c_j`, same dtype as ``input``. They are usually updated by
        :func:`center_update` (the paper's Eq. 4) rather than by their gradient.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        ``'none'`` returns :math:`\ell` of shape ``(m,)``; ``'mean'`` averages over the
        batch (not over the :math:`m\,d` coordinates); ``'sum'`` adds.

    Returns
    -------
    array
        Scalar, or shape ``(m,)`` for ``reduction='none'``.

    Notes
    -----
    **Scale conventions differ between implementations (erratum ER57)**, so a weight
    :math:`\lambda` tuned for one does not transfer to another without rescaling:

    * Wen et al. (2016), Eq. 2: :math:`\tfrac12\sum_i\lVert\cdot\rVert^2`, i.e.
      ``reduction='sum'``;
    * the authors' Caffe layer (``ydwen/caffe``, ``center_loss_layer.cpp``):
      :math:`\tfrac1{2m}\sum_i\lVert\cdot\rVert^2`, i.e. ``reduction='mean'``;
    * seed 003's TensorFlow code (``tf.nn.l2_loss(diff) / feat_dim``):
      :math:`\tfrac1{2d}\sum_i\lVert\cdot\rVert^2`, i.e. ``reduction='sum'`` divided by
      :math:`d`;
    * KaiyangZhou/pytorch-center-loss: :math:`\tfrac1m\sum_i\lVert\cdot\rVert^2`, i.e. twice
      ``reduction='mean'``.

    For example, the seed's :math:`\lambda = 0.05` with its ``l2_loss/feat_dim`` on
    batches of :math:`m` samples of dimension :math:`d` equals
    :math:`\lambda = 0.05\,m/d` with ``reduction='mean'``.

    The gradient with respect to the centres (:func:`center_loss_grad`) is
    :math:`\sum_{i:y_i=j}(c_j-x_i)`; the paper instead moves the centres with the
    normalised rule of :func:`center_update`.

    References
    ----------
    Wen, Zhang, Li & Qiao, "A Discriminative Feature Learning Approach for Deep Face
    Recognition", ECCV 2016.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> x = np.array([[1.0, 2.0], [0.0, -1.0], [3.0, 0.5]])
    >>> c = np.array([[0.0, 0.0], [1.0, 1.0]])
    >>> lossbook.center_loss(x, np.array([1, 0, 0]), c, reduction="none")
    array([0.5  , 0.5  , 4.625])
    >>> float(lossbook.center_loss(x, np.array([1, 0, 0]), c))
    1.875
    """
    x, y, c, xp = _center_args(input, target, centers)
    diff = x - xp.take_rows(c, y)
    return reduce(0.5 * xp.sum(diff * diff, axis=1), reduction)


def center_loss_grad(input, target, centers, *, reduction: str = "mean", grad_output=None):
    r"""Gradients (VJP) of :func:`center_loss` for the features and the centres.

    .. math::

        \frac{\partial \ell_i}{\partial x_i} = x_i - c_{y_i}
        \qquad
        \frac{\partial}{\partial c_j}\sum_i \ell_i = \sum_{i:\,y_i=j} (c_j - x_i)

    Each row is multiplied by the upstream gradient of :math:`\ell_i` (``1/m`` for
    ``'mean'``). A class absent from the batch gets a zero centre gradient.

    Returns
    -------
    (array, array)
        Shaped like ``input`` and like ``centers``.
    """
    x, y, c, xp = _center_args(input, target, centers)
    diff = x - xp.take_rows(c, y)
    g = upstream(diff[:, 0], reduction, grad_output)[:, None]
    grad_x = diff * g
    grad_c = xp.add_rows(grad_x, y, c.shape[0], scale=-1.0)
    return grad_x, grad_c


def center_update(features, labels, centers, alpha: float = 0.5):
    r"""One step of the paper's centre update (Wen et al. 2016, Eq. 4); returns new centres.

    .. math::

        \Delta c_j = \frac{\sum_{i}\delta(y_i=j)\,(c_j - x_i)}{1 + \sum_i \delta(y_i=j)},
        \qquad c_j \leftarrow c_j - \alpha\,\Delta c_j

    Parameters
    ----------
    features : array_like, shape (m, d)
        The mini-batch's features (detach them from the graph first in torch).
    labels : array_like of int, shape (m,)
        Their classes.
    centers : array_like, shape (C, d)
        Current centres; not modified.
    alpha : float in [0, 1], default 0.5
        The centres' learning rate (the paper's :math:`\alpha`; 0.5 in its MNIST
        experiment and in seed 003).

    Returns
    -------
    array, shape (C, d)
        The updated centres (a new array, same kind and dtype as ``centers``).

    Notes
    -----
    The ``1 +`` in the denominator keeps a step bounded for any batch: with
    :math:`n_j` samples of class :math:`j` and their mean :math:`\bar x_j`,

    .. math::

        c_j \leftarrow \Bigl(1 - \tfrac{\alpha n_j}{1+n_j}\Bigr) c_j
        + \tfrac{\alpha n_j}{1+n_j}\,\bar x_j ,

    a move towards the batch mean of the class by a fraction below :math:`\alpha`; a class
    absent from the batch keeps its centre. Plain gradient descent on the centres
    (:func:`center_loss_grad`) would instead step by :math:`\eta\lambda n_j(c_j-\bar x_j)`,
    which grows with the batch. This is exactly what seed 003's TensorFlow code does with
    ``tf.scatter_sub``.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> x = np.array([[2.0, 0.0], [4.0, 0.0], [0.0, 6.0]])
    >>> lossbook.center_update(x, np.array([0, 0, 1]), np.zeros((3, 2)), alpha=0.5)
    array([[1. , 0. ],
           [0. , 1.5],
           [0. , 0. ]])
    """
    x, y, c, xp = _center_args(features, labels, centers, names=("features", "labels", "centers"))
    alpha = kit.number(alpha, "alpha", "[0, 1]")
    counts = xp.add_rows(xp.ones_like(x[:, :1]), y, c.shape[0])
    sums = xp.add_rows(x, y, c.shape[0])
    delta = (counts * c - sums) / (1.0 + counts)
    return c - float(alpha) * delta


# --- set-up: every argument check of the pair, triplet and angular-margin losses --------
def _embeddings(x, name, like=None, like_name=""):
    """A floating ``(batch, dim)`` array; with ``like``, of its shape and dtype."""
    x = kit.floating(x, name)
    if like is None:
        kit.has_ndim(x, name, "(batch, dim)", allowed=(2,))
        return kit.nonempty(x, name)
    kit.same_shape(like, x, like_name, name)
    return kit.same_dtype(like, x, like_name, name)


def _nonzero_rows(x, name, axis=1, what="row"):
    """``x``; ``ValueError`` if a ``what`` (along ``axis``) is zero: it has no direction."""
    if kit.enabled() and float(kit.to_numpy(namespace(x).sum(x * x, axis=axis)).min()) == 0.0:
        raise ValueError(f"{name} has a zero {what}, which has no direction to normalise")
    return x


def _row_target(target, name, n, like, *, check):
    """Per-row labels (``check`` is ``kit.binary_labels`` or ``kit.sign_labels``), shape
    ``(n,)``, cast like ``like``."""
    t = kit.has_shape(check(target, name), name, (n,), " (one label per row)")
    return kit.cast_like(t, like, name)


def _pair_args(input1, input2, target, check):
    x1 = _embeddings(input1, "input1")
    x2 = _embeddings(input2, "input2", x1, "input1")
    xp = namespace(x1, x2, target)
    t = _row_target(target, "target", x1.shape[0], x1, check=check)
    return x1, x2, t, xp


def _contrastive_args(input1, input2, target, margin, pos_margin, similar_label, distance,
                      squared, reduction):
    kit.check_reduction(reduction)
    x1, x2, t, xp = _pair_args(input1, input2, target, kit.binary_labels)
    kit.choice(similar_label, "similar_label", (0, 1))
    kit.choice(distance, "distance", ("euclidean", "cosine"))
    kit.choice(squared, "squared", (False, True))
    margin = kit.number(margin, "margin", "[0, inf)")
    pos_margin = kit.number(pos_margin, "pos_margin", "[0, inf)")
    return x1, x2, t, xp, margin, pos_margin


def _triplet_args(anchor, positive, negative, margin, p, eps, swap, squared, reduction):
    kit.check_reduction(reduction)
    a = _embeddings(anchor, "anchor")
    pos = _embeddings(positive, "positive", a, "anchor")
    neg = _embeddings(negative, "negative", a, "anchor")
    xp = namespace(a, pos, neg)
    margin = kit.number(margin, "margin")
    p = kit.number(p, "p", "[1, inf)")
    eps = kit.number(eps, "eps", "[0, inf)")
    kit.choice(swap, "swap", (False, True))
    kit.choice(squared, "squared", (False, True))
    return a, pos, neg, xp, margin, p, eps


def _ranking_args(input1, input2, target, margin, reduction, *, rows):
    """Inputs of margin_ranking_loss (``rows=False``: any shape, target alike) or of
    cosine_embedding_loss (``rows=True``: (batch, dim), target (batch,)); target in {-1, +1}."""
    kit.check_reduction(reduction)
    x1 = kit.floating(input1, "input1")
    if rows:
        kit.has_ndim(x1, "input1", "(batch, dim)", allowed=(2,))
    kit.nonempty(x1, "input1")
    x2 = _embeddings(input2, "input2", x1, "input1")
    xp = namespace(x1, x2, target)
    shape = (x1.shape[0],) if rows else tuple(x1.shape)
    t = kit.has_shape(kit.sign_labels(target, "target"), "target", shape)
    margin = kit.number(margin, "margin", "[-1, 1]" if rows else "(-inf, inf)")
    return x1, x2, kit.cast_like(t, x1), xp, margin


def _angle(value, name):
    """An angular margin in radians, in [0, pi); a value of pi or more is taken for degrees."""
    if isinstance(value, (int, float)) and value >= math.pi:
        raise ValueError(f"{name} must be an angle in radians in [0, pi), got {value!r} "
                         f"(pytorch-metric-learning 2.x takes degrees: {value!r} degrees is "
                         f"{math.radians(value):.4g} radians)")
    return kit.number(value, name, f"[0, {math.pi!r})")


def _margin_head_args(input, target, weight, scale, m1, m2, m3, easy_margin, reduction):
    """Embeddings (B, d), labels (B,) in [0, C), class weights (C, d), the margins."""
    kit.check_reduction(reduction)
    x = _embeddings(input, "input")
    w = kit.floating(weight, "weight")
    xp = namespace(x, target, w)
    d = x.shape[1]
    kit.has_ndim(w, "weight", f"(num_classes, {d}) to match input", allowed=(2,))
    kit.has_shape(w, "weight", (w.shape[0], d), " to match input")
    kit.nonempty(w, "weight")
    kit.same_dtype(x, w, "input", "weight")
    y = kit.class_targets(x, target, w.shape[0], (x.shape[0],), hint=" (one label per row of input)")
    _nonzero_rows(x, "input")
    _nonzero_rows(w, "weight")
    scale = kit.number(scale, "scale", "(0, inf)")
    m1 = kit.number(m1, "m1", "[1, inf)")
    m2 = _angle(m2, "m2")
    m3 = kit.number(m3, "m3", "[0, inf)")
    kit.choice(easy_margin, "easy_margin", (False, True))
    if m1 != 1.0 and m2 != 0.0:
        raise ValueError("m1: a multiplicative margin m1 != 1 combines only with the cosine margin "
                         f"m3, not with an angular margin m2 (got m1={m1:g}, m2={m2:g})")
    return x, y, w, xp, scale, m1, m2, m3


# --- H1: contrastive loss --------------------------------------------------------------
def _relu(z, xp):
    """``max(z, 0)`` with torch's ``relu`` gradient convention: 0 at ``z = 0``."""
    return xp.where(z > 0, z, 0.0 * z)


def _pair_distance(x1, x2, distance, xp):
    """``(D, dD/dx1)``: Euclidean ‖x1 − x2‖ or cosine distance 1 − cos(x1, x2), per row.

    ``dD/dx2`` is ``-dD/dx1`` for the Euclidean distance; for the cosine distance it is
    returned as the third element. At D = 0 the Euclidean direction is taken as 0 (as torch's
    norm backward does)."""
    if distance == "euclidean":
        diff = x1 - x2
        d = xp.sqrt(xp.sum(diff * diff, axis=1))
        safe = xp.where(d > 0, d, 1.0, like=d)
        unit = diff / safe[:, None] * xp.where(d > 0, 1.0, 0.0, like=d)[:, None]
        return d, unit, -unit
    n1, n2 = row_norms(x1, xp), row_norms(x2, xp)
    h1, h2 = x1 / n1, x2 / n2
    cos = xp.sum(h1 * h2, axis=1)
    return 1.0 - cos, -(h2 - cos[:, None] * h1) / n1, -(h1 - cos[:, None] * h2) / n2


def _contrastive_terms(x1, x2, t, xp, margin, pos_margin, similar_label, distance, squared):
    """Per-pair loss and dℓ/dD (and the distance pieces)."""
    d, dd1, dd2 = _pair_distance(x1, x2, distance, xp)
    similar = t if similar_label == 1 else 1.0 - t
    pos = _relu(d - pos_margin, xp)
    neg = _relu(margin - d, xp)
    if squared:
        if distance == "euclidean" and pos_margin == 0.0:
            diff = x1 - x2
            pos_value = 0.5 * xp.sum(diff * diff, axis=1)      # smooth at D = 0
        else:
            pos_value = 0.5 * pos * pos
        loss = similar * pos_value + (1.0 - similar) * (0.5 * neg * neg)
        dloss = similar * pos - (1.0 - similar) * neg
    else:
        loss = similar * pos + (1.0 - similar) * neg
        one = xp.ones_like(d)
        dloss = similar * xp.where(pos > 0, one, 0.0 * one) - (1.0 - similar) * xp.where(neg > 0, one, 0.0 * one)
    return loss, dloss, dd1, dd2


def contrastive_loss(input1, input2, target, *, margin: float = 1.0, similar_label: int = 0,
                     distance: str = "euclidean", squared: bool = True, pos_margin: float = 0.0,
                     reduction: str = "mean"):
    r"""Contrastive (siamese) loss of Hadsell, Chopra & LeCun (2006), with the libraries' variants.

    .. math::

        \ell_i = (1-Y_i)\,\tfrac12 D_i^2 + Y_i\,\tfrac12\max(0,\ m - D_i)^2,
        \qquad D_i = \lVert x^{(1)}_i - x^{(2)}_i\rVert_2

    with the paper's labels: :math:`Y=0` for a similar pair, :math:`Y=1` for a dissimilar one.

    Parameters
    ----------
    input1, input2 : array_like, shape (B, d)
        The two embeddings of each pair.
    target : array_like, shape (B,)
        Pair labels in {0, 1} (integers or floats); which one means *similar* is
        ``similar_label``.
    margin : float >= 0, default 1.0
        :math:`m`: dissimilar pairs farther apart than this cost nothing.
    similar_label : {0, 1}, default 0
        0 is Hadsell et al.'s convention; 1 is sentence-transformers' and
        pytorch-metric-learning's (``labels == 1`` / equal class labels mean similar).
    distance : {'euclidean', 'cosine'}, default 'euclidean'
        :math:`D = \lVert x^{(1)}-x^{(2)}\rVert_2` or the cosine distance
        :math:`1-\cos(x^{(1)},x^{(2)})` (sentence-transformers' default).
    squared : bool, default True
        True: the halves of squares above (Hadsell, sentence-transformers). False: the plain
        hinges :math:`\max(0, D-m_+)` and :math:`\max(0, m-D)`, without ½
        (pytorch-metric-learning).
    pos_margin : float >= 0, default 0.0
        :math:`m_+`: similar pairs closer than this cost nothing (pytorch-metric-learning's
        ``pos_margin``); the similar term is :math:`\tfrac12\max(0, D-m_+)^2` when squared.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        Over the pairs.

    Returns
    -------
    array
        Scalar, or shape ``(B,)`` for ``reduction='none'``.

    Notes
    -----
    The three conventions in use:

    * Hadsell et al.: label 0 means similar; Euclidean distance; terms
      :math:`\tfrac12D^2` and :math:`\tfrac12\max(0,m-D)^2`; summed.
    * sentence-transformers ``ContrastiveLoss``: label 1 means similar; cosine distance
      :math:`1-\cos` by default; the same halves of squares; ``margin=0.5``; the mean.
    * pytorch-metric-learning ``ContrastiveLoss``: equal class labels (1) mean similar;
      Euclidean distance between L2-normalised embeddings; plain hinges
      :math:`\max(0,D-m_+)` and :math:`\max(0,m-D)` without ½ (``pos_margin=0``,
      ``neg_margin=1``); the mean over the non-zero positive terms plus the mean over the
      non-zero negative terms.

    How to get each here:

    * Hadsell: the defaults. sentence-transformers ``ContrastiveLoss``:
      ``similar_label=1, distance='cosine', margin=0.5`` (with its
      ``SiameseDistanceMetric.EUCLIDEAN`` it uses ``F.pairwise_distance``, which adds
      ``eps=1e-6`` to the difference; we do not).
    * pytorch-metric-learning ``ContrastiveLoss(pos_margin, neg_margin)``:
      ``similar_label=1, squared=False, margin=neg_margin, pos_margin=pos_margin`` on
      L2-normalised embeddings, ``reduction='none'``, then its ``AvgNonZeroReducer`` (the
      mean over the pairs with a non-zero loss, separately for positive and negative pairs,
      summed), which is why it reports exactly 0 once every pair satisfies its margin and why
      its value does not fall as the easy pairs grow in number.

    At :math:`D=0` the Euclidean distance has no gradient direction; the gradient of
    :math:`D` is taken as 0 there (torch's norm backward does the same). The squared
    similar term is computed as :math:`\tfrac12\sum_k (x^{(1)}_k-x^{(2)}_k)^2`, smooth at 0.

    References
    ----------
    Hadsell, Chopra & LeCun, "Dimensionality Reduction by Learning an Invariant Mapping",
    CVPR 2006.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> x1 = np.array([[0.0, 0.0], [0.0, 0.0]])
    >>> x2 = np.array([[0.6, 0.8], [0.3, 0.4]])
    >>> lossbook.contrastive_loss(x1, x2, np.array([0, 1]), reduction="none")
    array([0.5  , 0.125])
    >>> lossbook.contrastive_loss(x1, x2, np.array([1, 0]), similar_label=1, reduction="none")
    array([0.5  , 0.125])
    """
    x1, x2, t, xp, margin, pos_margin = _contrastive_args(
        input1, input2, target, margin, pos_margin, similar_label, distance, squared, reduction)
    loss, _, _, _ = _contrastive_terms(x1, x2, t, xp, margin, pos_margin, similar_label,
                                       distance, squared)
    return reduce(loss, reduction)


def contrastive_loss_grad(input1, input2, target, *, margin: float = 1.0, similar_label: int = 0,
                          distance: str = "euclidean", squared: bool = True,
                          pos_margin: float = 0.0, reduction: str = "mean", grad_output=None):
    r"""Gradients (VJP) of :func:`contrastive_loss` for both embeddings.

    .. math::

        \frac{\partial\ell}{\partial D} = (1-Y)\,D - Y\max(0,\ m-D),\qquad
        \frac{\partial D}{\partial x^{(1)}} = \frac{x^{(1)}-x^{(2)}}{D}
        = -\frac{\partial D}{\partial x^{(2)}}

    (squared Euclidean form, paper labels). For the cosine distance
    :math:`\partial D/\partial x^{(1)} = -(\hat x^{(2)} - \cos\,\hat x^{(1)})/\lVert x^{(1)}\rVert`;
    the plain hinges have :math:`\partial\ell/\partial D \in\{1, -1, 0\}`, 0 at the hinge
    (torch's ``relu``).

    Returns
    -------
    (array, array)
        Shaped like ``input1`` and ``input2``.
    """
    x1, x2, t, xp, margin, pos_margin = _contrastive_args(
        input1, input2, target, margin, pos_margin, similar_label, distance, squared, reduction)
    loss, dloss, dd1, dd2 = _contrastive_terms(x1, x2, t, xp, margin, pos_margin, similar_label,
                                               distance, squared)
    g = (upstream(loss, reduction, grad_output) * dloss)[:, None]
    return g * dd1, g * dd2


# --- H2: triplet margin loss -----------------------------------------------------------
def _p_distance(u, v, p, eps, squared, xp):
    """``(d, dd/du)``: ‖u − v + eps‖_p (PyTorch's pairwise_distance) or ‖u − v‖² (FaceNet)."""
    if squared:
        diff = u - v
        return xp.sum(diff * diff, axis=1), 2.0 * diff
    diff = u - v + eps
    if p == 2.0:
        d = xp.sqrt(xp.sum(diff * diff, axis=1))
        safe = xp.where(d > 0, d, 1.0, like=d)
        return d, diff / safe[:, None] * xp.where(d > 0, 1.0, 0.0, like=d)[:, None]
    a = xp.abs(diff)
    if p == 1.0:
        return xp.sum(a, axis=1), xp.sign(diff)
    d = xp.sum(a ** p, axis=1) ** (1.0 / p)
    safe = xp.where(d > 0, d, 1.0, like=d)
    return d, xp.sign(diff) * a ** (p - 1.0) / (safe ** (p - 1.0))[:, None] \
        * xp.where(d > 0, 1.0, 0.0, like=d)[:, None]


def _triplet_terms(a, pos, neg, xp, margin, p, eps, swap, squared):
    d_ap, g_ap = _p_distance(a, pos, p, eps, squared, xp)
    d_an, g_an = _p_distance(a, neg, p, eps, squared, xp)
    if swap:
        d_pn, g_pn = _p_distance(pos, neg, p, eps, squared, xp)
        one = xp.ones_like(d_an)
        # torch.minimum's backward: all to the smaller one, half each on a tie
        w_an = xp.where(d_an < d_pn, one, xp.where(d_an == d_pn, 0.5 * one, 0.0 * one))
        d_neg = xp.minimum(d_an, d_pn)
    else:
        d_pn = g_pn = None
        w_an = xp.ones_like(d_an)
        d_neg = d_an
    z = margin + d_ap - d_neg
    return xp.maximum(z, 0.0), z, g_ap, g_an, g_pn, w_an


def triplet_margin_loss(anchor, positive, negative, *, margin: float = 1.0, p: float = 2.0,
                        eps: float = 1e-6, swap: bool = False, squared: bool = False,
                        reduction: str = "mean"):
    r"""Triplet margin loss: PyTorch's form, and FaceNet's squared form with ``squared=True``.

    .. math::

        \ell_i = \max\bigl(0,\ m + d(a_i, p_i) - d(a_i, n_i)\bigr),
        \qquad d(x, y) = \lVert x - y + \varepsilon\rVert_p

    With ``squared=True`` (Schroff et al. 2015), :math:`d(x,y)=\lVert x-y\rVert_2^2`
    (no :math:`\varepsilon`, ``p`` unused) and FaceNet's margin is :math:`m=\alpha=0.2`.

    Parameters
    ----------
    anchor, positive, negative : array_like, shape (B, d)
        The triplets' embeddings (FaceNet L2-normalises them first; we do not).
    margin : float, default 1.0
        :math:`m` (PyTorch's default; FaceNet's :math:`\alpha` is 0.2).
    p : float >= 1, default 2.0
        The norm's order.
    eps : float >= 0, default 1e-6
        Added to each difference before the norm, exactly as ``F.pairwise_distance`` does.
    swap : bool, default False
        Use :math:`\min(d(a,n), d(p,n))` as the negative distance (Balntas et al. 2016).
    squared : bool, default False
        FaceNet's squared Euclidean distances.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        Over the triplets: ``'mean'`` averages over **all** of them, inactive (zero) ones
        included, as PyTorch does.

    Returns
    -------
    array
        Scalar, or shape ``(B,)`` for ``reduction='none'``.

    Notes
    -----
    pytorch-metric-learning's ``TripletMarginLoss(margin=0.05)`` forms every valid triplet
    of a labelled batch, L2-normalises the embeddings, uses plain Euclidean distances
    without :math:`\varepsilon` and averages over the **non-zero** triplets only
    (``AvgNonZeroReducer``); so its value is the mean of the active triplets' losses, and it
    is exactly 0 when every triplet satisfies the margin. The equivalent here is
    ``eps=0`` on normalised embeddings, ``reduction='none'``, then the mean of the positive
    entries.

    The hinge's kink (:math:`m + d_{ap} = d_{an}`) passes the gradient (``clamp_min``'s
    backward is inclusive).

    References
    ----------
    Schroff, Kalenichenko & Philbin, "FaceNet: A Unified Embedding for Face Recognition and
    Clustering", CVPR 2015, arXiv:1503.03832. Balntas, Riba, Ponsa & Mikolajczyk, "Learning
    local feature descriptors with triplets and shallow convolutional neural networks",
    BMVC 2016 (the swap).

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> a, p, n = np.array([[0.0, 0.0]]), np.array([[0.3, 0.4]]), np.array([[1.2, 0.0]])
    >>> round(float(lossbook.triplet_margin_loss(a, p, n, eps=0.0)), 12)
    0.3
    >>> round(float(lossbook.triplet_margin_loss(a, p, n, margin=0.2, squared=True)), 12)
    0.0
    """
    a, pos, neg, xp, margin, p, eps = _triplet_args(anchor, positive, negative, margin, p, eps,
                                                    swap, squared, reduction)
    loss = _triplet_terms(a, pos, neg, xp, margin, p, eps, swap, squared)[0]
    return reduce(loss, reduction)


def triplet_margin_loss_grad(anchor, positive, negative, *, margin: float = 1.0, p: float = 2.0,
                             eps: float = 1e-6, swap: bool = False, squared: bool = False,
                             reduction: str = "mean", grad_output=None):
    r"""Gradients (VJP) of :func:`triplet_margin_loss` for anchor, positive and negative.

    .. math::

        \frac{\partial\ell}{\partial a} = u_p - u_n,\quad
        \frac{\partial\ell}{\partial p} = -u_p,\quad
        \frac{\partial\ell}{\partial n} = u_n,\qquad
        u_p = \frac{a-p+\varepsilon}{d(a,p)},\ u_n = \frac{a-n+\varepsilon}{d(a,n)}

    on active triplets (:math:`m+d_{ap}-d_{an}\ge 0`; 0 otherwise), for :math:`p=2`. For
    other :math:`p`, :math:`u = \operatorname{sign}(v)|v|^{p-1}/d^{p-1}` with
    :math:`v` the difference; for the squared form, :math:`u_p = 2(a-p)`, :math:`u_n=2(a-n)`.
    With ``swap`` the negative's part goes to :math:`d(p,n)` where it is the smaller.

    Returns
    -------
    (array, array, array)
        Shaped like ``anchor``, ``positive`` and ``negative``.
    """
    a, pos, neg, xp, margin, p, eps = _triplet_args(anchor, positive, negative, margin, p, eps,
                                                    swap, squared, reduction)
    loss, z, g_ap, g_an, g_pn, w_an = _triplet_terms(a, pos, neg, xp, margin, p, eps, swap, squared)
    one = xp.ones_like(z)
    g = upstream(loss, reduction, grad_output) * xp.where(z >= 0, one, 0.0 * one)
    ga = g[:, None] * g_ap - (g * w_an)[:, None] * g_an
    gp = -g[:, None] * g_ap
    gn = (g * w_an)[:, None] * g_an
    if swap:
        g_swap = (g * (1.0 - w_an))[:, None] * g_pn
        gp = gp - g_swap
        gn = gn + g_swap
    return ga, gp, gn


# --- H3: margin ranking loss -----------------------------------------------------------
def margin_ranking_loss(input1, input2, target, *, margin: float = 0.0, reduction: str = "mean"):
    r"""Margin ranking loss: ``input1`` should rank above ``input2`` when ``target`` is +1.

    .. math::

        \ell_i = \max\bigl(0,\ -y_i\,(x^{(1)}_i - x^{(2)}_i) + m\bigr),
        \qquad y_i\in\{-1,+1\}

    Parameters
    ----------
    input1, input2 : array_like
        Scores, of the same shape.
    target : array_like
        :math:`y` in {-1, +1}, shaped like the inputs: +1 means ``input1`` should be the
        larger by at least ``margin``.
    margin : float, default 0.0
        :math:`m` (PyTorch's default 0; ranking SVMs and TransE use a positive one).
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        Over all elements (PyTorch).

    Returns
    -------
    array
        Scalar, or shaped like the inputs for ``reduction='none'``.

    Notes
    -----
    Exactly ``torch.nn.functional.margin_ranking_loss``, including the gradient at the
    hinge (``clamp_min``'s backward is inclusive: at :math:`-y(x^{(1)}-x^{(2)})+m=0` the
    gradient is :math:`\mp y`, not 0). PyTorch accepts any target values; here they must be
    ±1.

    References
    ----------
    Herbrich, Graepel & Obermayer, "Support Vector Learning for Ordinal Regression", ICANN
    1999; Joachims, "Optimizing Search Engines using Clickthrough Data", KDD 2002.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> x1, x2, y = np.array([0.8, 0.2, 0.5]), np.array([0.5, 0.4, 0.5]), np.array([1.0, 1.0, -1.0])
    >>> lossbook.margin_ranking_loss(x1, x2, y, margin=0.1, reduction="none")
    array([0. , 0.3, 0.1])
    """
    x1, x2, t, xp, margin = _ranking_args(input1, input2, target, margin, reduction, rows=False)
    return reduce(xp.maximum(-t * (x1 - x2) + margin, 0.0), reduction)


def margin_ranking_loss_grad(input1, input2, target, *, margin: float = 0.0,
                             reduction: str = "mean", grad_output=None):
    r"""Gradients (VJP) of :func:`margin_ranking_loss` for both inputs.

    .. math::

        \frac{\partial\ell}{\partial x^{(1)}} = -y\,\mathbb 1[-y(x^{(1)}-x^{(2)})+m \ge 0]
        = -\frac{\partial\ell}{\partial x^{(2)}}

    Returns
    -------
    (array, array)
        Shaped like ``input1`` and ``input2``.
    """
    x1, x2, t, xp, margin = _ranking_args(input1, input2, target, margin, reduction, rows=False)
    z = -t * (x1 - x2) + margin
    one = xp.ones_like(z)
    g = upstream(z, reduction, grad_output) * xp.where(z >= 0, one, 0.0 * one) * -t
    return g, -g


# --- cosine embedding loss (PyTorch) ---------------------------------------------------
# ATen's ``static const float EPSILON = 1e-12`` in cosine_embedding_loss, added to each squared
# norm: a float32 constant, so 1e-12 rounded to float32 (9.99999996e-13) even in float64.
_COSINE_EPS = float(np.float32(1e-12))


def _cosine_terms(x1, x2, xp):
    prod = xp.sum(x1 * x2, axis=1)
    sq1 = xp.sum(x1 * x1, axis=1) + _COSINE_EPS
    sq2 = xp.sum(x2 * x2, axis=1) + _COSINE_EPS
    denom = xp.sqrt(sq1 * sq2)
    return prod / denom, denom, sq1, sq2


def cosine_embedding_loss(input1, input2, target, *, margin: float = 0.0, reduction: str = "mean"):
    r"""Cosine embedding loss (PyTorch's): pull similar pairs to cosine 1, push others below ``margin``.

    .. math::

        \ell_i = \begin{cases} 1-\cos(x^{(1)}_i, x^{(2)}_i) & y_i = 1\\
        \max\bigl(0,\ \cos(x^{(1)}_i, x^{(2)}_i) - m\bigr) & y_i=-1\end{cases},
        \qquad \cos(u, v) = \frac{u^\top v}{\sqrt{(\lVert u\rVert^2+\epsilon)(\lVert v\rVert^2+\epsilon)}}

    with :math:`\epsilon=10^{-12}` (ATen's float32 constant, 9.99999996e-13) added to each
    squared norm, exactly as ATen does.

    Parameters
    ----------
    input1, input2 : array_like, shape (B, d)
        The pairs' embeddings.
    target : array_like, shape (B,)
        1 for a similar pair, -1 for a dissimilar one.
    margin : float in [-1, 1], default 0.0
        :math:`m` (PyTorch suggests 0 to 0.5).
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        Over the pairs.

    Returns
    -------
    array
        Scalar, or shape ``(B,)`` for ``reduction='none'``.

    Notes
    -----
    PyTorch gives 0 for a target that is neither 1 nor -1; here such a target is an error.
    The hinge's kink passes the gradient (``clamp_min``).

    References
    ----------
    PyTorch, ``torch.nn.CosineEmbeddingLoss``.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> x1 = np.array([[1.0, 0.0], [1.0, 0.0]])
    >>> x2 = np.array([[1.0, 1.0], [1.0, 1.0]])
    >>> lossbook.cosine_embedding_loss(x1, x2, np.array([1, -1]), margin=0.5, reduction="none").round(6)
    array([0.292893, 0.207107])
    """
    x1, x2, t, xp, margin = _ranking_args(input1, input2, target, margin, reduction, rows=True)
    cos = _cosine_terms(x1, x2, xp)[0]
    loss = xp.where(t > 0, 1.0 - cos, xp.maximum(cos - margin, 0.0))
    return reduce(loss, reduction)


def cosine_embedding_loss_grad(input1, input2, target, *, margin: float = 0.0,
                               reduction: str = "mean", grad_output=None):
    r"""Gradients (VJP) of :func:`cosine_embedding_loss` for both inputs.

    .. math::

        \frac{\partial\cos}{\partial x^{(1)}} = \frac{x^{(2)}}{\sqrt{s_1 s_2}}
        - \cos\,\frac{x^{(1)}}{s_1},\qquad s_k = \lVert x^{(k)}\rVert^2+\epsilon ;
        \quad \frac{\partial\ell}{\partial\cos} = -1\ (y=1),\ \ \mathbb 1[\cos\ge m]\ (y=-1)

    Returns
    -------
    (array, array)
        Shaped like ``input1`` and ``input2``.
    """
    x1, x2, t, xp, margin = _ranking_args(input1, input2, target, margin, reduction, rows=True)
    cos, denom, sq1, sq2 = _cosine_terms(x1, x2, xp)
    one = xp.ones_like(cos)
    dcos = xp.where(t > 0, -one, xp.where(cos - margin >= 0, one, 0.0 * one))
    g = (upstream(cos, reduction, grad_output) * dcos)[:, None]
    grad1 = g * (x2 / denom[:, None] - (cos / sq1)[:, None] * x1)
    grad2 = g * (x1 / denom[:, None] - (cos / sq2)[:, None] * x2)
    return grad1, grad2


# --- H5: angular-margin softmax heads (SphereFace, CosFace, ArcFace) ---------------------
def _target_logit(c, m1, m2, m3, easy_margin, xp):
    """``(phi(c), dphi/dc)``: the margin-modified target cosine, per row."""
    one = xp.ones_like(c)
    if m1 == 1.0:
        if m2 == 0.0:
            return c - m3, one
        sine = xp.sqrt(xp.clip(1.0 - c * c, 0.0, 1.0))
        cos_m, sin_m = math.cos(m2), math.sin(m2)
        phi = c * cos_m - sine * sin_m                       # cos(theta + m2)
        dphi = cos_m + sin_m * c / xp.where(sine > 0, sine, 1.0, like=sine) \
            * xp.where(sine > 0, 1.0, 0.0, like=sine)
        if easy_margin:
            keep, fallback = c > 0, c
        else:
            # theta + m2 > pi: insightface's cos(theta) - m2 sin(m2) (sinmm = sin(pi - m2) m2)
            keep, fallback = c > math.cos(math.pi - m2), c - math.sin(math.pi - m2) * m2
        return xp.where(keep, phi, fallback) - m3, xp.where(keep, dphi, one)
    # SphereFace's monotone psi(theta) = (-1)^k cos(m1 theta) - 2k on [k pi/m1, (k+1) pi/m1]
    theta = xp.arccos(xp.clip(c, -1.0, 1.0))
    t = m1 * theta
    sign, k = one, 0.0 * one
    for j in range(1, int(math.ceil(m1)) + 1):
        past = t >= j * math.pi
        sign = xp.where(past, -sign, sign)
        k = xp.where(past, k + 1.0, k)
    sine = xp.sqrt(xp.clip(1.0 - c * c, 0.0, 1.0))
    # d theta/dc = -1/sin(theta); at sin(theta) = 0 the ratio sin(m1 theta)/sin(theta) -> m1
    ratio = xp.where(sine > 0, xp.sin(t) / xp.where(sine > 0, sine, 1.0, like=sine), m1 * one)
    return sign * xp.cos(t) - 2.0 * k - m3, sign * m1 * ratio


def _margin_head(x, y, w, xp, scale, m1, m2, m3, easy_margin):
    """Per-row loss, the cosine matrix pieces, softmax and dphi/dc of the target."""
    cos, xh, wh, nx, nw = cosine_matrix(x, w, xp)
    onehot = xp.one_hot(y, w.shape[0], like=cos)
    c_y = xp.sum(cos * onehot, axis=1)
    phi, dphi = _target_logit(c_y, m1, m2, m3, easy_margin, xp)
    logits = scale * xp.where(onehot > 0.5, phi[:, None], cos)
    logp = xp.log_softmax(logits, axis=1)
    loss = -xp.sum(logp * onehot, axis=1)
    return loss, (cos, xh, wh, nx, nw), xp.exp(logp), onehot, dphi


def _margin_head_grad(x, y, w, xp, scale, m1, m2, m3, easy_margin, reduction, grad_output):
    loss, pieces, prob, onehot, dphi = _margin_head(x, y, w, xp, scale, m1, m2, m3, easy_margin)
    g = upstream(loss, reduction, grad_output)[:, None]
    dlogits = g * (prob - onehot)                       # d loss / d logits
    # d logits / d cos: s for the other classes, s * dphi/dc for the target
    G = scale * dlogits * xp.where(onehot > 0.5, dphi[:, None], xp.ones_like(dlogits))
    return cosine_matrix_vjp(G, *pieces, xp)


def angular_margin_logits(input, target, weight, *, scale: float = 64.0, m1: float = 1.0,
                          m2: float = 0.0, m3: float = 0.0, easy_margin: bool = False):
    r"""The logits of :func:`combined_margin_loss`: :math:`s\,\psi(\theta_{y_i})` in each
    row's target column, :math:`s\cos\theta_j` elsewhere (for plots of the target logit).

    Parameters
    ----------
    input, target, weight, scale, m1, m2, m3, easy_margin
        As in :func:`combined_margin_loss`.

    Returns
    -------
    array, shape (B, C)
        The logits fed to the softmax cross-entropy.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> x, w = np.array([[0.0, 1.0]]), np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> lossbook.angular_margin_logits(x, np.array([0]), w, scale=1.0, m3=0.25)
    array([[0.75, 0.  ]])
    """
    x, y, w, xp, scale, m1, m2, m3 = _margin_head_args(input, target, weight, scale, m1, m2, m3,
                                                      easy_margin, "mean")
    cos = cosine_matrix(x, w, xp)[0]
    onehot = xp.one_hot(y, w.shape[0], like=cos)
    phi = _target_logit(xp.sum(cos * onehot, axis=1), m1, m2, m3, easy_margin, xp)[0]
    return scale * xp.where(onehot > 0.5, phi[:, None], cos)


def combined_margin_loss(input, target, weight, *, scale: float = 64.0, m1: float = 1.0,
                         m2: float = 0.5, m3: float = 0.0, easy_margin: bool = False,
                         reduction: str = "mean"):
    r"""Softmax cross-entropy on scaled cosines with the combined angular margin ``(m1, m2, m3)``.

    .. math::

        \ell_i = -\log\frac{e^{s\,\psi(\theta_{y_i})}}{e^{s\,\psi(\theta_{y_i})}
        + \sum_{j\ne y_i} e^{s\cos\theta_j}},\qquad
        \psi(\theta) = \cos(m_1\theta + m_2) - m_3,\qquad
        \cos\theta_j = \frac{W_j^\top x_i}{\lVert W_j\rVert\,\lVert x_i\rVert}

    SphereFace is :math:`(m_1, 0, 0)`, ArcFace :math:`(1, m_2, 0)`, CosFace
    :math:`(1, 0, m_3)` (Deng et al. 2019, Eq. 4). :func:`sphereface_loss`,
    :func:`arcface_loss` and :func:`cosface_loss` call this function.

    Parameters
    ----------
    input : array_like, shape (B, d)
        Embeddings :math:`x_i` (normalised inside; no zero rows).
    target : array_like of int, shape (B,)
        Class labels in ``[0, C)``.
    weight : array_like, shape (C, d)
        Class weights :math:`W_j` (the rows of the last layer, as in ``nn.Linear`` and
        insightface; normalised inside).
    scale : float > 0, default 64.0
        :math:`s`.
    m1 : float >= 1, default 1.0
        Multiplicative angular margin. For :math:`m_1\ne1` the target logit is SphereFace's
        monotone extension :math:`\psi(\theta)=(-1)^k\cos(m_1\theta)-2k-m_3` for
        :math:`\theta\in[k\pi/m_1,(k+1)\pi/m_1]`, and ``m2`` must be 0.
    m2 : float in [0, pi), default 0.5
        Additive angular margin in **radians**.
    m3 : float >= 0, default 0.0
        Additive cosine margin.
    easy_margin : bool, default False
        With :math:`m_2>0`: apply the angular margin only where :math:`\cos\theta_y>0`.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        Over the batch.

    Returns
    -------
    array
        Scalar, or shape ``(B,)`` for ``reduction='none'``.

    Notes
    -----
    For :math:`m_1=1, m_2>0` the target cosine follows insightface's ``ArcFace`` /
    ``CombinedMarginLoss`` (the version with the fallback) exactly:
    :math:`\cos(\theta+m_2)=\cos\theta\cos m_2-\sin\theta\sin m_2` with
    :math:`\sin\theta=\sqrt{1-\cos^2\theta}` where :math:`\cos\theta>\cos(\pi-m_2)`, and
    :math:`\cos\theta - m_2\sin m_2` beyond (:math:`\theta+m_2>\pi`, where
    :math:`\cos(\theta+m_2)` would start to increase again). The fallback is discontinuous
    at :math:`\theta=\pi-m_2` (:math:`-1` against :math:`-1.117` for :math:`m_2=0.5`). With
    ``easy_margin`` it is :math:`\cos\theta` where :math:`\cos\theta\le 0`. Then
    :math:`m_3` is subtracted (insightface's ``CombinedMarginLoss`` applies either
    :math:`m_2` or :math:`m_3`, never both; the MXNet original applies both, without the
    fallback).

    At :math:`\theta_y\in\{0,\pi\}` the derivative of :math:`\cos(\theta+m_2)` in
    :math:`\cos\theta` is infinite; the gradient takes its :math:`\cot\theta` term as 0
    there (references give ``inf``/``nan``).

    References
    ----------
    Deng, Guo, Xue & Zafeiriou, "ArcFace: Additive Angular Margin Loss for Deep Face
    Recognition", CVPR 2019, arXiv:1801.07698.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> x, w = np.array([[1.0, 1.0]]), np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> round(float(lossbook.combined_margin_loss(x, np.array([0]), w, scale=1.0, m2=0.0)), 6)
    0.693147
    """
    x, y, w, xp, scale, m1, m2, m3 = _margin_head_args(input, target, weight, scale, m1, m2, m3,
                                                      easy_margin, reduction)
    return reduce(_margin_head(x, y, w, xp, scale, m1, m2, m3, easy_margin)[0], reduction)


def combined_margin_loss_grad(input, target, weight, *, scale: float = 64.0, m1: float = 1.0,
                              m2: float = 0.5, m3: float = 0.0, easy_margin: bool = False,
                              reduction: str = "mean", grad_output=None):
    r"""Gradients (VJP) of :func:`combined_margin_loss` for the embeddings and the class weights.

    .. math::

        \frac{\partial\ell}{\partial\cos\theta_j} = s\,(p_j-\delta_{jy})\ (j\ne y),\qquad
        \frac{\partial\ell}{\partial\cos\theta_y} = s\,(p_y-1)\,\psi'(\cos\theta_y),

        \frac{\partial\cos\theta_j}{\partial x} = \frac{\hat W_j-\cos\theta_j\,\hat x}{\lVert x\rVert},
        \qquad
        \frac{\partial\cos\theta_j}{\partial W_j} = \frac{\hat x-\cos\theta_j\,\hat W_j}{\lVert W_j\rVert}

    with :math:`p=\operatorname{softmax}` of the logits and, for ArcFace,
    :math:`\psi' = \cos m_2 + \sin m_2\,\cot\theta_y` (1 on the fallback branch); for
    SphereFace :math:`\psi' = (-1)^k m_1\sin(m_1\theta_y)/\sin\theta_y`.

    Returns
    -------
    (array, array)
        Shaped like ``input`` and like ``weight``.
    """
    x, y, w, xp, scale, m1, m2, m3 = _margin_head_args(input, target, weight, scale, m1, m2, m3,
                                                      easy_margin, reduction)
    return _margin_head_grad(x, y, w, xp, scale, m1, m2, m3, easy_margin, reduction, grad_output)


def arcface_loss(input, target, weight, *, scale: float = 64.0, margin: float = 0.5,
                 easy_margin: bool = False, reduction: str = "mean"):
    r"""ArcFace (additive angular margin) loss: the target angle is penalised by ``margin``.

    .. math::

        \ell_i = -\log\frac{e^{s\cos(\theta_{y_i}+m)}}{e^{s\cos(\theta_{y_i}+m)}
        + \sum_{j\ne y_i}e^{s\cos\theta_j}}

    :func:`combined_margin_loss` with :math:`(m_1,m_2,m_3)=(1,m,0)`, including
    insightface's fallback :math:`\cos\theta-m\sin m` for :math:`\theta+m>\pi` and its
    ``easy_margin``.

    Parameters
    ----------
    input : array_like, shape (B, d)
        Embeddings (normalised inside).
    target : array_like of int, shape (B,)
        Class labels in ``[0, C)``.
    weight : array_like, shape (C, d)
        Class weights (normalised inside).
    scale : float > 0, default 64.0
        :math:`s`.
    margin : float in [0, pi), default 0.5
        :math:`m` in **radians** (0.5 rad = 28.6°).
    easy_margin : bool, default False
        Apply the margin only where :math:`\cos\theta_y>0` (else the plain cosine).
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        Over the batch.

    Returns
    -------
    array
        Scalar, or shape ``(B,)`` for ``reduction='none'``.

    Notes
    -----
    Differences from the reference implementations:

    * insightface (``recognition/arcface_torch/losses.py``, ``ArcFace(s=64, margin=0.5)``
      and ``CombinedMarginLoss``): the same numbers, with the weight matrix shaped
      ``(C, d)`` as here; its fallback condition is ``cos θ > cos(π − m)`` (strict), as here.
    * pytorch-metric-learning ``ArcFaceLoss(num_classes, embedding_size, margin=28.6,
      scale=64)``: the margin is in **degrees** (28.6° ≈ 0.4992 rad, not exactly 0.5), its
      ``W`` is shaped ``(d, C)``, the angle is computed as ``acos`` and
      :math:`\cos(\theta+m)` directly, it keeps the margin where
      :math:`\theta\le\pi-m` (inclusive; here strict), and it has no ``easy_margin``.
      Its default reducer is the plain mean: ``reduction='mean'``.

    References
    ----------
    Deng, Guo, Xue & Zafeiriou, "ArcFace: Additive Angular Margin Loss for Deep Face
    Recognition", CVPR 2019, arXiv:1801.07698.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> x, w = np.array([[1.0, 0.0]]), np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> round(float(lossbook.arcface_loss(x, np.array([0]), w, scale=1.0)), 6)
    1.684624
    """
    _angle(margin, "margin")   # checked under the caller's name
    return combined_margin_loss(input, target, weight, scale=scale, m1=1.0, m2=margin, m3=0.0,
                                easy_margin=easy_margin, reduction=reduction)


def arcface_loss_grad(input, target, weight, *, scale: float = 64.0, margin: float = 0.5,
                      easy_margin: bool = False, reduction: str = "mean", grad_output=None):
    r"""Gradients (VJP) of :func:`arcface_loss` for the embeddings and the class weights.

    .. math::

        \frac{\partial\ell}{\partial\cos\theta_y} = s\,(p_y-1)\Bigl(\cos m
        + \sin m\,\frac{\cos\theta_y}{\sin\theta_y}\Bigr),\qquad
        \frac{\partial\ell}{\partial\cos\theta_j} = s\,p_j\ (j\ne y)

    (1 in place of the bracket on the fallback branch), then through the cosines as in
    :func:`combined_margin_loss_grad`.

    Returns
    -------
    (array, array)
        Shaped like ``input`` and like ``weight``.
    """
    _angle(margin, "margin")   # checked under the caller's name
    return combined_margin_loss_grad(input, target, weight, scale=scale, m1=1.0, m2=margin,
                                     m3=0.0, easy_margin=easy_margin, reduction=reduction,
                                     grad_output=grad_output)


def cosface_loss(input, target, weight, *, scale: float = 64.0, margin: float = 0.35,
                 reduction: str = "mean"):
    r"""CosFace / AM-Softmax (additive cosine margin) loss.

    .. math::

        \ell_i = -\log\frac{e^{s(\cos\theta_{y_i}-m)}}{e^{s(\cos\theta_{y_i}-m)}
        + \sum_{j\ne y_i}e^{s\cos\theta_j}}

    :func:`combined_margin_loss` with :math:`(m_1,m_2,m_3)=(1,0,m)`.

    Parameters
    ----------
    input : array_like, shape (B, d)
        Embeddings (normalised inside).
    target : array_like of int, shape (B,)
        Class labels in ``[0, C)``.
    weight : array_like, shape (C, d)
        Class weights (normalised inside).
    scale : float > 0, default 64.0
        :math:`s`.
    margin : float >= 0, default 0.35
        :math:`m` (Wang et al. 2018 and pytorch-metric-learning use 0.35; insightface's
        ``CosFace`` 0.4; AM-Softmax 0.35 with :math:`s=30`).
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        Over the batch.

    Returns
    -------
    array
        Scalar, or shape ``(B,)`` for ``reduction='none'``.

    Notes
    -----
    pytorch-metric-learning ``CosFaceLoss(num_classes, embedding_size, margin=0.35,
    scale=64)`` computes the same numbers (its ``W`` is shaped ``(d, C)``); insightface's
    ``CosFace(s=64, m=0.4)`` too, with its own default margin.

    References
    ----------
    Wang et al., "CosFace: Large Margin Cosine Loss for Deep Face Recognition", CVPR 2018,
    arXiv:1801.09414; Wang, Cheng, Liu & Liu, "Additive Margin Softmax for Face
    Verification", 2018, arXiv:1801.05599.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> x, w = np.array([[1.0, 0.0]]), np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> round(float(lossbook.cosface_loss(x, np.array([0]), w, scale=1.0)), 6)
    0.420055
    """
    kit.number(margin, "margin", "[0, inf)")   # checked under the caller's name
    return combined_margin_loss(input, target, weight, scale=scale, m1=1.0, m2=0.0, m3=margin,
                                reduction=reduction)


def cosface_loss_grad(input, target, weight, *, scale: float = 64.0, margin: float = 0.35,
                      reduction: str = "mean", grad_output=None):
    r"""Gradients (VJP) of :func:`cosface_loss` for the embeddings and the class weights.

    .. math::

        \frac{\partial\ell}{\partial\cos\theta_j} = s\,(p_j-\delta_{jy})

    then through the cosines as in :func:`combined_margin_loss_grad`.

    Returns
    -------
    (array, array)
        Shaped like ``input`` and like ``weight``.
    """
    kit.number(margin, "margin", "[0, inf)")   # checked under the caller's name
    return combined_margin_loss_grad(input, target, weight, scale=scale, m1=1.0, m2=0.0,
                                     m3=margin, reduction=reduction, grad_output=grad_output)


def sphereface_loss(input, target, weight, *, scale: float = 64.0, margin: float = 4.0,
                    reduction: str = "mean"):
    r"""SphereFace (multiplicative angular margin, A-Softmax) loss on normalised embeddings.

    .. math::

        \ell_i = -\log\frac{e^{s\,\psi(\theta_{y_i})}}{e^{s\,\psi(\theta_{y_i})}
        + \sum_{j\ne y_i}e^{s\cos\theta_j}},\qquad
        \psi(\theta) = (-1)^k\cos(m\theta) - 2k,\ \ \theta\in\Bigl[\tfrac{k\pi}{m},
        \tfrac{(k+1)\pi}{m}\Bigr]

    :func:`combined_margin_loss` with :math:`(m_1,m_2,m_3)=(m,0,0)`; :math:`\psi` is the
    paper's monotone extension of :math:`\cos(m\theta)` (Liu et al. 2017, Eq. 6–7), which is
    continuous for any real :math:`m\ge1`.

    Parameters
    ----------
    input : array_like, shape (B, d)
        Embeddings (normalised inside).
    target : array_like of int, shape (B,)
        Class labels in ``[0, C)``.
    weight : array_like, shape (C, d)
        Class weights (normalised inside).
    scale : float > 0, default 64.0
        :math:`s`, in place of the feature norm (see the notes).
    margin : float >= 1, default 4.0
        :math:`m` (the paper's 4).
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        Over the batch.

    Returns
    -------
    array
        Scalar, or shape ``(B,)`` for ``reduction='none'``.

    Notes
    -----
    The original A-Softmax keeps the feature norm: its logits are
    :math:`\lVert x\rVert\,\psi(\theta_y)` and :math:`\lVert x\rVert\cos\theta_j`, and it
    trains with an annealed mix :math:`(\lambda\cos\theta+\psi(\theta))/(1+\lambda)`.
    pytorch-metric-learning's ``SphereFaceLoss(num_classes, embedding_size, margin=4,
    scale=1)`` keeps the norm too (logits :math:`\lVert x\rVert\cdot\text{scale}\cdot\psi`),
    truncates ``margin`` to an integer and evaluates :math:`\cos(m\theta)` by the
    multiple-angle formula, without the annealing. Here, as in the combined-margin
    formulation (ArcFace paper, insightface), the embeddings are normalised and scaled by
    :math:`s`: on unit-norm embeddings our value equals pytorch-metric-learning's with
    ``scale=s``.

    References
    ----------
    Liu, Wen, Yu, Li, Raj & Song, "SphereFace: Deep Hypersphere Embedding for Face
    Recognition", CVPR 2017, arXiv:1704.08063.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> x, w = np.array([[1.0, 1.0]]), np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> round(float(lossbook.sphereface_loss(x, np.array([0]), w, scale=1.0, margin=2.0)), 6)
    1.10794
    """
    kit.number(margin, "margin", "[1, inf)")   # checked under the caller's name
    return combined_margin_loss(input, target, weight, scale=scale, m1=margin, m2=0.0, m3=0.0,
                                reduction=reduction)


def sphereface_loss_grad(input, target, weight, *, scale: float = 64.0, margin: float = 4.0,
                         reduction: str = "mean", grad_output=None):
    r"""Gradients (VJP) of :func:`sphereface_loss` for the embeddings and the class weights.

    .. math::

        \frac{\partial\ell}{\partial\cos\theta_y} = s\,(p_y-1)\,(-1)^k\,m\,
        \frac{\sin(m\theta_y)}{\sin\theta_y},\qquad
        \frac{\partial\ell}{\partial\cos\theta_j} = s\,p_j\ (j\ne y)

    then through the cosines as in :func:`combined_margin_loss_grad`.

    Returns
    -------
    (array, array)
        Shaped like ``input`` and like ``weight``.
    """
    kit.number(margin, "margin", "[1, inf)")   # checked under the caller's name
    return combined_margin_loss_grad(input, target, weight, scale=scale, m1=margin, m2=0.0,
                                     m3=0.0, reduction=reduction, grad_output=grad_output)


# --- H6: GE2E ---------------------------------------------------------------------------
def _ge2e_args(input, w, b, variant, reduction):
    """Embeddings (N speakers, M >= 2 utterances, d), N >= 2, and the scalars w > 0, b."""
    kit.check_reduction(reduction)
    e = kit.floating(input, "input")
    kit.has_ndim(e, "input", "(speakers, utterances, dim) = (N, M, d)", allowed=(3,))
    kit.nonempty(e, "input")
    if e.shape[0] < 2 or e.shape[1] < 2:
        raise ValueError(f"input must hold N >= 2 speakers x M >= 2 utterances each (the "
                         f"exclusive centroid needs M - 1 >= 1), got N={e.shape[0]}, M={e.shape[1]}")
    xp = namespace(e, w, b)
    scalars = []
    for value, name in ((w, "w"), (b, "b")):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = float(value)
        else:
            value = kit.floating(value, name)
            kit.has_shape(value, name, (), " (a scalar: a 0-d array)")
            value = kit.cast_like(value, e, name)
        scalars.append(value)
    kit.values_in(scalars[0], "w", "(0, inf)", hint=" (the paper constrains w > 0)")
    kit.choice(variant, "variant", ("softmax", "contrast"))
    _nonzero_rows(e, "input", axis=2, what="embedding")
    return e, scalars[0], scalars[1], xp


def _ge2e_terms(e, w, b, variant, xp):
    n, m, d = e.shape
    flat = xp.reshape(e, (n * m, d))
    centroids = xp.mean(e, axis=1)                                   # c_k, (N, d)
    exclusive = (xp.sum(e, axis=1, keepdims=True) - e) / (m - 1.0)   # c_j^(-i), (N, M, d)
    excl = xp.reshape(exclusive, (n * m, d))
    cos_incl, fh, ch, nf, nc = cosine_matrix(flat, centroids, xp)    # (NM, N)
    ne = row_norms(excl, xp)
    eh = excl / ne
    cos_excl = xp.sum(fh * eh, axis=1)                               # (NM,)
    own = kit.cast_like(np.repeat(np.eye(n), m, axis=0), e)              # (NM, N): k == j
    cos = xp.where(own > 0.5, cos_excl[:, None], cos_incl)
    S = w * cos + b
    if variant == "softmax":
        logp = xp.log_softmax(S, axis=1)
        loss = -xp.sum(logp * own, axis=1)
        dS = xp.exp(logp) - own
    else:
        sig = xp.sigmoid(S)
        masked = xp.where(own > 0.5, -math.inf, S)
        impostor = xp.one_hot(xp.argmax(masked, axis=1), n, like=S)   # first arg-max
        s_own, s_imp = xp.sum(sig * own, axis=1), xp.sum(sig * impostor, axis=1)
        loss = 1.0 - s_own + s_imp
        dS = (impostor - own) * (sig * (1.0 - sig))
    pieces = (flat, cos_incl, fh, ch, nf, nc, cos_excl, eh, ne, own, cos)
    return xp.reshape(loss, (n, m)), dS, pieces


def ge2e_loss(input, w, b, *, variant: str = "softmax", reduction: str = "mean"):
    r"""Generalized end-to-end (GE2E) loss for speaker verification.

    .. math::

        S_{ji,k} = \begin{cases} w\cos\bigl(e_{ji}, c_j^{(-i)}\bigr)+b & k=j\\
        w\cos(e_{ji}, c_k)+b & k\ne j\end{cases},\qquad
        \ell_{ji} = -S_{ji,j} + \log\sum_{k=1}^{N} e^{S_{ji,k}}

    with centroids :math:`c_k=\frac1M\sum_m e_{km}` and the exclusive centroid
    :math:`c_j^{(-i)}=\frac1{M-1}\sum_{m\ne i}e_{jm}`. The contrast variant is
    :math:`\ell_{ji}=1-\sigma(S_{ji,j})+\max_{k\ne j}\sigma(S_{ji,k})`.

    Parameters
    ----------
    input : array_like, shape (N, M, d)
        Embeddings :math:`e_{ji}` of :math:`M\ge2` utterances of each of :math:`N\ge2`
        speakers (the cosine normalises them; the reference code L2-normalises them first,
        which changes nothing here).
    w : array_like (0-d) or float
        Similarity scale :math:`w>0` (learnable; initialised to 10 in the paper).
    b : array_like (0-d) or float
        Similarity bias :math:`b` (learnable; initialised to -5).
    variant : {'softmax', 'contrast'}, default 'softmax'
        The paper's two losses (Eq. 6 and Eq. 7).
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        ``'sum'`` is the paper's :math:`L_G=\sum_{j,i}\ell_{ji}`; ``'mean'`` averages over
        the :math:`NM` utterances (as Real-Time-Voice-Cloning does); ``'none'`` returns
        shape ``(N, M)``.

    Returns
    -------
    array
        Scalar, or shape ``(N, M)`` for ``reduction='none'``.

    Notes
    -----
    In the softmax variant :math:`\partial L/\partial b = 0` exactly (adding :math:`b` to
    every logit of a row leaves its softmax unchanged); :math:`b` only matters in the
    contrast variant. The arg-max impostor of the contrast variant takes the first index on
    ties. Real-Time-Voice-Cloning (``encoder/model.py``) differs: it normalises the
    centroids with ``norm + 1e-5``, assumes unit-norm embeddings, scales the gradients of
    :math:`w, b` by 0.01 and clamps :math:`w\ge 10^{-6}` after each step (training details,
    not the loss).

    References
    ----------
    Wan, Wang, Papir & Lopez Moreno, "Generalized End-to-End Loss for Speaker
    Verification", ICASSP 2018, arXiv:1710.10467.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> e = np.array([[[1.0, 0.0], [1.0, 0.2]], [[0.0, 1.0], [0.3, 1.0]]])
    >>> lossbook.ge2e_loss(e, 10.0, -5.0, reduction="none").round(4)
    array([[0.0002, 0.0016],
           [0.0002, 0.0031]])
    """
    e, w, b, xp = _ge2e_args(input, w, b, variant, reduction)
    return reduce(_ge2e_terms(e, w, b, variant, xp)[0], reduction)


def ge2e_loss_grad(input, w, b, *, variant: str = "softmax", reduction: str = "mean",
                   grad_output=None):
    r"""Gradients (VJP) of :func:`ge2e_loss` for the embeddings, :math:`w` and :math:`b`.

    .. math::

        \frac{\partial\ell_{ji}}{\partial S_{ji,k}} = \operatorname{softmax}_k(S_{ji,\cdot})
        - \delta_{kj},\qquad
        \frac{\partial\ell_{ji}}{\partial w} = \sum_k\frac{\partial\ell_{ji}}{\partial S_{ji,k}}
        \cos_{ji,k},\qquad \frac{\partial\ell_{ji}}{\partial b} = 0

    (contrast variant: :math:`-\sigma(1-\sigma)` at :math:`k=j`, :math:`+\sigma(1-\sigma)`
    at the arg-max impostor, and :math:`\partial/\partial b` their sum). Into the
    embeddings through :math:`\partial\cos(u,v)/\partial u=(\hat v-\cos\hat u)/\lVert
    u\rVert`, :math:`\partial c_k/\partial e_{km}=1/M` and
    :math:`\partial c_j^{(-i)}/\partial e_{jm}=1/(M-1)` for :math:`m\ne i`.

    Returns
    -------
    (array, array, array)
        Shaped like ``input``, ``w`` and ``b`` (0-d).
    """
    e, w, b, xp = _ge2e_args(input, w, b, variant, reduction)
    loss, dS, pieces = _ge2e_terms(e, w, b, variant, xp)
    flat, cos_incl, fh, ch, nf, nc, cos_excl, eh, ne, own, cos = pieces
    n, m, d = e.shape
    g = xp.reshape(upstream(loss, reduction, grad_output), (n * m, 1))
    G = g * dS                                                        # dL/dS, (NM, N)
    grad_w = xp.sum(G * cos)
    grad_b = xp.zeros_like(grad_w) if variant == "softmax" else xp.sum(G)
    Gc = G * w
    g_incl = Gc * (1.0 - own)
    g_excl = xp.sum(Gc * own, axis=1)[:, None]                        # (NM, 1)
    d_flat, d_centroids = cosine_matrix_vjp(g_incl, cos_incl, fh, ch, nf, nc, xp)
    # the row-wise cosine with the exclusive centroid
    d_flat = d_flat + g_excl * (eh - cos_excl[:, None] * fh) / nf
    d_excl = xp.reshape(g_excl * (fh - cos_excl[:, None] * eh) / ne, (n, m, d))
    grad = xp.reshape(d_flat, (n, m, d)) + d_centroids[:, None, :] / m \
        + (xp.sum(d_excl, axis=1, keepdims=True) - d_excl) / (m - 1.0)
    return grad, xp.asarray(xp.reshape(grad_w, ()), like=e), xp.asarray(xp.reshape(grad_b, ()), like=e)


def ge2e_similarity(input, w, b):
    r"""The similarity matrix of :func:`ge2e_loss`: :math:`S_{ji,k}` for every utterance
    (row :math:`jM+i`) and speaker (column :math:`k`), own speaker against the exclusive
    centroid :math:`c_j^{(-i)}` (for figures; the loss of row :math:`jM+i` is the
    cross-entropy of that row with target :math:`j`).

    Parameters
    ----------
    input, w, b
        As in :func:`ge2e_loss`.

    Returns
    -------
    array, shape (N·M, N)

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> e = np.array([[[1.0, 0.0], [1.0, 0.0]], [[0.0, 1.0], [0.0, 1.0]]])
    >>> lossbook.ge2e_similarity(e, 2.0, -1.0)
    array([[ 1., -1.],
           [ 1., -1.],
           [-1.,  1.],
           [-1.,  1.]])
    """
    e, w, b, xp = _ge2e_args(input, w, b, "softmax", "none")
    return w * _ge2e_terms(e, w, b, "softmax", xp)[2][-1] + b


# --- beyond the catalog: circle loss and supervised contrastive loss ----------------------
def _labelled_batch_args(input, target, reduction, **numbers):
    """Embeddings (B, d) without zero rows, labels (B,) in [0, B), positive numbers."""
    kit.check_reduction(reduction)
    x = _embeddings(input, "input")
    xp = namespace(x, target)
    n = x.shape[0]
    if n < 2:
        raise ValueError(f"input must hold at least 2 embeddings to form pairs, got {n}")
    y = kit.labels(target, "target", n)
    kit.has_shape(y, "target", (n,), " (one label per row of input)")
    _nonzero_rows(x, "input")
    for name, value in numbers.items():
        kit.number(value, name, "(0, inf)")
    return x, y, xp


def _pair_masks(y, like, xp):
    """``(positive, negative)`` masks of the batch's pairs (i != j), as floats like ``like``."""
    same = y[:, None] == y[None, :]
    off = kit.cast_like(1.0 - np.eye(like.shape[0]), like)
    positive = xp.where(same, off, 0.0 * off)
    return positive, off - positive


def _supcon_terms(x, y, xp, temperature):
    S, xh, _, nx, _ = cosine_matrix(x, x, xp)
    positive, negative = _pair_masks(y, S, xp)
    allowed = positive + negative
    logits = S / temperature
    masked = xp.where(allowed > 0.5, logits, -math.inf)
    lse = xp.logsumexp(masked, axis=1, keepdims=True)
    count = xp.sum(positive, axis=1)
    has = xp.where(count > 0, xp.ones_like(count), 0.0 * count)
    weights = positive / xp.where(count > 0, count, xp.ones_like(count))[:, None]
    loss = has * (lse[:, 0] - xp.sum(weights * logits, axis=1))
    dlogits = has[:, None] * (xp.exp(masked - lse) - weights)
    return loss, dlogits, (S, xh, nx), has


def supervised_contrastive_loss(input, target, *, temperature: float = 0.1, reduction: str = "mean"):
    r"""Supervised contrastive (SupCon) loss: every same-class sample is a positive.

    .. math::

        \ell_i = -\frac{1}{|P(i)|}\sum_{p\in P(i)}\log\frac{e^{z_i^\top z_p/\tau}}
        {\sum_{a\ne i}e^{z_i^\top z_a/\tau}},\qquad z_i = \frac{x_i}{\lVert x_i\rVert}

    with :math:`P(i)=\{p\ne i: y_p=y_i\}` (Khosla et al. 2020, Eq. 2, :math:`\mathcal
    L^{sup}_{out}`).

    Parameters
    ----------
    input : array_like, shape (B, d)
        Embeddings (all views of a batch stacked; normalised inside).
    target : array_like of int, shape (B,)
        Class labels, as indices in ``[0, B)`` (relabel any labelling with
        ``np.unique(labels, return_inverse=True)[1]``).
    temperature : float > 0, default 0.1
        :math:`\tau` (pytorch-metric-learning's default 0.1; Khosla et al. use 0.07–0.1).
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        ``'none'`` gives :math:`\ell_i`, 0 for an anchor without positives; ``'mean'``
        averages over the anchors that have a positive.

    Returns
    -------
    array
        Scalar, or shape ``(B,)`` for ``reduction='none'``.

    Notes
    -----
    pytorch-metric-learning's ``SupConLoss(temperature)`` computes the same per-anchor
    losses and averages them with ``AvgNonZeroReducer`` (over the non-zero ones: the same
    as ``'mean'`` here unless an anchor's loss is exactly 0). The authors' code
    (HobbitLong/SupContrast) multiplies by ``temperature / base_temperature`` (1 at their
    defaults, 0.07/0.07) and takes ``features`` shaped ``(batch, views, dim)``.

    References
    ----------
    Khosla et al., "Supervised Contrastive Learning", NeurIPS 2020, arXiv:2004.11362.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> x = np.array([[1.0, 0.0], [1.0, 0.1], [0.0, 1.0]])
    >>> lossbook.supervised_contrastive_loss(x, np.array([0, 0, 1]), temperature=1.0, reduction="none").round(4)
    array([0.3146, 0.3424, 0.    ])
    """
    x, y, xp = _labelled_batch_args(input, target, reduction, temperature=temperature)
    loss, _, _, has = _supcon_terms(x, y, xp, float(temperature))
    return reduce(loss, reduction, denominator=_anchors_with_positives(has))


def _anchors_with_positives(has):
    count = float(kit.to_numpy(namespace(has).sum(has)))
    if count == 0:
        raise ValueError("target: no anchor has a positive (another sample of its label)"
                         " and, for circle_loss, a negative")
    return count


def supervised_contrastive_loss_grad(input, target, *, temperature: float = 0.1,
                                     reduction: str = "mean", grad_output=None):
    r"""Gradient (VJP) of :func:`supervised_contrastive_loss` for the embeddings.

    .. math::

        \frac{\partial\ell_i}{\partial S_{ia}} = \frac1\tau\Bigl(p_{ia}
        - \frac{\mathbb 1[a\in P(i)]}{|P(i)|}\Bigr),\qquad
        p_{ia} = \frac{e^{S_{ia}/\tau}}{\sum_{a'\ne i}e^{S_{ia'}/\tau}},\quad S_{ia}=z_i^\top z_a

    then through the cosine similarity (both of its arguments are the batch).

    Returns
    -------
    array
        Shaped like ``input``.
    """
    x, y, xp = _labelled_batch_args(input, target, reduction, temperature=temperature)
    loss, dlogits, (S, xh, nx), has = _supcon_terms(x, y, xp, float(temperature))
    g = upstream(loss, reduction, grad_output, denominator=_anchors_with_positives(has))[:, None]
    ga, gb = cosine_matrix_vjp(g * dlogits / float(temperature), S, xh, xh, nx, nx, xp)
    return ga + gb


def _circle_terms(x, y, xp, m, gamma):
    S, xh, _, nx, _ = cosine_matrix(x, x, xp)
    positive, negative = _pair_masks(y, S, xp)
    alpha_p = _relu(1.0 + m - S, xp)
    alpha_n = _relu(S + m, xp)
    logit_p = -gamma * alpha_p * (S - (1.0 - m))
    logit_n = gamma * alpha_n * (S - m)
    lp = xp.where(positive > 0.5, logit_p, -math.inf)
    ln = xp.where(negative > 0.5, logit_n, -math.inf)
    one = xp.ones_like(S[:, 0])
    valid = xp.where((xp.sum(positive, axis=1) > 0) & (xp.sum(negative, axis=1) > 0), one, 0.0 * one)
    # rows without positives or negatives: logsumexp over nothing is -inf; use 0 and mask
    lp = xp.where(valid[:, None] > 0.5, lp, 0.0 * S)
    ln = xp.where(valid[:, None] > 0.5, ln, 0.0 * S)
    lse_p = xp.logsumexp(lp, axis=1, keepdims=True)
    lse_n = xp.logsumexp(ln, axis=1, keepdims=True)
    z = (lse_p + lse_n)[:, 0]
    loss = valid * xp.softplus(z)
    # d loss / d S: softplus' = sigmoid, through each logsumexp's softmax and the weights
    dz = (valid * xp.sigmoid(z))[:, None]
    wp = xp.exp(lp - lse_p) * positive * valid[:, None]
    wn = xp.exp(ln - lse_n) * negative * valid[:, None]
    ind_p = xp.where(alpha_p > 0, xp.ones_like(S), 0.0 * S)
    ind_n = xp.where(alpha_n > 0, xp.ones_like(S), 0.0 * S)
    dlogit_p = -gamma * (alpha_p - ind_p * (S - (1.0 - m)))
    dlogit_n = gamma * (alpha_n + ind_n * (S - m))
    dS = dz * (wp * dlogit_p + wn * dlogit_n)
    return loss, dS, (S, xh, nx), valid


def circle_loss(input, target, *, m: float = 0.25, gamma: float = 256.0, reduction: str = "mean"):
    r"""Circle loss (Sun et al. 2020) on the cosine similarities of a labelled batch.

    .. math::

        \ell_i = \log\Bigl[1+\sum_{n\in N(i)}e^{\gamma\alpha_n(s_n-\Delta_n)}
        \sum_{p\in P(i)}e^{-\gamma\alpha_p(s_p-\Delta_p)}\Bigr],\qquad
        \alpha_p=[1+m-s_p]_+,\ \alpha_n=[s_n+m]_+,\ \Delta_p=1-m,\ \Delta_n=m

    where :math:`s` are the cosine similarities of anchor :math:`i` with its positives
    :math:`P(i)` (same label, :math:`\ne i`) and negatives :math:`N(i)`.

    Parameters
    ----------
    input : array_like, shape (B, d)
        Embeddings (normalised inside).
    target : array_like of int, shape (B,)
        Class labels, as indices in ``[0, B)``.
    m : float > 0, default 0.25
        Relaxation margin (the paper's 0.25 for faces and re-identification, 0.4 for
        fine-grained retrieval).
    gamma : float > 0, default 256.0
        Scale (256 faces, 128 re-identification, 80 fine-grained retrieval).
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        ``'none'`` gives :math:`\ell_i`, 0 for an anchor without positives or without
        negatives; ``'mean'`` averages over the other anchors.

    Returns
    -------
    array
        Scalar, or shape ``(B,)`` for ``reduction='none'``.

    Notes
    -----
    pytorch-metric-learning's ``CircleLoss(m=0.4, gamma=80)`` computes the same values
    (with its own defaults) and averages the non-zero ones. Its weights
    :math:`\alpha_p,\alpha_n` are **detached**, as in the authors' code: its backward is
    :math:`-\gamma\alpha_p` for :math:`s_p`, not the derivative of the value. Ours is the
    derivative of the value (what autograd gives without the detach):
    :math:`-\gamma(\alpha_p-(s_p-\Delta_p))` where :math:`\alpha_p>0`, and
    :math:`\gamma(\alpha_n+(s_n-\Delta_n))\,\mathbb 1[\alpha_n>0]` for :math:`s_n`.

    References
    ----------
    Sun et al., "Circle Loss: A Unified Perspective of Pair Similarity Optimization",
    CVPR 2020, arXiv:2002.10857.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> x = np.array([[1.0, 0.0], [1.0, 0.1], [0.0, 1.0]])
    >>> lossbook.circle_loss(x, np.array([0, 0, 1]), gamma=1.0, reduction="none").round(4)
    array([0.6326, 0.6373, 0.    ])
    """
    x, y, xp = _labelled_batch_args(input, target, reduction, m=m, gamma=gamma)
    loss, _, _, valid = _circle_terms(x, y, xp, float(m), float(gamma))
    return reduce(loss, reduction, denominator=_anchors_with_positives(valid))


def circle_loss_grad(input, target, *, m: float = 0.25, gamma: float = 256.0,
                     reduction: str = "mean", grad_output=None):
    r"""Gradient (VJP) of :func:`circle_loss` for the embeddings.

    .. math::

        \frac{\partial\ell_i}{\partial s_p} = \sigma(z_i)\,w_p\,
        \bigl(-\gamma(\alpha_p-(s_p-\Delta_p))\bigr),\qquad
        \frac{\partial\ell_i}{\partial s_n} = \sigma(z_i)\,w_n\,
        \gamma\bigl(\alpha_n+(s_n-\Delta_n)\mathbb 1[\alpha_n>0]\bigr)

    with :math:`z_i` the argument of the softplus and :math:`w_p, w_n` the softmax weights of
    the two log-sum-exps; then through the cosine similarity.

    Returns
    -------
    array
        Shaped like ``input``.
    """
    x, y, xp = _labelled_batch_args(input, target, reduction, m=m, gamma=gamma)
    loss, dS, (S, xh, nx), valid = _circle_terms(x, y, xp, float(m), float(gamma))
    g = upstream(loss, reduction, grad_output, denominator=_anchors_with_positives(valid))[:, None]
    ga, gb = cosine_matrix_vjp(g * dS, S, xh, xh, nx, nx, xp)
    return ga + gb



# --- H+: the rest of PyTorch's and Keras's embedding losses (issue 17) -------------------
def _squared_euclidean(x1, x2):
    """:math:`\\lVert x_1 - x_2\\rVert^2` per row: an example ``distance_function`` (NumPy or torch)."""
    return ((x1 - x2) ** 2).sum(-1)


def _squared_euclidean_grad(x1, x2, grad_output):
    """Its VJP: ``(2 (x1 - x2) g, -2 (x1 - x2) g)``, the ``distance_grad`` that goes with it."""
    d = 2.0 * (x1 - x2) * grad_output[:, None]
    return d, -d


def _twdl_args(anchor, positive, negative, distance_function, distance_grad, margin, swap,
               reduction, need_grad):
    margin = kit.number(margin, "margin", "(0, inf)")
    a, pos, neg, xp, _, _, _ = _triplet_args(anchor, positive, negative, margin, 2.0, 0.0, swap,
                                              False, reduction)
    if distance_function is not None and not callable(distance_function):
        raise TypeError(f"distance_function must be None or a callable (x1, x2) -> distances, "
                        f"got {type(distance_function).__name__}")
    if need_grad and distance_function is not None and not callable(distance_grad):
        raise ValueError("distance_grad must be given with a custom distance_function: a callable "
                         "(x1, x2, grad_output) -> (grad_x1, grad_x2), the VJP of the distance "
                         "(lossbook differentiates by hand, not by autograd)")
    return a, pos, neg, xp, margin


def _distances(f, x1, x2, xp, name):
    d = f(x1, x2)
    if not (kit.is_torch(d) == kit.is_torch(x1)) or tuple(d.shape) != (x1.shape[0],):
        raise ValueError(f"distance_function must return one distance per row, shape "
                         f"({x1.shape[0]},), of the inputs' kind; got {getattr(d, 'shape', d)!r} "
                         f"for d({name})")
    return d


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None,
                                      distance_grad=None, margin: float = 1.0, swap: bool = False,
                                      reduction: str = "mean"):
    r"""Triplet margin loss with any distance, PyTorch's ``triplet_margin_with_distance_loss``.

    .. math::

        \ell_i = \max\bigl(0,\ m + d(a_i, p_i) - d(a_i, n_i)\bigr),\qquad
        d = \texttt{distance\_function}\ \ (\text{default } \lVert x - y + 10^{-6}\rVert_2)

    Parameters
    ----------
    anchor, positive, negative : array_like, shape (B, d)
        The triplets' embeddings.
    distance_function : callable, optional
        ``(x1, x2) -> (B,)`` distances, for NumPy arrays or torch tensors as given. ``None``:
        PyTorch's ``pairwise_distance`` (:math:`p=2`, :math:`\varepsilon=10^{-6}`), i.e.
        :func:`triplet_margin_loss` with its defaults.
    distance_grad : callable, optional
        Required by :func:`triplet_margin_with_distance_loss_grad` with a custom
        ``distance_function``: its VJP ``(x1, x2, grad_output) -> (grad_x1, grad_x2)``.
        The value function ignores it.
    margin : float > 0, default 1.0
        :math:`m` (PyTorch refuses :math:`m \le 0`).
    swap : bool, default False
        Use :math:`\min(d(a,n), d(p,n))` as the negative distance (Balntas et al. 2016).
    reduction : {'mean', 'sum', 'none'}, default 'mean'

    Returns
    -------
    array

    Notes
    -----
    The gradient is hand-derived as everywhere in lossbook: for the default distance it is
    :func:`triplet_margin_loss_grad`'s; for a custom one the chain rule through the hinge and
    the min, with the distance's own VJP supplied as ``distance_grad`` (we do not call
    autograd). The hinge's kink passes the gradient (``clamp_min``), and a tie in the swap's
    min splits it in halves (``torch.minimum``).

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> a, p, n = np.array([[0.0, 0.0]]), np.array([[0.3, 0.4]]), np.array([[0.6, 0.8]])
    >>> sq = lambda x, y: ((x - y) ** 2).sum(-1)
    >>> round(float(lossbook.triplet_margin_with_distance_loss(a, p, n, distance_function=sq)), 12)
    0.25
    """
    a, pos, neg, xp, margin = _twdl_args(anchor, positive, negative, distance_function,
                                         distance_grad, margin, swap, reduction, False)
    if distance_function is None:
        return triplet_margin_loss(a, pos, neg, margin=margin, swap=swap, reduction=reduction)
    d_neg = _distances(distance_function, a, neg, xp, "anchor, negative")
    if swap:
        d_neg = xp.minimum(d_neg, _distances(distance_function, pos, neg, xp, "positive, negative"))
    d_pos = _distances(distance_function, a, pos, xp, "anchor, positive")
    return reduce(xp.maximum(margin + d_pos - d_neg, 0.0), reduction)


def triplet_margin_with_distance_loss_grad(anchor, positive, negative, *, distance_function=None,
                                           distance_grad=None, margin: float = 1.0,
                                           swap: bool = False, reduction: str = "mean",
                                           grad_output=None):
    r"""Gradients (VJP) of :func:`triplet_margin_with_distance_loss` for the three inputs.

    .. math::

        \frac{\partial\ell}{\partial a} = g\,\partial_1 d(a,p) - g\,w\,\partial_1 d(a,n),\quad
        \frac{\partial\ell}{\partial p} = g\,\partial_2 d(a,p) - g(1-w)\,\partial_1 d(p,n),\quad
        \frac{\partial\ell}{\partial n} = -g\,w\,\partial_2 d(a,n) - g(1-w)\,\partial_2 d(p,n)

    with :math:`g = \mathbb 1[m + d_{ap} - d_{an}' \ge 0]` times the upstream gradient,
    :math:`w = 1` without ``swap`` (else 1, 1/2 or 0 as :math:`d(a,n)` is below, equal to or
    above :math:`d(p,n)`), and :math:`\partial_k d` the VJP ``distance_grad`` supplies.
    """
    a, pos, neg, xp, margin = _twdl_args(anchor, positive, negative, distance_function,
                                         distance_grad, margin, swap, reduction, True)
    if distance_function is None:
        return triplet_margin_loss_grad(a, pos, neg, margin=margin, swap=swap,
                                        reduction=reduction, grad_output=grad_output)
    d_pos = _distances(distance_function, a, pos, xp, "anchor, positive")
    d_an = _distances(distance_function, a, neg, xp, "anchor, negative")
    one = xp.ones_like(d_an)
    if swap:
        d_pn = _distances(distance_function, pos, neg, xp, "positive, negative")
        w = xp.where(d_an < d_pn, one, xp.where(d_an > d_pn, 0.0 * one, 0.5 * one))
        d_neg = xp.minimum(d_an, d_pn)
    else:
        w, d_neg = one, d_an
    z = margin + d_pos - d_neg
    g = upstream(z, reduction, grad_output) * xp.where(z >= 0, one, 0.0 * one)
    ga, gp = distance_grad(a, pos, g)
    ga_n, gn = distance_grad(a, neg, -g * w)
    ga, gn = ga + ga_n, gn
    if swap:
        gp_s, gn_s = distance_grad(pos, neg, -g * (1.0 - w))
        gp, gn = gp + gp_s, gn + gn_s
    return ga, gp, gn


def _cosine_rows(input, target, dim, eps, reduction):
    x, t = kit.pair(input, target, dtype=True, reduction=reduction)
    kit.has_ndim(x, "input", "at least one axis", at_least=1)
    dim = kit.axis(dim, "dim", x.ndim)
    eps = kit.number(eps, "eps", "(0, inf)")
    xp = namespace(x)
    nx = xp.sqrt(xp.sum(x * x, axis=dim, keepdims=True))
    nt = xp.sqrt(xp.sum(t * t, axis=dim, keepdims=True))
    nxc, ntc = xp.maximum(nx, eps), xp.maximum(nt, eps)
    cos = xp.sum(x * t, axis=dim, keepdims=True) / (nxc * ntc)
    return x, t, dim, nx, nxc, ntc, cos, xp


def cosine_similarity_loss(input, target, *, dim: int = -1, eps: float = 1e-8,
                           reduction: str = "mean"):
    r"""Keras's ``cosine_similarity`` loss: minus the cosine between prediction and target.

    .. math::

        \ell_n = -\cos(\hat y_n, y_n) = -\frac{\langle \hat y_n, y_n\rangle}
        {\max(\lVert\hat y_n\rVert, \varepsilon)\,\max(\lVert y_n\rVert, \varepsilon)}

    Parameters
    ----------
    input : array_like
        Predictions :math:`\hat y` (Keras's ``y_pred``).
    target : array_like
        Targets :math:`y`, shaped like ``input``.
    dim : int, default -1
        The axis along which the vectors lie (Keras's ``axis``).
    eps : float > 0, default 1e-8
        Lower bound of each norm, as ``torch.nn.functional.cosine_similarity``.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        Over the vectors (``'none'`` drops ``dim``).

    Returns
    -------
    array

    Notes
    -----
    In :math:`[-1, 1]`, -1 when the prediction points along the target; lengths do not
    matter. It is ``-F.cosine_similarity(input, target, dim, eps)`` in PyTorch, whose
    cosine-based loss :func:`cosine_embedding_loss` is a different one (pairs with
    :math:`\pm1` labels, :math:`1-\cos`). Keras's argument order is ``(y_true, y_pred)``; its
    norm guard differs (:math:`\sqrt{\max(\lVert y\rVert^2, 10^{-7})}` in Keras 2, zero
    norms replaced by 1 in Keras 3), so the numbers agree for every vector whose norm is
    above both guards.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> y_true = np.array([[0.0, 1.0], [1.0, 1.0], [1.0, 1.0]])
    >>> y_pred = np.array([[1.0, 0.0], [1.0, 1.0], [-1.0, -1.0]])
    >>> lossbook.cosine_similarity_loss(y_pred, y_true, reduction="none").round(12)
    array([-0., -1.,  1.])
    """
    x, t, dim, nx, nxc, ntc, cos, xp = _cosine_rows(input, target, dim, eps, reduction)
    return reduce(-xp.squeeze(cos, dim), reduction)


def cosine_similarity_loss_grad(input, target, *, dim: int = -1, eps: float = 1e-8,
                                reduction: str = "mean", grad_output=None):
    r"""Gradient (VJP) of :func:`cosine_similarity_loss` with respect to ``input``.

    .. math::

        \frac{\partial\ell_n}{\partial\hat y_n} = -\frac{y_n}{\bar n_{\hat y}\,\bar n_y}
        + \cos(\hat y_n, y_n)\,\frac{\hat y_n}{\lVert\hat y_n\rVert\,\bar n_{\hat y}},
        \qquad \bar n = \max(\lVert\cdot\rVert, \varepsilon)

    The second term keeps :math:`\lVert\hat y\rVert` (not the clamped norm) in its
    denominator, as PyTorch's kernel does (it clamps the norms under ``no_grad``); for norms
    above :math:`\varepsilon` this is the familiar :math:`-(\hat y_\perp\text{ part})/\lVert\hat y\rVert`.
    """
    x, t, dim, nx, nxc, ntc, cos, xp = _cosine_rows(input, target, dim, eps, reduction)
    up = upstream(xp.squeeze(cos, dim), reduction, grad_output)
    shape = list(x.shape)
    shape[dim] = 1
    up = xp.reshape(up, tuple(shape))
    return (-t / (nxc * ntc) + cos * x / (nx * nxc)) * up


# --- registry entries -------------------------------------------------------------------
#: This module's part of the catalog; the registry enrols its SPECS under it.
FAMILY = Family(key="embedding", title="Metric-learning and embedding losses", part="H",
                chapters=("metric_learning", "mnist_features"))

_spec = kit.spec_factory(FAMILY, globals())

def _center_example(seed):
    """Seven 3-D features, labels of 4 classes (class 3 absent), centres away from them."""
    generator = rng(seed)
    labels = np.array([0, 2, 1, 0, 2, 2, 1])
    generator.shuffle(labels)
    return (real(seed, (7, 3), avoid=()), labels, real(seed + 1, (4, 3), -2.0, 2.0, avoid=())), {}


def _center_curve(x, params):
    """Feature (x, 0.5) of class 0 against the centre (0.8, -0.4): a parabola in x."""
    features = np.stack([x, np.full_like(x, 0.5)], axis=1)
    return (features, np.zeros(len(x), dtype=np.int64), np.array([[0.8, -0.4]])), {}


def _unit_rows(generator, n, d):
    u = generator.normal(size=(n, d))
    return u / np.linalg.norm(u, axis=1, keepdims=True)


def _pairs_at(seed, distances, d=3):
    """Pairs (x1, x2) with ‖x1 − x2‖ equal to ``distances`` (random directions)."""
    generator = rng(seed)
    x1 = generator.uniform(-2.0, 2.0, size=(len(distances), d))
    return x1, x1 + np.asarray(distances)[:, None] * _unit_rows(generator, len(distances), d)


def _contrastive_example(seed):
    """Seven pairs at distances 0.2–0.8 or 1.2–2.2 (away from the margin 1), both labels."""
    generator = rng(seed + 100)
    distances = np.where(generator.random(7) < 0.5, generator.uniform(0.2, 0.8, 7),
                         generator.uniform(1.2, 2.2, 7))
    x1, x2 = _pairs_at(seed, distances)
    labels = np.array([0, 1, 1, 0, 1, 0, 1])
    generator.shuffle(labels)
    return (x1, x2, labels), {}


def _contrastive_curve(x, params):
    """A dissimilar pair at distance x: ½ max(0, m − x)²."""
    x1 = np.stack([x, np.zeros_like(x)], axis=1)
    return (x1, np.zeros_like(x1), np.ones(len(x), dtype=np.int64)), {
        k: v for k, v in params.items() if k in ("margin", "squared", "pos_margin")}


def _triplet_example(seed):
    """Six triplets with m + d_ap − d_an in ±[0.1, 1.5] (away from the hinge)."""
    generator = rng(seed + 200)
    a = generator.uniform(-2.0, 2.0, size=(6, 4))
    d_ap = generator.uniform(0.3, 1.5, 6)
    z = generator.uniform(0.1, 1.5, 6) * np.array([1, -1, 1, 1, -1, 1])
    d_an = 1.0 + d_ap - z
    positive = a + d_ap[:, None] * _unit_rows(generator, 6, 4)
    negative = a + d_an[:, None] * _unit_rows(generator, 6, 4)
    return (a, positive, negative), {}


def _twdl_example(seed):
    """Triplets for the default distance, with swap, and with the squared Euclidean distance;
    a margin chosen so that every hinge (and the swap's min) stays away from its kink."""
    (a, p, n), _ = _triplet_example(seed)
    case = seed % 3
    sq = lambda x, y: ((x - y) ** 2).sum(-1)
    eu = lambda x, y: np.sqrt(((x - y + 1e-6) ** 2).sum(-1))
    dist = sq if case == 2 else eu
    d_ap, d_an, d_pn = dist(a, p), dist(a, n), dist(p, n)
    d_neg = np.minimum(d_an, d_pn) if case == 1 else d_an
    for margin in (1.0, 1.3, 0.7, 1.6, 0.4, 2.0):
        if np.all(np.abs(margin + d_ap - d_neg) > 0.05) and (case != 1 or np.all(np.abs(d_an - d_pn) > 0.05)):
            break
    kwargs = [{}, {"swap": True}, {"distance_function": _squared_euclidean,
                                   "distance_grad": _squared_euclidean_grad}][case]
    return (a, p, n), ({**kwargs, "margin": margin} if margin != 1.0 else kwargs)


def _cosine_similarity_example(seed):
    x, t = real(seed, (5, 3), -2.0, 2.0, avoid=()), real(seed + 1, (5, 3), -2.0, 2.0, avoid=())
    return (x, t), ({"dim": 0} if seed % 2 else {})


def _cosine_similarity_curve(x, params):
    """The prediction (x, 1) against the target (1, 0): -cos falls from 0 towards -1 as x grows."""
    return ((np.stack([x, np.ones_like(x)], axis=1), np.tile([1.0, 0.0], (len(x), 1))), dict(params))


def _triplet_curve(x, params):
    """Anchor 0, positive (0.5, 0), negative (x, 0.5): the loss falls as the negative leaves."""
    n = len(x)
    negative = np.stack([x, np.full_like(x, 0.5)], axis=1)
    return (np.zeros((n, 2)), np.tile([0.5, 0.0], (n, 1)), negative), dict(params)


def _ranking_example(seed):
    """Eight score pairs, targets ±1, −y(x1 − x2) + m at least 0.05 away from 0."""
    generator = rng(seed + 300)
    x1 = generator.uniform(-2.0, 2.0, 8)
    y = np.where(generator.random(8) < 0.5, -1.0, 1.0)
    y[:2] = (1.0, -1.0)
    z = generator.uniform(0.05, 1.0, 8) * np.where(generator.random(8) < 0.6, 1.0, -1.0)
    margin = 0.1
    x2 = x1 + (z - margin) / y          # so that -y (x1 - x2) + m = z
    return (x1, x2, y), {"margin": margin}


def _ranking_curve(x, params):
    return (x, np.zeros_like(x), np.ones_like(x)), dict(params)


def _cosine_example(seed):
    """Seven pairs, targets ±1; the dissimilar pairs' cosines away from the margin 0.2."""
    generator = rng(seed + 400)
    x1 = generator.uniform(-2.0, 2.0, size=(7, 3))
    x2 = generator.uniform(-2.0, 2.0, size=(7, 3))
    y = np.array([1, -1, 1, -1, -1, 1, -1])
    cos = np.sum(x1 * x2, 1) / np.linalg.norm(x1, axis=1) / np.linalg.norm(x2, axis=1)
    near = (y < 0) & (np.abs(cos - 0.2) < 0.05)
    x2[near] = -x2[near]
    y[0] = 1 if seed % 2 == 0 else -1
    return (x1, x2, y), {"margin": 0.2}


def _cosine_curve(x, params):
    """x1 = (1, x) against x2 = (1, 0), a dissimilar pair: max(0, cos − m)."""
    x1 = np.stack([np.ones_like(x), x], axis=1)
    return (x1, np.tile([1.0, 0.0], (len(x), 1)), -np.ones(len(x))), dict(params)


def _second_coordinate(a):
    a = np.asarray(a)
    return a if a.ndim == 1 else a[:, 1]


def _margin_example(seed, avoid):
    """Seven 4-D embeddings, 5 classes; each target angle in [0.25, 2.95] rad, away
    (0.08 rad) from ``avoid`` (the fallback's π − m, SphereFace's kπ/m)."""
    generator = rng(seed + 500)
    n, d, c = 7, 4, 5
    weight = generator.normal(size=(c, d)) * generator.uniform(0.5, 2.0, size=(c, 1))
    labels = generator.integers(0, c, size=n)
    labels[:3] = (0, 1, 2)
    angles = []
    while len(angles) < n:
        t = generator.uniform(0.25, 2.95)
        if all(abs(t - a) > 0.08 for a in avoid):
            angles.append(t)
    w_hat = weight[labels] / np.linalg.norm(weight[labels], axis=1, keepdims=True)
    u = generator.normal(size=(n, d))
    u -= np.sum(u * w_hat, 1, keepdims=True) * w_hat
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    angles = np.array(angles)
    x = (np.cos(angles)[:, None] * w_hat + np.sin(angles)[:, None] * u) \
        * generator.uniform(0.5, 3.0, size=(n, 1))
    return x, labels, weight


def _arcface_example(seed):
    x, y, w = _margin_example(seed, avoid=(math.pi - 0.5, math.pi / 2))
    return (x, y, w), {"scale": 4.0}


def _cosface_example(seed):
    x, y, w = _margin_example(seed, avoid=())
    return (x, y, w), {"scale": 4.0}


def _sphereface_example(seed):
    x, y, w = _margin_example(seed, avoid=tuple(k * math.pi / 4 for k in range(1, 4)))
    return (x, y, w), {"scale": 2.0}


def _margin_curve(x, params):
    """Embedding (1, x) of class 0 (weight (1, 0)) against class 1 (weight (0.6, 0.8))."""
    embeddings = np.stack([np.ones_like(x), x], axis=1)
    weight = np.array([[1.0, 0.0], [0.6, 0.8]])
    return (embeddings, np.zeros(len(x), dtype=np.int64), weight), dict(params)


def _margin_spec(name, catalog_id, example, params, reference, paper):
    return _spec(
        name, catalog_id, example=example,
        wrt=(0, 2), params=params,
        curve=Curve("second coordinate $t$ of the embedding $(1, t)$ of class 0", (-3.0, 3.0),
                    call=_margin_curve, select=_second_coordinate),
        chinese={"arcface_loss": "加性角度间隔损失 (ArcFace)", "cosface_loss": "大间隔余弦损失 (CosFace)",
                 "sphereface_loss": "乘性角度间隔损失 (SphereFace, A-Softmax)"}[name],
        reference=reference, paper=paper,
        in_seeds=name == "arcface_loss")


def _ge2e_example(seed):
    """Three speakers x four utterances of 5-D embeddings around speaker directions."""
    generator = rng(seed + 900)
    speakers = _unit_rows(generator, 3, 5)
    e = speakers[:, None, :] + 0.6 * generator.normal(size=(3, 4, 5))
    return (e, np.array(2.0 + seed % 3), np.array(-1.0)), {}



def _labelled_example(seed, m=None):
    """Nine 4-D embeddings of 4 classes (class 3 a singleton: an anchor without positives),
    labels in [0, 9); with ``m``, every cosine at least 0.03 from the circle loss's kink -m."""
    for attempt in range(100):
        generator = rng(seed + 1000 + 37 * attempt)
        centers = _unit_rows(generator, 4, 4)
        labels = np.array([0, 0, 1, 1, 1, 2, 2, 3, 0])
        generator.shuffle(labels)
        x = (centers[labels] + 0.7 * generator.normal(size=(9, 4))) * generator.uniform(0.5, 2.0, (9, 1))
        unit_x = x / np.linalg.norm(x, axis=1, keepdims=True)
        cos = unit_x @ unit_x.T
        if m is None or np.all(np.abs(cos + m) > 0.03):
            return x, labels
    raise RuntimeError("no example away from the kink")


def _circle_example(seed):
    x, labels = _labelled_example(seed, m=0.25)
    return (x, labels), {"m": 0.25, "gamma": 2.0}


def _supcon_example(seed):
    x, labels = _labelled_example(seed)
    return (x, labels), {"temperature": 0.5}


_PAIR_SPECS = (
    _spec(
        "contrastive_loss", catalog_id="H1",
        example=_contrastive_example, wrt=(0, 1),
        params=(Param("margin", 1.0, 0.0, 3.0), Param("similar_label", 0, options=(0, 1)),
                Param("distance", "euclidean", options=("euclidean", "cosine")),
                Param("squared", True, options=(True, False)), Param("pos_margin", 0.0, 0.0, 1.0)),
        curve=Curve("distance $D$ of a dissimilar pair", (0.0, 2.5), call=_contrastive_curve,
                    select=kit.first_column),
        chinese="对比损失",
        reference=("Hadsell et al. 2006 in torch ops; sentence-transformers ContrastiveLoss = "
                   "similar_label=1, distance='cosine', margin=0.5; pytorch-metric-learning "
                   "ContrastiveLoss = similar_label=1, squared=False on normalised embeddings, "
                   "then the mean of the non-zero terms (tests/test_metric.py)"),
        paper=("Hadsell, Chopra & LeCun, Dimensionality Reduction by Learning an Invariant "
               "Mapping, CVPR 2006"),
    ),
    _spec(
        "triplet_margin_loss", catalog_id="H2",
        example=_triplet_example, wrt=(0, 1, 2),
        params=(Param("margin", 1.0, 0.0, 3.0), Param("p", 2.0, 1.0, 3.0),
                Param("eps", 1e-6, 0.0, 1e-3), Param("swap", False, options=(False, True)),
                Param("squared", False, options=(False, True))),
        curve=Curve("first coordinate $x$ of the negative $(x, 0.5)$", (-3.0, 3.0),
                    call=_triplet_curve, wrt=2, select=kit.first_column),
        chinese="三元组损失",
        reference=("torch.nn.functional.triplet_margin_loss; squared: "
                   "F.triplet_margin_with_distance_loss with ‖x − y‖²; pytorch-metric-learning "
                   "TripletMarginLoss (eps=0, normalised, mean over non-zero triplets)"),
        paper=("Schroff, Kalenichenko & Philbin, FaceNet: A Unified Embedding for Face "
               "Recognition and Clustering, CVPR 2015, arXiv:1503.03832"),
    ),
    _spec(
        "margin_ranking_loss", catalog_id="H3",
        example=_ranking_example, wrt=(0, 1), params=(Param("margin", 0.0, -1.0, 2.0),),
        kinks=(Kink((np.array([0.5]), np.array([0.25]), np.array([1.0])), {"margin": 0.25},
                    (np.array([-1.0]), np.array([1.0])),
                    "at -y(x1 - x2) + m = 0 the hinge passes the gradient (clamp_min is inclusive)"),),
        curve=Curve("$x_1$ with $x_2 = 0$, $y = +1$", (-2.0, 2.0), call=_ranking_curve),
        chinese="边际排名损失",
        reference="torch.nn.functional.margin_ranking_loss",
        paper=("Herbrich, Graepel & Obermayer, Support Vector Learning for Ordinal Regression, "
               "ICANN 1999; Joachims, Optimizing Search Engines using Clickthrough Data, KDD 2002"),
    ),
    _spec(
        "cosine_embedding_loss", catalog_id="H3",
        example=_cosine_example, wrt=(0, 1), params=(Param("margin", 0.0, -1.0, 1.0),),
        curve=Curve("second coordinate $t$ of $x_1=(1,t)$, $x_2=(1,0)$, $y=-1$", (-3.0, 3.0),
                    call=_cosine_curve, select=_second_coordinate),
        chinese="余弦嵌入损失",
        reference="torch.nn.functional.cosine_embedding_loss",
        paper="PyTorch torch.nn.CosineEmbeddingLoss (no single original paper)",
        in_seeds=False,
    ),
    _margin_spec(
        "arcface_loss", "H5", _arcface_example,
        (Param("scale", 64.0, 1.0, 64.0), Param("margin", 0.5, 0.0, 1.0),
         Param("easy_margin", False, options=(False, True))),
        ("insightface arcface_torch ArcFace/CombinedMarginLoss (with the cos θ − m sin m "
         "fallback), transcribed; pytorch-metric-learning ArcFaceLoss(margin in degrees)"),
        ("Deng, Guo, Xue & Zafeiriou, ArcFace: Additive Angular Margin Loss for Deep Face "
         "Recognition, CVPR 2019, arXiv:1801.07698")),
    _margin_spec(
        "cosface_loss", "H5", _cosface_example,
        (Param("scale", 64.0, 1.0, 64.0), Param("margin", 0.35, 0.0, 1.0)),
        "insightface CosFace, transcribed; pytorch-metric-learning CosFaceLoss",
        ("Wang et al., CosFace: Large Margin Cosine Loss for Deep Face Recognition, CVPR 2018, "
         "arXiv:1801.09414")),
    _margin_spec(
        "sphereface_loss", "H5", _sphereface_example,
        (Param("scale", 64.0, 1.0, 64.0), Param("margin", 4.0, 1.0, 4.0)),
        ("pytorch-metric-learning SphereFaceLoss's ψ (multiple-angle formula) on unit-norm "
         "embeddings, transcribed; the class itself in tests/test_metric.py"),
        ("Liu, Wen, Yu, Li, Raj & Song, SphereFace: Deep Hypersphere Embedding for Face "
         "Recognition, CVPR 2017, arXiv:1704.08063")),
)


SPECS = (
    _spec("center_loss", "H4", "中心损失",
          "½‖x − c_y‖² per sample; KaiyangZhou/pytorch-center-loss CenterLoss "
          "(no ½, batch mean: 2× ours with reduction='mean')",
          "Wen, Zhang, Li & Qiao, A Discriminative Feature Learning Approach for Deep Face "
          "Recognition, ECCV 2016",
          chapter="mnist_features", example=_center_example, wrt=(0, 2),
          curve=Curve("first feature coordinate $x_{i1}$ (centre at 0.8)", (-3.0, 4.0),
                      call=_center_curve, select=kit.first_column),
          # the centres are updated by center_update (Eq. 4, alpha=0.5), not by their gradient
          extra={"update": center_update, "update_params": (Param("alpha", 0.5, 0.0, 1.0),)}),
    _spec(
        "ge2e_loss", catalog_id="H6", example=_ge2e_example,
        wrt=(0, 1, 2), params=(Param("variant", "softmax", options=("softmax", "contrast")),),
        chinese="广义端到端损失 (GE2E)",
        reference=("the paper's Eq. 1-7 in torch ops (F.cosine_similarity, F.cross_entropy); "
                   "Real-Time-Voice-Cloning encoder/model.py (norm + 1e-5, mean over N·M)"),
        paper=("Wan, Wang, Papir & Lopez Moreno, Generalized End-to-End Loss for Speaker "
               "Verification, ICASSP 2018, arXiv:1710.10467"),
    ),
    _spec(
        "circle_loss", catalog_id="H7", example=_circle_example,
        params=(Param("m", 0.25, 0.05, 0.5), Param("gamma", 256.0, 1.0, 256.0, log=True)),
        chinese="圆损失 (Circle loss)",
        reference=("the paper's Eq. 4/6 in torch ops (pytorch-metric-learning CircleLoss's lines "
                   "without its detach); CircleLoss itself in tests/test_metric.py"),
        paper=("Sun et al., Circle Loss: A Unified Perspective of Pair Similarity Optimization, "
               "CVPR 2020, arXiv:2002.10857"),
        in_seeds=False, reduction_kind="anchors",
    ),
    _spec(
        "supervised_contrastive_loss", catalog_id="H8",
        example=_supcon_example, params=(Param("temperature", 0.1, 0.01, 2.0, log=True),),
        chinese="监督对比损失 (SupCon)",
        reference=("Khosla et al. Eq. 2 in torch ops; pytorch-metric-learning SupConLoss "
                   "(tests/test_metric.py)"),
        paper="Khosla et al., Supervised Contrastive Learning, NeurIPS 2020, arXiv:2004.11362",
        in_seeds=False, reduction_kind="anchors",
    ),
)
SPECS = SPECS + _PAIR_SPECS

_EXTRA_SPECS = (
    _spec(
        "triplet_margin_with_distance_loss", catalog_id="H2",
        example=_twdl_example, wrt=(0, 1, 2),
        params=(Param("margin", 1.0, 0.1, 3.0), Param("swap", False, options=(False, True))),
        curve=Curve("first coordinate $x$ of the negative $(x, 0.5)$", (-3.0, 3.0),
                    call=_triplet_curve, wrt=2, select=kit.first_column),
        chinese="自定义距离的三元组损失",
        reference="torch.nn.functional.triplet_margin_with_distance_loss",
        paper=("Schroff, Kalenichenko & Philbin, CVPR 2015; Balntas et al., BMVC 2016 (the swap)"),
        in_seeds=False,
    ),
    _spec(
        "cosine_similarity_loss", catalog_id="H3",
        example=_cosine_similarity_example,
        extreme=lambda seed: ((real(seed, (4, 3)) * 1e4, real(seed + 1, (4, 3)) * 1e-4), {}),
        curve=Curve("first coordinate $x$ of the prediction $(x, 1)$, target $(1, 0)$", (-4.0, 4.0),
                    call=_cosine_similarity_curve, select=kit.first_column),
        chinese="余弦相似度损失 (Keras)",
        reference="-torch.nn.functional.cosine_similarity(input, target, dim, eps); keras.losses.cosine_similarity",
        in_seeds=False,
    ),
)
SPECS = SPECS + _EXTRA_SPECS
