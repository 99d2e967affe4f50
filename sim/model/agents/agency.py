"""Agencies: central ministries and one local executive (akimat) per region. Few, so one
per-agent rule serves both engines.

Each month an agency turns the money the levers sent it into
- interoperability: uptake of the national data-exchange standard, worth more the more of
  its data partners (neighbours in the exchange network) have joined, plus unfunded
  spill-over of best practice along the network;
- service maturity of the services it owns (new platforms);
- staff capacity (training), which decays with turnover and gates how much of any other
  spend the agency can absorb;
- open data, engagement channels, cybersecurity (which erodes as threats evolve);
and it may suffer a cyber incident that takes its services down for the month. Its
digitalization stage is then classified from these inputs, so an agency can jump from
Automation straight to Digital transformation when a platform and the exchange arrive
before its staff skills do.
"""

from __future__ import annotations

import numpy as np

from sim.model.columns import ColumnAgent, State
from sim.model.formulas import closer
from sim.model.framework import agency_stage, openness_index

INFLOWS = (
    "invest_interop",
    "invest_platform",
    "invest_training",
    "invest_open_data",
    "invest_engagement",
    "invest_cyber",
)
DECISIONS = ("incident",)


def responsiveness(capacity, engagement):
    """How far citizens' reports and petitions get an answer [0-1]: skilled staff answer,
    and a strong engagement channel routes what citizens send to them."""
    return capacity * (0.4 + 0.6 * engagement)


def as_seen_by_regions(serving: np.ndarray, store) -> dict[str, np.ndarray]:
    """Agency state as each region experiences it: the mean over the agencies serving it
    (central ministries and its akimat), weighted by `serving` (regions x agencies)."""
    view = {name: serving @ store[name] for name in ("interop", "open_data", "engagement")}
    view["responsiveness"] = serving @ responsiveness(store["capacity"], store["engagement"])
    view["openness"] = openness_index(view["open_data"], view["engagement"], view["responsiveness"])
    return view


class Agency(ColumnAgent):
    """A government agency that owns services and exchanges data with others."""

    states = (
        State("central", np.bool_, True, "Central ministry (else a region's akimat)"),
        State("region", np.int16, -1, "Region of an akimat, -1 for central agencies"),
        State("capacity", np.float64, 0.2, "Staff digital capacity [0-1]"),
        State("interop", np.float64, 0.05, "Uptake of the data-exchange standard [0-1]"),
        State("open_data", np.float64, 0.0, "Open data published [0-1]"),
        State("engagement", np.float64, 0.0, "Strength of e-participation channel [0-1]"),
        State("cyber", np.float64, 0.2, "Cybersecurity [0-1]"),
        State("outage", np.bool_, False, "Services down this step (cyber incident)"),
        State("stage", np.int8, 1, "Digitalization stage 1-3"),
        *(State(name, np.float64, 0.0, f"{name[7:]} spend this step [bn KZT]") for name in INFLOWS),
    )

    @property
    def name(self) -> str:
        return self.model.agency_names[self.row]

    @property
    def responsiveness(self) -> float:
        return responsiveness(self.capacity, self.engagement)

    def step(self) -> None:
        m = self.model
        k, th, spy = m.params.coefficients, m.params.thresholds, m.params.steps_per_year
        services = m.services.of_agency[self.row]
        absorb = 1.0 - k.capacity_absorption + k.capacity_absorption * self.capacity

        partners = m.agency_partners[self.row]
        joined = float(m.interop_before[partners].mean()) if len(partners) else 0.0
        self.interop = closer(
            self.interop,
            k.interop_per_budget * self.invest_interop * absorb * (1.0 + k.interop_network_gain * joined)
            + k.interop_spillover / spy * joined * self.capacity,
        )
        if len(services):
            level = m.services.maturity[services]
            per_service = self.invest_platform / len(services)
            # each level up costs more than the last: proactive services are the hardest
            gain = np.minimum(1.0, k.platform_per_budget * per_service * absorb / (1.0 + level))
            m.services.maturity[services] = level + (4.0 - level) * gain
        self.capacity = closer(self.capacity, k.capacity_per_budget * self.invest_training) * (
            1.0 - k.staff_turnover / spy
        )
        self.open_data = closer(self.open_data, k.open_data_per_budget * self.invest_open_data * absorb)
        self.engagement = closer(self.engagement, k.engagement_per_budget * self.invest_engagement * absorb)
        self.cyber = closer(self.cyber, k.cyber_per_budget * self.invest_cyber) * (1.0 - k.cyber_decay / spy)

        maturity = float(m.services.maturity[services].mean()) if len(services) else 0.0
        incident = k.incident_rate / spy * (1.0 - self.cyber) * maturity / 4.0 * m.incident_multiplier
        self.outage = bool(m.agency_draws["incident"][self.row] < incident)
        self.stage = agency_stage(self.capacity, maturity, self.interop, th)
