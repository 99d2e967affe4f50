"""Shared small worlds: a few thousand citizens, so every test runs in seconds."""

from __future__ import annotations

import pytest

import sim
from sim.model.params import EventSpec, PolicySpec


def small_world(**world) -> sim.WorldSpec:
    spec = dict(kind="synthetic", n_regions=4, synthetic_population=100_000, scale=40.0)
    spec.update(world)
    return sim.WorldSpec(**spec)


def busy_policies() -> list[PolicySpec]:
    """Several levers at once, on different targets."""
    rows = [
        dict(lever="new_platforms", start=2016, end=2021, budget_share=0.2),
        dict(lever="interoperability", start=2016, end=2021, budget_share=0.2),
        dict(
            lever="data_literacy",
            start=2017,
            end=2019,
            budget_share=0.1,
            target={"lagging": {"indicator": "mean_literacy", "count": 2}},
        ),
        dict(
            lever="broadband",
            start=2016,
            end=2021,
            budget_share=0.15,
            target={"regions": ["Region 3", "Region 4"]},
        ),
        dict(lever="service_centres", start=2016, end=2021, budget_share=0.1),
        dict(lever="citizen_engagement", start=2016, end=2021, budget_share=0.1),
        dict(lever="open_data", start=2016, end=2021, budget_share=0.05),
        dict(
            lever="cybersecurity",
            start=2018,
            end=2021,
            budget_share=0.05,
            target={"agencies": ["Ministry of Finance", "Ministry of Justice"]},
        ),
        dict(lever="civil_service_training", start=2016, end=2021, budget_share=0.05),
        dict(lever="mandate", start=2019, end=2021, intensity=0.5, audience="businesses"),
        dict(lever="mandate", start=2020, end=2021, intensity=0.3, audience="citizens"),
    ]
    return [PolicySpec(**r) for r in rows]


def busy_events() -> list[EventSpec]:
    return [
        EventSpec(kind="demand_shock", year=2020, month=3, months=2, intensity=0.9, need_surge=1.0),
        EventSpec(kind="cyber_wave", year=2018, month=6, months=3, intensity=8.0),
    ]


@pytest.fixture
def busy_params() -> sim.Params:
    return sim.Params(
        name="busy",
        start_year=2016,
        end_year=2021,
        world=small_world(),
        policies=busy_policies(),
        events=busy_events(),
    )
