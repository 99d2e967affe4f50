"""Common random numbers: every decision draws from its own named stream.

A stream is keyed by (seed, decision name, step), so a policy that changes what one agent
does never shifts the draws of another decision, step or agent. Two runs with the same
seed share their population and all their draws; the difference between them is the
policy's effect, not noise from shifted streams.

Two kinds of stream:

- `stream` / `uniforms`: a PCG64 generator per (seed, name, step), for building the
  population and for the few per-step draws of regions, agencies and cohorts.
- `key` / `uniform`: a counter-based generator for the citizens' and firms' per-step
  decisions. The draw of agent `i` is a pure function of (seed, decision, step, i): a
  SplitMix64 hash of a per-(seed, decision, step) key plus the agent's counter. Nothing
  is materialised: the per-agent rule calls `uniform(key, i)` when it needs the draw, and
  the compiled kernels (sim/model/kernels.py) compute the same 64-bit integers inside
  their loops. `uniform` here works on plain Python ints (the specification);
  `uniforms_counter` is its numpy version for tests and checks.
"""

from __future__ import annotations

import zlib

import numpy as np

BUILD_STEP = 2**32 - 1  # the "step" of population-building streams, outside any run

MASK64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15  # SplitMix64 increment
MIX1 = 0xBF58476D1CE4E5B9
MIX2 = 0x94D049BB133111EB
TO_UNIT = 2.0**-53


def _key(name: str) -> int:
    return zlib.crc32(name.encode())


def stream(seed: int, name: str, step: int = BUILD_STEP) -> np.random.Generator:
    """The generator of decision `name` at `step` (or of a building stream)."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, _key(name), step])))


def uniforms(seed: int, name: str, step: int, n: int) -> np.ndarray:
    """One U(0,1) draw per agent, in agent order, for one decision at one step (PCG64)."""
    return stream(seed, name, step).random(n)


# --- counter-based draws ------------------------------------------------------------------


def mix64(z: int) -> int:
    """The SplitMix64 finaliser (Stafford's Mix13) on a 64-bit unsigned integer."""
    z = ((z ^ (z >> 30)) * MIX1) & MASK64
    z = ((z ^ (z >> 27)) * MIX2) & MASK64
    return z ^ (z >> 31)


def key(seed: int, name: str, step: int) -> int:
    """The 64-bit key of one decision at one step: each part is mixed in turn, so keys of
    neighbouring seeds, decisions and steps are unrelated."""
    z = mix64((seed + GOLDEN) & MASK64)
    z = mix64((z ^ _key(name)) + GOLDEN & MASK64)
    return mix64((z + step * GOLDEN) & MASK64)


def uniform(k: int, i: int) -> float:
    """Agent `i`'s U[0,1) draw under key `k`: the i-th output of a SplitMix64 stream
    started at `k` (53 random bits)."""
    return (mix64((k + (i + 1) * GOLDEN) & MASK64) >> 11) * TO_UNIT


def uniforms_counter(k: int, n: int) -> np.ndarray:
    """`uniform(k, i)` for i in 0..n-1, vectorized (numpy uint64 arithmetic wraps)."""
    with np.errstate(over="ignore"):
        z = np.uint64(k) + (np.arange(1, n + 1, dtype=np.uint64) * np.uint64(GOLDEN))
        z = (z ^ (z >> np.uint64(30))) * np.uint64(MIX1)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(MIX2)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) * TO_UNIT
