"""Kazakhstan's policy timeline since 2005, the default of `Params` and the content of
scenarios/kazakhstan_baseline.yaml (a test keeps the two equal).

Budget shares are the model's reading of where the digital budget went, not audited
figures; dates follow egov_milestones.csv and its sources:
- 2005-2007 State Programme for e-government formation: backbone databases (population,
  legal entities, real estate, addresses) and the e-gov.kz portal (launched 12 April 2006).
- 2007-2008 payment gateway (online settlement with the budget; Stage 3 transactional).
- 2007-2009 Programme for reducing the digital divide: literacy courses and access.
- Public service centres (TsON, from 2016 "Government for Citizens") from 2007.
- Open government (open data portal, e-Otinish petitions) from 2016.
- Electronic invoices mandatory for VAT payers from 2019.
- 21 March - 10 May 2020 lockdown: paper channels closed, 15 million services online.
Ongoing programmes run to 2030 (the status quo); policy variants reallocate from 2025.
"""

from __future__ import annotations

from sim.params import EventSpec, PolicySpec


def kazakhstan_policies() -> list[PolicySpec]:
    rows = [
        dict(lever="new_platforms", start=2005, end=2030, budget_share=0.25),
        dict(lever="interoperability", start=2005, end=2030, budget_share=0.15),
        dict(
            lever="new_platforms",
            start=2007,
            end=2008,
            budget_share=0.10,
            target={"agencies": ["Ministry of Finance"]},
        ),
        dict(lever="data_literacy", start=2007, end=2009, budget_share=0.15),
        dict(lever="broadband", start=2007, end=2009, budget_share=0.15),
        dict(lever="broadband", start=2010, end=2030, budget_share=0.10),
        dict(lever="service_centres", start=2007, end=2030, budget_share=0.10),
        dict(lever="cybersecurity", start=2005, end=2030, budget_share=0.05),
        dict(lever="civil_service_training", start=2005, end=2030, budget_share=0.05),
        dict(lever="open_data", start=2016, end=2030, budget_share=0.05),
        dict(lever="citizen_engagement", start=2016, end=2030, budget_share=0.05),
        dict(lever="mandate", start=2019, end=2030, intensity=0.6, audience="businesses"),
        dict(lever="partnership", start=2016, end=2030, intensity=1.0),
    ]
    return [PolicySpec(**r) for r in rows]


def kazakhstan_events() -> list[EventSpec]:
    return [EventSpec(kind="demand_shock", year=2020, month=3, months=2, intensity=0.9)]
