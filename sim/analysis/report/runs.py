"""Reports on run folders: one run (`run_report`), or several runs compared to a
reference scenario (`runs_report`, `compare`)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from sim.analysis import plots
from sim.analysis import transitions as tr
from sim.analysis.report import dynamics
from sim.analysis.report.folders import ReportError, find_runs, load_run, stacked
from sim.analysis.report.html import Report
from sim.analysis.report.outcomes import OUTCOMES, outcome_table, paired_differences
from sim.analysis.report.sections import (
    comparison_section,
    key_numbers_run,
    key_numbers_runs,
    profile_years,
    provenance_section,
    region_figures,
    scenarios_section,
    slug,
    sweep_transition_section,
    transition_section,
)
from sim.model.params import Params


def run_report(
    folder: Path, out: Path | None = None, drivers: bool = False, policy_map: bool = False
) -> Path:
    """report.html for one run folder (written into it unless `out` is given). `drivers`
    and `policy_map` add the sections that rerun the model (regional drivers; the
    interoperability-versus-platforms map)."""
    run = load_run(folder)
    spec = run.manifest["scenario"]
    name = run.scenario
    rep = Report(
        f"{name}: e-government adoption, seed {run.seed}",
        f"Run {run.folder.name}: {spec['start_year']}-{spec['end_year']}, "
        f"{run.manifest.get('engine')} engine.",
    )
    rep.add("scenario", "Scenario", scenarios_section({name: spec}))
    rep.add("numbers", "Key numbers", key_numbers_run(run.national))
    figs = [
        rep.figure(
            "adoption",
            "Adoption and channel shares by month, with the e-government stage entries marked.",
            lambda: plots.adoption_figure(run.national, f"{name}: adoption and channels"),
        )
    ]
    regions, profile = run.regions, run.profile
    if regions is not None and not regions.empty:
        last = int(regions["year"].max())
        figs.append(
            rep.figure(
                "regions_map",
                f"Online self-service by region at the end of {last}, tiles placed by regional centre.",
                lambda: plots.region_map_figure(regions, "citizen_online_share", last),
            )
        )
        figs.append(
            rep.figure(
                "regions_heatmap",
                "Online self-service by region and year (end of year), regions sorted by final value.",
                lambda: plots.region_heatmap_figure(regions, "citizen_online_share"),
            )
        )
    figs.append(
        rep.figure(
            "disparity",
            "Regional disparity of online self-service: Gini and Theil (within/between urban-rural).",
            lambda: plots.disparity_figure(run.national),
        )
    )
    if profile is not None and not profile.empty:
        for year in profile_years(profile):
            figs.append(
                rep.figure(
                    f"profile_{year}",
                    f"Stage-Model-Openness profile at the end of {year}; "
                    "models active ahead of stage outlined.",
                    lambda y=year: plots.profile_figure(profile, y),
                )
            )
    figs.append(
        rep.figure(
            "agencies",
            "Agencies by digitalization stage over time.",
            lambda: plots.agency_stages_figure(run.national),
        )
    )
    if "agencies_joined" in run.national:
        figs.append(dynamics.exchange_figure(rep, run.national))
    rep.add("figures", "Figures", "\n".join(figs))
    rep.add(
        "transitions", "Transitions", transition_section(tr.transition_table(run.national, regions, profile))
    )
    if drivers or policy_map:
        params = Params.model_validate(run.manifest["scenario"])
        if drivers:
            rep.add("drivers", "Regional drivers", dynamics.drivers_section(rep, params, run.seed))
        if policy_map:
            rep.add(
                "policy_map",
                "Interoperability or platforms?",
                dynamics.policy_map_section(rep, params, run.seed),
            )
    rep.add("provenance", "Provenance", provenance_section([run.manifest], [run.folder]))
    return rep.write(Path(out) if out else run.folder)


def runs_report(
    folders: list[Path], out: Path, reference: str | None = None, title: str | None = None
) -> Path:
    """report.html comparing several run folders (scenarios, seeds or both)."""
    runs = [load_run(f) for f in folders]
    if not runs:
        raise ReportError(["no run folders to compare"])
    names = list(dict.fromkeys(r.scenario for r in runs))
    reference = reference or names[0]
    if reference not in names:
        raise ReportError([f"reference scenario {reference!r} is not among the runs: {', '.join(names)}"])
    national, regions = stacked(runs, "national"), stacked(runs, "regions")
    seeds = national.groupby("scenario")["seed"].nunique()
    rep = Report(
        title or f"Comparison: {', '.join(names)}",
        f"{len(runs)} runs; reference scenario {reference}; seeds per scenario: "
        + ", ".join(f"{s} {seeds[s]}" for s in names),
    )
    rep.add("scenarios", "Scenarios", scenarios_section({r.scenario: r.manifest["scenario"] for r in runs}))
    outcomes = outcome_table(national)
    shares = [o.name for o in OUTCOMES if o.unit == "percentage points"]
    rep.add("numbers", "Key numbers", key_numbers_runs(outcomes, shares))
    figs = [
        rep.figure(
            "adoption",
            "Adoption and channel shares per scenario (median across seeds with 5-95% band when there are "
            "several), median stage entries dotted.",
            lambda: plots.adoption_bands_figure(national, reference=reference),
        )
    ]
    diffs = paired_differences(outcomes, reference) if len(names) > 1 else pd.DataFrame()
    if not diffs.empty:
        figs.append(
            rep.figure(
                "comparison",
                f"Paired difference of each scenario to {reference}, with 95% bootstrap intervals.",
                lambda: plots.comparison_figure(diffs, reference),
            )
        )
    figs += region_figures(rep, regions, names)
    figs.append(
        rep.figure(
            "disparity",
            "Regional disparity of online self-service per scenario: Gini and Theil "
            "(dashed: between urban-rural).",
            lambda: plots.disparity_figure(national, reference=reference),
        )
    )
    for name in names:
        first = next(r for r in runs if r.scenario == name)
        if first.profile is not None and not first.profile.empty:
            year = int(first.profile["year"].max())
            figs.append(
                rep.figure(
                    f"profile_{slug(name)}",
                    f"{name}, seed {first.seed}: Stage-Model-Openness profile at the end of {year}.",
                    lambda p=first.profile, y=year, n=name: plots.profile_figure(
                        p, y, title=f"{n}: Stage-Model-Openness profile, end of {y}"
                    ),
                )
            )
    figs.append(
        rep.figure(
            "agencies",
            "Agencies by digitalization stage over time, per scenario (mean across seeds).",
            lambda: plots.agency_stages_figure(national, reference=reference),
        )
    )
    rep.add("figures", "Figures", "\n".join(figs))
    if national.groupby("scenario")["seed"].nunique().max() > 1:
        rep.add("transitions", "Transitions", sweep_transition_section(tr.sweep_transition_table(national)))
    else:
        table = pd.concat(
            [tr.transition_table(r.national, None, r.profile).assign(place=r.scenario) for r in runs],
            ignore_index=True,
        ).rename(columns={"place": "scenario"})
        rep.add("transitions", "Transitions (national)", transition_section(table))
    if not diffs.empty:
        rep.add("comparison", "Comparison to the reference", comparison_section(diffs, reference))
    rep.add(
        "provenance", "Provenance", provenance_section([r.manifest for r in runs], [r.folder for r in runs])
    )
    return rep.write(Path(out))


def compare(folders: list[Path], out: Path | None = None, reference: str | None = None) -> Path:
    """One report for several run folders (or folders holding runs); the first run's
    scenario is the reference unless named."""
    runs: list[Path] = []
    for folder in folders:
        found = find_runs(Path(folder)) if Path(folder).is_dir() else []
        if not found:
            raise ReportError([f"{folder}: no finished run folder here"])
        runs += [r for r in found if r not in runs]
    if out is None:
        root = runs[0].parent.parent
        out = root / "compare" / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return runs_report(runs, Path(out), reference)
