"""Policy levers and events, each a small class registered by name (as Covasim's
interventions): a scenario file names them, the model instantiates them with their spec.

A lever only decides *where money goes* (which agencies or regions, how much each step);
what the money does is the receiving agent's rule (sim/model/agents/agency.py, region.py).
That keeps every effect in one place and lets rival levers be compared at equal cost.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Protocol

import numpy as np

# --- what levers and events need of their spec and of the model -------------------------
# Interfaces, not imports: params (PolicySpec, EventSpec) validates lever names against
# the registry below, and the model builds levers, so this module sits beneath both.


class PolicyLike(Protocol):
    """A lever's spec (sim.model.params.PolicySpec)."""

    budget_share: float
    intensity: float
    audience: str
    target: Any

    def active(self, year: int) -> bool: ...


class EventLike(Protocol):
    """An event's spec (sim.model.params.EventSpec)."""

    year: int
    month: int
    months: int
    intensity: float
    need_surge: float


class RunSettings(Protocol):
    budget: float
    start_year: int
    steps_per_year: int

    @property
    def n_steps(self) -> int: ...


class Host(Protocol):
    """The model as levers and events see it (the Mesa model class satisfies it)."""

    params: RunSettings
    year: int
    agency_store: Any
    region_store: Any
    active_events: list
    b2g_regulation: float

    def target_agencies(self, target: Any) -> np.ndarray: ...

    def target_regions(self, target: Any) -> np.ndarray: ...

    def schedule_event(self, function: Callable, *, at: float) -> Any: ...


# --- the registry ------------------------------------------------------------------------

LEVERS: dict[str, type[Lever]] = {}
EVENTS: dict[str, type[Event]] = {}


def register(cls):
    """Class decorator: make a lever or event available to scenario files by its name."""
    (EVENTS if hasattr(cls, "begin") else LEVERS)[cls.name] = cls
    return cls


def budget_levers() -> set[str]:
    """Levers that spend a share of the budget (programmes)."""
    return {n for n, c in LEVERS.items() if c.acts_on in ("agency", "region")}


def audience_levers() -> set[str]:
    """Levers that address one service group (citizens or businesses)."""
    return {n for n, c in LEVERS.items() if c.acts_on == "mandate"}


def intensity_levers() -> set[str]:
    """Levers that cost no budget and act with an intensity (regulations)."""
    return {n for n, c in LEVERS.items() if c.acts_on in ("mandate", "regulation")}


class Lever:
    """A policy: a schedule, a budget share (or intensity) and a target.

    `acts_on` says what receives the spend: "agency" levers split it equally among the
    targeted agencies and write it to `inflow` of the agency columns; "region" levers
    split it among targeted regions in proportion to population.
    """

    name: ClassVar[str]
    acts_on: ClassVar[str]
    inflow: ClassVar[str]
    direction: ClassVar[str]  # the indicator it is meant to raise (documented, tested)

    def __init__(self, spec: PolicyLike):
        self.spec = spec

    def spend(self, model: Host) -> float:
        """Distribute this step's spend; returns the amount spent [bn KZT]."""
        if not self.spec.active(model.year):
            return 0.0
        amount = model.params.budget * self.spec.budget_share / model.params.steps_per_year
        if self.acts_on == "agency":
            mask = model.target_agencies(self.spec.target)
            model.agency_store[self.inflow][mask] += amount / mask.sum()
        else:
            mask = model.target_regions(self.spec.target)
            pop = model.region_store["population"] * mask
            model.region_store[self.inflow] += amount * pop / pop.sum()
        return amount


@register
class Interoperability(Lever):
    """Agencies adopt the national data-exchange standard (uptake is worth more as
    partners join); services that need their data stop sending people for certificates."""

    name = "interoperability"
    acts_on = "agency"
    inflow = "invest_interop"
    direction = "interoperability"


@register
class NewPlatforms(Lever):
    """New e-service platforms: raises the maturity of the targeted agencies' services."""

    name = "new_platforms"
    acts_on = "agency"
    inflow = "invest_platform"
    direction = "mean_service_maturity"


@register
class CivilServiceTraining(Lever):
    """Civil-service digital skills: staff capacity, which gates how well agencies absorb
    other spending and which stage they reach."""

    name = "civil_service_training"
    acts_on = "agency"
    inflow = "invest_training"
    direction = "staff_capacity"


@register
class OpenData(Lever):
    """Agencies publish open data: openness, the gate for B2G providers, and data firms
    reuse (faster business readiness)."""

    name = "open_data"
    acts_on = "agency"
    inflow = "invest_open_data"
    direction = "openness"


@register
class CitizenEngagement(Lever):
    """E-participation channels (petitions, reports, dashcam evidence) and the staff to
    answer them: C2G participation, responsiveness, and through it trust."""

    name = "citizen_engagement"
    acts_on = "agency"
    inflow = "invest_engagement"
    direction = "c2g_participation"


@register
class Cybersecurity(Lever):
    """Cybersecurity: fewer incidents, so fewer failed transactions and trust losses."""

    name = "cybersecurity"
    acts_on = "agency"
    inflow = "invest_cyber"
    direction = "cybersecurity"


@register
class Broadband(Lever):
    """Broadband infrastructure in the targeted regions, rural areas first."""

    name = "broadband"
    acts_on = "region"
    inflow = "invest_broadband"
    direction = "internet_use_share"


@register
class DataLiteracy(Lever):
    """Citizen digital (data) literacy courses in the targeted regions."""

    name = "data_literacy"
    acts_on = "region"
    inflow = "invest_literacy"
    direction = "mean_literacy"


@register
class ServiceCentres(Lever):
    """Public service centres: assisted service for people who do not go online. The
    transaction is electronic only where the service has a transactional back office
    (maturity >= 3), so centres raise the e-service share only together with platforms."""

    name = "service_centres"
    acts_on = "region"
    inflow = "invest_psc"
    direction = "assisted_share"


@register
class Mandate(Lever):
    """A channel made compulsory: a share `intensity` of paper transactions of one service
    group (citizens or businesses) must go electronic in the targeted regions. Costs no
    budget (a regulation, not a programme)."""

    name = "mandate"
    acts_on = "mandate"
    direction = "eservice_share"

    def spend(self, model: Host) -> float:
        if self.spec.active(model.year):
            mask = model.target_regions(self.spec.target)
            column = model.region_store[f"mandate_{self.spec.audience}"]
            np.maximum(column, self.spec.intensity * mask, out=column)
        return 0.0


@register
class Partnership(Lever):
    """Regulation that lets agencies contract private firms to run services for the state
    (public-private partnership law, as behind privately run road-safety cameras). Costs
    no budget; `intensity` scales how freely agencies may contract (B2G providers)."""

    name = "partnership"
    acts_on = "regulation"
    direction = "b2g_providers"

    def spend(self, model: Host) -> float:
        if self.spec.active(model.year):
            model.b2g_regulation = max(model.b2g_regulation, self.spec.intensity)
        return 0.0


@register
class RemoteSigning(Lever):
    """Signing without a key from a centre (one-time SMS passwords, a mobile app, keys issued
    remotely): a share `intensity` of the services that must be signed can be signed by
    anyone online in the targeted regions (the signature barrier, docs/model.md 5.6).
    Costs no budget (a regulation and an identity service, not a programme)."""

    name = "remote_signing"
    acts_on = "regulation"
    direction = "egov_users_12m_share"

    def spend(self, model: Host) -> float:
        if self.spec.active(model.year):
            column = model.region_store["remote_signing"]
            np.maximum(column, self.spec.intensity * model.target_regions(self.spec.target), out=column)
        return 0.0


class Event:
    """A dated shock, switched on and off through Mesa's event schedule."""

    name: ClassVar[str]

    def __init__(self, spec: EventLike, model: Host):
        self.spec = spec
        self.model = model
        first = (spec.year - model.params.start_year) * model.params.steps_per_year + (
            (spec.month - 1) * model.params.steps_per_year // 12
        )
        length = max(1, round(spec.months * model.params.steps_per_year / 12))
        # Step k runs at model.time == k (k >= 1); an event starting at step offset s is
        # scheduled half a step before step s + 1 runs, and ends the same way.
        if 0 <= first < model.params.n_steps:
            model.schedule_event(self.begin, at=first + 0.5)
            model.schedule_event(self.finish, at=first + length + 0.5)

    def begin(self) -> None:
        self.model.active_events.append(self)

    def finish(self) -> None:
        self.model.active_events.remove(self)

    # What an active event does; the model combines overlapping events (strictest wins).
    def paper_open(self) -> float:
        return 1.0

    def centres_open(self) -> float:
        return 1.0

    def incident_multiplier(self) -> float:
        return 1.0

    def need_surge(self) -> float:
        return 0.0


@register
class DemandShock(Event):
    """Paper channels (and half the public-service-centre capacity) close, as in the
    2020 lockdown: people who still need services must go online or wait; and those
    already using e-government online need more services (`need_surge`)."""

    name = "demand_shock"

    def paper_open(self) -> float:
        return 1.0 - self.spec.intensity

    def centres_open(self) -> float:
        return 1.0 - 0.5 * self.spec.intensity

    def need_surge(self) -> float:
        return self.spec.need_surge


@register
class CyberWave(Event):
    """A wave of attacks: the incident rate is multiplied for some months."""

    name = "cyber_wave"

    def incident_multiplier(self) -> float:
        return self.spec.intensity
