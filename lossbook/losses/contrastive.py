"""Contrastive-estimation and retrieval losses (catalog part I): NCE, InfoNCE, MNRL.

Each loss is a value function with its ``_grad`` directly below it; ``SPECS`` at the end
registers them. InfoNCE and MNRL share one masked softmax cross-entropy over a similarity
matrix (``_masked_cross_entropy``) and the cosine-similarity gradient of
``lossbook.losses._similarity``.
"""
from __future__ import annotations

import math

import numpy as np

from .. import _kit as kit
from .._backend import namespace
from .._kit import rng
from .._reduction import reduce, upstream
from .._spec import Curve, Family, Param
from ._similarity import cosine_matrix, cosine_matrix_vjp

__all__: list[str] = [
    "nce_loss", "nce_loss_grad", "info_nce_loss", "info_nce_loss_grad",
    "multiple_negatives_ranking_loss", "multiple_negatives_ranking_loss_grad",
]


# --- set-up: every argument check of this module ------------------------------------------
def _matrix(x, name, like=None, like_name="", *, same_rows=True):
    """A floating (n, d) array; with ``like``, of its dtype and width (and rows)."""
    x = kit.floating(x, name)
    kit.has_ndim(x, name, "(batch, dim)", allowed=(2,))
    kit.nonempty(x, name)
    if like is not None:
        want = tuple(like.shape) if same_rows else (x.shape[0], like.shape[1])
        kit.has_shape(x, name, want, f" to match {like_name}")
        kit.same_dtype(like, x, like_name, name)
    return x


def _nce_args(input, noise_input, log_q, noise_log_q, negative_sampling, reduction):
    kit.check_reduction(reduction)
    s = kit.floating(input, "input")
    kit.has_ndim(s, "input", "(B,) (one data score per sample)", allowed=(1,))
    kit.nonempty(s, "input")
    sn = kit.floating(noise_input, "noise_input")
    kit.has_ndim(sn, "noise_input", f"({s.shape[0]}, k) (k >= 1 noise scores per sample)", allowed=(2,))
    kit.has_shape(sn, "noise_input", (s.shape[0], sn.shape[1]), " (k >= 1 noise scores per sample)")
    kit.nonempty(sn, "noise_input")
    kit.same_dtype(s, sn, "input", "noise_input")
    xp = namespace(s, sn, log_q, noise_log_q)
    kit.choice(negative_sampling, "negative_sampling", (False, True))
    if negative_sampling:
        return s, sn, None, None, xp
    if log_q is None or noise_log_q is None:
        raise ValueError("log_q and noise_log_q (log-probabilities under the noise distribution) "
                         "are needed for NCE's log(k q) correction; pass negative_sampling=True "
                         "to drop it")
    lq = kit.log_probabilities(log_q, "log_q")
    lqn = kit.log_probabilities(noise_log_q, "noise_log_q")
    kit.has_shape(lq, "log_q", tuple(s.shape), " (that of input)")
    kit.has_shape(lqn, "noise_log_q", tuple(sn.shape), " (that of noise_input)")
    return s, sn, kit.cast_like(lq, s, "log_q"), kit.cast_like(lqn, s, "noise_log_q"), xp


def _info_nce_args(query, positive_key, negative_keys, temperature, similarity, nt_xent, reduction):
    kit.check_reduction(reduction)
    q = _matrix(query, "query")
    k = _matrix(positive_key, "positive_key", q, "query")
    xp = namespace(q, k, negative_keys)
    neg = None
    if negative_keys is not None:
        neg = _matrix(negative_keys, "negative_keys", q, "query", same_rows=False)
    temperature = kit.number(temperature, "temperature", "(0, inf)")
    kit.choice(similarity, "similarity", ("cosine", "dot"))
    kit.choice(nt_xent, "nt_xent", (False, True))
    if nt_xent and neg is not None:
        raise ValueError("negative_keys must be None with nt_xent=True, which takes its 2N - 2 "
                         "negatives from the batch")
    return q, k, neg, xp, temperature


def _mnrl_args(anchor, positive, negative, scale, symmetric, reduction):
    kit.check_reduction(reduction)
    a = _matrix(anchor, "anchor")
    p = _matrix(positive, "positive", a, "anchor")
    xp = namespace(a, p, negative)
    n = None if negative is None else _matrix(negative, "negative", a, "anchor", same_rows=False)
    scale = kit.number(scale, "scale", "(0, inf)")
    kit.choice(symmetric, "symmetric", (False, True))
    if symmetric and n is not None:
        raise ValueError("negative must be None with symmetric=True, which has no hard negatives "
                         "(sentence-transformers' MultipleNegativesSymmetricRankingLoss)")
    return a, p, n, xp, scale


# --- I1: noise-contrastive estimation --------------------------------------------------
def _nce_terms(s, sn, lq, lqn, xp):
    k = sn.shape[1]
    if lq is None:                                   # negative sampling: no correction
        delta, delta_n = s, sn
    else:
        delta = s - (math.log(k) + lq)
        delta_n = sn - (math.log(k) + lqn)
    loss = xp.softplus(-delta) + xp.sum(xp.softplus(delta_n), axis=1)
    return loss, delta, delta_n


def nce_loss(input, noise_input, log_q=None, noise_log_q=None, *, negative_sampling: bool = False,
             reduction: str = "mean"):
    r"""Noise-contrastive estimation: logistic classification of data against ``k`` noise samples.

    .. math::

        \ell_i = -\log\sigma\bigl(\Delta(w_i)\bigr)
        - \sum_{j=1}^{k}\log\bigl(1-\sigma(\Delta(\tilde w_{ij}))\bigr),
        \qquad \Delta(w) = s_\theta(w) - \log\bigl(k\,q(w)\bigr)

    where :math:`s_\theta` is the model's unnormalised log-probability (its score) and
    :math:`q` the noise distribution. With ``negative_sampling=True`` the correction is
    dropped, :math:`\Delta(w)=s_\theta(w)` (word2vec's negative sampling).

    Parameters
    ----------
    input : array_like, shape (B,)
        Scores :math:`s_\theta(w_i)` of the data samples (e.g. :math:`u_{w}^\top v_c`).
    noise_input : array_like, shape (B, k)
        Scores :math:`s_\theta(\tilde w_{ij})` of the :math:`k` noise samples of each.
    log_q : array_like, shape (B,), optional
        :math:`\log q(w_i)` of the data samples under the noise distribution (needed unless
        ``negative_sampling``).
    noise_log_q : array_like, shape (B, k), optional
        :math:`\log q(\tilde w_{ij})` of the noise samples.
    negative_sampling : bool, default False
        Drop the :math:`\log(kq)` correction (then ``log_q`` and ``noise_log_q`` are
        ignored).
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        Over the :math:`B` data samples (each with its :math:`k` noise terms).

    Returns
    -------
    array
        Scalar, or shape ``(B,)`` for ``reduction='none'``.

    Notes
    -----
    The loss is binary cross-entropy with logits :math:`\Delta`, label 1 for the data
    sample and 0 for the noise samples: the posterior that :math:`w` came from the data
    when data and noise are mixed 1 : :math:`k` is
    :math:`p_\theta/(p_\theta+kq)=\sigma(\Delta)`. Its minimiser over an unconstrained
    :math:`s_\theta` is :math:`s_\theta=\log p_{\text{data}}`, normalised, so NCE estimates
    the normaliser (Gutmann & Hyvärinen 2010). Negative sampling's minimiser is
    :math:`s_\theta = \log(p_{\text{data}}/(kq))`, not a normalised log-density
    (erratum ER38). Written with ``softplus``: :math:`\ell = \operatorname{softplus}(-\Delta)
    + \sum_j\operatorname{softplus}(\Delta_j)`, stable for any scores. TensorFlow's
    ``tf.nn.nce_loss`` computes the same with :math:`\Delta = s - \log Q` where its
    ``Q`` is the expected count :math:`k\,q` of the sampler.

    References
    ----------
    Gutmann & Hyvärinen, "Noise-contrastive estimation: A new estimation principle for
    unnormalized statistical models", AISTATS 2010. Mnih & Teh, "A fast and simple algorithm
    for training neural probabilistic language models", ICML 2012. Mikolov et al.,
    "Distributed Representations of Words and Phrases and their Compositionality",
    NeurIPS 2013, arXiv:1310.4546.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> s, sn = np.array([2.0]), np.array([[0.0, -1.0]])
    >>> lq, lqn = np.log([0.25]), np.log([[0.5, 0.25]])
    >>> round(float(lossbook.nce_loss(s, sn, lq, lqn)), 6)
    1.310068
    >>> round(float(lossbook.nce_loss(s, sn, negative_sampling=True)), 6)
    1.133337
    """
    s, sn, lq, lqn, xp = _nce_args(input, noise_input, log_q, noise_log_q, negative_sampling,
                                   reduction)
    return reduce(_nce_terms(s, sn, lq, lqn, xp)[0], reduction)


def nce_loss_grad(input, noise_input, log_q=None, noise_log_q=None, *,
                  negative_sampling: bool = False, reduction: str = "mean", grad_output=None):
    r"""Gradients (VJP) of :func:`nce_loss` for the data scores and the noise scores.

    .. math::

        \frac{\partial\ell_i}{\partial s_\theta(w_i)} = \sigma\bigl(\Delta(w_i)\bigr)-1,
        \qquad
        \frac{\partial\ell_i}{\partial s_\theta(\tilde w_{ij})} = \sigma\bigl(\Delta(\tilde w_{ij})\bigr)

    Returns
    -------
    (array, array)
        Shaped like ``input`` and like ``noise_input``.
    """
    s, sn, lq, lqn, xp = _nce_args(input, noise_input, log_q, noise_log_q, negative_sampling,
                                   reduction)
    loss, delta, delta_n = _nce_terms(s, sn, lq, lqn, xp)
    g = upstream(loss, reduction, grad_output)
    return -g * xp.sigmoid(-delta), g[:, None] * xp.sigmoid(delta_n)


# --- I2 / I3: softmax cross-entropy over a similarity matrix ----------------------------
def _masked_cross_entropy(S, positive, allowed, xp):
    """Per-row ``logsumexp`` over the ``allowed`` columns minus the positive column's logit,
    and ``d loss / d S`` (softmax over the allowed columns minus the positive's one-hot)."""
    if allowed is None:
        logp = xp.log_softmax(S, axis=1)
        return -xp.sum(logp * positive, axis=1), xp.exp(logp) - positive
    masked = xp.where(allowed > 0.5, S, -math.inf)
    lse = xp.logsumexp(masked, axis=1, keepdims=True)
    loss = lse[:, 0] - xp.sum(S * positive, axis=1)
    return loss, xp.exp(masked - lse) - positive


def _similarity(a, b, kind, xp):
    """``(S, vjp)``: similarity matrix of the rows of ``a`` and ``b`` and a function mapping
    ``dL/dS`` to ``(dL/da, dL/db)``."""
    if kind == "dot":
        return a @ b.T, lambda G: (G @ b, G.T @ a)
    S, ah, bh, na, nb = cosine_matrix(a, b, xp)
    return S, lambda G: cosine_matrix_vjp(G, S, ah, bh, na, nb, xp)


def _info_nce_setup(q, k, neg, xp, similarity, nt_xent):
    """``(anchors, candidates, positive one-hot, allowed mask or None, split)``."""
    n = q.shape[0]
    if nt_xent:
        z = xp.concatenate([q, k], axis=0)
        index = np.arange(2 * n)
        positive = np.eye(2 * n)[(index + n) % (2 * n)]
        return z, z, kit.cast_like(positive, q), kit.cast_like(1.0 - np.eye(2 * n), q)
    if neg is None:
        return q, k, kit.cast_like(np.eye(n), q), None
    m = neg.shape[0]
    allowed = np.concatenate([np.eye(n), np.ones((n, m))], axis=1)
    return q, xp.concatenate([k, neg], axis=0), kit.cast_like(np.eye(n, n + m), q), kit.cast_like(allowed, q)


def info_nce_loss(query, positive_key, negative_keys=None, *, temperature: float = 0.1,
                  similarity: str = "cosine", nt_xent: bool = False, reduction: str = "mean"):
    r"""InfoNCE (CPC, MoCo) loss: pick each query's positive key out of itself and the negatives.

    .. math::

        \ell_i = -\log\frac{e^{\operatorname{sim}(q_i,k_i^+)/\tau}}
        {e^{\operatorname{sim}(q_i,k_i^+)/\tau}+\sum_{j=1}^{N-1}e^{\operatorname{sim}(q_i,k_j^-)/\tau}}

    The negatives :math:`k_j^-` are the other rows' positive keys (in-batch, the default) or
    the rows of ``negative_keys`` (shared by every query). With ``nt_xent=True`` (SimCLR's
    NT-Xent) both views are anchors: each of the :math:`2N` embeddings
    :math:`z=(q_1..q_N,k_1..k_N)` has its counterpart as positive and the other
    :math:`2N-2` as negatives.

    Parameters
    ----------
    query : array_like, shape (N, d)
        Queries :math:`q_i` (context, anchor, first view).
    positive_key : array_like, shape (N, d)
        Their positive keys :math:`k_i^+`.
    negative_keys : array_like, shape (M, d), optional
        Negatives shared by all queries; then each row has :math:`M` negatives and none from
        the batch. ``None``: in-batch negatives (:math:`N-1` per query).
    temperature : float > 0, default 0.1
        :math:`\tau` (MoCo uses 0.07, SimCLR 0.1–0.5).
    similarity : {'cosine', 'dot'}, default 'cosine'
        :math:`\operatorname{sim}`: cosine similarity (normalised embeddings) or the plain
        dot product (CPC's :math:`z^\top W c` with :math:`W` applied beforehand).
    nt_xent : bool, default False
        SimCLR's symmetric NT-Xent over :math:`2N` anchors.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        Over the :math:`N` queries (:math:`2N` anchors with ``nt_xent``).

    Returns
    -------
    array
        Scalar, or shape ``(N,)`` (``(2N,)`` with ``nt_xent``) for ``reduction='none'``.

    Notes
    -----
    In-batch InfoNCE is ``F.cross_entropy(sim(q, k) / τ, arange(N))``, with its mean over
    queries. With :math:`N` candidates the loss bounds the mutual information,
    :math:`I(q;k)\ge\log N-\mathcal L` (van den Oord et al. 2018), so the estimate can never
    exceed :math:`\log N`. pytorch-metric-learning's ``NTXentLoss(temperature)`` with
    labels ``[0..N-1, 0..N-1]`` equals ``nt_xent=True`` (it adds ``1e-45``-size
    ``small_val`` inside the log, negligible). The ``info-nce-pytorch`` package's
    ``InfoNCE`` normalises as ``similarity='cosine'`` does and defaults to
    :math:`\tau=0.1`.

    References
    ----------
    van den Oord, Li & Vinyals, "Representation Learning with Contrastive Predictive
    Coding", 2018, arXiv:1807.03748. He et al., "Momentum Contrast for Unsupervised Visual
    Representation Learning", CVPR 2020. Chen, Kornblith, Norouzi & Hinton, "A Simple
    Framework for Contrastive Learning of Visual Representations", ICML 2020.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> q = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> round(float(lossbook.info_nce_loss(q, q, temperature=1.0)), 6)
    0.313262
    """
    q, k, neg, xp, temperature = _info_nce_args(query, positive_key, negative_keys, temperature,
                                                similarity, nt_xent, reduction)
    anchors, candidates, positive, allowed = _info_nce_setup(q, k, neg, xp, similarity, nt_xent)
    S, _ = _similarity(anchors, candidates, similarity, xp)
    return reduce(_masked_cross_entropy(S / temperature, positive, allowed, xp)[0], reduction)


def info_nce_loss_grad(query, positive_key, negative_keys=None, *, temperature: float = 0.1,
                       similarity: str = "cosine", nt_xent: bool = False, reduction: str = "mean",
                       grad_output=None):
    r"""Gradients (VJP) of :func:`info_nce_loss` for the queries and the keys.

    .. math::

        \frac{\partial\ell_i}{\partial S_{ij}} = \frac{p_{ij}-\delta_{j,i^+}}{\tau},\qquad
        \frac{\partial\cos(u,v)}{\partial u} = \frac{\hat v-\cos(u,v)\,\hat u}{\lVert u\rVert}

    with :math:`p_{i\cdot}` the softmax of row :math:`i` over its candidates, then through
    the similarity (for the dot product :math:`\partial S_{ij}/\partial q_i = k_j`).

    Returns
    -------
    tuple of arrays
        Shaped like ``query`` and ``positive_key`` (and ``negative_keys`` when given).
    """
    q, k, neg, xp, temperature = _info_nce_args(query, positive_key, negative_keys, temperature,
                                                similarity, nt_xent, reduction)
    anchors, candidates, positive, allowed = _info_nce_setup(q, k, neg, xp, similarity, nt_xent)
    S, vjp = _similarity(anchors, candidates, similarity, xp)
    loss, dS = _masked_cross_entropy(S / temperature, positive, allowed, xp)
    g = upstream(loss, reduction, grad_output)[:, None]
    grad_a, grad_c = vjp(g * dS / temperature)
    n = q.shape[0]
    if nt_xent:
        grad_z = grad_a + grad_c
        return grad_z[:n], grad_z[n:]
    if neg is None:
        return grad_a, grad_c
    return grad_a, grad_c[:n], grad_c[n:]


def _mnrl_terms(a, p, n, xp, scale, symmetric):
    candidates = p if n is None else xp.concatenate([p, n], axis=0)
    S, vjp = _similarity(a, candidates, "cosine", xp)
    S = scale * S
    eye = kit.cast_like(np.eye(a.shape[0], candidates.shape[0]), a)
    loss, dS = _masked_cross_entropy(S, eye, None, xp)
    if not symmetric:
        return loss, dS, vjp
    back, dB = _masked_cross_entropy(S.T, eye, None, xp)
    return 0.5 * (loss + back), (dS, dB), vjp


def multiple_negatives_ranking_loss(anchor, positive, negative=None, *, scale: float = 20.0,
                                    symmetric: bool = False, reduction: str = "mean"):
    r"""Multiple Negatives Ranking loss (sentence-transformers): InfoNCE with in-batch negatives.

    .. math::

        \ell_i = -\log\frac{e^{s\cos(a_i,p_i)}}{\sum_{j=1}^{N}e^{s\cos(a_i,p_j)}
        + \sum_{j=1}^{N}e^{s\cos(a_i,n_j)}}

    (the second sum only with hard negatives :math:`n_j`): every other pair's positive, and
    every hard negative of the batch, is a negative of :math:`a_i`.

    Parameters
    ----------
    anchor : array_like, shape (N, d)
        Anchors :math:`a_i` (queries, questions).
    positive : array_like, shape (N, d)
        Their positives :math:`p_i` (answers).
    negative : array_like, shape (M, d), optional
        Hard negatives (one per pair in sentence-transformers, :math:`M=N`; any :math:`M`
        here), candidates for every anchor.
    scale : float > 0, default 20.0
        :math:`s`, the inverse temperature (:math:`\tau=1/s=0.05`).
    symmetric : bool, default False
        Average with the backward direction, each positive picking its anchor:
        :math:`\tfrac12(\ell_i + \ell'_i)`,
        :math:`\ell'_i=-\log\bigl(e^{s\cos(p_i,a_i)}/\sum_j e^{s\cos(p_i,a_j)}\bigr)`
        (sentence-transformers' ``MultipleNegativesSymmetricRankingLoss``; no hard
        negatives).
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        Over the :math:`N` pairs.

    Returns
    -------
    array
        Scalar, or shape ``(N,)`` for ``reduction='none'``.

    Notes
    -----
    sentence-transformers computes ``CrossEntropyLoss()(scale * cos_sim(a, cat(p, n)),
    arange(N))``, exactly this with its default ``scale=20``. It equals
    :func:`info_nce_loss` with ``temperature = 1/scale`` when there are no hard negatives.

    References
    ----------
    Henderson et al., "Efficient Natural Language Response Suggestion for Smart Reply",
    2017, arXiv:1705.00652, §4.4. Reimers & Gurevych, "Sentence-BERT", EMNLP 2019.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> a = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> round(float(lossbook.multiple_negatives_ranking_loss(a, a, scale=1.0)), 6)
    0.313262
    """
    a, p, n, xp, scale = _mnrl_args(anchor, positive, negative, scale, symmetric, reduction)
    return reduce(_mnrl_terms(a, p, n, xp, scale, symmetric)[0], reduction)


def multiple_negatives_ranking_loss_grad(anchor, positive, negative=None, *, scale: float = 20.0,
                                         symmetric: bool = False, reduction: str = "mean",
                                         grad_output=None):
    r"""Gradients (VJP) of :func:`multiple_negatives_ranking_loss` for anchors and positives.

    .. math::

        \frac{\partial\ell_i}{\partial S_{ij}} = \operatorname{softmax}_j(S_{i\cdot})-\delta_{ij},
        \qquad S_{ij} = s\cos(a_i, b_j)

    then through the scale and the cosine (:math:`b` = positives, then hard negatives).

    Returns
    -------
    tuple of arrays
        Shaped like ``anchor`` and ``positive`` (and ``negative`` when given).
    """
    a, p, n, xp, scale = _mnrl_args(anchor, positive, negative, scale, symmetric, reduction)
    loss, dS, vjp = _mnrl_terms(a, p, n, xp, scale, symmetric)
    g = upstream(loss, reduction, grad_output)[:, None]
    if symmetric:
        dS = 0.5 * (g * dS[0] + (g * dS[1]).T)
    else:
        dS = g * dS
    grad_a, grad_c = vjp(scale * dS)
    if n is None:
        return grad_a, grad_c
    m = p.shape[0]
    return grad_a, grad_c[:m], grad_c[m:]


# --- registry entries -------------------------------------------------------------------
def _nce_example(seed):
    """Six data scores, four noise samples each, log-probabilities of a noise distribution."""
    generator = rng(seed + 600)
    q = generator.dirichlet(np.ones(10))
    words = generator.integers(0, 10, size=6)
    noise = generator.integers(0, 10, size=(6, 4))
    return (generator.normal(1.0, 1.5, 6), generator.normal(-0.5, 1.5, (6, 4)),
            np.log(q[words]), np.log(q[noise])), {}


def _nce_curve(x, params):
    """The data score s varies; one noise sample of score 0, q = 0.1 for both."""
    n = len(x)
    return (x, np.zeros((n, 1)), np.full(n, math.log(0.1)), np.full((n, 1), math.log(0.1))), \
        dict(params)


def _views(seed, n, d=4, noise=0.6):
    generator = rng(seed)
    base = generator.normal(size=(n, d))
    return base + noise * generator.normal(size=(n, d)), base + noise * generator.normal(size=(n, d))


def _info_nce_example(seed):
    q, k = _views(seed + 700, 6)
    return (q, k), {"temperature": 0.5}


def _mnrl_example(seed):
    a, p = _views(seed + 800, 6)
    return (a, p), {"scale": 5.0}


#: This module's part of the catalog; the registry enrols its SPECS under it.
FAMILY = Family(key="contrastive", title="Contrastive estimation and retrieval losses", part="I",
                chapters=("contrastive_estimation",))

_spec = kit.spec_factory(FAMILY, globals())

SPECS = (
    _spec(
        "nce_loss", catalog_id="I1", example=_nce_example,
        wrt=(0, 1), params=(Param("negative_sampling", False, options=(False, True)),),
        curve=Curve("data score $s_\\theta(w)$ ($q=0.1$, $k=1$)", (-6.0, 6.0), call=_nce_curve),
        chinese="噪声对比估计",
        reference=("binary cross-entropy with logits Δ = s − log(kq) (label 1 for data, 0 for "
                   "noise), torch.nn.functional.binary_cross_entropy_with_logits; "
                   "tf.nn.nce_loss (not installed)"),
        paper=("Gutmann & Hyvärinen, Noise-contrastive estimation: A new estimation principle "
               "for unnormalized statistical models, AISTATS 2010"),
    ),
    _spec(
        "info_nce_loss", catalog_id="I2",
        example=_info_nce_example, wrt=(0, 1),
        params=(Param("temperature", 0.1, 0.01, 2.0, log=True),
                Param("similarity", "cosine", options=("cosine", "dot")),
                Param("nt_xent", False, options=(False, True))),
        chinese="信息噪声对比估计损失 (InfoNCE)",
        reference=("torch.nn.functional.cross_entropy(sim(q, k) / τ, arange(N)); "
                   "pytorch-metric-learning NTXentLoss for nt_xent=True (tests/test_metric.py)"),
        paper=("van den Oord, Li & Vinyals, Representation Learning with Contrastive Predictive "
               "Coding, 2018, arXiv:1807.03748"),
    ),
    _spec(
        "multiple_negatives_ranking_loss", catalog_id="I3",
        example=_mnrl_example, wrt=(0, 1),
        params=(Param("scale", 20.0, 1.0, 50.0), Param("symmetric", False, options=(False, True))),
        chinese="多负例排序损失",
        reference=("sentence-transformers MultipleNegativesRankingLoss = "
                   "torch.nn.functional.cross_entropy(scale * cos_sim(a, cat(p, n)), arange(N))"),
        paper=("Henderson et al., Efficient Natural Language Response Suggestion for Smart "
               "Reply, 2017, arXiv:1705.00652"),
    ),
)
