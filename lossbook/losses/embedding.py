"""Metric-learning and embedding losses (catalog part H).

Each loss is a value function with its ``_grad`` directly below it; ``SPECS`` at the end
registers them.
"""
from __future__ import annotations

import numpy as np

from .. import _kit as kit
from .._backend import namespace
from .._kit import real, rng
from .._reduction import reduce, upstream
from .._spec import Curve, Family, Param

__all__: list[str] = ["center_loss", "center_loss_grad", "center_update"]


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


# --- registry entries -------------------------------------------------------------------
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


#: This module's part of the catalog; the registry enrols its SPECS under it.
FAMILY = Family(key="embedding", title="Metric-learning and embedding losses", part="H",
                chapters=("mnist_features",))

_spec = kit.spec_factory(FAMILY, globals())

SPECS = (
    _spec("center_loss", "H4", "中心损失",
          "½‖x − c_y‖² per sample; KaiyangZhou/pytorch-center-loss CenterLoss "
          "(no ½, batch mean: 2× ours with reduction='mean')",
          "Wen, Zhang, Li & Qiao, A Discriminative Feature Learning Approach for Deep Face "
          "Recognition, ECCV 2016",
          example=_center_example, wrt=(0, 2),
          curve=Curve("first feature coordinate $x_{i1}$ (centre at 0.8)", (-3.0, 4.0),
                      call=_center_curve, select=kit.first_column),
          # the centres are updated by center_update (Eq. 4, alpha=0.5), not by their gradient
          extra={"update": center_update, "update_params": (Param("alpha", 0.5, 0.0, 1.0),)}),
)
