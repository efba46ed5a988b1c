r"""Data, training and curves for the chapter "Imbalance and hard examples" (*imbalance*).

* :func:`long_tailed_blobs`: a long-tailed 2-D classification problem (Gaussian classes on a
  circle, training counts falling geometrically, a balanced test set);
* :func:`train_classifier` trains a small MLP on it with a registry loss, **with lossbook's
  own gradients** (:class:`lossbook.autograd.Loss`), full-batch Adam through
  :func:`lossbook.train.train`; :func:`recall_metrics` gives per-class recall and balanced
  accuracy; :func:`compare_losses` runs the chapter's table and :func:`format_comparison`
  prints it;
* :func:`detection_like_data` and :func:`train_logistic` give the gradient-norm distribution
  of a "converged one-stage detector" (many easy negatives, few positives, a few noisy labels)
  for the GHM histogram;
* :func:`focal_curves` (Fig. 1 of the focal-loss paper and its gradients) and
  :func:`polynomial_coefficients` (PolyLoss's coefficient picture).

Everything is seeded and runs in seconds on a CPU.
"""
from __future__ import annotations

import numpy as np

from ..losses.imbalance import sigmoid_focal_loss, sigmoid_focal_loss_grad

__all__ = [
    "long_tailed_counts", "long_tailed_blobs", "make_mlp", "train_classifier", "recall_metrics",
    "default_losses", "compare_losses", "format_comparison", "detection_like_data",
    "train_logistic", "focal_curves", "polynomial_coefficients",
]


# --- data -----------------------------------------------------------------------------
def long_tailed_counts(num_classes: int = 5, n_max: int = 500, imbalance: float = 100.0):
    r"""Training counts :math:`n_c = \lfloor n_{\max}\,\rho^{-c/(C-1)}\rceil`, from ``n_max`` down to ``n_max/imbalance``.

    The exponential profile of Cui et al.'s long-tailed CIFAR; ``imbalance`` is
    :math:`\rho = n_{\max}/n_{\min}`.

    Examples
    --------
    >>> from lossbook.experiments.imbalance import long_tailed_counts
    >>> long_tailed_counts(5, 500, 100.0)
    array([500, 158,  50,  16,   5])
    """
    c = np.arange(num_classes)
    return np.maximum(1, np.rint(n_max * imbalance ** (-c / max(num_classes - 1, 1)))).astype(np.int64)


def long_tailed_blobs(counts=None, *, n_test_per_class: int = 300, radius: float = 2.2, noise: float = 1.0,
                      seed: int = 0):
    """Gaussian classes with centres on a circle; long-tailed training set, balanced test set.

    Parameters
    ----------
    counts : array_like of int, optional
        Training samples per class; :func:`long_tailed_counts` ``(5, 500, 100)`` by default.
    n_test_per_class : int
        Test samples per class (the same for every class).
    radius, noise : float
        Distance of the class centres from the origin, and the standard deviation of each class:
        neighbouring classes overlap, so the decision boundaries matter.
    seed : int

    Returns
    -------
    X_train, y_train, X_test, y_test : numpy.ndarray
        float64 features ``(n, 2)`` and int64 labels.
    """
    counts = long_tailed_counts() if counts is None else np.asarray(counts, dtype=np.int64)
    rng = np.random.default_rng(seed)
    angles = 2 * np.pi * np.arange(len(counts)) / len(counts)
    centres = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)

    def sample(per_class):
        y = np.repeat(np.arange(len(counts)), per_class)
        X = centres[y] + noise * rng.normal(size=(len(y), 2))
        order = rng.permutation(len(y))
        return X[order], y[order]

    X_train, y_train = sample(counts)
    X_test, y_test = sample(np.full(len(counts), n_test_per_class))
    return X_train, y_train, X_test, y_test


# --- model and training -------------------------------------------------------------------
def make_mlp(num_classes: int, hidden: int = 32, seed: int = 0):
    """A 2 → ``hidden`` → ``num_classes`` tanh MLP in float64 (torch), seeded."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(2, hidden), torch.nn.Tanh(), torch.nn.Linear(hidden, num_classes))
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.empty_like(p).uniform_(-1, 1, generator=generator) / np.sqrt(max(p.shape[-1], 1)))
    return model.double()


def train_classifier(X, y, loss: str, loss_kwargs=None, *, num_classes=None, steps: int = 200,
                     lr: float = 0.05, hidden: int = 32, seed: int = 0, progress: bool = False):
    """Train :func:`make_mlp` full-batch with Adam on the registry loss ``loss``.

    The loss is :class:`lossbook.autograd.Loss`: its backward is our analytic ``_grad``, so the
    training uses the gradients derived in the book, not autograd's.

    Returns
    -------
    torch.nn.Module
        The trained model (outputs logits).
    """
    import torch

    from ..autograd import Loss
    from ..train import Recipe, train

    num_classes = int(np.max(y)) + 1 if num_classes is None else num_classes
    model = make_mlp(num_classes, hidden, seed)
    data = (torch.as_tensor(X, dtype=torch.float64), torch.as_tensor(y))
    train(model, Loss(loss, **(loss_kwargs or {})), data,
          Recipe(epochs=steps, batch_size=None, lr=lr, optimizer="adam"), seed=seed,
          device="cpu", progress=progress, desc=loss, num_threads=1)
    return model


def recall_metrics(model, X, y, num_classes=None):
    """Per-class recall, balanced accuracy and accuracy of ``model`` on ``(X, y)``.

    Returns
    -------
    dict
        ``recall`` (array, one per class), ``balanced_accuracy`` (mean recall), ``accuracy``.
    """
    import torch

    num_classes = int(np.max(y)) + 1 if num_classes is None else num_classes
    with torch.no_grad():
        predicted = model(torch.as_tensor(X, dtype=torch.float64)).argmax(-1).numpy()
    recall = np.array([np.mean(predicted[y == c] == c) if np.any(y == c) else np.nan for c in range(num_classes)])
    return {"recall": recall, "balanced_accuracy": float(np.nanmean(recall)),
            "accuracy": float(np.mean(predicted == y))}


def default_losses(counts, *, beta: float = 0.99, gamma: float = 2.0, epsilon: float = 2.0):
    """The chapter's five losses, as ``{label: (registry name, kwargs)}``.

    * CE: ``cross_entropy``;
    * class-weighted CE: softmax cross-entropy with per-class weights :math:`\\alpha_c\\propto 1/n_c`
      (``softmax_focal_loss`` at :math:`\\gamma=0`, mean over samples);
    * focal: ``softmax_focal_loss`` (:math:`\\gamma`, no :math:`\\alpha`);
    * class-balanced: ``class_balanced_loss`` (softmax, :math:`\\beta`);
    * Poly-1: ``poly1_loss`` (:math:`\\epsilon`).
    """
    counts = np.asarray(counts, dtype=np.float64)
    inverse = 1.0 / counts
    alpha = inverse * len(counts) / inverse.sum()
    return {
        "CE": ("cross_entropy", {}),
        "class-weighted CE": ("softmax_focal_loss", {"gamma": 0.0, "alpha": alpha.tolist()}),
        f"focal (γ={gamma:g})": ("softmax_focal_loss", {"gamma": gamma}),
        f"class-balanced (β={beta:g})": ("class_balanced_loss",
                                         {"samples_per_class": counts.astype(np.int64).tolist(), "beta": beta}),
        f"Poly-1 (ε={epsilon:g})": ("poly1_loss", {"epsilon": epsilon}),
    }


def compare_losses(losses=None, *, counts=None, seeds=(0, 1, 2), steps: int = 200, progress: bool = False, **data):
    """Train one model per loss and data seed; average the test metrics over the seeds.

    Parameters
    ----------
    losses : dict, optional
        ``{label: (registry name, kwargs)}``; :func:`default_losses` by default.
    counts : array_like, optional
        Training counts per class (:func:`long_tailed_counts` by default).
    seeds : tuple of int
        Data and initialisation seeds; the metrics are averaged over them.
    steps : int
        Adam steps per model.
    **data
        Passed to :func:`long_tailed_blobs`.

    Returns
    -------
    dict
        label -> ``{"recall": mean per-class recall, "balanced_accuracy": mean, "std": std of
        the balanced accuracy over seeds}``.
    """
    counts = long_tailed_counts() if counts is None else np.asarray(counts)
    losses = default_losses(counts) if losses is None else losses
    datasets = [long_tailed_blobs(counts, seed=seed, **data) for seed in seeds]
    jobs = [(label, seed, d) for label in losses for seed, d in zip(seeds, datasets)]
    if progress:
        from tqdm.auto import tqdm

        jobs = tqdm(jobs, desc="training")
    results = {label: [] for label in losses}
    for label, seed, (X, y, X_test, y_test) in jobs:
        name, kwargs = losses[label]
        model = train_classifier(X, y, name, kwargs, num_classes=len(counts), steps=steps, seed=seed)
        results[label].append(recall_metrics(model, X_test, y_test, len(counts)))
    table = {}
    for label, runs in results.items():
        bal = np.array([r["balanced_accuracy"] for r in runs])
        table[label] = {"recall": np.mean([r["recall"] for r in runs], axis=0),
                        "balanced_accuracy": float(bal.mean()), "std": float(bal.std())}
    return table


def format_comparison(table, counts=None) -> str:
    """The result of :func:`compare_losses` as a fixed-width text table (recall in %)."""
    first = next(iter(table.values()))
    num_classes = len(first["recall"])
    heads = [f"class {c}" for c in range(num_classes)]
    sizes = [f"n={int(counts[c])}" if counts is not None else "" for c in range(num_classes)]
    width = max(len(label) for label in table) + 2
    col = max(len(h) for h in heads + sizes) + 2       # two header lines keep it narrow
    lines = [f"{'loss':<{width}}" + "".join(f"{h:>{col}}" for h in heads) + f"{'balanced acc.':>16}",
             " " * width + "".join(f"{n:>{col}}" for n in sizes),
             "-" * (width + col * num_classes + 16)]
    if counts is None:
        del lines[1]
    for label, row in table.items():
        cells = "".join(f"{100 * r:>{col}.1f}" for r in row["recall"])
        lines.append(f"{label:<{width}}{cells}{100 * row['balanced_accuracy']:>10.1f} ± {100 * row['std']:.1f}")
    return "\n".join(lines)


# --- GHM: gradient norms of a detector-like problem ------------------------------------------
def detection_like_data(n_negative: int = 10000, n_positive: int = 100, label_noise: float = 0.005,
                        seed: int = 0):
    """A dense-detection-like binary problem: many easy negatives, few positives, some wrong labels.

    Negatives are spread widely (most far from the positives, hence easy), positives form a
    small cluster; a fraction ``label_noise`` of the labels is flipped (the outliers whose
    gradient norm stays near 1).

    Returns
    -------
    X, t : numpy.ndarray
        float64 features ``(n, 2)`` and float64 0/1 labels.
    """
    rng = np.random.default_rng(seed)
    negatives = rng.normal(0.0, 2.0, size=(n_negative, 2))
    positives = np.array([3.5, 3.5]) + 0.5 * rng.normal(size=(n_positive, 2))
    X = np.concatenate([negatives, positives])
    t = np.concatenate([np.zeros(n_negative), np.ones(n_positive)])
    flip = rng.uniform(size=t.shape) < label_noise
    t = np.where(flip, 1.0 - t, t)
    order = rng.permutation(len(t))
    return X[order], t[order]


def train_logistic(X, t, *, loss: str = "balanced_cross_entropy", loss_kwargs=None, steps: int = 200,
                   lr: float = 0.1, seed: int = 0):
    """A quadratic-feature logistic model trained full-batch (Adam) with our gradients.

    Returns
    -------
    numpy.ndarray
        The logits on ``X`` after training.
    """
    import torch

    from ..autograd import Loss
    from ..models import LinearScorer
    from ..train import Recipe, train

    features = np.concatenate([X, X ** 2, X[:, :1] * X[:, 1:]], axis=1)
    features = (features - features.mean(0)) / features.std(0)
    F = torch.as_tensor(features, dtype=torch.float64)
    model = LinearScorer(torch.zeros(features.shape[1], dtype=torch.float64),
                         torch.zeros((), dtype=torch.float64))
    criterion = Loss(loss, **({"alpha": None} if loss_kwargs is None else loss_kwargs))
    train(model, criterion, (F, torch.as_tensor(t, dtype=torch.float64)),
          Recipe(epochs=steps, batch_size=None, lr=lr, optimizer="adam"), seed=seed,
          device="cpu", progress=False, num_threads=1)
    with torch.no_grad():
        return model(F).numpy()


# --- curves -----------------------------------------------------------------------------
def focal_curves(p_t, gammas=(0.0, 0.5, 1.0, 2.0, 5.0), alpha=None):
    r"""Focal loss and its derivative against :math:`p_t` (Fig. 1 of Lin et al. and its gradients).

    For each :math:`\gamma`, the loss :math:`-(1-p_t)^\gamma\log p_t` and the derivative with
    respect to the logit :math:`x_t=\operatorname{logit}p_t` (:math:`\le 0`: raising :math:`x_t`
    lowers the loss), computed with :func:`~lossbook.sigmoid_focal_loss` and its ``_grad``
    (target 1, logit :math:`x_t`).

    Returns
    -------
    dict
        :math:`\gamma` -> ``(loss, dloss/dx_t)``, arrays shaped like ``p_t``.
    """
    p_t = np.asarray(p_t, dtype=np.float64)
    x = np.log(p_t) - np.log1p(-p_t)
    ones = np.ones_like(x)
    return {g: (sigmoid_focal_loss(x, ones, alpha=alpha, gamma=g, reduction="none"),
                sigmoid_focal_loss_grad(x, ones, alpha=alpha, gamma=g, reduction="none")) for g in gammas}


def polynomial_coefficients(kind: str = "ce", *, gamma: float = 2.0, epsilon: float = 1.0, terms: int = 6):
    r"""Powers and coefficients of :math:`\sum_j a_j (1-p_t)^{k_j}` (PolyLoss's unified view).

    * ``"ce"``: :math:`-\log p_t=\sum_{j\ge1}(1-p_t)^j/j`;
    * ``"focal"``: the same coefficients at powers :math:`j+\gamma` (horizontal shift);
    * ``"poly1"``: cross-entropy with the first coefficient :math:`1+\epsilon` (vertical shift).

    Returns
    -------
    powers, coefficients : numpy.ndarray
    """
    j = np.arange(1, terms + 1, dtype=np.float64)
    coefficients = 1.0 / j
    if kind == "ce":
        return j, coefficients
    if kind == "focal":
        return j + gamma, coefficients
    if kind == "poly1":
        coefficients = coefficients.copy()
        coefficients[0] += epsilon
        return j, coefficients
    raise ValueError(f"kind must be 'ce', 'focal' or 'poly1', got {kind!r}")

