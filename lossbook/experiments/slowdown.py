r"""Nielsen's learning-slowdown demonstration (chapter *learning_slowdown*).

A sigmoid output trained with the quadratic cost learns slowly when it is badly wrong,
while cross-entropy does not:

* :func:`single_neuron`, :func:`neuron_curves` and :func:`explore_single_neuron`: one
  neuron :math:`\sigma(wx+b)` on one example;
* :func:`sigmoid_output_gradients`: :math:`\partial C/\partial z` of both costs;
* :func:`learning_slowdown`: his sigmoid [784, 100, 10] network on MNIST under both costs.

Every training goes through :func:`lossbook.train.train`.
"""
from __future__ import annotations

import numpy as np
import torch

from ..activations import sigmoid, sigmoid_grad
from ..data import mnist_tensors
from ..losses.information import (binary_cross_entropy, binary_cross_entropy_grad,
                                  binary_cross_entropy_with_logits_grad)
from ..losses.regression import mse_loss_grad
from ..models import MLP, SigmoidNeuron
from ..train import BinaryCrossEntropyCost, QuadraticCost, Recipe, evaluate, threads, train
from ..cache import memoize
from ._jobs import run_jobs

__all__ = [
    "COSTS", "single_neuron", "sigmoid_output_gradients", "learning_slowdown", "neuron_curves",
    "explore_single_neuron",
]

#: Nielsen's costs for a sigmoid output, by name.
COSTS = {"quadratic": QuadraticCost, "cross_entropy": BinaryCrossEntropyCost}


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

    train(neuron, objective, (inputs, targets), Recipe(epochs=epochs, batch_size=1, lr=eta),
          device="cpu", progress=False, on_epoch=record)
    w, b = np.array(trace["weight"]), np.array(trace["bias"])
    states = [_neuron_state(cost, wi, bi, x, y) for wi, bi in zip(w, b)]
    return {"weight": w, "bias": b, "output": np.array([s[0] for s in states]),
            "cost": np.array([s[1] for s in states])}


def _single_neuron_output_rule(cost, weight, bias, eta, epochs, x, y):
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


@memoize
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
    histories = run_jobs(_slowdown_job, jobs, workers, progress, "learning-slowdown runs")
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
    with threads(job["num_threads"]):
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

        recipe = Recipe(epochs=job["epochs"], batch_size=batch_size, lr=job["eta"])
        history = train(model, objective, (train_x, train_y), recipe, test_data=(test_x, test_y),
                        seed=job["seed"], device=device, progress=progress,
                        desc=f"{job['cost']} η={job['eta']:g} seed {job['seed']}",
                        on_step=probe)
        if eval_every:
            _record_curve(curve, window, step[0] * batch_size, history["test_accuracy"][-1])
            history["curve"] = {k: np.array(v) for k, v in curve.items()}
        history["_sizes"] = (len(train_y), len(test_y))
        return history


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
    """Sliders for the starting point and the learning rate of :func:`neuron_curves`
    (27 states): live in Jupyter, precomputed frames on the website (a
    :class:`lossbook.widgets.FrameExplorer`)."""
    from ..widgets import FrameExplorer

    def draw(fig, **state):
        neuron_curves(epochs=epochs, axes=fig.subplots(1, 2), **state)

    return FrameExplorer(
        draw,
        {"weight": [-2.0, 0.6, 2.0], "bias": [-2.0, 0.9, 2.0], "eta": [0.005, 0.15, 1.0]},
        start={"weight": weight, "bias": bias, "eta": eta},
        live={"weight": (-4.0, 4.0), "bias": (-4.0, 4.0), "eta": (0.001, 3.0, "log")},
        name="Nielsen's single neuron", figsize=(8, 3),
        description="Cost relative to its start (left) and output (right) of the single neuron "
                    "over the epochs, for both costs; move the sliders for the start (w, b) "
                    "and the learning rate.")
