"""The kit a family module is built from: argument checks, example factories, the spec factory.

A family module imports it once, ``from .. import _kit as kit``, and takes from it

* **argument checks** that raise a clear error starting with the argument's name:
  ``TypeError`` for the wrong kind or dtype, ``ValueError`` for a wrong shape, NaN, values out
  of range or an empty batch. Arrays: :func:`floating`, :func:`nonempty`, :func:`labels`,
  :func:`sign_labels` (:math:`\\{-1,+1\\}`), :func:`binary_labels` (:math:`\\{0,1\\}`),
  :func:`probabilities`, :func:`log_probabilities`, :func:`values_in`, :func:`nonzero`,
  :func:`has_shape`, :func:`has_ndim`; pairs: :func:`pair` (an input and its target),
  :func:`match`, :func:`same_kind`, :func:`same_dtype`, :func:`same_shape`,
  :func:`class_targets`, :func:`aux_array`; hyper-parameters: :func:`number` (the one range
  check: NaN, non-numbers, booleans and values outside an interval), :func:`choice`,
  :func:`flag` (a switch: ``True`` or ``False``, not 1 or 0), :func:`axis`, and
  ``check_reduction``;
* **array helpers**: :func:`cast_like`, :func:`class_axis`, :func:`expand_classes`, and
  ``numel``/``to_numpy``/``is_torch``/``namespace`` from the backend;
* **example factories** for registry entries: :func:`rng`, :func:`real`, :func:`f64`,
  :func:`signs`, :func:`zero_ones`, :func:`class_labels`, and the curve helpers
  :func:`with_target`, :func:`true_class_logit`, :func:`first_column`;
* **one way to build a spec**: :func:`spec_factory`, bound to the module's ``FAMILY``.

Intervals are written as text, the way a formula writes them: ``"[0, 1]"``, ``"(0, inf)"``,
``"[0, 1)"``, ``"(-1, inf)"``. The array checks cost a pass over the data (and a device sync
on CUDA); they are skipped inside :func:`lossbook.validation` ``(False)``, the shape, kind and
hyper-parameter checks never are.
"""
from __future__ import annotations

import functools
import math
import numbers
import re

import numpy as np

from ._backend import MIXING, is_torch, namespace, numel, to_numpy
from ._reduction import check_reduction
from ._spec import Family, Spec
from ._validate import enabled

__all__ = [
    # arrays
    "floating", "nonempty", "labels", "sign_labels", "binary_labels", "probabilities",
    "log_probabilities", "values_in", "nonzero", "has_shape", "has_ndim",
    # pairs
    "pair", "match", "same_kind", "same_dtype", "same_shape", "class_targets", "aux_array",
    # hyper-parameters
    "number", "choice", "flag", "axis", "check_reduction",
    # array helpers
    "cast_like", "class_axis", "expand_classes", "numel", "to_numpy", "is_torch", "namespace",
    "enabled",
    # examples
    "rng", "real", "f64", "signs", "zero_ones", "class_labels", "with_target",
    "true_class_logit", "first_column", "uses_ignore_index",
    # specs
    "spec_factory",
]


# --- small facts about arrays -----------------------------------------------------------
def _dtype_name(x) -> str:
    return str(x.dtype).replace("torch.", "")


def _kind(x) -> str:
    return "a torch tensor" if is_torch(x) else "a NumPy array"


def _is_array(x) -> bool:
    return is_torch(x) or isinstance(x, np.ndarray)


def _is_floating(x) -> bool:
    if is_torch(x):
        return x.is_floating_point()
    return np.issubdtype(x.dtype, np.floating)


def _has_nan(x) -> bool:
    # A NaN anywhere makes the sum NaN, so a sum that is not NaN proves there is none: one
    # fast reduction instead of an element-wise test (which is several times slower on the
    # CPU). A NaN sum (a NaN, or +inf and -inf together) falls back to the exact test.
    if is_torch(x):
        return bool(x.sum().isnan()) and bool(x.isnan().any())
    with np.errstate(invalid="ignore", over="ignore"):   # inf - inf in the sum is expected
        total = np.sum(x)
    return bool(np.isnan(total)) and bool(np.isnan(x).any())


# --- intervals, written as text ---------------------------------------------------------
@functools.lru_cache(maxsize=None)
def _interval(text: str) -> tuple[float, float, bool, bool]:
    """``"[0, 1)"`` -> ``(0.0, 1.0, False, True)``: the bounds and whether each is open."""
    found = re.fullmatch(r"\s*([\[(])\s*([-+.\w]+)\s*,\s*([-+.\w]+)\s*([\])])\s*", text)
    if not found:
        raise ValueError(f"an interval is written like '[0, 1)' or '(0, inf)', got {text!r}")
    left, low, high, right = found.groups()
    return float(low), float(high), left == "(", right == ")"


def _inside(value, text: str) -> bool:
    """Whether ``value`` lies in the interval; an infinite end is no bound (``inf`` is in
    ``"(0, inf)"``)."""
    low, high, open_low, open_high = _interval(text)
    above = low == -math.inf or (value > low if open_low else value >= low)
    below = high == math.inf or (value < high if open_high else value <= high)
    return above and below


def _bounds(text: str) -> str:
    """The interval in words: 'in [0, 1]', 'positive', 'greater than -1', 'at most 0', ''."""
    low, high, open_low, open_high = _interval(text)
    if low == -math.inf and high == math.inf:
        return ""
    if high == math.inf:
        if low == 0:
            return "positive" if open_low else "non-negative"
        return f"{'greater than' if open_low else 'at least'} {low:g}"
    if low == -math.inf:
        return f"{'less than' if open_high else 'at most'} {high:g}"
    return f"in {'(' if open_low else '['}{low:g}, {high:g}{')' if open_high else ']'}"


# --- arrays -----------------------------------------------------------------------------
#: The dtypes of the low-precision policy (see :func:`floating`), by name.
LOW_PRECISION = ("float16", "bfloat16")


def floating(x, name: str, *, low_precision: bool = True):
    """``x`` as a floating-point array (lists and Python numbers become float64 NumPy).

    Raises ``TypeError`` for a non-floating array and ``ValueError`` if it holds NaN.

    **Low precision** (the one policy of the package, issue 14): a float16 or bfloat16 input
    is computed in its own dtype, and the value and the gradients come back in that dtype,
    never silently in float64 (the formulas keep their constants as Python floats, see
    :mod:`lossbook._backend`). Checks made on a host copy see bfloat16 as float32, which holds
    it exactly (:func:`~lossbook._backend.to_numpy`). An entry whose algorithm cannot run in
    half precision passes ``low_precision=False``: such an input is then a ``TypeError``
    naming the argument and saying to cast to float32 (the CTC loss, whose dynamic programme
    needs a log-zero floor of -1e30 beyond float16's range, as PyTorch's CPU ``ctc_loss``
    refuses both dtypes too). Accuracy is the dtype's: float16 overflows above 65504 and
    bfloat16 keeps about 3 significant digits.
    """
    if not _is_array(x):
        if isinstance(x, (bool, np.bool_)) or x is None or isinstance(x, str):
            raise TypeError(f"{name} must be a floating-point array, got {type(x).__name__}")
        try:
            x = np.asarray(x, dtype=np.float64)
        except (TypeError, ValueError) as err:
            raise TypeError(f"{name} must be a floating-point array, got {type(x).__name__}") from err
    if not _is_floating(x):
        raise TypeError(f"{name} must be a floating-point array (float32 or float64), "
                        f"got dtype {_dtype_name(x)}")
    if not low_precision and _dtype_name(x) in LOW_PRECISION:
        raise TypeError(f"{name} must be float32 or float64 here (this function cannot compute in "
                        f"{_dtype_name(x)}), got dtype {_dtype_name(x)}; cast it with "
                        f".float() or .astype(numpy.float32)")
    if enabled() and _has_nan(x):
        raise ValueError(f"{name} contains NaN")
    return x


def nonempty(x, name: str):
    """``x``; ``ValueError`` for an empty batch."""
    if numel(x) == 0:
        raise ValueError(f"{name} is empty (shape {tuple(x.shape)}): a loss needs at least one element")
    return x


def labels(x, name: str, num_classes: int | None = None, *, ignore_index: int | None = None):
    """Integer class labels in ``[0, num_classes)``, ``ignore_index`` allowed."""
    if not _is_array(x):
        x = np.asarray(x)
    if is_torch(x):
        import torch

        ok = not x.is_floating_point() and not x.is_complex() and x.dtype != torch.bool
    else:
        ok = np.issubdtype(x.dtype, np.integer)
    if not ok:
        raise TypeError(f"{name} must be an integer array of class indices, got dtype {_dtype_name(x)}")
    if enabled() and num_classes is not None and numel(x):
        valid = x if ignore_index is None else x[x != ignore_index]
        if numel(valid):
            lo, hi = int(valid.min()), int(valid.max())
            if lo < 0 or hi >= num_classes:
                raise ValueError(f"{name} must hold class indices in [0, {num_classes - 1}]"
                                 + (f" or ignore_index={ignore_index}" if ignore_index is not None else "")
                                 + f", got values in [{lo}, {hi}]")
    return x


def _only(x, name: str, allowed: tuple, shown: str):
    """``ValueError`` unless every entry of ``x`` is one of ``allowed``."""
    if enabled():
        host = to_numpy(x)
        bad = host[~np.isin(host, allowed)]
        if bad.size:
            raise ValueError(f"{name} must hold labels in {shown}, got {bad.ravel()[0]}")
    return x


def sign_labels(x, name: str):
    """Labels in :math:`\\{-1, +1\\}` (the margin view); lists become float64 NumPy."""
    if not _is_array(x):
        x = np.asarray(x, dtype=np.float64)
    if _is_floating(x):
        x = floating(x, name)
    return _only(x, name, (-1, 1), "{-1, +1}")


def binary_labels(x, name: str):
    """Hard labels in :math:`\\{0, 1\\}`: floating, integer or boolean."""
    if not _is_array(x):
        x = np.asarray(x)
    if _is_floating(x):
        x = floating(x, name)
    elif not is_torch(x) and not (np.issubdtype(x.dtype, np.integer) or x.dtype == np.bool_):
        raise TypeError(f"{name} must be an array of 0/1 labels, got dtype {_dtype_name(x)}")
    return _only(x, name, (0, 1), "{0, 1} (hard labels)")


def values_in(x, name: str, interval: str, *, what: str | None = None, hint: str = ""):
    """``x``; ``ValueError`` unless every entry lies in ``interval`` (e.g. ``"(-1, inf)"``).

    The message reads ``"<name> must be <interval in words><hint>, got ..."``, or
    ``"<name> must hold <what> <interval in words><hint>, got ..."``.
    """
    if enabled():
        host = to_numpy(x)
        if host.size:
            lo, hi = host.min(), host.max()
            low, high, _, _ = _interval(interval)
            if not (_inside(lo, interval) and _inside(hi, interval)):
                if low == -math.inf:
                    seen = f"a maximum of {hi:.4g}"
                elif high == math.inf:
                    seen = f"a minimum of {lo:.4g}"
                else:
                    seen = f"values in [{lo:.4g}, {hi:.4g}]"
                must = f"hold {what} " if what else "be "
                raise ValueError(f"{name} must {must}{_bounds(interval)}{hint}, got {seen}")
    return x


def probabilities(x, name: str):
    """``x`` as a floating-point array of probabilities, every entry in [0, 1]."""
    return values_in(floating(x, name), name, "[0, 1]", what="probabilities")


def log_probabilities(x, name: str):
    """``x`` as a floating-point array of log-probabilities, every entry at most 0."""
    return values_in(floating(x, name), name, "(-inf, 0]", what="log-probabilities",
                     hint=" (e.g. log_softmax(z))")


def nonzero(x, name: str, why: str):
    """``x``; ``ValueError`` naming how many entries are 0 and ``why`` that matters."""
    if enabled():
        zeros = int((x == 0).sum())
        if zeros:
            raise ValueError(f"{name} contains {zeros} zero(s): {why}")
    return x


def has_shape(x, name: str, expected, hint: str = ""):
    """``x``; ``ValueError`` unless its shape is ``expected``."""
    if tuple(x.shape) != tuple(expected):
        raise ValueError(f"{name} must have shape {tuple(expected)}{hint}, got {tuple(x.shape)}")
    return x


def has_ndim(x, name: str, shapes: str, *, allowed=None, at_least: int | None = None):
    """``x``; ``ValueError`` unless ``x.ndim`` is in ``allowed`` (or at least ``at_least``).

    ``shapes`` says what was expected, e.g. ``"(N, C) or (C,)"``.
    """
    if (allowed is not None and x.ndim not in allowed) or (at_least is not None and x.ndim < at_least):
        raise ValueError(f"{name} must have shape {shapes}, got shape {tuple(x.shape)}")
    return x


# --- pairs ------------------------------------------------------------------------------
def same_kind(a, b, name_a: str, name_b: str):
    """``b``; ``TypeError`` unless ``a`` and ``b`` are both NumPy or both torch."""
    if is_torch(a) != is_torch(b):
        raise TypeError(f"{name_b} is {_kind(b)} but {name_a} is {_kind(a)}: {MIXING}")
    return b


def same_dtype(a, b, name_a: str, name_b: str):
    """``b``; ``TypeError`` unless it has the dtype of ``a``."""
    if b.dtype != a.dtype:
        raise TypeError(f"{name_b} must have the dtype of {name_a} ({_dtype_name(a)}), "
                        f"got {_dtype_name(b)}")
    return b


def same_shape(a, b, name_a: str, name_b: str):
    """``b``; ``ValueError`` unless ``a`` and ``b`` have the same shape."""
    if tuple(a.shape) != tuple(b.shape):
        raise ValueError(f"{name_b} must have the same shape as {name_a}: "
                         f"got {tuple(b.shape)} and {tuple(a.shape)}")
    return b


def match(x, t, names=("input", "target"), *, dtype: bool = False):
    """``t`` checked against ``x`` (same kind, same shape; same dtype if ``dtype``), then cast
    like ``x``."""
    same_kind(x, t, *names)
    if dtype:
        same_dtype(x, t, *names)
    same_shape(x, t, *names)
    return cast_like(t, x, *reversed(names))


def pair(input, target, check_target=floating, *, check_input=floating, reduction=None,
         names=("input", "target"), dtype: bool = False):
    """``(x, t)``: the input and its target, validated and of the same kind and shape.

    ``input`` passes ``check_input`` (a floating array by default) and must not be empty;
    ``target`` passes ``check_target`` (:func:`floating`, :func:`sign_labels`,
    :func:`binary_labels`, :func:`probabilities`, ...). A target given as a list or a number
    takes the dtype and device of ``input``; an array must be of the same kind (and, with
    ``dtype=True``, the same dtype), then it is cast like ``input``. ``reduction``, if given,
    is checked first.
    """
    if reduction is not None:
        check_reduction(reduction)
    x = nonempty(check_input(input, names[0]), names[0])
    given = _is_array(target)
    t = check_target(target, names[1])
    if not given:
        t = cast_like(t, x, *reversed(names))
    return x, match(x, t, names, dtype=dtype)


def class_targets(x, target, num_classes: int, expected, *, names=("input", "target"),
                  ignore_index: int | None = None, hint: str = ""):
    """Integer class labels of shape ``expected`` for the input ``x``: of its kind and (torch,
    as int64) on its device."""
    t = same_kind(x, labels(target, names[1], num_classes, ignore_index=ignore_index), *names)
    has_shape(t, names[1], expected, hint)
    if is_torch(t):
        import torch

        t = t.to(device=x.device, dtype=torch.int64)
    return t


def aux_array(value, name: str, like, shape=None, *, nonnegative: bool = False):
    """An auxiliary floating argument (``weight``...) checked, then cast like ``like``.

    ``shape`` (a tuple) demands that exact shape; otherwise it must broadcast to ``like``. A
    NumPy ``value`` may go with a torch ``like`` (it is moved there), not the reverse.
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = np.asarray(float(value))
    a = floating(value, name)
    if is_torch(a) and not is_torch(like):
        same_kind(like, a, "input", name)
    if shape is not None:
        has_shape(a, name, shape)
    else:
        try:
            out = np.broadcast_shapes(tuple(a.shape), tuple(like.shape))
        except ValueError:
            out = None
        if out != tuple(like.shape):
            raise ValueError(f"{name} of shape {tuple(a.shape)} does not broadcast to the "
                             f"shape of input {tuple(like.shape)}")
    if nonnegative:
        values_in(a, name, "[0, inf)")
    return cast_like(a, like, name)


# --- hyper-parameters -------------------------------------------------------------------
def number(value, name: str, interval: str = "(-inf, inf)", *, integer: bool = False,
           optional: bool = False):
    """``value`` as a ``float`` (an ``int`` if ``integer``) in ``interval``; ``None`` passes if
    ``optional``.

    ``ValueError`` for anything else: not a real number (a string, an array, a boolean), NaN,
    outside the interval, or (``integer``) not a whole number.
    """
    if value is None and optional:
        return None
    ok = isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)) and value == value
    if ok and integer:
        ok = math.isfinite(value) and value == int(value)
    if not (ok and _inside(value, interval)):
        noun = "integer" if integer else "number"
        words = _bounds(interval)
        if integer and words == "at least 1":
            words = "positive"
        if words in ("positive", "non-negative"):
            expected = f"a {words} {noun}"
        elif words:
            expected = f"{'an' if integer else 'a'} {noun} {words}"
        else:
            expected = "an integer" if integer else "a real number"
        raise ValueError(f"{name} must be {'None or ' if optional else ''}{expected}, got {value!r}")
    return int(value) if integer else float(value)


def choice(value, name: str, options):
    """``value``, one of ``options`` (a boolean is not taken for 0 or 1)."""
    try:
        ok = value in options and (not isinstance(value, bool) or any(isinstance(o, bool) for o in options))
    except (TypeError, ValueError):   # an array compared with the options
        ok = False
    if not ok:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, options))}; got {value!r}")
    return value


def flag(value, name: str) -> bool:
    """``value`` as a ``bool``: ``True`` or ``False`` (NumPy's too); ``1``, ``0``, ``"yes"``... are
    a ``ValueError`` (a switch is not a number)."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be one of True, False; got {value!r}")
    return bool(value)


def axis(value, name: str, ndim: int, of: str = "input") -> int:
    """``value`` as an ``int`` axis of an ``ndim``-dimensional array (negative counts from the end)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not -ndim <= value < ndim:
        raise ValueError(f"{name} must be an axis of {of} (ndim {ndim}), got {value!r}")
    return int(value)


# --- array helpers ----------------------------------------------------------------------
def cast_like(a, like, name: str = "target", like_name: str = "input"):
    """``a`` with the dtype and device of ``like`` (NumPy stays NumPy, torch stays torch).

    A NumPy ``a`` may go to a torch ``like``; a torch ``a`` with a NumPy ``like`` is a
    ``TypeError`` naming ``name``.
    """
    if is_torch(like):
        import torch

        if isinstance(a, torch.Tensor):
            return a.to(dtype=like.dtype, device=like.device)
        return torch.as_tensor(np.asarray(a), dtype=like.dtype, device=like.device)
    if is_torch(a):
        same_kind(like, a, like_name, name)
    return np.asarray(a, dtype=like.dtype)


def class_axis(x) -> int:
    """PyTorch's class axis: 1 for ``(N, C, d1, ...)``, 0 for an unbatched ``(C,)`` input."""
    return 1 if x.ndim >= 2 else 0


def expand_classes(v, ndim: int, axis: int):
    """Reshape a per-class vector ``(C,)`` to broadcast along ``axis`` of an ``ndim`` array."""
    shape = [1] * ndim
    shape[axis] = v.shape[0]
    return namespace(v).reshape(v, tuple(shape))


# --- example factories ------------------------------------------------------------------
def rng(seed: int) -> np.random.Generator:
    """NumPy's default generator for ``seed``."""
    return np.random.default_rng(seed)


def real(seed: int, shape=(3, 4), low: float = -4.0, high: float = 4.0, avoid=(0.0,),
         gap: float = 0.05) -> np.ndarray:
    """Uniform float64 values in ``[low, high]`` at least ``gap`` away from each point of ``avoid``.

    Values are asymmetric and non-zero on purpose: zeros and symmetric inputs hide wrong
    backward passes.
    """
    x = rng(seed).uniform(low, high, size=shape)
    for point in avoid:
        near = np.abs(x - point) < gap
        x = np.where(near, point + np.where(x >= point, gap, -gap) * 2, x)
    return x


def f64(value) -> np.ndarray:
    """``value`` as a float64 NumPy array (kink points, expected gradients)."""
    return np.asarray(value, dtype=np.float64)


def signs(seed: int, shape) -> np.ndarray:
    """Labels in {-1, +1} (float64), each with probability 1/2."""
    return np.where(rng(seed).uniform(size=shape) < 0.5, -1.0, 1.0)


def zero_ones(seed: int, shape) -> np.ndarray:
    """0/1 float64 labels with both classes present (the first entry 1, the second 0)."""
    t = rng(seed).integers(0, 2, size=shape).astype(np.float64)
    t.flat[0], t.flat[1] = 1.0, 0.0
    return t


def class_labels(seed: int, shape, num_classes: int, *, every_class: bool = False) -> np.ndarray:
    """Integer class indices in ``[0, num_classes)``; with ``every_class`` the first entries are
    ``num_classes - 1, ..., 1, 0``, so that each class occurs."""
    y = rng(seed).integers(0, num_classes, size=shape)
    if every_class:
        m = min(y.size, num_classes)
        y.flat[:m] = np.arange(m)[::-1]
    return y


def with_target(value: float):
    """A :class:`~lossbook._spec.Curve` ``call``: the grid against a constant target ``value``."""
    return lambda x, params: ((x, np.full_like(x, value)), dict(params))


def true_class_logit(num_classes: int):
    """A :class:`~lossbook._spec.Curve` ``call``: the grid as the logit of class 0, the other
    ``num_classes - 1`` logits 0, target class 0."""
    def call(x, params):
        z = np.stack([x] + [np.zeros_like(x)] * (num_classes - 1), axis=1)
        return (z, np.zeros(x.shape, dtype=np.int64)), dict(params)
    return call


def first_column(a):
    """The first column of a 2-D array (a 1-D one as it is): a curve's ``select``."""
    return a[..., 0] if np.ndim(a) == 2 else a


def uses_ignore_index(args, kwargs) -> bool:
    """Whether an example's class targets (``args[1]``) contain its ``ignore_index``.

    A spec's ``extra["features"]`` maps a keyword to such a predicate: :func:`lossbook.check`
    does not count a case that relies on a keyword the student's function does not take
    (a target of -100 is then an index, not an instruction to ignore the sample).
    """
    target = np.asarray(args[1])
    return target.dtype.kind in "iu" and bool(np.any(target == kwargs.get("ignore_index", -100)))


# --- specs ------------------------------------------------------------------------------
def spec_factory(family: Family, module_globals: dict, **defaults):
    """The one way a family module builds its specs: ``spec = kit.spec_factory(FAMILY, globals())``.

    ``spec(name, catalog_id, chinese, reference, paper="", **fields)`` is the
    :class:`~lossbook._spec.Spec` of ``module_globals[name]`` and its ``name + "_grad"``, with
    ``family`` set to ``family.key``, ``chapter`` defaulting to the family's first chapter, and
    every other field defaulting to ``defaults`` (e.g. the family's usual ``curve`` or
    ``example``) and then to the :class:`~lossbook._spec.Spec` default.
    """
    def spec(name: str, catalog_id: str, chinese: str, reference: str, paper: str = "", **fields) -> Spec:
        fields = {"chapter": family.chapters[0], **defaults, **fields}
        return Spec.of(module_globals, name, family=family.key, catalog_id=catalog_id, chinese=chinese,
                       reference=reference, paper=paper, **fields)
    return spec
