r"""Regression losses and forecasting metrics (catalog part E).

Every loss here is a function of the prediction ``input`` (:math:`\hat y`) and the
``target`` (:math:`y`); most depend on them only through the **residual**
:math:`r = \hat y - y` (PyTorch's ``input - target``), so their per-element loss is a curve
:math:`\rho(r)` and their gradient a curve :math:`\psi(r) = \rho'(r)` (Huber's *influence*
function). Each loss is a value function with its ``_grad`` directly below it; ``SPECS`` at the
end registers them.

The gradients are taken with respect to ``input`` (the prediction), the only argument a model
produces. Kink conventions are PyTorch's (``abs'(0) = 0``); the entries PyTorch does not have
say which convention they pick and why.
"""
from __future__ import annotations

import math

import numpy as np

from .. import _validate as check
from .._backend import is_torch, namespace
from .._examples import real, rng
from .._reduction import reduce, upstream
from .._spec import Curve, Kink, Param, Spec

__all__ = [
    "mse_loss", "mse_loss_grad",
]

_LOG2 = math.log(2.0)


def _pair(input, target, name: str):
    """Validate ``input`` and ``target``: same kind, dtype and shape, not empty, no NaN.

    A ``target`` given as a list or Python number takes the dtype (and device) of ``input``.
    """
    x = check.floating(input, "input")
    if not is_torch(target) and not isinstance(target, np.ndarray):
        t = check.floating(target, "target")
        t = namespace(x).asarray(t, like=x)
    else:
        t = check.floating(target, "target")
    if is_torch(x) != is_torch(t):
        raise TypeError(f"target must be the same kind of array as input (NumPy or torch) in {name}")
    if t.dtype != x.dtype:
        raise TypeError(f"target must have the dtype of input ({str(x.dtype).replace('torch.', '')}) "
                        f"in {name}, got {str(t.dtype).replace('torch.', '')}")
    check.same_shape(x, t, "input", "target")
    check.nonempty(x, "input")
    return x, t


# --- E3 ---------------------------------------------------------------------------------
def mse_loss(input, target, *, reduction: str = "mean"):
    r"""Mean squared error (L2 loss): the squared residual, averaged.

    .. math::

        \ell(\hat y, y) = \frac1n\sum_{i=1}^n (\hat y_i - y_i)^2

    Parameters
    ----------
    input : array_like
        Predictions :math:`\hat y`, any shape (NumPy array or torch tensor).
    target : array_like
        Targets :math:`y`, shaped like ``input``.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        ``'none'`` gives the per-element squared errors :math:`r_i^2`.

    Returns
    -------
    array
        A scalar, or shaped like ``input`` for ``reduction='none'``.

    Notes
    -----
    No factor :math:`\tfrac12` (PyTorch, Keras and scikit-learn agree); with it the gradient
    would be the plain residual. Its minimiser over a constant prediction is the **mean** of
    the targets, and a single outlier pulls it without bound: the gradient :math:`2r` grows
    with the error. It is the Gaussian negative log-likelihood up to constants.

    References
    ----------
    Legendre, *Nouvelles méthodes pour la détermination des orbites des comètes*, 1805;
    Gauss, *Theoria motus*, 1809.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> float(lossbook.mse_loss(np.array([1.0, 1.0]), np.array([0.0, 1.0])))
    0.5
    """
    x, t = _pair(input, target, "mse_loss")
    r = x - t
    return reduce(r * r, reduction)


def mse_loss_grad(input, target, *, reduction: str = "mean", grad_output=None):
    r"""Gradient (VJP) of :func:`mse_loss` with respect to ``input``.

    .. math::

        \frac{\partial\ell}{\partial\hat y_i} = \frac{2\,(\hat y_i - y_i)}{n}
    """
    x, t = _pair(input, target, "mse_loss")
    r = x - t
    return 2.0 * r * upstream(r, reduction, grad_output)


# --- registry entries -------------------------------------------------------------------
def _k(value):
    """A float64 NumPy array (kink points and expected gradients)."""
    return np.asarray(value, dtype=np.float64)


def _residual_example(avoid=(0.0,), low=-3.0, high=3.0, shape=(3, 4), **kwargs):
    """Example: a target and a prediction whose residuals stay away from the kinks ``avoid``."""
    def example(seed):
        target = real(seed, shape, -2.0, 2.0, avoid=())
        residual = real(seed + 1, shape, low, high, avoid)
        return (target + residual, target), dict(kwargs)
    return example


def _residual_curve(x, params):
    """The residual view: prediction ``x`` against target 0, so the curve is :math:`\\rho(r)`."""
    return (x, np.zeros_like(x)), dict(params)


_R = Curve("residual r = input − target", (-4.0, 4.0), call=_residual_curve)
_CHAPTER = "regression"


def _spec(name, catalog_id, chinese, reference, paper="", **kwargs):
    module = globals()
    kwargs.setdefault("curve", _R)
    kwargs.setdefault("example", _residual_example())
    return Spec(name=name, value=module[name], grad=module[name + "_grad"], family="regression",
                catalog_id=catalog_id, chapter=_CHAPTER, chinese=chinese, reference=reference,
                paper=paper, **kwargs)


SPECS = (
    _spec("mse_loss", "E3", "均方误差 (L2 损失)",
          "torch.nn.functional.mse_loss; sklearn.metrics.mean_squared_error",
          "Legendre 1805; Gauss 1809 (least squares)", aliases=("mse",),
          example=_residual_example(avoid=())),
)
