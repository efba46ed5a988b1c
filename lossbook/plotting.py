"""Plots of any registry entry: value and gradient curves, and families over a hyper-parameter;
and :func:`table`, the chapters' tables of computed numbers.

The plot style is set only by an explicit :func:`use_style` call, never on import.
"""
from __future__ import annotations

import numpy as np

from ._spec import Spec
from .registry import get

__all__ = ["use_style", "plot_curves", "plot_family", "table", "STYLE"]

#: The book's matplotlib settings, applied by :func:`use_style`.
STYLE = {
    "figure.figsize": (8.0, 3.2),
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "lines.linewidth": 1.8,
}


def table(header, rows):
    """A Markdown table for a notebook or the book's page (an ``IPython.display.Markdown``).

    The chapters compute every number they tabulate in the cell that calls this; nothing is
    typed in by hand. Display it as a cell's last expression or with ``display(...)``.

    Examples
    --------
    >>> print(table(["loss", "value"], [("mse", 0.25)]).data)
    | loss | value |
    |---|---|
    | mse | 0.25 |
    """
    from IPython.display import Markdown

    lines = ["| " + " | ".join(str(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in rows]
    return Markdown("\n".join(lines))


def use_style():
    """Apply the book's plot style (:data:`STYLE`) to matplotlib's global settings."""
    import matplotlib as mpl

    mpl.rcParams.update(STYLE)


def _axes(axes):
    import matplotlib.pyplot as plt

    if axes is None:
        fig, axes = plt.subplots(1, 2, constrained_layout=True)
        return fig, axes
    return axes[0].figure, axes


def _spec_of(entry) -> Spec:
    """``entry`` itself if it is a :class:`~lossbook._spec.Spec`, else the registry's spec of that name."""
    return entry if isinstance(entry, Spec) else get(entry)


def _grid(spec, domain, num):
    lo, hi = domain if domain is not None else spec.curve.domain
    return np.linspace(lo, hi, num)


def plot_curves(names, *, params=None, domain=None, axes=None, num: int = 401, title=None):
    """Value (left) and derivative (right) of one or several registry entries along their curve.

    Parameters
    ----------
    names : str, Spec, or list of them
        Registry names or specs (e.g. ``lossbook.REGISTRY["relu"]``); each must have a ``curve``.
    params : dict, optional
        Hyper-parameters, by name of the entry: ``{"huber_loss": {"delta": 0.5}}``.
    domain : (float, float), optional
        The x range; each entry's own by default.
    axes : pair of matplotlib axes, optional
    num : int
        Grid points.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from lossbook import REGISTRY
    >>> fig = plot_curves([REGISTRY["huber_loss"], "l1_loss"], params={"huber_loss": {"delta": 0.5}})
    >>> [line.get_label() for line in fig.axes[0].lines]
    ['huber_loss, delta=0.5', 'l1_loss']
    """
    specs = [_spec_of(n) for n in ([names] if isinstance(names, (str, Spec)) else names)]
    fig, (ax_value, ax_grad) = _axes(axes)
    params = params or {}
    for spec in specs:
        name = spec.name
        x = _grid(spec, domain, num)
        y, dy = spec.curve_values(x, **params.get(name, {}))
        label = name + "".join(f", {k}={v}" for k, v in params.get(name, {}).items())
        ax_value.plot(x, y, label=label)
        ax_grad.plot(x, dy, label=label)
    spec = specs[0]
    ax_value.set(xlabel=spec.curve.xlabel, ylabel="value")
    ax_grad.set(xlabel=spec.curve.xlabel, ylabel="derivative")
    ax_value.legend()
    if title:
        fig.suptitle(title)
    return fig


def plot_family(name, param, values, *, params=None, domain=None, axes=None, num: int = 401, title=None):
    """Value and derivative of ``name`` (a registry name or a :class:`~lossbook._spec.Spec`)
    for several values of the hyper-parameter ``param``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from lossbook.plotting import plot_family
    >>> fig = plot_family("softplus", "beta", [0.5, 1, 4])
    >>> len(fig.axes[0].lines)
    3
    """
    spec = _spec_of(name)
    fig, (ax_value, ax_grad) = _axes(axes)
    x = _grid(spec, domain, num)
    for v in values:
        y, dy = spec.curve_values(x, **{**(params or {}), param: v})
        ax_value.plot(x, y, label=f"{param} = {v}")
        ax_grad.plot(x, dy, label=f"{param} = {v}")
    ax_value.set(xlabel=spec.curve.xlabel, ylabel=spec.name)
    ax_grad.set(xlabel=spec.curve.xlabel, ylabel="derivative")
    ax_value.legend()
    if title:
        fig.suptitle(title)
    return fig
