"""Small helpers shared by the classification losses (parts B and C).

They keep auxiliary arrays (``weight``, ``pos_weight``, ``{-1,+1}`` targets) in the dtype and on
the device of ``input``, so a float32 computation stays float32 and a CUDA one stays on the GPU.
"""
from __future__ import annotations

import numpy as np

from .. import _validate as check
from .._backend import is_torch, namespace

__all__ = ["cast_like", "aux_array", "class_axis", "expand_classes"]


def cast_like(a, like):
    """``a`` with the dtype and device of ``like`` (NumPy stays NumPy, torch stays torch)."""
    if is_torch(like):
        import torch

        if isinstance(a, torch.Tensor):
            return a.to(dtype=like.dtype, device=like.device)
        return torch.as_tensor(np.asarray(a), dtype=like.dtype, device=like.device)
    if is_torch(a):
        raise TypeError("cannot mix NumPy arrays and torch tensors in one call; "
                        "convert them all with torch.as_tensor or all with numpy.asarray")
    return np.asarray(a, dtype=like.dtype)


def aux_array(value, name: str, like, shape=None, *, nonnegative: bool = False):
    """An auxiliary floating argument (``weight``...) checked, then cast like ``like``.

    ``shape`` (a tuple) demands that exact shape; otherwise it must broadcast to ``like``.
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = np.asarray(float(value))
    a = check.floating(value, name)
    if is_torch(a) != is_torch(like):
        if is_torch(a):
            raise TypeError(f"{name} is a torch tensor but input is a NumPy array; "
                            "pass both as NumPy arrays or both as torch tensors")
    if shape is not None:
        if tuple(a.shape) != tuple(shape):
            raise ValueError(f"{name} must have shape {tuple(shape)}, got {tuple(a.shape)}")
    else:
        try:
            out = np.broadcast_shapes(tuple(a.shape), tuple(like.shape))
        except ValueError:
            out = None
        if out != tuple(like.shape):
            raise ValueError(f"{name} of shape {tuple(a.shape)} does not broadcast to the "
                             f"shape of input {tuple(like.shape)}")
    if nonnegative and check.enabled():
        host = check.to_host(a)
        if host.size and host.min() < 0:
            raise ValueError(f"{name} must be non-negative, got a minimum of {host.min():.4g}")
    return cast_like(a, like)


def class_axis(x) -> int:
    """PyTorch's class axis: 1 for ``(N, C, d1, ...)``, 0 for an unbatched ``(C,)`` input."""
    return 1 if x.ndim >= 2 else 0


def expand_classes(v, ndim: int, axis: int):
    """Reshape a per-class vector ``(C,)`` to broadcast along ``axis`` of an ``ndim`` array."""
    shape = [1] * ndim
    shape[axis] = v.shape[0]
    return namespace(v).reshape(v, tuple(shape))
