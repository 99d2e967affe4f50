"""The typed parameter set of a run: world, behavioural coefficients, thresholds, budget,
policies and events.

Every field is declared once with its type, default, allowed range, unit and a source or
rationale (in the description), so a scenario file, the JSON Schema and docs/model.md all
read from here. Models forbid unknown keys: a misspelt coefficient is an error, never a
silently ignored value.
"""

from __future__ import annotations

import copy
import weakref
from functools import cache
from importlib import resources
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sim.model.levers import EVENTS, LEVERS, budget_levers, intensity_levers
from sim.model.paths import NAME_PATTERN, check_name
from sim.model.world_data import agency_names, kazakhstan_region_names, synthetic_region_names

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

    cohort_turnover: bool = Field(
        True,
        description="Citizens age through the bands each January and the oldest are replaced "
        "by 15-year-olds of the same region (false: the 2005 population never changes).",
    )
    uniform_inputs: list[Literal["income", "age", "settlement", "connectivity"]] = Field(
        default_factory=list,
        description="Regional inputs set to their national value in every region "
        "(counterfactuals for sim.drivers.region_drivers); empty in ordinary runs.",
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
    platform_per_budget: float = unit(
        60.0,
        0.0,
        100.0,
        "Service maturity gained per unit of annual spend per service [share of the gap "
        "to level 4 per bn KZT], divided by (1 + current level): each level costs more. "
        "Calibrated (egov calibrate) on the stage years of Table 3 and the share of "
        "services available electronically in 2020 and 2021.",
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
    # --- government side: agencies that decide (issue 10) -------------------------
    agency_budget: float = unit(
        0.06,
        0.0,
        10.0,
        "An agency's own yearly IT budget per service it runs [bn KZT/(service x year)], "
        "before programme money from the levers; it pays for maintenance first, and what "
        "is left upgrades services.",
    )
    maintenance_cost: float = unit(
        0.08,
        0.0,
        10.0,
        "Yearly cost of keeping one fully mature service (level 4) running on new systems "
        "[bn KZT/(service x year)], proportional to maturity and growing with legacy age: "
        "public-sector IT spends most of its budget on running what exists (GAO 2019: about "
        "80% of US federal IT spend is operations and maintenance of legacy systems).",
    )
    obsolescence: float = unit(
        0.25,
        0.0,
        2.0,
        "Yearly loss of an unmaintained service's maturity [share of level/year]: "
        "technology obsolescence (browsers, security standards, devices move on).",
    )
    legacy_cost: float = unit(
        0.6,
        0.0,
        10.0,
        "Extra maintenance and joining cost per decade of legacy-system age "
        "[multiplier per 10 years]: old systems are dearer to run and to connect.",
    )
    renewal_per_budget: float = unit(
        20.0,
        0.0,
        1000.0,
        "Years of legacy age removed per unit of platform spend per service "
        "[years/(bn KZT per service)]: new platforms replace old systems.",
    )
    join_benefit: float = unit(
        1.2,
        0.0,
        20.0,
        "Yearly value to an agency of being on the national data exchange when all its "
        "data partners are on it [cost units]: the exchange is a coordination game, worth "
        "as much as the share of partners already joined (Fountain 2001; Scholl & Klischewski "
        "2007: interoperability pays only when both sides connect).",
    )
    join_cost: float = unit(
        1.0,
        0.0,
        20.0,
        "Cost to an agency of joining the exchange with new systems [cost units], times "
        "(1 + legacy_cost x age/10): re-engineering legacy systems to the standard.",
    )
    exchange_upkeep: float = unit(
        0.3,
        0.0,
        20.0,
        "Yearly cost of staying on the exchange [cost units], times the legacy factor. "
        "Below join_cost: joining is sunk, so an agency stays where it would not join "
        "(the source of hysteresis in data exchange).",
    )
    join_subsidy: float = unit(
        3.0,
        0.0,
        100.0,
        "Cost units that one bn KZT a year of interoperability programme money covers "
        "for an agency [cost units/(bn KZT/year)].",
    )
    join_rate: float = unit(
        1.0,
        0.0,
        12.0,
        "Yearly hazard that an agency for which joining (or leaving) pays acts on it [1/year]: "
        "procurement and approval take time.",
    )
    integration_rate: float = unit(
        0.5,
        0.0,
        12.0,
        "Yearly share of the remaining integration gap a joined agency closes, times its "
        "absorption [share of gap/year]; interoperability money adds interop_per_budget.",
    )
    interop_decay: float = unit(
        0.15,
        0.0,
        5.0,
        "Yearly decay of the integration of an agency off the exchange [share/year]: "
        "bilateral links break as systems change.",
    )
    stage_absorption: tuple[float, float, float] = Field(
        (0.8, 0.9, 1.0),
        description="How much of programme money an agency absorbs at digitalization stage 1 "
        "Automation, 2 Digitalization, 3 Transformation [ratio]: data-driven and platform "
        "organisations put money to work better.",
    )
    automation_ceiling: float = unit(
        3.3,
        0.0,
        4.0,
        "Highest maturity an agency at stage 1 Automation can give its services [levels]: "
        "it moves existing processes online but cannot redesign them.",
    )
    usage_budget: float = unit(
        0.04,
        0.0,
        10.0,
        "Extra yearly budget an agency gets per service at full online use of its services "
        "[bn KZT/(service x year)]: online capacity follows demand (usage-driven supply).",
    )
    counter_viability: float = unit(
        0.2,
        0.0,
        1.0,
        "Paper share of citizens below which a region's paper counters do not pay and are "
        "cut [share]; above it they reopen (usage-driven supply).",
    )
    counter_closure: float = unit(
        0.2,
        0.0,
        12.0,
        "Yearly share of paper-counter capacity cut where counters do not pay [1/year].",
    )
    counter_reopen: float = unit(
        0.03,
        0.0,
        12.0,
        "Yearly share of closed paper-counter capacity reopened where paper demand "
        "justifies it [1/year]: reopening is slower than closing.",
    )
    centre_decay: float = unit(
        0.05,
        0.0,
        5.0,
        "Yearly loss of public-service-centre reach without spending [share/year].",
    )
    coverage_decay: float = unit(
        0.03,
        0.0,
        5.0,
        "Yearly loss of rural broadband coverage without public spending [share/year]: "
        "unmaintained rural networks (ITU: rural mobile sites close when subsidies end).",
    )
    breach_trust_loss: float = unit(
        0.15,
        0.0,
        1.0,
        "Drop in every citizen's trust when all citizen services are down through a breach "
        "[trust]; scaled by the share that is down (a visible breach is national news).",
    )
    report_learning: float = unit(
        0.3,
        0.0,
        12.0,
        "Yearly gain of an agency's engagement channel at full C2G report flow, times staff "
        "capacity [share of gap/year]: answering reports builds the routine to answer them.",
    )
    report_fixes: float = unit(
        0.5,
        0.0,
        1.0,
        "Share of service obsolescence that C2G reports prevent at full report flow and full "
        "responsiveness [share]: reported faults get fixed.",
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
        0.6,
        0.0,
        5.0,
        "Yearly hazard of getting internet access where fully covered, for a fully "
        "literate citizen [1/year].",
    )
    access_imitation: float = unit(
        0.0,
        0.0,
        20.0,
        "Word of mouth in getting connected (the imitation coefficient q of Bass 1969): "
        "the yearly access hazard grows by q x the share of the region already online "
        "[1/year at full adoption]. With a small access_rate it gives the S-shaped take-off "
        "of the record (flat to 2007, +0.4 in four years).",
    )
    service_need: float = unit(
        0.25,
        0.0,
        1.0,
        "Probability that a citizen needs a public service in a month [1/month]; the "
        "channel is chosen anew at each need.",
    )
    online_intercept: float = unit(
        -6.0,
        -20.0,
        20.0,
        "UTAUT intercept [logit]; lowered from -5.4 when the survey-defined 12-month "
        "indicator replaced last channel as the comparison with household surveys.",
    )
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
        "[logit]; a switching cost (on its own it holds a policy's effect only briefly: docs/model.md 5.11).",
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
    registration_uptake: float = unit(
        0.1,
        0.0,
        1.0,
        "Chance that a citizen sent to a public service centre because an online service "
        "had to be signed and they held no EDS key leaves with a key (a portal account) "
        "[probability]; keys were issued at centres (egov.kz, 2012: 154,120 accounts).",
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
    # --- population and access (issue 11) ---------------------------------------
    non_user_by_age: tuple[float, float, float, float] = Field(
        (0.15, 0.25, 0.40, 0.65),
        description="Share of persistent non-users of online services by age band 15-29, "
        "30-44, 45-59, 60+ at national income [probability], drawn at build and at entry "
        "(a non-user never transacts online, whatever the quality). Calibration target: "
        "households using e-government 0.346 (2018) and 0.308 (2020) (BNS via finprom.kz).",
    )
    non_user_income_elasticity: float = unit(
        1.0,
        0.0,
        5.0,
        "Elasticity of the non-user share to regional income relative to the nation "
        "[ratio]: share x income_ratio^-e (poorer regions have more non-users).",
    )
    access_income_elasticity: float = unit(
        0.5,
        0.0,
        5.0,
        "Affordability: the access hazard is multiplied by min(income_ratio^e, 1.5) "
        "[ratio], income_ratio = regional per-capita income / national (BNS 2018-2020).",
    )
    access_loss_rate: float = unit(
        0.03,
        0.0,
        1.0,
        "Yearly hazard of losing internet access at national income [1/year] (affordability "
        "shocks, device loss); set with access_rate so internet use stays below full.",
    )
    access_loss_income_elasticity: float = unit(
        1.5,
        0.0,
        5.0,
        "Elasticity of the access-loss hazard to regional income [ratio]: rate x income_ratio^-e.",
    )
    rural_centre_reach: float = unit(
        0.85,
        0.0,
        1.0,
        "Public-service-centre reach of rural residents relative to urban ones [ratio]: "
        "distance to the district centre. Uniform: no complete regional settlement table.",
    )
    household_adults: float = unit(
        1.6,
        1.0,
        10.0,
        "Effective independent adults per household [persons]: households using e-gov = "
        "1 - (1 - individual share)^h. BNS households average 3.5 persons (2.4 aged 15+); "
        "members' use is correlated, so h is below that.",
    )
    eservices_per_contact: float = unit(
        1.0,
        0.1,
        20.0,
        "E-services one online contact stands for [services]: a citizen who deals with the "
        "state online in a month files several requests (certificates, payments, "
        "registrations); the records count services, the model counts people. Measurement "
        "only (online_transactions_per_month); no rule reads it.",
    )
    vat_payer_share: tuple[float, float, float, float] = Field(
        (0.05, 0.3, 0.8, 1.0),
        description="Share of firms registered for VAT by size class micro, small, medium, "
        "large [probability]; the 2019 e-invoicing mandate binds only them (assumption: "
        "VAT registration is compulsory above a turnover threshold most micro firms stay under).",
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
        0.15,
        0.0,
        12.0,
        "Yearly hazard that an agency contracts a private B2G provider (procurement or "
        "partnership: road-safety cameras, data services) once open data and regulation "
        "fully allow it and ready firms exist [1/year].",
    )
    b2g_gate: float = unit(
        0.2,
        0.0,
        0.99,
        "Open data an agency must publish before private providers can run a service on "
        "it [0-1]; B2G does not need the agency to be on the data exchange.",
    )
    b2g_max_contracts: int = unit(1, 0, 100, "Most B2G providers one agency contracts at a time [count].")
    b2g_contract_end: float = unit(
        0.1, 0.0, 12.0, "Yearly hazard that a B2G contract ends [1/year] (mean length 10 years)."
    )
    open_data_reuse: float = unit(
        1.0,
        0.0,
        20.0,
        "How much faster firms' digital readiness grows where agencies publish all their "
        "data [multiplier]: open data is reused by firms.",
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
        0.1,
        0.0,
        1.0,
        "Share of services at a maturity level for a region to be at the matching "
        "e-government stage (information 1, interactive 2, transactional 3). A tenth: "
        "Table 3 dates Kazakhstan's transactional stage 2007-2008, when the payment "
        "gateway made the first services transactional, and in 2012 the portal listed "
        "225 interactive or transactional services beside about 2,000 information ones "
        "(egov_milestones.csv); a stage is reached by its first real share of services, "
        "not by most of them.",
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
    b2g_full_providers: float = unit(
        10.0,
        1e-6,
        1e6,
        "B2G providers under contract (national, or serving a region) that count as full "
        "B2G strength [providers].",
    )
    broad_integration: float = unit(
        0.8,
        0.0,
        1.0,
        "Share of data dependencies linked through the exchange (both agencies joined) that "
        "broad e-government (stage 5) needs on top of stage 4: B2G and C2G active over a "
        "fragmented exchange are ahead of the stage, not at it.",
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
        "For regulations: mandate, the share of paper transactions made electronic; "
        "partnership, how freely agencies may contract providers; remote_signing, the share "
        "of the services to be signed that can be signed without a key from a centre [0-1].",
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
        if self.lever in intensity_levers() and self.intensity == 0.0:
            raise ValueError(f"lever {self.lever!r} needs an intensity > 0")
        if self.target.agencies and LEVERS[self.lever].acts_on != "agency":
            raise ValueError(
                f"lever {self.lever!r} acts on regions: target regions, lagging regions or all, not agencies"
            )
        return self

    def active(self, year: int) -> bool:
        return self.start <= year <= self.end


class EventSpec(Strict):
    """A dated shock: demand_shock closes paper channels and raises the need of recent
    online users (2020 lockdown); cyber_wave multiplies the incident rate."""

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
    need_surge: float = unit(
        0.0,
        0.0,
        10.0,
        "demand_shock: extra service needs of those who used e-government online in the "
        "last 12 months, as a multiple of their usual need (the intensive margin) [ratio].",
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
        if self.kind != "demand_shock" and self.need_surge > 0:
            raise ValueError(f"need_surge applies to a demand_shock only, not to a {self.kind}")
        return self


# Kazakhstan's policy timeline since 2005 is the default of `Params`. It is written once,
# in the shipped baseline scenario file; the model reads that file's `policies` and
# `events` here (parsed with the safe loader, once per process), and its calibrated
# `coefficients` (issue 13: `egov calibrate`, docs/validation.md), which override the
# hand-set defaults of `Coefficients` in the default `Params`.
BASELINE = resources.files("sim") / "data" / "scenarios" / "kazakhstan_baseline.yaml"


@cache
def _baseline() -> dict:
    return yaml.safe_load(BASELINE.read_text(encoding="utf-8"))


def _default_policies() -> list[PolicySpec]:
    return [PolicySpec.model_validate(copy.deepcopy(p)) for p in _baseline()["policies"]]


def _default_events() -> list[EventSpec]:
    return [EventSpec.model_validate(copy.deepcopy(e)) for e in _baseline()["events"]]


def _default_coefficients() -> Coefficients:
    return Coefficients.model_validate(copy.deepcopy(_baseline().get("coefficients") or {}))


class Feedbacks(Strict):
    """Switches for the model's feedback loops: each can be turned off to test a claim
    that it causes something (the paired run with the switch off)."""

    coordination: bool = Field(
        True,
        description="Joining the data exchange is worth more the more data partners have "
        "joined (a coordination game: critical mass, tipping, persistent fragmentation). "
        "Off: the benefit is fixed at half the full value, whoever has joined.",
    )
    usage_supply: bool = Field(
        True,
        description="Supply follows use: paper counters close where paper demand falls below "
        "their cost and reopen slowly; agencies add online capacity where online use grows "
        "(lock-in, path dependence).",
    )
    network_effects: bool = Field(
        True,
        description="Citizens follow their ties' channel and firms their region's firms "
        "(online_peers, business_peers). Off: both set to 0.",
    )
    habit: bool = Field(
        True,
        description="Habit and switching costs: a citizen who last went online leans to it "
        "again (online_habit). Off: set to 0.",
    )
    word_of_mouth: bool = Field(
        True,
        description="Getting connected is likelier the more of one's region is already "
        "online (access_imitation, a Bass diffusion: slow start, take-off, saturation). "
        "Off: set to 0.",
    )
    signature_keys: bool = Field(
        True,
        description="A barrier rather than a loop: a transactional service done online must be "
        "signed with an EDS key, which citizens get only at a public service centre, after "
        "being sent there by a service they could not sign (registration_uptake). Off: "
        "anyone online can sign, and nobody registers.",
    )
    breach_trust: bool = Field(
        True,
        description="A visible breach (citizen services down) lowers every citizen's trust.",
    )
    c2g_fixes: bool = Field(
        True,
        description="C2G reports reach agencies: they build the agencies' engagement routine "
        "and get faults fixed (participation changes government).",
    )


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
        default_factory=_default_coefficients,
        description="Behavioural coefficients (overrides; default: the calibrated baseline's).",
    )
    thresholds: Thresholds = Field(
        default_factory=Thresholds, description="Framework classification thresholds."
    )
    feedbacks: Feedbacks = Field(
        default_factory=Feedbacks, description="Feedback loops, each switchable (on by default)."
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
