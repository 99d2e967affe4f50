"""One run of an experiment: the unit of work a sweep sends to a worker (`run_tasks`), and
`evaluate`, one run as a plain function of (parameters, seed) for SALib, the EMA
Workbench or an optimiser."""

from __future__ import annotations

import os
import socket
import time
import traceback
from dataclasses import dataclass, field
from datetime import UTC, datetime
from fnmatch import fnmatch
from typing import Any

import pandas as pd

from sim.experiments.experiment import Outcome, Run
from sim.model.params import Params

FAULT_VARIABLES = ("EGOV_FAIL_RUNS", "EGOV_KILL_WORKER_ONCE")


def faults_from_environment() -> dict[str, str]:
    """Testing aids, like EGOV_WRITE_DELAY in sim.experiments.results, read where the sweep is driven
    and sent with each task (so they reach every worker, local or remote):
    EGOV_FAIL_RUNS=PATTERN[,PATTERN] makes runs whose "scenario:seed" matches raise;
    EGOV_KILL_WORKER_ONCE=PATH ends the worker process of the first run to start while
    PATH does not exist (and creates PATH), as a crashed or lost worker would."""
    return {k: os.environ[k] for k in FAULT_VARIABLES if os.environ.get(k)}


def simulate(
    params: Params, seed: int, engine: str = "vectorized", faults: dict[str, str] | None = None
) -> pd.DataFrame:
    """Run the model and return its national table."""
    from sim.model.egov_model import EGovModel

    if faults:
        _injected_fault(faults, params.name, seed)
    return EGovModel(params, seed=seed, engine=engine).run().national_frame()


def _injected_fault(faults: dict[str, str], scenario: str, seed: int) -> None:
    patterns = faults.get("EGOV_FAIL_RUNS")
    if patterns and any(fnmatch(f"{scenario}:{seed}", p) for p in patterns.split(",")):
        raise RuntimeError(f"fault injected by EGOV_FAIL_RUNS for {scenario}:{seed}")
    marker = faults.get("EGOV_KILL_WORKER_ONCE")
    if marker:
        try:
            fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return
        os.close(fd)
        os._exit(70)


@dataclass
class RunTask:
    """What a worker needs for one run."""

    run: Run
    params: Params
    engine: str
    outcomes: list[Outcome]
    faults: dict[str, str] = field(default_factory=dict)


def run_tasks(tasks: list[RunTask]) -> list[dict]:
    """Run a group of runs (the unit sent to a worker); a run that raises is reported
    with its traceback and does not stop the others."""
    out = []
    for task in tasks:
        t0 = time.perf_counter()
        record: dict[str, Any] = {
            "run_id": task.run.run_id,
            "worker": f"{socket.gethostname()}:{os.getpid()}",
            "started": datetime.now(UTC).isoformat(),
        }
        try:
            frame = simulate(task.params, task.run.seed, task.engine, task.faults)
            record["outcomes"] = {o.name: o.compute(frame, task.params.end_year) for o in task.outcomes}
            record.update(status="done", frame=frame)
        except Exception as e:
            record.update(
                status="failed",
                error=f"{type(e).__name__}: {e}",
                traceback=traceback.format_exc(),
            )
        record["wall_seconds"] = round(time.perf_counter() - t0, 4)
        out.append(record)
    return out


def evaluate(
    params: dict[str, Any] | None = None,
    seed: int = 0,
    *,
    scenario: str = "kazakhstan_baseline",
    outcomes: list[dict] | None = None,
    scale: float | None = None,
    start_year: int | None = None,
    end_year: int | None = None,
    engine: str = "vectorized",
) -> dict[str, float]:
    """Run one scenario with some parameters changed and return its outcomes by name.

    `params` maps dotted parameter paths (``coefficients.online_peers``, ``budget``,
    ``world.scale``) to values; `outcomes` are outcome specifications as in experiment
    files (default: DEFAULT_OUTCOMES). A plain function of (params, seed), so SALib, the
    EMA Workbench or an optimiser can call it directly. Same seed, same population and
    draws: two calls differing only in `params` form a common-random-numbers pair."""
    from sim.experiments.experiment import apply_changes, check_path, national_columns
    from sim.experiments.scenario import load
    from sim.model.limits import check_agents, check_seed

    seed = check_seed(seed)
    base = load(scenario).params
    changes = {}
    for key, value in (
        ("world.scale", scale),
        ("start_year", start_year),
        ("end_year", end_year),
    ):
        if value is not None:
            changes[key] = value
    for key, value in (params or {}).items():
        problem = check_path(base, key, numeric=False)
        if problem:
            raise KeyError(problem)
        changes[key] = value
    resolved = apply_changes(base, changes) if changes else base
    specs = [Outcome.model_validate(o) for o in (outcomes or DEFAULT_OUTCOMES)]
    columns = national_columns()
    for o in specs:  # checked before the run, not after it
        if o.indicator not in columns:
            raise ValueError(
                f"outcome {o.name!r}: unknown indicator {o.indicator!r}; allowed: {', '.join(columns)}"
            )
        if o.kind != "time_to_threshold" and o.year is None:
            o.year = resolved.end_year
        if o.year is not None and not resolved.start_year <= o.year <= resolved.end_year:
            raise ValueError(
                f"outcome {o.name!r}: year {o.year} is outside {resolved.start_year}-{resolved.end_year}"
            )
    check_agents(resolved)
    frame = simulate(resolved, seed, engine, faults_from_environment())
    return {o.name: o.compute(frame, resolved.end_year) for o in specs}


DEFAULT_OUTCOMES = [
    {"name": "online_share", "indicator": "citizen_online_share"},
    {"name": "eservice_share", "indicator": "eservice_share"},
    {"name": "online_gini", "kind": "disparity", "indicator": "online_gini"},
    {"name": "year_online_half", "kind": "time_to_threshold", "threshold": 0.5},
]
