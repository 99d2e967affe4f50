"""Benchmark suite of the e-government adoption model.

Run ``python -m benchmarks`` from the repository root (``--help`` lists the options).
Every measurement that allocates a model runs in a fresh Python process
(``benchmarks.worker``) so peak memory belongs to that measurement alone; the parent
only orchestrates, summarises (median, min, max over repeats) and reports.
"""

BENCHMARKS = ("engine_ratio", "reference_check", "scale", "cost_growth", "phases", "kazakhstan")

__all__ = ["BENCHMARKS"]
