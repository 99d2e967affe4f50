"""The benchmarks: what each one runs, how repeats are summarised, and the goals.

Each benchmark returns ``{"description", "settings", "rows", ...}``; every row is one
figure with ``median``, ``min``, ``max`` (and the per-repeat ``values``) over repeats.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from benchmarks.harness import in_fresh_process, summary

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Config:
    engine_citizens: int
    engine_years: tuple[int, int]
    scale_citizens: tuple[int, ...]
    scale_years: tuple[int | None, int | None]  # None: the default Params years
    growth_citizens: tuple[int, ...]
    growth_steps: int
    phase_citizens: int
    phase_years: tuple[int | None, int | None]
    profile_steps: int
    reference_citizens: int = 3_000
    reference_years: tuple[int, int] = (2005, 2020)
    reference_seeds: tuple[int, ...] = tuple(range(8))
    kazakhstan_scale: float = 1.0  # people per agent: one agent per person
    kazakhstan_years: tuple[int | None, int | None] = (None, None)


FULL = Config(
    engine_citizens=20_000,
    engine_years=(2007, 2008),
    scale_citizens=(100_000, 1_000_000),
    scale_years=(None, None),
    growth_citizens=(10_000, 100_000, 1_000_000),
    growth_steps=24,
    phase_citizens=1_000_000,
    phase_years=(None, None),
    profile_steps=24,
)

QUICK = Config(
    engine_citizens=1_000,
    engine_years=(2007, 2007),
    scale_citizens=(2_000, 5_000),
    scale_years=(2005, 2005),
    growth_citizens=(1_000, 2_000, 5_000),
    growth_steps=6,
    phase_citizens=5_000,
    phase_years=(2005, 2005),
    profile_steps=2,
    reference_citizens=500,
    reference_years=(2005, 2006),
    reference_seeds=(0, 1, 2),
    kazakhstan_scale=4000.0,
    kazakhstan_years=(2005, 2005),
)


def row(name: str, unit: str, values, **extra) -> dict:
    return {"figure": name, "unit": unit, **extra, **summary(values)}


def ratio_of_medians(a: dict, b: dict) -> float:
    return a["median"] / b["median"]


# --- engine_ratio ---------------------------------------------------------------------


def engine_ratio(cfg: Config, repeats: int, progress: Progress) -> dict:
    start, end = cfg.engine_years
    progress(f"engine_ratio: {cfg.engine_citizens:,} citizens, {start}-{end}, {repeats} repeats")
    r = in_fresh_process(
        "engine_ratio", n_citizens=cfg.engine_citizens, start_year=start, end_year=end, repeats=repeats
    )
    t = r["times"]
    n, steps = r["n_citizens"], r["n_steps"]
    fast = t["vectorized"]["run_s"]
    ref = t["reference"]
    ref_no_copy = [run - wb for run, wb in zip(ref["run_s"], ref["writeback_s"], strict=True)]
    per_step = 1e6 / (n * steps)  # seconds of a run -> microseconds per citizen-step
    ref_rule = [per_step * x for x in ref["rule_s"]]
    fast_kernels = [per_step * x for x in t["vectorized"]["kernels_s"]]
    rows = [
        row("run, vectorized", "s", fast, n_citizens=n),
        row("run, agent", "s", t["agent"]["run_s"], n_citizens=n),
        row("run, Mesa reference (idiomatic, shuffle_do)", "s", ref["run_s"], n_citizens=n),
        row("run, Mesa reference, without the copy into columns", "s", ref_no_copy, n_citizens=n),
        row(
            "Mesa reference rule (shuffle_do of citizens and firms), per citizen-step",
            "us",
            ref_rule,
            n_citizens=n,
        ),
        row(
            "fast engine's compiled citizen and firm loops (incl. draws, tie update), per citizen-step",
            "us",
            fast_kernels,
            n_citizens=n,
        ),
        row(
            "fast engine's step outside those loops (fixed per-step work and indicators), per step",
            "ms",
            [1e3 * (run - k) / steps for run, k in zip(fast, t["vectorized"]["kernels_s"], strict=True)],
            n_citizens=n,
        ),
        row("build, vectorized", "s", t["vectorized"]["build_s"], n_citizens=n),
        row("build, agent", "s", t["agent"]["build_s"], n_citizens=n),
        row("build, Mesa reference", "s", ref["build_s"], n_citizens=n),
        row(
            "agent/vectorized run time, paired repeats",
            "x",
            [a / v for a, v in zip(t["agent"]["run_s"], fast, strict=True)],
            n_citizens=n,
        ),
        row(
            "Mesa reference (without copy)/vectorized run time, paired repeats",
            "x",
            [a / v for a, v in zip(ref_no_copy, fast, strict=True)],
            n_citizens=n,
        ),
        row(
            "like-for-like: Mesa reference rule / fast engine's loops, per citizen-step, paired repeats",
            "x",
            [a / v for a, v in zip(ref_rule, fast_kernels, strict=True)],
            n_citizens=n,
        ),
    ]
    return {
        "description": "Same scenario and seed (default policies, "
        f"{start}-{end}: literacy, broadband, platforms, interop, centres active), "
        "engine='agent' vs engine='vectorized' in one process; only run() timed.",
        "settings": {
            "n_citizens": n,
            "n_businesses": r["n_businesses"],
            "n_steps": r["n_steps"],
            "years": [start, end],
            "repeats": repeats,
            "seed": 0,
        },
        "rows": rows,
        "ratio_of_medians": ratio_of_medians(rows[1], rows[0]),
        "reference_ratio_of_medians": ratio_of_medians(rows[3], rows[0]),
        # the reference's citizen+firm rule against the fast engine's citizen+firm loops,
        # per citizen-step, both timed inside the same runs as the whole-run figures
        "reference_rule_ratio_of_medians": ratio_of_medians(rows[4], rows[5]),
        "max_abs_table_difference": r["max_abs_table_difference"],
        "kernels": r["kernels"],
        "peak_rss_mib": r["peak_rss_mib"],
    }


# --- scale ----------------------------------------------------------------------------


def scale(cfg: Config, repeats: int, progress: Progress) -> dict:
    start, end = cfg.scale_years
    rows, per_size = [], {}
    for target in cfg.scale_citizens:
        runs = []
        for i in range(repeats):
            progress(f"scale: {target:,} citizens, repeat {i + 1}/{repeats} (fresh process)")
            runs.append(in_fresh_process("scale", n_citizens=target, start_year=start, end_year=end))
        n, steps = runs[0]["n_citizens"], runs[0]["n_steps"]
        size_rows = [
            row("build", "s", [r["build_s"] for r in runs], n_citizens=n),
            row("run", "s", [r["run_s"] for r in runs], n_citizens=n),
            row("total (build + run)", "s", [r["build_s"] + r["run_s"] for r in runs], n_citizens=n),
            row(
                "citizen-steps per second",
                "1/s",
                [n * steps / r["run_s"] for r in runs],
                n_citizens=n,
            ),
            row("peak RSS", "MiB", [r["peak_rss_mib"] for r in runs], n_citizens=n),
            row("RSS after build", "MiB", [r["rss_after_build_mib"] or 0.0 for r in runs], n_citizens=n),
        ]
        rows += size_rows
        per_size[str(target)] = {
            "n_citizens": n,
            "n_businesses": runs[0]["n_businesses"],
            "n_steps": steps,
            "peak_rss_source": runs[0]["source"],
            "ru_maxrss_mib": summary([r["ru_maxrss_mib"] for r in runs]),
        }
    return {
        "description": "Kazakhstan baseline (default Params"
        + ("" if start is None else f", {start}-{end}")
        + "), each repeat in a fresh process: build and run wall time, throughput "
        "(citizens x steps / run seconds), peak resident memory (VmHWM).",
        "settings": {
            "targets": list(cfg.scale_citizens),
            "repeats": repeats,
            "seed": 0,
            "threads": runs[0]["kernels"]["threads"],
        },
        "sizes": per_size,
        "rows": rows,
    }


# --- cost_growth ----------------------------------------------------------------------


def cost_growth(cfg: Config, repeats: int, progress: Progress) -> dict:
    rows, per_citizen = [], {}
    for target in cfg.growth_citizens:
        runs = []
        for i in range(repeats):
            progress(f"cost_growth: {target:,} citizens, repeat {i + 1}/{repeats} (fresh process)")
            runs.append(in_fresh_process("cost_growth", n_citizens=target, steps=cfg.growth_steps))
        n = runs[0]["n_citizens"]
        ms = [1000 * r["run_s"] / r["n_steps"] for r in runs]
        per_k = [m / (n / 1000) for m in ms]
        rows.append(row("time per step", "ms", ms, n_citizens=n))
        rows.append(row("time per step per 1k citizens", "ms", per_k, n_citizens=n))
        per_citizen[target] = rows[-1]
    small, large = min(cfg.growth_citizens), max(cfg.growth_citizens)
    paired = [a / b for a, b in zip(per_citizen[large]["values"], per_citizen[small]["values"], strict=True)]
    rows.append(
        row(
            f"per-citizen cost, {large:,} vs {small:,}, paired repeats",
            "x",
            paired,
            n_citizens=per_citizen[large]["n_citizens"],
        )
    )
    return {
        "description": f"Baseline from 2005, {cfg.growth_steps} steps timed after building and "
        "one untimed warm-up step, each repeat in a fresh process.",
        "settings": {"targets": list(cfg.growth_citizens), "steps": cfg.growth_steps, "repeats": repeats},
        "rows": rows,
        "per_citizen_ratio_of_medians": ratio_of_medians(per_citizen[large], per_citizen[small]),
        "ratio_sizes": [per_citizen[large]["n_citizens"], per_citizen[small]["n_citizens"]],
    }


# --- phases ---------------------------------------------------------------------------


def phases(cfg: Config, repeats: int, progress: Progress) -> dict:
    start, end = cfg.phase_years
    runs = []
    for i in range(repeats):
        progress(f"phases: {cfg.phase_citizens:,} citizens, repeat {i + 1}/{repeats} (fresh process)")
        runs.append(in_fresh_process("phases", n_citizens=cfg.phase_citizens, start_year=start, end_year=end))
    n, steps = runs[0]["n_citizens"], runs[0]["n_steps"]
    rows = [
        row("step (all phases)", "ms/step", [1000 * r["step_total_s"] / steps for r in runs], n_citizens=n)
    ]
    shares = {}
    for label in runs[0]["phases_s"]:
        rows.append(row(label, "ms/step", [1000 * r["phases_s"][label] / steps for r in runs], n_citizens=n))
        shares[label] = summary([100 * r["phases_s"][label] / r["step_total_s"] for r in runs])
    build_rows = [
        row(f"build: {label}", "s", [r["build_parts_s"][label] for r in runs], n_citizens=n)
        for label in runs[0]["build_parts_s"]
    ]
    progress(f"phases: cProfile of build and {cfg.profile_steps} steps at {cfg.phase_citizens:,} citizens")
    prof = in_fresh_process("profile", n_citizens=cfg.phase_citizens, steps=cfg.profile_steps, top=12)
    return {
        "description": "Baseline"
        + (" (default years)" if start is None else f" {start}-{end}")
        + " with each phase of the step timed by wrapping the model's methods (exclusive "
        "time; nested calls such as random draws are charged to their own phase).",
        "settings": {"n_citizens": n, "n_steps": steps, "repeats": repeats},
        "rows": rows + build_rows,
        "share_percent": shares,
        "raw_phases_ms_per_step": {
            k: summary([1000 * r["raw_phases_s"].get(k, 0.0) / steps for r in runs])["median"]
            for k in runs[0]["raw_phases_s"]
        },
        "profile": {"n_steps": prof["n_steps"], "build_top": prof["build_top"], "step_top": prof["step_top"]},
    }


# --- reference_check and kazakhstan ----------------------------------------------------


def reference_check(cfg: Config, repeats: int, progress: Progress) -> dict:
    start, end = cfg.reference_years
    progress(
        f"reference_check: {cfg.reference_citizens:,} citizens, {start}-{end}, "
        f"{len(cfg.reference_seeds)} seeds (model and Mesa reference)"
    )
    r = in_fresh_process(
        "reference_check",
        n_citizens=cfg.reference_citizens,
        start_year=start,
        end_year=end,
        seeds=list(cfg.reference_seeds),
    )
    rows = [
        row(
            f"{name}: max |difference of seed means| (max standard error {c['max_standard_error']:.2g})",
            "",
            [c["max_abs_difference"]],
            n_citizens=r["n_citizens"],
        )
        for name, c in r["curves"].items()
    ]
    return {
        "description": "The idiomatic Mesa reference against the model: at every year end, the "
        "difference of the seed means of each national curve within "
        f"{r['tolerance_se']} standard errors (+ {r['floor']}).",
        "settings": {
            "n_citizens": cfg.reference_citizens,
            "years": [start, end],
            "seeds": r["seeds"],
        },
        "rows": rows,
        "curves": r["curves"],
        "passed": r["passed"],
    }


def kazakhstan(cfg: Config, repeats: int, progress: Progress) -> dict:
    start, end = cfg.kazakhstan_years
    progress(f"kazakhstan: one agent per {cfg.kazakhstan_scale:g} persons, 1 run (fresh process)")
    r = in_fresh_process("kazakhstan", scale=cfg.kazakhstan_scale, start_year=start, end_year=end)
    n, steps = r["n_citizens"], r["n_steps"]
    rows = [
        row("build", "s", [r["build_s"]], n_citizens=n),
        row("run", "s", [r["run_s"]], n_citizens=n),
        row("total (build + run)", "s", [r["build_s"] + r["run_s"]], n_citizens=n),
        row("citizen-steps per second", "1/s", [n * steps / r["run_s"]], n_citizens=n),
        row("run time per citizen-step", "ns", [1e9 * r["run_s"] / (n * steps)], n_citizens=n),
        row("peak RSS", "MiB", [r["peak_rss_mib"]], n_citizens=n),
        row("RSS after build", "MiB", [r["rss_after_build_mib"] or 0.0], n_citizens=n),
    ]
    return {
        "description": f"Kazakhstan at one agent per {cfg.kazakhstan_scale:g} persons, "
        + ("default years" if start is None else f"{start}-{end}")
        + ", one run in a fresh process (allow_large).",
        "settings": {"scale": cfg.kazakhstan_scale, "n_citizens": n, "n_steps": steps},
        "rows": rows,
        "kernels": r["kernels"],
    }


BENCHMARKS = {
    "engine_ratio": engine_ratio,
    "reference_check": reference_check,
    "kazakhstan": kazakhstan,
    "scale": scale,
    "cost_growth": cost_growth,
    "phases": phases,
}


# --- goals ----------------------------------------------------------------------------


def _find(rows: list[dict], figure: str) -> dict | None:
    for r in rows:
        if r["figure"] == figure:
            return r
    return None


def goals(results: dict, cfg: Config, quick: bool) -> list[dict]:
    """Pass/fail against the targets. Judged on medians, except memory (the worst
    repeat). With --quick the sizes are not the goal sizes: status is "n/a"."""
    out = []

    def add(goal: str, target: str, measured: float | None, unit: str, passed: bool | None) -> None:
        if measured is None:
            status = "not run"
        elif quick:
            status = "n/a (--quick)"
        else:
            status = "PASS" if passed else "FAIL"
        out.append({"goal": goal, "target": target, "measured": measured, "unit": unit, "status": status})

    e = results.get("engine_ratio")
    ratio = e["ratio_of_medians"] if e else None
    ref = e["reference_ratio_of_medians"] if e else None
    ref_rule = e.get("reference_rule_ratio_of_medians") if e else None
    add(
        "fast engine vs idiomatic Mesa reference, whole run (both pay the same fixed "
        "per-step work: agencies, regions, levers, indicators; ratio of medians)",
        ">= 100",
        ref,
        "x",
        ref is not None and ref >= 100,
    )
    add(
        "fast engine vs idiomatic Mesa reference, like for like: the reference's citizen+firm "
        "rule vs the fast engine's citizen+firm loops, per citizen-step, same runs (ratio of medians)",
        ">= 100",
        ref_rule,
        "x",
        ref_rule is not None and ref_rule >= 100,
    )
    add(
        "engine ratio agent/vectorized (ratio of medians)",
        ">= 50",
        ratio,
        "x",
        ratio is not None and ratio >= 50,
    )
    add(
        "engines give identical national tables (max |difference|)",
        "== 0",
        e["max_abs_table_difference"] if e else None,
        "",
        e is not None and e["max_abs_table_difference"] == 0,
    )
    rc = results.get("reference_check")
    add(
        "Mesa reference within seed noise of the model (curves failing)",
        "== 0",
        None if rc is None else float(sum(not c["within"] for c in rc["curves"].values())),
        "",
        rc is not None and rc["passed"],
    )

    s = results.get("scale")
    big = max(cfg.scale_citizens)
    if s:
        n = s["sizes"][str(big)]["n_citizens"]
        size_rows = [r for r in s["rows"] if r["n_citizens"] == n]
        total = _find(size_rows, "total (build + run)")["median"]
        rss = _find(size_rows, "peak RSS")["max"]
        rate = _find(size_rows, "citizen-steps per second")["median"]
    else:
        total = rss = rate = None
    label = f"{big:,}"
    add(
        f"baseline at {label} citizens: wall (build + run), median",
        "<= 60 s",
        total,
        "s",
        total is not None and total <= 60,
    )
    add(
        f"baseline at {label} citizens: peak RSS, worst repeat",
        "<= 4096 MiB",
        rss,
        "MiB",
        rss is not None and rss <= 4096,
    )
    run = _find(size_rows, "run")["median"] if s else None
    threads = s["settings"]["threads"] if s else None
    add(
        f"throughput at {label} citizens, median ({threads} kernel thread{'s' if threads != 1 else ''})",
        ">= 60,000,000 citizen-steps/s (issue 15; issues 10/11: 20,000,000)",
        rate,
        "1/s",
        rate is not None and rate >= 60e6,
    )
    add(
        f"baseline at {label} citizens: model time (run), median",
        "<= 10 s",
        run,
        "s",
        run is not None and run <= 10,
    )
    add(
        f"baseline at {label} citizens: peak RSS, worst repeat (issue 15)",
        "<= 1024 MiB",
        rss,
        "MiB",
        rss is not None and rss <= 1024,
    )
    k = results.get("kazakhstan")
    if k:
        kz_total = _find(k["rows"], "total (build + run)")["median"]
        kz_rss = _find(k["rows"], "peak RSS")["max"]
        kz_ns = _find(k["rows"], "run time per citizen-step")["median"]
    else:
        kz_total = kz_rss = kz_ns = None
    add("Kazakhstan, one agent per person: wall (build + run)", "<= 600 s", kz_total, "s",
        kz_total is not None and kz_total <= 600)  # fmt: skip
    add("Kazakhstan, one agent per person: peak RSS", "<= 8192 MiB", kz_rss, "MiB",
        kz_rss is not None and kz_rss <= 8192)  # fmt: skip
    ns_1m = 1e9 / rate if rate else None
    growth_kz = kz_ns / ns_1m if kz_ns and ns_1m else None
    add("Kazakhstan per-citizen run cost vs the 1M baseline", "<= 1.5", growth_kz, "x",
        growth_kz is not None and growth_kz <= 1.5)  # fmt: skip

    c = results.get("cost_growth")
    growth = c["per_citizen_ratio_of_medians"] if c else None
    small, large = min(cfg.growth_citizens), max(cfg.growth_citizens)
    add(
        f"per-citizen step cost {large:,} vs {small:,} (ratio of medians)",
        "<= 1.2",
        growth,
        "x",
        growth is not None and growth <= 1.2,
    )
    return out
