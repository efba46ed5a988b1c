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


def _torch_pair(fn):
    """A torch loss of ``(input, target)`` called on the example's tensors."""
    return lambda args, kwargs: fn(_t(args[0]), _t(args[1]), **kwargs)


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


def _margin_torch(fn):
    """A margin loss written with torch ops on m = y * f, then reduced like PyTorch."""
    def reference(args, kwargs):
        f, y = _t(args[0]), _t(args[1]).to(_t(args[0]).dtype)
        return _reduce_torch(fn(y * f), kwargs.get("reduction", "mean"))
    return reference


def _squared_hinge_torch(args, kwargs):
    """max(0, 1 - y f)^2 = 2 * F.multi_margin_loss(p=2) on the two-class scores [0, f]."""
    f, y = _t(args[0]), _t(args[1])
    scores = torch.stack([torch.zeros_like(f), f], dim=-1).reshape(-1, 2)
    index = ((y.reshape(-1) + 1) / 2).long()
    loss = 2.0 * F.multi_margin_loss(scores, index, p=2, reduction="none").reshape(f.shape)
    return _reduce_torch(loss, kwargs.get("reduction", "mean"))


def _zero_one_sklearn(args, kwargs):
    from sklearn.metrics import zero_one_loss

    f, y = args
    prediction = np.where(f > 0, 1.0, -1.0)
    reduction = kwargs.get("reduction", "mean")
    if reduction == "none":
        return np.array([zero_one_loss([a], [b]) for a, b in zip(y.ravel(), prediction.ravel())]
                        ).reshape(f.shape)
    return zero_one_loss(y.ravel(), prediction.ravel(), normalize=reduction == "mean")


def _hinge_sklearn(args, kwargs):
    """sklearn.metrics.hinge_loss (mean of max(0, 1 - y f) for labels {-1, +1})."""
    from sklearn.metrics import hinge_loss

    f, y = args
    reduction = kwargs.get("reduction", "mean")
    if reduction == "none":
        # one sample at a time (sklearn needs both labels present to infer the classes)
        return np.array([hinge_loss([-1.0, 1.0, b], [0.0, 0.0, a]) * 3 - 2
                         for a, b in zip(f.ravel(), y.ravel())]).reshape(f.shape)
    mean = hinge_loss(y.ravel(), f.ravel())
    return mean if reduction == "mean" else mean * f.size


# --- metric learning (catalog part H) ---
def _contrastive(args, kwargs):
    """Hadsell et al.'s formula in torch ops, with sentence-transformers' lines for the
    squared form (``0.5 * (y * d² + (1 - y) * relu(margin - d)²)``, y = 1 similar) and
    pytorch-metric-learning's ``relu(d - pos_margin)``, ``relu(neg_margin - d)`` otherwise."""
    x1, x2, y = _t(args[0]), _t(args[1]), _t(args[2]).to(torch.float64)
    margin, pos_margin = kwargs.get("margin", 1.0), kwargs.get("pos_margin", 0.0)
    similar = y if kwargs.get("similar_label", 0) == 1 else 1 - y
    if kwargs.get("distance", "euclidean") == "cosine":
        d = 1 - F.cosine_similarity(x1, x2, dim=1, eps=0.0)
    else:
        d = torch.linalg.vector_norm(x1 - x2, dim=1)
    if kwargs.get("squared", True):
        loss = 0.5 * (similar * F.relu(d - pos_margin).pow(2) + (1 - similar) * F.relu(margin - d).pow(2))
    else:
        loss = similar * F.relu(d - pos_margin) + (1 - similar) * F.relu(margin - d)
    return _reduce_torch(loss, kwargs.get("reduction", "mean"))


def _triplet(args, kwargs):
    a, p, n = (_t(x) for x in args)
    kwargs = dict(kwargs)
    if kwargs.pop("squared", False):
        kwargs.pop("p", None), kwargs.pop("eps", None)
        return F.triplet_margin_with_distance_loss(
            a, p, n, distance_function=lambda x, y: (x - y).pow(2).sum(-1), **kwargs)
    return F.triplet_margin_loss(a, p, n, **kwargs)


def _insightface_logits(x, y, w, s, m2=0.0, m3=0.0, easy_margin=False):
    """insightface's ArcFace / CosFace heads (``CombinedMarginLoss`` with the sqrt and the
    ``cos θ − sin(π − m) m`` fallback, as in ``ArcMarginProduct``): cosine logits of the
    normalised embeddings and weights with the target column modified, times s."""
    import math

    logits = F.linear(F.normalize(x), F.normalize(w))
    index = torch.arange(x.shape[0])
    target_logit = logits[index, y]
    if m2 > 0:
        sin_theta = torch.sqrt(1.0 - torch.pow(target_logit, 2))
        cos_theta_m = target_logit * math.cos(m2) - sin_theta * math.sin(m2)
        if easy_margin:
            final = torch.where(target_logit > 0, cos_theta_m, target_logit)
        else:
            final = torch.where(target_logit > math.cos(math.pi - m2), cos_theta_m,
                                target_logit - math.sin(math.pi - m2) * m2)
    else:
        final = target_logit - m3
    mask = F.one_hot(y, w.shape[0]).bool()
    logits = torch.where(mask, final.unsqueeze(1), logits)
    return logits * s


def _arcface(args, kwargs):
    x, y, w = _t(args[0]), _t(args[1]).long(), _t(args[2])
    logits = _insightface_logits(x, y, w, kwargs.get("scale", 64.0), m2=kwargs.get("margin", 0.5),
                                 easy_margin=kwargs.get("easy_margin", False))
    return F.cross_entropy(logits, y, reduction=kwargs.get("reduction", "mean"))


def _cosface(args, kwargs):
    x, y, w = _t(args[0]), _t(args[1]).long(), _t(args[2])
    logits = _insightface_logits(x, y, w, kwargs.get("scale", 64.0), m3=kwargs.get("margin", 0.35))
    return F.cross_entropy(logits, y, reduction=kwargs.get("reduction", "mean"))


def _sphereface(args, kwargs):
    """pytorch-metric-learning's LargeMarginSoftmaxLoss ψ for an integer margin m (the
    multiple-angle formula for cos(mθ), k = floor(θ/(π/m)) without gradient), on the
    normalised embeddings (its SphereFaceLoss multiplies by ‖x‖; here ‖x‖ is replaced by s)."""
    import math

    import scipy.special

    x, y, w = _t(args[0]), _t(args[1]).long(), _t(args[2])
    m, s = int(kwargs.get("margin", 4.0)), kwargs.get("scale", 64.0)
    assert m == kwargs.get("margin", 4.0), "the reference needs an integer margin"
    cosine = F.normalize(x) @ F.normalize(w).t()
    mask = F.one_hot(y, w.shape[0]).bool()
    c = cosine[mask]
    n = torch.arange(0, m // 2 + 1, dtype=c.dtype)
    binom = torch.tensor([scipy.special.binom(m, 2 * k) for k in range(m // 2 + 1)], dtype=c.dtype)
    terms = (-1.0) ** n * binom * c.unsqueeze(1) ** (m - 2 * n) * (1 - c.unsqueeze(1) ** 2) ** n
    cos_m = terms.sum(1)
    with torch.no_grad():
        k = (torch.acos(torch.clamp(c, -1, 1)) / (math.pi / m)).floor()
    psi = (-1.0) ** k * cos_m - 2 * k
    logits = torch.where(mask, psi.unsqueeze(1), cosine) * s
    return F.cross_entropy(logits, y, reduction=kwargs.get("reduction", "mean"))


def _ge2e(args, kwargs):
    """Wan et al. (2018), Eqs. 1-7, in torch ops: cosine similarities to the inclusive
    centroids and (own speaker) to the exclusive centroid, scaled by w and shifted by b."""
    e, w, b = _t(args[0]), _t(args[1]), _t(args[2])
    n, m, _ = e.shape
    centroids = e.mean(1)
    exclusive = (e.sum(1, keepdim=True) - e) / (m - 1)
    rows = []
    for j in range(n):
        sims = torch.stack([F.cosine_similarity(e[j], centroids[k].expand_as(e[j]), dim=1, eps=0.0)
                            if k != j else F.cosine_similarity(e[j], exclusive[j], dim=1, eps=0.0)
                            for k in range(n)], dim=1)
        rows.append(w * sims + b)
    S = torch.stack(rows)                                   # (N, M, N)
    own = torch.eye(n, dtype=torch.bool)[:, None, :].expand(n, m, n)
    if kwargs.get("variant", "softmax") == "softmax":
        loss = -S[own].reshape(n, m) + torch.logsumexp(S, dim=2)
    else:
        sig = torch.sigmoid(S)
        loss = 1 - sig[own].reshape(n, m) + sig.masked_fill(own, float("-inf")).max(dim=2).values
    return _reduce_torch(loss, kwargs.get("reduction", "mean"))


def _label_masks(y, n):
    same = y[:, None] == y[None, :]
    off = ~torch.eye(n, dtype=torch.bool)
    return same & off, ~same


def _mean_over(loss, keep, reduction):
    """'mean' over the anchors in ``keep`` (those with positives), 'none' with zeros elsewhere."""
    loss = torch.where(keep, loss, torch.zeros_like(loss))
    return {"none": loss, "sum": loss.sum(), "mean": loss.sum() / keep.sum()}[reduction]


def _supcon(args, kwargs):
    """Khosla et al. (2020), Eq. 2 (L_out), in torch ops: log-softmax over a != i, averaged
    over the positives."""
    x, y = F.normalize(_t(args[0]), dim=1), _t(args[1]).long()
    n = x.shape[0]
    pos, _ = _label_masks(y, n)
    logits = (x @ x.t() / kwargs.get("temperature", 0.1)).masked_fill(torch.eye(n, dtype=torch.bool), float("-inf"))
    log_prob = torch.log_softmax(logits, dim=1).masked_fill(~pos, 0.0)
    count = pos.sum(1)
    loss = -log_prob.sum(1) / count.clamp(min=1)
    return _mean_over(loss, count > 0, kwargs.get("reduction", "mean"))


def _circle(args, kwargs):
    """Sun et al. (2020), Eq. 6, in torch ops: pytorch-metric-learning CircleLoss's lines
    without its .detach() of the weights (so that autograd gives the value's derivative)."""
    x, y = F.normalize(_t(args[0]), dim=1), _t(args[1]).long()
    m, gamma = kwargs.get("m", 0.25), kwargs.get("gamma", 256.0)
    n = x.shape[0]
    pos, neg = _label_masks(y, n)
    s = x @ x.t()
    logit_p = (-gamma * torch.relu(1 + m - s) * (s - (1 - m))).masked_fill(~pos, float("-inf"))
    logit_n = (gamma * torch.relu(s + m) * (s - m)).masked_fill(~neg, float("-inf"))
    keep = pos.any(1) & neg.any(1)
    z = torch.logsumexp(logit_p[keep], 1) + torch.logsumexp(logit_n[keep], 1)
    # log(1 + e^z) exactly: F.softplus returns z itself above its threshold (20), whose
    # derivative 1 differs from sigmoid(z) by 2e-9 there
    loss = torch.zeros(n, dtype=x.dtype).masked_scatter(keep, torch.logaddexp(z, torch.zeros_like(z)))
    return _mean_over(loss, keep, kwargs.get("reduction", "mean"))


# --- contrastive estimation (catalog part I) ---
def _nce(args, kwargs):
    """NCE as logistic regression of data (label 1) against the k noise samples (label 0) on
    the logits s − log(k q) (Gutmann & Hyvärinen 2010; Mnih & Teh 2012), with F's BCE."""
    s, sn = _t(args[0]), _t(args[1])
    k = sn.shape[1]
    if not kwargs.get("negative_sampling", False):
        s = s - np.log(k) - _t(args[2])
        sn = sn - np.log(k) - _t(args[3])
    loss = (F.binary_cross_entropy_with_logits(s, torch.ones_like(s), reduction="none")
            + F.binary_cross_entropy_with_logits(sn, torch.zeros_like(sn), reduction="none").sum(1))
    return _reduce_torch(loss, kwargs.get("reduction", "mean"))


def _info_nce(args, kwargs):
    """F.cross_entropy(sim(q, k) / τ, arange(N)), the standard implementation; NT-Xent as
    cross-entropy over the 2N × 2N matrix with the diagonal removed (SimCLR's code)."""
    q, k = _t(args[0]), _t(args[1])
    tau = kwargs.get("temperature", 0.1)
    reduction = kwargs.get("reduction", "mean")
    if kwargs.get("similarity", "cosine") == "cosine":
        q, k = F.normalize(q, dim=1), F.normalize(k, dim=1)
        negatives = None if len(args) < 3 or args[2] is None else F.normalize(_t(args[2]), dim=1)
    else:
        negatives = None if len(args) < 3 or args[2] is None else _t(args[2])
    n = q.shape[0]
    if kwargs.get("nt_xent", False):
        z = torch.cat([q, k])
        logits = (z @ z.t() / tau).masked_fill(torch.eye(2 * n, dtype=torch.bool), float("-inf"))
        labels = (torch.arange(2 * n) + n) % (2 * n)
        return F.cross_entropy(logits, labels, reduction=reduction)
    if negatives is None:
        return F.cross_entropy(q @ k.t() / tau, torch.arange(n), reduction=reduction)
    logits = torch.cat([(q * k).sum(1, keepdim=True), q @ negatives.t()], dim=1) / tau
    return F.cross_entropy(logits, torch.zeros(n, dtype=torch.long), reduction=reduction)


def _mnrl(args, kwargs):
    """sentence-transformers' MultipleNegativesRankingLoss (and its symmetric variant):
    ``scores = cos_sim(a, cat(p, n)) * scale``, ``CrossEntropyLoss()(scores, arange(N))``;
    symmetric: the mean of that and CE(scores[:, :N].t(), arange(N))."""
    a, p = _t(args[0]), _t(args[1])
    candidates = p if len(args) < 3 or args[2] is None else torch.cat([p, _t(args[2])])
    scores = F.normalize(a, dim=1) @ F.normalize(candidates, dim=1).t() * kwargs.get("scale", 20.0)
    labels = torch.arange(a.shape[0])
    reduction = kwargs.get("reduction", "mean")
    loss = F.cross_entropy(scores, labels, reduction=reduction)
    if kwargs.get("symmetric", False):
        loss = (loss + F.cross_entropy(scores[:, :a.shape[0]].t(), labels, reduction=reduction)) / 2
    return loss


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
    # --- information-theoretic losses (catalog part B) ---
    "cross_entropy": _torch_loss(F.cross_entropy),
    "nll_loss": _torch_loss(F.nll_loss),
    "entropy": _entropy_torch,
    "kl_div": _kl_torch,
    "binary_cross_entropy": _torch_loss(F.binary_cross_entropy),
    "binary_cross_entropy_with_logits": _torch_loss(F.binary_cross_entropy_with_logits),
    "logistic_loss": _torch_loss(F.soft_margin_loss),
    # --- margin losses (catalog part C) ---
    "zero_one_loss": _zero_one_sklearn,
    "hinge_loss": _margin_torch(lambda m: (1.0 - m).clamp(min=0.0)),
    "squared_hinge_loss": _squared_hinge_torch,
    "hinge_embedding_loss": _torch_loss(F.hinge_embedding_loss),
    "multi_margin_loss": _torch_loss(F.multi_margin_loss),
    # --- regression (catalog part E) ---
    "l1_loss": _torch_pair(F.l1_loss),
    "mse_loss": _torch_pair(F.mse_loss),
    "rmse_loss": lambda args, kwargs: _sklearn("root_mean_squared_error", args, kwargs, root=True),
    "mape_loss": lambda args, kwargs: _sklearn("mean_absolute_percentage_error", args, kwargs,
                                                    scale=100.0),
    "msle_loss": lambda args, kwargs: _sklearn("mean_squared_log_error", args, kwargs),
    "rmsle_loss": lambda args, kwargs: _sklearn("root_mean_squared_log_error", args, kwargs, root=True),
    "huber_loss": _torch_pair(F.huber_loss),
    "smooth_l1_loss": _torch_pair(F.smooth_l1_loss),
    "log_cosh_loss": lambda args, kwargs: _keras_log_cosh(_t(args[0]), _t(args[1]), **kwargs),
    "quantile_loss": lambda args, kwargs: _sklearn(
        "mean_pinball_loss", args, {k: v for k, v in kwargs.items() if k != "tau"},
        alpha=kwargs.get("tau", 0.5)),
    # --- embedding (catalog part H) ---
    "center_loss": _center_loss,
    "contrastive_loss": _contrastive,
    "triplet_margin_loss": _triplet,
    "margin_ranking_loss": lambda args, kwargs: F.margin_ranking_loss(*(_t(a) for a in args), **kwargs),
    "cosine_embedding_loss": lambda args, kwargs: F.cosine_embedding_loss(*(_t(a) for a in args), **kwargs),
    "arcface_loss": _arcface,
    "cosface_loss": _cosface,
    "sphereface_loss": _sphereface,
    "ge2e_loss": _ge2e,
    "circle_loss": _circle,
    "supervised_contrastive_loss": _supcon,
    # --- contrastive estimation (catalog part I) ---
    "nce_loss": _nce,
    "info_nce_loss": _info_nce,
    "multiple_negatives_ranking_loss": _mnrl,
}


def _sklearn(metric, args, kwargs, scale=1.0, root=False, **options):
    """A scikit-learn regression metric of ``(y_true=target, y_pred=input)``, PyTorch-reduced.

    scikit-learn averages over samples (then over outputs): on the flattened arrays that is
    PyTorch's ``'mean'``. ``'none'`` puts every element in its own output column (one
    sample, ``multioutput='raw_values'``), giving the per-element values. ``'sum'`` is ``n``
    times ``'mean'``, or ``sqrt(n)`` times it for a root metric (RMSE, RMSLE: lossbook's
    ``'sum'`` is the root of the summed squares).
    """
    import sklearn.metrics

    fn = getattr(sklearn.metrics, metric)
    y_pred, y_true = (a.detach().cpu().numpy() if isinstance(a, torch.Tensor) else np.asarray(a)
                      for a in args[:2])
    reduction = kwargs.get("reduction", "mean")
    if reduction == "none":
        raw = fn(y_true.reshape(1, -1), y_pred.reshape(1, -1), multioutput="raw_values", **options)
        return scale * raw.reshape(y_true.shape)
    value = scale * fn(y_true.ravel(), y_pred.ravel(), **options)
    if reduction == "sum":
        return value * (np.sqrt(y_true.size) if root else y_true.size)
    return value


def _keras_log_cosh(input, target, reduction="mean"):
    """Keras's ``log_cosh``: ``r + softplus(-2r) - log 2``, with PyTorch's reductions."""
    r = input - target
    loss = r + F.softplus(-2.0 * r) - np.log(2.0)
    return {"mean": loss.mean, "sum": loss.sum, "none": lambda: loss}[reduction]()


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
    "hinge_loss": _hinge_sklearn,
    # --- regression (catalog part E): scikit-learn metrics ---
    "l1_loss": lambda args, kwargs: _sklearn("mean_absolute_error", args, kwargs),
    "mse_loss": lambda args, kwargs: _sklearn("mean_squared_error", args, kwargs),
}

# --- the rest of torch.nn.functional and Keras 3 (issue 17) ---
def _sparsemax_reference(z, dim=-1):
    """Sparsemax found another way: the threshold tau solving sum(max(z - tau, 0)) = 1 by
    bisection (no sort), which fixes the support S; then p = max(z - tau_S, 0) with
    tau_S = (sum_S z - 1) / |S| in torch ops, so that autograd gives the Jacobian."""
    z = torch.movedim(z, dim, -1)
    with torch.no_grad():
        lo = z.max(-1, keepdim=True).values - 1.0          # sum(max(z - lo, 0)) >= 1
        hi = z.max(-1, keepdim=True).values                # sum(max(z - hi, 0)) = 0
        for _ in range(200):
            mid = (lo + hi) / 2
            above = torch.clamp(z - mid, min=0).sum(-1, keepdim=True) >= 1
            lo, hi = torch.where(above, mid, lo), torch.where(above, hi, mid)
        support = z > (lo + hi) / 2
    size = support.sum(-1, keepdim=True).to(z.dtype)
    tau = ((z * support).sum(-1, keepdim=True) - 1.0) / size
    return torch.movedim(torch.clamp(z - tau, min=0.0), -1, dim), tau


def _keras_sparse_plus(x):
    """keras.ops.sparse_plus / jax.nn.sparse_plus, transcribed: 0, (x + 1)^2 / 4, x."""
    return torch.where(x <= -1.0, torch.zeros_like(x), torch.where(x >= 1.0, x, (x + 1.0) ** 2 / 4.0))


def _sparsemax_loss_reference(args, kwargs):
    """Martins & Astudillo (2016), eq. 18: -z_y + 1/2 sum_S (z_j^2 - tau^2) + 1/2, with S and
    tau from the bisection reference above (autograd differentiates through tau)."""
    z, y = _t(args[0]), _t(args[1]).long()
    p, tau = _sparsemax_reference(z, -1)
    support = p > 0
    z_y = z.gather(-1, y.unsqueeze(-1)).squeeze(-1)
    loss = -z_y + 0.5 * ((z ** 2 - tau.squeeze(-1).unsqueeze(-1) ** 2) * support).sum(-1) + 0.5
    return _reduce_torch(loss, kwargs.get("reduction", "mean"))


def _crammer_singer(args, kwargs):
    """max(0, margin + max_{j != y} z_j - z_y) in torch ops (relu: inactive at 0)."""
    z, y = _t(args[0]), _t(args[1]).long()
    onehot = F.one_hot(y, z.shape[-1]).bool()
    wrong = z.masked_fill(onehot, float("-inf")).max(-1).values
    true = (z * onehot).sum(-1)
    return _reduce_torch(F.relu(kwargs.get("margin", 1.0) + wrong - true), kwargs.get("reduction", "mean"))


def _crammer_singer_sklearn(args, kwargs):
    """sklearn.metrics.hinge_loss with more than two classes (Crammer-Singer, margin 1, mean);
    'none' sample by sample, 'sum' as N times the mean."""
    from sklearn.metrics import hinge_loss

    z, y = np.asarray(args[0]), np.asarray(args[1])
    labels = np.arange(z.shape[-1])
    reduction = kwargs.get("reduction", "mean")
    if kwargs.get("margin", 1.0) != 1.0:   # sklearn's margin is 1: shift the true score instead
        z = z + (1.0 - kwargs["margin"]) * np.eye(z.shape[-1])[y]
    if reduction == "none":
        return np.array([hinge_loss([t], [row], labels=labels) for t, row in zip(y, z)])
    mean = hinge_loss(y, z, labels=labels)
    return mean * len(y) if reduction == "sum" else mean


def _keras_categorical_hinge(args, kwargs):
    """keras.losses.categorical_hinge (Keras 3), transcribed in torch ops, with relu for the
    maximum with 0; y_pred = input, y_true = target."""
    y_pred, y_true = _t(args[0]), _t(args[1])
    pos = torch.sum(y_true * y_pred, dim=-1)
    neg = torch.amax((1.0 - y_true) * y_pred, dim=-1)
    return _reduce_torch(F.relu(neg - pos + 1.0), kwargs.get("reduction", "mean"))


EXTRA_REFERENCES = {
    "celu": _torch_unary(F.celu),
    "threshold": lambda args, kwargs: F.threshold(_t(args[0]), kwargs["threshold"], kwargs["value"]),
    "hardshrink": _torch_unary(F.hardshrink),
    "softshrink": _torch_unary(F.softshrink),
    "tanhshrink": _torch_unary(F.tanhshrink),
    "glu": lambda args, kwargs: F.glu(_t(args[0]), dim=kwargs.get("dim", -1)),
    "softmin": lambda args, kwargs: F.softmin(_t(args[0]), dim=kwargs.get("dim", -1)),
    "rrelu": lambda args, kwargs: F.rrelu(_t(args[0]), kwargs.get("lower", 1.0 / 8.0),
                                          kwargs.get("upper", 1.0 / 3.0), training=False),
    "logsumexp": lambda args, kwargs: torch.logsumexp(_t(args[0]), dim=kwargs.get("dim", -1),
                                                      keepdim=kwargs.get("keepdim", False)),
    "sparsemax": lambda args, kwargs: _sparsemax_reference(_t(args[0]), kwargs.get("dim", -1))[0],
    # Barron (2021), eq. 1, as written (no cancellation at the examples' sizes)
    "squareplus": lambda args, kwargs: (_t(args[0]) + torch.sqrt(_t(args[0]) ** 2
                                                               + kwargs.get("b", 4.0))) / 2,
    "sparse_plus": lambda args, kwargs: _keras_sparse_plus(_t(args[0])),
    # JAX's 0.5 * clip(x + 1, 0, 2) through torch's hardtanh (its convention at the kinks)
    "sparse_sigmoid": lambda args, kwargs: 0.5 * (F.hardtanh(_t(args[0])) + 1.0),
}
EXTRA_REFERENCES.update({
    "poisson_nll_loss": _torch_loss(F.poisson_nll_loss),
    "gaussian_nll_loss": lambda args, kwargs: F.gaussian_nll_loss(*(_t(a) for a in args), **kwargs),
})
EXTRA_REFERENCES.update({
    "multilabel_soft_margin_loss": lambda args, kwargs: F.multilabel_soft_margin_loss(
        _t(args[0]), _t(args[1]), **{k: (_t(v) if k == "weight" else v) for k, v in kwargs.items()}),
    "multilabel_margin_loss": _torch_loss(F.multilabel_margin_loss),
    "multiclass_hinge_loss": _crammer_singer,
    "categorical_hinge": _keras_categorical_hinge,
})
EXTRA_REFERENCES.update({
    "sparsemax_loss": _sparsemax_loss_reference,
    "triplet_margin_with_distance_loss": lambda args, kwargs: F.triplet_margin_with_distance_loss(
        *(_t(a) for a in args), **{k: v for k, v in kwargs.items() if k != "distance_grad"}),
    "cosine_similarity_loss": lambda args, kwargs: _reduce_torch(
        -F.cosine_similarity(_t(args[0]), _t(args[1]), dim=kwargs.get("dim", -1),
                             eps=kwargs.get("eps", 1e-8)), kwargs.get("reduction", "mean")),
})
REFERENCES.update(EXTRA_REFERENCES)

EXTRA_SCIPY_REFERENCES = {
    "softmin": lambda args, kwargs: sp.softmax(-args[0], axis=kwargs.get("dim", -1)),
    "logsumexp": lambda args, kwargs: sp.logsumexp(args[0], axis=kwargs.get("dim", -1),
                                                   keepdims=kwargs.get("keepdim", False)),
}
EXTRA_SCIPY_REFERENCES["multiclass_hinge_loss"] = _crammer_singer_sklearn
SCIPY_REFERENCES.update(EXTRA_SCIPY_REFERENCES)


FD_ONLY: dict[str, str] = {
    "perceptron_loss": "no library exposes the perceptron criterion as a function (sklearn's "
                       "Perceptron only trains); FD, autograd and golden values",
    "exponential_loss": "no public library function (sklearn's GradientBoostingClassifier"
                        "(loss='exponential') keeps it private); FD, autograd and golden values",
    # --- regression (catalog part E) ---
    "mbe": "no library function (it is numpy.mean(input - target)); golden values in "
           "tests/test_golden_regression.py",
    "smape_loss": "no implementation in torch, scikit-learn or scipy (catalog §R); golden values "
                  "in tests/test_golden_regression.py",
}



# --- overlap (segmentation) losses (catalog part F): MONAI and kornia ----------------------
# Test-only dependencies (requirements.txt, "test-only references"); imported when first used.
def _overlap_target(x, y, ignore_index=None):
    """Our target as MONAI's: masks as floats; class indices one-hot encoded here in the input's
    dtype, with all-zero rows at ignored pixels (which MONAI's ``ignore_index`` then masks).
    (MONAI's own ``to_onehot_y`` builds a float32 one-hot, and with ``squared_pred`` its norms
    of it are float32: about 1e-8 off.)"""
    y = _t(y)
    if y.is_floating_point() or y.dim() == x.dim() and x.shape[1] == 1:
        return y.to(x.dtype)
    y = y[:, 0] if y.dim() == x.dim() else y
    if x.shape[1] == 1:
        return y[:, None].to(x.dtype)
    valid = torch.ones_like(y, dtype=torch.bool) if ignore_index is None else y != ignore_index
    onehot = F.one_hot(torch.where(valid, y, 0).long(), x.shape[1]).movedim(-1, 1).to(x.dtype)
    return onehot * valid[:, None].to(x.dtype)


def _overlap_shape(x, kwargs, classes=True):
    """The unreduced shape of lossbook's overlap losses: (N, C') / (C',) / (N,) / ()."""
    kept = x.shape[1] - (0 if kwargs.get("include_background", True) else 1)
    return (() if kwargs.get("batch", False) else (x.shape[0],)) + ((kept,) if classes else ())


def _monai_options(kwargs, x):
    activation = kwargs.get("activation", "sigmoid")
    return dict(sigmoid=activation == "sigmoid", softmax=activation == "softmax",
                include_background=kwargs.get("include_background", True), batch=kwargs.get("batch", False))


def _monai_unreduced(cls, args, kwargs, **options):
    """A MONAI overlap loss with reduction='none', reshaped to lossbook's unreduced shape."""
    x = _t(args[0])
    y = _overlap_target(x, args[1], kwargs.get("ignore_index"))
    if kwargs.get("ignore_index") is not None:
        options["ignore_index"] = kwargs["ignore_index"]
    loss = cls(reduction="none", **_monai_options(kwargs, x), **options)(x, y)
    return loss.reshape(_overlap_shape(x, kwargs))


def _monai_dice(args, kwargs, jaccard=False):
    from monai.losses import DiceLoss

    # MONAI's Jaccard is (2I + s_nr) / (2U + s_dr): lossbook's with the smoothing halved.
    scale = 2.0 if jaccard else 1.0
    return _monai_unreduced(DiceLoss, args, kwargs, squared_pred=kwargs.get("squared", False), jaccard=jaccard,
                            smooth_nr=scale * kwargs.get("smooth_nr", 1e-5),
                            smooth_dr=scale * kwargs.get("smooth_dr", 1e-5))


def _monai_tversky(args, kwargs):
    from monai.losses import TverskyLoss

    return _monai_unreduced(TverskyLoss, args, kwargs, alpha=kwargs.get("alpha", 0.3), beta=kwargs.get("beta", 0.7),
                            smooth_nr=kwargs.get("smooth_nr", 1e-5), smooth_dr=kwargs.get("smooth_dr", 1e-5))


def _overlap_reference(unreduced, transform=None):
    def reference(args, kwargs):
        loss = unreduced(args, kwargs)
        if transform is not None:
            loss = transform(loss, kwargs)
        return _reduce_torch(loss, kwargs.get("reduction", "mean"))
    return reference


def _generalized_dice(args, kwargs):
    """Sudre et al.'s generalised Dice, written here with torch ops in float64 (MONAI's
    GeneralizedDiceLoss computes its weights in float32: tests/test_overlap.py compares it at
    1e-6): per-class sums, w = 1/G**2, an empty class weighted like the largest present one."""
    x = _t(args[0])
    activation = kwargs.get("activation", "sigmoid")
    p = torch.sigmoid(x) if activation == "sigmoid" else torch.softmax(x, 1) if activation == "softmax" else x
    g = _overlap_target(x, args[1], kwargs.get("ignore_index"))
    if kwargs.get("ignore_index") is not None:
        valid = (_t(args[1]) != kwargs["ignore_index"]).to(x.dtype)
        p = p * (valid if valid.dim() == x.dim() else valid[:, None])
    if not kwargs.get("include_background", True):
        p, g = p[:, 1:], g[:, 1:]
    dims = ([0] if kwargs.get("batch", False) else []) + list(range(2, x.dim()))
    inter, pred, ground = (p * g).sum(dims), p.sum(dims), g.sum(dims)
    kind = kwargs.get("weight_type", "square")
    w = {"square": 1.0 / ground ** 2, "simple": 1.0 / ground, "uniform": torch.ones_like(ground)}[kind]
    empty = torch.isinf(w)
    w = torch.where(empty, torch.zeros_like(w), w)
    w = torch.where(empty, w.max(-1, keepdim=True).values.expand_as(w), w)
    numerator = 2.0 * (w * inter).sum(-1) + kwargs.get("smooth_nr", 1e-5)
    denominator = (w * (pred + ground)).sum(-1) + kwargs.get("smooth_dr", 1e-5)
    return _reduce_torch(1.0 - numerator / denominator, kwargs.get("reduction", "mean"))


def _kornia_lovasz_hinge(args, kwargs):
    """kornia.losses.lovasz_hinge_loss (per image, batch mean), called one image at a time."""
    from kornia.losses import lovasz_hinge_loss

    x, y = _t(args[0]), _t(args[1])
    y = y[:, 0] if y.dim() == x.dim() else y
    per_image = torch.stack([lovasz_hinge_loss(x[n:n + 1], y[n:n + 1]) for n in range(x.shape[0])])
    return _reduce_torch(per_image[:, None], kwargs.get("reduction", "mean"))


def _kornia_lovasz_softmax(args, kwargs):
    """kornia.losses.lovasz_softmax_loss (logits, every class, per image), one image at a time."""
    from kornia.losses import lovasz_softmax_loss

    x, y = _t(args[0]), _t(args[1]).long()
    per_image = torch.stack([lovasz_softmax_loss(x[n:n + 1], y[n:n + 1]) for n in range(x.shape[0])])
    return _reduce_torch(per_image, kwargs.get("reduction", "mean"))


REFERENCES.update({
    "dice_loss": _overlap_reference(_monai_dice),
    "jaccard_loss": _overlap_reference(lambda args, kwargs: _monai_dice(args, kwargs, jaccard=True)),
    "tversky_loss": _overlap_reference(_monai_tversky),
    "focal_tversky_loss": _overlap_reference(
        _monai_tversky, lambda loss, kwargs: loss ** (1.0 / kwargs.get("gamma", 4.0 / 3.0))),
    "focal_dice_loss": _overlap_reference(
        _monai_dice, lambda loss, kwargs: 1.0 - (1.0 - loss) ** (1.0 / kwargs.get("beta", 2.0))),
    "generalized_dice_loss": _generalized_dice,
    "lovasz_hinge_loss": _kornia_lovasz_hinge,
    "lovasz_softmax_loss": _kornia_lovasz_softmax,
})
FD_ONLY["dsc_loss"] = ("the official code (ShannonAI/dice_loss_for_NLP) is not packaged; FD, autograd and "
                       "golden values from the paper's formula in tests/test_overlap.py")


# --- bounding-box regression (catalog part G) ---
# torchvision is not installed in this project: these are the lines of torchvision.ops
# (_loss_inter_union, generalized_box_iou_loss, _diou_iou_loss, complete_box_iou_loss), unchanged
# but for the reduction, which follows lossbook's default ('mean'; torchvision's is 'none').
def _tv_loss_inter_union(boxes1, boxes2):
    x1, y1, x2, y2 = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
    # Intersection keypoints
    xkis1 = torch.max(x1, x1g)
    ykis1 = torch.max(y1, y1g)
    xkis2 = torch.min(x2, x2g)
    ykis2 = torch.min(y2, y2g)
    intsctk = torch.zeros_like(x1)
    mask = (ykis2 > ykis1) & (xkis2 > xkis1)
    intsctk[mask] = (xkis2[mask] - xkis1[mask]) * (ykis2[mask] - ykis1[mask])
    unionk = (x2 - x1) * (y2 - y1) + (x2g - x1g) * (y2g - y1g) - intsctk
    return intsctk, unionk


def _tv_generalized_box_iou_loss(boxes1, boxes2, eps=1e-7):
    intsctk, unionk = _tv_loss_inter_union(boxes1, boxes2)
    iouk = intsctk / (unionk + eps)
    x1, y1, x2, y2 = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
    # smallest enclosing box
    xc1 = torch.min(x1, x1g)
    yc1 = torch.min(y1, y1g)
    xc2 = torch.max(x2, x2g)
    yc2 = torch.max(y2, y2g)
    area_c = (xc2 - xc1) * (yc2 - yc1)
    miouk = iouk - ((area_c - unionk) / (area_c + eps))
    return 1 - miouk


def _tv_diou_iou_loss(boxes1, boxes2, eps=1e-7):
    intsct, union = _tv_loss_inter_union(boxes1, boxes2)
    iou = intsct / (union + eps)
    # smallest enclosing box
    x1, y1, x2, y2 = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
    xc1 = torch.min(x1, x1g)
    yc1 = torch.min(y1, y1g)
    xc2 = torch.max(x2, x2g)
    yc2 = torch.max(y2, y2g)
    # The diagonal distance of the smallest enclosing box squared
    diagonal_distance_squared = ((xc2 - xc1) ** 2) + ((yc2 - yc1) ** 2) + eps
    # centers of boxes
    x_p = (x2 + x1) / 2
    y_p = (y2 + y1) / 2
    x_g = (x1g + x2g) / 2
    y_g = (y1g + y2g) / 2
    # The distance between boxes' centers squared.
    centers_distance_squared = ((x_p - x_g) ** 2) + ((y_p - y_g) ** 2)
    loss = 1 - iou + (centers_distance_squared / diagonal_distance_squared)
    return loss, iou


def _tv_complete_box_iou_loss(boxes1, boxes2, eps=1e-7):
    diou_loss, iou = _tv_diou_iou_loss(boxes1, boxes2, eps)
    x1, y1, x2, y2 = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
    # width and height of boxes
    w_pred = x2 - x1
    h_pred = y2 - y1
    w_gt = x2g - x1g
    h_gt = y2g - y1g
    v = (4 / (torch.pi**2)) * torch.pow((torch.atan(w_gt / h_gt) - torch.atan(w_pred / h_pred)), 2)
    with torch.no_grad():
        alpha = v / (1 - iou + v + eps)
    return diou_loss + alpha * v


def _iou_loss_reference(boxes1, boxes2, mode="linear", eps=1e-7):
    """torchvision's loss-internal IoU (``intsct / (union + eps)``); the log form as mmdet's
    ``iou_loss``: ``-ious.clamp(min=eps).log()``."""
    intsct, union = _tv_loss_inter_union(boxes1, boxes2)
    iou = intsct / (union + eps)
    return 1 - iou if mode == "linear" else -iou.clamp(min=eps).log()


def _mmdet_balanced_l1_loss(pred, target, beta=1.0, alpha=0.5, gamma=1.5):
    """mmdet ``balanced_l1_loss`` (mmdet/models/losses/balanced_l1_loss.py), its lines unchanged."""
    assert beta > 0
    assert pred.size() == target.size() and target.numel() > 0
    diff = torch.abs(pred - target)
    b = np.e**(gamma / alpha) - 1
    loss = torch.where(
        diff < beta, alpha / b *
        (b * diff + 1) * torch.log(b * diff / beta + 1) - alpha * diff,
        gamma * diff + gamma / b - alpha * beta)
    return loss


def _box_reference(fn, pick=lambda out: out):
    """``fn(input, target, **options)`` on the example's tensors, reduced like lossbook."""
    def reference(args, kwargs):
        options = {k: v for k, v in kwargs.items() if k != "reduction"}
        return _reduced(pick(fn(_t(args[0]), _t(args[1]), **options)), kwargs)
    return reference


REFERENCES.update({
    "iou_loss": _box_reference(_iou_loss_reference),
    "giou_loss": _box_reference(_tv_generalized_box_iou_loss),
    "diou_loss": _box_reference(_tv_diou_iou_loss, pick=lambda out: out[0]),
    "ciou_loss": _box_reference(_tv_complete_box_iou_loss),
    "balanced_l1_loss": _box_reference(_mmdet_balanced_l1_loss),
})

FD_ONLY.update({
    "eiou_loss": "no trusted library (mmdet's eiou_loss is another paper's Extended-IoU, "
                 "Instinct323/wiou's _EIoU penalises centre offsets); FD, autograd and the paper's "
                 "Eq. (8) by hand in tests/test_boxes.py",
    "focal_eiou_loss": "no trusted library; FD, autograd and the paper's Eq. (10) by hand in "
                       "tests/test_boxes.py",
    "alpha_iou_loss": "the official Jacobi93/Alpha-IoU code adds eps inside every power (1e-9 "
                      "shifts), so it is not the paper's formula; FD, autograd and Eqs. (1), (4) "
                      "by hand in tests/test_boxes.py",
    "siou_loss": "no library; FD, autograd, the paper's equations by hand and Instinct323/wiou's "
                 "_SIoU (with its own eps) in tests/test_boxes.py",
    "wiou_loss": "only the stateful Instinct323/wiou (no eps in IoU); FD, autograd, the paper's "
                 "equations by hand and that code with a fixed iou_mean in tests/test_boxes.py",
})


# --- sequence losses (catalog part J) ---
def _ctc(args, kwargs):
    """``F.ctc_loss``'s VALUE only, as a NumPy array. Its backward is Graves's Eq. 16, the
    gradient at the logits as if ``log_softmax`` followed, not the derivative with respect to
    ``log_probs`` (catalog J1), so the harness must not differentiate through it: returning NumPy
    makes ``test_grad_matches_autograd_of_reference`` skip. tests/test_sequence.py compares the
    gradients at the logits (log_softmax -> ours vs log_softmax -> F.ctc_loss)."""
    lp, targets, il, tl = (torch.as_tensor(a) for a in args)
    return F.ctc_loss(lp, targets, il, tl, **kwargs).detach().numpy()


REFERENCES["ctc_loss"] = _ctc


# --- generative (GAN) and perceptual losses (catalog part K) ------------------------------
# torch's own BCE-with-logits for the log-D losses; the other formulas written in plain torch
# (catalog K: no packaged library function for them; torchgan is not installed).
def _gan_reduced(per_element, kwargs):
    return {"none": per_element, "sum": per_element.sum(), "mean": per_element.mean()}[
        kwargs.get("reduction", "mean")]


def _bce(logits, target_value, kwargs):
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, target_value),
                                              reduction=kwargs.get("reduction", "mean"))


def _gan_discriminator(args, kwargs):
    # torchgan minimax_discriminator_loss: BCE(dx, 1 - s) + BCE(dgz, 0), each reduced
    s = kwargs.get("label_smoothing", 0.0)
    return _bce(_t(args[0]), 1.0 - s, kwargs) + _bce(_t(args[1]), 0.0, kwargs)


def _wgan_gp(args, kwargs):
    g = _t(args[0])
    norm = torch.linalg.vector_norm(g.reshape(g.shape[0], -1), dim=1)
    excess = norm - kwargs.get("target", 1.0)
    if kwargs.get("one_sided", False):
        excess = torch.relu(excess)
    return _gan_reduced(excess.square(), kwargs)


def _lsgan_d(args, kwargs):
    a, b = kwargs.get("a", 0.0), kwargs.get("b", 1.0)
    return (0.5 * F.mse_loss(_t(args[0]), torch.full_like(_t(args[0]), b), reduction=kwargs.get("reduction", "mean"))
            + 0.5 * F.mse_loss(_t(args[1]), torch.full_like(_t(args[1]), a), reduction=kwargs.get("reduction", "mean")))


def _loss_sensitive(args, kwargs):
    real, fake, margin = _t(args[0]), _t(args[1]), _t(args[2])
    return _gan_reduced(real + kwargs.get("weight", 1.0) * torch.relu(margin + real - fake), kwargs)


def _perceptual(args, kwargs):
    """Johnson et al.'s feature and style losses, written from the paper's Eqs. (2), (3) with
    einsum (the Gram matrix as an explicit sum over positions)."""
    x, y = _t(args[0]), _t(args[1])
    n, c = x.shape[:2]
    fx, fy = x.reshape(n, c, -1), y.reshape(n, c, -1)
    k = c * fx.shape[2]
    feature = ((fx - fy) ** 2).sum(dim=(1, 2)) / k
    gram = lambda f: torch.einsum("nip,njp->nij", f, f) / k
    style = ((gram(fx) - gram(fy)) ** 2).sum(dim=(1, 2))
    return _gan_reduced(kwargs.get("feature_weight", 1.0) * feature
                        + kwargs.get("style_weight", 0.0) * style, kwargs)


REFERENCES.update({
    "gan_discriminator_loss": _gan_discriminator,
    "gan_generator_loss": lambda args, kwargs: -_bce(_t(args[0]), 0.0, kwargs),
    "non_saturating_generator_loss": lambda args, kwargs: _bce(_t(args[0]), 1.0, kwargs),
    "maximum_likelihood_generator_loss": lambda args, kwargs: _gan_reduced(-0.5 * torch.exp(_t(args[0])), kwargs),
    "wgan_critic_loss": lambda args, kwargs: _gan_reduced(_t(args[1]) - _t(args[0]), kwargs),
    "wgan_generator_loss": lambda args, kwargs: _gan_reduced(-_t(args[0]), kwargs),
    "wgan_gradient_penalty": _wgan_gp,
    "lsgan_discriminator_loss": _lsgan_d,
    "lsgan_generator_loss": lambda args, kwargs: 0.5 * F.mse_loss(
        _t(args[0]), torch.full_like(_t(args[0]), kwargs.get("c", 1.0)), reduction=kwargs.get("reduction", "mean")),
    "loss_sensitive_gan_loss": _loss_sensitive,
    "perceptual_loss": _perceptual,
})
