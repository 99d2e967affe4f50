"""Transition diagnostics on constructed series whose answers are known by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from sim.analysis import transitions as tr


def monthly(start: int, values, column: str = "citizen_online_share", **more) -> pd.DataFrame:
    """A series with one row per month from January of `start`."""
    n = len(values)
    frame = pd.DataFrame(
        {
            "step": np.arange(1, n + 1),
            "year": start + np.arange(n) // 12,
            "month": np.arange(n) % 12 + 1,
            column: values,
        }
    )
    for name, v in more.items():
        frame[name] = v
    return frame


def stages(start: int, spells: list[tuple[int, int]]) -> pd.DataFrame:
    """`spells` of (stage, months)."""
    return monthly(start, np.repeat([s for s, _ in spells], [m for _, m in spells]), "egov_stage")


def test_stage_entries_and_skips():
    # stage 1 from Jan 2010, 2 from Mar 2011 (month 15), straight to 4 in Jul 2012, never 5
    series = stages(2010, [(1, 14), (2, 16), (4, 18)])
    entries = tr.stage_entries(series)
    assert entries[1] == 2010.0
    assert entries[2] == pytest.approx(2011 + 2 / 12)
    assert entries[3] == entries[4] == pytest.approx(2012.5)
    assert math.isnan(entries[5])
    assert tr.skipped_stages(series) == [3]


def test_stage_started_above_one_is_not_skipped_and_a_fall_back_is_not_a_skip():
    assert tr.skipped_stages(stages(2010, [(2, 6), (3, 6)])) == []
    # 1, 2, back to 1, 2 again, then 3: every stage held when first reached
    series = stages(2010, [(1, 3), (2, 3), (1, 3), (2, 3), (3, 3)])
    assert tr.skipped_stages(series) == []
    assert tr.stage_entries(series)[3] == pytest.approx(2011.0)


def test_stage_reached_before_a_lower_one_is_held_is_skipped():
    # 1 -> 3 -> 2: stage 2 first counts as reached when 3 is entered, without being held
    assert tr.skipped_stages(stages(2010, [(1, 5), (3, 5), (2, 5)])) == [2]


def test_threshold_crossings_on_a_ramp():
    series = monthly(2010, np.arange(120) / 100)  # reaches k/100 in month k
    got = tr.threshold_crossings(series, levels=(0.25, 0.5, 0.75, 1.5))
    assert got[0.25] == pytest.approx(2010 + 25 / 12)
    assert got[0.5] == pytest.approx(2010 + 50 / 12)
    assert got[0.75] == pytest.approx(2010 + 75 / 12)
    assert math.isnan(got[1.5])


def test_fastest_growth_of_a_logistic_is_its_midpoint():
    t = 2005 + np.arange(26 * 12) / 12
    k = 0.8
    series = monthly(2005, 1 / (1 + np.exp(-k * (t - 2015.5))))
    when, rate = tr.fastest_growth(series)
    assert when == pytest.approx(2015.5)
    assert tr.year_of(when) == 2015
    # a centred one-year difference of a logistic: (L(t0 + 1/2) - L(t0 - 1/2)) / 1
    assert rate == pytest.approx(np.tanh(k / 4), rel=1e-6)


def test_fastest_growth_of_a_jump_is_the_jump_and_flat_has_none():
    values = np.where(np.arange(60) >= 26, 0.6, 0.1)  # jumps in March 2012 (month 27)
    when, rate = tr.fastest_growth(monthly(2010, values))
    assert tr.year_of(when) == 2012 and 2012 <= when <= 2012 + 2 / 12
    assert rate == pytest.approx(0.5)
    assert all(math.isnan(x) for x in tr.fastest_growth(monthly(2010, np.full(30, 0.3))))
    assert all(math.isnan(x) for x in tr.fastest_growth(monthly(2010, np.linspace(1, 0, 30))))


def test_models_ahead_from_a_profile():
    profile = pd.DataFrame(
        {
            "year": [2010, 2011, 2012],
            "C2G_ahead": [False, True, True],
            "B2G_ahead": [False, False, False],
            "G2B_ahead": [True, False, False],
        }
    )
    assert tr.models_ahead(profile) == {"G2B": 2010, "C2G": 2011}


def test_transition_table_by_place():
    n = 72  # 2010-2015
    national = monthly(2010, np.arange(n) / 60, egov_stage=np.repeat([1, 2, 3], 24))
    regions = pd.concat(
        [
            monthly(2010, np.arange(n) / 40, egov_stage=np.repeat([1, 3], 36)).assign(region="Fast"),
            monthly(2010, np.arange(n) / 400, egov_stage=1).assign(region="Slow"),
        ]
    )
    profile = pd.DataFrame(
        {
            "year": [2010, 2010, 2010, 2011, 2011, 2011],
            "region": ["Fast", "Slow", "National"] * 2,
            "C2G_ahead": [False, False, False, False, True, False],
        }
    )
    table = tr.transition_table(national, regions, profile).set_index("place")
    assert list(table.index) == ["National", "Fast", "Slow"]
    assert table.loc["National", ["stage_1", "stage_2", "stage_3"]].tolist() == [2010, 2012, 2014]
    assert math.isnan(table.loc["National", "stage_4"])
    # 0.25 at month 15 (2011), 0.5 at month 30 (2012), 0.75 at month 45 (2013)
    assert table.loc["National", ["online_25", "online_50", "online_75"]].tolist() == [2011, 2012, 2013]
    assert table.loc["Fast", ["online_25", "online_50", "online_75"]].tolist() == [2010, 2011, 2012]
    assert table.loc["Slow", ["online_25", "online_50", "online_75"]].isna().all()
    assert not table.loc["National", "out_of_order"]
    assert table.loc["Fast", "skipped"] == "2 Interactive" and table.loc["Fast", "out_of_order"]
    assert table.loc["Slow", "ahead"] == "C2G (2011)" and table.loc["Slow", "out_of_order"]
    assert table.loc["National", "fastest_growth_rate"] == pytest.approx(12 / 60)


def test_sweep_transition_table_takes_medians_across_seeds():
    runs = pd.concat(
        [
            monthly(2010, np.arange(60) / d, egov_stage=1).assign(scenario=s, seed=seed)
            for s, divisors in (("a", (50, 60, 70)), ("b", (20, 20, 500)))
            for seed, d in enumerate(divisors)
        ]
    )
    table = tr.sweep_transition_table(runs).set_index("scenario")
    assert table.loc["a", "runs"] == 3
    # online 0.5 in month 25, 30, 35 -> years 2012, 2012, 2012
    assert table.loc["a", "online_50"] == 2012
    assert table.loc["b", "online_50"] == 2010  # median over the two seeds that got there
    assert table.loc["b", "online_50_runs"] == 2
    assert table.loc["b", "out_of_order_share"] == 0.0


def test_neighbour_jumps_find_the_step_and_ignore_smooth_curves():
    grid = pd.DataFrame(
        {
            "seed": [0] * 4 + [1] * 4,
            "x": [1.0, 1.1, 1.21, 1.331] * 2,
            "y": [0.1, 0.12, 0.8, 0.82, 0.1, 0.2, 0.3, 0.4],
        }
    )
    jumps = tr.neighbour_jumps(grid, "x", "y").set_index("seed")
    assert jumps.loc[0, "jump"] == pytest.approx(0.68) and jumps.loc[0, "from"] == 1.1
    assert jumps.loc[1, "jump"] == pytest.approx(0.1)
    assert jumps["relative_step"].max() == pytest.approx(0.1)


def test_bimodality_separates_two_outcomes_from_one():
    assert tr.bimodality([0.1, 0.1, 0.12, 0.9, 0.9, 0.88]) > tr.BIMODAL
    assert tr.bimodality(np.random.default_rng(0).normal(0.5, 0.05, 50)) < tr.BIMODAL
    assert tr.bimodality([0.3] * 5) == 0.0


def test_persistence_is_the_gap_after_the_end_year():
    base = monthly(2010, np.linspace(0.1, 0.5, 60))
    more = base.copy()
    more["citizen_online_share"] += np.where(more["year"] >= 2012, 0.05, 0.0)
    gap = tr.persistence(more, base, "citizen_online_share", 2012)
    assert list(gap.index) == [2013, 2014] and gap.to_numpy() == pytest.approx([0.05, 0.05])
