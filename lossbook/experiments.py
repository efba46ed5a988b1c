"""The book's two experiments, as functions that return their numbers (the chapters call them).

* :func:`single_neuron` and :func:`learning_slowdown`: Nielsen's demonstration that a
  sigmoid output trained with the quadratic cost learns slowly when it is badly wrong,
  while cross-entropy does not (``chapters/learning_slowdown``).
* :func:`center_loss_mnist`: 2-D deep features on MNIST under softmax cross-entropy, MSE
  on one-hot targets, and softmax + center loss (Wen et al. 2016, Figs. 2–3;
  ``chapters/mnist_features``).

Feature geometry is measured by :func:`class_centers`, :func:`compactness` and
:func:`nearest_center_accuracy`.
"""
from __future__ import annotations

import numpy as np
import torch

from .data import load_mnist
from .models import MLP, LeNetPP, SigmoidNeuron, count_parameters
from .train import (BinaryCrossEntropyCost, CrossEntropy, OneHotMSE, QuadraticCost,
                    SoftmaxCenterLoss, evaluate, train)

__all__ = [
    "single_neuron", "learning_slowdown", "center_loss_mnist", "mnist_tensors",
    "class_centers", "compactness", "nearest_center_accuracy", "COSTS",
    "sigmoid_output_gradients", "neuron_curves", "explore_single_neuron", "RECIPE",
    "plot_features", "explore_features",
]

#: Nielsen's costs for a sigmoid output, by name.
COSTS = {"quadratic": QuadraticCost, "cross_entropy": BinaryCrossEntropyCost}

_MEAN, _STD = 0.1307, 0.3081   # MNIST training-set pixel statistics (for the CNN)


# --- data -----------------------------------------------------------------------------------
def mnist_tensors(split: str = "train", *, subset: int | None = None, standardize: bool = False,
                  flatten: bool = False, seed: int = 0):
    """MNIST as float32 tensors: images in [0, 1] (or standardised) and int64 labels.

    ``subset`` keeps that many images, chosen at random with ``seed`` (class frequencies are
    preserved in expectation); ``flatten`` gives (N, 784), otherwise (N, 1, 28, 28).
    """
    images, labels = load_mnist(split)
    index = np.arange(len(labels))
    if subset is not None and subset < len(labels):
        index = np.sort(np.random.default_rng(seed).choice(len(labels), subset, replace=False))
    x = images[index].astype(np.float32) / 255.0
    if standardize:
        x = (x - _MEAN) / _STD
    x = x.reshape(len(index), -1) if flatten else x.reshape(len(index), 1, 28, 28)
    return torch.from_numpy(x), torch.from_numpy(labels[index].copy())


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


# --- learning slowdown ------------------------------------------------------------------
def single_neuron(cost: str = "quadratic", weight: float = 0.6, bias: float = 0.9, *,
                  eta: float = 0.15, epochs: int = 300, x: float = 1.0, y: float = 0.0,
                  rule: str = "gradient") -> dict:
    r"""Train Nielsen's neuron :math:`a=\sigma(wx+b)` on one example, one step per epoch.

    Parameters
    ----------
    cost : {'quadratic', 'cross_entropy'}
        :math:`C=\tfrac12(a-y)^2` or :math:`C=-[y\ln a+(1-y)\ln(1-a)]`.
    weight, bias : float
        The starting point.
    eta : float
        Learning rate.
    epochs : int
        Number of gradient steps.
    x, y : float
        The input and the target (Nielsen: 1 and 0).
    rule : {'gradient', 'dC/da'}
        ``'gradient'`` trains with :func:`lossbook.train.train` and lossbook's gradients
        (the correct rule, :math:`w \leftarrow w-\eta\,\partial C/\partial w`).
        ``'dC/da'`` steps by :math:`\eta\,x\,\partial C/\partial a` and
        :math:`\eta\,\partial C/\partial a` instead, i.e. without the factor
        :math:`\sigma'(z)`: a hypothesis for what the widgets of Nielsen's chapter 3 do
        (it reproduces their fast cross-entropy curves at :math:`\eta=0.005`).

    Returns
    -------
    dict
        ``cost``, ``output``, ``weight``, ``bias``: arrays of length ``epochs + 1`` (before
        each step, and after the last).
    """
    if cost not in COSTS:
        raise ValueError(f"cost must be one of {sorted(COSTS)}, got {cost!r}")
    if rule == "gradient":
        return _single_neuron_gradient(cost, weight, bias, eta, epochs, x, y)
    if rule == "dC/da":
        return _single_neuron_output_rule(cost, weight, bias, eta, epochs, x, y)
    raise ValueError(f"rule must be 'gradient' or 'dC/da', got {rule!r}")


def _neuron_state(cost, w, b, x, y):
    from . import binary_cross_entropy, sigmoid

    a = float(sigmoid(np.array([w * x + b]))[0])
    if cost == "quadratic":
        c = 0.5 * (a - y) ** 2
    else:
        c = float(binary_cross_entropy(np.array([a]), np.array([y])))
    return a, c


def _single_neuron_gradient(cost, weight, bias, eta, epochs, x, y):
    neuron = SigmoidNeuron(weight, bias).double()
    inputs = torch.tensor([x], dtype=torch.float64)
    targets = torch.tensor([y], dtype=torch.float64)
    objective = COSTS[cost](num_classes=None)
    trace = {"weight": [weight], "bias": [bias]}

    def record(epoch, model):
        trace["weight"].append(model.weight.item())
        trace["bias"].append(model.bias.item())

    train(neuron, objective, (inputs, targets), epochs=epochs, batch_size=1, lr=eta,
          device="cpu", progress=False, on_epoch=record)
    w, b = np.array(trace["weight"]), np.array(trace["bias"])
    states = [_neuron_state(cost, wi, bi, x, y) for wi, bi in zip(w, b)]
    return {"weight": w, "bias": b, "output": np.array([s[0] for s in states]),
            "cost": np.array([s[1] for s in states])}


def _single_neuron_output_rule(cost, weight, bias, eta, epochs, x, y):
    from . import binary_cross_entropy_grad, mse_loss_grad

    w, b = float(weight), float(bias)
    ws, bs = [w], [b]
    for _ in range(epochs):
        a, _ = _neuron_state(cost, w, b, x, y)
        if cost == "quadratic":     # dC/da of ½(a−y)² = ½ · d/da mse_loss
            dc_da = 0.5 * float(mse_loss_grad(np.array([a]), np.array([y]))[0])
        else:
            dc_da = float(binary_cross_entropy_grad(np.array([a]), np.array([y]))[0])
        w, b = w - eta * x * dc_da, b - eta * dc_da
        ws.append(w)
        bs.append(b)
    w, b = np.array(ws), np.array(bs)
    states = [_neuron_state(cost, wi, bi, x, y) for wi, bi in zip(w, b)]
    return {"weight": w, "bias": b, "output": np.array([s[0] for s in states]),
            "cost": np.array([s[1] for s in states])}


def sigmoid_output_gradients(z, y: float = 0.0) -> dict:
    r""":math:`\partial C/\partial z` of a sigmoid output for both costs, from lossbook's
    gradients: quadratic :math:`(a-y)\sigma'(z)` and cross-entropy :math:`a-y`."""
    from . import binary_cross_entropy_with_logits_grad, mse_loss_grad, sigmoid, sigmoid_grad

    z = np.asarray(z, dtype=np.float64)
    a = sigmoid(z)
    target = np.full_like(z, y)
    quadratic = 0.5 * mse_loss_grad(a, target, reduction="none") * sigmoid_grad(z)
    cross_entropy = binary_cross_entropy_with_logits_grad(z, target, reduction="none")
    return {"quadratic": quadratic, "cross_entropy": cross_entropy}


def _record_curve(curve, window, images, accuracy):
    """Append one point: accuracy now, and the means of the per-step probes since the last."""
    curve["images"].append(images)
    curve["accuracy"].append(accuracy)
    for key, values in window.items():
        curve[key].append(float(np.mean(values)) if values else float("nan"))
        values.clear()


def learning_slowdown(costs=("quadratic", "cross_entropy"), *, seeds=(0, 1, 2), epochs: int = 3,
                      etas=None, train_size: int = 50000, test_size: int = 10000,
                      batch_size: int = 10, hidden: int = 100, init: str = "normal",
                      hidden_activation="sigmoid", eval_every: int | None = 500,
                      device="cpu", progress: bool = True, num_threads: int | None = 1,
                      workers: int = 1) -> dict:
    r"""Nielsen's sigmoid [784, hidden, 10] network on MNIST, quadratic vs cross-entropy cost.

    Parameters
    ----------
    costs : sequence of {'quadratic', 'cross_entropy'}
    seeds : sequence of int
        One run per seed and cost (the seed fixes the initialisation and the shuffling).
    epochs : int
    etas : dict, optional
        Learning rate per cost; default Nielsen's: 3.0 (quadratic), 0.5 (cross-entropy).
    train_size, test_size : int
        Training images (Nielsen holds out 10 000 of the 60 000 for validation and trains
        on 50 000) and test images.
    batch_size : int, default 10
    hidden : int, default 100
    init : {'normal', 'scaled', 'torch'}, default 'normal'
        :math:`\mathcal N(0,1)` weights and biases saturate many sigmoid units from the start.
    hidden_activation : str or torch.nn.Module, default 'sigmoid'
        The hidden layer's activation (see :class:`~lossbook.models.MLP`); the output
        sigmoid is always lossbook's, inside the cost.
    eval_every : int, optional
        Also record the test accuracy every that many mini-batches (``curve``).
    device, progress, num_threads : passed to :func:`lossbook.train.train`
        (one thread is fastest for these tiny matrices).
    workers : int, default 1
        Run the trainings in this many processes at once (each with ``num_threads``
        threads); the numbers are the same as in one process.

    Returns
    -------
    dict
        ``runs[cost][seed]``: the :class:`~lossbook.train.History` (per epoch ``loss``,
        ``test_accuracy``, ``output_grad_norm`` = mean Frobenius norm of the output layer's
        weight gradient over the epoch's mini-batches, ``saturated`` = fraction of output
        activations within 0.01 of 0 or 1 while training, times), and ``summary[cost]``:
        arrays over seeds of the per-epoch test accuracy. Each history also holds ``curve``,
        a dict of arrays sampled every ``eval_every`` mini-batches from the untrained
        network on: ``images`` seen, test ``accuracy``, and the means of
        ``output_grad_norm`` and ``saturated`` over the mini-batches since the previous
        point (NaN at the first).
    """
    etas = {"quadratic": 3.0, "cross_entropy": 0.5, **(etas or {})}
    common = dict(epochs=epochs, train_size=train_size, test_size=test_size, batch_size=batch_size,
                  hidden=hidden, init=init, hidden_activation=hidden_activation,
                  eval_every=eval_every, device=device, num_threads=num_threads)
    jobs = [dict(common, cost=cost, seed=seed, eta=etas[cost]) for cost in costs for seed in seeds]
    histories = _run_jobs(_slowdown_job, jobs, workers, progress, "learning-slowdown runs")
    runs: dict = {cost: {} for cost in costs}
    for job, history in zip(jobs, histories):
        runs[job["cost"]][job["seed"]] = history
    summary = {cost: np.array([runs[cost][s]["test_accuracy"] for s in seeds]) for cost in costs}
    sizes = histories[0].pop("_sizes")
    for history in histories[1:]:
        history.pop("_sizes")
    return {"runs": runs, "summary": summary, "etas": etas, "seeds": tuple(seeds),
            "epochs": epochs, "train_size": sizes[0], "test_size": sizes[1]}


def _slowdown_job(job, progress=False):
    """One (cost, seed) run of :func:`learning_slowdown` (top level, so workers can run it)."""
    with _threads(job["num_threads"]):
        train_x, train_y = mnist_tensors("train", subset=job["train_size"], flatten=True)
        test_x, test_y = mnist_tensors("test", subset=job["test_size"], flatten=True)
        torch.manual_seed(job["seed"])
        model = MLP((784, job["hidden"], 10), activation=job["hidden_activation"], init=job["init"])
        objective = COSTS[job["cost"]]()
        eval_every, batch_size, device = job["eval_every"], job["batch_size"], job["device"]
        curve = {"images": [], "accuracy": [], "output_grad_norm": [], "saturated": []}
        window = {"output_grad_norm": [], "saturated": []}
        step = [0]

        def probe(model, outputs, target):
            if eval_every and step[0] % eval_every == 0:
                _record_curve(curve, window, step[0] * batch_size,
                              evaluate(model, objective, (test_x, test_y), device=device)["accuracy"])
            step[0] += 1
            with torch.no_grad():
                a = torch.sigmoid(outputs)
                values = {"output_grad_norm": float(model.output_layer.weight.grad.norm()),
                          "saturated": float(((a < 0.01) | (a > 0.99)).float().mean())}
            for key, value in values.items():
                window[key].append(value)
            return values

        history = train(
            model, objective, (train_x, train_y), epochs=job["epochs"], batch_size=batch_size,
            lr=job["eta"], test_data=(test_x, test_y), seed=job["seed"], device=device,
            progress=progress, desc=f"{job['cost']} η={job['eta']:g} seed {job['seed']}",
            num_threads=job["num_threads"], on_step=probe)
        if eval_every:
            _record_curve(curve, window, step[0] * batch_size, history["test_accuracy"][-1])
            history["curve"] = {k: np.array(v) for k, v in curve.items()}
        history["_sizes"] = (len(train_y), len(test_y))
        return history


# --- running several trainings -------------------------------------------------------------
class _threads:
    """Context manager: ``torch.set_num_threads(n)`` inside (nothing if ``n`` is None)."""

    def __init__(self, n):
        self.n = n

    def __enter__(self):
        self.previous = torch.get_num_threads()
        if self.n:
            torch.set_num_threads(self.n)

    def __exit__(self, *exc):
        torch.set_num_threads(self.previous)


def _run_jobs(fn, jobs, workers, progress, what):
    """``[fn(job) for job in jobs]``, in ``workers`` processes when ``workers > 1``.

    In-process runs show one tqdm bar per training; with workers, one bar counts the
    finished trainings (the workers' own bars would go to their stderr, not here). Each
    worker is a fresh (spawned) interpreter that imports lossbook; results come back
    pickled, in the order of ``jobs``.
    """
    if workers in (None, 0, 1) or len(jobs) <= 1:
        return [fn(job, progress=progress) for job in jobs]
    import concurrent.futures as futures
    import multiprocessing

    from tqdm.auto import tqdm

    results = [None] * len(jobs)
    context = multiprocessing.get_context("spawn")
    with futures.ProcessPoolExecutor(max_workers=int(workers), mp_context=context) as pool:
        pending = {pool.submit(fn, job): index for index, job in enumerate(jobs)}
        with tqdm(total=len(jobs), desc=what, disable=not progress) as bar:
            for future in futures.as_completed(pending):
                results[pending[future]] = future.result()
                bar.update(1)
    return results


# --- 2-D features and center loss --------------------------------------------------------
#: The default training recipe of :func:`center_loss_mnist`.
RECIPE = dict(epochs=5, batch_size=64, lr=0.03, optimizer="sgd", momentum=0.9,
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


def center_loss_mnist(runs=("softmax", "mse_linear", "mse_softmax", "center"), *,
                      lam: float = 0.3, lambdas=(), alpha: float = 0.5, ramp_epochs: float = 1.0,
                      seed: int = 0,
                      recipe: dict | None = None, mse_recipe: dict | None = None,
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
    recipe, mse_recipe : dict, optional
        Overrides of :data:`RECIPE` (all runs; MSE runs).
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
    base = {**RECIPE, **(recipe or {})}
    mse = {**base, **(mse_recipe or {})}
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
                         settings=mse if kind.startswith("mse") else base, alpha=alpha,
                         ramp_epochs=ramp_epochs, snapshots=tuple(int(s) for s in snapshots),
                         snapshot_size=snapshot_size, centers_size=centers_size,
                         channels=tuple(channels), test_every=test_every, device=device,
                         num_threads=num_threads))
    outcomes = _run_jobs(_feature_job, jobs, workers, progress, "2-D feature trainings")
    results = {job["key"]: outcome for job, outcome in zip(jobs, outcomes)}
    results["_meta"] = {"recipe": base, "mse_recipe": mse, "alpha": alpha, "lam": lam,
                        "seed": seed, "channels": tuple(channels)}
    return results


def _feature_job(job, progress=False):
    """One training of :func:`center_loss_mnist` (top level, so workers can run it)."""
    kind, weight, seed, settings = job["kind"], job["weight"], job["seed"], job["settings"]
    with _threads(job["num_threads"]):
        data = mnist_tensors("train", standardize=True, subset=job["subset"], seed=seed)
        test_x, test_y = mnist_tensors("test", standardize=True)
        center_x, center_y = mnist_tensors("train", standardize=True, subset=job["centers_size"],
                                           seed=seed + 1)
        snapshot_x, snapshot_y = test_x[:job["snapshot_size"]], test_y[:job["snapshot_size"]]
        torch.manual_seed(seed)
        model = LeNetPP(channels=job["channels"])
        steps_per_epoch = len(data[1]) // settings["batch_size"]
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

        history = train(model, objective, data, test_data=(test_x, test_y), seed=seed,
                        test_every=job["test_every"] or settings["epochs"], device=job["device"],
                        progress=progress, desc=getattr(objective, "name", kind),
                        num_threads=job["num_threads"], on_step=snapshot if wanted else None,
                        **settings)
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


# --- interactive ------------------------------------------------------------------------------
def neuron_curves(weight: float = 2.0, bias: float = 2.0, eta: float = 0.15, epochs: int = 300,
                  rule: str = "gradient", axes=None):
    """Plot the cost and the output of Nielsen's neuron for both costs from one start.

    Returns the figure (static; :func:`explore_single_neuron` redraws it from sliders).
    """
    import matplotlib.pyplot as plt

    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(8, 3), constrained_layout=True)
    fig = axes[0].figure
    epochs_axis = np.arange(epochs + 1)
    for cost, label in (("quadratic", "quadratic"), ("cross_entropy", "cross-entropy")):
        run = single_neuron(cost, weight, bias, eta=eta, epochs=epochs, rule=rule)
        axes[0].plot(epochs_axis, run["cost"] / run["cost"][0], label=label)
        axes[1].plot(epochs_axis, run["output"], label=label)
    axes[0].set(xlabel="epoch", ylabel="cost / initial cost", ylim=(0, 1.05),
                title=f"start (w, b) = ({weight:g}, {bias:g}), η = {eta:g}"
                      + ("" if rule == "gradient" else ", step η·∂C/∂a"))
    axes[1].set(xlabel="epoch", ylabel="output a (target 0)", ylim=(0, 1))
    axes[0].legend()
    return fig


def explore_single_neuron(weight: float = 2.0, bias: float = 2.0, eta: float = 0.15,
                          epochs: int = 300):
    """Sliders for the starting point, the learning rate and the update rule of
    :func:`neuron_curves`: live in Jupyter, precomputed frames on the website
    (a :class:`lossbook.widgets.FrameExplorer`)."""
    from .widgets import FrameExplorer

    def draw(fig, **state):
        neuron_curves(epochs=epochs, axes=fig.subplots(1, 2), **state)

    return FrameExplorer(
        draw,
        {"weight": [-2.0, 0.6, 2.0], "bias": [-2.0, 0.9, 2.0], "eta": [0.005, 0.15, 1.0],
         "rule": ["gradient", "dC/da"]},
        start={"weight": weight, "bias": bias, "eta": eta},
        live={"weight": (-4.0, 4.0), "bias": (-4.0, 4.0), "eta": (0.001, 3.0, "log")},
        name="Nielsen's single neuron", figsize=(8, 3),
        description="Cost relative to its start (left) and output (right) of the single neuron "
                    "over the epochs, for both costs; move the sliders for the start (w, b), "
                    "the learning rate and the update rule.")


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
    from .widgets import FrameExplorer

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
