"""Reports: one self-contained HTML file per run folder, sweep folder or set of runs.

`report.html` embeds every figure as a base64 PNG and its style inline, loads nothing
from the network (a Content-Security-Policy forbids it), and so can be mailed or opened
offline. Each figure is also written as a PNG beside it (`fig_<name>.png`).

A report holds: the scenario descriptions and policies, the key numbers, every figure
that applies (sim.plots), the transition table (sim.transitions), the comparison to the
reference scenario (paired by seed, with bootstrap intervals), and provenance from the
manifests (version, git commit, seeds, engine, when, how long).
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import sim
from sim import plots
from sim import transitions as tr

REPORT = "report.html"
RUN_TABLES = ("national", "regions", "profile")


class ReportError(Exception):
    """A folder that is not a run or sweep folder, or results that cannot be read."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


# --- reading results -------------------------------------------------------------------


@dataclass
class Run:
    """A finished run folder: its three tables and its manifest."""

    folder: Path
    manifest: dict
    national: pd.DataFrame
    regions: pd.DataFrame
    profile: pd.DataFrame

    @property
    def scenario(self) -> str:
        return self.manifest["scenario"]["name"]

    @property
    def seed(self) -> int:
        return int(self.manifest["seed"])


def is_run_folder(folder: Path) -> bool:
    return (folder / "manifest.json").is_file() and (folder / "national.parquet").is_file()


def is_sweep_folder(folder: Path) -> bool:
    return (folder / "experiment.json").is_file()


def load_run(folder: Path) -> Run:
    folder = Path(folder)
    if not is_run_folder(folder):
        raise ReportError([f"{folder}: not a finished run folder (no manifest.json and national.parquet)"])
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
        tables = {
            name: pd.read_parquet(folder / f"{name}.parquet")
            if (folder / f"{name}.parquet").exists()
            else None
            for name in RUN_TABLES
        }
    except (OSError, ValueError) as e:
        raise ReportError([f"{folder}: cannot read the run: {e}"]) from None
    return Run(folder, manifest, tables["national"], tables["regions"], tables["profile"])


def find_runs(folder: Path) -> list[Path]:
    """Run folders at or below `folder` (a run folder, a scenario folder, a results root)."""
    folder = Path(folder)
    if is_run_folder(folder):
        return [folder]
    return sorted(p.parent for p in folder.rglob("manifest.json") if is_run_folder(p.parent))


def stacked(runs: list[Run], table: str) -> pd.DataFrame:
    """One table over several runs, with `scenario` and `seed` columns in front."""
    frames = []
    for run in runs:
        frame = getattr(run, table)
        if frame is None or frame.empty:
            continue
        frames.append(frame.assign(scenario=run.scenario, seed=run.seed))
    if not frames:
        return pd.DataFrame()
    out = pd.concat(frames, ignore_index=True)
    return out[["scenario", "seed", *[c for c in out.columns if c not in ("scenario", "seed")]]]


# --- outcomes and paired comparison ----------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """A number per run: `column` at the end of the run, or the year it first reaches
    `threshold`. `scale` converts a difference into `unit`."""

    name: str
    column: str
    unit: str
    scale: float = 1.0
    threshold: float | None = None

    def of(self, national: pd.DataFrame) -> float:
        series = national.sort_values(["year", "month"])
        if self.threshold is None:
            return float(series[self.column].iloc[-1])
        t = tr.threshold_crossings(series, self.column, (self.threshold,))[self.threshold]
        return t


OUTCOMES = (
    Outcome("people using e-services themselves, end", "citizen_online_share", "percentage points", 100),
    Outcome("transactions processed electronically, end", "eservice_share", "percentage points", 100),
    Outcome("year online self-service reaches 50%", "citizen_online_share", "years", 1, 0.5),
    Outcome("Gini of online use across regions, end", "online_gini", "Gini points x100", 100),
    Outcome("EGDI-shaped index, end", "egdi", "index points x100", 100),
)


def outcome_table(national: pd.DataFrame, outcomes: Iterable[Outcome] = OUTCOMES) -> pd.DataFrame:
    """Per scenario and seed (tidy national table of several runs), each outcome."""
    rows = []
    for (scenario, seed), series in national.groupby(["scenario", "seed"], sort=False):
        rows += [
            {"scenario": scenario, "seed": seed, "outcome": o.name, "unit": o.unit, "value": o.of(series)}
            for o in outcomes
        ]
    return pd.DataFrame(rows)


def bootstrap_mean_interval(values: np.ndarray, rng: np.random.Generator, n: int = 2000, level=0.95):
    """Percentile bootstrap interval of the mean; NaN with fewer than two values."""
    values = np.asarray(values, dtype=float)
    if values.size < 2:
        return math.nan, math.nan
    means = rng.choice(values, size=(n, values.size), replace=True).mean(axis=1)
    return tuple(float(q) for q in np.quantile(means, [(1 - level) / 2, (1 + level) / 2]))


def paired_differences(
    outcomes: pd.DataFrame, reference: str, outcome_defs: Iterable[Outcome] = OUTCOMES, seed: int = 0
) -> pd.DataFrame:
    """Each scenario's difference to the reference, per outcome: the mean over seeds of
    the paired differences (same seed, so the same population and draws) with a 95%
    bootstrap interval, and the unpaired interval (each arm resampled on its own) for
    comparison. Differences are in the outcome's unit (shares as percentage points)."""
    scale = {o.name: o.scale for o in outcome_defs}
    rng = np.random.default_rng(seed)
    rows = []
    wide = outcomes.pivot_table(index=["outcome", "seed"], columns="scenario", values="value", dropna=False)
    units = outcomes.drop_duplicates("outcome").set_index("outcome")["unit"]
    for outcome in dict.fromkeys(outcomes["outcome"]):
        table = wide.loc[outcome] * scale.get(outcome, 1.0)
        for scenario in dict.fromkeys(outcomes["scenario"]):
            if scenario == reference or reference not in table:
                continue
            pairs = (table[scenario] - table[reference]).dropna().to_numpy()
            a, b = table[scenario].dropna().to_numpy(), table[reference].dropna().to_numpy()
            low, high = bootstrap_mean_interval(pairs, rng)
            if a.size >= 2 and b.size >= 2:
                diffs = rng.choice(a, (2000, a.size)).mean(axis=1) - rng.choice(b, (2000, b.size)).mean(
                    axis=1
                )
                u_low, u_high = (float(q) for q in np.quantile(diffs, [0.025, 0.975]))
            else:
                u_low = u_high = math.nan
            rows.append(
                {
                    "scenario": scenario,
                    "outcome": outcome,
                    "unit": units[outcome],
                    "pairs": int(pairs.size),
                    "diff": float(pairs.mean()) if pairs.size else math.nan,
                    "low": low,
                    "high": high,
                    "unpaired_low": u_low,
                    "unpaired_high": u_high,
                }
            )
    return pd.DataFrame(
        rows,
        columns=[
            "scenario",
            "outcome",
            "unit",
            "pairs",
            "diff",
            "low",
            "high",
            "unpaired_low",
            "unpaired_high",
        ],
    )


# --- HTML ------------------------------------------------------------------------------

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       margin: 0 auto; max-width: 1180px; padding: 1.5rem 2rem 4rem; color: #1a1a1a; line-height: 1.45; }
h1 { font-size: 1.7rem; margin-bottom: .2rem; } h2 { margin-top: 2.4rem; border-bottom: 1px solid #ddd; }
.sub { color: #555; margin-top: 0; }
table { border-collapse: collapse; margin: .8rem 0; font-size: .88rem; }
th, td { border-bottom: 1px solid #e3e3e3; padding: .25rem .6rem; text-align: right; vertical-align: top; }
th { background: #f4f4f4; } td:first-child, th:first-child { text-align: left; }
td.text { text-align: left; }
figure { margin: 1.6rem 0; } figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #444; font-size: .9rem; margin-top: .3rem; }
nav a { margin-right: .9rem; } .note { color: #555; font-size: .9rem; }
details { margin: .4rem 0 1rem; } code { background: #f4f4f4; padding: 0 .2rem; }
.scroll { overflow-x: auto; }
"""
# Nothing may be fetched: images are data: URIs, style is inline.
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


@dataclass
class FigureBlock:
    name: str
    caption: str
    png: bytes


@dataclass
class Report:
    title: str
    subtitle: str
    sections: list[tuple[str, str, str]] = field(default_factory=list)  # (anchor, heading, html)
    figures: list[FigureBlock] = field(default_factory=list)

    def add(self, anchor: str, heading: str, body: str) -> None:
        self.sections.append((anchor, heading, body))

    def figure(self, name: str, caption: str, draw: Callable[[], plt.Figure]) -> str:
        """Draw a figure, keep its PNG, and return its HTML."""
        fig = draw()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=110)
        plt.close(fig)
        block = FigureBlock(name, caption, buffer.getvalue())
        self.figures.append(block)
        data = base64.b64encode(block.png).decode("ascii")
        return (
            f'<figure id="fig-{esc(name)}"><img alt="{esc(caption)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{esc(caption)} <span class='note'>(fig_{esc(name)}.png)</span></figcaption>"
            "</figure>"
        )

    def html(self) -> str:
        nav = " ".join(f'<a href="#{esc(a)}">{esc(h)}</a>' for a, h, _ in self.sections)
        body = "\n".join(
            f'<section id="{esc(a)}"><h2>{esc(h)}</h2>\n{b}\n</section>' for a, h, b in self.sections
        )
        return (
            "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{esc(self.title)}</title><style>{CSS}</style></head><body>\n"
            f"<h1>{esc(self.title)}</h1><p class='sub'>{esc(self.subtitle)}</p><nav>{nav}</nav>\n{body}\n"
            f"<p class='note'>Written by egov-sim {esc(sim.__version__)} on "
            f"{datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}.</p></body></html>\n"
        )

    def write(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        for block in self.figures:
            atomic_bytes(folder / f"fig_{block.name}.png", block.png)
        path = folder / REPORT
        atomic_bytes(path, self.html().encode("utf-8"))
        return path


def atomic_bytes(path: Path, data: bytes) -> None:
    """Write under a temporary name, then rename: no half-written file under `path`
    (as sim.results does for run folders)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def esc(text) -> str:
    return html.escape(str(text), quote=True)


def fmt(value, kind: str = "num") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "&ndash;"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if kind == "pct":
        return f"{value:.1%}"
    if kind == "year":
        return f"{int(value)}"
    if isinstance(value, (int, np.integer)):
        return f"{value}"
    if isinstance(value, (float, np.floating)):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return esc(value)


def html_table(frame: pd.DataFrame, kinds: dict[str, str] | None = None, text: Iterable[str] = ()) -> str:
    kinds, text = kinds or {}, set(text)
    head = "".join(f"<th>{esc(c)}</th>" for c in frame.columns)
    rows = []
    for _, row in frame.iterrows():
        cells = []
        for c in frame.columns:
            value = row[c]
            css = " class='text'" if c in text else ""
            cells.append(f"<td{css}>{esc(value) if c in text else fmt(value, kinds.get(c, 'num'))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    body = "".join(rows)
    return f"<div class='scroll'><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"


# --- report sections -------------------------------------------------------------------


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


# --- the reports -------------------------------------------------------------------------


def profile_years(profile: pd.DataFrame) -> list[int]:
    """The last year, and the year with most models ahead of stage if that is another."""
    last = int(profile["year"].max())
    years = [last]
    if "ahead_of_stage" in profile:
        ahead = profile.groupby("year")["ahead_of_stage"].sum()
        if ahead.max() > 0 and ahead.get(last, 0) == 0:
            years.insert(0, int(ahead.idxmax()))
    return years


def run_report(folder: Path, out: Path | None = None) -> Path:
    """report.html for one run folder (written into it unless `out` is given)."""
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
    rep.add("figures", "Figures", "\n".join(figs))
    rep.add(
        "transitions", "Transitions", transition_section(tr.transition_table(run.national, regions, profile))
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


def report(folder: Path, out: Path | None = None) -> Path:
    """The report for a run folder, a sweep folder, or any folder holding run folders."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ReportError([f"{folder}: no such folder"])
    if is_run_folder(folder):
        return run_report(folder, out)
    if is_sweep_folder(folder):
        return sweep_report(folder, out)
    runs = find_runs(folder)
    if not runs:
        raise ReportError(
            [
                f"{folder}: neither a run folder (manifest.json) nor a sweep folder (experiment.json),"
                " and no runs below"
            ]
        )
    return runs_report(runs, Path(out) if out else folder, title=f"Runs in {folder}")


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


# --- sweeps ----------------------------------------------------------------------------
#
# A sweep folder (sim.sweep) holds experiment.json (the resolved experiment), runs/ (one
# Parquet file per finished run: the national table with run_id, scenario, point,
# replication and seed columns), runs.parquet (the runs index, one column per outcome)
# and, after `egov summarize`, summary.parquet. Sweeps store national tables only, so
# the regional figures and the profile come from rerunning one replication of the
# reference scenario (same parameters and seed, hence the same results).


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
    from sim.experiment import ExperimentError
    from sim.sweeps import open_results

    try:
        return open_results(folder)
    except (ExperimentError, OSError, ValueError, KeyError) as e:
        raise ReportError(getattr(e, "problems", [f"{folder}: cannot read the sweep: {e}"])) from None


def sweep_summary(result) -> pd.DataFrame:
    """`egov summarize`'s table (sim.summary): distributions, paired and unpaired
    differences to the reference, sensitivity indices."""
    from sim.summary import summarize_runs

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
    outcome and parameter, for one scenario, in the shape sim.plots.sensitivity_figure takes."""
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
    from sim.model import EGovModel

    model = EGovModel(params, seed=seed).run()
    manifest = {"scenario": params.model_dump(mode="json"), "seed": seed}
    return Run(Path("."), manifest, model.national_frame(), model.region_frame(), model.profile_frame())


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
    if not diffs.empty:
        rep.add("comparison", "Comparison to the reference", comparison_section(diffs, ref))
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
