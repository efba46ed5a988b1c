"""Interactive explorers: sliders over a registry entry's hyper-parameters.

``explore(name)`` builds ipywidgets sliders from ``spec.params`` and redraws the value and the
derivative along the entry's curve.
"""
from __future__ import annotations

import numpy as np

from .registry import get

__all__ = ["explore"]


def explore(name: str, *, domain=None, **fixed):
    """Sliders for the hyper-parameters of ``name``; the value and derivative curves follow.

    Parameters
    ----------
    name : str
        A registry name with a ``curve``.
    domain : (float, float), optional
        The x range.
    **fixed
        Hyper-parameters held fixed (no slider).
    """
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    spec = get(name)
    if spec.curve is None:
        raise ValueError(f"{name} has no 1-D curve to explore")
    controls = {}
    for p in spec.params:
        if p.name in fixed:
            continue
        if p.options is not None:
            controls[p.name] = widgets.Dropdown(options=list(p.options), value=p.default, description=p.name)
        elif p.log:
            controls[p.name] = widgets.FloatLogSlider(value=p.default, base=10, min=np.log10(p.low),
                                                      max=np.log10(p.high), description=p.name)
        else:
            step = (p.high - p.low) / 100
            controls[p.name] = widgets.FloatSlider(value=p.default, min=p.low, max=p.high, step=step,
                                                   description=p.name)
    out = widgets.Output()
    lo, hi = domain if domain is not None else spec.curve.domain
    x = np.linspace(lo, hi, 401)

    def redraw(*_):
        values = {**fixed, **{k: c.value for k, c in controls.items()}}
        y, dy = spec.curve_values(x, **values)
        with out:
            out.clear_output(wait=True)
            fig, (a, b) = plt.subplots(1, 2, figsize=(8, 3), constrained_layout=True)
            a.plot(x, y)
            b.plot(x, dy)
            a.set(xlabel=spec.curve.xlabel, ylabel=name)
            b.set(xlabel=spec.curve.xlabel, ylabel="derivative")
            plt.show()

    for c in controls.values():
        c.observe(redraw, names="value")
    redraw()
    return widgets.VBox([*controls.values(), out])
