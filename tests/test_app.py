"""The teaching app without a browser: settings become parameters as documented, the
ghost is the run without the last change (same seed, same step), every view draws, and
`egov app` refuses bad input and warns about non-loopback hosts."""

from __future__ import annotations

from dataclasses import replace

import pytest

pytest.importorskip("solara", reason="the app's packages are not installed (pip install -e '.[app]')")

from sim.app import views  # noqa: E402
from sim.app.server import is_loopback  # noqa: E402
from sim.app.session import (  # noqa: E402
    AppModel,
    Session,
    SettingsError,
    default_settings,
    scenario_names,
    to_params,
)


def test_scenario_selector_lists_teaching_scenarios_first_then_shipped():
    names = scenario_names()
    assert names[0].startswith("teaching/")
    assert {"teaching/tipping_point", "teaching/out_of_order", "teaching/hysteresis"} <= set(names)
    assert {"teaching/interoperability_vs_platforms", "kazakhstan_baseline"} <= set(names)


def test_settings_apply_budget_shares_start_years_and_feedbacks():
    s = default_settings("kazakhstan_baseline")
    assert s.levers["broadband"].share == pytest.approx(0.15)  # 2007-2009 peak
    assert s.levers["broadband"].start == 2007
    p = to_params(s.with_lever("broadband", share=0.075).with_feedback("habit", False))
    shares = sorted(x.budget_share for x in p.policies if x.lever == "broadband")
    assert shares == pytest.approx([0.05, 0.075])  # every item scaled by one half
    assert p.feedbacks.habit is False
    later = to_params(s.with_lever("open_data", start=2020))
    assert [x.start for x in later.policies if x.lever == "open_data"] == [2020]
    dropped = to_params(s.with_lever("broadband", start=2012))
    assert [(x.start, x.end) for x in dropped.policies if x.lever == "broadband"] == [(2012, 2030)]
    added = to_params(default_settings("teaching/tipping_point").with_lever("new_platforms", share=0.2))
    assert [(x.lever, x.budget_share) for x in added.policies][-1] == ("new_platforms", 0.2)
    assert to_params(replace(s, budget=55.0, scale=8000.0)).world.scale == 8000.0


def test_settings_that_overspend_are_refused_in_one_line():
    s = default_settings("teaching/tipping_point")
    with pytest.raises(SettingsError, match="budget shares sum to"):
        to_params(s.with_lever("new_platforms", share=0.9))


def test_the_ghost_is_the_run_without_the_last_change_at_the_same_step():
    session = Session("teaching/tipping_point")
    model = AppModel(session=session)
    for _ in range(12):
        model.step()
    changed = session.change(replace(session.settings, budget=36.0), model)
    assert changed.steps == 12 and changed.ghost is model and changed.ghost.steps == 12
    assert changed.seed == model.seed and changed.ghost_label == "ghost: budget 40.0"
    for _ in range(6):
        changed.step()
    assert changed.ghost.steps == 18
    s = views.summary(changed)
    assert s["ghost_data_links_joined"] - s["data_links_joined"] >= 0.3  # tipped vs fragmented
    # the same run as a fresh model with the new settings (fast-forward changes nothing)
    fresh = AppModel(settings=session.settings)
    for _ in range(18):
        fresh.step()
    assert fresh.national_frame().equals(changed.national_frame())
    # Reset (Mesa rebuilds from the session): both from step 0, the ghost still the old settings
    reset = AppModel(session=session)
    assert reset.steps == 0 and reset.ghost.steps == 0 and reset.ghost.params.budget == 40.0
    # a bad change is refused and keeps the state
    with pytest.raises(SettingsError):
        session.change(session.settings.with_lever("interoperability", share=1.5), changed)
    with pytest.raises(SettingsError, match="seed"):
        session.change(replace(session.settings, seed=-1), changed)
    assert session.settings.budget == 36.0 and session.settings.seed == 0


def test_a_gesture_of_quick_changes_is_one_change_for_the_ghost():
    session = Session("teaching/tipping_point")
    model = AppModel(session=session)
    for budget in (39.0, 38.0, 37.0):
        model = session.change(replace(session.settings, budget=budget), model)
    assert model.ghost_label == "ghost: budget 40.0"
    model.step()
    model = session.change(replace(session.settings, budget=30.0), model)
    assert model.ghost_label == "ghost: budget 37.0"


def test_every_view_draws_for_each_teaching_scenario():
    for name in scenario_names():
        if not name.startswith("teaching/"):
            continue
        session = Session(name)
        model = AppModel(session=session)
        model.step()
        model = session.change(session.settings.with_feedback("habit", False), model)
        model.step()
        images = views.all_views(model, model.region_names[-1])
        expected = {"adoption", "agencies", "profile", "map"}
        if len(model.citizen_store) <= 5000:
            expected.add("network")
        assert set(images) == expected, name
        assert all(b.startswith(b"\x89PNG") for b in images.values())


def test_loopback_detection_and_the_cli_checks_the_scenario_first():
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")
    from typer.testing import CliRunner

    from sim.cli import app

    result = CliRunner().invoke(app, ["app", "no_such_scenario"])
    assert result.exit_code == 2 and "no such scenario" in result.stderr


def test_egov_app_binds_loopback_by_default_and_warns_otherwise(monkeypatch):
    from typer.testing import CliRunner

    import sim.app.server
    from sim.cli import app

    calls = []
    monkeypatch.setattr(sim.app.server, "serve", lambda *a, **kw: calls.append((a, kw)))
    quiet = CliRunner().invoke(app, ["app", "teaching/out_of_order", "--port", "9999"])
    assert quiet.exit_code == 0 and "warning" not in quiet.stderr
    assert calls[-1] == (("teaching/out_of_order",), dict(host="127.0.0.1", port=9999, seed=None))
    loud = CliRunner().invoke(app, ["app", "--host", "0.0.0.0"])
    assert loud.exit_code == 0 and "warning" in loud.stderr and "0.0.0.0" in loud.stderr
    assert calls[-1][1]["host"] == "0.0.0.0" and calls[-1][0] == ("teaching/tipping_point",)
