"""Per-phase timing of a model step by monkeypatching, in the benchmark process only.

`instrument()` wraps the methods and functions a step calls (see `EGovModel.step`) with
timers that record *exclusive* time: a wrapped call nested in another (the agencies'
random draws, the wait for the online-tie counts, the compiled pass of citizen
indicators inside `_record`) is charged to its own phase and subtracted from its
parent's. Since issue 15 the citizen kernel draws its random numbers inside its loop
(counter-based) and, when serial, updates the online-tie counts inside it too, so those
are part of "citizen kernel". After a parallel loop the counts are updated on a
background thread while the step goes on (`kernels.citizens`); what is timed is the
main thread's wait for them before the next loop (`Ties.wait`), not the background
work, which overlaps other phases. Whatever the wrappers do not cover (the
Mesa step wrapper and event schedule, small copies in `step`) is the step total minus
the phases, reported as "other". Nothing under sim/ is edited; the patches are undone
when the context exits.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Callable
from time import perf_counter

# Report rows: (label, raw timers it sums).
GROUPS = (
    ("citizen kernel (compiled loop: rule, draws, tie update)", ("citizen_kernel",)),
    ("citizen online-tie counts (serial: applied after the loop; threads: waited for)", ("citizen_network",)),
    ("citizen inputs", ("citizen_inputs",)),
    ("business kernel + inputs", ("business_kernel", "business_inputs")),
    ("agencies + regions (incl. draws)", ("agencies_regions", "agency_draws")),
    ("levers + budget books", ("levers",)),
    ("data collection: citizen sums (compiled pass)", ("record_citizen_sums",)),
    ("data collection: the rest of _record", ("record_region", "record_national", "record_other")),
)

BUILD_GROUPS = (
    "regions_frame",
    "build_government",
    "build_citizens",
    "build_ties",
    "business_regions",
    "build_businesses",
)


class PhaseTimer:
    """Exclusive wall time per named phase, for nested wrapped calls."""

    def __init__(self) -> None:
        self.totals: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._stack: list[list] = []  # [name, time spent in wrapped children]

    @property
    def current(self) -> str | None:
        return self._stack[-1][0] if self._stack else None

    def reset(self) -> None:
        self.totals.clear()
        self.calls.clear()

    def wrap(self, name: str | Callable[..., str], fn: Callable) -> Callable:
        """`fn` timed under `name` (or under name(*args) chosen at call time)."""

        def timed(*args, **kwargs):
            phase = name(*args, **kwargs) if callable(name) else name
            frame = [phase, 0.0]
            self._stack.append(frame)
            start = perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                elapsed = perf_counter() - start
                self._stack.pop()
                self.totals[phase] += elapsed - frame[1]
                self.calls[phase] += 1
                if self._stack:
                    self._stack[-1][1] += elapsed

        timed.__wrapped__ = fn
        return timed


@contextlib.contextmanager
def instrument(timer: PhaseTimer):
    """Patch the step's phases (and the build's stages) with `timer`'s wrappers."""
    import sim.model.egov_model as model_module
    from sim.model import indicators, kernels, levers, rng
    from sim.model.agents.agency import Agency
    from sim.model.agents.region import Region

    EGovModel = model_module.EGovModel
    saved: list[tuple[object, str, object]] = []

    def patch(owner, attr: str, name) -> None:
        original = owner.__dict__[attr] if isinstance(owner, type) else getattr(owner, attr)
        saved.append((owner, attr, original))
        setattr(owner, attr, timer.wrap(name, original))

    def draws_phase(*_args, **_kwargs) -> str:
        return "agency_draws"  # agencies' and cohorts' PCG64 draws; citizens draw in the kernel

    def region_phase(*_args, **_kwargs) -> str:
        # also called by levers that target lagging regions: charge it to them
        return "levers" if timer.current == "levers" else "record_region"

    patch(EGovModel, "_open_books", "levers")
    patch(EGovModel, "_book_spending_by_region", "levers")
    for cls in {levers.Lever, *levers.LEVERS.values()}:
        if "spend" in cls.__dict__:
            patch(cls, "spend", "levers")
    patch(Agency, "step", "agencies_regions")
    patch(Region, "step", "agencies_regions")
    patch(EGovModel, "_business_inputs", "business_inputs")
    patch(kernels, "citizens", "citizen_kernel")
    patch(kernels, "businesses", "business_kernel")
    # not add_switches: after a parallel loop it runs on the background thread, which
    # this (single-threaded) timer must not see
    patch(kernels.Ties, "wait", "citizen_network")
    patch(kernels.Ties, "update", "citizen_network")
    patch(kernels, "citizen_block_sums", "record_citizen_sums")
    patch(EGovModel, "_record", "record_other")
    patch(indicators, "region_indicators", region_phase)
    patch(indicators, "national_indicators", "record_national")
    patch(rng, "uniforms", draws_phase)
    patch(EGovModel, "_citizen_inputs", "citizen_inputs")

    for name in BUILD_GROUPS:
        if hasattr(model_module, name):  # a stage sim.model.egov_model no longer calls stays at 0
            patch(model_module, name, "build:" + name)
    try:
        yield timer
    finally:
        for owner, attr, original in reversed(saved):
            setattr(owner, attr, original)


def grouped(totals: dict[str, float], step_total: float) -> dict[str, float]:
    """Raw phase totals summed into the report rows, plus "other" (step remainder)."""
    rows = {label: sum(totals.get(k, 0.0) for k in keys) for label, keys in GROUPS}
    rows["other (Mesa step wrapper, events, copies)"] = step_total - sum(rows.values())
    return rows
