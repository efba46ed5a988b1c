"""Toy classification problems and linear models trained with lossbook's own gradients
(chapters *information_theory* and *margin_losses*).

The chapters on classification losses fit small linear models to 2-D point clouds and compare
the losses' decision boundaries. Training is full-batch gradient descent with
:func:`lossbook.train.train`, and the loss goes through :mod:`lossbook.autograd`, so the
backward pass is the loss's hand-derived ``_grad``, not torch's derivative of the formula.

* :func:`two_blobs` and :func:`blobs`: the point clouds;
* :func:`fit_linear_classifier` (a margin loss, labels in {-1, +1}) and :func:`fit_softmax`
  (a multi-class loss on logits);
* :func:`conditional_risk` and :func:`population_minimiser`: the population view of a
  margin loss (classification calibration).

Examples
--------
>>> from lossbook.experiments.toy import two_blobs, fit_linear_classifier
>>> X, y = two_blobs(n=60, seed=0, distance=4.0)
>>> fit = fit_linear_classifier("hinge_loss", X, y, steps=200)
>>> fit.accuracy(X, y) > 0.9
True
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..registry import get

__all__ = ["two_blobs", "blobs", "LinearFit", "fit_linear_classifier", "SoftmaxFit", "fit_softmax",
           "conditional_risk", "population_minimiser"]


def two_blobs(n: int = 200, *, seed: int = 0, distance: float = 2.5, spread: float = 1.0,
              outliers: int = 0, outlier_distance: float = 6.0):
    """Two Gaussian clouds in the plane with labels in {-1, +1}, optionally with mislabelled outliers.

    Parameters
    ----------
    n : int
        Points per class.
    seed : int
    distance : float
        Distance between the two centres (placed symmetrically on the line x1 = x2).
    spread : float
        Standard deviation of each cloud.
    outliers : int
        Extra points labelled +1 but placed deep inside the -1 side, ``outlier_distance``
        from the origin: they test how much a loss lets a few wrong labels move the boundary.

    Returns
    -------
    X : ndarray, shape (2n + outliers, 2)
    y : ndarray of float, values in {-1, +1}
    """
    rng = np.random.default_rng(seed)
    direction = np.array([1.0, 1.0]) / np.sqrt(2.0)
    centre = direction * distance / 2
    pos = rng.normal(size=(n, 2)) * spread + centre
    neg = rng.normal(size=(n, 2)) * spread - centre
    X = np.concatenate([pos, neg])
    y = np.concatenate([np.ones(n), -np.ones(n)])
    if outliers:
        bad = rng.normal(size=(outliers, 2)) * 0.3 - direction * outlier_distance
        X = np.concatenate([X, bad])
        y = np.concatenate([y, np.ones(outliers)])
    return X, y


def blobs(n_per_class: int = 100, n_classes: int = 3, *, seed: int = 0, radius: float = 3.0,
          spread: float = 1.0):
    """``n_classes`` Gaussian clouds on a circle of ``radius``; integer labels ``0..C-1``."""
    rng = np.random.default_rng(seed)
    angles = 2 * np.pi * np.arange(n_classes) / n_classes
    centres = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    X = np.concatenate([rng.normal(size=(n_per_class, 2)) * spread + c for c in centres])
    y = np.repeat(np.arange(n_classes), n_per_class)
    return X, y


@dataclass
class LinearFit:
    """A fitted linear scorer :math:`f(x) = w^\\top x + b` and its training curve."""

    loss: str
    weight: np.ndarray
    bias: float
    history: list = field(default_factory=list)

    def decision_function(self, X) -> np.ndarray:
        """The scores :math:`f(x)`; the predicted label is their sign."""
        return np.asarray(X) @ self.weight + self.bias

    def predict(self, X) -> np.ndarray:
        return np.where(self.decision_function(X) > 0, 1.0, -1.0)

    def accuracy(self, X, y) -> float:
        return float(np.mean(self.predict(X) == np.asarray(y)))

    def boundary(self, x1) -> np.ndarray:
        """The decision line :math:`w_1x_1 + w_2x_2 + b = 0` as :math:`x_2(x_1)`."""
        w1, w2 = self.weight
        return -(w1 * np.asarray(x1) + self.bias) / w2

    def margin_line(self, x1, level: float) -> np.ndarray:
        """The line :math:`f(x) = \\text{level}` (e.g. the SVM margins at :math:`\\pm 1`)."""
        w1, w2 = self.weight
        return (level - w1 * np.asarray(x1) - self.bias) / w2


def fit_linear_classifier(loss: str, X, y, *, steps: int = 500, lr: float = 0.1, l2: float = 1e-2,
               loss_kwargs: dict | None = None, seed: int = 0) -> LinearFit:
    """Fit :math:`f(x)=w^\\top x+b` by full-batch gradient descent on a margin loss + :math:`\\tfrac{\\lambda}{2}\\lVert w\\rVert^2`.

    The loss's gradient is lossbook's own (:func:`lossbook.autograd.function`); torch only
    chains it through the linear model and the optimiser step.

    Parameters
    ----------
    loss : str
        A registry name taking ``(scores, labels in {-1, +1})``: ``hinge_loss``,
        ``logistic_loss``, ``squared_hinge_loss``, ``exponential_loss``, ``perceptron_loss``...
    X : array_like, shape (n, 2)
    y : array_like, values in {-1, +1}
    steps, lr : int, float
        Gradient-descent steps and learning rate.
    l2 : float
        :math:`\\lambda`, the weight decay (an SVM needs it: without it the hinge is minimised
        by scaling :math:`w` up once the data are separated).
    loss_kwargs : dict, optional
        Passed to the loss.
    seed : int
        Seeds the small random initial weights.

    Returns
    -------
    LinearFit
    """
    import torch

    from ..autograd import function
    from ..models import LinearScorer
    from ..train import Recipe, train

    X_t = torch.as_tensor(np.asarray(X, dtype=np.float64))
    y_t = torch.as_tensor(np.asarray(y, dtype=np.float64))
    gen = torch.Generator().manual_seed(seed)
    model = LinearScorer(0.01 * torch.randn(X_t.shape[1], generator=gen, dtype=torch.float64),
                         torch.zeros((), dtype=torch.float64))
    fn, kwargs, weight = function(loss), loss_kwargs or {}, model.weight

    def objective(scores, target):      # the loss + (λ/2)‖w‖², as one number per step
        return fn(scores, target, **kwargs) + 0.5 * l2 * (weight * weight).sum()

    history = train(model, objective, (X_t, y_t), Recipe(epochs=steps, batch_size=None, lr=lr),
                    seed=None, device="cpu", progress=False)
    return LinearFit(loss, model.weight.detach().numpy().copy(), float(model.bias.detach()),
                     history["loss"])


@dataclass
class SoftmaxFit:
    """A fitted linear softmax classifier :math:`z = XW + b` and its training record."""

    weight: np.ndarray
    bias: np.ndarray
    history: list = field(default_factory=list)       # training loss per step
    logit_gap: list = field(default_factory=list)     # mean (true logit - largest other) per step

    def logits(self, X) -> np.ndarray:
        return np.asarray(X) @ self.weight + self.bias

    def accuracy(self, X, y) -> float:
        return float(np.mean(self.logits(X).argmax(1) == np.asarray(y)))


def fit_softmax(X, y, *, loss: str = "cross_entropy", steps: int = 300, lr: float = 0.5,
                loss_kwargs: dict | None = None) -> SoftmaxFit:
    """Fit a linear multi-class classifier with a registry loss on logits (``cross_entropy``,
    ``multi_margin_loss``...), recording the mean logit gap :math:`z_y - \\max_{k\\ne y} z_k`.

    With plain cross-entropy on separable data the gap grows without bound (the loss keeps
    falling as the logits are scaled up); with ``label_smoothing`` it settles at a finite value.
    """
    import torch

    from ..autograd import function
    from ..models import LinearScorer
    from ..train import Recipe, train

    X_t = torch.as_tensor(np.asarray(X, dtype=np.float64))
    y_np = np.asarray(y)
    y_t = torch.as_tensor(y_np)
    n_classes = int(y_np.max()) + 1
    model = LinearScorer(torch.zeros(X_t.shape[1], n_classes, dtype=torch.float64),
                         torch.zeros(n_classes, dtype=torch.float64))
    fn, kwargs = function(loss), loss_kwargs or {}
    rows, gaps = np.arange(len(y_np)), []

    def logit_gap(model, z, target):     # of the logits the step was computed from
        zn = z.detach().numpy()
        true = zn[rows, y_np]
        other = np.where(np.arange(n_classes) == y_np[:, None], -np.inf, zn).max(1)
        gaps.append(float(np.mean(true - other)))

    history = train(model, lambda z, target: fn(z, target, **kwargs), (X_t, y_t),
                    Recipe(epochs=steps, batch_size=None, lr=lr), seed=None, device="cpu",
                    progress=False, on_step=logit_gap)
    return SoftmaxFit(model.weight.detach().numpy().copy(), model.bias.detach().numpy().copy(),
                      history["loss"], gaps)


def conditional_risk(loss: str, f, eta, **loss_kwargs):
    r"""The expected loss at a point where :math:`P(y=+1\mid x)=\eta`, as a function of the score.

    .. math::

        C_\eta(f) = \eta\,\ell(f, +1) + (1-\eta)\,\ell(f, -1)

    Parameters
    ----------
    loss : str
        A registry loss taking ``(scores, labels in {-1, +1})``.
    f : array_like
        Scores (1-D).
    eta : float or array_like
        Conditional probabilities of the positive class; an array gives one row per value.

    Returns
    -------
    ndarray, shape ``(len(eta), len(f))`` (or ``(len(f),)`` for a scalar ``eta``).
    """
    spec = get(loss)
    f = np.asarray(f, dtype=np.float64)
    pos = np.asarray(spec.value(f, np.ones_like(f), reduction="none", **loss_kwargs))
    neg = np.asarray(spec.value(f, -np.ones_like(f), reduction="none", **loss_kwargs))
    eta_arr = np.asarray(eta, dtype=np.float64)
    risk = eta_arr[..., None] * pos + (1.0 - eta_arr[..., None]) * neg
    return risk


def population_minimiser(loss: str, eta, *, grid=None, **loss_kwargs):
    r"""The score minimising :func:`conditional_risk`, found on a grid (the first one on ties).

    A loss is *classification-calibrated* when this score has the sign of :math:`2\eta-1`
    for every :math:`\eta\ne\tfrac12` (Bartlett, Jordan & McAuliffe 2006). Known answers:
    logistic :math:`\log\frac{\eta}{1-\eta}`, exponential :math:`\tfrac12\log\frac{\eta}{1-\eta}`,
    hinge :math:`\operatorname{sign}(2\eta-1)`, squared hinge and square loss
    :math:`2\eta-1`, perceptron 0.

    Examples
    --------
    >>> from lossbook.experiments.toy import population_minimiser
    >>> float(population_minimiser("hinge_loss", 0.8))
    1.0
    """
    grid = np.linspace(-6.0, 6.0, 24001) if grid is None else np.asarray(grid, dtype=np.float64)
    risk = conditional_risk(loss, grid, eta, **loss_kwargs)
    return grid[np.argmin(risk, axis=-1)]
