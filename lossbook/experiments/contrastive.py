r"""Contrastive estimation and retrieval (chapter *contrastive_estimation*).

Three experiments, each trained through lossbook's own gradients
(:func:`lossbook.autograd.function` / :func:`lossbook.train.train`):

* **NCE estimates a normaliser.** :func:`fit_nce_gaussian` fits the unnormalised Gaussian
  model :math:`s_\theta(x)=-(x-\mu)^2/(2\sigma^2)+c` to 1-D Gaussian data with
  :func:`~lossbook.nce_loss` (or its negative-sampling variant); :math:`-c` estimates the
  log-partition :math:`\log Z=\log(\sqrt{2\pi}\sigma)`. :func:`nce_partition_sweep` repeats
  it over the noise ratio :math:`k` and seeds, beside maximum likelihood.
* **InfoNCE bounds mutual information.** :func:`info_nce_bound` evaluates
  :math:`\log N-\mathcal L_N` on correlated Gaussians of known
  :math:`I=-\tfrac d2\log(1-\rho^2)` with the optimal critic written as a dot product
  (:func:`optimal_critic_embeddings`); :func:`learned_critic_bound` trains a small separable
  critic instead. :func:`info_nce_bound_sweep` and :func:`learned_critic_sweep` go over
  :math:`N`.
* **MNRL needs large batches.** :func:`retrieval_vs_batch_size` trains two small encoders
  on two noisy linear views of a latent (:func:`paired_views`) with
  :func:`~lossbook.multiple_negatives_ranking_loss` and measures recall@1 on held-out pairs.

:func:`explore_temperature` is the chapter's explorer (InfoNCE's softmax weights over the
candidates as the temperature changes).
"""
from __future__ import annotations

import math

import numpy as np

from ..cache import memoize
from ._jobs import run_jobs

__all__ = [
    "gaussian_log_partition", "fit_nce_gaussian", "negative_sampling_limit", "mle_log_partition", "nce_partition_sweep",
    "gaussian_mi", "rho_for_mi", "correlated_gaussians", "optimal_critic_embeddings",
    "info_nce_bound", "info_nce_bound_sweep", "learned_critic_bound", "learned_critic_sweep",
    "paired_views", "make_encoder", "train_mnrl", "recall_at_k", "retrieval_vs_batch_size",
    "temperature_weights", "explore_temperature",
]


def _positive_int(value, name, minimum=1):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _positive(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or not value > 0 \
            or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)


# --- 1. NCE and the log-partition of an unnormalised Gaussian --------------------------------
def gaussian_log_partition(std: float) -> float:
    r""":math:`\log Z` of :math:`\exp(-(x-\mu)^2/(2\sigma^2))`: :math:`\log(\sqrt{2\pi}\,\sigma)`."""
    return math.log(math.sqrt(2 * math.pi) * _positive(std, "std"))


def _normal_logpdf(x, std):
    return -x ** 2 / (2 * std ** 2) - gaussian_log_partition(std)


def fit_nce_gaussian(k: int, *, n: int = 1000, seed: int = 0, mean: float = 0.5,
                     std: float = 1.0, noise_std: float = 2.0,
                     negative_sampling: bool = False) -> dict:
    r"""Fit :math:`s_\theta(x)=-(x-\mu)^2/(2\sigma^2)+c` to :math:`n` samples of
    :math:`\mathcal N(\text{mean},\text{std}^2)` by NCE against :math:`k n` samples of the
    noise :math:`q=\mathcal N(0,\text{noise\_std}^2)`.

    The loss is :func:`lossbook.nce_loss` (``negative_sampling=True``: without the
    :math:`\log(kq)` correction) through :func:`lossbook.autograd.function`, minimised by
    L-BFGS over the natural parameters :math:`s=ax+bx^2+c_0` (the loss is convex in them:
    a logistic loss of a linear function); the result is converted to :math:`(\mu,\sigma,c)`.

    Returns
    -------
    dict
        ``mean``, ``std`` (:math:`\hat\mu`, :math:`\hat\sigma`; NaN if the fitted
        :math:`b\ge0`), ``c``, ``log_partition_estimate`` (:math:`-\hat c`),
        ``log_partition_of_fit`` (:math:`\log(\sqrt{2\pi}\hat\sigma)`, the normaliser the
        fitted shape really has), ``log_partition`` (the truth,
        :math:`\log(\sqrt{2\pi}\,\text{std})`), ``evaluations``, ``loss``.
    """
    import torch

    from ..autograd import function
    from ..train import threads

    k, n = _positive_int(k, "k"), _positive_int(n, "n")
    std, noise_std = _positive(std, "std"), _positive(noise_std, "noise_std")
    if negative_sampling not in (False, True):
        raise ValueError(f"negative_sampling must be True or False, got {negative_sampling!r}")
    generator = np.random.default_rng(seed)
    x = generator.normal(mean, std, n)
    noise = generator.normal(0.0, noise_std, (n, k))
    X, Y = torch.from_numpy(x), torch.from_numpy(noise)
    log_q, noise_log_q = (torch.from_numpy(_normal_logpdf(x, noise_std)),
                          torch.from_numpy(_normal_logpdf(noise, noise_std)))
    nce = function("nce_loss")
    theta = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([theta], lr=1.0, max_iter=200, tolerance_grad=1e-10,
                                  tolerance_change=1e-14, line_search_fn="strong_wolfe")
    evaluations = [0]

    def score(t):
        return theta[0] * t + theta[1] * t ** 2 + theta[2]

    def closure():
        optimizer.zero_grad()
        if negative_sampling:
            loss = nce(score(X), score(Y), negative_sampling=True)
        else:
            loss = nce(score(X), score(Y), log_q, noise_log_q)
        loss.backward()
        evaluations[0] += 1
        return loss

    with threads(1):                       # tiny tensors: one thread is fastest
        loss = float(optimizer.step(closure).detach())
    a, b, c0 = (float(v) for v in theta.detach())
    if b < 0:
        var = -1.0 / (2 * b)
        mu, sigma = a * var, math.sqrt(var)
        c = c0 + mu ** 2 / (2 * var)
        of_fit = gaussian_log_partition(sigma)
    else:                                  # not a normalisable shape
        mu = sigma = of_fit = math.nan
        c = c0
    return {"mean": mu, "std": sigma, "c": c, "log_partition_estimate": -c,
            "log_partition_of_fit": of_fit, "log_partition": gaussian_log_partition(std),
            "evaluations": evaluations[0], "loss": loss, "k": k,
            "negative_sampling": negative_sampling}


def negative_sampling_limit(k: int, *, mean: float = 0.5, std: float = 1.0,
                            noise_std: float = 2.0) -> dict:
    r"""Where negative sampling goes with infinite data: its minimiser
    :math:`s=\log p_{\text{data}}-\log(kq)` written as :math:`-(x-\mu')^2/(2\sigma'^2)+c'`
    (data :math:`\mathcal N(\text{mean},\text{std}^2)`, noise
    :math:`\mathcal N(0,\text{noise\_std}^2)`, ``noise_std > std``):
    :math:`1/\sigma'^2=1/\sigma^2-1/\sigma_q^2`, :math:`\mu'=\mu\,\sigma'^2/\sigma^2`,
    :math:`c'=\mu'^2/(2\sigma'^2)-\mu^2/(2\sigma^2)-\log(\sigma/\sigma_q)-\log k`.

    Returns
    -------
    dict
        ``mean``, ``std``, ``c`` and ``log_partition_estimate`` (:math:`-c'`).
    """
    k, std, noise_std = _positive_int(k, "k"), _positive(std, "std"), _positive(noise_std, "noise_std")
    if not noise_std > std:
        raise ValueError(f"noise_std must exceed std ({std}) for a normalisable limit, got {noise_std}")
    var = 1.0 / (1.0 / std ** 2 - 1.0 / noise_std ** 2)
    mu = mean * var / std ** 2
    c = mu ** 2 / (2 * var) - mean ** 2 / (2 * std ** 2) - math.log(std / noise_std) - math.log(k)
    return {"mean": mu, "std": math.sqrt(var), "c": c, "log_partition_estimate": -c}


def mle_log_partition(*, n: int = 1000, seed: int = 0, mean: float = 0.5, std: float = 1.0) -> float:
    r"""Maximum likelihood's :math:`\log\hat Z=\log(\sqrt{2\pi}\hat\sigma)` on the same data
    as :func:`fit_nce_gaussian` (same seed): the normalised model, :math:`\hat\sigma` the
    sample standard deviation (divisor :math:`n`)."""
    x = np.random.default_rng(seed).normal(mean, std, _positive_int(n, "n"))
    return gaussian_log_partition(float(x.std()))


@memoize(rng=False)
def nce_partition_sweep(ks=(1, 2, 4, 8, 16, 32, 64), seeds=tuple(range(6)), *, n: int = 1000,
                        mean: float = 0.5, std: float = 1.0, noise_std: float = 2.0,
                        progress: bool = False) -> dict:
    r"""NCE, negative sampling and maximum likelihood estimates of :math:`\log Z` over
    :math:`k` and seeds (data of seed ``s`` are the same for every ``k`` and method).

    Returns
    -------
    dict
        ``ks``, ``seeds``, ``log_partition`` (truth); ``nce`` and ``negative_sampling``:
        arrays (len(ks), len(seeds)) of :math:`-\hat c`; ``nce_of_fit``: the fitted shapes'
        own :math:`\log(\sqrt{2\pi}\hat\sigma)`; ``nce_std`` and ``ns_std``: the fitted
        :math:`\hat\sigma`; ``mle``: array (len(seeds),).
    """
    from tqdm.auto import tqdm

    ks, seeds = tuple(int(k) for k in ks), tuple(int(s) for s in seeds)
    shape = (len(ks), len(seeds))
    out = {name: np.full(shape, np.nan) for name in
           ("nce", "negative_sampling", "nce_of_fit", "nce_std", "ns_std")}
    common = dict(n=n, mean=mean, std=std, noise_std=noise_std)
    cells = [(i, j) for i in range(len(ks)) for j in range(len(seeds))]
    for i, j in tqdm(cells, desc="NCE fits", disable=not progress):
        fit = fit_nce_gaussian(ks[i], seed=seeds[j], **common)
        ns = fit_nce_gaussian(ks[i], seed=seeds[j], negative_sampling=True, **common)
        out["nce"][i, j], out["nce_of_fit"][i, j] = fit["log_partition_estimate"], fit["log_partition_of_fit"]
        out["nce_std"][i, j] = fit["std"]
        out["negative_sampling"][i, j], out["ns_std"][i, j] = ns["log_partition_estimate"], ns["std"]
    out["mle"] = np.array([mle_log_partition(n=n, seed=s, mean=mean, std=std) for s in seeds])
    out.update(ks=ks, seeds=seeds, log_partition=gaussian_log_partition(std), n=n,
               noise_std=noise_std)
    return out


# --- 2. the InfoNCE bound on mutual information ------------------------------------------
def gaussian_mi(rho: float, d: int) -> float:
    r""":math:`I(x;y)=-\tfrac d2\log(1-\rho^2)` nats for :math:`d` independent coordinate
    pairs of correlation :math:`\rho`."""
    if not -1 < rho < 1:
        raise ValueError(f"rho must be in (-1, 1), got {rho!r}")
    return -0.5 * _positive_int(d, "d") * math.log1p(-rho ** 2)


def rho_for_mi(mi: float, d: int) -> float:
    r"""The correlation :math:`\rho` for which :func:`gaussian_mi` is ``mi`` nats."""
    return math.sqrt(-math.expm1(-2 * _positive(mi, "mi") / _positive_int(d, "d")))


def correlated_gaussians(n: int, rho: float, d: int = 4, seed: int = 0):
    r"""``(x, y)``, each (n, d): :math:`x\sim\mathcal N(0,I)`,
    :math:`y=\rho x+\sqrt{1-\rho^2}\,\varepsilon` (so :math:`y\sim\mathcal N(0,I)` too)."""
    generator = np.random.default_rng(seed)
    x = generator.normal(size=(_positive_int(n, "n"), _positive_int(d, "d")))
    return x, rho * x + math.sqrt(1 - rho ** 2) * generator.normal(size=x.shape)


def optimal_critic_embeddings(x, y, rho: float):
    r"""Embeddings whose dot product is the optimal critic
    :math:`f(x,y)=\log\frac{p(y\mid x)}{p(y)}` up to a function of :math:`x` alone
    (which InfoNCE's softmax over the :math:`y_j` ignores):

    .. math::

        \log\frac{p(y\mid x)}{p(y)} = \frac{\rho\,x^\top y}{1-\rho^2}
        - \frac{\rho^2\lVert y\rVert^2}{2(1-\rho^2)} - \frac{\rho^2\lVert x\rVert^2}{2(1-\rho^2)}
        - \tfrac d2\log(1-\rho^2),

    so :math:`u=(\rho x/(1-\rho^2),\,1)` and :math:`v=(y,\,-\rho^2\lVert y\rVert^2/(2(1-\rho^2)))`.
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    one = 1 - rho ** 2
    u = np.concatenate([rho * x / one, np.ones((len(x), 1))], axis=1)
    v = np.concatenate([y, -rho ** 2 * (y ** 2).sum(axis=1, keepdims=True) / (2 * one)], axis=1)
    return u, v


def info_nce_bound(N: int, mi: float, *, d: int = 4, total: int = 8192, max_batches: int = 512,
                   seed: int = 0, critic=None) -> dict:
    r""":math:`\log N-\mathcal L_N` averaged over ``total // N`` independent batches of
    :math:`N` pairs (at least one, at most ``max_batches``), with :func:`lossbook.info_nce_loss` (dot product,
    :math:`\tau=1`).

    ``critic=None`` uses :func:`optimal_critic_embeddings`; otherwise ``critic(x, y)`` must
    return the two embeddings (e.g. a trained pair of encoders).

    Returns
    -------
    dict
        ``bound``, ``stderr`` (over batches), ``loss``, ``log_n``, ``mi``, ``batches``.
    """
    from ..losses.contrastive import info_nce_loss
    from ..train import threads

    N = _positive_int(N, "N", 2)
    rho = rho_for_mi(mi, d)
    generator = np.random.default_rng(seed)
    batches = min(max(1, _positive_int(total, "total") // N), _positive_int(max_batches, "max_batches"))
    losses = []
    with threads(1):
        for _ in range(batches):
            x, y = correlated_gaussians(N, rho, d, int(generator.integers(2 ** 62)))
            u, v = optimal_critic_embeddings(x, y, rho) if critic is None else critic(x, y)
            losses.append(float(info_nce_loss(u, v, temperature=1.0, similarity="dot")))
    losses = np.array(losses)
    stderr = float(losses.std(ddof=1) / math.sqrt(batches)) if batches > 1 else math.nan
    return {"bound": math.log(N) - float(losses.mean()), "stderr": stderr,
            "loss": float(losses.mean()), "log_n": math.log(N), "mi": float(mi),
            "batches": batches}


@memoize(rng=False)
def info_nce_bound_sweep(Ns=(2, 4, 8, 16, 32, 64, 128, 256, 512, 1024), mis=(1.0, 2.0, 4.0, 8.0),
                         *, d: int = 4, total: int = 8192, seed: int = 0) -> dict:
    """:func:`info_nce_bound` with the optimal critic for every ``N`` and ``mi``.

    Returns
    -------
    dict
        ``Ns``, ``mis``, ``bound`` and ``stderr``: arrays (len(mis), len(Ns)).
    """
    bound = np.zeros((len(mis), len(Ns)))
    stderr = np.zeros_like(bound)
    for i, mi in enumerate(mis):
        for j, N in enumerate(Ns):
            r = info_nce_bound(N, mi, d=d, total=total, seed=seed + 1000 * i + j)
            bound[i, j], stderr[i, j] = r["bound"], r["stderr"]
    return {"Ns": tuple(Ns), "mis": tuple(mis), "bound": bound, "stderr": stderr, "d": d}


def _pair_module(d: int, hidden: int, out: int, seed: int):
    """Two small tanh MLPs ``g(x)``, ``h(y)`` as one module taking stacked ``(n, 2, d)``."""
    import torch

    class PairEncoder(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.left = make_encoder(d, hidden, out, seed)
            self.right = make_encoder(d, hidden, out, seed + 1)

        def forward(self, pairs):
            return self.left(pairs[:, 0]), self.right(pairs[:, 1])

        def embed(self, x, y):
            with torch.no_grad():
                return (self.left(torch.as_tensor(x)).numpy(), self.right(torch.as_tensor(y)).numpy())

    return PairEncoder()


def make_encoder(dim: int, hidden: int = 64, out: int = 16, seed: int = 0):
    """A ``dim`` → ``hidden`` → ``out`` tanh MLP in float64, seeded."""
    import torch

    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(dim, hidden), torch.nn.Tanh(),
                               torch.nn.Linear(hidden, out)).double()


def learned_critic_bound(N: int, mi: float, *, d: int = 4, steps: int = 400, lr: float = 3e-3,
                         hidden: int = 64, out: int = 16, pool: int = 20000, total: int = 8192,
                         seed: int = 0, progress: bool = False) -> dict:
    r"""Train a separable critic :math:`f(x,y)=g(x)^\top h(y)` (two tanh MLPs) by minimising
    InfoNCE with batches of :math:`N` (``steps`` Adam steps, batches drawn with replacement
    from ``pool`` pairs) through :func:`lossbook.train.train`, then evaluate its bound on
    fresh data with :func:`info_nce_bound`.

    Returns
    -------
    dict
        :func:`info_nce_bound`'s entries plus ``train_loss`` (last epoch) and ``cpu_time``.
    """
    import torch

    from ..autograd import function
    from ..train import Recipe, train

    N = _positive_int(N, "N", 2)
    rho = rho_for_mi(mi, d)
    x, y = correlated_gaussians(pool, rho, d, seed)
    pairs = torch.from_numpy(np.stack([x, y], axis=1))
    loss = function("info_nce_loss")

    def objective(outputs, target):
        return loss(outputs[0], outputs[1], temperature=1.0, similarity="dot")

    recipe = Recipe(epochs=1, batch_size=N, lr=lr, optimizer="adam", sampling="replacement",
                    steps_per_epoch=_positive_int(steps, "steps"))
    with torch.random.fork_rng(devices=[]):          # seeded here; the caller's RNG untouched
        model = _pair_module(d, hidden, out, seed)
        history = train(model, objective, (pairs, torch.zeros(pool, dtype=torch.float64)), recipe,
                        seed=seed, device="cpu", progress=progress, desc=f"critic N={N}",
                        num_threads=1)
    result = info_nce_bound(N, mi, d=d, total=total, seed=seed + 1, critic=model.embed)
    result.update(train_loss=history["loss"][-1], cpu_time=history["cpu_time"][-1])
    return result


@memoize(rng=False)
def learned_critic_sweep(Ns=(2, 8, 32, 128, 512), mi: float = 4.0, *, d: int = 4,
                         steps: int = 400, seed: int = 0, progress: bool = False) -> dict:
    """:func:`learned_critic_bound` for each ``N`` (one critic trained per ``N``).

    Returns
    -------
    dict
        ``Ns``, ``mi``, ``bound``, ``stderr`` (arrays over ``Ns``), ``cpu_time`` (total).
    """
    runs = [learned_critic_bound(N, mi, d=d, steps=steps, seed=seed, progress=progress)
            for N in Ns]
    return {"Ns": tuple(Ns), "mi": mi, "bound": np.array([r["bound"] for r in runs]),
            "stderr": np.array([r["stderr"] for r in runs]),
            "cpu_time": float(sum(r["cpu_time"] for r in runs))}


# --- 3. MNRL: retrieval accuracy vs batch size -------------------------------------------------
def paired_views(n: int, seed: int = 0, *, latent: int = 8, dim: int = 32, noise: float = 0.5,
                 mixing_seed: int = 0):
    r"""Two noisy linear views of a latent :math:`z\sim\mathcal N(0,I_{\text{latent}})`:
    :math:`x=zA+\sigma\varepsilon`, :math:`y=zB+\sigma\varepsilon'` (``(n, dim)`` each).
    The mixing matrices depend only on ``mixing_seed`` (the same task for every ``seed``)."""
    mixing = np.random.default_rng(mixing_seed)
    A = mixing.normal(size=(latent, dim)) / math.sqrt(latent)
    B = mixing.normal(size=(latent, dim)) / math.sqrt(latent)
    generator = np.random.default_rng(seed)
    z = generator.normal(size=(_positive_int(n, "n"), latent))
    return z @ A + noise * generator.normal(size=(n, dim)), z @ B + noise * generator.normal(size=(n, dim))


def recall_at_k(a, b, k: int = 1) -> float:
    """Share of rows ``i`` of ``a`` whose ``b[i]`` is among the ``k`` candidates of ``b``
    most cosine-similar to ``a[i]`` (retrieval over all rows of ``b``)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 2:
        raise ValueError(f"a and b must be (n, d) arrays of one shape, got {a.shape} and {b.shape}")
    k = _positive_int(k, "k")
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    S = a @ b.T
    rank = (S > np.diag(S)[:, None]).sum(axis=1)          # candidates strictly better than the true one
    return float((rank < k).mean())


def train_mnrl(batch_size: int, *, epochs: int = 4, n_train: int = 4096, n_test: int = 1000,
               seed: int = 0, lr: float = 3e-3, scale: float = 20.0, symmetric: bool = False,
               hidden: int = 64, out: int = 16, progress: bool = False, **views) -> dict:
    r"""Train two encoders on :func:`paired_views` with
    :func:`lossbook.multiple_negatives_ranking_loss` (in-batch negatives) through
    :func:`lossbook.train.train` (Adam, ``epochs`` passes over ``n_train`` pairs, so a
    smaller batch takes more steps), then retrieve each held-out :math:`y` from its
    :math:`x` among the ``n_test`` candidates.

    Returns
    -------
    dict
        ``recall@1``, ``recall@5``, ``steps``, ``train_loss`` (last epoch), ``cpu_time``,
        ``batch_size``.
    """
    import torch

    from ..autograd import function
    from ..train import Recipe, train

    batch_size = _positive_int(batch_size, "batch_size", 2)
    x, y = paired_views(n_train, seed + 1, **views)
    x_test, y_test = paired_views(n_test, seed + 2, **views)
    loss = function("multiple_negatives_ranking_loss")

    def objective(outputs, target):
        return loss(outputs[0], outputs[1], scale=scale, symmetric=symmetric)

    recipe = Recipe(epochs=epochs, batch_size=batch_size, lr=lr, optimizer="adam")
    pairs = torch.from_numpy(np.stack([x, y], axis=1))
    with torch.random.fork_rng(devices=[]):          # seeded here; the caller's RNG untouched
        model = _pair_module(x.shape[1], hidden, out, seed)
        history = train(model, objective, (pairs, torch.zeros(n_train, dtype=torch.float64)),
                        recipe, seed=seed, device="cpu", progress=progress,
                        desc=f"MNRL batch {batch_size}", num_threads=1)
    a, b = model.embed(x_test, y_test)
    return {"recall@1": recall_at_k(a, b, 1), "recall@5": recall_at_k(a, b, 5),
            "steps": epochs * (n_train // batch_size), "train_loss": history["loss"][-1],
            "cpu_time": history["cpu_time"][-1], "batch_size": batch_size}


def _mnrl_job(job, progress=False):
    return train_mnrl(progress=progress, **job)


@memoize(rng=False)
def retrieval_vs_batch_size(batch_sizes=(4, 8, 16, 32, 64, 128, 256), seeds=(0, 1), *,
                            epochs: int = 4, workers: int = 1, progress: bool = False,
                            **kwargs) -> dict:
    """:func:`train_mnrl` for every batch size and seed (``workers`` processes at once).

    Returns
    -------
    dict
        ``batch_sizes``, ``seeds``; ``recall@1``, ``recall@5``, ``cpu_time``: arrays
        (len(batch_sizes), len(seeds)); ``steps``: per batch size.
    """
    jobs = [dict(batch_size=int(b), seed=int(s), epochs=epochs, **kwargs)
            for b in batch_sizes for s in seeds]
    runs = run_jobs(_mnrl_job, jobs, workers, progress, "MNRL trainings")
    shape = (len(batch_sizes), len(seeds))
    return {"batch_sizes": tuple(batch_sizes), "seeds": tuple(seeds),
            "recall@1": np.array([r["recall@1"] for r in runs]).reshape(shape),
            "recall@5": np.array([r["recall@5"] for r in runs]).reshape(shape),
            "cpu_time": np.array([r["cpu_time"] for r in runs]).reshape(shape),
            "steps": tuple(r["steps"] for r in runs[::len(seeds)])}


# --- the explorer -------------------------------------------------------------------------------
#: Cosine similarities of one query to its positive (first) and to seven negatives.
SIMILARITIES = (0.8, 0.7, 0.5, 0.3, 0.1, 0.0, -0.2, -0.5)


def temperature_weights(temperature: float, similarities=SIMILARITIES):
    r"""``(weights, loss)``: InfoNCE's softmax :math:`p_j=\operatorname{softmax}(s_j/\tau)`
    over the candidates (positive first) and the loss :math:`-\log p_+`, from
    :func:`lossbook.softmax` and :func:`lossbook.cross_entropy`. The gradient with respect
    to :math:`s_j` is :math:`(p_j-\delta_{j+})/\tau`."""
    from ..activations import softmax
    from ..losses.information import cross_entropy

    logits = np.asarray(similarities, dtype=np.float64)[None, :] / _positive(temperature, "temperature")
    return softmax(logits, dim=1)[0], float(cross_entropy(logits, np.array([0])))


def explore_temperature(temperatures=(0.02, 0.05, 0.07, 0.1, 0.2, 0.5, 1.0, 2.0)):
    """A :class:`lossbook.widgets.FrameExplorer`: the softmax weights of the candidates of
    :data:`SIMILARITIES` at one temperature, with the loss and the positive's gradient."""
    from ..widgets import FrameExplorer

    def draw(fig, temperature):
        weights, loss = temperature_weights(temperature)
        ax = fig.subplots()
        colors = ["tab:green"] + ["tab:red"] * (len(weights) - 1)
        ax.bar(range(len(weights)), weights, color=colors)
        ax.set(ylim=(0, 1.05), xticks=range(len(weights)),
               xticklabels=[f"{s:+.1f}" for s in SIMILARITIES],
               xlabel="cosine similarity to the query (positive in green)",
               ylabel="softmax weight $p_j$",
               title=f"τ = {temperature:g}: loss {loss:.3f}, "
                     f"∂L/∂s₊ = {(weights[0] - 1) / temperature:.2f}")

    return FrameExplorer(draw, {"temperature": list(temperatures)}, live={"temperature": (0.01, 3.0, "log")},
                         name="InfoNCE's softmax weights vs the temperature", figsize=(6, 3.4),
                         description="Bar chart of the softmax weights InfoNCE gives to one "
                                     "positive (green) and seven negatives (red) of decreasing "
                                     "cosine similarity; the slider sets the temperature.")
