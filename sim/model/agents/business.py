"""Businesses: columns, per-agent rule and the formulas the compiled kernel shares.

Each month a firm
1. grows its digital readiness (faster once it uses e-services),
2. if not yet online, adopts G2B e-services with a UTAUT-shaped probability (service
   quality, readiness instead of literacy, the share of firms in its region already
   online, its size); a mandate (e-invoicing) of intensity m converts a share m of the
   remaining offline firms each month,
3. may drop back after a failed transaction (a mandate of intensity m cuts that by m).

Open data published by the agencies serving its region speeds its readiness (firms reuse
it). B2G provision is not a firm's own step: agencies contract a few providers from the
pool of ready firms (sim/model/agents/agency.py), so B2G is counted in providers, not in firms.

The formulas are plain Python on floats; `Business.step` calls them and
sim/model/kernels.py compiles the same functions into one loop over all firms.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from sim.model.columns import ColumnAgent, State
from sim.model.formulas import formula, per_step
from sim.model.params import Coefficients
from sim.model.rng import uniform

SIZES = ("micro", "small", "medium", "large")


class BusinessCoefficients(NamedTuple):
    """The scalar coefficients a firm's rule reads (plain floats, also a numba tuple)."""

    readiness_growth: float
    open_data_reuse: float
    business_intercept: float
    business_quality: float
    business_readiness: float
    business_peers: float
    failure_rate: float
    outage_failure: float
    service_need: float

    @classmethod
    def of(cls, k: Coefficients) -> BusinessCoefficients:
        return cls(*(float(getattr(k, name)) for name in cls._fields))


class Keys(NamedTuple):
    """The step's counter-based stream keys (sim/model/rng.py)."""

    adoption: int
    drop: int


DECISIONS = Keys._fields  # the decisions' stream names, in the order of Keys


@dataclass
class BusinessInputs:
    """What a firm sees in one step (arrays by region) and the step's stream keys."""

    quality: np.ndarray  # effective quality of business services, by region
    peers: np.ndarray  # share of the region's firms online at step start
    mandate: np.ndarray  # share of paper transactions made electronic, by region
    outage: np.ndarray
    open_data: np.ndarray  # open data published by the agencies serving the region [0-1]
    keys: Keys
    steps_per_year: int
    coefficients: BusinessCoefficients
    size_shift: tuple[float, ...]  # by size class

    def for_rule(self) -> RegionValues:
        """The region values as Python lists, read by the per-agent rule."""
        return RegionValues(*(getattr(self, name).tolist() for name in RegionValues._fields))


class RegionValues(NamedTuple):
    quality: list
    peers: list
    mandate: list
    outage: list
    open_data: list


@formula
def logistic(x):
    return 1.0 / (1.0 + math.exp(-x))


@formula
def readiness_growth(c, adopted, open_data, spy):
    """The share of its readiness gap a firm closes per step: adopters learn twice as fast,
    and open data to reuse speeds both (the same for every firm of a region and status, so
    a compiled loop computes it per region)."""
    return c.readiness_growth * (1.0 + adopted) * (1.0 + c.open_data_reuse * open_data) / spy


@formula
def new_readiness(readiness, growth):
    return readiness + (1.0 - readiness) * growth


@formula
def adoption_probability(c, quality, readiness, peers, size_shift, mandate, spy):
    """Per step: the monthly UTAUT-shaped chance, and a mandate of intensity m converting
    a share m of the remaining offline firms each month."""
    p = logistic(
        c.business_intercept
        + c.business_quality * quality
        + c.business_readiness * readiness
        + c.business_peers * peers
        + size_shift
    )
    return per_step(mandate + (1.0 - mandate) * p, spy)


@formula
def drop_probability(c, quality, outage, mandate, spy):
    """A failed transaction in a month with a need; a binding mandate (m) cuts it by m."""
    failure = c.failure_rate * (1.0 - quality) + outage * c.outage_failure
    return failure * per_step(c.service_need, spy) * (1.0 - mandate)


class Business(ColumnAgent):
    """A firm (standing for `weight` firms) dealing with the state online or not."""

    states = (
        State("region", np.int16, 0, "Region index"),
        State("size", np.int8, 0, "Size class: 0 micro, 1 small, 2 medium, 3 large"),
        State("weight", np.float64, 1.0, "Firms this agent stands for [firms]"),
        State("readiness", np.float64, 0.0, "Digital readiness [0-1]"),
        State("adopted", np.bool_, False, "Uses G2B e-services"),
        State("vat_payer", np.bool_, False, "Registered for VAT: bound by the e-invoicing mandate"),
    )

    def step(self) -> None:
        """The per-agent rule: the readable specification the kernel compiles."""
        x = self.model.business_inputs
        v, c, spy = self.model.business_region_values, x.coefficients, x.steps_per_year
        i, r = self.row, self.region
        readiness, adopted = self.readiness, self.adopted
        mandate = v.mandate[r] if self.vat_payer else 0.0

        now_adopted = adopted
        if not adopted:
            p = adoption_probability(
                c, v.quality[r], readiness, v.peers[r], x.size_shift[self.size], mandate, spy
            )
            now_adopted = uniform(x.keys.adoption, i) < p
        elif uniform(x.keys.drop, i) < drop_probability(c, v.quality[r], v.outage[r], mandate, spy):
            now_adopted = False

        self.readiness = new_readiness(readiness, readiness_growth(c, adopted, v.open_data[r], spy))
        self.adopted = now_adopted
