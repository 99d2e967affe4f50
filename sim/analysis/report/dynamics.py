"""The report's view of the model's dynamics: tipping and persistence read from the
dynamics (not from the date of fastest growth), the regional drivers, and the
interoperability-versus-platforms map. The last two rerun the model, so reports include
them only when asked (`egov report --drivers --policy-map`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.analysis import plots
from sim.analysis import transitions as tr
from sim.analysis.report.html import Report, esc, html_table
from sim.model.params import Params

DRIVERS_SCALE = 2000.0  # people per agent at least, for the counterfactual reruns
MAP_SCALE = 8000.0
MAP_JOINED = (0.2, 0.4, 0.6, 0.8, 1.0)
MAP_MATURITY = (1.5, 2.0, 2.5, 3.0, 3.5)


def coarser(params: Params, scale: float) -> Params:
    world = params.world.model_copy(update={"scale": max(params.world.scale, scale)})
    return params.model_copy(update={"world": world})


def exchange_figure(rep: Report, national: pd.DataFrame) -> str:
    return rep.figure(
        "exchange",
        "The government side's feedbacks: agencies on the data exchange and the share of data "
        "dependencies linked (broad e-government needs 0.8), integration, paper counters still "
        "open (usage-driven supply) and the share of service upkeep funded.",
        lambda: plots.exchange_figure(national),
    )


def drivers_section(rep: Report, params: Params, seed: int) -> str:
    """Per region, each regional input's contribution to its gap to the national mean of
    online use (counterfactual reruns with that input set to its national value)."""
    from sim.analysis.drivers import region_drivers
    from sim.model.egov_model import EGovModel

    run = coarser(params, DRIVERS_SCALE)
    year = min(2023, run.end_year)
    drivers = region_drivers(EGovModel(run, seed=seed), year=year)
    figure = rep.figure(
        "drivers",
        f"What puts each region where it is in {year}: its gap to the national mean of people who "
        "used e-government online in the last 12 months, split by regional input (counterfactual "
        f"reruns, same seed {seed}, at {run.world.scale:g} people per agent).",
        lambda: plots.drivers_figure(drivers),
    )
    shown = drivers.round(3)
    return figure + html_table(shown, text=["region"])


def policy_map_section(rep: Report, params: Params, seed: int) -> str:
    """The interoperability-versus-platforms map over starting states, this scenario's own
    state at the switch year marked."""
    from sim.analysis.policy_map import MapSpec, baseline_state, policy_map

    run = coarser(params, MAP_SCALE)
    spec = MapSpec(switch_year=min(max(2025, run.start_year + 1), run.end_year))
    grid = policy_map(run, MAP_JOINED, MAP_MATURITY, seeds=(seed,), spec=spec)
    here = baseline_state(run, seed, spec)
    note = (
        f"<p class='note'>From {spec.switch_year}, an extra {spec.extra_share:.0%} of the budget goes "
        "to interoperability in one branch and to new platforms in the other; the value is the "
        f"difference in mean effective service quality {spec.switch_year}-{run.end_year} (same seed "
        f"{seed}, {run.world.scale:g} people per agent). This scenario stands at "
        f"{here[0]:.2f} of agencies joined and maturity {here[1]:.2f} (star).</p>"
    )
    figure = rep.figure(
        "policy_map",
        "Interoperability minus platforms at equal budget over starting states (blue: "
        "interoperability wins; red: platforms win).",
        lambda: plots.policy_map_figure(grid, here),
    )
    return note + figure


def tipping_section(outcomes: pd.DataFrame, points: pd.DataFrame | None = None) -> str:
    """Tipping diagnostics of a sweep: for each scenario and outcome, Sarle's bimodality
    coefficient across seeds (above 5/9: the runs split into two outcomes); and, where a
    design varies one parameter, the largest jump between neighbouring values per seed."""
    rows = []
    for (scenario, outcome), group in outcomes.groupby(["scenario", "outcome"], sort=False):
        values = group["value"].dropna().to_numpy(float)
        b = tr.bimodality(values)
        rows.append(
            {
                "scenario": scenario,
                "outcome": outcome,
                "runs": len(values),
                "bimodality": round(b, 3),
                "two outcomes?": "yes" if b > tr.BIMODAL else "no",
            }
        )
    text = (
        "<p class='note'>Tipping is read from the model's dynamics: Sarle's bimodality coefficient of "
        "each outcome across seeds (1 for two equal spikes, 1/3 for a normal spread; above 5/9 the "
        "same policy tips in some runs and not in others). Needs at least 4 runs.</p>"
    )
    text += html_table(pd.DataFrame(rows), text=["scenario", "outcome", "two outcomes?"])
    if points is not None and not points.empty:
        text += jumps_table(points)
    return text


def jumps_table(points: pd.DataFrame) -> str:
    """`points`: scenario, seed, outcome, parameter, value-of-parameter (x), value."""
    rows = []
    for (scenario, outcome, parameter), group in points.groupby(["scenario", "outcome", "parameter"]):
        jumps = tr.neighbour_jumps(group, "x", "value")
        if jumps.empty:
            continue
        rows.append(
            {
                "scenario": scenario,
                "outcome": outcome,
                "parameter": parameter,
                "median largest jump": round(float(jumps["jump"].abs().median()), 4),
                "where (median from)": round(float(jumps["from"].median()), 4),
                "step": f"{float(jumps['relative_step'].median()):.0%}",
            }
        )
    if not rows:
        return ""
    return (
        "<p class='note'>Largest change of each outcome between neighbouring values of the varied "
        "parameter, per seed (median over seeds): a jump far above its neighbours is a tipping point "
        f"({esc('sim.analysis.transitions.neighbour_jumps')}).</p>"
        + html_table(pd.DataFrame(rows), text=["scenario", "outcome", "parameter", "step"])
    )


def one_parameter_points(result) -> pd.DataFrame | None:
    """A sweep's outcomes over its design points when exactly one parameter varies."""
    exp = result.experiment
    if len(exp.points) < 3:
        return None
    frame = pd.DataFrame(exp.points)
    varied = [c for c in frame if frame[c].nunique() > 1]
    if len(varied) != 1:
        return None
    parameter = varied[0]
    long = result.outcomes
    if "point" not in long:
        return None
    x = frame[parameter].to_numpy(float)
    return long.assign(parameter=parameter, x=np.asarray(x)[long["point"].to_numpy(int)])
