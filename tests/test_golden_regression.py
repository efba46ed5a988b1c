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
