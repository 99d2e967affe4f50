"""The e-government adoption model: a Mesa model that builds its world in `__init__` and
reads its monthly step in a few lines."""

from __future__ import annotations

from typing import Literal

import mesa
import numpy as np
import pandas as pd

from sim.model import cohorts, indicators, kernels
from sim.model import rng as streams
from sim.model.agents import agency as agency_kind
from sim.model.agents import business as business_kind
from sim.model.agents import citizen as citizen_kind
from sim.model.agents import region as region_kind
from sim.model.agents.agency import Agency, as_seen_by_regions
from sim.model.agents.business import Business, BusinessCoefficients, BusinessInputs
from sim.model.agents.citizen import (
    ONLINE,
    Citizen,
    CitizenCoefficients,
    CitizenInputs,
    affordability,
    loss_hazard,
)
from sim.model.agents.region import Region
from sim.model.framework import MODELS, profile
from sim.model.levers import EVENTS, LEVERS
from sim.model.params import Coefficients, Params, Target
from sim.model.world import (
    AGE_COLUMNS,
    agents_per_region,
    build_businesses,
    build_citizens,
    build_government,
    build_ties,
    business_regions,
    regions_frame,
)
from sim.model.world_data import BACKBONE_AGENCIES

Engine = Literal["vectorized", "agent"]


def effective_coefficients(params: Params) -> Coefficients:
    """The coefficients with switched-off feedbacks zeroed: network effects (peers) and
    habit live in the citizens' and firms' choice and word of mouth in the citizens'
    access, so switching them off is a zero."""
    fb, off = params.feedbacks, {}
    if not fb.network_effects:
        off.update(online_peers=0.0, business_peers=0.0)
    if not fb.habit:
        off["online_habit"] = 0.0
    if not fb.word_of_mouth:
        off["access_imitation"] = 0.0
    return params.coefficients.model_copy(update=off)


ENGINES = ("vectorized", "agent")


class EGovModel(mesa.Model):
    """Regions, agencies, businesses and citizens moving through e-government stages.

    engine="vectorized" steps citizens and businesses with compiled kernels over whole
    kinds (sim/model/kernels.py); engine="agent" calls each agent's own `step()`. Both
    give the same tables for the same seed. Regions and agencies step with numpy kernels
    in the fast engine and with their per-agent rules in the agent engine.

    Citizens and businesses live in columns. Their Mesa agent objects (views of their
    rows) are made only when asked for: by engine="agent", or on first access to
    `agents`, `agents_by_type` or `agent_types`, so a large vectorized run holds columns
    only.
    """

    def __init__(
        self,
        params: Params | None = None,
        seed: int | None = 0,
        engine: Engine = "vectorized",
        rng: int | np.random.Generator | None = None,
        *,
        collect: bool = True,
        allow_large: bool = False,
        **overrides,
    ):
        """`params` (default: the Kazakhstan baseline) with optional `overrides`: keyword
        parameters by dotted path passed as a dict (``**{"coefficients.online_peers": 2}``)
        or by a unique field name (``scale=2000, budget=50, online_peers=2``), validated
        like a scenario file. `seed` is an integer in 0..2**32-1; `seed=None` draws one
        from entropy and records it in `model.seed`; `rng` (an integer or a numpy
        Generator), Mesa's convention, sets the seed instead. `collect=False` switches off
        the DataCollector (`model.datacollector`), which records the national indicators
        every step. A world of more than sim.model.limits.MAX_AGENTS citizen agents is refused
        (sim.model.limits.TooLarge, with its cost) unless `allow_large=True`."""
        from sim.model.limits import SEED_MAX, check_agents, check_seed

        if engine not in ENGINES:
            raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
        if rng is not None:
            if seed not in (0, None):
                raise ValueError("pass either seed or rng, not both")
            if isinstance(rng, np.random.Generator):
                seed = int(rng.integers(0, SEED_MAX, endpoint=True))
            else:
                seed = check_seed(rng, "rng")
        if seed is None:
            seed = int(np.random.SeedSequence().generate_state(1)[0])
        seed = check_seed(seed)
        super().__init__(rng=seed)
        if params is not None and not isinstance(params, Params):
            raise TypeError(f"params must be sim.Params, got {type(params).__name__}")
        params = params if params is not None else Params()
        if overrides:
            params = _with_overrides(params, overrides)
        else:
            # nested lists may have been changed in place: check the whole set before the run
            Params.model_validate(params.model_dump())
        check_agents(params, allow_large)
        self.params = params
        self.seed, self.engine = seed, engine
        world = self.params.world
        self.coefficients = effective_coefficients(self.params)
        self.citizen_coefficients = CitizenCoefficients.of(self.coefficients)
        self.business_coefficients = BusinessCoefficients.of(self.coefficients)

        regions = regions_frame(world)
        self.region_names = regions["region"].tolist()
        self.n_regions = len(regions)
        self.region_store = Region.new_store(self.n_regions)
        for column in ("population", "urban_share", "coverage_urban", "coverage_rural"):
            self.region_store[column] = regions[column].to_numpy()
        for r in range(self.n_regions):
            Region(self, self.region_store, r)
        # regional inputs of the population (issue 11): income relative to the nation,
        # adult age-band shares, rural coverage factor (villages without mobile internet)
        self.income_ratio = regions["income_ratio"].to_numpy(dtype=np.float64)
        self.age_shares = regions[AGE_COLUMNS].to_numpy(dtype=np.float64)
        self.rural_signal = regions["rural_signal"].to_numpy(dtype=np.float64)

        government = build_government(self.region_names)
        self.agency_names = government.names
        self.agency_network = government.network
        self.services = government.services
        self.agency_store = Agency.new_store(len(government.names))
        self.agency_store["central"] = government.central
        self.agency_store["region"] = government.region
        # 2005 starting skills: central staff ahead of regional staff, more so in rural
        # regions (2025 survey: regional staff face more barriers than central staff)
        local_urban = self.region_store["urban_share"][np.maximum(government.region, 0)]
        self.agency_store["capacity"] = np.where(government.central, 0.3, 0.1 + 0.2 * local_urban)
        self.agency_store["interop"] = np.where(government.central, 0.08, 0.03)
        # the exchange starts with the agencies hosting the backbone registers (2005-2007
        # State Programme: individuals, legal entities, addresses, real estate)
        self.agency_store["joined"] = np.isin(self.agency_names, BACKBONE_AGENCIES)
        self.agency_store["interop"] = np.where(
            self.agency_store["joined"], 0.3, self.agency_store["interop"]
        )
        # legacy systems of 2005: akimats' older than ministries' on average
        g = streams.stream(self.seed, "build:agencies")
        self.agency_store["legacy_age"] = np.where(
            government.central,
            g.uniform(2.0, 12.0, len(government.names)),
            g.uniform(6.0, 16.0, len(government.names)),
        )
        for a in range(len(government.names)):
            Agency(self, self.agency_store, a)
        # regions x agencies: each region is served by the central agencies and its akimat
        serving = self.agency_store["central"][None, :] | (
            self.agency_store["region"][None, :] == np.arange(self.n_regions)[:, None]
        )
        self.agencies_serving = serving / serving.sum(axis=1, keepdims=True)
        self._serving_mask = serving

        self.citizen_store = Citizen.new_store(int(agents_per_region(regions, world.scale).sum()))
        build_citizens(self.citizen_store, regions, world.scale, self.seed, self.params.coefficients)
        self.ties = build_ties(self.citizen_store["region"], world, self.seed)
        self.tie_counts = kernels.Ties(self.ties.indptr, self.ties.indices, self.citizen_store["channel"])

        firm_regions = business_regions(regions, len(self.citizen_store), world)
        self.business_store = Business.new_store(firm_regions.size)
        build_businesses(
            self.business_store,
            regions,
            firm_regions,
            world,
            self.seed,
            self.params.coefficients.vat_payer_share,
        )
        self._objects_made = False
        if engine == "agent":
            self._make_objects()

        c, b = self.citizen_store, self.business_store
        self.citizen_blocks = indicators.Blocks(c["region"], self.n_regions)
        # region x urban/rural cells, urban first within each region block
        self.citizen_cells = indicators.Blocks(
            c["region"].astype(np.int64) * 2 + ~c["urban"], 2 * self.n_regions
        )
        self.business_blocks = indicators.Blocks(b["region"], self.n_regions)
        self.people_by_region = self.citizen_blocks.sums(c["weight"])
        self.people_by_cell = self.citizen_cells.sums(c["weight"])
        self.firms_by_region = self.business_blocks.sums(b["weight"])

        self.levers = [LEVERS[spec.lever](spec) for spec in self.params.policies]
        self.b2g_regulation = 0.0
        self._take_demand_signals(
            {
                "paper_share": self.citizen_blocks.means(c["channel"] == citizen_kind.PAPER),
                "citizen_online_share": self.citizen_blocks.means(c["channel"] == ONLINE),
                "c2g_participation": self.citizen_blocks.means(c["participated"]),
            }
        )
        self.active_events: list = []
        self.events = [EVENTS[spec.kind](spec, self) for spec in self.params.events]
        self.budget_spent = 0.0
        self.spent_by_region = np.zeros(self.n_regions)
        self._lagging: dict[tuple, np.ndarray] = {}
        self._national: list[dict] = []
        self._regional: list[dict[str, np.ndarray]] = []
        self.datacollector = (
            mesa.DataCollector(model_reporters={n: _national_reporter(n) for n in national_indicators()})
            if collect
            else None
        )

    # --- agent objects, made on demand ----------------------------------------------
    def _make_objects(self) -> None:
        """Create the Mesa agents of every citizen and firm (views of their rows)."""
        if self._objects_made:
            return
        self._objects_made = True
        bounds, indices = self.tie_counts.indptr.tolist(), self.tie_counts.indices
        self.neighbours = [indices[lo:hi].tolist() for lo, hi in zip(bounds, bounds[1:], strict=False)]
        for i in range(len(self.citizen_store)):
            Citizen(self, self.citizen_store, i)
        for i in range(len(self.business_store)):
            Business(self, self.business_store, i)

    @property
    def agents(self):
        if not getattr(self, "_objects_made", True):
            self._make_objects()
        return super().agents

    @property
    def agents_by_type(self):
        if not getattr(self, "_objects_made", True):
            self._make_objects()
        return super().agents_by_type

    @property
    def agent_types(self) -> list[type]:
        if not getattr(self, "_objects_made", True):
            self._make_objects()
        return super().agent_types

    # --- calendar -------------------------------------------------------------------
    @property
    def year(self) -> int:
        """Calendar year of the step being run (or last run)."""
        return self.params.start_year + max(self.steps - 1, 0) // self.params.steps_per_year

    @property
    def month(self) -> int:
        spy = self.params.steps_per_year
        return (max(self.steps - 1, 0) % spy) * 12 // spy + 1

    # --- events in force ----------------------------------------------------------
    @property
    def paper_open(self) -> float:
        """Share of paper transactions possible: the strictest active demand shock."""
        return min((e.paper_open() for e in self.active_events), default=1.0)

    @property
    def centres_open(self) -> float:
        return min((e.centres_open() for e in self.active_events), default=1.0)

    @property
    def incident_multiplier(self) -> float:
        """Multiplier of the cyber-incident rate: the strongest active wave."""
        return max((e.incident_multiplier() for e in self.active_events), default=1.0)

    @property
    def need_surge(self) -> float:
        """Extra need of recent online users: the strongest active demand shock's."""
        return max((e.need_surge() for e in self.active_events), default=0.0)

    # --- the step -------------------------------------------------------------------
    def step(self) -> None:
        """One month: in January the cohorts turn over; levers spend, agencies and
        regions respond, businesses and citizens decide, indicators are recorded."""
        if self.params.world.cohort_turnover and self.month == 1 and self.steps > 1:
            self._cohort_turnover()
        self._open_books()
        self.budget_spent = sum(lever.spend(self) for lever in self.levers)
        self._book_spending_by_region()
        self.joined_before = self.agency_store["joined"].copy()
        self.ready_firms = self._ready_firms()
        self.agency_draws = self._draws(agency_kind.DECISIONS, len(self.agency_store))
        if self.engine == "vectorized":
            agency_kind.step_all(self)
        else:
            self._agents_by_type[Agency].do("step")
        self.services.launch(self.agency_store["stage"], self.agency_store["joined"])
        if self.engine == "vectorized":
            region_kind.step_all(self)
        else:
            self._agents_by_type[Region].do("step")
        self._step_businesses(self._business_inputs())
        self._step_citizens(self._citizen_inputs())
        self._record()
        if self.datacollector is not None:
            self.datacollector.collect(self)
        if self.steps >= self.params.n_steps:
            self.running = False

    def run(self) -> EGovModel:
        """Run to the end year (from wherever the model is)."""
        while self.steps < self.params.n_steps:
            self.step()
        return self

    def _cohort_turnover(self) -> None:
        """Each January (not the first): the bands move up, the oldest are replaced by
        15-year-olds (sim/model/cohorts.py); the counts of online ties follow."""
        online_before = self.citizen_store["channel"] == ONLINE
        cohorts.turnover(
            self.citizen_store,
            self.age_shares,
            self.income_ratio,
            self.params.coefficients,
            self.seed,
            self.year,
        )
        self.tie_counts.update(online_before, self.citizen_store["channel"])

    def coverage_rural_effective(self) -> np.ndarray:
        """Rural coverage as citizens meet it: the region's rural coverage times its
        settlement factor (villages without mobile internet), at most 1."""
        return np.minimum(self.region_store["coverage_rural"] * self.rural_signal, 1.0)

    def _step_businesses(self, inputs: BusinessInputs) -> None:
        if self.engine == "vectorized":
            kernels.businesses(self.business_store, inputs)
        else:
            self.business_region_values = inputs.for_rule()
            self._agents_by_type[Business].do("step")

    def _step_citizens(self, inputs: CitizenInputs) -> None:
        if self.engine == "vectorized":
            kernels.citizens(self.citizen_store, inputs, self.tie_counts)
        else:
            online_before = self.citizen_store["channel"] == ONLINE
            self.citizen_region_values = inputs.for_rule(online_before)
            self._agents_by_type[Citizen].do("step")
            self.tie_counts.update(online_before, self.citizen_store["channel"])

    def _take_demand_signals(self, reg: dict[str, np.ndarray]) -> None:
        """What supply responds to next step: each region's paper demand, and each
        agency's online use and C2G reports among the people it serves."""
        self.region_store["paper_demand"] = reg["paper_share"]
        people = self._serving_mask * self.people_by_region[:, None]  # regions x agencies
        served = people.sum(axis=0)
        self.agency_store["usage"] = reg["citizen_online_share"] @ people / served
        self.agency_store["reports"] = reg["c2g_participation"] @ people / served

    def _ready_firms(self) -> float:
        """Share of firms (by weight) online and ready enough to provide services (B2G)."""
        b = self.business_store
        ready = b["adopted"] & (b["readiness"] >= self.coefficients.b2g_readiness)
        return float(self.business_blocks.sums(ready * b["weight"]).sum() / self.firms_by_region.sum())

    def _open_books(self) -> None:
        self.b2g_regulation = 0.0
        for column in agency_kind.INFLOWS:
            self.agency_store[column] = 0.0
        for column in (*region_kind.INFLOWS, "mandate_citizens", "mandate_businesses", "remote_signing"):
            self.region_store[column] = 0.0

    def _book_spending_by_region(self) -> None:
        a = self.agency_store
        agency_spend = sum(a[c] for c in agency_kind.INFLOWS)
        local = ~a["central"]
        by_region = np.bincount(a["region"][local], agency_spend[local], self.n_regions)
        self.spent_by_region = by_region + sum(self.region_store[c] for c in region_kind.INFLOWS)

    def _draws(self, decisions, n: int) -> dict[str, np.ndarray]:
        return {d: streams.uniforms(self.seed, d, self.steps, n) for d in decisions}

    def _keys(self, decisions) -> list[int]:
        """The step's counter-based stream keys, one per decision (rng.key)."""
        return [streams.key(self.seed, d, self.steps) for d in decisions]

    def _regional_quality(self, audience: str) -> tuple[np.ndarray, np.ndarray]:
        a = self.agency_store
        quality = self.services.effective_quality(
            a["interop"], a["outage"], self.coefficients.dependency_penalty
        )
        down = a["outage"][self.services.owner].astype(np.float64)
        return self.services.by_region(quality, audience), self.services.by_region(down, audience)

    def _citizen_inputs(self) -> CitizenInputs:
        rs = self.region_store
        quality, outage = self._regional_quality("citizens")
        governance = as_seen_by_regions(self.agencies_serving, self.agency_store)
        k = self.coefficients
        centre_reach = rs["centres"] * self.centres_open * k.assisted_preference
        self.citizen_inputs = CitizenInputs(
            quality=quality,
            coverage_urban=rs["coverage_urban"].copy(),
            coverage_rural=self.coverage_rural_effective(),
            centre_reach=centre_reach,
            centre_reach_rural=centre_reach * k.rural_centre_reach,
            affordability=affordability(k, self.income_ratio),
            loss_hazard=loss_hazard(k, self.income_ratio, self.params.steps_per_year),
            paper_open=self.paper_open * (1.0 - rs["mandate_citizens"]) * rs["counters"],
            literacy_dose=rs["literacy_dose"].copy(),
            engagement=governance["engagement"],
            responsiveness=governance["responsiveness"],
            outage=outage,
            signed=self._signed_shares(),
            adopters=self._internet_shares(),
            trust_shock=self._breach_trust_shock(),
            need_surge=self.need_surge,
            keys=citizen_kind.Keys(*self._keys(citizen_kind.DECISIONS)),
            steps_per_year=self.params.steps_per_year,
            step=self.steps,
            coefficients=self.citizen_coefficients,
            literacy_age_factor=tuple(float(v) for v in k.literacy_age_factor),
            online_age=tuple(float(v) for v in k.online_age),
        )
        return self.citizen_inputs

    def _signed_shares(self) -> np.ndarray:
        """Share of each region's citizen services that must be signed with a key from a
        centre: those at the transactional level or above, less what the remote_signing
        lever lets people sign without one (none while keys are not required)."""
        if not self.params.feedbacks.signature_keys:
            return np.zeros(self.n_regions)
        signed = (self.services.maturity >= 3).astype(np.float64)
        return self.services.by_region(signed, "citizens") * (1.0 - self.region_store["remote_signing"])

    def _internet_shares(self) -> np.ndarray:
        """Share of each region's people with internet (citizens of a region weigh the
        same): a compiled count per region block, the numbers of citizen_blocks.means."""
        counts = self.citizen_blocks.counts
        return kernels.block_counts(self.citizen_store["internet"], counts) / np.maximum(counts, 1)

    def _breach_trust_shock(self) -> float:
        """Trust every citizen loses this step: a visible breach is national news, in
        proportion to the share of citizen services it takes down."""
        if not self.params.feedbacks.breach_trust:
            return 0.0
        s = self.services
        citizen_services = s.available & (s.audience == 0)
        down = self.agency_store["outage"][s.owner] & citizen_services
        return self.coefficients.breach_trust_loss * float(down.sum() / max(citizen_services.sum(), 1))

    def _business_inputs(self) -> BusinessInputs:
        b = self.business_store
        quality, outage = self._regional_quality("businesses")
        governance = as_seen_by_regions(self.agencies_serving, self.agency_store)
        self.business_inputs = BusinessInputs(
            quality=quality,
            peers=self.business_blocks.means(b["adopted"]),
            mandate=self.region_store["mandate_businesses"].copy(),
            outage=outage,
            open_data=governance["open_data"],
            keys=business_kind.Keys(*self._keys(business_kind.DECISIONS)),
            steps_per_year=self.params.steps_per_year,
            coefficients=self.business_coefficients,
            size_shift=tuple(float(v) for v in self.coefficients.business_size),
        )
        return self.business_inputs

    # --- targets --------------------------------------------------------------------
    def target_regions(self, target: Target) -> np.ndarray:
        """Boolean mask over regions reached by a policy target."""
        if target.kind == "regions":
            return np.isin(self.region_names, target.regions)
        if target.kind == "lagging":
            return self._lagging_regions(target.lagging.indicator, target.lagging.count)
        return np.ones(self.n_regions, dtype=bool)

    def target_agencies(self, target: Target) -> np.ndarray:
        """Boolean mask over agencies: named ones, or the akimats of targeted regions."""
        if target.kind == "agencies":
            return np.isin(self.agency_names, target.agencies)
        if target.kind == "all":
            return np.ones(len(self.agency_store), dtype=bool)
        regions = np.flatnonzero(self.target_regions(target))
        return np.isin(self.agency_store["region"], regions)

    def _lagging_regions(self, indicator: str, count: int) -> np.ndarray:
        """The `count` lowest regions by an indicator, ranked every January."""
        key = (indicator, count, self.year)
        if key not in self._lagging:
            values = indicators.region_indicators(self)[indicator]
            mask = np.zeros(self.n_regions, dtype=bool)
            mask[np.argsort(values, kind="stable")[:count]] = True
            self._lagging[key] = mask
        return self._lagging[key]

    # --- outputs --------------------------------------------------------------------
    def _record(self) -> None:
        sums = indicators.citizen_sums(self)  # one compiled pass, read by both
        reg = indicators.region_indicators(self, sums)
        nat = indicators.national_indicators(self, reg, sums)
        self._regional.append(reg)
        self._take_demand_signals(reg)
        self._national.append({"step": self.steps, "year": self.year, "month": self.month, **nat})

    def national_frame(self) -> pd.DataFrame:
        """One row per step: national indicators and disparity across regions."""
        return pd.DataFrame(self._national)

    def region_frame(self) -> pd.DataFrame:
        """One row per step and region (each indicator's steps joined into one column, not
        a frame per step: this frame took as long as the run it reports)."""
        if not self._regional:
            return pd.DataFrame()
        n, steps = self.n_regions, len(self._regional)
        columns = {k: np.repeat([row[k] for row in self._national], n) for k in ("step", "year", "month")}
        for key in self._regional[0]:
            columns[key] = np.concatenate([reg[key] for reg in self._regional])  # arrays of n
        frame = pd.DataFrame(columns)
        frame.insert(3, "region", list(self.region_names) * steps)
        return frame

    def profile_frame(self) -> pd.DataFrame:
        """The Stage-Model-Openness profile of each region and the nation at the end of
        each year: stage, each interaction model's strength and activity, openness, and
        the models active ahead of the stage."""
        th = self.params.thresholds
        rows = []
        for nat, reg in zip(self._national, self._regional, strict=True):
            if nat["step"] % self.params.steps_per_year and nat["step"] != self.steps:
                continue
            places = [*self.region_names, "National"]
            stage = np.append(reg["egov_stage"], nat["egov_stage"])
            strengths = {
                name: np.append(reg[f"{name.lower()}_strength"], nat[f"{name.lower()}_strength"])
                for name in MODELS
            }
            openness = np.append(reg["openness"], nat["openness"])
            prof = profile(stage, strengths, openness, th)
            frame = pd.DataFrame({"year": nat["year"], "region": places, **prof})
            rows.append(frame)
        return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()

    def agent_counts(self) -> dict[str, int]:
        return {kind.__name__: len(agents) for kind, agents in self.agents_by_type.items()}


# --- Mesa conventions: keyword parameters and the DataCollector ---------------------------


def _national_reporter(name: str):
    def report(model: EGovModel) -> float:
        return model._national[-1][name]

    report.__name__ = name
    return report


_INDICATORS: tuple[str, ...] | None = None


def national_indicators() -> tuple[str, ...]:
    """The national indicators (columns of `national_frame()` but step, year, month),
    read off a one-step run of a tiny world once per process."""
    global _INDICATORS
    if _INDICATORS is None:
        from sim.model.params import WorldSpec

        tiny = Params(
            start_year=2005,
            end_year=2005,
            world=WorldSpec(kind="synthetic", n_regions=2, synthetic_population=1000, scale=100),
        )
        model = EGovModel(tiny, seed=0, collect=False)
        model.step()
        _INDICATORS = tuple(k for k in model._national[-1] if k not in ("step", "year", "month"))
    return _INDICATORS


def _with_overrides(params: Params, overrides: dict) -> Params:
    """`params` with keyword overrides by dotted path or unique field name, validated."""
    from sim.model.param_paths import _untuple, all_paths, apply_changes, check_path

    leaves = all_paths(_untuple(params.model_dump()))
    by_name: dict[str, list[str]] = {}
    for path in leaves:
        if not path.startswith(("policies.", "events.")):
            by_name.setdefault(path.rsplit(".", 1)[-1], []).append(path)
    changes = {}
    for key, value in overrides.items():
        if key in leaves:
            changes[key] = value
        elif len(by_name.get(key, [])) == 1:
            changes[by_name[key][0]] = value
        elif key in by_name:
            raise TypeError(f"parameter {key!r} is ambiguous: say one of {', '.join(by_name[key])}")
        else:
            raise TypeError(f"EGovModel got an unknown parameter: {check_path(params, key, numeric=False)}")
    return apply_changes(params, changes)
