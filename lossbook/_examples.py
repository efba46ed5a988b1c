"""Random example inputs for registry entries: valid, float64, and away from kinks."""
from __future__ import annotations

import numpy as np

__all__ = ["real", "rng"]


def rng(seed: int) -> np.random.Generator:
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
