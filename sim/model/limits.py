"""Input limits: how big a file, how deep a YAML document, how much work a command may ask
for before it is refused. Every limit is checked before the work starts, and a refusal
says what the request would cost and how to ask for it deliberately.

| limit | value | override |
|---|---|---|
| scenario / experiment / manifest file size | 1 MiB | none |
| YAML nesting depth | 40 levels | none |
| YAML nodes after alias expansion | 200,000 | none |
| citizen agents per run | 2,000,000 (about 0.3 GiB) | `--allow-large` or EGOV_ALLOW_LARGE=1 |
| design points | 100,000 | `--allow-large` or EGOV_ALLOW_LARGE=1 |
| runs per sweep | 20,000 | `--allow-large` or EGOV_ALLOW_LARGE=1 |
| seeds | integers 0 .. 2**32-1 | none |
"""

from __future__ import annotations

import math
import numbers
import os

MAX_FILE_BYTES = 1 << 20
MAX_YAML_DEPTH = 40
MAX_YAML_NODES = 200_000
MAX_AGENTS = 2_000_000
MAX_DESIGN_POINTS = 100_000
MAX_RUNS = 20_000
SEED_MAX = 2**32 - 1
# peak resident memory per citizen agent (its columns, ties, its share of businesses and
# of the build's temporaries; no Mesa objects), from the one-agent-per-person run in
# docs/performance.md (issue 15: 3.0 GiB peak for 19.8 M citizens)
BYTES_PER_AGENT = 170
SECONDS_PER_AGENT_STEP = 4e-8  # about 25 M citizen-steps/s on one core at 20 M citizens

OVERRIDE_HINT = "pass --allow-large (or set EGOV_ALLOW_LARGE=1) to run it anyway"


class TooLarge(ValueError):
    """A request above a limit; the message names the cost and the override."""


def allow_large(flag: bool = False) -> bool:
    return flag or os.environ.get("EGOV_ALLOW_LARGE", "") not in ("", "0")


def _mib(n: float) -> str:
    gib = n / 2**30
    return f"{gib:.1f} GiB" if gib >= 1 else f"{n / 2**20:.0f} MiB"


def citizen_agents(params) -> int:
    """Citizen agents a run of `params` builds (its people divided by world.scale)."""
    from sim.model.world import regions_frame

    people = float(regions_frame(params.world)["population"].sum())
    return int(round(people / params.world.scale))


def check_agents(params, allow: bool = False) -> None:
    """Refuse a run with more than MAX_AGENTS citizen agents unless allowed."""
    n = citizen_agents(params)
    if n <= MAX_AGENTS or allow_large(allow):
        return
    memory = n * BYTES_PER_AGENT
    seconds = n * params.n_steps * SECONDS_PER_AGENT_STEP
    raise TooLarge(
        f"world.scale: {params.world.scale:g} persons/agent gives {n:,} citizen agents "
        f"(about {_mib(memory)} of memory and {seconds / 60:.0f} CPU minutes per run); the limit is "
        f"{MAX_AGENTS:,}: raise world.scale, or {OVERRIDE_HINT}"
    )


def run_seconds(params) -> float:
    """A rough cost of one run on one core [s]."""
    return params.n_steps * (2.5e-3 + SECONDS_PER_AGENT_STEP * citizen_agents(params))


def check_count(
    what: str, n: int, limit: int, allow: bool = False, seconds_each: float | None = None
) -> None:
    """Refuse `n` things above `limit` unless allowed, with the CPU time they would take."""
    if n <= limit or allow_large(allow):
        return
    cost = ""
    if seconds_each is not None:
        total = n * seconds_each
        cost = (
            f" (about {total / 3600:,.0f} CPU hours)"
            if total >= 3600
            else f" (about {total / 60:.0f} CPU minutes)"
        )
    raise TooLarge(f"{n:,} {what}{cost}; the limit is {limit:,}: {OVERRIDE_HINT}")


def check_seed(seed, what: str = "seed") -> int:
    """A seed is an integer in 0 .. 2**32-1 (not a bool, not a float)."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        if isinstance(seed, float) and math.isfinite(seed) and seed.is_integer():
            seed = int(seed)
        else:
            raise ValueError(f"{what} must be a non-negative integer (0..{SEED_MAX}), got {seed!r}")
    seed = int(seed)
    if not 0 <= seed <= SEED_MAX:
        raise ValueError(f"{what} must be a non-negative integer (0..{SEED_MAX}), got {seed}")
    return seed
