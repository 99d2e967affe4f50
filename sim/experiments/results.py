"""Run folders on disk: results/<scenario>/<run-id>/ with the national, regional and
profile tables (Parquet), a figure (drawn by the `figure` function the caller passes:
`egov run` passes sim.analysis.plots.adoption_figure), and a manifest that can rerun the
run.

Every file is written under a temporary name and renamed into place, and the manifest is
written last: a folder without manifest.json is an interrupted run, and no file under
its final name is ever half-written.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import shutil
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import mesa
import numpy as np
import pandas as pd

import sim
from sim.model.egov_model import EGovModel
from sim.model.paths import inside, probe_folder

if TYPE_CHECKING:
    from matplotlib.figure import Figure

TABLES = ("national", "regions", "profile")


def atomic_write(path: Path, write) -> None:
    """Call `write(tmp_path)`, then rename the temporary file to `path`."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        delay = float(os.environ.get("EGOV_WRITE_DELAY", "0"))  # testing aid: widen the window
        if delay:
            time.sleep(delay)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def new_run_dir(root: Path, scenario: str, seed: int, engine: str) -> Path:
    """Create root/<scenario>/<run-id>/ and check a file can be written there. The folder
    stays under `root` (sim.model.paths.inside): raises UnsafePath, or OSError if unwritable."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    probe_folder(root)
    base = inside(root, scenario, f"{stamp}-seed{seed}-{engine}")
    path, n = base, 1
    while path.exists():
        n += 1
        path = base.with_name(f"{base.name}-{n}")
    path.mkdir(parents=True)
    try:
        probe_folder(path)
    except OSError:
        shutil.rmtree(path, ignore_errors=True)
        raise
    return path


def discard_run_dir(path: Path) -> None:
    """Remove a run folder left without a manifest (an interrupted or failed write)."""
    if path.is_dir() and not (path / "manifest.json").exists():
        shutil.rmtree(path, ignore_errors=True)
        with contextlib.suppress(OSError):
            path.parent.rmdir()  # the scenario folder, if this was its only run


def git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(__file__).parent,
            capture_output=True,
            text=True,
            timeout=5,
        )
        return out.stdout.strip() or None if out.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_run(
    model: EGovModel,
    out: Path,
    started: datetime,
    wall_seconds: float,
    sources: list[Path] | None = None,
    figure: Callable[[pd.DataFrame, str], Figure] | None = None,
) -> dict:
    """Write a finished run's tables, figure and manifest into the folder `out`.
    `figure(national, title)` draws summary.png (none without it)."""
    tables = {
        "national": model.national_frame(),
        "regions": model.region_frame(),
        "profile": model.profile_frame(),
    }
    for name, frame in tables.items():
        atomic_write(out / f"{name}.parquet", lambda p, f=frame: f.to_parquet(p, index=False))
    if figure is not None:
        import matplotlib.pyplot as plt

        fig = figure(tables["national"], f"{model.params.name}: adoption and channels")
        atomic_write(out / "summary.png", lambda p: fig.savefig(p, format="png", dpi=110))
        plt.close(fig)
    manifest = {
        "kind": "egov-run",
        "scenario": model.params.model_dump(mode="json"),
        "seed": model.seed,
        "engine": model.engine,
        "agents": model.agent_counts(),
        "steps": model.steps,
        "sources": [str(p) for p in sources or []],
        "version": sim.__version__,
        "git_commit": git_commit(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "mesa": mesa.__version__,
        "pandas": pd.__version__,
        "started": started.isoformat(),
        "finished": datetime.now(UTC).isoformat(),
        "wall_seconds": round(wall_seconds, 3),
        "files": {f"{n}.parquet": sha256(out / f"{n}.parquet") for n in TABLES},
        "rerun": f"egov run {out / 'manifest.json'}",
    }
    atomic_write(out / "manifest.json", lambda p: p.write_text(json.dumps(manifest, indent=2)))
    return manifest
