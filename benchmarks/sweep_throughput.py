"""Sweep throughput: runs per minute of `egov sweep` with 1 and 2 workers, for the process
and Dask executors, and the parallel efficiency of 2 workers.

    python -m benchmarks.sweep_throughput [--repeats 3] [--replications 12] [--scale 1000]
                                          [--quick] [--out benchmarks/results/sweep_throughput.json]

The workload is an experiment of two scenarios (the baseline and interoperability first,
2005-2030) at `--scale` people per agent, `--replications` seeds each. Each measurement
is the wall time of a whole `sim.sweep(...)` call into a fresh folder: starting the
workers (or the Dask cluster), running, storing every run and writing the index, as a
user would see it. Throughput = runs / wall time; parallel efficiency with 2 workers =
throughput(2) / (2 x throughput(1)). Figures are medians over --repeats; the serial
executor is measured too, as the single-process reference.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from benchmarks.harness import ROOT, git_state, machine

DEFAULT_OUT = ROOT / "benchmarks" / "results" / "sweep_throughput.json"
CONFIGS = (("serial", 1), ("process", 1), ("process", 2), ("dask", 1), ("dask", 2))

EXPERIMENT = """\
# benchmark workload (written by benchmarks/sweep_throughput.py)
name: sweep_throughput
scenarios: [kazakhstan_baseline, interoperability_first]
replications: {replications}
seed: 1
scale: {scale}
start_year: {start_year}
outcomes:
  - {{name: online, indicator: citizen_online_share}}
  - {{name: gini, kind: disparity, indicator: online_gini}}
"""


def cpu_times() -> tuple[float, float] | None:
    """(busy, total) jiffies of all cores since boot, from /proc/stat (Linux)."""
    try:
        with open("/proc/stat") as f:
            fields = [float(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0.0)
    return sum(fields) - idle, sum(fields)


def busy_share(before, after) -> float | None:
    """Share of all cores' time that was busy between two cpu_times() readings."""
    if before is None or after is None or after[1] <= before[1]:
        return None
    return (after[0] - before[0]) / (after[1] - before[1])


def wait_for_quiet(console: Console, limit_s: float, threshold: float = 0.1) -> dict:
    """Wait (up to limit_s) until the machine is idle: the development machine is shared,
    and another process running during a measurement would skew it."""
    t0 = time.perf_counter()
    while True:
        before = cpu_times()
        time.sleep(1.0)
        busy = busy_share(before, cpu_times())
        waited = time.perf_counter() - t0
        if busy is None or busy < threshold or waited >= limit_s:
            return {"busy_before": busy, "waited_s": round(waited, 1)}
        console.log(f"machine busy ({busy:.0%} of all cores): waiting")
        time.sleep(2.0)


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.sweep_throughput", description=__doc__.split("\n")[0]
    )
    p.add_argument("--repeats", type=int, default=3, help="repetitions of every configuration (default 3)")
    p.add_argument("--replications", type=int, default=12, help="seeds per scenario (default 12: 24 runs)")
    p.add_argument("--scale", type=float, default=1000.0, help="people per agent (default 1000)")
    p.add_argument("--quick", action="store_true", help="tiny workload, 1 repeat: a smoke test of the script")
    p.add_argument(
        "--wait-quiet",
        type=float,
        default=120.0,
        help="before each measurement, wait up to this many seconds for other processes to go idle",
    )
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"JSON output (default {DEFAULT_OUT})")
    args = p.parse_args(argv)
    if args.quick:
        args.repeats, args.replications, args.scale, args.wait_quiet = 1, 2, 20000.0, 0.0
    return args


def measure(experiment, executor: str, workers: int, root: Path) -> dict:
    from sim.experiments.sweeps import sweep

    folder = Path(tempfile.mkdtemp(dir=root))
    started = {}
    cpu0 = cpu_times()
    t0 = time.perf_counter()
    result = sweep(
        experiment,
        folder,
        executor=executor,
        workers=workers,
        on_start=lambda *_: started.setdefault("t", time.perf_counter()),
    )
    wall = time.perf_counter() - t0
    busy = busy_share(cpu0, cpu_times())
    shutil.rmtree(folder, ignore_errors=True)
    if not result.ok:
        raise RuntimeError(f"{executor} x{workers}: {len(result.failures)} runs failed")
    return {
        "wall_s": wall,
        "startup_s": started.get("t", t0) - t0,
        "runs": len(result.runs),
        "run_s_sum": float(result.runs["wall_seconds"].sum()),
        "busy_during": busy,
    }


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    console = Console()
    if not console.is_terminal:
        console = Console(width=120)
    from sim.experiments.experiment import load

    root = Path(tempfile.mkdtemp(prefix="sweep-bench-"))
    path = root / "sweep_throughput.yaml"
    path.write_text(
        EXPERIMENT.format(
            replications=args.replications, scale=args.scale, start_year=2005 if not args.quick else 2020
        )
    )
    experiment = load(path)
    n_runs = len(experiment.runs)
    m = machine()
    console.print(
        f"[bold]machine[/]: {m['cpu_model']}, {m['cores']} cores; Python {m['python']}; "
        f"workload: {n_runs} runs (2 scenarios x {args.replications} seeds, 2005-2030 at scale "
        f"{args.scale:g}); {args.repeats} repeats"
    )
    try:
        import distributed  # noqa: F401

        configs = CONFIGS
    except ImportError:
        console.print("[yellow]dask is not installed (pip install .[dask]): process executor only[/]")
        configs = tuple(c for c in CONFIGS if c[0] != "dask")
    results: dict[str, dict] = {}
    cores = os.cpu_count() or 1
    load_before = os.getloadavg() if hasattr(os, "getloadavg") else None
    try:
        for repeat in range(args.repeats):
            for executor, workers in configs:
                key = f"{executor}/{workers}"
                quiet = wait_for_quiet(console, args.wait_quiet) if args.wait_quiet else {}
                row = measure(experiment, executor, workers, root)
                row.update(quiet)
                # our own work keeps `workers` cores busy; much more means another process ran too
                expected = min(workers, cores) / cores
                row["contended"] = row["busy_during"] is not None and row["busy_during"] > expected + 0.15
                results.setdefault(key, {"executor": executor, "workers": workers, "samples": []})
                results[key]["samples"].append(row)
                busy = "?" if row["busy_during"] is None else f"{row['busy_during']:.0%}"
                console.log(
                    f"repeat {repeat + 1}: {key}: {row['wall_s']:.2f} s "
                    f"({60 * row['runs'] / row['wall_s']:.1f} runs/min; cores busy {busy}"
                    f"{', CONTENDED' if row['contended'] else ''})"
                )
    finally:
        shutil.rmtree(root, ignore_errors=True)

    for r in results.values():
        clean = [s for s in r["samples"] if not s["contended"]]
        r["uncontended_samples"] = len(clean)
        walls = [s["wall_s"] for s in (clean or r["samples"])]
        r["wall_s_median"] = statistics.median(walls)
        r["runs_per_minute"] = 60 * n_runs / r["wall_s_median"]
        r["runs_per_minute_min_max"] = [60 * n_runs / max(walls), 60 * n_runs / min(walls)]
        r["startup_s_median"] = statistics.median(s["startup_s"] for s in r["samples"])
    efficiency = {}
    for executor in ("process", "dask"):
        one, two = results.get(f"{executor}/1"), results.get(f"{executor}/2")
        if one and two:
            efficiency[executor] = two["runs_per_minute"] / (2 * one["runs_per_minute"])

    table = Table(
        title=f"sweep throughput: {n_runs} runs per sweep, median of the {args.repeats} repeats "
        "(of those not contended by other processes, where there are any)"
    )
    columns = ("executor", "workers", "wall s", "runs/min", "runs/min (min-max)", "used", "2-worker eff.")
    for col in columns:
        table.add_column(col, justify="left" if col == "executor" else "right")
    for r in results.values():
        eff = efficiency.get(r["executor"]) if r["workers"] == 2 else None
        lo, hi = r["runs_per_minute_min_max"]
        table.add_row(
            r["executor"],
            str(r["workers"]),
            f"{r['wall_s_median']:.2f}",
            f"{r['runs_per_minute']:.1f}",
            f"{lo:.1f}-{hi:.1f}",
            f"{r['uncontended_samples'] or len(r['samples'])}/{len(r['samples'])}",
            f"{eff:.0%}" if eff is not None else "",
        )
    console.print(table)
    goal = {
        k: ("PASS" if v >= 0.85 else "FAIL") if not args.quick else "n/a (--quick)"
        for k, v in efficiency.items()
    }
    console.print(f"goal: parallel efficiency with 2 workers >= 85%: {goal}")
    report = {
        "command": "python -m benchmarks.sweep_throughput "
        + " ".join(sys.argv[1:] if argv is None else argv),
        "started": started_at,
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": m,
        "git": git_state(),
        "load_average_before": load_before,
        "workload": {
            "runs": n_runs,
            "scenarios": list(experiment.scenarios),
            "replications": args.replications,
            "scale": args.scale,
            "years": [experiment.scenarios["kazakhstan_baseline"].start_year, 2030],
        },
        "repeats": args.repeats,
        "quick": args.quick,
        "results": results,
        "parallel_efficiency_2_workers": efficiency,
        "goal_efficiency_85": goal,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    console.print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
