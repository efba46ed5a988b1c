"""The registry: canonical name -> :class:`~lossbook._spec.Spec`, for every function.

It is explicit: each family module ends with a ``SPECS`` tuple, and :data:`FAMILY_MODULES`
lists the modules. Tests, plots, widgets and the catalog page iterate over
:data:`REGISTRY`, so a function added here is tested like all the others.
"""
from __future__ import annotations

from . import activations
from ._spec import FAMILIES, Curve, Kink, Param, Spec
from .losses import embedding, imbalance, information, margin, regression

__all__ = ["REGISTRY", "FAMILY_MODULES", "Spec", "Param", "Kink", "Curve", "FAMILIES", "get", "names"]

FAMILY_MODULES = (activations, information, margin, imbalance, regression, embedding)


def _build() -> dict[str, Spec]:
    registry: dict[str, Spec] = {}
    for module in FAMILY_MODULES:
        for spec in module.SPECS:
            if spec.name in registry:
                raise RuntimeError(f"{spec.name} is registered twice")
            if getattr(module, spec.name) is not spec.value or getattr(module, spec.name + "_grad") is not spec.grad:
                raise RuntimeError(f"{spec.name}: the spec must hold {module.__name__}.{spec.name} and its _grad")
            registry[spec.name] = spec
    return registry


#: Canonical name -> Spec, for every function of the package.
REGISTRY: dict[str, Spec] = _build()


def get(name: str) -> Spec:
    """The spec of ``name`` (a canonical name or an alias), with a helpful error."""
    if name in REGISTRY:
        return REGISTRY[name]
    for spec in REGISTRY.values():
        if name in spec.aliases:
            return spec
    import difflib

    close = difflib.get_close_matches(name, list(REGISTRY), n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise KeyError(f"no function named {name!r} in lossbook.REGISTRY{hint}")


def names(family: str | None = None) -> list[str]:
    """Canonical names, optionally of one family, in registry order."""
    return [n for n, s in REGISTRY.items() if family is None or s.family == family]
