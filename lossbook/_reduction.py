"""Reduction, decoded in one place for values and for gradients.

Every loss first computes its unreduced, per-element loss :math:`\\ell` and then calls
:func:`reduce`; its ``_grad`` computes :math:`\\partial\\ell/\\partial(\\cdot)` per element and
multiplies by :func:`upstream`, the gradient of the reduced value with respect to each
:math:`\\ell_i`. The semantics are PyTorch's:

* ``'none'``: :math:`\\ell` itself; the upstream gradient is ``grad_output`` (shaped like
  :math:`\\ell`).
* ``'sum'``: :math:`\\sum_i\\ell_i`; upstream ``grad_output`` everywhere.
* ``'mean'``: :math:`\\sum_i\\ell_i/D`, where :math:`D` is the number of elements unless the loss
  supplies another ``denominator`` (weighted cross-entropy uses :math:`\\sum_i w_{y_i}`);
  upstream ``grad_output / D``.
* ``'batchmean'`` (:func:`~lossbook.kl_div` only): :math:`\\sum_i\\ell_i/N`, :math:`N` the
  length of the first axis (the batch); upstream ``grad_output / N``.

Which reductions a loss accepts and how its value is reduced are declared by its registry
entry (:attr:`~lossbook._spec.Spec.reductions`, :attr:`~lossbook._spec.Spec.reduction_kind`,
one of :data:`KINDS`), so the checker and the tests ask the spec, never the name.
"""
from __future__ import annotations

import numpy as np

from ._backend import is_torch, namespace, to_numpy

__all__ = ["REDUCTIONS", "KNOWN_REDUCTIONS", "KINDS", "check_reduction", "reduce", "upstream",
           "root", "root_upstream"]

#: What every loss accepts, its default first.
REDUCTIONS = ("mean", "sum", "none")
#: Every reduction :func:`reduce` and :func:`upstream` implement.
KNOWN_REDUCTIONS = REDUCTIONS + ("batchmean",)
_DISPLAY = ("none", "batchmean", "mean", "sum")  # the order error messages list them in

#: How a loss's value is reduced (:attr:`~lossbook._spec.Spec.reduction_kind`): kind -> what it means.
KINDS = {
    "elementwise": "'mean' divides the sum by the number of elements",
    "weighted": "'mean' divides the sum by the total weight of the samples (the count of the "
                "non-ignored samples without class weights); over no weight at all it is NaN, "
                "as in PyTorch, and the gradient is 0",
    "root": "the square root of the reduced squares: 'mean' is the root of their mean, 'sum' "
            "the root of their sum (sqrt(n) times 'mean'), 'none' the per-element root",
    "anchors": "'mean' divides the sum by the number of anchors that have a positive (a batch "
               "loss over pairs: the other anchors' entries are 0 and do not count; a batch "
               "without any is an error)",
    "target_length": "'mean' divides each sequence's loss by its target length (at least 1), then "
                     "averages over the batch (CTC, as PyTorch); the spec's extra['mean_weights'] "
                     "gives those per-element factors",
}


def check_reduction(reduction, accepted=REDUCTIONS):
    """Raise ``ValueError`` unless ``reduction`` is one of ``accepted``."""
    if reduction not in accepted:
        listed = ", ".join(repr(r) for r in _DISPLAY if r in accepted)
        raise ValueError(f"reduction must be one of {listed}; got {reduction!r}")
    return reduction


def _numel(x) -> int:
    return x.numel() if is_torch(x) else int(x.size)


def _batch(x) -> int:
    """What ``'batchmean'`` divides by: the length of the first axis (1 for a scalar)."""
    return x.shape[0] if x.ndim else 1


def _is_zero(denominator) -> bool:
    if isinstance(denominator, (int, float)):
        return denominator == 0
    return bool(to_numpy(denominator) == 0)


def reduce(loss, reduction: str = "mean", *, denominator=None, accepted=REDUCTIONS):
    """Reduce the per-element ``loss`` (``'none'``, ``'mean'``, ``'sum'`` or ``'batchmean'``).

    Parameters
    ----------
    loss : array
        Unreduced loss.
    reduction : {'none', 'mean', 'sum', 'batchmean'}
        One of ``accepted``; ``'batchmean'`` divides the sum by ``loss.shape[0]``.
    denominator : array or float, optional
        What ``'mean'`` divides the sum by; the number of elements by default. Given, it is
        the total weight of the terms (a weighted mean): when it is 0 every term has weight
        0, and the mean is NaN (0/0), as in PyTorch, without NumPy's warning.
    accepted : tuple of str
        The reductions the loss accepts (its spec's ``reductions``): :data:`REDUCTIONS`
        unless it declares others (``kl_div`` adds ``'batchmean'``).
    """
    check_reduction(reduction, accepted)
    if reduction == "none":
        return loss
    xp = namespace(loss)
    total = xp.sum(loss)
    if reduction == "sum":
        return total
    if reduction == "batchmean":
        return total / _batch(loss)
    if denominator is None:
        return total / _numel(loss)
    if not is_torch(loss):
        with np.errstate(invalid="ignore", divide="ignore"):
            return total / denominator
    return total / denominator


def upstream(loss_like, reduction: str = "mean", grad_output=None, *, denominator=None,
             accepted=REDUCTIONS):
    """Gradient of the reduced value with respect to each element of the unreduced loss.

    Parameters
    ----------
    loss_like : array
        Any array shaped like the unreduced loss (its dtype and device are used).
    reduction : {'none', 'mean', 'sum', 'batchmean'}
    grad_output : array, optional
        Incoming gradient, shaped like the reduced value; ones by default.
    denominator : array or float, optional
        As in :func:`reduce`. A zero total weight is replaced by 1: every term is then
        multiplied by a zero weight, and PyTorch's gradient there is 0, not NaN.
    accepted : tuple of str
        As in :func:`reduce`.

    Returns
    -------
    array
        Shaped like ``loss_like``: ``grad_output`` broadcast (``'none'``, ``'sum'``) or
        ``grad_output / denominator`` (``'mean'``; ``'batchmean'`` divides by
        ``loss_like.shape[0]``).
    """
    check_reduction(reduction, accepted)
    xp = namespace(loss_like)
    shape = tuple(loss_like.shape)
    if grad_output is None:
        g = xp.asarray(1.0, like=loss_like)
    else:
        g = xp.asarray(grad_output, like=loss_like)
        if reduction == "none" and tuple(g.shape) != shape:
            raise ValueError(f"grad_output must have the shape of the unreduced loss "
                             f"{shape}, got {tuple(g.shape)}")
        if reduction != "none":
            if _numel(g) != 1:
                raise ValueError(f"grad_output must be a scalar for reduction={reduction!r}, "
                                 f"got shape {tuple(g.shape)}")
            g = xp.reshape(g, ())
    if reduction == "batchmean":
        g = g / _batch(loss_like)
    elif reduction == "mean":
        if denominator is None:
            g = g / _numel(loss_like)
        else:
            g = g / (1.0 if _is_zero(denominator) else denominator)
    # A broadcast view (no copy): the scalar reaches every element without a pass over memory.
    return xp.broadcast_to(g, shape)


# --- the root reductions (RMSE, RMSLE): the square root of a reduced loss of squares --------
def root(reduced):
    """The value of a root reduction: :math:`\\sqrt m` of the reduced squares ``reduced``."""
    return namespace(reduced).sqrt(reduced)


def _inverse_root(xp, m):
    """``1/sqrt(m)`` where ``m > 0`` and 0 where ``m == 0`` (the subgradient convention)."""
    positive = m > 0
    s = xp.sqrt(xp.where(positive, m, 1.0))
    return xp.where(positive, 1.0 / s, 0.0)


def root_upstream(reduced, grad_output=None):
    """The incoming gradient of :math:`\\sqrt m` passed on to :math:`m` (``reduced``):
    :math:`g/(2\\sqrt m)`, and 0 where :math:`m = 0` (the subgradient convention of the root
    metrics). It is the ``grad_output`` of the squares' own ``_grad``."""
    xp = namespace(reduced)
    if grad_output is None:
        g = xp.ones_like(reduced)
    else:
        g = xp.asarray(grad_output, like=reduced)
        if tuple(g.shape) != tuple(reduced.shape):
            raise ValueError(f"grad_output must have the shape of the value {tuple(reduced.shape)}, "
                             f"got {tuple(g.shape)}")
    return 0.5 * g * _inverse_root(xp, reduced)


def elementwise_upstream(x, grad_output=None):
    """Incoming gradient for an element-wise map: ``grad_output`` (shaped like ``x``) or 1."""
    if grad_output is None:
        return 1.0
    xp = namespace(x)
    g = xp.asarray(grad_output, like=x)
    if tuple(g.shape) != tuple(x.shape):
        raise ValueError(f"grad_output must have the shape of the output {tuple(x.shape)}, "
                         f"got {tuple(g.shape)}")
    return g
