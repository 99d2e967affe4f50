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


def make_params(
    n_citizens: int | None,
    start_year: int | None = None,
    end_year: int | None = None,
    scale: float | None = None,
):
    """Default Params (Kazakhstan baseline, its policies and events) at ~n_citizens (or at
    a given scale, people per agent)."""
    import sim

    years = {}
    if start_year is not None:
        years["start_year"] = start_year
    if end_year is not None:
        years["end_year"] = end_year
    scale = scale if scale is not None else population() / n_citizens
    return sim.Params(world=sim.WorldSpec(scale=scale), **years)


def build(params, seed: int, engine: str = "vectorized", kind=None):
    # imported before the clock starts: `sim` exports lazily, and the first access to
    # sim.EGovModel would otherwise charge the import of Mesa and pandas to the build
    from sim.model.egov_model import EGovModel

    kind = kind or EGovModel
    gc.collect()
    start = perf_counter()
    if kind is EGovModel:
        model = EGovModel(params=params, seed=seed, engine=engine, allow_large=True)
    else:
        model = kind(params, seed=seed)
    return model, perf_counter() - start


def kernel_info() -> dict:
    """Threads of the compiled kernels and the compile (or cache load) time of a first call."""
    from sim.model import kernels

    return {"threads": kernels.threads(), "warm_up_s": kernels.warm_up(), "cache_dir": str(kernels.CACHE_DIR)}


def timed_run(model) -> float:
    gc.collect()
    start = perf_counter()
    model.run()
    return perf_counter() - start


def timed_run_with_kernels(model) -> tuple[float, float]:
    """timed_run, and the time spent in the compiled citizen and firm loops during it
    (kernels.citizens and kernels.businesses: the rule, its draws and the tie update),
    measured in the same run by wrapping the two calls."""
    from sim.model import kernels

    spent = [0.0]

    def timed(fn):
        def call(*args):
            start = perf_counter()
            try:
                return fn(*args)
            finally:
                spent[0] += perf_counter() - start

        return call

    saved = kernels.citizens, kernels.businesses
    kernels.citizens, kernels.businesses = timed(saved[0]), timed(saved[1])
    try:
        return timed_run(model), spent[0]
    finally:
        kernels.citizens, kernels.businesses = saved


def sizes(model) -> dict:
    return {
        "n_citizens": len(model.citizen_store),
        "n_businesses": len(model.business_store),
        "n_agencies": len(model.agency_store),
        "n_regions": model.n_regions,
    }


@task
def engine_ratio(n_citizens: int, start_year: int, end_year: int, repeats: int, seed: int = 0) -> dict:
    """The fast (vectorized) engine, the model's per-agent engine and the idiomatic Mesa
    reference (benchmarks/mesa_reference.py) on the same scenario and seed, alternating,
    in this one process. Only run() is timed as the run; building is timed separately.
    The reference's rule time (shuffle_do of citizens and firms) and the copy of its
    agents' state into the columns (for the indicators) are also kept apart, and so is
    the fast engine's time in its compiled citizen and firm loops (the like-for-like
    counterpart of the reference's rule time)."""
    import numpy as np

    from benchmarks.mesa_reference import MesaReference

    compile_info = kernel_info()
    params = make_params(n_citizens, start_year, end_year)
    warm = make_params(200, start_year, start_year)
    for engine in ("vectorized", "agent"):  # first-call imports and caches
        build(warm, seed, engine)[0].step()
    build(warm, seed, kind=MesaReference)[0].step()
    engines = ("vectorized", "agent", "reference")
    times: dict[str, dict[str, list[float]]] = {e: {"build_s": [], "run_s": []} for e in engines}
    times["reference"].update(rule_s=[], writeback_s=[])
    times["vectorized"]["kernels_s"] = []
    frames = {}
    for _ in range(repeats):
        for engine in engines:
            if engine == "reference":
                model, build_s = build(params, seed, kind=MesaReference)
            else:
                model, build_s = build(params, seed, engine)
            if engine == "vectorized":
                run_s, kernels_s = timed_run_with_kernels(model)
                times[engine]["kernels_s"].append(kernels_s)
            else:
                run_s = timed_run(model)
            times[engine]["build_s"].append(build_s)
            times[engine]["run_s"].append(run_s)
            if engine == "reference":
                times[engine]["rule_s"].append(model.rule_s)
                times[engine]["writeback_s"].append(model.writeback_s)
            frames[engine] = model.national_frame()
            info = sizes(model)
            info["n_steps"] = model.steps
            del model
            gc.collect()
    a, v = frames["agent"], frames["vectorized"]
    numeric = v.select_dtypes("number").columns
    diff = float(np.nanmax(np.abs(a[numeric].to_numpy(float) - v[numeric].to_numpy(float))))
    return {**info, "times": times, "max_abs_table_difference": diff, "kernels": compile_info}


@task
def reference_check(n_citizens: int, start_year: int, end_year: int, seeds: list[int]) -> dict:
    """The idiomatic Mesa reference against the model: national curves within seed noise."""
    from benchmarks.mesa_reference import check_statistically_equal

    params = make_params(n_citizens, start_year, end_year)
    return check_statistically_equal(params, seeds)


def build_and_run(params, seed: int) -> dict:
    """Build and run once: sizes, build and run seconds, memory after the build."""
    compile_info = kernel_info()
    model, build_s = build(params, seed)
    rss_after_build = current_rss_mib()
    run_s = timed_run(model)
    return {
        **sizes(model),
        "n_steps": model.steps,
        "build_s": build_s,
        "run_s": run_s,
        "rss_after_build_mib": rss_after_build,
        "kernels": compile_info,
    }


@task
def kazakhstan(
    scale: float, start_year: int | None = None, end_year: int | None = None, seed: int = 0
) -> dict:
    """One agent per `scale` persons (1: one per person, about 20 million citizens),
    built and run once; peak memory of the whole process."""
    return build_and_run(make_params(None, start_year, end_year, scale=scale), seed)


@task
def scale(n_citizens: int, start_year: int | None = None, end_year: int | None = None, seed: int = 0) -> dict:
    """Build and run the baseline once; peak memory of the whole process."""
    return build_and_run(make_params(n_citizens, start_year, end_year), seed)


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
        build_parts["rest of __init__ (Mesa objects of regions and agencies only)"] = build_s - sum(
            build_parts.values()
        )
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
