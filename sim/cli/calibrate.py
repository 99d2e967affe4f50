"""`egov calibrate` and `egov validation`: estimate parameters from the Kazakhstan targets
by ABC-SMC (sim.experiments.calibration) and write the validation report. Registered on
the `egov` app by sim.cli.commands."""

from __future__ import annotations

import json
import shlex
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from sim.cli.common import err_console, fail, out_console
from sim.cli.sweeps import ExecutorChoice


def _seeds(text: str) -> list[int]:
    try:
        seeds = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise typer.BadParameter(f"seeds are integers separated by commas, got {text!r}") from None
    if not seeds:
        raise typer.BadParameter("give at least one seed")
    return seeds


def calibrate_command(
    targets: Annotated[
        Path | None, typer.Option(help="Targets file (default: the shipped Kazakhstan targets).")
    ] = None,
    out: Annotated[Path, typer.Option(help="Calibration folder.")] = Path("results/calibration"),
    scale: Annotated[float, typer.Option(min=1.0, help="People per citizen agent during the fit.")] = 6000.0,
    seeds: Annotated[str, typer.Option(help="Seeds every parameter set runs with, e.g. 1,2.")] = "1,2",
    fresh_seeds: Annotated[
        bool,
        typer.Option(
            "--fresh-seeds/--common-seeds",
            help="Fresh seeds for every parameter set (as many as --seeds; the first seed seeds "
            "them) so the posterior accounts for the model's randomness, or the same --seeds for "
            "all (common random numbers).",
        ),
    ] = False,
    population: Annotated[int, typer.Option(min=2, help="Particles per ABC-SMC generation.")] = 24,
    generations: Annotated[int, typer.Option(min=1, help="ABC-SMC generations.")] = 4,
    draws: Annotated[int, typer.Option(min=1, help="Posterior draws for the fit report.")] = 16,
    executor: Annotated[
        ExecutorChoice, typer.Option(help="process (local cores), dask (a cluster), serial.")
    ] = ExecutorChoice.process,
    workers: Annotated[int | None, typer.Option(min=1, help="Worker processes.")] = None,
    scheduler: Annotated[str | None, typer.Option(help="Address of a running Dask scheduler.")] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Finish a killed calibration from its last complete generation.")
    ] = False,
    scenario_out: Annotated[
        Path | None,
        typer.Option(help="Calibrated scenario file to write (default: OUT/calibrated.yaml)."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing scenario file.")] = False,
    into: Annotated[
        Path | None,
        typer.Option(
            help="Also write the calibrated values into this scenario file (its coefficients "
            "block, replaced whole; calibrated event and policy fields, edited in place and kept "
            "by later calibrations that do not name them; a header recording how; needs --force). "
            "This is how the shipped baseline is calibrated."
        ),
    ] = None,
) -> None:
    """Estimate the parameters named in the targets file by ABC-SMC (pyabc): writes the
    posterior sample, a calibrated scenario extending the baseline, and a fit report."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from sim.experiments import calibration as cal
    from sim.experiments.executors import open_executor
    from sim.experiments.experiment import SweepRefused

    seed_list = _seeds(seeds)
    command = "egov calibrate " + " ".join(shlex.quote(a) for a in sys.argv[1:] if a != "calibrate")
    if into is not None and not force:
        fail([f"--into {into} rewrites that file's coefficients and header: add --force"], False)
    try:
        tg = cal.load_targets(targets)
        if into is not None:  # a file that cannot take the values is refused now, not after the fit
            if not into.is_file():
                raise cal.CalibrationError([f"--into {into}: no such scenario file"])
            trial = {k: (lo + hi) / 2 for k, (lo, hi) in tg.priors.items()}
            cal.merge_into_scenario(into, trial, cal.base_params(tg, scale), [])
        if fresh_seeds:  # the fit report's draws: refused now, not after the fit
            cal.check_predictive_seeds(seed_list, draws)
        setup = cal.CalibrationSetup(
            targets_file=str(tg.path),
            scenario=tg.scenario,
            scale=scale,
            seeds=seed_list,
            population=population,
            generations=generations,
            priors=tg.priors,
            end_year=tg.last_year,
            inputs_digest=cal.inputs_digest(tg, scale),
            fresh_seeds=fresh_seeds,
            extra={"command": command, "started": cal.now_utc()},
        )
        run, resuming = cal.start_or_resume(out, setup, resume)
        scenario_path = scenario_out or out / "calibrated.yaml"
        if scenario_path.exists() and not force and not resuming:
            raise cal.CalibrationError(
                [f"{scenario_path} exists; choose another --scenario-out or pass --force"]
            )
        handle = open_executor(executor.value, workers, scheduler)
    except (cal.CalibrationError, SweepRefused) as e:
        fail(e.problems, False)
        return
    err_console.print(
        f"calibrating {len(tg.priors)} parameters on {len(tg.fitted)} targets: scale {scale:g}, "
        f"{'fresh seeds like' if fresh_seeds else 'seeds'} {seed_list}, "
        f"{population} particles x {generations} generations, {handle.description}"
        + (" (resuming)" if resuming else "")
    )
    t0 = time.perf_counter()
    evaluations = 0
    try:
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[evals]} simulated"),
            TimeElapsedColumn(),
            console=err_console,
            transient=False,
        ) as progress:
            tasks: dict[int, int] = {}

            def report(t: int, accepted: int, wanted: int, evals: int) -> None:
                nonlocal evaluations
                if t not in tasks:
                    label = "prior sample (epsilon)" if t < 0 else f"generation {t}"
                    tasks[t] = progress.add_task(label, total=wanted, evals=0)
                    if t - 1 in tasks:
                        evaluations += progress.tasks[tasks[t - 1]].fields["evals"]
                progress.update(tasks[t], completed=accepted, evals=evals)

            history, ran = cal.calibrate(
                tg,
                run.db,
                scale=scale,
                seeds=seed_list,
                population=population,
                generations=generations,
                executor=handle.executor,
                resume=resuming,
                progress=report,
                fresh_seeds=fresh_seeds,
            )
            if tasks:
                evaluations += progress.tasks[tasks[max(tasks)]].fields["evals"]
        fit_seconds = time.perf_counter() - t0
        if cal.inputs_digest(tg, scale) != setup.inputs_digest:  # the report reads them again
            raise cal.CalibrationError(
                [
                    f"the scenario or targets changed during the calibration; its generations are kept "
                    f"in {run.db}: restore them and finish with --resume"
                ]
            )
        posterior = cal.posterior_frame(history)
        posterior.to_parquet(run.posterior_file)
        summary = cal.posterior_summary(posterior, tg.priors)
        summary.to_csv(out / "posterior_summary.csv", index=False)
        points = cal.draw(posterior, draws, seed=seed_list[0])
        with Progress(console=err_console, transient=True) as progress:
            task = progress.add_task("posterior predictive", total=draws * len(seed_list))
            stats, tables = cal.posterior_predictive(
                tg,
                points,
                seed_list,
                scale=scale,
                end_year=None,
                executor=handle.executor,
                progress=lambda d, n: progress.update(task, completed=d),
                fresh=fresh_seeds,
            )
        fit = cal.fit_table(tg, stats)
        fit.to_csv(out / "fit.csv", index=False)
        total_seconds = time.perf_counter() - t0
    except KeyboardInterrupt:
        err_console.print(f"interrupted; finish with the same command and --resume (folder {out})")
        raise typer.Exit(130) from None
    except cal.CalibrationFailed as e:
        fail([str(e)], False, e, exit_code=1)
    except cal.CalibrationError as e:
        fail(e.problems, False)
    finally:
        handle.close()
    values = cal.calibrated_values(posterior, tg.priors)
    sims = evaluations * len(seed_list)
    first = json.loads(run.setup_file.read_text()).get("extra", {})
    header = [
        "Calibrated by `egov calibrate` (issue 13): posterior medians of ABC-SMC (pyabc).",
        f"command: {first.get('command', command)} (started {first.get('started', '?')})",
        *([f"finished by: {command}"] if resuming else []),
        f"method: pyabc ABCSMC, {population} particles x {history.max_t + 1} generations, "
        f"uniform priors from {Path(tg.path).name}, distance sqrt(sum(((sim-obs)/sigma)^2)), "
        "epsilon = median of the previous generation, "
        "kernel: normal with twice the weighted covariance (Beaumont et al. 2009)",
        (
            f"{len(seed_list)} fresh seeds per parameter set, drawn from seed {seed_list[0]}"
            if fresh_seeds
            else f"seeds per parameter set: {seed_list}"
        )
        + f"; scale {scale:g} people per agent",
        f"date: {cal.now_utc()}; {evaluations} parameter sets ({sims} simulations) in this call, "
        f"{fit_seconds / 60:.1f} min on {handle.description}",
        cal.history_totals(history),
    ]
    try:
        cal.write_new(
            scenario_path,
            cal.scenario_yaml(
                tg.scenario, "kazakhstan_calibrated", values, cal.base_params(tg, scale), header
            ),
            force=force or resuming,
        )
        if into is not None:
            merged = cal.merge_into_scenario(into, values, cal.base_params(tg, scale), header)
            cal.write_new(into, merged, force=True)
            out_console.print(f"calibrated values written into {into}")
    except cal.CalibrationError as e:
        fail(e.problems, False)
        return
    report = [
        "# Calibration fit",
        "",
        *[f"- {h}" for h in header],
        "",
        "## Parameters (posterior median and 90% interval)",
        "",
        cal.summary_markdown(summary),
        cal.spread_caveat(posterior),
        "",
        "## Targets against the posterior predictive median and 90% band",
        "",
        f"{draws} posterior draws x {len(seed_list)} seeds at scale {scale:g}"
        + (f" (draw i runs with seeds {seed_list} + {cal.SEED_STRIDE:,} i)." if fresh_seeds else "."),
        "",
        cal.fit_markdown(fit),
    ]
    (out / "fit.md").write_text("\n".join(report))
    out_console.print(
        f"posterior: {run.posterior_file}\nscenario: {scenario_path}\nfit report: {out / 'fit.md'}\n"
        f"{sims} simulations in {fit_seconds:.0f} s ({sims / max(fit_seconds, 1e-9) * 60:.0f} per minute); "
        f"total {total_seconds:.0f} s"
    )
    missed = fit[~fit["met"]]
    if len(missed):
        out_console.print("targets not met: " + ", ".join(missed["target"]))


def validation_command(
    calibration: Annotated[
        Path,
        typer.Argument(
            help="Calibration folder (holds posterior.parquet), or a posterior file such as the "
            "shipped sim/data/kazakhstan/calibration_posterior.parquet."
        ),
    ] = Path("results/calibration"),
    out: Annotated[Path, typer.Option(help="The report to write.")] = Path("docs/validation.md"),
    targets: Annotated[Path | None, typer.Option(help="Targets file (default: the shipped one).")] = None,
    scale: Annotated[float, typer.Option(min=1.0, help="People per citizen agent.")] = 2000.0,
    seeds: Annotated[
        str, typer.Option(help="Seeds of the first posterior draw (of every draw with --common-seeds).")
    ] = "11,12",
    fresh_seeds: Annotated[
        bool,
        typer.Option(
            "--fresh-seeds/--common-seeds",
            help="Draw i runs with --seeds + 10,000 i, so the predictive integrates the model's "
            "randomness, or every draw with --seeds.",
        ),
    ] = True,
    draws: Annotated[int, typer.Option(min=1, help="Posterior draws.")] = 64,
    end_year: Annotated[int, typer.Option(help="Last year of the projection.")] = 2030,
    executor: Annotated[
        ExecutorChoice, typer.Option(help="process, dask or serial.")
    ] = ExecutorChoice.process,
    workers: Annotated[int | None, typer.Option(min=1, help="Worker processes.")] = None,
    scheduler: Annotated[str | None, typer.Option(help="Address of a running Dask scheduler.")] = None,
) -> None:
    """Write the validation report (docs/validation.md): the fit to every target, the
    parameters' posterior spread, the projection to 2030 with bands, the source paper's
    qualitative findings, and every target missed."""
    from sim.analysis.validation import validation_report
    from sim.experiments import calibration as cal
    from sim.experiments.executors import open_executor

    seed_list = _seeds(seeds)
    command = "egov validation " + " ".join(shlex.quote(a) for a in sys.argv[1:] if a != "validation")
    try:
        tg = cal.load_targets(targets)
        handle = open_executor(executor.value, workers, scheduler)
    except cal.CalibrationError as e:
        fail(e.problems, False)
        return
    try:
        text = validation_report(
            Path(calibration),
            tg,
            scale=scale,
            seeds=seed_list,
            fresh_seeds=fresh_seeds,
            draws=draws,
            end_year=end_year,
            executor=handle.executor,
            command=command,
            console=err_console,
        )
    except cal.CalibrationError as e:
        fail(e.problems, False)
        return
    finally:
        handle.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    out_console.print(f"wrote {out}")


def register(app: typer.Typer) -> None:
    app.command("calibrate")(calibrate_command)
    app.command("validation")(validation_command)
