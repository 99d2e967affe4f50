"""Sweeps: every run of an experiment, executed serially, in local processes or on a Dask
cluster, stored so that an interrupted sweep can be resumed without losing or repeating
a run.

Storage (`<out>/<experiment>/`):

- `experiment.json`: the resolved experiment (scenario parameters, design points, the seed
  of every replication), versions, and a hash of its content; written before any run.
- `runs/<run_id>.parquet`: the national table of one finished run with its identifying
  columns, written under a temporary dot-name and renamed (a reader of the `runs/` dataset
  skips dot-files, so it never sees a half-written file). The run's record (parameters,
  outcomes, wall time) is in the file's metadata. A file there is a finished run.
- `failures/<run_id>.json`: a run that raised: its traceback and parameters.
- `runs.parquet`: the runs index (run id, scenario, design point and parameter values,
  seed, status, wall seconds, outcomes), rebuilt from the two folders above.

Only the driving process writes; workers return their tables. Results do not depend on
the executor, the number of workers or how runs are grouped into tasks: each run is
decided by its parameters and seed alone.
"""

from __future__ import annotations

import ast
import concurrent.futures as cf
import contextlib
import dataclasses
import fcntl
import json
import math
import multiprocessing
import os
import platform
import re
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.experiment import Experiment, ExperimentError, Outcome, Run
from sim.experiment import load as load_experiment
from sim.params import Params
from sim.results import atomic_write, git_commit

EXECUTORS = ("process", "dask", "serial")
RECORD_KEY = b"egov_run"


class SweepRefused(ExperimentError):
    """A sweep that must not start (e.g. resuming a changed experiment); one line each."""


# --- one run ---------------------------------------------------------------------------


FAULT_VARIABLES = ("EGOV_FAIL_RUNS", "EGOV_KILL_WORKER_ONCE")


def faults_from_environment() -> dict[str, str]:
    """Testing aids, like EGOV_WRITE_DELAY in sim.results, read where the sweep is driven
    and sent with each task (so they reach every worker, local or remote):
    EGOV_FAIL_RUNS=PATTERN[,PATTERN] makes runs whose "scenario:seed" matches raise;
    EGOV_KILL_WORKER_ONCE=PATH ends the worker process of the first run to start while
    PATH does not exist (and creates PATH), as a crashed or lost worker would."""
    return {k: os.environ[k] for k in FAULT_VARIABLES if os.environ.get(k)}


def simulate(
    params: Params, seed: int, engine: str = "vectorized", faults: dict[str, str] | None = None
) -> pd.DataFrame:
    """Run the model and return its national table."""
    from sim.model import EGovModel

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
    from sim.experiment import apply_changes, check_path, national_columns
    from sim.limits import check_agents, check_seed
    from sim.scenario import load

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


# --- storage ---------------------------------------------------------------------------


def _versions() -> dict:
    from importlib import metadata

    import sim

    out = {"sim": sim.__version__, "python": platform.python_version()}
    for pkg in ("numpy", "scipy", "pandas", "pyarrow", "mesa", "SALib", "dask", "distributed"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[pkg] = metadata.version(pkg)
    return out


class SweepStore:
    """The folder of one experiment's results."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.runs_dir = self.folder / "runs"
        self.failures_dir = self.folder / "failures"
        self.experiment_json = self.folder / "experiment.json"
        self.index_path = self.folder / "runs.parquet"

    def exists(self) -> bool:
        return self.experiment_json.is_file()

    def read_experiment(self) -> dict:
        from sim.limits import MAX_FILE_BYTES

        if self.experiment_json.stat().st_size > 64 * MAX_FILE_BYTES:
            raise ValueError(f"{self.experiment_json} is too large")
        return json.loads(self.experiment_json.read_text())

    def create(self, experiment: Experiment) -> None:
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        self.failures_dir.mkdir(exist_ok=True)
        record = {
            "kind": "egov-experiment",
            **experiment.record(),
            "created": datetime.now(UTC).isoformat(),
            "versions": _versions(),
            "git_commit": git_commit(),
        }
        atomic_write(self.experiment_json, lambda p: p.write_text(json.dumps(record, indent=1)))

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """One sweep at a time writes into a folder."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / ".lock", "w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise SweepRefused([f"{self.folder}: another sweep is writing into this folder"]) from None
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def clean_temporary(self) -> int:
        """Remove temporary files left by a sweep that was killed while writing."""
        n = 0
        for folder in (self.folder, self.runs_dir, self.failures_dir):
            for tmp in folder.glob(".*.tmp"):
                tmp.unlink(missing_ok=True)
                n += 1
        return n

    def run_path(self, run_id: str) -> Path:
        return self.runs_dir / f"{run_id}.parquet"

    def done_ids(self) -> set[str]:
        return {p.stem for p in self.runs_dir.glob("*.parquet") if not p.name.startswith(".")}

    def write_run(self, run: Run, params: dict, result: dict) -> dict:
        ids = dataclasses.asdict(run)
        frame = result["frame"]
        frame = pd.concat([pd.DataFrame(ids, index=frame.index), frame], axis=1)
        record = {
            **ids,
            "params": params,
            "status": "done",
            "outcomes": result["outcomes"],
            "wall_seconds": result["wall_seconds"],
            "worker": result["worker"],
            "started": result["started"],
        }
        table = pa.Table.from_pandas(frame, preserve_index=False)
        table = table.replace_schema_metadata(
            {**(table.schema.metadata or {}), RECORD_KEY: json.dumps(record).encode()}
        )
        atomic_write(self.run_path(run.run_id), lambda p: pq.write_table(table, p))
        (self.failures_dir / f"{run.run_id}.json").unlink(missing_ok=True)
        return record

    def write_failure(self, run: Run, params: dict, result: dict) -> dict:
        record = {
            **dataclasses.asdict(run),
            "params": params,
            "status": "failed",
            "error": result.get("error", "failed"),
            "traceback": result.get("traceback", ""),
            "wall_seconds": result.get("wall_seconds"),
            "worker": result.get("worker"),
            "started": result.get("started"),
        }
        path = self.failures_dir / f"{run.run_id}.json"
        atomic_write(path, lambda p: p.write_text(json.dumps(record, indent=1)))
        return record

    def records(self) -> dict[str, dict]:
        """The record of every finished or failed run (a finished run wins)."""
        out = {}
        for path in sorted(self.failures_dir.glob("*.json")):
            if not path.name.startswith("."):
                try:
                    out[path.stem] = json.loads(path.read_text())
                except (OSError, ValueError):
                    continue
        for path in sorted(self.runs_dir.glob("*.parquet")):
            if path.name.startswith("."):
                continue
            try:
                meta = pq.read_schema(path).metadata or {}
                record = json.loads(meta[RECORD_KEY])
                if not isinstance(record, dict):
                    raise ValueError("record is not a mapping")
                out[path.stem] = record
            except (OSError, ValueError, KeyError, pa.ArrowException) as e:
                # a damaged run file counts as a failed run (resume runs it again)
                out[path.stem] = {"status": "failed", "error": f"unreadable run file {path.name}: {e}"}
        return out

    def index(self, experiment: Experiment, records: dict[str, dict] | None = None) -> pd.DataFrame:
        """The runs index: one row per planned run, in plan order."""
        records = self.records() if records is None else records
        rows = []
        for run in experiment.runs:
            rec = records.get(run.run_id, {})
            row = {
                "run_id": run.run_id,
                "scenario": run.scenario,
                "point": run.point,
                "replication": run.replication,
                "seed": run.seed,
                **{p: experiment.points[run.point][p] for p in experiment.parameters},
                "status": rec.get("status", "pending"),
                "wall_seconds": rec.get("wall_seconds"),
                "worker": rec.get("worker"),
                "error": rec.get("error"),
            }
            for o in experiment.outcomes:
                row[o.name] = (rec.get("outcomes") or {}).get(o.name, np.nan)
            rows.append(row)
        frame = pd.DataFrame(rows)
        frame["wall_seconds"] = frame["wall_seconds"].astype(float)
        for col in ("worker", "error"):
            frame[col] = frame[col].astype("string")
        return frame

    def write_index(self, index: pd.DataFrame) -> None:
        atomic_write(self.index_path, lambda p: index.to_parquet(p, index=False))


# --- executors ---------------------------------------------------------------------------


class SerialExecutor(cf.Executor):
    """Runs each task at submission, in this process (for debugging: breakpoints work)."""

    def submit(self, fn, /, *args, **kwargs):
        future: cf.Future = cf.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as e:
            future.set_exception(e)
        return future


def _watch_parent(parent: int) -> None:
    """Worker initializer: exit when the driving process is gone (e.g. killed), so no
    orphan keeps computing runs nobody will store."""

    def watch():
        while True:
            time.sleep(1.0)
            try:
                os.kill(parent, 0)
            except ProcessLookupError:
                os._exit(0)
            except PermissionError:
                pass

    threading.Thread(target=watch, daemon=True).start()


def _single_threaded_numerics() -> None:
    # one run per core: numeric libraries must not start their own thread pools
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")


@dataclass
class ExecutorHandle:
    """An executor, a description of it and whether a broken one can be replaced."""

    executor: cf.Executor
    description: str
    workers: int
    close: Callable[[], None]
    restartable: bool = False
    max_in_flight: int | None = None  # tasks submitted ahead; None: all at once


# Dask's nanny sets MALLOC_TRIM_THRESHOLD_=65536 in its workers, which also switches off
# glibc's dynamic mmap threshold: every array above 128 kB (a column of ~20,000 agents)
# is then mapped and unmapped at each use, and a run takes twice as long. The statistical
# profiler, which samples the running task's stack every 10 ms, is of no use to a sweep.
DASK_WORKER_CONFIG = {
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    "distributed.worker.profile.enabled": False,
}


def open_executor(kind: str, workers: int | None = None, scheduler: str | None = None) -> ExecutorHandle:
    """A concurrent.futures.Executor: serial, local processes, or Dask."""
    if kind == "serial":
        ex = SerialExecutor()
        return ExecutorHandle(ex, "serial (this process)", 1, lambda: ex.shutdown(), max_in_flight=1)
    if kind == "process":
        n = workers or os.cpu_count() or 1
        _single_threaded_numerics()
        if getattr(_FORK_WORKERS, "on", False):  # a script without a main guard: fork, not re-import
            ctx = multiprocessing.get_context("fork")
        else:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(["sim.sweeps", "sim.model"])
        ex = cf.ProcessPoolExecutor(
            max_workers=n, mp_context=ctx, initializer=_watch_parent, initargs=(os.getpid(),)
        )
        return ExecutorHandle(
            ex,
            f"process ({n} worker{'s' * (n > 1)})",
            n,
            lambda: ex.shutdown(wait=True, cancel_futures=True),
            restartable=True,
            max_in_flight=2 * n,
        )
    if kind == "dask":
        try:
            import distributed
        except ImportError:
            raise SweepRefused(
                ["--executor dask needs the dask extra: pip install 'egov-sim[dask]' (or .[dask])"]
            ) from None
        import logging

        if scheduler:
            try:
                client = distributed.Client(scheduler, timeout="10s")
            except (OSError, TimeoutError, ValueError) as e:
                raise SweepRefused([f"cannot reach the Dask scheduler at {scheduler}: {e}"]) from None
            n = len(client.scheduler_info().get("workers", {}))
            description = f"dask (scheduler {scheduler}, {n} workers now)"
            cluster = None
        else:
            import dask

            _single_threaded_numerics()
            n = workers or os.cpu_count() or 1
            # workers forked from a server that has imported the model start in a blink
            multiprocessing.get_context("forkserver").set_forkserver_preload(["sim.sweeps", "sim.model"])
            local = {**DASK_WORKER_CONFIG, "distributed.worker.multiprocessing-method": "forkserver"}
            with dask.config.set(local):  # for this cluster only, not the caller's others
                cluster = distributed.LocalCluster(
                    n_workers=n,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    silence_logs=logging.ERROR,
                    preload=["sim.sweeps", "sim.model"],  # imported as the workers start
                )
            client = distributed.Client(cluster)
            description = f"dask (local cluster, {n} worker{'s' * (n > 1)})"
        ex = client.get_executor(pure=False)

        def close():
            with contextlib.suppress(Exception):
                ex.shutdown(wait=False)
            client.close()
            if cluster is not None:
                cluster.close()

        return ExecutorHandle(ex, description, max(n, 1), close, max_in_flight=None if scheduler else 2 * n)
    raise ValueError(f"executor must be one of {EXECUTORS}, got {kind!r}")


# --- the sweep ---------------------------------------------------------------------------


@dataclass
class SweepResult:
    """A sweep's folder, experiment and runs index, with tidy tables for notebooks."""

    folder: Path
    experiment: Experiment
    runs: pd.DataFrame
    executed: int = 0
    interrupted: bool = False
    seconds: float = 0.0
    executor: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def failures(self) -> pd.DataFrame:
        return self.runs[self.runs["status"] == "failed"]

    @property
    def ok(self) -> bool:
        return not self.interrupted and bool((self.runs["status"] == "done").all())

    @property
    def outcomes(self) -> pd.DataFrame:
        """Long form: one row per finished run and outcome."""
        names = [o.name for o in self.experiment.outcomes]
        keep = ["run_id", "scenario", "point", "replication", "seed", *self.experiment.parameters]
        done = self.runs[self.runs["status"] == "done"]
        return done.melt(id_vars=keep, value_vars=names, var_name="outcome", value_name="value")

    def national(self) -> pd.DataFrame:
        """The national tables of all finished runs, one row per run and step."""
        return read_dataset(self.folder)

    def failure_records(self) -> list[dict]:
        folder = self.folder / "failures"
        return [
            json.loads(p.read_text()) for p in sorted(folder.glob("*.json")) if not p.name.startswith(".")
        ]

    def summary(self, **kwargs) -> pd.DataFrame:
        from sim.summary import summarize_runs

        return summarize_runs(self.experiment, self.runs, **kwargs)


def read_dataset(folder: Path) -> pd.DataFrame:
    """The runs/ Parquet dataset of an experiment folder, sorted by run and step."""
    runs = Path(folder) / "runs"
    files = sorted(p for p in runs.glob("*.parquet") if not p.name.startswith("."))
    frames = []
    for p in files:
        try:
            frames.append(pd.read_parquet(p))
        except (OSError, ValueError, pa.ArrowException):
            continue  # a damaged file: the runs index lists it as failed
    if not frames:
        return pd.DataFrame()
    frame = pd.concat(frames, ignore_index=True)
    return frame.sort_values(["run_id", "step"], ignore_index=True)


def open_results(folder: str | Path) -> SweepResult:
    """The results of a sweep already on disk."""
    store = SweepStore(Path(folder))
    if not store.exists():
        raise ExperimentError([f"{folder}: not an experiment results folder (no experiment.json)"])
    from pydantic import ValidationError

    try:
        record = store.read_experiment()
        if not isinstance(record, dict):
            raise ValueError("not a JSON object")
        experiment = Experiment.from_record(record)
    except (OSError, ValueError, KeyError, TypeError, AttributeError, ValidationError) as e:
        detail = str(e).splitlines()[0] if str(e) else type(e).__name__
        if isinstance(e, ValidationError):
            err = e.errors()[0]
            detail = f"{'.'.join(map(str, err['loc']))}: {err['msg']}"
        raise ExperimentError(
            [f"{store.experiment_json}:?: (top level): not a usable experiment record: {detail}"]
        ) from None
    return SweepResult(store.folder, experiment, store.index(experiment))


def estimate_run_seconds(params: Params) -> float:
    """A rough cost of one run on one core, to group short runs into tasks."""
    from sim.world import regions_frame

    citizens = float(regions_frame(params.world)["population"].sum()) / params.world.scale
    return params.n_steps * (1.5e-3 + 1.3e-7 * citizens)


def plan_tasks(experiment: Experiment, runs: list[Run], workers: int, chunk: int | None) -> list[list[Run]]:
    """Group pending runs into tasks: runs of the same scenario and point with
    consecutive replications, about a second of work each when runs are short, but at
    least a few tasks per worker so the load balances."""
    if not runs:
        return []
    if chunk is None:
        est = max(estimate_run_seconds(experiment.scenarios[r.scenario]) for r in runs[:1])
        by_time = max(1, int(1.0 / max(est, 1e-3)))
        by_balance = max(1, math.ceil(len(runs) / (4 * workers)))
        chunk = min(by_time, by_balance)
    groups: dict[tuple[str, int], list[Run]] = {}
    for r in runs:
        groups.setdefault((r.scenario, r.point), []).append(r)
    tasks = []
    for members in groups.values():
        members.sort(key=lambda r: r.replication)
        tasks += [members[i : i + chunk] for i in range(0, len(members), chunk)]
    # replication-major order, so that early results form complete scenario pairs
    tasks.sort(key=lambda t: (t[0].replication, t[0].point, list(experiment.scenarios).index(t[0].scenario)))
    return tasks


@dataclass
class Progress:
    total: int
    done: int = 0
    failed: int = 0
    started: float = field(default_factory=time.perf_counter)


def sweep(
    experiment: str | Path | Experiment,
    out: str | Path = "results",
    *,
    executor: str = "process",
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    chunk: int | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    on_start: Callable[[str, int, int], None] | None = None,
    allow_large: bool = False,
    raise_if_all_failed: bool = True,
) -> SweepResult:
    """Run every run of an experiment (file, shipped name or loaded Experiment) and store
    it under OUT/<experiment name>/. With resume=True, run only what is missing from an
    earlier, interrupted sweep of the same experiment (failed runs are retried); a changed
    experiment is refused. Returns the runs index and tidy tables.

    Raises SweepFailed if every run it executed failed (the CLI exits with status 1
    instead). A script calling sweep() needs no `if __name__ == "__main__":` guard for
    the process executor (its workers are then forked, so they do not run the script
    again); the dask executor does need it, and says so."""
    exp = experiment if isinstance(experiment, Experiment) else load_experiment(experiment, allow_large)
    if executor not in EXECUTORS:
        raise ValueError(f"executor must be one of {EXECUTORS}, got {executor!r}")
    if workers is not None and workers < 1:
        raise ValueError("workers must be at least 1")
    _check_main_guard(executor)
    from sim.paths import UnsafePath, inside, probe_folder

    try:
        store = SweepStore(inside(Path(out), exp.name))
        probe_folder(store.folder)
    except UnsafePath as e:
        raise SweepRefused([f"{out}: --out: {e}"]) from None
    except OSError as e:
        raise SweepRefused([f"{out}: --out: cannot write results here: {e.strerror or e}"]) from None
    notes = _check_folder(store, exp, resume)
    t0 = time.perf_counter()
    done = {k for k, r in store.records().items() if r.get("status") == "done"} if store.exists() else set()
    pending = [r for r in exp.runs if r.run_id not in done]
    # the executor first: an unreachable scheduler is refused before anything is written
    handle = open_executor(executor, workers, scheduler) if pending else None
    interrupted = False
    try:
        with store.lock():
            if store.exists():
                store.clean_temporary()
            else:
                store.create(exp)
            records = store.records()
            progress = Progress(total=len(exp.runs), done=len(done))
            if on_start:
                on_start(handle.description if handle else "nothing to run", len(pending), len(exp.runs))
            last_index = time.monotonic()
            by_id = {r.run_id: r for r in exp.runs}

            def store_results(results: list[dict]) -> None:
                nonlocal last_index
                for result in results:
                    run = by_id[result["run_id"]]
                    params = exp.points[run.point]
                    if result["status"] == "done":
                        records[run.run_id] = store.write_run(run, params, result)
                        progress.done += 1
                    else:
                        records[run.run_id] = store.write_failure(run, params, result)
                        progress.failed += 1
                if time.monotonic() - last_index > 10:
                    store.write_index(store.index(exp, records))
                    last_index = time.monotonic()
                if on_progress:
                    on_progress(progress)

            try:
                if handle is not None:
                    tasks = plan_tasks(exp, pending, handle.workers, chunk)
                    _execute(exp, tasks, handle, open_executor, (executor, workers, scheduler), store_results)
            except KeyboardInterrupt:
                interrupted = True
            finally:
                index = store.index(exp, records)
                store.write_index(index)
    finally:
        if handle is not None:
            with contextlib.suppress(Exception):
                handle.close()
    result = SweepResult(
        store.folder,
        exp,
        index,
        executed=len(pending),
        interrupted=interrupted,
        seconds=time.perf_counter() - t0,
        executor=handle.description if handle else "",
        notes=notes,
    )
    failed = result.failures
    if raise_if_all_failed and pending and not interrupted and len(failed) and len(failed) == len(index):
        first = failed.iloc[0]
        raise SweepFailed(
            f"all {len(failed)} runs of {exp.name!r} failed (tracebacks in {store.folder / 'failures'}); "
            f"the first: {first['run_id']}: {first['error']}"
        )
    return result


class SweepFailed(RuntimeError):
    """Every run of a sweep failed."""


GUARD_FIX = (
    'put the call under `if __name__ == "__main__":` in your script (worker processes import the '
    'script again), or use executor="serial"'
)


def _in_reimported_main() -> bool:
    """True in a worker process that is importing the user's script as __mp_main__."""
    main = sys.modules.get("__main__")
    return getattr(main, "__name__", "") == "__mp_main__"


def _unguarded_script_call() -> bool:
    """True if sweep() is called from a script's top level outside a main guard."""
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_globals.get("__name__") == "__main__" and frame.f_code.co_name == "<module>":
            break
        frame = frame.f_back
    if frame is None:
        return False
    filename = frame.f_code.co_filename
    try:
        tree = ast.parse(Path(filename).read_text())
    except (OSError, SyntaxError, ValueError):
        return False
    line = frame.f_lineno
    for node in tree.body:
        guard = isinstance(node, ast.If) and {"__main__", "__name__"} <= set(
            re.findall(r"\w+", ast.unparse(node.test))
        )
        if guard and node.lineno <= line <= (node.end_lineno or node.lineno):
            return False
    return True


_FORK_WORKERS = threading.local()


def _check_main_guard(executor: str) -> None:
    if _in_reimported_main():
        raise RuntimeError(f"sim.sweep was called while a worker process imported your script: {GUARD_FIX}")
    _FORK_WORKERS.on = False
    if executor in ("process", "dask") and _unguarded_script_call():
        if executor == "dask":
            raise SweepRefused(
                [f"sim.sweep(executor='dask') from a script without a main guard: {GUARD_FIX}"]
            )
        _FORK_WORKERS.on = True


def _check_folder(store: SweepStore, exp: Experiment, resume: bool) -> list[str]:
    """Refuse a folder that holds another experiment, or this one without --resume;
    return notes for the user (e.g. the code changed since the first runs)."""
    if not store.exists():
        return []
    try:
        recorded = store.read_experiment()
    except (OSError, ValueError) as e:
        raise SweepRefused([f"{store.experiment_json}: unreadable ({e}); use another --out"]) from None
    if not resume:
        n_done = len(store.done_ids())
        raise SweepRefused(
            [
                f"{store.folder} already holds experiment {recorded.get('name')!r} "
                f"({n_done} of {recorded.get('n_runs')} runs done): add --resume to finish it, "
                "or choose another --out"
            ]
        )
    if recorded.get("content_hash") != exp.content_hash:
        changed = _changed_fields(recorded, exp.record())
        raise SweepRefused(
            [
                f"{store.folder} holds results of a different version of experiment "
                f"{recorded.get('name')!r} (changed since: {', '.join(changed) or 'resolved content'}); "
                "resuming would mix results of two experiments. Restore the file, or sweep into "
                "another --out (or delete the folder to start again)"
            ]
        )
    import sim

    notes = []
    before = recorded.get("versions", {}).get("sim"), recorded.get("git_commit")
    now = sim.__version__, git_commit()
    if before != now:
        notes.append(
            f"the runs already in {store.folder} were made with sim {before[0]} (commit "
            f"{(before[1] or '?')[:10]}); this code is sim {now[0]} (commit {(now[1] or '?')[:10]})"
        )
    return notes


def _changed_fields(old: dict, new: dict) -> list[str]:
    changed = []
    old_spec, new_spec = old.get("spec", {}), new["spec"]
    for key in sorted(set(old_spec) | set(new_spec)):
        if key != "description" and old_spec.get(key) != new_spec.get(key):
            changed.append(key)
    for key, label in (("scenarios", "scenario parameters"), ("points", "design points"), ("seeds", "seeds")):
        if old.get(key) != new.get(key) and key not in changed:
            changed.append(label)
    return changed


MAX_RESTARTS = 3


def _failed(run: Run, error: str, tb: str = "") -> dict:
    return {
        "run_id": run.run_id,
        "status": "failed",
        "error": error,
        "traceback": tb,
        "worker": None,
        "started": None,
        "wall_seconds": None,
    }


def _execute(
    exp: Experiment,
    tasks: list[list[Run]],
    handle: ExecutorHandle,
    reopen: Callable[..., ExecutorHandle],
    reopen_args: tuple,
    store_results: Callable[[list[dict]], None],
) -> None:
    """Submit tasks (a bounded number in flight) and store results as they come. A task
    whose worker is lost is run again: Dask does this itself; a broken process pool is
    replaced, at most MAX_RESTARTS times. A task that cannot be run is recorded as failed."""
    queue = list(reversed(tasks))
    in_flight: dict[cf.Future, list[Run]] = {}
    restarts = 0
    faults = faults_from_environment()

    def submit_more() -> None:
        limit = handle.max_in_flight or len(queue) + len(in_flight)
        while queue and len(in_flight) < limit:
            group = queue.pop()
            payload = [RunTask(r, exp.params_for(r), exp.spec.engine, exp.outcomes, faults) for r in group]
            in_flight[handle.executor.submit(run_tasks, payload)] = group

    submit_more()
    while in_flight:
        finished, _ = cf.wait(in_flight, return_when=cf.FIRST_COMPLETED)
        broken = []
        for future in finished:
            group = in_flight.pop(future)
            try:
                results = future.result()
            except cf.process.BrokenProcessPool:
                broken.append(group)
                continue
            except Exception as e:  # e.g. dask's KilledWorker after repeated worker loss
                tb = "".join(traceback.format_exception(e))
                results = [_failed(r, f"{type(e).__name__}: {e}", tb) for r in group]
            store_results(results)
        if broken:
            # every task still in flight is lost with the pool: queue them again
            broken += list(in_flight.values())
            in_flight.clear()
            restarts += 1
            with contextlib.suppress(Exception):
                handle.close()
            if restarts > MAX_RESTARTS or not handle.restartable:
                reason = f"worker processes died {restarts} times; not attempted again"
                store_results([_failed(r, reason) for group in broken + queue[::-1] for r in group])
                return
            queue += broken[::-1]
            new = reopen(*reopen_args)
            handle.executor, handle.close = new.executor, new.close
        submit_more()
