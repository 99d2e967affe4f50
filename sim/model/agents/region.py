"""Regions: the unit of disparity analysis. Columns, per-agent rule (`Region.step`, the
agent engine) and its vectorized kernel (`step_all`, the fast engine), side by side.

Each month a region's broadband coverage grows by itself (urban faster than rural) and with
broadband spend (rural areas first); rural coverage erodes in months without public
spending. Its public-service-centre reach grows with centre spend and erodes without it;
literacy spend becomes a course dose its citizens take up. Its paper counters follow
demand (usage-driven supply): where the paper share of citizens falls below what a
counter costs, counters are cut, and they reopen only slowly where demand returns.
Mandates are set on the region by the mandate lever each step.
"""

from __future__ import annotations

import numpy as np

from sim.model.columns import ColumnAgent, State

INFLOWS = ("invest_broadband", "invest_psc", "invest_literacy")


class Region(ColumnAgent):
    """An oblast or a city of republican significance."""

    states = (
        State("population", np.float64, 0.0, "Residents [persons]"),
        State("urban_share", np.float64, 0.5, "Share of residents in urban settlements"),
        State("coverage_urban", np.float64, 0.0, "Broadband coverage of urban areas [0-1]"),
        State("coverage_rural", np.float64, 0.0, "Broadband coverage of rural areas [0-1]"),
        State("centres", np.float64, 0.0, "Public-service-centre reach [0-1]"),
        State("counters", np.float64, 1.0, "Paper-counter capacity still open [0-1]"),
        State("paper_demand", np.float64, 1.0, "Paper share of citizens, last step [0-1]"),
        State("invest_broadband", np.float64, 0.0, "Broadband spend this step [bn KZT]"),
        State("invest_psc", np.float64, 0.0, "Service-centre spend this step [bn KZT]"),
        State("invest_literacy", np.float64, 0.0, "Literacy-course spend this step [bn KZT]"),
        State("literacy_dose", np.float64, 0.0, "Share of literacy gap closed by courses"),
        State("mandate_citizens", np.float64, 0.0, "Citizen paper transactions mandated online"),
        State("mandate_businesses", np.float64, 0.0, "Business paper transactions mandated online"),
        State("remote_signing", np.float64, 0.0, "Share of signed services signable without a key"),
    )

    def step(self) -> None:
        m = self.model
        k, spy = m.coefficients, m.params.steps_per_year
        per_million = 1e6 / self.population
        broadband = k.broadband_per_budget * self.invest_broadband * per_million
        rural = self.coverage_rural
        if self.invest_broadband == 0.0:
            rural = rural * (1.0 - min(1.0, k.coverage_decay / spy))
        self.coverage_rural = rural + (1.0 - rural) * min(1.0, broadband + k.broadband_growth_rural / spy)
        self.coverage_urban = self.coverage_urban + (1.0 - self.coverage_urban) * min(
            1.0, 0.5 * broadband + k.broadband_growth_urban / spy
        )
        centres = self.centres * (1.0 - min(1.0, k.centre_decay / spy))
        self.centres = centres + (1.0 - centres) * min(1.0, k.psc_per_budget * self.invest_psc * per_million)
        self.literacy_dose = min(1.0, k.literacy_per_budget * self.invest_literacy * per_million)
        if m.params.feedbacks.usage_supply:
            if self.paper_demand < k.counter_viability:
                self.counters = self.counters * (1.0 - min(1.0, k.counter_closure / spy))
            else:
                self.counters = self.counters + (1.0 - self.counters) * min(1.0, k.counter_reopen / spy)

    @property
    def broadband_coverage(self) -> float:
        return self.urban_share * self.coverage_urban + (1 - self.urban_share) * self.coverage_rural


def step_all(m) -> None:
    """The vectorized kernel: `Region.step` for every region at once, same arithmetic."""
    r = m.region_store
    k, spy = m.coefficients, m.params.steps_per_year
    per_million = 1e6 / r["population"]
    broadband = k.broadband_per_budget * r["invest_broadband"] * per_million
    rural = r["coverage_rural"]
    rural = np.where(r["invest_broadband"] == 0.0, rural * (1.0 - min(1.0, k.coverage_decay / spy)), rural)
    r["coverage_rural"] = rural + (1.0 - rural) * np.minimum(1.0, broadband + k.broadband_growth_rural / spy)
    urban = r["coverage_urban"]
    r["coverage_urban"] = urban + (1.0 - urban) * np.minimum(
        1.0, 0.5 * broadband + k.broadband_growth_urban / spy
    )
    centres = r["centres"] * (1.0 - min(1.0, k.centre_decay / spy))
    r["centres"] = centres + (1.0 - centres) * np.minimum(
        1.0, k.psc_per_budget * r["invest_psc"] * per_million
    )
    r["literacy_dose"] = np.minimum(1.0, k.literacy_per_budget * r["invest_literacy"] * per_million)
    if m.params.feedbacks.usage_supply:
        counters = r["counters"]
        r["counters"] = np.where(
            r["paper_demand"] < k.counter_viability,
            counters * (1.0 - min(1.0, k.counter_closure / spy)),
            counters + (1.0 - counters) * min(1.0, k.counter_reopen / spy),
        )
