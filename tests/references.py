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


def _center_loss(args, kwargs):
    """KaiyangZhou/pytorch-center-loss's computation (distance matrix by expansion,
    ‖x‖² + ‖c‖² − 2x·c, then the label's column), rescaled from its Σ/B to ½ per sample.
    Its clamp to [1e-12, 1e12] of the masked matrix is left out: it adds (C−1)·1e-12 per row."""
    x, y, c = _t(args[0]), _t(args[1]).long(), _t(args[2])
    distmat = (x.pow(2).sum(1, keepdim=True) + c.pow(2).sum(1).unsqueeze(0)
               - 2.0 * x @ c.t())
    per_sample = 0.5 * distmat.gather(1, y.unsqueeze(1)).squeeze(1)
    reduction = kwargs.get("reduction", "mean")
    return {"none": per_sample, "sum": per_sample.sum(), "mean": per_sample.mean()}[reduction]


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
    # --- embedding (catalog part H) ---
    "center_loss": _center_loss,
}

#: Second, non-torch references (scipy) for entries that have one: checked too.
SCIPY_REFERENCES = {
    "sigmoid": lambda args, kwargs: sp.expit(args[0]),
    "softmax": lambda args, kwargs: sp.softmax(args[0], axis=kwargs.get("dim", -1)),
    "log_softmax": lambda args, kwargs: sp.log_softmax(args[0], axis=kwargs.get("dim", -1)),
    "logsigmoid": lambda args, kwargs: sp.log_expit(args[0]),
    "gelu": lambda args, kwargs: args[0] * sp.ndtr(args[0]),
}

FD_ONLY: dict[str, str] = {}
