"""`egov report` and `egov compare`: self-contained HTML reports of results folders.

Registered on the `egov` app by sim.cli.commands. Heavy imports (pandas, matplotlib) happen
inside the commands, so other commands start fast."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sim.cli.common import fail, out_console


def report(
    folder: Annotated[
        Path,
        typer.Argument(help="A run folder, a sweep folder, or a folder holding run folders."),
    ],
    out: Annotated[
        Path | None, typer.Option(help="Folder to write report.html and the figures into (default: FOLDER).")
    ] = None,
    drivers: Annotated[
        bool,
        typer.Option(
            "--drivers",
            help="Run folders: add what puts each region where it is (6 counterfactual reruns).",
        ),
    ] = False,
    policy_map: Annotated[
        bool,
        typer.Option(
            "--policy-map",
            help="Run folders: add the interoperability-vs-platforms map over starting states "
            "(50 reruns at a coarse scale, about a minute).",
        ),
    ] = False,
    debug: Annotated[bool, typer.Option(help="Show tracebacks.")] = False,
) -> None:
    """Write a self-contained report.html for a run or sweep folder.

    Figures are embedded and nothing is fetched from the network; each figure is also
    written as fig_<name>.png beside the report. Sweep reports include tipping diagnostics
    (bimodality across seeds; jumps between neighbouring parameter values)."""
    from sim.analysis.report import ReportError
    from sim.analysis.report import report as write_report

    try:
        _check_out(out)
        path = write_report(folder, out, drivers=drivers, policy_map=policy_map)
    except ReportError as e:
        fail(e.problems, debug, e)
    except (OSError, ValueError, KeyError) as e:
        fail([_unreadable(folder, out, e)], debug, e)
    except KeyboardInterrupt:
        fail(["interrupted"], debug, exit_code=130)
    out_console.print(f"report: {path}", highlight=False)


def compare(
    folders: Annotated[
        list[Path],
        typer.Argument(help="Run folders (or folders holding run folders) to put in one report."),
    ],
    out: Annotated[
        Path | None,
        typer.Option(help="Folder for report.html and figures (default: RESULTS/compare/<time>/)."),
    ] = None,
    reference: Annotated[
        str | None, typer.Option(help="Scenario the others are compared to (default: the first run's).")
    ] = None,
    debug: Annotated[bool, typer.Option(help="Show tracebacks.")] = False,
) -> None:
    """Put several run folders in one report, compared to a reference scenario.

    Adoption per scenario (bands across seeds), paired differences to the reference,
    disparity, profiles and transitions."""
    from sim.analysis.report import ReportError
    from sim.analysis.report import compare as write_compare

    try:
        _check_out(out)
        path = write_compare(folders, out, reference)
    except ReportError as e:
        fail(e.problems, debug, e)
    except (OSError, ValueError, KeyError) as e:
        fail([_unreadable(", ".join(map(str, folders)), out, e)], debug, e)
    except KeyboardInterrupt:
        fail(["interrupted"], debug, exit_code=130)
    out_console.print(f"report: {path}", highlight=False)


def _check_out(out: Path | None) -> None:
    """--out must be a folder we can write into; checked before any work."""
    from sim.analysis.report import ReportError
    from sim.model.paths import probe_folder

    if out is None:
        return
    try:
        probe_folder(out)
    except OSError as e:
        raise ReportError([f"{out}: --out: cannot write the report here: {e.strerror or e}"]) from None


def _unreadable(folder, out, e: BaseException) -> str:
    if isinstance(e, OSError) and e.filename:
        where = e.filename
        return f"{where}: {e.strerror or e}"
    first = str(e).splitlines()[0] if str(e) else type(e).__name__
    return f"{folder}: cannot read or write the results: {first}"


def register(app: typer.Typer) -> None:
    """Add `report` and `compare` to the `egov` app."""
    app.command()(report)
    app.command()(compare)
