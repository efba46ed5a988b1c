"""Golden values for the regression losses: the seeds' worked examples (catalog §W), corrected.

The expected numbers are the catalog's recomputations (W3–W6, W19), never lossbook's output;
tolerances follow the digits printed there.
"""
import numpy as np
import pytest

import lossbook


# W4 (seed 004, Keras MeanSquaredError): y_true=[[0],[1]], y_pred=[[1],[1]] -> 0.5
def test_w4_mse_keras_example():
    value = lossbook.mse_loss(np.array([[1.0], [1.0]]), np.array([[0.0], [1.0]]))
    assert float(value) == pytest.approx(0.5, abs=1e-12)


# W6 (seed 003): the seed's "mse: 100, 3" are sums of squared errors (ER53)
W6_TRUE = np.array([1.0, 2.0, 3.0, 100.0])
W6_PRED_1 = np.array([1.0, 2.0, 3.0, 110.0])
W6_PRED_2 = np.array([2.0, 3.0, 4.0, 100.0])


def test_w6_mse_and_sse():
    assert float(lossbook.mse_loss(W6_PRED_1, W6_TRUE)) == pytest.approx(25.0, abs=1e-12)
    assert float(lossbook.mse_loss(W6_PRED_2, W6_TRUE)) == pytest.approx(0.75, abs=1e-12)
    assert float(lossbook.mse_loss(W6_PRED_1, W6_TRUE, reduction="sum")) == pytest.approx(100.0)
    assert float(lossbook.mse_loss(W6_PRED_2, W6_TRUE, reduction="sum")) == pytest.approx(3.0)


def test_w6_msle_and_rmsle_corrected():
    """ER53: the seed's "msle: 0.047, 0.27" are RMSLE values; MSLE is their square."""
    assert float(lossbook.msle_loss(W6_PRED_1, W6_TRUE)) == pytest.approx(0.0022283, abs=5e-8)
    assert float(lossbook.msle_loss(W6_PRED_2, W6_TRUE)) == pytest.approx(0.0742390, abs=5e-8)
    assert float(lossbook.rmsle_loss(W6_PRED_1, W6_TRUE)) == pytest.approx(0.047205, abs=5e-7)
    assert float(lossbook.rmsle_loss(W6_PRED_2, W6_TRUE)) == pytest.approx(0.272468, abs=5e-7)
    # The seed's conclusion holds: MSE prefers y_2, MSLE prefers y_1.
    assert lossbook.mse_loss(W6_PRED_2, W6_TRUE) < lossbook.mse_loss(W6_PRED_1, W6_TRUE)
    assert lossbook.msle_loss(W6_PRED_1, W6_TRUE) < lossbook.msle_loss(W6_PRED_2, W6_TRUE)


# W3 (seed 004, Keras MeanAbsoluteError): y_true=[[0],[0]], y_pred=[[1],[1]] -> 1.0
def test_w3_mae_keras_example():
    assert float(lossbook.l1_loss(np.array([[1.0], [1.0]]), np.array([[0.0], [0.0]]))) == 1.0


# W5 (seed 004, Keras Huber() presented as Smooth L1): y_true=[[0],[1]], y_pred=[[0.6],[0.4]]
def test_w5_huber_and_smooth_l1_keras_example():
    y_pred, y_true = np.array([[0.6], [0.4]]), np.array([[0.0], [1.0]])
    assert float(lossbook.huber_loss(y_pred, y_true)) == pytest.approx(0.18, abs=1e-12)
    assert float(lossbook.smooth_l1_loss(y_pred, y_true, beta=1.0)) == pytest.approx(0.18, abs=1e-12)


def test_huber_is_delta_times_smooth_l1_not_equal_to_it():
    """ER7, ER62: Huber_delta = delta * SmoothL1_{beta=delta}; equal only for delta = 1."""
    r = np.array([-3.0, -0.4, 0.2, 1.5, 7.0])
    zero = np.zeros_like(r)
    for delta in (0.3, 1.0, 2.5):
        huber = lossbook.huber_loss(r, zero, delta=delta, reduction="none")
        smooth = lossbook.smooth_l1_loss(r, zero, beta=delta, reduction="none")
        np.testing.assert_allclose(huber, delta * smooth, rtol=1e-14)
    assert not np.allclose(lossbook.huber_loss(r, zero, delta=2.5, reduction="none"),
                           lossbook.smooth_l1_loss(r, zero, beta=2.5, reduction="none"))


def test_huber_limits():
    """ER44: Huber/delta -> |r| as delta -> 0 (Huber itself -> 0); Huber -> r^2/2 as delta grows."""
    r = np.array([-3.0, -0.4, 0.2, 1.5])
    zero = np.zeros_like(r)
    small = lossbook.huber_loss(r, zero, delta=1e-6, reduction="none")
    np.testing.assert_allclose(small / 1e-6, np.abs(r), rtol=1e-5)
    assert small.max() < 1e-5
    np.testing.assert_allclose(lossbook.huber_loss(r, zero, delta=1e3, reduction="none"), 0.5 * r * r)


# W19 (seeds 001, 003): log-cosh at r = 1000; the naive form overflows
def test_w19_log_cosh_is_finite_at_1000():
    with np.errstate(over="ignore"):
        assert np.isinf(np.log(np.cosh(1000.0)))
    value = lossbook.log_cosh_loss(np.array([1000.0]), np.array([0.0]))
    assert float(value) == pytest.approx(999.3068528, abs=5e-8)
    assert float(lossbook.log_cosh_loss_grad(np.array([1000.0]), np.array([0.0]))[0]) == 1.0


def test_log_cosh_hessian_vanishes():
    """ER45: the second derivative sech^2 r tends to 0 (8e-9 at r = 10), it is not constant."""
    import torch

    r = torch.tensor([10.0], dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(lossbook.log_cosh_loss(r, torch.zeros(1, dtype=torch.float64)), r,
                               create_graph=True)
    (h,) = torch.autograd.grad(g, r)
    assert float(h) == pytest.approx(1.0 / np.cosh(10.0) ** 2, rel=1e-6)
    assert float(h) == pytest.approx(8.2e-9, rel=0.01)


def test_mape_asymmetry_example():
    """Catalog E5: y=100, y_hat=150 gives 50 %; y=150, y_hat=100 gives 33.3 %; percent, not fraction."""
    values = lossbook.mape_loss(np.array([150.0, 100.0]), np.array([100.0, 150.0]), reduction="none")
    np.testing.assert_allclose(values, [50.0, 100.0 / 3.0], rtol=1e-14)


def test_smape_range_and_zero_over_zero():
    """ER42: SMAPE lies in [0, 200]; 0/0 is defined as 0."""
    values = lossbook.smape_loss(np.array([0.0, 5.0, -2.0, 150.0, 50.0]),
                                 np.array([0.0, 0.0, 2.0, 100.0, 100.0]), reduction="none")
    np.testing.assert_allclose(values, [0.0, 200.0, 200.0, 40.0, 200.0 / 3.0], rtol=1e-14)


def test_quantile_half_is_half_mae():
    """ER46: the pinball loss at tau = 0.5 is half the MAE, gradient included."""
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=20), rng.normal(size=20)
    x[3] = y[3]
    assert float(lossbook.quantile_loss(x, y, tau=0.5)) == pytest.approx(0.5 * float(lossbook.l1_loss(x, y)))
    np.testing.assert_array_equal(lossbook.quantile_loss_grad(x, y, tau=0.5), 0.5 * lossbook.l1_loss_grad(x, y))


def test_quantile_gradient_at_zero_residual_is_zero():
    """Our documented choice at r = 0 (inside the subdifferential [-tau, 1 - tau])."""
    for tau in (0.0, 0.1, 0.5, 0.9, 1.0):
        g = lossbook.quantile_loss_grad(np.array([1.0, 2.0, 0.0]), np.array([1.0, 1.0, 1.0]), tau=tau,
                                        reduction="sum")
        np.testing.assert_array_equal(g, [0.0, 1.0 - tau, -tau])


def test_mbe_cancels():
    """ER5: MBE is signed; opposite errors cancel."""
    assert float(lossbook.mbe(np.array([3.0, -1.0]), np.array([1.0, 1.0]))) == 0.0
    assert float(lossbook.mbe(np.array([0.0]), np.array([1.0]))) == -1.0


def test_rmse_and_rmsle_subgradient_zero_at_a_perfect_fit():
    x = np.array([0.5, 3.0, -0.2])
    for name in ("rmse_loss", "rmsle_loss"):
        for reduction in ("mean", "sum", "none"):
            g = lossbook.get(name).grad(x, x.copy(), reduction=reduction)
            np.testing.assert_array_equal(g, np.zeros_like(x))


def test_rmse_reductions_are_roots():
    x, y = np.array([3.0, 0.0, -1.0, 2.0]), np.zeros(4)
    assert float(lossbook.rmse_loss(x, y)) == pytest.approx(np.sqrt(14.0 / 4.0))
    assert float(lossbook.rmse_loss(x, y, reduction="sum")) == pytest.approx(np.sqrt(14.0))
    np.testing.assert_array_equal(lossbook.rmse_loss(x, y, reduction="none"), np.abs(x))


# --- clear errors for values outside the domain ------------------------------------------
def test_msle_rejects_values_at_or_below_minus_one():
    with pytest.raises(ValueError, match=r"^input must be greater than -1"):
        lossbook.msle_loss(np.array([-1.0, 2.0]), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"^target must be greater than -1"):
        lossbook.rmsle_loss(np.array([0.0, 2.0]), np.array([0.0, -3.0]))
    with pytest.raises(ValueError, match=r"^input must be greater than -1"):
        lossbook.msle_loss_grad(np.array([-1.5]), np.array([0.0]))


def test_mape_rejects_a_zero_target():
    with pytest.raises(ValueError, match=r"^target contains 1 zero\(s\).*infinite"):
        lossbook.mape_loss(np.array([1.0, 2.0]), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"^target contains"):
        lossbook.mape_loss_grad(np.array([1.0, 2.0]), np.array([0.0, 1.0]))


@pytest.mark.parametrize("call, match", [
    (lambda: lossbook.huber_loss(np.ones(2), np.zeros(2), delta=0.0), "^delta"),
    (lambda: lossbook.huber_loss(np.ones(2), np.zeros(2), delta=-1.0), "^delta"),
    (lambda: lossbook.smooth_l1_loss(np.ones(2), np.zeros(2), beta=-0.5), "^beta"),
    (lambda: lossbook.quantile_loss(np.ones(2), np.zeros(2), tau=1.5), "^tau"),
    (lambda: lossbook.quantile_loss(np.ones(2), np.zeros(2), tau=-0.1), "^tau"),
    (lambda: lossbook.l1_loss(np.ones(2), np.zeros(3)), "^target"),
    (lambda: lossbook.mse_loss(np.ones(0), np.zeros(0)), "^input"),
    (lambda: lossbook.mse_loss(np.ones(2), np.array([0.0, np.nan])), "^target"),
    (lambda: lossbook.mse_loss(np.ones(2), np.zeros(2), reduction="avg"), "^reduction"),
])
def test_bad_arguments_raise_value_errors_naming_them(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_mixed_kinds_and_dtypes_raise_type_errors():
    import torch

    with pytest.raises(TypeError, match="^target"):
        lossbook.mse_loss(np.ones(2), torch.zeros(2, dtype=torch.float64))
    with pytest.raises(TypeError, match="^target"):
        lossbook.mse_loss(np.ones(2, dtype=np.float32), np.zeros(2))
    with pytest.raises(TypeError, match="^target"):
        lossbook.mse_loss(np.ones(2), np.zeros(2, dtype=np.int64))
    # a list target takes the input's dtype
    assert lossbook.mse_loss(np.ones(2, dtype=np.float32), [0.0, 1.0]).dtype == np.float32
