"""Regions: the unit of disparity analysis. Few, so one per-agent rule serves both engines.

Each month a region's broadband coverage grows by itself (urban faster than rural) and with
broadband spend (rural areas first); its public-service-centre reach grows with centre
spend; literacy spend becomes a course dose its citizens take up. Mandates are set on the
region by the mandate lever each step.
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
        State("invest_broadband", np.float64, 0.0, "Broadband spend this step [bn KZT]"),
        State("invest_psc", np.float64, 0.0, "Service-centre spend this step [bn KZT]"),
        State("invest_literacy", np.float64, 0.0, "Literacy-course spend this step [bn KZT]"),
        State("literacy_dose", np.float64, 0.0, "Share of literacy gap closed by courses"),
        State("mandate_citizens", np.float64, 0.0, "Citizen paper transactions mandated online"),
        State("mandate_businesses", np.float64, 0.0, "Business paper transactions mandated online"),
    )

    def step(self) -> None:
        k = self.model.params.coefficients
        spy = self.model.params.steps_per_year
        per_million = 1e6 / self.population
        broadband = k.broadband_per_budget * self.invest_broadband * per_million
        self.coverage_rural = self.coverage_rural + (1.0 - self.coverage_rural) * min(
            1.0, broadband + k.broadband_growth_rural / spy
        )
        self.coverage_urban = self.coverage_urban + (1.0 - self.coverage_urban) * min(
            1.0, 0.5 * broadband + k.broadband_growth_urban / spy
        )
        self.centres = self.centres + (1.0 - self.centres) * min(
            1.0, k.psc_per_budget * self.invest_psc * per_million
        )
        self.literacy_dose = min(1.0, k.literacy_per_budget * self.invest_literacy * per_million)

    @property
    def broadband_coverage(self) -> float:
        return self.urban_share * self.coverage_urban + (1 - self.urban_share) * self.coverage_rural
