"""A family is declared once: register a throw-away family module and the whole harness enrols it.

The throw-away module (written to a temporary directory) is what a contributor writes for a new
family: one function with its ``_grad``, ``FAMILY`` and ``SPECS``. It is registered the way a
listed module is, through ``lossbook.registry.FAMILY_MODULES``, here extended by the
environment variable ``LOSSBOOK_EXTRA_FAMILIES`` in a fresh interpreter (the registry is built
once, at import). Its independent reference is added to ``tests/references.py``'s
``REFERENCES`` by a small pytest plugin, standing in for the line a contributor adds there.
Then the registry, the top-level names, ``names(family)``, the checker, the plots and every
registry-parametrised test of ``tests/test_registry.py`` pick it up, and its tests pass.
A module that does not declare itself consistently is refused with a message saying why.
"""
from __future__ import annotations

import dataclasses
import os
import pathlib
import re
import subprocess
import sys
import textwrap
import types

import pytest

import lossbook
from lossbook import registry

ROOT = pathlib.Path(__file__).resolve().parents[1]
NAME = "half_squared_error"

MODULE = textwrap.dedent('''
    r"""A throw-away family for tests/test_family_enrolment.py: half the squared error."""
    import numpy as np

    from lossbook._spec import Curve, Family, Spec
    from lossbook.losses.regression import mse_loss, mse_loss_grad

    __all__ = ["half_squared_error", "half_squared_error_grad"]


    def half_squared_error(input, target, *, reduction: str = "mean"):
        r"""Half the squared error.

        .. math::

            \\ell_i = \\tfrac12(\\hat y_i - y_i)^2

        Parameters
        ----------
        input, target : array_like
            Predictions and targets, same shape.
        reduction : {'mean', 'sum', 'none'}

        Examples
        --------
        >>> float(half_squared_error(np.array([3.0]), np.array([1.0])))
        2.0
        """
        return 0.5 * mse_loss(input, target, reduction=reduction)


    def half_squared_error_grad(input, target, *, reduction: str = "mean", grad_output=None):
        r"""Gradient (VJP) of :func:`half_squared_error` with respect to ``input``.

        .. math::

            \\frac{\\partial \\ell_i}{\\partial \\hat y_i} = \\hat y_i - y_i
        """
        return 0.5 * mse_loss_grad(input, target, reduction=reduction, grad_output=grad_output)


    def _example(seed):
        rng = np.random.default_rng(seed)
        return (rng.uniform(-3.0, 3.0, (3, 4)), rng.uniform(-3.0, 3.0, (3, 4))), {}


    FAMILY = Family(key="throwaway", title="A throw-away family", part="Z", chapters=("throwaway",))

    SPECS = (
        Spec.of(globals(), "half_squared_error", family="throwaway", catalog_id="Z1",
                example=_example, chapter="throwaway", reference="0.5 * torch.nn.functional.mse_loss",
                curve=Curve("residual r", (-3.0, 3.0),
                            call=lambda x, p: ((x, np.zeros_like(x)), dict(p)))),
    )
''')

PLUGIN = textwrap.dedent('''
    """Adds the throw-away function's independent reference, as a contributor adds one to references.py."""


    def pytest_configure(config):
        import torch
        import torch.nn.functional as F

        import references

        references.REFERENCES["half_squared_error"] = lambda args, kwargs: 0.5 * F.mse_loss(
            torch.as_tensor(args[0]), torch.as_tensor(args[1]), **kwargs)
''')


@pytest.fixture(scope="module")
def family_dir(tmp_path_factory):
    where = tmp_path_factory.mktemp("family")
    (where / "lossbook_throwaway_family.py").write_text(MODULE)
    (where / "lossbook_throwaway_references.py").write_text(PLUGIN)
    return where


def _run(family_dir, *args, registered=True):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "tests"), str(family_dir)]))
    for inherited in ("LOSSBOOK_EXTRA_FAMILIES", "PYTEST_ADDOPTS"):  # a plain, serial run
        env.pop(inherited, None)
    if registered:
        env["LOSSBOOK_EXTRA_FAMILIES"] = "lossbook_throwaway_family"
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True)


@pytest.fixture(scope="module")
def harness_run(family_dir):
    """One run of tests/test_registry.py, with the family registered, for it and for mse_loss:
    ``(outcome by test id, the output)``."""
    out = _run(family_dir, "-m", "pytest", "-v", "-p", "no:cacheprovider", "-p", "lossbook_throwaway_references",
               "tests/test_registry.py", "-k", f"{NAME} or mse_loss")
    text = out.stdout + out.stderr
    outcomes = dict(re.findall(r"^(tests/test_registry\.py::\S+) (PASSED|SKIPPED|FAILED|ERROR|XFAIL|XPASS)",
                               out.stdout, flags=re.M))
    return outcomes, text


def _ids_of(ids, name):
    """The test ids that enrol ``name``, with the name replaced by a placeholder."""
    pattern = re.compile(rf"(?<=[\[-]){re.escape(name)}(?=[-\]])")
    return {pattern.sub("<NAME>", i) for i in ids if pattern.search(i)}


def test_registered_family_reaches_registry_exports_names_checker_and_plots(family_dir):
    code = textwrap.dedent(f'''
        import numpy as np, lossbook, lossbook_throwaway_family as m
        from lossbook.plotting import plot_curves
        import matplotlib; matplotlib.use("Agg")
        spec = lossbook.REGISTRY["{NAME}"]
        assert lossbook.registry.FAMILY_MODULES[-1] is m
        assert lossbook.FAMILIES["throwaway"] is m.FAMILY and list(lossbook.FAMILIES)[-1] == "throwaway"
        assert lossbook.names("throwaway") == ["{NAME}"] and spec.family == "throwaway"
        assert lossbook.{NAME} is m.{NAME} and lossbook.{NAME}_grad is m.{NAME}_grad
        assert lossbook.get("{NAME}") is spec and spec.is_loss and spec.reductions == ("mean", "sum", "none")
        mine = lambda input, target, reduction="mean": {{"none": lambda r: r, "sum": np.sum,
            "mean": np.mean}}[reduction](0.5 * (input - target) ** 2)
        assert lossbook.check("{NAME}", value=mine).ok
        assert len(plot_curves("{NAME}").axes[0].lines) == 1
        print("ok")
    ''')
    out = _run(family_dir, "-c", code)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stdout + out.stderr


def test_harness_collects_the_family_exactly_as_it_collects_mse_loss(harness_run):
    """Every registry-parametrised test enrols the new function: its ids are mse_loss's
    (a loss of the same shape, with a reference, a curve and no kinks), name for name."""
    outcomes, text = harness_run
    ours = _ids_of(outcomes, NAME)
    assert ours == _ids_of(outcomes, "mse_loss"), text
    assert len(ours) > 40  # values, gradients (four ways), parity, float32, reductions, bad input...
    assert NAME not in lossbook.REGISTRY  # this process imported lossbook without registering it


def test_harness_runs_the_family_and_it_passes(harness_run):
    outcomes, text = harness_run
    ours = {i: o for i, o in outcomes.items() if _ids_of([i], NAME)}
    failed = sorted(i for i, o in ours.items() if o not in ("PASSED", "SKIPPED"))
    assert not failed, text
    skipped = [i for i, o in ours.items() if o == "SKIPPED"]
    assert all("test_cuda_" in i for i in skipped), text  # only the CUDA test may skip


# --- what the registry refuses --------------------------------------------------------
def _throwaway(name="throwaway_family"):
    module = types.ModuleType(name)
    exec(compile(MODULE, name, "exec"), module.__dict__)
    return module


def test_the_throwaway_module_builds_beside_the_listed_ones():
    module = _throwaway()
    families, entries = registry.build(registry.FAMILY_MODULES + (module,))
    assert list(families)[-1] == "throwaway" and list(entries)[-1] == NAME
    assert entries[NAME].value is module.half_squared_error
    assert registry.exports(registry.FAMILY_MODULES + (module,))[NAME + "_grad"] is module.half_squared_error_grad


@pytest.mark.parametrize("breakage,message", [
    ("no FAMILY", r"throwaway_family must declare FAMILY = Family\(...\) beside its SPECS"),
    ("family key", r"throwaway_family: half_squared_error: family is 'regression', the module's FAMILY is 'throwaway'"),
    ("chapter", r"half_squared_error: chapter 'regression' is not one of the family's chapters \('throwaway',\)"),
    ("__all__", r"half_squared_error: half_squared_error_grad missing from __all__"),
    ("foreign function", r"half_squared_error: the spec must hold throwaway_family.half_squared_error and its _grad"),
    ("family twice", r"family 'regression' is declared by two modules"),
])
def test_an_inconsistent_family_module_is_refused(breakage, message):
    module = _throwaway()
    spec = module.SPECS[0]
    if breakage == "no FAMILY":
        del module.FAMILY
    elif breakage == "family key":
        module.SPECS = (dataclasses.replace(spec, family="regression"),)
    elif breakage == "chapter":
        module.SPECS = (dataclasses.replace(spec, chapter="regression"),)
    elif breakage == "__all__":
        module.__all__ = [NAME]
    elif breakage == "foreign function":
        module.SPECS = (dataclasses.replace(spec, value=lossbook.mse_loss),)
    elif breakage == "family twice":
        module.FAMILY = dataclasses.replace(module.FAMILY, key="regression")
        module.SPECS = (dataclasses.replace(spec, family="regression"),)
    with pytest.raises(RuntimeError, match=message):
        registry.build(registry.FAMILY_MODULES + (module,))


def test_an_unimportable_extra_family_is_refused_by_name(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT), LOSSBOOK_EXTRA_FAMILIES="no_such_family_module")
    out = subprocess.run([sys.executable, "-c", "import lossbook"], cwd=ROOT, env=env,
                         capture_output=True, text=True)
    assert out.returncode != 0
    assert "LOSSBOOK_EXTRA_FAMILIES names 'no_such_family_module', which cannot be imported" in out.stderr
