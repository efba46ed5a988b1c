"""The backend, reduction and autograd layers, tested directly."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import lossbook
from lossbook import _backend, _reduction
from lossbook.autograd import Activation, Loss, PReLU, Swish, function

NP = _backend.Numpy


def TORCH():
    return _backend.namespace(torch.zeros(1))


@pytest.mark.parametrize("make", [np.asarray, torch.as_tensor])
def test_stable_primitives(make):
    x = make(np.array([-1e4, -50.0, 0.0, 50.0, 1e4]))
    xp = _backend.namespace(x)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s = _backend.to_numpy(xp.sigmoid(x))
        sp = _backend.to_numpy(xp.softplus(x))
        ls = _backend.to_numpy(xp.logsigmoid(x))
    np.testing.assert_allclose(s, [0.0, 1.9287498479639178e-22, 0.5, 1.0, 1.0], rtol=1e-15)
    np.testing.assert_allclose(sp, [0.0, 1.9287498479639178e-22, np.log(2), 50.0, 1e4], rtol=1e-15)
    np.testing.assert_allclose(ls, [-1e4, -50.0, -np.log(2), -1.9287498479639178e-22, 0.0], rtol=1e-15)
    z = make(np.array([[1000.0, 1000.0], [-np.inf, 0.0]]))
    np.testing.assert_allclose(_backend.to_numpy(xp.logsumexp(z, axis=-1)), [1000 + np.log(2), 0.0])
    np.testing.assert_allclose(_backend.to_numpy(xp.log_softmax(z, axis=-1)),
                               [[-np.log(2), -np.log(2)], [-np.inf, 0.0]], rtol=1e-15)
    np.testing.assert_allclose(_backend.to_numpy(xp.softmax(z, axis=0)),
                               [[1.0, 1.0], [0.0, 0.0]], rtol=1e-15)
    w = make(np.array([[-745.0, 0.0, 30.0], [1e-3, 2e-3, -1e-3]]))   # e^-775 underflows
    expected = np.array([[-775.0, -30.0, 0.0], [0.0, 0.0, 0.0]])
    expected[1] = [1e-3, 2e-3, -1e-3] - np.log(np.exp([1e-3, 2e-3, -1e-3]).sum())
    expected[0] -= np.log1p(np.exp(-30.0) + np.exp(-775.0))
    # absolute accuracy: log(1 + 9e-14) is not log1p, in torch's kernel as in ours
    np.testing.assert_allclose(_backend.to_numpy(xp.log_softmax(w, axis=1)), expected,
                               rtol=1e-15, atol=1e-15)
    p = make(np.array([0.0, 0.5]))
    np.testing.assert_array_equal(_backend.to_numpy(xp.xlogy(p, p)), [0.0, 0.5 * np.log(0.5)])
    np.testing.assert_allclose(_backend.to_numpy(xp.erf(make(np.array([0.5])))), [0.5204998778130465])


def test_where_with_two_scalars_needs_a_dtype_source():
    x32 = np.ones(3, dtype=np.float32)
    with pytest.raises(TypeError, match="like="):
        NP.where(x32 > 0, 1.0, 0.0)
    assert NP.where(x32 > 0, 1.0, 0.0, like=x32).dtype == np.float32
    t32 = torch.ones(3)
    assert TORCH().where(t32 > 0, 1.0, 0.0, like=t32).dtype == torch.float32
    assert TORCH().where(t32 > 0, t32, 0.0).dtype == torch.float32


def test_mixing_backends_is_refused():
    with pytest.raises(TypeError, match="mix"):
        _backend.namespace(np.ones(2), torch.ones(2))


def test_reduce_and_upstream():
    loss = np.array([1.0, 2.0, 3.0, 6.0])
    assert _reduction.reduce(loss, "sum") == 12.0
    assert _reduction.reduce(loss, "mean") == 3.0
    assert _reduction.reduce(loss, "mean", denominator=6.0) == 2.0
    np.testing.assert_array_equal(_reduction.upstream(loss, "mean"), np.full(4, 0.25))
    np.testing.assert_array_equal(_reduction.upstream(loss, "sum", np.array(3.0)), np.full(4, 3.0))
    g = np.array([1.0, -1.0, 2.0, 0.5])
    np.testing.assert_array_equal(_reduction.upstream(loss, "none", g), g)
    with pytest.raises(ValueError, match="grad_output"):
        _reduction.upstream(loss, "none", np.ones(3))
    with pytest.raises(ValueError, match="grad_output"):
        _reduction.upstream(loss, "mean", np.ones(4))
    with pytest.raises(ValueError, match="reduction"):
        _reduction.reduce(loss, "avg")


def test_declared_reductions_batchmean_weighted_and_root():
    loss = np.arange(6.0).reshape(2, 3)
    # 'batchmean' only where the loss declares it (kl_div), then sum / shape[0]
    with pytest.raises(ValueError, match="'none', 'mean', 'sum'; got 'batchmean'"):
        _reduction.reduce(loss, "batchmean")
    with pytest.raises(ValueError, match="reduction"):
        _reduction.upstream(loss, "batchmean")
    kl = _reduction.KNOWN_REDUCTIONS
    assert _reduction.reduce(loss, "batchmean", accepted=kl) == 7.5
    np.testing.assert_array_equal(_reduction.upstream(loss, "batchmean", np.array(3.0), accepted=kl),
                                  np.full((2, 3), 1.5))
    # a weighted mean over no weight: NaN without NumPy's warning (torch too), gradient not NaN
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(_reduction.reduce(np.zeros(3), "mean", denominator=np.float64(0.0)))
        assert torch.isnan(_reduction.reduce(torch.zeros(3), "mean", denominator=torch.tensor(0.0)))
    np.testing.assert_array_equal(_reduction.upstream(np.zeros(3), "mean", denominator=np.float64(0.0)),
                                  np.ones(3))
    # the root reductions: sqrt of the reduced squares, and the subgradient 0 at 0
    m = np.array(4.0)
    assert _reduction.root(m) == 2.0
    assert _reduction.root_upstream(m) == 0.25 and _reduction.root_upstream(np.array(0.0)) == 0.0
    with pytest.raises(ValueError, match="grad_output"):
        _reduction.root_upstream(m, np.ones(2))


def test_validation_can_be_switched_off():
    bad = np.array([np.nan, 1.0])
    with pytest.raises(ValueError, match="input contains NaN"):
        lossbook.sigmoid(bad)
    with lossbook.validation(False):
        assert np.isnan(lossbook.sigmoid(bad)[0])
    with pytest.raises(ValueError):
        lossbook.sigmoid(bad)


@pytest.mark.parametrize("make", [np.asarray, torch.as_tensor])
def test_nan_check_is_exact_when_the_sum_is_nan(make):
    # The check first looks at the sum: +inf and -inf together also give a NaN sum, and
    # must not be reported as NaN; a NaN beside infinities must be.
    both_infinities = make(np.array([np.inf, -np.inf, 1.0]))
    with np.errstate(invalid="ignore"):
        assert np.isnan(_backend.to_numpy(both_infinities).sum())
    assert _backend.to_numpy(lossbook.relu(both_infinities)).tolist() == [np.inf, 0.0, 1.0]
    for values in ([np.inf, np.nan], [1.0, 2.0, np.nan], [np.nan]):
        with pytest.raises(ValueError, match="input contains NaN"):
            lossbook.relu(make(np.array(values)))


def test_lists_and_python_numbers_are_accepted_as_float64():
    assert lossbook.relu([-1, 2]).dtype == np.float64
    assert float(lossbook.sigmoid(0)) == 0.5
    with pytest.raises(TypeError, match="input"):
        lossbook.relu("x")


def test_autograd_function_uses_our_gradient(monkeypatch):
    """The backward really calls spec.grad: replace it and watch the gradient change."""
    import dataclasses

    from lossbook import registry

    x = torch.linspace(-2, 2, 5, dtype=torch.float64, requires_grad=True)
    function("tanh")(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 1 - np.tanh(x.detach().numpy()) ** 2)
    spec = registry.REGISTRY["tanh"]
    fake = dataclasses.replace(spec, grad=lambda input, *, grad_output=None: grad_output * 7.0)
    monkeypatch.setitem(registry.REGISTRY, "tanh", fake)
    x.grad = None
    function("tanh")(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full(5, 7.0))


def _fit(module, x, target, steps=300, lr=0.5):
    opt = torch.optim.SGD(module.parameters(), lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        loss = ((module(x) - target) ** 2).mean()
        loss.backward()
        opt.step()
    return loss.detach().item()


def test_modules_train_their_parameters_with_our_gradients():
    torch.manual_seed(0)
    x = torch.randn(256, 3, 4, dtype=torch.float64)
    slopes = torch.tensor([0.6, 0.3, 0.1], dtype=torch.float64).view(1, 3, 1)
    prelu = PReLU(3).double()
    assert _fit(prelu, x, torch.where(x > 0, x, slopes * x)) < 1e-10
    np.testing.assert_allclose(prelu.weight.detach().numpy(), [0.6, 0.3, 0.1], atol=1e-5)
    swish = Swish(1.0).double()
    assert _fit(swish, x, x * torch.sigmoid(1.7 * x), steps=2000, lr=2.0) < 1e-8
    assert abs(swish.beta.item() - 1.7) < 1e-3
    assert "gelu" in repr(Activation("gelu", approximate="tanh"))
    assert isinstance(Loss("relu"), torch.nn.Module)


def test_import_lossbook_leaves_torch_alone():
    """NumPy users never import torch: not by ``import lossbook``, nor by ``lossbook.check``."""
    import subprocess
    import sys

    code = ("import sys, numpy as np, lossbook\n"
            "assert lossbook.check('relu', value=lambda x: np.maximum(x, 0.0)).ok\n"
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", out.stdout + out.stderr


def test_plots_take_a_spec_as_well_as_a_name():
    """plot_curves / plot_family accept a Spec, also one that is not in the registry."""
    import dataclasses

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from lossbook.plotting import plot_curves, plot_family

    mine = dataclasses.replace(lossbook.REGISTRY["softplus"], name="my_softplus")
    by_name = plot_family("softplus", "beta", [0.5, 4])
    by_spec = plot_family(mine, "beta", [0.5, 4])
    for a, b in zip(by_name.axes[0].lines + by_name.axes[1].lines, by_spec.axes[0].lines + by_spec.axes[1].lines):
        np.testing.assert_array_equal(a.get_ydata(), b.get_ydata())
    assert by_spec.axes[0].get_ylabel() == "my softplus"
    fig = plot_curves([mine, "relu"], params={"my_softplus": {"beta": 2.0}})
    assert [line.get_label() for line in fig.axes[1].lines] == ["my softplus, β = 2", "ReLU"]
    # legends are human names, never registry keys (issue 16)
    fig = plot_curves(["huber_loss", "l1_loss"], params={"huber_loss": {"delta": 1.5}},
                      labels={"l1_loss": "absolute error"})
    assert [line.get_label() for line in fig.axes[0].lines] == ["Huber, δ = 1.5", "absolute error"]
    fig = plot_family("sigmoid_focal_loss", "gamma", [0, 0.5, 2])
    assert [line.get_label() for line in fig.axes[0].lines] == ["γ = 0", "γ = 0.5", "γ = 2"]
    assert fig.axes[0].get_ylabel() == "focal"
    plt.close("all")
