"""How fast the page advances, measured headless: the app's own step path (AppModel.step,
which steps the ghost alongside) and, after every `render_interval` steps, every live
view drawn to PNG as the page draws it (sim.app.views.all_views). The browser's share
(sending and showing the images) is not included.

    python -m sim.app.speed [SCENARIO] [--repeats N] [--steps N] [--render-interval K]

prints model steps per second for each repeat and their median.
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import replace

from sim.app import views
from sim.app.page import DEFAULT_SCENARIO, RENDER_INTERVAL
from sim.app.session import AppModel, Session


def measure(
    scenario: str, steps: int = 120, render_interval: int = RENDER_INTERVAL, ghost: bool = True
) -> float:
    """Model steps per second over `steps` steps from 2005, with a ghost (the budget
    changed by 10% at step 0) unless `ghost` is false."""
    session = Session(scenario)
    model = AppModel(session=session)
    if ghost:
        model = session.change(replace(session.settings, budget=session.settings.budget * 0.9), model)
    region = model.region_names[0]
    views.all_views(model, region)  # what the page shows on load (not timed)
    t0 = time.perf_counter()
    done = 0
    while done < steps and model.running:
        for _ in range(render_interval):
            model.step()
            done += 1
        views.all_views(model, region)
    return done / (time.perf_counter() - t0)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default=DEFAULT_SCENARIO)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--steps", type=int, default=120)
    parser.add_argument("--render-interval", type=int, default=RENDER_INTERVAL)
    parser.add_argument("--no-ghost", action="store_true")
    args = parser.parse_args(argv)
    rates = [
        measure(args.scenario, args.steps, args.render_interval, not args.no_ghost)
        for _ in range(args.repeats)
    ]
    print(f"{args.scenario}: " + ", ".join(f"{r:.1f}" for r in rates) + " steps/s")
    print(
        f"median {statistics.median(rates):.1f} model steps/s (render interval {args.render_interval}, "
        f"ghost {'off' if args.no_ghost else 'on'})"
    )


if __name__ == "__main__":
    main()
