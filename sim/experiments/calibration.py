"""Calibration: estimate named parameters from the Kazakhstan targets by ABC-SMC (pyabc),
and check the fit.

A targets file (sim/data/kazakhstan/targets.yaml) names the calibrated parameters with
uniform priors inside the parameter schema's bounds (pydantic `ge`/`le` of
sim.model.params) and the targets: an indicator as the surveys define it, a year or span,
the observed value, its uncertainty and its source.

`calibrate` runs pyabc's ABCSMC. Every particle is simulated with a few seeds and its
summary statistics are the means over them. The seeds are either the same for every
particle (common random numbers: two particles differ by their parameters, not their
draws, but the posterior is then conditional on those seeds' luck) or fresh for each
particle (`fresh_seeds`: drawn from the particle chain's seeded generator, so the ABC
posterior also accounts for the model's own randomness, as ABC's likelihood-free
acceptance assumes, and a run stays reproducible). The distance is the
Euclidean distance of (simulated - observed) / sigma over the targets that take part in
the fit; epsilon is the median of the previous generation's distances; new particles are
proposed with Beaumont et al. (2009)'s kernel, twice the previous generation's weighted
covariance (`beaumont_bandwidth`). Particles are
evaluated on the project's executors (serial, local processes, Dask) by
`ExecutorSampler`, which reports progress. pyabc's History (sqlite) stores every
generation, so a killed calibration resumes from its last complete generation.

`posterior_predictive` runs posterior draws over seeds and gives each target's median and
90% band; `fit_table` sets them against the observations.
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import math
import pickle
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from sim.model.param_paths import ITEM_NAME, apply_changes, check_path, item_name, split_path
from sim.model.params import Params

DEFAULT_TARGETS = Path(__file__).resolve().parent.parent / "data" / "kazakhstan" / "targets.yaml"
BAND = (0.05, 0.95)  # the posterior predictive band: 90%


class CalibrationError(ValueError):
    """A targets file or calibration request that cannot be used; `problems` one line each."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


# --- targets ----------------------------------------------------------------------------


@dataclass
class Target:
    """One observed figure and how to read it off a run."""

    name: str
    observed: float
    sigma: float
    kind: str = "value"  # value, stage_year, sum (series are expanded into values)
    indicator: str = ""
    year: int | None = None
    region: str | None = None
    stage: int | None = None
    start: tuple[int, int] | None = None  # sum: (year, month)
    end: tuple[int, int] | None = None
    factor: float = 1.0
    stat: str = "end"  # value: the December figure ("end") or the year's "mean"
    month: int | None = None  # value: the figure of this month instead (a dated record)
    tolerance: float | None = None
    fit: bool = True
    source: str = ""
    note: str = ""
    group: str = ""  # the series a value came from

    @property
    def allowed(self) -> float:
        """The largest |median - observed| that counts as met."""
        return self.tolerance if self.tolerance is not None else 2.0 * self.sigma

    @property
    def last_year(self) -> int:
        if self.kind == "sum" and self.end:
            return self.end[0]
        if self.kind == "stage_year":
            return int(self.observed + 3)
        return int(self.year or 0)

    def compute(self, national: pd.DataFrame, regional: pd.DataFrame | None) -> float:
        """The target's statistic from one run's tables."""
        if self.kind == "stage_year":
            hit = national["egov_stage"].to_numpy() >= (self.stage or 0)
            if not hit.any():
                return float(national["year"].max() + 1)
            return float(national["year"].iat[int(np.argmax(hit))])
        frame = national
        if self.region:
            if regional is None:
                return float("nan")
            frame = regional[regional["region"] == self.region]
        if self.kind == "sum":
            ym = frame["year"] * 12 + frame["month"]
            lo, hi = self.start[0] * 12 + self.start[1], self.end[0] * 12 + self.end[1]
            return float(frame.loc[(ym >= lo) & (ym <= hi), self.indicator].sum() * self.factor)
        in_year = frame["year"] == self.year
        if self.month:
            in_year &= frame["month"] == self.month
        rows = frame.loc[in_year, self.indicator]
        if rows.empty:
            return float("nan")
        return float(rows.iat[-1] if self.stat == "end" else rows.mean())


@dataclass
class Targets:
    """A targets file: the scenario, the calibrated parameters' priors, the targets."""

    scenario: str
    priors: dict[str, tuple[float, float]]
    targets: list[Target]
    path: Path | None = None

    @property
    def fitted(self) -> list[Target]:
        return [t for t in self.targets if t.fit]

    @property
    def observed(self) -> dict[str, float]:
        return {t.name: t.observed for t in self.fitted}

    @property
    def needs_regions(self) -> bool:
        return any(t.region for t in self.targets)

    @property
    def last_year(self) -> int:
        return max(t.last_year for t in self.targets)


TARGET_KEYS = {
    "name", "kind", "indicator", "region", "year", "years", "month", "stat", "stage", "from", "to",
    "factor", "observed", "sigma", "tolerance", "fit", "source", "note",
}  # fmt: skip


def _ym(text: Any) -> tuple[int, int]:
    year, month = str(text).split("-")
    return int(year), int(month)


def schema_bounds(params: Params, path: str) -> tuple[float, float]:
    """The (ge, le) bounds of a parameter in the schema (-inf/inf where open)."""
    parts = split_path(path)
    model: Any = type(params)
    lo, hi = -math.inf, math.inf
    for i, part in enumerate(parts):
        if isinstance(part, int):
            continue
        info = model.model_fields[part]
        metadata = list(info.metadata)
        args = getattr(info.annotation, "__args__", ())
        if i + 1 < len(parts) and isinstance(parts[i + 1], int) and args:
            metadata += list(getattr(args[0], "__metadata__", ()))
        for m in metadata:
            lo = max(lo, getattr(m, "ge", None) if getattr(m, "ge", None) is not None else -math.inf)
            hi = min(hi, getattr(m, "le", None) if getattr(m, "le", None) is not None else math.inf)
        model = info.annotation if isinstance(info.annotation, type) else None
        if i + 1 < len(parts) and isinstance(parts[i + 1], int) and args and hasattr(args[0], "model_fields"):
            model = args[0]  # an element of a list of specs (events.0.intensity)
        if model is None or not hasattr(model, "model_fields"):
            model = None
            if i + 1 < len(parts) and not isinstance(parts[i + 1], int):
                break
    return lo, hi


def _refused(base: Params, changes: dict[str, float]) -> str | None:
    """Why the model's rules refuse these changes to `base`, or None."""
    try:
        apply_changes(base, changes)
    except ValidationError as e:
        return "; ".join(err["msg"].removeprefix("Value error, ") for err in e.errors())
    return None


def load_targets(path: str | Path | None = None, scenario: str | None = None) -> Targets:
    """Read and check a targets file (default: the shipped Kazakhstan targets)."""
    from sim.experiments.scenario import ScenarioError, load, read_source

    path = Path(path) if path else DEFAULT_TARGETS
    if not path.is_file():
        raise CalibrationError([f"{path}: no such targets file"])
    try:
        data = read_source(path).data or {}
    except ScenarioError as e:
        raise CalibrationError(e.problems) from None
    if not isinstance(data, dict):
        raise CalibrationError([f"{path}: a targets file is a mapping (scenario, parameters, targets)"])
    problems: list[str] = []
    scen = scenario or data.get("scenario", "kazakhstan_baseline")
    base = load(scen).params
    priors: dict[str, tuple[float, float]] = {}
    for name, spec in (data.get("parameters") or {}).items():
        msg = check_path(base, name)
        if msg:
            problems.append(f"{path}: parameters.{name}: {msg}")
            continue
        lo, hi = float(spec["low"]), float(spec["high"])
        slo, shi = schema_bounds(base, name)
        if not (slo <= lo < hi <= shi):
            problems.append(
                f"{path}: parameters.{name}: prior [{lo:g}, {hi:g}] must lie inside the schema's "
                f"bounds [{slo:g}, {shi:g}] with low < high"
            )
        elif split_path(name)[0] in ("policies", "events") and len(split_path(name)) != 3:
            problems.append(
                f"{path}: parameters.{name}: a policy or event is calibrated by a field of its own"
            )
        else:
            for end in (lo, hi):  # a model rule may refuse what the field's bounds allow
                if reason := _refused(base, {name: end}):
                    problems.append(f"{path}: parameters.{name}: prior end {end:g} is refused: {reason}")
        priors[name] = (lo, hi)
    if priors and not problems:  # rules across fields (inputs_digest applies every lower end)
        for which, end in (("low", 0), ("high", 1)):
            if reason := _refused(base, {k: v[end] for k, v in priors.items()}):
                problems.append(f"{path}: parameters: every prior at its {which} end is refused: {reason}")
    targets: list[Target] = []
    for i, t in enumerate(data.get("targets") or []):
        kind = t.get("kind", "value")
        unknown = sorted(set(t) - TARGET_KEYS)
        if unknown:
            problems.append(f"{path}: targets.{i}: unknown keys {unknown} (allowed: {sorted(TARGET_KEYS)})")
        if t.get("stat", "end") not in ("end", "mean"):
            problems.append(f"{path}: targets.{i}: stat {t['stat']!r} is not one of end, mean")
        elif "stat" in t and (kind not in ("value", "series") or "month" in t):
            problems.append(f"{path}: targets.{i}: stat applies to value and series targets without a month")
        month = t.get("month")
        if month is not None and (kind != "value" or type(month) is not int or not 1 <= month <= 12):
            problems.append(f"{path}: targets.{i}: month must be an integer 1-12, on a value target")
        common = dict(
            sigma=float(t["sigma"]),
            indicator=t.get("indicator", "egov_stage"),
            region=t.get("region"),
            tolerance=t.get("tolerance"),
            fit=bool(t.get("fit", True)),
            source=t.get("source", ""),
            note=" ".join(str(t.get("note", "")).split()),
            stat=t.get("stat", "end"),
        )
        if kind == "series":
            years, values = t["years"], t["observed"]
            if len(years) != len(values):
                problems.append(f"{path}: targets.{i}: years and observed differ in length")
                continue
            for y, v in zip(years, values, strict=True):
                targets.append(
                    Target(name=f"{t['name']}_{y}", observed=float(v), year=int(y), group=t["name"], **common)
                )
        elif kind in ("value", "stage_year", "sum"):
            targets.append(
                Target(
                    name=t["name"],
                    observed=float(t["observed"]),
                    kind=kind,
                    year=t.get("year"),
                    stage=t.get("stage"),
                    month=t.get("month"),
                    start=_ym(t["from"]) if kind == "sum" else None,
                    end=_ym(t["to"]) if kind == "sum" else None,
                    factor=float(t.get("factor", 1.0)),
                    group=t["name"],
                    **common,
                )
            )
        else:
            problems.append(f"{path}: targets.{i}: unknown kind {kind!r} (value, series, stage_year, sum)")
        if common["sigma"] <= 0:
            problems.append(f"{path}: targets.{i}: sigma must be positive")
    if problems:
        raise CalibrationError(problems)
    return Targets(scenario=scen, priors=priors, targets=targets, path=path)


# --- the simulator pyabc calls ------------------------------------------------------------


def run_statistics(
    params: Params, seed: int, targets: list[Target], needs_regions: bool
) -> tuple[dict[str, float], pd.DataFrame]:
    """One run: every target's statistic, and the national table."""
    from sim.model.egov_model import EGovModel

    model = EGovModel(params, seed=seed).run()
    national = model.national_frame()
    regional = model.region_frame() if needs_regions else None
    return {t.name: t.compute(national, regional) for t in targets}, national


@dataclass
class Simulator:
    """pyabc's model: parameters -> the targets' statistics, averaged over `seeds`.
    Picklable (it travels to the workers with each particle)."""

    base: Params
    seeds: list[int]
    targets: list[Target]
    needs_regions: bool = False
    fresh: bool = False  # new seeds for every parameter set, as many as `seeds`

    def run_seeds(self) -> list[int]:
        """The seeds of one evaluation: fresh ones come from numpy's global generator, which
        `_sample_one` seeds per particle chain (so they are reproducible)."""
        if not self.fresh:
            return list(self.seeds)
        return [int(s) for s in np.random.randint(0, 2**31 - 1, len(self.seeds))]

    def params_for(self, values: dict[str, float]) -> Params:
        return apply_changes(self.base, {k: float(v) for k, v in values.items()})

    def __call__(self, values: dict[str, float]) -> dict[str, float]:
        params = self.params_for(dict(values))
        stats = [run_statistics(params, s, self.targets, self.needs_regions)[0] for s in self.run_seeds()]
        return {t.name: float(np.mean([s[t.name] for s in stats])) for t in self.targets}


class _Distance:
    """Picklable (x - x0) / sigma Euclidean distance."""

    def __init__(self, sigmas: dict[str, float]):
        self.sigmas = sigmas

    def __call__(self, x: dict, x0: dict) -> float:
        return float(math.sqrt(sum(((x[k] - x0[k]) / s) ** 2 for k, s in self.sigmas.items())))


# --- a pyabc sampler on the project's executors --------------------------------------------


def _sample_one(payload: bytes, seed: int):
    """Worker side: sample until one particle is accepted (pyabc's MappingSampler logic)."""
    simulate_one, sample = pickle.loads(payload)
    np.random.seed(seed % 2**32)
    random.seed(seed)
    n = 0
    while True:
        particle = simulate_one()
        n += 1
        sample.append(particle)
        if particle.accepted:
            return sample, n


def executor_sampler(
    executor: cf.Executor,
    progress: Callable[[int, int, int, int], None] | None = None,
    seed: int = 0,
):
    """A pyabc Sampler that evaluates particles on a concurrent.futures executor (serial,
    process pool or Dask: sim.experiments.executors.open_executor), calling
    progress(generation, accepted, wanted, evaluations) as particles come back. Each
    particle chain's random seed comes from (seed, generation, chain), and the chains'
    particles are kept in chain order whatever order they finish in, so a calibration
    (and a resumed one) is reproducible from its seeds on any executor."""
    from pyabc.sampler import Sampler

    class ExecutorSampler(Sampler):
        def sample_until_n_accepted(
            self, n, simulate_one, t, *, max_eval=np.inf, all_accepted=False, ana_vars=None
        ):
            payload = pickle.dumps((simulate_one, self._create_empty_sample()))
            seeds = np.random.default_rng([seed, t + 1]).integers(0, 2**31, n)
            futures = [executor.submit(_sample_one, payload, int(s)) for s in seeds]
            parts: dict[cf.Future, Any] = {}
            evaluations = 0
            if progress:
                progress(t, 0, n, 0)
            try:
                for fut in cf.as_completed(futures):
                    part, k = fut.result()
                    parts[fut] = part
                    evaluations += k
                    if progress:
                        progress(t, len(parts), n, evaluations)
            except BaseException:
                for fut in futures:
                    fut.cancel()
                raise
            sample = self._create_empty_sample()
            for fut in futures:  # chain order, not finishing order
                sample += parts[fut]
            self.nr_evaluations_ = evaluations
            return sample

    return ExecutorSampler()


# --- calibrate -----------------------------------------------------------------------------


@dataclass
class CalibrationSetup:
    """Everything that decides a calibration's results (stored beside its database)."""

    targets_file: str
    scenario: str
    scale: float
    seeds: list[int]
    population: int
    generations: int
    priors: dict[str, tuple[float, float]]
    end_year: int
    kernel: str = "beaumont2009"  # the perturbation kernel (a resume must use the same)
    inputs_digest: str = ""  # what the simulations read (inputs_digest; a resume must match)
    fresh_seeds: bool = False  # new seeds for every parameter set (Simulator.fresh)
    extra: dict[str, Any] = field(default_factory=dict)


def base_params(targets: Targets, scale: float | None, end_year: int | None = None) -> Params:
    from sim.experiments.scenario import load

    base = load(targets.scenario).params
    changes: dict[str, Any] = {"end_year": end_year or targets.last_year}
    if scale is not None:
        changes["world.scale"] = scale
    return apply_changes(base, changes)


def inputs_digest(targets: Targets, scale: float | None) -> str:
    """A hash of what the simulations read and are compared with: the scenario's parameters
    (the calibrated ones set to their priors' lower bounds, since `--into` rewrites them)
    and the targets' figures. A scenario or targets file edited during a calibration, or
    between a stop and its resume, changes it."""
    import hashlib
    import json

    base = apply_changes(base_params(targets, scale), {k: lo for k, (lo, _) in targets.priors.items()})
    figures = [{k: v for k, v in vars(t).items() if k not in ("note", "source")} for t in targets.targets]
    text = base.model_dump_json() + json.dumps(figures, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def beaumont_bandwidth(n_samples: float, dimension: int) -> float:
    """The perturbation kernel of Beaumont et al. (2009), Biometrika 96: 983-990: a normal
    with twice the previous generation's weighted covariance (pyabc multiplies that
    covariance by the square of this factor). pyabc's default (Silverman's rule, about
    half the covariance for 11 parameters and 96 particles) proposes too narrowly for a
    posterior that spreads along directions the targets do not pin down: the few particles
    accepted out there then carry most of the weight (docs/validation.md, "Kernel and
    effective sample size").
    """
    return math.sqrt(2.0)


def perturbation_kernel():
    """The pyabc transition every calibration proposes its particles with."""
    import pyabc

    return pyabc.MultivariateNormalTransition(bandwidth_selector=beaumont_bandwidth)


def make_abc(targets: Targets, simulator: Simulator, population: int, sampler):
    import pyabc

    prior = pyabc.Distribution(
        **{_key(k): pyabc.RV("uniform", lo, hi - lo) for k, (lo, hi) in targets.priors.items()}
    )
    sigmas = {t.name: t.sigma for t in targets.fitted}
    return pyabc.ABCSMC(
        _KeyedModel(simulator, list(targets.priors)),
        prior,
        _Distance(sigmas),
        population_size=population,
        sampler=sampler,
        eps=pyabc.QuantileEpsilon(alpha=0.5),
        transitions=perturbation_kernel(),
    )


def _key(path: str) -> str:
    """pyabc parameter names: the dotted path with dots as double underscores."""
    return path.replace(".", "__")


def _path(key: str) -> str:
    return key.replace("__", ".")


class _KeyedModel:
    """The simulator called with pyabc's parameter names."""

    def __init__(self, simulator: Simulator, paths: list[str]):
        self.simulator = simulator
        self.paths = paths

    def __call__(self, par) -> dict[str, float]:
        return self.simulator({p: par[_key(p)] for p in self.paths})


def calibrate(
    targets: Targets,
    db: Path,
    *,
    scale: float | None,
    seeds: list[int],
    population: int,
    generations: int,
    executor: cf.Executor,
    resume: bool = False,
    progress: Callable[[int, int, int, int], None] | None = None,
    min_acceptance_rate: float = 0.0,
    fresh_seeds: bool = False,
) -> tuple[Any, int]:
    """Run (or resume) ABC-SMC; returns (pyabc History, generations run in this call)."""
    import logging

    import pyabc  # noqa: F401  (configures its loggers on import; quieten them after)

    for name in ("ABC", "ABC.History", "Epsilon", "Distance", "Acceptor", "Sampler", "Population size"):
        logging.getLogger(name).setLevel(logging.WARNING)
    base = base_params(targets, scale)
    simulator = Simulator(base, list(seeds), targets.targets, targets.needs_regions, fresh=fresh_seeds)
    sampler = executor_sampler(executor, progress, seed=seeds[0])
    abc = make_abc(targets, simulator, population, sampler)
    url = f"sqlite:///{db}"
    if resume:
        abc.load(url, 1)
        done = abc.history.max_t + 1
        remaining = generations - done
        if remaining <= 0:
            return abc.history, 0
    else:
        abc.new(url, targets.observed)
        remaining = generations
    try:
        history = abc.run(max_nr_populations=remaining, min_acceptance_rate=min_acceptance_rate)
    except AssertionError as e:  # pyabc checks its population's weights with assert
        if "not normalized" not in str(e):
            raise
        raise CalibrationFailed(failure_message(abc.history.max_t + 1, db, e)) from e
    return history, remaining


def failure_message(kept: int, db: Path, error: BaseException) -> str:
    """What to say when pyabc fails after `kept` complete generations."""
    go_on = (
        f"the {kept} complete generations are kept in {db}: report them with --resume "
        f"--generations {kept}, or start again in a new folder with a larger --population"
        if kept
        else "no generation was complete; start again in a new folder with a larger --population"
    )
    return (
        f"ABC-SMC failed in generation {kept}: pyabc could not normalise the particles' weights "
        f"({error}), as when the population has collapsed onto too small a region for its "
        f"transition kernel; {go_on}"
    )


class CalibrationFailed(RuntimeError):
    """The inference method itself failed (not the input): the message says what is kept."""


def open_history(db: Path):
    import pyabc

    return pyabc.History(f"sqlite:///{db}", _id=1)


def history_totals(history) -> str:
    """What the whole calibration cost, over every call that ran a generation of it (a
    resumed calibration's own call may run none): from pyabc's History."""
    gens = history.get_all_populations()  # t = -1: the prior sample that sets epsilon
    sets = int(gens["samples"].sum())
    minutes = float(gens["wall_time"].fillna(0).sum()) / 60
    # pyabc records its start in local time, without a zone
    started = history.get_abc().start_time.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M")
    return (
        f"all generations: {sets} parameter sets (with the prior sample that sets the first "
        f"epsilon), {minutes:.1f} min of generation wall time (pyabc's), started {started} UTC"
    )


def posterior_frame(history) -> pd.DataFrame:
    """The last generation's particles: one column per parameter (dotted path), weights."""
    frame, weights = history.get_distribution(m=0, t=history.max_t)
    frame = frame.rename(columns=_path).reset_index(drop=True)
    frame.columns.name = None
    frame["weight"] = np.asarray(weights, dtype=float)
    frame["generation"] = history.max_t
    return frame


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q) -> np.ndarray:
    order = np.argsort(values)
    v, w = values[order], weights[order]
    cdf = (np.cumsum(w) - 0.5 * w) / w.sum()
    return np.interp(q, cdf, v)


def posterior_summary(posterior: pd.DataFrame, priors: dict[str, tuple[float, float]]) -> pd.DataFrame:
    """Per parameter: prior range, posterior median and 90% interval, and the share of the
    prior range the interval covers (below ~0.5: identified by the targets)."""
    rows = []
    w = posterior["weight"].to_numpy()
    for name, (lo, hi) in priors.items():
        q05, q50, q95 = weighted_quantile(posterior[name].to_numpy(), w, [0.05, 0.5, 0.95])
        share = (q95 - q05) / (hi - lo)
        rows.append(
            dict(
                parameter=name,
                prior_low=lo,
                prior_high=hi,
                median=q50,
                low=q05,
                high=q95,
                width_share=share,
                identified=bool(share < 0.6),
            )
        )
    return pd.DataFrame(rows)


def draw(posterior: pd.DataFrame, n: int, seed: int) -> list[dict[str, float]]:
    """n parameter sets drawn from the weighted posterior sample (with replacement when the
    sample is smaller than n, in order of the draw otherwise)."""
    rng = np.random.default_rng(seed)
    w = posterior["weight"].to_numpy(dtype=float)
    w = w / w.sum()
    idx = rng.choice(len(posterior), size=n, replace=n > len(posterior), p=w)
    names = [c for c in posterior.columns if c not in ("weight", "generation")]
    return [{k: float(posterior[k].iat[i]) for k in names} for i in idx]


def _predict_task(base: Params, point: dict[str, float], seed: int, targets: list[Target], regions: bool):
    params = apply_changes(base, point) if point else base
    stats, national = run_statistics(params, seed, targets, regions)
    december = national[national["month"] == 12].copy()
    return stats, december


SEED_STRIDE = 10_000  # fresh predictive seeds: draw i adds i strides to the given seeds


def check_predictive_seeds(seeds: list[int], draws: int) -> None:
    """Refuse seeds that would repeat a run or leave the model's seed range (0 .. 2**32-1)
    once draw i adds i strides: before any run starts, not inside a worker."""
    if len({s % SEED_STRIDE for s in seeds}) < len(seeds):
        raise CalibrationError([f"seeds {seeds}: two of them differ by a multiple of {SEED_STRIDE:,}"])
    if min(seeds) < 0 or max(seeds) + SEED_STRIDE * (draws - 1) > 2**32 - 1:
        raise CalibrationError([f"seeds {seeds}: with {draws} draws they must lie in 0 .. 2**32-1"])


def posterior_predictive(
    targets: Targets,
    points: list[dict[str, float]],
    seeds: list[int],
    *,
    scale: float | None,
    end_year: int | None,
    executor: cf.Executor,
    progress: Callable[[int, int], None] | None = None,
    fresh: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run every point with every seed: (statistics, one row per run and target;
    December national tables of every run, with draw and seed columns). With `fresh`,
    draw i runs with seeds + SEED_STRIDE * i instead, so that the predictive distribution
    integrates the model's randomness rather than the luck of a few shared seeds."""
    base = base_params(targets, scale, end_year)
    check_predictive_seeds(seeds, len(points) if fresh else 1)
    futures = {}
    for i, point in enumerate(points):
        for s in seeds:
            s = s + SEED_STRIDE * i if fresh else s
            fut = executor.submit(_predict_task, base, point, s, targets.targets, targets.needs_regions)
            futures[fut] = (i, s)
    stats_rows, tables = [], []
    for done, fut in enumerate(cf.as_completed(futures), start=1):
        i, s = futures[fut]
        stats, december = fut.result()
        stats_rows += [dict(draw=i, seed=s, target=k, value=v) for k, v in stats.items()]
        december = december.assign(draw=i, seed=s)
        tables.append(december)
        if progress:
            progress(done, len(futures))
    return pd.DataFrame(stats_rows), pd.concat(tables, ignore_index=True)


def fit_table(targets: Targets, stats: pd.DataFrame) -> pd.DataFrame:
    """Each target against the posterior predictive median and 90% band."""
    rows = []
    for t in targets.targets:
        v = stats.loc[stats["target"] == t.name, "value"].dropna().to_numpy()
        if not len(v):
            continue
        lo, med, hi = np.quantile(v, [BAND[0], 0.5, BAND[1]])
        rows.append(
            dict(
                target=t.name,
                group=t.group,
                indicator=t.indicator if t.kind != "stage_year" else f"egov_stage >= {t.stage}",
                region=t.region or "",
                year=(f"{t.year}-{t.month:02d}" if t.month else t.year)
                if t.kind == "value"
                else (f"{t.start[0]}-{t.end[0]}" if t.kind == "sum" else ""),
                observed=t.observed,
                tolerance=t.allowed,
                median=med,
                low=lo,
                high=hi,
                error=med - t.observed,
                met=bool(abs(med - t.observed) <= t.allowed),
                in_band=bool(lo <= t.observed <= hi),
                fitted=t.fit,
                source=t.source,
                note=t.note,
            )
        )
    return pd.DataFrame(rows)


def projection_table(tables: pd.DataFrame, indicators: list[str]) -> pd.DataFrame:
    """Median and 90% band of indicators by year across draws and seeds (December)."""
    rows = []
    for ind in indicators:
        g = tables.groupby("year")[ind]
        q = g.quantile([BAND[0], 0.5, BAND[1]]).unstack()
        for year, r in q.iterrows():
            rows.append(dict(indicator=ind, year=int(year), low=r[BAND[0]], median=r[0.5], high=r[BAND[1]]))
    return pd.DataFrame(rows)


# --- the calibrated scenario file --------------------------------------------------------


def _fmt(v: float) -> str:
    return f"{v:.4g}"


def calibrated_values(posterior: pd.DataFrame, priors: dict[str, tuple[float, float]]) -> dict[str, float]:
    """The posterior median of each parameter (the calibrated point value)."""
    w = posterior["weight"].to_numpy()
    return {k: float(f"{weighted_quantile(posterior[k].to_numpy(), w, 0.5):.4g}") for k in priors}


def scenario_yaml(
    parent: str,
    name: str,
    values: dict[str, float],
    base: Params,
    header: list[str],
) -> str:
    """A scenario file extending `parent` with the calibrated values (tuples are written
    whole, with the calibrated element changed; a calibrated event or policy field
    rewrites the `events` or `policies` list, which replaces the parent's)."""
    coefficients: dict[str, Any] = {}
    events = [e.model_dump() for e in base.events]
    policies = [p.model_dump(exclude_defaults=True) | {"lever": p.lever} for p in base.policies]
    events_changed = policies_changed = False
    for path, value in values.items():
        parts = split_path(path)
        if parts[0] == "events" and len(parts) == 3 and isinstance(parts[1], int):
            events[parts[1]][parts[2]] = value
            events_changed = True
        elif parts[0] == "policies" and len(parts) == 3 and isinstance(parts[1], int):
            policies[parts[1]][parts[2]] = value
            policies_changed = True
        elif parts[0] != "coefficients":
            raise CalibrationError(
                [f"{path}: only coefficients, event and policy fields can be written to a scenario"]
            )
        elif len(parts) == 2:
            coefficients[parts[1]] = value
        else:
            current = list(coefficients.get(parts[1], getattr(base.coefficients, parts[1])))
            current[parts[2]] = value
            coefficients[parts[1]] = current
    lines = [f"# {h}" if h else "#" for h in header]
    lines += [f"extends: {parent}", f"name: {name}"]
    if policies_changed:
        lines += ["policies:", *(f"  - {flow_mapping(p)}" for p in policies)]
    if events_changed:
        lines += events_block(events)
    if coefficients:
        lines.append("coefficients:")
    for k, v in coefficients.items():
        if isinstance(v, list):
            lines.append(f"  {k}: [{', '.join(_fmt(x) for x in v)}]")
        else:
            lines.append(f"  {k}: {_fmt(v)}")
    return "\n".join(lines) + "\n"


def events_block(events: list[dict[str, Any]]) -> list[str]:
    """An `events:` block, one flow mapping per event."""

    def item(e: dict[str, Any]) -> str:
        fields = (f"{k}: {_fmt(v) if isinstance(v, float) else v}" for k, v in e.items())
        return "  - {" + ", ".join(fields) + "}"

    return ["events:", *(item(e) for e in events)]


def flow_mapping(data: dict[str, Any]) -> str:
    """One YAML flow mapping, numbers as `_fmt` writes them."""
    import yaml

    rounded = {k: float(_fmt(v)) if isinstance(v, float) else v for k, v in data.items()}
    return yaml.safe_dump(rounded, default_flow_style=True, sort_keys=False, width=10_000).strip()


def write_new(path: Path, text: str, force: bool = False) -> None:
    """Write a file, refusing to overwrite an existing one unless `force`."""
    if path.exists() and not force:
        raise CalibrationError([f"{path} exists; choose another path or pass --force to overwrite it"])
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    tmp.replace(path)


def now_utc() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


# --- a calibration folder ------------------------------------------------------------------


@dataclass
class CalibrationRun:
    """A calibration's folder: abc.db (pyabc History), setup.json, posterior.parquet,
    posterior_summary.csv, fit.csv, fit.md, predictive.parquet and the calibrated
    scenario."""

    folder: Path

    @property
    def db(self) -> Path:
        return self.folder / "abc.db"

    @property
    def setup_file(self) -> Path:
        return self.folder / "setup.json"

    @property
    def posterior_file(self) -> Path:
        return self.folder / "posterior.parquet"


OLD_SETUP_DEFAULTS = {"fresh_seeds": False}  # what setups written before a field existed meant


def setup_record(setup: CalibrationSetup) -> dict:
    import dataclasses

    record = dataclasses.asdict(setup)
    record["priors"] = {k: list(v) for k, v in setup.priors.items()}
    return record


def start_or_resume(folder: Path, setup: CalibrationSetup, resume: bool) -> tuple[CalibrationRun, bool]:
    """Prepare the folder; refuse to start over an existing calibration or to resume a
    different one. Returns (run, resuming)."""
    import json

    run = CalibrationRun(folder)
    record = setup_record(setup)
    if run.db.exists():
        if not resume:
            raise CalibrationError(
                [f"{folder} holds a calibration already; pass --resume to finish it or choose another --out"]
            )
        old = json.loads(run.setup_file.read_text()) if run.setup_file.exists() else None
        if old is not None:
            # more (or fewer) generations only move the stopping point: a resume may change it
            differs = [
                k
                for k in record
                if k not in ("extra", "generations")
                and (k in old or k != "inputs_digest")  # made before inputs were hashed
                and old.get(k, OLD_SETUP_DEFAULTS.get(k)) != record[k]
            ]
            if "targets_file" in differs and old.get("inputs_digest") == record["inputs_digest"]:
                differs.remove("targets_file")  # the same targets, read from another path
            if differs == ["inputs_digest"]:
                raise CalibrationError(
                    [
                        f"cannot resume {folder}: its scenario or targets changed since it started "
                        "(restore them, or start a new calibration with another --out)"
                    ]
                )
            if "kernel" in differs and "kernel" not in old:
                raise CalibrationError(
                    [
                        f"cannot resume {folder}: it was made with pyabc's default kernel, before "
                        "calibrations used Beaumont et al.'s; start a new one with another --out"
                    ]
                )
            if differs:
                verb = "differs" if len(differs) == 1 else "differ"
                raise CalibrationError(
                    [f"cannot resume: {', '.join(differs)} {verb} from the calibration in {folder}"]
                )
        # a resume may move the stopping point, and read the same targets from another path
        moved = {k: record[k] for k in ("generations", "targets_file") if old and old.get(k) != record[k]}
        if moved:
            run.setup_file.write_text(json.dumps({**old, **moved}, indent=2) + "\n")
        return run, True
    if resume:
        raise CalibrationError([f"nothing to resume: {run.db} does not exist"])
    folder.mkdir(parents=True, exist_ok=True)
    run.setup_file.write_text(json.dumps(record, indent=2) + "\n")
    return run, False


def fit_markdown(fit: pd.DataFrame) -> str:
    """The fit report: each target against the posterior predictive median and 90% band."""
    lines = [
        "| target | indicator | region | year | observed | median | 90% band | tolerance | met | fitted |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in fit.itertuples():
        lines.append(
            f"| {r.target} | {r.indicator} | {r.region} | {r.year} | {_num(r.observed)} | {_num(r.median)} | "
            f"{_num(r.low)} - {_num(r.high)} | ±{_num(r.tolerance)} | {'yes' if r.met else '**no**'} | "
            f"{'yes' if r.fitted else 'no'} |"
        )
    return "\n".join(lines) + "\n"


def _num(v: float) -> str:
    v = float(v)
    if abs(v) >= 10000:
        return f"{v:,.0f}"
    if abs(v) >= 100:
        return f"{v:.0f}"
    return f"{v:.3f}"


def effective_sample_size(weights: np.ndarray) -> float:
    """Kish's effective sample size of importance weights, (sum w)^2 / sum(w^2) (pyabc's)."""
    from pyabc.weighted_statistics import effective_sample_size as ess

    return float(ess(np.asarray(weights, dtype=float)))


def spread_caveat(posterior: pd.DataFrame) -> str:
    """One paragraph on how many particles the posterior's weight really rests on."""
    ess, n = effective_sample_size(posterior["weight"].to_numpy()), len(posterior)
    text = f"Effective sample size of the posterior (1/sum of squared weights): {ess:.1f} of {n} particles."
    if ess < 0.1 * n:
        text += (
            " The weight rests on a few particles, so the 90% intervals above and *identified* "
            "understate the uncertainty: they show where the weight collapsed, not only what the "
            "targets pin down; a larger population (or a wider transition kernel) is needed "
            "before they are read as estimates."
        )
    return text


def summary_markdown(summary: pd.DataFrame) -> str:
    """The parameters' prior ranges and posterior spread as a Markdown table."""
    lines = [
        "| parameter | prior | posterior median | 90% interval | interval / prior range | identified |",
        "|---|---|---|---|---|---|",
    ]
    for r in summary.itertuples():
        lines.append(
            f"| `{r.parameter}` | {r.prior_low:.4g} - {r.prior_high:.4g} | {r.median:.4g} | "
            f"{r.low:.4g} - {r.high:.4g} | {r.width_share:.2f} | {'yes' if r.identified else 'no'} |"
        )
    return "\n".join(lines) + "\n"


def _set_policy_field(lines: list[str], path: Path, index: int, field: str, value: float) -> None:
    """Rewrite `field: number` inside the index-th item of the `policies:` list in place,
    keeping the file's layout and comments."""
    import re

    at = _block_start(lines, "policies", path)
    outside = (i for i in range(at + 1, len(lines)) if lines[i] and not lines[i].startswith((" ", "#")))
    end = next(outside, len(lines))
    starts = [i for i in range(at + 1, end) if lines[i].startswith("  - ")]
    if index >= len(starts):
        raise CalibrationError([f"{path}: policies.{index}: the file has {len(starts)} policies"])
    stop = starts[index + 1] if index + 1 < len(starts) else end
    pattern = re.compile(rf"(\b{re.escape(field)}: )[-+0-9.eE]+")
    for i in range(starts[index], stop):
        code, hash_, comment = lines[i].partition("#")
        if pattern.search(code):
            lines[i] = pattern.sub(lambda m: m.group(1) + _fmt(value), code, count=1) + hash_ + comment
            return
    raise CalibrationError([f"{path}: policies.{index} does not write {field}: give it a value to calibrate"])


CALIBRATION_MARK = "# calibration (written by egov calibrate --into; do not edit by hand):"


def merge_into_scenario(path: Path, values: dict[str, float], base: Params, header: list[str]) -> str:
    """The text of scenario file `path` with its `coefficients` block replaced by the
    calibrated values and a header comment recording how (both are replaced again by the
    next calibration; the rest of the file is kept as written)."""
    text = path.read_text()
    lines = text.splitlines()
    # drop an earlier calibration's header and coefficients block
    out: list[str] = []
    skipping_header = skipping_block = False
    for line in lines:
        if line == CALIBRATION_MARK:
            skipping_header = True
            continue
        if skipping_header:
            if line.startswith("#   "):
                continue
            skipping_header = False
        if line.startswith("coefficients:"):
            skipping_block = True
            continue
        if skipping_block:
            if line.startswith((" ", "#")) or not line.strip():
                continue
            skipping_block = False
        out.append(line)
    written = scenario_yaml("x", "x", values, base, [])
    block = (
        written.split("coefficients:\n", 1)[1].rstrip("\n").split("\n")
        if "coefficients:\n" in written
        else []
    )
    if "\nevents:\n" in written:  # a calibrated event field: the events block is replaced
        events = written.split("\nevents:\n", 1)[1].split("\ncoefficients:", 1)[0].rstrip("\n").split("\n")
        at = _block_start(out, "events", path)
        end = at + 1
        while end < len(out) and out[end].startswith(("  ", "#")):
            end += 1
        out[at:end] = ["events:", *events]
    for key, value in values.items():
        parts = split_path(key)
        if parts[0] == "policies":
            _set_policy_field(out, path, parts[1], parts[2], value)
    name_at = next(i for i, line in enumerate(out) if not line.startswith("#"))
    mark = [CALIBRATION_MARK, *[f"#   {h}" for h in header]]
    out = out[:name_at] + mark + out[name_at:]
    while out and not out[-1].strip():
        out.pop()
    if block:
        out += [
            "coefficients:           # calibrated (see the header); the others keep their defaults",
            *block,
        ]
    merged = "\n".join(out) + "\n"
    _check_merged(path, merged, values, base)
    return merged


def _block_start(lines: list[str], key: str, path: Path) -> int:
    """Where the top-level `key:` block starts (a comment may follow the colon)."""
    at = next((i for i, line in enumerate(lines) if line.split("#", 1)[0].rstrip() == f"{key}:"), None)
    if at is None:
        raise CalibrationError([f"{path}: no `{key}:` list to write the calibrated {key} into"])
    return at


def _check_merged(path: Path, after: str, values: dict[str, float], base: Params) -> None:
    """The merged file must say exactly the calibrated values, on the same policies and
    events as the calibrated scenario's: a text edit that missed, or a file whose item N is
    another policy, is an error, not a file that silently says something else."""
    import yaml

    new = yaml.safe_load(after) or {}
    problems = []
    for key, value in values.items():
        parts = split_path(key)
        node: Any = new
        for part in parts:
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                node = None
                break
        if not isinstance(node, (int, float)) or not math.isclose(node, float(_fmt(value)), rel_tol=1e-9):
            problems.append(f"{path}: {key} could not be written as {_fmt(value)} (found {node!r})")
        elif parts[0] in ITEM_NAME:
            calibrated = item_name(base, key)
            written = new[parts[0]][parts[1]].get(ITEM_NAME[parts[0]])
            if written != calibrated:
                problems.append(
                    f"{path}: {key}: item {parts[1]} is {written!r} here and {calibrated!r} where calibrated"
                )
    if problems:
        raise CalibrationError(problems)
