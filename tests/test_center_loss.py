"""Center loss (catalog H4): value, both gradients, the Eq. 4 centre update, and training use.

The registry-wide tests (tests/test_registry.py) cover the generic contract; these add the
centre update, which is not a gradient, and the specifics of the scale conventions (ER57).
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

import lossbook
import lossbook.autograd as la
from lossbook import center_loss, center_loss_grad, center_update

from references import REFERENCES


def _batch(seed=0, m=9, d=3, classes=4, dtype=np.float64):
    generator = np.random.default_rng(seed)
    x = generator.normal(size=(m, d)).astype(dtype) * 3
    y = generator.integers(0, classes - 1, size=m)       # the last class is absent
    c = generator.normal(size=(classes, d)).astype(dtype)
    return x, y, c


def _seed_tf_update(features, labels, centers, alpha):
    """Seed 003's TensorFlow update, transcribed to NumPy: scatter_sub of
    alpha * (c_y - x) / (1 + count(y)) for every sample (duplicates accumulate)."""
    centers = centers.copy()
    centers_batch = centers[labels]
    _, unique_idx, unique_count = np.unique(labels, return_inverse=True, return_counts=True)
    appear_times = unique_count[unique_idx].reshape(-1, 1)
    diff = alpha * (centers_batch - features) / (1 + appear_times)
    np.subtract.at(centers, labels, diff)
    return centers


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_value_matches_the_reference(reduction):
    x, y, c = _batch()
    expected = REFERENCES["center_loss"]((x, y, c), {"reduction": reduction}).numpy()
    np.testing.assert_allclose(center_loss(x, y, c, reduction=reduction), expected, rtol=1e-12)


def test_hand_computed_value_and_scale_conventions():
    x = np.array([[1.0, 2.0], [0.0, -1.0], [3.0, 0.5]])
    y = np.array([1, 0, 0])
    c = np.array([[0.0, 0.0], [1.0, 1.0]])
    # ½‖(0,1)‖², ½‖(0,-1)‖², ½‖(3,0.5)‖²
    np.testing.assert_allclose(center_loss(x, y, c, reduction="none"), [0.5, 0.5, 4.625])
    paper = center_loss(x, y, c, reduction="sum")                 # Wen et al. Eq. 2
    np.testing.assert_allclose(paper, 5.625)
    np.testing.assert_allclose(center_loss(x, y, c), paper / 3)     # the Caffe layer: / m
    kaiyang = np.mean(np.sum((x - c[y]) ** 2, axis=1))              # Σ/B, no ½
    np.testing.assert_allclose(kaiyang, 2 * center_loss(x, y, c))
    seed_tf = 0.5 * np.sum((x - c[y]) ** 2) / x.shape[1]            # l2_loss / feat_dim
    np.testing.assert_allclose(seed_tf, paper / x.shape[1])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_gradients_match_autograd_of_the_reference(reduction):
    x, y, c = _batch(1)
    xt = torch.tensor(x, requires_grad=True)
    ct = torch.tensor(c, requires_grad=True)
    value = REFERENCES["center_loss"]((xt, torch.tensor(y), ct), {"reduction": reduction})
    grad_output = np.random.default_rng(5).normal(size=value.shape) if reduction == "none" else None
    value.backward(None if grad_output is None else torch.tensor(grad_output))
    gx, gc = center_loss_grad(x, y, c, reduction=reduction, grad_output=grad_output)
    np.testing.assert_allclose(gx, xt.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gc, ct.grad.numpy(), rtol=1e-10, atol=1e-12)
    assert np.all(gc[-1] == 0), "a class absent from the batch gets no centre gradient"


def test_gradcheck_through_lossbook_autograd():
    x, y, c = _batch(2, m=6, d=2, classes=3)
    xt = torch.tensor(x, requires_grad=True)
    ct = torch.tensor(c, requires_grad=True)
    f = la.function("center_loss")
    assert torch.autograd.gradcheck(lambda a, b: f(a, torch.tensor(y), b, reduction="sum"), (xt, ct))
    assert torch.autograd.gradcheck(lambda a, b: f(a, torch.tensor(y), b), (xt, ct))


def test_numpy_torch_parity_and_float32():
    x, y, c = _batch(3, dtype=np.float32)
    value = center_loss(torch.tensor(x), torch.tensor(y), torch.tensor(c))
    assert value.dtype == torch.float32
    np.testing.assert_allclose(value.numpy(), center_loss(x, y, c), rtol=1e-6)
    gx, gc = center_loss_grad(torch.tensor(x), torch.tensor(y), torch.tensor(c))
    assert gx.dtype == gc.dtype == torch.float32
    ngx, ngc = center_loss_grad(x, y, c)
    assert ngx.dtype == ngc.dtype == np.float32
    np.testing.assert_allclose(gx.numpy(), ngx, rtol=1e-6)
    np.testing.assert_allclose(gc.numpy(), ngc, rtol=1e-6, atol=1e-7)


def test_zero_at_the_centres():
    c = np.array([[1.0, -2.0], [0.5, 0.25]])
    y = np.array([1, 0, 1])
    x = c[y]
    assert center_loss(x, y, c) == 0.0
    gx, gc = center_loss_grad(x, y, c)
    assert not gx.any() and not gc.any()


# --- the centre update (Eq. 4) ----------------------------------------------------------
@pytest.mark.parametrize("alpha", [0.0, 0.1, 0.5, 1.0])
def test_center_update_matches_the_seed_tensorflow_code(alpha):
    x, y, c = _batch(4, m=16)
    np.testing.assert_allclose(center_update(x, y, c, alpha=alpha), _seed_tf_update(x, y, c, alpha),
                               rtol=1e-12, atol=1e-14)


def test_center_update_by_hand_and_its_properties():
    x = np.array([[2.0, 0.0], [4.0, 0.0], [0.0, 6.0]])
    y = np.array([0, 0, 1])
    c = np.array([[0.0, 0.0], [0.0, 0.0], [7.0, 7.0]])
    new = center_update(x, y, c, alpha=0.5)
    # class 0: Δ = (2·0 − (2+4)) / 3 = −2 → c = 0 + 0.5·2 = 1; class 1: Δ = −6/2 → 1.5
    np.testing.assert_allclose(new, [[1.0, 0.0], [0.0, 1.5], [7.0, 7.0]])
    assert np.shares_memory(new, c) is False and c[0, 0] == 0.0, "the input is not modified"
    # alpha = 1: the centre becomes (c + Σx) / (1 + n), a running mean with the old centre
    np.testing.assert_allclose(center_update(x, y, c, alpha=1.0)[0], [(0 + 2 + 4) / 3, 0.0])
    np.testing.assert_array_equal(center_update(x, y, c, alpha=0.0), c)


def test_center_update_is_a_normalised_gradient_step():
    """Δc_j = (∂/∂c_j of the summed loss) / (1 + n_j)."""
    x, y, c = _batch(6, m=20)
    _, grad_c = center_loss_grad(x, y, c, reduction="sum")
    counts = np.bincount(y, minlength=len(c))[:, None]
    np.testing.assert_allclose(center_update(x, y, c, alpha=0.5), c - 0.5 * grad_c / (1 + counts),
                               rtol=1e-12)


def test_center_update_converges_to_the_class_means():
    generator = np.random.default_rng(7)
    means = np.array([[3.0, 0.0], [-2.0, 1.0], [0.0, -4.0]])
    c = np.zeros((3, 2))
    for _ in range(300):
        y = generator.integers(0, 3, size=32)
        x = means[y] + 0.1 * generator.normal(size=(32, 2))
        c = center_update(x, y, c, alpha=0.5)
    np.testing.assert_allclose(c, means, atol=0.05)


def test_center_update_on_torch():
    x, y, c = _batch(8, dtype=np.float32)
    out = center_update(torch.tensor(x), torch.tensor(y), torch.tensor(c), alpha=0.5)
    assert isinstance(out, torch.Tensor) and out.dtype == torch.float32
    np.testing.assert_allclose(out.numpy(), center_update(x, y, c, alpha=0.5), rtol=1e-6, atol=1e-6)


# --- bad input ------------------------------------------------------------------------
@pytest.mark.parametrize("call, error, match", [
    (lambda x, y, c: center_loss(x[:, :2], y, c), ValueError, "centers"),
    (lambda x, y, c: center_loss(x[0], y, c), ValueError, "input"),
    (lambda x, y, c: center_loss(x, y[:-1], c), ValueError, "target"),
    (lambda x, y, c: center_loss(x, y + 4, c), ValueError, "target"),
    (lambda x, y, c: center_loss(x, y.astype(float), c), TypeError, "target"),
    (lambda x, y, c: center_loss(x, y, c.astype(np.float32)), TypeError, "centers"),
    (lambda x, y, c: center_loss(np.full_like(x, np.nan), y, c), ValueError, "input"),
    (lambda x, y, c: center_loss(x[:0], y[:0], c), ValueError, "input"),
    (lambda x, y, c: center_loss(x, y, c, reduction="avg"), ValueError, "reduction"),
    (lambda x, y, c: center_loss(torch.tensor(x), y, torch.tensor(c)), TypeError, "mix"),
    (lambda x, y, c: center_update(x, y, c, alpha=1.5), ValueError, "alpha"),
    (lambda x, y, c: center_update(x, y, c, alpha=-0.1), ValueError, "alpha"),
])
def test_bad_input_raises_a_clear_error(call, error, match):
    x, y, c = _batch(9)
    with pytest.raises(error, match=match):
        call(x, y, c)


# --- in training ----------------------------------------------------------------------
def test_training_pulls_features_to_their_centres_with_our_gradient():
    """A linear feature map trained by center loss alone (our backward), centres by Eq. 4."""
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(0)
    inputs = torch.randn(256, 5, generator=generator)
    labels = torch.randint(0, 3, (256,), generator=generator)
    layer = torch.nn.Linear(5, 2)
    centers = torch.randn(3, 2, generator=generator)
    loss_fn = la.Loss("center_loss")
    optimizer = torch.optim.SGD(layer.parameters(), lr=0.1)
    first = None
    for _ in range(100):
        features = layer(inputs)
        loss = loss_fn(features, labels, centers)
        first = loss.item() if first is None else first
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        centers = center_update(features.detach(), labels, centers, alpha=0.5)
    assert loss.item() < 0.05 * first
    assert lossbook.REGISTRY["center_loss"].extra["update"] is center_update
