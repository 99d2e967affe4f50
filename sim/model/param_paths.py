"""Parameters by dotted path (`coefficients.online_peers`, `policies.0.budget_share`):
listing them, checking a path, and applying changes with the same validation as a
scenario file. Shared by experiment designs and the model's keyword overrides."""

from __future__ import annotations

import difflib
from typing import Any

from sim.model.params import Params


def _suggest(name: str, allowed) -> str:
    close = difflib.get_close_matches(str(name), [str(a) for a in allowed], n=1, cutoff=0.5)
    return f" (did you mean {close[0]!r}?)" if close else ""


def split_path(path: str) -> tuple[str | int, ...]:
    return tuple(int(p) if p.isdigit() else p for p in path.split("."))


def numeric_paths(data: Any, prefix: tuple = ()) -> dict[str, Any]:
    """Every numeric leaf of a dumped parameter set, by dotted path."""
    out: dict[str, Any] = {}
    if isinstance(data, dict):
        items = data.items()
    elif isinstance(data, (list, tuple)):
        items = enumerate(data)
    else:
        if isinstance(data, (int, float)) and not isinstance(data, bool):
            out[".".join(map(str, prefix))] = data
        return out
    for key, value in items:
        out.update(numeric_paths(value, (*prefix, key)))
    return out


def all_paths(data: Any, prefix: tuple = ()) -> dict[str, Any]:
    """Every field of a dumped parameter set (mappings, lists and leaves), by dotted path."""
    out: dict[str, Any] = {}
    if prefix:
        out[".".join(map(str, prefix))] = data
    if isinstance(data, dict):
        items = data.items()
    elif isinstance(data, (list, tuple)):
        items = enumerate(data)
    else:
        return out
    for key, value in items:
        out.update(all_paths(value, (*prefix, key)))
    return out


ITEM_NAME = {"policies": "lever", "events": "kind"}  # what names an item of these lists


def item_name(params: Params, path: str) -> str | None:
    """The lever or event kind of the item that `policies.N.*` or `events.N.*` points into
    (an item is known only by its place in the list), or None for other paths."""
    parts = split_path(path)
    if parts[0] not in ITEM_NAME or len(parts) < 2 or not isinstance(parts[1], int):
        return None
    return getattr(getattr(params, parts[0])[parts[1]], ITEM_NAME[parts[0]])


def check_path(params: Params, path: str, numeric: bool = True) -> str | None:
    """None if `path` names a (numeric) parameter, else what is wrong, with a suggestion."""
    dumped = params.model_dump()
    leaves = numeric_paths(dumped) if numeric else all_paths(dumped)
    if path in leaves:
        return None
    suggestions = [p for p in leaves if not p.startswith(("policies.", "events."))]
    if numeric and path in all_paths(dumped):
        return f"{path!r} is not a number; a design varies numeric parameters"
    what = "numeric parameter" if numeric else "parameter"
    return f"no {what} {path!r}" + _suggest(path, suggestions)


def apply_changes(params: Params, changes: dict[str, Any]) -> Params:
    """A copy of `params` with dotted-path changes, validated like a scenario file.
    A float given for an integer parameter is rounded. Raises ValidationError."""
    data = _untuple(params.model_dump())
    for path, value in changes.items():
        parts = split_path(path)
        node = data
        for part in parts[:-1]:
            node = node[part]
        current = node[parts[-1]]
        if isinstance(current, int) and not isinstance(current, bool) and isinstance(value, float):
            value = round(value)
        node[parts[-1]] = value
    return Params.model_validate(data)


def is_integer(params: Params, path: str) -> bool:
    value = numeric_paths(params.model_dump()).get(path)
    return isinstance(value, int) and not isinstance(value, bool)


def _untuple(data):
    if isinstance(data, dict):
        return {k: _untuple(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_untuple(v) for v in data]
    return data
