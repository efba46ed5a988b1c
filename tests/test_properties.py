"""Property-based tests over EVERY registry entry (issue 14, items 8, 3, 5).

For each entry, hypothesis draws calls near the entry's example:

* **magnitudes**: entries of the differentiable inputs replaced by ±inf, ±1e300, ±1e-300 or 0;
* **dtypes**: float64/float32 on NumPy, float64/float32/float16/bfloat16 on torch;
* **hyper-parameters**: each :class:`~lossbook._spec.Param` drawn from its range (or options)
  and just outside it (plus NaN, infinities, a string, ``None``);
* **shapes**: the batch sliced or repeated; for activations, arbitrary shapes with zero-size
  axes.

Every call must end in one of two ways:

1. a ``ValueError``/``TypeError`` whose message names an argument of the function (no other
   exception, no message from deep inside NumPy or torch), raised alike by the value and by the
   gradient function; or
2. a result whose value is finite wherever the independent reference (``tests/references.py``,
   float64 torch) is finite and close to it there, in the dtype of the input (never a silent
   float64), and whose gradient agrees with torch autograd through our own torch forward
   (float64) wherever autograd's is finite.

Derandomized, no example database: the same cases run everywhere.
"""
from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lossbook import REGISTRY

from references import REFERENCES

NAMES = list(REGISTRY)
SETTINGS = dict(deadline=None, derandomize=True, database=None, print_blob=False,
                suppress_health_check=list(HealthCheck))
FEW = settings(max_examples=6, **SETTINGS)
SOME = settings(max_examples=10, **SETTINGS)

EXTREMES = (np.inf, -np.inf, 1e300, -1e300, 1e-300, -1e-300, 0.0)
TORCH_DTYPES = (torch.float64, torch.float32, torch.float16, torch.bfloat16)

#: Known classes not fixed yet, by (test, name): the reason names the class.
XFAIL: dict[tuple[str, str], str] = {
    ('magnitudes', 'gaussian_nll_loss'):
        'untriaged: two distinct failures at extreme inputs (value/gradient)',
    ('magnitudes', 'ghm_r_loss'):
        "class 5 (messages): an internal variable name leaks ('g contains NaN') at +-inf input",
    ('magnitudes', 'logsumexp'):
        'class 1 (infinities): gradient NaN at +-inf/1e300 where autograd of our torch forward is finite',
    ('magnitudes', 'lovasz_softmax_loss'):
        'untriaged: gradient differs from autograd of our forward at extreme inputs',
    ('magnitudes', 'multi_margin_loss'):
        "class 1 (infinities): gradient NaN at +-inf/1e300 where autograd of our torch forward is finite; also class 1 (infinities): value NaN at a +-inf score where PyTorch's value is finite or inf",
    ('magnitudes', 'multiclass_hinge_loss'):
        "class 1 (infinities): value NaN at a +-inf score where PyTorch's value is finite or inf",
    ('magnitudes', 'multilabel_margin_loss'):
        "class 1 (infinities): value NaN at a +-inf score where PyTorch's value is finite or inf",
    ('magnitudes', 'relu6'):
        'untriaged: analytic gradient differs from autograd of our torch forward at an inserted 0 or +-1e-300 (likely a kink convention hit by the harness, not yet separated from a bug)',
    ('magnitudes', 'sparsemax'):
        'class 1 (infinities): gradient NaN at +-inf/1e300 where autograd of our torch forward is finite',
    ('magnitudes', 'sparsemax_loss'):
        'untriaged: analytic gradient differs from autograd of our torch forward at an inserted 0 or +-1e-300 (likely a kink convention hit by the harness, not yet separated from a bug)',
    ('magnitudes', 'swish'):
        'class 1 (infinities): gradient NaN at +-inf/1e300 where autograd of our torch forward is finite',
    ('magnitudes', 'zero_one_loss'):
        "untriaged: value differs from scikit-learn's with a 0 or +-1e-300 score (sign convention at 0?)",
    ('params', 'focal_dice_loss'):
        'untriaged: value differs from the reference for drawn hyper-parameters (reference may ignore kind=)',
    ('params', 'lovasz_hinge_loss'):
        "untriaged: value differs from kornia's for drawn hyper-parameters",
    ('params', 'lovasz_softmax_loss'):
        "untriaged: value differs from kornia's (1e-6 relative) for drawn hyper-parameters",
}


def _xfail(test: str):
    return [pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=XFAIL[(test, n)]))
            if (test, n) in XFAIL else n for n in NAMES]


# --- helpers ---------------------------------------------------------------------------
def _argument_names(spec) -> tuple[str, ...]:
    return tuple(p for p in spec.signature.parameters if p not in ("grad_output",))


def _names_an_argument(err: Exception, spec) -> bool:
    text = str(err)
    return any(re.search(rf"(?<![\w.]){re.escape(n)}(?!\w)", text) for n in _argument_names(spec))


class Refused(Exception):
    """The call was refused with a clear error (the test accepts it)."""


def _call(fn, spec, args, kwargs, what):
    """``fn(*args, **kwargs)``, or :class:`Refused` for a clear error naming an argument.

    Any other exception, or a ValueError/TypeError that names no argument, fails the test.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn(*args, **kwargs)
    except (ValueError, TypeError) as err:
        if not _names_an_argument(err, spec):
            raise AssertionError(f"{spec.name} {what}: {type(err).__name__} names no argument "
                                 f"of {_argument_names(spec)}: {err}") from err
        raise Refused(type(err)) from err
    except Exception as err:   # noqa: BLE001 - the point: nothing internal escapes
        raise AssertionError(f"{spec.name} {what}: internal {type(err).__name__}: {err}") from err


def _both(spec, args, kwargs):
    """(value, grads) or None if refused; value and gradient must refuse alike."""
    outcomes = []
    for fn, what in ((spec.value, "value"), (spec.grads, "grad")):
        try:
            outcomes.append(_call(fn, spec, args, kwargs, what))
        except Refused as refused:
            outcomes.append(refused)
    value, grads = outcomes
    if isinstance(value, Refused) or isinstance(grads, Refused):
        assert isinstance(value, Refused) and isinstance(grads, Refused), (
            f"{spec.name}: value {'refuses' if isinstance(value, Refused) else 'accepts'} but "
            f"grad {'refuses' if isinstance(grads, Refused) else 'accepts'} the same call")
        return None
    return value, grads


def _np(x):
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().double().numpy()
    return np.asarray(x, dtype=np.float64)


def _float_arrays(args):
    return [i for i, a in enumerate(args) if isinstance(a, np.ndarray) and a.dtype.kind == "f"]


def _to_torch(args, dtype=None, requires_grad=()):
    out = []
    for i, a in enumerate(args):
        if isinstance(a, np.ndarray):
            t = torch.as_tensor(a)
            if dtype is not None and t.is_floating_point():
                t = t.to(dtype)
            if i in requires_grad and t.is_floating_point():
                t = t.detach().clone().requires_grad_(True)
            out.append(t)
        else:
            out.append(a)
    return out


def _reference(spec, args, kwargs):
    """The reference value (float64 NumPy) or None where it has no say (absent or raising)."""
    ref = REFERENCES.get(spec.name)
    if ref is None:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = ref(list(args), dict(kwargs))
        return _np(out)
    except Exception:   # noqa: BLE001 - a library refusing inf has no say on our value
        return None


def _close_where_finite(ours, theirs, what, rtol=1e-6):
    ours, theirs = _np(ours), _np(theirs)
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} vs {theirs.shape}"
    finite = np.isfinite(theirs)
    assert np.all(np.isfinite(ours[finite])), (
        f"{what}: not finite where the reference is: ours {ours[finite & ~np.isfinite(ours)][:4]}")
    scale = np.maximum(1.0, np.abs(theirs[finite]))
    bad = np.abs(ours[finite] - theirs[finite]) > rtol * scale
    assert not bad.any(), f"{what}: ours {ours[finite][bad][:4]} vs reference {theirs[finite][bad][:4]}"


def _grad_output(value):
    shape = np.shape(_np(value))
    return np.linspace(0.5, 1.5, int(np.prod(shape))).reshape(shape) if shape else np.asarray(1.0)


def _autograd(spec, args, kwargs, g):
    """Autograd of OUR torch forward (float64), the wrt inputs' gradients (None: not torch-able)."""
    targs = _to_torch(args, requires_grad=spec.wrt)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = spec.value(*targs, **kwargs)
        inputs = [targs[i] for i in spec.wrt]
        if not out.requires_grad:
            return [np.zeros(np.shape(t)) for t in inputs]
        grads = torch.autograd.grad(out, inputs, grad_outputs=torch.as_tensor(g, dtype=out.dtype),
                                    allow_unused=True)
    return [np.zeros(np.shape(t)) if d is None else _np(d) for t, d in zip(inputs, grads)]


def check(spec, args, kwargs, *, reference=True, autograd=True):
    """The property: refused clearly, or finite where the reference is and autograd-consistent."""
    got = _both(spec, args, kwargs)
    if got is None:
        return "refused"
    value, _ = got
    if reference:
        ref = _reference(spec, args, kwargs)
        if ref is not None:
            _close_where_finite(value, ref, f"{spec.name} value vs reference")
    if autograd:
        g = _grad_output(value)
        ours = _call(spec.grads, spec, args, {**kwargs, "grad_output": g}, "grad")
        theirs = _autograd(spec, args, kwargs, g)
        for index, o, t in zip(spec.wrt, ours, theirs):
            _close_where_finite(o, t, f"{spec.name} grad {spec.arg_names[index]} vs autograd",
                                rtol=1e-6)
    return "ok"


def _example(spec, seed):
    args, kwargs = spec.example(seed)
    return list(args), dict(kwargs)


# --- magnitudes ----------------------------------------------------------------------------
@st.composite
def extreme_inputs(draw, spec):
    args, kwargs = _example(spec, draw(st.integers(0, 3)))
    targets = [i for i in spec.wrt if isinstance(args[i], np.ndarray) and args[i].dtype.kind == "f"
               and args[i].size]
    for i in draw(st.lists(st.sampled_from(targets), min_size=1, max_size=len(targets), unique=True)) \
            if targets else []:
        a = args[i].copy()
        flat = a.reshape(-1)
        positions = draw(st.lists(st.integers(0, flat.size - 1), min_size=1, max_size=3, unique=True))
        for p in positions:
            flat[p] = draw(st.sampled_from(EXTREMES))
        args[i] = a
    return args, kwargs


@pytest.mark.parametrize("name", _xfail("magnitudes"))
def test_extreme_magnitudes(name):
    spec = REGISTRY[name]

    @FEW
    @given(extreme_inputs(spec))
    def run(case):
        check(spec, *case)

    run()


# --- dtypes --------------------------------------------------------------------------------
@st.composite
def dtype_inputs(draw, spec):
    args, kwargs = _example(spec, draw(st.integers(0, 3)))
    backend = draw(st.sampled_from(["numpy", "torch"]))
    if backend == "numpy":
        dtype = draw(st.sampled_from([np.float64, np.float32]))
        cast = [a.astype(dtype) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a for a in args]
    else:
        dtype = draw(st.sampled_from(TORCH_DTYPES))
        cast = _to_torch(args, dtype=dtype)
    return args, cast, kwargs, dtype


@pytest.mark.parametrize("name", _xfail("dtypes"))
def test_dtypes(name):
    spec = REGISTRY[name]

    @SOME
    @given(dtype_inputs(spec))
    def run(case):
        args64, args, kwargs, dtype = case
        got = _both(spec, args, kwargs)
        if got is None:
            return
        value, grads = got
        for what, out in [("value", value)] + [(f"grad {spec.arg_names[i]}", g)
                                               for i, g in zip(spec.wrt, grads)]:
            assert out.dtype == dtype, f"{name} {what}: dtype {out.dtype} for {dtype} input"
        expected = _np(spec.value(*args64, **kwargs))
        ours = _np(value)
        big = np.abs(expected) >= (torch.finfo(dtype).max / 4 if isinstance(dtype, torch.dtype)
                                   else np.finfo(dtype).max / 4)
        assert np.all(np.isfinite(ours[np.isfinite(expected) & ~big])), \
            f"{name}: value not finite in {dtype} where the float64 value is"

    run()


# --- hyper-parameters ----------------------------------------------------------------------
def _param_values(param):
    if param.options is not None:
        inside = st.sampled_from(list(param.options))
        outside = st.sampled_from(["no-such-option", None, 2.5, -1])
        return inside, outside
    integer = isinstance(param.default, int) and not isinstance(param.default, bool)
    if integer:
        inside = st.integers(int(param.low), int(param.high))
        outside = st.sampled_from([int(param.low) - 1, int(param.high) + 1, 2.5, float("nan"), "3", None])
        return inside, outside
    span = param.high - param.low
    inside = st.floats(param.low, param.high, allow_nan=False)
    outside = st.sampled_from([param.low - 1e-3 * span, param.high + 1e-3 * span, param.low - span,
                               float("nan"), float("inf"), -float("inf"), "1.0", None,
                               np.array([param.default, param.default])])
    return inside, outside


def _tunable(spec):
    """Params passed as keywords (an array-valued positional argument, e.g. PReLU's weight, is
    an input, drawn by the magnitude test)."""
    positional = spec.arg_names
    return [p for p in spec.params if p.name not in positional]


@st.composite
def param_inputs(draw, spec):
    args, kwargs = _example(spec, draw(st.integers(0, 3)))
    params = _tunable(spec)
    chosen = draw(st.lists(st.sampled_from(params), min_size=1, max_size=len(params), unique_by=lambda p: p.name))
    for p in chosen:
        inside, outside = _param_values(p)
        kwargs[p.name] = draw(st.one_of(inside, outside) if draw(st.booleans()) else inside)
    return args, kwargs


@pytest.mark.parametrize("name", _xfail("params"))
def test_hyper_parameters(name):
    spec = REGISTRY[name]
    if not _tunable(spec):
        pytest.skip("no keyword hyper-parameter")

    @SOME
    @given(param_inputs(spec))
    def run(case):
        check(spec, *case)

    run()


# --- shapes --------------------------------------------------------------------------------
@st.composite
def shaped_inputs(draw, spec):
    args, kwargs = _example(spec, draw(st.integers(0, 3)))
    if not spec.is_loss and len(_float_arrays(args)) == 1 and len(args) == 1 and \
            draw(st.booleans()):
        # an activation over any shape, zero-size axes included
        shape = tuple(draw(st.lists(st.integers(0, 4), min_size=0, max_size=3)))
        if "num_pieces" in kwargs or spec.name == "glu":
            shape = shape[:-1] + (2 * (shape[-1] if shape else 1) * 3,) if shape else (6,)
        a = np.random.default_rng(draw(st.integers(0, 9))).uniform(-3, 3, shape)
        dims = [k for k in ("dim",) if k in kwargs]
        for k in dims:
            kwargs[k] = -1
        return [a], kwargs
    n = next((args[i].shape[0] for i in spec.wrt if isinstance(args[i], np.ndarray) and args[i].ndim), None)
    if n is None:
        return args, kwargs
    k = draw(st.integers(1, 2 * n))
    out = []
    for a in args:
        if isinstance(a, np.ndarray) and a.ndim and a.shape[0] == n:
            a = np.concatenate([a, a])[:k] if k > n else a[:k]
        out.append(a)
    return out, kwargs


@pytest.mark.parametrize("name", _xfail("shapes"))
def test_shapes(name):
    spec = REGISTRY[name]

    @FEW
    @given(shaped_inputs(spec))
    def run(case):
        check(spec, *case)

    run()
