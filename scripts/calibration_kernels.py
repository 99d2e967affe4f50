"""The posterior's effective sample size under pyabc's perturbation kernels
(docs/validation.md, "Kernel and effective sample size"): a few ABC-SMC generations on
the shipped Kazakhstan targets, printing each generation's epsilon, parameter sets run
and effective sample size (1/sum of squared weights).

    python scripts/calibration_kernels.py --kernel silverman --population 48 --generations 5
    python scripts/calibration_kernels.py --kernel beaumont --population 192 --generations 4
    python scripts/calibration_kernels.py --kernel silverman --sampler pyabc

--kernel: silverman (pyabc's default bandwidth), beaumont (twice the weighted covariance,
what `egov calibrate` uses) or a number (pyabc's `scaling` on the Silverman bandwidth).
--sampler pyabc runs pyabc's own MulticoreEvalParallelSampler instead of the project's
executor sampler, to tell the sampler's share from the kernel's."""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np


def transition(kernel: str):
    import pyabc

    from sim.experiments import calibration as cal

    if kernel == "beaumont":
        return cal.perturbation_kernel()
    if kernel == "silverman":
        return pyabc.MultivariateNormalTransition()
    return pyabc.MultivariateNormalTransition(scaling=float(kernel))


def kernel_choice(text: str) -> str:
    """silverman, beaumont or a positive number (argparse reports anything else)."""
    if text in ("silverman", "beaumont"):
        return text
    try:
        if float(text) > 0:
            return text
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(f"{text!r}: allowed are silverman, beaumont or a positive number")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kernel", type=kernel_choice, default="beaumont")
    ap.add_argument("--sampler", choices=["executor", "pyabc"], default="executor")
    ap.add_argument("--population", type=int, default=48)
    ap.add_argument("--generations", type=int, default=5)
    ap.add_argument("--scale", type=float, default=20000.0)
    ap.add_argument("--seeds", default="1,2")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()

    import pyabc

    from sim.experiments import calibration as cal
    from sim.experiments.executors import open_executor

    seeds = [int(s) for s in args.seeds.split(",")]
    targets = cal.load_targets()
    simulator = cal.Simulator(
        cal.base_params(targets, args.scale), seeds, targets.targets, targets.needs_regions
    )
    handle = open_executor("process", args.workers)
    if args.sampler == "pyabc":
        sampler = pyabc.sampler.MulticoreEvalParallelSampler(n_procs=args.workers)
    else:
        sampler = cal.executor_sampler(handle.executor, None, seed=seeds[0])
    abc = cal.make_abc(targets, simulator, args.population, sampler)
    abc.transitions = [transition(args.kernel)]
    with tempfile.TemporaryDirectory() as tmp:
        abc.new(f"sqlite:///{Path(tmp) / 'abc.db'}", targets.observed)
        t0 = time.perf_counter()
        history = abc.run(max_nr_populations=args.generations)
        pops = history.get_all_populations().set_index("t")
        print(
            f"kernel {args.kernel}, sampler {args.sampler}, {args.population} particles, scale {args.scale:g}"
        )
        for t in range(history.max_t + 1):
            _, w = history.get_distribution(0, t)
            print(
                f"generation {t}: epsilon {pops.loc[t, 'epsilon']:.2f}, {int(pops.loc[t, 'samples'])} sets, "
                f"effective sample size {cal.effective_sample_size(np.asarray(w)):.1f}"
            )
        print(f"{(time.perf_counter() - t0) / 60:.1f} min")
    handle.close()


if __name__ == "__main__":
    main()
