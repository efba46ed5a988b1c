"""The metric-learning chapter's experiment: angular geometry against brute force, the margin
head against the registry losses and torch, and the MNIST trainings at a tiny size."""
from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pytest
import torch

import lossbook
from lossbook.experiments.metric import (KINDS, MARGIN_RECIPE, MarginHead, angular_spread,
                                         class_directions, inter_class_angles,
                                         margin_features_mnist, nearest_direction_accuracy,
                                         plot_circle, triplet_kinds, unit_rows)

needs_mnist = pytest.mark.skipif(
    not (Path(os.environ.get("LOSSBOOK_DATA", "/nonexistent")) / "mnist").is_dir(),
    reason="set LOSSBOOK_DATA to the directory holding mnist/")


def _on_rays(offsets_deg, centres_deg, seed=0):
    """2-D features at angle centre + offset, with random positive lengths."""
    generator = np.random.default_rng(seed)
    labels = np.repeat(np.arange(len(centres_deg)), len(offsets_deg))
    angles = np.radians(np.asarray(centres_deg)[labels] + np.tile(offsets_deg, len(centres_deg)))
    lengths = generator.uniform(0.1, 50.0, len(labels))
    return np.stack([np.cos(angles), np.sin(angles)], 1) * lengths[:, None], labels


# --- geometry ------------------------------------------------------------------------------
def test_spread_and_inter_class_angles_of_symmetric_rays():
    centres = np.arange(10) * 36.0 + 5.0
    x, y = _on_rays([-4.0, 4.0, -1.0, 1.0], centres)
    # symmetric offsets: the mean direction is the centre, the mean |offset| is 2.5 degrees
    directions = class_directions(x, y)
    expected = np.stack([np.cos(np.radians(centres)), np.sin(np.radians(centres))], 1)
    np.testing.assert_allclose(directions, expected, atol=1e-12)
    np.testing.assert_allclose(angular_spread(x, y), 2.5, rtol=1e-10)
    np.testing.assert_allclose(inter_class_angles(directions), 36.0, rtol=1e-10)


def test_spread_matches_arccos_in_three_dimensions():
    generator = np.random.default_rng(3)
    x = generator.normal(size=(300, 3)) + np.repeat(np.eye(3) * 2, 100, axis=0)
    y = np.repeat(np.arange(3), 100)
    u = x / np.linalg.norm(x, axis=1, keepdims=True)
    spreads, mus = [], []
    for k in range(3):
        mu = u[y == k].sum(0)
        mu /= np.linalg.norm(mu)
        mus.append(mu)
        spreads.append(np.degrees(np.arccos(np.clip(u[y == k] @ mu, -1, 1))).mean())
    np.testing.assert_allclose(angular_spread(x, y, num_classes=3), spreads, rtol=1e-9)
    mus = np.array(mus)
    brute = [min(np.degrees(np.arccos(np.clip(mus[i] @ mus[j], -1, 1))) for j in range(3) if j != i)
             for i in range(3)]
    np.testing.assert_allclose(inter_class_angles(mus), brute, rtol=1e-9)
    # brute-force nearest direction by angle
    guess = np.array([np.argmin([np.arccos(np.clip(v @ m, -1, 1)) for m in mus]) for v in u])
    assert nearest_direction_accuracy(x, y, mus) == pytest.approx(np.mean(guess == y))


def test_geometry_ignores_the_feature_lengths_and_sees_a_collapse():
    x, y = _on_rays(np.linspace(-10, 10, 7), np.arange(10) * 36.0)
    stretched = x * np.random.default_rng(1).uniform(0.01, 100.0, (len(x), 1))
    np.testing.assert_allclose(angular_spread(stretched, y), angular_spread(x, y), rtol=1e-10)
    # every class on the same ray: no spread, no angle between classes, accuracy by chance ties
    same = np.tile([[3.0, 4.0]], (len(y), 1))
    np.testing.assert_allclose(angular_spread(same, y), 0.0, atol=1e-6)
    assert inter_class_angles(class_directions(same, y)).max() < 1e-6
    # a near-antipodal pair keeps its precision (arccos would not)
    d = np.array([[1.0, 0.0], [-1.0, 1e-9]])
    assert inter_class_angles(d)[0] == pytest.approx(180.0 - math.degrees(1e-9), abs=1e-12)


def test_geometry_rejects_bad_input():
    x, y = _on_rays([0.0, 1.0], np.arange(10) * 36.0)
    with pytest.raises(ValueError, match="zero row"):
        unit_rows(np.vstack([x, [[0.0, 0.0]]]))
    with pytest.raises(ValueError, match=r"classes \[9\] have no sample"):
        class_directions(x[y < 9], y[y < 9])
    with pytest.raises(ValueError, match="labels must have shape"):
        class_directions(x, y[:-1])
    with pytest.raises(ValueError, match=r"shape \(N, d\)"):
        unit_rows(np.ones(3))
    with pytest.raises(ValueError, match="at least two"):
        inter_class_angles(np.ones((1, 2)))


def test_triplet_kinds_against_a_loop():
    generator = np.random.default_rng(5)
    x, y = generator.normal(size=(12, 3)), generator.integers(0, 3, 12)
    found = triplet_kinds(x, y, margin=0.5)
    expected = {"easy": [], "semi-hard": [], "hard": []}
    for a in range(12):
        for p in range(12):
            for n in range(12):
                if a == p or y[a] != y[p] or y[n] == y[a]:
                    continue
                dap, dan = np.sum((x[a] - x[p]) ** 2), np.sum((x[a] - x[n]) ** 2)
                kind = "hard" if dan <= dap else "semi-hard" if dan < dap + 0.5 else "easy"
                expected[kind].append((a, p, n))
    for kind in expected:
        assert sorted(map(tuple, found[kind])) == expected[kind], kind
    assert all(len(v) for v in expected.values())
    # the loss is zero exactly on the easy ones (lossbook's FaceNet form)
    for kind, triplets in found.items():
        a, p, n = x[triplets[:, 0]], x[triplets[:, 1]], x[triplets[:, 2]]
        loss = lossbook.triplet_margin_loss(a, p, n, margin=0.5, squared=True, reduction="none")
        assert (np.all(loss == 0) if kind == "easy" else np.all(loss > 0)), kind
    with pytest.raises(ValueError, match="margin"):
        triplet_kinds(x, y, margin=-1.0)
    with pytest.raises(ValueError, match="labels"):
        triplet_kinds(x, y[:3])


# --- the margin head --------------------------------------------------------------------------
@pytest.mark.parametrize("kind, margin", [("arcface", 0.3), ("cosface", 0.2)])
def test_margin_head_is_the_registry_loss_and_trains_the_weight(kind, margin):
    generator = torch.Generator().manual_seed(0)
    features = torch.randn(16, 2, dtype=torch.float64, generator=generator, requires_grad=True)
    weight = torch.nn.Parameter(torch.randn(10, 2, dtype=torch.float64, generator=generator))
    target = torch.randint(0, 10, (16,), generator=generator)
    head = MarginHead(weight, kind, scale=8.0, margin=margin)
    loss = head((features, None), target)
    loss.backward()
    # independent reference: the formula in torch ops, differentiated by autograd
    f, w = features.detach().clone().requires_grad_(), weight.detach().clone().requires_grad_()
    cos = torch.nn.functional.normalize(f, dim=1) @ torch.nn.functional.normalize(w, dim=1).T
    onehot = torch.nn.functional.one_hot(target, 10).bool()
    c_y = cos[onehot]
    if kind == "arcface":
        theta = torch.acos(c_y.clamp(-1, 1))
        beyond = theta + margin > math.pi            # insightface's fallback cos - m sin m
        assert 0 < int(beyond.sum()) < len(beyond)   # the example has both branches
        phi = torch.where(beyond, c_y - margin * math.sin(margin), torch.cos(theta + margin))
    else:
        phi = c_y - margin
    logits = 8.0 * torch.where(onehot, phi[:, None], cos)
    reference = torch.nn.functional.cross_entropy(logits, target)
    reference.backward()
    torch.testing.assert_close(loss, reference, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(weight.grad, w.grad, rtol=1e-9, atol=1e-12)
    torch.testing.assert_close(features.grad, f.grad, rtol=1e-9, atol=1e-12)
    # prediction: the class of the largest cosine, not of the largest raw logit W x
    assert torch.equal(head.predict((features, None)), cos.argmax(1))
    assert "rad" in head.name if kind == "arcface" else "rad" not in head.name


def test_margin_head_rejects_bad_input():
    with pytest.raises(ValueError, match="kind must be"):
        MarginHead(torch.nn.Parameter(torch.ones(3, 2)), "sphereface")
    with pytest.raises(TypeError, match="weight"):
        MarginHead(np.ones((3, 2)), "arcface")


# --- the experiment -----------------------------------------------------------------------------
def test_recipe_and_argument_checks():
    assert MARGIN_RECIPE.epochs * (15000 // MARGIN_RECIPE.batch_size) == 2340
    with pytest.raises(ValueError, match="unknown run kind 'triplet'"):
        margin_features_mnist(runs=("triplet",), progress=False)
    with pytest.raises(ValueError, match="scale must be"):
        margin_features_mnist(runs=("arcface",), scale=0.0, progress=False)
    with pytest.raises(ValueError, match="feature_layer"):
        margin_features_mnist(runs=("arcface",), feature_layer="l2", progress=False)
    with pytest.raises(TypeError, match="Recipe"):
        margin_features_mnist(runs=("arcface",), recipe={"epochs": 1}, progress=False)


@needs_mnist
def test_margin_features_mnist_small(monkeypatch):
    monkeypatch.setenv("LOSSBOOK_CACHE", "off")
    results = margin_features_mnist(train_size=640, test_size=600,
                                    recipe=MARGIN_RECIPE.replace(epochs=1), channels=(2, 4, 4),
                                    progress=False)
    assert set(results) == set(KINDS) | {"_meta"}
    from lossbook.models import LeNetPP
    torch.manual_seed(0)
    init_weight = LeNetPP(channels=(2, 4, 4)).classifier.weight.detach().numpy()
    for kind in KINDS:
        r = results[kind]
        assert r["features"].shape == (600, 2) and r["labels"].shape == (600,)
        assert r["train_size"] == 640 and 0.0 <= r["accuracy"] <= 1.0
        assert r["spread"].shape == (10,) and np.all((r["spread"] >= 0) & (r["spread"] <= 180))
        # the recorded numbers are the geometry of the recorded features
        np.testing.assert_allclose(r["spread"], angular_spread(r["features"], r["labels"]))
        np.testing.assert_allclose(r["inter"], inter_class_angles(class_directions(r["features"], r["labels"])))
        # every head trained the class weights (the margin heads through arcface/cosface_grad)
        assert r["weight"].shape == (10, 2)
        assert not np.allclose(r["weight"], init_weight, atol=1e-4), kind
    names = {results[k]["name"] for k in KINDS}
    assert len(names) == 4 and any("ArcFace" in n for n in names)


def test_plot_circle_draws_unit_features():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x, y = _on_rays([-3.0, 3.0], np.arange(10) * 36.0)
    ax = plot_circle(x, y, weight=x[::2], legend=True, title="t")
    offsets = np.concatenate([c.get_offsets() for c in ax.collections])
    radii = np.linalg.norm(offsets, axis=1)
    assert radii.min() >= 1.0 and radii.max() <= 1.12 + 1e-12
    assert ax.get_xlim() == (-1.3, 1.3)
    with pytest.raises(ValueError, match="2-D"):
        plot_circle(np.ones((4, 3)), np.arange(4))
    plt.close("all")


def test_ge2e_similarity_against_the_paper_by_loops():
    """Wan et al. Eq. 9 by loops; the loss of each row is torch's cross-entropy of that row."""
    generator = np.random.default_rng(2)
    e = generator.normal(size=(3, 4, 5))
    w, b = 7.0, -2.0
    S = lossbook.ge2e_similarity(e, w, b)
    cos = lambda u, v: u @ v / np.linalg.norm(u) / np.linalg.norm(v)  # noqa: E731
    for j in range(3):
        for i in range(4):
            for k in range(3):
                c = (e[j].sum(0) - e[j, i]) / 3 if k == j else e[k].mean(0)
                assert S[4 * j + i, k] == pytest.approx(w * cos(e[j, i], c) + b, rel=1e-12)
    ce = torch.nn.functional.cross_entropy(torch.from_numpy(S), torch.arange(3).repeat_interleave(4),
                                           reduction="none").numpy()
    np.testing.assert_allclose(lossbook.ge2e_loss(e, w, b, reduction="none").ravel(), ce, rtol=1e-12)
    with pytest.raises(ValueError):
        lossbook.ge2e_similarity(e[:, :1], w, b)       # M = 1 utterance: no exclusive centroid
