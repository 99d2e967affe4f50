"""`egov sweep` and `egov summarize`: run an experiment's scenarios across seeds and
design points, and summarise the results. Registered on the `egov` app by sim.cli.commands."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from sim.cli.common import err_console, fail, out_console

if TYPE_CHECKING:  # heavy modules are imported by the commands, not by `egov --help`
    import pandas as pd

    from sim.experiments.experiment import Experiment


class ExecutorChoice(StrEnum):
    process = "process"
    dask = "dask"
    serial = "serial"


def sweep_command(
    experiment: Annotated[str, typer.Argument(help="Experiment file or shipped experiment name.")],
    out: Annotated[Path, typer.Option(help="Results root: runs go to OUT/<experiment>/.")] = Path("results"),
    executor: Annotated[
        ExecutorChoice, typer.Option(help="process (local cores), dask (a cluster), serial (debugging).")
    ] = ExecutorChoice.process,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Worker processes (default: the number of cores).")
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(help="Address of a running Dask scheduler, e.g. tcp://host:8786 (--executor dask)."),
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Finish an interrupted sweep: run only what is missing.")
    ] = False,
    chunk: Annotated[
        int | None, typer.Option(min=1, help="Runs per task (default: about a second of work per task).")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Validate and show the plan; run and write nothing.")
    ] = False,
    allow_large: Annotated[
        bool,
        typer.Option(
            "--allow-large", help="Accept worlds, designs and sweeps above the limits (README, limits)."
        ),
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")] = False,
    debug: Annotated[bool, typer.Option(help="Show tracebacks.")] = False,
) -> None:
    """Run every scenario of an EXPERIMENT across its seeds and design points, storing each
    finished run as it comes; exit status 1 if some runs failed."""
    from sim.experiments.experiment import ExperimentError, SweepRefused, load
    from sim.experiments.sweeps import sweep

    try:
        exp = load(experiment, allow_large)
        if scheduler and executor != ExecutorChoice.dask:
            raise ExperimentError(["--scheduler needs --executor dask"])
    except ExperimentError as e:
        fail(e.problems, debug, e)
    except KeyboardInterrupt:
        fail(["interrupted while loading; nothing written"], debug, exit_code=130)
    if dry_run:
        print_plan(exp, out)
        return
    show = not quiet and sys.stderr.isatty()
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("runs, [red]{task.fields[failed]} failed[/]"),
        TimeElapsedColumn(),
        TextColumn("elapsed,"),
        TimeRemainingColumn(),
        TextColumn("left"),
        console=err_console,
        disable=not show,
        transient=True,
    )
    task = None

    def on_start(description: str, pending: int, total: int) -> None:
        nonlocal task
        if not quiet:
            err_console.print(
                f"{exp.name}: {pending} of {total} runs to do, executor {description}", highlight=False
            )
        task = progress.add_task(exp.name, total=total, completed=total - pending, failed=0)

    def on_progress(p) -> None:
        progress.update(task, completed=p.done + p.failed, failed=p.failed)

    try:
        with progress:
            result = sweep(
                exp,
                out,
                executor=executor.value,
                workers=workers,
                scheduler=scheduler,
                resume=resume,
                chunk=chunk,
                on_progress=on_progress,
                on_start=on_start,
                allow_large=allow_large,
                raise_if_all_failed=False,
            )
    except SweepRefused as e:
        fail(e.problems, debug, e)
    except KeyboardInterrupt:
        err_console.print("interrupted before the first run; nothing to resume")
        raise typer.Exit(130) from None
    for note in result.notes:
        err_console.print(f"note: {note}", highlight=False)
    table = result.summary()
    write_summary(table, result.folder)
    if quiet:
        out_console.print(str(result.folder), highlight=False)
    else:
        print_summary(table, result.experiment, result.runs)
        n_done = int((result.runs["status"] == "done").sum())
        out_console.print(
            f"results: {result.folder}  ({n_done} of {len(result.runs)} runs done, "
            f"{result.executed} run now in {result.seconds:.1f} s)",
            highlight=False,
        )
        out_console.print(f"next:    egov report {result.folder}", highlight=False)
    failures = result.failures
    if result.interrupted:
        err_console.print(
            f"interrupted: finish with `egov sweep {experiment} --out {out} --resume`", highlight=False
        )
        raise typer.Exit(130)
    if len(failures):
        where = result.folder / "failures"
        err_console.print(f"[bold red]{len(failures)} runs failed[/] (tracebacks in {where}):")
        for row in failures.itertuples():
            err_console.print(f"  {row.run_id} (seed {row.seed}): {row.error}", highlight=False)
        raise typer.Exit(1)


def summarize_command(
    folder: Annotated[Path, typer.Argument(help="An experiment's results folder (OUT/<experiment>).")],
    bootstrap: Annotated[int, typer.Option(min=100, help="Bootstrap resamples of the intervals.")] = 2000,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the files' paths.")] = False,
    debug: Annotated[bool, typer.Option(help="Show tracebacks.")] = False,
) -> None:
    """Summarise a sweep: per scenario and outcome the median and 5th-95th percentiles
    across seeds, differences to the reference with paired and unpaired bootstrap
    intervals, and Sobol' or Morris indices for sensitivity designs. Writes
    summary.csv and summary.parquet into FOLDER."""
    from sim.experiments.experiment import ExperimentError
    from sim.experiments.sweeps import open_results

    try:
        result = open_results(folder)
        table = result.summary(n_boot=bootstrap)
        paths = write_summary(table, result.folder)
    except (ExperimentError, OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        problems = getattr(e, "problems", None) or [f"{folder}: not a readable results folder: {e}"]
        fail(problems, debug, e)
    except KeyboardInterrupt:
        fail(["interrupted; summary files are written whole or not at all"], debug, exit_code=130)
    if not quiet:
        print_summary(table, result.experiment, result.runs)
    for p in paths:
        out_console.print(str(p), highlight=False)


def write_summary(table: pd.DataFrame, folder: Path) -> list[Path]:
    from sim.experiments.results import atomic_write

    csv, parquet = folder / "summary.csv", folder / "summary.parquet"
    atomic_write(csv, lambda p: table.to_csv(p, index=False))
    atomic_write(parquet, lambda p: table.to_parquet(p, index=False))
    return [csv, parquet]


def _fmt(v: float) -> str:
    import pandas as pd

    if v is None or pd.isna(v):
        return "-"
    if abs(v) >= 100:
        return f"{v:.2f}"
    if abs(v) >= 1:
        return f"{v:.3f}"
    return f"{v:.4f}"


def _signed(v: float) -> str:
    import pandas as pd

    return "-" if pd.isna(v) else ("+" if v >= 0 else "") + _fmt(v)


def _point_label(exp: Experiment, point) -> str:
    import pandas as pd

    if pd.isna(point) or not exp.parameters:
        return ""
    return ", ".join(f"{k.rsplit('.', 1)[-1]}={v:g}" for k, v in exp.points[int(point)].items())


def print_plan(exp: Experiment, out: Path) -> None:
    t = Table(title=f"experiment {exp.name} (nothing run or written)", show_header=False)
    t.add_row("scenarios", ", ".join(f"{s}{' (reference)' * (s == exp.reference)}" for s in exp.scenarios))
    t.add_row("replications", f"{len(exp.seeds)} (root seed {exp.spec.seed})")
    t.add_row("seeds", ", ".join(map(str, exp.seeds[:8])) + (" ..." if len(exp.seeds) > 8 else ""))
    varied = ", ".join(exp.parameters) or "-"
    t.add_row("design", f"{exp.design.kind}: {len(exp.points)} point(s) over {varied}")
    first = next(iter(exp.scenarios.values()))
    t.add_row("years", f"{first.start_year}-{first.end_year}, scale {first.world.scale:g} persons/agent")
    t.add_row("outcomes", ", ".join(o.name for o in exp.outcomes))
    t.add_row("runs", str(len(exp.runs)))
    t.add_row("results", str(out / exp.name))
    out_console.print(t)


def print_summary(table: pd.DataFrame, exp: Experiment, runs: pd.DataFrame) -> None:
    import numpy as np
    import pandas as pd

    from sim.experiments.experiment import POOLED

    dist = table[table["section"] == "distribution"]
    diff = table[table["section"] == "difference"]
    if not dist.empty:
        pooled = exp.design.kind in POOLED
        posterior = exp.design.kind == "posterior"
        grid = not pooled and len(exp.points) > 1
        compare = len(exp.scenarios) > 1
        title = f"{exp.name}: outcomes across seeds{' and design points' * pooled}"
        if compare:
            title += f"; difference to {exp.reference} with 95% bootstrap CIs, paired by seed and unpaired"
            if posterior:
                title += "; band across posterior draws and seeds, probability of beating the reference"
        t = Table(title=title, title_justify="left")
        for col, justify in (
            ("scenario", "left"),
            *((("point", "left"),) if grid else ()),
            ("outcome", "left"),
            ("median", "right"),
            ("5%-95%", "right"),
            *((("difference", "right"), ("paired CI", "right"), ("unpaired CI", "right")) if compare else ()),
            *((("band 5-95%", "right"), ("P(beats ref)", "right")) if compare and posterior else ()),
        ):
            t.add_column(col, justify=justify)
        groups = list(dist.groupby(["outcome", "point", "scenario"], sort=False, dropna=False))
        for i, ((outcome, point, scenario), row) in enumerate(groups):
            r = row.iloc[0]
            d = diff[
                (diff["scenario"] == scenario)
                & (diff["outcome"] == outcome)
                & ((diff["point"] == point) if not pd.isna(point) else diff["point"].isna())
            ]
            paired = d[d["statistic"] == "paired"]
            unpaired = d[d["statistic"] == "unpaired"]
            cells = ["", "", ""]
            if len(paired):
                p, u = paired.iloc[0], unpaired.iloc[0]
                cells = [
                    _signed(p["value"]),
                    f"[{_signed(p['low'])}, {_signed(p['high'])}]",
                    f"[{_signed(u['low'])}, {_signed(u['high'])}]",
                ]
            elif scenario == exp.reference:
                cells = ["(reference)", "", ""]
            if compare and posterior:
                band = d[d["statistic"] == "band"]
                prob = d[d["statistic"] == "p_beats"]
                cells = cells + (
                    [
                        f"[{_signed(band.iloc[0]['low'])}, {_signed(band.iloc[0]['high'])}]",
                        f"{prob.iloc[0]['value']:.2f}",
                    ]
                    if len(band) and len(prob)
                    else ["", ""]
                )
            t.add_row(
                scenario,
                *([_point_label(exp, point)] if grid else []),
                outcome,
                _fmt(r["value"]),
                f"{_fmt(r['low'])} - {_fmt(r['high'])}",
                *(cells if compare else []),
                end_section=i + 1 < len(groups) and groups[i + 1][0][0] != outcome,
            )
        out_console.print(t)
    for section, main in (("sobol", "ST"), ("morris", "mu_star")):
        sens = table[table["section"] == section]
        for (scenario, outcome), rows in sens.groupby(["scenario", "outcome"], sort=False):
            stats = ["S1", "ST"] if section == "sobol" else ["mu_star", "sigma"]
            t = Table(
                title=f"{section} indices: {outcome} in {scenario} (value ± 95% CI)",
                title_justify="left",
            )
            t.add_column("parameter")
            for s in stats:
                t.add_column(s, justify="right")
            order = rows[rows["statistic"] == main].sort_values("value", ascending=False)["parameter"]
            for param in order:
                cells = []
                for s in stats:
                    r = rows[(rows["parameter"] == param) & (rows["statistic"] == s)].iloc[0]
                    half = (r["high"] - r["low"]) / 2
                    cells.append(_fmt(r["value"]) + ("" if np.isnan(half) else f" ± {_fmt(half)}"))
                t.add_row(param, *cells)
            out_console.print(t)
    from sim.experiments.summary import incomplete_sensitivity

    missing = incomplete_sensitivity(exp, runs)
    if missing:
        out_console.print(
            f"sensitivity indices need every design point: {missing} point(s) lack a finished run; "
            "resume the sweep to complete them",
            highlight=False,
        )
    n_failed = int((runs["status"] == "failed").sum())
    n_pending = int((runs["status"] == "pending").sum())
    if n_failed or n_pending:
        out_console.print(
            f"note: {n_failed} failed and {n_pending} pending runs are left out; pairs need both runs",
            highlight=False,
        )


def register(app: typer.Typer) -> None:
    """Add `sweep` and `summarize` to the `egov` app."""
    app.command("sweep")(sweep_command)
    app.command("summarize")(summarize_command)
