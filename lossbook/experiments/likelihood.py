r"""The likelihood recipe, measured: each loss's best constant is its distribution's statistic.

Chapter *what_a_loss_is* derives losses from distributions in four steps (choose a
distribution over the target, let the model predict its parameters, take the negative
log-likelihood, drop the constants). This module checks both halves of that story with
numbers:

* :func:`nll_identity` evaluates the negative log-likelihood of a sample with
  ``scipy.stats`` (an independent implementation of the densities) and shows that it is
  ``scale * loss + constant`` for our registry loss, the constant not depending on the
  prediction (the "drop the constants" step);
* :func:`fit_constant` minimises a registry loss over one *constant* prediction (one number,
  one logit, one logit vector, or a mean and a variance) by gradient descent driven by the
  loss's analytic ``_grad`` and nothing else, and :func:`likelihood_table` compares the fitted
  parameter with the sample statistic that maximum likelihood predicts: the mean (MSE), the
  median (L1), the :math:`\tau`-quantile (pinball), the Bernoulli rate (BCE), the class
  frequencies (cross-entropy), the Poisson rate and the (1/n) variance.

The Poisson and heteroscedastic-Gaussian rows use ``poisson_nll_loss`` and
``gaussian_nll_loss``; they are included only when those names are in the registry
(:func:`available`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..registry import REGISTRY, get

__all__ = ["LIKELIHOODS", "SCALAR", "Likelihood", "ConstantFit", "available", "sample",
           "sample_statistic", "fit_constant", "fit", "likelihood_table", "nll_identity",
           "loss_curve", "plot_likelihood", "explore_likelihood"]


@dataclass(frozen=True)
class Likelihood:
    """One row of the recipe: a distribution, the parameter the model predicts, and its loss.

    ``link`` maps the optimised number(s) :math:`\\theta` to the distribution's parameter:
    ``identity`` (a location), ``sigmoid`` (a logit to a rate), ``softmax`` (logits to class
    probabilities), ``exp`` (a log-rate to a rate), ``mean_var`` (a mean and a variance, both
    predicted directly).
    """

    key: str
    distribution: str
    parameter: str
    loss: str
    link: str
    statistic: str
    kwargs: dict = field(default_factory=dict)
    true: object = None
    lr: float = 0.25
    label: str = ""  # the loss in words, for tables and legends


TAU = 0.8
PROBS = (0.1, 0.2, 0.3, 0.4)

#: The recipe applied across the book, in the chapter's order.
LIKELIHOODS = (
    Likelihood("gaussian", "Gaussian N(μ, 1.5²), σ fixed", "mean μ", "mse_loss", "identity",
               "sample mean", true=2.0, label="MSE", lr=0.25),
    Likelihood("laplace", "Laplace(μ, b = 1.5)", "location μ", "l1_loss", "identity",
               "sample median", true=2.0, label="L1 (MAE)", lr=1.0),
    Likelihood("asymmetric_laplace", f"asymmetric Laplace(μ, σ = 1, τ = {TAU})",
               f"location μ ({TAU}-quantile)", "quantile_loss", "identity",
               f"sample {TAU}-quantile", kwargs={"tau": TAU}, true=2.0, label="pinball loss, τ = 0.8", lr=1.0),
    Likelihood("bernoulli", "Bernoulli(p = 0.3)", "rate p = σ(θ)", "binary_cross_entropy_with_logits",
               "sigmoid", "fraction of ones", true=0.3, label="binary cross-entropy (logits)", lr=4.0),
    Likelihood("categorical", f"categorical{PROBS}", "probabilities softmax(θ)", "cross_entropy",
               "softmax", "class frequencies", true=PROBS, label="cross-entropy", lr=2.0),
    Likelihood("poisson", "Poisson(λ = 3.5)", "rate λ = exp(θ)", "poisson_nll_loss", "exp",
               "sample mean", kwargs={"log_input": True}, true=3.5, label="Poisson NLL (log input)", lr=0.25),
    Likelihood("gaussian_var", "Gaussian N(μ, σ²), σ² predicted", "mean μ and variance σ²",
               "gaussian_nll_loss", "mean_var", "sample mean and (1/n) variance",
               true=(2.0, 2.25), label="Gaussian NLL", lr=2.0),
)
_BY_KEY = {item.key: item for item in LIKELIHOODS}


def _item(key) -> Likelihood:
    if isinstance(key, Likelihood):
        return key
    if key not in _BY_KEY:
        raise ValueError(f"key must be one of {sorted(_BY_KEY)}, got {key!r}")
    return _BY_KEY[key]


def available() -> list[str]:
    """The keys of :data:`LIKELIHOODS` whose loss is in the registry (Poisson and Gaussian NLL
    only once ``poisson_nll_loss`` / ``gaussian_nll_loss`` are registered)."""
    return [item.key for item in LIKELIHOODS if item.loss in REGISTRY]


def sample(key, n: int = 1001, seed: int = 0) -> np.ndarray:
    """``n`` draws of the distribution of ``key`` (class indices for ``categorical``)."""
    item = _item(key)
    if not isinstance(n, (int, np.integer)) or n < 3:
        raise ValueError(f"n must be an integer >= 3, got {n!r}")
    rng = np.random.default_rng(seed)
    if item.key == "gaussian":
        return rng.normal(2.0, 1.5, n)
    if item.key == "laplace":
        return rng.laplace(2.0, 1.5, n)
    if item.key == "asymmetric_laplace":
        # Koenker-Machado: P(Y <= mu) = tau; exponential tails of rates tau/sigma (right) and
        # (1 - tau)/sigma (left)
        right = rng.random(n) >= TAU
        return np.where(right, 2.0 + rng.exponential(1.0 / TAU, n),
                        2.0 - rng.exponential(1.0 / (1.0 - TAU), n))
    if item.key == "bernoulli":
        return (rng.random(n) < 0.3).astype(np.float64)
    if item.key == "categorical":
        return rng.choice(len(PROBS), size=n, p=PROBS)
    if item.key == "poisson":
        return rng.poisson(3.5, n).astype(np.float64)
    return rng.normal(2.0, 1.5, n)  # gaussian_var


def sample_statistic(key, y) -> np.ndarray:
    """The statistic maximum likelihood predicts for ``key``, computed with NumPy alone."""
    item = _item(key)
    y = np.asarray(y)
    if item.key in ("gaussian", "bernoulli", "poisson"):
        return np.array([y.mean()])
    if item.key == "laplace":
        return np.array([np.median(y)])
    if item.key == "asymmetric_laplace":
        # the minimiser of sum rho_tau(c - y_i): the order statistic y_(ceil(n tau))
        return np.array([np.quantile(y, TAU, method="inverted_cdf")])
    if item.key == "categorical":
        return np.bincount(y, minlength=len(PROBS)) / y.size
    return np.array([y.mean(), y.var()])  # gaussian_var: the MLE divides by n


@dataclass
class ConstantFit:
    """The result of :func:`fit_constant`."""

    loss: str
    theta: np.ndarray        # the optimised numbers
    parameter: np.ndarray    # the distribution's parameter (theta through the link)
    history: list = field(default_factory=list)
    n_steps: int = 0
    converged: bool = False


def _broadcast(item, theta, y):
    """The call of the loss for the constant prediction ``theta`` over the sample ``y``."""
    n = y.shape[0]
    if item.link == "softmax":
        return (np.tile(theta, (n, 1)), y.astype(np.int64)), ()
    if item.link == "mean_var":
        return (np.full(n, theta[0]), y, np.full(n, theta[1])), ()
    return (np.full(n, theta[0]), y), ()


def _link(item, theta):
    if item.link == "sigmoid":
        return 1.0 / (1.0 + np.exp(-theta))
    if item.link == "softmax":
        e = np.exp(theta - theta.max())
        return e / e.sum()
    if item.link == "exp":
        return np.exp(theta)
    return theta.copy()


def _initial(item, y):
    if item.link == "softmax":
        return np.zeros(len(PROBS))
    if item.link == "mean_var":
        return np.array([0.0, 1.0])
    return np.zeros(1)


def _objective_and_gradient(item, spec, theta, y):
    """Mean loss at the constant prediction and its gradient w.r.t. ``theta`` (chain rule
    through the broadcast: the sum of the per-element gradients of the mean loss)."""
    args, _ = _broadcast(item, theta, y)
    value = float(spec.value(*args, **item.kwargs))
    grads = spec.grads(*args, **item.kwargs)
    by_arg = dict(zip(spec.wrt, grads))
    if item.link == "softmax":
        return value, np.asarray(by_arg[0]).sum(axis=0)
    if item.link == "mean_var":
        if 2 not in by_arg:
            raise ValueError(f"{spec.name} must be differentiable in its third argument var "
                             f"(wrt={spec.wrt})")
        return value, np.array([np.sum(by_arg[0]), np.sum(by_arg[2])])
    return value, np.array([np.sum(by_arg[0])])


def fit_constant(key, y, *, lr: float | None = None, max_steps: int = 5000, tol: float = 1e-13,
                 init=None, halve: bool = True) -> ConstantFit:
    r"""Minimise the mean loss of ``key`` over one constant prediction, with our gradients.

    Gradient descent :math:`\theta\leftarrow\theta-\eta_j\,\partial L/\partial\theta_j`, where
    the gradient is the registry ``_grad`` summed over the sample (the prediction is the same
    for every element). Each coordinate's step :math:`\eta_j` is halved whenever its gradient
    changes sign: with a fixed step, the constant-size gradient of L1 and of the pinball loss
    would jump over the minimum for ever (the regression chapter shows it), and the halving
    lets every loss, smooth or not, settle on its minimiser.

    Parameters
    ----------
    key : str
        One of :data:`LIKELIHOODS` (its loss must be registered, see :func:`available`).
    y : array_like
        The sample (class indices for ``categorical``).
    lr : float, optional
        Initial step; the recipe's default.
    max_steps : int
        Upper bound on the number of steps.
    tol : float
        Stop when every coordinate moved less than ``tol`` in one step.
    init : array_like, optional
        Starting :math:`\theta` (zeros; variance 1 for ``gaussian_var``).
    halve : bool
        Halve a coordinate's step when its gradient changes sign (``False``: plain
        fixed-step gradient descent).

    Returns
    -------
    ConstantFit
        ``theta``, ``parameter`` (through the link: :math:`\sigma(\theta)`, softmax,
        :math:`e^\theta`), the loss after each step, the number of steps, ``converged``.
    """
    item = _item(key)
    if item.loss not in REGISTRY:
        raise ValueError(f"{item.key!r} needs lossbook.{item.loss}, which is not in the registry yet")
    spec = get(item.loss)
    y = np.asarray(y)
    if y.ndim != 1 or y.size < 1:
        raise ValueError(f"y must be a non-empty 1-D sample, got shape {y.shape}")
    y = y.astype(np.int64) if item.link == "softmax" else y.astype(np.float64)
    theta = _initial(item, y) if init is None else np.array(init, dtype=np.float64)
    steps = np.full(theta.shape, float(item.lr if lr is None else lr))
    if not np.all(steps > 0):
        raise ValueError(f"lr must be positive, got {lr!r}")
    result = ConstantFit(item.loss, theta, _link(item, theta))
    previous = np.zeros_like(theta)
    for step in range(1, max_steps + 1):
        value, gradient = _objective_and_gradient(item, spec, theta, y)
        result.history.append(value)
        if halve:
            steps = np.where(gradient * previous < 0, 0.5 * steps, steps)
        move = steps * gradient
        theta = theta - move
        previous = gradient
        if np.all(np.abs(move) < tol):
            result.converged = True
            break
    result.theta, result.parameter, result.n_steps = theta, _link(item, theta), step
    return result


def fit(key, n: int = 1001, seed: int = 0) -> dict:
    """Sample ``key``, fit the constant, and compare with the sample statistic (one table row)."""
    item = _item(key)
    y = sample(item, n, seed)
    result = fit_constant(item, y)
    statistic = sample_statistic(item, y)
    return {"key": item.key, "distribution": item.distribution, "parameter": item.parameter,
            "loss": item.loss, "statistic": item.statistic, "fitted": result.parameter,
            "sample": statistic, "true": np.atleast_1d(np.asarray(item.true, dtype=np.float64)),
            "max_abs_diff": float(np.max(np.abs(result.parameter - statistic))),
            "n_steps": result.n_steps, "converged": result.converged}


def likelihood_table(n: int = 1001, seed: int = 0, keys=None) -> list[dict]:
    """:func:`fit` for every available recipe (or ``keys``): the chapter's table of fitted
    parameters against sample statistics."""
    keys = available() if keys is None else list(keys)
    return [fit(key, n, seed) for key in keys]


def nll_identity(key, n: int = 200, seed: int = 1) -> dict:
    r"""Negative log-likelihood (``scipy.stats``) against ``scale * loss + constant``.

    The prediction is an arbitrary constant (not the optimum). For each recipe the mean NLL
    over the sample equals ``scale`` times our mean loss plus a ``constant`` that does not
    depend on the prediction:

    ===================  ==========================================  ===================================
    key                  scale                                        constant (mean over the sample)
    ===================  ==========================================  ===================================
    gaussian             :math:`1/(2\sigma^2)`                        :math:`\tfrac12\log 2\pi\sigma^2`
    laplace              :math:`1/b`                                  :math:`\log 2b`
    asymmetric_laplace   :math:`1/\sigma`                             :math:`-\log\tau(1-\tau)/\sigma`
    bernoulli            1                                            0
    categorical          1                                            0
    poisson              1                                            mean of :math:`\log y!`
    gaussian_var         1                                            :math:`\tfrac12\log 2\pi`
    ===================  ==========================================  ===================================

    Returns
    -------
    dict
        ``nll`` (scipy), ``loss`` (ours), ``scale``, ``constant``, ``difference`` =
        ``|nll - (scale * loss + constant)|``.
    """
    from scipy import special, stats

    item = _item(key)
    if item.loss not in REGISTRY:
        raise ValueError(f"{item.key!r} needs lossbook.{item.loss}, which is not in the registry yet")
    spec = get(item.loss)
    y = sample(item, n, seed)
    if item.key == "gaussian":
        mu, sigma = 1.3, 1.5
        nll = -stats.norm.logpdf(y, mu, sigma).mean()
        loss = spec.value(np.full(n, mu), y)
        scale, constant = 1.0 / (2 * sigma**2), 0.5 * np.log(2 * np.pi * sigma**2)
    elif item.key == "laplace":
        mu, b = 1.3, 1.5
        nll = -stats.laplace.logpdf(y, mu, b).mean()
        loss = spec.value(np.full(n, mu), y)
        scale, constant = 1.0 / b, np.log(2 * b)
    elif item.key == "asymmetric_laplace":
        mu, sigma, tau = 1.3, 1.0, TAU
        # scipy's laplace_asymmetric(kappa) in Koenker-Machado form: kappa = sqrt(tau/(1-tau)),
        # scale = sigma / sqrt(tau (1 - tau))
        dist = stats.laplace_asymmetric(np.sqrt(tau / (1 - tau)), loc=mu,
                                        scale=sigma / np.sqrt(tau * (1 - tau)))
        nll = -dist.logpdf(y).mean()
        loss = spec.value(np.full(n, mu), y, tau=tau)
        scale, constant = 1.0 / sigma, -np.log(tau * (1 - tau) / sigma)
    elif item.key == "bernoulli":
        logit = -0.4
        nll = -stats.bernoulli.logpmf(y, special.expit(logit)).mean()
        loss = spec.value(np.full(n, logit), y)
        scale, constant = 1.0, 0.0
    elif item.key == "categorical":
        z = np.array([0.3, -0.2, 0.5, 0.1])
        nll = -special.log_softmax(z)[y].mean()
        loss = spec.value(np.tile(z, (n, 1)), y)
        scale, constant = 1.0, 0.0
    elif item.key == "poisson":
        log_rate = 1.1
        nll = -stats.poisson.logpmf(y, np.exp(log_rate)).mean()
        loss = spec.value(np.full(n, log_rate), y, **item.kwargs)
        scale, constant = 1.0, special.gammaln(y + 1).mean()
    else:  # gaussian_var
        mu, var = 1.3, 3.0
        nll = -stats.norm.logpdf(y, mu, np.sqrt(var)).mean()
        loss = spec.value(np.full(n, mu), y, np.full(n, var))
        scale, constant = 1.0, 0.5 * np.log(2 * np.pi)
    loss = float(loss)
    return {"key": item.key, "loss_name": item.loss, "nll": float(nll), "loss": loss,
            "scale": float(scale), "constant": float(constant),
            "difference": float(abs(nll - (scale * loss + constant)))}


#: The recipes with one scalar parameter (those :func:`loss_curve` and the explorer draw).
SCALAR = ("gaussian", "laplace", "asymmetric_laplace", "bernoulli", "poisson")


def _inverse_link(item, parameter):
    parameter = np.asarray(parameter, dtype=np.float64)
    if item.link == "sigmoid":
        return np.log(parameter) - np.log1p(-parameter)
    if item.link == "exp":
        return np.log(parameter)
    return parameter


def loss_curve(key, y, parameters) -> np.ndarray:
    """The mean loss of the constant prediction whose distribution parameter is each of
    ``parameters`` (a location, a rate): our loss, evaluated through the link."""
    item = _item(key)
    if item.key not in SCALAR:
        raise ValueError(f"key must be one of the one-parameter recipes {SCALAR}, got {item.key!r}")
    if item.loss not in REGISTRY:
        raise ValueError(f"{item.key!r} needs lossbook.{item.loss}, which is not in the registry yet")
    spec = get(item.loss)
    y = np.asarray(y, dtype=np.float64)
    thetas = _inverse_link(item, parameters)
    return np.array([float(spec.value(np.full(y.shape, t), y, **item.kwargs)) for t in thetas])


def _grid(item, y):
    if item.link == "sigmoid":
        return np.linspace(0.02, 0.98, 193)
    if item.link == "exp":
        return np.linspace(0.5, 3 * max(y.mean(), 1.0), 201)
    lo, hi = np.quantile(y, [0.02, 0.98])
    return np.linspace(lo, hi, 201)


def plot_likelihood(key, y, *, axes=None):
    """Left: the sample; right: the mean loss of a constant against the parameter it predicts,
    with the fitted constant (our gradients) and the sample statistic marked. Returns the figure."""
    import matplotlib.pyplot as plt

    item = _item(key)
    y = np.asarray(y, dtype=np.float64)
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(8.5, 3.0), constrained_layout=True)
    left, right = axes
    if item.key in ("bernoulli", "poisson"):
        values, counts = np.unique(y, return_counts=True)
        left.bar(values, counts / y.size, width=0.6, color="0.6")
        left.set(ylabel="fraction of the sample", xticks=values if values.size <= 12 else None)
    else:
        lo, hi = np.quantile(y, [0.005, 0.995])
        left.hist(y, bins=np.linspace(lo, hi, 41), density=True, color="0.6")
        left.set(ylabel="density")
    left.set(xlabel="target y", title=f"{item.distribution}, n = {y.size}")
    grid = _grid(item, y)
    right.plot(grid, loss_curve(item, y, grid), color="C0", label=f"mean {item.label}")
    fitted = float(fit_constant(item, y).parameter[0])
    statistic = float(sample_statistic(item, y)[0])
    right.axvline(statistic, color="C3", lw=2.5, alpha=0.5, label=f"{item.statistic} {statistic:.4f}")
    right.axvline(fitted, color="k", ls="--", lw=1, label=f"fitted by descent {fitted:.4f}")
    right.set(xlabel=item.parameter, ylabel="mean loss of the constant")
    right.legend(fontsize=8, loc="upper center")
    return left.figure


def explore_likelihood(sizes=(11, 101, 1001), seed: int = 0):
    """Explorer over the one-parameter recipes and the sample size: the loss's minimiser is
    the sample statistic at every n, and both approach the true parameter as n grows.
    Live in Jupyter, precomputed frames on the website."""
    from ..widgets import FrameExplorer

    keys = [k for k in SCALAR if k in available()]

    def draw(fig, distribution, n):
        plot_likelihood(distribution, sample(distribution, int(n), seed), axes=fig.subplots(1, 2))

    return FrameExplorer(draw, {"distribution": keys, "n": list(sizes)},
                         name="the best constant under each likelihood loss", figsize=(8.5, 3.0),
                         description="A sample of the chosen distribution (left) and the mean "
                                     "loss of a constant prediction against the parameter it "
                                     "predicts (right); the fitted constant and the sample "
                                     "statistic coincide. Move the sliders to change the "
                                     "distribution and the sample size.")
