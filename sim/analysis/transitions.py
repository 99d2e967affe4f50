"""Transition diagnostics: when each e-government stage is entered, when online use
crosses 25/50/75%, the year of fastest growth, and whether stages
were entered out of order.

Every function takes tidy series (columns `year`, `month` and the indicator, one row per
step, in time order) and returns plain numbers, so they can be checked on constructed
series with known answers. Times are decimal years: month m of year y is y + (m - 1)/12.

"Out of order" has two readings, both reported:
- a stage *skipped*: the series jumped past it (for example from 1 Information straight to
  3 Transactional in one step, so the conditions of stage 3 were met no later than those
  of stage 2), or reached a higher stage before ever holding a lower one;
- an interaction model *ahead*: a model active before the stage the narrow sequence
  expects (C2G participation before the transactional stage, say), read from the
  Stage-Model-Openness profile (`{model}_ahead`).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim.model.framework import EGOV_STAGES, MODELS

STAGES = tuple(s for s in EGOV_STAGES if s > 0)
ONLINE_LEVELS = (0.25, 0.5, 0.75)
NATIONAL = "National"


def decimal_time(frame: pd.DataFrame) -> np.ndarray:
    """Decimal years of each row: month m of year y is y + (m - 1)/12."""
    return (frame["year"].to_numpy(dtype=float) + (frame["month"].to_numpy(dtype=float) - 1) / 12).round(6)


def first_time(times: np.ndarray, condition: np.ndarray) -> float:
    """The first time at which `condition` holds, NaN if it never does."""
    hits = np.flatnonzero(condition)
    return float(times[hits[0]]) if hits.size else math.nan


def stage_entries(frame: pd.DataFrame, column: str = "egov_stage") -> dict[int, float]:
    """For each stage 1-5, the first time the stage is at least that high (NaN if never).
    A stage already held at the start of the series is entered at the first time."""
    times, stage = decimal_time(frame), frame[column].to_numpy()
    return {s: first_time(times, stage >= s) for s in STAGES}


def skipped_stages(frame: pd.DataFrame, column: str = "egov_stage") -> list[int]:
    """Stages passed without being held when first reached: the series jumped over them.
    Stages at or below the starting stage are not counted (they came before the series)."""
    stage = frame[column].to_numpy()
    if stage.size == 0:
        return []
    skipped = []
    for s in STAGES:
        if s <= stage[0]:
            continue
        hits = np.flatnonzero(stage >= s)
        if hits.size and stage[hits[0]] != s:
            skipped.append(s)
    return skipped


def threshold_crossings(
    frame: pd.DataFrame, column: str = "citizen_online_share", levels=ONLINE_LEVELS
) -> dict[float, float]:
    """For each level, the first time the indicator reaches it (NaN if never)."""
    times, values = decimal_time(frame), frame[column].to_numpy(dtype=float)
    return {level: first_time(times, values >= level) for level in levels}


def fastest_growth(frame: pd.DataFrame, column: str = "citizen_online_share") -> tuple[float, float]:
    """The time of fastest growth and that growth rate (units per year). Every S-curve has
    one, so it is not evidence of a tipping point: see `neighbour_jumps`, `bimodality`
    and `persistence` for that. Growth at a step is the centred difference over one
    year (half a year either side), which ignores month-to-month noise; where several
    steps tie at the maximum (a one-step jump), the middle of the first such run. NaN
    for a series of fewer than three steps or one that never grows."""
    times, values = decimal_time(frame), frame[column].to_numpy(dtype=float)
    if times.size < 3:
        return math.nan, math.nan
    steps_per_year = max(1, round(1 / np.median(np.diff(times)))) if times.size > 1 else 12
    h = max(1, steps_per_year // 2)
    if times.size <= 2 * h:
        h = (times.size - 1) // 2
    rate = (values[2 * h :] - values[: -2 * h]) / (times[2 * h :] - times[: -2 * h])
    if not np.any(rate > 0):
        return math.nan, math.nan
    # the first run of steps at the maximum; its middle (a one-step jump is seen by every
    # window that straddles it, and the middle window is centred on the jump)
    top = np.isclose(rate, rate.max(), rtol=1e-9, atol=1e-12)
    first = int(np.argmax(top))
    last = first + (int(np.argmin(top[first:])) if not top[first:].all() else len(top) - first) - 1
    i = (first + last) // 2
    return float(times[i + h]), float(rate[i])


def models_ahead(profile: pd.DataFrame) -> dict[str, int]:
    """Per interaction model, the first year it was active ahead of the stage the narrow
    sequence expects (models never ahead are left out). `profile` is one place's rows."""
    out = {}
    for name in MODELS:
        column = f"{name}_ahead"
        if column in profile and profile[column].any():
            out[name] = int(profile.loc[profile[column].astype(bool), "year"].min())
    return out


def year_of(t: float) -> float:
    """The calendar year of a decimal time (NaN stays NaN)."""
    return math.nan if math.isnan(t) else float(math.floor(t + 1e-9))


def diagnose(series: pd.DataFrame, profile: pd.DataFrame | None = None) -> dict:
    """One place's transition diagnostics as a flat row (years are calendar years)."""
    row: dict = {}
    for s, t in stage_entries(series).items():
        row[f"stage_{s}"] = year_of(t)
    for level, t in threshold_crossings(series).items():
        row[f"online_{round(level * 100)}"] = year_of(t)
    t, rate = fastest_growth(series)
    row["fastest_growth_year"] = year_of(t)
    row["fastest_growth_rate"] = rate
    skipped = skipped_stages(series)
    ahead = models_ahead(profile) if profile is not None else {}
    row["skipped"] = ", ".join(f"{s} {EGOV_STAGES[s]}" for s in skipped)
    row["ahead"] = ", ".join(f"{m} ({y})" for m, y in ahead.items())
    row["out_of_order"] = bool(skipped or ahead)
    return row


COLUMNS = [
    "place",
    *(f"stage_{s}" for s in STAGES),
    *(f"online_{round(level * 100)}" for level in ONLINE_LEVELS),
    "fastest_growth_year",
    "fastest_growth_rate",
    "skipped",
    "ahead",
    "out_of_order",
]


def transition_table(
    national: pd.DataFrame, regions: pd.DataFrame | None = None, profile: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One row for the nation and one per region: stage entry years, the years online
    self-service reaches 25/50/75%, the year of fastest growth, and stages entered out of order."""

    def place_profile(name):
        if profile is None or profile.empty:
            return None
        return profile[profile["region"] == name]

    rows = [{"place": NATIONAL, **diagnose(national, place_profile(NATIONAL))}]
    if regions is not None and not regions.empty:
        for name, series in regions.groupby("region", sort=False):
            rows.append({"place": name, **diagnose(series.sort_values("step"), place_profile(name))})
    return pd.DataFrame(rows, columns=COLUMNS)


def sweep_transition_table(runs: pd.DataFrame) -> pd.DataFrame:
    """National transitions per scenario across runs: the median of each year column
    (over the runs where it happened), how many runs reached it, and the share of runs
    with stages skipped. `runs` is the tidy national table of a sweep (columns
    `scenario`, `seed` or `run_id`, `year`, `month`, indicators)."""
    per_run = []
    run_key = "run_id" if "run_id" in runs else "seed"  # a sweep's design points share seeds
    for (scenario, _), series in runs.groupby(["scenario", run_key], sort=False):
        per_run.append({"scenario": scenario, **diagnose(series.sort_values(["year", "month"]))})
    table = pd.DataFrame(per_run)
    year_columns = [c for c in COLUMNS if c.startswith(("stage_", "online_")) or c == "fastest_growth_year"]
    rows = []
    for scenario, group in table.groupby("scenario", sort=False):
        row = {"scenario": scenario, "runs": len(group)}
        for c in year_columns:
            reached = group[c].dropna()
            row[c] = float(reached.median()) if len(reached) else math.nan
            row[f"{c}_runs"] = len(reached)
        row["fastest_growth_rate"] = float(group["fastest_growth_rate"].median())
        row["out_of_order_share"] = float(group["out_of_order"].mean())
        rows.append(row)
    return pd.DataFrame(rows)


# --- tipping and persistence from the model's dynamics ----------------------------------
def neighbour_jumps(grid: pd.DataFrame, parameter: str, outcome: str, by: str = "seed") -> pd.DataFrame:
    """Tipping as a jump across neighbouring parameter values: for each `by` group (a
    seed), the largest change of `outcome` between two neighbouring values of
    `parameter`, with the relative change of the parameter that caused it. A smooth
    response gives small jumps for small steps; a tipping point gives a large one."""
    rows = []
    for key, group in grid.groupby(by):
        g = group.sort_values(parameter)
        x, y = g[parameter].to_numpy(float), g[outcome].to_numpy(float)
        if len(x) < 2:
            continue
        steps = np.diff(y)
        i = int(np.argmax(np.abs(steps)))
        rows.append(
            {
                by: key,
                "from": x[i],
                "to": x[i + 1],
                "relative_step": x[i + 1] / x[i] - 1 if x[i] else np.inf,
                "jump": float(steps[i]),
            }
        )
    return pd.DataFrame(rows)


def bimodality(values) -> float:
    """Sarle's bimodality coefficient of outcomes across seeds: above 5/9 (the value of a
    uniform distribution) suggests two outcomes - the same policy tipping in some runs
    and not in others. Needs at least 4 values; constant values give 0."""
    from scipy import stats

    v = np.asarray(values, dtype=float)
    n = v.size
    if n < 4 or np.ptp(v) == 0:
        return 0.0
    # the population form (no small-sample correction, which swamps a handful of seeds):
    # 1 for two equal spikes, 1/3 for a normal distribution
    return float((stats.skew(v) ** 2 + 1) / (stats.kurtosis(v) + 3))


BIMODAL = 5 / 9


def persistence(with_: pd.DataFrame, without: pd.DataFrame, column: str, end_year: int) -> pd.Series:
    """The gap an intervention leaves after it ends: year-end `column` of the run with it
    minus the paired run without it (same seed), for every year after `end_year`."""
    a = with_[with_["month"] == 12].set_index("year")[column]
    b = without[without["month"] == 12].set_index("year")[column]
    gap = (a - b).dropna()
    return gap[gap.index > end_year]
