"""Cohort turnover: citizens age through the bands each January; the oldest leave and their
rows are re-used in place as 15-year-olds of the same region.

The number of citizen agents stays fixed (no per-step object churn). Each January, in each
region r with recorded adult age-band shares s_b (15-29, 30-44, 45-59, 60+):

- a share E_r = s_0 / 15 of the region's adults enters at 15 (a 15-year band empties in
  15 years), so each band b moves up (or, for 60+, leaves) with probability m_b = E_r / s_b.
  In expectation inflow equals outflow in every band, so the region's age mix stays at its
  recorded shares and its population (the agents' weights) stays constant: the data give
  one age structure and one population per region, so the documented path is constant;
- a leaver's row becomes a new 15-year-old ("digital native") of the same region and
  settlement (urban or rural): literacy drawn around the mean of the cell's current
  15-29s, internet access with the cell's 15-29 access share, trust Beta(5, 5), no
  channel history (paper, never online, no EDS key), and non-user status drawn for the youngest band
  at the region's income. The slot keeps its social ties (simplification: a newcomer
  inherits the leaver's network, which is mostly its neighbourhood ring).

The draws come from streams keyed by (seed, 'cohort...', year), one draw per citizen for the
move and per newcomer for its attributes, so both engines, which call this same function,
stay identical, and two policies share the same movers and leavers.
"""

from __future__ import annotations

import numpy as np

from sim.model import rng
from sim.model.agents.citizen import PAPER
from sim.model.world import non_user_probability

BAND_YEARS = 15.0  # width of the youngest band: 15-29


def move_rates(age_shares: np.ndarray) -> np.ndarray:
    """Yearly probability that a citizen of each region (rows) and band (columns) moves up
    a band (60+: leaves), keeping the recorded shares stationary."""
    entry = age_shares[:, :1] / BAND_YEARS
    # C order whatever the input's (pandas hands over F order): the compiled pass is
    # loaded once, for one layout (kernels.warm_up)
    return np.ascontiguousarray(np.minimum(entry / np.maximum(age_shares, 1e-9), 1.0))


def turnover(store, age_shares: np.ndarray, income_ratio: np.ndarray, k, seed: int, year: int) -> np.ndarray:
    """Age everyone by one January; returns the rows re-used as new 15-year-olds."""
    from sim.model.kernels import age_one_year

    region, age, urban = store["region"], store["age_band"], store["urban"]
    n_regions = len(age_shares)
    u = rng.uniforms(seed, "cohort", year, len(region))
    # the cells' current 15-29s, before anyone moves (what newcomers are drawn like), and
    # the moves: one compiled pass (cells: region x urban/rural, urban first)
    n_young, lit_young, net_young = (np.zeros(2 * n_regions) for _ in range(3))
    leavers = np.empty(len(region), np.int64)
    n_leavers = age_one_year(
        region, age, urban, store["digital_literacy"], store["internet"], u, move_rates(age_shares),
        n_young, lit_young, net_young, leavers,
    )  # fmt: skip
    leavers = leavers[:n_leavers].copy()
    mean_lit = np.clip(lit_young / np.maximum(n_young, 1), 0.02, 0.95)
    net_share = net_young / np.maximum(n_young, 1)

    if leavers.size:
        g = rng.stream(seed, "cohort:entry", year)
        r = region[leavers]
        c = r.astype(np.int64) * 2 + ~urban[leavers]
        m = mean_lit[c]
        store["age_band"][leavers] = 0
        store["digital_literacy"][leavers] = g.beta(4 * m, 4 * (1 - m))
        store["internet"][leavers] = g.random(leavers.size) < net_share[c]
        store["trust"][leavers] = g.beta(5.0, 5.0, size=leavers.size)
        store["non_user"][leavers] = g.random(leavers.size) < non_user_probability(
            k, np.zeros(leavers.size, np.int8), income_ratio[r]
        )
        store["channel"][leavers] = PAPER
        store["failed"][leavers] = False
        store["participated"][leavers] = False
        store["last_online_step"][leavers] = -1
        store["registered"][leavers] = False
    return leavers
