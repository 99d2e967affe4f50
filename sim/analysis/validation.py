"""The validation report (docs/validation.md, written by `egov validation`): the
calibrated baseline's posterior predictive against every target, the parameters'
posterior spread, the projection to 2030 with bands, the source paper's qualitative
findings, and every target missed with its reason."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from sim.experiments import calibration as cal
from sim.experiments.experiment import read_posterior
from sim.model.params import Params

PROJECTED = [
    ("internet_use_share", "internet use (share of people)"),
    ("egov_users_12m_share", "e-government users, last 12 months (individuals)"),
    ("egov_households_12m_share", "households using e-government, last 12 months"),
    ("citizen_online_share", "self-service (last channel online)"),
    ("eservice_share", "transactions electronic (online + PSC)"),
    ("business_adoption", "business adoption"),
    ("online_gini", "regional Gini of online use"),
]

SEEDS_SENTENCE = {
    False: "Every particle is run with the same seeds (common random numbers) and its statistics "
    "are averaged over them, so the posterior is conditional on those seeds' luck.",
    True: "Every particle is run with fresh seeds (as many as the calibration's seeds, drawn from "
    "its particle chain's seeded generator, so the calibration stays reproducible) and its "
    "statistics are averaged over them: the posterior accounts for the model's own randomness, "
    "as ABC's acceptance assumes, instead of being conditional on two seeds' luck.",
}

METHOD = """\
**Method.** `egov calibrate` estimates the parameters by ABC-SMC (approximate Bayesian
computation with sequential Monte Carlo; Toni et al. 2009, Beaumont et al. 2009) as
implemented by pyabc (Schälte et al. 2022). Why ABC-SMC: the model is a stochastic
simulator without a likelihood; ABC needs only simulations, gives a weighted posterior
sample (not just a point), keeps the parameter schema's bounds as uniform priors, and
pyabc stores every generation in a sqlite History so that a killed run resumes from its
last complete generation. Neural simulation-based inference (sbi) would need thousands of
simulations to train a density estimator, more than a 2-core machine affords at this
model's cost; history matching gives a non-implausible region rather than a posterior;
Optuna gives a point estimate and would need a separate posterior step. {seeds_sentence}
The distance is sqrt(sum(((simulated - observed) / sigma)^2)) over the fitted
targets, and each generation's epsilon is the median distance of the previous one.
Particles are evaluated on the project's executors (process pool or Dask) through a pyabc
`Sampler` subclass (`sim.experiments.calibration.executor_sampler`), which seeds each
particle chain from the first calibration seed and the generation and keeps the chains in
order, so a calibration is reproducible from its seeds on any executor (tested).

**Kernel and effective sample size.** New particles are proposed from a normal kernel with
twice the previous generation's weighted covariance (Beaumont et al. 2009), not pyabc's
default (Silverman's bandwidth, about half the covariance here). The previous shipped
posterior was made with the default (96 particles x 14 generations, epsilon 6.2), and its
weight collapsed onto a few particles: an effective sample size of 2.4 of 96, one particle
carrying 61% of the weight, so its intervals showed where the weight collapsed more than
what the targets pin down. The cause is the kernel, not the project's sampler: on the
shipped targets (48 particles, scale 20,000, five generations;
`scripts/calibration_kernels.py`) the effective sample size fell to 4.2 with the default
kernel, to 2.4 with pyabc's own `MulticoreEvalParallelSampler`, and to 1.9 with a narrower
kernel (pyabc `scaling` 0.3); the particles that carried the weight lay far out along
directions the targets hardly pin down (Mahalanobis distance 5-6 from the previous
generation, median 3), where the narrow proposal has little density. With Beaumont's
kernel, 192 particles kept 150, 138 and 135 in generations 1-3 (outputs:
benchmarks/results/kernel_ess/). The previous shipped posterior was that kernel's too
(128 particles x 16 generations, seeds 1 and 2 for every particle, 6,000 people per agent,
the signature barrier off, so that portal accounts were not modelled).

**The shipped posterior** (`results/calib20`) adds a dated easing of the signature
barrier to the baseline: from 2016 a share of the services to be signed can be signed
with a one-time SMS code (ministerial Orders No. 10 and No. 58 of January 2016;
docs/model.md 5.6), and that share, the reach of the `remote_signing` policy
(`policies.13.intensity`), is a thirteenth parameter. The posterior before it
(`results/calib19`, 12 parameters) met 20 of the 22 targets in this report and missed two
that pull against each other: the accounts of May 2012 (330,000 against 154,120) and the
households of 2018 (0.25 against 0.346) both rise with the online intercept and the key
uptake (paired runs, tested), so without an easing after 2012 one was met only at the
other's cost. The easing leaves the accounts of 2012 as they are and raises use in 2018
(paired runs, tested). Both are calibrated with the signature barrier on (docs/model.md
5.6), so that `portal_users_2012` compares the accounts registered by May 2012 with the
model's key holders then, with fresh seeds for every particle, and at 3,000 people per
agent, the validation's scale. Both choices come from paired runs: with the same two
seeds for all particles, Karaganda 2020 at the same parameters was 0.47 with seeds 1 and
2 and 0.30 with seeds 11 and 12, so the posterior fitted two seeds' luck; at 6,000 people
per agent, internet use 2010-2012 ran about 0.03 below the figures at 3,000 and 1,500,
which agree with each other. 128 particles x 10 generations (stopped after 10 of the 16
planned, for time; epsilon still fell by about 0.35 a generation), epsilon from 23.1 to
6.97, an effective sample size between 50 and 89 in generations 1-9 and 65.9 of 128 at
the end; 19,912 parameter sets (39,824 simulations) in 80.0 min on two process workers
(docs/performance.md). In this report (64 draws, each with its own seeds) it meets all 22
targets; the closest are households 2018 (0.284 against 0.346 - 0.08) and internet use
2012 (0.546 against 0.619 - 0.08). The reach of the codes is not identified (90% interval
0.12-0.49 of the prior's 0.001-0.5): the targets call for an easing, the interval starting
well above 0, but do not say how far it reached. This posterior identifies three of the 13 parameters
(`online_intercept`, `access_imitation`, `platform_per_budget`); the one before identified
five of 12, `eservices_per_contact` and `registration_uptake` among them.
tests/test_calibration.py checks the kernel's effect on a toy problem with two
identified and six unidentified directions.

**Checks.** tests/test_calibration.py recovers known parameters of a small synthetic world
(after killing and resuming the calibration) and checks, at the calibration's reduced
scale, the targets that the shipped posterior's predictive median (16 draws, each with
two fresh seeds, at 3,000 people per agent) meets there; this report is the full check.
tests/test_dynamics.py runs the counterfactual claims (Table 3 stage years, coexisting
agency stages, fragmented exchange in 2023, B2G/C2G ahead of stage, the three-year
mandate's lasting gap, tipping) on the calibrated baseline."""


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def qualitative(tables: pd.DataFrame) -> list[tuple[str, str, bool, str]]:
    """The source paper's findings checked on the posterior predictive runs (December
    tables with draw and seed): (finding, test, reproduced, evidence)."""
    th = Params().thresholds
    runs = [g.set_index("year") for _, g in tables.groupby(["draw", "seed"])]
    out = []
    years = [y for y in range(2012, 2024) if all(y in r.index for r in runs)]
    coexist = [
        all((r.loc[y, [f"agencies_stage{s}" for s in (1, 2, 3)]] > 0).sum() >= 2 for y in years) for r in runs
    ]
    out.append(
        (
            "Stages coexist: agencies at different maturity stages at once",
            "at least two of the three agency stages present every year 2012-2023",
            float(np.mean(coexist)) >= 0.5,
            f"{np.mean(coexist):.0%} of runs",
        )
    )
    if all(2023 in r.index for r in runs):
        links = np.array([r.loc[2023, "data_links_joined"] for r in runs])
        out.append(
            (
                "Fragmented data exchange",
                "data_links_joined < 0.8 in 2023 (median)",
                bool(np.median(links) < 0.8),
                f"median {np.median(links):.2f} (90% band {np.quantile(links, 0.05):.2f}-"
                f"{np.quantile(links, 0.95):.2f})",
            )
        )
    ahead = []
    for r in runs:
        active = (r["b2g_strength"] >= th.model_active) & (r["c2g_strength"] >= th.model_active)
        fragmented = r["data_links_joined"] < th.broad_integration
        ahead.append(int((active & fragmented & (r["egov_stage"] < 5)).sum()))
    out.append(
        (
            "B2G and C2G ahead of the stage",
            "years with B2G and C2G active while the exchange is fragmented and stage < 5 (median >= 3)",
            bool(np.median(ahead) >= 3),
            f"median {np.median(ahead):.0f} years (range {min(ahead)}-{max(ahead)})",
        )
    )
    if all(2020 in r.index for r in runs):
        gini = np.array([r.loc[2020, "online_gini"] for r in runs])
        ratio = np.array([r.loc[2020, "online_max_min"] for r in runs])
        # undefined (nan) where a region had nobody online: the widest disparity, not none
        empty = int(np.isnan(ratio).sum())
        ratio = np.where(np.isnan(ratio), np.inf, ratio)
        out.append(
            (
                "Regional disparity",
                "regional Gini of online use > 0.02 and max/min ratio > 1.2 in 2020",
                bool(np.median(gini) > 0.02 and np.median(ratio) > 1.2),
                f"Gini median {np.median(gini):.3f}, max/min median {np.median(ratio):.2f}"
                + (
                    f" (in {empty} of {len(runs)} runs a region had nobody online: ratio infinite)"
                    if empty
                    else ""
                ),
            )
        )
    return out


def why_missed(row, target: cal.Target) -> str:
    if target.note:
        return target.note
    direction = "above" if row.error > 0 else "below"
    return (
        f"the model is {direction} the record by {abs(row.error):.3g}; the calibrated parameters "
        "cannot bring it within tolerance without moving the other targets further"
    )


def validation_report(
    calibration: Path,
    targets: cal.Targets,
    *,
    scale: float,
    seeds: list[int],
    draws: int,
    end_year: int,
    fresh_seeds: bool = True,
    executor,
    command: str,
    console=None,
) -> str:
    """Run the posterior predictive to `end_year` and write the report's Markdown."""
    # a calibration folder, or a posterior file (the shipped one: sim/data/kazakhstan/
    # calibration_posterior.parquet, with calibration_setup.json beside it)
    posterior_file = calibration if calibration.is_file() else calibration / "posterior.parquet"
    if not posterior_file.is_file():
        raise cal.CalibrationError([f"{posterior_file}: no posterior; run egov calibrate first"])
    posterior, problem = read_posterior(posterior_file)
    if problem:
        raise cal.CalibrationError([problem])
    missing = [name for name in targets.priors if name not in posterior.columns]
    if missing:
        raise cal.CalibrationError(
            [
                f"{posterior_file}: no column for {', '.join(missing)}, which {targets.path} "
                "calibrates: the posterior was made with other targets; run egov calibrate with these"
            ]
        )
    setup_file = next(
        (
            f
            for f in (posterior_file.parent / n for n in ("setup.json", "calibration_setup.json"))
            if f.is_file()
        ),
        None,
    )
    setup = json.loads(setup_file.read_text()) if setup_file else {}
    points = cal.draw(posterior, draws, seed=seeds[0])
    stats, tables = cal.posterior_predictive(
        targets,
        points,
        seeds,
        scale=scale,
        end_year=end_year,
        executor=executor,
        progress=(lambda d, n: console.print(f"\r{d}/{n} runs", end="")) if console else None,
        fresh=fresh_seeds,
    )
    if console:
        console.print()
    fit = cal.fit_table(targets, stats)
    summary = cal.posterior_summary(posterior, targets.priors)
    by_name = {t.name: t for t in targets.targets}

    parts = [
        "# Validation report",
        "",
        "*Generated by `egov validation`; do not edit by hand. It supersedes the figures of "
        "docs/model.md section 8, which predate the part-2 model changes.*",
        "",
        f"- command: `{command}`",
        f"- date: {cal.now_utc()}",
        f"- calibration: `{calibration}` ({setup.get('population', '?')} particles x "
        f"{setup.get('generations', '?')} generations at scale {setup.get('scale', '?')}, "
        f"{'fresh seeds like' if setup.get('fresh_seeds') else 'seeds'} "
        f"{setup.get('seeds', '?')}); posterior of {len(posterior)} weighted particles",
        f"- posterior predictive here: {draws} posterior draws x "
        + (
            f"{len(seeds)} seeds each (draw i: seeds {seeds} + {cal.SEED_STRIDE:,} i)"
            if fresh_seeds
            else f"seeds {seeds}"
        )
        + f" at scale {scale:g} "
        f"people per agent, {targets.scenario} to {end_year}",
        f"- targets: `{Path(targets.path).name}` ({len(targets.targets)} targets, "
        f"{len(targets.fitted)} in the distance)",
        "",
        METHOD.format(seeds_sentence=SEEDS_SENTENCE[bool(setup.get("fresh_seeds"))]),
        "",
        "## 1. Fit to every target",
        "",
        "Median and 90% band of the posterior predictive (draws x seeds). *met*: |median - observed| "
        "within the tolerance (2 sigma unless stated); *fitted*: the target is in the ABC distance.",
        "",
        cal.fit_markdown(fit),
    ]
    internet = fit[fit["group"] == "internet"]
    if len(internet):
        rmse = float(np.sqrt(np.mean((internet["median"] - internet["observed"]) ** 2)))
        parts += [
            f"Internet use 2005-2014: RMSE of the median {rmse:.3f} (hand-set baseline before word "
            "of mouth in access: 0.082, with the wrong shape; first calibration without it: 0.098).",
            "",
        ]
    parts += [
        "## 2. Parameters and their posterior spread",
        "",
        "The calibrated values (posterior medians) are written into "
        "`sim/data/scenarios/kazakhstan_baseline.yaml` (its `coefficients`, and the calibrated "
        "fields of its events and policies), which is the default `Params()`; the hand-set "
        "defaults of `Coefficients` (docs/model.md section 6) apply to every other coefficient. "
        "The posterior sample ships as "
        "`sim/data/kazakhstan/calibration_posterior.parquet` for posterior designs "
        "(docs/experiments.md).",
        "",
        "Uniform priors inside the parameter schema's bounds. *Identified*: the 90% posterior "
        "interval covers less than 60% of the prior range, i.e. the targets narrowed it.",
        "",
        cal.summary_markdown(summary),
        cal.spread_caveat(posterior),
        "",
        "## 3. Projection to " + str(end_year),
        "",
        "Status quo (the baseline's policies continued), median and 90% band across posterior "
        "draws and seeds, December.",
        "",
    ]
    proj = cal.projection_table(tables, [p for p, _ in PROJECTED if p in tables.columns])
    show_years = [y for y in (2010, 2015, 2020, 2025, end_year) if y in set(proj["year"])]
    rows = []
    for ind, label in PROJECTED:
        sel = proj[(proj["indicator"] == ind) & proj["year"].isin(show_years)].set_index("year")
        if sel.empty:
            continue
        rows.append(
            [label]
            + [
                f"{sel.loc[y, 'median']:.2f} ({sel.loc[y, 'low']:.2f}-{sel.loc[y, 'high']:.2f})"
                for y in show_years
            ]
        )
    parts += [_table(["indicator", *map(str, show_years)], rows), ""]
    parts += ["## 4. The source paper's qualitative findings", ""]
    qrows = [[f, test, "yes" if ok else "**no**", ev] for f, test, ok, ev in qualitative(tables)]
    regional = fit[fit["region"] != ""].set_index("region")
    if {"Karaganda", "Almaty"} <= set(regional.index):
        k, a = regional.loc["Karaganda"], regional.loc["Almaty"]
        qrows.append(
            [
                "Regional ranking in the household survey",
                "Karaganda ahead of Almaty in households using e-government, 2020 (0.507 vs 0.447)",
                "yes" if k["median"] > a["median"] else "**no**",
                f"model medians Karaganda {k['median']:.3f}, Almaty {a['median']:.3f}",
            ]
        )
    parts += [_table(["finding", "test", "reproduced", "evidence"], qrows), ""]
    parts += [
        "## 5. Targets missed, and why",
        "",
        "A target is missed when the posterior predictive median lies outside its tolerance. "
        "Targets not in the fit are kept in the report because their definitions differ from "
        "the model's quantity or because the calibrated parameters do not move them.",
        "",
    ]
    missed = fit[~fit["met"]]
    if missed.empty:
        parts.append("Every target is met within its tolerance.")
    explained: dict[str, str] = {}
    for r in missed.itertuples():
        t = by_name[r.target]
        reason = why_missed(r, t)
        if t.note and t.group in explained:
            reason = f"as {explained[t.group]}"
        explained.setdefault(t.group, r.target)
        parts.append(
            f"- **{r.target}** ({r.indicator}{', ' + r.region if r.region else ''}, {r.year}): observed "
            f"{cal._num(r.observed)}, model {cal._num(r.median)} ({cal._num(r.low)}-{cal._num(r.high)})"
            f"{'' if r.fitted else ', not in the fit'}: {reason}."
        )
    parts.append("")
    return "\n".join(parts)
