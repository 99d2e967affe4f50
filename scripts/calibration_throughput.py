"""Calibration throughput (docs/performance.md, "Calibration throughput"): the same batch
of Kazakhstan simulations as `egov calibrate` runs them (parameter sets drawn from the
targets file's priors, every set with the given seeds, at the calibration scale),
evaluated on the process executor with 1 and with 2 workers.

    python scripts/calibration_throughput.py --sets 12 --seeds 1,2 --scale 6000

Prints simulations per minute for each worker count and the parallel efficiency
T(1) / (2 T(2)). The machine's load average is printed too: on a shared machine the
figures move with it."""

from __future__ import annotations

import argparse
import os
import time

import numpy as np


def _warm(_: int) -> None:
    """Load the compiled kernels in a worker (compiling them if the cache is cold), then
    wait a moment so that every worker of the pool gets one of these tasks."""
    from sim.model import kernels

    kernels.warm_up()
    time.sleep(0.5)


def main() -> None:
    from sim.experiments import calibration as cal
    from sim.experiments.executors import open_executor

    ap = argparse.ArgumentParser()
    ap.add_argument("--sets", type=int, default=12)
    ap.add_argument("--seeds", default="1,2")
    ap.add_argument("--scale", type=float, default=6000.0)
    ap.add_argument("--workers", default="1,2")
    args = ap.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    targets = cal.load_targets()
    rng = np.random.default_rng(0)
    points = [
        {k: float(rng.uniform(lo, hi)) for k, (lo, hi) in targets.priors.items()} for _ in range(args.sets)
    ]
    times = {}
    for n in [int(w) for w in args.workers.split(",")]:
        handle = open_executor("process", n)
        try:
            # warm the workers (imports, compiled kernels) before timing
            list(handle.executor.map(_warm, range(n)))
            t0 = time.perf_counter()
            cal.posterior_predictive(
                targets, points, seeds, scale=args.scale, end_year=None, executor=handle.executor
            )
            times[n] = time.perf_counter() - t0
        finally:
            handle.close()
        sims = len(points) * len(seeds)
        print(
            f"{n} worker(s): {sims} simulations in {times[n]:.1f} s = {sims / times[n] * 60:.1f} per minute"
            f" (load average {os.getloadavg()[0]:.1f})"
        )
    if 1 in times and 2 in times:
        print(f"parallel efficiency with 2 workers: {times[1] / (2 * times[2]):.2f}")


if __name__ == "__main__":
    main()
