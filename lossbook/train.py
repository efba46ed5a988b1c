"""One training loop for the book's experiments, and the objectives it minimises.

:func:`train` runs mini-batch SGD (or Adam) on in-memory tensors with a fixed seed, on
``device="auto"`` (CUDA when present, else the CPU), shows a tqdm progress bar and returns
the history for plotting. On the CPU, the same seed gives the same numbers twice.

An *objective* is any callable ``objective(outputs, target) -> scalar loss``; it may also
define ``predict(outputs) -> class indices`` (default: argmax of the logits) and
``after_step(outputs, target)`` (called after each optimiser step; center loss moves its
centres there). The objectives below evaluate every loss through lossbook's own gradients
(:func:`lossbook.autograd.function`), never through ``torch.nn.functional``.
"""
from __future__ import annotations

import contextlib
import functools
import math
import time

import numpy as np
import torch

from . import _validate
from .autograd import function
from .losses.embedding import center_update

__all__ = [
    "train", "evaluate", "resolve_device", "History", "logits_of",
    "CrossEntropy", "OneHotMSE", "SoftmaxCenterLoss", "QuadraticCost", "BinaryCrossEntropyCost",
]


def resolve_device(device="auto") -> torch.device:
    """``'auto'`` -> CUDA if available, else CPU; anything else is passed to ``torch.device``."""
    if device == "auto" or device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def logits_of(outputs):
    """The logits of a model's outputs: the last element of a tuple, or the outputs."""
    return outputs[-1] if isinstance(outputs, (tuple, list)) else outputs


# --- objectives ---------------------------------------------------------------------------
class CrossEntropy:
    """Softmax cross-entropy on the logits (``lossbook.cross_entropy``)."""

    name = "softmax cross-entropy"

    def __init__(self):
        self.loss = function("cross_entropy")

    def __call__(self, outputs, target):
        return self.loss(logits_of(outputs), target)


class OneHotMSE:
    """MSE between one-hot targets and the raw outputs (``on='logits'``) or the softmax
    probabilities (``on='softmax'``), via ``lossbook.mse_loss`` (and ``lossbook.softmax``).

    ``scale`` multiplies the loss: ``mse_loss`` averages over the :math:`N\\times C`
    elements, so ``scale=C`` gives the per-sample squared error :math:`\\lVert\\cdot\\rVert^2`
    averaged over the batch.
    """

    def __init__(self, on: str = "logits", num_classes: int = 10, scale: float = 1.0):
        if on not in ("logits", "softmax"):
            raise ValueError(f"on must be 'logits' or 'softmax', got {on!r}")
        self.on, self.num_classes, self.scale = on, num_classes, float(scale)
        self.name = f"MSE on one-hot ({'raw outputs' if on == 'logits' else 'softmax outputs'})"
        self.loss = function("mse_loss")
        self.softmax = function("softmax")

    def __call__(self, outputs, target):
        z = logits_of(outputs)
        prediction = self.softmax(z, dim=-1) if self.on == "softmax" else z
        one_hot = torch.nn.functional.one_hot(target, self.num_classes).to(z.dtype)
        return self.scale * self.loss(prediction, one_hot)


class SoftmaxCenterLoss:
    r"""Joint supervision :math:`L = L_S + \lambda L_C` (Wen et al. 2016): softmax
    cross-entropy on the logits plus ``lam`` times ``lossbook.center_loss`` (``reduction``
    'mean', i.e. :math:`\tfrac1{2m}\sum\lVert x_i-c_{y_i}\rVert^2`) on the features; the
    centres are a buffer moved after each step by :func:`~lossbook.losses.embedding.center_update` with
    ``alpha`` (Eq. 4), not by the optimiser.

    ``ramp`` > 0 raises the weight linearly from ``lam / ramp`` to ``lam`` over the first
    ``ramp`` optimiser steps (the centres are updated from the start); 0 uses ``lam``
    throughout, as in the paper.
    """

    def __init__(self, lam: float = 0.01, alpha: float = 0.5, num_classes: int = 10,
                 feature_dim: int = 2, ramp: int = 0):
        self.lam, self.alpha, self.ramp = float(lam), float(alpha), int(ramp)
        self.name = f"softmax + center loss (λ = {lam:g})"
        self.centers = torch.zeros(num_classes, feature_dim)
        self.cross_entropy = function("cross_entropy")
        self.center_loss = function("center_loss")
        self.steps = 0

    @property
    def weight(self) -> float:
        r"""The current :math:`\lambda` (with the ramp applied)."""
        if self.ramp <= 0:
            return self.lam
        return self.lam * min(1.0, (self.steps + 1) / self.ramp)

    def __call__(self, outputs, target):
        features, logits = outputs
        if self.centers.device != features.device or self.centers.dtype != features.dtype:
            self.centers = self.centers.to(features.device, features.dtype)
        loss = self.cross_entropy(logits, target)
        if self.lam:
            loss = loss + self.weight * self.center_loss(features, target, self.centers)
        return loss

    def after_step(self, outputs, target):
        self.steps += 1
        self.centers = center_update(outputs[0].detach(), target, self.centers, alpha=self.alpha)


class QuadraticCost:
    """Nielsen's quadratic cost :math:`\\tfrac1{2m}\\sum_x\\lVert y - \\sigma(z)\\rVert^2`,
    i.e. ``(C/2) * lossbook.mse_loss(sigmoid(z), y)`` with :math:`C` outputs (the sigmoid
    and the loss both use lossbook's gradients). Targets: one-hot (or, for a single
    neuron, the target value)."""

    name = "quadratic"

    def __init__(self, num_classes: int | None = 10):
        self.num_classes = num_classes
        self.loss = function("mse_loss")
        self.sigmoid = function("sigmoid")

    def __call__(self, outputs, target):
        z = logits_of(outputs)
        y = _targets(target, z, self.num_classes)
        per_sample_elements = y[0].numel() if y.ndim > 1 else 1
        return 0.5 * per_sample_elements * self.loss(self.sigmoid(z), y)


class BinaryCrossEntropyCost:
    """Nielsen's cross-entropy cost
    :math:`-\\tfrac1m\\sum_x\\sum_j [y_j\\ln a_j + (1-y_j)\\ln(1-a_j)]` with
    :math:`a=\\sigma(z)`, i.e. ``C * lossbook.binary_cross_entropy_with_logits(z, y)``."""

    name = "cross-entropy"

    def __init__(self, num_classes: int | None = 10):
        self.num_classes = num_classes
        self.loss = function("binary_cross_entropy_with_logits")

    def __call__(self, outputs, target):
        z = logits_of(outputs)
        y = _targets(target, z, self.num_classes)
        per_sample_elements = y[0].numel() if y.ndim > 1 else 1
        return per_sample_elements * self.loss(z, y)


def _targets(target, z, num_classes):
    if target.dtype in (torch.int64, torch.int32) and num_classes:
        return torch.nn.functional.one_hot(target.long(), num_classes).to(z.dtype)
    return target.to(z.dtype)


# --- the loop -------------------------------------------------------------------------------
class History(dict):
    """Per-epoch records (lists keyed by name), plus ``history.summary`` (final numbers)."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def append(self, **values):
        for key, value in values.items():
            self.setdefault(key, []).append(value)

    @property
    def summary(self) -> dict:
        return {key: values[-1] for key, values in self.items() if values}


def _as_tensor(array, device, dtype=None):
    if isinstance(array, np.ndarray):
        array = torch.from_numpy(np.array(array, copy=not array.flags.writeable, order="C"))
    return array.to(device=device, dtype=dtype) if dtype is not None else array.to(device)


@torch.no_grad()
def evaluate(model, objective, data, *, batch_size: int = 2000, device="auto"):
    """Mean loss and accuracy of ``model`` on ``data = (inputs, targets)`` (no centre updates).

    Returns ``{"loss": float, "accuracy": float, "outputs": tuple or tensor}`` where
    ``outputs`` concatenates the model's outputs (on the CPU); ``accuracy`` is ``None``
    for real-valued targets.
    """
    device = resolve_device(device)
    inputs, targets = data
    was_training = model.training
    model.eval()
    total, correct, collected = 0.0, 0, []
    predict = getattr(objective, "predict", None)
    try:
        with _validate.validation(False):
            for start in range(0, len(inputs), batch_size):
                x = _as_tensor(inputs[start:start + batch_size], device)
                y = _as_tensor(targets[start:start + batch_size], device)
                outputs = model(x)
                total += float(objective(outputs, y)) * len(x)
                if not y.is_floating_point():
                    guess = predict(outputs) if predict else logits_of(outputs).argmax(-1)
                    correct += int((guess == y).sum())
                collected.append(tuple(o.cpu() for o in outputs) if isinstance(outputs, tuple)
                                 else outputs.cpu())
    finally:
        model.train(was_training)
    if isinstance(collected[0], tuple):
        outputs = tuple(torch.cat(parts) for parts in zip(*collected))
    else:
        outputs = torch.cat(collected)
    accuracy = None if _as_tensor(targets[:1], "cpu").is_floating_point() else correct / len(inputs)
    return {"loss": total / len(inputs), "accuracy": accuracy, "outputs": outputs}


def train(model, objective, data, *, epochs: int = 1, batch_size: int = 64, lr: float = 0.01,
          optimizer: str = "sgd", momentum: float = 0.0, weight_decay: float = 0.0,
          schedule: str | None = None, test_data=None, test_every: int = 1, seed: int = 0,
          device="auto",
          progress: bool = True, desc: str | None = None, num_threads: int | None = None,
          on_step=None, on_epoch=None, validate: bool = False) -> History:
    """Train ``model`` to minimise ``objective`` on ``data = (inputs, targets)``.

    Parameters
    ----------
    model : torch.nn.Module
        Initialised by the caller (seed the initialisation with ``torch.manual_seed``).
    objective : callable
        ``objective(outputs, target) -> loss`` (see the module docstring).
    data : (inputs, targets)
        Tensors or NumPy arrays, held in memory and moved to ``device`` once.
    epochs, batch_size, lr : training length, mini-batch size, learning rate.
        The last incomplete batch of an epoch is dropped.
    optimizer : {'sgd', 'adam'}
    momentum, weight_decay : float
        SGD momentum (Nesterov when positive) and L2 weight decay. Biases, PReLU slopes
        (every parameter with at most one dimension) and the parameters the model lists in
        a ``no_weight_decay`` attribute are not decayed.
    schedule : {None, 'onecycle', 'cosine'}
        Learning-rate schedule over all the steps (``'onecycle'`` warms up for 20 %).
    test_data : (inputs, targets), optional
        Evaluated every ``test_every`` epochs and after the last (``test_loss``,
        ``test_accuracy``; NaN for the epochs in between).
    seed : int
        Seeds the shuffling (and torch's global generator, for dropout and the like).
    device : 'auto', 'cpu', 'cuda', ...
    progress : bool
        A tqdm bar over the steps, with the running loss and accuracy.
    num_threads : int, optional
        ``torch.set_num_threads`` for the duration of the call.
    on_step : callable, optional
        ``on_step(model, outputs, target) -> dict or None``, called after ``backward()``
        and before the optimiser step (e.g. to read gradient norms); the values are
        averaged over the epoch into the history.
    on_epoch : callable, optional
        ``on_epoch(epoch, model) -> dict or None``; the values are appended to the history.
    validate : bool, default False
        Keep lossbook's input validation on inside the loop (off by default: the data were
        checked once; a non-finite loss still stops training with an error).

    Returns
    -------
    History
        Lists per epoch: ``epoch``, ``loss`` (mean training loss), ``accuracy`` (running
        training accuracy; only for integer class targets), ``time`` (wall seconds since the start), ``cpu_time`` (process
        CPU seconds), and ``test_loss``/``test_accuracy`` with ``test_data``.
    """
    device = resolve_device(device)
    previous_threads = torch.get_num_threads()
    if num_threads:
        torch.set_num_threads(num_threads)
    try:
        return _train(model, objective, data, epochs, batch_size, lr, optimizer, momentum,
                      weight_decay, schedule, test_data, test_every, seed, device, progress,
                      desc, on_step, on_epoch, validate)
    finally:
        torch.set_num_threads(previous_threads)


@functools.cache
def _progress_bar_class():
    """``tqdm.auto``'s bar without tqdm's monitor thread (which refreshes stalled bars from
    another thread): a subclass, so other bars in the session keep their monitor."""
    from tqdm.auto import tqdm

    return type("TrainingBar", (tqdm,), {"monitor_interval": 0})


def _train(model, objective, data, epochs, batch_size, lr, optimizer, momentum, weight_decay,
           schedule, test_data, test_every, seed, device, progress, desc, on_step, on_epoch,
           validate):
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    inputs = _as_tensor(data[0], device)
    targets = _as_tensor(data[1], device)
    n = len(inputs)
    if batch_size > n:
        raise ValueError(f"batch_size ({batch_size}) is larger than the data ({n} samples)")
    steps_per_epoch = n // batch_size
    model.to(device)
    exempt = set(getattr(model, "no_weight_decay", ()))
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if p.requires_grad:
            (no_decay if p.ndim <= 1 or name in exempt else decay).append(p)
    params = [{"params": decay}, {"params": no_decay, "weight_decay": 0.0}]
    if optimizer == "sgd":
        opt = torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay,
                              nesterov=momentum > 0)
    elif optimizer == "adam":
        opt = torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    else:
        raise ValueError(f"optimizer must be 'sgd' or 'adam', got {optimizer!r}")
    total_steps = epochs * steps_per_epoch
    if schedule == "onecycle":
        scheduler = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=total_steps,
                                                        pct_start=0.2)
    elif schedule == "cosine":
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total_steps)
    elif schedule is None:
        scheduler = None
    else:
        raise ValueError(f"schedule must be None, 'onecycle' or 'cosine', got {schedule!r}")

    predict = getattr(objective, "predict", None)
    after_step = getattr(objective, "after_step", None)
    classify = not targets.is_floating_point()
    history = History()
    start_wall, start_cpu = time.perf_counter(), time.process_time()
    # The postfix rides on the rate-limited updates: few messages reach a notebook's frontend.
    bar = _progress_bar_class()(total=total_steps,
                                desc=desc or getattr(objective, "name", "training"),
                                disable=not progress, leave=True, mininterval=1.0)
    checks = contextlib.nullcontext() if validate else _validate.validation(False)
    try:
        with checks:
            for epoch in range(1, epochs + 1):
                model.train()
                order = torch.randperm(n, generator=generator).to(device)
                loss_sum = torch.zeros((), device=device)
                correct = torch.zeros((), device=device, dtype=torch.long)
                step_records: dict[str, list] = {}
                for step in range(steps_per_epoch):
                    index = order[step * batch_size:(step + 1) * batch_size]
                    x, y = inputs[index], targets[index]
                    outputs = model(x)
                    loss = objective(outputs, y)
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    if on_step is not None:
                        for key, value in (on_step(model, outputs, y) or {}).items():
                            if isinstance(value, torch.Tensor):
                                value = value.detach()
                            step_records.setdefault(key, []).append(float(value))
                    opt.step()
                    if scheduler is not None:
                        scheduler.step()
                    if after_step is not None:
                        after_step(outputs, y)
                    with torch.no_grad():
                        loss_sum += loss.detach()
                        if classify:
                            guess = predict(outputs) if predict else logits_of(outputs).argmax(-1)
                            correct += (guess == y).sum()
                    if progress and (step % 50 == 49 or step == steps_per_epoch - 1):
                        bar.set_postfix(epoch=epoch, loss=f"{loss.detach().item():.4f}",
                                        refresh=False)
                        bar.update(step % 50 + 1)
                mean_loss = float(loss_sum) / steps_per_epoch
                if not math.isfinite(mean_loss):
                    raise FloatingPointError(f"the training loss became {mean_loss} in epoch "
                                             f"{epoch}: lower the learning rate")
                record = {"epoch": epoch, "loss": mean_loss}
                if classify:
                    record["accuracy"] = int(correct) / (steps_per_epoch * batch_size)
                record.update({k: float(np.mean(v)) for k, v in step_records.items()})
                if test_data is not None:
                    if epoch % max(1, test_every) == 0 or epoch == epochs:
                        result = evaluate(model, objective, test_data, device=device)
                    else:
                        result = {"loss": math.nan, "accuracy": None if not classify else math.nan}
                    record["test_loss"] = result["loss"]
                    if result["accuracy"] is not None:
                        record["test_accuracy"] = result["accuracy"]
                if on_epoch is not None:
                    record.update(on_epoch(epoch, model) or {})
                record.update(time=time.perf_counter() - start_wall,
                              cpu_time=time.process_time() - start_cpu)
                history.append(**record)
    finally:
        bar.close()
    return history
