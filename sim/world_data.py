"""Reference data the world is built from: Kazakhstan's regions (BNS 2023, see
sim/data/kazakhstan/SOURCES.md), the central ministries, and the service catalogue.

Kept apart from the builder so the names can be validated (scenario targets) without
building anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

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
        "business start package", "justice", "businesses", ("finance", "trade", "economy", "digital"), 0.0, True
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
