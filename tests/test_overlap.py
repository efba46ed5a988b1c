"""Conventions of the overlap (segmentation) losses, against MONAI, kornia, the Lovász reference
algorithm and the papers' formulas (catalog part F).

Every option is checked against the library that has it (values and autograd gradients of the
library against our hand-written VJPs); where no library has it, against a hand computation.
"""
from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import lossbook
from lossbook import REGISTRY

monai_losses = pytest.importorskip("monai.losses")
kornia_losses = pytest.importorskip("kornia.losses")

RTOL, ATOL = 1e-10, 1e-12


def close(actual, expected, rtol=RTOL, atol=ATOL, what=""):
    actual = actual.detach().numpy() if isinstance(actual, torch.Tensor) else np.asarray(actual)
    expected = expected.detach().numpy() if isinstance(expected, torch.Tensor) else np.asarray(expected)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=what)


def logits(seed, n=2, c=3, spatial=(3, 4)):
    return np.random.default_rng(seed).uniform(-3, 3, size=(n, c) + spatial)


def labels(seed, n=2, c=3, spatial=(3, 4), all_present=True):
    y = np.random.default_rng(seed).integers(0, c, size=(n,) + spatial)
    if all_present:
        for i in range(n):
            y[i].flat[:c] = np.arange(c)
    return y


def masks(seed, n=2, c=2, spatial=(3, 4)):
    t = np.random.default_rng(seed).integers(0, 2, size=(n, c) + spatial).astype(np.float64)
    t[:, :, 0, 0], t[:, :, 0, 1] = 1.0, 0.0
    return t


def onehot(y, c, ignore_index=None):
    """Float64 one-hot (N, C, ...) with zero rows at ignored pixels (what MONAI's ignore masks)."""
    y = torch.as_tensor(y)
    valid = torch.ones_like(y, dtype=torch.bool) if ignore_index is None else y != ignore_index
    out = F.one_hot(torch.where(valid, y, 0), c).movedim(-1, 1).double()
    return out * valid[:, None].double()


def vjp_check(fn, grad_fn, reference, x, target, kwargs, rtol=1e-9, atol=1e-11):
    """Our value and VJP against a torch reference's value and autograd VJP (random grad_output)."""
    ours = fn(x, target, **kwargs)
    xt = torch.as_tensor(x).clone().requires_grad_(True)
    ref = reference(xt)
    close(ours, ref, rtol=max(rtol, RTOL), atol=atol, what="value")
    g = np.random.default_rng(7).uniform(0.5, 1.5, size=np.shape(ours))
    (grad,) = torch.autograd.grad(ref, xt, torch.as_tensor(g))
    close(grad_fn(x, target, grad_output=g, **kwargs), grad, rtol=rtol, atol=atol, what="VJP")


# --- MONAI: DiceLoss, Jaccard, TverskyLoss over their options ---------------------------
MONAI_GRID = list(itertools.product(
    ("sigmoid", "softmax", None),           # activation
    (False, True),                           # batch
    (True, False),                           # include_background
    ("none", "mean", "sum"),                 # reduction
))


def _monai_input(activation, seed):
    x = logits(seed)
    if activation is None:
        x = np.exp(x) / np.exp(x).sum(1, keepdims=True)
    return x


def _unreduced(out, n, kept, batch, reduction, classes=True):
    if reduction != "none":
        return out
    return out.reshape(((() if batch else (n,)) + ((kept,) if classes else ())))


def _monai_kwargs(activation, batch, include_background, reduction):
    return dict(sigmoid=activation == "sigmoid", softmax=activation == "softmax", batch=batch,
                include_background=include_background, reduction=reduction)


@pytest.mark.parametrize("activation,batch,include_background,reduction", MONAI_GRID)
@pytest.mark.parametrize("squared", [False, True])
def test_dice_matches_monai(activation, batch, include_background, reduction, squared):
    x, y = _monai_input(activation, 1), labels(2)
    kw = dict(activation=activation, batch=batch, include_background=include_background, squared=squared,
              smooth_nr=0.3, smooth_dr=0.7, reduction=reduction)
    loss = monai_losses.DiceLoss(squared_pred=squared, smooth_nr=0.3, smooth_dr=0.7,
                                 **_monai_kwargs(activation, batch, include_background, reduction))
    kept = 3 - (0 if include_background else 1)
    vjp_check(lossbook.dice_loss, lossbook.dice_loss_grad,
              lambda xt: _unreduced(loss(xt, onehot(y, 3)), 2, kept, batch, reduction), x, y, kw)


def test_dice_class_index_forms_agree_with_monai_to_onehot_y():
    """(N, ...) and (N, 1, ...) class indices, and a one-hot mask, are the same target; MONAI's own
    to_onehot_y (float32 one-hot, exact for the unsquared sums) agrees."""
    x, y = logits(3), labels(4)
    ours = lossbook.dice_loss(x, y, activation="softmax")
    close(lossbook.dice_loss(x, y[:, None], activation="softmax"), ours)
    close(lossbook.dice_loss(x, onehot(y, 3).numpy(), activation="softmax"), ours)
    monai = monai_losses.DiceLoss(softmax=True, to_onehot_y=True)(torch.as_tensor(x), torch.as_tensor(y)[:, None])
    close(ours, monai)


@pytest.mark.parametrize("activation", ["sigmoid", "softmax"])
@pytest.mark.parametrize("include_background", [True, False])
def test_dice_ignore_index_matches_monai(activation, include_background):
    x, y = logits(5), labels(6)
    y[0, 1, 2] = y[1, 2, 3] = y[1, 0, 3] = 255
    kw = dict(activation=activation, include_background=include_background, ignore_index=255, reduction="none")
    loss = monai_losses.DiceLoss(sigmoid=activation == "sigmoid", softmax=activation == "softmax",
                                 include_background=include_background, ignore_index=255, to_onehot_y=True,
                                 reduction="none")
    vjp_check(lossbook.dice_loss, lossbook.dice_loss_grad,
              lambda xt: loss(xt, torch.as_tensor(y)[:, None]).reshape(2, -1), x, y, kw)


def test_ignore_index_removes_the_pixels():
    """Ignoring the last column is the same as cropping it away (values and gradients)."""
    x, y = logits(7), labels(8)
    y_ign = y.copy()
    y_ign[..., -1] = -1
    for fn in (lossbook.dice_loss, lossbook.jaccard_loss, lossbook.tversky_loss, lossbook.generalized_dice_loss,
               lossbook.lovasz_softmax_loss):
        kw = dict(activation="softmax")
        full = fn(x, y_ign, ignore_index=-1, **kw)
        crop = fn(np.ascontiguousarray(x[..., :-1]), np.ascontiguousarray(y[..., :-1]), **kw)
        close(full, crop, what=fn.__name__)
        grad = REGISTRY[fn.__name__].grad(x, y_ign, ignore_index=-1, **kw)
        close(grad[..., :-1], REGISTRY[fn.__name__].grad(np.ascontiguousarray(x[..., :-1]),
                                                         np.ascontiguousarray(y[..., :-1]), **kw))
        # the softmax couples the classes of a pixel, never two pixels: the ignored column gets 0
        assert np.all(grad[..., -1] == 0.0), fn.__name__


@pytest.mark.parametrize("activation,batch,include_background,reduction", MONAI_GRID)
def test_jaccard_matches_monai_with_halved_smoothing(activation, batch, include_background, reduction):
    x, y = _monai_input(activation, 9), labels(10)
    kw = dict(activation=activation, batch=batch, include_background=include_background,
              smooth_nr=0.2, smooth_dr=0.4, reduction=reduction)
    loss = monai_losses.DiceLoss(jaccard=True, smooth_nr=0.4, smooth_dr=0.8,
                                 **_monai_kwargs(activation, batch, include_background, reduction))
    kept = 3 - (0 if include_background else 1)
    vjp_check(lossbook.jaccard_loss, lossbook.jaccard_loss_grad,
              lambda xt: _unreduced(loss(xt, onehot(y, 3)), 2, kept, batch, reduction), x, y, kw)


@pytest.mark.parametrize("activation,batch,include_background,reduction", MONAI_GRID)
def test_tversky_matches_monai(activation, batch, include_background, reduction):
    x, y = _monai_input(activation, 11), labels(12)
    kw = dict(alpha=0.2, beta=0.9, activation=activation, batch=batch, include_background=include_background,
              smooth_nr=0.1, smooth_dr=0.3, reduction=reduction)
    loss = monai_losses.TverskyLoss(alpha=0.2, beta=0.9, smooth_nr=0.1, smooth_dr=0.3,
                                    **_monai_kwargs(activation, batch, include_background, reduction))
    kept = 3 - (0 if include_background else 1)
    vjp_check(lossbook.tversky_loss, lossbook.tversky_loss_grad,
              lambda xt: _unreduced(loss(xt, onehot(y, 3)), 2, kept, batch, reduction), x, y, kw)


def test_tversky_ignore_index_matches_monai():
    x, y = logits(13), labels(14)
    y[:, 0, 0] = 9
    kw = dict(activation="softmax", ignore_index=9, reduction="none")
    loss = monai_losses.TverskyLoss(softmax=True, to_onehot_y=True, ignore_index=9, alpha=0.3, beta=0.7,
                                    reduction="none")
    vjp_check(lossbook.tversky_loss, lossbook.tversky_loss_grad,
              lambda xt: loss(xt, torch.as_tensor(y)[:, None]), x, y, kw)


def test_tversky_special_cases():
    x, t = logits(15, c=2), masks(16)
    dice = lossbook.dice_loss(x, t, smooth_nr=0.2, smooth_dr=0.2, reduction="none")
    close(lossbook.tversky_loss(x, t, alpha=0.5, beta=0.5, smooth_nr=0.1, smooth_dr=0.1, reduction="none"), dice)
    close(lossbook.tversky_loss(x, t, alpha=1.0, beta=1.0, reduction="none"),
          lossbook.jaccard_loss(x, t, reduction="none"))
    close(lossbook.focal_tversky_loss(x, t, gamma=1.0, reduction="none"), lossbook.tversky_loss(x, t, reduction="none"))


@pytest.mark.parametrize("gamma", [1.0, 4.0 / 3.0, 2.5])
def test_focal_tversky_is_monai_tversky_to_the_power(gamma):
    x, y = logits(17), labels(18)
    loss = monai_losses.TverskyLoss(softmax=True, alpha=0.3, beta=0.7, reduction="none")
    vjp_check(lossbook.focal_tversky_loss, lossbook.focal_tversky_loss_grad,
              lambda xt: loss(xt, onehot(y, 3)) ** (1.0 / gamma), x, y,
              dict(activation="softmax", gamma=gamma, reduction="none"))


# --- generalised Dice -----------------------------------------------------------------
@pytest.mark.parametrize("weight_type", ["square", "simple", "uniform"])
@pytest.mark.parametrize("batch", [False, True])
@pytest.mark.parametrize("absent", [False, True])
def test_generalized_dice_matches_monai(weight_type, batch, absent):
    """MONAI computes the weights in float32 (``w_func(ground_o.float())``): 1e-6 agreement; the
    float64 reference of tests/references.py is checked exactly by the registry harness."""
    x, y = logits(19), labels(20)
    if absent:
        y[0][y[0] == 1] = 2          # class 1 absent from image 0: the zero-count convention
    for reduction in ("none", "mean", "sum"):
        ours = lossbook.generalized_dice_loss(x, y, activation="softmax", weight_type=weight_type, batch=batch,
                                              reduction=reduction)
        monai = monai_losses.GeneralizedDiceLoss(softmax=True, w_type=weight_type, batch=batch,
                                                 reduction=reduction)(torch.as_tensor(x), onehot(y, 3))
        close(ours, monai.reshape(np.shape(ours)), rtol=1e-6, atol=1e-9, what=reduction)


def test_generalized_dice_zero_count_weight_is_the_largest():
    """An absent class gets the largest weight of the present ones (NiftyNet/MONAI)."""
    p = np.array([[[[0.7, 0.6, 0.1, 0.2]], [[0.2, 0.3, 0.8, 0.7]], [[0.1, 0.1, 0.1, 0.1]]]])  # (1, 3, 1, 4)
    y = np.array([[[0, 0, 0, 1]]])         # G = (3, 1, 0): weights 1/9, 1, and 1 for the absent class
    w = np.array([1 / 9, 1.0, 1.0])
    g = np.moveaxis(np.eye(3)[y], -1, 1)
    inter, pred, ground = (p * g).sum((2, 3))[0], p.sum((2, 3))[0], g.sum((2, 3))[0]
    expected = 1 - 2 * (w * inter).sum() / (w * (pred + ground)).sum()
    close(lossbook.generalized_dice_loss(p, y, activation=None, smooth_nr=0, smooth_dr=0), expected)
    # no class present at all (every pixel ignored): all weights 0, loss 1 - s_nr/s_dr
    close(lossbook.generalized_dice_loss(p, np.full_like(y, -1), activation=None, ignore_index=-1,
                                         smooth_nr=0.5, smooth_dr=1.0), 0.5)


# --- focal Dice: the three meanings ----------------------------------------------------
def test_focal_dice_power_form():
    x, t = logits(21, c=2), masks(22)
    d = 1.0 - lossbook.dice_loss(x, t, reduction="none")
    close(lossbook.focal_dice_loss(x, t, beta=3.0, reduction="none"), 1.0 - d ** (1 / 3))
    close(lossbook.focal_dice_loss(x, t, beta=1.0, reduction="none"), lossbook.dice_loss(x, t, reduction="none"))


def test_focal_dice_focal_tversky_kind():
    x, t = logits(23, c=2), masks(24)
    for gamma in (None, 2.0):
        ours = lossbook.focal_dice_loss(x, t, kind="focal_tversky", gamma=gamma, reduction="none")
        close(ours, lossbook.focal_tversky_loss(x, t, alpha=0.5, beta=0.5, gamma=gamma or 4 / 3, reduction="none"))
        close(lossbook.focal_dice_loss_grad(x, t, kind="focal_tversky", gamma=gamma),
              lossbook.focal_tversky_loss_grad(x, t, alpha=0.5, beta=0.5, gamma=gamma or 4 / 3))


@pytest.mark.parametrize("activation", ["sigmoid", "softmax"])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("gamma,focal_alpha,lambdas", [(2.0, None, (1.0, 1.0)), (1.5, 0.25, (0.7, 2.0))])
def test_focal_dice_dice_focal_kind_matches_monai(activation, reduction, gamma, focal_alpha, lambdas):
    """MONAI DiceFocalLoss: its focal term is the sigmoid focal loss of the logits even with
    softmax=True, computed in float32 (``input.float()``): agreement to 1e-6."""
    x, y = logits(25), labels(26)
    kw = dict(kind="dice_focal", gamma=gamma, focal_alpha=focal_alpha, lambda_dice=lambdas[0],
              lambda_focal=lambdas[1], activation=activation, include_background=False, reduction=reduction)
    loss = monai_losses.DiceFocalLoss(sigmoid=activation == "sigmoid", softmax=activation == "softmax",
                                      include_background=False, gamma=gamma, alpha=focal_alpha,
                                      lambda_dice=lambdas[0], lambda_focal=lambdas[1], reduction=reduction)
    xt = torch.as_tensor(x).clone().requires_grad_(True)
    ref = loss(xt, onehot(y, 3))
    ref.backward()
    if reduction == "mean":
        close(lossbook.focal_dice_loss(x, y, **kw), ref, rtol=1e-6, atol=1e-8)
        close(lossbook.focal_dice_loss_grad(x, y, **kw), xt.grad, rtol=1e-5, atol=1e-8)
    else:
        # MONAI's FocalLoss 'sum' adds the *spatial means* (N x C terms); ours adds every element
        dice = lossbook.dice_loss(x, y, activation=activation, include_background=False, reduction="sum")
        focal = lossbook.sigmoid_focal_loss(x[:, 1:], onehot(y, 3).numpy()[:, 1:], alpha=focal_alpha, gamma=gamma,
                                            reduction="none")
        close(ref, lambdas[0] * dice + lambdas[1] * focal.mean((2, 3)).sum(), rtol=1e-6, atol=1e-8)
        close(lossbook.focal_dice_loss(x, y, **kw), lambdas[0] * dice + lambdas[1] * focal.sum())
    # and exactly against autograd of our own formula, with a grad_output
    xt = torch.as_tensor(x).clone().requires_grad_(True)
    (lossbook.focal_dice_loss(xt, torch.as_tensor(y), **kw) * 1.7).backward()
    close(lossbook.focal_dice_loss_grad(x, y, grad_output=np.array(1.7), **kw), xt.grad, rtol=1e-9)


# --- kornia ----------------------------------------------------------------------------
def test_kornia_dice_micro_is_pooled_classes_and_macro_is_present_mean():
    x, y = logits(27), labels(28, all_present=False)
    y[0][y[0] == 2] = 0                     # class 2 absent from image 0
    xt, yt = torch.as_tensor(x), torch.as_tensor(y)
    kw = dict(activation="softmax", smooth_nr=0.0, smooth_dr=1e-8)
    vjp_check(lossbook.dice_loss, lossbook.dice_loss_grad,
              lambda t: kornia_losses.dice_loss(t, yt, average="micro", eps=1e-8), x, y,
              dict(pool_classes=True, **kw))
    per_class = lossbook.dice_loss(x, y, reduction="none", **kw)
    present = np.moveaxis(np.eye(3)[y], -1, 1).sum((2, 3)) > 0
    macro = np.mean((per_class * present).sum(1) / present.sum(1))
    close(macro, kornia_losses.dice_loss(xt, yt, average="macro", eps=1e-8))
    # every class present: kornia's macro average is our mean
    y2 = labels(29)
    close(lossbook.dice_loss(x, y2, **kw), kornia_losses.dice_loss(xt, torch.as_tensor(y2), average="macro",
                                                                    eps=1e-8))


def test_kornia_tversky_is_the_present_class_mean():
    x, y = logits(30), labels(31)
    y[1][y[1] == 1] = 0
    xt, yt = torch.as_tensor(x), torch.as_tensor(y)
    per_class = lossbook.tversky_loss(x, y, alpha=0.4, beta=0.6, activation="softmax", smooth_nr=0.0,
                                      smooth_dr=1e-8, reduction="none")
    present = np.moveaxis(np.eye(3)[y], -1, 1).sum((2, 3)) > 0
    expected = np.mean((per_class * present).sum(1) / present.sum(1))
    close(expected, kornia_losses.tversky_loss(xt, yt, alpha=0.4, beta=0.6, eps=1e-8))


def test_kornia_lovasz_softmax_is_all_classes_per_image():
    (z, y), _ = REGISTRY["lovasz_softmax_loss"].example(3)
    kornia = kornia_losses.lovasz_softmax_loss(torch.as_tensor(z), torch.as_tensor(y))
    close(lossbook.lovasz_softmax_loss(z, y, classes="all", per_image=True), kornia)
    # kornia has no 'present' option: with every class present the two agree
    close(lossbook.lovasz_softmax_loss(z, y, classes="present", per_image=True), kornia)


# --- Lovász: the reference algorithm (Berman et al., Alg. 1), written plainly -----------
def _lovasz_weights(gt_sorted):
    gts = gt_sorted.sum()
    jaccard = 1.0 - (gts - gt_sorted.cumsum(0)) / (gts + (1 - gt_sorted).cumsum(0))
    return torch.cat([jaccard[:1], jaccard[1:] - jaccard[:-1]])


def _ref_hinge_flat(x, t):
    if t.numel() == 0:
        return x.sum() * 0.0
    errors = 1.0 - x * (2.0 * t - 1.0)
    errors_sorted, perm = torch.sort(errors, descending=True)
    return torch.dot(F.relu(errors_sorted), _lovasz_weights(t[perm]))


def ref_lovasz_hinge(x, t, per_image=True, ignore=None):
    """x (N, H, W) logits, t (N, H, W) labels: the authors' algorithm, ignored pixels removed."""
    def flat(xi, ti):
        xi, ti = xi.reshape(-1), ti.reshape(-1)
        keep = torch.ones_like(ti, dtype=torch.bool) if ignore is None else ti != ignore
        return xi[keep], ti[keep].double()
    if per_image:
        return torch.stack([_ref_hinge_flat(*flat(xi, ti)) for xi, ti in zip(x, t)]).mean()
    return _ref_hinge_flat(*flat(x, t))


def _ref_softmax_flat(p, t, classes):
    if t.numel() == 0:
        return p.sum() * 0.0
    losses = []
    for c in range(p.shape[1]) if classes in ("all", "present") else classes:
        fg = (t == c).double()
        if classes == "present" and fg.sum() == 0:
            continue
        errors = (fg - p[:, c]).abs()
        errors_sorted, perm = torch.sort(errors, descending=True)
        losses.append(torch.dot(errors_sorted, _lovasz_weights(fg[perm])))
    return torch.stack(losses).mean() if losses else p.sum() * 0.0


def ref_lovasz_softmax(p, t, classes="present", per_image=False, ignore=None):
    """p (N, C, H, W) probabilities, t (N, H, W) labels."""
    def flat(pi, ti):
        pi, ti = pi.movedim(1, -1).reshape(-1, pi.shape[1]), ti.reshape(-1)
        keep = torch.ones_like(ti, dtype=torch.bool) if ignore is None else ti != ignore
        return pi[keep], ti[keep]
    if per_image:
        return torch.stack([_ref_softmax_flat(*flat(pi[None], ti[None]), classes) for pi, ti in zip(p, t)]).mean()
    return _ref_softmax_flat(*flat(p, t), classes)


@pytest.mark.parametrize("per_image", [True, False])
@pytest.mark.parametrize("ignore", [None, 7])
def test_lovasz_hinge_matches_the_reference_algorithm(per_image, ignore):
    for seed in range(3):
        (x, t), _ = REGISTRY["lovasz_hinge_loss"].example(2 * seed + 1)   # class-index targets (N, H, W)
        t = t.copy()
        if ignore is not None:
            t[0, 0, 2] = t[1, 2, :] = ignore
        kw = dict(per_image=per_image, ignore_index=ignore)
        vjp_check(lossbook.lovasz_hinge_loss, lossbook.lovasz_hinge_loss_grad,
                  lambda xt: ref_lovasz_hinge(xt[:, 0], torch.as_tensor(t), per_image, ignore), x, t, kw)


@pytest.mark.parametrize("per_image", [True, False])
@pytest.mark.parametrize("classes", ["present", "all", (0, 2)])
@pytest.mark.parametrize("ignore", [None, 5])
def test_lovasz_softmax_matches_the_reference_algorithm(per_image, classes, ignore):
    (z, y), _ = REGISTRY["lovasz_softmax_loss"].example(5)
    y = y.copy()
    y[0][y[0] == 1] = 2                     # class 1 absent from image 0: 'present' differs from 'all'
    if ignore is not None:
        y[1, :, 0] = ignore
    kw = dict(classes=classes, per_image=per_image, ignore_index=ignore)
    vjp_check(lossbook.lovasz_softmax_loss, lossbook.lovasz_softmax_loss_grad,
              lambda zt: ref_lovasz_softmax(torch.softmax(zt, 1), torch.as_tensor(y), classes, per_image, ignore),
              z, y, kw)
    # and on probabilities (the reference code's input)
    p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    vjp_check(lossbook.lovasz_softmax_loss, lossbook.lovasz_softmax_loss_grad,
              lambda pt: ref_lovasz_softmax(pt, torch.as_tensor(y), classes, per_image, ignore),
              p, y, dict(activation=None, **kw))


def test_lovasz_ties_follow_the_stable_order():
    """Tied errors: the gradient of the order that torch.sort returns (first index first), in
    the reference algorithm and in ours; the value does not depend on the order."""
    x = np.array([[[[0.5, -0.5, -0.5, 0.5, 2.0]]]])      # errors 0.5 (t=1), 0.5, 0.5 (t=0), 0.5 (t=1), -1
    t = np.array([[[1, 0, 0, 1, 1]]])
    xt = torch.as_tensor(x).clone().requires_grad_(True)
    ref = ref_lovasz_hinge(xt[:, 0], torch.as_tensor(t))
    ref.backward()
    close(lossbook.lovasz_hinge_loss(x, t), ref)
    close(lossbook.lovasz_hinge_loss_grad(x, t), xt.grad, rtol=0, atol=0)
    # another order of the tied pixels changes the gradient, not the value
    flipped = x[..., [1, 0, 2, 3, 4]], t[..., [1, 0, 2, 3, 4]]
    close(lossbook.lovasz_hinge_loss(*flipped), ref, rtol=1e-15)
    assert not np.allclose(lossbook.lovasz_hinge_loss_grad(*flipped)[..., [1, 0, 2, 3, 4]],
                           lossbook.lovasz_hinge_loss_grad(x, t))


def test_lovasz_hinge_golden_values():
    # one image, 3 pixels: errors (-1, 1.5, -2); sorted 1.5 (t=1), -1 (t=1), -2 (t=0): weights 1/2, 1/2, 0
    x, t = np.array([[[[2.0, -0.5, -3.0]]]]), np.array([[[[1.0, 1.0, 0.0]]]])
    assert float(lossbook.lovasz_hinge_loss(x, t)) == 0.75
    close(lossbook.lovasz_hinge_loss_grad(x, t), np.array([[[[0.0, -0.5, 0.0]]]]))
    # logits of +-1 with the right sign everywhere: every error 0, loss 0
    assert float(lossbook.lovasz_hinge_loss(np.array([[[[1.0, -1.0]]]]), np.array([[[1, 0]]]))) == 0.0
    # only ignored pixels: loss 0, gradient 0 (the reference code's logits.sum() * 0)
    x = np.array([[[[0.3, -0.2]]]])
    assert float(lossbook.lovasz_hinge_loss(x, np.array([[[9, 9]]]), ignore_index=9)) == 0.0
    assert np.all(lossbook.lovasz_hinge_loss_grad(x, np.array([[[9, 9]]]), ignore_index=9) == 0.0)


# --- conventions without a library: hand computations ----------------------------------
def test_per_image_versus_batch():
    p = np.array([[[[0.9, 0.1]]], [[[0.2, 0.4]]]])          # two images of 2 pixels, C = 1
    g = np.array([[[[1.0, 0.0]]], [[[0.0, 1.0]]]])
    per_image = [1 - 2 * 0.9 / (1.0 + 1), 1 - 2 * 0.4 / (0.6 + 1)]
    close(lossbook.dice_loss(p, g, activation=None, smooth_nr=0, smooth_dr=0, reduction="none"),
          np.array(per_image)[:, None])
    close(lossbook.dice_loss(p, g, activation=None, smooth_nr=0, smooth_dr=0, batch=True, reduction="none"),
          np.array([1 - 2 * 1.3 / (1.6 + 2)]))
    # the seed's DiceLoss flattens the whole batch (ER51): batch=True, pool_classes=True
    x, t = logits(32, c=2), masks(33)
    pr = 1 / (1 + np.exp(-x))
    close(lossbook.dice_loss(x, t, batch=True, pool_classes=True, smooth_nr=1.0, smooth_dr=1.0),
          1 - (2 * (pr * t).sum() + 1) / (pr.sum() + t.sum() + 1))


def test_background_is_dropped_after_the_softmax():
    x, y = logits(34), labels(35)
    p = np.exp(x) / np.exp(x).sum(1, keepdims=True)
    g = onehot(y, 3).numpy()
    close(lossbook.dice_loss(x, y, activation="softmax", include_background=False, reduction="none"),
          lossbook.dice_loss(p[:, 1:], g[:, 1:], activation=None, reduction="none"))
    grad = lossbook.dice_loss_grad(x, y, activation="softmax", include_background=False)
    assert np.all(grad[:, 0] != 0.0)        # the background logit still moves the softmax
    assert np.all(lossbook.dice_loss_grad(x, y, activation="sigmoid", include_background=False)[:, 0] == 0.0)


def test_smoothing_and_the_empty_mask():
    p = np.array([[[[0.0, 0.0]]], [[[0.3, 0.1]]]])           # image 0 predicts nothing; both targets empty
    g = np.zeros_like(p)
    close(lossbook.dice_loss(p, g, activation=None, smooth_nr=1.0, smooth_dr=1.0, reduction="none"),
          np.array([[0.0], [1 - 1 / 1.4]]))
    close(lossbook.dice_loss(p, g, activation=None, smooth_nr=0.0, smooth_dr=1e-5, reduction="none"),
          np.array([[1.0], [1.0]]))
    for fn in (lossbook.dice_loss, lossbook.jaccard_loss, lossbook.tversky_loss, lossbook.dsc_loss):
        name = fn.__name__
        out = fn(p, g, activation=None, empty=0.0, reduction="none")
        assert np.all(out == 0.0), name
        assert np.all(REGISTRY[name].grad(p, g, activation=None, empty=0.0) == 0.0), name
    # an empty entry next to a non-empty one: only the empty one is replaced
    x, t = logits(36, c=2), masks(37)
    t[0, 1] = 0.0
    full = lossbook.dice_loss(x, t, reduction="none")
    out = lossbook.dice_loss(x, t, empty=0.25, reduction="none")
    assert out[0, 1] == 0.25
    close(np.delete(out.ravel(), 1), np.delete(full.ravel(), 1))
    grad = lossbook.dice_loss_grad(x, t, empty=0.25)
    assert np.all(grad[0, 1] == 0.0) and np.all(grad[0, 0] != 0.0)


def test_squared_is_the_vnet_denominator():
    p = np.array([[[[0.9, 0.6, 0.2]]]])
    g = np.array([[[[1.0, 1.0, 0.0]]]])
    expected = 1 - 2 * (0.9 + 0.6) / ((0.81 + 0.36 + 0.04) + 2)
    close(lossbook.dice_loss(p, g, activation=None, squared=True, smooth_nr=0, smooth_dr=0), expected)


def test_dice_jaccard_relation():
    x, t = logits(38, c=2), masks(39)
    d = 1 - lossbook.dice_loss(x, t, smooth_nr=0, smooth_dr=0, reduction="none")
    j = 1 - lossbook.jaccard_loss(x, t, smooth_nr=0, smooth_dr=0, reduction="none")
    close(j, d / (2 - d))


def test_dsc_golden_values_from_the_paper():
    """Li et al.'s per-example DSC(x_i) = (2(1-p)^a p y + g) / ((1-p)^a p + y + g): one pixel per image."""
    p = np.array([0.5, 0.9, 0.2, 0.7])
    y = np.array([1.0, 1.0, 0.0, 0.0])
    for alpha, gamma in ((1.0, 1.0), (0.5, 0.1), (2.0, 1e-4)):
        pt = (1 - p) ** alpha * p
        expected = 1 - (2 * pt * y + gamma) / (pt + y + gamma)
        ours = lossbook.dsc_loss(p[:, None, None], y[:, None, None], alpha=alpha, activation=None,
                                 smooth_nr=gamma, smooth_dr=gamma, reduction="none")
        close(ours[:, 0], expected)
    # p = 0.5, y = 1, alpha = 1, gamma = 1: 1 - 1.5/2.25 = 1/3
    close(lossbook.dsc_loss(np.array([[[0.5]]]), np.array([[[1.0]]]), activation=None, smooth_nr=1, smooth_dr=1),
          1 / 3)
    # alpha = 0 is the Dice loss
    x, t = logits(40, c=2), masks(41)
    close(lossbook.dsc_loss(x, t, alpha=0.0, smooth_nr=1e-5, smooth_dr=1e-5), lossbook.dice_loss(x, t))


def test_dsc_official_binary_code_is_the_batch_form():
    """ShannonAI's DiceLoss(with_logits=True, smooth=1e-4, alpha) in the binary case: sigmoid, then
    p~ = (1-p)^alpha p, then one Dice over the whole batch with smooth in both."""
    x, t = logits(42, c=1), masks(43, c=1)
    p = 1 / (1 + np.exp(-x))
    for alpha in (0.0, 1.0, 0.6):
        pt = (1 - p) ** alpha * p
        expected = 1 - (2 * (pt * t).sum() + 1e-4) / (pt.sum() + t.sum() + 1e-4)
        close(lossbook.dsc_loss(x, t, alpha=alpha, batch=True), expected)


def test_dsc_saturates_beyond_one_half():
    """p~ = p(1-p) peaks at p = 1/2: the gradient for a positive pixel changes sign there."""
    def grad_at(prob):
        return float(lossbook.dsc_loss_grad(np.array([[[prob, 0.5]]]), np.array([[[1.0, 0.0]]]),
                                            activation=None)[0, 0, 0])
    assert grad_at(0.3) < 0 < grad_at(0.7)
    assert abs(grad_at(0.5)) < 1e-12


# --- backends and dtypes ----------------------------------------------------------------
@pytest.mark.parametrize("name", lossbook.names("overlap"))
def test_torch_float32_and_numpy_agree(name):
    spec = REGISTRY[name]
    args, kwargs = spec.example(2)
    value = spec.value(*args, **kwargs)
    t32 = [torch.as_tensor(a).float() if isinstance(a, np.ndarray) and a.dtype == np.float64
           else torch.as_tensor(a) if isinstance(a, np.ndarray) else a for a in args]
    v32 = spec.value(*t32, **kwargs)
    assert v32.dtype == torch.float32
    close(v32, value, rtol=1e-5, atol=1e-6)
    assert spec.grad(*t32, **kwargs).dtype == torch.float32


# --- bad input: clear errors naming the argument ------------------------------------------
BAD = [
    (lambda x, y, t: lossbook.dice_loss(x, t * 2.0), ValueError, r"target must hold labels in \{0, 1\}"),
    (lambda x, y, t: lossbook.dice_loss(np.abs(x), t, activation=None), ValueError, "input.*probabilities"),
    (lambda x, y, t: lossbook.dice_loss(x, y + 3, activation="softmax"), ValueError, "target.*class indices"),
    (lambda x, y, t: lossbook.dice_loss(x[:, :2], t[:, :1].repeat(3, 1)), ValueError, "target"),
    (lambda x, y, t: lossbook.dice_loss(x, y.astype(float), activation="softmax"), TypeError, "target"),
    (lambda x, y, t: lossbook.dice_loss(np.where(x > 2, np.nan, x), y), ValueError, "input.*NaN"),
    (lambda x, y, t: lossbook.dice_loss(x, np.where(t > 0, np.nan, t)), ValueError, "target.*NaN"),
    (lambda x, y, t: lossbook.dice_loss(x[..., 0, 0], y[..., 0, 0]), ValueError, "input.*spatial"),
    (lambda x, y, t: lossbook.dice_loss(x, y[:, :2]), ValueError, "target.*shape"),
    (lambda x, y, t: lossbook.dice_loss(x, t, activation="relu"), ValueError, "activation"),
    (lambda x, y, t: lossbook.dice_loss(x[:, :1], t[:, :1], activation="softmax"), ValueError, "softmax"),
    (lambda x, y, t: lossbook.dice_loss(x[:, :1], t[:, :1], include_background=False), ValueError,
     "include_background"),
    (lambda x, y, t: lossbook.dice_loss(x, t, ignore_index=2), ValueError, "ignore_index"),
    (lambda x, y, t: lossbook.dice_loss(x, y, ignore_index=1.5), ValueError, "ignore_index"),
    (lambda x, y, t: lossbook.dice_loss(x, t, smooth_nr=-1.0), ValueError, "smooth_nr"),
    (lambda x, y, t: lossbook.dice_loss(x, t, batch="yes"), ValueError, "batch"),
    (lambda x, y, t: lossbook.dice_loss(x, t, empty="zero"), ValueError, "empty"),
    (lambda x, y, t: lossbook.tversky_loss(x, t, alpha=-0.1), ValueError, "alpha"),
    (lambda x, y, t: lossbook.focal_tversky_loss(x, t, gamma=0.0), ValueError, "gamma"),
    (lambda x, y, t: lossbook.focal_tversky_loss(x, t, smooth_nr=1.0, smooth_dr=0.5), ValueError, "smooth_nr"),
    (lambda x, y, t: lossbook.dsc_loss(x, t, alpha=-1.0), ValueError, "alpha"),
    (lambda x, y, t: lossbook.focal_dice_loss(x, t, beta=0.5), ValueError, "beta"),
    (lambda x, y, t: lossbook.focal_dice_loss(x, t, kind="both"), ValueError, "kind"),
    (lambda x, y, t: lossbook.focal_dice_loss(x, t, kind="dice_focal", reduction="none"), ValueError, "reduction"),
    (lambda x, y, t: lossbook.focal_dice_loss(np.abs(x) / 4, t, kind="dice_focal", activation=None), ValueError,
     "logits"),
    (lambda x, y, t: lossbook.generalized_dice_loss(x, t, weight_type="log"), ValueError, "weight_type"),
    (lambda x, y, t: lossbook.lovasz_softmax_loss(x, y, classes="some"), ValueError, "classes"),
    (lambda x, y, t: lossbook.lovasz_softmax_loss(x, y, classes=(0, 3)), ValueError, "classes"),
    (lambda x, y, t: lossbook.lovasz_softmax_loss(x, y, activation="sigmoid"), ValueError, "activation"),
    (lambda x, y, t: lossbook.lovasz_hinge_loss(x[:, :1], y), ValueError, "target"),
    (lambda x, y, t: lossbook.lovasz_hinge_loss(x, t, per_image=1), ValueError, "per_image"),
    (lambda x, y, t: lossbook.dice_loss(torch.as_tensor(x), t), TypeError, "NumPy"),
    (lambda x, y, t: lossbook.dice_loss(x[:0], t[:0]), ValueError, "empty"),
]


@pytest.mark.parametrize("call,error,match", BAD)
def test_bad_input_names_the_argument(call, error, match):
    x, y = logits(44), labels(45)
    t = np.moveaxis(np.eye(3)[y], -1, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(error, match=match):
            call(x, y, t)
