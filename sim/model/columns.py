"""Declared state columns and array-backed Mesa agents.

A kind's state is declared once (name, dtype, default, label), as Starsim declares its
states; the values live in one numpy array per state, owned by the kind's `Store`. Each
agent is a registered `mesa.Agent` whose attributes are views of its row: reading
`citizen.digital_literacy` reads the column, assigning to it writes the column.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import mesa
import numpy as np


@dataclass(frozen=True)
class State:
    """One declared column: its name, numpy dtype, default value and a readable label."""

    name: str
    dtype: Any
    default: float | int | bool
    label: str


class Store:
    """The columns of one agent kind, keyed by state name."""

    def __init__(self, states: tuple[State, ...], n: int):
        self.states = {s.name: s for s in states}
        self.n = n
        self.columns: dict[str, np.ndarray] = {s.name: np.full(n, s.default, dtype=s.dtype) for s in states}

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name]

    def __setitem__(self, name: str, values) -> None:
        self.columns[name][...] = values

    def __len__(self) -> int:
        return self.n

    def snapshot(self, *names: str) -> dict[str, np.ndarray]:
        """Copies of some columns: the previous state every agent decides from."""
        return {name: self.columns[name].copy() for name in names}


def _row_property(name: str, label: str) -> property:
    def get(self):
        return self._store.columns[name].item(self.row)

    def put(self, value):
        self._store.columns[name][self.row] = value

    return property(get, put, doc=label)


class ColumnAgent(mesa.Agent):
    """A Mesa agent whose declared states are views of its row in the kind's store."""

    states: ClassVar[tuple[State, ...]] = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for state in cls.states:
            setattr(cls, state.name, _row_property(state.name, state.label))

    def __init__(self, model: mesa.Model, store: Store, row: int):
        super().__init__(model)
        self._store = store
        self.row = row

    @classmethod
    def new_store(cls, n: int) -> Store:
        return Store(cls.states, n)
