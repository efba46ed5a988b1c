"""2-D MNIST features under softmax, centre loss, CosFace and ArcFace (chapter *metric_learning*).

* :func:`margin_features_mnist` trains the LeNets++-style network of the *mnist_features*
  chapter (:class:`~lossbook.models.LeNetPP`, :func:`lossbook.data.mnist_tensors`) on a
  subset of MNIST under four objectives, all through lossbook's gradients
  (:func:`lossbook.autograd.function`), and measures the features on the unit circle;
* :class:`MarginHead` is the training objective of the angular-margin losses: the
  network's bias-free classifier weights are the class weights :math:`W_j`;
* :func:`unit_rows`, :func:`class_directions`, :func:`angular_spread`,
  :func:`inter_class_angles` and :func:`nearest_direction_accuracy` measure the angular
  geometry; :func:`plot_circle` draws it.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from ..autograd import function
from ..cache import memoize
from ..data import mnist_tensors
from ..models import LeNetPP, count_parameters
from ..train import CrossEntropy, Recipe, SoftmaxCenterLoss, threads, train
from ._jobs import run_jobs

__all__ = [
    "MARGIN_RECIPE", "KINDS", "MarginHead", "margin_features_mnist", "unit_rows", "class_directions",
    "angular_spread", "inter_class_angles", "nearest_direction_accuracy", "plot_circle",
    "triplet_kinds",
]

#: The training recipe of :func:`margin_features_mnist` (the *mnist_features* recipe, with
#: 10 epochs of a 15 000-image subset: 2340 steps, half of that chapter's 4685).
MARGIN_RECIPE = Recipe(epochs=10, batch_size=64, lr=0.03, optimizer="sgd", momentum=0.9,
                weight_decay=5e-4, schedule="onecycle")

#: The objectives :func:`margin_features_mnist` can train with.
KINDS = ("softmax", "center", "cosface", "arcface")


# --- angular geometry --------------------------------------------------------------------
def unit_rows(features) -> np.ndarray:
    """Each row divided by its Euclidean norm (a zero row raises ValueError)."""
    x = np.asarray(features, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"features must have shape (N, d), got shape {x.shape}")
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    if np.any(norms == 0):
        raise ValueError("features: a zero row has no direction")
    return x / norms


def class_directions(features, labels, num_classes: int = 10) -> np.ndarray:
    """Mean direction of each class: the normalised mean of its unit features, shape (C, d)."""
    u, labels = unit_rows(features), np.asarray(labels)
    if labels.shape != (len(u),):
        raise ValueError(f"labels must have shape ({len(u)},), got {labels.shape}")
    missing = [k for k in range(num_classes) if not np.any(labels == k)]
    if missing:
        raise ValueError(f"labels: classes {missing} have no sample")
    return unit_rows(np.stack([u[labels == k].mean(axis=0) for k in range(num_classes)]))


def _angle_between(u, v) -> np.ndarray:
    """Angles in degrees between unit vectors (rows, broadcast), robust near 0 and 180°."""
    # atan2(|u x v|, u.v) keeps its precision where arccos(u.v) loses it
    dot = np.sum(u * v, axis=-1)
    cross = np.linalg.norm(u[..., :, None] * v[..., None, :] - u[..., None, :] * v[..., :, None],
                           axis=(-2, -1)) / math.sqrt(2.0)
    return np.degrees(np.arctan2(cross, dot))


def angular_spread(features, labels, num_classes: int = 10) -> np.ndarray:
    """Per class, the mean angle (degrees) between a unit feature and its class's mean
    direction (:func:`class_directions`): 0 when a class sits on one ray."""
    u, labels = unit_rows(features), np.asarray(labels)
    directions = class_directions(u, labels, num_classes)
    deviation = _angle_between(u, directions[labels])
    return np.array([deviation[labels == k].mean() for k in range(num_classes)])


def inter_class_angles(directions) -> np.ndarray:
    """Per class, the angle (degrees) from its mean direction to the nearest other class's."""
    d = unit_rows(directions)
    if len(d) < 2:
        raise ValueError("directions: need at least two classes")
    angles = _angle_between(d[:, None, :], d[None, :, :])
    np.fill_diagonal(angles, np.inf)
    return angles.min(axis=1)


def nearest_direction_accuracy(features, labels, directions) -> float:
    """Accuracy of assigning each feature to the class of the nearest mean direction (by angle)."""
    u, d = unit_rows(features), unit_rows(directions)
    return float(((u @ d.T).argmax(axis=1) == np.asarray(labels)).mean())


# --- triplet mining ---------------------------------------------------------------------
def triplet_kinds(embeddings, labels, margin: float = 0.2) -> dict:
    r"""Every valid triplet :math:`(a, p, n)` of a labelled batch (:math:`y_a=y_p`,
    :math:`a\ne p`, :math:`y_n\ne y_a`), sorted by FaceNet's squared distances
    :math:`d_{ap}=\lVert a-p\rVert^2`, :math:`d_{an}=\lVert a-n\rVert^2`:

    * ``'easy'``: :math:`d_{an}\ge d_{ap}+m` (zero loss, zero gradient);
    * ``'semi-hard'``: :math:`d_{ap}<d_{an}<d_{ap}+m` (positive loss, correct order);
    * ``'hard'``: :math:`d_{an}\le d_{ap}` (the negative is closer than the positive).

    Returns
    -------
    dict
        ``{kind: (K, 3) int array of (anchor, positive, negative) indices}``.
    """
    x, y = np.asarray(embeddings, dtype=np.float64), np.asarray(labels)
    if x.ndim != 2 or y.shape != (len(x),):
        raise ValueError(f"embeddings must be (N, d) with labels (N,), got {x.shape} and {y.shape}")
    if not (isinstance(margin, (int, float)) and math.isfinite(margin)) or margin < 0:
        raise ValueError(f"margin must be a finite number >= 0, got {margin!r}")
    d = np.sum((x[:, None, :] - x[None, :, :]) ** 2, axis=-1)
    same = y[:, None] == y[None, :]
    a, p, n = np.nonzero((same & ~np.eye(len(y), dtype=bool))[:, :, None] & ~same[:, None, :])
    d_ap, d_an = d[a, p], d[a, n]
    triplets = np.stack([a, p, n], axis=1)
    return {"easy": triplets[d_an >= d_ap + margin],
            "semi-hard": triplets[(d_an > d_ap) & (d_an < d_ap + margin)],
            "hard": triplets[d_an <= d_ap]}


# --- the objectives ----------------------------------------------------------------------
class MarginHead:
    r"""Training objective ``lossbook.arcface_loss`` or ``lossbook.cosface_loss`` on a
    network's features, with the network's bias-free classifier weight as the class weights.

    ``loss = arcface_loss(features, target, weight, scale=s, margin=m)``; the weight gets
    its gradient from the loss's own ``_grad`` (it is a parameter of the model, so the
    optimiser moves it). Prediction is the class of the largest *cosine*
    :math:`\cos(x, W_j)`: the margin is a training device, absent at test time.
    """

    def __init__(self, weight: torch.nn.Parameter, kind: str = "arcface", scale: float = 16.0,
                 margin: float = 0.2):
        if kind not in ("arcface", "cosface"):
            raise ValueError(f"kind must be 'arcface' or 'cosface', got {kind!r}")
        if not isinstance(weight, torch.Tensor) or weight.ndim != 2:
            raise TypeError("weight must be the (num_classes, d) classifier weight tensor")
        self.weight, self.kind = weight, kind
        self.scale, self.margin = float(scale), float(margin)
        self.loss = function(f"{kind}_loss")
        label = "ArcFace" if kind == "arcface" else "CosFace"
        unit = " rad" if kind == "arcface" else ""
        self.name = f"{label} (s = {scale:g}, m = {margin:g}{unit})"

    def __call__(self, outputs, target):
        features = outputs[0]
        return self.loss(features, target, self.weight, scale=self.scale, margin=self.margin)

    def predict(self, outputs):
        features = torch.nn.functional.normalize(outputs[0].detach(), dim=1)
        weight = torch.nn.functional.normalize(self.weight.detach(), dim=1)
        return (features @ weight.T).argmax(-1)


def _objective(kind, model, *, lam, alpha, ramp, scale, margins):
    if kind == "softmax":
        return CrossEntropy()
    if kind == "center":
        return SoftmaxCenterLoss(lam=lam, alpha=alpha, ramp=ramp)
    if kind in ("cosface", "arcface"):
        return MarginHead(model.classifier.weight, kind, scale=scale, margin=margins[kind])
    raise ValueError(f"unknown run kind {kind!r}: use one of {KINDS}")


def _features(model, images, batch_size=2000):
    model.eval()
    with torch.no_grad():
        parts = [model.features(images[i:i + batch_size]) for i in range(0, len(images), batch_size)]
    return torch.cat(parts).cpu().numpy()


# --- the experiment ----------------------------------------------------------------------
@memoize(rng=False)   # seeded from its arguments only: the notebook's random state does not matter
def margin_features_mnist(runs=KINDS, *, train_size: int | None = 15000, test_size: int | None = None,
                          recipe: Recipe | None = None, scale: float = 16.0,
                          cosface_margin: float = 0.15, arcface_margin: float = 0.2,
                          lam: float = 0.3, alpha: float = 0.5, ramp_epochs: float = 1.0,
                          seed: int = 0, channels=(8, 16, 64), feature_layer: str = "batchnorm",
                          device="cpu", progress: bool = True, num_threads: int | None = 1,
                          workers: int = 1) -> dict:
    r"""Train the 2-D-feature network under softmax, centre loss, CosFace and ArcFace.

    Parameters
    ----------
    runs : sequence of {'softmax', 'center', 'cosface', 'arcface'}
        Softmax cross-entropy on the bias-free logits :math:`Wx`; softmax + ``lam`` ×
        ``center_loss`` (Eq. 4 centre updates with ``alpha``, weight ramped over
        ``ramp_epochs``); ``cosface_loss`` and ``arcface_loss`` with the classifier weight
        as class weights (:class:`MarginHead`).
    train_size, test_size : int or None
        Random subsets of the 60 000 training and 10 000 test images (None: all).
    recipe : Recipe, optional
        Default :data:`MARGIN_RECIPE`.
    scale, cosface_margin, arcface_margin : float
        :math:`s` of both margin heads; CosFace's cosine margin; ArcFace's angular margin
        in radians. In two dimensions ten classes are at most 36° apart, so ArcFace's
        face-recognition margin 0.5 rad (28.6°) cannot be met by every class at once.
    seed : int
        Same initialisation, subset and batch order for every run.
    channels : tuple of int
        :class:`~lossbook.models.LeNetPP`'s widths.
    feature_layer : {'batchnorm', 'none', 'prelu'}, default 'batchnorm'
        What follows the 2-unit feature layer, in every run: a ``BatchNorm1d(2)`` (as
        face-recognition backbones end their embedding; it keeps the feature norm near
        1, whereas the raw features start at norm ~0.06, where the normalised heads'
        gradients, proportional to :math:`s/\lVert x\rVert`, throw them out to norms in the
        thousands and training stalls); nothing; or the *mnist_features* chapter's PReLU
        (whose slope bends angles in the negative half-planes).
    device, progress, num_threads, workers
        As in :func:`lossbook.experiments.mnist_features.center_loss_mnist`.

    Returns
    -------
    dict
        One entry per run with ``name``, ``accuracy`` (test, the objective's own rule:
        largest logit, or largest cosine for the margin heads), ``features``, ``labels``
        (test, NumPy), ``weight`` (the classifier's class weights), ``directions`` (class
        mean directions of the test features), ``spread`` (per-class angular spread, degrees,
        :func:`angular_spread`), ``inter`` (per-class angle to the nearest other class,
        :func:`inter_class_angles`), ``direction_accuracy``
        (:func:`nearest_direction_accuracy`), ``median_norm``, ``history``, ``time``,
        ``cpu_time``, ``train_size``, ``parameters``; plus ``"_meta"``.
    """
    base = MARGIN_RECIPE if recipe is None else recipe
    if not isinstance(base, Recipe):
        raise TypeError(f"recipe must be a lossbook.train.Recipe, got {type(base).__name__}")
    runs = tuple(runs)
    for kind in runs:
        if kind not in KINDS:
            raise ValueError(f"unknown run kind {kind!r}: use one of {KINDS}")
    if feature_layer not in ("batchnorm", "none", "prelu"):
        raise ValueError(f"feature_layer must be 'batchnorm', 'none' or 'prelu', got {feature_layer!r}")
    if len(set(runs)) != len(runs):
        raise ValueError(f"runs must not repeat a kind, got {runs}")
    for name, value in (("scale", scale), ("cosface_margin", cosface_margin),
                        ("arcface_margin", arcface_margin)):
        if not (isinstance(value, (int, float)) and math.isfinite(value)) or value < 0 or (
                name == "scale" and value == 0):
            raise ValueError(f"{name} must be a finite number {'> 0' if name == 'scale' else '>= 0'}, "
                             f"got {value!r}")
    jobs = [dict(kind=kind, train_size=train_size, test_size=test_size, recipe=base, scale=scale,
                 margins={"cosface": cosface_margin, "arcface": arcface_margin}, lam=lam,
                 alpha=alpha, ramp_epochs=ramp_epochs, seed=seed, channels=tuple(channels),
                 feature_layer=feature_layer, device=device, num_threads=num_threads)
            for kind in runs]
    outcomes = run_jobs(_margin_job, jobs, workers, progress, "2-D margin trainings")
    results = dict(zip(runs, outcomes))
    results["_meta"] = {"recipe": base, "scale": scale, "cosface_margin": cosface_margin,
                        "arcface_margin": arcface_margin, "lam": lam, "seed": seed,
                        "train_size": train_size, "feature_layer": feature_layer}
    return results


def _margin_job(job, progress=False):
    """One training of :func:`margin_features_mnist` (top level, so workers can run it)."""
    kind, seed, recipe = job["kind"], job["seed"], job["recipe"]
    with threads(job["num_threads"]):
        data = mnist_tensors("train", standardize=True, subset=job["train_size"], seed=seed)
        test_x, test_y = mnist_tensors("test", standardize=True, subset=job["test_size"], seed=seed + 1)
        torch.manual_seed(seed)
        layer = job["feature_layer"]
        model = LeNetPP(channels=job["channels"], feature_activation="prelu" if layer == "prelu" else "none")
        if layer == "batchnorm":
            model.feature_activation = torch.nn.BatchNorm1d(model.feature.out_features)
        steps_per_epoch = len(data[1]) // recipe.batch_size
        objective = _objective(kind, model, lam=job["lam"], alpha=job["alpha"],
                               ramp=int(round(job["ramp_epochs"] * steps_per_epoch)),
                               scale=job["scale"], margins=job["margins"])
        history = train(model, objective, data, recipe, test_data=(test_x, test_y), seed=seed,
                        test_every=recipe.epochs, device=job["device"], progress=progress,
                        desc=objective.name)
        device = next(model.parameters()).device
        features = _features(model, test_x.to(device))
        labels = test_y.numpy()
        directions = class_directions(features, labels)
        return {
            "name": objective.name,
            "kind": kind,
            "accuracy": history["test_accuracy"][-1],
            "features": features,
            "labels": labels,
            "weight": model.classifier.weight.detach().cpu().numpy().astype(np.float64),
            "directions": directions,
            "spread": angular_spread(features, labels),
            "inter": inter_class_angles(directions),
            "direction_accuracy": nearest_direction_accuracy(features, labels, directions),
            "median_norm": float(np.median(np.linalg.norm(features, axis=1))),
            "history": history,
            "time": history["time"][-1],
            "cpu_time": history["cpu_time"][-1],
            "train_size": len(data[1]),
            "parameters": count_parameters(model),
        }


# --- figures -----------------------------------------------------------------------------
def plot_circle(features, labels, *, weight=None, ax=None, title=None, max_points: int = 3000,
                legend: bool = False, seed: int = 0):
    """Normalised 2-D features on the unit circle, coloured by class (jittered radially so the
    density shows), with the class-weight directions :math:`\\hat W_j` as black spokes."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(4, 4), constrained_layout=True)
    u, labels = unit_rows(features), np.asarray(labels)
    if u.shape[1] != 2:
        raise ValueError(f"features must be 2-D to be drawn on the circle, got d = {u.shape[1]}")
    keep = np.arange(len(labels))[:max_points]
    radius = 1.0 + 0.12 * np.random.default_rng(seed).random(len(keep))
    colors = plt.get_cmap("tab10")
    theta = np.linspace(0, 2 * np.pi, 361)
    ax.plot(np.cos(theta), np.sin(theta), color="0.7", lw=0.8)
    for k in range(10):
        chosen = labels[keep] == k
        points = u[keep][chosen] * radius[chosen, None]
        ax.scatter(points[:, 0], points[:, 1], s=2, alpha=0.5, color=colors(k), label=str(k),
                   rasterized=True)
    if weight is not None:
        for k, w in enumerate(unit_rows(weight)):
            ax.plot([0, 0.85 * w[0]], [0, 0.85 * w[1]], color=colors(k), lw=1.2)
            ax.annotate(str(k), 0.72 * w, fontsize=7, ha="center", va="center")
    ax.set_xlim(-1.3, 1.3)
    ax.set_ylim(-1.3, 1.3)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=9)
    if legend:
        handles = ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5),
                            markerscale=4).legend_handles
        for handle in handles:
            handle.set_alpha(1.0)
    return ax
