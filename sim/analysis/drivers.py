"""Which regional inputs put each region where it is.

`region_drivers(model)` decomposes each region's gap to the national mean of online use by
counterfactual: the same parameters and seed are rerun with one input at a time set to its
national (population-weighted) value in every region (`world.uniform_inputs`), and the
input's contribution is the gap in the baseline minus the gap in that counterfactual:

    contribution_i(r) = [y(r) - Y] - [y_i(r) - Y_i]

where y is the region's value and Y the national mean. What the inputs do not explain
(interactions between inputs, and chance: a counterfactual world shares every random
stream but some agents differ, e.g. which citizens are urban) is `other` = gap - sum.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

INPUTS = ("income", "age", "settlement", "connectivity")


def _gaps(params, seed: int, year: int, indicator: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    from sim.model.egov_model import EGovModel

    params = params.model_copy(update={"end_year": max(year, params.start_year)})
    m = EGovModel(params, seed=seed)
    m.run()
    return _gaps_of(m, year, indicator)


def _gaps_of(m, year: int, indicator: str):
    regions = m.region_frame()
    last = regions[regions["year"] == year]
    last = last[last["step"] == last["step"].max()]
    values = last[indicator].to_numpy()
    people = m.people_by_region
    national = float(people @ values / people.sum())
    return values, values - national, m.region_names


def region_drivers(
    model, year: int = 2023, indicator: str = "egov_users_12m_share", inputs=INPUTS
) -> pd.DataFrame:
    """Per region: the indicator at the end of `year`, its gap to the national mean, and
    each input's contribution to the gap (counterfactual reruns, same seed). Uses the
    model's own tables when it has run through `year`, otherwise reruns it."""
    params, seed = model.params, model.seed
    if model.steps and model.year >= year and model.params.world.uniform_inputs == []:
        values, gap, names = _gaps_of(model, year, indicator)
    else:
        base = params.model_copy(update={"world": params.world.model_copy(update={"uniform_inputs": []})})
        values, gap, names = _gaps(base, seed, year, indicator)
    out = pd.DataFrame({"region": names, indicator: values, "gap": gap})
    for name in inputs:
        world = params.world.model_copy(update={"uniform_inputs": [name]})
        _, gap_cf, _ = _gaps(params.model_copy(update={"world": world}), seed, year, indicator)
        out[name] = gap - gap_cf
    out["other"] = out["gap"] - out[list(inputs)].sum(axis=1)
    out.attrs.update({"indicator": indicator, "year": year, "seed": seed})
    return out
