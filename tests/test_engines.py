"""The two engines, determinism, and common random numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sim
from sim.model.agents.citizen import ONLINE
from sim.model.params import PolicySpec


def tables(params, seed, engine="vectorized"):
    model = sim.EGovModel(params, seed=seed, engine=engine)
    model.run()
    return model, model.national_frame(), model.region_frame()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_engines_give_identical_tables(busy_params, seed):
    model_v, nat_v, reg_v = tables(busy_params, seed, "vectorized")
    model_a, nat_a, reg_a = tables(busy_params, seed, "agent")
    assert len(model_v.agents_by_type[sim.Citizen]) >= 2000
    assert busy_params.end_year - busy_params.start_year + 1 >= 5
    # the run is not trivial: people change channel, firms adopt, incidents happen
    assert nat_v["citizen_online_share"].iloc[-1] > nat_v["citizen_online_share"].iloc[0]
    assert nat_v["failure_share"].sum() > 0
    assert nat_v["incidents"].sum() > 0
    assert nat_v["people_registered"].iloc[-1] > 0  # the signature barrier is on
    pd.testing.assert_frame_equal(nat_v, nat_a, check_exact=True)
    pd.testing.assert_frame_equal(reg_v, reg_a, check_exact=True)
    for column, values in model_v.citizen_store.columns.items():
        np.testing.assert_array_equal(values, model_a.citizen_store[column], err_msg=column)


def test_engines_agree_with_quarterly_steps(busy_params):
    """Monthly probabilities are converted to the step length the same way in both."""
    quarterly = busy_params.model_copy(update={"steps_per_year": 4})
    _, nat_v, reg_v = tables(quarterly, 2, "vectorized")
    _, nat_a, reg_a = tables(quarterly, 2, "agent")
    assert len(nat_v) == 4 * 6 and nat_v["c2g_participation"].max() > 0
    pd.testing.assert_frame_equal(nat_v, nat_a, check_exact=True)
    pd.testing.assert_frame_equal(reg_v, reg_a, check_exact=True)


def test_same_seed_same_tables_different_seed_differs(busy_params):
    _, nat1, reg1 = tables(busy_params, 7)
    _, nat2, reg2 = tables(busy_params, 7)
    _, nat3, _ = tables(busy_params, 8)
    pd.testing.assert_frame_equal(nat1, nat2, check_exact=True)
    pd.testing.assert_frame_equal(reg1, reg2, check_exact=True)
    assert not nat1["citizen_online_share"].equals(nat3["citizen_online_share"])


def test_common_random_numbers_policy_start(busy_params):
    """Identical but for one policy starting in 2020: same population, same tables
    before 2020, and different after. (The budget is fully allocated in 2019, so the
    extra lever starts when another ends: the model refuses shares summing above 1.)"""
    extra = PolicySpec(lever="data_literacy", start=2020, end=2021, budget_share=0.1)
    with_policy = busy_params.model_copy(update={"policies": [*busy_params.policies, extra]})
    without, with_ = sim.EGovModel(busy_params, seed=5), sim.EGovModel(with_policy, seed=5)
    for column, values in without.citizen_store.columns.items():
        np.testing.assert_array_equal(values, with_.citizen_store[column], err_msg=column)
    for column, values in without.business_store.columns.items():
        np.testing.assert_array_equal(values, with_.business_store[column], err_msg=column)
    assert (without.ties != with_.ties).nnz == 0
    without.run()
    with_.run()
    nat_a, nat_b = without.national_frame(), with_.national_frame()
    before = nat_a["year"] < 2020
    pd.testing.assert_frame_equal(nat_a[before], nat_b[before], check_exact=True)
    reg_a, reg_b = without.region_frame(), with_.region_frame()
    pd.testing.assert_frame_equal(reg_a[reg_a["year"] < 2020], reg_b[reg_b["year"] < 2020], check_exact=True)
    after = nat_a["year"] == 2021
    assert (nat_b.loc[after, "mean_literacy"] > nat_a.loc[after, "mean_literacy"]).all()


def test_agents_are_registered_views_of_their_rows(busy_params):
    model = sim.EGovModel(busy_params, seed=1)
    citizens = model.agents_by_type[sim.Citizen]
    assert len(citizens) == len(model.citizen_store)
    for kind in (sim.Region, sim.Agency, sim.Business, sim.Citizen):
        assert len(model.agents_by_type[kind]) > 0
    person = list(citizens)[10]
    assert person.digital_literacy == model.citizen_store["digital_literacy"][10]
    person.digital_literacy = 0.123
    assert model.citizen_store["digital_literacy"][10] == 0.123
    model.citizen_store["channel"][10] = ONLINE
    assert person.channel == ONLINE
    firm = list(model.agents_by_type[sim.Business])[3]
    firm.adopted = True
    assert model.business_store["adopted"][3]


def test_engine_and_seed_are_checked():
    with pytest.raises(ValueError, match="engine must be one of"):
        sim.EGovModel(seed=1, engine="turbo")
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        sim.EGovModel(seed=-3)


def test_profile_has_one_row_per_place_and_year_whatever_the_step_length(busy_params):
    for steps_per_year in (12, 4):
        params = busy_params.model_copy(update={"steps_per_year": steps_per_year})
        model = sim.EGovModel(params, seed=1).run()
        profile = model.profile_frame()
        years = range(params.start_year, params.end_year + 1)
        assert sorted(set(profile["year"])) == list(years)
        assert len(profile) == len(years) * (model.n_regions + 1)


def test_engines_identical_on_the_full_baseline_with_the_government_side_moving():
    """2005-2030 Kazakhstan: agencies join the exchange, launch services and contract B2G
    providers (the vectorized agency kernel against the per-agent rule)."""
    import pandas as pd

    p = sim.Params()
    p.world.scale = 40000
    agent = sim.EGovModel(p, seed=3, engine="agent").run()
    fast = sim.EGovModel(p, seed=3, engine="vectorized").run()
    last = fast.national_frame().iloc[-1]
    assert last["b2g_providers"] > 0 and last["agencies_joined"] > 3 and last["services_available"] > 142
    for table in ("national_frame", "region_frame", "profile_frame"):
        pd.testing.assert_frame_equal(getattr(agent, table)(), getattr(fast, table)(), check_exact=True)


def test_region_frame_holds_each_steps_regional_record(busy_params):
    """One row per step and region, in step then region order, each value the step's
    regional record (the frame is built column by column, not a frame per step)."""
    model = sim.EGovModel(busy_params, seed=3).run()
    frame = model.region_frame()
    n = model.n_regions
    assert len(frame) == n * model.steps and list(frame.columns[:4]) == ["step", "year", "month", "region"]
    for k in (0, 7, model.steps - 1):
        rows = frame.iloc[k * n : (k + 1) * n]
        national, regional = model._national[k], model._regional[k]
        assert (rows["step"] == national["step"]).all() and (rows["month"] == national["month"]).all()
        assert list(rows["region"]) == list(model.region_names)
        for key, values in regional.items():
            np.testing.assert_array_equal(rows[key].to_numpy(), np.broadcast_to(values, (n,)))
