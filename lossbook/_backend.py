"""One array namespace for NumPy and PyTorch, and the stable primitives written once.

Every formula in :mod:`lossbook` is written against the small namespace returned by
:func:`namespace`, so the same body runs on NumPy arrays and on torch tensors (CPU or
CUDA; the output lives where the input lives). Arithmetic operators (``+ - * / **``,
comparisons) work on both already; the namespace supplies the rest: elementary functions,
reductions with ``axis``/``keepdims``, ``where``, and the numerically stable primitives

* :func:`Numpy.logsumexp` (subtract the max first),
* :func:`Numpy.softplus` :math:`\\max(x,0)+\\operatorname{log1p}(e^{-|x|})`,
* :func:`Numpy.sigmoid` (piecewise, never exponentiates a positive number),
* :func:`Numpy.logsigmoid` :math:`= -\\operatorname{softplus}(-x)`,
* :func:`Numpy.xlogy` (:math:`0\\log 0 = 0`),
* :func:`Numpy.log_softmax` and :func:`Numpy.softmax` (through ``logsumexp``),
* :func:`Numpy.erf`.

The torch namespace takes these from torch itself, except ``xlogy``: fused kernels
computing the same stable formulas in one pass (the test suite checks that the two namespaces
agree). Its ``softplus`` is :math:`-\\log\\sigma(-x)` through ``F.logsigmoid`` (the same
numbers as the formula above; ``F.softplus`` returns ``x`` itself above a threshold, an
approximation), so that autograd through it gives :math:`\\sigma(x)` everywhere: autograd of
:math:`\\max(x,0)+\\operatorname{log1p}(e^{-|x|})` is 1 at :math:`x=0` (clamp and abs pass
1 and 0 there), twice the true 0.5. It also builds ``one_hot`` and the broadcast of a
scalar without extra passes over memory.

Constants inside formulas are Python floats (``math.log(2)``, never ``np.log(2)``): a NumPy
float64 scalar would silently promote a float32 computation to float64.
"""
from __future__ import annotations

import math
import sys

import numpy as np

__all__ = ["namespace", "is_torch", "Numpy", "Torch", "to_numpy", "numel", "MIXING"]

#: The one wording of the error for NumPy arrays and torch tensors in one call (the kit's
#: ``same_kind`` puts the argument names in front of it).
MIXING = ("cannot mix NumPy arrays and torch tensors in one call; "
          "convert them all with torch.as_tensor or all with numpy.asarray")


def _torch():
    """The torch module if it has been imported (we never import it for NumPy users)."""
    return sys.modules.get("torch")


def is_torch(x) -> bool:
    """True if ``x`` is a torch tensor."""
    torch = _torch()
    return torch is not None and isinstance(x, torch.Tensor)


def to_numpy(x) -> np.ndarray:
    """A NumPy copy of an array or tensor (detached, on the CPU).

    NumPy has no bfloat16: a bfloat16 tensor comes out as float32, which holds every
    bfloat16 value exactly (same exponent range, more mantissa bits), so a check made on the
    host copy (NaN, a range, a label set) sees the very values of the tensor.
    """
    if is_torch(x):
        x = x.detach()
        if x.dtype == _torch().bfloat16:
            x = x.float()
        return x.cpu().numpy()
    return np.asarray(x)


def numel(x) -> int:
    """The number of elements of an array or tensor (``x.size`` in NumPy, ``x.numel()`` in torch)."""
    return x.numel() if is_torch(x) else int(np.size(x))


class Numpy:
    """The NumPy implementation of the namespace."""

    name = "numpy"
    exp = staticmethod(np.exp)
    log = staticmethod(np.log)
    log1p = staticmethod(np.log1p)
    expm1 = staticmethod(np.expm1)
    sqrt = staticmethod(np.sqrt)
    tanh = staticmethod(np.tanh)
    cos = staticmethod(np.cos)
    sin = staticmethod(np.sin)
    arctan = staticmethod(np.arctan)
    arccos = staticmethod(np.arccos)
    abs = staticmethod(np.abs)
    sign = staticmethod(np.sign)
    isnan = staticmethod(np.isnan)
    isfinite = staticmethod(np.isfinite)
    zeros_like = staticmethod(np.zeros_like)
    ones_like = staticmethod(np.ones_like)

    @staticmethod
    def where(cond, a, b, like=None):
        """``a`` where ``cond`` else ``b``. With two scalar branches pass ``like=`` (an array
        whose dtype the result takes): a scalar carries no dtype, and guessing one would
        silently turn float32 into float64."""
        if like is None:
            _need_array(a, b)
            return np.where(cond, a, b)
        return np.where(cond, a, b).astype(like.dtype, copy=False)
    maximum = staticmethod(np.maximum)
    minimum = staticmethod(np.minimum)
    clip = staticmethod(np.clip)

    @staticmethod
    def full_like(x, value):
        return np.full_like(x, value)

    @staticmethod
    def asarray(value, like):
        """``value`` as an array with the dtype (and device) of ``like``."""
        return np.asarray(value, dtype=like.dtype)

    @staticmethod
    def sum(x, axis=None, keepdims=False):
        return np.asarray(np.sum(x, axis=axis, keepdims=keepdims))

    @staticmethod
    def mean(x, axis=None, keepdims=False):
        return np.asarray(np.mean(x, axis=axis, keepdims=keepdims))

    @staticmethod
    def max(x, axis=None, keepdims=False):
        return np.asarray(np.max(x, axis=axis, keepdims=keepdims))

    @staticmethod
    def argmax(x, axis=-1, keepdims=False):
        """Index of the maximum; ties go to the first index (as in torch and ONNX)."""
        return np.argmax(x, axis=axis, keepdims=keepdims)

    @staticmethod
    def take_along_axis(x, indices, axis):
        return np.take_along_axis(x, indices, axis=axis)

    @staticmethod
    def take_rows(table, indices):
        """``table[indices]``: the row of ``table`` for each index."""
        return table[indices]

    @staticmethod
    def add_rows(values, indices, num_rows, scale: float = 1.0):
        """``scale`` times the sums of ``values``' rows grouped by ``indices``: shape
        ``(num_rows, d)``. A scatter-add; ``one_hot(indices).T @ values`` gives the same
        numbers at ``num_rows`` times the cost."""
        out = np.zeros((num_rows, values.shape[1]), dtype=values.dtype)
        np.add.at(out, indices, values if scale == 1.0 else scale * values)
        return out

    @staticmethod
    def one_hot(indices, num_classes, like):
        """One-hot rows (last axis) with the dtype of ``like``."""
        return (np.asarray(indices)[..., None] == np.arange(num_classes)).astype(like.dtype)

    @staticmethod
    def reshape(x, shape):
        return np.reshape(x, shape)

    @staticmethod
    def concatenate(arrays, axis=0):
        return np.concatenate(arrays, axis=axis)

    @staticmethod
    def broadcast_to(x, shape):
        """A read-only broadcast view of ``x`` with ``shape`` (no copy)."""
        return np.broadcast_to(x, shape)

    @staticmethod
    def moveaxis(x, source, destination):
        return np.moveaxis(x, source, destination)

    @staticmethod
    def erf(x):
        """The error function in the dtype of ``x`` (SciPy has no float16 loop and would
        return float64 for a float16 array: computed in float32, cast back)."""
        from scipy.special import erf

        x = np.asarray(x)
        if x.dtype == np.float16:
            return erf(x.astype(np.float32)).astype(np.float16)
        return erf(x)

    # -- stable primitives (written once, in terms of the methods above) -----------------
    @classmethod
    def sigmoid(cls, x):
        r"""Logistic function :math:`1/(1+e^{-x})`, evaluated without overflow.

        Uses :math:`e^{x}/(1+e^{x})` for :math:`x<0` so no positive number is exponentiated.
        """
        e = cls.exp(-cls.abs(x))
        return cls.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))

    @classmethod
    def softplus(cls, x):
        r""":math:`\log(1+e^{x}) = \max(x,0)+\operatorname{log1p}(e^{-|x|})`."""
        return cls.maximum(x, 0.0) + cls.log1p(cls.exp(-cls.abs(x)))

    @classmethod
    def logsigmoid(cls, x):
        r""":math:`\log\sigma(x) = -\operatorname{softplus}(-x)`."""
        return -cls.softplus(-x)

    @classmethod
    def logsumexp(cls, x, axis=-1, keepdims=False):
        r""":math:`\log\sum_i e^{x_i}` with the maximum subtracted first."""
        m = cls.max(x, axis=axis, keepdims=True)
        m = cls.where(cls.isfinite(m), m, 0.0)
        out = m + cls.log(cls.sum(cls.exp(x - m), axis=axis, keepdims=True))
        if not keepdims:
            out = cls.squeeze(out, axis)
        return out

    @classmethod
    def log_softmax(cls, x, axis=-1):
        r""":math:`\log\operatorname{softmax}(x) = x - \operatorname{logsumexp}(x)`, never
        ``log(softmax(x))`` (which is ``-inf`` once a probability underflows).

        Computed as :math:`(x - m) - \log\sum_i e^{x_i - m}` with :math:`m=\max x`: the
        largest entry's :math:`x-m` is exactly 0, so nothing cancels between two large
        numbers (``x - logsumexp(x)`` loses digits when :math:`x` is large)."""
        m = cls.max(x, axis=axis, keepdims=True)
        shifted = x - cls.where(cls.isfinite(m), m, 0.0)
        return shifted - cls.log(cls.sum(cls.exp(shifted), axis=axis, keepdims=True))

    @classmethod
    def softmax(cls, x, axis=-1):
        r""":math:`\operatorname{softmax}(x) = e^{\log\operatorname{softmax}(x)}` (no overflow)."""
        return cls.exp(cls.log_softmax(x, axis=axis))

    @classmethod
    def xlogy(cls, x, y):
        r""":math:`x\log y`, defined as 0 where :math:`x=0` (so :math:`0\log 0=0`)."""
        safe_y = cls.where(x == 0, cls.ones_like(y), y)
        return cls.where(x == 0, cls.zeros_like(x * safe_y), x * cls.log(safe_y))

    @classmethod
    def xmul(cls, x, y):
        r""":math:`x\,y`, defined as 0 where :math:`x=0` (so a zero weight on a log-probability
        of :math:`-\infty`, a class that cannot occur, contributes 0, not NaN)."""
        return x * cls.where(x == 0, cls.ones_like(y), y)

    @staticmethod
    def sort_descending(x, axis=-1):
        return np.flip(np.sort(x, axis=axis), axis=axis)

    @staticmethod
    def cumsum(x, axis=-1):
        return np.cumsum(x, axis=axis)

    @staticmethod
    def squeeze(x, axis):
        return np.squeeze(x, axis=axis)


class Torch(Numpy):
    """The PyTorch implementation of the namespace (shares the stable primitives)."""

    name = "torch"


def _need_array(a, b):
    # Exactly Python scalars: NumPy scalars (np.float64 subclasses float) carry a dtype.
    if type(a) in (int, float) and type(b) in (int, float):
        raise TypeError("where() with two scalar branches needs like=<array> to fix the dtype")


def _make_torch_namespace():
    import torch

    def _tensor_like(value, like):
        if isinstance(value, torch.Tensor):
            return value
        return torch.as_tensor(value, dtype=like.dtype, device=like.device)

    def _torch_where(c, a, b, like=None):
        if like is not None:
            a, b = _tensor_like(a, like), _tensor_like(b, like)
        else:
            _need_array(a, b)
            a = a if isinstance(a, torch.Tensor) else _tensor_like(a, b)
            b = b if isinstance(b, torch.Tensor) else _tensor_like(b, a)
        return torch.where(c, a, b)

    ns = {
        "exp": staticmethod(torch.exp),
        "log": staticmethod(torch.log),
        "log1p": staticmethod(torch.log1p),
        "expm1": staticmethod(torch.expm1),
        "sqrt": staticmethod(torch.sqrt),
        "tanh": staticmethod(torch.tanh),
        "cos": staticmethod(torch.cos),
        "sin": staticmethod(torch.sin),
        "arctan": staticmethod(torch.arctan),
        "arccos": staticmethod(torch.arccos),
        "abs": staticmethod(torch.abs),
        "sign": staticmethod(torch.sign),
        "isnan": staticmethod(torch.isnan),
        "isfinite": staticmethod(torch.isfinite),
        "zeros_like": staticmethod(torch.zeros_like),
        "ones_like": staticmethod(torch.ones_like),
        "erf": staticmethod(torch.erf),
        "full_like": staticmethod(lambda x, value: torch.full_like(x, value)),
        "asarray": staticmethod(lambda value, like: _tensor_like(value, like)),
        "where": staticmethod(_torch_where),
        "maximum": staticmethod(
            lambda a, b: torch.clamp(a, min=b) if not isinstance(b, torch.Tensor)
            else (torch.clamp(b, min=a) if not isinstance(a, torch.Tensor) else torch.maximum(a, b))
        ),
        "minimum": staticmethod(
            lambda a, b: torch.clamp(a, max=b) if not isinstance(b, torch.Tensor)
            else (torch.clamp(b, max=a) if not isinstance(a, torch.Tensor) else torch.minimum(a, b))
        ),
        "clip": staticmethod(lambda x, lo, hi: torch.clamp(x, min=lo, max=hi)),
        "sum": staticmethod(
            lambda x, axis=None, keepdims=False: x.sum() if axis is None and not keepdims
            else torch.sum(x, dim=tuple(range(x.ndim)) if axis is None else axis, keepdim=keepdims)
        ),
        "mean": staticmethod(
            lambda x, axis=None, keepdims=False: x.mean() if axis is None and not keepdims
            else torch.mean(x, dim=tuple(range(x.ndim)) if axis is None else axis, keepdim=keepdims)
        ),
        "max": staticmethod(
            lambda x, axis=None, keepdims=False: x.max() if axis is None and not keepdims
            else torch.amax(x, dim=tuple(range(x.ndim)) if axis is None else axis, keepdim=keepdims)
        ),
        "argmax": staticmethod(lambda x, axis=-1, keepdims=False: torch.argmax(x, dim=axis, keepdim=keepdims)),
        "take_along_axis": staticmethod(lambda x, indices, axis: torch.take_along_dim(x, indices, dim=axis)),
        # index_select: several times faster on the CPU than advanced indexing
        "take_rows": staticmethod(lambda table, indices: table.index_select(0, indices)),
        "add_rows": staticmethod(
            lambda values, indices, num_rows, scale=1.0: values.new_zeros(
                (num_rows, values.shape[1])).index_add_(0, indices, values, alpha=scale)
        ),
        # written straight into ``like``'s dtype (F.one_hot makes an int64 array first)
        "one_hot": staticmethod(
            lambda indices, num_classes, like: torch.zeros(
                (*indices.shape, num_classes), dtype=like.dtype, device=like.device
            ).scatter_(-1, indices.long().to(like.device).unsqueeze(-1), 1.0)
        ),
        # torch's own kernels for the stable primitives (see the module's docstring)
        "sigmoid": staticmethod(torch.sigmoid),
        "log_softmax": staticmethod(lambda x, axis=-1: torch.log_softmax(x, dim=axis)),
        "softmax": staticmethod(lambda x, axis=-1: torch.softmax(x, dim=axis)),
        "logsigmoid": staticmethod(torch.nn.functional.logsigmoid),
        # 0 - logsigmoid(-x): +0.0 (not -0.0) at -inf; autograd gives sigmoid(x), 0.5 at 0
        "softplus": staticmethod(lambda x: 0.0 - torch.nn.functional.logsigmoid(-x)),
        # the same max-shifted algorithm as Numpy.logsumexp
        "logsumexp": staticmethod(
            lambda x, axis=-1, keepdims=False: torch.logsumexp(x, dim=axis, keepdim=keepdims)
        ),
        "reshape": staticmethod(lambda x, shape: torch.reshape(x, shape)),
        "concatenate": staticmethod(lambda arrays, axis=0: torch.cat(tuple(arrays), dim=axis)),
        "broadcast_to": staticmethod(lambda x, shape: torch.broadcast_to(x, shape)),
        "moveaxis": staticmethod(lambda x, source, destination: torch.movedim(x, source, destination)),
        "squeeze": staticmethod(lambda x, axis: torch.squeeze(x, dim=axis)),
        "sort_descending": staticmethod(lambda x, axis=-1: torch.sort(x, dim=axis, descending=True).values),
        "cumsum": staticmethod(lambda x, axis=-1: torch.cumsum(x, dim=axis)),
    }
    for key, value in ns.items():
        setattr(Torch, key, value)
    Torch._ready = True


Torch._ready = False


def namespace(*arrays):
    """The namespace (:class:`Numpy` or :class:`Torch`) for these arrays.

    Raises
    ------
    TypeError
        If NumPy arrays and torch tensors are mixed.
    """
    kinds = {is_torch(a) for a in arrays if a is not None and not isinstance(a, (int, float))}
    if kinds == {True, False}:
        raise TypeError(MIXING)
    if True in kinds:
        if not Torch._ready:
            _make_torch_namespace()
        return Torch
    return Numpy


#: ln 2, a Python float (a NumPy scalar would promote float32 to float64).
LOG2 = math.log(2.0)
