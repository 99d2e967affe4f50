"""``python -m benchmarks``: run the suite, print tables, write JSON.

Options: --repeats N (default 3), --quick (tiny sizes, seconds; for the smoke test),
--out PATH (default benchmarks/results/latest.json), --only NAME (one benchmark).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from benchmarks import BENCHMARKS
from benchmarks.harness import ROOT, git_state, load_average, machine
from benchmarks.suite import BENCHMARKS as RUNNERS
from benchmarks.suite import FULL, QUICK, goals

DEFAULT_OUT = ROOT / "benchmarks" / "results" / "latest.json"


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=3, help="repetitions of every measurement (default 3)")
    p.add_argument("--quick", action="store_true", help="tiny sizes: finishes in seconds (smoke test)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"JSON output (default {DEFAULT_OUT})")
    p.add_argument("--only", choices=BENCHMARKS, action="append", help="run only this benchmark (repeatable)")
    p.add_argument(
        "--threads",
        type=int,
        default=None,
        help="threads of the compiled loops in every worker (EGOV_THREADS; default 1: on a "
        "shared machine a second thread waits for a busy core)",
    )
    args = p.parse_args(argv)
    if args.repeats < 1:
        p.error("--repeats must be at least 1")
    return args


def fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    if unit == "1/s" or abs(value) >= 1e5:
        return f"{value:,.3g}" if abs(value) < 1e5 else f"{value / 1e6:,.2f} M"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.4f}"


def figures_table(name: str, result: dict) -> Table:
    t = Table(title=f"{name}: {result['description']}", title_justify="left", expand=False)
    for col, justify in (
        ("figure", "left"),
        ("citizens", "right"),
        ("median", "right"),
        ("min", "right"),
        ("max", "right"),
        ("unit", "left"),
    ):
        t.add_column(col, justify=justify)
    for r in result["rows"]:
        if r["figure"] in result.get("share_percent", {}):
            continue  # phases: shown in their own table
        t.add_row(
            r["figure"],
            f"{r['n_citizens']:,}",
            fmt(r["median"], r["unit"]),
            fmt(r["min"], r["unit"]),
            fmt(r["max"], r["unit"]),
            r["unit"],
        )
    return t


def phases_table(result: dict) -> Table:
    n, steps = result["settings"]["n_citizens"], result["settings"]["n_steps"]
    t = Table(title=f"phases: share of a step at {n:,} citizens ({steps} steps)", title_justify="left")
    for col in ("phase", "ms/step (median)", "min", "max", "% of step (median)"):
        t.add_column(col, justify="left" if col == "phase" else "right")
    for r in result["rows"]:
        if r["figure"] in result["share_percent"]:
            share = result["share_percent"][r["figure"]]["median"]
            t.add_row(r["figure"], f"{r['median']:.2f}", f"{r['min']:.2f}", f"{r['max']:.2f}", f"{share:.1f}")
    return t


def goals_table(rows: list[dict]) -> Table:
    t = Table(title="goals", title_justify="left")
    for col in ("goal", "target", "measured", "status"):
        t.add_column(col)
    style = {"PASS": "green", "FAIL": "red"}
    for g in rows:
        status = g["status"]
        t.add_row(
            g["goal"],
            g["target"],
            f"{fmt(g['measured'], g['unit'])} {g['unit']}",
            f"[{style.get(status, 'yellow')}]{status}[/]",
        )
    return t


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    cfg = QUICK if args.quick else FULL
    console = Console()
    if not console.is_terminal:
        console = Console(width=120)
    names = args.only if args.only else list(BENCHMARKS)
    if args.threads is not None:
        os.environ["EGOV_THREADS"] = str(args.threads)
    report = {
        "command": "python -m benchmarks " + " ".join(sys.argv[1:] if argv is None else argv),
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "repeats": args.repeats,
        "machine": machine(),
        "git": git_state(),
        "load_average_start": load_average(),
        "threads": int(os.environ.get("EGOV_THREADS", "1") or 1),
        "benchmarks": {},
    }
    m = report["machine"]
    console.print(
        f"[bold]machine[/]: {m['cpu_model']}, {m['cores']} cores, {m['memory_gib']} GiB, "
        f"{m['platform']}; Python {m['python']}, numpy {m['numpy']}, scipy {m['scipy']}, mesa {m['mesa']}"
    )
    started = time.perf_counter()
    for name in names:
        t0 = time.perf_counter()
        result = RUNNERS[name](cfg, args.repeats, lambda msg: console.log(msg))
        result["elapsed_s"] = time.perf_counter() - t0
        report["benchmarks"][name] = result
    report["elapsed_s"] = time.perf_counter() - started
    report["load_average_end"] = load_average()
    report["goals"] = goals(report["benchmarks"], cfg, args.quick)

    for name, result in report["benchmarks"].items():
        console.print(figures_table(name, result))
        if name == "engine_ratio":
            console.print(
                f"ratio of medians (agent/vectorized): [bold]{result['ratio_of_medians']:.1f}x[/]; "
                f"(Mesa reference/vectorized): [bold]{result['reference_ratio_of_medians']:.1f}x[/] "
                f"whole run, [bold]{result['reference_rule_ratio_of_medians']:.1f}x[/] citizen+firm "
                "rule vs loops; "
                f"max |difference| of national tables: {result['max_abs_table_difference']:.3g}"
            )
        if name == "cost_growth":
            a, b = result["ratio_sizes"]
            console.print(
                f"per-citizen cost {a:,} vs {b:,} citizens (ratio of medians): "
                f"[bold]{result['per_citizen_ratio_of_medians']:.2f}x[/]"
            )
        if name == "phases":
            console.print(phases_table(result))
    console.print(goals_table(report["goals"]))

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    console.print(f"wrote {args.out} ({report['elapsed_s']:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
