"""Businesses: columns, per-agent rule and vectorized kernel, side by side.

Each month a firm
1. grows its digital readiness (faster once it uses e-services),
2. if not yet online, adopts G2B e-services with a UTAUT-shaped probability (service
   quality, readiness instead of literacy, the share of firms in its region already
   online, its size); a mandate (e-invoicing) of intensity m converts a share m of the
   remaining offline firms each month,
3. may drop back after a failed transaction (a mandate of intensity m cuts that by m),
4. if online and ready enough, becomes a B2G provider - running a service for the state,
   as private road-safety monitoring does - once openness x interoperability opens the
   gate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.agents.citizen import failure_probability, logistic, per_step
from sim.columns import ColumnAgent, State
from sim.params import Coefficients

SIZES = ("micro", "small", "medium", "large")
DECISIONS = ("adoption", "drop", "b2g")


@dataclass
class BusinessInputs:
    """What a firm sees in one step (arrays by region) and the step's draws."""

    quality: np.ndarray  # effective quality of business services, by region
    peers: np.ndarray  # share of the region's firms online at step start
    mandate: np.ndarray  # share of paper transactions made electronic, by region
    outage: np.ndarray
    gate: np.ndarray  # openness x interoperability, by region
    draws: dict[str, np.ndarray]
    steps_per_year: int


def new_readiness(k: Coefficients, readiness, adopted, spy):
    return readiness + (1.0 - readiness) * (k.readiness_growth * (1.0 + adopted) / spy)


def adoption_probability(k: Coefficients, quality, readiness, peers, size_shift, mandate, spy):
    """Per step: the monthly UTAUT-shaped chance, and a mandate of intensity m converting
    a share m of the remaining offline firms each month."""
    p = logistic(
        k.business_intercept
        + k.business_quality * quality
        + k.business_readiness * readiness
        + k.business_peers * peers
        + size_shift
    )
    return per_step(mandate + (1.0 - mandate) * p, spy)


def drop_probability(k: Coefficients, quality, outage, mandate, spy):
    """A failed transaction in a month with a need; a binding mandate (m) cuts it by m."""
    return failure_probability(k, quality, outage) * per_step(k.service_need, spy) * (1.0 - mandate)


def b2g_probability(k: Coefficients, gate, spy):
    opening = np.maximum(gate - k.b2g_gate, 0.0) / (1.0 - k.b2g_gate)
    return k.b2g_rate / spy * opening


class Business(ColumnAgent):
    """A firm (standing for `weight` firms) dealing with the state online or not."""

    states = (
        State("region", np.int16, 0, "Region index"),
        State("size", np.int8, 0, "Size class: 0 micro, 1 small, 2 medium, 3 large"),
        State("weight", np.float64, 1.0, "Firms this agent stands for [firms]"),
        State("readiness", np.float64, 0.0, "Digital readiness [0-1]"),
        State("adopted", np.bool_, False, "Uses G2B e-services"),
        State("b2g", np.bool_, False, "Provides a service to the state (B2G)"),
        State("vat_payer", np.bool_, False, "Registered for VAT: bound by the e-invoicing mandate"),
    )

    def step(self) -> None:
        """The per-agent rule: the readable specification `step_all` vectorizes."""
        m = self.model
        k, x, i, r = m.params.coefficients, m.business_inputs, self.row, self.region
        readiness, adopted, b2g = self.readiness, self.adopted, self.b2g
        mandate = x.mandate[r] if self.vat_payer else 0.0

        now_adopted = adopted
        if not adopted:
            p = adoption_probability(
                k,
                x.quality[r],
                readiness,
                x.peers[r],
                k.business_size[self.size],
                mandate,
                x.steps_per_year,
            )
            now_adopted = bool(x.draws["adoption"][i] < p)
        elif x.draws["drop"][i] < drop_probability(k, x.quality[r], x.outage[r], mandate, x.steps_per_year):
            now_adopted = False

        becomes_b2g = (
            adopted
            and readiness >= k.b2g_readiness
            and x.draws["b2g"][i] < b2g_probability(k, x.gate[r], x.steps_per_year)
        )
        self.readiness = new_readiness(k, readiness, adopted, x.steps_per_year)
        self.adopted = now_adopted
        self.b2g = b2g or becomes_b2g


def step_all(store, k: Coefficients, x: BusinessInputs) -> None:
    """The vectorized kernel: `Business.step` for every firm at once."""
    region = store["region"]
    readiness, adopted, b2g = store["readiness"], store["adopted"], store["b2g"]
    quality, mandate = x.quality[region], np.where(store["vat_payer"], x.mandate[region], 0.0)

    p_adopt = adoption_probability(
        k,
        quality,
        readiness,
        x.peers[region],
        np.asarray(k.business_size)[store["size"]],
        mandate,
        x.steps_per_year,
    )
    p_drop = drop_probability(k, quality, x.outage[region], mandate, x.steps_per_year)
    now_adopted = np.where(adopted, ~(x.draws["drop"] < p_drop), x.draws["adoption"] < p_adopt)
    becomes_b2g = (
        adopted
        & (readiness >= k.b2g_readiness)
        & (x.draws["b2g"] < b2g_probability(k, x.gate[region], x.steps_per_year))
    )
    store["readiness"] = new_readiness(k, readiness, adopted, x.steps_per_year)
    store["adopted"] = now_adopted
    store["b2g"] = b2g | becomes_b2g
