"""What a registry entry knows about its function: :class:`Spec`, :class:`Param`, :class:`Kink`.

A :class:`Spec` ties a value function to its analytic gradient and carries everything the
generic machinery needs: which arguments are differentiable (``wrt``), valid example inputs
away from kinks (``example``), hyper-parameters with ranges (``params``, for sliders and
tests), the kink conventions to assert exactly (``kinks``), a 1-D slice to plot (``curve``),
for a loss the reductions it accepts and how it reduces (``reductions``, ``reduction_kind``),
and the bibliographic fields of the catalog page.
"""
from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ._reduction import KINDS, KNOWN_REDUCTIONS, REDUCTIONS

__all__ = ["Spec", "Param", "Kink", "Curve", "Family"]


@dataclass(frozen=True)
class Family:
    """A family of the catalog, declared once by its module as ``FAMILY`` beside ``SPECS``.

    ``key`` is what each of its specs holds as :attr:`Spec.family`; ``title`` heads its
    catalog section and API page section; ``part`` is the catalog part letter (``"F"``);
    ``chapters`` are the docnames (in ``chapters/``) that teach it, the first one the main
    chapter, and every spec's ``chapter`` must be one of them.
    """

    key: str
    title: str
    part: str
    chapters: tuple[str, ...]

    def __post_init__(self):
        if not (self.key.isidentifier() and self.key.islower()):
            raise ValueError(f"Family key must be a lower-case identifier, got {self.key!r}")
        if not (len(self.part) == 1 and self.part.isupper()):
            raise ValueError(f"Family part must be one catalog letter (A-Z), got {self.part!r}")
        if isinstance(self.chapters, str) or not self.chapters:
            raise ValueError(f"Family chapters must be a non-empty tuple of docnames, got {self.chapters!r}")


Example = Callable[[int], "tuple[tuple, dict]"]


@dataclass(frozen=True)
class Param:
    """A hyper-parameter: its default and the range sliders and tests explore.

    ``options`` makes it categorical (e.g. GELU's ``approximate``); ``log`` asks sliders
    for a logarithmic scale.
    """

    name: str
    default: Any
    low: float | None = None
    high: float | None = None
    options: tuple | None = None
    log: bool = False
    doc: str = ""

    def grid(self, n: int = 9) -> list:
        """``n`` values spanning the range (or the options), default included."""
        if self.options is not None:
            return list(self.options)
        if self.log:
            values = np.geomspace(self.low, self.high, n)
        else:
            values = np.linspace(self.low, self.high, n)
        return sorted({float(v) for v in values} | {float(self.default)})


@dataclass(frozen=True)
class Kink:
    """A point where the derivative is a convention; the gradient must equal ``grad`` exactly.

    ``args``/``kwargs`` are the call; ``grad`` what ``spec.grad`` returns there (with the
    default ``grad_output``), which is what PyTorch's autograd returns; ``note`` says why.
    """

    args: tuple
    kwargs: dict
    grad: Any
    note: str = ""


@dataclass(frozen=True)
class Curve:
    """A 1-D slice of a function, for plots and explorers.

    ``call(x, params)`` maps a 1-D grid and the hyper-parameter values to the call
    ``(args, kwargs)`` of the value function (losses are then called with
    ``reduction='none'``); the default passes ``x`` as the only positional argument and the
    parameters as keywords. The derivative plotted is the one with respect to ``wrt`` (a
    position in ``spec.wrt``), which equals d/dx along the slice. ``select`` picks the
    plotted component from the value and the gradient.
    """

    xlabel: str
    domain: tuple[float, float]
    call: Callable[[np.ndarray, dict], tuple] | None = None
    wrt: int = 0
    select: Callable[[Any], Any] | None = None


@dataclass(frozen=True)
class Spec:
    """A registry entry. See the module docstring.

    For a loss (a function with a ``reduction`` argument), ``reductions`` are the values of
    ``reduction`` it accepts, its default first (``('mean', 'sum', 'none')`` unless declared;
    :func:`~lossbook.kl_div` adds ``'batchmean'``), and ``reduction_kind`` (a key of
    ``lossbook._reduction.KINDS``) says how its value is reduced:
    ``'elementwise'`` (the mean divides by the number of elements), ``'weighted'`` (by the
    total weight; NaN over none), ``'root'`` (RMSE: the root of the reduced squares) or
    ``'anchors'`` (by the number of anchors with a positive: circle and SupCon losses). The
    checker and the tests try every declared reduction and ask the kind what to expect.
    """

    name: str
    value: Callable
    grad: Callable
    family: str
    catalog_id: str
    example: Example
    wrt: tuple[int, ...] = (0,)
    params: tuple[Param, ...] = ()
    kinks: tuple[Kink, ...] = ()
    curve: Curve | None = None
    extreme: Example | None = None
    chinese: str = ""
    reference: str = ""
    paper: str = ""
    chapter: str = ""
    in_seeds: bool = True
    aliases: tuple[str, ...] = ()
    reductions: tuple[str, ...] = REDUCTIONS
    reduction_kind: str = "elementwise"
    extra: dict = field(default_factory=dict)

    def __post_init__(self):
        names = self.arg_names
        for index in self.wrt:
            if index >= len(names):
                raise ValueError(f"{self.name}: wrt index {index} is not a positional argument")
        unknown = [r for r in self.reductions if r not in KNOWN_REDUCTIONS]
        if isinstance(self.reductions, str) or not self.reductions or unknown:
            raise ValueError(f"{self.name}: reductions must be a tuple of {KNOWN_REDUCTIONS}, "
                             f"got {self.reductions!r}")
        if self.reduction_kind not in KINDS:
            raise ValueError(f"{self.name}: reduction_kind must be one of {', '.join(KINDS)}, "
                             f"got {self.reduction_kind!r}")
        if self.is_loss:
            default = self.signature.parameters["reduction"].default
            if default != self.reductions[0]:
                raise ValueError(f"{self.name}: reductions must start with the default "
                                 f"reduction={default!r}, got {self.reductions!r}")

    @classmethod
    def of(cls, namespace: dict, name: str, **fields) -> "Spec":
        """The spec of ``name`` whose value and gradient are ``namespace[name]`` and
        ``namespace[name + "_grad"]`` (a family module passes its ``globals()``)."""
        return cls(name=name, value=namespace[name], grad=namespace[name + "_grad"], **fields)

    # -- derived facts -----------------------------------------------------------------
    @property
    def signature(self) -> inspect.Signature:
        return inspect.signature(self.value)

    @property
    def arg_names(self) -> tuple[str, ...]:
        """Names of the positional arguments of the value function."""
        return tuple(p.name for p in self.signature.parameters.values()
                     if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD))

    @property
    def is_loss(self) -> bool:
        """Whether the function takes ``reduction`` (every loss does; activations do not)."""
        return "reduction" in self.signature.parameters

    @property
    def defaults(self) -> dict:
        """Hyper-parameter defaults, by name."""
        return {p.name: p.default for p in self.params}

    @property
    def formula(self) -> str:
        """The first ``.. math::`` block of the value function's docstring (LaTeX)."""
        return _first_math(self.value.__doc__)

    @property
    def gradient_formula(self) -> str:
        """The first ``.. math::`` block of the gradient function's docstring (LaTeX)."""
        return _first_math(self.grad.__doc__)

    @property
    def summary(self) -> str:
        """The first line of the value function's docstring."""
        return (inspect.getdoc(self.value) or "").splitlines()[0] if self.value.__doc__ else ""

    def __call__(self, *args, **kwargs):
        return self.value(*args, **kwargs)

    def grads(self, *args, **kwargs) -> tuple:
        """``grad(...)`` as a tuple in ``wrt`` order, also when there is one argument."""
        out = self.grad(*args, **kwargs)
        return (out,) if len(self.wrt) == 1 else tuple(out)

    def curve_values(self, x, **params):
        """Value and derivative along :attr:`curve` at the grid ``x`` (NumPy)."""
        if self.curve is None:
            raise ValueError(f"{self.name} has no 1-D curve to plot")
        x = np.asarray(x, dtype=np.float64)
        params = {**self.defaults, **params}
        if self.curve.call is None:
            args, kwargs = (x,), dict(params)
        else:
            args, kwargs = self.curve.call(x, params)
            kwargs = dict(kwargs)
        if self.is_loss:
            kwargs["reduction"] = "none"
        y = self.value(*args, **kwargs)
        dy = self.grads(*args, **kwargs)[self.curve.wrt]
        if self.curve.select is not None:
            y, dy = self.curve.select(y), self.curve.select(dy)
        return np.asarray(y), np.asarray(dy)


def _first_math(doc: str | None) -> str:
    if not doc:
        return ""
    doc = inspect.cleandoc(doc)
    match = re.search(r"\.\. math::\n((?:\n|[ \t]+.*\n?)+)", doc)
    if not match:
        return ""
    return inspect.cleandoc(match.group(1)).strip()
