"""The small experiments of the activation chapters (*activations_saturating*,
*activations_rectifiers*), as tested functions.

* :func:`propagate`: push :math:`\\mathcal N(0, 1)` inputs through a deep stack of random dense
  layers and record, per layer, the mean and variance of the activations (forward) and the
  mean square of the back-propagated gradient (backward, through our ``_grad`` VJPs). It is
  the SELU self-normalisation experiment of Klambauer et al. (2017) and the
  vanishing-gradient picture of the saturating chapter.
* :func:`train_mlp`: a few hundred SGD steps (:func:`lossbook.train.train`) of a small deep
  MLP on scikit-learn's bundled 8x8 digits, with the activation *and* the log-softmax of the
  loss back-propagated by :mod:`lossbook.autograd` (our derivations). It records the training error and per-layer
  activation statistics (Glorot & Bengio 2010, Figs. 2-4; Krizhevsky et al. 2012, Fig. 1, in
  spirit). Each run takes about a second on one CPU core.
* :func:`stationary_point`: the minimum of a non-monotone activation (SiLU, GELU, Mish),
  located as the root of our analytic derivative.
* :func:`kink_table`: every kink convention of the registry next to what the pinned PyTorch
  returns there, for the chapters' tables.
* :func:`fit_prelu_slope`: PReLU's slope is a parameter learned by gradient descent.
* :func:`maxout_pieces`: lay out affine pieces the way :func:`lossbook.maxout` expects them.
* :func:`keras2_hard_sigmoid`: the older ``tf.keras`` (<= 2.15) hard sigmoid, for comparison
  figures only (it is not a registry entry; the book's ``hardsigmoid`` is PyTorch's).
"""
from __future__ import annotations

import functools
import html
import re
from dataclasses import dataclass, field

import numpy as np

from ..registry import get, names

__all__ = [
    "Propagation", "propagate", "init_weight", "INITS", "Training", "train_mlp", "digits",
    "stationary_point", "KinkTable", "kink_table", "maxout_pieces", "keras2_hard_sigmoid",
    "fit_prelu_slope",
]

#: Weight initialisations of :func:`init_weight`: name -> what it draws.
INITS = {
    "lecun_normal": "N(0, 1/fan_in)  (LeCun et al. 1998; what SELU assumes)",
    "he_normal": "N(0, 2/fan_in)  (He et al. 2015, for rectifiers)",
    "glorot_uniform": "U(-a, a), a = sqrt(6/(fan_in + fan_out))  (Glorot & Bengio 2010)",
    "standard_uniform": "U(-1/sqrt(fan_in), 1/sqrt(fan_in))  (the 'standard' init of Glorot & Bengio 2010)",
}


def init_weight(rng: np.random.Generator, fan_in: int, fan_out: int, init: str) -> np.ndarray:
    """A ``(fan_in, fan_out)`` float64 weight matrix drawn by the initialisation ``init``.

    Parameters
    ----------
    rng : numpy.random.Generator
    fan_in, fan_out : int
    init : {'lecun_normal', 'he_normal', 'glorot_uniform', 'standard_uniform'}
        See :data:`INITS`.

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook.experiments.activations import init_weight
    >>> w = init_weight(np.random.default_rng(0), 400, 300, "lecun_normal")
    >>> round(float(w.var() * 400), 1)
    1.0
    """
    if init == "lecun_normal":
        return rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in)
    if init == "he_normal":
        return rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)
    if init == "glorot_uniform":
        a = np.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-a, a, (fan_in, fan_out))
    if init == "standard_uniform":
        a = 1.0 / np.sqrt(fan_in)
        return rng.uniform(-a, a, (fan_in, fan_out))
    raise ValueError(f"init must be one of {sorted(INITS)}, got {init!r}")


# --- deep propagation ----------------------------------------------------------------------
@dataclass
class Propagation:
    """Per-layer statistics of :func:`propagate`; index ``l - 1`` holds layer ``l``.

    Attributes
    ----------
    name : str
        The activation.
    init : str
        The weight initialisation.
    mean : numpy.ndarray
        Shape ``(depth,)``. Mean (over samples and units) of the activations :math:`h_l`.
    var : numpy.ndarray
        Shape ``(depth,)``. Variance (over samples and units) of the activations :math:`h_l`.
    delta_ms : numpy.ndarray
        Shape ``(depth,)``. Mean square of :math:`\\delta_l = \\partial \\langle g, h_L\\rangle / \\partial a_l`,
        the gradient at the pre-activations :math:`a_l = h_{l-1}W_l`, for a random
        standard-normal :math:`g` at the top. The gradient of :math:`W_l` is
        :math:`h_{l-1}^\\top\\delta_l`, so a vanishing ``delta_ms`` means the layer stops learning.
    """

    name: str
    init: str
    mean: np.ndarray
    var: np.ndarray
    delta_ms: np.ndarray

    @property
    def depth(self) -> int:
        return len(self.mean)


def propagate(name: str, *, depth: int = 50, width: int = 128, n: int = 1000,
              init: str = "lecun_normal", seed: int = 0, **params) -> Propagation:
    """Propagate standard-normal inputs through ``depth`` random dense layers of ``name``.

    Layer :math:`l` computes :math:`h_l = f(h_{l-1}W_l)` (no bias, as in Klambauer et al.'s
    experiment), with :math:`W_l` drawn by ``init`` and :math:`h_0 \\sim \\mathcal N(0, 1)`.
    The backward pass starts from a standard-normal upstream gradient at :math:`h_L` and
    applies our VJPs (``REGISTRY[name].grad``), so it also exercises the derivations.

    Parameters
    ----------
    name : str
        An element-wise activation of the registry.
    depth, width, n : int
        Layers, units per layer, samples.
    init : str
        See :data:`INITS`.
    seed : int
    **params
        Hyper-parameters of the activation (e.g. ``negative_slope``).

    Returns
    -------
    Propagation

    Examples
    --------
    >>> from lossbook.experiments.activations import propagate
    >>> p = propagate("selu", depth=20, width=64, n=200)
    >>> bool(abs(p.mean[-1]) < 0.2 and 0.7 < p.var[-1] < 1.3)
    True
    """
    spec = get(name)
    if spec.is_loss or spec.curve is None:
        raise ValueError(f"{name} is not an element-wise activation")
    rng = np.random.default_rng(seed)
    h0 = rng.standard_normal((n, width))
    weights = [init_weight(rng, width, width, init) for _ in range(depth)]
    upstream = rng.standard_normal((n, width))
    hidden, deltas = _forward_backward(spec, h0, weights, upstream, params)
    mean = np.array([h.mean() for h in hidden])
    var = np.array([h.var() for h in hidden])
    delta_ms = np.array([np.mean(d * d) for d in deltas])
    return Propagation(name, init, mean, var, delta_ms)


def _forward_backward(spec, h0, weights, upstream, params):
    """Activations :math:`h_l` and pre-activation gradients :math:`\\delta_l` of a bias-free stack.

    ``h_l = f(h_{l-1} W_l)``; the backward pass starts from ``upstream`` at the last layer and
    uses our VJP ``spec.grad``. Returns two lists indexed by layer (0 = the first layer).
    """
    hidden, pre = [], []
    h = h0
    for w in weights:
        a = h @ w
        h = np.asarray(spec.value(a, **params))
        pre.append(a)
        hidden.append(h)
    deltas = [None] * len(weights)
    g = upstream
    for layer in reversed(range(len(weights))):
        deltas[layer] = np.asarray(spec.grads(pre[layer], grad_output=g, **params)[0])
        g = deltas[layer] @ weights[layer].T
    return hidden, deltas


# --- training a small deep MLP ---------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def _digits_cached():
    from sklearn.datasets import load_digits

    data = load_digits()
    x = data.data.astype(np.float64)
    x = (x - x.mean(axis=0)) / (x.std(axis=0) + 1e-8)
    return x, data.target.astype(np.int64)


def digits():
    """scikit-learn's bundled 8x8 digits (1797 images, 10 classes), standardised per pixel.

    Returns copies ``(x, y)``: ``x`` float64 of shape (1797, 64), ``y`` int64 labels. No
    download is needed.
    """
    x, y = _digits_cached()
    return x.copy(), y.copy()


@dataclass
class Training:
    """What :func:`train_mlp` recorded.

    Attributes
    ----------
    name : str
        The activation.
    loss : numpy.ndarray
        Shape ``(steps,)``. Mini-batch loss at every step.
    record_steps : numpy.ndarray
        Integers: steps at which the quantities below were measured (0 = before training).
    train_error : numpy.ndarray
        Error rate on the training set at ``record_steps``.
    act_mean : numpy.ndarray
        Shape ``(len(record_steps), depth)``: mean of each hidden layer's activations on the
        fixed evaluation batch.
    act_std : numpy.ndarray
        The same shape: their standard deviation.
    act_p02 : numpy.ndarray
        The same shape: their 2nd percentile.
    act_p98 : numpy.ndarray
        The same shape: their 98th percentile.
    initial : list
        Of arrays: each hidden layer's activations on the evaluation batch before training
        (for histograms).
    final : list
        Of arrays: the same after training.
    """

    name: str
    loss: np.ndarray
    record_steps: np.ndarray
    train_error: np.ndarray
    act_mean: np.ndarray
    act_std: np.ndarray
    act_p02: np.ndarray
    act_p98: np.ndarray
    initial: list = field(default_factory=list)
    final: list = field(default_factory=list)

    def steps_to(self, error: float):
        """The first recorded step with training error at most ``error`` (None if never)."""
        hit = np.flatnonzero(self.train_error <= error)
        return int(self.record_steps[hit[0]]) if hit.size else None


def train_mlp(name: str, *, depth: int = 4, width: int = 64, steps: int = 300,
              batch_size: int = 32, lr: float = 0.1, init: str = "glorot_uniform", seed: int = 0,
              record_every: int = 25, eval_size: int = 300, **params) -> Training:
    """Train a ``depth``-hidden-layer MLP with activation ``name`` on :func:`digits` by plain SGD.

    The hidden activations are :class:`lossbook.autograd.Activation` modules and the loss is
    :math:`-\\log\\operatorname{softmax}(z)_y` with :func:`lossbook.log_softmax` back-propagated by
    :func:`lossbook.autograd.function`: every derivative of the nonlinearities is ours. Weights
    are drawn by ``init`` (NumPy, reproducible from ``seed``), biases start at 0, arithmetic is
    float64, on one torch thread. ``eval_size`` images are held out as the fixed batch on which activations are
    measured (Glorot & Bengio used 300 test images); the rest is the training set.

    Parameters
    ----------
    name : str
        An element-wise activation of the registry.
    depth, width : int
        Hidden layers and their width.
    steps, batch_size : int
    lr : float
        SGD learning rate.
    init : str
        See :data:`INITS`.
    seed : int
        Seeds the initialisation and the mini-batch order.
    record_every : int
        Measure the training error and activation statistics every this many steps.
    eval_size : int
    **params
        Hyper-parameters of the activation.

    Returns
    -------
    Training

    Examples
    --------
    >>> from lossbook.experiments.activations import train_mlp
    >>> run = train_mlp("relu", depth=2, width=32, steps=100, record_every=50)
    >>> run.record_steps.tolist(), bool(run.train_error[-1] < run.train_error[0])
    ([0, 50, 100], True)
    """
    import torch

    from ..models import DenseStack
    from ..train import LogSoftmaxNLL, Recipe, threads, train

    spec = get(name)
    if spec.is_loss or spec.curve is None:
        raise ValueError(f"{name} is not an element-wise activation")
    x, y = digits()
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(y))
    x_eval = torch.as_tensor(x[order[:eval_size]])
    x_train = torch.as_tensor(x[order[eval_size:]])
    y_train = torch.as_tensor(y[order[eval_size:]])
    dims = [x.shape[1]] + [width] * depth + [10]
    model = DenseStack([init_weight(rng, a, b, init) for a, b in zip(dims[:-1], dims[1:])],
                       name, **params)
    record_steps, errors, stats, activations = [], [], [], {}

    def record(step, model):
        if step % record_every and step != steps:
            return
        with torch.no_grad():
            errors.append(float((model(x_train).argmax(1) != y_train).double().mean()))
            hidden = model.hidden(x_eval)
        record_steps.append(step)
        stats.append([(h.mean(), h.std(), *np.percentile(h, [2, 98])) for h in hidden])
        activations["initial" if step == 0 else "final"] = hidden

    # One step per epoch, on batch_size images drawn with replacement (NumPy, seed + 1).
    recipe = Recipe(epochs=steps, batch_size=batch_size, lr=lr, optimizer="gd",
                    sampling="replacement", steps_per_epoch=1)
    # The matrices are tiny: extra threads only contend for the cores.
    with threads(1):
        record(0, model)
        history = train(model, LogSoftmaxNLL(), (x_train, y_train), recipe, seed=seed + 1,
                        device="cpu", progress=False, on_epoch=record)
    table = np.asarray(stats, dtype=np.float64)  # (records, depth, 4)
    return Training(name, np.asarray(history["loss"]), np.asarray(record_steps),
                    np.asarray(errors), table[..., 0], table[..., 1], table[..., 2],
                    table[..., 3], activations["initial"], activations.get("final", []))


def fit_prelu_slope(target_slope: float = 0.2, *, n: int = 512, steps: int = 100, lr: float = 0.2,
                    init: float = 0.25, noise: float = 0.05, seed: int = 0) -> np.ndarray:
    """Learn PReLU's slope :math:`a` from data :math:`y = \\operatorname{LeakyReLU}_{a^*}(x) + \\varepsilon`.

    A :class:`lossbook.autograd.PReLU` (its backward is :func:`lossbook.prelu_grad`) is fitted
    by full-batch gradient descent on the mean squared error, from ``init`` (PyTorch's 0.25).

    Returns
    -------
    ndarray, shape (steps + 1,)
        The slope before training and after each step.

    Examples
    --------
    >>> from lossbook.experiments.activations import fit_prelu_slope
    >>> round(float(fit_prelu_slope(0.2)[-1]), 2)
    0.2
    """
    import torch

    from ..autograd import PReLU
    from ..train import Recipe, train

    rng = np.random.default_rng(seed)
    x = torch.as_tensor(rng.normal(0.0, 2.0, n))
    y = torch.where(x > 0, x, target_slope * x) + noise * torch.as_tensor(rng.standard_normal(n))
    layer = PReLU(1, init=init).double()
    history = [float(layer.weight.detach())]

    def squared_error(outputs, target):
        return torch.mean((outputs - target) ** 2)

    def record(epoch, model):
        history.append(float(model.weight.detach()))

    recipe = Recipe(epochs=steps, batch_size=None, lr=lr, optimizer="gd")
    train(layer, squared_error, (x, y), recipe, seed=None, device="cpu", progress=False,
          on_epoch=record)
    return np.asarray(history)


# --- facts about single activations ---------------------------------------------------------
def stationary_point(name: str, bracket=(-3.0, -0.1), **params):
    """The point where the derivative of ``name`` vanishes in ``bracket``, and the value there.

    The root of our analytic derivative, found by Brent's method to ``xtol=1e-14``. For SiLU,
    GELU and Mish it is the global minimum.

    Returns
    -------
    (float, float)
        :math:`x^*` and :math:`f(x^*)`.

    Examples
    --------
    >>> from lossbook.experiments.activations import stationary_point
    >>> x, f = stationary_point("silu")
    >>> round(x, 5), round(f, 5)
    (-1.27846, -0.27846)
    """
    from scipy.optimize import brentq

    spec = get(name)

    def slope(x):
        return float(spec.curve_values(np.array([x]), **params)[1][0])

    x = brentq(slope, *bracket, xtol=1e-14, rtol=1e-15)
    return x, float(spec.curve_values(np.array([x]), **params)[0][0])


def maxout_pieces(*pieces) -> np.ndarray:
    """Interleave affine pieces into the layout of :func:`lossbook.maxout`.

    ``maxout(maxout_pieces(z1, z2, ...), num_pieces=k)`` is the element-wise maximum of the
    ``k`` pieces (each shaped like the output).

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> from lossbook.experiments.activations import maxout_pieces
    >>> z = np.array([-2.0, 3.0])
    >>> lossbook.maxout(maxout_pieces(z, np.zeros(2)), num_pieces=2)   # ReLU
    array([0., 3.])
    """
    arrays = [np.asarray(p, dtype=np.float64) for p in pieces]
    stacked = np.stack(np.broadcast_arrays(*arrays), axis=-1)
    return stacked.reshape(stacked.shape[:-2] + (-1,))


def keras2_hard_sigmoid(x):
    """The hard sigmoid of ``tf.keras`` up to 2.15, :math:`\\operatorname{clip}(0.2x + 0.5, 0, 1)`.

    For comparison only: PyTorch and Keras 3 (and :func:`lossbook.hardsigmoid`) use
    :math:`\\operatorname{clip}(x/6 + 1/2, 0, 1)`. The breakpoints are :math:`\\pm2.5`
    instead of :math:`\\pm3`, and at :math:`x = 1` the two give 0.7 and 0.6667.

    Examples
    --------
    >>> from lossbook.experiments.activations import keras2_hard_sigmoid
    >>> keras2_hard_sigmoid([-3.0, 1.0, 3.0])
    array([0. , 0.7, 1. ])
    """
    return np.clip(0.2 * np.asarray(x, dtype=np.float64) + 0.5, 0.0, 1.0)


# --- kink conventions ---------------------------------------------------------------------
def _torch_reference(spec):
    """The torch function named first in ``spec.reference`` (e.g. ``torch.nn.functional.elu``)."""
    import torch

    first = spec.reference.split(";")[0].strip()
    if not re.fullmatch(r"torch(\.\w+)+", first):
        return None
    obj = torch
    for part in first.split(".")[1:]:
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj if callable(obj) else None


def _fmt(values) -> str:
    def one(v):
        a = np.asarray(v, dtype=np.float64)
        return f"{float(a):.6g}" if a.ndim == 0 else "[" + ", ".join(f"{t:.6g}" for t in a.ravel()) + "]"

    return "; ".join(one(v) for v in values)


@dataclass
class KinkTable:
    """Rows of :func:`kink_table`; renders as an HTML table in notebooks."""

    rows: list  # dicts: function, id, point, lossbook, torch, agree, note

    COLUMNS = (("function", "function"), ("id", "catalog"), ("point", "at"),
               ("lossbook", "lossbook gradient"), ("torch", "PyTorch autograd"), ("note", "convention"))

    def __repr__(self) -> str:
        return "\n".join(" | ".join(str(r[key]) for key, _ in self.COLUMNS) for r in self.rows)

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(title)}</th>" for _, title in self.COLUMNS)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(str(r[key]))}</td>" for key, _ in self.COLUMNS)
                       + "</tr>" for r in self.rows)
        return f"<table><tr>{head}</tr>{body}</table>"

    @property
    def all_agree(self) -> bool:
        """Whether every convention with a torch reference matches it exactly."""
        return all(r["agree"] is not False for r in self.rows)


def kink_table(names=None) -> KinkTable:
    """The kink conventions of ``names`` (default: every activation with kinks).

    For each :class:`~lossbook._spec.Kink` it lists the point, the gradient lossbook returns
    there, the gradient the installed PyTorch's own function returns there (autograd,
    float64, ``grad_output`` = ones), and the documented convention. ``agree`` is None where
    PyTorch has no such function (maxout, hardmax).

    Examples
    --------
    >>> from lossbook.experiments.activations import kink_table
    >>> table = kink_table(["relu", "elu"])
    >>> [(r["function"], r["lossbook"], r["torch"]) for r in table.rows]
    [('relu', '0', '0'), ('elu', '1', '1')]
    """
    import torch

    if names is None:
        names = [n for n in _activation_names() if get(n).kinks]
    rows = []
    for name in names:
        spec = get(name)
        reference = _torch_reference(spec)
        for kink in spec.kinks:
            ours = spec.grads(*kink.args, **kink.kwargs)
            theirs, agree = None, None
            if reference is not None:
                targs = [torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=i in spec.wrt)
                         for i, a in enumerate(kink.args)]
                out = reference(*targs, **kink.kwargs)
                grads = torch.autograd.grad(out, [targs[i] for i in spec.wrt], torch.ones_like(out))
                theirs = [g.numpy() for g in grads]
                agree = all(np.array_equal(np.asarray(o), t) for o, t in zip(ours, theirs))
            rows.append({"function": name, "id": spec.catalog_id, "point": _fmt(kink.args),
                         "lossbook": _fmt(ours), "torch": "—" if theirs is None else _fmt(theirs),
                         "agree": agree, "note": kink.note})
    return KinkTable(rows)


def _activation_names():
    return names("activation")
