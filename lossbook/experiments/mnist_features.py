"""2-D deep features on MNIST (chapter *mnist_features*; Wen et al. 2016, Figs. 2–3).

* :func:`center_loss_mnist` trains the LeNets++-style network (:class:`~lossbook.models.LeNetPP`)
  under softmax cross-entropy, MSE on one-hot targets, and softmax + center loss, with
  :func:`lossbook.train.train` and the recipe :data:`RECIPE`;
* the feature geometry is measured by :func:`class_centers`, :func:`compactness` and
  :func:`nearest_center_accuracy`, and drawn by :func:`plot_features` and
  :func:`explore_features`.
"""
from __future__ import annotations

import numpy as np
import torch

from ..data import mnist_tensors
from ..models import LeNetPP, count_parameters
from ..train import CrossEntropy, OneHotMSE, Recipe, SoftmaxCenterLoss, threads, train
from ..cache import memoize
from ._jobs import run_jobs

__all__ = [
    "RECIPE", "center_loss_mnist", "class_centers", "compactness", "nearest_center_accuracy",
    "plot_features", "explore_features",
]


# --- feature geometry ---------------------------------------------------------------------
def class_centers(features, labels, num_classes: int = 10) -> np.ndarray:
    """Mean feature of each class, shape (C, d)."""
    features, labels = np.asarray(features, dtype=np.float64), np.asarray(labels)
    return np.stack([features[labels == k].mean(axis=0) for k in range(num_classes)])


def compactness(features, labels, centers=None) -> float:
    r"""Mean intra-class distance over mean distance between class centres (lower = tighter).

    .. math::

        \frac{\frac1N\sum_i \lVert x_i - \mu_{y_i}\rVert}
             {\binom C2^{-1}\sum_{j<k}\lVert\mu_j - \mu_k\rVert}

    with :math:`\mu_k` the class means of ``features`` unless ``centers`` is given. It is
    invariant to scaling the features, so networks whose features live at different
    scales can be compared.
    """
    features, labels = np.asarray(features, dtype=np.float64), np.asarray(labels)
    mu = class_centers(features, labels, int(labels.max()) + 1) if centers is None else np.asarray(centers, dtype=np.float64)
    intra = np.linalg.norm(features - mu[labels], axis=1).mean()
    pairwise = np.linalg.norm(mu[:, None, :] - mu[None, :, :], axis=-1)
    inter = pairwise[np.triu_indices(len(mu), k=1)].mean()
    return float(intra / inter)


def nearest_center_accuracy(features, labels, centers) -> float:
    """Accuracy of assigning each feature to the class of its nearest centre (Euclidean)."""
    features, centers = np.asarray(features, dtype=np.float64), np.asarray(centers, dtype=np.float64)
    distances = np.linalg.norm(features[:, None, :] - centers[None, :, :], axis=-1)
    return float((distances.argmin(axis=1) == np.asarray(labels)).mean())


# --- 2-D features and center loss --------------------------------------------------------
#: The default training recipe of :func:`center_loss_mnist`.
RECIPE = Recipe(epochs=5, batch_size=64, lr=0.03, optimizer="sgd", momentum=0.9,
                weight_decay=5e-4, schedule="onecycle")


def _objective(kind: str, lam: float, alpha: float, ramp: int = 0):
    if kind == "softmax":
        return CrossEntropy()
    if kind == "mse_linear":
        return OneHotMSE(on="logits", scale=10.0)
    if kind == "mse_softmax":
        return OneHotMSE(on="softmax", scale=10.0)
    if kind == "center":
        return SoftmaxCenterLoss(lam=lam, alpha=alpha, ramp=ramp)
    raise ValueError(f"unknown run kind {kind!r}: use 'softmax', 'mse_linear', 'mse_softmax' or 'center'")


def _features(model, images, batch_size=2000):
    model.eval()
    with torch.no_grad():
        parts = [model.features(images[i:i + batch_size]) for i in range(0, len(images), batch_size)]
    return torch.cat(parts).cpu().numpy()


@memoize
def center_loss_mnist(runs=("softmax", "mse_linear", "mse_softmax", "center"), *,
                      lam: float = 0.3, lambdas=(), alpha: float = 0.5, ramp_epochs: float = 1.0,
                      seed: int = 0,
                      recipe: Recipe | None = None, mse_recipe: Recipe | None = None,
                      mse_train_size: int | None = None, sweep_train_size: int | None = None,
                      train_size: int | None = None, train_sizes: dict | None = None,
                      snapshots=(), snapshot_size: int = 2000, centers_size: int = 10000,
                      channels=(8, 16, 64), test_every: int | None = None, device="auto",
                      progress: bool = True, num_threads: int | None = 1,
                      workers: int = 1) -> dict:
    r"""Train the LeNets++-style network with 2-D features under several objectives.

    Parameters
    ----------
    runs : sequence of {'softmax', 'mse_linear', 'mse_softmax', 'center'}
        Softmax cross-entropy; MSE between one-hot targets and the raw outputs or the
        softmax outputs; softmax + ``lam`` × center loss.
    lam : float
        :math:`\lambda` of the ``'center'`` run (center loss with ``reduction='mean'``,
        i.e. :math:`\tfrac1{2m}\sum\lVert x_i-c_{y_i}\rVert^2`).
    lambdas : sequence of float
        Extra softmax + center-loss runs, one per :math:`\lambda` (named ``'center λ=…'``),
        for the paper's Fig. 3 progression.
    alpha : float
        The centres' rate in :func:`~lossbook.losses.embedding.center_update` (0.5, as in the paper).
    ramp_epochs : float
        Raise :math:`\lambda` linearly from 0 over this many epochs of the run's data
        (:class:`~lossbook.train.SoftmaxCenterLoss` ``ramp``); 0 for a constant weight.
    seed : int
        Same initialisation and batch order for every run.
    recipe : Recipe, optional
        The training recipe of every run (default :data:`RECIPE`; change a field with
        ``RECIPE.replace(epochs=1)``).
    mse_recipe : Recipe, optional
        The recipe of the MSE runs (default: ``recipe``).
    mse_train_size, sweep_train_size, train_size : int, optional
        Train the MSE runs, the ``lambdas`` runs, or all runs on a random subset of the
        60 000 images (the same subset for a given size).
    train_sizes : dict, optional
        Subset sizes by run name (e.g. ``{"mse_linear": 10000}``), overriding the above.
    snapshots : sequence of int
        Optimiser steps at which to record the features of ``snapshot_size`` test images
        (for the feature-evolution figure).
    centers_size : int
        Training images whose class means serve as centres for the nearest-centre accuracy.
    test_every : int, optional
        Evaluate on the test set every that many epochs (default: only after the last).
    channels, device, progress, num_threads
        Network width and :func:`~lossbook.train.train` options.
    workers : int, default 1
        Run the trainings in this many processes at once (each with ``num_threads``
        threads); the numbers are the same as in one process.

    Returns
    -------
    dict
        One entry per run, each a dict with ``accuracy`` (test), ``compactness`` (test
        features, :func:`compactness`), ``nearest_center_accuracy`` (test features against
        the class means of training features), ``features``, ``logits`` and ``labels``
        (test, NumPy),
        ``centers`` (the learned ones for center loss, else the training class means),
        ``history``, ``snapshots`` ({step: features}), ``time`` and ``cpu_time`` (seconds),
        ``parameters``, ``name``; plus ``"_meta"`` with the settings.
    """
    base = RECIPE if recipe is None else recipe
    mse = base if mse_recipe is None else mse_recipe
    for name, value in (("recipe", base), ("mse_recipe", mse)):
        if not isinstance(value, Recipe):
            raise TypeError(f"{name} must be a lossbook.train.Recipe, got {type(value).__name__}")
    plan = [(kind, lam, kind) for kind in runs]
    plan += [("center", float(value), f"center λ={float(value):g}") for value in lambdas]
    for kind, _, _ in plan:
        if kind not in ("softmax", "mse_linear", "mse_softmax", "center"):
            raise ValueError(f"unknown run kind {kind!r}: use 'softmax', 'mse_linear', "
                             f"'mse_softmax' or 'center'")
    jobs = []
    for kind, weight, key in plan:
        subset = (mse_train_size if kind.startswith("mse") else
                  sweep_train_size if key != kind else None) or train_size
        subset = (train_sizes or {}).get(key, subset)
        jobs.append(dict(kind=kind, weight=weight, key=key, subset=subset, seed=seed,
                         recipe=mse if kind.startswith("mse") else base, alpha=alpha,
                         ramp_epochs=ramp_epochs, snapshots=tuple(int(s) for s in snapshots),
                         snapshot_size=snapshot_size, centers_size=centers_size,
                         channels=tuple(channels), test_every=test_every, device=device,
                         num_threads=num_threads))
    # a run costs about its number of training images times its epochs: longest first
    costs = [(job["subset"] or 60000) * job["recipe"].epochs for job in jobs]
    outcomes = run_jobs(_feature_job, jobs, workers, progress, "2-D feature trainings", costs=costs)
    results = {job["key"]: outcome for job, outcome in zip(jobs, outcomes)}
    results["_meta"] = {"recipe": base, "mse_recipe": mse, "alpha": alpha, "lam": lam,
                        "seed": seed, "channels": tuple(channels)}
    return results


def _feature_job(job, progress=False):
    """One training of :func:`center_loss_mnist` (top level, so workers can run it)."""
    kind, weight, seed, recipe = job["kind"], job["weight"], job["seed"], job["recipe"]
    with threads(job["num_threads"]):
        data = mnist_tensors("train", standardize=True, subset=job["subset"], seed=seed)
        test_x, test_y = mnist_tensors("test", standardize=True)
        center_x, center_y = mnist_tensors("train", standardize=True, subset=job["centers_size"],
                                           seed=seed + 1)
        snapshot_x, snapshot_y = test_x[:job["snapshot_size"]], test_y[:job["snapshot_size"]]
        torch.manual_seed(seed)
        model = LeNetPP(channels=job["channels"])
        steps_per_epoch = len(data[1]) // recipe.batch_size
        objective = _objective(kind, weight, job["alpha"],
                               int(round(job["ramp_epochs"] * steps_per_epoch)))
        captured: dict = {}
        counter = [0]
        wanted = set(job["snapshots"])

        def snapshot(model, outputs, target):
            if counter[0] in wanted:
                captured[counter[0]] = _features(model, snapshot_x.to(outputs[0].device))
                model.train()
            counter[0] += 1

        history = train(model, objective, data, recipe, test_data=(test_x, test_y), seed=seed,
                        test_every=job["test_every"] or recipe.epochs, device=job["device"],
                        progress=progress, desc=getattr(objective, "name", kind),
                        on_step=snapshot if wanted else None)
        device = next(model.parameters()).device
        if counter[0] in wanted:
            captured[counter[0]] = _features(model, snapshot_x.to(device))
        test_features = _features(model, test_x.to(device))
        with torch.no_grad():
            test_logits = model.classifier(torch.from_numpy(test_features).to(device)).cpu().numpy()
        train_means = class_centers(_features(model, center_x.to(device)), center_y.numpy())
        labels = test_y.numpy()
        return {
            "name": getattr(objective, "name", kind),
            "kind": kind,
            "lam": weight if kind == "center" else None,
            "accuracy": history["test_accuracy"][-1],
            "compactness": compactness(test_features, labels),
            "nearest_center_accuracy": nearest_center_accuracy(test_features, labels, train_means),
            "features": test_features,
            "logits": test_logits,
            "labels": labels,
            "centers": objective.centers.cpu().numpy() if kind == "center" else train_means,
            "history": history,
            "snapshots": dict(sorted(captured.items())),
            "snapshot_labels": snapshot_y.numpy(),
            "time": history["time"][-1],
            "cpu_time": history["cpu_time"][-1],
            "parameters": count_parameters(model),
            "train_size": len(data[1]),
        }



# --- figures ------------------------------------------------------------------------------------
def plot_features(features, labels, centers=None, ax=None, title=None, max_points: int = 5000,
                  legend: bool = False):
    """Scatter 2-D features coloured by class (the paper's Figs. 2–3), with the centres."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(4, 4), constrained_layout=True)
    features, labels = np.asarray(features), np.asarray(labels)
    keep = np.arange(len(labels))[:max_points]
    colors = plt.get_cmap("tab10")
    for k in range(10):
        points = features[keep][labels[keep] == k]
        ax.scatter(points[:, 0], points[:, 1], s=1.5, alpha=0.5, color=colors(k), label=str(k),
                   rasterized=True)
    if centers is not None:
        centers = np.asarray(centers)
        ax.scatter(centers[:, 0], centers[:, 1], marker="x", s=40, color="black", linewidths=1.5,
                   label="centres")
    ax.set_aspect("equal", adjustable="datalim")
    if title:
        ax.set_title(title)
    if legend:
        handles = ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5)).legend_handles
        for handle in handles:
            handle.set_sizes([20.0])
            handle.set_alpha(1.0)
    return ax


def explore_features(results):
    """Pick a run of :func:`center_loss_mnist` and a training step; the features follow.

    Only the recorded snapshots are shown, so nothing is retrained; a run that stopped
    earlier shows its last snapshot. Live in Jupyter, precomputed frames on the website (a
    :class:`lossbook.widgets.FrameExplorer`).
    """
    from ..widgets import FrameExplorer

    names = [k for k in results if not k.startswith("_") and results[k]["snapshots"]]
    if not names:
        raise ValueError("no run has feature snapshots: call center_loss_mnist(snapshots=...)")
    steps = sorted({step for k in names for step in results[k]["snapshots"]})

    def draw(fig, run, step):
        r = results[run]
        earlier = [s for s in r["snapshots"] if s <= step]
        shown = max(earlier) if earlier else min(r["snapshots"])
        plot_features(r["snapshots"][shown], r["snapshot_labels"], ax=fig.subplots(),
                      title=f"{r['name']}, after {shown} steps", legend=True)

    return FrameExplorer(draw, {"run": names, "step": steps}, name="2-D features during training",
                         figsize=(5.2, 4),
                         description="Test features of one run after a number of training "
                                     "steps, coloured by class; move the sliders to pick the "
                                     "run and the step.")
