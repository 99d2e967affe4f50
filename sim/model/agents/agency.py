"""Agencies: central ministries and one local executive (akimat) per region: columns,
per-agent rule (`Agency.step`, the agent engine) and its vectorized kernel (`step_all`,
the fast engine), side by side.

An agency is a decision maker with its own IT budget (a base per service it runs, plus
what the levers send it), legacy systems with an age, and staff capacity. Each month it
1. decides whether to be on the national data exchange: a coordination game. Joining
   costs more the older its systems; being on the exchange is worth as much as the share
   of its data partners already on it; programme money subsidises it. Joining is sunk
   (staying costs less than joining), so fragmentation and integration both persist;
2. runs its services: its own budget maintains them first (unmaintained services lose
   maturity: obsolescence), what is left and platform money upgrades them, with
   diminishing returns, and platform money replaces legacy systems;
3. trains staff, publishes open data, runs an engagement channel, secures its systems;
   C2G reports it receives teach it to answer and get faults fixed;
4. contracts a few private B2G providers where its open data and regulation allow;
5. may suffer a cyber incident that takes its services down for the month.
Its digitalization stage (1 Automation, 2 Digitalization, 3 Transformation) is then
classified from its state, and the stage changes what it can do next: how much programme
money it absorbs, whether its services can go beyond transactional, and whether it can
launch proactive life-event services.
"""

from __future__ import annotations

import numpy as np

from sim.model.columns import ColumnAgent, State
from sim.model.formulas import closer, per_step
from sim.model.framework import agency_stage, openness_index

INFLOWS = (
    "invest_interop",
    "invest_platform",
    "invest_training",
    "invest_open_data",
    "invest_engagement",
    "invest_cyber",
)
DECISIONS = ("incident", "join", "b2g", "b2g_end")


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


def exchange_pays(k, joined: bool, partners_on: float, coordination: bool, subsidy: float, legacy: float):
    """The coordination game: being on the exchange is worth join_benefit times the share
    of data partners on it (a fixed half with coordination off); an agency joins when that
    plus the subsidy covers the joining cost, and stays while it covers the upkeep."""
    worth = k.join_benefit * (partners_on if coordination else 0.5) + subsidy
    return worth >= (k.exchange_upkeep if joined else k.join_cost) * legacy


class Agency(ColumnAgent):
    """A government agency that owns services, decides how to spend, and exchanges data."""

    states = (
        State("central", np.bool_, True, "Central ministry (else a region's akimat)"),
        State("region", np.int16, -1, "Region of an akimat, -1 for central agencies"),
        State("capacity", np.float64, 0.2, "Staff digital capacity [0-1]"),
        State("legacy_age", np.float64, 8.0, "Age of its IT systems [years]"),
        State("joined", np.bool_, False, "On the national data exchange"),
        State("interop", np.float64, 0.05, "Integration with the data-exchange standard [0-1]"),
        State("maintained", np.float64, 1.0, "Share of its services' upkeep it funded this step [0-1]"),
        State("open_data", np.float64, 0.0, "Open data published [0-1]"),
        State("engagement", np.float64, 0.0, "Strength of e-participation channel [0-1]"),
        State("cyber", np.float64, 0.2, "Cybersecurity [0-1]"),
        State("outage", np.bool_, False, "Services down this step (cyber incident)"),
        State("stage", np.int8, 1, "Digitalization stage 1-3"),
        State("b2g_contracts", np.int16, 0, "Private B2G providers under contract [count]"),
        State("usage", np.float64, 0.0, "Online share of the people it serves, last step [0-1]"),
        State("reports", np.float64, 0.0, "C2G participation share of the people it serves, last step"),
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
        k, fb, th, spy = m.coefficients, m.params.feedbacks, m.params.thresholds, m.params.steps_per_year
        draws, row = m.agency_draws, self.row
        services = m.services.of_agency[row]
        live = services[m.services.available[services]]
        absorb = (1.0 - k.capacity_absorption + k.capacity_absorption * self.capacity) * (
            k.stage_absorption[self.stage - 1]
        )
        legacy = 1.0 + k.legacy_cost * self.legacy_age / 10.0

        # 1. the data exchange
        partners_on = m.services.partners_on(row, m.joined_before)
        subsidy = k.join_subsidy * self.invest_interop * spy * absorb
        pays = exchange_pays(k, self.joined, partners_on, fb.coordination, subsidy, legacy)
        if pays != self.joined and draws["join"][row] < per_step(k.join_rate, spy):
            self.joined = pays
        if self.joined:
            rate = (k.integration_rate + k.interop_per_budget * self.invest_interop * spy) * absorb
            self.interop = closer(self.interop, rate / spy)
        else:
            self.interop = self.interop * (1.0 - min(1.0, k.interop_decay / spy))

        # 2. services: upkeep first, then upgrades; platform money also renews systems
        c2g_flow = min(self.reports / th.c2g_full_share, 1.0) if fb.c2g_fixes else 0.0
        if len(live):
            level = m.services.maturity[live]
            own = (k.agency_budget + k.usage_budget * self.usage * fb.usage_supply) * len(live)
            need = k.maintenance_cost * float((level / 4.0).sum()) * legacy
            self.maintained = min(1.0, own / need) if need > 0 else 1.0
            fixes = k.report_fixes * c2g_flow * self.responsiveness
            level = level * (1.0 - min(1.0, k.obsolescence / spy) * (1.0 - self.maintained) * (1.0 - fixes))
            per_service = (self.invest_platform + max(own - need, 0.0) / spy) / len(live)
            ceiling = 4.0 if self.stage >= 2 else k.automation_ceiling
            gain = np.minimum(1.0, k.platform_per_budget * per_service * absorb / (1.0 + level))
            m.services.maturity[live] = level + np.maximum(ceiling - level, 0.0) * gain
            renewal = k.renewal_per_budget * self.invest_platform / len(live)
            self.legacy_age = max(0.0, self.legacy_age + 1.0 / spy - renewal)
        else:
            self.legacy_age = self.legacy_age + 1.0 / spy

        # 3. skills, openness, security; C2G reports build the routine to answer them
        self.capacity = closer(self.capacity, k.capacity_per_budget * self.invest_training) * (
            1.0 - k.staff_turnover / spy
        )
        self.open_data = closer(self.open_data, k.open_data_per_budget * self.invest_open_data * absorb)
        self.engagement = closer(
            self.engagement,
            k.engagement_per_budget * self.invest_engagement * absorb
            + k.report_learning / spy * c2g_flow * self.capacity,
        )
        self.cyber = closer(self.cyber, k.cyber_per_budget * self.invest_cyber) * (1.0 - k.cyber_decay / spy)

        # 4. B2G: providers contracted where open data and regulation allow
        if self.b2g_contracts and draws["b2g_end"][row] < per_step(k.b2g_contract_end, spy):
            self.b2g_contracts -= 1
        opening = max(self.open_data - k.b2g_gate, 0.0) / (1.0 - k.b2g_gate) * m.b2g_regulation
        if (
            self.b2g_contracts < k.b2g_max_contracts
            and m.ready_firms > 0
            and draws["b2g"][row] < per_step(k.b2g_rate * opening, spy)
        ):
            self.b2g_contracts += 1

        # 5. incidents, then the stage this state amounts to
        maturity = float(m.services.maturity[live].mean()) if len(live) else 0.0
        incident = k.incident_rate / spy * (1.0 - self.cyber) * maturity / 4.0 * m.incident_multiplier
        self.outage = bool(draws["incident"][row] < incident)
        self.stage = agency_stage(self.capacity, maturity, self.interop, th)


def step_all(m) -> None:
    """The vectorized kernel: `Agency.step` for every agency at once, the same arithmetic
    in the same order (per-agency sums over an agency's few services run in service
    order, as the rule's), so both engines give identical tables."""
    a, s = m.agency_store, m.services
    k, fb, th, spy = m.coefficients, m.params.feedbacks, m.params.thresholds, m.params.steps_per_year
    draws, n = m.agency_draws, len(a)
    capacity, stage, joined = a["capacity"], a["stage"], a["joined"]
    absorb = (1.0 - k.capacity_absorption + k.capacity_absorption * capacity) * np.asarray(
        k.stage_absorption
    )[stage - 1]
    legacy = 1.0 + k.legacy_cost * a["legacy_age"] / 10.0

    # 1. the data exchange
    live = np.flatnonzero(s.available)
    owner = s.owner[live]
    needs = np.zeros((n, s.external.shape[1]), dtype=np.int64)
    np.add.at(needs, owner, s.external[live].astype(np.int64))
    total = needs.sum(axis=1)
    on = needs @ m.joined_before.astype(np.int64)
    partners_on = np.where(total > 0, on / np.maximum(total, 1), 0.0)
    subsidy = k.join_subsidy * a["invest_interop"] * spy * absorb
    worth = k.join_benefit * (partners_on if fb.coordination else 0.5) + subsidy
    pays = worth >= np.where(joined, k.exchange_upkeep, k.join_cost) * legacy
    switch = (pays != joined) & (draws["join"] < per_step(k.join_rate, spy))
    joined = np.where(switch, pays, joined)
    rate = (k.integration_rate + k.interop_per_budget * a["invest_interop"] * spy) * absorb
    interop = a["interop"]
    interop = np.where(
        joined,
        interop + (1.0 - interop) * np.minimum(1.0, rate / spy),
        interop * (1.0 - min(1.0, k.interop_decay / spy)),
    )

    # 2. services: upkeep first, then upgrades; platform money also renews systems
    c2g_flow = np.minimum(a["reports"] / th.c2g_full_share, 1.0) if fb.c2g_fixes else np.zeros(n)
    n_live = np.bincount(owner, minlength=n)
    has = n_live > 0
    count = np.maximum(n_live, 1)
    level = s.maturity[live]
    own = (k.agency_budget + k.usage_budget * a["usage"] * fb.usage_supply) * n_live
    need = k.maintenance_cost * np.bincount(owner, weights=level / 4.0, minlength=n) * legacy
    maintained = np.where(need > 0, np.minimum(1.0, own / np.where(need > 0, need, 1.0)), 1.0)
    fixes = k.report_fixes * c2g_flow * responsiveness(capacity, a["engagement"])
    keep = 1.0 - min(1.0, k.obsolescence / spy) * (1.0 - maintained) * (1.0 - fixes)
    level = level * keep[owner]
    per_service = (a["invest_platform"] + np.maximum(own - need, 0.0) / spy) / count
    ceiling = np.where(stage >= 2, 4.0, k.automation_ceiling)
    gain = np.minimum(1.0, k.platform_per_budget * per_service[owner] * absorb[owner] / (1.0 + level))
    s.maturity[live] = level + np.maximum(ceiling[owner] - level, 0.0) * gain
    renewal = k.renewal_per_budget * a["invest_platform"] / count
    legacy_age = np.where(
        has, np.maximum(0.0, a["legacy_age"] + 1.0 / spy - renewal), a["legacy_age"] + 1.0 / spy
    )

    # 3. skills, openness, security; C2G reports build the routine to answer them
    capacity = (
        capacity + (1.0 - capacity) * np.minimum(1.0, k.capacity_per_budget * a["invest_training"])
    ) * (1.0 - k.staff_turnover / spy)
    open_data = a["open_data"]
    open_data = open_data + (1.0 - open_data) * np.minimum(
        1.0, k.open_data_per_budget * a["invest_open_data"] * absorb
    )
    engagement = a["engagement"]
    engagement = engagement + (1.0 - engagement) * np.minimum(
        1.0,
        k.engagement_per_budget * a["invest_engagement"] * absorb
        + k.report_learning / spy * c2g_flow * capacity,
    )
    cyber = a["cyber"]
    cyber = (cyber + (1.0 - cyber) * np.minimum(1.0, k.cyber_per_budget * a["invest_cyber"])) * (
        1.0 - k.cyber_decay / spy
    )

    # 4. B2G: providers contracted where open data and regulation allow
    contracts = a["b2g_contracts"].astype(np.int64)
    contracts = contracts - ((contracts > 0) & (draws["b2g_end"] < per_step(k.b2g_contract_end, spy)))
    opening = np.maximum(open_data - k.b2g_gate, 0.0) / (1.0 - k.b2g_gate) * m.b2g_regulation
    contracts = contracts + (
        (contracts < k.b2g_max_contracts)
        & (m.ready_firms > 0)
        & (draws["b2g"] < per_step(k.b2g_rate * opening, spy))
    )

    # 5. incidents, then the stage this state amounts to
    maturity = np.where(has, np.bincount(owner, weights=s.maturity[live], minlength=n) / count, 0.0)
    incident = k.incident_rate / spy * (1.0 - cyber) * maturity / 4.0 * m.incident_multiplier
    a["joined"], a["interop"], a["legacy_age"] = joined, interop, legacy_age
    a["maintained"] = np.where(has, maintained, a["maintained"])
    a["capacity"], a["open_data"], a["engagement"], a["cyber"] = capacity, open_data, engagement, cyber
    a["b2g_contracts"] = contracts
    a["outage"] = draws["incident"] < incident
    a["stage"] = agency_stage(capacity, maturity, interop, th)
