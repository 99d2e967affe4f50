"""Issue 11: regions from data, cohorts, non-users and lost access, survey-defined
indicators, the VAT-bound e-invoicing mandate, regional drivers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

import sim
from sim.model import cohorts
from sim.model import indicators as metrics
from sim.model.agents.citizen import ONLINE, PAPER
from sim.model.world_data import kazakhstan_regional_inputs

from .conftest import small_world


def kz(scale=2000.0, end_year=2023, **coefficients) -> sim.Params:
    p = sim.Params(end_year=end_year, world=sim.WorldSpec(scale=scale))
    if coefficients:
        p = p.model_copy(update={"coefficients": p.coefficients.model_copy(update=coefficients)})
    return p


def small(**world) -> sim.Params:
    return sim.Params(start_year=2005, end_year=2020, world=small_world(**world))


def test_regional_inputs_come_from_the_data():
    df = kazakhstan_regional_inputs().set_index("region")
    assert len(df) == 20
    ages = df[[f"age_share_{b}" for b in range(4)]]
    np.testing.assert_allclose(ages.sum(axis=1), 1.0)
    assert df.loc["Atyrau", "income_ratio"] > 1.5 and df.loc["Turkistan", "income_ratio"] < 0.6
    # regions created in 2022 take their parent's values
    assert df.loc["Abai", "income_ratio"] == df.loc["East Kazakhstan", "income_ratio"]
    assert df.loc["Jetisu", "age_share_3"] == df.loc["Almaty Region", "age_share_3"]
    # young regions have more 15-29s and fewer 60+ than old ones
    assert df.loc["Turkistan", "age_share_0"] > df.loc["North Kazakhstan", "age_share_0"]
    assert df.loc["Turkistan", "age_share_3"] < df.loc["North Kazakhstan", "age_share_3"]
    assert df.loc["Karaganda", "rural_signal"] < 1 < df.loc["Mangystau", "rural_signal"]


def region_age_mix(model) -> np.ndarray:
    c = model.citizen_store
    return np.array(
        [np.bincount(c["age_band"][c["region"] == r], minlength=4) for r in range(model.n_regions)]
    )


def test_age_mix_of_each_region_stays_on_its_recorded_path():
    """25 Januaries of turnover: every region's mix stays at its recorded shares (the
    path is constant: one age structure per region is recorded)."""
    m = sim.EGovModel(kz(scale=1000.0), seed=3)
    k = m.params.coefficients
    counts = region_age_mix(m)
    first = counts / counts.sum(axis=1, keepdims=True)
    entered = 0
    for year in range(2006, 2031):
        entered += cohorts.turnover(m.citizen_store, m.age_shares, m.income_ratio, k, 3, year).size
    counts = region_age_mix(m)
    last = counts / counts.sum(axis=1, keepdims=True)
    # a fifth of the population enters over 25 years (15-29 share / 15 per year)
    assert 0.3 < entered / len(m.citizen_store) < 0.7
    n = counts.sum(axis=1, keepdims=True)
    tolerance = 4 * np.sqrt(0.25 / n) + 0.01
    assert (np.abs(last - m.age_shares) < tolerance).all()
    assert (np.abs(first - m.age_shares) < tolerance).all()
    national = counts.sum(axis=0) / counts.sum()
    expected = m.people_by_region @ m.age_shares / m.people_by_region.sum()
    np.testing.assert_allclose(national, expected, atol=0.01)


def test_newcomers_start_as_15_year_olds_of_their_region():
    m = sim.EGovModel(small(), seed=1)
    c = m.citizen_store
    c["channel"] = ONLINE
    c["last_online_step"] = 5
    c["registered"] = True
    region_before, urban_before = c["region"].copy(), c["urban"].copy()
    old = np.flatnonzero(c["age_band"] == 3)
    new = cohorts.turnover(c, m.age_shares, m.income_ratio, m.params.coefficients, 1, 2006)
    assert new.size and set(new) <= set(old)
    assert (c["age_band"][new] == 0).all() and (c["channel"][new] == PAPER).all()
    assert (c["last_online_step"][new] == -1).all() and not c["registered"][new].any()
    assert c["registered"].sum() == c["registered"].size - new.size  # the others keep their keys
    np.testing.assert_array_equal(c["region"], region_before)
    np.testing.assert_array_equal(c["urban"], urban_before)


def test_turnover_raises_use_and_lowers_non_users_against_a_frozen_population():
    """Turnover off (every cohort a copy of the 2005 one): fewer users later, because the
    oldest (most often non-users, least literate) are never replaced."""
    on = sim.EGovModel(small(), seed=2).run().national_frame()
    frozen = small()
    frozen = frozen.model_copy(update={"world": frozen.world.model_copy(update={"cohort_turnover": False})})
    off = sim.EGovModel(frozen, seed=2).run().national_frame()
    pd.testing.assert_frame_equal(on[on["year"] == 2005], off[off["year"] == 2005])
    end = on.index[-1]
    assert on.loc[end, "non_user_share"] < off.loc[end, "non_user_share"] - 0.02
    assert off.loc[end, "non_user_share"] == pytest.approx(off.loc[0, "non_user_share"])
    assert on.loc[end, "egov_users_12m_share"] > off.loc[end, "egov_users_12m_share"]


def test_non_users_never_transact_online_and_access_can_be_lost():
    p = small()
    eager = p.model_copy(update={"coefficients": p.coefficients.model_copy(update={"online_intercept": 5.0})})
    m = sim.EGovModel(eager, seed=4).run()
    c = m.citizen_store
    assert c["non_user"].any() and (c["last_online_step"][c["non_user"]] == -1).all()
    assert (c["last_online_step"][~c["non_user"]] >= 0).mean() > 0.5
    losing = p.model_copy(
        update={"coefficients": p.coefficients.model_copy(update={"access_loss_rate": 0.5})}
    )
    kept = sim.EGovModel(p, seed=4).run().national_frame()["internet_use_share"].iloc[-1]
    lost = sim.EGovModel(losing, seed=4).run().national_frame()["internet_use_share"].iloc[-1]
    assert lost < kept - 0.05


def test_twelve_month_use_counts_until_december_and_not_after():
    """One online use in January 2019 counts in the 12-month share until December 2019."""
    m = sim.EGovModel(small(), seed=1)
    c, spy = m.citizen_store, m.params.steps_per_year
    january_2019 = (2019 - 2005) * spy + 1
    c["last_online_step"] = -1
    c["last_online_step"][0] = january_2019
    one = c["weight"][0]
    people = m.people_by_region.sum()
    for step, counted in [(january_2019, True), (january_2019 + 11, True), (january_2019 + 12, False)]:
        m.steps = step
        nat = metrics.national_indicators(m, metrics.region_indicators(m))
        assert nat["egov_users_12m_share"] == pytest.approx(one / people if counted else 0.0)
        assert nat["people_ever_online"] == pytest.approx(one)  # ever: still counted after
        services = one * m.params.coefficients.eservices_per_contact  # a contact stands for several
        assert nat["online_transactions_per_month"] == pytest.approx(
            services if step == january_2019 else 0.0
        )
    assert metrics.households_with_a_user(0.2, 1.0) == pytest.approx(0.2)
    assert metrics.households_with_a_user(0.2, 2.0) == pytest.approx(0.36)


def test_share_of_services_available_online_counts_transactional_services():
    m = sim.EGovModel(small(), seed=1)
    mat, live = m.services.maturity, m.services.available
    mat[:] = 2.0
    mat[: len(mat) // 4] = 3.0
    nat = metrics.national_indicators(m, metrics.region_indicators(m))
    # counted over the services available (proactive ones not yet launched are not)
    expected = (mat[live] >= 3).sum() / live.sum()
    assert expected > 0.2
    assert nat["services_transactional_share"] == pytest.approx(expected)


@pytest.mark.parametrize("engine", ["vectorized", "agent"])
def test_e_invoicing_mandate_binds_vat_payers_only(engine):
    p = sim.Params(
        start_year=2019,
        end_year=2019,
        world=small_world(),
        policies=[
            sim.PolicySpec(lever="mandate", start=2019, end=2019, intensity=1.0, audience="businesses")
        ],
        events=[],
    )
    p = p.model_copy(update={"coefficients": p.coefficients.model_copy(update={"business_intercept": -20.0})})
    m = sim.EGovModel(p, seed=1, engine=engine).run()
    b = m.business_store
    np.testing.assert_array_equal(b["adopted"], b["vat_payer"])
    share = [b["vat_payer"][b["size"] == s].mean() for s in range(4)]
    assert share[0] < 0.15 and share[3] == 1.0


def test_regional_ordering_is_not_urban_share_alone():
    """The 2023 ordering of online use by region: rank correlation with urban share below
    0.9 (median over seeds, reduced scale)."""
    rhos = {"egov_users_12m_share": [], "citizen_online_share": []}
    for seed in (1, 2, 3):
        m = sim.EGovModel(kz(scale=2000.0), seed=seed).run()
        r = m.region_frame()
        dec = r[r["step"] == r["step"].max()]
        for name in rhos:
            rhos[name].append(spearmanr(dec[name], m.region_store["urban_share"])[0])
    assert np.median(rhos["egov_users_12m_share"]) < 0.9
    assert np.median(rhos["citizen_online_share"]) < 0.9


def test_region_drivers_decompose_the_gap():
    from sim import plots
    from sim.analysis.drivers import INPUTS, region_drivers

    # 2023: by 2015 too few people use e-government at this scale for the signs to be
    # more than seed noise; and one seed's signs are not enough either (with the signature
    # barrier on, North Kazakhstan's age term is +0.01 with seed 1, -0.04 and -0.12 with
    # seeds 2 and 3), so the signs are read off the mean decomposition of three seeds
    runs = [
        region_drivers(sim.EGovModel(kz(scale=4000.0, end_year=2023), seed=seed), year=2023).set_index(
            "region"
        )
        for seed in (1, 2, 3)
    ]
    for one in runs:
        np.testing.assert_allclose(one["gap"], one[list(INPUTS)].sum(axis=1) + one["other"])
    df = sum(one[["gap", *INPUTS, "other"]] for one in runs) / len(runs)
    assert df.loc["Turkistan", "income"] < 0 < df.loc["Atyrau", "income"]
    assert df.loc["Almaty Region", "settlement"] < 0 < df.loc["Almaty", "settlement"]
    assert df.loc["North Kazakhstan", "age"] < 0
    fig = plots.drivers_figure(df.reset_index())
    assert len(fig.axes) == 1
