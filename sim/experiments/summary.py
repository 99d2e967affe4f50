"""Summaries of a sweep: the distribution of each outcome across seeds, the difference of
each scenario to the reference with bootstrap confidence intervals (paired by seed, and
unpaired for comparison), and Sobol' or Morris sensitivity indices for the sensitivity
designs (SALib).

One tidy table, one row per estimate:

| column | meaning |
|---|---|
| section | distribution, difference, sobol or morris |
| scenario, point | which runs (point is empty where the design's points are pooled) |
| outcome | the outcome's name |
| parameter | the design parameter (sensitivity rows) |
| statistic | median; paired, unpaired (difference to the reference); band, p_beats; S1, ST, S2; mu_star |
| value, low, high | the estimate and its interval |
| interval | what low and high are |
| n | runs (distribution), pairs or design points behind the estimate |

Points: a `none` or `grid` design is summarised per design point; the sampled designs
(lhs, sobol, sobol_sa, morris_sa) and posterior designs pool their points, so the
distribution is the spread over the sampled parameter space and the seeds.

Posterior designs (parameter sets drawn from a calibration's posterior) carry parameter
uncertainty into the comparison: per scenario and outcome, `band` is the mean paired
difference to the reference with the 5th-95th percentile of the paired differences across
posterior draws and seeds, and `p_beats` is the share of those pairs in which the scenario
is better than the reference (the outcome's `better` direction; ties count half).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from sim.experiments.experiment import POOLED, Experiment

COLUMNS = [
    "section",
    "scenario",
    "point",
    "outcome",
    "parameter",
    "statistic",
    "value",
    "low",
    "high",
    "interval",
    "n",
]
CONFIDENCE = 0.95


def bootstrap_mean_difference(
    a: np.ndarray, b: np.ndarray, paired: bool, rng: np.random.Generator, n_boot: int = 2000
) -> tuple[float, float]:
    """Percentile bootstrap interval of mean(a) - mean(b): resampling pairs (a_k, b_k)
    together when paired, each sample on its own otherwise."""
    n = len(a)
    if n < 2:
        return float("nan"), float("nan")
    alpha = (1 - CONFIDENCE) / 2
    if paired:
        d = a - b
        means = d[rng.integers(0, n, (n_boot, n))].mean(axis=1)
    else:
        means = a[rng.integers(0, n, (n_boot, n))].mean(axis=1) - b[
            rng.integers(0, len(b), (n_boot, len(b)))
        ].mean(axis=1)
    lo, hi = np.quantile(means, [alpha, 1 - alpha])
    return float(lo), float(hi)


def summarize_runs(experiment: Experiment, runs: pd.DataFrame, n_boot: int = 2000) -> pd.DataFrame:
    """The summary table of a runs index (see the module docstring)."""
    done = runs[runs["status"] == "done"]
    pooled = experiment.design.kind in POOLED
    posterior = experiment.design.kind == "posterior"
    rows: list[dict] = []
    scenarios = list(experiment.scenarios)
    ref = experiment.reference
    points = [None] if pooled else list(range(len(experiment.points)))
    root = experiment.spec.seed
    for oi, outcome in enumerate(experiment.outcomes):
        name = outcome.name
        for point in points:
            sel = done if point is None else done[done["point"] == point]
            for scenario in scenarios:
                values = sel.loc[sel["scenario"] == scenario, name].dropna().to_numpy()
                if len(values):
                    p5, med, p95 = np.quantile(values, [0.05, 0.5, 0.95])
                    rows.append(
                        dict(
                            section="distribution",
                            scenario=scenario,
                            point=point,
                            outcome=name,
                            statistic="median",
                            value=med,
                            low=p5,
                            high=p95,
                            interval="5th-95th percentile across runs",
                            n=len(values),
                        )
                    )
            wide = sel.pivot_table(index=["point", "replication"], columns="scenario", values=name)
            for si, scenario in enumerate(scenarios):
                if scenario == ref or scenario not in wide or ref not in wide:
                    continue
                pair = wide[[scenario, ref]].dropna()
                a, b = pair[scenario].to_numpy(), pair[ref].to_numpy()
                if len(a) == 0:
                    continue
                rng_seed = [root, oi, si, -1 if point is None else point]
                diff = float(np.mean(a - b))
                if posterior:
                    rows += posterior_rows(scenario, name, outcome.better, a, b, ref)
                for paired in (True, False):
                    rng = np.random.default_rng(np.random.SeedSequence([abs(x) for x in rng_seed]))
                    lo, hi = bootstrap_mean_difference(a, b, paired, rng, n_boot)
                    rows.append(
                        dict(
                            section="difference",
                            scenario=scenario,
                            point=point,
                            outcome=name,
                            statistic="paired" if paired else "unpaired",
                            value=diff,
                            low=lo,
                            high=hi,
                            interval=f"{CONFIDENCE:.0%} bootstrap CI of the mean difference to {ref}"
                            + (" (pairs with the same seed)" if paired else " (seeds not paired)"),
                            n=len(a),
                        )
                    )
    if experiment.design.kind in ("sobol_sa", "morris_sa"):
        rows += sensitivity_rows(experiment, done)
    table = pd.DataFrame(rows, columns=COLUMNS)
    table["point"] = table["point"].astype("Int64")
    table["n"] = table["n"].astype("Int64")
    for col in ("value", "low", "high"):
        table[col] = table[col].astype(float)
    return table


def posterior_rows(
    scenario: str, outcome: str, better: str, a: np.ndarray, b: np.ndarray, ref: str
) -> list[dict]:
    """The difference's band across posterior draws and seeds, and the probability that
    the scenario beats the reference (pairs with the same draw and seed)."""
    d = a - b
    lo, hi = np.quantile(d, [0.05, 0.95])
    gain = d if better == "higher" else -d
    p = float(np.mean(gain > 0) + 0.5 * np.mean(gain == 0))
    base = dict(section="difference", scenario=scenario, point=None, outcome=outcome, n=len(d))
    return [
        dict(
            base,
            statistic="band",
            value=float(np.mean(d)),
            low=float(lo),
            high=float(hi),
            interval=f"5th-95th percentile of the paired differences to {ref} across draws and seeds",
        ),
        dict(
            base,
            statistic="p_beats",
            value=p,
            low=np.nan,
            high=np.nan,
            interval=f"share of draws and seeds in which it is {better} than {ref} (ties count half)",
        ),
    ]


def design_means(experiment: Experiment, done: pd.DataFrame, scenario: str, outcome: str) -> np.ndarray:
    """The outcome at every design point, averaged over replications (NaN where missing)."""
    sel = done[done["scenario"] == scenario]
    means = sel.groupby("point")[outcome].mean()
    return means.reindex(range(len(experiment.points))).to_numpy(dtype=float)


def sensitivity_rows(experiment: Experiment, done: pd.DataFrame) -> list[dict]:
    """Sobol' (S1, ST, S2) or Morris (mu_star, mu, sigma) indices per scenario and outcome,
    from the outcome averaged over replications at each design point."""
    from SALib.analyze import morris, sobol

    design = experiment.design
    problem = experiment.problem()
    names = experiment.parameters
    x = np.array([[p[name] for name in names] for p in experiment.points])
    rows = []
    for si, scenario in enumerate(experiment.scenarios):
        for oi, outcome in enumerate(experiment.outcomes):
            y = design_means(experiment, done, scenario, outcome.name)
            if np.isnan(y).any():
                continue  # needs every point; see incomplete_sensitivity()
            seed = int(np.random.SeedSequence([experiment.spec.seed, si, oi, 7]).generate_state(1)[0])
            base = dict(scenario=scenario, point=None, outcome=outcome.name, n=len(experiment.points))
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                if design.kind == "sobol_sa":
                    res = sobol.analyze(
                        problem,
                        y,
                        calc_second_order=design.second_order,
                        conf_level=CONFIDENCE,
                        seed=seed,
                    )
                    for stat in ("S1", "ST"):
                        for j, name in enumerate(names):
                            v, c = float(res[stat][j]), float(res[f"{stat}_conf"][j])
                            rows.append(
                                dict(
                                    base,
                                    section="sobol",
                                    parameter=name,
                                    statistic=stat,
                                    value=v,
                                    low=v - c,
                                    high=v + c,
                                    interval=f"{CONFIDENCE:.0%} CI (SALib bootstrap)",
                                )
                            )
                    if design.second_order:
                        for j in range(len(names)):
                            for k in range(j + 1, len(names)):
                                v, c = float(res["S2"][j, k]), float(res["S2_conf"][j, k])
                                rows.append(
                                    dict(
                                        base,
                                        section="sobol",
                                        parameter=f"{names[j]} x {names[k]}",
                                        statistic="S2",
                                        value=v,
                                        low=v - c,
                                        high=v + c,
                                        interval=f"{CONFIDENCE:.0%} CI (SALib bootstrap)",
                                    )
                                )
                else:
                    res = morris.analyze(
                        problem, x, y, num_levels=design.levels, conf_level=CONFIDENCE, seed=seed
                    )
                    for j, name in enumerate(names):
                        ms, c = float(res["mu_star"][j]), float(res["mu_star_conf"][j])
                        rows.append(
                            dict(
                                base,
                                section="morris",
                                parameter=name,
                                statistic="mu_star",
                                value=ms,
                                low=ms - c,
                                high=ms + c,
                                interval=f"{CONFIDENCE:.0%} CI (SALib bootstrap)",
                            )
                        )
                        for stat in ("mu", "sigma"):
                            rows.append(
                                dict(
                                    base,
                                    section="morris",
                                    parameter=name,
                                    statistic=stat,
                                    value=float(res[stat][j]),
                                    low=np.nan,
                                    high=np.nan,
                                    interval="",
                                )
                            )
    return rows


def incomplete_sensitivity(experiment: Experiment, runs: pd.DataFrame) -> int:
    """How many design points lack a finished run of some scenario (sensitivity designs)."""
    if experiment.design.kind not in ("sobol_sa", "morris_sa"):
        return 0
    done = runs[runs["status"] == "done"]
    have = done.groupby("scenario")["point"].nunique()
    need = len(experiment.points)
    return int(sum(need - have.get(s, 0) for s in experiment.scenarios))
