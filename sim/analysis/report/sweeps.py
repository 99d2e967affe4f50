"""The report on a sweep folder.

A sweep folder (sim.sweep) holds experiment.json (the resolved experiment), runs/ (one
Parquet file per finished run: the national table with run_id, scenario, point,
replication and seed columns), runs.parquet (the runs index, one column per outcome)
and, after `egov summarize`, summary.parquet. Sweeps store national tables only, so
the regional figures and the profile come from rerunning one replication of the
reference scenario (same parameters and seed, hence the same results).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd

from sim.analysis import plots
from sim.analysis import transitions as tr
from sim.analysis.report import dynamics
from sim.analysis.report.folders import ReportError, Run
from sim.analysis.report.html import Report, esc, html_table
from sim.analysis.report.sections import (
    comparison_section,
    key_numbers_runs,
    profile_years,
    scenarios_section,
    sweep_transition_section,
)


def sweep_outcome_defs(experiment) -> dict[str, tuple[str, float]]:
    """Per experiment outcome: the unit of a difference and the factor to get there."""
    out = {}
    for o in experiment.outcomes:
        if o.kind == "time_to_threshold":
            out[o.name] = ("years", 1.0)
        elif plots.INDICATORS.get(o.indicator, ("", "", False))[2] and o.kind != "disparity":
            out[o.name] = ("percentage points", 100.0)
        else:
            out[o.name] = (plots.unit(o.indicator) or "index", 1.0)
    return out


def outcome_caption(o) -> str:
    if o.kind == "time_to_threshold":
        return f"{o.name}: year {plots.label(o.indicator)} first reaches {o.threshold:g}"
    return f"{o.name}: {plots.label(o.indicator)}, {o.year}"


def sweep_outcomes(result) -> pd.DataFrame:
    """Long table (scenario, seed, outcome, unit, value) of a sweep's finished runs at
    its first design point (policy comparisons have only one)."""
    units = sweep_outcome_defs(result.experiment)
    long = result.outcomes
    long = long[long["point"] == long["point"].min()] if "point" in long else long
    long = long.assign(unit=long["outcome"].map(lambda n: units[n][0]))
    return long[["scenario", "seed", "outcome", "unit", "value"]]


def open_sweep(folder: Path):
    """sim.sweep's results of a sweep folder (experiment, runs index, national tables)."""
    from sim.experiments.experiment import ExperimentError
    from sim.experiments.sweeps import open_results

    try:
        return open_results(folder)
    except (ExperimentError, OSError, ValueError, KeyError) as e:
        raise ReportError(getattr(e, "problems", [f"{folder}: cannot read the sweep: {e}"])) from None


def sweep_summary(result) -> pd.DataFrame:
    """`egov summarize`'s table (sim.experiments.summary): distributions, paired and unpaired
    differences to the reference, sensitivity indices."""
    from sim.experiments.summary import summarize_runs

    return summarize_runs(result.experiment, result.runs)


def first_point(table: pd.DataFrame) -> pd.DataFrame:
    """Rows of the first design point (or the pooled rows of a sampled design)."""
    if table["point"].notna().any():
        return table[table["point"] == table["point"].min()]
    return table


def differences_from_summary(summary: pd.DataFrame, experiment) -> pd.DataFrame:
    """The comparison table (scenario, outcome, unit, pairs, diff, low, high,
    unpaired_low, unpaired_high) from the summary's difference rows, shares converted
    to percentage points."""
    rows = first_point(summary[summary["section"] == "difference"])
    if rows.empty:
        return pd.DataFrame()
    units = sweep_outcome_defs(experiment)
    captions = {o.name: outcome_caption(o) for o in experiment.outcomes}
    paired = rows[rows["statistic"] == "paired"].set_index(["scenario", "outcome"])
    unpaired = rows[rows["statistic"] == "unpaired"].set_index(["scenario", "outcome"])
    out = []
    for (scenario, outcome), row in paired.iterrows():
        unit, factor = units.get(outcome, ("", 1.0))
        other = unpaired.loc[(scenario, outcome)] if (scenario, outcome) in unpaired.index else None
        out.append(
            {
                "scenario": scenario,
                "outcome": outcome,
                "label": captions.get(outcome, outcome).replace(": ", "\n", 1),
                "unit": unit,
                "pairs": int(row["n"]),
                "diff": row["value"] * factor,
                "low": row["low"] * factor,
                "high": row["high"] * factor,
                "unpaired_low": other["low"] * factor if other is not None else math.nan,
                "unpaired_high": other["high"] * factor if other is not None else math.nan,
            }
        )
    return pd.DataFrame(out)


def indices_from_summary(summary: pd.DataFrame, scenario: str) -> pd.DataFrame | None:
    """Morris (mu_star, mu_star_conf, sigma) or Sobol (S1, S1_conf, ST, ST_conf) per
    outcome and parameter, for one scenario, in the shape sim.analysis.plots.sensitivity_figure takes."""
    rows = summary[summary["section"].isin(["morris", "sobol"]) & (summary["scenario"] == scenario)]
    if rows.empty:
        return None
    wanted = ("mu_star", "sigma") if (rows["section"] == "morris").any() else ("S1", "ST")
    out = {}
    for _, row in rows[rows["statistic"].isin(wanted)].iterrows():
        entry = out.setdefault((row["outcome"], row["parameter"]), {})
        entry[row["statistic"]] = row["value"]
        if row["statistic"] != "sigma":
            entry[f"{row['statistic']}_conf"] = row["high"] - row["value"]
    return pd.DataFrame([{"outcome": o, "parameter": p, **v} for (o, p), v in out.items()])


def sweep_provenance(record: dict, runs: pd.DataFrame, folder: Path) -> str:
    versions = record.get("versions", {})
    done = runs[runs["status"] == "done"]
    rows = pd.DataFrame(
        [
            ("experiment", record.get("name", "")),
            ("source", record.get("source") or ""),
            ("created", (record.get("created") or "")[:19].replace("T", " ")),
            ("egov-sim version", versions.get("sim", "")),
            ("git commit", (record.get("git_commit") or "")[:10]),
            ("root seed", record.get("spec", {}).get("seed", "")),
            ("replication seeds", ", ".join(map(str, record.get("seeds", [])))),
            ("engine", record.get("spec", {}).get("engine", "")),
            ("runs done / planned", f"{len(done)} / {record.get('n_runs', len(runs))}"),
            ("failed runs", int((runs["status"] == "failed").sum())),
            ("total run time", f"{done['wall_seconds'].sum():.1f} s"),
            ("versions", ", ".join(f"{k} {v}" for k, v in versions.items())),
            ("folder", str(folder)),
        ],
        columns=["", "value"],
    )
    return html_table(rows, text=rows.columns)


def rerun(params, seed: int) -> Run:
    """One run in memory, as a Run (for the regional figures of a sweep)."""
    from sim.model.egov_model import EGovModel

    model = EGovModel(params, seed=seed).run()
    manifest = {"scenario": params.model_dump(mode="json"), "seed": seed}
    return Run(Path("."), manifest, model.national_frame(), model.region_frame(), model.profile_frame())


def posterior_beats(summary: pd.DataFrame) -> pd.DataFrame:
    """Per scenario and outcome: difference, band and probability of beating the reference
    (the band and p_beats rows of a posterior design's summary)."""
    rows = summary[(summary["section"] == "difference") & summary["statistic"].isin(["band", "p_beats"])]
    if rows.empty:
        return pd.DataFrame()
    band = rows[rows["statistic"] == "band"].set_index(["scenario", "outcome"])
    prob = rows[rows["statistic"] == "p_beats"].set_index(["scenario", "outcome"])
    out = pd.DataFrame(
        {
            "difference": band["value"],
            "band_5": band["low"],
            "band_95": band["high"],
            "p_beats": prob["value"].reindex(band.index),
            "n": band["n"],
        }
    ).reset_index()
    return out


def sweep_report(folder: Path, out: Path | None = None, regions: bool = True) -> Path:
    """report.html for a sweep folder: adoption with bands across seeds, the paired
    comparison to the reference, disparity, agencies by stage, sensitivity indices for
    sensitivity designs, transitions, and (rerun from one replication of the reference)
    the regional map, heatmap and Stage-Model-Openness profile."""
    folder = Path(folder)
    result = open_sweep(folder)
    record = json.loads((folder / "experiment.json").read_text())
    exp = result.experiment
    national = result.national()
    if national.empty:
        raise ReportError([f"{folder}: no finished runs yet (runs/ is empty)"])
    order = {name: i for i, name in enumerate(exp.scenarios)}
    national = national.sort_values("scenario", key=lambda c: c.map(order), kind="stable")
    if (
        "point" in national
        and national["point"].nunique() > 1
        and exp.design.kind in ("morris_sa", "sobol_sa")
    ):
        bands_note = "across seeds and design points"
    else:
        bands_note = "across seeds"
    names = list(exp.scenarios)
    ref = exp.reference
    done = result.runs[result.runs["status"] == "done"]
    rep = Report(
        f"Experiment {exp.name}",
        f"{exp.spec.description.strip()} {len(done)} of {len(result.runs)} runs done; "
        f"{len(exp.seeds)} seeds; design {exp.design.kind}; reference {ref}.",
    )
    rep.add(
        "scenarios",
        "Scenarios",
        scenarios_section({n: p.model_dump(mode="json") for n, p in exp.scenarios.items()}),
    )
    outcomes = sweep_outcomes(result)
    defs = {o.name: o for o in exp.outcomes}
    shares = [n for n, (unit, _) in sweep_outcome_defs(exp).items() if unit == "percentage points"]
    captions = "".join(f"<li>{esc(outcome_caption(defs[n]))}</li>" for n in defs)
    rep.add(
        "numbers", "Key numbers", f"<ul class='note'>{captions}</ul>" + key_numbers_runs(outcomes, shares)
    )
    figs = [
        rep.figure(
            "adoption",
            f"Adoption and channel shares per scenario: median and 5-95% band {bands_note}; median stage "
            "entries dotted.",
            lambda: plots.adoption_bands_figure(national, reference=ref),
        )
    ]
    summary = sweep_summary(result)
    diffs = differences_from_summary(summary, exp) if len(names) > 1 else pd.DataFrame()
    if not diffs.empty:
        figs.append(
            rep.figure(
                "comparison",
                f"Paired difference of each scenario to {ref} per outcome, 95% bootstrap intervals "
                "(grey: unpaired).",
                lambda: plots.comparison_figure(diffs, ref),
            )
        )
    figs.append(
        rep.figure(
            "disparity",
            f"Regional disparity of online self-service per scenario (median and 5-95% band {bands_note}).",
            lambda: plots.disparity_figure(national, reference=ref),
        )
    )
    figs.append(
        rep.figure(
            "agencies",
            "Agencies by digitalization stage over time, per scenario (mean across runs).",
            lambda: plots.agency_stages_figure(national, reference=ref),
        )
    )
    indices = indices_from_summary(summary, ref)
    if indices is not None and not indices.empty:
        figs.append(
            rep.figure(
                "sensitivity",
                "Sensitivity of each outcome to the varied parameters ("
                + ("Morris mu* and sigma" if "mu_star" in indices else "Sobol S1 and ST")
                + ", 95% intervals).",
                lambda: plots.sensitivity_figure(indices),
            )
        )
    if regions:
        first = next(r for r in exp.runs if r.scenario == ref)
        sample = rerun(exp.params_for(first), first.seed)
        label_ = f"{ref}, replication 0 (seed {first.seed})"
        last = int(sample.regions["year"].max())
        figs.append(
            rep.figure(
                "regions_map",
                f"{label_}: online self-service by region at the end of {last}, "
                "tiles placed by regional centre.",
                lambda: plots.region_map_figure(
                    sample.regions,
                    "citizen_online_share",
                    last,
                    title=f"{ref}: online self-service by region, {last}",
                ),
            )
        )
        figs.append(
            rep.figure(
                "regions_heatmap",
                f"{label_}: online self-service by region and year, sorted by final value.",
                lambda: plots.region_heatmap_figure(sample.regions, "citizen_online_share"),
            )
        )
        for year in profile_years(sample.profile):
            figs.append(
                rep.figure(
                    f"profile_{year}",
                    f"{label_}: Stage-Model-Openness profile at the end of {year}; "
                    "models ahead of stage outlined.",
                    lambda y=year: plots.profile_figure(sample.profile, y),
                )
            )
    rep.add("figures", "Figures", "\n".join(figs))
    rep.add("transitions", "Transitions", sweep_transition_section(tr.sweep_transition_table(national)))
    rep.add(
        "tipping",
        "Tipping diagnostics",
        dynamics.tipping_section(result.outcomes, dynamics.one_parameter_points(result)),
    )
    if not diffs.empty:
        rep.add("comparison", "Comparison to the reference", comparison_section(diffs, ref))
    beats = posterior_beats(summary)
    if not beats.empty:
        rep.add(
            "posterior",
            "Parameter uncertainty: probability of beating the reference",
            "<p class='note'>Parameter sets drawn from the calibration posterior "
            f"({esc(str(exp.design.file))}, "
            f"{len(exp.points)} draws) x {len(exp.seeds)} seeds. Mean paired difference to {esc(ref)}, its "
            "5th-95th percentile across draws and seeds, and the share of draws and seeds in which the "
            "scenario is better than the reference.</p>" + html_table(beats, text=["scenario", "outcome"]),
        )
    if indices is not None and not indices.empty:
        rep.add("sensitivity", "Sensitivity indices", html_table(indices, text=["outcome", "parameter"]))
    failed = result.runs[result.runs["status"] == "failed"]
    if len(failed):
        rep.add(
            "failures",
            "Failed runs",
            html_table(failed[["run_id", "scenario", "seed", "error"]], text=["run_id", "scenario", "error"]),
        )
    rep.add("provenance", "Provenance", sweep_provenance(record, result.runs, folder))
    return rep.write(Path(out) if out else folder)
