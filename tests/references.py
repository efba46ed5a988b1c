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


# --- imbalance and hard-example losses (catalog part D) ---
def _reduced(loss, kwargs):
    reduction = kwargs.get("reduction", "mean")
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss


def _torchvision_sigmoid_focal_loss(inputs, targets, alpha=0.25, gamma=2.0):
    """A transcription of ``torchvision.ops.sigmoid_focal_loss`` (reduction='none').

    torchvision is not installed in this project; these are its lines, unchanged (including the
    naive ``(1 - p_t) ** gamma``); ``alpha < 0`` switches alpha off, as there.
    """
    p = torch.sigmoid(inputs)
    ce_loss = F.binary_cross_entropy_with_logits(inputs, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce_loss * ((1 - p_t) ** gamma)
    if alpha >= 0:
        alpha_t = alpha * targets + (1 - alpha) * (1 - targets)
        loss = alpha_t * loss
    return loss


def _alpha_or_off(kwargs, default=0.25):
    alpha = kwargs.get("alpha", default)
    return -1.0 if alpha is None else alpha


def _balanced_cross_entropy(args, kwargs):
    x, t = _t(args[0]), _t(args[1]).to(torch.float64)
    alpha = _alpha_or_off(kwargs)
    weight = alpha * t + (1 - alpha) * (1 - t) if alpha >= 0 else None
    return F.binary_cross_entropy_with_logits(x, t, weight=weight, reduction=kwargs.get("reduction", "mean"))


def _sigmoid_focal_loss(args, kwargs):
    x, t = _t(args[0]), _t(args[1]).to(torch.float64)
    loss = _torchvision_sigmoid_focal_loss(x, t, _alpha_or_off(kwargs), kwargs.get("gamma", 2.0))
    return _reduced(loss, kwargs)


def _softmax_focal_loss(args, kwargs):
    # The F.cross_entropy composition: valid because alpha multiplies outside the CE (no class weights).
    z, y = _t(args[0]), _t(args[1])
    ce = F.cross_entropy(z, y, reduction="none")
    p_t = torch.exp(-ce)
    loss = (1 - p_t) ** kwargs.get("gamma", 2.0) * ce
    alpha = kwargs.get("alpha")
    if alpha is not None:
        loss = (torch.as_tensor(alpha, dtype=z.dtype)[y] if np.ndim(alpha) else alpha) * loss
    return _reduced(loss, kwargs)


def _class_balanced_loss(args, kwargs):
    """The official TF code (richardaecn/class-balanced-loss, src/cifar_main.py), in torch."""
    logits, labels = _t(args[0]), _t(args[1])
    beta, gamma = kwargs.get("beta", 0.9999), kwargs.get("gamma", 2.0)
    loss_type = kwargs.get("loss_type", "softmax")
    samples = np.asarray(kwargs["samples_per_class"])
    num_classes = logits.shape[1]
    effective_num = 1.0 - np.power(beta, samples)
    weights = (1.0 - beta) / np.array(effective_num)
    weights = weights / np.sum(weights) * num_classes
    one_hot = F.one_hot(labels, num_classes).to(logits.dtype)
    w = torch.as_tensor(weights, dtype=logits.dtype)[labels]
    if loss_type == "softmax":  # tf.losses.softmax_cross_entropy(one_hot, logits, weights=w)
        return _reduced(w * F.cross_entropy(logits, labels, reduction="none"), kwargs)
    bce = F.binary_cross_entropy_with_logits(logits, one_hot, reduction="none")
    if loss_type == "focal":  # the official focal_loss(labels, logits, alpha=w, gamma)
        modulator = torch.exp(-gamma * one_hot * logits - gamma * torch.log1p(torch.exp(-1.0 * logits)))
        bce = modulator * bce
    per_sample = (w[:, None] * bce).sum(1)
    if kwargs.get("reduction", "mean") == "mean":  # "Normalize by the total number of positive samples"
        return per_sample.sum() / one_hot.sum()
    return _reduced(per_sample, kwargs)


def _mmdet_ghm_weights(g, bins, last_edge):
    """Bin weights of mmdet's GHMC/GHMR.forward with momentum=0 and unit label weights.

    As in mmdet the edges are a float32 buffer (GHMC: last edge + 1e-6; GHMR: last edge 1e3).
    """
    edges = torch.arange(bins + 1).float() / bins
    if last_edge is None:
        edges[-1] += 1e-6
    else:
        edges[-1] = last_edge
    weights = torch.zeros_like(g)
    tot = max(float(g.numel()), 1.0)
    n = 0
    for i in range(bins):
        inds = (g >= edges[i]) & (g < edges[i + 1])
        num_in_bin = inds.sum().item()
        if num_in_bin > 0:
            weights[inds] = tot / num_in_bin
            n += 1
    if n > 0:
        weights = weights / n
    return weights, tot


def _ghm_c_loss(args, kwargs):
    """mmdet GHMC(bins, momentum=0, use_sigmoid=True) (mmdet/models/losses/ghm_loss.py), in torch."""
    pred, target = _t(args[0]), _t(args[1]).to(torch.float64)
    g = torch.abs(pred.sigmoid().detach() - target)
    weights, tot = _mmdet_ghm_weights(g, kwargs.get("bins", 10), None)
    loss = F.binary_cross_entropy_with_logits(pred, target, weights, reduction="none")
    if kwargs.get("reduction", "mean") == "mean":
        return loss.sum() / tot
    return _reduced(loss, kwargs)


def _ghm_r_loss(args, kwargs):
    """mmdet GHMR(mu, bins, momentum=0) (mmdet/models/losses/ghm_loss.py), in torch."""
    pred, target = _t(args[0]), _t(args[1])
    mu = kwargs.get("mu", 0.02)
    diff = pred - target
    loss = torch.sqrt(diff * diff + mu * mu) - mu
    g = torch.abs(diff / torch.sqrt(mu * mu + diff * diff)).detach()
    weights, tot = _mmdet_ghm_weights(g, kwargs.get("bins", 10), 1e3)
    loss = loss * weights
    if kwargs.get("reduction", "mean") == "mean":
        return loss.sum() / tot
    return _reduced(loss, kwargs)


def _poly1_loss(args, kwargs):
    # The paper's formula composed from F.cross_entropy (Leng et al. 2022, Eq. 3).
    z, y = _t(args[0]), _t(args[1])
    ce = F.cross_entropy(z, y, reduction="none")
    return _reduced(ce + kwargs.get("epsilon", 1.0) * (1 - torch.exp(-ce)), kwargs)


def _poly1_focal_loss(args, kwargs):
    # The paper's Poly-1 focal code: the torchvision focal loss plus epsilon * (1 - p_t)**(gamma + 1).
    x, t = _t(args[0]), _t(args[1]).to(torch.float64)
    gamma = kwargs.get("gamma", 2.0)
    focal = _torchvision_sigmoid_focal_loss(x, t, _alpha_or_off(kwargs), gamma)
    p = torch.sigmoid(x)
    p_t = p * t + (1 - p) * (1 - t)
    return _reduced(focal + kwargs.get("epsilon", 1.0) * (1 - p_t) ** (gamma + 1), kwargs)


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
    # --- imbalance and hard-example losses (catalog part D) ---
    "balanced_cross_entropy": _balanced_cross_entropy,
    "sigmoid_focal_loss": _sigmoid_focal_loss,
    "softmax_focal_loss": _softmax_focal_loss,
    "class_balanced_loss": _class_balanced_loss,
    "ghm_c_loss": _ghm_c_loss,
    "ghm_r_loss": _ghm_r_loss,
    "poly1_loss": _poly1_loss,
    "poly1_focal_loss": _poly1_focal_loss,
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
