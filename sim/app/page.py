"""The teaching page: Mesa's SolaraViz (app bar; play, step and reset; play and render
intervals) around the model's own controls and live views.

Served by `egov app` (sim/app/server.py) as a Solara app; the scenario it opens with is
read from the EGOV_APP_SCENARIO environment variable. Each browser tab has its own
session (settings, model and ghost).

Controls act at once: the model is rebuilt with the new settings and run to the step the
old one had reached, and the old one becomes the ghost (the same seed without the last
change), stepped alongside and drawn dashed grey. Reset rebuilds both from the start.
"""

from __future__ import annotations

import os

import solara
from mesa.visualization import SolaraViz
from mesa.visualization.utils import update_counter

from sim.app import views
from sim.app.session import FEEDBACKS, SPENDING, AppModel, Session, SettingsError, scenario_names

DEFAULT_SCENARIO = "teaching/tipping_point"
SCALES = ["100", "250", "500", "1000", "2000", "4000", "8000", "20000"]
PLAY_INTERVAL_MS = 1
RENDER_INTERVAL = 12  # model steps per redraw: one simulated year (Mesa's slider changes it)


def initial_scenario() -> str:
    return os.environ.get("EGOV_APP_SCENARIO") or DEFAULT_SCENARIO


def initial_seed() -> int | None:
    seed = os.environ.get("EGOV_APP_SEED")
    return int(seed) if seed else None


@solara.component
def Controls(session: Session, model: solara.Reactive, region: solara.Reactive, error: solara.Reactive):
    """Scenario, seed, budget, scale, levers and feedbacks of the current session."""
    settings = session.settings
    current = model.value

    def apply(build):
        try:
            with session.lock:
                model.set(build())
            error.set(None)
        except SettingsError as e:
            error.set(f"not applied: {e}")

    def choose(name):
        if name and name != settings.scenario:
            apply(lambda: session.choose_scenario(name, model.value))
            region.set(None)

    def change(**kw):
        def handler(value):
            from dataclasses import replace

            apply(lambda: session.change(replace(session.settings, **{k: value for k in kw}), model.value))

        return handler

    def lever(name, what):
        def handler(value):
            new = session.settings.with_lever(name, **{what: value})
            apply(lambda: session.change(new, model.value))

        return handler

    def feedback(name):
        def handler(value):
            apply(lambda: session.change(session.settings.with_feedback(name, value), model.value))

        return handler

    with solara.Card("Scenario and policy"):
        solara.Select("scenario", values=scenario_names(), value=settings.scenario, on_value=choose)
        solara.Text(current.params.description or "(no description)", style={"font-size": "0.85em"})
        solara.InputInt("seed", value=settings.seed, on_value=change(seed=True))
        solara.SliderFloat(
            f"budget {settings.budget:g} bn/yr",
            value=settings.budget,
            min=0.0,
            max=max(100.0, settings.budget),
            step=1.0,
            on_value=change(budget=True),
        )
        scales = sorted({*SCALES, str(int(settings.scale))}, key=float)
        solara.Select(
            "scale (people per citizen agent)",
            values=scales,
            value=str(int(settings.scale)),
            on_value=lambda v: change(scale=True)(float(v)),
        )
        p = current.params
        shown = [
            *settings.levers,
            *(n for n in ("interoperability", "new_platforms") if n not in settings.levers),
        ]
        for name in shown:
            s = settings.levers.get(name)
            share, start = (s.share, s.start) if s else (0.0, p.start_year)
            solara.Text(
                f"{name}: " + (f"share {share:.3f}, " if name in SPENDING else "") + f"from {start}",
                style={"font-size": "0.9em", "margin-top": "6px"},
            )
            if name in SPENDING:
                solara.SliderFloat(
                    f"{name} share",
                    value=share,
                    min=0.0,
                    max=1.0,
                    step=0.005,
                    on_value=lever(name, "share"),
                )
            solara.SliderInt(
                f"{name} from",
                value=start,
                min=p.start_year,
                max=p.end_year,
                on_value=lever(name, "start"),
            )
        solara.Text("Feedbacks (docs/model.md 5.11)", style={"font-weight": "bold"})
        for name in FEEDBACKS:
            solara.Checkbox(label=name, value=settings.feedbacks.get(name, True), on_value=feedback(name))
        solara.Select(
            "profile: region",
            values=current.region_names,
            value=region.value if region.value in current.region_names else current.region_names[0],
            on_value=region.set,
        )
        if error.value:
            solara.Error(error.value)


def _fmt(value, share=True) -> str:
    if value != value:  # NaN
        return "-"
    return f"{value:.0%}" if share else f"{value:.2f}"


@solara.component
def Views(model: solara.Reactive, region: solara.Reactive):
    """The live views, redrawn after each rendered step (Mesa's update counter)."""
    update_counter.get()
    m = model.value
    place = region.value if region.value in m.region_names else m.region_names[0]
    ghost_steps = m.ghost.steps if getattr(m, "ghost", None) is not None else -1
    images = solara.use_memo(lambda: views.all_views(m, place), [id(m), m.steps, ghost_steps, place])
    s = views.summary(m)
    year = f"{m.year}-{m.month:02d}" if m.steps else "start"
    caption = (
        f"step {m.steps} ({year}): online {_fmt(s['citizen_online_share'])}, "
        f"e-service {_fmt(s['eservice_share'])}, data links joined {_fmt(s['data_links_joined'], False)}, "
        f"stage {s['egov_stage'] if s['egov_stage'] == s['egov_stage'] else '-'}"
    )
    with solara.Column(style={"padding": "4px"}):
        solara.Text(caption, classes=["egov-now"])
        if m.ghost_label:
            solara.Text(
                f"{m.ghost_label} (dashed grey): online {_fmt(s['ghost_citizen_online_share'])}, "
                f"data links joined {_fmt(s['ghost_data_links_joined'], False)}",
                classes=["egov-ghost"],
            )
        else:
            solara.Text(
                "no ghost yet: change a control to keep this run as the ghost", classes=["egov-noghost"]
            )
        with solara.GridFixed(columns=2, justify_items="stretch", align_items="start"):
            for name in ("adoption", "agencies", "profile", "map", "network"):
                if name in images:
                    with solara.Div(classes=[f"egov-view-{name}"]):
                        solara.Image(images[name], format="png", width="100%")


@solara.component
def Page():
    session = solara.use_memo(lambda: Session(initial_scenario(), initial_seed()), [])
    first = solara.use_memo(lambda: AppModel(session=session), [])
    model = solara.use_reactive(first)
    region = solara.use_reactive(None)
    error = solara.use_reactive(None)
    SolaraViz(
        model,
        components=[],
        model_params={"session": session},
        name="egov-sim: e-government adoption, live",
        play_interval=PLAY_INTERVAL_MS,
        render_interval=RENDER_INTERVAL,
    )
    with solara.Columns([2, 5]):
        Controls(session, model, region, error)
        Views(model, region)
