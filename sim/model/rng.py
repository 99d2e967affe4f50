"""Common random numbers: every decision draws from its own named stream.

A stream is keyed by (seed, decision name, step), so a policy that changes what one agent
does never shifts the draws of another decision, step or agent. Two runs with the same
seed share their population and all their draws; the difference between them is the
policy's effect, not noise from shifted streams.
"""

from __future__ import annotations

import zlib

import numpy as np

BUILD_STEP = 2**32 - 1  # the "step" of population-building streams, outside any run


def _key(name: str) -> int:
    return zlib.crc32(name.encode())


def stream(seed: int, name: str, step: int = BUILD_STEP) -> np.random.Generator:
    """The generator of decision `name` at `step` (or of a building stream)."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, _key(name), step])))


def uniforms(seed: int, name: str, step: int, n: int) -> np.ndarray:
    """One U(0,1) draw per agent, in agent order, for one decision at one step."""
    return stream(seed, name, step).random(n)
