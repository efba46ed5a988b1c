"""The overlap chapter's data, training and curves (lossbook.experiments.overlap), at tiny sizes."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import lossbook.experiments.overlap as ov


def test_blob_images_have_small_foreground_and_are_seeded():
    x, y = ov.blob_images(20, size=24, seed=3)
    assert x.shape == y.shape == (20, 1, 24, 24) and x.dtype == y.dtype == np.float32
    assert set(np.unique(y)) == {0.0, 1.0}
    fraction = y.reshape(20, -1).mean(1)
    assert np.all((fraction >= 0.01) & (fraction <= 0.05))
    # the foreground is brighter on average than the background, distractors included
    assert x[y == 1].mean() > x[y == 0].mean() + 0.5
    again = ov.blob_images(20, size=24, seed=3)
    np.testing.assert_array_equal(again[0], x)
    assert not np.array_equal(ov.blob_images(20, size=24, seed=4)[1], y)
    with pytest.raises(ValueError, match="fraction"):
        ov.blob_images(2, fraction=(0.5, 0.1))
    with pytest.raises(ValueError, match="n must be"):
        ov.blob_images(0)


def test_mask_scores_against_set_counts():
    rng = np.random.default_rng(0)
    a = rng.random((5, 1, 6, 6)) < 0.3
    b = rng.random((5, 1, 6, 6)) < 0.3
    b[4] = False
    a[4] = False          # both empty: 1 by convention
    scores = ov.mask_scores(a, b.astype(np.float32))
    for i in range(4):
        A = {k for k, v in enumerate(a[i].ravel()) if v}
        B = {k for k, v in enumerate(b[i].ravel()) if v}
        assert scores["dice"][i] == pytest.approx(2 * len(A & B) / (len(A) + len(B)))
        assert scores["iou"][i] == pytest.approx(len(A & B) / len(A | B))
        assert scores["area_ratio"][i] == pytest.approx(len(A) / len(B))
    assert scores["dice"][4] == scores["iou"][4] == 1.0 and np.isnan(scores["area_ratio"][4])
    # hard Dice and IoU obey J = D / (2 - D)
    np.testing.assert_allclose(scores["iou"], scores["dice"] / (2 - scores["dice"]))
    with pytest.raises(ValueError, match="same shape"):
        ov.mask_scores(a[:2], b)


def test_the_objective_backward_is_our_gradient_and_matches_monai():
    monai = pytest.importorskip("monai")
    rng = np.random.default_rng(1)
    z = torch.tensor(rng.normal(size=(2, 1, 5, 5)), requires_grad=True)
    g = torch.tensor((rng.random((2, 1, 5, 5)) < 0.2).astype(np.float64))
    objective = ov.SegmentationObjective(ov.segmentation_objectives()["Dice + BCE"], "Dice + BCE")
    objective(z, g).backward()
    ours = z.grad.clone()
    z.grad = None
    reference = (monai.losses.DiceLoss(sigmoid=True)(z, g)
                 + torch.nn.functional.binary_cross_entropy_with_logits(z, g))
    reference.backward()
    torch.testing.assert_close(ours, z.grad, rtol=1e-10, atol=1e-12)
    # and the graph node is lossbook's Function, not autograd of a formula
    z2 = z.detach().clone().requires_grad_(True)
    out = ov.SegmentationObjective((("dice_loss", {}, 1.0),))(z2, g)
    assert "LossbookFunction" in type(out.grad_fn).__name__ or "LossbookFunction" in str(
        out.grad_fn.next_functions)


def test_dice_training_learns_the_blobs_and_is_deterministic():
    x, y = ov.blob_images(32, size=24, seed=0)
    x_test, y_test = ov.blob_images(16, size=24, seed=1)
    untrained = ov.mask_scores(ov.predict_masks(ov.make_net(seed=0), x_test), y_test)["dice"].mean()
    model, history = ov.train_segmenter(x, y, ov.segmentation_objectives()["Dice"], epochs=15, batch_size=16,
                                        seed=0, test_data=(x_test, y_test))
    trained = ov.mask_scores(ov.predict_masks(model, x_test), y_test)["dice"].mean()
    assert len(history["test_dice"]) == 15 and history["test_dice"][-1] == pytest.approx(trained)
    assert trained > 0.5 > untrained + 0.3
    assert history["loss"][-1] < history["loss"][0]
    again, _ = ov.train_segmenter(x, y, ov.segmentation_objectives()["Dice"], epochs=15, batch_size=16, seed=0)
    for p, q in zip(model.parameters(), again.parameters()):
        torch.testing.assert_close(p, q, rtol=0, atol=0)


def test_compare_segmentation_table_is_the_mean_and_sd_of_its_runs():
    losses = {k: v for k, v in ov.segmentation_objectives().items() if k in ("Dice", "Lovász hinge")}
    result = ov.compare_segmentation.__wrapped__(losses, seeds=(0, 1), n_train=16, n_test=8, size=20, epochs=2,
                                           batch_size=8, keep=2)
    assert list(result["table"]) == ["Dice", "Lovász hinge"] and len(result["runs"]) == 4
    for label, row in result["table"].items():
        dice = [r["dice"] for r in result["runs"] if r["label"] == label]
        assert row["dice"][0] == pytest.approx(np.mean(dice))
        assert row["dice"][1] == pytest.approx(np.std(dice, ddof=1))
        assert row["curve"].shape == (2,)
        assert 0 <= row["iou"][0] <= row["dice"][0] <= 1
    example = result["runs"][0]["examples"]
    assert example["predicted"].shape == example["masks"].shape == (2, 1, 20, 20)
    assert "Dice" in ov.format_segmentation(result) and "±" in ov.format_segmentation(result)


def test_foreground_gradients_match_the_formulas():
    f = np.array([0.5, 0.1, 0.01])
    n = 1000
    out = ov.foreground_gradients(f, n_pixels=n, p_fg=0.3, p_bg=0.1, smooth=0.0)
    # BCE (mean): |p - 1| / n on a foreground pixel; share G(1-p_fg) / (G(1-p_fg) + (n-G) p_bg)
    G = np.round(f * n)
    np.testing.assert_allclose(out["bce"]["per_pixel"], 0.7 / n)
    np.testing.assert_allclose(out["bce"]["share"], G * 0.7 / (G * 0.7 + (n - G) * 0.1))
    # Dice: dl/dp_j = -(2 (P + G) - 2 I) / (P + G)^2 on foreground, 2 I / (P + G)^2 on background
    P, I = 0.3 * G + 0.1 * (n - G), 0.3 * G
    fg = (2 * (P + G) - 2 * I) / (P + G) ** 2 * 0.3 * 0.7
    bg = 2 * I / (P + G) ** 2 * 0.1 * 0.9
    np.testing.assert_allclose(out["dice"]["per_pixel"], fg)
    np.testing.assert_allclose(out["dice"]["share"], G * fg / (G * fg + (n - G) * bg))
    # the point of the figure: as f falls, BCE's foreground share vanishes, Dice's does not
    assert out["bce"]["share"][-1] < 0.1 < 0.3 < out["dice"]["share"][-1]


def test_lovasz_surface_is_the_piecewise_linear_extension():
    e = np.linspace(-0.5, 2.0, 11)
    loss, d1, d2 = ov.lovasz_surface(e, e)
    E1, E2 = np.meshgrid(e, e)
    r1, r2 = np.maximum(E1, 0), np.maximum(E2, 0)
    # one foreground (Delta({1}) = 1) and one background pixel (Delta({2}) = 1/2, Delta({1,2}) = 1)
    expected = np.where(E1 >= E2, r1, 0.5 * r2 + 0.5 * r1)
    np.testing.assert_allclose(loss, expected, atol=1e-12)
    off = np.abs(E1 - E2) > 1e-9
    np.testing.assert_allclose(d1[off], np.where(E1 > E2, E1 > 0, 0.5 * (E1 > 0))[off])
    np.testing.assert_allclose(d2[off], np.where(E1 > E2, 0.0, 0.5 * (E2 > 0))[off])


def test_compare_segmentation_leaves_the_global_generators_alone():
    torch.manual_seed(123)
    before = torch.get_rng_state()
    losses = {"Dice": ov.segmentation_objectives()["Dice"]}
    ov.compare_segmentation.__wrapped__(losses, seeds=(0,), n_train=8, n_test=4, size=16, epochs=1,
                                        batch_size=8, keep=1)
    assert torch.equal(torch.get_rng_state(), before)
