"""Citizens: their columns, their per-agent rule, and the vectorized kernel of that rule.

Each month a citizen
1. learns (digital literacy grows with use and with literacy courses in the region),
2. may get internet access where broadband covers their area,
3. may need a public service, and then chooses a channel - online self-service, assisted
   at a public service centre, or paper - with a UTAUT-shaped probability (performance
   expectancy = service quality, effort expectancy = literacy, social influence = share
   of ties online, facilitating conditions = internet access, plus trust and habit),
4. may fail online (low quality, outage) and fall back to a centre, losing trust,
5. may take part in C2G (reports, petitions, dashcam evidence) where an engagement
   channel exists; how responsive government is moves their trust.

Updates are synchronous: every citizen decides from the state at the start of the step
and the step's draws (one per citizen and decision). The formulas below are shared by
the rule (`Citizen.step`, scalars) and the kernel (`step_all`, arrays), so both engines
compute the same numbers in the same order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from sim.model.columns import ColumnAgent, State
from sim.model.formulas import clip01, failure_probability, logistic, per_step
from sim.model.params import Coefficients

PAPER, ASSISTED, ONLINE = 0, 1, 2
CHANNELS = ("paper", "assisted", "online")
AGE_BANDS = ("15-29", "30-44", "45-59", "60+")
DECISIONS = ("access", "need", "channel", "failure", "participation", "access_loss")


@dataclass
class CitizenInputs:
    """What a citizen sees of the world in one step: its region's conditions (arrays
    indexed by region), its ties, and the step's draws (arrays indexed by citizen)."""

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
    online_before: np.ndarray  # float32 0/1 per citizen: channel was online at step start
    ties: sparse.csr_matrix
    online_ties: np.ndarray  # float32 per citizen: ties whose channel was online (ties @ online_before)
    region_sizes: np.ndarray  # citizens per region (they are stored region by region)
    trust_shock: float  # trust every citizen loses this step to a visible breach
    draws: dict[str, np.ndarray]
    steps_per_year: int
    step: int  # the model step being run (recorded as a citizen's last online step)


# --- the citizen's formulas -----------------------------------------------------------


def new_literacy(k: Coefficients, lit, internet, dose, age_factor, spy):
    gain = (k.literacy_learning * internet / spy + dose) * age_factor
    return lit + (1.0 - lit) * np.minimum(gain, 1.0)


def access_probability(k: Coefficients, coverage, lit, spy, affordability=1.0):
    return k.access_rate / spy * coverage * (0.3 + 0.7 * lit) * affordability


def affordability(k: Coefficients, income_ratio):
    """Multiplier of the access hazard from regional income relative to the nation."""
    return np.minimum(np.asarray(income_ratio, dtype=np.float64) ** k.access_income_elasticity, 1.5)


def loss_hazard(k: Coefficients, income_ratio, spy):
    """Per-step chance that a connected citizen loses access (affordability shocks)."""
    r = np.asarray(income_ratio, dtype=np.float64)
    return per_step(np.minimum(k.access_loss_rate * r ** (-k.access_loss_income_elasticity), 1.0) / 12.0, spy)


def online_logit(k: Coefficients, quality, lit, peers, trust, age_shift, habit):
    return (
        k.online_intercept
        + k.online_quality * quality
        + k.online_literacy * lit
        + k.online_peers * peers
        + k.online_trust * trust
        + age_shift
        + k.online_habit * habit
    )


def channel_thresholds(p_online, internet, centre, paper_open):
    """Cumulative probabilities of (online, online or assisted, any channel). People
    who would use paper where paper is closed go online if they can; otherwise they
    wait, keeping their channel (the remainder above the last threshold)."""
    blocked = (1.0 - p_online) * (1.0 - centre) * (1.0 - paper_open)
    online = p_online + blocked * internet
    assisted = online + (1.0 - p_online) * centre
    return online, assisted, assisted + (1.0 - p_online) * (1.0 - centre) * paper_open


def trust_after_service(k: Coefficients, trust, quality, responsiveness, spy):
    anchor = 0.6 * quality + 0.4 * responsiveness
    return trust + (anchor - trust) * np.minimum(k.trust_adjustment / spy, 1.0)


def participation_probability(k: Coefficients, trust, lit, engagement):
    logit = (
        k.participation_intercept
        + k.participation_trust * trust
        + k.participation_literacy * lit
        + k.participation_engagement * engagement
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
    )

    def step(self) -> None:
        """The per-agent rule: the readable specification `step_all` vectorizes."""
        m = self.model
        k, x, i, r = m.coefficients, m.citizen_inputs, self.row, self.region
        spy = x.steps_per_year
        lit, internet, trust, channel = (
            self.digital_literacy,
            self.internet,
            self.trust,
            self.channel,
        )
        age_factor = k.literacy_age_factor[self.age_band]
        quality = x.quality[r]

        new_lit = new_literacy(k, lit, internet, x.literacy_dose[r], age_factor, spy)
        coverage = x.coverage_urban[r] if self.urban else x.coverage_rural[r]
        if internet:
            got_access = not x.draws["access_loss"][i] < x.loss_hazard[r]
        else:
            got_access = x.draws["access"][i] < access_probability(k, coverage, lit, spy, x.affordability[r])
        centre = x.centre_reach[r] if self.urban else x.centre_reach_rural[r]
        can_online = internet and not self.non_user

        new_channel, failed, new_trust = channel, False, trust
        if x.draws["need"][i] < per_step(k.service_need, spy):
            lo, hi = x.ties.indptr[i], x.ties.indptr[i + 1]
            peers = float(x.online_before[x.ties.indices[lo:hi]].sum()) / max(hi - lo, 1)
            habit = 1.0 if channel == ONLINE else 0.0
            logit = online_logit(k, quality, lit, peers, trust, k.online_age[self.age_band], habit)
            p_online = logistic(logit) if can_online else 0.0
            to_online, to_assisted, to_paper = channel_thresholds(
                p_online, can_online, centre, x.paper_open[r]
            )
            u = x.draws["channel"][i]
            if u < to_online:
                new_channel = ONLINE
            elif u < to_assisted:
                new_channel = ASSISTED
            elif u < to_paper:
                new_channel = PAPER
            new_trust = trust_after_service(k, trust, quality, x.responsiveness[r], spy)
            if new_channel == ONLINE and x.draws["failure"][i] < failure_probability(k, quality, x.outage[r]):
                failed = True
                new_channel = ASSISTED if centre > 0 else PAPER
                new_trust = new_trust - k.trust_failure_loss
            if new_channel == ONLINE:
                self.last_online_step = x.step

        participated = bool(
            internet
            and x.draws["participation"][i]
            < per_step(participation_probability(k, trust, lit, x.engagement[r]), spy)
        )
        if participated:
            new_trust = new_trust + k.responsiveness_trust * (x.responsiveness[r] - 0.5)

        self.digital_literacy = new_lit
        self.internet = got_access
        self.channel = new_channel
        self.failed = failed
        self.trust = clip01(new_trust - x.trust_shock)
        self.participated = participated


def step_all(store, k: Coefficients, x: CitizenInputs) -> None:
    """The vectorized kernel: `Citizen.step` for every citizen at once."""
    spy = x.steps_per_year
    region, urban, age = store["region"], store["urban"], store["age_band"]
    lit, internet, trust, channel = (
        store["digital_literacy"],
        store["internet"],
        store["trust"],
        store["channel"],
    )

    def spread(by_region):  # region values to citizens, stored region by region
        return np.repeat(by_region, x.region_sizes)

    age_factor = np.asarray(k.literacy_age_factor)[age]
    quality = spread(x.quality)

    new_lit = new_literacy(k, lit, internet, spread(x.literacy_dose), age_factor, spy)
    coverage = np.where(urban, spread(x.coverage_urban), spread(x.coverage_rural))
    got_access = np.where(
        internet,
        ~(x.draws["access_loss"] < spread(x.loss_hazard)),
        x.draws["access"] < access_probability(k, coverage, lit, spy, spread(x.affordability)),
    )

    # only citizens who need a service this step choose a channel
    need = np.flatnonzero(x.draws["need"] < per_step(k.service_need, spy))
    at, r = age[need], region[need]
    peers = x.online_ties[need].astype(np.float64) / np.maximum(np.diff(x.ties.indptr)[need], 1)
    habit = (channel[need] == ONLINE).astype(np.float64)
    q, has_internet = quality[need], internet[need] & ~store["non_user"][need]
    centre = np.where(urban[need], x.centre_reach[r], x.centre_reach_rural[r])
    logit = online_logit(k, q, lit[need], peers, trust[need], np.asarray(k.online_age)[at], habit)
    p_online = np.where(has_internet, logistic(logit), 0.0)
    to_online, to_assisted, to_paper = channel_thresholds(p_online, has_internet, centre, x.paper_open[r])
    u = x.draws["channel"][need]
    chosen = np.select(
        [u < to_online, u < to_assisted, u < to_paper], [ONLINE, ASSISTED, PAPER], channel[need]
    )
    trust_needing = trust_after_service(k, trust[need], q, x.responsiveness[r], spy)
    failing = (chosen == ONLINE) & (x.draws["failure"][need] < failure_probability(k, q, x.outage[r]))
    chosen = np.where(failing, np.where(centre > 0, ASSISTED, PAPER), chosen)
    new_channel, new_trust, failed = channel.copy(), trust.copy(), np.zeros(len(channel), bool)
    new_channel[need] = chosen
    new_trust[need] = np.where(failing, trust_needing - k.trust_failure_loss, trust_needing)
    failed[need] = failing
    store["last_online_step"][need[chosen == ONLINE]] = x.step

    # Participation is rare: evaluate it only for connected citizens whose draw falls under
    # their region's upper bound (trust = literacy = 1; the coefficients are >= 0), then
    # exactly, as the rule does. The bound only skips citizens who cannot take part.
    u = x.draws["participation"]
    bound = per_step(participation_probability(k, 1.0, 1.0, x.engagement), spy)
    maybe = np.flatnonzero(internet & (u < spread(bound) * (1.0 + 1e-9)))
    e = x.engagement[region[maybe]]
    p_take_part = per_step(participation_probability(k, trust[maybe], lit[maybe], e), spy)
    participated = np.zeros(len(channel), bool)
    participated[maybe] = u[maybe] < p_take_part
    took_part = np.flatnonzero(participated)
    new_trust[took_part] += k.responsiveness_trust * (spread(x.responsiveness)[took_part] - 0.5)

    store["digital_literacy"] = new_lit
    store["internet"] = got_access
    store["channel"] = new_channel
    store["failed"] = failed
    store["trust"] = clip01(new_trust - x.trust_shock)
    store["participated"] = participated
