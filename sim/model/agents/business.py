"""Businesses: columns, per-agent rule and vectorized kernel, side by side.

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
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.model.columns import ColumnAgent, State
from sim.model.formulas import failure_probability, logistic, per_step
from sim.model.params import Coefficients

SIZES = ("micro", "small", "medium", "large")
DECISIONS = ("adoption", "drop")


@dataclass
class BusinessInputs:
    """What a firm sees in one step (arrays by region) and the step's draws."""

    quality: np.ndarray  # effective quality of business services, by region
    peers: np.ndarray  # share of the region's firms online at step start
    mandate: np.ndarray  # share of paper transactions made electronic, by region
    outage: np.ndarray
    open_data: np.ndarray  # open data published by the agencies serving the region [0-1]
    draws: dict[str, np.ndarray]
    steps_per_year: int


def new_readiness(k: Coefficients, readiness, adopted, open_data, spy):
    growth = k.readiness_growth * (1.0 + adopted) * (1.0 + k.open_data_reuse * open_data)
    return readiness + (1.0 - readiness) * (growth / spy)


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
        """The per-agent rule: the readable specification `step_all` vectorizes."""
        m = self.model
        k, x, i, r = m.coefficients, m.business_inputs, self.row, self.region
        readiness, adopted = self.readiness, self.adopted
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

        self.readiness = new_readiness(k, readiness, adopted, x.open_data[r], x.steps_per_year)
        self.adopted = now_adopted


def step_all(store, k: Coefficients, x: BusinessInputs) -> None:
    """The vectorized kernel: `Business.step` for every firm at once."""
    region = store["region"]
    readiness, adopted = store["readiness"], store["adopted"]
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
    store["readiness"] = new_readiness(k, readiness, adopted, x.open_data[region], x.steps_per_year)
    store["adopted"] = now_adopted
