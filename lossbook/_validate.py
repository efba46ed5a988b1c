"""The validation switch: whether the input checks of :mod:`lossbook` run.

The checks themselves live in the family modules' kit (``lossbook._kit``). Those that cost a
pass over the data (NaN, label and range checks; a device sync on CUDA) run unless switched
off with :func:`validation`, as a training loop that has already validated its data may do.
"""
from __future__ import annotations

import contextlib

__all__ = ["validation", "enabled"]

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
