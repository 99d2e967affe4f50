"""Where a sweep keeps its results. Storage (`<out>/<experiment>/`):

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

import contextlib
import dataclasses
import fcntl
import json
import platform
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.experiments.experiment import Experiment, Run, SweepRefused
from sim.experiments.results import atomic_write, git_commit

RECORD_KEY = b"egov_run"


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
        from sim.model.limits import MAX_FILE_BYTES

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
