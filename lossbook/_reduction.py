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
"""
from __future__ import annotations

from ._backend import is_torch, namespace

__all__ = ["REDUCTIONS", "check_reduction", "reduce", "upstream"]

REDUCTIONS = ("none", "mean", "sum")


def check_reduction(reduction):
    """Raise ``ValueError`` for an unknown reduction."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of 'none', 'mean', 'sum'; got {reduction!r}")
    return reduction


def _numel(x) -> int:
    return x.numel() if is_torch(x) else int(x.size)


def reduce(loss, reduction: str = "mean", *, denominator=None):
    """Reduce the per-element ``loss`` (``'none'``, ``'mean'`` or ``'sum'``).

    Parameters
    ----------
    loss : array
        Unreduced loss.
    reduction : {'none', 'mean', 'sum'}
    denominator : array or float, optional
        What ``'mean'`` divides the sum by; the number of elements by default.
    """
    check_reduction(reduction)
    if reduction == "none":
        return loss
    xp = namespace(loss)
    total = xp.sum(loss)
    if reduction == "sum":
        return total
    return total / (_numel(loss) if denominator is None else denominator)


def upstream(loss_like, reduction: str = "mean", grad_output=None, *, denominator=None):
    """Gradient of the reduced value with respect to each element of the unreduced loss.

    Parameters
    ----------
    loss_like : array
        Any array shaped like the unreduced loss (its dtype and device are used).
    reduction : {'none', 'mean', 'sum'}
    grad_output : array, optional
        Incoming gradient, shaped like the reduced value; ones by default.
    denominator : array or float, optional
        As in :func:`reduce`.

    Returns
    -------
    array
        Shaped like ``loss_like``: ``grad_output`` broadcast (``'none'``, ``'sum'``) or
        ``grad_output / denominator`` (``'mean'``).
    """
    check_reduction(reduction)
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
    if reduction == "mean":
        g = g / (_numel(loss_like) if denominator is None else denominator)
    # A broadcast view (no copy): the scalar reaches every element without a pass over memory.
    return xp.broadcast_to(g, shape)


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
