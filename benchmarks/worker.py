"""One measurement in a fresh interpreter: ``python -m benchmarks.worker TASK JSON``.

Prints one JSON line with the result, including this process's peak memory. The
orchestrator (`benchmarks.suite`) starts a new worker per measurement, so each peak
belongs to one model alone.
"""

from __future__ import annotations

import cProfile
import gc
import json
import pstats
import sys
from time import perf_counter

from benchmarks.harness import ROOT, current_rss_mib, peak_rss_mib

TASKS = {}


def task(fn):
    TASKS[fn.__name__] = fn
    return fn


def population() -> float:
    """People in the default (Kazakhstan) world, to turn a citizen count into a scale."""
    import sim
    from sim.model.world import regions_frame

    return float(regions_frame(sim.WorldSpec()).population.sum())


def make_params(n_citizens: int, start_year: int | None = None, end_year: int | None = None):
    """Default Params (Kazakhstan baseline, its policies and events) at ~n_citizens."""
    import sim

    years = {}
    if start_year is not None:
        years["start_year"] = start_year
    if end_year is not None:
        years["end_year"] = end_year
    return sim.Params(world=sim.WorldSpec(scale=population() / n_citizens), **years)


def build(params, seed: int, engine: str = "vectorized"):
    # imported before the clock starts: `sim` exports lazily, and the first access to
    # sim.EGovModel would otherwise charge the import of Mesa and pandas to the build
    from sim.model.egov_model import EGovModel

    gc.collect()
    start = perf_counter()
    model = EGovModel(params=params, seed=seed, engine=engine)
    return model, perf_counter() - start


def timed_run(model) -> float:
    gc.collect()
    start = perf_counter()
    model.run()
    return perf_counter() - start


def sizes(model) -> dict:
    return {
        "n_citizens": len(model.citizen_store),
        "n_businesses": len(model.business_store),
        "n_agencies": len(model.agency_store),
        "n_regions": model.n_regions,
    }


@task
def engine_ratio(n_citizens: int, start_year: int, end_year: int, repeats: int, seed: int = 0) -> dict:
    """Agent and vectorized engine on the same scenario and seed, alternating, in this
    one process. Only run() is timed as the run; building is timed separately."""
    import numpy as np

    params = make_params(n_citizens, start_year, end_year)
    warm = make_params(200, start_year, start_year)
    for engine in ("vectorized", "agent"):  # first-call imports and caches
        build(warm, seed, engine)[0].step()
    times: dict[str, dict[str, list[float]]] = {
        e: {"build_s": [], "run_s": []} for e in ("vectorized", "agent")
    }
    frames = {}
    for _ in range(repeats):
        for engine in ("vectorized", "agent"):
            model, build_s = build(params, seed, engine)
            run_s = timed_run(model)
            times[engine]["build_s"].append(build_s)
            times[engine]["run_s"].append(run_s)
            frames[engine] = model.national_frame()
            info = sizes(model)
            info["n_steps"] = model.steps
            del model
    a, v = frames["agent"], frames["vectorized"]
    numeric = v.select_dtypes("number").columns
    diff = float(np.nanmax(np.abs(a[numeric].to_numpy(float) - v[numeric].to_numpy(float))))
    return {**info, "times": times, "max_abs_table_difference": diff}


@task
def scale(n_citizens: int, start_year: int | None = None, end_year: int | None = None, seed: int = 0) -> dict:
    """Build and run the baseline once; peak memory of the whole process."""
    model, build_s = build(make_params(n_citizens, start_year, end_year), seed)
    rss_after_build = current_rss_mib()
    run_s = timed_run(model)
    return {
        **sizes(model),
        "n_steps": model.steps,
        "build_s": build_s,
        "run_s": run_s,
        "rss_after_build_mib": rss_after_build,
    }


@task
def cost_growth(n_citizens: int, steps: int, warmup: int = 1, seed: int = 0) -> dict:
    """Time `steps` steps after building and `warmup` untimed steps (the first step
    pays one-off costs: first-touch page faults of fresh arrays, lazy imports)."""
    model, _ = build(make_params(n_citizens), seed)
    for _ in range(warmup):
        model.step()
    gc.collect()
    start = perf_counter()
    for _ in range(steps):
        model.step()
    elapsed = perf_counter() - start
    return {**sizes(model), "n_steps": steps, "warmup_steps": warmup, "run_s": elapsed}


@task
def phases(
    n_citizens: int, start_year: int | None = None, end_year: int | None = None, seed: int = 0
) -> dict:
    """Build and run the baseline with every phase of the step timed."""
    from benchmarks.phases import BUILD_GROUPS, PhaseTimer, grouped, instrument

    timer = PhaseTimer()
    params = make_params(n_citizens, start_year, end_year)
    with instrument(timer):
        model, build_s = build(params, seed)
        build_parts = {name: timer.totals.get("build:" + name, 0.0) for name in BUILD_GROUPS}
        build_parts["Mesa agents + rest of __init__"] = build_s - sum(build_parts.values())
        timer.reset()
        gc.collect()
        step_total = 0.0
        for _ in range(params.n_steps):
            start = perf_counter()
            model.step()
            step_total += perf_counter() - start
    return {
        **sizes(model),
        "n_steps": model.steps,
        "build_s": build_s,
        "build_parts_s": build_parts,
        "step_total_s": step_total,
        "phases_s": grouped(dict(timer.totals), step_total),
        "raw_phases_s": dict(timer.totals),
    }


def _top(profiler: cProfile.Profile, top: int) -> list[dict]:
    stats = pstats.Stats(profiler)
    rows = []
    for (path, line, func), (_cc, ncalls, tottime, cumtime, _callers) in stats.stats.items():
        where = f"{path.split('site-packages/')[-1].removeprefix(str(ROOT) + '/')}:{line}"
        rows.append(
            {"function": f"{func} ({where})", "calls": ncalls, "tottime_s": tottime, "cumtime_s": cumtime}
        )
    rows.sort(key=lambda r: r["tottime_s"], reverse=True)
    return rows[:top]


@task
def profile(n_citizens: int, steps: int, top: int = 12, seed: int = 0) -> dict:
    """cProfile of building the baseline and of its first `steps` steps: the functions
    with most own time (cProfile adds overhead per Python call, so compare within)."""
    params = make_params(n_citizens)
    profiler = cProfile.Profile()
    profiler.enable()
    model, _ = build(params, seed)
    profiler.disable()
    build_top = _top(profiler, top)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(steps):
        model.step()
    profiler.disable()
    return {**sizes(model), "n_steps": steps, "build_top": build_top, "step_top": _top(profiler, top)}


def main(argv: list[str]) -> None:
    name, args = argv[0], json.loads(argv[1]) if len(argv) > 1 else {}
    result = TASKS[name](**args)
    result.update(peak_rss_mib())
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
