"""Reports: one self-contained HTML file per run folder, sweep folder or set of runs.

`report.html` embeds every figure as a base64 PNG and its style inline, loads nothing
from the network (a Content-Security-Policy forbids it), and so can be mailed or opened
offline. Each figure is also written as a PNG beside it (`fig_<name>.png`).

A report holds: the scenario descriptions and policies, the key numbers, every figure
that applies (sim.analysis.plots), the transition table (sim.analysis.transitions), the comparison to the
reference scenario (paired by seed, with bootstrap intervals), and provenance from the
manifests (version, git commit, seeds, engine, when, how long).

Modules: folders (reading results), outcomes (paired comparison), html (the page),
sections (shared sections), runs (run and compare reports), sweeps (sweep reports).
"""

from __future__ import annotations

from pathlib import Path

from sim.analysis.report.folders import ReportError, find_runs, is_run_folder, is_sweep_folder
from sim.analysis.report.runs import compare, run_report, runs_report
from sim.analysis.report.sweeps import (
    differences_from_summary,
    indices_from_summary,
    open_sweep,
    sweep_report,
    sweep_summary,
)

__all__ = [
    "ReportError",
    "compare",
    "differences_from_summary",
    "indices_from_summary",
    "open_sweep",
    "report",
    "run_report",
    "runs_report",
    "sweep_report",
    "sweep_summary",
]


def report(folder: Path, out: Path | None = None, drivers: bool = False, policy_map: bool = False) -> Path:
    """The report for a run folder, a sweep folder, or any folder holding run folders.
    For a run folder, `drivers` and `policy_map` add the sections that rerun the model."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ReportError([f"{folder}: no such folder"])
    if is_run_folder(folder):
        return run_report(folder, out, drivers=drivers, policy_map=policy_map)
    if is_sweep_folder(folder):
        return sweep_report(folder, out)
    runs = find_runs(folder)
    if not runs:
        raise ReportError(
            [
                f"{folder}: neither a run folder (manifest.json) nor a sweep folder (experiment.json),"
                " and no runs below"
            ]
        )
    return runs_report(runs, Path(out) if out else folder, title=f"Runs in {folder}")
