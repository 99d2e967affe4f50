"""Formula helpers shared by every agent kind. They work on numpy arrays (the kernels)
and on plain floats (the per-agent rules) alike."""

from __future__ import annotations

import numpy as np


def logistic(x):
    return 1.0 / (1.0 + np.exp(-x))


def per_step(p_month, spy):
    """A monthly probability for a step of 12/spy months (unchanged for monthly steps)."""
    return p_month if spy == 12 else 1.0 - (1.0 - p_month) ** (12.0 / spy)


def clip01(x):
    return np.minimum(np.maximum(x, 0.0), 1.0)


def closer(value: float, rate: float) -> float:
    """Close a share `rate` (capped at 1) of the gap between value and 1."""
    return value + (1.0 - value) * min(1.0, rate)
