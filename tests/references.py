"""Independent reference implementations, one per registry entry.

``REFERENCES[name](args, kwargs)`` computes the value with torch, scipy or scikit-learn from
the same ``(args, kwargs)`` that ``spec.example`` produces, never with lossbook. Where the
reference is a torch function it returns a torch result built from ``torch.as_tensor`` of the
arguments, so the harness can also compare gradients through it. ``FD_ONLY`` lists the
entries without a trustworthy library (catalog §R), with the reason; they are checked by
finite differences, autograd of our own formula and golden values.
"""
from __future__ import annotations

import numpy as np
import scipy.special as sp
import torch
import torch.nn.functional as F


def _t(x):
    """A float64 tensor sharing the example's values (class indices stay integer)."""
    return torch.as_tensor(x)


def _torch_unary(fn):
    return lambda args, kwargs: fn(_t(args[0]), **kwargs)


def _swish(args, kwargs):
    x, beta = _t(args[0]), _t(args[1]) if len(args) > 1 else kwargs.get("beta", 1.0)
    return x * torch.sigmoid(beta * x)


def _maxout(args, kwargs):
    x = _t(args[0])
    k = kwargs.get("num_pieces", 2)
    return x.view(*x.shape[:-1], x.shape[-1] // k, k).max(-1).values


def _hardmax(args, kwargs):
    x = np.asarray(args[0])
    dim = kwargs.get("dim", -1)
    moved = np.moveaxis(x, dim, -1)
    return np.moveaxis(np.eye(moved.shape[-1])[moved.argmax(-1)], -1, dim)


def _tk(kwargs):
    """The kwargs with every array converted to a tensor (for torch.nn.functional)."""
    return {k: (_t(v) if isinstance(v, np.ndarray) else v) for k, v in kwargs.items()}


def _torch_loss(fn):
    """``fn(input, target, **kwargs)`` on tensors: torch losses keep their PyTorch names."""
    return lambda args, kwargs: fn(_t(args[0]), _t(args[1]), **_tk(kwargs))


def _reduce_torch(loss, reduction):
    return {"none": loss, "sum": loss.sum(), "mean": loss.mean()}[reduction]


def _reduce_np(loss, reduction):
    return {"none": loss, "sum": np.sum(loss), "mean": np.mean(loss)}[reduction]


def _entropy_torch(args, kwargs):
    """torch.special.entr summed over the support axis (differentiable: -(log p + 1))."""
    dim, base = kwargs.get("dim", -1), kwargs.get("base")
    h = torch.special.entr(_t(args[0])).sum(dim)
    if base is not None:
        h = h / float(np.log(base))
    return _reduce_torch(h, kwargs.get("reduction", "mean"))


def _entropy_scipy(args, kwargs):
    import scipy.stats

    h = scipy.stats.entropy(args[0], base=kwargs.get("base"), axis=kwargs.get("dim", -1))
    return _reduce_np(h, kwargs.get("reduction", "mean"))


def _kl_torch(args, kwargs):
    """F.kl_div; its 'mean' is per element, which PyTorch announces with a UserWarning each call."""
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="reduction: 'mean' divides", category=UserWarning)
        return F.kl_div(_t(args[0]), _t(args[1]), **_tk(kwargs))


def _kl_scipy(args, kwargs):
    """sum(rel_entr(p, q)) with q = exp(input); p = exp(target) if log_target."""
    logq, target = args
    p = np.exp(target) if kwargs.get("log_target", False) else target
    terms = sp.rel_entr(p, np.exp(logq))
    reduction = kwargs.get("reduction", "mean")
    if reduction == "batchmean":
        return terms.sum() / logq.shape[0]
    return _reduce_np(terms, reduction)


def _cross_entropy_scipy(args, kwargs):
    """PyTorch's cross-entropy semantics rebuilt on scipy.special.log_softmax (class axis 1)."""
    x, y = args
    axis = 1 if x.ndim >= 2 else 0
    n_classes = x.shape[axis]
    log_p = np.moveaxis(sp.log_softmax(x, axis=axis), axis, -1)
    w = kwargs.get("weight")
    w = np.ones(n_classes) if w is None else np.asarray(w)
    eps = kwargs.get("label_smoothing", 0.0)
    reduction = kwargs.get("reduction", "mean")
    if np.issubdtype(np.asarray(y).dtype, np.floating):
        q = np.moveaxis(y, axis, -1) * (1 - eps) + eps / n_classes
        loss = -(q * w * log_p).sum(-1)
        return _reduce_np(loss, reduction)
    keep = y != kwargs.get("ignore_index", -100)
    y_safe = np.where(keep, y, 0)
    nll = -np.take_along_axis(log_p, y_safe[..., None], -1)[..., 0] * w[y_safe]
    smooth = -(log_p * w).sum(-1)
    loss = np.where(keep, (1 - eps) * nll + eps / n_classes * smooth, 0.0)
    if reduction == "mean":
        return loss.sum() / (w[y_safe] * keep).sum()
    return _reduce_np(loss, reduction)


REFERENCES = {
    # --- activations (catalog part A) ---
    "identity": lambda args, kwargs: torch.nn.Identity()(_t(args[0])),
    "sigmoid": _torch_unary(torch.sigmoid),
    "tanh": _torch_unary(torch.tanh),
    "softsign": _torch_unary(F.softsign),
    # PyTorch's definition ReLU6(x + 3) / 6 in torch ops: F.hardsigmoid's CPU backward
    # multiplies by a float32-rounded 1/6 even in float64 (see test_activations.py).
    "hardsigmoid": lambda args, kwargs: F.relu6(_t(args[0]) + 3.0) / 6.0,
    "hardtanh": _torch_unary(F.hardtanh),
    "relu": _torch_unary(F.relu),
    "leaky_relu": _torch_unary(F.leaky_relu),
    "prelu": lambda args, kwargs: F.prelu(_t(args[0]), _t(args[1])),
    "elu": _torch_unary(F.elu),
    "selu": _torch_unary(F.selu),
    "softplus": _torch_unary(F.softplus),
    "maxout": _maxout,
    "swish": _swish,
    "silu": _torch_unary(F.silu),
    "gelu": _torch_unary(F.gelu),
    "mish": _torch_unary(F.mish),
    "hardswish": _torch_unary(F.hardswish),
    "relu6": _torch_unary(F.relu6),
    "softmax": lambda args, kwargs: F.softmax(_t(args[0]), dim=kwargs.get("dim", -1)),
    "log_softmax": lambda args, kwargs: F.log_softmax(_t(args[0]), dim=kwargs.get("dim", -1)),
    "hardmax": _hardmax,
    "logsigmoid": _torch_unary(F.logsigmoid),
    # --- information-theoretic losses (catalog part B) ---
    "cross_entropy": _torch_loss(F.cross_entropy),
    "nll_loss": _torch_loss(F.nll_loss),
    "entropy": _entropy_torch,
    "kl_div": _kl_torch,
    "binary_cross_entropy": _torch_loss(F.binary_cross_entropy),
    "binary_cross_entropy_with_logits": _torch_loss(F.binary_cross_entropy_with_logits),
    "logistic_loss": _torch_loss(F.soft_margin_loss),
}

#: Second, non-torch references (scipy) for entries that have one: checked too.
SCIPY_REFERENCES = {
    "sigmoid": lambda args, kwargs: sp.expit(args[0]),
    "softmax": lambda args, kwargs: sp.softmax(args[0], axis=kwargs.get("dim", -1)),
    "log_softmax": lambda args, kwargs: sp.log_softmax(args[0], axis=kwargs.get("dim", -1)),
    "logsigmoid": lambda args, kwargs: sp.log_expit(args[0]),
    "gelu": lambda args, kwargs: args[0] * sp.ndtr(args[0]),
    "entropy": _entropy_scipy,
    "kl_div": _kl_scipy,
    "cross_entropy": _cross_entropy_scipy,
}

FD_ONLY: dict[str, str] = {}
