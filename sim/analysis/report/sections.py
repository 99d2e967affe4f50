"""Sections shared by the reports: scenarios and policies, key numbers, transitions, the
comparison to the reference, provenance, and the regional figures."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from sim.analysis import plots
from sim.analysis import transitions as tr
from sim.analysis.report.html import Report, esc, fmt, html_table


def policy_lines(scenario: dict) -> str:
    items = []
    for p in scenario.get("policies", []):
        target = {k: v for k, v in (p.get("target") or {}).items() if v}
        amount = (
            f"{p['budget_share']:.0%} of budget" if p.get("budget_share") else f"intensity {p['intensity']}"
        )
        where = f", target {json.dumps(target)}" if target else ""
        items.append(
            f"<li><code>{esc(p['lever'])}</code> {p['start']}-{p['end']}, {esc(amount)}{esc(where)}</li>"
        )
    for e in scenario.get("events", []):
        items.append(
            f"<li>event <code>{esc(e['kind'])}</code> {e['year']}-{e['month']:02d} "
            f"for {e['months']} months, intensity {e['intensity']}</li>"
        )
    return f"<ul>{''.join(items)}</ul>" if items else "<p class='note'>No policies or events.</p>"


def scenarios_section(scenarios: dict[str, dict]) -> str:
    parts = []
    for name, spec in scenarios.items():
        world = spec.get("world", {})
        parts.append(
            f"<h3>{esc(name)}</h3><p>{esc(spec.get('description') or '(no description)')}</p>"
            f"<p class='note'>{spec.get('start_year')}-{spec.get('end_year')}, budget "
            f"{spec.get('budget')} bn KZT per year, world {esc(world.get('kind', ''))} at "
            f"{world.get('scale', '')} people per agent.</p>"
            f"<details><summary>Policies and events</summary>{policy_lines(spec)}</details>"
        )
    return "\n".join(parts)


KEY_COLUMNS = {
    "citizen_online_share": "pct",
    "eservice_share": "pct",
    "assisted_share": "pct",
    "paper_share": "pct",
    "internet_use_share": "pct",
    "business_adoption": "pct",
    "c2g_participation": "pct",
    "interoperability": "num",
    "openness": "num",
    "egdi": "num",
    "egov_stage": "num",
    "online_gini": "num",
    "online_theil": "num",
}


def key_numbers_run(national: pd.DataFrame) -> str:
    last = national.sort_values("step").iloc[-1]
    first = national.sort_values("step").iloc[0]
    rows = pd.DataFrame(
        {
            "indicator": [plots.label(c) for c in KEY_COLUMNS],
            f"{int(first['year'])}-{int(first['month']):02d}": [
                fmt(first[c], k) for c, k in KEY_COLUMNS.items()
            ],
            f"{int(last['year'])}-{int(last['month']):02d}": [
                fmt(last[c], k) for c, k in KEY_COLUMNS.items()
            ],
        }
    )
    return html_table(rows, text=rows.columns)


def key_numbers_runs(outcomes: pd.DataFrame, shares: Iterable[str] = ()) -> str:
    """Median and 5-95% range across seeds of each outcome per scenario; `shares` are
    shown as percentages."""
    rows = []
    shares = set(shares)
    for (scenario, outcome), group in outcomes.groupby(["scenario", "outcome"], sort=False):
        values = group["value"].dropna()
        is_share = outcome in shares
        show = (lambda v: f"{v:.1%}") if is_share else (lambda v: f"{v:.3g}" if v < 1000 else f"{v:.1f}")
        rows.append(
            {
                "scenario": scenario,
                "outcome": outcome,
                "seeds": f"{len(values)}/{len(group)}",
                "median": show(values.median()) if len(values) else "–",
                "5-95%": f"{show(values.quantile(0.05))} – {show(values.quantile(0.95))}"
                if len(values) > 1
                else "",
            }
        )
    return html_table(pd.DataFrame(rows), text=["scenario", "outcome", "seeds", "median", "5-95%"])


TRANSITION_KINDS = {
    c: "year" for c in tr.COLUMNS if c.startswith(("stage_", "online_")) or c == "fastest_growth_year"
}
TRANSITION_HEADERS = {
    **{f"stage_{s}": f"{s} {name}" for s, name in plots.EGOV_STAGES.items() if s},
    **{f"online_{p}": f"online {p}%" for p in (25, 50, 75)},
    "fastest_growth_year": "fastest growth",
    "fastest_growth_rate": "growth there (pp/yr)",
    "skipped": "stages skipped",
    "ahead": "models ahead of stage",
    "out_of_order": "out of order",
}


def transition_display(table: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    shown = table.copy()
    shown["fastest_growth_rate"] = shown["fastest_growth_rate"] * 100
    shown = shown.rename(columns=TRANSITION_HEADERS)
    kinds = {TRANSITION_HEADERS.get(c, c): k for c, k in TRANSITION_KINDS.items()}
    return shown, kinds


def transition_section(table: pd.DataFrame) -> str:
    shown, kinds = transition_display(table)
    explain = (
        "<p class='note'>Years each e-government stage is first reached (1 Information, "
        "2 Interactive, 3 Transactional, 4 Transformational, 5 Broad), years online self-service first "
        "reaches 25/50/75%, the year of fastest growth of online self-service (not evidence of "
        "tipping by itself: every S-curve has one; growth in "
        "percentage points per year), stages skipped (passed without being held), and interaction "
        "models active ahead of the stage the narrow sequence expects (first year).</p>"
    )
    text = ["place", "scenario", TRANSITION_HEADERS["skipped"], TRANSITION_HEADERS["ahead"]]
    return explain + html_table(shown, kinds, text=text)


def sweep_transition_section(table: pd.DataFrame) -> str:
    shown, kinds = transition_display(table[[c for c in table.columns if not c.endswith("_runs")]])
    shown = shown.rename(columns={"out_of_order_share": "runs skipping a stage"})
    explain = (
        "<p class='note'>National transitions: median year across runs (over the runs that reached "
        "it); 'runs skipping a stage' is the share of runs in which a stage was passed without being "
        "held. Models ahead of stage need the profile: see the profile figures.</p>"
    )
    return explain + html_table(shown, {**kinds, "runs skipping a stage": "pct"}, text=["scenario"])


def comparison_section(diffs: pd.DataFrame, reference: str) -> str:
    shown = diffs.copy()
    for c in ("diff", "low", "high", "unpaired_low", "unpaired_high"):
        shown[c] = shown[c].map(lambda v: "–" if pd.isna(v) else f"{v:+.3g}")
    shown["paired 95% CI"] = shown["low"] + " to " + shown["high"]
    shown["unpaired 95% CI"] = shown["unpaired_low"] + " to " + shown["unpaired_high"]
    shown = shown[["scenario", "outcome", "unit", "pairs", "diff", "paired 95% CI", "unpaired 95% CI"]]
    note = (
        f"<p class='note'>Difference to <b>{esc(reference)}</b>: mean over seeds of the paired differences "
        "(run k of each scenario uses the same seed, hence the same population and random draws), with a 95% "
        "percentile bootstrap interval; the unpaired interval resamples each scenario on its own. Intervals "
        "need at least two seeds.</p>"
    )
    return note + html_table(
        shown, text=["scenario", "outcome", "unit", "diff", "paired 95% CI", "unpaired 95% CI"]
    )


def provenance_section(manifests: list[dict], folders: list[Path]) -> str:
    rows = []
    for m, folder in zip(manifests, folders, strict=True):
        rows.append(
            {
                "scenario": m.get("scenario", {}).get("name", ""),
                "seed": m.get("seed", ""),
                "engine": m.get("engine", ""),
                "version": m.get("version", ""),
                "git commit": (m.get("git_commit") or "")[:10],
                "started": (m.get("started") or "")[:19].replace("T", " "),
                "wall s": m.get("wall_seconds", ""),
                "citizen agents": (m.get("agents") or {}).get("Citizen", ""),
                "folder": str(folder),
            }
        )
    frame = pd.DataFrame(rows)
    return html_table(frame, text=frame.columns) + (
        "<p class='note'>Rerun any run exactly with <code>egov run FOLDER/manifest.json</code>.</p>"
    )


def profile_years(profile: pd.DataFrame) -> list[int]:
    """The last year, and the year with most models ahead of stage if that is another."""
    last = int(profile["year"].max())
    years = [last]
    if "ahead_of_stage" in profile:
        ahead = profile.groupby("year")["ahead_of_stage"].sum()
        if ahead.max() > 0 and ahead.get(last, 0) == 0:
            years.insert(0, int(ahead.idxmax()))
    return years


def region_figures(rep: Report, regions: pd.DataFrame, names: list[str]) -> list[str]:
    figs = []
    if regions is None or regions.empty:
        return figs
    last = int(regions["year"].max())
    for name in names:
        table = regions[regions["scenario"] == name]
        figs.append(
            rep.figure(
                f"regions_map_{slug(name)}",
                f"{name}: online self-service by region at the end of {last} (median across seeds).",
                lambda t=table, n=name: plots.region_map_figure(
                    t,
                    "citizen_online_share",
                    last,
                    title=f"{n}: online self-service by region, end of {last}",
                ),
            )
        )
        figs.append(
            rep.figure(
                f"regions_heatmap_{slug(name)}",
                f"{name}: online self-service by region and year, regions sorted by final value.",
                lambda t=table, n=name: plots.region_heatmap_figure(
                    t, "citizen_online_share", title=f"{n}: online self-service by region and year"
                ),
            )
        )
    return figs


def slug(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in str(name)).strip("_").lower()
