"""`egov run`, `validate`, `scenarios` and `schema`: run scenarios, validate files, list
shipped scenarios, print the schema. Bad input exits with status 2 and one line per
problem, no traceback (unless --debug), and nothing written."""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from sim.cli.common import BadInput, err_console, fail, interrupts_held, interrupts_noted, out_console
from sim.experiments import scenario as scenarios
from sim.model.limits import MAX_AGENTS, SEED_MAX
from sim.model.params import Params


class EngineChoice(StrEnum):
    vectorized = "vectorized"
    agent = "agent"


def with_overrides(params: Params, source: str, **changes) -> Params:
    """Apply command-line overrides, validated like the file itself."""
    changes = {k: v for k, v in changes.items() if v is not None}
    if not changes:
        return params
    data = params.model_dump()
    if "scale" in changes:
        data["world"]["scale"] = changes.pop("scale")
    data.update(changes)
    try:
        return Params.model_validate(data)
    except ValidationError as e:
        raise BadInput(
            [
                f"{source}: with the command-line options: {'.'.join(map(str, err['loc'])) or 'options'}: "
                f"{err['msg'].removeprefix('Value error, ')}"
                for err in e.errors()
            ]
        ) from None


def load_run_spec(path: str) -> tuple[scenarios.Scenario, str | None]:
    if path.endswith(".json"):
        return scenarios.from_manifest(path)
    return scenarios.load(path), None


def run(
    scenario: Annotated[
        str,
        typer.Argument(help="Scenario file, shipped scenario name, or a run's manifest.json to rerun it."),
    ],
    seed: Annotated[
        int | None, typer.Option(min=0, max=SEED_MAX, help="Seed, 0..2**32-1 (default: the scenario's).")
    ] = None,
    engine: Annotated[
        EngineChoice | None, typer.Option(help="vectorized (fast) or agent (per-agent rules).")
    ] = None,
    scale: Annotated[float | None, typer.Option(help="People per citizen agent.")] = None,
    end_year: Annotated[int | None, typer.Option(help="Stop after this year.")] = None,
    out: Annotated[Path, typer.Option(help="Results root folder.")] = Path("results"),
    allow_large: Annotated[
        bool,
        typer.Option(
            "--allow-large", help=f"Run worlds above {MAX_AGENTS:,} citizen agents (see README, limits)."
        ),
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")] = False,
    debug: Annotated[bool, typer.Option(help="Show tracebacks.")] = False,
) -> None:
    """Run one scenario and write its results to OUT/<scenario>/<run-id>/."""
    from sim.model.limits import TooLarge, check_agents
    from sim.model.paths import UnsafePath

    try:
        spec, recorded_engine = load_run_spec(scenario)
        params = with_overrides(spec.params, scenario, end_year=end_year, scale=scale)
        try:
            check_agents(params, allow_large)
        except TooLarge as e:
            raise BadInput([f"{spec.path or scenario}: {e}"]) from None
        # heavy imports only for commands that run the model
        from sim.analysis.plots import adoption_figure
        from sim.experiments.results import discard_run_dir, new_run_dir, write_run
        from sim.model import kernels
        from sim.model.egov_model import EGovModel

        with interrupts_held():
            kernels.warm_up()
    except (scenarios.ScenarioError, BadInput) as e:
        fail(e.problems, debug, e)
    except KeyboardInterrupt:
        fail(["interrupted while loading; nothing written"], debug, exit_code=130)

    run_seed = spec.seed if seed is None else seed
    run_engine = engine.value if engine else (recorded_engine or "vectorized")
    # the output folder is created and probed before the model runs; from then on an
    # interrupt anywhere removes it (Typer would turn one outside a handler into a silent 130)
    folder: Path | None = None
    try:
        with interrupts_noted() as check_interrupt:
            with interrupts_held():
                folder = new_run_dir(out, params.name, run_seed, run_engine)
            started, t0 = datetime.now(UTC), time.perf_counter()
            model = EGovModel(params, seed=run_seed, engine=run_engine, allow_large=True)
            check_interrupt()
            show = not quiet and sys.stderr.isatty()
            with Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                TextColumn("{task.fields[year]}"),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=err_console,
                disable=not show,
                transient=True,
            ) as progress:
                task = progress.add_task(params.name, total=params.n_steps, year="")
                while model.running and model.steps < params.n_steps:
                    model.step()
                    check_interrupt()
                    progress.update(task, advance=1, year=str(model.year))
            write_run(model, folder, started, time.perf_counter() - t0, spec.chain, figure=adoption_figure)
    except (OSError, UnsafePath) as e:
        reason = getattr(e, "strerror", None) or str(e)
        if folder is None:
            fail([f"{out}: --out: cannot write results here: {reason}"], debug, e)
        discard_run_dir(folder)
        fail([f"{folder}: --out: cannot write results: {reason}; nothing kept"], debug, e)
    except KeyboardInterrupt:
        if folder is None:
            fail(["interrupted while loading; nothing written"], debug, exit_code=130)
        discard_run_dir(folder)
        fail(["interrupted; the unfinished run folder was removed"], debug, exit_code=130)
    except BaseException:
        if folder is not None:
            discard_run_dir(folder)
        raise
    if not quiet:
        print_summary(model, folder, time.perf_counter() - t0)
    else:
        out_console.print(str(folder), highlight=False)


def print_summary(model, folder: Path, seconds: float) -> None:
    last = model.national_frame().iloc[-1]
    table = Table(title=f"{model.params.name}, seed {model.seed}: {int(last['year'])}", show_header=False)
    rows = [
        ("people using e-services themselves", f"{last['citizen_online_share']:.1%}"),
        ("transactions processed electronically", f"{last['eservice_share']:.1%}"),
        ("internet use", f"{last['internet_use_share']:.1%}"),
        ("firms using G2B e-services", f"{last['business_adoption']:.1%}"),
        ("C2G participation (monthly)", f"{last['c2g_participation']:.1%}"),
        ("e-government stage", f"{int(last['egov_stage'])}"),
        ("interoperability", f"{last['interoperability']:.2f}"),
        ("regional disparity (Gini of online share)", f"{last['online_gini']:.3f}"),
    ]
    for name, value in rows:
        table.add_row(name, value)
    out_console.print(table)
    out_console.print(f"results: {folder}  ({seconds:.1f} s)", highlight=False)
    out_console.print(f"figure:  {folder / 'summary.png'}", highlight=False)
    out_console.print(f"next:    egov report {folder}", highlight=False)


def validate(
    files: Annotated[list[str], typer.Argument(help="Scenario files to check.")],
    debug: Annotated[bool, typer.Option(help="Show tracebacks.")] = False,
) -> None:
    """Check scenario files without running them."""
    problems = []
    for f in files:
        try:
            s = scenarios.load(f)
            out_console.print(f"ok: {f} ({s.name}, {len(s.params.policies)} policies)", highlight=False)
        except scenarios.ScenarioError as e:
            if debug:
                raise
            problems += e.problems
        except KeyboardInterrupt:
            fail(["interrupted while loading"], debug, exit_code=130)
    if problems:
        fail(problems, debug)


def list_scenarios() -> None:
    """List the shipped scenarios (teaching ones as teaching/NAME) with their descriptions."""
    table = Table("name", "description", show_lines=True)
    for name, description in scenarios.shipped(subfolders=True):
        table.add_row(name, description)
    out_console.print(table)


def schema() -> None:
    """Print the JSON Schema of scenario files."""
    print(json.dumps(scenarios.json_schema(), indent=2))


def register(app: typer.Typer) -> None:
    """Add `run`, `validate`, `scenarios` and `schema` to the `egov` app."""
    app.command()(run)
    app.command()(validate)
    app.command("scenarios")(list_scenarios)
    app.command()(schema)
