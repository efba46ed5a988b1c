r"""Fit linear models and locations with any residual loss, using lossbook's own gradients.

The regression chapter's (*regression*) experiments live here, tested, so the notebook only
calls them:

* :func:`fit_line` fits :math:`\hat y = a + b x` by minimising a registry loss;
  :func:`fit_location` fits a constant (the mean for MSE, the median for MAE, ...);
  :func:`fit_regression` takes any design matrix.
* Two solvers, both driven by the loss's analytic ``_grad`` and nothing else:

  - ``method="irls"`` (default): iteratively reweighted least squares. For a loss
    :math:`\rho(r)` with influence function :math:`\psi=\rho'` (our ``_grad`` with
    ``reduction='none'``), each step solves weighted least squares with weights
    :math:`w_i=\psi(r_i)/r_i` and, for the asymmetric quantile loss, the weights of the
    quadratic majoriser of :math:`\rho_\tau(r)=\tfrac12|r|+(\tfrac12-\tau)r`. A fixed point satisfies
    :math:`\sum_i\psi(r_i)\,x_i=0`, the stationarity condition of the loss.
  - ``method="gd"``: plain gradient descent with a fixed step on the mean loss, for the
    teaching point that L1's constant-size gradient makes it oscillate (erratum ER60).

* :func:`outlier_data` and :func:`heteroscedastic_data` make the chapter's data sets;
  :func:`coverage` measures a prediction band; :func:`second_derivative` differentiates our
  gradient once more (with torch autograd) for the log-cosh Hessian / Newton-step remark.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..registry import get

__all__ = [
    "RESIDUAL_LOSSES", "RegressionFit", "fit_regression", "fit_line", "fit_location",
    "outlier_data", "heteroscedastic_data", "coverage", "second_derivative", "newton_step",
]

#: Losses that depend on the prediction only through the residual r = input - target and are
#: sums over elements, so IRLS applies (RMSE's root couples the elements; MAPE, SMAPE and
#: MSLE are not functions of r alone).
RESIDUAL_LOSSES = ("mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss", "log_cosh_loss",
                   "quantile_loss")


@dataclass
class RegressionFit:
    """The result of :func:`fit_regression`: coefficients, the loss along the way, and convergence."""

    loss: str
    params: dict
    coef: np.ndarray
    history: list = field(default_factory=list)
    n_iter: int = 0
    converged: bool = False
    method: str = "irls"

    @property
    def intercept(self) -> float:
        """The first coefficient (the intercept of :func:`fit_line`, the location of :func:`fit_location`)."""
        return float(self.coef[0])

    @property
    def slope(self) -> float:
        """The second coefficient (the slope of :func:`fit_line`)."""
        return float(self.coef[1])

    def predict(self, x) -> np.ndarray:
        """:math:`a + b x` for a line (``coef`` of length 2)."""
        x = np.asarray(x, dtype=np.float64)
        return self.coef[0] + self.coef[1] * x

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return (f"RegressionFit({self.loss}{', ' + params if params else ''}: "
                f"coef={np.round(self.coef, 6).tolist()}, "
                f"{self.method}, {self.n_iter} iterations, converged={self.converged})")


def _objective(spec, X, y, coef, params):
    return float(spec.value(X @ coef, y, reduction="mean", **params))


def _psi(spec, prediction, y, params):
    """The influence function :math:`\\psi(r_i)` per element: our gradient with reduction='none'."""
    return spec.grad(prediction, y, reduction="none", grad_output=np.ones_like(y), **params)


def _irls_weights(spec, r, y, params, eps):
    """IRLS weights :math:`\\psi(r)/r` (and the linear term for the quantile loss)."""
    if spec.name == "quantile_loss":
        # rho_tau(r) = |r|/2 + (1/2 - tau) r; majorise |r| by r^2/(2|r0|) + |r0|/2.
        tau = params.get("tau", 0.5)
        return 0.5 / np.maximum(np.abs(r), eps), (0.5 - tau) * np.ones_like(r)
    safe = np.where(np.abs(r) < eps, np.where(r < 0, -eps, eps), r)
    # psi at the (possibly nudged) residual, evaluated by the loss's own gradient
    psi = _psi(spec, y + safe, y, params)
    small = np.abs(r) < eps
    if np.any(small):
        # at r ~ 0 use the symmetric difference quotient (psi(eps) - psi(-eps)) / (2 eps)
        plus = _psi(spec, y + eps, y, params)
        minus = _psi(spec, y - eps, y, params)
        psi = np.where(small, 0.5 * (plus - minus), psi)
        safe = np.where(small, eps, safe)
    return psi / safe, np.zeros_like(r)


def fit_regression(loss_name: str, X, y, *, method: str = "irls", max_iter: int = 500,
                   tol: float = 1e-10, eps: float = 1e-8, lr: float = 0.1, steps: int = 500,
                   init=None, **params) -> RegressionFit:
    r"""Minimise ``mean(loss(X @ coef, y))`` over ``coef``.

    Parameters
    ----------
    loss_name : str
        A registry loss. ``method='irls'`` needs one of :data:`RESIDUAL_LOSSES`;
        ``method='gd'`` takes any loss whose domain the iterates stay in.
    X : array_like, shape (n, p)
        Design matrix (float64).
    y : array_like, shape (n,)
        Targets.
    method : {'irls', 'gd'}
        Iteratively reweighted least squares (fast, exact fixed point) or fixed-step gradient
        descent on the mean loss (``lr``, ``steps``).
    max_iter, tol : int, float
        IRLS stops when the coefficients move less than ``tol`` (relative) in one step.
    eps : float
        Smallest residual magnitude in the IRLS weights (L1 and quantile weights are
        :math:`\propto 1/|r|`).
    lr, steps : float, int
        Gradient descent's step size and number of steps.
    init : array_like, optional
        Starting coefficients; least squares by default for IRLS, zeros for gradient descent.
    **params
        The loss's hyper-parameters (``delta``, ``beta``, ``tau``).

    Returns
    -------
    RegressionFit
        ``coef``, ``history`` (the mean loss after each iteration), ``n_iter``, ``converged``.

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook.experiments.regression import fit_regression
    >>> X = np.ones((5, 1))
    >>> round(fit_regression("l1_loss", X, np.array([1.0, 2.0, 3.0, 4.0, 100.0])).intercept, 6)
    3.0
    """
    spec = get(loss_name)
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if X.ndim != 2 or y.ndim != 1 or X.shape[0] != y.shape[0]:
        raise ValueError(f"X must be (n, p) and y (n,), got shapes {X.shape} and {y.shape}")
    if method == "irls":
        if loss_name not in RESIDUAL_LOSSES:
            raise ValueError(f"loss_name must be one of {RESIDUAL_LOSSES} for method='irls' "
                             f"(a sum of a function of the residual), got {loss_name!r}; use method='gd'")
        coef = np.linalg.lstsq(X, y, rcond=None)[0] if init is None else np.asarray(init, dtype=np.float64)
        result = RegressionFit(loss_name, params, coef, method="irls")
        for iteration in range(1, max_iter + 1):
            r = X @ coef - y
            w, linear = _irls_weights(spec, r, y, params, eps)
            # weighted least squares: X^T W (X c - y) + X^T linear = 0
            A = X.T @ (w[:, None] * X)
            b = X.T @ (w * y - linear)
            new = np.linalg.solve(A, b)
            moved = np.max(np.abs(new - coef)) / max(1.0, np.max(np.abs(new)))
            coef = new
            result.history.append(_objective(spec, X, y, coef, params))
            if moved < tol:
                result.converged = True
                break
        result.coef, result.n_iter = coef, iteration
        return result
    if method == "gd":
        coef = np.zeros(X.shape[1]) if init is None else np.asarray(init, dtype=np.float64)
        result = RegressionFit(loss_name, params, coef, method="gd")
        for _ in range(steps):
            grad_prediction = spec.grad(X @ coef, y, reduction="mean", **params)
            coef = coef - lr * (X.T @ grad_prediction)
            result.history.append(_objective(spec, X, y, coef, params))
        result.coef, result.n_iter = coef, steps
        return result
    raise ValueError(f"method must be 'irls' or 'gd', got {method!r}")


def fit_line(loss_name: str, x, y, **kwargs) -> RegressionFit:
    r"""Fit the line :math:`\hat y = a + b x` by minimising a loss (see :func:`fit_regression`).

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook.experiments.regression import fit_line
    >>> x = np.arange(5.0)
    >>> line = fit_line("huber_loss", x, 1.0 + 2.0 * x, delta=1.0)
    >>> round(line.intercept, 6), round(line.slope, 6)
    (1.0, 2.0)
    """
    x = np.asarray(x, dtype=np.float64)
    X = np.column_stack([np.ones_like(x), x])
    return fit_regression(loss_name, X, y, **kwargs)


def fit_location(loss_name: str, y, **kwargs) -> float:
    r"""The constant :math:`c` minimising :math:`\sum_i\rho(c - y_i)`: the mean for MSE, the median for MAE.

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook.experiments.regression import fit_location
    >>> y = np.array([1.0, 2.0, 3.0, 4.0, 100.0])
    >>> fit_location("mse_loss", y), round(fit_location("l1_loss", y), 6)
    (22.0, 3.0)
    """
    y = np.asarray(y, dtype=np.float64)
    return fit_regression(loss_name, np.ones((y.size, 1)), y, **kwargs).intercept


def outlier_data(n: int = 60, n_outliers: int = 6, *, intercept: float = 1.0, slope: float = 2.0,
                 noise: float = 0.5, shift: float = 25.0, seed: int = 0):
    r"""A line with Gaussian noise, and ``n_outliers`` points pushed up by ``shift`` at large :math:`x`.

    Returns
    -------
    x, y : ndarray
        ``x`` uniform on :math:`[0, 5]`; the outliers are the points with the largest ``x``
        (high leverage), so they tilt a least-squares line.
    is_outlier : ndarray of bool
    """
    generator = np.random.default_rng(seed)
    x = np.sort(generator.uniform(0.0, 5.0, n))
    y = intercept + slope * x + noise * generator.standard_normal(n)
    is_outlier = np.zeros(n, dtype=bool)
    if n_outliers:
        is_outlier[-n_outliers:] = True
        y[is_outlier] += shift
    return x, y, is_outlier


def heteroscedastic_data(n: int = 400, *, intercept: float = 1.0, slope: float = 1.0,
                         spread: float = 0.6, seed: int = 0):
    r"""Data whose noise grows with :math:`x`: :math:`y = a + bx + \text{spread}\cdot x\cdot\varepsilon`.

    :math:`x` is uniform on :math:`[0.1, 5]` and :math:`\varepsilon` standard normal, so the true
    conditional :math:`\tau`-quantile is the line :math:`a + (b + \text{spread}\cdot z_\tau)\,x`
    with :math:`z_\tau=\Phi^{-1}(\tau)`.
    """
    generator = np.random.default_rng(seed)
    x = generator.uniform(0.1, 5.0, n)
    y = intercept + slope * x + spread * x * generator.standard_normal(n)
    return x, y


def coverage(y, lower, upper) -> float:
    """Fraction of the targets inside the band ``[lower, upper]``."""
    y, lower, upper = (np.asarray(a, dtype=np.float64) for a in (y, lower, upper))
    return float(np.mean((y >= lower) & (y <= upper)))


def second_derivative(loss_name: str, r, **params) -> np.ndarray:
    r""":math:`\rho''(r)` of a residual loss: torch autograd applied to **our** analytic gradient.

    Parameters
    ----------
    loss_name : str
        A registry loss of the residual.
    r : array_like
        Residuals (the prediction :math:`r` against target 0).

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook.experiments.regression import second_derivative
    >>> [f"{h:.3g}" for h in second_derivative("log_cosh_loss", np.array([0.0, 10.0]))]
    ['1', '8.24e-09']

    Autograd differentiates ``tanh`` as :math:`1-\tanh^2 r`, which loses relative accuracy
    (about :math:`10^{-8}` at :math:`r=10`) where :math:`\tanh r\approx1`; the absolute error
    stays below :math:`10^{-16}`.
    """
    import torch

    spec = get(loss_name)
    rt = torch.as_tensor(np.asarray(r, dtype=np.float64)).requires_grad_(True)
    psi = spec.grad(rt, torch.zeros_like(rt), reduction="none", grad_output=torch.ones_like(rt), **params)
    if not psi.requires_grad:  # piecewise-constant gradient (L1, quantile): rho'' = 0 off the kink
        return np.zeros(rt.shape)
    (h,) = torch.autograd.grad(psi.sum(), rt)
    return h.detach().numpy()


def newton_step(loss_name: str, r, **params) -> np.ndarray:
    r"""The Newton step :math:`-\rho'(r)/\rho''(r)` that a second-order booster (XGBoost) takes
    for one leaf holding one residual :math:`r`; ``inf`` where :math:`\rho''=0`.

    For MSE it is :math:`-r` (one step to the optimum); for log-cosh
    :math:`-\tanh r\cosh^2 r = -\tfrac12\sinh 2r`, which explodes as :math:`|r|` grows because
    the Hessian :math:`\operatorname{sech}^2 r` vanishes (erratum ER45).
    """
    spec = get(loss_name)
    r = np.asarray(r, dtype=np.float64)
    g = spec.grad(r, np.zeros_like(r), reduction="none", grad_output=np.ones_like(r), **params)
    h = second_derivative(loss_name, r, **params)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(h > 0, -g / np.where(h > 0, h, 1.0), -np.sign(g) * np.inf)
