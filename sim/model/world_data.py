"""Reference data the world is built from: Kazakhstan's regions (BNS 2023, see
sim/data/kazakhstan/SOURCES.md), the central ministries, and the service catalogue.

Kept apart from the builder so the names can be validated (scenario targets) without
building anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd

DATA = resources.files("sim") / "data" / "kazakhstan"

# Central agencies and the short keys services use for them. One local executive
# (akimat) per region is added by the builder.
CENTRAL_AGENCIES: dict[str, str] = {
    "justice": "Ministry of Justice",
    "interior": "Ministry of Internal Affairs",
    "finance": "Ministry of Finance",
    "labour": "Ministry of Labour and Social Protection",
    "health": "Ministry of Health",
    "education": "Ministry of Education",
    "digital": "Ministry of Digital Development",
    "agriculture": "Ministry of Agriculture",
    "transport": "Ministry of Transport",
    "ecology": "Ministry of Ecology",
    "trade": "Ministry of Trade and Integration",
    "economy": "Ministry of National Economy",
    "emergency": "Ministry of Emergency Situations",
    "land": "Land Management Committee",
}
LOCAL = "local"  # the region's own akimat
# Agencies hosting the backbone registers built by the 2005-2007 State Programme
# (individuals, legal entities, addresses, real estate): on the data exchange from 2005.
BACKBONE_AGENCIES = ("Ministry of Justice", "Ministry of Internal Affairs", "Ministry of Digital Development")


@dataclass(frozen=True)
class ServiceTemplate:
    """A service in the catalogue: who owns it, who uses it, whose data it needs.

    `owner == LOCAL` services exist once per region, owned by that region's akimat.
    `maturity_2005` is the starting level (0 offline .. 4 transformational).
    `proactive` services (life-event bundles) are launched only once their owner is at
    digital transformation and all their data partners are on the exchange.
    """

    name: str
    owner: str
    audience: str  # "citizens" | "businesses"
    depends_on: tuple[str, ...]
    maturity_2005: float
    proactive: bool = False


SERVICES: tuple[ServiceTemplate, ...] = (
    ServiceTemplate("birth registration", "justice", "citizens", ("health", "interior"), 1.0),
    ServiceTemplate("identity card", "interior", "citizens", ("justice",), 1.0),
    ServiceTemplate("address registration", LOCAL, "citizens", ("interior", "justice"), 1.0),
    ServiceTemplate("pension assignment", "labour", "citizens", ("justice", "interior", "finance"), 1.0),
    ServiceTemplate("social benefits", LOCAL, "citizens", ("labour", "finance", "interior"), 1.0),
    ServiceTemplate("personal tax declaration", "finance", "citizens", ("justice",), 1.0),
    ServiceTemplate("school enrolment", LOCAL, "citizens", ("education", "health", "interior"), 1.0),
    ServiceTemplate("medical appointment", "health", "citizens", ("interior",), 1.0),
    ServiceTemplate("driving licence", "interior", "citizens", ("health", "transport"), 1.0),
    ServiceTemplate("vehicle registration", "interior", "citizens", ("finance", "transport"), 1.0),
    ServiceTemplate("land plot request", LOCAL, "citizens", ("land", "justice"), 0.5),
    ServiceTemplate("housing queue", LOCAL, "citizens", ("justice", "finance", "labour"), 0.5),
    ServiceTemplate("certificate of no criminal record", "interior", "citizens", ("justice",), 1.0),
    ServiceTemplate("company registration", "justice", "businesses", ("finance",), 1.0),
    ServiceTemplate("business licence", "trade", "businesses", ("justice", "finance", "ecology"), 1.0),
    ServiceTemplate("tax reporting", "finance", "businesses", ("justice",), 1.0),
    ServiceTemplate("e-invoicing", "finance", "businesses", ("trade",), 0.0),
    ServiceTemplate("customs declaration", "finance", "businesses", ("trade", "transport"), 1.0),
    ServiceTemplate("construction permit", LOCAL, "businesses", ("land", "ecology", "emergency"), 0.5),
    ServiceTemplate("public procurement", "finance", "businesses", ("justice", "economy"), 1.0),
    ServiceTemplate("agricultural subsidy", "agriculture", "businesses", ("finance", "land"), 0.5),
    ServiceTemplate("statistical reporting", "economy", "businesses", ("digital",), 1.0),
    ServiceTemplate("digital signature", "digital", "citizens", ("interior", "justice"), 0.5),
    ServiceTemplate("university grant application", "education", "citizens", ("health", "interior"), 0.5),
    ServiceTemplate("land cadastre extract", "land", "citizens", ("justice",), 1.0),
    ServiceTemplate("environmental permit", "ecology", "businesses", ("land", "emergency"), 0.5),
    ServiceTemplate("freight transport permit", "transport", "businesses", ("finance", "interior"), 0.5),
    ServiceTemplate("fire safety certificate", "emergency", "businesses", ("land",), 0.5),
    # proactive life-event services (the "composite services" of the 2020s)
    ServiceTemplate(
        "newborn package", "justice", "citizens", ("health", "interior", "labour", "finance"), 0.0, True
    ),
    ServiceTemplate(
        "retirement package", "labour", "citizens", ("interior", "finance", "health", "justice"), 0.0, True
    ),
    ServiceTemplate(
        "family benefits", LOCAL, "citizens", ("labour", "finance", "interior", "education"), 0.0, True
    ),
    ServiceTemplate(
        "business start package",
        "justice",
        "businesses",
        ("finance", "trade", "economy", "digital"),
        0.0,
        True,
    ),
)


@cache
def kazakhstan_regions() -> pd.DataFrame:
    """The 20 first-level units (17 oblasts, 3 cities), population 1 Jan 2023 (BNS)."""
    with (DATA / "regions.csv").open() as f:
        return pd.read_csv(f)


def kazakhstan_region_names() -> list[str]:
    return kazakhstan_regions()["region"].tolist()


def synthetic_region_names(n: int) -> list[str]:
    return [f"Region {i + 1}" for i in range(n)]


def local_agency_name(region: str) -> str:
    return f"Akimat of {region}"


def agency_names(region_names: list[str]) -> list[str]:
    """All agencies of a world, in the builder's order: central first, then akimats."""
    return list(CENTRAL_AGENCIES.values()) + [local_agency_name(r) for r in region_names]


def reference_series(name: str) -> pd.DataFrame:
    """A published Kazakhstan series (internet_users, egdi, egov_milestones)."""
    with (DATA / f"{name}.csv").open() as f:
        return pd.read_csv(f)


# --- regional inputs (issue 11): income, age structure, rural connectivity ------------

REGIONAL = DATA / "regional"
# regions created in June 2022 take their parent's values in series that predate them
PARENT = {"Abai": "East Kazakhstan", "Jetisu": "Almaty Region", "Ulytau": "Karaganda"}
NATIONAL_ADULT_AGE_SHARES = (0.30, 0.28, 0.24, 0.18)  # 15-29, 30-44, 45-59, 60+ (BNS, rounded)
VILLAGES_WITHOUT_MOBILE_INTERNET = 0.227  # national, 2023 (SocioExpert; SOURCES.md)


def _regional_csv(name: str) -> pd.DataFrame:
    with (REGIONAL / f"{name}.csv").open() as f:
        return pd.read_csv(f, dtype={"year": str})


def _parent_value(values: dict[str, float], region: str, default: float) -> float:
    return values.get(region, values.get(PARENT.get(region, ""), default))


def adult_age_shares(child_share: float, old_share: float, national_child_share: float) -> np.ndarray:
    """Shares of the 15+ population in the bands 15-29, 30-44, 45-59, 60+ from a region's
    share aged 0-15 and share above working age (men 63+, women 59+, read as 60+):
    60+ = old / (1 - child); the 15-59 rest is split like the nation's bands, tilted toward
    15-29 in proportion to how much younger than the nation the region is (more children
    now, more young adults)."""
    old = old_share / (1.0 - child_share)
    tilt = 0.5 * (child_share - national_child_share) / national_child_share
    base = np.array(NATIONAL_ADULT_AGE_SHARES[:3]) * np.array([1.0 + tilt, 1.0, 1.0 - tilt])
    return np.append(base / base.sum() * (1.0 - old), old)


@cache
def kazakhstan_regional_inputs() -> pd.DataFrame:
    """Per region: income ratio to the nation (mean 2018-2020), adult age-band shares,
    and the rural-coverage factor from villages without mobile internet."""
    names = kazakhstan_region_names()
    inc = _regional_csv("income_per_capita_nominal")
    inc = inc[inc["year"].isin(["2018", "2019", "2020"])]
    table = inc.pivot_table(index="year", columns="region", values="value")
    ratio = (table.div(table["Kazakhstan"], axis=0)).mean().to_dict()

    ages = _regional_csv("age_structure_counts")
    kind = ages["unit"].str.extract(r"(aged 0-15|above working age|total)")[0]
    ages = ages.assign(kind=kind).pivot_table(index="region", columns="kind", values="value")
    child = (ages["aged 0-15"] / ages["total"]).to_dict()
    old = (ages["above working age"] / ages["total"]).to_dict()

    villages = _regional_csv("rural_settlements_count").set_index("region")
    without = _regional_csv("rural_settlements_without_internet").set_index("region")
    offline = {
        r: float(without.loc[r, "value"]) / float(villages.loc[r, "value"])
        for r in without.index
        if r in villages.index and r != "Kazakhstan"
    }

    rows = []
    for r in names:
        c = _parent_value(child, r, child["Kazakhstan"])
        o = _parent_value(old, r, old["Kazakhstan"])
        shares = adult_age_shares(c, o, child["Kazakhstan"])
        v = offline.get(r, VILLAGES_WITHOUT_MOBILE_INTERNET)  # Ulytau: not its parent's
        rows.append(
            {
                "region": r,
                "income_ratio": _parent_value(ratio, r, 1.0),
                **{f"age_share_{b}": shares[b] for b in range(4)},
                "rural_signal": (1.0 - v) / (1.0 - VILLAGES_WITHOUT_MOBILE_INTERNET),
            }
        )
    return pd.DataFrame(rows)
