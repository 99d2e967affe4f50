"""Building the world: regions, agencies and their data-exchange network, the service
catalogue, citizens with their social ties, and businesses.

Building draws only from its own named streams (sim.model.rng), so two runs with the same seed
and world share every agent, whatever their policies.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd
from scipy import sparse

from sim.model import rng
from sim.model.params import WorldSpec
from sim.model.services import NATIONAL, ServiceCatalogue
from sim.model.world_data import (
    CENTRAL_AGENCIES,
    LOCAL,
    NATIONAL_ADULT_AGE_SHARES,
    SERVICES,
    agency_names,
    kazakhstan_regional_inputs,
    kazakhstan_regions,
    synthetic_region_names,
)

AGE_SHARES = NATIONAL_ADULT_AGE_SHARES  # 15-29, 30-44, 45-59, 60+ (BNS age pyramid, rounded)
AGE_LITERACY = (1.4, 1.1, 0.7, 0.3)  # relative digital literacy by age band, 2005
SIZE_SHARES = (0.80, 0.15, 0.04, 0.01)  # micro, small, medium, large firms


def regions_frame(spec: WorldSpec) -> pd.DataFrame:
    """Population, urban share, regional inputs and starting conditions of each region.

    Kazakhstan: BNS 2023 populations and urban shares; per-capita income relative to the
    nation (BNS 2018-2020), adult age bands (BNS age structure) and the rural-coverage
    factor from villages without mobile internet (sim/data/kazakhstan/regional). Starting
    broadband (2005) is not published by region: it is set from urban share (settlement
    structure); starting literacy from urban share and income. Scaled so national internet
    use starts near ITU's 3% in 2005. Synthetic worlds generate the same inputs.
    `spec.uniform_inputs` sets named inputs to their national value everywhere."""
    if spec.kind == "kazakhstan":
        df = kazakhstan_regions()[["region", "population_2023", "urban_share_2023"]].copy()
        df.columns = ["region", "population", "urban_share"]
        df = df.merge(kazakhstan_regional_inputs(), on="region", validate="1:1")
        df["settlement"] = df["urban_share"]
    else:
        n, d = spec.n_regions, spec.disparity
        ranks = np.linspace(1.0, -1.0, n) if n > 1 else np.zeros(1)
        sizes = np.linspace(1.5, 0.5, n)
        df = pd.DataFrame(
            {
                "region": synthetic_region_names(n),
                "population": spec.synthetic_population * sizes / sizes.sum(),
                "urban_share": np.clip(0.55 + 0.4 * d * ranks, 0.05, 1.0),
                # income not monotone in urban share (as in Kazakhstan)
                "income_ratio": np.exp(0.5 * d * np.sin(1.0 + 2.0 * np.arange(n))),
                "rural_signal": 1.0,
                "settlement": 0.55 + 0.45 * d * ranks,
            }
        )
        for b, share in enumerate(NATIONAL_ADULT_AGE_SHARES):
            df[f"age_share_{b}"] = share
    df = _uniform(df, spec.uniform_inputs)
    advantage = df["settlement"].to_numpy()  # settlement structure: urban share
    df["coverage_urban"] = 0.08 + 0.10 * advantage
    df["coverage_rural"] = 0.02 + 0.02 * advantage
    df["literacy_factor"] = 0.75 + 0.25 * advantage + 0.15 * np.minimum(df["income_ratio"], 1.5)
    return df


AGE_COLUMNS = [f"age_share_{b}" for b in range(4)]


def _uniform(df: pd.DataFrame, inputs) -> pd.DataFrame:
    """Counterfactual world: the named inputs at their national (population-weighted) value."""
    df = df.copy()
    w = df["population"].to_numpy() / df["population"].sum()
    if "income" in inputs:
        df["income_ratio"] = float(w @ df["income_ratio"])
    if "age" in inputs:
        df[AGE_COLUMNS] = w @ df[AGE_COLUMNS].to_numpy()
    if "settlement" in inputs:
        df["urban_share"] = float(w @ df["urban_share"])
        df["settlement"] = float(w @ df["settlement"])
    if "connectivity" in inputs:
        df["rural_signal"] = 1.0
    return df


def non_user_probability(k, age, income_ratio):
    """Chance that a person (of an age band, in a region of relative income) is a
    persistent non-user of online services."""
    p = np.asarray(k.non_user_by_age)[age] * np.asarray(income_ratio) ** (-k.non_user_income_elasticity)
    return np.minimum(p, 1.0)


def draw_age_bands(u: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """Age band from one uniform per person and the person's region's band shares
    (rows: persons, columns: the four bands)."""
    cdf = np.cumsum(shares, axis=1)
    return np.minimum((u[:, None] >= cdf[:, :-1]).sum(axis=1), 3).astype(np.int8)


@dataclass
class Government:
    """Agencies, their data-exchange network and the services they own."""

    names: list[str]
    central: np.ndarray
    region: np.ndarray
    network: nx.Graph
    services: ServiceCatalogue


def build_government(region_names: list[str]) -> Government:
    """Central ministries + one akimat per region; services instantiated from the
    catalogue (local ones once per region); an edge between two agencies wherever a
    service of one needs data of the other."""
    keys = list(CENTRAL_AGENCIES)
    names = agency_names(region_names)
    n_central, n_regions = len(keys), len(region_names)
    central = np.arange(len(names)) < n_central
    region = np.where(central, -1, np.arange(len(names)) - n_central).astype(np.int16)
    owner, audience, where, maturity, service_names, proactive = [], [], [], [], [], []
    depends = []
    for t in SERVICES:
        places = range(n_regions) if t.owner == LOCAL else [NATIONAL]
        for r in places:
            owner.append(n_central + r if t.owner == LOCAL else keys.index(t.owner))
            audience.append(0 if t.audience == "citizens" else 1)
            where.append(r)
            maturity.append(t.maturity_2005)
            proactive.append(t.proactive)
            service_names.append(t.name if r == NATIONAL else f"{t.name} ({region_names[r]})")
            row = np.zeros(len(names), dtype=bool)
            row[[keys.index(d) for d in t.depends_on]] = True
            depends.append(row)
    depends = np.array(depends)
    services = ServiceCatalogue(
        service_names, owner, audience, where, maturity, depends, n_regions, proactive
    )
    network = nx.Graph()
    network.add_nodes_from(range(len(names)))
    for s in range(len(services)):
        for d in np.flatnonzero(depends[s]):
            if d != services.owner[s]:
                network.add_edge(int(services.owner[s]), int(d))
    nx.set_node_attributes(network, dict(enumerate(names)), "name")
    return Government(names, central, region, network, services)


def agents_per_region(regions: pd.DataFrame, scale: float) -> np.ndarray:
    return np.maximum(np.round(regions["population"].to_numpy() / scale), 10).astype(np.int64)


def build_citizens(store, regions: pd.DataFrame, scale: float, seed: int, k=None) -> None:
    """Fill the citizen columns: region blocks in order, urban residents first in each
    block (so ring ties are mostly urban-urban and rural-rural), age bands (the region's
    shares), literacy, access and trust drawn from the 'build:citizens' stream; persistent
    non-users from 'build:non_user' (coefficients `k`, default ones if None)."""
    g = rng.stream(seed, "build:citizens")
    counts = agents_per_region(regions, scale)
    region = np.repeat(np.arange(len(regions)), counts)
    urban_share = regions["urban_share"].to_numpy()[region]
    position = np.concatenate([np.arange(c) / c for c in counts])
    urban = position < urban_share
    age = draw_age_bands(g.random(region.size), regions[AGE_COLUMNS].to_numpy()[region])
    mean_lit = (
        0.22
        * np.asarray(AGE_LITERACY)[age]
        * np.where(urban, 1.2, 0.7)
        * regions["literacy_factor"].to_numpy()[region]
    )
    mean_lit = np.clip(mean_lit, 0.02, 0.9)
    lit = g.beta(4 * mean_lit, 4 * (1 - mean_lit))
    coverage = np.where(
        urban,
        regions["coverage_urban"].to_numpy()[region],
        np.minimum(regions["coverage_rural"] * regions["rural_signal"], 1.0).to_numpy()[region],
    )
    internet = g.random(region.size) < coverage * lit * 0.6
    if k is None:
        from sim.model.params import Coefficients

        k = Coefficients()
    income = regions["income_ratio"].to_numpy()[region]
    store["non_user"] = rng.stream(seed, "build:non_user").random(region.size) < non_user_probability(
        k, age, income
    )
    store["region"] = region
    store["urban"] = urban
    store["age_band"] = age
    store["weight"] = regions["population"].to_numpy()[region] / counts[region]
    store["digital_literacy"] = lit
    store["internet"] = internet
    store["trust"] = g.beta(5.0, 5.0, size=region.size)


def build_ties(region: np.ndarray, spec: WorldSpec, seed: int) -> sparse.csr_matrix:
    """Small-world social ties: a ring lattice within each region (each citizen tied to
    its `ties_per_citizen` nearest), a share rewired to random members of the region
    (Watts-Strogatz), and a few extra ties across regions. Symmetric, 0/1, no self-ties."""
    from sim.model.graph import symmetric_ties

    g = rng.stream(seed, "build:ties")
    n = region.size
    starts = np.searchsorted(region, np.arange(region.max() + 1))
    sizes = np.bincount(region)
    first, size = starts[region], sizes[region]
    offset = np.arange(n) - first
    hops = spec.ties_per_citizen // 2
    n_cross = int(spec.cross_region_tie_share * n * spec.ties_per_citizen / 2)
    # int32 pairs, filled in place (the same draws as before, in the same order)
    i = np.empty(hops * n + n_cross, np.int32)
    j = np.empty(hops * n + n_cross, np.int32)
    for hop in range(1, hops + 1):
        target = first + (offset + hop) % size
        rewire = g.random(n) < spec.rewire_probability
        target = np.where(rewire, first + (g.random(n) * size).astype(np.int64), target)
        i[(hop - 1) * n : hop * n] = np.arange(n)
        j[(hop - 1) * n : hop * n] = target
    del target, rewire, first, size, offset
    i[hops * n :] = g.integers(0, n, n_cross)
    j[hops * n :] = g.integers(0, n, n_cross)
    # float32 0/1 weights, symmetric, no self-ties; counts of online ties are exact
    return symmetric_ties(i, j, n)


def business_regions(regions: pd.DataFrame, n_citizens: int, spec: WorldSpec) -> np.ndarray:
    """Region of each firm agent: in proportion to population weighted toward cities."""
    n = max(int(round(n_citizens * spec.businesses_per_citizen)), len(regions))
    pull = regions["population"].to_numpy() * (0.5 + regions["urban_share"].to_numpy())
    counts = np.maximum(np.floor(n * pull / pull.sum()).astype(np.int64), 1)
    return np.repeat(np.arange(len(regions)), counts)


def build_businesses(
    store,
    regions: pd.DataFrame,
    region: np.ndarray,
    spec: WorldSpec,
    seed: int,
    vat_shares=(0.05, 0.3, 0.8, 1.0),
) -> None:
    """Firms by size class, readiness higher for larger firms and more urban regions;
    together they stand for one firm per 1/businesses_per_citizen residents. VAT payers
    (shares by size class) from the 'build:vat' stream."""
    g = rng.stream(seed, "build:businesses")
    size = g.choice(4, size=region.size, p=SIZE_SHARES).astype(np.int8)
    mean_ready = np.clip(0.1 + 0.08 * size + 0.1 * regions["urban_share"].to_numpy()[region], 0.02, 0.9)
    firms = regions["population"].to_numpy().sum() * spec.businesses_per_citizen
    store["region"] = region
    store["size"] = size
    store["weight"] = firms / region.size
    store["readiness"] = g.beta(4 * mean_ready, 4 * (1 - mean_ready))
    store["vat_payer"] = rng.stream(seed, "build:vat").random(region.size) < np.asarray(vat_shares)[size]
