"""The registry: canonical name -> :class:`~lossbook._spec.Spec`, for every function.

:data:`FAMILY_MODULES` is the one list of family modules. Each module declares its
:class:`~lossbook._spec.Family` as ``FAMILY`` and its entries as ``SPECS``; everything generic
is derived from this list: :data:`REGISTRY`, :data:`FAMILIES`, the top-level names
``lossbook.<name>`` and ``lossbook.<name>_grad``, the tests, the catalog and the API page.
Adding a family is one module and one line here.

To try a family module before it is listed (and to test that the harness enrols any family:
``tests/test_family_enrolment.py``), name it in the environment variable
``LOSSBOOK_EXTRA_FAMILIES`` (importable module names, comma-separated) before ``lossbook`` is
imported: it is appended to :data:`FAMILY_MODULES` and checked like the others. Such a module
imports from ``lossbook``'s submodules (``lossbook._spec``, ``lossbook.losses...``), not from
the package, which is still being imported.
"""
from __future__ import annotations

import importlib
import os
from types import ModuleType

from . import activations
from ._spec import Curve, Family, Kink, Param, Spec
from .losses import (boxes, contrastive, embedding, generative, imbalance, information, margin, overlap,
                     regression, sequence)

__all__ = ["REGISTRY", "FAMILY_MODULES", "FAMILIES", "Spec", "Param", "Kink", "Curve", "Family",
           "get", "names", "build"]



def _extra_families() -> tuple[ModuleType, ...]:
    """The modules named by ``LOSSBOOK_EXTRA_FAMILIES`` (none when it is unset or empty)."""
    modules = []
    for name in filter(None, (n.strip() for n in os.environ.get("LOSSBOOK_EXTRA_FAMILIES", "").split(","))):
        try:
            modules.append(importlib.import_module(name))
        except ImportError as err:
            raise RuntimeError(f"LOSSBOOK_EXTRA_FAMILIES names {name!r}, which cannot be imported: {err}") from err
    return tuple(modules)


#: The family modules in catalog order, the only list of them (plus any named by
#: ``LOSSBOOK_EXTRA_FAMILIES``, see the module docstring).
FAMILY_MODULES: tuple[ModuleType, ...] = (activations, information, margin, imbalance, regression,
                                          overlap, boxes, embedding, contrastive, sequence, generative) + _extra_families()


def build(modules=FAMILY_MODULES) -> tuple[dict[str, Family], dict[str, Spec]]:
    """The families and the registry of ``modules``, each module checked for consistency.

    A module must declare ``FAMILY`` (a :class:`~lossbook._spec.Family`) and ``SPECS``; each
    spec must hold the module's own ``<name>`` and ``<name>_grad``, carry the family's key,
    name one of the family's chapters, and be exported by the module's ``__all__``.
    """
    families: dict[str, Family] = {}
    registry: dict[str, Spec] = {}
    for module in modules:
        family = getattr(module, "FAMILY", None)
        if not isinstance(family, Family):
            raise RuntimeError(f"{module.__name__} must declare FAMILY = Family(...) beside its SPECS")
        if family.key in families:
            raise RuntimeError(f"family {family.key!r} is declared by two modules")
        families[family.key] = family
        exported = set(getattr(module, "__all__", ()))
        for spec in module.SPECS:
            where = f"{module.__name__}: {spec.name}"
            if spec.name in registry:
                raise RuntimeError(f"{spec.name} is registered twice")
            if getattr(module, spec.name, None) is not spec.value or \
                    getattr(module, spec.name + "_grad", None) is not spec.grad:
                raise RuntimeError(f"{where}: the spec must hold {module.__name__}.{spec.name} and its _grad")
            if spec.family != family.key:
                raise RuntimeError(f"{where}: family is {spec.family!r}, the module's FAMILY is {family.key!r}")
            if spec.chapter and spec.chapter not in family.chapters:
                raise RuntimeError(f"{where}: chapter {spec.chapter!r} is not one of the family's "
                                   f"chapters {family.chapters}")
            missing = {spec.name, spec.name + "_grad"} - exported
            if missing:
                raise RuntimeError(f"{where}: {', '.join(sorted(missing))} missing from __all__")
            registry[spec.name] = spec
    return families, registry


#: Family key -> :class:`~lossbook._spec.Family`, in catalog order (derived from FAMILY_MODULES).
FAMILIES: dict[str, Family]
#: Canonical name -> Spec, for every function of the package (derived from FAMILY_MODULES).
REGISTRY: dict[str, Spec]
FAMILIES, REGISTRY = build()


def exports(modules=FAMILY_MODULES) -> dict:
    """Name -> object of every public name of ``modules`` (their ``__all__``): what the
    top-level package re-exports."""
    out = {}
    for module in modules:
        for name in module.__all__:
            if name in out and out[name] is not getattr(module, name):
                raise RuntimeError(f"{name} is exported by two family modules")
            out[name] = getattr(module, name)
    return out


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
    if family is not None and family not in FAMILIES:
        raise ValueError(f"family must be one of {', '.join(FAMILIES)}; got {family!r}")
    return [n for n, s in REGISTRY.items() if family is None or s.family == family]
