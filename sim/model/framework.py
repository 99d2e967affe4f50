"""The Integrated Stage-Model-Openness framework as classification functions.

Three dimensions:
1. Stage. An agency's digitalization stage (1 Automation, 2 Digitalization, 3 Digital
   transformation) and a region's or the nation's e-government stage (0 none yet,
   1 Information, 2 Interactive, 3 Transactional, 4 Transformational, 5 broad: B2G and
   C2G active on top of stage 4).
2. Interaction models G2G, G2B, G2C (narrow) and B2G, C2G (broad), each with a strength
   in [0, 1] and active above a threshold.
3. Openness: open data published and participation answered, as an index and a level
   (0 closed, 1 publishing, 2 consultation, 3 participation).

Stages are classified from current inputs, not incremented: an agency reaches stage 3
when its platform and interoperability qualify, whether or not it ever met stage 2's
staff-capacity condition. E-government stages 1-4 are cumulative (a region is
transactional only if it is also interactive), but interaction models are classified on
their own, so a model can be active ahead of the stage the narrow sequence expects: that
is flagged, not prevented. All thresholds live in `sim.model.params.Thresholds`.
"""

from __future__ import annotations

import numpy as np

MODELS = ("G2G", "G2B", "G2C", "B2G", "C2G")
AGENCY_STAGES = {1: "Automation", 2: "Digitalization", 3: "Digital transformation"}
EGOV_STAGES = {
    0: "None",
    1: "Information",
    2: "Interactive",
    3: "Transactional",
    4: "Transformational",
    5: "Broad",
}
OPENNESS_LEVELS = {0: "Closed", 1: "Publishing", 2: "Consultation", 3: "Participation"}
# The narrow stage from which each model is expected: active earlier means "ahead".
# B2G and C2G belong to broad e-government (stage 5): active below it, they run ahead of
# the narrow side - the source paper's finding for Kazakhstan.
MODEL_EXPECTED_STAGE = {"G2G": 1, "G2B": 3, "G2C": 3, "B2G": 5, "C2G": 5}


def agency_stage(capacity, maturity, interop, th):
    """1-3 from staff capacity, mean maturity of own services and interoperability."""
    transformation = (interop >= th.agency_stage3_interop) & (maturity >= th.agency_stage3_maturity)
    digitalization = (capacity >= th.agency_stage2_capacity) & (maturity >= th.agency_stage2_maturity)
    stage = np.where(transformation, 3, np.where(digitalization, 2, 1))
    return int(stage) if np.ndim(stage) == 0 else stage


def model_strengths(g2g, g2b, g2c, b2g_providers, c2g_share, th) -> dict:
    """Strength 0-1 of each interaction model. G2G is linked interoperability, G2B the
    share of firms online, G2C the e-service share of citizen transactions; B2G is the
    number of private providers under contract and C2G the participation share, each
    relative to what counts as full strength."""
    return {
        "G2G": g2g,
        "G2B": g2b,
        "G2C": g2c,
        "B2G": np.minimum(np.asarray(b2g_providers, dtype=np.float64) / th.b2g_full_providers, 1.0),
        "C2G": np.minimum(c2g_share / th.c2g_full_share, 1.0),
    }


def egov_stage(maturity_shares, eservice_share, interop, b2g_active, c2g_active, th, links_joined=1.0):
    """0-5. `maturity_shares` are the shares of services at level >= 1, 2, 3. Stage 5
    needs B2G and C2G active *and* the integration stage 4 promises: the share of data
    dependencies linked through the exchange at least `broad_integration`."""
    s1, s2, s3 = (np.asarray(s) >= th.stage_share for s in maturity_shares)
    s4 = (np.asarray(eservice_share) >= th.transformational_eservice) & (
        np.asarray(interop) >= th.transformational_interop
    )
    s5 = np.asarray(b2g_active) & np.asarray(c2g_active) & (np.asarray(links_joined) >= th.broad_integration)
    cumulative = s1.astype(int) + (s1 & s2) + (s1 & s2 & s3) + (s1 & s2 & s3 & s4)
    stage = cumulative + ((cumulative == 4) & s5)
    return int(stage) if np.ndim(stage) == 0 else stage


def openness_index(open_data, engagement, responsiveness):
    """Half open data published, half participation that gets an answer."""
    return 0.5 * open_data + 0.5 * engagement * np.minimum(responsiveness / 0.5, 1.0)


def openness_level(openness, th):
    level = np.searchsorted(np.asarray(th.openness_levels), openness, side="right")
    return int(level) if np.ndim(level) == 0 else level


def profile(stage, strengths: dict, openness, th) -> dict:
    """The Stage-Model-Openness profile: stage, each model's strength and whether it is
    active, openness, and which active models run ahead of the stage."""
    row = {
        "egov_stage": stage,
        "openness": openness,
        "openness_level": openness_level(openness, th),
    }
    ahead = []
    for name in MODELS:
        active = strengths[name] >= th.model_active
        row[f"{name}_strength"] = strengths[name]
        row[f"{name}_active"] = active
        row[f"{name}_ahead"] = active & (np.asarray(stage) < MODEL_EXPECTED_STAGE[name])
        ahead.append(row[f"{name}_ahead"])
    row["ahead_of_stage"] = np.any(np.array(ahead), axis=0)
    return row
