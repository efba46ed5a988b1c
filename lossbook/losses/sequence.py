r"""Sequence losses (catalog part J): connectionist temporal classification.

* :func:`ctc_loss` (J1): CTC (Graves, Fernández, Gomez & Schmidhuber, ICML 2006), with
  PyTorch's interface, by the forward–backward recursions in log space.

**What CTC sums over.** A network reads :math:`T` frames and emits at each frame a distribution
:math:`y^t` over :math:`C` symbols, one of them the *blank* (index ``blank``, 0 by default). A
path :math:`\pi\in\{0,\dots,C-1\}^T` is collapsed by :math:`\mathcal B`: merge runs of repeated
symbols, then delete the blanks (``a a - b b`` → ``ab``; ``a - a`` → ``aa``). The probability of
a label :math:`l` is the total probability of the paths that collapse to it,
:math:`p(l\mid x)=\sum_{\pi\in\mathcal B^{-1}(l)}\prod_t y^t_{\pi_t}`, and the loss is
:math:`-\ln p(l\mid x)`. The sum has exponentially many terms; the *extended label*
:math:`l'` (a blank before, between and after the symbols, length :math:`2|l|+1`) turns it into
a lattice of :math:`T\times(2|l|+1)` states walked by dynamic programming.

**What ``ctc_loss_grad`` returns.** The true vector–Jacobian product with respect to the value
function's input ``log_probs`` (the gradient contract): minus the posterior *occupancy* of each
symbol at each frame, scaled by the reduction. It is what autograd through a pure-torch forward
gives and what ``gradcheck`` and finite differences confirm. ``torch.nn.functional.ctc_loss``'s
backward returns something else: Graves's Eq. 16, :math:`y^t_k-\text{occupancy}`, the gradient
at the *logits* as if ``log_softmax`` were part of its graph (so ``gradcheck`` of
``F.ctc_loss`` with respect to ``log_probs`` fails). Composed with ``log_softmax``, the two
agree: the chain rule through ``log_softmax`` turns our :math:`-\gamma` into
:math:`y-\gamma`, which is what the tests compare (at the logits).
"""
from __future__ import annotations

import math

import numpy as np

from .. import _kit as kit
from .._backend import is_torch, namespace, to_numpy
from .._reduction import upstream
from .._spec import Family

__all__ = ["ctc_loss", "ctc_loss_grad", "ctc_lattice"]

#: log 0 inside the recursions: a finite floor, so that autograd through the torch forward
#: never meets ``-inf - (-inf)`` (exp of it would be NaN); ``exp(_NEG - finite)`` is exactly 0
#: in float32 and float64, so states at the floor contribute nothing, and neither do their
#: gradients.
_NEG = -1e30
#: How far the log-sum-exp of a frame of ``log_probs`` may be from 0 (float32 rounding and the
#: small steps of finite differences pass; raw logits do not).
NORMALISATION_TOLERANCE = 1e-2


# =====================================================================================
# Set-up: ALL argument validation of this module lives in the functions of this section.
# =====================================================================================
class _Setup:
    """Validated inputs: ``lp`` (T, N, C), host int64 arrays ``input_lengths``,
    ``target_lengths`` (N,), the extended labels ``ext`` (N, S') on the host, ``skip`` (N, S')
    booleans, ``feasible`` (N,), and the options."""

    __slots__ = ("lp", "xp", "unbatched", "input_lengths", "target_lengths", "ext", "skip",
                 "feasible", "blank", "reduction", "zero_infinity", "T", "N", "C")


def _is_array(x):
    return is_torch(x) or isinstance(x, np.ndarray)


def _host_integers(value, name, lp, shape_words):
    """``value`` (array, list, tuple or int) as a host int64 array; a tensor with NumPy
    ``log_probs`` is refused."""
    if _is_array(value):
        kit.same_kind(lp, value, "log_probs", name)
        host = to_numpy(value)
    else:
        if isinstance(value, (bool, np.bool_)) or value is None or isinstance(value, (str, float)):
            raise TypeError(f"{name} must be integers {shape_words}, got {type(value).__name__}")
        try:
            host = np.asarray(value)
        except (TypeError, ValueError) as err:
            raise TypeError(f"{name} must be integers {shape_words}, got {type(value).__name__}") from err
    if host.dtype.kind not in "iu":
        raise TypeError(f"{name} must be integers {shape_words}, got dtype {str(host.dtype).replace('torch.', '')}")
    return host.astype(np.int64)


def _lengths(value, name, lp, n, unbatched, most, most_words):
    shape_words = "of shape () or (1,)" if unbatched else f"of shape ({n},), one per sequence"
    host = _host_integers(value, name, lp, shape_words)
    if unbatched and host.ndim == 0:
        host = host.reshape(1)
    if host.shape != (n,):
        raise ValueError(f"{name} must have shape {'() or (1,)' if unbatched else f'({n},)'} "
                         f"(one length per sequence of log_probs), got shape {host.shape}")
    # the lengths drive the loops: always checked, also inside lossbook.validation(False)
    if host.min() < 0:
        raise ValueError(f"{name} must be non-negative, got {int(host.min())}")
    if most is not None and host.max() > most:
        raise ValueError(f"{name} must be at most {most} ({most_words}), got {int(host.max())}")
    return host


def _targets(targets, lp, target_lengths_value, n, c, blank, unbatched):
    """Host targets as one list of int arrays, and the target lengths."""
    t = _host_integers(targets, "targets", lp, "(N, S) padded or (sum(target_lengths),) concatenated")
    if unbatched:
        kit.has_ndim(t, "targets", "(S,) for unbatched log_probs (T, C)", allowed=(1,))
        lengths = _lengths(target_lengths_value, "target_lengths", lp, 1, True, t.shape[0],
                           "the length of targets")
        if lengths[0] != t.shape[0]:   # PyTorch reads them as concatenated (N = 1)
            raise ValueError(f"targets of unbatched log_probs (T, C) must hold exactly "
                             f"target_lengths = {int(lengths[0])} labels, got {t.shape[0]}")
        rows = [t]
    elif t.ndim == 2:
        if t.shape[0] != n:
            raise ValueError(f"targets must have shape ({n}, S) (one padded row per sequence of "
                             f"log_probs) or be 1-D (concatenated), got shape {tuple(t.shape)}")
        lengths = _lengths(target_lengths_value, "target_lengths", lp, n, False, t.shape[1],
                           "the padded length of targets, its axis 1")
        rows = [t[i, :lengths[i]] for i in range(n)]
    elif t.ndim == 1:
        lengths = _lengths(target_lengths_value, "target_lengths", lp, n, False, None, "")
        if int(lengths.sum()) != t.shape[0]:
            raise ValueError(f"targets given concatenated (1-D) must hold sum(target_lengths) = "
                             f"{int(lengths.sum())} labels, got {t.shape[0]}")
        ends = np.cumsum(lengths)
        rows = [t[e - k:e] for e, k in zip(ends, lengths)]
    else:
        raise ValueError(f"targets must have shape (N, S) (padded) or (sum(target_lengths),) "
                         f"(concatenated), got shape {tuple(t.shape)}")
    used = np.concatenate(rows) if rows else np.zeros(0, np.int64)
    if used.size:
        lo, hi = int(used.min()), int(used.max())
        if lo < 0 or hi >= c:
            raise ValueError(f"targets must hold class indices in [0, {c - 1}] (C = {c} classes "
                             f"on the last axis of log_probs), got values in [{lo}, {hi}]")
        if np.any(used == blank):
            raise ValueError(f"targets must not contain the blank (index {blank}): the blank is "
                             f"what separates labels, never a label itself")
    return rows, lengths


def _extended(rows, blank):
    """Extended labels (N, 2*max(L)+1), blanks between and around; and where the skip
    ``s-2 -> s`` is allowed (a label different from the label two states before)."""
    width = 2 * max((len(r) for r in rows), default=0) + 1
    ext = np.full((len(rows), width), blank, dtype=np.int64)
    skip = np.zeros((len(rows), width), dtype=bool)
    for i, r in enumerate(rows):
        ext[i, 1:2 * len(r):2] = r
        if len(r) > 1:
            skip[i, 3:2 * len(r):2] = r[1:] != r[:-1]
    return ext, skip


def _setup(log_probs, targets, input_lengths, target_lengths, blank, reduction, zero_infinity):
    kit.check_reduction(reduction)
    zero_infinity = kit.flag(zero_infinity, "zero_infinity")
    lp = kit.floating(log_probs, "log_probs", low_precision=False)   # as PyTorch's CPU ctc_loss
    kit.has_ndim(lp, "log_probs", "(T, N, C) or (T, C) (unbatched)", allowed=(2, 3))
    kit.nonempty(lp, "log_probs")
    unbatched = lp.ndim == 2
    if unbatched:
        lp = lp[:, None, :]
    T, N, C = (int(d) for d in lp.shape)
    if C < 2:
        raise ValueError(f"log_probs must have at least 2 classes (the blank and a label) on its "
                         f"last axis, got shape {tuple(log_probs.shape)}")
    blank = kit.number(blank, "blank", f"[0, {C - 1}]", integer=True)
    il = _lengths(input_lengths, "input_lengths", lp, N, unbatched, T, "the number of frames T, axis 0 of log_probs")
    rows, tl = _targets(targets, lp, target_lengths, N, C, blank, unbatched)
    xp = namespace(lp)
    if kit.enabled():
        _check_normalised(lp, il, xp)
    s = _Setup()
    s.lp, s.xp, s.unbatched = lp, xp, unbatched
    s.input_lengths, s.target_lengths = il, tl
    s.ext, s.skip = _extended(rows, blank)
    repeats = np.array([int(np.sum(r[1:] == r[:-1])) for r in rows], dtype=np.int64)
    s.feasible = il >= tl + repeats
    s.blank, s.reduction, s.zero_infinity = blank, reduction, zero_infinity
    s.T, s.N, s.C = T, N, C
    return s


def _check_normalised(lp, il, xp):
    """``ValueError`` unless every frame used (t < input_length) is log-normalised."""
    lse = to_numpy(xp.logsumexp(lp, axis=-1))                # (T, N)
    used = np.arange(lp.shape[0])[:, None] < il[None, :]
    with np.errstate(invalid="ignore"):
        off = np.where(used, np.abs(lse), 0.0)
    off = np.where(np.isnan(off), np.inf, off)
    if off.size and off.max() > NORMALISATION_TOLERANCE:
        t, n = np.unravel_index(np.argmax(off), off.shape)
        raise ValueError(f"log_probs must be log-probabilities over the last axis (C): "
                         f"logsumexp(log_probs[t, n, :]) must be 0 within {NORMALISATION_TOLERANCE:g}, "
                         f"got {float(lse[t, n]):.4g} at frame t={t}, sequence n={n}; "
                         f"pass log_softmax(logits, dim=-1)")


# =====================================================================================
# The recursions
# =====================================================================================
def _index(a, like):
    """A host integer or boolean array beside ``like`` (NumPy, or torch on its device): an
    index for ``take_along_axis`` or a mask for ``where``."""
    if is_torch(like):
        import torch

        return torch.as_tensor(a, device=like.device)
    return a


def _lse(xp, *terms):
    """log(sum(exp)) of same-shaped arrays, all finite (the floor _NEG stands for log 0)."""
    m = terms[0]
    for t in terms[1:]:
        m = xp.maximum(m, t)
    total = xp.exp(terms[0] - m)
    for t in terms[1:]:
        total = total + xp.exp(t - m)
    return m + xp.log(total)


def _shift(xp, a, k, floor):
    """``a`` moved right by ``k`` states along the last axis (``a[..., s-k]``), ``floor`` fills."""
    return xp.concatenate([floor[..., :k], a[..., :-k]], axis=-1)


def _shift_left(xp, a, k, floor):
    """``a[..., s+k]``, ``floor`` fills the end."""
    return xp.concatenate([a[..., k:], floor[..., :k]], axis=-1)


def _emissions(s):
    """``y[t, n, s'] = log_probs[t, n, l'_{s'}]`` (T, N, S'), floored at _NEG."""
    xp, lp = s.xp, s.lp
    ext = _index(np.broadcast_to(s.ext[None], (s.T,) + s.ext.shape).copy(), lp)
    y = xp.take_along_axis(lp, ext, axis=2)
    return xp.maximum(y, _NEG)


def _forward(s, y):
    """Log forward variables ``alpha`` (T, N, S'), including ``y^t`` at time t; frames past a
    sequence's input length repeat its last column."""
    xp = s.xp
    floor = xp.full_like(y[0], _NEG)
    start = np.full(s.ext.shape, _NEG)
    start[:, 0] = 0.0                                         # a virtual state before t = 0
    prev = xp.asarray(start, like=y)
    skip = _index(s.skip, y)
    alphas = []
    for t in range(s.T):
        stay, step = prev, _shift(xp, prev, 1, floor)
        jump = xp.where(skip, _shift(xp, prev, 2, floor), floor)
        new = _lse(xp, stay, step, jump) + y[t]
        active = _index((t < s.input_lengths)[:, None], y)
        prev = xp.where(active, new, prev)
        alphas.append(prev)
    return alphas, xp.asarray(start, like=y)


def _ends(s, like):
    """Boolean (N, S'): the two final states 2L and 2L-1 (one, 2L = 0, for an empty label)."""
    index = np.arange(s.ext.shape[1])[None, :]
    L = s.target_lengths[:, None]
    return _index((index == 2 * L) | ((index == 2 * L - 1) & (L > 0)), like)


def _log_likelihood(s, last):
    """``ln p(l|x)`` per sequence from the last forward column (N, S')."""
    xp = s.xp
    end = _ends(s, last)
    return xp.logsumexp(xp.where(end, last, xp.full_like(last, _NEG)), axis=-1)


def _per_sequence(s):
    """Per-sequence loss (N,) and what the value needs."""
    y = _emissions(s)
    alphas, _ = _forward(s, y)
    logp = _log_likelihood(s, alphas[-1])
    return logp, alphas, y


def _reduce(s, loss):
    xp = s.xp
    if s.reduction == "none":
        return loss[0] if s.unbatched else loss
    if s.reduction == "sum":
        return xp.sum(loss)
    divide = xp.asarray(np.maximum(s.target_lengths, 1).astype(np.float64), like=loss)
    return xp.mean(loss / divide)


def ctc_lattice(log_probs, targets, input_lengths, target_lengths, *, blank: int = 0):
    r"""The CTC lattice of one batch, for teaching and figures: a dict of NumPy arrays.

    ``"extended"`` (N, S') the extended labels :math:`l'`; ``"log_alpha"`` (N, T, S') the
    log forward variables :math:`\ln\alpha_t(s)` (including :math:`y^t`); ``"log_beta"``
    (N, T, S') the log backward variables :math:`\ln\beta_t(s)` in Graves's convention (also
    including :math:`y^t`, so :math:`\alpha_t(s)\beta_t(s)/y^t_{l'_s}` is the probability of
    the paths through state :math:`s` at frame :math:`t`); ``"occupancy"`` (N, T, S') the
    posterior :math:`\gamma_t(s)=\alpha_t(s)\beta_t(s)/(y^t_{l'_s}\,p(l\mid x))`;
    ``"log_likelihood"`` (N,) :math:`\ln p(l\mid x)`. Log 0 is shown as ``-inf``; frames at
    or past a sequence's input length are ``-inf`` (occupancy 0).

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> lp = np.log(np.full((2, 1, 2), 0.5))             # T=2 frames, blank and 'a', uniform
    >>> out = lossbook.ctc_lattice(lp, np.array([[1]]), [2], [1])
    >>> round(float(np.exp(out["log_likelihood"][0])), 6)   # aa, a-, -a: 3 paths of 1/4
    0.75
    """
    s = _setup(log_probs, targets, input_lengths, target_lengths, blank, "none", False)
    logp, alphas, y = _per_sequence(s)
    log_bt = _backward(s, y)
    alpha = np.stack([to_numpy(a) for a in alphas], axis=1)          # (N, T, S')
    beta_tilde = np.stack([to_numpy(b) for b in log_bt], axis=1)
    yh = np.moveaxis(to_numpy(y), 0, 1)
    lp = to_numpy(logp)
    live = (np.arange(s.T)[None, :] < s.input_lengths[:, None])[..., None]
    floor = lambda a: np.where((a < _NEG / 2) | ~live, -np.inf, a)   # noqa: E731
    occupancy = np.where(live, np.exp(np.minimum(alpha + beta_tilde - lp[:, None, None], 0.0)), 0.0)
    occupancy = np.where(s.feasible[:, None, None], occupancy, 0.0)
    return {"extended": s.ext, "log_alpha": floor(alpha), "log_beta": floor(beta_tilde + yh),
            "occupancy": occupancy, "log_likelihood": np.where(s.feasible, lp, -np.inf)}


def _backward(s, y):
    r"""Log backward variables without the current frame, :math:`\ln\tilde\beta_t(s)`
    (a list over t of (N, S')): the probability of the rest of the label from frame t+1 on,
    given state s at frame t; at a sequence's last frame it is 1 at the final states."""
    xp = s.xp
    floor = xp.full_like(y[0], _NEG)
    zero = xp.zeros_like(y[0])
    end = xp.where(_ends(s, y), zero, floor)
    skip_next = _index(np.concatenate([s.skip[:, 2:], np.zeros((s.N, 2), bool)], axis=1), y)
    betas = [None] * s.T
    prev = end
    betas[s.T - 1] = end
    for t in range(s.T - 2, -1, -1):
        nxt = prev + y[t + 1]                                   # beta~_{t+1} * y^{t+1}
        stay, step = nxt, _shift_left(xp, nxt, 1, floor)
        jump = xp.where(skip_next, _shift_left(xp, nxt, 2, floor), floor)
        new = _lse(xp, stay, step, jump)
        inside = _index((t < s.input_lengths - 1)[:, None], y)
        prev = xp.where(inside, new, end)
        betas[t] = prev
    return betas


def ctc_loss(log_probs, targets, input_lengths, target_lengths, *, blank: int = 0,
             reduction: str = "mean", zero_infinity: bool = False):
    r"""Connectionist temporal classification: minus the log-probability of the label, summed
    over every alignment that collapses to it.

    .. math::

        \ell_n = -\ln \sum_{\pi\in\mathcal B^{-1}(l_n)} \prod_{t=1}^{T_n} y^t_{\pi_t},
        \qquad y^t_k = e^{\texttt{log\_probs}[t, n, k]}

    :math:`\mathcal B` merges repeated symbols, then deletes blanks. With the extended label
    :math:`l'` (blank, :math:`l_1`, blank, …, :math:`l_L`, blank; :math:`S'=2L+1` states) the sum is
    the forward recursion, in log space,

    .. math::

        \alpha_1(1)=y^1_{b},\ \alpha_1(2)=y^1_{l_1},\qquad
        \alpha_t(s)=\Big(\alpha_{t-1}(s)+\alpha_{t-1}(s-1)
        +[\,l'_s\ne b,\ l'_s\ne l'_{s-2}\,]\,\alpha_{t-1}(s-2)\Big)\,y^t_{l'_s},

    and :math:`p(l\mid x)=\alpha_T(S')+\alpha_T(S'-1)`. A label that no path of :math:`T_n`
    frames reaches (:math:`T_n < L_n +` the number of adjacent repeats) has :math:`p=0` and loss
    :math:`+\infty`; ``zero_infinity=True`` makes it 0 (and its gradient 0).

    Parameters
    ----------
    log_probs : array_like, shape (T, N, C) or (T, C)
        Log-probabilities over the :math:`C` symbols at each frame (e.g. ``log_softmax`` of
        the logits over the last axis); checked to be log-normalised at the frames used
        (``logsumexp`` within ``NORMALISATION_TOLERANCE`` = 0.01 of 0). Frames past a
        sequence's input length are ignored.
    targets : integer array, shape (N, S) padded, or (sum(target_lengths),) concatenated
        The labels, without blanks; values past a row's target length are ignored. With
        unbatched ``log_probs`` they are one label of exactly ``target_lengths`` symbols.
    input_lengths, target_lengths : integer arrays (or lists) of shape (N,)
        Frames used per sequence (at most T) and label lengths.
    blank : int
        Index of the blank symbol.
    reduction : {'mean', 'sum', 'none'}
        ``'mean'`` is PyTorch's: each sequence's loss divided by its target length (at least 1),
        then averaged over the batch. ``'none'`` gives shape (N,) (a scalar when unbatched).
    zero_infinity : bool
        Replace infinite losses (infeasible labels) by 0.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> lp = np.log(np.full((2, 1, 2), 0.5))             # T=2, symbols {blank, 'a'}, uniform
    >>> round(float(lossbook.ctc_loss(lp, np.array([[1]]), [2], [1])), 6)   # -ln(3/4)
    0.287682
    """
    s = _setup(log_probs, targets, input_lengths, target_lengths, blank, reduction, zero_infinity)
    logp, _, _ = _per_sequence(s)
    xp = s.xp
    feasible = _index(s.feasible, logp)
    bad = xp.full_like(logp, 0.0 if s.zero_infinity else math.inf)
    loss = xp.where(feasible, -logp, bad)
    return _reduce(s, loss)


def ctc_loss_grad(log_probs, targets, input_lengths, target_lengths, *, blank: int = 0,
                  reduction: str = "mean", zero_infinity: bool = False, grad_output=None):
    r"""Gradient (VJP) of :func:`ctc_loss` with respect to ``log_probs``: minus the posterior
    occupancy of each symbol at each frame.

    .. math::

        \frac{\partial \ell_n}{\partial\,\texttt{log\_probs}[t,n,k]}
        = -\frac{1}{p(l\mid x)\,y^t_k}\sum_{s:\ l'_s=k}\alpha_t(s)\,\beta_t(s)
        = -\sum_{s:\ l'_s=k}\gamma_t(s)

    with :math:`\beta` the backward variables (Graves's convention, including :math:`y^t`):
    :math:`\gamma_t(s)` is the probability that a path drawn from the posterior over
    alignments is in state :math:`s` at frame :math:`t`. Computed as
    :math:`\alpha_t(s)\tilde\beta_t(s)/p` with :math:`\tilde\beta_t(s)=\beta_t(s)/y^t_{l'_s}`,
    which never divides by a probability. Each sequence's gradient is multiplied by its
    upstream weight: ``grad_output[n]`` (``'none'``), ``grad_output`` (``'sum'``),
    ``grad_output / (N * max(L_n, 1))`` (``'mean'``). Frames past the input length, and
    infeasible sequences (whose loss is :math:`+\infty`, or 0 with ``zero_infinity``), get 0.

    This is the true derivative with respect to ``log_probs``, what autograd of a pure-torch
    forward and ``gradcheck`` give. ``torch.nn.functional.ctc_loss``'s backward instead returns
    :math:`y^t_k - \sum_{s:l'_s=k}\gamma_t(s)` (Graves 2006, Eq. 16), the gradient at the
    logits as if ``log_softmax`` followed; composed with ``log_softmax`` both give that.
    """
    s = _setup(log_probs, targets, input_lengths, target_lengths, blank, reduction, zero_infinity)
    xp = s.xp
    logp, alphas, y = _per_sequence(s)
    betas = _backward(s, y)
    like = logp
    g = upstream(like, "none" if reduction == "none" else "sum",
                 None if grad_output is None else
                 (xp.reshape(xp.asarray(grad_output, like=like), (1,)) if (s.unbatched and reduction == "none")
                  else grad_output))
    if reduction == "mean":
        g = g / xp.asarray(s.N * np.maximum(s.target_lengths, 1).astype(np.float64), like=like)
    weight = xp.where(_index(s.feasible, like), g, xp.zeros_like(like))   # (N,)
    onehot = xp.one_hot(_index(s.ext, like), s.C, like)                    # (N, S', C)
    alpha = xp.concatenate([xp.reshape(a, (1, s.N, -1)) for a in alphas], axis=0)   # (T, N, S')
    beta = xp.concatenate([xp.reshape(b, (1, s.N, -1)) for b in betas], axis=0)
    live = _index((np.arange(s.T)[:, None] < s.input_lengths[None, :])[..., None], like)
    gamma = xp.exp(xp.minimum(alpha + beta - xp.reshape(logp, (1, s.N, 1)), 0.0))
    gamma = xp.where(live, gamma, xp.zeros_like(gamma))
    occupancy = xp.moveaxis(xp.moveaxis(gamma, 0, 1) @ onehot, 0, 1)        # (T, N, C)
    grad = -occupancy * xp.reshape(weight, (1, s.N, 1))
    return grad[:, 0, :] if s.unbatched else grad


# =====================================================================================
# Registry
# =====================================================================================
def _random_case(seed, T=6, N=3, C=4, padded=True, lengths=None):
    """Log-softmax of random logits, labels with a repeat, varied input lengths."""
    r = kit.rng(seed)
    z = r.normal(0.0, 1.5, size=(T, N, C))
    lp = z - np.log(np.exp(z - z.max(-1, keepdims=True)).sum(-1, keepdims=True)) - z.max(-1, keepdims=True)
    tl = np.array(lengths if lengths is not None else [2, 1, 3][:N], dtype=np.int64)
    il = np.array([T, T - 1, T][:N], dtype=np.int64)
    rows = [r.integers(1, C, size=k) for k in tl]
    if tl[-1] >= 2:
        rows[-1][1] = rows[-1][0]                            # a repeat: needs a blank between
    if padded:
        targets = np.zeros((N, max(tl)), dtype=np.int64)
        for i, row in enumerate(rows):
            targets[i, :len(row)] = row
            targets[i, len(row):] = r.integers(1, C, size=max(tl) - len(row))   # padding is ignored
    else:
        targets = np.concatenate(rows)
    return lp, targets, il, tl


def _example(seed):
    lp, targets, il, tl = _random_case(seed, padded=seed % 2 == 0)
    return (lp, targets, il, tl), {}


def _extreme(seed):
    """Near one-hot frames: log-probabilities down to about -1e4 (logits scaled by 1e4)."""
    lp, targets, il, tl = _random_case(seed, padded=True)
    z = lp * 1e3
    m = z.max(-1, keepdims=True)
    lp = z - m - np.log(np.exp(z - m).sum(-1, keepdims=True))
    return (lp, targets, il, tl), {"zero_infinity": True}


def _mean_weights(args, kwargs):
    """What 'mean' multiplies the per-sequence losses by: 1 / (N * max(L_n, 1))."""
    lengths = np.maximum(np.asarray(to_numpy(args[3])).reshape(-1), 1)
    return 1.0 / (lengths.size * lengths)


#: This module's part of the catalog; the registry enrols its SPECS under it.
FAMILY = Family(key="sequence", title="Sequence losses", part="J", chapters=("sequence_alignment",))

_spec = kit.spec_factory(FAMILY, globals())

SPECS = (
    _spec("ctc_loss", "J1", "连接时序分类损失 (CTC 损失)",
          "torch.nn.functional.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank, "
          "reduction, zero_infinity) (compare gradients at the logits: its backward is Eq. 16)",
          "Graves, Fernández, Gomez & Schmidhuber, Connectionist Temporal Classification: Labelling "
          "Unsegmented Sequence Data with Recurrent Neural Networks, ICML 2006",
          example=_example, extreme=_extreme, reduction_kind="target_length",
          extra={"mean_weights": _mean_weights}),
)
