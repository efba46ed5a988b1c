"""The reductions that tolerate an empty denominator, shared by the classification losses.

(The array helpers that used to live here, ``cast_like``, ``aux_array``, ``class_axis`` and
``expand_classes``, are in the kit, ``lossbook._kit``.)
"""
from __future__ import annotations

import numpy as np

from .._backend import is_torch, to_numpy
from .._reduction import reduce, upstream

__all__ = ["reduce_safe", "upstream_safe"]


def _is_zero(denominator) -> bool:
    if denominator is None or isinstance(denominator, (int, float)):
        return denominator == 0
    return bool(to_numpy(denominator) == 0)


def reduce_safe(loss, reduction, denominator=None):
    """:func:`~lossbook._reduction.reduce`, returning NaN quietly for ``'mean'`` over nothing.

    That happens when every sample is ignored (``ignore_index``); PyTorch returns NaN too.
    """
    if reduction == "mean" and denominator is not None and not is_torch(loss):
        with np.errstate(invalid="ignore", divide="ignore"):
            return reduce(loss, reduction, denominator=denominator)
    return reduce(loss, reduction, denominator=denominator)


def upstream_safe(loss_like, reduction, grad_output, denominator=None):
    """:func:`~lossbook._reduction.upstream`; a zero ``denominator`` is replaced by 1.

    Only used where every term is then multiplied by a zero weight (all samples ignored):
    PyTorch's gradient is 0 there, not NaN.
    """
    if reduction == "mean" and denominator is not None and _is_zero(denominator):
        denominator = 1.0
    return upstream(loss_like, reduction, grad_output, denominator=denominator)
