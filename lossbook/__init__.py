"""lossbook: loss and activation functions with hand-derived, tested gradients.

Every function of the catalog is ``lossbook.<name>`` (value) and ``lossbook.<name>_grad``
(its vector–Jacobian product), runs on NumPy arrays and torch tensors, and is described by
``lossbook.REGISTRY[<name>]``. See :mod:`lossbook.autograd` to train torch models with these
gradients and :func:`lossbook.check` to test your own implementation against them.
"""
from ._backend import namespace
from ._reduction import reduce, upstream
from ._validate import validation
from .registry import FAMILIES, REGISTRY, exports, get, names
from .checks import check  # NumPy only at import: torch is imported by check_derivation when called

# Every family module's public names (its __all__), derived from registry.FAMILY_MODULES:
# lossbook.relu, lossbook.relu_grad, ...
globals().update(exports())
del exports


def _alias_exports() -> dict:
    """Each registry alias as a top-level name too (``lossbook.soft_margin_loss`` is
    :func:`logistic_loss`, ``lossbook.hard_silu`` is :func:`hardswish`), with its ``_grad``;
    an alias never hides a canonical name."""
    out = {}
    for spec in REGISTRY.values():
        for alias in spec.aliases:
            if alias in REGISTRY or alias in globals():
                raise RuntimeError(f"alias {alias!r} of {spec.name} clashes with a public name")
            out[alias], out[alias + "_grad"] = spec.value, spec.grad
    return out


globals().update(_alias_exports())

__version__ = "0.1.0"

#: Submodules reachable as attributes after ``import lossbook`` (imported on first use, so
#: ``import lossbook`` itself stays light): ``lossbook.autograd.Loss(...)`` works at once.
_SUBMODULES = ("autograd", "checks", "data", "models", "plotting", "train", "widgets",
               "experiments", "cache", "bench")


def __getattr__(name):
    if name in _SUBMODULES:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'lossbook' has no attribute {name!r}")
