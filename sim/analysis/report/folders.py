"""Reading results for reports: run folders (manifest and tables) and how to tell a run
folder from a sweep folder."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

REPORT = "report.html"
RUN_TABLES = ("national", "regions", "profile")


class ReportError(Exception):
    """A folder that is not a run or sweep folder, or results that cannot be read."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class Run:
    """A finished run folder: its three tables and its manifest."""

    folder: Path
    manifest: dict
    national: pd.DataFrame
    regions: pd.DataFrame
    profile: pd.DataFrame

    @property
    def scenario(self) -> str:
        return self.manifest["scenario"]["name"]

    @property
    def seed(self) -> int:
        return int(self.manifest["seed"])


def is_run_folder(folder: Path) -> bool:
    return (folder / "manifest.json").is_file() and (folder / "national.parquet").is_file()


def is_sweep_folder(folder: Path) -> bool:
    return (folder / "experiment.json").is_file()


def load_run(folder: Path) -> Run:
    folder = Path(folder)
    if not is_run_folder(folder):
        raise ReportError([f"{folder}: not a finished run folder (no manifest.json and national.parquet)"])
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
        tables = {
            name: pd.read_parquet(folder / f"{name}.parquet")
            if (folder / f"{name}.parquet").exists()
            else None
            for name in RUN_TABLES
        }
    except (OSError, ValueError) as e:
        raise ReportError([f"{folder}: cannot read the run: {e}"]) from None
    return Run(folder, manifest, tables["national"], tables["regions"], tables["profile"])


def find_runs(folder: Path) -> list[Path]:
    """Run folders at or below `folder` (a run folder, a scenario folder, a results root)."""
    folder = Path(folder)
    if is_run_folder(folder):
        return [folder]
    return sorted(p.parent for p in folder.rglob("manifest.json") if is_run_folder(p.parent))


def stacked(runs: list[Run], table: str) -> pd.DataFrame:
    """One table over several runs, with `scenario` and `seed` columns in front."""
    frames = []
    for run in runs:
        frame = getattr(run, table)
        if frame is None or frame.empty:
            continue
        frames.append(frame.assign(scenario=run.scenario, seed=run.seed))
    if not frames:
        return pd.DataFrame()
    out = pd.concat(frames, ignore_index=True)
    return out[["scenario", "seed", *[c for c in out.columns if c not in ("scenario", "seed")]]]
