"""The Stage-Model-Openness classification on hand-built cases."""

from __future__ import annotations

import numpy as np

from sim.model import framework
from sim.model.params import Thresholds

TH = Thresholds()


def strengths(g2g=0.0, g2b=0.0, g2c=0.0, b2g_providers=0.0, c2g_share=0.0):
    return framework.model_strengths(g2g, g2b, g2c, b2g_providers, c2g_share, TH)


def test_agency_stages_can_skip_digitalization():
    assert framework.agency_stage(0.1, 1.0, 0.1, TH) == 1
    assert framework.agency_stage(0.5, 2.0, 0.1, TH) == 2
    # platform and exchange arrive before staff skills: straight to transformation
    assert framework.agency_stage(0.1, 3.5, 0.9, TH) == 3
    stages = framework.agency_stage(
        np.array([0.1, 0.5, 0.1]), np.array([1.0, 2.0, 3.5]), np.array([0.1, 0.1, 0.9]), TH
    )
    assert stages.tolist() == [1, 2, 3]


def test_egov_stages_are_cumulative():
    TH = Thresholds(stage_share=0.5)  # the cumulative logic, at a threshold of one half
    assert framework.egov_stage((0.2, 0.0, 0.0), 0.0, 0.0, False, False, TH) == 0
    assert framework.egov_stage((0.9, 0.1, 0.0), 0.0, 0.0, False, False, TH) == 1
    assert framework.egov_stage((0.9, 0.6, 0.1), 0.0, 0.0, False, False, TH) == 2
    assert framework.egov_stage((0.9, 0.8, 0.6), 0.2, 0.1, False, False, TH) == 3
    assert framework.egov_stage((0.9, 0.8, 0.6), 0.6, 0.5, False, False, TH) == 4
    assert framework.egov_stage((0.9, 0.8, 0.6), 0.6, 0.5, True, False, TH) == 4
    assert framework.egov_stage((0.9, 0.8, 0.6), 0.6, 0.5, True, True, TH) == 5
    # broad e-government needs the integration stage 4 promises: over a fragmented
    # exchange, B2G and C2G run ahead of the stage instead of making it
    assert framework.egov_stage((0.9, 0.8, 0.6), 0.6, 0.5, True, True, TH, links_joined=0.5) == 4
    assert framework.egov_stage((0.9, 0.8, 0.6), 0.6, 0.5, True, True, TH, links_joined=0.8) == 5
    # B2G and C2G alone do not make a stage-1 region "broad"
    assert framework.egov_stage((0.9, 0.1, 0.0), 0.0, 0.0, True, True, TH) == 1
    # transformational conditions without transactional services: still stage 2
    assert framework.egov_stage((0.9, 0.8, 0.1), 0.9, 0.9, False, False, TH) == 2


def test_a_stage_is_reached_by_a_tenth_of_services_by_default():
    """The shipped rule (thresholds.stage_share, Table 3 and the 2012 portal counts)."""
    assert Thresholds().stage_share == 0.1
    assert framework.egov_stage((0.9, 0.12, 0.0), 0.0, 0.0, False, False, Thresholds()) == 2
    assert framework.egov_stage((0.9, 0.08, 0.0), 0.0, 0.0, False, False, Thresholds()) == 1


def test_b2g_active_at_stage_2_is_flagged_ahead():
    row = framework.profile(2, strengths(b2g_providers=TH.b2g_full_providers), 0.2, TH)
    assert row["B2G_active"] and row["B2G_ahead"] and row["ahead_of_stage"]
    assert not row["C2G_active"] and not row["C2G_ahead"]


def test_broad_models_below_stage_5_are_ahead_and_at_stage_5_are_not():
    s = strengths(g2g=0.6, g2b=0.5, g2c=0.8, b2g_providers=TH.b2g_full_providers, c2g_share=0.05)
    at_4 = framework.profile(4, s, 0.4, TH)
    assert at_4["B2G_active"] and at_4["B2G_ahead"] and at_4["C2G_ahead"] and at_4["ahead_of_stage"]
    at_5 = framework.profile(5, s, 0.4, TH)
    assert at_5["B2G_active"] and not at_5["B2G_ahead"] and not at_5["ahead_of_stage"]


def test_c2g_before_transactional_is_ahead_but_g2g_never_is():
    row = framework.profile(1, strengths(g2g=0.9, c2g_share=0.05), 0.0, TH)
    assert row["G2G_active"] and not row["G2G_ahead"]
    assert row["C2G_active"] and row["C2G_ahead"]


def test_model_strength_scales_and_caps():
    s = strengths(b2g_providers=TH.b2g_full_providers / 2, c2g_share=1.0)
    assert s["B2G"] == 0.5 and s["C2G"] == 1.0


def test_openness_levels():
    assert framework.openness_level(0.05, TH) == 0
    assert framework.openness_level(0.2, TH) == 1
    assert framework.openness_level(0.5, TH) == 2
    assert framework.openness_level(0.9, TH) == 3
    # unanswered participation counts for little
    assert framework.openness_index(0.0, 1.0, 0.0) == 0.0
    assert framework.openness_index(1.0, 1.0, 1.0) == 1.0


def test_profile_of_many_regions_at_once():
    stage = np.array([2, 5])
    s = {name: np.array([0.5, 0.5]) for name in framework.MODELS}
    row = framework.profile(stage, s, np.array([0.1, 0.7]), TH)
    assert row["B2G_ahead"].tolist() == [True, False]
    assert row["openness_level"].tolist() == [1, 3]
