"""Experiment files: which scenarios to compare, how many replications, which parameters
to vary (a grid, a space-filling sample, or a sensitivity-analysis design) and which
outcomes to summarise.

An experiment file is YAML read like a scenario file (safe loader, line numbers kept) and
validated just as strictly: every mistake is one line naming the file, the line, the field
and, for a misspelt name, the nearest valid one. Loading resolves everything a sweep needs
(the scenarios' parameters with the experiment's overrides, the design points, the seed of
every replication) so that a sweep never meets an invalid value half-way.

Common random numbers: replication k of every scenario and every design point runs with
the same seed, derived from the experiment's root seed with numpy's SeedSequence. Runs with
the same seed share their population and every draw (sim.model.rng), so differences between
scenarios are computed pair by pair.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
import warnings
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field, ValidationError, field_validator, model_validator

from sim.experiments.scenario import (
    SHIPPED as SHIPPED_SCENARIOS,
)
from sim.experiments.scenario import (
    ScenarioError,
    Source,
    _describe,
    _did_you_mean,
    _locate,
    find_scenario,
    read_source,
)
from sim.experiments.scenario import (
    load as load_scenario,
)
from sim.experiments.scenario import (
    shipped as shipped_files,
)
from sim.model.limits import (
    MAX_DESIGN_POINTS,
    MAX_RUNS,
    SEED_MAX,
    TooLarge,
    check_agents,
    check_count,
    run_seconds,
)
from sim.model.param_paths import (
    ITEM_NAME,
    apply_changes,
    check_path,
    is_integer,
    item_name,
)
from sim.model.params import Params, Strict
from sim.model.paths import NAME_PATTERN

SHIPPED = Path(str(resources.files("sim") / "data" / "experiments"))  # package data, also ./experiments
Path_ = tuple[str | int, ...]
DESIGNS = ("none", "grid", "lhs", "sobol", "sobol_sa", "morris_sa", "posterior")
POOLED = (*("lhs", "sobol", "sobol_sa", "morris_sa"), "posterior")  # summaries pool the points
SAMPLED = ("lhs", "sobol", "sobol_sa", "morris_sa")
SENSITIVITY = ("sobol_sa", "morris_sa")
# Columns of the runs index; outcome names may not take them.
INDEX_COLUMNS = ("run_id", "scenario", "point", "replication", "seed", "status", "wall_seconds", "worker")


class ExperimentError(ScenarioError):
    """An experiment file that cannot be used; `problems` are one line each."""


class SweepRefused(ExperimentError):
    """A sweep that must not start (e.g. resuming a changed experiment); one line each."""


class Design(Strict):
    """Which parameter values each scenario is run with."""

    kind: Literal[DESIGNS] = Field(  # type: ignore[valid-type]
        "none",
        description="none: each scenario as it is; grid: every combination of listed values; "
        "lhs / sobol: a Latin hypercube / scrambled Sobol' sample of `samples` points within "
        "bounds (scipy.stats.qmc); sobol_sa / morris_sa: SALib's Saltelli and Morris samplers, "
        "analysed into Sobol' or Morris indices by `egov summarize`; posterior: `samples` parameter sets "
        "drawn (by weight) from a calibration's posterior sample (`file`, written by `egov calibrate`).",
    )
    parameters: dict[str, Any] = Field(
        default_factory=dict,
        description="Dotted parameter path (e.g. coefficients.online_peers, budget, world.scale) -> "
        "a list of values (grid) or {low, high} bounds (the sampled designs).",
    )
    samples: int | None = Field(
        None,
        ge=1,
        le=1_000_000,
        description="lhs, sobol: number of points (sobol: a power of 2); sobol_sa: base sample N, "
        "a power of 2 (N*(D+2) points, N*(2D+2) with second_order); morris_sa: number of "
        "trajectories r (r*(D+1) points).",
    )
    levels: int = Field(4, ge=2, le=100, description="morris_sa: grid levels of each parameter.")
    file: str | None = Field(
        None,
        description="posterior: the posterior sample (Parquet, one column per dotted parameter "
        "path and a weight column), looked up beside the experiment file first, then in the "
        "package's data/kazakhstan/ folder.",
    )
    second_order: bool = Field(False, description="sobol_sa: also estimate second-order indices.")
    seed: int | None = Field(
        None,
        ge=0,
        le=SEED_MAX,
        description="Seed of the sampler, 0..2**32-1 (default: derived from the experiment's seed).",
    )


class Outcome(Strict):
    """One number per run, summarised across seeds."""

    name: str = Field(
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        description="Name of the outcome (a column of the runs index).",
    )
    kind: Literal["at_year", "time_to_threshold", "disparity"] = Field(
        "at_year",
        description="at_year: an indicator at a year; time_to_threshold: the first time "
        "(decimal year, January = .0) an indicator reaches a threshold; disparity: a "
        "disparity index across regions (online_gini, online_theil, ...) at a year.",
    )
    indicator: str = Field(
        "citizen_online_share",
        description="A column of the national table (see README, Results).",
    )
    year: int | None = Field(
        None, ge=1990, le=2100, description="at_year, disparity: the year (default: the last)."
    )
    stat: Literal["end", "mean"] = Field(
        "end", description="at_year, disparity: the value at the year's last step, or its mean."
    )
    threshold: float | None = Field(
        None, description="time_to_threshold: the level to reach (a share in 0-1 for share indicators)."
    )
    direction: Literal["above", "below"] = Field(
        "above", description="time_to_threshold: reach from below (above) or from above (below)."
    )
    better: Literal["higher", "lower"] = Field(
        "higher",
        description="Which direction is better, for the probability that a scenario beats the "
        "reference (posterior designs): higher (adoption) or lower (disparity, years to a threshold).",
    )
    if_never: float | None = Field(
        None,
        description="time_to_threshold: the value of a run that never reaches the threshold "
        "(default: the year after the last, i.e. censored at the horizon).",
    )

    @model_validator(mode="after")
    def _complete(self):
        if self.kind == "time_to_threshold" and self.threshold is None:
            raise ValueError("a time_to_threshold outcome needs a threshold")
        if self.kind != "time_to_threshold" and self.threshold is not None:
            raise ValueError(f"only time_to_threshold outcomes take a threshold (this is {self.kind})")
        return self

    def compute(self, frame, end_year: int) -> float:
        """The outcome of one run from its national table."""
        if self.kind == "time_to_threshold":
            values = frame[self.indicator].to_numpy()
            hit = values >= self.threshold if self.direction == "above" else values <= self.threshold
            if hit.any():
                i = int(np.argmax(hit))
                return float(frame["year"].iat[i] + (frame["month"].iat[i] - 1) / 12)
            return float(end_year + 1 if self.if_never is None else self.if_never)
        rows = frame.loc[frame["year"] == self.year, self.indicator]
        if rows.empty:
            return float("nan")
        return float(rows.iat[-1] if self.stat == "end" else rows.mean())


class ExperimentFile(Strict):
    """The schema of an experiment file."""

    name: str | None = Field(
        None,
        pattern=NAME_PATTERN,
        description="Experiment name, the results folder (default: the file name).",
    )
    description: str = Field("", description="What question the experiment answers.")
    scenarios: list[str] = Field(
        min_length=1,
        description="Scenario files or shipped scenario names, looked up beside the experiment "
        "file first, then among the shipped scenarios.",
    )
    reference: str | None = Field(
        None, description="The scenario others are compared to (default: the first)."
    )
    replications: int = Field(
        10, ge=1, le=100_000, description="Seeds per scenario and design point [count]."
    )
    seed: int = Field(
        0,
        ge=0,
        le=SEED_MAX,
        description="Root seed, 0..2**32-1: replication k runs with seed k of numpy's "
        "SeedSequence(seed).spawn().",
    )
    engine: Literal["vectorized", "agent"] = Field("vectorized", description="Model engine.")
    scale: float | None = Field(
        None, ge=1.0, le=1e6, description="Override of world.scale [persons/agent] in every scenario."
    )
    start_year: int | None = Field(None, ge=1990, le=2100, description="Override of start_year.")
    end_year: int | None = Field(None, ge=1990, le=2100, description="Override of end_year.")
    set: dict[str, Any] = Field(
        default_factory=dict,
        description="Fixed parameter values for every scenario: dotted path -> value.",
    )
    design: Design = Field(default_factory=Design, description="Parameters varied across runs.")
    outcomes: list[Outcome] = Field(min_length=1, description="What to summarise.")

    @field_validator("outcomes")
    @classmethod
    def _unique(cls, v: list[Outcome]) -> list[Outcome]:
        seen = set()
        for o in v:
            if o.name in seen:
                raise ValueError(f"outcome name {o.name!r} is used twice")
            seen.add(o.name)
        return v


@dataclass(frozen=True)
class Run:
    """One run of a sweep: a scenario at a design point with one replication's seed."""

    run_id: str
    scenario: str
    point: int
    replication: int
    seed: int


@dataclass
class Experiment:
    """A validated experiment with everything resolved: scenario parameters (with the
    experiment's overrides), design points and replication seeds."""

    spec: ExperimentFile
    path: Path | None
    scenarios: dict[str, Params]
    reference: str
    seeds: list[int]
    parameters: list[str]
    bounds: list[tuple[float, float]]
    points: list[dict[str, float]]
    sources: dict[str, list[str]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.spec.name or "experiment"

    @property
    def design(self) -> Design:
        return self.spec.design

    @property
    def outcomes(self) -> list[Outcome]:
        return self.spec.outcomes

    @property
    def runs(self) -> list[Run]:
        """Every run, replication-major so that an interrupted sweep has complete pairs early."""
        out = []
        for rep, seed in enumerate(self.seeds):
            for point in range(len(self.points)):
                for scen in self.scenarios:
                    out.append(Run(run_id(scen, point, rep), scen, point, rep, seed))
        return out

    def params_for(self, run: Run) -> Params:
        base = self.scenarios[run.scenario]
        return apply_changes(base, self.points[run.point]) if self.points[run.point] else base

    def end_year(self, scenario: str) -> int:
        return self.scenarios[scenario].end_year

    def problem(self) -> dict:
        """The SALib problem of a sampled design."""
        return {"num_vars": len(self.parameters), "names": self.parameters, "bounds": self.bounds}

    def record(self) -> dict:
        """What experiment.json stores: enough to summarise and to refuse a changed resume."""
        return {
            "name": self.name,
            "spec": self.spec.model_dump(mode="json"),
            "source": str(self.path) if self.path else None,
            "scenarios": {k: p.model_dump(mode="json") for k, p in self.scenarios.items()},
            "scenario_sources": self.sources,
            "reference": self.reference,
            "seeds": self.seeds,
            "parameters": self.parameters,
            "bounds": [list(b) for b in self.bounds],
            "points": self.points,
            "n_runs": len(self.seeds) * len(self.points) * len(self.scenarios),
            "content_hash": self.content_hash,
        }

    @property
    def content_hash(self) -> str:
        """A hash of everything that decides the runs' results (not the description)."""
        content = {
            "spec": self.spec.model_dump(mode="json", exclude={"description"}),
            "scenarios": {
                k: p.model_dump(mode="json", exclude={"description"}) for k, p in self.scenarios.items()
            },
            "seeds": self.seeds,
            "points": self.points,
        }
        text = json.dumps(content, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    @classmethod
    def from_record(cls, record: dict) -> Experiment:
        return cls(
            spec=ExperimentFile.model_validate(record["spec"]),
            path=Path(record["source"]) if record.get("source") else None,
            scenarios={k: Params.model_validate(v) for k, v in record["scenarios"].items()},
            reference=record["reference"],
            seeds=[int(s) for s in record["seeds"]],
            parameters=list(record["parameters"]),
            bounds=[tuple(b) for b in record["bounds"]],
            points=[dict(p) for p in record["points"]],
            sources=record.get("scenario_sources", {}),
        )


def run_id(scenario: str, point: int, replication: int) -> str:
    return f"{scenario}-p{point:04d}-r{replication:04d}"


def replication_seeds(root: int, n: int) -> list[int]:
    """Seed k of every scenario: the k-th child of SeedSequence(root), as a 32-bit integer.
    A longer list starts with the same seeds."""
    return [int(child.generate_state(1)[0]) for child in np.random.SeedSequence(root).spawn(n)]


def sampler_seed(root: int) -> int:
    return int(np.random.SeedSequence([root, 0x53A3]).generate_state(1)[0])


# --- national indicators --------------------------------------------------------------


@cache
def national_columns() -> tuple[str, ...]:
    """The columns of the national table, read off a one-step run of a tiny world."""
    from sim.model.egov_model import EGovModel
    from sim.model.params import WorldSpec

    params = Params(
        start_year=2005,
        end_year=2005,
        world=WorldSpec(kind="synthetic", n_regions=2, synthetic_population=1000, scale=100),
    )
    model = EGovModel(params, seed=0)
    model.step()
    return tuple(c for c in model.national_frame().columns if c not in ("step", "year", "month"))


def disparity_columns() -> tuple[str, ...]:
    return tuple(c for c in national_columns() if re.search(r"gini|theil|_cv$|max_min", c))


# --- loading ----------------------------------------------------------------------------


class _Problems:
    def __init__(self, source: Source):
        self.source = source
        self.lines: list[str] = []

    def add(self, loc: Path_, msg: str) -> None:
        file, line = _locate(self.source, loc)
        where = f"{file}:{line}" if line else f"{file}"
        name = ".".join(map(str, loc)) or "(top level)"
        self.lines.append(f"{where}: {name}: {msg}")

    def raise_if_any(self) -> None:
        if self.lines:
            raise ExperimentError(list(dict.fromkeys(self.lines)))


REQUIRED = {
    "scenarios": "the scenarios to compare, e.g. [kazakhstan_baseline, interoperability_first]",
    "outcomes": "the outcomes to summarise, e.g. "
    "[{name: online_2030, indicator: citizen_online_share, year: 2030}]",
}


def find_experiment(name: str) -> Path | None:
    candidates = [Path(name)]
    for suffix in ("", ".yaml", ".yml"):
        candidates.append(SHIPPED / f"{name}{suffix}")
    return next((c.resolve() for c in candidates if c.is_file()), None)


def shipped() -> list[tuple[str, str]]:
    """(name, description) of every shipped experiment."""
    return shipped_files(SHIPPED)


def load(path: str | Path, allow_large: bool = False) -> Experiment:
    """Read, validate and resolve an experiment file (or a shipped experiment's name).
    Raises ExperimentError with one line per problem. Worlds, designs and sweeps above
    the limits of sim.model.limits are refused unless `allow_large`."""
    found = find_experiment(str(path))
    if found is None:
        known = [p.stem for p in SHIPPED.glob("*.y*ml")]
        raise ExperimentError([f"{path}: no such experiment file{_did_you_mean(str(path), known)}"])
    try:
        source = read_source(found)
    except ScenarioError as e:
        raise ExperimentError([p.replace("a scenario is", "an experiment is") for p in e.problems]) from None
    missing = [
        f"{found}:1: {key}: missing; {what}"
        for key, what in REQUIRED.items()
        if source.data.get(key) in (None, [], {})
    ]
    if missing:
        raise ExperimentError(missing)
    try:
        spec = ExperimentFile.model_validate(source.data)
    except ValidationError as e:
        raise ExperimentError(_describe(e, source, (), ExperimentFile)) from None
    if spec.name is None:
        spec = spec.model_copy(
            update={"name": re.sub(r"[^A-Za-z0-9_.-]", "_", found.stem).lstrip("._-")[:100] or "experiment"}
        )
    problems = _Problems(source)

    # scenarios, with the experiment's overrides
    scenarios: dict[str, Params] = {}
    sources: dict[str, list[str]] = {}
    entry_of: dict[str, str] = {}
    overrides: dict[str, tuple[Path_, Any]] = {}
    if spec.scale is not None:
        overrides["world.scale"] = (("scale",), spec.scale)
    if spec.start_year is not None:
        overrides["start_year"] = (("start_year",), spec.start_year)
    if spec.end_year is not None:
        overrides["end_year"] = (("end_year",), spec.end_year)
    for key, value in spec.set.items():
        overrides[key] = (("set", key), value)
    for i, entry in enumerate(spec.scenarios):
        scen_path = find_scenario(entry, found.parent)
        if scen_path is None:
            known = [p.stem for p in found.parent.glob("*.y*ml")] + [
                p.stem for p in SHIPPED_SCENARIOS.glob("*.y*ml")
            ]
            problems.add(
                ("scenarios", i),
                f"no scenario {entry!r} beside this file or shipped" + _did_you_mean(entry, known),
            )
            continue
        try:
            scen = load_scenario(scen_path)
        except ScenarioError as e:
            problems.add(("scenarios", i), f"scenario {entry!r} is invalid:")
            problems.lines += [f"  {p}" for p in e.problems]
            continue
        params = scen.params
        for key, (loc, value) in overrides.items():
            message = check_path(params, key, numeric=False) if loc[0] == "set" else None
            if message:
                problems.add(loc, message)
                continue
            try:
                params = apply_changes(params, {key: value})
            except ValidationError as e:
                problems.add(loc, _change_message(e, scen.name))
        try:
            check_agents(params, allow_large)
        except TooLarge as e:
            problems.add(
                ("scale",) if spec.scale is not None else ("scenarios", i), f"scenario {scen.name!r}: {e}"
            )
        if scen.name in scenarios:
            problems.add(("scenarios", i), f"scenario {scen.name!r} is listed twice")
        scenarios[scen.name] = params
        sources[scen.name] = [str(p) for p in scen.chain]
        entry_of[entry] = scen.name
    problems.raise_if_any()

    reference = spec.reference or next(iter(scenarios))
    if reference not in scenarios:
        if reference in entry_of:
            reference = entry_of[reference]
        else:
            problems.add(
                ("reference",),
                f"{reference!r} is not one of the scenarios"
                + _did_you_mean(reference, list(scenarios))
                + f"; they are: {', '.join(scenarios)}",
            )

    # outcomes
    columns = national_columns()
    first_end = min(p.end_year for p in scenarios.values())
    last_start = max(p.start_year for p in scenarios.values())
    outcomes = []
    for i, o in enumerate(spec.outcomes):
        allowed = disparity_columns() if o.kind == "disparity" else columns
        if o.indicator not in allowed:
            what = "disparity index" if o.kind == "disparity" else "indicator"
            problems.add(
                ("outcomes", i, "indicator"),
                f"unknown {what} {o.indicator!r}{_did_you_mean(o.indicator, allowed)}; "
                f"allowed: {', '.join(allowed)}",
            )
        share = o.kind == "time_to_threshold" and o.threshold is not None and _is_share(o.indicator)
        if share and not 0.0 <= o.threshold <= 1.0:
            problems.add(
                ("outcomes", i, "threshold"),
                f"{o.threshold:g} is outside 0-1; {o.indicator} is a share",
            )
        if o.name in INDEX_COLUMNS:
            problems.add(("outcomes", i, "name"), f"{o.name!r} is a column of the runs index; choose another")
        if o.kind != "time_to_threshold":
            year = o.year if o.year is not None else first_end
            if not last_start <= year <= first_end:
                problems.add(
                    ("outcomes", i, "year"),
                    f"{year} is outside the simulated years {last_start}-{first_end}",
                )
            o = o.model_copy(update={"year": year})
        outcomes.append(o)
    spec = spec.model_copy(update={"outcomes": outcomes})

    # the design
    design = spec.design
    parameters = list(design.parameters)
    bounds: list[tuple[float, float]] = []
    values: dict[str, list[float]] = {}
    ref_params = scenarios.get(reference) or next(iter(scenarios.values()))
    if design.kind == "none" and parameters:
        problems.add(("design", "kind"), "parameters are given but no design kind (grid, lhs, ...)")
    if design.kind not in ("none", "posterior") and not parameters:
        problems.add(("design", "parameters"), f"a {design.kind} design needs at least one parameter")
    posterior_file: Path | None = None
    if design.kind == "posterior":
        if parameters:
            problems.add(("design", "parameters"), "a posterior design takes its parameters from `file`")
        if design.samples is None:
            problems.add(
                ("design", "samples"), "a posterior design needs `samples` (draws from the posterior)"
            )
        if not design.file:
            problems.add(
                ("design", "file"), "a posterior design needs `file`, a posterior written by egov calibrate"
            )
        else:
            posterior_file = find_posterior(design.file, found.parent)
            if posterior_file is None:
                problems.add(
                    ("design", "file"), f"no posterior file {design.file!r} beside this file or shipped"
                )
    elif design.file is not None:
        problems.add(("design", "file"), "only a posterior design takes `file`")
    if design.kind in SAMPLED and design.samples is None:
        problems.add(("design", "samples"), f"a {design.kind} design needs `samples`")
    if design.kind == "grid" and design.samples is not None:
        problems.add(("design", "samples"), "a grid takes every combination of its values; remove samples")
    if design.kind in ("sobol", "sobol_sa") and design.samples and design.samples & (design.samples - 1):
        lo = 2 ** int(math.log2(design.samples))
        problems.add(
            ("design", "samples"),
            f"{design.kind} needs a power of 2 to keep its balance properties (got {design.samples}; "
            f"try {lo} or {2 * lo})",
        )
    if design.kind == "morris_sa" and design.samples is not None and design.samples < 2:
        problems.add(("design", "samples"), "morris_sa needs at least 2 trajectories")
    for name, spec_value in design.parameters.items():
        loc: Path_ = ("design", "parameters", name)
        message = next(filter(None, (check_path(p, name) for p in scenarios.values())), None)
        message = message or same_item(name, scenarios)
        if message:
            problems.add(loc, message)
            continue
        if name in spec.set:
            problems.add(loc, "also fixed in `set`; vary it or fix it, not both")
        if design.kind == "grid":
            if not isinstance(spec_value, list) or not spec_value:
                problems.add(loc, "a grid takes a non-empty list of values, e.g. [1.0, 2.0]")
                continue
            bad = [v for v in spec_value if isinstance(v, bool) or not isinstance(v, (int, float))]
            if bad:
                problems.add(loc, f"values must be numbers (got {bad[0]!r})")
                continue
            if len(set(spec_value)) != len(spec_value):
                problems.add(loc, "a value is listed twice")
            values[name] = [float(v) for v in spec_value]
            to_check = values[name]
        elif design.kind in SAMPLED:
            if not isinstance(spec_value, dict) or set(spec_value) != {"low", "high"}:
                extra = set(spec_value) - {"low", "high"} if isinstance(spec_value, dict) else set()
                hint = f"; unknown key {sorted(extra)[0]!r}" if extra else ""
                if extra:
                    hint += _did_you_mean(sorted(extra)[0], ["low", "high"])
                problems.add(loc, f"a {design.kind} design takes bounds {{low: ..., high: ...}}{hint}")
                continue
            lo, hi = spec_value["low"], spec_value["high"]
            if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (lo, hi)):
                problems.add(loc, "low and high must be numbers")
                continue
            if not lo < hi:
                problems.add((*loc, "high"), f"high ({hi}) must be above low ({lo})")
                continue
            bounds.append((float(lo), float(hi)))
            to_check = [float(lo), float(hi)]
        else:
            continue
        for value in to_check:
            for scen_name, params in scenarios.items():
                try:
                    apply_changes(params, {name: value})
                except ValidationError as e:
                    problems.add(loc, f"value {value:g}: " + _change_message(e, scen_name))
                    break
            else:
                continue
            break
    problems.raise_if_any()
    posterior = None
    if posterior_file is not None:
        posterior, message = read_posterior(posterior_file)
        if message:
            problems.add(("design", "file"), message)
        else:
            parameters = [c for c in posterior.columns if c not in ("weight", "generation")]
            for name in parameters:
                message = next(filter(None, (check_path(p, name) for p in scenarios.values())), None)
                message = message or same_item(name, scenarios)
                if message:
                    problems.add(("design", "file"), f"posterior column {name!r}: {message}")
            bounds = [(float(posterior[c].min()), float(posterior[c].max())) for c in parameters]
    problems.raise_if_any()
    n_points = design_size(design, parameters, values)
    try:
        check_count(f"design points ({design.kind})", n_points, MAX_DESIGN_POINTS, allow_large)
        n_runs = n_points * spec.replications * len(scenarios)
        check_count(
            f"runs ({len(scenarios)} scenarios x {n_points:,} points x {spec.replications} replications)",
            n_runs,
            MAX_RUNS,
            allow_large,
            max(run_seconds(p) for p in scenarios.values()),
        )
    except TooLarge as e:
        problems.add(("design",) if n_points > 1 else ("replications",), str(e))
    problems.raise_if_any()

    seed0 = design.seed if design.seed is not None else sampler_seed(spec.seed)
    if posterior is not None:
        points = posterior_points(posterior, parameters, design.samples or 1, seed0)
    else:
        points = design_points(design.kind, parameters, values, bounds, design, seed0)
    integers = [p for p in parameters if is_integer(ref_params, p)]
    for point in points:
        for p in integers:
            point[p] = float(round(point[p]))
    # every point must give valid parameters in every scenario (combinations may break
    # cross-field rules such as budget shares summing to at most 1)
    for i, point in enumerate(points):
        for scen_name, params in scenarios.items():
            try:
                apply_changes(params, point)
            except ValidationError as e:
                shown = ", ".join(f"{k}={v:g}" for k, v in point.items())
                problems.add(("design",), f"point {i} ({shown}): " + _change_message(e, scen_name))
                break
        if len(problems.lines) >= 5:
            break
    problems.raise_if_any()
    return Experiment(
        spec=spec,
        path=found,
        scenarios=scenarios,
        reference=reference,
        seeds=replication_seeds(spec.seed, spec.replications),
        parameters=parameters,
        bounds=bounds,
        points=points,
        sources=sources,
    )


DATA = Path(str(resources.files("sim") / "data" / "kazakhstan"))


def same_item(name: str, scenarios: dict[str, Any]) -> str | None:
    """None, or why `policies.N.field` (`events.N.field`) would vary different things: item
    N must be the same lever (event kind) in every scenario of the experiment, since a
    policy is named by its place in the list."""
    found = {scen: item_name(p, name) for scen, p in scenarios.items()}
    if len(set(found.values())) < 2:
        return None
    listing = ", ".join(f"{what} in {scen}" for scen, what in found.items())
    list_name, index = name.split(".")[:2]
    return f"{list_name}.{index} is not the same {ITEM_NAME[list_name]} in every scenario ({listing})"


def find_posterior(name: str, beside: Path) -> Path | None:
    """A posterior file named in an experiment: beside the file, then shipped."""
    for candidate in (beside / name, Path(name), DATA / name):
        if candidate.is_file():
            return candidate.resolve()
    return None


def read_posterior(path: Path) -> tuple[Any, str | None]:
    """(posterior table, None) or (None, what is wrong with it)."""
    import pandas as pd

    try:
        frame = pd.read_parquet(path)
    except Exception as e:  # a damaged or foreign file
        return None, f"{path}: not a readable Parquet posterior ({type(e).__name__}: {e})"
    names = [c for c in frame.columns if c not in ("weight", "generation")]
    if not len(frame) or not names:
        return None, f"{path}: an empty posterior"
    if "weight" not in frame:
        frame = frame.assign(weight=1.0)
    w = frame["weight"].to_numpy(dtype=float)
    if not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
        return None, f"{path}: weights must be finite, non-negative and not all zero"
    for c in names:
        if (
            not np.issubdtype(frame[c].dtype, np.number)
            or not np.isfinite(frame[c].to_numpy(dtype=float)).all()
        ):
            return None, f"{path}: column {c!r} must hold finite numbers"
    return frame, None


def posterior_points(frame, parameters: list[str], n: int, seed: int) -> list[dict[str, float]]:
    """n parameter sets drawn by weight from a posterior sample (with replacement)."""
    rng = np.random.default_rng(seed)
    w = frame["weight"].to_numpy(dtype=float)
    idx = rng.choice(len(frame), size=n, replace=True, p=w / w.sum())
    return [{p: float(frame[p].iat[i]) for p in parameters} for i in idx]


def _is_share(indicator: str) -> bool:
    """Indicators that are shares or indices in 0-1."""
    return bool(
        re.search(
            r"share|adoption|participation|trust|interoperability|openness|literacy|coverage", indicator
        )
        or indicator in ("egdi", "osi", "tii", "hci", "online_gini")
    )


def design_size(design: Design, parameters: list[str], values: dict[str, list[float]]) -> int:
    """How many points a design has, computed without building them."""
    d, n = len(parameters), design.samples or 1
    if design.kind == "none":
        return 1
    if design.kind == "posterior":
        return n
    if design.kind == "grid":
        return math.prod(len(v) for v in values.values())
    if design.kind == "sobol_sa":
        return n * (2 * d + 2 if design.second_order else d + 2)
    if design.kind == "morris_sa":
        return n * (d + 1)
    return n


def _change_message(error: ValidationError, scenario: str) -> str:
    parts = []
    for err in error.errors():
        loc = ".".join(map(str, err["loc"]))
        msg = err["msg"].removeprefix("Value error, ")
        parts.append(f"{loc + ': ' if loc else ''}{msg}")
    return f"{'; '.join(dict.fromkeys(parts))} (in scenario {scenario!r})"


def design_points(
    kind: str,
    parameters: list[str],
    values: dict[str, list[float]],
    bounds: list[tuple[float, float]],
    design: Design,
    seed: int,
) -> list[dict[str, float]]:
    """The design's points, each a {parameter path: value} mapping."""
    if kind == "none":
        return [{}]
    if kind == "grid":
        return [dict(zip(parameters, combo, strict=True)) for combo in itertools.product(*values.values())]
    from scipy.stats import qmc

    d, n = len(parameters), design.samples or 1
    lows, highs = np.array([b[0] for b in bounds]), np.array([b[1] for b in bounds])
    if kind == "lhs":
        unit = qmc.LatinHypercube(d, rng=np.random.default_rng(seed)).random(n)
        matrix = qmc.scale(unit, lows, highs)
    elif kind == "sobol":
        unit = qmc.Sobol(d, scramble=True, rng=np.random.default_rng(seed)).random(n)
        matrix = qmc.scale(unit, lows, highs)
    else:
        problem = {"num_vars": d, "names": parameters, "bounds": [list(b) for b in bounds]}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if kind == "sobol_sa":
                from SALib.sample import sobol

                matrix = sobol.sample(problem, n, calc_second_order=design.second_order, seed=seed)
            else:
                from SALib.sample import morris

                matrix = morris.sample(problem, n, num_levels=design.levels, seed=seed)
    return [{p: float(v) for p, v in zip(parameters, row, strict=True)} for row in np.asarray(matrix)]
