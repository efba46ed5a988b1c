"""The contrastive-estimation chapter's experiments (lossbook.experiments.contrastive), at tiny
sizes, against references computed without lossbook (scipy, closed forms, brute force)."""
from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.special
import scipy.stats
import torch

import lossbook.experiments.contrastive as ce


# --- NCE and the log-partition ------------------------------------------------------------------
def test_nce_estimates_the_log_partition_and_self_normalises():
    fit = ce.fit_nce_gaussian(8, n=4000, seed=3, mean=0.5, std=1.0, noise_std=2.0)
    truth = math.log(math.sqrt(2 * math.pi))                # log Z of exp(-x^2/2)
    assert fit["log_partition"] == pytest.approx(truth, rel=1e-15)
    assert abs(fit["log_partition_estimate"] - truth) < 0.06
    assert abs(fit["log_partition_estimate"] - fit["log_partition_of_fit"]) < 0.03
    assert abs(fit["mean"] - 0.5) < 0.06 and abs(fit["std"] - 1.0) < 0.05


def test_negative_sampling_fits_log_p_over_kq_not_log_p():
    """Its minimiser is s = log p_data - log(k q): fit that quadratic through three points
    with scipy's densities and compare its (mu, sigma, c) form with the fitted one."""
    k, std, noise_std, mean = 16, 1.0, 2.0, 0.5
    fit = ce.fit_nce_gaussian(k, n=4000, seed=1, mean=mean, std=std, noise_std=noise_std,
                              negative_sampling=True)
    xs = np.array([-1.0, 0.0, 1.0])
    target = scipy.stats.norm(mean, std).logpdf(xs) - math.log(k) - scipy.stats.norm(0, noise_std).logpdf(xs)
    b, a, c0 = np.polyfit(xs, target, 2)
    var = -1 / (2 * b)
    mu = a * var
    c = c0 + mu ** 2 / (2 * var)
    assert fit["std"] == pytest.approx(math.sqrt(var), abs=0.05)       # 1/sqrt(1 - 1/4) = 1.155
    assert fit["log_partition_estimate"] == pytest.approx(-c, abs=0.1)
    assert abs(fit["log_partition_estimate"] - fit["log_partition"]) > 1.0   # biased by ~log k
    limit = ce.negative_sampling_limit(k, mean=mean, std=std, noise_std=noise_std)
    assert limit["std"] == pytest.approx(math.sqrt(var), rel=1e-12)
    assert limit["mean"] == pytest.approx(mu, rel=1e-9)
    assert limit["c"] == pytest.approx(c, rel=1e-9)
    with pytest.raises(ValueError, match="noise_std must exceed"):
        ce.negative_sampling_limit(2, std=2.0, noise_std=1.0)


def test_mle_log_partition_is_log_sqrt_2pi_sample_std():
    x = np.random.default_rng(5).normal(0.5, 2.0, 300)
    assert ce.mle_log_partition(n=300, seed=5, mean=0.5, std=2.0) == pytest.approx(
        0.5 * math.log(2 * math.pi * np.var(x)), rel=1e-13)


def test_nce_partition_sweep_small():
    r = ce.nce_partition_sweep(ks=(1, 16), seeds=(0, 1, 2), n=2000)
    assert r["nce"].shape == (2, 3) and r["mle"].shape == (3,)
    err = np.abs(r["nce"] - r["log_partition"])
    assert err.max() < 0.15
    ns = r["negative_sampling"] - r["log_partition"]
    assert ns[1].mean() - ns[0].mean() > 2.0                   # grows like log 16 - log 1
    assert np.all(np.isfinite(r["nce_std"]))


def test_nce_bad_input():
    with pytest.raises(ValueError, match="k must be"):
        ce.fit_nce_gaussian(0)
    with pytest.raises(ValueError, match="noise_std"):
        ce.fit_nce_gaussian(2, noise_std=-1.0)
    with pytest.raises(ValueError, match="negative_sampling"):
        ce.fit_nce_gaussian(2, negative_sampling="yes")


# --- the InfoNCE bound ------------------------------------------------------------------------------
def test_gaussian_mi_matches_the_log_determinant_formula():
    d, rho = 3, 0.7
    cov = np.block([[np.eye(d), rho * np.eye(d)], [rho * np.eye(d), np.eye(d)]])
    reference = 0.5 * math.log(1.0 / np.linalg.det(cov))      # 1/2 log(det Sx det Sy / det S)
    assert ce.gaussian_mi(rho, d) == pytest.approx(reference, rel=1e-12)
    assert ce.gaussian_mi(ce.rho_for_mi(2.5, 4), 4) == pytest.approx(2.5, rel=1e-12)
    with pytest.raises(ValueError, match="rho"):
        ce.gaussian_mi(1.0, 2)


def test_optimal_critic_is_the_log_density_ratio_up_to_a_function_of_x():
    d, rho = 2, 0.6
    x, y = ce.correlated_gaussians(5, rho, d, seed=0)
    u, v = ce.optimal_critic_embeddings(x, y, rho)
    critic = u @ v.T                                           # critic[i, j] = f(x_i, y_j)
    cond = scipy.stats.multivariate_normal(np.zeros(d), (1 - rho ** 2) * np.eye(d))
    marginal = scipy.stats.multivariate_normal(np.zeros(d), np.eye(d))
    ratio = np.array([[cond.logpdf(yj - rho * xi) - marginal.logpdf(yj) for yj in y] for xi in x])
    difference = ratio - critic
    np.testing.assert_allclose(difference, difference[:, :1] * np.ones((1, 5)), atol=1e-12)


def test_correlated_gaussians_have_the_stated_correlation():
    x, y = ce.correlated_gaussians(20000, 0.8, 2, seed=1)
    assert np.corrcoef(x[:, 0], y[:, 0])[0, 1] == pytest.approx(0.8, abs=0.01)
    assert np.corrcoef(x[:, 0], y[:, 1])[0, 1] == pytest.approx(0.0, abs=0.02)
    assert y.std() == pytest.approx(1.0, abs=0.01)


def test_info_nce_bound_is_below_log_n_and_below_the_mutual_information():
    small = ce.info_nce_bound(4, 8.0, total=2048)               # I >> log 4: saturates
    assert small["bound"] < math.log(4) and small["bound"] > math.log(4) - 0.02
    big = ce.info_nce_bound(256, 1.0, total=4096)                # log 256 >> I: close to I
    assert 0.85 < big["bound"] < 1.0 + 3 * big["stderr"]
    assert small["batches"] == 512 and big["batches"] == 16


def test_info_nce_bound_sweep_and_learned_critic_small():
    r = ce.info_nce_bound_sweep(Ns=(2, 16), mis=(0.5, 3.0), total=512)
    assert r["bound"].shape == (2, 2)
    assert np.all(r["bound"] < np.log([2, 16]) + 3 * r["stderr"])
    learned = ce.learned_critic_bound(16, 3.0, steps=60, pool=2000, total=512)
    assert 0.5 < learned["bound"] < math.log(16)
    # no learned critic beats the optimal one by more than noise
    optimal = ce.info_nce_bound(16, 3.0, total=512, seed=1)
    assert learned["bound"] < optimal["bound"] + 3 * (learned["stderr"] + optimal["stderr"])


# --- MNRL retrieval ---------------------------------------------------------------------------
def test_recall_at_k_against_brute_force():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(30, 4)), rng.normal(size=(30, 4))
    b[:10] = a[:10] * 2.0                                      # ten perfect matches (cosine 1)
    cos = (a / np.linalg.norm(a, axis=1, keepdims=True)) @ (b / np.linalg.norm(b, axis=1, keepdims=True)).T
    order = np.argsort(-cos, axis=1)
    for k in (1, 3):
        brute = np.mean([i in order[i, :k] for i in range(30)])
        assert ce.recall_at_k(a, b, k) == pytest.approx(brute)
    assert ce.recall_at_k(a, a) == 1.0
    with pytest.raises(ValueError, match="a and b"):
        ce.recall_at_k(a, b[:5])


def test_paired_views_share_the_task_across_seeds():
    x0, _ = ce.paired_views(200, seed=0, noise=0.0)
    x1, _ = ce.paired_views(200, seed=1, noise=0.0)
    # noise-free views of an 8-d latent live in the same 8-d subspace for every seed
    assert np.linalg.matrix_rank(np.vstack([x0, x1]), tol=1e-8) == 8


def test_train_mnrl_learns_and_is_deterministic():
    r = ce.train_mnrl(32, epochs=2, n_train=512, n_test=200, seed=0)
    assert r["recall@1"] > 0.1 and r["recall@5"] >= r["recall@1"]      # chance: 1/200
    assert r["steps"] == 2 * (512 // 32)
    state = torch.get_rng_state()
    again = ce.train_mnrl(32, epochs=2, n_train=512, n_test=200, seed=0)
    assert again["recall@1"] == r["recall@1"]
    # seeded by its arguments alone, it leaves the global RNG alone (so memoize(rng=False) is right)
    assert torch.equal(torch.get_rng_state(), state)
    with pytest.raises(ValueError, match="batch_size"):
        ce.train_mnrl(1)


def test_retrieval_vs_batch_size_small():
    r = ce.retrieval_vs_batch_size((8, 64), (0,), epochs=2, n_train=512, n_test=200)
    assert r["recall@1"].shape == (2, 1) and r["steps"] == (2 * 64, 2 * 8)


# --- the explorer ---------------------------------------------------------------------------
def test_temperature_weights_are_a_softmax_and_the_explorer_has_few_frames():
    weights, loss = ce.temperature_weights(0.1)
    reference = scipy.special.softmax(np.array(ce.SIMILARITIES) / 0.1)
    np.testing.assert_allclose(weights, reference, rtol=1e-13)
    assert loss == pytest.approx(-math.log(reference[0]), rel=1e-13)
    assert ce.temperature_weights(100.0)[0] == pytest.approx(np.full(8, 1 / 8), abs=2e-3)
    explorer = ce.explore_temperature()
    assert len(list(explorer.states())) == 8
    with pytest.raises(ValueError, match="temperature"):
        ce.temperature_weights(0.0)
