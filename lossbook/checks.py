"""Checking gradients: the chapters' "check the derivation" cell, and ``lossbook.check`` for students.

:func:`check_derivation` compares three gradients of a registry entry at one input: the
analytic ``_grad`` (the derivation written in the chapter), torch autograd applied to the same
value formula, and 4th-order central finite differences. It returns a small table.

:func:`check` compares *your* implementation of a function (its value, its gradient, or
both) with ours on random inputs, on extreme inputs and at the kinks, and says what is wrong:
the value, the shape, the reduction, the gradient, or an edge case.
"""
from __future__ import annotations

import html
import inspect
import warnings
from dataclasses import dataclass, field

import numpy as np

from ._backend import to_numpy
from .registry import get

__all__ = ["check_derivation", "check_derivations", "check", "DerivationCheck", "DerivationChecks",
           "CheckReport", "finite_difference"]


def finite_difference(fn, args, index, grad_output, h: float = 1e-3):
    """4th-order central differences of :math:`\\langle f(\\text{args}), g\\rangle` w.r.t. ``args[index]``.

    ``fn`` maps the positional arguments (NumPy float64) to an array; ``grad_output`` is
    :math:`g`, shaped like the output. Truncation error :math:`O(h^4)`.
    """
    base = np.array(args[index], dtype=np.float64)
    grad = np.zeros_like(base)
    g = np.asarray(grad_output, dtype=np.float64)
    for k in np.ndindex(base.shape):
        total = 0.0
        for step, weight in ((-2, 1.0), (-1, -8.0), (1, 8.0), (2, -1.0)):
            shifted = base.copy()
            shifted[k] += step * h
            call = list(args)
            call[index] = shifted
            total += weight * float(np.sum(np.asarray(fn(*call)) * g))
        grad[k] = total / (12.0 * h)
    return grad


def _status(diff: float, scale: float) -> str:
    if diff == 0.0:
        return "exact"
    if diff <= 1e-9 * max(1.0, scale):
        return "close"
    if diff <= 1e-6 * max(1.0, scale):
        return "close (FD accuracy)"
    return "MISMATCH"


@dataclass
class DerivationCheck:
    """The table of :func:`check_derivation`: one row per comparison."""

    name: str
    rows: list = field(default_factory=list)  # (comparison, max |diff|, status)

    @property
    def ok(self) -> bool:
        return all(status != "MISMATCH" for _, _, status in self.rows)

    def __repr__(self) -> str:
        width = max(len(r[0]) for r in self.rows) if self.rows else 10
        lines = [f"check_derivation({self.name!r}): {'OK' if self.ok else 'FAILED'}",
                 f"{'comparison':<{width}}  {'max |diff|':>10}  status"]
        lines += [f"{c:<{width}}  {d:>10.2e}  {s}" for c, d, s in self.rows]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        body = "".join(f"<tr><td>{html.escape(c)}</td><td>{d:.2e}</td><td>{html.escape(s)}</td></tr>"
                       for c, d, s in self.rows)
        verdict = "all agree" if self.ok else "MISMATCH"
        return (f"<table><caption><code>{html.escape(self.name)}</code>: {verdict}</caption>"
                f"<tr><th>comparison</th><th>max |diff|</th><th>status</th></tr>{body}</table>")


def check_derivation(name: str, args=None, kwargs=None, *, seed: int = 0, grad_output=None):
    """Compare the analytic gradient of ``name`` with autograd and with finite differences.

    Parameters
    ----------
    name : str
        A registry name.
    args, kwargs : tuple, dict, optional
        The call; ``spec.example(seed)`` by default (float64, away from kinks).
    seed : int
        Seed of the example and of the random ``grad_output``.
    grad_output : array, optional
        The incoming gradient; random (not ones: ones hide wrong VJPs) by default.

    Returns
    -------
    DerivationCheck
        Rows "analytic vs autograd" and "analytic vs finite differences" per differentiable
        argument, with the maximum absolute difference; ``.ok`` is False on a mismatch. For an
        entry with detached factors (``spec.extra["frozen"]``, e.g. :func:`~lossbook.ciou_loss`)
        the finite differences are those of the loss with the factors held constant, and the
        row says so.

    Examples
    --------
    >>> import lossbook.checks as lc
    >>> lc.check_derivation("sigmoid").ok
    True
    """
    import torch

    spec = get(name)
    if args is None:
        args, default_kwargs = spec.example(seed)
        kwargs = {**default_kwargs, **(kwargs or {})}
    kwargs = dict(kwargs or {})
    args = [np.asarray(a) if isinstance(a, (list, tuple)) else a for a in args]
    value = np.asarray(spec.value(*args, **kwargs))
    if grad_output is None:
        rng = np.random.default_rng(seed + 1)
        grad_output = rng.uniform(0.5, 1.5, value.shape) * rng.choice([-1.0, 1.0], value.shape)
    grad_output = np.asarray(grad_output, dtype=np.float64)
    analytic = spec.grads(*args, grad_output=grad_output, **kwargs)

    targs = [torch.tensor(a, requires_grad=i in spec.wrt) if isinstance(a, np.ndarray) else a
             for i, a in enumerate(args)]
    out = spec.value(*targs, **kwargs)
    inputs = [targs[i] for i in spec.wrt]
    if out.requires_grad:
        autograd = torch.autograd.grad(out, inputs, torch.as_tensor(grad_output), allow_unused=True)
    else:
        autograd = [None] * len(inputs)

    # Detached factors (CIoU's alpha, Wise-IoU's focusing...): the gradient is that of the loss
    # with those factors held constant at this call, so the finite differences differentiate
    # that frozen loss, ``spec.extra["frozen"](args, kwargs)`` (as tests/test_registry.py does).
    frozen = spec.extra.get("frozen")
    if frozen is None:
        differentiated, fd_label = (lambda *a: spec.value(*a, **kwargs)), "finite differences"
    else:
        differentiated, fd_label = frozen(args, kwargs), "finite differences (detached factors held constant)"

    result = DerivationCheck(name)
    for position, (index, ours) in enumerate(zip(spec.wrt, analytic)):
        ours = to_numpy(ours)
        arg = spec.arg_names[index]
        auto = autograd[position]
        auto = np.zeros_like(ours) if auto is None else to_numpy(auto)
        fd = finite_difference(differentiated, args, index, grad_output)
        scale = float(np.max(np.abs(fd))) if fd.size else 1.0
        d_auto = float(np.max(np.abs(ours - auto))) if ours.size else 0.0
        d_fd = float(np.max(np.abs(ours - fd))) if ours.size else 0.0
        result.rows.append((f"d/d{arg}: analytic vs autograd", d_auto, _status(d_auto, scale)))
        result.rows.append((f"d/d{arg}: analytic vs {fd_label}", d_fd,
                            "close (FD accuracy)" if _status(d_fd, scale) != "MISMATCH" else "MISMATCH"))
    return result


@dataclass
class DerivationChecks:
    """Several :class:`DerivationCheck` as ONE labelled table, a row per function and
    comparison (a chapter's section shows one table, not a run of unlabelled ones).
    ``checks`` holds ``(label, DerivationCheck)`` pairs."""

    checks: list
    title: str = "Derivation check"

    @property
    def ok(self) -> bool:
        return all(c.ok for _, c in self.checks)

    def _rows(self):
        return [(label, comparison, d, status)
                for label, c in self.checks for comparison, d, status in c.rows]

    def __repr__(self) -> str:
        rows = self._rows()
        w0 = max([len("function")] + [len(r[0]) for r in rows])
        w1 = max([len("comparison")] + [len(r[1]) for r in rows])
        lines = [f"{self.title}: {'all agree' if self.ok else 'MISMATCH'}",
                 f"{'function':<{w0}}  {'comparison':<{w1}}  {'max |diff|':>10}  status"]
        lines += [f"{n:<{w0}}  {c:<{w1}}  {d:>10.2e}  {s}" for n, c, d, s in rows]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        body = "".join(
            f"<tr><td><code>{html.escape(label)}</code></td><td>{html.escape(comparison)}</td>"
            f"<td>{d:.2e}</td><td>{html.escape(status)}</td></tr>"
            for label, comparison, d, status in self._rows())
        verdict = "all agree" if self.ok else "MISMATCH"
        return (f"<table><caption>{html.escape(self.title)}: {verdict}</caption>"
                f"<tr><th>function</th><th>comparison</th><th>max |diff|</th><th>status</th></tr>"
                f"{body}</table>")


def check_derivations(items, *, seed: int = 0, title: str = "Derivation check") -> DerivationChecks:
    """:func:`check_derivation` of several functions, as one table.

    Each item is a registry name (checked on its default example with ``seed``), a
    :class:`DerivationCheck` already computed (e.g. with other ``kwargs``), or a
    ``(label, DerivationCheck)`` pair naming that row group.

    Examples
    --------
    >>> import lossbook.checks as lc
    >>> result = lc.check_derivations(["sigmoid", ("tanh, seed 3", lc.check_derivation("tanh", seed=3))])
    >>> result.ok, [label for label, _ in result.checks]
    (True, ['sigmoid', 'tanh, seed 3'])
    """
    if isinstance(items, str):
        raise TypeError(f"check_derivations: items must be a list of registry names or checks, "
                        f"got the string {items!r} (use check_derivation for one)")
    checks = []
    for item in items:
        if isinstance(item, str):
            checks.append((item, check_derivation(item, seed=seed)))
        elif isinstance(item, DerivationCheck):
            checks.append((item.name, item))
        elif (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str)
              and isinstance(item[1], DerivationCheck)):
            checks.append(item)
        else:
            raise TypeError("check_derivations: each item must be a registry name, a "
                            f"DerivationCheck or a (label, DerivationCheck) pair, got {item!r}")
    return DerivationChecks(checks, title=title)


# --- lossbook.check ----------------------------------------------------------------------
@dataclass
class CheckReport:
    """What :func:`check` found: a list of ``(ok, message)`` findings."""

    name: str
    findings: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(ok for ok, _ in self.findings)

    def add(self, ok: bool, message: str):
        self.findings.append((bool(ok), message))

    def __bool__(self) -> bool:
        return self.ok

    def __repr__(self) -> str:
        head = f"lossbook.check({self.name!r}): " + ("all checks passed" if self.ok else "PROBLEMS FOUND")
        return "\n".join([head] + [("  ok    " if ok else "  FAIL  ") + m for ok, m in self.findings])

    def _repr_html_(self) -> str:
        items = "".join(f"<li>{'✅' if ok else '❌'} {html.escape(m)}</li>" for ok, m in self.findings)
        head = "all checks passed" if self.ok else "problems found"
        return f"<p><code>lossbook.check({html.escape(self.name)!s})</code>: {head}</p><ul>{items}</ul>"


def _accepts(fn, keyword: str) -> bool:
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return True
    return keyword in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


class _Unusable(Exception):
    """A student's result that is not an array of numbers (None, a string, a dict, ...)."""


def _as_array(result, what: str) -> np.ndarray:
    """A student's returned value as a float array, or :class:`_Unusable` saying why not."""
    if result is None:
        raise _Unusable(f"your {what} function returned None — is a `return` missing?")
    if hasattr(result, "detach") and hasattr(result, "cpu"):  # a torch tensor (may require grad)
        result = result.detach().cpu().numpy()
    if isinstance(result, (str, bytes, dict, set)) or callable(result):
        raise _Unusable(f"your {what} function returned a {type(result).__name__}, "
                        "expected a NumPy array (or a number)")
    try:
        array = np.asarray(result)
    except (ValueError, TypeError) as err:  # ragged lists
        raise _Unusable(f"your {what} function returned a {type(result).__name__} that is not an "
                        "array of numbers (rows of different lengths?)") from None
    if array.dtype.kind not in "fiub":
        raise _Unusable(f"your {what} function returned an array of {array.dtype} "
                        "(expected real numbers)")
    return array.astype(np.float64)


def _call_student(fn, args, kwargs, per_argument=0, what="value"):
    """Call ``fn`` with the keywords it accepts; returns (result, dropped keywords).

    With ``per_argument`` = k > 1 (a gradient with k differentiable arguments) the result must be
    a tuple (or list) of k arrays, which may have different shapes.
    """
    accepted = {k: v for k, v in kwargs.items() if _accepts(fn, k)}
    dropped = sorted(set(kwargs) - set(accepted))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the student's overflow is reported as a finding instead
        result = fn(*[np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args], **accepted)
    if per_argument > 1:
        if not isinstance(result, (tuple, list)):
            raise _Unusable(f"your {what} function returned a {type(result).__name__}, expected a "
                            f"tuple of {per_argument} gradients (one per differentiable argument)")
        if len(result) != per_argument:
            raise _Unusable(f"your {what} function returned {len(result)} gradients, expected "
                            f"{per_argument} (one per differentiable argument)")
        return tuple(_as_array(r, what) for r in result), dropped
    if isinstance(result, tuple):
        raise _Unusable(f"your {what} function returned a tuple of {len(result)}, expected one array "
                        "(this function has one differentiable argument)")
    return _as_array(result, what), dropped


def _relies_on(spec, fn, args, kwargs) -> list:
    """Keywords of ours that this case relies on (``spec.extra["features"]``) and ``fn`` does not take."""
    return sorted(k for k, uses in spec.extra.get("features", {}).items()
                  if not _accepts(fn, k) and uses(args, kwargs))


#: What 'mean' divides by, by the spec's reduction_kind (lossbook._reduction.KINDS).
_MEAN_DIVIDES_BY = {
    "elementwise": "the number of elements",
    "weighted": "the total weight of the samples (their number without class weights; ignored ones do not count)",
    "root": "the number of elements before the square root",
    "anchors": "the number of anchors with a positive (anchors without one do not count)",
    "target_length": "each sequence's target length first, then the batch size",
}


def _compare(report, what, theirs, ours, where, rtol, atol, spec, args, kwargs):
    ours = np.asarray(to_numpy(ours))
    if theirs.shape != ours.shape:
        hint = ""
        if spec.is_loss and ours.ndim == 0 and theirs.size > 1:
            hint = " — it returns one number per element: apply the reduction (the default is the mean)"
        elif spec.is_loss and theirs.ndim == 0 and ours.ndim > 0:
            hint = " — it reduces although reduction='none' asks for one loss per element"
        report.add(False, f"{what} {where}: shape {theirs.shape}, expected {ours.shape}{hint}")
        return False
    if not np.all(np.isfinite(theirs)) and np.all(np.isfinite(ours)):
        report.add(False, f"{what} {where}: your result has inf/NaN where ours is finite — "
                          "use a numerically stable form (log-sum-exp, softplus, log1p)")
        return False
    if np.allclose(theirs, ours, rtol=rtol, atol=atol):
        return True
    diff = float(np.max(np.abs(theirs - ours)))
    hint = ""
    if ours.size and np.allclose(theirs, -ours, rtol=rtol, atol=atol):
        hint = " — it has the opposite sign"
    elif spec.is_loss and kwargs.get("reduction", "mean") == "batchmean":
        mean = to_numpy(spec.value(*args, **{**kwargs, "reduction": "mean"}))
        if what == "value" and np.allclose(theirs, mean, rtol=rtol, atol=atol):
            hint = (" — it equals reduction='mean' (divided by the number of elements); "
                    "'batchmean' divides the sum by the batch size input.shape[0]")
    elif spec.is_loss and kwargs.get("reduction", "mean") == "mean":
        total = to_numpy(spec.value(*args, **{**kwargs, "reduction": "sum"}))
        if what == "value" and np.allclose(theirs, total, rtol=rtol, atol=atol):
            hint = f" — it equals the SUM; reduction='mean' divides by {_MEAN_DIVIDES_BY[spec.reduction_kind]}"
        elif what == "gradient":
            ratio = theirs / np.where(ours == 0, np.nan, ours)
            finite = ratio[np.isfinite(ratio)]
            if finite.size and np.allclose(finite, finite.flat[0], rtol=1e-6) and abs(finite.flat[0] - 1) > 1e-6:
                hint = f" — it is {finite.flat[0]:.4g} times ours (a missing or extra factor, e.g. the 1/n of the mean or a 2 from the square)"
    elif ours.size and ours.ndim and np.any(np.isclose(theirs, ours, rtol=rtol, atol=atol)):
        wrong = np.argwhere(~np.isclose(theirs, ours, rtol=rtol, atol=atol))[0]
        hint = f" — first wrong entry at index {tuple(int(i) for i in wrong)}"
    report.add(False, f"{what} {where}: max |difference| {diff:.3g}{hint}")
    return False


def check(name: str, value=None, grad=None, *, seeds=(0, 1, 2), rtol: float = 1e-6, atol: float = 1e-8):
    """Compare your implementation of ``name`` with lossbook's and say what is wrong.

    Parameters
    ----------
    name : str
        A registry name, e.g. ``"sigmoid"`` or ``"huber_loss"``.
    value : callable, optional
        Your value function, called like ``lossbook.<name>`` with NumPy float64 arrays. It may
        omit keyword arguments it does not support (e.g. ``reduction``); they are then left at
        their defaults and the report says so.
    grad : callable, optional
        Your gradient function (without ``grad_output``), called the same way; for several
        differentiable arguments it returns a tuple in ``REGISTRY[name].wrt`` order.
    seeds : tuple of int
        Random examples to try.
    rtol, atol : float
        Tolerances of the comparison.

    Returns
    -------
    CheckReport
        Truthy when everything matches; its text lists each check.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> report = lossbook.check("logsigmoid", value=lambda x: np.log(1 / (1 + np.exp(-x))))
    >>> report.ok
    False
    >>> print(report)  # doctest: +ELLIPSIS
    lossbook.check('logsigmoid'): PROBLEMS FOUND
      FAIL  value at extreme inputs (|x| ~ 1e4): your result has inf/NaN where ours is finite ...
      FAIL  value: 3 of 4 cases match
    """
    spec = get(name)
    if value is None and grad is None:
        raise ValueError("pass value=<your function>, grad=<your gradient>, or both")
    report = CheckReport(name)
    reductions = spec.reductions if spec.is_loss else (None,)  # every reduction the spec declares

    cases = []
    for seed in seeds:
        args, kwargs = spec.example(seed)
        for reduction in reductions:
            kw = dict(kwargs) if reduction is None else {**kwargs, "reduction": reduction}
            cases.append((f"on random example {seed}" + (f" (reduction={reduction!r})" if reduction else ""),
                          list(args), kw))
    extreme = spec.extreme(seeds[0]) if spec.extreme is not None else None
    if extreme is None:
        args, kwargs = spec.example(seeds[0])
        args = [a * 1e4 if i in spec.wrt and isinstance(a, np.ndarray) and a.dtype.kind == "f" else a
                for i, a in enumerate(args)]
        extreme = (args, kwargs)
    cases.append(("at extreme inputs (|x| ~ 1e4)", list(extreme[0]), dict(extreme[1])))

    for label, (fn) in (("value", value), ("gradient", grad)):
        if fn is None:
            continue
        passed, compared, notes, unusable = 0, 0, set(), {}
        k = len(spec.wrt) if label == "gradient" else 1
        for where, args, kwargs in cases:
            missing = _relies_on(spec, fn, args, kwargs)
            if missing:
                notes.add(f"not counted: the cases that use {', '.join(missing)} (your {label} "
                          f"function does not take {', '.join(missing)})")
                continue
            compared += 1
            try:
                theirs, dropped = _call_student(fn, args, kwargs, per_argument=k, what=label)
            except _Unusable as err:  # the same reason every time: said once, with the count
                unusable[str(err)] = unusable.get(str(err), 0) + 1
                continue
            except Exception as err:  # the student's code: report, never crash
                report.add(False, f"{label} {where}: your function raised {type(err).__name__}: {err}")
                continue
            if "reduction" in dropped and kwargs.get("reduction", "mean") != "mean":
                notes.add(f"not counted: reduction={kwargs['reduction']!r} (your {label} function "
                          "does not take reduction; only the default 'mean' was compared)")
                compared -= 1
                continue
            if dropped:
                notes.add(f"your {label} function does not take {', '.join(dropped)}: compared at the defaults")
                kwargs = {k: v for k, v in kwargs.items() if k not in dropped}
            if label == "value":
                ours = spec.value(*args, **kwargs)
                ok = _compare(report, "value", theirs, ours, where, rtol, atol, spec, args, kwargs)
            else:
                ours_all = spec.grads(*args, **kwargs)
                theirs_all = (theirs,) if k == 1 else theirs
                ok = all([_compare(report, "gradient" + (f" for {spec.arg_names[i]}" if k > 1 else ""),
                                   t, o, where, rtol, atol, spec, args, kwargs)
                          for i, t, o in zip(spec.wrt, theirs_all, ours_all)])
            passed += ok
        for note in sorted(notes):
            report.add(True, note)
        for reason, count in unusable.items():
            report.add(False, f"{label} ({count} of {compared} cases): {reason}")
        if compared == 0:
            report.add(False, f"{label}: no case could be compared")
        else:
            report.add(passed == compared, f"{label}: {passed} of {compared} cases match")
        if label == "gradient":
            for kink in spec.kinks:
                try:
                    theirs, _ = _call_student(fn, list(kink.args), dict(kink.kwargs), per_argument=k,
                                              what=label)
                except _Unusable as err:
                    report.add(False, f"gradient at a kink: {err}")
                    continue
                except Exception as err:
                    report.add(False, f"gradient at a kink: your function raised {type(err).__name__}: {err}")
                    continue
                expected = kink.grad if isinstance(kink.grad, tuple) else (kink.grad,)
                theirs_all = (theirs,) if k == 1 else theirs
                same = all(np.shape(t) == np.shape(e) and np.array_equal(t, np.asarray(e))
                           for t, e in zip(theirs_all, expected))
                point = ", ".join(str(np.asarray(a).tolist()) for a in kink.args)
                report.add(same, f"gradient at the kink ({point}): "
                                 + (f"matches the convention ({kink.note})" if same else
                                    f"the convention ({kink.note}) gives "
                                    f"{[np.asarray(e).tolist() for e in expected]}, "
                                    f"yours {[np.asarray(t).tolist() for t in theirs_all]}"))
    # passed findings first, so the last lines of a failed report are the failures
    report.findings.sort(key=lambda f: f[0], reverse=True)
    return report
