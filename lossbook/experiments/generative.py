"""Generative losses in action (chapter *generative_losses*).

* :func:`gan_mixture` trains small MLP GANs on a 1-D mixture of Gaussians, one run per
  generator/discriminator loss pair of :data:`GAN_LOSSES` and per seed, every loss through
  lossbook's own gradients (:func:`lossbook.autograd.function`; WGAN-GP's penalty too, its
  double backward through the critic being ordinary autograd). It measures the generator's
  gradient norm at the start (after a discriminator warm-up), and at the end the modes covered
  and the 1-D Wasserstein distance to the data; :func:`gan_table` summarises mean ± sd.
* :func:`optimal_discriminator_and_critic` computes, for two 1-D Gaussians, the optimal GAN
  discriminator and a trained WGAN-GP critic (WGAN's Fig. 2).
* :func:`perceptual_reconstruction` fits one image to randomly shifted copies of an MNIST
  digit under pixel MSE or under :func:`~lossbook.losses.generative.perceptual_loss` on the
  features of a small CNN trained here (no downloads), and measures blur.
"""
from __future__ import annotations

import math
import time

import numpy as np
import torch
from torch import nn

from .._validate import validation
from ..autograd import function
from ..cache import memoize
from ..train import CrossEntropy, Recipe, threads, train
from ._jobs import run_jobs

__all__ = [
    "GAN_LOSSES", "MIXTURE", "mixture_sample", "modes_covered", "near_modes", "wasserstein_1d", "gan_mixture",
    "gan_table", "optimal_discriminator_and_critic", "FeatureNet", "perceptual_reconstruction",
    "sharpness", "plot_samples", "explore_gan_training",
]

#: The runs of :func:`gan_mixture`: name -> (discriminator loss, generator loss).
GAN_LOSSES = {
    "minimax (saturating)": ("gan_discriminator_loss", "gan_generator_loss"),
    "non-saturating": ("gan_discriminator_loss", "non_saturating_generator_loss"),
    "WGAN-GP": ("wgan_critic_loss", "wgan_generator_loss"),
    "LSGAN": ("lsgan_discriminator_loss", "lsgan_generator_loss"),
}

#: The data of :func:`gan_mixture`: an equal mixture of Gaussians, means and common sd.
MIXTURE = {"means": (-6.0, -2.0, 2.0, 6.0), "sd": 0.4}


# --- the data and the measures ---------------------------------------------------------------
def mixture_sample(n: int, rng: np.random.Generator, means=MIXTURE["means"], sd=MIXTURE["sd"]):
    """``n`` draws of the equal mixture of N(mean, sd²) (float64 NumPy)."""
    means = np.asarray(means, dtype=np.float64)
    return means[rng.integers(0, len(means), n)] + sd * rng.standard_normal(n)


def modes_covered(samples, means=MIXTURE["means"], sd=MIXTURE["sd"], *, share: float = 0.05) -> int:
    """How many mixture modes hold at least ``share`` of the samples within 3 sd of their mean."""
    samples = np.asarray(samples, dtype=np.float64)
    return int(sum(np.mean(np.abs(samples - m) < 3 * sd) >= share for m in means))


def near_modes(samples, means=MIXTURE["means"], sd=MIXTURE["sd"]) -> float:
    """The share of the samples within 3 sd of some mode (0.997 for the data itself)."""
    samples = np.asarray(samples, dtype=np.float64)
    distance = np.min(np.abs(samples[:, None] - np.asarray(means)[None, :]), axis=1)
    return float(np.mean(distance < 3 * sd))


def wasserstein_1d(a, b) -> float:
    """The 1-D Wasserstein-1 distance of two equal-size samples: the mean gap of their sorted values."""
    a, b = np.sort(np.asarray(a, dtype=np.float64)), np.sort(np.asarray(b, dtype=np.float64))
    if a.shape != b.shape:
        raise ValueError(f"wasserstein_1d needs samples of equal size, got {a.size} and {b.size}")
    return float(np.mean(np.abs(a - b)))


# --- the networks -----------------------------------------------------------------------------
def _mlp(inputs: int, hidden: int, outputs: int) -> nn.Module:
    return nn.Sequential(nn.Linear(inputs, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, hidden),
                         nn.LeakyReLU(0.2), nn.Linear(hidden, outputs))


def _losses(kind: str):
    d_name, g_name = GAN_LOSSES[kind]
    d_loss, g_loss = function(d_name), function(g_name)
    if kind == "LSGAN":
        return (lambda r, f: d_loss(r, f, a=0.0, b=1.0)), (lambda f: g_loss(f, c=1.0))
    return d_loss, g_loss


def _penalty(critic, real, fake, generator: torch.Generator, one_sided: bool = True):
    eps = torch.rand(real.shape[0], 1, generator=generator)
    x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
    grads, = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    return function("wgan_gradient_penalty")(grads, one_sided=one_sided)


def _grad_norm(module) -> float:
    return float(torch.sqrt(sum((p.grad ** 2).sum() for p in module.parameters() if p.grad is not None)))


def _gan_job(job, progress=False):
    """One GAN training of :func:`gan_mixture` (top level, so workers can run it)."""
    kind, seed = job["kind"], job["seed"]
    rng = np.random.default_rng(seed)
    gen = torch.Generator().manual_seed(seed)
    start_cpu, start = time.process_time(), time.perf_counter()
    with threads(1), torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        G, D = _mlp(job["noise"], job["hidden"], 1), _mlp(1, job["hidden"], 1)
        d_loss, g_loss = _losses(kind)
        wgan = kind == "WGAN-GP"
        opt_g = torch.optim.Adam(G.parameters(), lr=job["lr"], betas=(0.5, 0.9))
        opt_d = torch.optim.Adam(D.parameters(), lr=job["lr"], betas=(0.5, 0.9))
        batch = job["batch"]

        def real_batch():
            return torch.from_numpy(mixture_sample(batch, rng)).float()[:, None]

        def fake_batch():
            return G(torch.randn(batch, job["noise"], generator=gen))

        def d_step():
            real, fake = real_batch(), fake_batch().detach()
            loss = d_loss(D(real)[:, 0], D(fake)[:, 0])
            if wgan:
                loss = loss + job["gp_weight"] * _penalty(D, real, fake, gen, job["one_sided"])
            opt_d.zero_grad()
            loss.backward()
            opt_d.step()

        d_step()   # validated once; the rest of the loop feeds the same shapes
        skip_checks = validation(False)
        skip_checks.__enter__()
        # the discriminator gets ahead first (the regime the minimax analysis assumes)
        for _ in range(job["warmup"] - 1):
            d_step()
        probe = torch.randn(job["probe"], job["noise"], generator=gen)
        opt_g.zero_grad()
        g_loss(D(G(probe))[:, 0]).backward()
        start_norm = _grad_norm(G)
        with torch.no_grad():
            start_d = float(torch.sigmoid(D(G(probe))).mean()) if not wgan else float("nan")
        snapshots = {}
        from tqdm.auto import tqdm

        for step in tqdm(range(job["steps"] + 1), desc=f"{kind}, seed {seed}", disable=not progress,
                         leave=False):
            if step in job["snapshots"]:
                with torch.no_grad():
                    snapshots[step] = G(probe)[:, 0].numpy().astype(np.float64)
            if step == job["steps"]:
                break
            for _ in range(job["critic_steps"] if wgan else job["d_steps"]):
                d_step()
            opt_g.zero_grad()
            g_loss(D(fake_batch())[:, 0]).backward()
            opt_g.step()
        with torch.no_grad():
            samples = G(torch.randn(job["eval"], job["noise"], generator=gen))[:, 0].numpy().astype(np.float64)
        skip_checks.__exit__(None, None, None)
    data = mixture_sample(job["eval"], np.random.default_rng(10_000 + seed))
    return {
        "kind": kind, "seed": seed,
        "start_grad_norm": start_norm, "start_d_fake": start_d,
        "modes": modes_covered(samples), "near_modes": near_modes(samples),
        "w1": wasserstein_1d(samples, data),
        "samples": samples[:2000], "snapshots": snapshots,
        "time": time.perf_counter() - start, "cpu_time": time.process_time() - start_cpu,
    }


@memoize(rng=False)   # seeds only its own generators; global states are restored
def gan_mixture(kinds=tuple(GAN_LOSSES), seeds=(0, 1, 2), *, steps: int = 1000, warmup: int = 300,
                d_steps: int = 1, critic_steps: int = 3, batch: int = 128, hidden: int = 32, noise: int = 4,
                lr: float = 1e-3, gp_weight: float = 10.0, one_sided: bool = True,
                probe: int = 1000, eval: int = 5000,
                snapshots=(), progress: bool = True, workers: int = 1) -> dict:
    """Train one small MLP GAN per loss of :data:`GAN_LOSSES` and seed on :data:`MIXTURE`.

    Generator: noise of ``noise`` standard normals through a 2-hidden-layer MLP (``hidden``
    units, leaky ReLU) to one number; discriminator or critic: the same MLP from one number to
    one logit or score. Adam (lr ``lr``, betas (0.5, 0.9)) for both, ``d_steps`` discriminator
    steps (``critic_steps`` for WGAN-GP, whose critic should stay near its optimum) per
    generator step, batches of ``batch``; WGAN-GP adds ``gp_weight`` × the gradient
    penalty at random interpolates, one-sided by default: on a 1-D input the two-sided
    penalty :math:`(|f'|-1)^2` is a barrier of height ``gp_weight`` at slope 0, and a critic
    that starts with the wrong slope cannot turn round (see
    :func:`optimal_discriminator_and_critic`). Before training, the discriminator takes ``warmup`` steps
    against the initial generator; then ``start_grad_norm`` is the norm of the generator's
    parameter gradient of its loss over ``probe`` noise draws.

    Returns
    -------
    dict
        ``runs``: a list of dicts (``kind``, ``seed``, ``start_grad_norm``, ``start_d_fake``
        (mean :math:`D(G(z))` then), ``modes`` (:func:`modes_covered` of ``eval`` samples),
        ``near_modes`` (:func:`near_modes`), ``w1`` (:func:`wasserstein_1d` to as many data
        draws), ``samples``, ``snapshots``
        ({step: generated values of the probe noise}), ``time``, ``cpu_time``); ``settings``.
    """
    unknown = [k for k in kinds if k not in GAN_LOSSES]
    if unknown:
        raise ValueError(f"kinds must be among {', '.join(GAN_LOSSES)}; got {unknown}")
    settings = dict(steps=int(steps), warmup=int(warmup), d_steps=int(d_steps),
                    critic_steps=int(critic_steps), batch=int(batch),
                    hidden=int(hidden), noise=int(noise), lr=float(lr), gp_weight=float(gp_weight),
                    one_sided=bool(one_sided), probe=int(probe), eval=int(eval),
                    snapshots=tuple(int(s) for s in snapshots))
    jobs = [dict(settings, kind=k, seed=int(s)) for k in kinds for s in seeds]
    runs = run_jobs(_gan_job, jobs, workers, progress, "GAN trainings")
    return {"runs": runs, "settings": settings}


def gan_table(result) -> list[dict]:
    """Per loss: mean and sd over seeds of the start gradient norm, modes covered, the share of
    samples near a mode and W1."""
    rows = []
    kinds = list(dict.fromkeys(r["kind"] for r in result["runs"]))
    for kind in kinds:
        runs = [r for r in result["runs"] if r["kind"] == kind]
        row = {"loss": kind, "seeds": len(runs)}
        for key in ("start_grad_norm", "modes", "near_modes", "w1"):
            values = np.array([r[key] for r in runs], dtype=np.float64)
            row[key] = (float(values.mean()), float(values.std(ddof=1)) if len(values) > 1 else 0.0)
        rows.append(row)
    return rows


# --- WGAN Fig. 2: optimal discriminator vs critic -------------------------------------------
@memoize(rng=False)   # seeds only its own generators; global states are restored
def optimal_discriminator_and_critic(mu_real: float = 0.0, mu_fake: float = 6.0, sd: float = 0.5,
                                     *, steps: int = 800, seed: int = 0, one_sided: bool = True,
                                     grid=(-4.0, 10.0, 281)) -> dict:
    """Two 1-D Gaussians N(mu, sd²): the optimal discriminator and a WGAN-GP critic.

    The discriminator is the closed form :math:`D^*=p/(p+q)`; the critic is an MLP trained for
    ``steps`` Adam steps on :func:`~lossbook.losses.generative.wgan_critic_loss` + 10 × the
    gradient penalty (our gradients; one-sided by default: with ``one_sided=False`` and this
    seed the critic keeps its initial, wrong slope sign, held by the penalty's barrier at slope
    0). Returns the ``x`` grid, ``d_star``, ``critic`` (shifted to
    mean 0 over the grid), the densities ``p`` and ``q``.
    """
    x = np.linspace(*grid[:2], int(grid[2]))
    p = np.exp(-0.5 * ((x - mu_real) / sd) ** 2)
    q = np.exp(-0.5 * ((x - mu_fake) / sd) ** 2)
    with np.errstate(invalid="ignore"):
        d_star = np.where(p + q > 0, p / np.maximum(p + q, 1e-300), 0.5)
    gen = torch.Generator().manual_seed(seed)
    with threads(1), torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        critic = _mlp(1, 32, 1)
        opt = torch.optim.Adam(critic.parameters(), lr=1e-3, betas=(0.5, 0.9))
        loss = function("wgan_critic_loss")
        for _ in range(int(steps)):
            real = mu_real + sd * torch.randn(128, 1, generator=gen)
            fake = mu_fake + sd * torch.randn(128, 1, generator=gen)
            value = (loss(critic(real)[:, 0], critic(fake)[:, 0])
                     + 10.0 * _penalty(critic, real, fake, gen, one_sided))
            opt.zero_grad()
            value.backward()
            opt.step()
        with torch.no_grad():
            f = critic(torch.from_numpy(x).float()[:, None])[:, 0].numpy().astype(np.float64)
    return {"x": x, "d_star": d_star, "critic": f - f.mean(), "p": p / (sd * math.sqrt(2 * math.pi)),
            "q": q / (sd * math.sqrt(2 * math.pi))}


# --- perceptual loss on MNIST -----------------------------------------------------------------
class FeatureNet(nn.Module):
    """A small MNIST CNN whose feature maps serve as :math:`\\phi` for the perceptual loss.

    conv 5×5 (8) → ReLU → max-pool 2 → conv 5×5 (16) → ReLU → max-pool 2 → linear (10).
    :meth:`features` returns the two ReLU maps (28×28×8 and 14×14×16) used by the loss.
    """

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 8, 5, padding=2)
        self.c2 = nn.Conv2d(8, 16, 5, padding=2)
        self.fc = nn.Linear(16 * 7 * 7, 10)

    def features(self, x):
        a = torch.relu(self.c1(x))
        b = torch.relu(self.c2(nn.functional.max_pool2d(a, 2)))
        return [a, b]

    def forward(self, x):
        _, b = self.features(x)
        return self.fc(nn.functional.max_pool2d(b, 2).flatten(1))


def _shift(images, dx: int, dy: int):
    return torch.roll(images, shifts=(dy, dx), dims=(-2, -1))


def sharpness(image) -> float:
    """Mean absolute difference of neighbouring pixels (higher = crisper edges)."""
    a = np.asarray(image, dtype=np.float64)
    return float(0.5 * (np.abs(np.diff(a, axis=-1)).mean() + np.abs(np.diff(a, axis=-2)).mean()))


@memoize(rng=False)   # seeds only its own generators; global states are restored
def perceptual_reconstruction(digits: int = 3, *, shifts: int = 2, train_size: int = 6000,
                              steps: int = 150, lr: float = 0.05, style_weight: float = 0.0,
                              seed: int = 0, progress: bool = True) -> dict:
    """Fit one image to every copy of a digit shifted by up to ``shifts`` pixels.

    A :class:`FeatureNet` is trained first (one epoch of softmax cross-entropy, our gradient,
    on ``train_size`` MNIST images). Then, for each of ``digits`` test digits, an image
    ``x`` (sigmoid of free logits, started at 0.5 grey) is fitted by Adam for ``steps`` steps to
    the mean loss over all :math:`(2\\,\\text{shifts}+1)^2` shifted copies, once under pixel
    MSE (:func:`~lossbook.losses.regression.mse_loss`) and once under the feature loss
    (:func:`~lossbook.losses.generative.perceptual_loss` on both ReLU maps, per layer through
    :func:`lossbook.autograd.function`). Pixel MSE's optimum is the blurry average of the
    shifts; the feature loss's need not be.

    Returns
    -------
    dict
        ``originals``, ``mse``, ``feature`` (arrays (digits, 28, 28)), ``sharpness`` (dict of
        lists: the originals, the MSE and the feature reconstructions), ``accuracy`` of the
        feature network on 2000 test images, ``time``, ``cpu_time``.
    """
    from ..data import mnist_tensors

    start_cpu, start = time.process_time(), time.perf_counter()
    with threads(1), torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = FeatureNet()
        data = mnist_tensors("train", subset=int(train_size), seed=seed)
        train(net, CrossEntropy(), data, Recipe(epochs=1, batch_size=64, lr=0.05, momentum=0.9),
              seed=seed, device="cpu", progress=progress, desc="feature network")
        net.eval()
        for p in net.parameters():
            p.requires_grad_(False)
        test_x, test_y = mnist_tensors("test")
        with torch.no_grad():
            accuracy = float((net(test_x[:2000]).argmax(1) == test_y[:2000]).float().mean())
        picks = torch.stack([test_x[int((test_y == k).nonzero()[0])] for k in range(int(digits))])
        offsets = [(dx, dy) for dx in range(-shifts, shifts + 1) for dy in range(-shifts, shifts + 1)]
        mse = function("mse_loss")
        perceptual = function("perceptual_loss")
        out = {"mse": [], "feature": []}
        for image in picks:
            targets = torch.stack([_shift(image, dx, dy) for dx, dy in offsets])
            with torch.no_grad():
                target_features = net.features(targets)
            for kind in ("mse", "feature"):
                logits = torch.zeros(1, 1, 28, 28, requires_grad=True)
                opt = torch.optim.Adam([logits], lr=lr)
                for _ in range(int(steps)):
                    x = torch.sigmoid(logits).expand(len(offsets), 1, 28, 28)
                    if kind == "mse":
                        value = mse(x, targets)
                    else:
                        value = sum(perceptual(f, t, style_weight=style_weight)
                                    for f, t in zip(net.features(x), target_features))
                    opt.zero_grad()
                    value.backward()
                    opt.step()
                out[kind].append(torch.sigmoid(logits)[0, 0].detach().numpy().astype(np.float64))
    originals = picks[:, 0].numpy().astype(np.float64)
    result = {"originals": originals, "mse": np.stack(out["mse"]), "feature": np.stack(out["feature"]),
              "accuracy": accuracy, "time": time.perf_counter() - start,
              "cpu_time": time.process_time() - start_cpu}
    result["sharpness"] = {k: [sharpness(a) for a in result[k]] for k in ("originals", "mse", "feature")}
    return result


# --- figures ------------------------------------------------------------------------------------
def plot_samples(ax, samples, *, title=None, bins=np.linspace(-9.0, 9.0, 91)):
    """A histogram (density) of generated values over the mixture's density."""
    x = np.linspace(bins[0], bins[-1], 721)
    sd = MIXTURE["sd"]
    density = np.mean([np.exp(-0.5 * ((x - m) / sd) ** 2) for m in MIXTURE["means"]], axis=0) \
        / (sd * math.sqrt(2 * math.pi))
    ax.fill_between(x, density, color="0.85", label="data density")
    samples = np.asarray(samples)
    inside = samples[(samples >= bins[0]) & (samples <= bins[-1])]
    # densities of all samples (those outside the axes count in the normalisation, not drawn)
    weights = np.full(inside.shape, 1.0 / (max(samples.size, 1) * (bins[1] - bins[0])))
    ax.hist(inside, bins=bins, weights=weights, histtype="step", color="C0", linewidth=1.5,
            label="generated")
    ax.set_xlim(bins[0], bins[-1])
    ax.set_ylim(0, 0.8)
    ax.set_xlabel("x")
    outside = 1.0 - inside.size / max(samples.size, 1)
    if title or outside:
        ax.set_title((title or "") + (f"\n{100 * outside:.1f} % beyond the axes" if outside else ""),
                     fontsize=9)
    return ax


def explore_gan_training(result, seed: int = 0):
    """Pick a loss and a training step of :func:`gan_mixture`: the generated density follows.

    Needs the run's ``snapshots`` (the generator's outputs on fixed noise at those steps);
    nothing is retrained. Live in Jupyter, precomputed frames on the website.
    """
    from ..widgets import FrameExplorer

    runs = {r["kind"]: r for r in result["runs"] if r["seed"] == seed and r["snapshots"]}
    if not runs:
        raise ValueError("no run has snapshots: call gan_mixture(snapshots=...)")
    steps = sorted({s for r in runs.values() for s in r["snapshots"]})

    def draw(fig, loss, step):
        ax = fig.subplots()
        plot_samples(ax, runs[loss]["snapshots"][step], title=f"{loss}, after {step} generator steps")
        ax.legend(fontsize=8, loc="upper right")

    return FrameExplorer(draw, {"loss": list(runs), "step": steps}, figsize=(6, 3),
                         name="a 1-D GAN during training",
                         description="Histogram of the generator's outputs on fixed noise over "
                                     "the data density, for one loss after a number of generator "
                                     "steps; move the sliders to pick the loss and the step.")
