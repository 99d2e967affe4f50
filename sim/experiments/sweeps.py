"""Sweeps: every run of an experiment, executed serially, in local processes or on a Dask
cluster (sim.experiments.executors), stored so that an interrupted sweep can be resumed
without losing or repeating a run (sim.experiments.store; one run: sim.experiments.runs).

Results do not depend on the executor, the number of workers or how runs are grouped
into tasks: each run is decided by its parameters and seed alone.
"""

from __future__ import annotations

import ast
import concurrent.futures as cf
import contextlib
import json
import math
import re
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa

from sim.experiments.executors import EXECUTORS, FORK_WORKERS, ExecutorHandle, open_executor
from sim.experiments.experiment import Experiment, ExperimentError, Run, SweepRefused
from sim.experiments.experiment import load as load_experiment
from sim.experiments.results import git_commit
from sim.experiments.runs import RunTask, faults_from_environment, run_tasks
from sim.experiments.store import SweepStore
from sim.model.params import Params


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
        from sim.experiments.summary import summarize_runs

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
    from sim.model.world import regions_frame

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
    from sim.model.paths import UnsafePath, inside, probe_folder

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


def _check_main_guard(executor: str) -> None:
    if _in_reimported_main():
        raise RuntimeError(f"sim.sweep was called while a worker process imported your script: {GUARD_FIX}")
    FORK_WORKERS.on = False
    if executor in ("process", "dask") and _unguarded_script_call():
        if executor == "dask":
            raise SweepRefused(
                [f"sim.sweep(executor='dask') from a script without a main guard: {GUARD_FIX}"]
            )
        FORK_WORKERS.on = True


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
