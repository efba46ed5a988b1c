"""lossbook.models, lossbook.train: shapes, our gradients in the loop, determinism, recipes,
objectives."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from lossbook import REGISTRY
from lossbook.autograd import function
from lossbook.models import MLP, DenseStack, LeNetPP, LinearScorer, SigmoidNeuron, count_parameters
from lossbook.train import (BinaryCrossEntropyCost, CrossEntropy, GradientDescent, History,
                            LogSoftmaxNLL, OneHotMSE, QuadraticCost, Recipe, SoftmaxCenterLoss,
                            evaluate, resolve_device, threads, train)

needs_mse = pytest.mark.skipif("mse_loss" not in REGISTRY, reason="mse_loss has not landed yet")


def _images(n=96, seed=0):
    """Tiny synthetic 'digits': class k has a bright 6×6 patch at a class-specific place."""
    generator = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 10, (n,), generator=generator)
    x = 0.3 * torch.randn(n, 1, 28, 28, generator=generator)
    for i, k in enumerate(labels.tolist()):
        r, c = 2 + 8 * (k // 4), 2 + 6 * (k % 4)
        x[i, 0, r:r + 6, c:c + 6] += 2.0
    return x, labels


# --- models ---------------------------------------------------------------------------------
def test_lenetpp_shapes_and_bias_free_classifier():
    torch.manual_seed(0)
    model = LeNetPP()
    features, logits = model(torch.randn(5, 1, 28, 28))
    assert features.shape == (5, 2) and logits.shape == (5, 10)
    assert model.classifier.bias is None, "the 2 → 10 layer has no bias, as in Wen et al."
    assert 25_000 < count_parameters(model) < 35_000
    torch.testing.assert_close(logits, features @ model.classifier.weight.T)
    torch.testing.assert_close(model.features(torch.zeros(2, 1, 28, 28)).shape, torch.Size([2, 2]))
    wide = LeNetPP(channels=(4, 8, 8, 8), convs_per_stage=2, feature_dim=3, feature_activation="none")
    assert wide(torch.randn(2, 1, 28, 28))[0].shape == (2, 3)
    with pytest.raises(ValueError, match="feature_activation"):
        LeNetPP(feature_activation="relu")


def test_mlp_initialisations_and_our_activation():
    torch.manual_seed(0)
    model = MLP((784, 100, 10))
    assert model(torch.rand(3, 1, 28, 28)).shape == (3, 10)
    assert abs(float(model.layers[0].weight.detach().std()) - 1.0) < 0.01      # N(0, 1), Nielsen's network.py
    scaled = MLP((784, 100, 10), init="scaled")
    assert abs(float(scaled.layers[0].weight.detach().std()) - 784 ** -0.5) < 0.002
    assert model.activation.spec.name == "sigmoid"
    with pytest.raises(ValueError, match="init"):
        MLP(init="xavier")


def test_sigmoid_neuron():
    neuron = SigmoidNeuron(2.0, 2.0)
    assert neuron(torch.tensor([1.0])).item() == 4.0


def test_resolve_device():
    assert resolve_device("cpu") == torch.device("cpu")
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type == expected


# --- the loop ---------------------------------------------------------------------------
def _small_run(seed=0, epochs=2, objective=None, **kw):
    torch.manual_seed(seed)
    model = LeNetPP(channels=(4, 8, 8))
    x, y = _images()
    history = train(model, objective or CrossEntropy(), (x, y),
                    Recipe(epochs=epochs, batch_size=16, lr=0.01, momentum=0.9),
                    test_data=_images(48, seed=1), seed=seed, device="cpu", progress=False, **kw)
    return model, history


def test_same_seed_same_numbers_on_cpu():
    model_a, history_a = _small_run()
    model_b, history_b = _small_run()
    for key in ("loss", "accuracy", "test_loss", "test_accuracy"):
        assert history_a[key] == history_b[key]
    for p, q in zip(model_a.parameters(), model_b.parameters()):
        assert torch.equal(p, q)
    _, history_c = _small_run(seed=1)
    assert history_c["loss"] != history_a["loss"]


def test_history_contents():
    _, history = _small_run(epochs=3)
    assert isinstance(history, History)
    assert history["epoch"] == [1, 2, 3]
    for key in ("loss", "accuracy", "test_loss", "test_accuracy", "time", "cpu_time"):
        assert len(history[key]) == 3
    assert history.summary["epoch"] == 3 and history.loss is history["loss"]
    assert all(b >= a for a, b in zip(history["time"], history["time"][1:]))
    assert history["loss"][-1] < history["loss"][0]


def test_our_gradients_train_exactly_like_torch_in_float64():
    """CrossEntropy goes through lossbook.cross_entropy_grad; the parameters after training
    must equal those of the same loop with F.cross_entropy (float64, same seeds)."""
    x, y = _images(64)
    x = x.double()

    def run(objective):
        torch.manual_seed(3)
        model = LeNetPP(channels=(2, 4, 4)).double()
        train(model, objective, (x, y), Recipe(epochs=2, batch_size=16, lr=0.1, momentum=0.9),
              device="cpu", progress=False, seed=3)
        return model

    ours = run(CrossEntropy())
    theirs = run(lambda outputs, target: F.cross_entropy(outputs[1], target))
    for p, q in zip(ours.parameters(), theirs.parameters()):
        torch.testing.assert_close(p, q, rtol=1e-9, atol=1e-11)


def test_test_every():
    _, history = _small_run(epochs=3, test_every=2)
    accuracy = history["test_accuracy"]
    assert math.isnan(accuracy[0]) and not math.isnan(accuracy[1]) and not math.isnan(accuracy[2])


def test_on_step_and_on_epoch_callbacks():
    def grad_norm(model, outputs, target):
        return {"classifier_grad": model.classifier.weight.grad.norm()}

    _, history = _small_run(on_step=grad_norm, on_epoch=lambda epoch, model: {"twice": 2 * epoch})
    assert history["twice"] == [2, 4]
    assert len(history["classifier_grad"]) == 2 and all(v > 0 for v in history["classifier_grad"])


def test_divergence_is_an_error_not_nan():
    torch.manual_seed(0)
    model = LeNetPP(channels=(2, 4, 4))
    centers = torch.zeros(10, 2)
    center_loss = function("center_loss")
    with pytest.raises(FloatingPointError, match="learning rate"):
        train(model, lambda outputs, y: center_loss(outputs[0], y, centers), _images(64),
              Recipe(epochs=3, batch_size=8, lr=1e6), device="cpu", progress=False)


def test_bad_settings():
    model = SigmoidNeuron()
    data = (torch.tensor([1.0]), torch.tensor([0.0]))
    cost = function("binary_cross_entropy_with_logits")
    with pytest.raises(ValueError, match="batch_size"):
        train(model, cost, data, Recipe(batch_size=2), progress=False)
    with pytest.raises(TypeError, match="Recipe"):
        train(model, cost, data, {"epochs": 3}, progress=False)
    with pytest.raises(ValueError, match="validate"):
        train(model, cost, data, Recipe(batch_size=1), validate="sometimes", progress=False)
    with pytest.raises(ValueError, match="seed"):
        train(model, cost, data, Recipe(batch_size=1), seed=None, progress=False)
    history = train(model, cost, data, Recipe(epochs=3, batch_size=1, lr=0.5), progress=False)
    assert "accuracy" not in history, "no accuracy for real-valued targets"
    assert history["loss"][2] < history["loss"][0]


# --- recipes ----------------------------------------------------------------------------------
def test_recipe_is_one_immutable_object():
    recipe = Recipe(epochs=5, lr=0.03, momentum=0.9)
    assert recipe.replace(epochs=1) == Recipe(epochs=1, lr=0.03, momentum=0.9)
    assert recipe.epochs == 5 and hash(recipe) == hash(Recipe(epochs=5, lr=0.03, momentum=0.9))
    with pytest.raises(AttributeError):
        recipe.epochs = 2


@pytest.mark.parametrize("changes, match", [
    ({"optimizer": "lbfgs"}, "optimizer must be one of"),
    ({"schedule": "step"}, "schedule must be None"),
    ({"sampling": "stratified"}, "sampling must be"),
    ({"epochs": 0}, "epochs must be a positive integer"),
    ({"epochs": 2.5}, "epochs must be a positive integer"),
    ({"batch_size": -1}, "batch_size must be a positive integer"),
    ({"steps_per_epoch": 0}, "steps_per_epoch must be a positive integer"),
    ({"lr": 0.0}, "lr must be a finite number > 0"),
    ({"lr": float("nan")}, "lr must be a finite number"),
    ({"lr": "fast"}, "lr must be a finite number"),
    ({"momentum": -0.5}, "momentum must be a finite number >= 0"),
    ({"weight_decay": float("inf")}, "weight_decay must be a finite number"),
    ({"optimizer": "adam", "momentum": 0.9}, "momentum applies to optimizer='sgd' only"),
    ({"optimizer": "gd", "weight_decay": 1e-4}, "weight_decay is not available"),
])
def test_bad_recipes_name_the_field(changes, match):
    with pytest.raises(ValueError, match=match):
        Recipe(**changes)


def _linear_data(n=40, seed=0):
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 3, generator=generator, dtype=torch.float64)
    return x, x @ torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64) + 0.1


def _squared_error(outputs, target):
    return torch.mean((outputs - target) ** 2)


def test_full_batch_gradient_descent_is_the_hand_written_loop_bit_for_bit():
    x, y = _linear_data()
    model = LinearScorer(torch.zeros(3, dtype=torch.float64), torch.zeros((), dtype=torch.float64))
    history = train(model, _squared_error, (x, y), Recipe(epochs=25, batch_size=None, lr=0.1,
                                                          optimizer="gd"),
                    seed=None, device="cpu", progress=False)
    w = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    b = torch.zeros((), dtype=torch.float64, requires_grad=True)
    losses = []
    for _ in range(25):
        loss = torch.mean((x @ w + b - y) ** 2)
        w.grad = b.grad = None
        loss.backward()
        with torch.no_grad():
            for p in (w, b):
                p -= 0.1 * p.grad
        losses.append(loss.item())
    assert torch.equal(model.weight, w) and torch.equal(model.bias, b)
    assert history["loss"] == losses, "one step per epoch: the loss of each step, in float64"


def test_full_batch_sgd_and_adam_are_torch_optimisers_bit_for_bit():
    x, y = _linear_data(seed=1)
    for name, make in (("sgd", lambda ps: torch.optim.SGD(ps, lr=0.05)),
                       ("adam", lambda ps: torch.optim.Adam(ps, lr=0.05))):
        model = LinearScorer(torch.zeros(3, dtype=torch.float64), torch.zeros((), dtype=torch.float64))
        train(model, _squared_error, (x, y), Recipe(epochs=30, batch_size=None, lr=0.05,
                                                    optimizer=name),
              seed=None, device="cpu", progress=False)
        w = torch.zeros(3, dtype=torch.float64, requires_grad=True)
        b = torch.zeros((), dtype=torch.float64, requires_grad=True)
        optimizer = make([w, b])
        for _ in range(30):
            optimizer.zero_grad()
            torch.mean((x @ w + b - y) ** 2).backward()
            optimizer.step()
        assert torch.equal(model.weight, w) and torch.equal(model.bias, b), name


def test_gradient_descent_keeps_two_roundings():
    """SGD's fused p.add_(g, alpha=-lr) may differ in the last bit; GradientDescent does not."""
    p = torch.nn.Parameter(torch.linspace(-1, 1, 4096, dtype=torch.float64))
    p.grad = torch.linspace(0.3, -0.7, 4096, dtype=torch.float64) * 1e-3
    expected = p.detach() - 0.1 * p.grad
    GradientDescent([p], lr=0.1).step()
    assert torch.equal(p.detach(), expected)


def test_sampling_with_replacement_draws_numpy_indices():
    x, y = _linear_data(n=30)
    seen = []

    def spy(outputs, target):
        seen.append(target.clone())
        return _squared_error(outputs, target)

    model = LinearScorer(torch.zeros(3, dtype=torch.float64), torch.zeros((), dtype=torch.float64))
    history = train(model, spy, (x, y), Recipe(epochs=3, batch_size=8, sampling="replacement",
                                               steps_per_epoch=2),
                    seed=7, device="cpu", progress=False)
    draws = np.random.default_rng(7)
    expected = [y[torch.as_tensor(draws.integers(0, 30, 8))] for _ in range(6)]
    assert len(seen) == 6 and all(torch.equal(a, b) for a, b in zip(seen, expected))
    assert history["epoch"] == [1, 2, 3]


def test_shuffled_epochs_may_be_shortened_not_lengthened():
    x, y = _linear_data(n=32)
    model = LinearScorer(torch.zeros(3, dtype=torch.float64), torch.zeros((), dtype=torch.float64))
    steps = []
    train(model, _squared_error, (x, y), Recipe(epochs=2, batch_size=8, steps_per_epoch=3),
          device="cpu", progress=False, on_step=lambda *args: steps.append(1))
    assert len(steps) == 6
    with pytest.raises(ValueError, match="steps_per_epoch"):
        train(model, _squared_error, (x, y), Recipe(batch_size=8, steps_per_epoch=5),
              device="cpu", progress=False)


def test_validation_runs_on_the_first_step_only_by_default():
    from lossbook import _validate

    states = []

    def objective(outputs, target):
        states.append(_validate.enabled())
        return _squared_error(outputs, target)

    x, y = _linear_data(n=16)
    for validate, expected in (("first", [True, False, False]), (True, [True] * 3),
                               (False, [False] * 3)):
        states.clear()
        model = LinearScorer(torch.zeros(3, dtype=torch.float64), torch.zeros((), dtype=torch.float64))
        train(model, objective, (x, y), Recipe(epochs=3, batch_size=None), seed=None,
              device="cpu", progress=False, validate=validate)
        assert states == expected, validate
    assert _validate.enabled()


def test_threads_limits_and_restores():
    before = torch.get_num_threads()
    with threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with threads(None):
        assert torch.get_num_threads() == before
    seen = []

    def objective(outputs, target):
        seen.append(torch.get_num_threads())
        return _squared_error(outputs, target)

    x, y = _linear_data(n=8)
    model = LinearScorer(torch.zeros(3, dtype=torch.float64), torch.zeros((), dtype=torch.float64))
    train(model, objective, (x, y), Recipe(batch_size=None), seed=None, device="cpu",
          progress=False, num_threads=1)
    assert seen == [1] and torch.get_num_threads() == before


def test_dense_stack_and_log_softmax_nll():
    rng = np.random.default_rng(0)
    weights = [rng.standard_normal((4, 5)), rng.standard_normal((5, 3))]
    model = DenseStack(weights, "tanh")
    x = torch.as_tensor(rng.standard_normal((6, 4)))
    expected = torch.tanh(x @ torch.as_tensor(weights[0])) @ torch.as_tensor(weights[1])
    torch.testing.assert_close(model(x), expected, rtol=1e-14, atol=1e-14)
    hidden = model.hidden(x)
    assert len(hidden) == 1 and hidden[0].shape == (6, 5)
    assert all(b.abs().sum() == 0 for b in model.biases)
    y = torch.tensor([0, 2, 1, 1, 0, 2])
    torch.testing.assert_close(LogSoftmaxNLL()(expected, y), F.cross_entropy(expected, y))


def test_evaluate_collects_outputs():
    torch.manual_seed(0)
    model = LeNetPP(channels=(2, 4, 4))
    result = evaluate(model, CrossEntropy(), _images(30), batch_size=7, device="cpu")
    features, logits = result["outputs"]
    assert features.shape == (30, 2) and logits.shape == (30, 10)
    assert 0.0 <= result["accuracy"] <= 1.0 and math.isfinite(result["loss"])


# --- objectives -----------------------------------------------------------------------------
def test_cross_entropy_objective_value():
    logits = torch.randn(6, 10, dtype=torch.float64)
    y = torch.randint(0, 10, (6,))
    torch.testing.assert_close(CrossEntropy()((logits[:, :2], logits), y), F.cross_entropy(logits, y))


def test_softmax_center_loss_objective():
    torch.manual_seed(0)
    features = torch.randn(8, 2, dtype=torch.float64)
    logits = torch.randn(8, 10, dtype=torch.float64)
    y = torch.tensor([0, 1, 1, 2, 3, 3, 3, 9])
    objective = SoftmaxCenterLoss(lam=0.1, alpha=0.5)
    objective.centers = torch.randn(10, 2, dtype=torch.float64)
    centers = objective.centers.clone()
    expected = F.cross_entropy(logits, y) + 0.1 * 0.5 * ((features - centers[y]) ** 2).sum(1).mean()
    torch.testing.assert_close(objective((features, logits), y), expected)
    objective.after_step((features, logits), y)
    assert torch.equal(objective.centers[4], centers[4]), "absent classes keep their centre"
    assert not torch.equal(objective.centers[3], centers[3])
    ramped = SoftmaxCenterLoss(lam=0.1, ramp=4)
    ramped.centers = centers
    assert ramped.weight == pytest.approx(0.025)
    expected = F.cross_entropy(logits, y) + 0.025 * 0.5 * ((features - centers[y]) ** 2).sum(1).mean()
    torch.testing.assert_close(ramped((features, logits), y), expected)
    ramped.steps = 10
    assert ramped.weight == 0.1


def test_center_loss_objective_in_the_loop_moves_the_centres():
    objective = SoftmaxCenterLoss(lam=0.5)
    _, history = _small_run(epochs=2, objective=objective)
    assert objective.steps == 2 * (96 // 16)
    assert objective.centers.abs().sum() > 0 and objective.centers.shape == (10, 2)
    assert all(math.isfinite(v) for v in history["loss"])


@needs_mse
def test_nielsen_costs_match_their_formulas():
    z = torch.randn(5, 10, dtype=torch.float64)
    y = torch.randint(0, 10, (5,))
    one_hot = F.one_hot(y, 10).double()
    a = torch.sigmoid(z)
    quadratic = 0.5 * ((a - one_hot) ** 2).sum(1).mean()
    cross_entropy = -(one_hot * torch.log(a) + (1 - one_hot) * torch.log(1 - a)).sum(1).mean()
    torch.testing.assert_close(QuadraticCost()(z, y), quadratic)
    torch.testing.assert_close(BinaryCrossEntropyCost()(z, y), cross_entropy)
    # a single neuron: float targets, no one-hot
    z1, t1 = torch.tensor([4.0], dtype=torch.float64), torch.tensor([0.0], dtype=torch.float64)
    torch.testing.assert_close(QuadraticCost(None)(z1, t1), 0.5 * torch.sigmoid(z1[0]) ** 2)


@needs_mse
def test_one_hot_mse_objectives():
    z = torch.randn(4, 10, dtype=torch.float64)
    y = torch.randint(0, 10, (4,))
    one_hot = F.one_hot(y, 10).double()
    torch.testing.assert_close(OneHotMSE("logits", scale=10.0)(z, y), ((z - one_hot) ** 2).sum(1).mean())
    torch.testing.assert_close(OneHotMSE("softmax")(z, y), F.mse_loss(torch.softmax(z, -1), one_hot))
    with pytest.raises(ValueError, match="on"):
        OneHotMSE("probabilities")
