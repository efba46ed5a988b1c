"""Input checks shared by every function: clear errors that name the argument.

Bad input never gives a silent wrong number. Each check raises ``TypeError`` (wrong kind
or dtype) or ``ValueError`` (wrong shape, NaN, out-of-range labels or probabilities,
empty batch) with a message that starts with the argument's name.

The checks cost a pass over the data (and a device sync on CUDA); a training loop that
has already validated its data may switch them off with :func:`validation`.
"""
from __future__ import annotations

import contextlib
import numbers

import numpy as np

from ._backend import is_torch

__all__ = [
    "validation", "floating", "labels", "same_shape", "probabilities", "nonempty",
    "positive", "choice", "enabled",
]

_ENABLED = [True]


def enabled() -> bool:
    """Whether input validation is on (it is unless switched off by :func:`validation`)."""
    return _ENABLED[-1]


@contextlib.contextmanager
def validation(on: bool = True):
    """Context manager that switches input validation on or off.

    Examples
    --------
    >>> import numpy as np, lossbook
    >>> with lossbook.validation(False):
    ...     float(lossbook.relu(np.array(2.0)))
    2.0
    """
    _ENABLED.append(bool(on))
    try:
        yield
    finally:
        _ENABLED.pop()


def _dtype_name(x) -> str:
    return str(x.dtype).replace("torch.", "")


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


def floating(x, name: str):
    """``x`` as a floating-point array (lists and Python numbers become float64 NumPy).

    Raises ``TypeError`` for a non-floating array and ``ValueError`` if it holds NaN.
    """
    if not is_torch(x) and not isinstance(x, np.ndarray):
        if isinstance(x, (bool, np.bool_)) or x is None or isinstance(x, str):
            raise TypeError(f"{name} must be a floating-point array, got {type(x).__name__}")
        try:
            x = np.asarray(x, dtype=np.float64)
        except (TypeError, ValueError) as err:
            raise TypeError(f"{name} must be a floating-point array, got {type(x).__name__}") from err
    if not _is_floating(x):
        raise TypeError(f"{name} must be a floating-point array (float32 or float64), "
                        f"got dtype {_dtype_name(x)}")
    if enabled() and _has_nan(x):
        raise ValueError(f"{name} contains NaN")
    return x


def labels(x, name: str, num_classes: int | None = None, *, ignore_index: int | None = None,
           values: tuple | None = None):
    """Integer class labels in ``[0, num_classes)`` (or in ``values``), ``ignore_index`` allowed."""
    if not is_torch(x) and not isinstance(x, np.ndarray):
        x = np.asarray(x)
    if is_torch(x):
        import torch

        ok = not x.is_floating_point() and not x.is_complex() and x.dtype != torch.bool
    else:
        ok = np.issubdtype(x.dtype, np.integer)
    if not ok:
        raise TypeError(f"{name} must be an integer array of class indices, got dtype {_dtype_name(x)}")
    if enabled() and _size(x):
        valid = x if ignore_index is None else x[x != ignore_index]
        if _size(valid):
            lo, hi = int(valid.min()), int(valid.max())
            if values is not None:
                bad = [v for v in np.unique(to_host(valid)) if v not in values]
                if bad:
                    raise ValueError(f"{name} must take values in {values}, got {bad[0]}")
            elif num_classes is not None and (lo < 0 or hi >= num_classes):
                raise ValueError(f"{name} must hold class indices in [0, {num_classes - 1}]"
                                 + (f" or ignore_index={ignore_index}" if ignore_index is not None else "")
                                 + f", got values in [{lo}, {hi}]")
    return x


def _size(x) -> int:
    return x.numel() if is_torch(x) else int(np.size(x))


def to_host(x):
    return x.detach().cpu().numpy() if is_torch(x) else np.asarray(x)


def sign_labels(x, name: str):
    """Labels in {-1, +1}, as floats (for the margin view)."""
    x = floating(x, name) if (is_torch(x) and x.is_floating_point()) or (
        isinstance(x, np.ndarray) and np.issubdtype(x.dtype, np.floating)) else x
    if not is_torch(x) and not isinstance(x, np.ndarray):
        x = np.asarray(x, dtype=np.float64)
    if enabled():
        host = to_host(x)
        if not np.all((host == 1) | (host == -1)):
            bad = host[(host != 1) & (host != -1)].ravel()[0]
            raise ValueError(f"{name} must hold labels in {{-1, +1}}, got {bad}")
    return x


def same_shape(a, b, name_a: str, name_b: str):
    """Raise ``ValueError`` unless ``a`` and ``b`` have the same shape."""
    if tuple(a.shape) != tuple(b.shape):
        raise ValueError(f"{name_b} must have the same shape as {name_a}: "
                         f"got {tuple(b.shape)} and {tuple(a.shape)}")


def probabilities(x, name: str):
    """Raise ``ValueError`` unless every entry lies in [0, 1]."""
    if enabled():
        host = to_host(x)
        if host.size and (host.min() < 0 or host.max() > 1):
            raise ValueError(f"{name} must hold probabilities in [0, 1], "
                             f"got values in [{host.min():.4g}, {host.max():.4g}]")
    return x


def nonempty(x, name: str):
    """Raise ``ValueError`` for an empty batch."""
    if _size(x) == 0:
        raise ValueError(f"{name} is empty (shape {tuple(x.shape)}): a loss needs at least one element")
    return x


def positive(value, name: str, *, strict: bool = True):
    """A positive (or non-negative) real hyper-parameter."""
    if not isinstance(value, numbers.Real) or (value <= 0 if strict else value < 0) or value != value:
        raise ValueError(f"{name} must be a {'positive' if strict else 'non-negative'} number, got {value!r}")
    return value


def choice(value, name: str, options):
    """One of ``options``."""
    if value not in options:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, options))}; got {value!r}")
    return value
