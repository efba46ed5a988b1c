"""lossbook.experiments.slowdown and .mnist_features: feature-geometry metrics, Nielsen's neuron,
and tiny versions of the two MNIST experiments (the chapters run the full ones); and the rules
every module of lossbook.experiments keeps."""
from __future__ import annotations

import ast
import importlib
import os
from pathlib import Path

import numpy as np
import pytest
import torch

import lossbook.experiments
from lossbook import REGISTRY
from lossbook.experiments.mnist_features import (RECIPE, center_loss_mnist, class_centers,
                                                 compactness, nearest_center_accuracy,
                                                 plot_features)
from lossbook.experiments.slowdown import (learning_slowdown, neuron_curves,
                                           sigmoid_output_gradients, single_neuron)
from lossbook.train import Recipe

EXPERIMENTS = Path(lossbook.experiments.__file__).parent

needs_losses = pytest.mark.skipif(
    not {"mse_loss", "binary_cross_entropy", "cross_entropy"} <= set(REGISTRY),
    reason="the classification and regression losses have not landed yet")
needs_mnist = pytest.mark.skipif(
    not (Path(os.environ.get("LOSSBOOK_DATA", "/nonexistent")) / "mnist").is_dir(),
    reason="set LOSSBOOK_DATA to the directory holding mnist/")


# --- metrics --------------------------------------------------------------------------------
def _clusters(spread, scale=1.0, seed=0):
    generator = np.random.default_rng(seed)
    means = np.array([[np.cos(t), np.sin(t)] for t in np.linspace(0, 2 * np.pi, 10, endpoint=False)]) * 10
    labels = generator.integers(0, 10, 2000)
    features = means[labels] + spread * generator.normal(size=(2000, 2))
    return scale * features, labels, scale * means


def test_class_centers_are_the_class_means():
    features = np.array([[0.0, 0.0], [2.0, 0.0], [5.0, 5.0]])
    np.testing.assert_allclose(class_centers(features, np.array([0, 0, 1]), 2), [[1.0, 0.0], [5.0, 5.0]])


def test_compactness_by_hand():
    # two classes: points at distance 1 from their means; means 4 apart
    features = np.array([[-1.0, 0.0], [1.0, 0.0], [4.0, 1.0], [4.0, -1.0]])
    labels = np.array([0, 0, 1, 1])
    assert compactness(features, labels) == pytest.approx(1.0 / np.hypot(4.0, 0.0))


def test_compactness_is_scale_invariant_and_grows_with_spread():
    tight = compactness(*_clusters(0.5)[:2])
    loose = compactness(*_clusters(3.0)[:2])
    assert tight < loose
    scaled = compactness(*_clusters(0.5, scale=37.0)[:2])
    assert scaled == pytest.approx(tight, rel=1e-12)


def test_nearest_center_accuracy():
    features, labels, means = _clusters(0.3)
    assert nearest_center_accuracy(features, labels, means) == 1.0
    shuffled = np.roll(means, 1, axis=0)
    assert nearest_center_accuracy(features, labels, shuffled) == 0.0


def test_plot_features_runs():
    import matplotlib

    matplotlib.use("Agg")
    features, labels, means = _clusters(0.5)
    ax = plot_features(features, labels, means, title="t", legend=True)
    assert ax.get_title() == "t"


# --- learning slowdown ------------------------------------------------------------------
@needs_losses
def test_sigmoid_output_gradients_catalog_w18():
    g = sigmoid_output_gradients(np.array([5.0]), y=0.0)
    np.testing.assert_allclose(g["quadratic"], [0.0066036], atol=5e-8)
    np.testing.assert_allclose(g["cross_entropy"], [0.9933071], atol=5e-8)


@needs_losses
def test_single_neuron_matches_an_independent_simulation():
    def simulate(cost, w, b, eta, epochs=300):
        sigmoid = lambda z: 1.0 / (1.0 + np.exp(-z))
        outputs = []
        for _ in range(epochs + 1):
            a = sigmoid(w + b)
            outputs.append(a)
            d = a * a * (1 - a) if cost == "quadratic" else a
            w, b = w - eta * d, b - eta * d
        return np.array(outputs)

    for cost in ("quadratic", "cross_entropy"):
        run = single_neuron(cost, 2.0, 2.0, eta=0.15, epochs=300)
        np.testing.assert_allclose(run["output"], simulate(cost, 2.0, 2.0, 0.15), rtol=1e-10)
        assert len(run["cost"]) == 301


@needs_losses
def test_the_plateau_and_nielsens_learning_rate():
    quadratic = single_neuron("quadratic", 2.0, 2.0, eta=0.15)
    cross_entropy = single_neuron("cross_entropy", 2.0, 2.0, eta=0.15)
    # quadratic: still above 90 % of its cost after 150 epochs; CE halves within 10
    assert quadratic["cost"][150] > 0.9 * quadratic["cost"][0]
    assert np.argmax(cross_entropy["cost"] < 0.5 * cross_entropy["cost"][0]) <= 10
    assert quadratic["output"][-1] == pytest.approx(0.20, abs=0.01)    # Nielsen's figure
    # eta = 0.005 with the correct gradient is slow; stepping by dC/da is fast
    slow = single_neuron("cross_entropy", 2.0, 2.0, eta=0.005)
    widget = single_neuron("cross_entropy", 2.0, 2.0, eta=0.005, rule="dC/da")
    assert slow["output"][-1] > 0.7 and widget["output"][-1] < 0.1
    with pytest.raises(ValueError, match="rule"):
        single_neuron(rule="newton")
    with pytest.raises(ValueError, match="cost"):
        single_neuron("hinge")


@needs_losses
def test_neuron_curves_draws_both_costs():
    import matplotlib

    matplotlib.use("Agg")
    fig = neuron_curves(0.6, 0.9, eta=0.15, epochs=20)
    assert len(fig.axes[0].lines) == 2


@needs_losses
@needs_mnist
def test_learning_slowdown_small():
    result = learning_slowdown(seeds=(0,), epochs=1, train_size=600, test_size=500,
                               eval_every=20, progress=False, hidden_activation=torch.nn.Sigmoid())
    for cost in ("quadratic", "cross_entropy"):
        history = result["runs"][cost][0]
        assert len(history["test_accuracy"]) == 1
        curve = history["curve"]
        assert curve["images"].tolist() == [0, 200, 400, 600]
        assert np.isnan(curve["output_grad_norm"][0]) and np.all(curve["output_grad_norm"][1:] > 0)
        assert result["summary"][cost].shape == (1, 1)
    # the output gradient of the quadratic cost is the smaller one (σ' factor)
    assert (result["runs"]["quadratic"][0]["output_grad_norm"][0]
            < result["runs"]["cross_entropy"][0]["output_grad_norm"][0])


@needs_losses
@needs_mnist
def test_center_loss_mnist_small():
    results = center_loss_mnist(runs=("softmax", "center"), lambdas=(0.1,), train_size=512,
                                recipe=RECIPE.replace(epochs=1, batch_size=64), centers_size=500,
                                snapshots=(0, 8), snapshot_size=100, channels=(2, 4, 4),
                                progress=False, device="cpu")
    assert set(results) == {"softmax", "center", "center λ=0.1", "_meta"}
    for key in ("softmax", "center", "center λ=0.1"):
        r = results[key]
        assert r["features"].shape == (10000, 2) and r["labels"].shape == (10000,)
        assert 0.0 <= r["accuracy"] <= 1.0 and np.isfinite(r["compactness"])
        assert set(r["snapshots"]) == {0, 8}
        assert r["train_size"] == 512
    assert results["center λ=0.1"]["lam"] == 0.1 and results["center"]["lam"] == 0.3
    assert not np.allclose(results["center"]["centers"], 0.0), "the centres were updated"
    # same seed, same initialisation: step-0 snapshots agree across runs
    np.testing.assert_array_equal(results["softmax"]["snapshots"][0], results["center"]["snapshots"][0])
    with pytest.raises(ValueError, match="unknown run"):
        center_loss_mnist(runs=("triplet",), train_size=64,
                          recipe=RECIPE.replace(epochs=1, batch_size=32), progress=False)
    with pytest.raises(TypeError, match="recipe must be a lossbook.train.Recipe"):
        center_loss_mnist(runs=("softmax",), recipe={"epochs": 1}, progress=False)


@needs_losses
def test_explorers_work_live_and_on_the_static_page():
    import matplotlib

    matplotlib.use("Agg")
    pytest.importorskip("ipywidgets")
    from lossbook.experiments.mnist_features import explore_features
    from lossbook.experiments.slowdown import explore_single_neuron

    neuron = explore_single_neuron(epochs=10)
    assert [name for name, _ in neuron.sliders] == ["weight", "bias", "eta"]
    assert f'data-frames="{3 * 3 * 3}"' in neuron.html()          # one frame per state
    box = neuron.widget()
    image = box.children[-1]
    before = image.value
    box.children[0].value = -1.0                 # the live weight slider redraws the picture
    assert image.value != before
    # the learning rate changes the curves: two different frames
    assert neuron.png({**neuron._start, "eta": 0.005}) != neuron.png({**neuron._start, "eta": 1.0})

    features, labels, means = _clusters(0.5)
    fake = {"softmax": {"name": "softmax", "snapshots": {0: features[:50], 10: features[50:100]},
                        "snapshot_labels": labels[:50]},
            "center": {"name": "center", "snapshots": {0: features[:50]}, "snapshot_labels": labels[:50]},
            "_meta": {}}
    explorer = explore_features(fake)
    assert explorer.sliders == [("run", ["softmax", "center"]), ("step", [0, 10])]
    assert 'data-frames="4"' in explorer.html()
    assert explorer.png({"run": "softmax", "step": 0}) != explorer.png({"run": "softmax", "step": 10})
    # a run without that step shows its last snapshot
    assert explorer.png({"run": "center", "step": 10}) == explorer.png({"run": "center", "step": 0})
    with pytest.raises(ValueError, match="snapshots"):
        explore_features({"softmax": {"snapshots": {}}})


@needs_losses
@needs_mnist
def test_workers_give_the_same_numbers():
    kw = dict(runs=("softmax", "center"), train_size=256, recipe=RECIPE.replace(epochs=1, batch_size=64),
              centers_size=200, snapshots=(2,), snapshot_size=50, channels=(2, 4, 4),
              progress=False, device="cpu")
    serial = center_loss_mnist(workers=1, **kw)
    parallel = center_loss_mnist(workers=2, **kw)
    for key in ("softmax", "center"):
        np.testing.assert_array_equal(serial[key]["features"], parallel[key]["features"])
        np.testing.assert_array_equal(serial[key]["snapshots"][2], parallel[key]["snapshots"][2])
        assert serial[key]["accuracy"] == parallel[key]["accuracy"]
    slow_kw = dict(seeds=(0, 1), epochs=1, train_size=200, test_size=100, eval_every=10,
                   progress=False, hidden_activation=torch.nn.Sigmoid())
    a = learning_slowdown(workers=1, **slow_kw)
    b = learning_slowdown(workers=2, **slow_kw)
    for cost in ("quadratic", "cross_entropy"):
        np.testing.assert_array_equal(a["summary"][cost], b["summary"][cost])
        np.testing.assert_array_equal(a["runs"][cost][1]["curve"]["accuracy"],
                                      b["runs"][cost][1]["curve"]["accuracy"])
    assert a["train_size"] == 200 and b["test_size"] == 100


# --- the package's rules ------------------------------------------------------------------------
def _modules():
    return sorted(EXPERIMENTS.glob("*.py"))


def test_no_experiment_module_is_left_at_the_top_of_the_package():
    top = {path.stem for path in EXPERIMENTS.parent.glob("*.py")}
    assert not top & {"experiments", "experiments_activations", "imbalance_experiment", "toy",
                      "fitting"}


def test_the_package_lists_every_chapter_module():
    public = {path.stem for path in _modules() if not path.stem.startswith("_")}
    assert set(lossbook.experiments.MODULES) == public
    for name in lossbook.experiments.MODULES:
        assert f":mod:`lossbook.experiments.{name}`" in lossbook.experiments.__doc__


def _top_level_imports(source: str) -> list:
    """The imports of ``source`` that name the top-level package: ``import lossbook[.x]``,
    ``from lossbook import x``, ``from lossbook.x import y`` and ``from .. import x``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if alias.name.split(".")[0] == "lossbook"]
        elif isinstance(node, ast.ImportFrom):
            absolute = node.level == 0 and (node.module or "").split(".")[0] == "lossbook"
            parent = node.level >= 2 and node.module is None
            if absolute or parent:
                names = ", ".join(alias.name for alias in node.names)
                found.append(f"from {'.' * node.level}{node.module or ''} import {names}")
    return found


@pytest.mark.parametrize("path", _modules(), ids=lambda path: path.name)
def test_experiment_modules_never_import_the_top_level_package(path):
    """Each module imports the lossbook modules it needs, relatively (``from ..train import
    train``), never the package itself."""
    found = _top_level_imports(path.read_text(encoding="utf-8"))
    assert not found, f"{path.name} imports the top-level package: {found}"


@pytest.mark.parametrize("source", ["import lossbook", "import lossbook.train as t",
                                    "from lossbook import relu", "from lossbook.train import train",
                                    "from .. import relu", "def f():\n    from .. import relu"])
def test_the_import_rule_catches_every_form(source):
    assert _top_level_imports(source)


def test_the_import_rule_allows_relative_module_imports():
    assert not _top_level_imports("from ..train import train\nfrom ..losses.information import "
                                  "binary_cross_entropy\nfrom ._jobs import run_jobs\nimport torch")


def test_public_names_do_not_collide_across_experiment_modules():
    owner: dict = {}
    for name in lossbook.experiments.MODULES:
        module = importlib.import_module(f"lossbook.experiments.{name}")
        for public in module.__all__:
            assert hasattr(module, public), f"{name}.__all__ lists a missing {public}"
            assert public not in owner, f"{public} is public in both {owner[public]} and {name}"
            owner[public] = name


def test_the_features_recipe_is_a_recipe():
    assert isinstance(RECIPE, Recipe)
    assert (RECIPE.epochs, RECIPE.batch_size, RECIPE.schedule) == (5, 64, "onecycle")


# --- the job runner: longest first, results in the order of the jobs ---------------------------
def _makespan(costs, order, workers=2):
    free = [0.0] * workers
    for index in order:
        k = free.index(min(free))
        free[k] += costs[index]
    return max(free)


def test_jobs_start_longest_first_and_that_shortens_the_run():
    from lossbook.experiments._jobs import schedule

    costs = [71, 12, 68, 75, 25]            # the CPU-seconds of the features chapter's runs
    assert schedule(costs) == [3, 0, 2, 4, 1]
    assert schedule([1, 2, 2, 1]) == [1, 2, 0, 3]    # ties keep their order
    assert (_makespan(costs, range(5)), _makespan(costs, schedule(costs))) == (146, 139)


def test_run_jobs_returns_results_in_job_order_whatever_the_start_order():
    from lossbook.experiments._jobs import run_jobs

    jobs = [-3.0, 2.0, -7.0, 1.0]
    # abs is picklable, so the spawned workers can run it; the costs reverse the start order
    assert run_jobs(abs, jobs, 2, False, "abs", costs=[1, 2, 3, 4]) == [3.0, 2.0, 7.0, 1.0]
    with pytest.raises(ValueError, match="costs must have one entry per job"):
        run_jobs(abs, jobs, 2, False, "abs", costs=[1, 2])
