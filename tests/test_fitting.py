"""lossbook.experiments.regression: the regression chapter's solvers, checked against
independent ones."""
import numpy as np
import pytest
from scipy.optimize import minimize
from sklearn.linear_model import QuantileRegressor

import lossbook
from lossbook.experiments.regression import (RESIDUAL_LOSSES, coverage, fit_line, fit_location,
                                             fit_regression, heteroscedastic_data, newton_step,
                                             outlier_data, second_derivative)


def test_mse_irls_is_least_squares():
    x, y, _ = outlier_data(seed=3)
    line = fit_line("mse_loss", x, y)
    expected = np.polyfit(x, y, 1)[::-1]
    np.testing.assert_allclose(line.coef, expected, rtol=1e-10)
    assert line.converged


@pytest.mark.parametrize("tau", [0.1, 0.3, 0.5, 0.9])
def test_quantile_irls_matches_linear_programming(tau):
    """scikit-learn's QuantileRegressor solves the pinball problem exactly (HiGHS LP)."""
    x, y = heteroscedastic_data(n=200, seed=4)
    ours = fit_line("quantile_loss", x, y, tau=tau)
    lp = QuantileRegressor(quantile=tau, alpha=0.0, solver="highs").fit(x[:, None], y)
    assert ours.converged
    np.testing.assert_allclose(ours.coef, [lp.intercept_, lp.coef_[0]], rtol=1e-6, atol=1e-6)


def test_l1_irls_matches_median_regression():
    x, y, _ = outlier_data(seed=5)
    ours = fit_line("l1_loss", x, y)
    lp = QuantileRegressor(quantile=0.5, alpha=0.0, solver="highs").fit(x[:, None], y)
    np.testing.assert_allclose(ours.coef, [lp.intercept_, lp.coef_[0]], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name, params", [("huber_loss", {"delta": 0.7}), ("huber_loss", {"delta": 3.0}),
                                          ("smooth_l1_loss", {"beta": 0.5}), ("log_cosh_loss", {})])
def test_smooth_robust_fits_are_stationary_and_optimal(name, params):
    x, y, _ = outlier_data(seed=6)
    line = fit_line(name, x, y, **params)
    assert line.converged
    X = np.column_stack([np.ones_like(x), x])
    # stationarity: X^T psi(r) = 0, with psi = our gradient
    g = X.T @ lossbook.get(name).grad(line.predict(x), y, **params)
    np.testing.assert_allclose(g, 0.0, atol=1e-9)
    # an independent optimiser (BFGS on the value only) finds the same minimum
    other = minimize(lambda c: float(lossbook.get(name).value(X @ c, y, **params)), np.zeros(2),
                     method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-14, "maxiter": 20000})
    np.testing.assert_allclose(line.coef, other.x, atol=1e-5)
    assert line.history[-1] <= other.fun + 1e-12


def test_robust_slopes_resist_outliers():
    """The chapter's claim, measured: outliers tilt MSE, not L1/Huber/log-cosh."""
    x, y, _ = outlier_data()
    slope = {name: fit_line(name, x, y).slope for name in ("mse_loss", "l1_loss", "huber_loss", "log_cosh_loss")}
    assert abs(slope["mse_loss"] - 2.0) > 1.5
    for name in ("l1_loss", "huber_loss", "log_cosh_loss"):
        assert abs(slope[name] - 2.0) < 0.2, name
    # larger delta -> closer to least squares
    deltas = [fit_line("huber_loss", x, y, delta=d).slope for d in (0.5, 1.0, 2.0, 5.0, 100.0)]
    assert np.all(np.diff(deltas) > 0)
    assert deltas[-1] == pytest.approx(slope["mse_loss"], rel=1e-9)


def test_location_is_mean_or_median():
    y = np.array([1.0, 2.0, 3.0, 4.0, 100.0])
    assert fit_location("mse_loss", y) == pytest.approx(np.mean(y))
    assert fit_location("l1_loss", y) == pytest.approx(np.median(y), abs=1e-6)
    assert fit_location("quantile_loss", y, tau=0.5) == pytest.approx(np.median(y), abs=1e-6)
    assert 2.0 < fit_location("huber_loss", y, delta=1.0) < np.mean(y)


def test_gradient_descent_mse_converges_and_l1_oscillates():
    """ER60: with a fixed step, MSE settles; L1's constant-size gradient keeps it moving."""
    x, y, _ = outlier_data(n_outliers=0, seed=7)
    mse = fit_line("mse_loss", x, y, method="gd", lr=0.05, steps=3000)
    np.testing.assert_allclose(mse.coef, np.polyfit(x, y, 1)[::-1], atol=1e-6)
    l1 = fit_line("l1_loss", x, y, method="gd", lr=0.05, steps=3000)
    tail = np.diff(l1.history[-200:])
    assert np.sum(tail > 0) > 10, "L1 gradient descent should not decrease monotonically"
    assert l1.history[-1] > fit_line("l1_loss", x, y).history[-1]


def test_quantile_band_covers_about_80_percent():
    x, y = heteroscedastic_data(n=2000, seed=8)
    low = fit_line("quantile_loss", x, y, tau=0.1)
    high = fit_line("quantile_loss", x, y, tau=0.9)
    x_new, y_new = heteroscedastic_data(n=5000, seed=9)
    assert coverage(y_new, low.predict(x_new), high.predict(x_new)) == pytest.approx(0.8, abs=0.03)
    # true conditional quantile slopes: 1 + 0.6 * z_tau
    assert high.slope == pytest.approx(1.0 + 0.6 * 1.2815516, abs=0.1)


def test_second_derivative_and_newton_step():
    r = np.array([-3.0, -0.2, 0.4, 10.0])
    # autograd forms 1 - tanh^2: absolute (not relative) accuracy where tanh ~ 1
    np.testing.assert_allclose(second_derivative("log_cosh_loss", r), 1.0 / np.cosh(r) ** 2, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(second_derivative("mse_loss", r), 2.0)
    np.testing.assert_allclose(second_derivative("huber_loss", r, delta=1.0), [0.0, 1.0, 1.0, 0.0])
    np.testing.assert_allclose(second_derivative("l1_loss", r), 0.0)
    # the same 1 - tanh^2 cancellation: ~1e-8 relative at r = 10
    np.testing.assert_allclose(newton_step("log_cosh_loss", r), -0.5 * np.sinh(2 * r), rtol=1e-7)
    np.testing.assert_allclose(newton_step("mse_loss", r), -r)
    assert np.isinf(newton_step("huber_loss", np.array([3.0]))[0])


def test_coverage():
    assert coverage([1.0, 2.0, 3.0, 4.0], [0.0] * 4, [2.5] * 4) == 0.5


def test_errors():
    X, y = np.ones((3, 1)), np.array([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="loss_name"):
        fit_regression("mape_loss", X, y)
    with pytest.raises(ValueError, match="method"):
        fit_regression("mse_loss", X, y, method="newton")
    with pytest.raises(ValueError, match="X must be"):
        fit_regression("mse_loss", np.ones(3), y)
    assert set(RESIDUAL_LOSSES) <= set(lossbook.names("regression"))
