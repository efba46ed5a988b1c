"""Plots of any registry entry: value and gradient curves, and families over a hyper-parameter;
and :func:`table`, the chapters' tables of computed numbers.

The plot style is set only by an explicit :func:`use_style` call, never on import.
"""
from __future__ import annotations

import numpy as np

from ._spec import Spec
from .registry import get

__all__ = ["use_style", "plot_curves", "plot_family", "table", "STYLE", "display_name",
           "param_label", "DISPLAY_NAMES", "PARAM_SYMBOLS"]

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


#: Human names for legends and axis labels, so that no figure shows a registry key.
#: An entry missing here gets :func:`display_name`'s fallback (underscores to spaces).
DISPLAY_NAMES = {
    "identity": "identity", "sigmoid": "sigmoid σ", "tanh": "tanh", "softsign": "softsign",
    "hardsigmoid": "hard sigmoid", "hardtanh": "hard tanh", "relu": "ReLU",
    "leaky_relu": "leaky ReLU", "prelu": "PReLU", "elu": "ELU", "selu": "SELU",
    "softplus": "softplus", "swish": "swish", "silu": "SiLU", "gelu": "GELU", "mish": "Mish",
    "hardswish": "hard swish", "relu6": "ReLU6", "logsigmoid": "log-sigmoid",
    "cross_entropy": "cross-entropy", "entropy": "entropy", "kl_div": "KL divergence",
    "binary_cross_entropy": "binary cross-entropy",
    "binary_cross_entropy_with_logits": "BCE with logits", "logistic_loss": "logistic",
    "zero_one_loss": "0-1", "perceptron_loss": "perceptron", "hinge_loss": "hinge",
    "squared_hinge_loss": "squared hinge", "exponential_loss": "exponential",
    "hinge_embedding_loss": "hinge embedding", "multi_margin_loss": "multi-class hinge",
    "balanced_cross_entropy": "balanced cross-entropy", "sigmoid_focal_loss": "focal",
    "softmax_focal_loss": "softmax focal", "class_balanced_loss": "class-balanced",
    "poly1_loss": "Poly-1", "poly1_focal_loss": "Poly-1 focal", "l1_loss": "MAE (L1)",
    "mbe": "mean bias error", "mse_loss": "MSE", "rmse_loss": "RMSE", "mape_loss": "MAPE",
    "smape_loss": "sMAPE", "msle_loss": "MSLE", "rmsle_loss": "RMSLE", "huber_loss": "Huber",
    "smooth_l1_loss": "smooth L1", "log_cosh_loss": "log-cosh", "quantile_loss": "pinball",
    "dice_loss": "Dice", "dsc_loss": "self-adjusting Dice", "focal_dice_loss": "focal Dice",
    "tversky_loss": "Tversky", "focal_tversky_loss": "focal Tversky", "jaccard_loss": "Jaccard",
    "generalized_dice_loss": "generalised Dice", "lovasz_hinge_loss": "Lovász hinge",
    "iou_loss": "IoU", "giou_loss": "GIoU", "diou_loss": "DIoU", "ciou_loss": "CIoU",
    "eiou_loss": "EIoU", "focal_eiou_loss": "Focal-EIoU", "alpha_iou_loss": "α-IoU",
    "siou_loss": "SIoU", "wiou_loss": "Wise-IoU", "balanced_l1_loss": "balanced L1",
    "center_loss": "center loss", "contrastive_loss": "contrastive",
    "triplet_margin_loss": "triplet margin", "margin_ranking_loss": "margin ranking",
    "cosine_embedding_loss": "cosine embedding", "arcface_loss": "ArcFace",
    "cosface_loss": "CosFace", "sphereface_loss": "SphereFace", "nce_loss": "NCE",
}

#: Symbols of hyper-parameters in legends (``delta`` -> ``δ``); others print their name
#: with spaces for underscores.
PARAM_SYMBOLS = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "eps": "ε",
    "tau": "τ", "mu": "μ", "theta": "θ", "temperature": "T", "scale": "s", "m": "m",
    "margin": "margin", "negative_slope": "negative slope", "max_val": "max value",
    "min_val": "min value", "label_smoothing": "label smoothing", "p": "p",
}


def display_name(entry) -> str:
    """The human name of a registry entry for a legend or a title.

    >>> display_name("huber_loss"), display_name("leaky_relu")
    ('Huber', 'leaky ReLU')
    """
    name = entry.name if isinstance(entry, Spec) else get(entry).name
    return DISPLAY_NAMES.get(name, name.removesuffix("_loss").replace("_", " "))


def param_label(param: str, value) -> str:
    """``"δ = 1.5"`` for ``("delta", 1.5)``: a hyper-parameter setting as a legend shows it."""
    symbol = PARAM_SYMBOLS.get(param, param.replace("_", " "))
    number = isinstance(value, (int, float, np.number)) and not isinstance(value, bool)
    return f"{symbol} = {value:g}" if number else f"{symbol} = {value}"


def table(header, rows, caption=None):
    """A Markdown table for a notebook or the book's page (an ``IPython.display.Markdown``).

    The chapters compute every number they tabulate in the cell that calls this; nothing is
    typed in by hand. Display it as a cell's last expression or with ``display(...)``.
    ``caption`` (Markdown) is printed in bold above it, to label a table that shares a
    section with another.

    Examples
    --------
    >>> print(table(["loss", "value"], [("mse", 0.25)]).data)
    | loss | value |
    |---|---|
    | mse | 0.25 |
    >>> print(table(["x"], [(1,)], caption="One row").data.splitlines()[0])
    **One row**
    """
    from IPython.display import Markdown

    lines = ["| " + " | ".join(str(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in rows]
    if caption:
        lines = [f"**{caption}**", ""] + lines
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


def plot_curves(names, *, params=None, domain=None, axes=None, num: int = 401, title=None,
                labels=None):
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
    labels : dict, optional
        Legend labels, by name of the entry; by default the human name
        (:func:`display_name`) followed by the hyper-parameters (``"Huber, δ = 0.5"``).

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
    ['Huber, δ = 0.5', 'MAE (L1)']
    """
    specs = [_spec_of(n) for n in ([names] if isinstance(names, (str, Spec)) else names)]
    fig, (ax_value, ax_grad) = _axes(axes)
    params = params or {}
    for spec in specs:
        name = spec.name
        x = _grid(spec, domain, num)
        y, dy = spec.curve_values(x, **params.get(name, {}))
        label = (labels or {}).get(name) or display_name(spec) + "".join(
            f", {param_label(k, v)}" for k, v in params.get(name, {}).items())
        ax_value.plot(x, y, label=label)
        ax_grad.plot(x, dy, label=label)
    spec = specs[0]
    ax_value.set(xlabel=spec.curve.xlabel, ylabel="value")
    ax_grad.set(xlabel=spec.curve.xlabel, ylabel="derivative")
    ax_value.legend()
    if title:
        fig.suptitle(title)
    return fig


def plot_family(name, param, values, *, params=None, domain=None, axes=None, num: int = 401,
                title=None, symbol=None):
    """Value and derivative of ``name`` (a registry name or a :class:`~lossbook._spec.Spec`)
    for several values of the hyper-parameter ``param``.

    The legend reads ``"γ = 2"`` (``symbol`` overrides the parameter's symbol, see
    :data:`PARAM_SYMBOLS`); the value axis is labelled with the entry's human name.

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
        label = param_label(param, v) if symbol is None else f"{symbol} = {v:g}"
        ax_value.plot(x, y, label=label)
        ax_grad.plot(x, dy, label=label)
    ax_value.set(xlabel=spec.curve.xlabel, ylabel=display_name(spec))
    ax_grad.set(xlabel=spec.curve.xlabel, ylabel="derivative")
    ax_value.legend()
    if title:
        fig.suptitle(title)
    return fig
