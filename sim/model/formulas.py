"""Formula helpers shared by the agent kinds. Each works on scalars (the per-agent rules)
and on numpy arrays alike, so both engines compute the same numbers. Functions marked
`@formula` stay plain Python functions and can also be called from numba-compiled
kernels (sim/model/kernels.py), which compile the very same source."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numba.extending import register_jitable

formula = register_jitable  # a plain Python function that compiled kernels can call too

if TYPE_CHECKING:
    from sim.model.params import Coefficients


def logistic(x):
    return 1.0 / (1.0 + np.exp(-x))


@formula
def per_step(p_month, spy):
    """A monthly probability for a step of 12/spy months (unchanged for monthly steps)."""
    return p_month if spy == 12 else 1.0 - (1.0 - p_month) ** (12.0 / spy)


def clip01(x):
    return np.minimum(np.maximum(x, 0.0), 1.0)


def closer(value: float, rate: float) -> float:
    """Close a share `rate` (capped at 1) of the gap between value and 1."""
    return value + (1.0 - value) * min(1.0, rate)


def failure_probability(k: Coefficients, quality, outage):
    """Chance a transaction fails: low service quality, or an outage (citizens and firms)."""
    return k.failure_rate * (1.0 - quality) + outage * k.outage_failure
