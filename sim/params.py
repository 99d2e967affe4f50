"""The typed parameter set of a run: world, behavioural coefficients, thresholds, budget,
policies and events.

Every field is declared once with its type, default, allowed range, unit and a source or
rationale (in the description), so a scenario file, the JSON Schema and docs/model.md all
read from here. Models forbid unknown keys: a misspelt coefficient is an error, never a
silently ignored value.
"""

from __future__ import annotations

import weakref
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sim.levers import EVENTS, LEVERS, audience_levers, budget_levers
from sim.paths import NAME_PATTERN, check_name
from sim.world_data import agency_names, kazakhstan_region_names, synthetic_region_names

INDICATORS_FOR_TARGETING = (
    "internet_use_share",
    "citizen_online_share",
    "mean_literacy",
    "broadband_coverage",
    "business_adoption",
    "trust",
)


class Strict(BaseModel):
    """Base for every file-facing model: unknown keys are errors, numbers are finite
    (no NaN or infinity), values are checked on assignment too, so a parameter changed in
    a notebook is validated like one in a file. A model nested in a `Params` also has the
    parameter set's cross-field rules (budget shares, region names) checked when one of
    its fields is assigned; a failed assignment is undone."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_bool_numbers(cls, v, info):
        if isinstance(v, bool) and cls.model_fields[info.field_name].annotation in (int, float):
            raise ValueError("a number, not true/false")
        return v

    def __setattr__(self, name, value):
        had = name in self.__dict__
        old = self.__dict__.get(name)
        super().__setattr__(name, value)
        owner = _owner_of(self)
        if owner is not None and owner is not self:
            try:
                owner._check_nested()
            except ValueError:
                if had:
                    self.__dict__[name] = old
                raise


# The Params enclosing each nested model, kept outside the models so that equality,
# copies and pickles are unaffected: id(child) -> (weak child, weak owner).
_OWNERS: dict[int, tuple[weakref.ref, weakref.ref]] = {}


def _owner_of(model):
    entry = _OWNERS.get(id(model))
    if entry is None or entry[0]() is not model:
        return None
    return entry[1]()


def _adopt(value, owner) -> None:
    """Point every model nested in `value` at `owner` (the enclosing Params)."""
    if len(_OWNERS) > 200_000:
        for key in [k for k, (child, _) in _OWNERS.items() if child() is None]:
            del _OWNERS[key]
    if isinstance(value, Strict):
        _OWNERS[id(value)] = (weakref.ref(value), weakref.ref(owner))
        for field_name in type(value).model_fields:
            _adopt(value.__dict__.get(field_name), owner)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _adopt(item, owner)


Ratio = Annotated[float, Field(ge=0.0, le=10.0)]
Logit = Annotated[float, Field(ge=-20.0, le=20.0)]
Share = Annotated[float, Field(ge=0.0, le=1.0)]


def unit(default, lo=None, hi=None, doc: str = "", **kw):
    """A field with its range and a description that carries unit and rationale."""
    return Field(default, ge=lo, le=hi, description=doc, **kw)


class WorldSpec(Strict):
    """Which world to build and at what resolution."""

    kind: Literal["kazakhstan", "synthetic"] = Field(
        "kazakhstan",
        description="kazakhstan: the 20 regions of regions.csv (BNS 2023); "
        "synthetic: n_regions made-up regions for teaching and tests.",
    )
    scale: float = unit(
        500.0,
        1.0,
        1e6,
        "People per citizen agent [persons/agent]. 500 gives about 39,000 citizen agents "
        "for Kazakhstan, which runs 2005-2030 in seconds.",
    )
    businesses_per_citizen: float = unit(
        0.1,
        0.0,
        1.0,
        "Business agents per citizen agent [ratio]. Kazakhstan has about 2 million active "
        "SMEs for 20 million people (BNS), roughly one firm per ten persons.",
    )
    n_regions: int = unit(6, 2, 100, "Synthetic world only: number of regions [count].")
    synthetic_population: int = unit(
        1_000_000,
        1000,
        100_000_000,
        "Synthetic world only: total population [persons].",
    )
    disparity: float = unit(
        0.5,
        0.0,
        1.0,
        "Synthetic world only: spread between the best- and worst-connected region "
        "[0 = identical regions, 1 = maximal spread of urban share, coverage, literacy].",
    )
    ties_per_citizen: int = unit(
        8,
        2,
        40,
        "Mean social ties per citizen agent [count]; small-world ring within a region "
        "(Watts-Strogatz). Dunbar-layer 'sympathy group' size is 10-15; 8 keeps it sparse.",
    )
    rewire_probability: float = unit(
        0.1,
        0.0,
        1.0,
        "Share of within-region ties rewired to a random member of the region [probability] "
        "(Watts-Strogatz small-world regime is 0.01-0.2).",
    )
    cross_region_tie_share: float = unit(
        0.02,
        0.0,
        0.5,
        "Extra ties between random citizens anywhere in the country, mostly across regions, "
        "as a share of all ties [ratio] (migration, kin).",
    )

    @property
    def region_names(self) -> list[str]:
        if self.kind == "kazakhstan":
            return kazakhstan_region_names()
        return synthetic_region_names(self.n_regions)


class Coefficients(Strict):
    """Behavioural and technical coefficients. Rates are per year unless the unit says
    otherwise; the model converts them to its step length."""

    # --- agencies -------------------------------------------------------------------
    interop_per_budget: float = unit(
        0.4,
        0.0,
        50.0,
        "Interoperability uptake per unit of annual spend per agency [1/(bn KZT)]: "
        "fraction of the remaining gap closed. Lee (JASSS 2010): modest investment in "
        "shared standards raises interoperability sharply.",
    )
    interop_network_gain: float = unit(
        1.5,
        0.0,
        10.0,
        "How much more an agency gains from joining the exchange when all its data "
        "partners have joined [multiplier on uptake]: the standard is a network good.",
    )
    interop_spillover: float = unit(
        0.03,
        0.0,
        1.0,
        "Unfunded uptake of the standard per year when all partners have joined, times the "
        "agency's staff capacity [share of gap/year]: best practice spreads along the "
        "data-exchange network to agencies able to absorb it.",
    )
    platform_per_budget: float = unit(
        30.0,
        0.0,
        100.0,
        "Service maturity gained per unit of annual spend per service [share of the gap "
        "to level 4 per bn KZT], divided by (1 + current level): each level costs more. "
        "Calibrated so Kazakhstan passes information (2005), interactive (2006), "
        "transactional (2007-2008) and transformational (2010) as recorded.",
    )
    capacity_per_budget: float = unit(
        1.5,
        0.0,
        50.0,
        "Staff digital capacity gained per unit of annual training spend per agency [share of gap/(bn KZT)].",
    )
    staff_turnover: float = unit(
        0.05,
        0.0,
        1.0,
        "Yearly decay of staff digital capacity [1/year]: turnover and skill obsolescence. "
        "2025 survey: 56.5% of civil servants had no formal digital training.",
    )
    capacity_absorption: float = unit(
        0.5,
        0.0,
        1.0,
        "Weight of staff capacity in how well an agency absorbs interoperability and "
        "platform spend [0 = capacity irrelevant, 1 = no capacity, no effect].",
    )
    open_data_per_budget: float = unit(
        2.0,
        0.0,
        50.0,
        "Open-data publication gained per unit of annual spend per agency [share of gap/(bn KZT)].",
    )
    engagement_per_budget: float = unit(
        2.0,
        0.0,
        50.0,
        "Engagement-channel strength gained per unit of annual spend per agency [share of gap/(bn KZT)].",
    )
    cyber_per_budget: float = unit(
        2.0,
        0.0,
        50.0,
        "Cybersecurity level gained per unit of annual spend per agency [share of gap/(bn KZT)].",
    )
    cyber_decay: float = unit(
        0.15,
        0.0,
        1.0,
        "Yearly erosion of cybersecurity as threats evolve [1/year].",
    )
    incident_rate: float = unit(
        0.4,
        0.0,
        12.0,
        "Cyber incidents per agency per year with no cybersecurity and fully digital "
        "services [1/year]; scaled by (1 - cybersecurity) and by mean service maturity / 4.",
    )
    dependency_penalty: float = unit(
        0.45,
        0.0,
        1.0,
        "Quality lost per data dependency on an agency not linked through the exchange "
        "[share]: the applicant is sent to fetch the certificate on paper.",
    )
    # --- regions --------------------------------------------------------------------
    broadband_growth_urban: float = unit(
        0.12,
        0.0,
        1.0,
        "Market-driven growth of urban broadband coverage [share of gap/year]; "
        "set with the access rate below so internet use follows ITU 2005-2014 roughly.",
    )
    broadband_growth_rural: float = unit(
        0.05,
        0.0,
        1.0,
        "Market-driven growth of rural broadband coverage [share of gap/year]; "
        "22.7% of villages still lacked mobile internet in the early 2020s.",
    )
    broadband_per_budget: float = unit(
        0.15,
        0.0,
        50.0,
        "Coverage gained per unit of annual spend per million residents [share of gap/"
        "(bn KZT per million people)]; rural areas are served first.",
    )
    psc_per_budget: float = unit(
        1.5,
        0.0,
        50.0,
        "Public-service-centre coverage gained per unit of annual spend per million "
        "residents [share of gap/(bn KZT per million people)].",
    )
    literacy_per_budget: float = unit(
        0.08,
        0.0,
        50.0,
        "Citizen digital literacy gained per unit of annual spend per million residents "
        "[share of gap/(bn KZT per million people)].",
    )
    # --- citizens -------------------------------------------------------------------
    literacy_learning: float = unit(
        0.12,
        0.0,
        1.0,
        "Yearly literacy gain of a connected citizen [share of gap/year]: learning by "
        "use. Digital literacy rose 79.6% (2018) -> 87.3% (2021).",
    )
    literacy_age_factor: tuple[Ratio, Ratio, Ratio, Ratio] = Field(
        (1.0, 0.8, 0.5, 0.25),
        description="Relative learning speed by age band 15-29, 30-44, 45-59, 60+ [ratio]; "
        "Solvak et al. (2019): take-up faster among younger people.",
    )
    access_rate: float = unit(
        0.5,
        0.0,
        5.0,
        "Yearly hazard of getting internet access where fully covered, for a fully "
        "literate citizen [1/year].",
    )
    service_need: float = unit(
        0.25,
        0.0,
        1.0,
        "Probability that a citizen needs a public service in a month [1/month]; the "
        "channel is chosen anew at each need.",
    )
    online_intercept: float = unit(-5.4, -20.0, 20.0, "UTAUT intercept [logit].")
    online_quality: float = unit(
        3.5,
        0.0,
        20.0,
        "Performance expectancy: effect of effective service quality (0-1) [logit per unit].",
    )
    online_literacy: float = unit(
        2.5,
        0.0,
        20.0,
        "Effort expectancy: effect of digital literacy (0-1) [logit per unit].",
    )
    online_peers: float = unit(
        1.5,
        0.0,
        20.0,
        "Social influence: effect of the share of ties using e-services "
        "themselves (0-1) [logit per unit]. Bass q ~ 0.38 imitation dominates p ~ 0.03.",
    )
    online_trust: float = unit(
        1.5,
        0.0,
        20.0,
        "Effect of trust in government (0-1) [logit per unit].",
    )
    online_habit: float = unit(
        2.0,
        0.0,
        20.0,
        "Habit: bonus for a citizen whose last channel was online "
        "[logit]; makes adoption sticky (effects outlast policies).",
    )
    online_age: tuple[Logit, Logit, Logit, Logit] = Field(
        (0.3, 0.0, -0.4, -1.2),
        description="Age-band shift of the online logit, 15-29, 30-44, 45-59, 60+ [logit].",
    )
    assisted_preference: float = unit(
        0.85,
        0.0,
        1.0,
        "Share of offline users who choose a public service centre when one is in reach "
        "[probability]; in Kazakhstan PSCs process most requests electronically.",
    )
    failure_rate: float = unit(
        0.12,
        0.0,
        1.0,
        "Chance that an online transaction fails at zero service quality [probability]; "
        "falls linearly to zero at quality 1.",
    )
    outage_failure: float = unit(
        0.8,
        0.0,
        1.0,
        "Chance of failure for a transaction hitting a service in outage [probability].",
    )
    trust_adjustment: float = unit(
        0.3,
        0.0,
        5.0,
        "Yearly speed at which trust moves toward the experience of service "
        "quality and responsiveness [1/year].",
    )
    trust_failure_loss: float = unit(
        0.05,
        0.0,
        1.0,
        "Trust lost after a failed online transaction [trust units].",
    )
    participation_intercept: float = unit(-7.5, -20.0, 20.0, "C2G intercept [logit].")
    participation_trust: float = unit(
        2.0,
        0.0,
        20.0,
        "Effect of trust on C2G participation [logit per unit].",
    )
    participation_literacy: float = unit(
        2.0,
        0.0,
        20.0,
        "Effect of literacy on C2G participation [logit per unit].",
    )
    participation_engagement: float = unit(
        3.0,
        0.0,
        20.0,
        "Effect of engagement-channel strength (0-1) on participation [logit per unit].",
    )
    responsiveness_trust: float = unit(
        0.04,
        0.0,
        1.0,
        "Trust change of a participant per unit of responsiveness above 0.5 [trust units]: "
        "answered petitions build trust, ignored ones erode it.",
    )
    # --- businesses -----------------------------------------------------------------
    business_intercept: float = unit(-7.0, -20.0, 20.0, "G2B adoption intercept [logit/month].")
    business_quality: float = unit(3.0, 0.0, 20.0, "Effect of G2B service quality [logit].")
    business_readiness: float = unit(3.0, 0.0, 20.0, "Effect of digital readiness [logit].")
    business_peers: float = unit(
        2.0,
        0.0,
        20.0,
        "Effect of the regional share of firms already online [logit].",
    )
    business_size: tuple[Logit, Logit, Logit, Logit] = Field(
        (-0.5, 0.0, 0.5, 1.0),
        description="Size-class shift of the adoption logit, micro, small, medium, large [logit].",
    )
    readiness_growth: float = unit(
        0.04,
        0.0,
        1.0,
        "Yearly readiness gain of a firm [share of gap/year], doubled once it uses G2B services.",
    )
    b2g_readiness: float = unit(
        0.8,
        0.0,
        1.0,
        "Readiness a firm needs before it can provide services to the state (B2G) [0-1].",
    )
    b2g_rate: float = unit(
        0.03,
        0.0,
        12.0,
        "Yearly hazard that a ready firm becomes a B2G provider once the gate is fully open [1/year].",
    )
    b2g_gate: float = unit(
        0.25,
        0.0,
        0.99,
        "Openness x interoperability below which no firm can become a B2G provider [0-1]: "
        "firms need open data and exchange interfaces to run services for the state.",
    )


class Thresholds(Strict):
    """Where the framework draws its lines. Documented in docs/model.md (Framework)."""

    agency_stage2_capacity: float = unit(
        0.4,
        0.0,
        1.0,
        "Staff capacity for stage 2 Digitalization (data used in decisions).",
    )
    agency_stage2_maturity: float = unit(
        1.5,
        0.0,
        4.0,
        "Mean maturity of own services for stage 2 [levels].",
    )
    agency_stage3_interop: float = unit(
        0.6,
        0.0,
        1.0,
        "Interoperability for stage 3 Digital transformation (platform).",
    )
    agency_stage3_maturity: float = unit(
        2.8,
        0.0,
        4.0,
        "Mean maturity of own services for stage 3 [levels].",
    )
    stage_share: float = unit(
        0.5,
        0.0,
        1.0,
        "Share of services at a maturity level for a region to be at the matching "
        "e-government stage (information 1, interactive 2, transactional 3).",
    )
    transformational_eservice: float = unit(
        0.5,
        0.0,
        1.0,
        "E-service share of transactions for stage 4 (electronic services "
        "predominate over paper, Kazakhstan 2010).",
    )
    transformational_interop: float = unit(
        0.3,
        0.0,
        1.0,
        "Interoperability for stage 4.",
    )
    model_active: float = unit(
        0.1,
        0.0,
        1.0,
        "Strength (0-1) above which an interaction model counts as active.",
    )
    b2g_full_share: float = unit(
        0.02,
        1e-6,
        1.0,
        "Share of firms as B2G providers that counts as full B2G strength.",
    )
    c2g_full_share: float = unit(
        0.05,
        1e-6,
        1.0,
        "Monthly participation share that counts as full C2G strength.",
    )
    openness_levels: tuple[Share, Share, Share] = Field(
        (0.1, 0.3, 0.6),
        description="Openness index cut-offs for levels 1 publishing, 2 consultation, 3 participation.",
    )

    @model_validator(mode="after")
    def _ordered(self):
        a, b, c = self.openness_levels
        if not a < b < c:
            raise ValueError(f"openness_levels: cut-offs must increase, got ({a:g}, {b:g}, {c:g})")
        if self.agency_stage2_maturity > self.agency_stage3_maturity:
            raise ValueError(
                f"agency_stage3_maturity: {self.agency_stage3_maturity:g} is below "
                f"agency_stage2_maturity ({self.agency_stage2_maturity:g})"
            )
        return self


class LaggingTarget(Strict):
    indicator: Literal[INDICATORS_FOR_TARGETING] = Field(  # type: ignore[valid-type]
        "internet_use_share",
        description="Indicator that ranks regions (lowest first).",
    )
    count: int = unit(5, 1, 100, "How many of the lowest regions are targeted [count].")


class Target(Strict):
    """Who a policy reaches. Empty means everyone; set at most one of the three."""

    regions: list[str] | None = Field(None, description="Named regions.")
    agencies: list[str] | None = Field(None, description="Named agencies.")
    lagging: LaggingTarget | None = Field(
        None,
        description="The lowest regions by an indicator, re-ranked every 1 January.",
    )

    @model_validator(mode="after")
    def _one_kind(self):
        given = [k for k in ("regions", "agencies", "lagging") if getattr(self, k)]
        if len(given) > 1:
            raise ValueError(f"a target names one of regions, agencies, lagging; got {given}")
        return self

    @property
    def kind(self) -> str:
        for k in ("regions", "agencies", "lagging"):
            if getattr(self, k):
                return k
        return "all"


def _target_from_text(value):
    if value in (None, "all"):
        return {}
    return value


class PolicySpec(Strict):
    """One lever with a schedule, a share of the yearly budget (or an intensity), and a target."""

    lever: str = Field(description="Lever name; see `egov schema` or docs/model.md.")
    start: int = unit(2005, 1990, 2100, "First calendar year the lever is active [year].")
    end: int = unit(2030, 1990, 2100, "Last calendar year the lever is active (inclusive) [year].")
    budget_share: float = unit(
        0.0,
        0.0,
        1.0,
        "Share of the yearly digital budget the lever spends [0-1].",
    )
    intensity: float = unit(
        0.0,
        0.0,
        1.0,
        "For mandates: share of paper transactions made electronic [0-1].",
    )
    audience: Literal["citizens", "businesses"] = Field(
        "citizens",
        description="For mandates: which service group is made electronic.",
    )
    target: Annotated[Target, Field(default_factory=Target)] = Field(
        default_factory=Target,
        description="all (default), {regions: [...]}, "
        "{agencies: [...]} or {lagging: {indicator: ..., count: ...}}.",
    )

    _coerce_target = field_validator("target", mode="before")(lambda cls, v: _target_from_text(v))

    @field_validator("lever")
    @classmethod
    def _known_lever(cls, v: str) -> str:
        if v not in LEVERS:
            raise ValueError(f"unknown lever {v!r}; allowed: {', '.join(sorted(LEVERS))}")
        return v

    @model_validator(mode="after")
    def _consistent(self):
        if self.end < self.start:
            raise ValueError(f"end ({self.end}) is before start ({self.start})")
        if self.lever in budget_levers() and self.budget_share == 0.0:
            raise ValueError(f"lever {self.lever!r} spends budget: set budget_share > 0")
        if self.lever in audience_levers() and self.intensity == 0.0:
            raise ValueError(f"lever {self.lever!r} needs an intensity > 0")
        if self.target.agencies and LEVERS[self.lever].acts_on != "agency":
            raise ValueError(
                f"lever {self.lever!r} acts on regions: target regions, lagging regions or all, not agencies"
            )
        return self

    def active(self, year: int) -> bool:
        return self.start <= year <= self.end


class EventSpec(Strict):
    """A dated shock: demand_shock closes paper channels (2020 lockdown); cyber_wave
    multiplies the incident rate."""

    kind: str = Field(description="Event name: " + ", ".join(sorted(EVENTS)) + ".")
    year: int = unit(2020, 1990, 2100, "Calendar year the event starts [year].")
    month: int = unit(1, 1, 12, "Month the event starts [1-12].")
    months: int = unit(1, 1, 120, "Duration [months].")
    intensity: float = unit(
        1.0,
        0.0,
        10.0,
        "demand_shock: share of paper closed, and half that share of centre capacity [0-1]; "
        "cyber_wave: multiplier of the incident rate [ratio].",
    )

    @field_validator("kind")
    @classmethod
    def _known_event(cls, v: str) -> str:
        if v not in EVENTS:
            raise ValueError(f"unknown event {v!r}; allowed: {', '.join(sorted(EVENTS))}")
        return v

    @model_validator(mode="after")
    def _range(self):
        if self.kind == "demand_shock" and self.intensity > 1:
            raise ValueError("a demand_shock intensity is a share: at most 1")
        return self


def _default_policies() -> list[PolicySpec]:
    from sim.history import kazakhstan_policies

    return kazakhstan_policies()


def _default_events() -> list[EventSpec]:
    from sim.history import kazakhstan_events

    return kazakhstan_events()


class Params(Strict):
    """Everything a run needs except the seed and the engine."""

    name: str = Field(
        "kazakhstan_baseline",
        json_schema_extra={"pattern": NAME_PATTERN},
        description="Scenario name, a folder name in results paths: letters, digits, _ - and ., "
        "starting with a letter or digit, at most 100 characters.",
    )
    description: str = Field("", description="What question this scenario answers.")
    start_year: int = unit(2005, 1990, 2100, "First simulated year [year].")
    end_year: int = unit(2030, 1990, 2100, "Last simulated year, inclusive [year].")
    steps_per_year: int = unit(12, 1, 365, "Steps per simulated year [steps/year] (12: monthly).")
    world: WorldSpec = Field(default_factory=WorldSpec, description="The world to build.")
    coefficients: Coefficients = Field(
        default_factory=Coefficients, description="Behavioural coefficients (overrides)."
    )
    thresholds: Thresholds = Field(
        default_factory=Thresholds, description="Framework classification thresholds."
    )
    budget: float = unit(
        40.0,
        0.0,
        1e6,
        "Yearly digital budget shared among the levers [bn KZT/year]; order of magnitude of "
        "Kazakhstan's informatization spending. Rival policies take shares of it.",
    )
    policies: list[PolicySpec] = Field(
        default_factory=_default_policies, description="Levers with schedules and targets."
    )
    events: list[EventSpec] = Field(default_factory=_default_events, description="Dated shocks.")

    @field_validator("name")
    @classmethod
    def _safe_name(cls, v: str) -> str:
        return check_name(v, "name")

    @model_validator(mode="after")
    def _coherent(self):
        if self.end_year < self.start_year:
            raise ValueError(f"end_year: {self.end_year} is before start_year ({self.start_year})")
        regions = set(self.world.region_names)
        for i, p in enumerate(self.policies):
            for name in p.target.regions or []:
                if name not in regions:
                    raise ValueError(
                        f"policies.{i}.target.regions: unknown region {name!r}" + _suggest(name, regions)
                    )
        agencies = set(agency_names(self.world.region_names))
        for i, p in enumerate(self.policies):
            for name in p.target.agencies or []:
                if name not in agencies:
                    raise ValueError(
                        f"policies.{i}.target.agencies: unknown agency {name!r}" + _suggest(name, agencies)
                    )
        for year in range(self.start_year, self.end_year + 1):
            total = sum(p.budget_share for p in self.policies if p.active(year))
            if total > 1.0 + 1e-9:
                raise ValueError(f"policies: budget shares sum to {total:.2f} in {year}; at most 1")
        _adopt([getattr(self, f) for f in type(self).model_fields], self)
        return self

    def _check_nested(self) -> None:
        """Re-check the cross-field rules after a nested model's field was assigned."""
        type(self)._coherent(self)

    @property
    def n_steps(self) -> int:
        return (self.end_year - self.start_year + 1) * self.steps_per_year


def _suggest(name: str, allowed) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(allowed), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
