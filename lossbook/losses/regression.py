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

import numpy as np

from .. import _kit as kit
from .._backend import LOG2, namespace
from .._kit import f64, real, rng
from .._reduction import reduce, root, root_upstream, upstream
from .._spec import Curve, Family, Kink, Param

__all__ = [
    "l1_loss", "l1_loss_grad", "mbe", "mbe_grad", "mse_loss", "mse_loss_grad",
    "rmse_loss", "rmse_loss_grad", "mape_loss", "mape_loss_grad", "smape_loss",
    "smape_loss_grad", "msle_loss", "msle_loss_grad", "rmsle_loss", "rmsle_loss_grad",
    "huber_loss", "huber_loss_grad", "smooth_l1_loss", "smooth_l1_loss_grad",
    "log_cosh_loss", "log_cosh_loss_grad", "quantile_loss", "quantile_loss_grad",
    "poisson_nll_loss", "poisson_nll_loss_grad", "gaussian_nll_loss", "gaussian_nll_loss_grad",
]


def _pair(input, target):
    """Validate ``input`` and ``target``: same kind, dtype and shape, not empty, no NaN.

    A ``target`` given as a list or Python number takes the dtype (and device) of ``input``.
    """
    return kit.pair(input, target, dtype=True)


# --- E1 ---------------------------------------------------------------------------------
def l1_loss(input, target, *, reduction: str = "mean"):
    r"""Mean absolute error (MAE, L1 loss): the absolute residual, averaged.

    .. math::

        \ell(\hat y, y) = \frac1n\sum_{i=1}^n \lvert\hat y_i - y_i\rvert

    Parameters
    ----------
    input : array_like
        Predictions :math:`\hat y`, any shape (NumPy array or torch tensor).
    target : array_like
        Targets :math:`y`, shaped like ``input``.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        ``'none'`` gives the per-element absolute errors :math:`|r_i|`.

    Returns
    -------
    array
        A scalar, or shaped like ``input`` for ``reduction='none'``.

    Notes
    -----
    Mean **Absolute** Error (seed 000 says "Mean Average Error", erratum ER4). Its minimiser
    over a constant prediction is the **median** of the targets, so one outlier moves it at
    most to the neighbouring order statistic: L1 is *less* sensitive to outliers than L2, not
    insensitive (ER6). Its gradient has constant magnitude, :math:`\operatorname{sign}(r)`:
    every residual gets the same push however small, so plain gradient descent with a fixed
    step oscillates around the minimum instead of settling (ER6, ER60). At :math:`r=0` the
    derivative is the subgradient 0, as PyTorch's ``abs'(0) = sign(0) = 0``.

    An L1 *loss on residuals* is not an L1 *penalty on weights* (lasso): only the latter
    induces sparsity (ER59).

    References
    ----------
    Boscovich 1757 and Laplace 1793 (least absolute deviations).

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> float(lossbook.l1_loss(np.array([[1.0], [1.0]]), np.array([[0.0], [0.0]])))
    1.0
    """
    x, t = _pair(input, target)
    return reduce(namespace(x).abs(x - t), reduction)


def l1_loss_grad(input, target, *, reduction: str = "mean", grad_output=None):
    r"""Gradient (VJP) of :func:`l1_loss` with respect to ``input``; 0 at :math:`r=0` (PyTorch).

    .. math::

        \frac{\partial\ell}{\partial\hat y_i} = \frac{\operatorname{sign}(\hat y_i - y_i)}{n}
    """
    x, t = _pair(input, target)
    r = x - t
    return namespace(x).sign(r) * upstream(r, reduction, grad_output)


# --- E2 ---------------------------------------------------------------------------------
def mbe(input, target, *, reduction: str = "mean"):
    r"""Mean bias error: the signed residual, averaged (a diagnostic, not a training loss).

    .. math::

        \operatorname{MBE}(\hat y, y) = \frac1n\sum_{i=1}^n (\hat y_i - y_i)

    Parameters
    ----------
    input : array_like
        Predictions :math:`\hat y`, any shape.
    target : array_like
        Targets :math:`y`, shaped like ``input``.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        ``'none'`` gives the residuals :math:`r_i` themselves.

    Returns
    -------
    array
        A scalar, or shaped like ``input`` for ``reduction='none'``.

    Notes
    -----
    Positive means the model over-predicts on average (the sign follows
    :math:`r=\hat y-y`; some authors use :math:`y-\hat y` and get the opposite sign). Its
    range is :math:`(-\infty, \infty)`, not :math:`[0,\infty)` as seed 000 says (ER5):
    errors of opposite signs cancel, so a terrible model can have MBE 0, and minimising it
    drives predictions to :math:`-\infty`. Use it to detect a systematic bias, next to a
    real loss.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> float(lossbook.mbe(np.array([3.0, -1.0]), np.array([1.0, 1.0])))
    0.0
    """
    x, t = _pair(input, target)
    return reduce(x - t, reduction)


def mbe_grad(input, target, *, reduction: str = "mean", grad_output=None):
    r"""Gradient (VJP) of :func:`mbe` with respect to ``input``: a constant.

    .. math::

        \frac{\partial\,\operatorname{MBE}}{\partial\hat y_i} = \frac1n
    """
    x, t = _pair(input, target)
    return upstream(x - t, reduction, grad_output) * 1.0


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
    x, t = _pair(input, target)
    r = x - t
    return reduce(r * r, reduction)


def mse_loss_grad(input, target, *, reduction: str = "mean", grad_output=None):
    r"""Gradient (VJP) of :func:`mse_loss` with respect to ``input``.

    .. math::

        \frac{\partial\ell}{\partial\hat y_i} = \frac{2\,(\hat y_i - y_i)}{n}
    """
    x, t = _pair(input, target)
    r = x - t
    return 2.0 * r * upstream(r, reduction, grad_output)


# --- E4 ---------------------------------------------------------------------------------
def rmse_loss(input, target, *, reduction: str = "mean"):
    r"""Root mean squared error: the square root of :func:`mse_loss`, in the units of the target.

    .. math::

        \operatorname{RMSE}(\hat y, y) = \sqrt{\frac1n\sum_{i=1}^n (\hat y_i - y_i)^2}

    Parameters
    ----------
    input : array_like
        Predictions :math:`\hat y`, any shape.
    target : array_like
        Targets :math:`y`, shaped like ``input``.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        The root of the reduced squared errors: ``'mean'`` is the RMSE, ``'sum'`` the
        Euclidean norm :math:`\lVert\hat y-y\rVert_2`, ``'none'`` the per-element
        :math:`\sqrt{r_i^2}=|r_i|`. So ``'sum'`` is :math:`\sqrt n` (not :math:`n`) times
        ``'mean'``.

    Returns
    -------
    array
        A scalar, or shaped like ``input`` for ``reduction='none'``.

    Notes
    -----
    The square root is monotone, so RMSE and MSE have the same minimiser; but RMSE is not a
    sum over samples, so its gradient couples them through the common factor
    :math:`1/\operatorname{RMSE}`. Where every residual is 0 the derivative does not exist
    (autograd of ``sqrt(mse)`` gives ``nan`` there); this function returns the subgradient
    0, like PyTorch's ``abs'(0)``, which is what ``'none'`` (:math:`|r|`) needs too.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> float(lossbook.rmse_loss(np.array([3.0, 1.0]), np.array([0.0, 0.0])))
    2.23606797749979
    """
    x, t = _pair(input, target)
    return namespace(x).sqrt(mse_loss(x, t, reduction=reduction))


def rmse_loss_grad(input, target, *, reduction: str = "mean", grad_output=None):
    r"""Gradient (VJP) of :func:`rmse_loss` with respect to ``input``; 0 where RMSE = 0.

    .. math::

        \frac{\partial\,\operatorname{RMSE}}{\partial\hat y_i}
        = \frac{\hat y_i - y_i}{n\,\operatorname{RMSE}}
    """
    x, t = _pair(input, target)
    m = mse_loss(x, t, reduction=reduction)
    return mse_loss_grad(x, t, reduction=reduction, grad_output=root_upstream(m, grad_output))


# --- E5 ---------------------------------------------------------------------------------
def mape_loss(input, target, *, reduction: str = "mean"):
    r"""Mean absolute percentage error, **in percent**: the absolute error relative to the target.

    .. math::

        \operatorname{MAPE}(\hat y, y) = \frac{100}{n}\sum_{i=1}^n
        \left\lvert\frac{\hat y_i - y_i}{y_i}\right\rvert

    Parameters
    ----------
    input : array_like
        Predictions :math:`\hat y`, any shape.
    target : array_like
        Targets :math:`y`, shaped like ``input``; must not contain 0.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        ``'none'`` gives the per-element percentage errors.

    Returns
    -------
    array
        A scalar, or shaped like ``input`` for ``reduction='none'``.

    Raises
    ------
    ValueError
        If ``target`` contains 0: the percentage error is infinite there. Keras divides by
        :math:`\max(|y|, 10^{-7})` and scikit-learn by :math:`\max(|y|, \epsilon_{64})`,
        which turns a zero target into a huge finite number; we refuse instead. Mask those
        elements, or use :func:`smape_loss` or :func:`l1_loss`.

    Notes
    -----
    Keras returns percent (:math:`\times100`); ``sklearn.metrics.mean_absolute_percentage_error``
    returns a **fraction**. The denominator is :math:`|y|` (seed 001's ``evalmape`` forgets the
    absolute value, erratum ER41; seed 003's Keras snippet omits the 100 and the mean, ER54).
    MAPE is asymmetric in a way that favours under-prediction: :math:`y=100,\hat y=150` costs
    50 %, :math:`y=150,\hat y=100` only 33 %, and an under-prediction can never cost more
    than 100 % while an over-prediction is unbounded.

    References
    ----------
    Hyndman & Koehler, "Another look at measures of forecast accuracy", International Journal
    of Forecasting 22(4), 2006.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> lossbook.mape_loss(np.array([150.0, 100.0]), np.array([100.0, 150.0]), reduction="none")
    array([50.        , 33.33333333])
    """
    x, t = _pair(input, target)
    _nonzero_target(t, "mape_loss")
    xp = namespace(x)
    return reduce(100.0 * xp.abs(x - t) / xp.abs(t), reduction)


def _nonzero_target(t, name):
    kit.nonzero(t, "target", f"{name} divides by |target|, so the percentage error there would be "
                             f"infinite; mask those elements or use smape_loss or l1_loss")


def mape_loss_grad(input, target, *, reduction: str = "mean", grad_output=None):
    r"""Gradient (VJP) of :func:`mape_loss` with respect to ``input``; 0 at :math:`r=0`.

    .. math::

        \frac{\partial\,\operatorname{MAPE}}{\partial\hat y_i}
        = \frac{100\,\operatorname{sign}(\hat y_i - y_i)}{n\,\lvert y_i\rvert}
    """
    x, t = _pair(input, target)
    _nonzero_target(t, "mape_loss")
    xp = namespace(x)
    r = x - t
    return 100.0 * xp.sign(r) / xp.abs(t) * upstream(r, reduction, grad_output)


# --- E6 ---------------------------------------------------------------------------------
def smape_loss(input, target, *, reduction: str = "mean"):
    r"""Symmetric mean absolute percentage error, in percent (range :math:`[0, 200]`).

    .. math::

        \operatorname{SMAPE}(\hat y, y) = \frac{100}{n}\sum_{i=1}^n
        \frac{2\,\lvert\hat y_i - y_i\rvert}{\lvert\hat y_i\rvert + \lvert y_i\rvert},
        \qquad \tfrac00 := 0

    Parameters
    ----------
    input : array_like
        Predictions :math:`\hat y`, any shape.
    target : array_like
        Targets :math:`y`, shaped like ``input``.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        ``'none'`` gives the per-element terms (each in :math:`[0, 200]`).

    Returns
    -------
    array
        A scalar, or shaped like ``input`` for ``reduction='none'``.

    Notes
    -----
    The denominator is the **mean** of :math:`|y|` and :math:`|\hat y|` (seed 001 says the
    median, and gives the range :math:`[0,+\infty)`: erratum ER42). Each term is at most 200 %,
    reached when exactly one of :math:`y,\hat y` is 0 or they have opposite signs. Where both
    are 0 the term is defined as 0 (a perfect prediction) and its gradient as 0, although
    the function jumps to 200 next to that point. "Symmetric" refers to swapping
    :math:`y` and :math:`\hat y`; it is *not* symmetric in over- vs under-prediction: for
    :math:`y=100`, predicting 150 costs 40 % and predicting 50 costs 66.7 %. A variant
    without the factor 2 lies in :math:`[0, 100]`.

    References
    ----------
    Makridakis, "Accuracy measures: theoretical and practical concerns", International
    Journal of Forecasting 9(4), 1993; Hyndman & Koehler 2006.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> lossbook.smape_loss(np.array([150.0, 50.0, 0.0]), np.array([100.0, 100.0, 0.0]), reduction="none")
    array([40.        , 66.66666667,  0.        ])
    """
    x, t = _pair(input, target)
    xp = namespace(x)
    total = xp.abs(x) + xp.abs(t)
    defined = total > 0
    term = 200.0 * xp.abs(x - t) / xp.where(defined, total, 1.0)
    return reduce(xp.where(defined, term, 0.0), reduction)


def smape_loss_grad(input, target, *, reduction: str = "mean", grad_output=None):
    r"""Gradient (VJP) of :func:`smape_loss` with respect to ``input``; 0 where :math:`y=\hat y=0`.

    .. math::

        \frac{\partial\,\operatorname{SMAPE}}{\partial\hat y_i} = \frac{200}{n}\left[
        \frac{\operatorname{sign}(\hat y_i - y_i)}{\lvert\hat y_i\rvert + \lvert y_i\rvert}
        - \frac{\lvert\hat y_i - y_i\rvert\,\operatorname{sign}(\hat y_i)}
               {(\lvert\hat y_i\rvert + \lvert y_i\rvert)^2}\right]

    With :math:`\operatorname{sign}(0)=0` at :math:`r=0` and at :math:`\hat y=0` (PyTorch's
    ``abs'(0)``).
    """
    x, t = _pair(input, target)
    xp = namespace(x)
    r = x - t
    total = xp.abs(x) + xp.abs(t)
    defined = total > 0
    d = xp.where(defined, total, 1.0)
    g = 200.0 * (xp.sign(r) / d - xp.abs(r) * xp.sign(x) / (d * d))
    return xp.where(defined, g, 0.0) * upstream(r, reduction, grad_output)


# --- E7 ---------------------------------------------------------------------------------
def _log1p_pair(x, t, name):
    """``log1p`` of both arguments, after checking they exceed -1."""
    for value, label in ((x, "input"), (t, "target")):
        kit.values_in(value, label, "(-1, inf)", hint=f" in {name} (it takes log(1 + {label}))")
    xp = namespace(x)
    return xp.log1p(x), xp.log1p(t)


def msle_loss(input, target, *, reduction: str = "mean"):
    r"""Mean squared logarithmic error: MSE between :math:`\log(1+\hat y)` and :math:`\log(1+y)`.

    .. math::

        \operatorname{MSLE}(\hat y, y) = \frac1n\sum_{i=1}^n
        \bigl(\log(1 + \hat y_i) - \log(1 + y_i)\bigr)^2

    Parameters
    ----------
    input : array_like
        Predictions :math:`\hat y > -1`, any shape.
    target : array_like
        Targets :math:`y > -1`, shaped like ``input``.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        ``'none'`` gives the per-element squared log errors.

    Returns
    -------
    array
        A scalar, or shaped like ``input`` for ``reduction='none'``.

    Raises
    ------
    ValueError
        If ``input`` or ``target`` has a value :math:`\le -1` (the logarithm is undefined).
        scikit-learn raises too; Keras silently clips the values at :math:`\epsilon`.

    Notes
    -----
    It compares *ratios*, :math:`\log\frac{1+\hat y}{1+y}`, so it suits targets spanning orders
    of magnitude (counts, prices): an error of 10 on a target of 100 costs about as much as an
    error of 0.1 on a target of 1. It penalises under-prediction more than over-prediction of
    the same size. RMSLE is its square root, :func:`rmsle_loss`. Computed with ``log1p``. In
    seed 003's example the numbers labelled "msle" (0.047, 0.27) are RMSLE values (erratum
    ER53).

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> y = np.array([1.0, 2.0, 3.0, 100.0])
    >>> round(float(lossbook.msle_loss(np.array([1.0, 2.0, 3.0, 110.0]), y)), 7)
    0.0022283
    """
    x, t = _pair(input, target)
    lx, lt = _log1p_pair(x, t, "msle_loss")
    d = lx - lt
    return reduce(d * d, reduction)


def msle_loss_grad(input, target, *, reduction: str = "mean", grad_output=None):
    r"""Gradient (VJP) of :func:`msle_loss` with respect to ``input``.

    .. math::

        \frac{\partial\,\operatorname{MSLE}}{\partial\hat y_i}
        = \frac{2\,\bigl(\log(1+\hat y_i) - \log(1+y_i)\bigr)}{n\,(1 + \hat y_i)}
    """
    x, t = _pair(input, target)
    lx, lt = _log1p_pair(x, t, "msle_loss")
    d = lx - lt
    return 2.0 * d / (1.0 + x) * upstream(d, reduction, grad_output)


def rmsle_loss(input, target, *, reduction: str = "mean"):
    r"""Root mean squared logarithmic error: the square root of :func:`msle_loss`.

    .. math::

        \operatorname{RMSLE}(\hat y, y) = \sqrt{\frac1n\sum_{i=1}^n
        \bigl(\log(1 + \hat y_i) - \log(1 + y_i)\bigr)^2}

    Parameters
    ----------
    input, target : array_like
        As in :func:`msle_loss` (values :math:`> -1`, same shape).
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        The root of the reduced squared log errors, as in :func:`rmse_loss`.

    Returns
    -------
    array
        A scalar, or shaped like ``input`` for ``reduction='none'``.

    Notes
    -----
    Seed 003's "msle: 0.047, 0.27" are these values (erratum ER53). The gradient is the
    subgradient 0 where every log error is 0, as for :func:`rmse_loss`.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> y = np.array([1.0, 2.0, 3.0, 100.0])
    >>> round(float(lossbook.rmsle_loss(np.array([2.0, 3.0, 4.0, 100.0]), y)), 6)
    0.272468
    """
    x, t = _pair(input, target)
    _log1p_pair(x, t, "rmsle_loss")
    return root(msle_loss(x, t, reduction=reduction))


def rmsle_loss_grad(input, target, *, reduction: str = "mean", grad_output=None):
    r"""Gradient (VJP) of :func:`rmsle_loss` with respect to ``input``; 0 where RMSLE = 0.

    .. math::

        \frac{\partial\,\operatorname{RMSLE}}{\partial\hat y_i}
        = \frac{\log(1+\hat y_i) - \log(1+y_i)}{n\,(1+\hat y_i)\,\operatorname{RMSLE}}
    """
    x, t = _pair(input, target)
    _log1p_pair(x, t, "rmsle_loss")
    m = msle_loss(x, t, reduction=reduction)
    return msle_loss_grad(x, t, reduction=reduction, grad_output=root_upstream(m, grad_output))


# --- E8 ---------------------------------------------------------------------------------
def huber_loss(input, target, *, delta: float = 1.0, reduction: str = "mean"):
    r"""Huber loss: quadratic for small residuals, linear beyond ``delta``.

    .. math::

        \ell_\delta(r) = \begin{cases} \tfrac12 r^2 & |r| < \delta \\
        \delta\,\bigl(|r| - \tfrac12\delta\bigr) & |r| \ge \delta \end{cases},
        \qquad r = \hat y - y

    Parameters
    ----------
    input : array_like
        Predictions :math:`\hat y`, any shape.
    target : array_like
        Targets :math:`y`, shaped like ``input``.
    delta : float, default 1.0
        :math:`\delta > 0`, where the quadratic part meets the linear one.
    reduction : {'mean', 'sum', 'none'}, default 'mean'

    Returns
    -------
    array
        A scalar, or shaped like ``input`` for ``reduction='none'``.

    Notes
    -----
    Continuously differentiable; its gradient (the influence function :math:`\psi`) is
    :math:`\operatorname{clip}(r,-\delta,\delta)`: an outlier pulls with force at most
    :math:`\delta`. Huber is **not** Smooth L1 (seed 000 says so, erratum ER7):
    :math:`\mathrm{Huber}_\delta = \delta\cdot\mathrm{SmoothL1}_{\beta=\delta}`, and the two
    coincide only for :math:`\delta=\beta=1` (which is why Keras's ``Huber()`` reproduces seed
    004's "Smooth L1" example, ER62). Limits (ER44): as :math:`\delta\to0`,
    :math:`\mathrm{Huber}_\delta\to0` and :math:`\mathrm{Huber}_\delta/\delta\to|r|`; as
    :math:`\delta\to\infty` it becomes :math:`\tfrac12 r^2`, half the MSE.

    References
    ----------
    Huber, "Robust Estimation of a Location Parameter", Annals of Mathematical Statistics
    35(1), 1964.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> float(lossbook.huber_loss(np.array([[0.6], [0.4]]), np.array([[0.0], [1.0]])))
    0.18
    """
    x, t = _pair(input, target)
    kit.number(delta, "delta", "(0, inf)")
    xp = namespace(x)
    r = x - t
    a = xp.abs(r)
    m = xp.minimum(a, delta)   # |r| capped at delta
    # m (|r| - m/2) is r²/2 for |r| <= delta and delta (|r| - delta/2) beyond: both pieces in
    # one expression, bit for bit, without a branch-select (slow on the CPU).
    return reduce(m * (a - 0.5 * m), reduction)


def huber_loss_grad(input, target, *, delta: float = 1.0, reduction: str = "mean", grad_output=None):
    r"""Gradient (VJP) of :func:`huber_loss` with respect to ``input``: the clipped residual.

    .. math::

        \frac{\partial\ell_\delta}{\partial\hat y} = \psi_\delta(r)
        = \operatorname{clip}(r, -\delta, \delta)

    Continuous, so :math:`|r|=\delta` needs no convention (PyTorch gives :math:`\pm\delta`).
    """
    x, t = _pair(input, target)
    kit.number(delta, "delta", "(0, inf)")
    r = x - t
    return namespace(x).clip(r, -delta, delta) * upstream(r, reduction, grad_output)


# --- E9 ---------------------------------------------------------------------------------
def smooth_l1_loss(input, target, *, beta: float = 1.0, reduction: str = "mean"):
    r"""Smooth L1 loss (Fast R-CNN): L1 with its kink rounded off on :math:`|r| < \beta`.

    .. math::

        \ell_\beta(r) = \begin{cases} \dfrac{r^2}{2\beta} & |r| < \beta \\
        |r| - \tfrac12\beta & |r| \ge \beta \end{cases}

    Parameters
    ----------
    input : array_like
        Predictions :math:`\hat y`, any shape.
    target : array_like
        Targets :math:`y`, shaped like ``input``.
    beta : float, default 1.0
        :math:`\beta \ge 0`; ``beta=0`` is exactly :func:`l1_loss` (PyTorch too).
    reduction : {'mean', 'sum', 'none'}, default 'mean'

    Returns
    -------
    array
        A scalar, or shaped like ``input`` for ``reduction='none'``.

    Notes
    -----
    Its slope is bounded by 1 whatever :math:`\beta` (Huber's by :math:`\delta`), and
    :math:`\mathrm{SmoothL1}_\beta = \mathrm{Huber}_\beta/\beta`. Inside :math:`[-1,1]` (for
    :math:`\beta=1`) it is :math:`\tfrac12r^2`, not the L2 loss :math:`r^2` (seed 004,
    erratum ER62). maskrcnn-benchmark used :math:`\beta=1/9`.

    References
    ----------
    Girshick, "Fast R-CNN", ICCV 2015, arXiv:1504.08083, Eq. (3).

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> lossbook.smooth_l1_loss(np.array([0.5, 3.0]), np.array([0.0, 0.0]), reduction="none")
    array([0.125, 2.5  ])
    """
    x, t = _pair(input, target)
    kit.number(beta, "beta", "[0, inf)")
    xp = namespace(x)
    r = x - t
    a = xp.abs(r)
    if beta == 0:
        return reduce(a, reduction)
    return reduce(xp.where(a < beta, 0.5 * r * r / beta, a - 0.5 * beta), reduction)


def smooth_l1_loss_grad(input, target, *, beta: float = 1.0, reduction: str = "mean", grad_output=None):
    r"""Gradient (VJP) of :func:`smooth_l1_loss` with respect to ``input``.

    .. math::

        \frac{\partial\ell_\beta}{\partial\hat y} = \operatorname{clip}\Bigl(\frac r\beta, -1, 1\Bigr)

    For ``beta=0`` it is :math:`\operatorname{sign}(r)`, 0 at :math:`r=0`, as PyTorch (which
    then calls ``l1_loss``).
    """
    x, t = _pair(input, target)
    kit.number(beta, "beta", "[0, inf)")
    xp = namespace(x)
    r = x - t
    slope = xp.sign(r) if beta == 0 else xp.clip(r / beta, -1.0, 1.0)
    return slope * upstream(r, reduction, grad_output)


# --- E10 --------------------------------------------------------------------------------
def log_cosh_loss(input, target, *, reduction: str = "mean"):
    r"""Log-cosh loss: :math:`\log\cosh r`, like :math:`\tfrac12r^2` near 0 and :math:`|r|-\log2` far out.

    .. math::

        \ell(r) = \log\cosh(r) = |r| + \log\bigl(1 + e^{-2|r|}\bigr) - \log 2

    Parameters
    ----------
    input : array_like
        Predictions :math:`\hat y`, any shape.
    target : array_like
        Targets :math:`y`, shaped like ``input``.
    reduction : {'mean', 'sum', 'none'}, default 'mean'

    Returns
    -------
    array
        A scalar, or shaped like ``input`` for ``reduction='none'``.

    Notes
    -----
    Evaluated in the stable form on the right, which never exponentiates a positive number:
    ``np.log(np.cosh(r))`` (the seeds' code) overflows to ``inf`` for :math:`|r|\gtrsim710`,
    while this gives 999.3068528 at :math:`r=1000` (erratum ER55). It is smooth everywhere
    (a "smooth Huber" with :math:`\delta\approx1`); its gradient :math:`\tanh r` tends to
    :math:`\pm1` but its second derivative :math:`\operatorname{sech}^2r` tends to **0**, not to a
    constant as seed 001 says (erratum ER45): a Newton step :math:`-g/h` in gradient boosting
    explodes for large residuals.

    References
    ----------
    Keras ``keras.losses.log_cosh`` (computes :math:`r+\operatorname{softplus}(-2r)-\log2`).

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> float(lossbook.log_cosh_loss(np.array([1000.0]), np.array([0.0])))
    999.3068528194401
    """
    x, t = _pair(input, target)
    xp = namespace(x)
    a = xp.abs(x - t)
    return reduce(a + xp.log1p(xp.exp(-2.0 * a)) - LOG2, reduction)


def log_cosh_loss_grad(input, target, *, reduction: str = "mean", grad_output=None):
    r"""Gradient (VJP) of :func:`log_cosh_loss` with respect to ``input``.

    .. math::

        \frac{\partial\ell}{\partial\hat y} = \tanh(r), \qquad
        \frac{\partial^2\ell}{\partial\hat y^2} = \operatorname{sech}^2(r) = 1 - \tanh^2 r
    """
    x, t = _pair(input, target)
    r = x - t
    return namespace(x).tanh(r) * upstream(r, reduction, grad_output)


# --- E11 --------------------------------------------------------------------------------
def quantile_loss(input, target, *, tau: float = 0.5, reduction: str = "mean"):
    r"""Quantile (pinball) loss: its minimiser is the :math:`\tau`-quantile of the target.

    .. math::

        \ell_\tau(\hat y, y) = \max\bigl(\tau\,(y - \hat y),\; (\tau - 1)\,(y - \hat y)\bigr)
        = \begin{cases} (1-\tau)\,r & r > 0 \\ -\tau\,r & r \le 0 \end{cases}

    Parameters
    ----------
    input : array_like
        Predictions :math:`\hat y` (of the :math:`\tau`-quantile), any shape.
    target : array_like
        Targets :math:`y`, shaped like ``input``.
    tau : float, default 0.5
        The quantile level :math:`\tau\in[0,1]` (scikit-learn calls it ``alpha``).
    reduction : {'mean', 'sum', 'none'}, default 'mean'

    Returns
    -------
    array
        A scalar, or shaped like ``input`` for ``reduction='none'``.

    Notes
    -----
    Under-predicting (:math:`r<0`) costs :math:`\tau` per unit, over-predicting
    :math:`1-\tau`; at the optimum a fraction :math:`\tau` of the targets lies below the
    prediction. For :math:`\tau=0.5` it is :math:`\tfrac12|r|`, **half** the MAE (seed 001
    says "the MAE", erratum ER46); same minimiser, the median.

    References
    ----------
    Koenker & Bassett, "Regression Quantiles", Econometrica 46(1), 1978.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> lossbook.quantile_loss(np.array([3.0, 0.0]), np.array([1.0, 1.0]), tau=0.9, reduction="none")
    array([0.2, 0.9])
    """
    x, t = _pair(input, target)
    tau = kit.number(tau, "tau", "[0, 1]")
    r = x - t
    return reduce(namespace(x).where(r > 0, (1.0 - tau) * r, -tau * r), reduction)


def quantile_loss_grad(input, target, *, tau: float = 0.5, reduction: str = "mean", grad_output=None):
    r"""Gradient (VJP) of :func:`quantile_loss` with respect to ``input``; 0 at :math:`r=0`.

    .. math::

        \frac{\partial\ell_\tau}{\partial\hat y} = \begin{cases} 1-\tau & r > 0 \\
        0 & r = 0 \\ -\tau & r < 0 \end{cases}

    At :math:`r=0` the subdifferential is :math:`[-\tau, 1-\tau]`; we return 0, which it
    contains. That matches ``abs'(0)=0`` (so :math:`\tau=0.5` is exactly half of
    :func:`l1_loss_grad`) and makes a perfect prediction stationary. Autograd is no
    arbiter here: it gives :math:`\tfrac12-\tau` for ``torch.maximum`` (ties split the
    gradient) and :math:`-\tau` for the indicator form.
    """
    x, t = _pair(input, target)
    tau = kit.number(tau, "tau", "[0, 1]")
    xp = namespace(x)
    r = x - t
    # full_like, not Python floats: torch.where of two scalars would be float32.
    slope = xp.where(r > 0, xp.full_like(r, 1.0 - tau),
                     xp.where(r < 0, xp.full_like(r, -tau), xp.zeros_like(r)))
    return slope * upstream(r, reduction, grad_output)



# --- E+: the likelihood losses of torch.nn.functional (issue 17) -----------------------
_LOG_2PI = float(np.log(2.0 * np.pi))


def _poisson_args(input, target, log_input, full, eps, reduction):
    x, t = kit.pair(input, target, dtype=True, reduction=reduction)
    kit.values_in(t, "target", "[0, inf)", what="counts")
    log_input, full = kit.flag(log_input, "log_input"), kit.flag(full, "full")
    eps = kit.number(eps, "eps", "(0, inf)")
    if not log_input:
        kit.values_in(x, "input", "[0, inf)", what="rates", hint=" (log_input=False)")
    return x, t, log_input, full, eps


def poisson_nll_loss(input, target, *, log_input: bool = True, full: bool = False,
                     eps: float = 1e-8, reduction: str = "mean"):
    r"""Poisson negative log-likelihood of counts, PyTorch's ``poisson_nll_loss``.

    .. math::

        \ell(\eta, y) = e^{\eta} - y\,\eta\quad(\text{log\_input}),\qquad
        \ell(\lambda, y) = \lambda - y\log(\lambda + \varepsilon)\quad(\text{otherwise})

    the negative log of :math:`P(y\mid\lambda)=\lambda^y e^{-\lambda}/y!` without
    :math:`\log y!`; with ``full=True`` Stirling's approximation
    :math:`y\log y - y + \tfrac12\log(2\pi y)` of :math:`\log y!` is added where :math:`y > 1`.

    Parameters
    ----------
    input : array_like
        The log-rate :math:`\eta = \log\lambda` (``log_input=True``) or the rate
        :math:`\lambda \ge 0` itself.
    target : array_like
        Counts :math:`y \ge 0` (need not be integers), shaped like ``input``.
    log_input : bool, default True
        Whether ``input`` is :math:`\log\lambda`.
    full : bool, default False
        Add the Stirling term (it does not depend on ``input``: same gradient).
    eps : float > 0, default 1e-8
        Keeps :math:`\log(\lambda + \varepsilon)` finite at :math:`\lambda = 0`
        (``log_input=False`` only).
    reduction : {'mean', 'sum', 'none'}, default 'mean'

    Returns
    -------
    array

    Notes
    -----
    The likelihood recipe: Poisson counts, the model predicts the rate, take
    :math:`-\log P`, drop :math:`\log y!`. The population minimiser is
    :math:`\lambda = \mathbb E[y]`. **Keras's** ``keras.losses.poisson(y_true, y_pred)`` is
    ``y_pred - y_true * log(y_pred + 1e-7)`` averaged over the last axis: the numbers of
    ``poisson_nll_loss(y_pred, y_true, log_input=False, eps=1e-7)`` (``'mean'`` equals Keras's
    default batch reduction when every sample has the same number of entries).

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> lossbook.poisson_nll_loss(np.array([0.0, np.log(2.0)]), np.array([1.0, 2.0]),
    ...                           reduction="none").round(6)
    array([1.      , 0.613706])
    """
    x, t, log_input, full, eps = _poisson_args(input, target, log_input, full, eps, reduction)
    xp = namespace(x)
    loss = xp.exp(x) - t * x if log_input else x - t * xp.log(x + eps)
    if full:
        big = t > 1
        s = xp.where(big, t, 2.0 + 0.0 * t)            # a safe argument where the term is unused
        stirling = s * xp.log(s) - s + 0.5 * xp.log(2.0 * np.pi * s)
        loss = loss + xp.where(big, stirling, 0.0 * t)
    return reduce(loss, reduction)


def poisson_nll_loss_grad(input, target, *, log_input: bool = True, full: bool = False,
                          eps: float = 1e-8, reduction: str = "mean", grad_output=None):
    r"""Gradient (VJP) of :func:`poisson_nll_loss` with respect to ``input``.

    .. math::

        \frac{\partial\ell}{\partial\eta} = e^{\eta} - y\quad(\text{log\_input}),\qquad
        \frac{\partial\ell}{\partial\lambda} = 1 - \frac{y}{\lambda + \varepsilon}
    """
    x, t, log_input, full, eps = _poisson_args(input, target, log_input, full, eps, reduction)
    xp = namespace(x)
    d = xp.exp(x) - t if log_input else 1.0 - t / (x + eps)
    return d * upstream(x, reduction, grad_output)


def _gaussian_args(input, target, var, full, eps, reduction):
    x, t = kit.pair(input, target, dtype=True, reduction=reduction)
    kit.flag(full, "full")
    eps = kit.number(eps, "eps", "(0, inf)")
    xp = namespace(x)
    if isinstance(var, (int, float)) and not isinstance(var, bool):
        kit.number(var, "var", "[0, inf)")
        v = xp.full_like(x, float(var))
        shape = None
    else:
        v = kit.floating(var, "var")
        kit.same_kind(x, v, "input", "var")
        v = kit.cast_like(v, x, "var")
        shape = tuple(v.shape)
        ins = tuple(x.shape)
        if shape != ins:
            if ins[:-1] == shape:                           # one axis short: homoscedastic
                v = xp.reshape(v, shape + (1,))
            elif not (len(shape) == len(ins) and
                      sum(b for a, b in zip(ins, shape) if a != b) == 1):
                raise ValueError(f"var must have the shape of input {ins}, that shape without "
                                 f"its last axis, or one axis of length 1, got {shape}")
    kit.values_in(v, "var", "[0, inf)", what="variances")
    v_clamped = xp.maximum(v, eps)
    return x, t, v, v_clamped, shape, xp


def gaussian_nll_loss(input, target, var, *, full: bool = False, eps: float = 1e-6,
                      reduction: str = "mean"):
    r"""Gaussian negative log-likelihood with a predicted variance, PyTorch's ``gaussian_nll_loss``.

    .. math::

        \ell(\mu, \sigma^2; y) = \frac12\Bigl(\log\max(\sigma^2, \varepsilon)
        + \frac{(\mu - y)^2}{\max(\sigma^2, \varepsilon)}\Bigr)
        \;\bigl[+\ \tfrac12\log 2\pi\ \text{if full}\bigr]

    Parameters
    ----------
    input : array_like
        The predicted means :math:`\mu`.
    target : array_like
        The observations :math:`y`, shaped like ``input``.
    var : array_like or float
        The predicted variances :math:`\sigma^2 \ge 0`: shaped like ``input``
        (heteroscedastic), or with one axis of length 1 or the last axis missing (one variance
        shared along that axis, homoscedastic), or a single float.
    full : bool, default False
        Add the constant :math:`\tfrac12\log 2\pi` (PyTorch's default leaves it out).
    eps : float > 0, default 1e-6
        Variances below it are raised to it ("clamped for stability").
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        Over the elements of ``input``.

    Returns
    -------
    array

    Notes
    -----
    The likelihood recipe with both parameters predicted: a heteroscedastic Gaussian; with a
    fixed :math:`\sigma^2` it is :math:`\tfrac1{2\sigma^2}` times the squared error plus a
    constant, i.e. :func:`mse_loss`. **Clamp convention (PyTorch's)**: the clamp is done
    under ``no_grad``, so a variance below ``eps`` gets the gradient of the formula *at*
    ``eps`` instead of 0: a straight-through clamp; ``_grad`` does the same. Keras has no
    Gaussian NLL loss.

    References
    ----------
    Nix & Weigend, "Estimating the mean and variance of the target probability distribution",
    ICNN 1994.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> float(lossbook.gaussian_nll_loss(np.array([1.0]), np.array([3.0]), np.array([4.0])))
    1.1931471805599454
    """
    x, t, v, vc, shape, xp = _gaussian_args(input, target, var, full, eps, reduction)
    loss = 0.5 * (xp.log(vc) + (x - t) ** 2 / vc)
    if full:
        loss = loss + 0.5 * _LOG_2PI
    return reduce(loss, reduction)


def gaussian_nll_loss_grad(input, target, var, *, full: bool = False, eps: float = 1e-6,
                           reduction: str = "mean", grad_output=None):
    r"""Gradients (VJP) of :func:`gaussian_nll_loss` with respect to ``input`` and ``var``.

    .. math::

        \frac{\partial\ell}{\partial\mu} = \frac{\mu - y}{\bar\sigma^2},\qquad
        \frac{\partial\ell}{\partial\sigma^2} = \frac12\Bigl(\frac1{\bar\sigma^2}
        - \frac{(\mu - y)^2}{\bar\sigma^4}\Bigr),\qquad \bar\sigma^2 = \max(\sigma^2, \varepsilon)

    The ``var`` gradient is summed over the axes along which a shared variance was broadcast,
    and passes through the clamp (PyTorch clamps under ``no_grad``). A float ``var`` gets
    ``None``: it is a constant.

    Returns
    -------
    (array, array or None)
        Shaped like ``input`` and like ``var``.
    """
    x, t, v, vc, shape, xp = _gaussian_args(input, target, var, full, eps, reduction)
    r = x - t
    up = upstream(x, reduction, grad_output)
    g_mu = r / vc * up
    if shape is None:
        return g_mu, None
    g_var = 0.5 * (1.0 / vc - r * r / (vc * vc)) * up
    g_var = g_var * xp.ones_like(x)
    # sum back to the broadcast shape of v, then to var's own shape
    vshape = tuple(v.shape)
    for axis, size in enumerate(vshape):
        if size == 1 and g_var.shape[axis] != 1:
            g_var = xp.sum(g_var, axis=axis, keepdims=True)
    return g_mu, xp.reshape(g_var, shape)


# --- registry entries -------------------------------------------------------------------
def _residual_example(avoid=(0.0,), low=-3.0, high=3.0, shape=(3, 4), **kwargs):
    """Example: a target and a prediction whose residuals stay away from the kinks ``avoid``."""
    def example(seed):
        target = real(seed, shape, -2.0, 2.0, avoid=())
        residual = real(seed + 1, shape, low, high, avoid)
        return (target + residual, target), dict(kwargs)
    return example


def _poisson_example(seed):
    """Counts 0..5 (some above 1, where full=True adds the Stirling term) and log-rates, or
    positive rates with log_input=False."""
    y = rng(seed + 1).integers(0, 6, size=(3, 4)).astype(np.float64)
    y.flat[0], y.flat[1] = 0.0, 4.0
    case = seed % 3
    if case == 2:
        return (real(seed, (3, 4), 0.2, 3.0, avoid=()), y), {"log_input": False}
    return (real(seed, (3, 4), -2.0, 2.0, avoid=()), y), ({"full": True} if case else {})


def _poisson_extreme(seed):
    eta = real(seed, (3, 4), -700.0, 700.0, avoid=())
    return (eta, rng(seed).integers(0, 50, size=(3, 4)).astype(np.float64)), {"full": True}


def _gaussian_example(seed):
    """Means, observations and variances: one per element, one per row (shape (3,) or (3, 1))."""
    mu, y = real(seed, (3, 4), -2.0, 2.0, avoid=()), real(seed + 1, (3, 4), -2.0, 2.0, avoid=())
    shape = [(3, 4), (3,), (3, 1)][seed % 3]
    var = rng(seed + 2).uniform(0.3, 2.0, size=shape)
    return (mu, y, var), ({"full": True} if seed % 2 else {})


def _away_from_zero(seed, shape, low=0.5, high=3.0):
    """Values with random signs and magnitudes in ``[low, high]``."""
    generator = rng(seed)
    return generator.choice([-1.0, 1.0], size=shape) * generator.uniform(low, high, size=shape)


def _percentage_example(seed):
    """Targets and predictions away from 0, residuals away from 0 (MAPE, SMAPE)."""
    target = _away_from_zero(seed, (3, 4))
    prediction = target + _away_from_zero(seed + 1, (3, 4), 0.1, 2.0)
    prediction = np.where(np.abs(prediction) < 0.1, prediction + 0.3, prediction)
    return (prediction, target), {}


def _log_example(seed):
    """Targets and predictions in ``(-1, 8]`` (MSLE, RMSLE), well inside the domain."""
    generator = rng(seed)
    return (generator.uniform(-0.6, 8.0, size=(3, 4)), generator.uniform(-0.6, 8.0, size=(3, 4))), {}


def _log_extreme(seed):
    """Predictions up to 1e4 against moderate targets: finite values and gradients."""
    generator = rng(seed)
    return (generator.uniform(1e3, 1e4, size=(3, 4)), generator.uniform(0.0, 10.0, size=(3, 4))), {}


def _unit_target_curve(x, params):
    """Prediction ``1 + r`` against target 1 (for the relative and logarithmic losses)."""
    return (1.0 + x, np.ones_like(x)), dict(params)


# The residual view: prediction ``x`` against target 0, so the curve is rho(r).
_R = Curve("residual r = input − target", (-4.0, 4.0), call=kit.with_target(0.0))
_R1 = Curve("residual r = input − target (target = 1)", (-3.0, 3.0), call=_unit_target_curve)
_RLOG = Curve("residual r = input − target (target = 1)", (-1.9, 6.0), call=_unit_target_curve)
# rmse/rmsle (reduction_kind "root"): 'sum' is the root of the summed squares (sqrt(n) times
# 'mean', not n times); 'none' is the per-element root, |r|.

#: This module's part of the catalog; the registry enrols its SPECS under it.
FAMILY = Family(key="regression", title="Regression losses and metrics", part="E",
                chapters=("regression",))

_spec = kit.spec_factory(FAMILY, globals(), curve=_R, example=_residual_example())

SPECS = (
    _spec("l1_loss", "E1", "平均绝对误差 (L1 损失)",
          "torch.nn.functional.l1_loss; sklearn.metrics.mean_absolute_error",
          "Boscovich 1757; Laplace 1793 (least absolute deviations)", aliases=("mae",),
          kinks=(Kink((f64([1.0, 2.0, 0.0, 3.0]), f64([1.0, 0.5, 1.0, 3.0])), {},
                      f64([0.0, 0.25, -0.25, 0.0]), "sign(0) = 0 at r = 0, as PyTorch's abs"),)),
    _spec("mbe", "E2", "平均偏差", "numpy.mean(input - target) (no library function)",
          example=_residual_example(avoid=())),
    _spec("mse_loss", "E3", "均方误差 (L2 损失)",
          "torch.nn.functional.mse_loss; sklearn.metrics.mean_squared_error",
          "Legendre 1805; Gauss 1809 (least squares)", aliases=("mse",),
          example=_residual_example(avoid=())),
    _spec("rmse_loss", "E4", "均方根误差",
          "sklearn.metrics.root_mean_squared_error; keras.metrics.RootMeanSquaredError",
          aliases=("rmse",), example=_residual_example(avoid=()), reduction_kind="root",
          kinks=(Kink((f64([1.5, -2.0]), f64([1.5, -2.0])), {}, f64([0.0, 0.0]),
                      "subgradient 0 where RMSE = 0 (the derivative of sqrt at 0 is infinite)"),)),
    _spec("mape_loss", "E5", "平均绝对百分比误差",
          "100 * sklearn.metrics.mean_absolute_percentage_error; keras.losses.MeanAbsolutePercentageError",
          "Hyndman & Koehler, Another look at measures of forecast accuracy, IJF 2006",
          aliases=("mape",), example=_percentage_example, curve=_R1,
          kinks=(Kink((f64([2.0, 3.0]), f64([2.0, -1.0])), {}, f64([0.0, 50.0]),
                      "sign(0) = 0 at r = 0"),)),
    _spec("smape_loss", "E6", "对称平均绝对百分比误差",
          "none in scikit-learn or torch (FD only; darts.metrics.smape for behaviour)",
          "Makridakis, Accuracy measures: theoretical and practical concerns, IJF 1993",
          aliases=("smape",), example=_percentage_example, curve=_R1,
          kinks=(Kink((f64([0.0, 0.0, 2.0, 1.0]), f64([0.0, 2.0, 2.0, 3.0])), {},
                      f64([0.0, -25.0, 0.0, -18.75]),
                      "0 where input = target = 0 (0/0 := 0); sign(0) = 0 at r = 0 and at input = 0"),)),
    _spec("msle_loss", "E7", "均方对数误差",
          "sklearn.metrics.mean_squared_log_error; keras.losses.MeanSquaredLogarithmicError",
          aliases=("msle",), example=_log_example, extreme=_log_extreme, curve=_RLOG),
    _spec("rmsle_loss", "E7", "均方根对数误差", "sklearn.metrics.root_mean_squared_log_error",
          aliases=("rmsle",), example=_log_example, extreme=_log_extreme, curve=_RLOG,
          reduction_kind="root",
          kinks=(Kink((f64([0.5, 3.0]), f64([0.5, 3.0])), {}, f64([0.0, 0.0]),
                      "subgradient 0 where RMSLE = 0"),)),
    _spec("huber_loss", "E8", "Huber 损失", "torch.nn.functional.huber_loss; keras.losses.Huber",
          "Huber, Robust Estimation of a Location Parameter, Ann. Math. Stat. 35(1), 1964",
          params=(Param("delta", 1.0, 0.1, 5.0, log=True, doc="where the quadratic part ends"),),
          example=_residual_example(avoid=(0.0, -1.3, 1.3), delta=1.3),
          kinks=(Kink((f64([1.0, -1.0, 0.0, 3.0]), f64([0.0, 0.0, 0.0, 3.0])), {},
                      f64([0.25, -0.25, 0.0, 0.0]), "±delta at |r| = delta: the gradient is continuous"),
                 Kink((f64([0.5, -0.5]), f64([0.0, 0.0])), {"delta": 0.5}, f64([0.25, -0.25]),
                      "±delta at |r| = delta"))),
    _spec("smooth_l1_loss", "E9", "平滑 L1 损失", "torch.nn.functional.smooth_l1_loss",
          "Girshick, Fast R-CNN, ICCV 2015, arXiv:1504.08083",
          params=(Param("beta", 1.0, 0.0, 3.0, doc="width of the quadratic zone; 0 gives L1"),),
          example=_residual_example(avoid=(0.0, -0.7, 0.7), beta=0.7),
          kinks=(Kink((f64([1.0, -1.0, 0.0, 3.0]), f64([0.0, 0.0, 0.0, 3.0])), {},
                      f64([0.25, -0.25, 0.0, 0.0]), "±1 at |r| = beta: the gradient is continuous"),
                 Kink((f64([0.0, 2.0]), f64([0.0, 0.0])), {"beta": 0.0}, f64([0.0, 0.5]),
                      "beta = 0 is l1_loss: sign(0) = 0, as in PyTorch"))),
    _spec("log_cosh_loss", "E10", "Log-Cosh 损失", "keras.losses.log_cosh (r + softplus(-2r) - log 2)",
          aliases=("logcosh",), example=_residual_example(avoid=())),
    _spec("quantile_loss", "E11", "分位数损失 (弹球损失)",
          "sklearn.metrics.mean_pinball_loss(y_true, y_pred, alpha=tau)",
          "Koenker & Bassett, Regression Quantiles, Econometrica 46(1), 1978",
          aliases=("pinball_loss",),
          params=(Param("tau", 0.5, 0.05, 0.95, doc="the quantile level"),),
          example=_residual_example(tau=0.3),
          kinks=(Kink((f64([1.0, 2.0, 0.0, 1.0]), f64([1.0, 1.0, 1.0, 0.0])), {"tau": 0.25},
                      f64([0.0, 0.1875, -0.0625, 0.1875]),
                      "0 at r = 0 (inside the subdifferential [-tau, 1 - tau]; like abs'(0) = 0)"),)),
    # --- E+: likelihood losses of torch.nn.functional (issue 17) ---
    _spec("poisson_nll_loss", "E+", "泊松负对数似然", "torch.nn.functional.poisson_nll_loss; keras.losses.poisson",
          in_seeds=False, example=_poisson_example, extreme=_poisson_extreme,
          curve=Curve("log-rate η = input (count y = 2)", (-3.0, 3.0), call=kit.with_target(2.0))),
    _spec("gaussian_nll_loss", "E+", "高斯负对数似然", "torch.nn.functional.gaussian_nll_loss",
          "Nix & Weigend, Estimating the mean and variance of the target probability distribution, ICNN 1994",
          in_seeds=False, wrt=(0, 2), example=_gaussian_example,
          curve=Curve("mean μ = input (y = 0, σ² = 1)", (-4.0, 4.0),
                      call=lambda x, p: ((x, np.zeros_like(x), np.ones_like(x)), dict(p))),
          kinks=(Kink((f64([1.0]), f64([0.0]), f64([0.25])), {"eps": 0.5}, (f64([2.0]), f64([-1.0])),
                      "a variance below eps: the gradient of the formula at eps (PyTorch clamps under no_grad)"),)),
)
