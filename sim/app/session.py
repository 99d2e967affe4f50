"""What the teaching app runs, without any web code: the settings a lecturer can change,
how they become `Params`, and the model the page steps, which carries its "ghost" (the
same seed without the last change) and steps it alongside.

Settings are applied to the scenario's own parameters:

- `budget` and `scale` replace the scenario's yearly budget and people per agent;
- each lever present in the scenario has a budget `share` (its largest yearly total
  share: every item of the lever is scaled by new/old) and a `start` year (items of the
  lever that end before it are dropped, the others start no earlier than it; an earlier
  start moves the first item's start back). A spending lever the scenario lacks can be
  given a share; it then runs from its start year to the end year;
- `feedbacks` switch the part-2 feedback loops (docs/model.md 5.11).
"""

from __future__ import annotations

import copy
import threading
import time
from dataclasses import dataclass, field, replace

from pydantic import ValidationError

from sim.experiments import scenario as scenarios
from sim.model.egov_model import EGovModel
from sim.model.levers import LEVERS
from sim.model.limits import check_seed
from sim.model.params import Feedbacks, Params, PolicySpec

TEACHING = "teaching"
SPENDING = tuple(n for n, c in LEVERS.items() if c.acts_on in ("agency", "region"))
FEEDBACKS = tuple(Feedbacks.model_fields)
NETWORK_LIMIT = 5000  # citizens' network drawn up to this many citizen agents
COALESCE_SECONDS = 3.0  # changes this close together, with no step between, are one change


def scenario_names() -> list[str]:
    """The teaching scenarios first (as `teaching/NAME`), then the other shipped ones."""
    teaching = [f"{TEACHING}/{name}" for name, _ in scenarios.shipped(scenarios.SHIPPED / TEACHING)]
    return teaching + [name for name, _ in scenarios.shipped()]


_BASES: dict[str, tuple[Params, int]] = {}


def base_scenario(name: str) -> tuple[Params, int]:
    """A shipped scenario's parameters and default seed (read once per process)."""
    if name not in _BASES:
        spec = scenarios.load(name)
        _BASES[name] = (spec.params, spec.seed)
    params, seed = _BASES[name]
    return params.model_copy(deep=True), seed


@dataclass(frozen=True)
class LeverSetting:
    share: float  # largest yearly total budget share of the lever (0 for mandate/partnership)
    start: int


@dataclass(frozen=True)
class Settings:
    """Everything the page lets a lecturer change."""

    scenario: str
    seed: int
    budget: float
    scale: float
    levers: dict[str, LeverSetting] = field(default_factory=dict)
    feedbacks: dict[str, bool] = field(default_factory=dict)

    def with_lever(self, lever: str, share: float | None = None, start: int | None = None) -> Settings:
        old = self.levers.get(lever, LeverSetting(0.0, 2005))
        new = LeverSetting(
            old.share if share is None else float(share), old.start if start is None else int(start)
        )
        return replace(self, levers={**self.levers, lever: new})

    def with_feedback(self, name: str, on: bool) -> Settings:
        return replace(self, feedbacks={**self.feedbacks, name: bool(on)})

    def describe_change(self, other: Settings) -> str:
        """What differs from `other`, in a few words (for the ghost's legend)."""
        if self.scenario != other.scenario:
            return f"scenario {other.scenario}" + (f", seed {other.seed}" if self.seed != other.seed else "")
        out = []
        for name in ("seed", "budget", "scale"):
            if getattr(self, name) != getattr(other, name):
                out.append(f"{name} {getattr(other, name)}")
        for lever in sorted(set(self.levers) | set(other.levers)):
            a, b = self.levers.get(lever), other.levers.get(lever)
            if a != b and b is not None:
                if a is None or a.share != b.share:
                    out.append(f"{lever} share {b.share:.3g}")
                if a is None or a.start != b.start:
                    out.append(f"{lever} from {b.start}")
        for name in FEEDBACKS:
            if self.feedbacks.get(name) != other.feedbacks.get(name):
                out.append(f"{name} {'on' if other.feedbacks.get(name) else 'off'}")
        return ", ".join(out) or "same settings"


def lever_shares(params: Params) -> dict[str, LeverSetting]:
    """Each lever's largest yearly total share and first start year."""
    out = {}
    years = range(params.start_year, params.end_year + 1)
    for lever in dict.fromkeys(p.lever for p in params.policies):
        items = [p for p in params.policies if p.lever == lever]
        peak = max(sum(p.budget_share for p in items if p.active(y)) for y in years) if items else 0.0
        out[lever] = LeverSetting(round(peak, 4), min(p.start for p in items))
    return out


def default_settings(scenario: str, seed: int | None = None) -> Settings:
    params, default_seed = base_scenario(scenario)
    return Settings(
        scenario=scenario,
        seed=default_seed if seed is None else seed,
        budget=params.budget,
        scale=params.world.scale,
        levers=lever_shares(params),
        feedbacks=params.feedbacks.model_dump(),
    )


class SettingsError(ValueError):
    """Settings that make no valid parameter set (shares above 1, ...): one line."""


def to_params(settings: Settings) -> Params:
    """The scenario's parameters with the settings applied, validated."""
    params, _ = base_scenario(settings.scenario)
    data = params.model_dump()
    data["budget"] = settings.budget
    data["world"]["scale"] = settings.scale
    data["feedbacks"] = {**data["feedbacks"], **settings.feedbacks}
    old = lever_shares(params)
    policies = [copy.deepcopy(p) for p in data["policies"]]
    for lever, want in settings.levers.items():
        have = old.get(lever)
        mine = [p for p in policies if p["lever"] == lever]
        if have is None:
            if lever in SPENDING and want.share > 0 and want.start <= params.end_year:
                policies.append(
                    PolicySpec(
                        lever=lever, start=want.start, end=params.end_year, budget_share=want.share
                    ).model_dump()
                )
            continue
        if have.share > 0 and want.share != have.share:
            for p in mine:
                p["budget_share"] = round(p["budget_share"] * want.share / have.share, 6)
        if want.start != have.start:
            if want.start < have.start:
                first = min(mine, key=lambda p: p["start"])
                first["start"] = want.start
            else:
                for p in mine:
                    if p["end"] < want.start:
                        p["lever"] = None  # dropped below
                    else:
                        p["start"] = max(p["start"], want.start)
    data["policies"] = [p for p in policies if p["lever"] is not None]
    try:
        return Params.model_validate(data)
    except ValidationError as e:
        err = e.errors()[0]
        where = ".".join(map(str, err["loc"]))
        raise SettingsError(
            f"{where + ': ' if where else ''}{err['msg'].removeprefix('Value error, ')}"
        ) from None


# --- the model the page steps -------------------------------------------------------------


class AppModel(EGovModel):
    """An EGovModel built from the page's settings, with its ghost: the previous settings
    (same seed unless the seed was the change) run alongside to the same step.

    `session` is what Mesa's Reset passes back (the page's state): the model is rebuilt
    from `session.settings` and its ghost from `session.previous`, both from step 0.
    `settings`/`ghost` build one directly (the page does this when a control changes:
    the old model, already at step k, becomes the ghost and the new one is run to k)."""

    def __init__(
        self,
        session: Session | None = None,
        *,
        settings: Settings | None = None,
        ghost: EGovModel | None = None,
        ghost_settings: Settings | None = None,
        to_step: int = 0,
        lock: threading.RLock | None = None,
    ):
        if session is not None:
            settings = session.settings
            ghost_settings = session.previous
            lock = session.lock
        self.lock = lock or threading.RLock()  # the page's controls and its play loop
        if settings is None:
            raise ValueError("AppModel needs a session or settings")
        super().__init__(to_params(settings), seed=settings.seed)
        self.settings = settings
        self.ghost_settings = ghost_settings
        if ghost is None and ghost_settings is not None:
            ghost = EGovModel(to_params(ghost_settings), seed=ghost_settings.seed, collect=False)
        self.ghost = ghost
        while self.steps < min(to_step, self.params.n_steps):
            self.step()

    def step(self) -> None:
        with self.lock:
            super().step()
            ghost = self.ghost
            if ghost is not None:
                while ghost.steps < min(self.steps, ghost.params.n_steps):
                    ghost.step()

    @property
    def ghost_label(self) -> str:
        if self.ghost_settings is None:
            return ""
        return "ghost: " + self.settings.describe_change(self.ghost_settings)


class Session:
    """One page's state: the current settings and the previous ones (the ghost's)."""

    def __init__(self, scenario: str, seed: int | None = None):
        self.settings = default_settings(scenario, seed)
        self.previous: Settings | None = None
        self.lock = threading.RLock()
        self._last_change: tuple[int, int] | None = None
        self._last_change_time = 0.0

    def change(self, new: Settings, model: AppModel | None) -> AppModel:
        """A control moved: the current model becomes the ghost and a model with the new
        settings is run to the same step. Raises SettingsError and keeps the state when
        the settings are not valid."""
        to_params(new)  # check first
        try:
            check_seed(new.seed)
        except (TypeError, ValueError) as e:
            raise SettingsError(f"seed: {e}") from None
        with self.lock:
            step = model.steps if model is not None else 0
            burst = (
                model is not None
                and getattr(model, "ghost", None) is not None
                and self._last_change == (id(model), step)
                and time.monotonic() - self._last_change_time < COALESCE_SECONDS
            )
            if burst:
                # one gesture (a slider dragged or stepped with the keys): the ghost stays
                # the run before the gesture began
                ghost, ghost_settings = model.ghost, self.previous
            else:
                ghost, ghost_settings = model, self.settings
                if model is not None:
                    model.ghost = None  # only one ghost: the run without the last change
            self.previous, self.settings = ghost_settings, new
            built = AppModel(
                settings=new, ghost=ghost, ghost_settings=ghost_settings, to_step=step, lock=self.lock
            )
            self._last_change, self._last_change_time = (id(built), built.steps), time.monotonic()
            return built

    def choose_scenario(self, name: str, model: AppModel | None) -> AppModel:
        """Another scenario, with its own defaults and the current seed: the previous
        scenario becomes the ghost (so two scenario files can be compared, same seed)."""
        return self.change(default_settings(name, self.settings.seed), model)
