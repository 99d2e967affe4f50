"""Citizens: their columns, their per-agent rule, and the compiled kernel of that rule.

Each month a citizen
1. learns (digital literacy grows with use and with literacy courses in the region),
2. may get internet access where broadband covers their area, the sooner the more of
   their region is already online (word of mouth, a Bass diffusion),
3. may need a public service, and then chooses a channel - online self-service, assisted
   at a public service centre, or paper - with a UTAUT-shaped probability (performance
   expectancy = service quality, effort expectancy = literacy, social influence = share
   of ties online, facilitating conditions = internet access, plus trust and habit),
4. may find that the service must be signed (it is transactional) while they hold no
   EDS key: then it is done at a centre, which issues keys (registration_uptake),
5. may fail online (low quality, outage) and fall back to a centre, losing trust,
6. may take part in C2G (reports, petitions, dashcam evidence) where an engagement
   channel exists; how responsive government is moves their trust.

Updates are synchronous: every citizen decides from the state at the start of the step
and the step's draws (one per citizen and decision, from the counter-based generator in
sim/model/rng.py, so a draw is computed only where the rule needs it). The formulas below
are plain Python on floats: `Citizen.step` (the per-agent rule, the readable
specification) calls them, and sim/model/kernels.py compiles the same functions with
numba into one loop over all citizens, so both engines compute the same numbers in the
same order.
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

PAPER, ASSISTED, ONLINE = 0, 1, 2
CHANNELS = ("paper", "assisted", "online")
AGE_BANDS = ("15-29", "30-44", "45-59", "60+")


class CitizenCoefficients(NamedTuple):
    """The scalar coefficients the citizen's rule reads (plain floats, also a numba tuple)."""

    literacy_learning: float
    access_rate: float
    access_imitation: float
    service_need: float
    online_intercept: float
    online_quality: float
    online_literacy: float
    online_peers: float
    online_trust: float
    online_habit: float
    trust_adjustment: float
    trust_failure_loss: float
    responsiveness_trust: float
    participation_intercept: float
    participation_trust: float
    participation_literacy: float
    participation_engagement: float
    failure_rate: float
    outage_failure: float
    registration_uptake: float

    @classmethod
    def of(cls, k: Coefficients) -> CitizenCoefficients:
        return cls(*(float(getattr(k, name)) for name in cls._fields))


class Keys(NamedTuple):
    """The step's counter-based stream keys, one per decision (sim/model/rng.py)."""

    access: int
    need: int
    channel: int
    failure: int
    participation: int
    access_loss: int
    signature: int
    registration: int


DECISIONS = Keys._fields  # the decisions' stream names, in the order of Keys


@dataclass
class CitizenInputs:
    """What a citizen sees of the world in one step: its region's conditions (arrays
    indexed by region) and the step's stream keys. Its ties are the model's
    (`model.neighbours` for the rule, `kernels.Ties` for the kernel)."""

    quality: np.ndarray  # effective quality of citizen services, by region [0-1]
    coverage_urban: np.ndarray
    coverage_rural: np.ndarray
    centre_reach: np.ndarray  # chance an offline user is served at a centre, by region
    centre_reach_rural: np.ndarray  # the same for rural residents (distance), by region
    affordability: np.ndarray  # multiplier of the access hazard (regional income), by region
    loss_hazard: np.ndarray  # per-step chance a connected citizen loses access, by region
    paper_open: np.ndarray  # share of paper transactions still possible, by region
    literacy_dose: np.ndarray  # share of the literacy gap closed by courses this step
    engagement: np.ndarray  # engagement-channel strength, by region
    responsiveness: np.ndarray
    outage: np.ndarray  # share of the region's citizen services in outage
    signed: np.ndarray  # share of the region's citizen services that must be signed (EDS key)
    adopters: np.ndarray  # share of the region's people with internet at step start
    trust_shock: float  # trust every citizen loses this step to a visible breach
    need_surge: float  # extra need of recent online users in a demand shock [ratio]
    keys: Keys
    steps_per_year: int
    step: int  # the model step being run (recorded as a citizen's last online step)
    coefficients: CitizenCoefficients
    literacy_age_factor: tuple[float, ...]  # by age band
    online_age: tuple[float, ...]  # by age band

    def for_rule(self, online_before: np.ndarray) -> RegionValues:
        """The region values, and who was online at step start, as Python lists."""
        return RegionValues(
            *(getattr(self, name).tolist() for name in RegionValues._fields[:-1]),
            online_before.tolist(),
        )


class RegionValues(NamedTuple):
    quality: list
    coverage_urban: list
    coverage_rural: list
    centre_reach: list
    centre_reach_rural: list
    affordability: list
    loss_hazard: list
    paper_open: list
    literacy_dose: list
    engagement: list
    responsiveness: list
    outage: list
    signed: list
    adopters: list
    online_before: list  # by citizen


# --- region-level inputs (numpy, once per step) -----------------------------------------


def affordability(k: Coefficients, income_ratio):
    """Multiplier of the access hazard from regional income relative to the nation."""
    return np.minimum(np.asarray(income_ratio, dtype=np.float64) ** k.access_income_elasticity, 1.5)


def loss_hazard(k: Coefficients, income_ratio, spy):
    """Per-step chance that a connected citizen loses access (affordability shocks)."""
    r = np.asarray(income_ratio, dtype=np.float64)
    return per_step(np.minimum(k.access_loss_rate * r ** (-k.access_loss_income_elasticity), 1.0) / 12.0, spy)


# --- the citizen's formulas: plain Python on floats, compiled as they are by kernels.py ---


@formula
def logistic(x):
    return 1.0 / (1.0 + math.exp(-x))


@formula
def clip01(x):
    return 0.0 if x < 0.0 else (1.0 if x > 1.0 else x)


@formula
def new_literacy(c, lit, internet, dose, age_factor, spy):
    # the step's rate first: the same number for internet 0 or 1, and a compiled loop
    # divides once instead of once a citizen
    gain = (c.literacy_learning / spy * internet + dose) * age_factor
    return lit + (1.0 - lit) * min(gain, 1.0)


@formula
def access_hazard(c, adopters, spy):
    """Bass diffusion, a region's hazard per step: an innovation part (access_rate) and an
    imitation part that grows with the share of the region already online (word of mouth:
    people get connected because those around them are)."""
    return (c.access_rate + c.access_imitation * adopters) / spy


@formula
def access_probability(hazard, coverage, lit, affordability):
    """The region's hazard (access_hazard) for one person: coverage, literacy, affordability."""
    return hazard * coverage * (0.3 + 0.7 * lit) * affordability


@formula
def online_logit(c, quality, lit, peers, trust, age_shift, habit):
    return (
        c.online_intercept
        + c.online_quality * quality
        + c.online_literacy * lit
        + c.online_peers * peers
        + c.online_trust * trust
        + age_shift
        + c.online_habit * habit
    )


@formula
def need_probability(c, need_surge, last_online, step, spy):
    """The chance of needing a service this step. In a demand shock those who used
    e-government online in the last 12 months need `need_surge` times their usual need
    more (the intensive margin: pandemic benefits, permits to move), at most one a month;
    the rest need what they always need."""
    need = c.service_need
    if need_surge > 0.0 and last_online >= 0 and last_online >= step - spy:
        need = min(need * (1.0 + need_surge), 1.0)
    return per_step(need, spy)


@formula
def choose_channel(p_online, internet, centre, paper_open, u, channel):
    """The channel chosen with draw u. The cumulative probabilities are (online, online or
    assisted, any channel). People who would use paper where paper is closed go online if
    they can; otherwise they wait, keeping their channel (the remainder above the last
    threshold)."""
    blocked = (1.0 - p_online) * (1.0 - centre) * (1.0 - paper_open)
    to_online = p_online + blocked * internet
    if u < to_online:
        return ONLINE
    to_assisted = to_online + (1.0 - p_online) * centre
    if u < to_assisted:
        return ASSISTED
    if u < to_assisted + (1.0 - p_online) * (1.0 - centre) * paper_open:
        return PAPER
    return channel


@formula
def fallback_channel(centre):
    """Where someone goes who cannot finish a service online: a centre if one is in
    reach, else paper."""
    return ASSISTED if centre > 0 else PAPER


@formula
def trust_after_service(c, trust, quality, responsiveness, spy):
    anchor = 0.6 * quality + 0.4 * responsiveness
    return trust + (anchor - trust) * min(c.trust_adjustment / spy, 1.0)


@formula
def failure_probability(c, quality, outage):
    return c.failure_rate * (1.0 - quality) + outage * c.outage_failure


@formula
def participation_probability(c, trust, lit, engagement):
    logit = (
        c.participation_intercept
        + c.participation_trust * trust
        + c.participation_literacy * lit
        + c.participation_engagement * engagement
    )
    return engagement * logistic(logit)  # per month


class Citizen(ColumnAgent):
    """A person (standing for `weight` people) choosing how to deal with the state."""

    states = (
        State("region", np.int16, 0, "Region index"),
        State("urban", np.bool_, False, "Lives in an urban settlement"),
        State("age_band", np.int8, 0, "Age band: 0 15-29, 1 30-44, 2 45-59, 3 60+"),
        State("weight", np.float64, 1.0, "People this agent stands for [persons]"),
        State("digital_literacy", np.float64, 0.0, "Digital literacy [0-1]"),
        State("internet", np.bool_, False, "Has internet access"),
        State("trust", np.float64, 0.5, "Trust in government [0-1]"),
        State("channel", np.int8, PAPER, "Last channel used: 0 paper, 1 assisted, 2 online"),
        State("failed", np.bool_, False, "An online transaction failed this step"),
        State("participated", np.bool_, False, "Took part in C2G this step"),
        State("non_user", np.bool_, False, "Never uses online services, whatever their quality"),
        State("last_online_step", np.int32, -1, "Step of the last online transaction (-1: never)"),
        State("registered", np.bool_, False, "Holds a portal account with an EDS key (signs online)"),
    )

    def step(self) -> None:
        """The per-agent rule: the readable specification the kernel compiles.
        State is read once, region values come as Python lists, draws one at a time."""
        x = self.model.citizen_inputs
        v, c, key, spy = self.model.citizen_region_values, x.coefficients, x.keys, x.steps_per_year
        i, r = self.row, self.region
        lit, internet, trust, channel = self.digital_literacy, self.internet, self.trust, self.channel
        urban, age = self.urban, self.age_band
        quality = v.quality[r]

        new_lit = new_literacy(c, lit, internet, v.literacy_dose[r], x.literacy_age_factor[age], spy)
        if internet:
            got_access = not uniform(key.access_loss, i) < v.loss_hazard[r]
        else:
            coverage = v.coverage_urban[r] if urban else v.coverage_rural[r]
            hazard = access_hazard(c, v.adopters[r], spy)
            p_access = access_probability(hazard, coverage, lit, v.affordability[r])
            got_access = uniform(key.access, i) < p_access

        new_channel, failed, new_trust = channel, False, trust
        p_need = need_probability(c, x.need_surge, self.last_online_step, x.step, spy)
        if uniform(key.need, i) < p_need:
            can_online = internet and not self.non_user
            centre = v.centre_reach[r] if urban else v.centre_reach_rural[r]
            habit = 1.0 if channel == ONLINE else 0.0
            p_online = 0.0
            if can_online:
                ties = self.model.neighbours[i]
                peers = sum(v.online_before[j] for j in ties) / max(len(ties), 1)
                p_online = logistic(online_logit(c, quality, lit, peers, trust, x.online_age[age], habit))
            u = uniform(key.channel, i)
            new_channel = choose_channel(p_online, can_online, centre, v.paper_open[r], u, channel)
            new_trust = trust_after_service(c, trust, quality, v.responsiveness[r], spy)
            if new_channel == ONLINE and not self.registered and uniform(key.signature, i) < v.signed[r]:
                # a service to be signed without a key: done at a centre, which issues keys
                new_channel = fallback_channel(centre)
                self.registered = (
                    new_channel == ASSISTED and uniform(key.registration, i) < c.registration_uptake
                )
            elif new_channel == ONLINE:
                if uniform(key.failure, i) < failure_probability(c, quality, v.outage[r]):
                    failed = True
                    new_channel = fallback_channel(centre)
                    new_trust = new_trust - c.trust_failure_loss
                else:
                    self.last_online_step = x.step

        participated = False
        if internet:
            p = per_step(participation_probability(c, trust, lit, v.engagement[r]), spy)
            participated = uniform(key.participation, i) < p
        if participated:
            new_trust = new_trust + c.responsiveness_trust * (v.responsiveness[r] - 0.5)

        self.digital_literacy = new_lit
        self.internet = got_access
        self.channel = new_channel
        self.failed = failed
        self.trust = clip01(new_trust - x.trust_shock)
        self.participated = participated
