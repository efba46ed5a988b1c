"""Explorers: sliders over a registry entry's hyper-parameters, live in a notebook and on the website.

``explore(name)`` returns an :class:`Explorer`, which is an ipywidgets widget (a ``VBox`` of
sliders above an ``Image``): display it, or put it in a ``VBox``/``HBox`` with other widgets.
It draws its first image when it is made and redraws the value and derivative curves
(:func:`lossbook.plotting.plot_curves`, i.e. ``spec.curve_values``) once per slider move.

The website has no kernel. When a notebook is executed for the site,
:mod:`lossbook.site.execute` sets the environment variable ``LOSSBOOK_SITE_BUILD=1``
(:data:`~lossbook.site.execute.SITE_BUILD`) in the kernel, and a displayed explorer's
output also carries a ``text/html`` version: the same sliders as ``<input type="range">`` over precomputed
frames (one per combination of the sliders' frame values), swapped by a few lines of inline
JavaScript, which needs no kernel and no network. The book's ``_config.yml`` tells myst-nb to
prefer that HTML; Jupyter prefers the live widget. In a live kernel (no ``LOSSBOOK_SITE_BUILD``)
no frame is computed beyond the one image shown: :meth:`FrameExplorer.html` computes them
on demand. An explorer inside another widget (``VBox([explore(...)])``) is displayed by that
widget, so it has no static version on the website; display explorers on their own there.

An entry without hyper-parameters (``sigmoid``, ``relu``...) gets a slider that moves a point
along the curve, with the tangent whose slope is the derivative there.

:class:`FrameExplorer` is the same machinery for any figure: give it a function that draws
one state into a matplotlib figure and the values of each slider (the experiments' explorers,
:func:`lossbook.experiments.slowdown.explore_single_neuron` and
:func:`lossbook.experiments.mnist_features.explore_features`, are built on it).
Without ipywidgets installed an explorer is a plain object whose display is the static view.
"""
from __future__ import annotations

import base64
import html
import io
import itertools
import json
import math
import os
import uuid

import numpy as np

from .registry import get
from .plotting import display_name
# The environment variable that says a notebook is executed for the website (set to 1 by
# lossbook.site.execute for its kernels): displayed explorers then add their frames.
from .site.execute import SITE_BUILD

try:
    from ipywidgets import VBox as _Box
except ImportError:  # the optional extra `lossbook[widgets]`: without it, the static view only
    _Box = None

__all__ = ["explore", "Explorer", "FrameExplorer", "MAX_FRAMES", "site_build"]

#: Upper bound on the number of precomputed frames of one explorer (the product of the
#: sliders' grid sizes); keeps pages small and the book build fast.
MAX_FRAMES = 64
#: Resolution of the frames (dots per inch; the figure size comes from the plot style).
FRAME_DPI = 80
_POINTS = 401
_POINT_FRAMES = 13
#: The live image's resolution (dots per inch).
LIVE_DPI = 100


def site_build() -> bool:
    """Whether this process executes a notebook for the website
    (:data:`~lossbook.site.execute.SITE_BUILD` is set)."""
    return os.environ.get(SITE_BUILD, "").strip().lower() not in ("", "0", "false", "no", "off")


def explore(name: str, *, domain=None, **fixed_params) -> "Explorer":
    """An explorer of ``name``: sliders over its hyper-parameters, value and derivative curves.

    Parameters
    ----------
    name : str
        A registry name (or alias) whose spec has a ``curve``.
    domain : (float, float), optional
        The x range; the curve's own by default.
    **fixed_params
        A number or string holds that hyper-parameter fixed (no slider); a list or tuple
        makes the slider step through exactly those values (e.g. ``gamma=[0, 0.5, 1, 2, 5]``).

    Returns
    -------
    Explorer
        Display it (last expression of a cell): live ipywidgets sliders with a kernel, a
        JavaScript slider over precomputed frames on the static website.

    Examples
    --------
    >>> import lossbook.widgets
    >>> ex = lossbook.widgets.explore("leaky_relu")
    >>> [name for name, _ in ex.sliders]
    ['negative_slope']
    """
    return Explorer(name, domain=domain, **fixed_params)


class FrameExplorer(_Box or object):
    """Sliders over the states of a figure: an ipywidgets ``VBox`` live, precomputed frames on the website.

    The explorer is the widget: its ``children`` are the controls (one per slider, in order)
    and an ``ipywidgets.Image`` of the current state, drawn once when the explorer is made and
    again after each slider move. The website's frames (:meth:`html`) are computed only when
    asked for, or when the explorer is displayed while :func:`site_build` (see the module
    docstring).

    Parameters
    ----------
    draw : callable or None
        ``draw(fig, **state)`` draws one state into a fresh ``matplotlib.figure.Figure``
        (None in a subclass that overrides :meth:`figure`, as :class:`Explorer` does).
    sliders : dict
        Slider name -> the values it steps through on the website (one frame per
        combination; at most :data:`MAX_FRAMES` in all). Strings are allowed (a choice).
    start : dict, optional
        The state shown first (by default each slider's first value).
    live : dict, optional
        Slider name -> ``(low, high)`` or ``(low, high, "log")``: a continuous slider over that
        range in the live view (by default the live view steps through ``sliders``' values).
    name : str
        What is explored (for the page and the ``repr``).
    description : str
        The frames' alternative text.
    figsize : (float, float), optional
        The figure's size in inches (the plot style's by default).

    Examples
    --------
    >>> from lossbook.widgets import FrameExplorer
    >>> ex = FrameExplorer(lambda fig, a: fig.subplots().plot([0, 1], [0, a]), {"a": [1, 2]},
    ...                    name="a line")
    >>> ex
    <lossbook explorer of a line: a (2 frames)>
    >>> import ipywidgets
    >>> isinstance(ex, ipywidgets.VBox), bytes(ex.image.value).startswith(b"\\x89PNG")
    (True, True)
    """

    def __init__(self, draw, sliders, *, start=None, live=None, name: str = "a figure",
                 description: str = "", figsize=None):
        self._draw = draw
        self.name = name
        self.description = description or f"{name}; move the sliders to redraw it."
        self.figsize = figsize
        self.live = dict(live or {})
        self.sliders = [(key, list(values)) for key, values in sliders.items()]
        for key, values in self.sliders:
            if not values:
                raise ValueError(f"slider {key!r} needs at least one value")
        unknown = sorted(set(self.live) - set(sliders))
        if unknown:
            raise ValueError(f"live ranges for unknown slider(s): {', '.join(unknown)}")
        self._check_frames()
        start = dict(start or {})
        self._start = {key: _closest(values, start[key]) if key in start else values[0]
                       for key, values in self.sliders}
        self._html = None
        self.controls = {}
        self.image = None
        if _Box is None:
            return
        import ipywidgets as widgets

        self.controls = {key: self._control(widgets, key, values) for key, values in self.sliders}
        self._shown = {key: control.value for key, control in self.controls.items()}
        self.image = widgets.Image(format="png", value=self.png(self._shown, dpi=LIVE_DPI))
        super().__init__([*self.controls.values(), self.image])
        for control in self.controls.values():
            control.observe(self._redraw, names="value")

    def _check_frames(self):
        sizes = [len(v) for _, v in self.sliders]
        if math.prod(sizes) > MAX_FRAMES:
            raise ValueError(f"explore({self.name!r}): {' x '.join(map(str, sizes))} frames exceed "
                             f"MAX_FRAMES={MAX_FRAMES}; pass shorter value lists or fix a parameter")

    def states(self):
        """Every combination of the sliders' frame values, in row-major order."""
        names = [name for name, _ in self.sliders]
        for combo in itertools.product(*(values for _, values in self.sliders)):
            yield dict(zip(names, combo))

    def figure(self, state: dict | None = None):
        """A matplotlib Figure (not registered with pyplot) of one state; defaults to the start."""
        from matplotlib.figure import Figure

        fig = Figure(figsize=self.figsize, layout="constrained")
        self._draw(fig, **(self._start if state is None else state))
        return fig

    def _rendered(self, fig):
        """Called after a frame is rendered (a subclass may reuse its layout)."""

    def png(self, state: dict | None = None, dpi: int = FRAME_DPI) -> bytes:
        """One state as PNG bytes (palette-quantised when Pillow is available)."""
        fig = self.figure(state)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=dpi)
        self._rendered(fig)
        return _quantise(buffer.getvalue())

    # -- the static view -----------------------------------------------------------------
    def html(self) -> str:
        """The kernel-free view: ``<input type="range">`` sliders over precomputed frames.

        Computed on the first call (every frame: a few seconds to a minute), then kept.
        """
        if self._html is None:
            self._html = self._build_html()
        return self._html

    def _build_html(self) -> str:
        frames = ["data:image/png;base64," + base64.b64encode(self.png(s)).decode("ascii")
                  for s in self.states()]
        sizes = [len(values) for _, values in self.sliders]
        strides = [math.prod(sizes[i + 1:]) for i in range(len(sizes))]
        labels = [[_label(v) for v in values] for _, values in self.sliders]
        start = [values.index(self._start[name]) for name, values in self.sliders]
        first = sum(i * s for i, s in zip(start, strides))
        uid = "lossbook-explorer-" + uuid.uuid4().hex[:12]
        alt = html.escape(self.description)
        controls = []
        for (pname, values), k in zip(self.sliders, start):
            label = html.escape(pname)
            controls.append(
                f'<label style="display:flex;align-items:center;gap:.6em;margin:.2em 0">'
                f'<code style="min-width:9em">{label}</code>'
                f'<input type="range" min="0" max="{len(values) - 1}" step="1" value="{k}" '
                f'aria-label="{label}" style="flex:1;max-width:24em">'
                f'<output style="min-width:4em">{html.escape(labels[len(controls)][k])}</output></label>')
        data = json.dumps({"frames": frames, "strides": strides, "labels": labels})
        data = data.replace("</", "<\\/")
        script = (
            "(function(){var root=document.getElementById('%s');"
            "var data=JSON.parse(root.querySelector('script[type=\"application/json\"]').textContent);"
            "var img=root.querySelector('img');var inputs=root.querySelectorAll('input[type=range]');"
            "function update(){var index=0;for(var i=0;i<inputs.length;i++){var k=+inputs[i].value;"
            "index+=k*data.strides[i];inputs[i].nextElementSibling.textContent=data.labels[i][k];}"
            "img.src=data.frames[index];}"
            "for(var i=0;i<inputs.length;i++){inputs[i].addEventListener('input',update);}"
            "})();" % uid)
        return (
            f'<div class="lossbook-explorer" id="{uid}" data-name="{html.escape(self.name)}" '
            f'data-frames="{len(frames)}">'
            f'<img src="{frames[first]}" alt="{alt}" style="max-width:100%;height:auto">'
            f'<div class="lossbook-explorer-controls">{"".join(controls)}</div>'
            f'<script type="application/json">{data}</script>'
            f"<script>{script}</script></div>")

    # -- the live view -------------------------------------------------------------------
    @property
    def state(self) -> dict:
        """The state the sliders show now (slider name -> value)."""
        return {key: control.value for key, control in self.controls.items()}

    def _redraw(self, _change=None):
        state = self.state
        if state == self._shown:  # nothing new to draw (e.g. a value set back to itself)
            return
        self._shown = state
        self.image.value = self.png(state, dpi=LIVE_DPI)

    def widget(self):
        """The live view: the explorer itself (it is the ``VBox``), kept for older code.

        Raises ImportError without ipywidgets.
        """
        if _Box is None:
            raise ImportError("the live view needs ipywidgets (pip install 'lossbook[widgets]')")
        return self

    def _control(self, widgets, name, values):
        style = {"description_width": "initial"}
        start = self._start[name]
        if name in self.live:
            low, high, *scale = self.live[name]
            return _slider(widgets, name, _live_values(low, high, start, log=scale == ["log"]),
                           start)
        if any(isinstance(v, str) for v in values):
            return widgets.ToggleButtons(options=values, value=start, description=name, style=style)
        return _slider(widgets, name, values, start)

    # -- display ---------------------------------------------------------------------------
    def _repr_mimebundle_(self, **kwargs):
        """The live widget's view, plus the static view (:meth:`html`) when the notebook is
        executed for the website (:func:`site_build`) or ipywidgets is missing."""
        bundle = super()._repr_mimebundle_(**kwargs) if _Box is not None else None
        bundle = dict(bundle or {})
        bundle["text/plain"] = repr(self)
        if _Box is None or site_build():
            bundle["text/html"] = self.html()
        return bundle

    def __repr__(self):
        sliders = ", ".join(f"{n} ({len(v)} frames)" for n, v in self.sliders)
        return f"<lossbook explorer of {self.name}: {sliders}>"


class Explorer(FrameExplorer):
    """The display object returned by :func:`explore`. See the module docstring.

    Attributes
    ----------
    spec : lossbook._spec.Spec
        The registry entry.
    fixed : dict
        Hyper-parameters held fixed.
    sliders : list of (str, list)
        Each slider's name and the values of its static frames (``"x"`` is the point slider).
    """

    def __init__(self, name: str, *, domain=None, **fixed_params):
        spec = get(name)
        if spec.curve is None:
            raise ValueError(f"{spec.name} has no 1-D curve to explore (spec.curve is None)")
        params = {p.name: p for p in spec.params}
        unknown = sorted(set(fixed_params) - set(params))
        if unknown:
            known = ", ".join(params) or "none"
            raise TypeError(f"explore({spec.name!r}): unknown hyper-parameter(s) {', '.join(unknown)}; "
                            f"{spec.name} has: {known}")
        self.spec = spec
        lo, hi = domain if domain is not None else spec.curve.domain
        if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
            raise ValueError(f"domain must be a finite interval (low, high) with low < high, got {domain!r}")
        self.domain = (float(lo), float(hi))
        self.x = np.linspace(lo, hi, _POINTS)
        self.fixed = {k: v for k, v in fixed_params.items() if not isinstance(v, (list, tuple))}
        chosen = {k: list(v) for k, v in fixed_params.items() if isinstance(v, (list, tuple))}
        for key, values in chosen.items():
            if not values:
                raise ValueError(f"explore({spec.name!r}): {key} needs at least one value")
        free = [p for p in spec.params if p.name not in self.fixed]
        self._params = {p.name: p for p in free}
        self._explicit = set(chosen)
        if free:
            per_axis = _per_axis_budget(len(free))
            sliders = {p.name: chosen.get(p.name) or _grid(p, per_axis) for p in free}
        else:
            sliders = {"x": _point_grid(*self.domain, spec)}
        self._point = not free
        self._ylim = None
        self._positions = None
        what = "the point x" if self._point else ", ".join(sliders)
        super().__init__(None, sliders, start={k: self._initial(k) for k in sliders},
                         name=spec.name,
                         description=f"Value (left) and derivative (right) of "
                                     f"{display_name(spec)} ({spec.name}); move the slider "
                                     f"for {what} to redraw them.")

    # -- the state shown -----------------------------------------------------------------
    def _initial(self, name):
        if name == "x":
            return 0.5 * (self.domain[0] + self.domain[1]) if not self.domain[0] < 0 < self.domain[1] else 1.0
        return self._params[name].default

    def params(self, state: dict) -> dict:
        """The hyper-parameters of one state (slider values plus the fixed ones)."""
        return {**self.fixed, **{k: v for k, v in state.items() if k != "x"}}

    def ylim(self):
        """Fixed y-limits of the two panels over all frames, so the picture moves, not the axes."""
        if self._ylim is None:
            value_range, grad_range = [np.inf, -np.inf], [np.inf, -np.inf]
            for state in self.states():
                y, dy = self.spec.curve_values(self.x, **self.params(state))
                for r, v in ((value_range, y), (grad_range, dy)):
                    v = np.asarray(v, dtype=float)
                    v = v[np.isfinite(v)]
                    if v.size:
                        r[0], r[1] = min(r[0], v.min()), max(r[1], v.max())
            self._ylim = tuple(_pad(*r) for r in (value_range, grad_range))
        return self._ylim

    def figure(self, state: dict | None = None):
        """A matplotlib Figure (not registered with pyplot) of one state; defaults to the start."""
        from matplotlib.figure import Figure

        from .plotting import plot_curves

        state = dict(self._start if state is None else state)
        params = self.params(state)
        # The first frame is laid out by matplotlib's constrained layout; later frames reuse
        # its axes positions (same size, same fixed limits): half the rendering time.
        fig = Figure(layout="constrained" if self._positions is None else None)
        ax_value, ax_grad = fig.subplots(1, 2)
        if self._positions is not None:
            ax_value.set_position(self._positions[0])
            ax_grad.set_position(self._positions[1])
        name = self.spec.name
        defaults = {**self.spec.defaults, **self.fixed}
        if not self._point:  # the defaults in grey, under the current curve
            plot_curves(name, params={name: defaults}, domain=self.domain, axes=(ax_value, ax_grad))
            for ax in (ax_value, ax_grad):
                ax.lines[-1].set(color="0.72", linewidth=1.2, zorder=1)
        plot_curves(name, params={name: params}, domain=self.domain, axes=(ax_value, ax_grad))
        if self._point:
            self._draw_point(ax_value, ax_grad, state["x"], params)
        (v0, v1), (g0, g1) = self.ylim()
        ax_value.set_ylim(v0, v1)
        ax_grad.set_ylim(g0, g1)
        ax_value.set_xlim(*self.domain)
        ax_grad.set_xlim(*self.domain)
        return fig

    def _draw_point(self, ax_value, ax_grad, x0, params):
        y, dy = self.spec.curve_values(np.array([x0]), **params)
        y0, slope = float(np.ravel(y)[0]), float(np.ravel(dy)[0])
        half = 0.18 * (self.domain[1] - self.domain[0])
        xs = np.array([x0 - half, x0 + half])
        ax_value.plot(xs, y0 + slope * (xs - x0), color="C3", linewidth=1.2, label=f"tangent, slope {slope:.3g}")
        ax_value.plot([x0], [y0], "o", color="C3")
        ax_grad.plot([x0], [slope], "o", color="C3")
        ax_grad.axvline(x0, color="C3", linewidth=0.8, alpha=0.5)
        ax_value.legend()

    def _rendered(self, fig):
        if self._positions is None:
            self._positions = [ax.get_position() for ax in fig.axes[:2]]

    # -- the live view -------------------------------------------------------------------
    def _control(self, widgets, name, values):
        style = {"description_width": "initial"}
        start = self._start[name]
        if name == "x":
            return _slider(widgets, "x", _live_values(*self.domain, start), start)
        p = self._params[name]
        if p.options is not None or any(isinstance(v, str) for v in values):
            options = list(p.options) if p.options is not None else list(values)
            return widgets.ToggleButtons(options=options, value=p.default if p.default in options else start,
                                         description=name, style=style)
        if name in self._explicit or p.low is None or p.high is None:
            # values chosen by the caller (or no range): step through exactly those
            return _slider(widgets, name, values, start)
        if _is_int(p.default):
            return widgets.IntSlider(value=int(start), min=int(p.low), max=int(p.high), description=name,
                                     continuous_update=False, style=style)
        return _slider(widgets, name, _live_values(p.low, p.high, start, log=p.log), start)


# --- helpers ------------------------------------------------------------------------------
def _per_axis_budget(k: int) -> int:
    return {1: 9, 2: 4}.get(k, 3)


def _is_int(v) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def _grid(p, n: int) -> list:
    """``n`` slider values over the parameter's range (integers for an integer parameter)."""
    if p.options is not None:
        return list(p.options)
    if p.low is None or p.high is None:
        return [p.default]
    if _is_int(p.default):
        values = np.unique(np.round(np.linspace(p.low, p.high, n)).astype(int))
        return sorted({int(v) for v in values} | {int(p.default)})
    if p.log:  # geometric steps, each moved to the nearest round number (0.178 -> 0.18)
        nice = np.array(_live_values(p.low, p.high, p.default, log=True))
        return sorted({float(nice[np.argmin(np.abs(np.log(nice / v)))]) for v in p.grid(n)})
    return [float(f"{v:.4g}") for v in p.grid(n)]


def _point_grid(lo, hi, spec) -> list:
    """Points for the tangent slider, nudged off the kinks (where the derivative is a convention)."""
    points = np.linspace(lo, hi, _POINT_FRAMES + 2)[1:-1]
    kinks = []
    for kink in spec.kinks:
        try:
            kinks.extend(np.ravel(np.asarray(kink.args[0], dtype=float)).tolist())
        except (TypeError, ValueError):
            continue
    gap = 0.02 * (hi - lo)
    out = []
    for x in points:
        for k in kinks:
            if abs(x - k) < gap:
                x = k + gap
        out.append(float(f"{x:.4g}"))
    return out


def _slider(widgets, name, values, start):
    """A slider over exactly ``values``, showing each as :func:`_label` prints it.

    A ``SelectionSlider`` moves over indices, so the value the kernel receives is one of
    ``values`` exactly, the value shown is the one drawn, and the browser has nothing to snap
    (a ``FloatLogSlider`` rounds its value to its step grid, 0.15 becoming 0.151356, and
    sends it back: a second redraw). It reports on release (``continuous_update=False``): one
    redraw per move, not a queue of them while the handle is dragged.
    """
    return widgets.SelectionSlider(options=[(_label(v), v) for v in values], value=start,
                                   description=name, continuous_update=False,
                                   style={"description_width": "initial"})


#: About how many positions a continuous live slider has (linear ranges).
_LIVE_STEPS = 100
#: Mantissas of a logarithmic live slider: per decade, the round numbers a person would pick.
_LOG_FINE = (1, 1.1, 1.2, 1.3, 1.5, 1.6, 1.8, 2, 2.2, 2.5, 2.8, 3, 3.5, 4, 4.5, 5, 6, 7, 8, 9)
_LOG_COARSE = (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8)


def _tidy(v) -> float:
    """``v`` without floating-point noise (``0.30000000000000004`` -> ``0.3``)."""
    return float(f"{float(v):.10g}")


def _live_values(low, high, start=None, *, log=False) -> list:
    """The positions of a continuous live slider over ``[low, high]``: round numbers.

    A linear range steps by 1, 2, 2.5 or 5 times a power of ten (about :data:`_LIVE_STEPS`
    steps); a logarithmic one through round mantissas in every decade. The ends and the
    start value are always positions, so the slider opens exactly where the caller said.

    >>> _live_values(-1, 1)[:3], _live_values(0.01, 1, 0.15, log=True)[:4]
    ([-1.0, -0.98, -0.96], [0.01, 0.011, 0.012, 0.013])
    """
    low, high = float(low), float(high)
    if not (math.isfinite(low) and math.isfinite(high) and low < high) or (log and low <= 0):
        raise ValueError(f"a live slider needs a finite range low < high{' > 0' if log else ''}, "
                         f"got ({low}, {high})")
    if log:
        mantissas = _LOG_FINE if math.log10(high / low) <= 4 else _LOG_COARSE
        decades = range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)
        candidates = [m * 10.0 ** e for e in decades for m in mantissas]
    else:
        raw = (high - low) / _LIVE_STEPS
        power = 10.0 ** math.floor(math.log10(raw))
        step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw * (1 - 1e-9))
        first, last = math.ceil(low / step - 1e-9), math.floor(high / step + 1e-9)
        candidates = [k * step for k in range(first, last + 1)]
    slack = 1e-9 * (high - low)
    values = {_tidy(v) for v in candidates if low - slack <= v <= high + slack}
    values |= {low, high} | ({float(start)} if start is not None else set())
    return sorted(v for v in values if low <= v <= high)


def _closest(values, target):
    if target in values:
        return target
    numeric = [v for v in values if isinstance(v, (int, float))]
    if not numeric or isinstance(target, str):
        return values[0]
    return min(numeric, key=lambda v: abs(v - target))


def _pad(lo, hi):
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return (-1.0, 1.0)
    span = hi - lo
    margin = 0.06 * span if span > 0 else max(abs(hi), 1.0) * 0.1
    return (lo - margin, hi + margin)


def _label(v) -> str:
    """A slider value as a person writes it: ``5.01``, ``0.15``, ``1200``, ``1e-5``.

    Three significant digits (all the digits of the integer part), plain notation from 1e-4
    to 1e5, else ``<mantissa>e<exponent>`` without padding.

    >>> [_label(v) for v in (5.011872336272722, 0.15, 1234.5, 1e-05, 3, 2.0, "mean")]
    ['5.01', '0.15', '1234', '1e-5', '3', '2', 'mean']
    """
    if isinstance(v, str):
        return v
    if _is_int(v):
        return str(v)
    v = float(v)
    if v == 0 or not math.isfinite(v):
        return f"{v:g}"
    if 1e-4 <= abs(v) < 1e5:
        digits = max(3, math.floor(math.log10(abs(v))) + 1)
        return f"{v:.{digits}g}"
    mantissa, exponent = f"{v:.3g}".split("e")
    return f"{mantissa}e{int(exponent)}"


def _quantise(png: bytes) -> bytes:
    try:
        from PIL import Image
    except ImportError:
        return png
    image = Image.open(io.BytesIO(png)).convert("RGB")
    out = io.BytesIO()
    image.quantize(colors=96, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
        out, format="png", optimize=True)
    smaller = out.getvalue()
    return smaller if len(smaller) < len(png) else png
