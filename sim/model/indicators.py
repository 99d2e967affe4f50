"""Indicators: per-region and national series each step, disparity indices, and the
Stage-Model-Openness profile. Computed from the columns alone, so both engines report
through the same code.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from sim.model import framework
from sim.model.agents.agency import as_seen_by_regions, responsiveness
from sim.model.framework import MODELS
from sim.model.params import Params
from sim.model.services import ServiceCatalogue

# Indicators averaged over people (citizen-weighted) when the nation is formed from regions.
PEOPLE_WEIGHTED = (
    "citizen_online_share",
    "eservice_share",
    "assisted_share",
    "paper_share",
    "internet_use_share",
    "c2g_participation",
    "mean_literacy",
    "trust",
    "failure_share",
    "broadband_coverage",
    "centre_reach",
    "paper_counters",
    "egov_users_12m_share",
    "egov_households_12m_share",
    "non_user_share",
)
# Counts of people or transactions: the nation is the sum of its regions.
SUMMED = ("online_transactions_per_month", "people_ever_online", "people_registered")


class Blocks:
    """Agents stored in contiguous groups (citizens and firms are built region by region,
    urban before rural): per-group sums by one pass of np.add.reduceat instead of a
    weighted bincount. Within a group every agent has the same weight, so the group mean
    of a column is its population-weighted mean."""

    def __init__(self, keys: np.ndarray, n_groups: int):
        if np.any(np.diff(keys) < 0):
            raise ValueError("agents must be stored grouped by key")
        self.counts = np.bincount(keys, minlength=n_groups)
        self.present = self.counts > 0
        self.starts = (np.cumsum(self.counts) - self.counts)[self.present]

    def sums(self, values: np.ndarray) -> np.ndarray:
        out = np.zeros(len(self.counts))
        out[self.present] = np.add.reduceat(values, self.starts, dtype=np.float64)
        return out

    def means(self, values: np.ndarray) -> np.ndarray:
        return self.sums(values) / np.maximum(self.counts, 1)


class ModelState(Protocol):
    """What the indicators read of the model (the Mesa model class satisfies it): its
    stores and the groupings built with the world. An interface, so the model imports
    this module and not the other way round."""

    params: Params
    n_regions: int
    services: ServiceCatalogue
    region_store: Any
    agency_store: Any
    citizen_store: Any
    business_store: Any
    agencies_serving: np.ndarray
    citizen_blocks: Blocks
    citizen_cells: Blocks
    business_blocks: Blocks
    people_by_region: np.ndarray
    people_by_cell: np.ndarray
    firms_by_region: np.ndarray
    budget_spent: float
    spent_by_region: np.ndarray


def gini(values: np.ndarray, weights: np.ndarray) -> float:
    """Population-weighted Gini coefficient (0 equal, 1 all in one group)."""
    p = weights / weights.sum()
    mean = float(p @ values)
    if mean <= 0:
        return 0.0
    return float(p @ np.abs(values[:, None] - values[None, :]) @ p / (2 * mean))


def theil(values: np.ndarray, weights: np.ndarray, groups: np.ndarray) -> tuple[float, float, float]:
    """Theil T index of `values` over units weighted by population, and its split into
    the part within and between `groups` (urban/rural): T = within + between."""
    p = weights / weights.sum()
    mean = float(p @ values)
    if mean <= 0:
        return 0.0, 0.0, 0.0
    ratio = values / mean
    terms = np.where(ratio > 0, ratio * np.log(np.where(ratio > 0, ratio, 1.0)), 0.0)
    total = float(p @ terms)
    between = 0.0
    for g in np.unique(groups):
        pg = p[groups == g].sum()
        mean_g = float(p[groups == g] @ values[groups == g]) / pg
        if mean_g > 0:
            between += pg * mean_g / mean * np.log(mean_g / mean)
    return total, total - between, between


def disparity(region_values, region_weights, cell_values, cell_weights, cell_urban) -> dict:
    """Disparity across regions of one indicator: Gini, CV, max/min over regions; Theil
    over region x urban/rural cells with its within/between urban-rural parts."""
    p = region_weights / region_weights.sum()
    mean = float(p @ region_values)
    cv = float(np.sqrt(p @ (region_values - mean) ** 2) / mean) if mean > 0 else 0.0
    low = region_values.min()
    t, within, between = theil(cell_values, cell_weights, cell_urban)
    return {
        "gini": gini(region_values, region_weights),
        "theil": t,
        "theil_within": within,
        "theil_between": between,
        "cv": cv,
        "max_min": float(region_values.max() / low) if low > 0 else float("nan"),
    }


def users_in_last_year(last_online_step: np.ndarray, step: int, steps_per_year: int) -> np.ndarray:
    """Who completed an online transaction in the 12 months ending with `step`: the last
    online step is one of the last `steps_per_year` steps (-1: never)."""
    return last_online_step >= max(step - steps_per_year + 1, 0)


def households_with_a_user(individual_share, household_adults: float):
    """Share of households with at least one user, when each of `household_adults`
    effective independent adults uses with the individual share."""
    return 1.0 - (1.0 - individual_share) ** household_adults


def recent_from(m: ModelState) -> int:
    """The first step of the 12 months ending with the current step (`users_in_last_year`)."""
    return max(m.steps - m.params.steps_per_year + 1, 0)


def citizen_sums(m: ModelState) -> dict[str, np.ndarray]:
    """Per-region sums of the citizen columns the indicators read, in one compiled pass
    over the citizens (sim/model/kernels.py `citizen_block_sums`). "online_12m": the last
    online step within the last `steps_per_year` steps (`users_in_last_year`)."""
    from sim.model.kernels import citizen_block_sums

    return citizen_block_sums(m.citizen_store, m.citizen_blocks.counts, m.steps, recent_from(m))


def citizen_means(m: ModelState, sums: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """Per-region means of the citizen columns (`citizen_sums`, or the `sums` given)."""
    counts = m.citizen_blocks.counts
    sums = sums if sums is not None else citizen_sums(m)
    return {name: total / np.maximum(counts, 1) for name, total in sums.items()}


def survey_indicators(m: ModelState, means: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """Indicators as the surveys and portal statistics define them, by region: persons and
    households who used e-government online in the last 12 months, online transactions
    per month, people who ever transacted online, portal accounts (EDS key holders),
    persistent non-users."""
    means = means if means is not None else citizen_means(m)
    spy = m.params.steps_per_year
    k = m.params.coefficients
    out = {"egov_users_12m_share": means["online_12m"]}
    out["egov_households_12m_share"] = households_with_a_user(out["egov_users_12m_share"], k.household_adults)
    out["online_transactions_per_month"] = (
        means["online_now"] * m.people_by_region * (12 / spy) * k.eservices_per_contact
    )
    out["people_ever_online"] = means["ever_online"] * m.people_by_region
    out["people_registered"] = means["registered"] * m.people_by_region
    out["non_user_share"] = means["non_user"]
    return out


def classify(out: dict, levels, th, as_value) -> None:
    """The framework's view of a place (regions as arrays, the nation as numbers): each
    interaction model's strength and the e-government stage, written into `out`."""
    strengths = framework.model_strengths(
        out["g2g"],
        out["business_adoption"],
        out["eservice_share"],
        out["b2g_providers"],
        out["c2g_participation"],
        th,
    )
    for name in MODELS:
        out[f"{name.lower()}_strength"] = as_value(strengths[name])
    out["egov_stage"] = framework.egov_stage(
        levels,
        out["eservice_share"],
        out["interoperability"],
        strengths["B2G"] >= th.model_active,
        strengths["C2G"] >= th.model_active,
        th,
        out["data_links_joined"],
    )


def region_indicators(m: ModelState, sums: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """Every per-region indicator at the current step, as arrays over regions (`sums`: the
    citizen sums of the current state, if already made; see `citizen_sums`)."""
    R = m.n_regions
    b, a, rs = m.business_store, m.agency_store, m.region_store
    k, th = m.coefficients, m.params.thresholds
    means = citizen_means(m, sums)
    services = m.services
    quality = services.effective_quality(a["interop"], a["outage"], k.dependency_penalty)
    backoffice = np.clip(services.maturity - 2.0, 0.0, 1.0)
    out = {
        "citizen_online_share": means["online"],
        "assisted_share": means["assisted"],
        "paper_share": means["paper"],
    }
    out["eservice_share"] = out["citizen_online_share"] + out["assisted_share"] * services.by_region(
        backoffice, "citizens"
    )
    out["internet_use_share"] = means["internet"]
    out["mean_literacy"] = means["digital_literacy"]
    out["trust"] = means["trust"]
    out["c2g_participation"] = means["participated"]
    out["failure_share"] = means["failed"]
    out["business_adoption"] = m.business_blocks.means(b["adopted"])
    # providers serving the region: its akimat's and the central agencies'
    out["b2g_providers"] = (m._serving_mask @ a["b2g_contracts"]).astype(np.float64)
    out["broadband_coverage"] = (
        rs["urban_share"] * rs["coverage_urban"] + (1 - rs["urban_share"]) * m.coverage_rural_effective()
    )
    out.update(survey_indicators(m, means))
    out["centre_reach"] = rs["centres"].copy()
    out["paper_counters"] = rs["counters"].copy()

    serving = m.agencies_serving  # regions x agencies, weights summing to 1 per region
    out["interoperability"] = serving @ a["interop"]
    both = 0.5 * (services.serves["citizens"] + services.serves["businesses"])
    out["mean_service_maturity"] = both @ services.maturity
    out["mean_effective_quality"] = both @ quality
    levels = [both @ (services.maturity >= lvl) for lvl in (1, 2, 3)]
    out["services_transactional_share"] = levels[2]
    out["g2g"] = both @ services.mean_link(a["interop"])
    out["data_links_joined"] = both @ services.links_joined(a["joined"])
    out["openness"] = as_seen_by_regions(serving, a)["openness"]
    classify(out, levels, th, lambda v: np.asarray(v, dtype=np.float64))
    for s in (1, 2, 3):
        out[f"agencies_stage{s}"] = np.bincount(
            a["region"][~a["central"]], weights=a["stage"][~a["central"]] == s, minlength=R
        )
    out["osi"] = out["mean_effective_quality"]
    out["tii"] = 0.5 * out["internet_use_share"] + 0.5 * out["broadband_coverage"]
    out["hci"] = out["mean_literacy"]
    out["egdi"] = (out["osi"] + out["tii"] + out["hci"]) / 3.0
    out["budget_spent"] = m.spent_by_region.copy()
    return out


def national_indicators(
    m: ModelState, reg: dict[str, np.ndarray], sums: dict[str, np.ndarray] | None = None
) -> dict[str, float]:
    """The nation from its regions (people-weighted) and from all agencies and services
    (`sums`: the citizen sums of the current state, if already made)."""
    k, th = m.coefficients, m.params.thresholds
    a, services = m.agency_store, m.services
    p = m.people_by_region / m.people_by_region.sum()
    out = {name: float(p @ reg[name]) for name in PEOPLE_WEIGHTED}
    out.update({name: float(reg[name].sum()) for name in SUMMED})
    firms = m.firms_by_region
    out["business_adoption"] = float(firms @ reg["business_adoption"] / firms.sum())
    out["b2g_providers"] = float(a["b2g_contracts"].sum())
    out["interoperability"] = float(a["interop"].mean())
    live = services.available
    out["mean_service_maturity"] = float(services.maturity[live].mean())
    quality = services.effective_quality(a["interop"], a["outage"], k.dependency_penalty)
    out["mean_effective_quality"] = float(quality[live].mean())
    out["g2g"] = float(services.mean_link(a["interop"])[live].mean())
    out["data_links_joined"] = services.share_links_joined(a["joined"])
    out["agencies_joined"] = int(a["joined"].sum())
    out["services_available"] = int(live.sum())
    out["services_maintained"] = float(a["maintained"].mean())
    out["legacy_age"] = float(a["legacy_age"].mean())
    answered = responsiveness(a["capacity"], a["engagement"])
    out["openness"] = float(
        framework.openness_index(a["open_data"].mean(), a["engagement"].mean(), answered.mean())
    )
    levels = [float((services.maturity[live] >= lvl).mean()) for lvl in (1, 2, 3)]
    out["services_transactional_share"] = levels[2]
    classify(out, levels, th, float)
    for s in (1, 2, 3):
        out[f"agencies_stage{s}"] = int((a["stage"] == s).sum())
    out["staff_capacity"] = float(a["capacity"].mean())
    out["cybersecurity"] = float(a["cyber"].mean())
    out["incidents"] = int(a["outage"].sum())
    out["osi"] = out["mean_effective_quality"]
    out["tii"] = 0.5 * out["internet_use_share"] + 0.5 * out["broadband_coverage"]
    out["hci"] = out["mean_literacy"]
    out["egdi"] = (out["osi"] + out["tii"] + out["hci"]) / 3.0
    out["budget_spent"] = m.budget_spent
    sums = sums if sums is not None else citizen_sums(m)
    cells = m.citizen_cells  # region x urban/rural, urban first
    online_by_cell = np.empty(len(cells.counts))
    online_by_cell[0::2] = sums["online_urban"]
    online_by_cell[1::2] = sums["online"] - sums["online_urban"]
    cell_online = (online_by_cell / np.maximum(cells.counts, 1))[cells.present]
    cell_people = m.people_by_cell[cells.present]
    cell_rural = (np.arange(len(cells.counts)) % 2)[cells.present]
    gaps = disparity(
        reg["citizen_online_share"],
        m.people_by_region,
        cell_online,
        cell_people,
        cell_rural,
    )
    out.update({f"online_{name}": value for name, value in gaps.items()})
    return out
