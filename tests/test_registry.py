"""The generic harness: every registry entry, checked the same ways, in float64.

1. values against an independent reference (``references.REFERENCES``, plus scipy where
   available), or listed in ``FD_ONLY`` with a reason;
2. analytic gradients (VJPs with a random ``grad_output``) against torch autograd of our own
   formula, against autograd of the torch reference, against ``gradcheck`` through
   :mod:`lossbook.autograd`, and against 4th-order central finite differences;
3. NumPy/torch parity, float32, reductions, kink conventions (exactly), extreme inputs,
   and bad input raising a clear error naming the argument.

A loss is tried with every reduction its spec declares (``spec.reductions``, e.g. KL's
``'batchmean'``), and what the reductions must satisfy comes from ``spec.reduction_kind``.
Every list here is read from the registry when the module is collected.
"""
from __future__ import annotations

import inspect
import re
import types
import warnings

import numpy as np
import pytest
import torch

import lossbook
from lossbook import REGISTRY
from lossbook._reduction import KINDS, KNOWN_REDUCTIONS
from lossbook.autograd import function as autograd_function
from references import FD_ONLY, REFERENCES, SCIPY_REFERENCES

NAMES = list(REGISTRY)
LOSSES = [n for n in NAMES if REGISTRY[n].is_loss]
SEEDS = (0, 1)
KINKS = [(n, i) for n in NAMES for i in range(len(REGISTRY[n].kinks))]


# --- helpers --------------------------------------------------------------------------
def to_torch(args, requires_grad=(), dtype=None):
    out = []
    for i, a in enumerate(args):
        if isinstance(a, np.ndarray):
            t = torch.as_tensor(a)
            if dtype is not None and t.is_floating_point():
                t = t.to(dtype)
            if i in requires_grad:
                t = t.detach().clone().requires_grad_(True)
            out.append(t)
        else:
            out.append(a)
    return out


def to_np(x):
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


def example(name, seed, reduction=None):
    spec = REGISTRY[name]
    args, kwargs = spec.example(seed)
    kwargs = dict(kwargs)
    if reduction is not None:
        kwargs["reduction"] = reduction
    return spec, list(args), kwargs


def random_grad_output(value, seed):
    return np.random.default_rng(1000 + seed).uniform(0.5, 1.5, np.shape(value)) * \
        np.random.default_rng(2000 + seed).choice([-1.0, 1.0], np.shape(value))


def reduction_cases(name):
    return REGISTRY[name].reductions if REGISTRY[name].is_loss else (None,)


CASES = [(n, r) for n in NAMES for r in reduction_cases(n)]


def assert_close(actual, expected, rtol=1e-9, atol=1e-11, what=""):
    actual, expected = to_np(actual), to_np(expected)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=what)


# --- registration ---------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_entry_is_complete(name):
    spec = REGISTRY[name]
    assert getattr(lossbook, name) is spec.value
    assert getattr(lossbook, name + "_grad") is spec.grad
    assert (name in REFERENCES) != (name in FD_ONLY), "exactly one of REFERENCES / FD_ONLY"
    assert spec.formula, "the value docstring needs a '.. math::' block (the formula)"
    assert spec.gradient_formula, "the _grad docstring needs a '.. math::' block (the gradient)"
    assert spec.summary and spec.chapter and spec.catalog_id and spec.reference
    assert "Examples" in spec.value.__doc__ and ">>>" in spec.value.__doc__
    grad_params = inspect.signature(spec.grad).parameters
    assert "grad_output" in grad_params and grad_params["grad_output"].kind is inspect.Parameter.KEYWORD_ONLY
    for p in spec.params:
        assert p.options is not None or p.low <= p.default <= p.high, p


@pytest.mark.parametrize("name", LOSSES)
def test_docstring_lists_the_declared_reductions(name):
    spec = REGISTRY[name]
    assert spec.reduction_kind in KINDS
    match = re.search(r"^\s*reduction\s*:\s*\{([^}]*)\}", spec.value.__doc__, re.M)
    assert match, "the value docstring needs a 'reduction : {...}' parameter line"
    assert set(re.findall(r"'(\w+)'", match.group(1))) == set(spec.reductions)


def test_references_name_registered_functions():
    assert not (set(REFERENCES) | set(FD_ONLY) | set(SCIPY_REFERENCES)) - set(REGISTRY)


# --- values ----------------------------------------------------------------------------
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name,reduction", CASES)
def test_value_matches_reference(name, reduction, seed):
    if name in FD_ONLY:
        pytest.skip(f"no trustworthy reference: {FD_ONLY[name]}")  # covered by FD + golden tests
    spec, args, kwargs = example(name, seed, reduction)
    ours = spec.value(*args, **kwargs)
    assert isinstance(ours, np.ndarray) or np.isscalar(ours)
    assert_close(ours, REFERENCES[name](args, kwargs), what=f"{name} vs reference")
    if name in SCIPY_REFERENCES:
        assert_close(ours, SCIPY_REFERENCES[name](args, kwargs), what=f"{name} vs scipy")


@pytest.mark.parametrize("name,reduction", CASES)
def test_numpy_torch_parity(name, reduction):
    spec, args, kwargs = example(name, 3, reduction)
    value_np = spec.value(*args, **kwargs)
    g = random_grad_output(value_np, 3)
    targs = to_torch(args)
    value_t = spec.value(*targs, **kwargs)
    assert isinstance(value_t, torch.Tensor) and value_t.dtype == torch.float64
    assert_close(value_t, value_np, rtol=1e-12, atol=1e-14, what="value")
    grads_np = spec.grads(*args, grad_output=g, **kwargs)
    grads_t = spec.grads(*targs, grad_output=torch.as_tensor(g), **kwargs)
    for index, gn, gt in zip(spec.wrt, grads_np, grads_t):
        assert isinstance(gt, torch.Tensor) and isinstance(gn, np.ndarray)
        assert tuple(gn.shape) == tuple(np.shape(args[index])), f"grad {index} shape"
        assert_close(gt, gn, rtol=1e-12, atol=1e-14, what=f"grad {index}")


# --- gradients -------------------------------------------------------------------------
def _autograd_vjp(fn, spec, args, kwargs, g):
    targs = to_torch(args, requires_grad=spec.wrt)
    out = fn(targs, kwargs)
    inputs = [targs[i] for i in spec.wrt]
    if not out.requires_grad:  # piecewise-constant output (hardmax): the gradient is zero
        return [torch.zeros_like(t) for t in inputs]
    return torch.autograd.grad(out, inputs, grad_outputs=torch.as_tensor(g, dtype=out.dtype),
                               allow_unused=True)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name,reduction", CASES)
def test_grad_matches_autograd_of_formula(name, reduction, seed):
    spec, args, kwargs = example(name, seed, reduction)
    g = random_grad_output(spec.value(*args, **kwargs), seed)
    expected = _autograd_vjp(lambda a, k: spec.value(*a, **k), spec, args, kwargs, g)
    ours = spec.grads(*args, grad_output=g, **kwargs)
    for index, e, o in zip(spec.wrt, expected, ours):
        e = torch.zeros_like(torch.as_tensor(args[index])) if e is None else e
        assert_close(o, e, what=f"{name} grad wrt argument {index}")


@pytest.mark.parametrize("name,reduction", CASES)
def test_grad_matches_autograd_of_reference(name, reduction):
    if name in FD_ONLY:
        pytest.skip(f"no reference: {FD_ONLY[name]}")
    spec, args, kwargs = example(name, 4, reduction)
    probe = REFERENCES[name](to_torch(args), kwargs)
    if not isinstance(probe, torch.Tensor):
        pytest.skip("the reference is not a torch function (its values are checked above)")
    g = random_grad_output(spec.value(*args, **kwargs), 4)
    expected = _autograd_vjp(REFERENCES[name], spec, args, kwargs, g)
    ours = spec.grads(*args, grad_output=g, **kwargs)
    for index, e, o in zip(spec.wrt, expected, ours):
        e = torch.zeros_like(torch.as_tensor(args[index])) if e is None else e
        assert_close(o, e, what=f"{name} grad wrt argument {index} vs reference autograd")


@pytest.mark.parametrize("name,reduction", CASES)
def test_gradcheck_through_lossbook_autograd(name, reduction):
    spec, args, kwargs = example(name, 5, reduction)
    fn = autograd_function(name)
    targs = to_torch(args, requires_grad=spec.wrt)

    def call(*wrt_args):
        full = list(targs)
        for index, t in zip(spec.wrt, wrt_args):
            full[index] = t
        return fn(*full, **kwargs)

    frozen = spec.extra.get("frozen")
    if frozen is not None:
        # Detached factors (CIoU's alpha, Wise-IoU's focusing...): the backward is the derivative
        # of the loss with those factors held constant. The forward seen by the numerical
        # Jacobian becomes that frozen loss; the backward is still lossbook's.
        fixed = frozen(args, kwargs)
        unwrapped = call

        def call(*wrt_args):
            full = list(targs)
            for index, t in zip(spec.wrt, wrt_args):
                full[index] = t
            correction = fixed(*full) - spec.value(*full, **kwargs)
            return unwrapped(*wrt_args) + correction.detach()

    assert torch.autograd.gradcheck(call, tuple(targs[i] for i in spec.wrt), eps=1e-6, atol=1e-7)


def _finite_difference(spec, args, kwargs, g, index, h=1e-3):
    """4th-order central differences of <value, g> with respect to args[index]."""
    base = np.array(args[index], dtype=np.float64)
    grad = np.zeros_like(base)
    for k in np.ndindex(base.shape):
        values = []
        for step in (-2, -1, 1, 2):
            shifted = base.copy()
            shifted[k] += step * h
            call = list(args)
            call[index] = shifted
            values.append(float(np.sum(np.asarray(spec.value(*call, **kwargs)) * g)))
        f_m2, f_m1, f_p1, f_p2 = values
        grad[k] = (f_m2 - 8 * f_m1 + 8 * f_p1 - f_p2) / (12 * h)
    return grad


@pytest.mark.parametrize("name,reduction", CASES)
def test_grad_matches_finite_differences(name, reduction):
    spec, args, kwargs = example(name, 6, reduction)
    g = random_grad_output(spec.value(*args, **kwargs), 6)
    ours = spec.grads(*args, grad_output=g, **kwargs)
    frozen = spec.extra.get("frozen")
    if frozen is not None:  # detached factors held constant at the example (see gradcheck above)
        fixed = frozen(args, kwargs)
        target = types.SimpleNamespace(value=lambda *a, **k: fixed(*a))
    else:
        target = spec
    for index, o in zip(spec.wrt, ours):
        fd = _finite_difference(target, args, kwargs, g, index)
        scale = max(1.0, float(np.max(np.abs(fd))))
        assert_close(o, fd, rtol=1e-6, atol=1e-7 * scale, what=f"{name} grad {index} vs FD")


# --- dtypes, reductions, kinks, extremes ---------------------------------------------
@pytest.mark.parametrize("backend", ["numpy", "torch"])
@pytest.mark.parametrize("name,reduction", CASES)
def test_float32(name, reduction, backend):
    spec, args, kwargs = example(name, 7, reduction)
    ref = spec.value(*args, **kwargs)
    if backend == "numpy":
        args32 = [a.astype(np.float32) if isinstance(a, np.ndarray) and a.dtype == np.float64 else a
                  for a in args]
    else:
        args32 = to_torch(args, dtype=torch.float32)
    value = spec.value(*args32, **kwargs)
    expected_dtype = np.float32 if backend == "numpy" else torch.float32
    assert value.dtype == expected_dtype, f"value dtype {value.dtype}"
    scale = max(1.0, float(np.max(np.abs(ref)))) if np.size(ref) else 1.0
    assert_close(value, ref, rtol=1e-4, atol=1e-5 * scale, what="float32 value")
    for index, grad in zip(spec.wrt, spec.grads(*args32, **kwargs)):
        assert grad.dtype == expected_dtype, f"grad {index} dtype {grad.dtype}"
        assert np.all(np.isfinite(to_np(grad)))


def _batch(args):
    return np.shape(args[0])[0] if np.ndim(args[0]) else 1


@pytest.mark.parametrize("name", LOSSES)
def test_reductions_consistent(name):
    """Each declared reduction against 'none' and 'sum', as the spec's reduction_kind says."""
    spec, args, kwargs = example(name, 8)
    kwargs.pop("reduction", None)
    none = spec.value(*args, reduction="none", **kwargs)
    total = spec.value(*args, reduction="sum", **kwargs)
    mean = spec.value(*args, reduction="mean", **kwargs)
    assert np.ndim(total) == 0 and np.ndim(mean) == 0
    if spec.reduction_kind == "root":  # RMSE, RMSLE: the root of the reduced squares
        assert_close(np.square(total), np.sum(np.square(none)), rtol=1e-12, what="sum² == Σ none²")
        assert_close(np.square(mean) * np.size(none), np.square(total), rtol=1e-12, what="n·mean² == sum²")
        return
    assert_close(total, np.sum(none), rtol=1e-12, atol=1e-12, what="sum == none.sum()")
    assert abs(float(mean)) > 1e-8, "choose an example with a non-zero mean"
    if spec.reduction_kind == "target_length":  # CTC: each element divided by its own length
        w = spec.extra["mean_weights"](args, kwargs)
        assert not np.allclose(w, w.flat[0]), "choose an example whose weights differ"
        assert_close(mean, np.sum(w * none), rtol=1e-12, what="mean == sum(w * none)")
        g_none = spec.grads(*args, reduction="none", grad_output=np.ones(np.shape(none)), **kwargs)
        g_weighted = spec.grads(*args, reduction="none", grad_output=w, **kwargs)
        for a, b, c, d in zip(g_none, spec.grads(*args, reduction="sum", **kwargs),
                              spec.grads(*args, reduction="mean", **kwargs), g_weighted):
            assert_close(a, b, rtol=1e-12, atol=1e-14, what="grad(none, ones) == grad(sum)")
            assert_close(c, d, rtol=1e-12, atol=1e-14, what="grad(mean) == grad(none, w)")
        return
    denominator = float(total) / float(mean)
    if spec.reduction_kind == "elementwise":
        assert denominator == pytest.approx(np.size(none), rel=1e-12), "'mean' divides by the element count"
    assert denominator > 0  # 'weighted': the total weight
    g_none = spec.grads(*args, reduction="none", grad_output=np.ones(np.shape(none)), **kwargs)
    g_sum = spec.grads(*args, reduction="sum", **kwargs)
    g_mean = spec.grads(*args, reduction="mean", **kwargs)
    for a, b, c in zip(g_none, g_sum, g_mean):
        assert_close(a, b, rtol=1e-12, atol=1e-14, what="grad(none, ones) == grad(sum)")
        assert_close(c * denominator, b, rtol=1e-10, atol=1e-12, what="grad(mean) * denominator == grad(sum)")
    if "batchmean" in spec.reductions:  # KL: the sum over the batch size
        batchmean = spec.value(*args, reduction="batchmean", **kwargs)
        assert_close(batchmean * _batch(args), total, rtol=1e-12, what="batchmean * N == sum")
        for a, b in zip(spec.grads(*args, reduction="batchmean", **kwargs), g_sum):
            assert_close(a * _batch(args), b, rtol=1e-12, atol=1e-14, what="grad(batchmean) * N == grad(sum)")


@pytest.mark.parametrize("name", [n for n in LOSSES if REGISTRY[n].reduction_kind == "weighted"])
def test_weighted_mean_over_nothing_is_nan_with_zero_gradient(name):
    """Every sample ignored: 'mean' is 0/0 = NaN (quietly, as PyTorch), the gradient 0."""
    spec, args, kwargs = example(name, 8)
    ignore = spec.signature.parameters["ignore_index"].default
    args = [np.full_like(a, ignore) if isinstance(a, np.ndarray) and a.dtype.kind in "iu" else a
            for a in args]
    for call in (args, to_torch(args)):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            value = spec.value(*call, **{**kwargs, "reduction": "mean"})
            grads = spec.grads(*call, **{**kwargs, "reduction": "mean"})
        assert np.isnan(to_np(value))
        for grad in grads:
            np.testing.assert_array_equal(to_np(grad), 0.0)
    reference = REFERENCES[name](to_torch(args), {**kwargs, "reduction": "mean"})
    assert torch.isnan(reference), "PyTorch's mean over nothing is NaN too"


@pytest.mark.parametrize("name,index", KINKS)
def test_kink_convention_exact(name, index):
    spec = REGISTRY[name]
    kink = spec.kinks[index]
    expected = kink.grad if isinstance(kink.grad, tuple) else (kink.grad,)
    for backend in ("numpy", "torch"):
        args = list(kink.args) if backend == "numpy" else to_torch(list(kink.args))
        ours = spec.grads(*args, **kink.kwargs)
        for o, e in zip(ours, expected):
            np.testing.assert_array_equal(to_np(o), np.asarray(e), err_msg=f"{name}: {kink.note}")
    # and it is PyTorch's choice: autograd of the torch reference at the same point
    if name in REFERENCES:
        targs = to_torch(list(kink.args), requires_grad=spec.wrt)
        out = REFERENCES[name](targs, kink.kwargs)
        if isinstance(out, torch.Tensor) and out.requires_grad:
            autograd = torch.autograd.grad(out.sum(), [targs[i] for i in spec.wrt])
            for a, e in zip(autograd, expected):
                np.testing.assert_array_equal(to_np(a), np.asarray(e), err_msg=f"{name}: torch differs")


def extreme_example(spec, seed):
    if spec.extreme is not None:
        return spec.extreme(seed)
    args, kwargs = spec.example(seed)
    args = [a * 1e4 if i in spec.wrt and isinstance(a, np.ndarray) and a.dtype.kind == "f" else a
            for i, a in enumerate(args)]
    return args, kwargs


@pytest.mark.parametrize("name", NAMES)
def test_extreme_inputs_finite(name):
    spec = REGISTRY[name]
    args, kwargs = extreme_example(spec, 9)
    for call in (list(args), to_torch(list(args))):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            value = spec.value(*call, **kwargs)
            grads = spec.grads(*call, **kwargs)
        assert np.all(np.isfinite(to_np(value))), f"{name} value not finite at extreme inputs"
        for grad in grads:
            assert np.all(np.isfinite(to_np(grad))), f"{name} gradient not finite at extreme inputs"


# --- bad input ------------------------------------------------------------------------
def _first_float(spec, args):
    for index in spec.wrt:
        if isinstance(args[index], np.ndarray) and args[index].ndim:
            return index
    return spec.wrt[0]


@pytest.mark.parametrize("name", NAMES)
def test_nan_input_names_the_argument(name):
    spec, args, kwargs = example(name, 10)
    index = _first_float(spec, args)
    bad = np.array(args[index], dtype=np.float64)
    bad.flat[0] = np.nan
    args[index] = bad
    arg = spec.arg_names[index]
    for fn in (spec.value, spec.grad):
        with pytest.raises(ValueError, match=rf"{arg}.*NaN"):
            fn(*args, **kwargs)


@pytest.mark.parametrize("name", NAMES)
def test_integer_input_is_a_type_error(name):
    spec, args, kwargs = example(name, 11)
    index = _first_float(spec, args)
    args[index] = np.ones(np.shape(args[index]), dtype=np.int64)
    with pytest.raises(TypeError, match=spec.arg_names[index]):
        spec.value(*args, **kwargs)


@pytest.mark.parametrize("name", NAMES)
def test_mixing_numpy_and_torch_is_a_type_error(name):
    spec, args, kwargs = example(name, 12)
    arrays = [i for i, a in enumerate(args) if isinstance(a, np.ndarray)]
    if len(arrays) < 2:
        pytest.skip("one array argument: nothing to mix")
    args[arrays[-1]] = torch.as_tensor(args[arrays[-1]])
    with pytest.raises(TypeError):
        spec.value(*args, **kwargs)


@pytest.mark.parametrize("name", LOSSES)
def test_unknown_reduction(name):
    """'average' is refused, and so is every reduction the spec does not declare."""
    spec, args, kwargs = example(name, 13)
    for bad in ("average",) + tuple(r for r in KNOWN_REDUCTIONS if r not in spec.reductions):
        kwargs["reduction"] = bad
        for fn in (spec.value, spec.grad):
            with pytest.raises(ValueError, match="reduction"):
                fn(*args, **kwargs)


@pytest.mark.parametrize("name", LOSSES)
def test_empty_batch(name):
    spec, args, kwargs = example(name, 14)
    args = [a[:0] if isinstance(a, np.ndarray) and a.ndim else a for a in args]
    with pytest.raises(ValueError, match=r"empty|at least one"):
        spec.value(*args, **kwargs)


@pytest.mark.parametrize("name", LOSSES)
def test_shape_mismatch_names_an_argument(name):
    spec, args, kwargs = example(name, 15)
    index = _first_float(spec, args)
    others = [i for i, a in enumerate(args) if i != index and isinstance(a, np.ndarray) and a.ndim
              and np.shape(a)[0] == np.shape(args[index])[0]]
    if not others:
        pytest.skip("no second batch-shaped argument")
    args[others[0]] = args[others[0]][:-1]
    names = "|".join(re.escape(n) for n in spec.arg_names)
    with pytest.raises(ValueError, match=names):
        spec.value(*args, **kwargs)


# --- plotting slices ------------------------------------------------------------------
@pytest.mark.parametrize("name", [n for n in NAMES if REGISTRY[n].curve is not None])
def test_curve_slice_is_finite_and_matches_grad(name):
    spec = REGISTRY[name]
    lo, hi = spec.curve.domain
    x = np.linspace(lo, hi, 41) + 0.0123
    y, dy = spec.curve_values(x)
    assert y.shape == x.shape == dy.shape
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(dy))
    # the plotted derivative is d/dx of the plotted value (central differences, off kinks)
    h = 1e-5
    frozen = spec.extra.get("frozen")
    if frozen is None:
        fd = (spec.curve_values(x + h)[0] - spec.curve_values(x - h)[0]) / (2 * h)
    else:  # the plotted gradient holds the detached factors constant: differentiate that
        def call(z):
            a, k = spec.curve.call(z, spec.defaults)
            return list(a), {**k, "reduction": "none"}

        fixed = frozen(*call(x))
        pick = spec.curve.select or (lambda a: a)
        fd = (pick(np.asarray(fixed(*call(x + h)[0]))) - pick(np.asarray(fixed(*call(x - h)[0])))) / (2 * h)
    smooth = np.abs(fd - dy) < 1e-4
    assert smooth.mean() > 0.9, f"{name}: plotted gradient disagrees with the plotted value"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device (runs where one is lent)")
@pytest.mark.parametrize("name", NAMES)
def test_cuda_output_lives_on_the_device(name):
    spec, args, kwargs = example(name, 16)
    cargs = [a.cuda() if isinstance(a, torch.Tensor) else a for a in to_torch(args)]
    value = spec.value(*cargs, **kwargs)
    assert value.is_cuda
    assert_close(value, spec.value(*args, **kwargs), rtol=1e-10, atol=1e-12)
    for grad in spec.grads(*cargs, **kwargs):
        assert grad.is_cuda


@pytest.mark.parametrize("name", [n for n in NAMES
                                  if any(isinstance(a, np.ndarray) and a.dtype.kind in "iu"
                                         for a in REGISTRY[n].example(0)[0])])
def test_labels_out_of_range_name_the_argument(name):
    spec, args, kwargs = example(name, 17)
    for index, a in enumerate(args):
        if isinstance(a, np.ndarray) and a.dtype.kind in "iu":
            for bad_value in (10**6, -7):
                bad = a.copy()
                bad.flat[0] = bad_value
                call = list(args)
                call[index] = bad
                with pytest.raises(ValueError, match=spec.arg_names[index]):
                    spec.value(*call, **kwargs)
