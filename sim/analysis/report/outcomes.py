"""Outcomes of runs and their paired comparison to a reference scenario (paired by seed,
with bootstrap intervals)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.analysis import transitions as tr


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
