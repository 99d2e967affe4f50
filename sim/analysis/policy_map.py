"""The policy question as a map: interoperability against new platforms at equal budget,
over a grid of starting states.

For each cell (share of agencies on the data exchange, mean service maturity) the model
runs to the switch year under the scenario's own policies, the state is set to the cell
(the agencies with the youngest systems join first; every service's maturity is scaled
to the cell's mean), and two branches continue at equal budget: one puts an extra share
of the budget into interoperability, the other the same share into new platforms. Both
branches share the seed, so before the switch they are identical and after it they
differ only by the allocation (common random numbers). The cell's value is the
difference (interoperability minus platforms) of an outcome, averaged over the years
from the switch to the end (what citizens get over the period, not only at its end).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.model.egov_model import EGovModel
from sim.model.params import Params, PolicySpec

# Starting states a reader can take as plausible for a country like Kazakhstan in the
# 2020s (documented in docs/model.md, "The policy map").
PLAUSIBLE_JOINED = (0.2, 1.0)
PLAUSIBLE_MATURITY = (1.5, 3.8)


@dataclass(frozen=True)
class MapSpec:
    switch_year: int = 2025
    extra_share: float = 0.2
    outcome: str = "mean_effective_quality"


def _branch(params: Params, lever: str, spec: MapSpec) -> Params:
    extra = PolicySpec(
        lever=lever, start=spec.switch_year, end=params.end_year, budget_share=spec.extra_share
    )
    return params.model_copy(update={"policies": [*params.policies, extra]})


def set_state(model: EGovModel, joined_share: float, maturity: float) -> None:
    """Put the model in a starting state: a share of agencies on the exchange (youngest
    systems first, fully integrated; the rest off it, unintegrated) and every available
    service's maturity scaled so their mean is `maturity`."""
    a = model.agency_store
    order = np.argsort(a["legacy_age"], kind="stable")
    joined = np.zeros(len(a), bool)
    joined[order[: int(round(joined_share * len(a)))]] = True
    a["joined"] = joined
    a["interop"] = np.where(joined, 1.0, 0.0)
    s = model.services
    live = s.available
    current = s.maturity[live].mean()
    if current > 0:
        s.maturity[live] = np.clip(s.maturity[live] * maturity / current, 0.0, 4.0)


def run_from_state(params: Params, seed: int, spec: MapSpec, joined_share: float, maturity: float) -> float:
    model = EGovModel(params, seed=seed)
    switch_step = (spec.switch_year - params.start_year) * params.steps_per_year
    while model.steps < switch_step:
        model.step()
    set_state(model, joined_share, maturity)
    model.run()
    frame = model.national_frame()
    return float(frame.loc[frame["year"] >= spec.switch_year, spec.outcome].mean())


def policy_map(
    params: Params,
    joined_shares=(0.2, 0.5, 0.8),
    maturities=(2.0, 3.0, 3.8),
    seeds=(0,),
    spec: MapSpec | None = None,
) -> pd.DataFrame:
    """One row per cell and seed: the outcome under each branch and their difference."""
    spec = spec or MapSpec()
    interop, platforms = _branch(params, "interoperability", spec), _branch(params, "new_platforms", spec)
    rows = []
    for j in joined_shares:
        for mat in maturities:
            for seed in seeds:
                a = run_from_state(interop, seed, spec, j, mat)
                b = run_from_state(platforms, seed, spec, j, mat)
                rows.append(
                    dict(
                        joined_share=j,
                        maturity=mat,
                        seed=seed,
                        interoperability=a,
                        new_platforms=b,
                        difference=a - b,
                    )
                )
    return pd.DataFrame(rows)


def baseline_state(params: Params, seed: int, spec: MapSpec | None = None) -> tuple[float, float]:
    """Where the scenario itself stands at the switch year: (share joined, mean maturity)."""
    spec = spec or MapSpec()
    model = EGovModel(params, seed=seed)
    while model.steps < (spec.switch_year - params.start_year) * params.steps_per_year:
        model.step()
    return float(model.agency_store["joined"].mean()), float(
        model.services.maturity[model.services.available].mean()
    )
