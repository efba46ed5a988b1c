"""One training loop for the book's experiments, the recipe it follows, and the objectives
it minimises.

:func:`train` runs a :class:`Recipe` (epochs, batches, optimiser, learning rate, schedule)
on in-memory tensors with a fixed seed, on ``device="auto"`` (CUDA when present, else the
CPU), shows a tqdm progress bar and returns the :class:`History` for plotting. On the CPU,
the same seed gives the same numbers twice. Every experiment of the book trains through it:
mini-batch SGD on MNIST, full-batch gradient descent or Adam on the toy problems, batches
drawn with replacement for the activation chapters' small networks.

An *objective* is any callable ``objective(outputs, target) -> scalar loss``; it may also
define ``predict(outputs) -> class indices`` (default: argmax of the logits) and
``after_step(outputs, target)`` (called after each optimiser step; center loss moves its
centres there). The objectives below evaluate every loss through lossbook's own gradients
(:func:`lossbook.autograd.function`), never through ``torch.nn.functional``.

:func:`threads` is the one place that limits torch's intra-op threads (tiny models train
faster on one).
"""
from __future__ import annotations

import contextlib
import dataclasses
import functools
import math
import numbers
import time

import numpy as np
import torch

from . import _validate
from .autograd import function
from .losses.embedding import center_update

__all__ = [
    "Recipe", "train", "evaluate", "threads", "resolve_device", "History", "logits_of",
    "GradientDescent", "CrossEntropy", "LogSoftmaxNLL", "OneHotMSE", "SoftmaxCenterLoss",
    "QuadraticCost", "BinaryCrossEntropyCost",
]

_OPTIMIZERS = ("sgd", "adam", "gd")
_SCHEDULES = (None, "onecycle", "cosine")
_SAMPLINGS = ("shuffle", "replacement")


# --- the recipe -----------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Recipe:
    r"""How :func:`train` trains: one immutable (hashable, picklable) object.

    Parameters
    ----------
    epochs : int, default 1
        Number of epochs; the history has one record per epoch.
    batch_size : int or None, default 64
        Mini-batch size. ``None``: full batch, every step on all the data in their order
        (gradient descent on the whole training set).
    lr : float, default 0.01
        Learning rate (the peak of the schedule).
    optimizer : {'sgd', 'adam', 'gd'}, default 'sgd'
        ``torch.optim.SGD`` (Nesterov momentum when ``momentum`` > 0), ``torch.optim.Adam``,
        or :class:`GradientDescent` (:math:`p \leftarrow p - \eta\nabla p`, written out).
    momentum : float, default 0
        SGD's momentum (only with ``optimizer='sgd'``).
    weight_decay : float, default 0
        L2 weight decay (not with ``'gd'``). Biases, PReLU slopes (every parameter with at
        most one dimension) and the parameters a model lists in a ``no_weight_decay``
        attribute are not decayed.
    schedule : {None, 'onecycle', 'cosine'}, default None
        Learning-rate schedule over all the steps (``'onecycle'`` warms up for 20 %).
    sampling : {'shuffle', 'replacement'}, default 'shuffle'
        How mini-batches are drawn: ``'shuffle'``, a fresh random permutation each epoch
        cut into batches (the last incomplete one is dropped); ``'replacement'``, each
        batch ``batch_size`` indices drawn uniformly with replacement (NumPy's
        ``default_rng(seed)``). Ignored for full batches.
    steps_per_epoch : int, optional
        Optimiser steps per epoch; default ``len(data) // batch_size`` (1 for full
        batches). With ``'shuffle'`` it may not exceed that.

    Examples
    --------
    >>> from lossbook.train import Recipe
    >>> recipe = Recipe(epochs=5, lr=0.03, momentum=0.9)
    >>> recipe.replace(epochs=1).epochs, recipe.epochs
    (1, 5)
    """

    epochs: int = 1
    batch_size: int | None = 64
    lr: float = 0.01
    optimizer: str = "sgd"
    momentum: float = 0.0
    weight_decay: float = 0.0
    schedule: str | None = None
    sampling: str = "shuffle"
    steps_per_epoch: int | None = None

    def __post_init__(self):
        _check_count("epochs", self.epochs)
        if self.batch_size is not None:
            _check_count("batch_size", self.batch_size)
        if self.steps_per_epoch is not None:
            _check_count("steps_per_epoch", self.steps_per_epoch)
        for name in ("lr", "momentum", "weight_decay"):
            value = getattr(self, name)
            if (isinstance(value, bool) or not isinstance(value, numbers.Real)
                    or not math.isfinite(value) or value < 0 or (name == "lr" and value == 0)):
                bound = "> 0" if name == "lr" else ">= 0"
                raise ValueError(f"{name} must be a finite number {bound}, got {value!r}")
        if self.optimizer not in _OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {_OPTIMIZERS}, got {self.optimizer!r}")
        if self.schedule not in _SCHEDULES:
            raise ValueError(f"schedule must be None, 'onecycle' or 'cosine', got {self.schedule!r}")
        if self.sampling not in _SAMPLINGS:
            raise ValueError(f"sampling must be 'shuffle' or 'replacement', got {self.sampling!r}")
        if self.momentum and self.optimizer != "sgd":
            raise ValueError(f"momentum applies to optimizer='sgd' only, got optimizer={self.optimizer!r}")
        if self.weight_decay and self.optimizer == "gd":
            raise ValueError("weight_decay is not available with optimizer='gd'; use 'sgd'")

    def replace(self, **changes) -> "Recipe":
        """A copy with some fields changed (``dataclasses.replace``)."""
        return dataclasses.replace(self, **changes)


def _check_count(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


# --- devices and threads ----------------------------------------------------------------------
def resolve_device(device="auto") -> torch.device:
    """``'auto'`` -> CUDA if available, else CPU; anything else is passed to ``torch.device``."""
    if device == "auto" or device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


@contextlib.contextmanager
def threads(n: int | None):
    """Context manager: ``torch.set_num_threads(n)`` inside the block, restored after
    (nothing changes if ``n`` is None or 0).

    The book's models are tiny: with several intra-op threads, synchronisation costs more
    than it saves, and on a busy machine it can slow training down by an order of magnitude.

    Examples
    --------
    >>> import torch
    >>> from lossbook.train import threads
    >>> with threads(1):
    ...     torch.get_num_threads()
    1
    """
    previous = torch.get_num_threads()
    if n:
        torch.set_num_threads(int(n))
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def logits_of(outputs):
    """The logits of a model's outputs: the last element of a tuple, or the outputs."""
    return outputs[-1] if isinstance(outputs, (tuple, list)) else outputs


# --- optimiser ----------------------------------------------------------------------------
class GradientDescent(torch.optim.Optimizer):
    r"""Plain gradient descent :math:`p \leftarrow p - \eta\,\nabla p`, as ``p -= lr * p.grad``.

    ``torch.optim.SGD`` without momentum computes the same step as ``p.add_(grad,
    alpha=-lr)``, which torch's vectorised CPU kernels fuse into one multiply-add (one
    rounding instead of two): the results differ in the last bit. This optimiser keeps the
    two-rounding update of a hand-written loop (``Recipe(optimizer='gd')``); with
    ``multiply_add=True`` it takes SGD's one-rounding update instead, bit for bit what
    ``torch.optim.SGD`` computes without momentum, weight decay or schedule, without its
    per-step bookkeeping (``Recipe(optimizer='sgd')`` in that case: a step of the slowdown
    chapter's MLP costs about a quarter less).
    """

    def __init__(self, params, lr: float, *, multiply_add: bool = False):
        super().__init__(params, {"lr": lr})
        self.multiply_add = multiply_add

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    if self.multiply_add:
                        p.add_(p.grad, alpha=-group["lr"])
                    else:
                        p -= group["lr"] * p.grad
        return loss


# --- objectives ---------------------------------------------------------------------------
class CrossEntropy:
    """Softmax cross-entropy on the logits (``lossbook.cross_entropy``)."""

    name = "softmax cross-entropy"

    def __init__(self):
        self.loss = function("cross_entropy")

    def __call__(self, outputs, target):
        return self.loss(logits_of(outputs), target)


class LogSoftmaxNLL:
    r"""Softmax cross-entropy written as the mean negative log-likelihood
    :math:`-\tfrac1N\sum_i \log\operatorname{softmax}(z_i)_{y_i}`, with
    ``lossbook.log_softmax`` (and its gradient) and a ``gather``: the activation chapters'
    training loss. It equals :class:`CrossEntropy` up to rounding."""

    name = "log-softmax NLL"

    def __init__(self):
        self.log_softmax = function("log_softmax")

    def __call__(self, outputs, target):
        return -self.log_softmax(logits_of(outputs)).gather(1, target[:, None]).mean()


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


def _optimizer(model, recipe: Recipe):
    """The recipe's optimiser, with weight decay only on the decayed parameters."""
    exempt = set(getattr(model, "no_weight_decay", ()))
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if p.requires_grad:
            (no_decay if p.ndim <= 1 or name in exempt else decay).append(p)
    params = [{"params": decay}, {"params": no_decay, "weight_decay": 0.0}]
    if recipe.optimizer == "sgd" and not (recipe.momentum or recipe.weight_decay or recipe.schedule):
        return GradientDescent(params, lr=recipe.lr, multiply_add=True)
    if recipe.optimizer == "sgd":
        return torch.optim.SGD(params, lr=recipe.lr, momentum=recipe.momentum,
                               weight_decay=recipe.weight_decay, nesterov=recipe.momentum > 0)
    if recipe.optimizer == "adam":
        return torch.optim.Adam(params, lr=recipe.lr, weight_decay=recipe.weight_decay)
    return GradientDescent(params, lr=recipe.lr)


def _scheduler(optimizer, recipe: Recipe, total_steps: int):
    if recipe.schedule == "onecycle":
        return torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=recipe.lr,
                                                   total_steps=total_steps, pct_start=0.2)
    if recipe.schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=total_steps)
    return None


class _Batches:
    """The index of every step's mini-batch (``None``: all the data), as the recipe says."""

    def __init__(self, recipe: Recipe, n: int, seed, device):
        self.sampling = "full" if recipe.batch_size is None else recipe.sampling
        self.n, self.device = n, device
        self.size = n if recipe.batch_size is None else recipe.batch_size
        if self.size > n:
            raise ValueError(f"batch_size ({self.size}) is larger than the data ({n} samples)")
        whole = 1 if self.sampling == "full" else n // self.size
        self.steps_per_epoch = recipe.steps_per_epoch or whole
        if self.sampling == "shuffle" and self.steps_per_epoch > whole:
            raise ValueError(f"steps_per_epoch ({self.steps_per_epoch}) exceeds the {whole} "
                             f"batches of a shuffled epoch")
        if self.sampling != "full" and seed is None:
            raise ValueError("seed must be an integer to draw mini-batches, got None")
        if self.sampling == "shuffle":
            self.generator = torch.Generator().manual_seed(seed)
        elif self.sampling == "replacement":
            self.rng = np.random.default_rng(seed)

    def epoch(self) -> list:
        """The batches of the next epoch."""
        if self.sampling == "full":
            return [None] * self.steps_per_epoch
        if self.sampling == "shuffle":
            order = torch.randperm(self.n, generator=self.generator).to(self.device)
            return [order[step * self.size:(step + 1) * self.size]
                    for step in range(self.steps_per_epoch)]
        return [torch.as_tensor(self.rng.integers(0, self.n, self.size)).to(self.device)
                for _ in range(self.steps_per_epoch)]


def train(model, objective, data, recipe: Recipe | None = None, *, test_data=None,
          test_every: int = 1, seed: int | None = 0, device="auto", progress: bool = True,
          desc: str | None = None, num_threads: int | None = None, on_step=None, on_epoch=None,
          validate="first") -> History:
    """Train ``model`` to minimise ``objective`` on ``data = (inputs, targets)`` by ``recipe``.

    Each step: forward, ``objective(outputs, target)``, ``zero_grad``, ``backward``,
    ``on_step``, the optimiser step, the schedule, the objective's ``after_step``.

    Parameters
    ----------
    model : torch.nn.Module
        Initialised by the caller (seed the initialisation with ``torch.manual_seed``).
    objective : callable
        ``objective(outputs, target) -> loss`` (see the module docstring).
    data : (inputs, targets)
        Tensors or NumPy arrays, held in memory and moved to ``device`` once.
    recipe : Recipe, optional
        Epochs, batches, optimiser, learning rate, schedule (default ``Recipe()``).
    test_data : (inputs, targets), optional
        Evaluated every ``test_every`` epochs and after the last (``test_loss``,
        ``test_accuracy``; NaN for the epochs in between).
    test_every : int, default 1
    seed : int or None, default 0
        Seeds the mini-batch draws and torch's global generator (for dropout and the
        like). ``None`` leaves torch's global generator alone (full batches only).
    device : 'auto', 'cpu', 'cuda', ...
    progress : bool
        A tqdm bar over the steps, with the running loss.
    desc : str, optional
        The bar's label (default: the objective's ``name``).
    num_threads : int, optional
        Torch's intra-op threads for the duration of the call (:func:`threads`).
    on_step : callable, optional
        ``on_step(model, outputs, target) -> dict or None``, called after ``backward()``
        and before the optimiser step (e.g. to read gradient norms); the values are
        averaged over the epoch into the history.
    on_epoch : callable, optional
        ``on_epoch(epoch, model) -> dict or None``, after the epoch's last step; the values
        are appended to the history.
    validate : {'first', True, False}, default 'first'
        Keep lossbook's input validation on for the first step only (bad data or
        hyper-parameters fail there with a clear error, and the later steps skip the
        checks), for every step, or never. A non-finite loss always stops training with an
        error.

    Returns
    -------
    History
        Lists per epoch: ``epoch``, ``loss`` (mean training loss over the epoch's steps, in
        the loss's dtype), ``accuracy`` (running training accuracy; only for integer class
        targets), ``time`` (wall seconds since the start), ``cpu_time`` (process CPU
        seconds), and ``test_loss``/``test_accuracy`` with ``test_data``.
    """
    recipe = Recipe() if recipe is None else recipe
    if not isinstance(recipe, Recipe):
        raise TypeError(f"recipe must be a lossbook.train.Recipe, got {type(recipe).__name__}")
    if validate not in ("first", True, False):
        raise ValueError(f"validate must be 'first', True or False, got {validate!r}")
    device = resolve_device(device)
    with contextlib.ExitStack() as stack:
        stack.enter_context(threads(num_threads))
        if seed is not None:
            torch.manual_seed(seed)
        inputs = _as_tensor(data[0], device)
        targets = _as_tensor(data[1], device)
        batches = _Batches(recipe, len(inputs), seed, device)
        model.to(device)
        optimizer = _optimizer(model, recipe)
        total_steps = recipe.epochs * batches.steps_per_epoch
        scheduler = _scheduler(optimizer, recipe, total_steps)
        # The postfix rides on the rate-limited updates: few messages reach a notebook's frontend.
        bar = stack.enter_context(_progress_bar_class()(
            total=total_steps, desc=desc or getattr(objective, "name", "training"),
            disable=not progress, leave=True, mininterval=1.0))
        predict = getattr(objective, "predict", None)
        after_step = getattr(objective, "after_step", None)
        classify = not targets.is_floating_point()
        history = History()
        start_wall, start_cpu = time.perf_counter(), time.process_time()
        for epoch in range(1, recipe.epochs + 1):
            model.train()
            loss_sum = None
            correct = torch.zeros((), device=device, dtype=torch.long)
            step_records: dict[str, list] = {}
            for step, index in enumerate(batches.epoch()):
                checked = validate is True or (validate == "first" and epoch == 1 and step == 0)
                with _validate.validation(checked):
                    x, y = (inputs, targets) if index is None else (inputs[index], targets[index])
                    outputs = model(x)
                    loss = objective(outputs, y)
                    optimizer.zero_grad(set_to_none=True)
                    loss.backward()
                    if on_step is not None:
                        for key, value in (on_step(model, outputs, y) or {}).items():
                            if isinstance(value, torch.Tensor):
                                value = value.detach()
                            step_records.setdefault(key, []).append(float(value))
                    optimizer.step()
                    if scheduler is not None:
                        scheduler.step()
                    if after_step is not None:
                        after_step(outputs, y)
                with torch.no_grad():
                    if loss_sum is None:
                        loss_sum = torch.zeros((), device=device, dtype=loss.dtype)
                    loss_sum += loss.detach()
                    if classify:
                        guess = predict(outputs) if predict else logits_of(outputs).argmax(-1)
                        correct += (guess == y).sum()
                if not bar.disable and (step % 50 == 49 or step == batches.steps_per_epoch - 1):
                    bar.set_postfix(epoch=epoch, loss=f"{loss.detach().item():.4f}", refresh=False)
                    bar.update(step % 50 + 1)
            mean_loss = float(loss_sum) / batches.steps_per_epoch
            if not math.isfinite(mean_loss):
                raise FloatingPointError(f"the training loss became {mean_loss} in epoch "
                                         f"{epoch}: lower the learning rate")
            record = {"epoch": epoch, "loss": mean_loss}
            if classify:
                record["accuracy"] = int(correct) / (batches.steps_per_epoch * batches.size)
            record.update({k: float(np.mean(v)) for k, v in step_records.items()})
            if test_data is not None:
                if epoch % max(1, test_every) == 0 or epoch == recipe.epochs:
                    result = evaluate(model, objective, test_data, device=device)
                else:
                    result = {"loss": math.nan, "accuracy": None if not classify else math.nan}
                record["test_loss"] = result["loss"]
                if result["accuracy"] is not None:
                    record["test_accuracy"] = result["accuracy"]
            if on_epoch is not None:
                with _validate.validation(validate is True):
                    record.update(on_epoch(epoch, model) or {})
            record.update(time=time.perf_counter() - start_wall,
                          cpu_time=time.process_time() - start_cpu)
            history.append(**record)
        return history


@functools.cache
def _progress_bar_class():
    """``tqdm.auto``'s bar without tqdm's monitor thread (which refreshes stalled bars from
    another thread): a subclass, so other bars in the session keep their monitor."""
    from tqdm.auto import tqdm

    return type("TrainingBar", (tqdm,), {"monitor_interval": 0})
