"""An idiomatic Mesa implementation of the citizen and business rules: the figure a Mesa
user would compare the fast engine against (issue 15).

`MesaReference` is the model with its citizens and firms replaced by plain `mesa.Agent`
objects: state in ordinary attributes, `math.exp`, neighbour lists of agent objects, one
`self.random.random()` per decision the rule takes, and `shuffle_do("step")` each month
(asynchronous updates in random order: a citizen sees the channels its neighbours have
already chosen this month). Regions, agencies, levers, events and indicators are the
model's own, so the two differ only in how citizens and firms are stepped. The rules are
those of sim/model/agents/citizen.py and business.py written out inline, as a Mesa user
would write them.

After each month the agents' state is copied into the model's columns so the model's
indicators can be computed (a Mesa user would collect data too). That copy is timed
apart (`writeback_s`) and left out of the rule's cost.

Random numbers come from Mesa's `self.random` (seeded by the model), not from the common
random numbers of the model, so the reference matches the model statistically, not run
by run: `check_statistically_equal` compares national curves over seeds.
"""

from __future__ import annotations

import math
from time import perf_counter

import mesa
import numpy as np

from sim.model.agents.citizen import ASSISTED, ONLINE, PAPER
from sim.model.egov_model import EGovModel

CITIZEN_ATTRS = (
    "digital_literacy",
    "internet",
    "trust",
    "channel",
    "failed",
    "participated",
    "last_online_step",
)


class RefCitizen(mesa.Agent):
    def __init__(self, model, row: int, store):
        super().__init__(model)
        self.row = row
        self.region = int(store["region"][row])
        self.urban = bool(store["urban"][row])
        self.age_band = int(store["age_band"][row])
        self.non_user = bool(store["non_user"][row])
        self.digital_literacy = float(store["digital_literacy"][row])
        self.internet = bool(store["internet"][row])
        self.trust = float(store["trust"][row])
        self.channel = int(store["channel"][row])
        self.failed = False
        self.participated = False
        self.last_online_step = int(store["last_online_step"][row])
        self.neighbours: list[RefCitizen] = []

    def step(self):
        m = self.model
        k, v, r = m.k, m.v, self.region
        spy = m.spy
        rand = self.random.random
        lit, trust, channel = self.digital_literacy, self.trust, self.channel
        internet = self.internet
        quality = v.quality[r]

        gain = (k.literacy_learning * internet / spy + v.literacy_dose[r]) * m.age_factor[self.age_band]
        self.digital_literacy = lit + (1.0 - lit) * min(gain, 1.0)
        if internet:
            self.internet = not rand() < v.loss_hazard[r]
        else:
            coverage = v.coverage_urban[r] if self.urban else v.coverage_rural[r]
            hazard = k.access_rate + k.access_imitation * v.adopters[r]
            p = hazard / spy * coverage * (0.3 + 0.7 * lit) * v.affordability[r]
            self.internet = rand() < p

        self.failed = False
        new_trust = trust
        p_need = m.p_need
        if m.v.need_surge > 0.0 and self.last_online_step >= 0 and m.steps - self.last_online_step <= spy:
            p_need = min(k.service_need * (1.0 + m.v.need_surge), 1.0)
            if spy != 12:
                p_need = 1.0 - (1.0 - p_need) ** (12.0 / spy)
        if rand() < p_need:
            can_online = internet and not self.non_user
            centre = v.centre_reach[r] if self.urban else v.centre_reach_rural[r]
            p_online = 0.0
            if can_online:
                ties = self.neighbours
                peers = sum(1 for n in ties if n.channel == ONLINE) / max(len(ties), 1)
                logit = (
                    k.online_intercept
                    + k.online_quality * quality
                    + k.online_literacy * lit
                    + k.online_peers * peers
                    + k.online_trust * trust
                    + m.online_age[self.age_band]
                    + k.online_habit * (channel == ONLINE)
                )
                p_online = 1.0 / (1.0 + math.exp(-logit))
            blocked = (1.0 - p_online) * (1.0 - centre) * (1.0 - v.paper_open[r])
            to_online = p_online + blocked * can_online
            to_assisted = to_online + (1.0 - p_online) * centre
            to_paper = to_assisted + (1.0 - p_online) * (1.0 - centre) * v.paper_open[r]
            u = rand()
            if u < to_online:
                channel = ONLINE
            elif u < to_assisted:
                channel = ASSISTED
            elif u < to_paper:
                channel = PAPER
            anchor = 0.6 * quality + 0.4 * v.responsiveness[r]
            new_trust = trust + (anchor - trust) * min(k.trust_adjustment / spy, 1.0)
            if channel == ONLINE:
                if rand() < k.failure_rate * (1.0 - quality) + v.outage[r] * k.outage_failure:
                    self.failed = True
                    channel = ASSISTED if centre > 0 else PAPER
                    new_trust -= k.trust_failure_loss
                else:
                    self.last_online_step = m.steps
            self.channel = channel

        self.participated = False
        if internet:
            e = v.engagement[r]
            logit = (
                k.participation_intercept
                + k.participation_trust * trust
                + k.participation_literacy * lit
                + k.participation_engagement * e
            )
            p = e / (1.0 + math.exp(-logit))
            if spy != 12:
                p = 1.0 - (1.0 - p) ** (12.0 / spy)
            if rand() < p:
                self.participated = True
                new_trust += k.responsiveness_trust * (v.responsiveness[r] - 0.5)
        new_trust -= v.trust_shock
        self.trust = 0.0 if new_trust < 0.0 else (1.0 if new_trust > 1.0 else new_trust)


class RefBusiness(mesa.Agent):
    def __init__(self, model, row: int, store):
        super().__init__(model)
        self.region = int(store["region"][row])
        self.size = int(store["size"][row])
        self.vat_payer = bool(store["vat_payer"][row])
        self.readiness = float(store["readiness"][row])
        self.adopted = bool(store["adopted"][row])

    def step(self):
        m = self.model
        k, b, r, spy = m.k, m.b, self.region, m.spy
        mandate = b.mandate[r] if self.vat_payer else 0.0
        adopted = self.adopted
        if not adopted:
            logit = (
                k.business_intercept
                + k.business_quality * b.quality[r]
                + k.business_readiness * self.readiness
                + k.business_peers * b.peers[r]
                + m.size_shift[self.size]
            )
            p = mandate + (1.0 - mandate) / (1.0 + math.exp(-logit))
            if spy != 12:
                p = 1.0 - (1.0 - p) ** (12.0 / spy)
            self.adopted = self.random.random() < p
        else:
            failure = k.failure_rate * (1.0 - b.quality[r]) + b.outage[r] * k.outage_failure
            if self.random.random() < failure * m.p_need * (1.0 - mandate):
                self.adopted = False
        growth = k.readiness_growth * (1.0 + adopted) * (1.0 + k.open_data_reuse * b.open_data[r])
        self.readiness += (1.0 - self.readiness) * (growth / spy)


class _Values:
    """Region values as Python lists, plus the step's trust shock."""

    def __init__(self, inputs, names):
        for name in names:
            setattr(self, name, getattr(inputs, name).tolist())


class MesaReference(EGovModel):
    """The model with idiomatic Mesa citizens and firms (see the module docstring)."""

    def __init__(self, params=None, seed: int = 0, **kwargs):
        super().__init__(params, seed=seed, engine="vectorized", **kwargs)
        self._objects_made = True  # never make the column-view objects
        self.k = self.coefficients
        self.spy = self.params.steps_per_year
        self.age_factor = list(self.k.literacy_age_factor)
        self.online_age = list(self.k.online_age)
        self.size_shift = list(self.k.business_size)
        p_month = self.k.service_need
        self.p_need = p_month if self.spy == 12 else 1.0 - (1.0 - p_month) ** (12.0 / self.spy)
        c, f = self.citizen_store, self.business_store
        self.citizens = [RefCitizen(self, i, c) for i in range(len(c))]
        indptr, indices = self.ties.indptr, self.ties.indices
        for i, person in enumerate(self.citizens):
            person.neighbours = [self.citizens[j] for j in indices[indptr[i] : indptr[i + 1]].tolist()]
        self.firms = [RefBusiness(self, i, f) for i in range(len(f))]
        self.rule_s = 0.0
        self.writeback_s = 0.0

    def _step_businesses(self, inputs) -> None:
        start = perf_counter()
        self.b = _Values(inputs, ("quality", "peers", "mandate", "outage", "open_data"))
        self.agents_by_type[RefBusiness].shuffle_do("step")
        self.rule_s += perf_counter() - start
        start = perf_counter()
        self.business_store["readiness"] = [f.readiness for f in self.firms]
        self.business_store["adopted"] = [f.adopted for f in self.firms]
        self.writeback_s += perf_counter() - start

    def _step_citizens(self, inputs) -> None:
        start = perf_counter()
        self.v = _Values(
            inputs,
            (
                "quality",
                "coverage_urban",
                "coverage_rural",
                "centre_reach",
                "centre_reach_rural",
                "affordability",
                "loss_hazard",
                "paper_open",
                "literacy_dose",
                "engagement",
                "responsiveness",
                "outage",
                "adopters",
            ),
        )
        self.v.trust_shock = inputs.trust_shock
        self.v.need_surge = inputs.need_surge
        self.agents_by_type[RefCitizen].shuffle_do("step")
        self.rule_s += perf_counter() - start
        start = perf_counter()
        for name in CITIZEN_ATTRS:
            self.citizen_store[name] = [getattr(p, name) for p in self.citizens]
        self.writeback_s += perf_counter() - start

    def _cohort_turnover(self) -> None:
        """Cohorts turn over in the columns (the model's own code); the agents follow."""
        super()._cohort_turnover()
        c = self.citizen_store
        columns = {name: c[name].tolist() for name in ("age_band", "non_user", *CITIZEN_ATTRS)}
        for i, person in enumerate(self.citizens):
            for name, values in columns.items():
                setattr(person, name, values[i])


CURVES = ("citizen_online_share", "internet_use_share", "mean_literacy", "trust", "business_adoption")


def check_statistically_equal(params, seeds, tolerance_se: float = 4.0, floor: float = 0.01) -> dict:
    """National curves of the reference and of the model over `seeds`: at every year end,
    the difference of the seed means must be within `tolerance_se` standard errors of the
    difference (plus `floor`, for curves with almost no seed noise)."""
    curves = {"model": [], "reference": []}
    for seed in seeds:
        curves["model"].append(EGovModel(params, seed=seed).run().national_frame())
        curves["reference"].append(MesaReference(params, seed=seed).run().national_frame())
    spy = params.steps_per_year
    out, passed = {}, True
    for name in CURVES:
        a = np.array([f[name].to_numpy()[spy - 1 :: spy] for f in curves["model"]])
        b = np.array([f[name].to_numpy()[spy - 1 :: spy] for f in curves["reference"]])
        diff = b.mean(axis=0) - a.mean(axis=0)
        se = np.sqrt(a.var(axis=0, ddof=1) / len(a) + b.var(axis=0, ddof=1) / len(b))
        worst = float(np.max(np.abs(diff) - tolerance_se * se))
        ok = bool(np.all(np.abs(diff) <= tolerance_se * se + floor))
        passed &= ok
        out[name] = {
            "max_abs_difference": float(np.max(np.abs(diff))),
            "max_standard_error": float(np.max(se)),
            "excess_over_tolerance": worst,
            "within": ok,
        }
    from sim.model.limits import citizen_agents

    return {
        "curves": out,
        "seeds": list(seeds),
        "n_citizens": citizen_agents(params),
        "tolerance_se": tolerance_se,
        "floor": floor,
        "passed": passed,
    }
