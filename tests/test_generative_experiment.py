"""lossbook.experiments.generative at tiny sizes: the measures, the 1-D GANs, WGAN's Fig. 2,
the perceptual reconstructions."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from lossbook.experiments import generative as ex

needs_mnist = pytest.mark.skipif(
    not (Path(os.environ.get("LOSSBOOK_DATA", "/nonexistent")) / "mnist").is_dir(),
    reason="set LOSSBOOK_DATA to the directory holding mnist/")


def test_measures():
    rng = np.random.default_rng(0)
    data = ex.mixture_sample(4000, rng)
    assert ex.modes_covered(data) == 4
    assert ex.modes_covered(rng.normal(2.0, 0.3, 4000)) == 1
    assert ex.modes_covered(rng.normal(0.0, 0.3, 4000)) == 0   # between the modes
    assert ex.near_modes(data) > 0.99 and ex.near_modes(rng.normal(0.0, 0.3, 4000)) < 0.01
    assert 0.55 < ex.near_modes(rng.uniform(-8, 8, 4000)) < 0.65   # 4 windows of 2.4 in 16
    assert ex.wasserstein_1d(data, data + 1.5) == pytest.approx(1.5)
    other = ex.mixture_sample(4000, np.random.default_rng(1))
    assert ex.wasserstein_1d(data, other) < 0.15
    with pytest.raises(ValueError, match="equal size"):
        ex.wasserstein_1d(data, other[:10])


def test_gan_mixture_tiny_shows_saturation_and_is_reproducible():
    kw = dict(kinds=("minimax (saturating)", "non-saturating", "WGAN-GP", "LSGAN"), seeds=(0,),
              steps=20, warmup=300, batch=64, hidden=32, probe=200, eval=400, snapshots=(0, 20),
              progress=False)
    import torch
    before = torch.get_rng_state()
    result = ex.gan_mixture.__wrapped__(**kw)
    # memoised with rng=False: the trainings leave the global random state alone
    assert torch.equal(torch.get_rng_state(), before)
    runs = {r["kind"]: r for r in result["runs"]}
    sat, ns = runs["minimax (saturating)"], runs["non-saturating"]
    # same warm-up, same discriminator: it rejects the fakes, so log(1 - D) is flat there
    assert sat["start_d_fake"] == ns["start_d_fake"] < 0.2
    assert ns["start_grad_norm"] > 3 * sat["start_grad_norm"] > 0
    for r in runs.values():
        assert 0 <= r["modes"] <= 4 and np.isfinite(r["w1"]) and r["w1"] > 0
        assert 0 <= r["near_modes"] <= 1
        assert set(r["snapshots"]) == {0, 20} and r["snapshots"][0].shape == (200,)
    again = ex.gan_mixture.__wrapped__(**kw)
    for a, b in zip(result["runs"], again["runs"]):
        assert a["w1"] == b["w1"] and a["start_grad_norm"] == b["start_grad_norm"]
    rows = ex.gan_table(result)
    assert [r["loss"] for r in rows] == list(kw["kinds"])
    assert rows[1]["start_grad_norm"] == (ns["start_grad_norm"], 0.0)
    with pytest.raises(ValueError, match="kinds"):
        ex.gan_mixture.__wrapped__(kinds=("hinge",), progress=False)


def test_optimal_discriminator_and_critic():
    out = ex.optimal_discriminator_and_critic.__wrapped__(steps=150)
    x, d, f = out["x"], out["d_star"], out["critic"]
    assert np.all((d >= 0) & (d <= 1)) and np.all(np.isfinite(f))
    between = (x > 0) & (x < 6)
    assert np.all(np.diff(d[between]) <= 1e-12)          # D* falls from the real to the fake mode
    assert d[np.argmin(np.abs(x - 0))] > 0.999 and d[np.argmin(np.abs(x - 6))] < 0.001
    # the critic is higher on the real mode, and its slope stays of order 1 (Lipschitz)
    assert f[np.argmin(np.abs(x - 0))] > f[np.argmin(np.abs(x - 6))]
    slope = np.abs(np.diff(f) / np.diff(x))
    assert slope[between[1:]].max() < 2.0


@needs_mnist
def test_perceptual_reconstruction_tiny():
    out = ex.perceptual_reconstruction.__wrapped__(digits=1, shifts=1, train_size=500, steps=120,
                                                   progress=False)
    assert out["mse"].shape == out["feature"].shape == out["originals"].shape == (1, 28, 28)
    # pixel MSE over the shifted copies converges to their average (the blur)
    import torch
    image = torch.from_numpy(out["originals"][0]).float()
    average = np.mean([torch.roll(image, (dy, dx), (0, 1)).numpy() for dx in (-1, 0, 1)
                       for dy in (-1, 0, 1)], axis=0)
    fit = out["mse"][0]
    assert np.corrcoef(fit.ravel(), average.ravel())[0, 1] > 0.97
    assert np.abs(fit - average).mean() < np.abs(fit - out["originals"][0]).mean()
    assert out["sharpness"]["mse"][0] < out["sharpness"]["originals"][0]
    assert 0.0 <= out["accuracy"] <= 1.0
