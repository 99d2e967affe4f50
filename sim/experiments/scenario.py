"""Scenario files: YAML loaded safely, resolved through `extends`, validated into `Params`,
with errors that name the file, the line and the field, and suggest the nearest valid name.

Files are data: they are parsed with PyYAML's safe loader only, and a tag that would
build a Python object is an error, never executed.
"""

from __future__ import annotations

import difflib
import json
import stat
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field, ValidationError

from sim.experiments import safe_yaml
from sim.model.levers import LEVERS
from sim.model.limits import MAX_FILE_BYTES
from sim.model.params import Params, PolicySpec, Strict

SHIPPED = Path(str(resources.files("sim") / "data" / "scenarios"))  # package data, also ./scenarios
Path_ = tuple[str | int, ...]


class ScenarioError(Exception):
    """A scenario file that cannot be used; `problems` are one line each."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


class PolicyChanges(Strict):
    """The mapping form of `policies:` in a file that extends another."""

    mode: Literal["replace", "append"] = Field(
        "replace", description="replace the inherited policies, or append to them."
    )
    from_year: int | None = Field(
        None,
        ge=1990,
        le=2100,
        description="Reallocate the budget from this year: inherited levers that spend "
        "budget stop the year before (mandates are kept) [year].",
    )
    items: list[PolicySpec] = Field(default_factory=list, description="The policies.")


class ResolvedScenario(Params):
    """A scenario after `extends` is resolved: the run's parameters plus a default seed."""

    seed: int = Field(0, ge=0, le=2**32 - 1, description="Default seed of a run.")


class ScenarioFile(ResolvedScenario):
    """The schema of a scenario file (exported for editors): adds `extends` and the
    mapping form of `policies`."""

    extends: str | None = Field(
        None, description="Name or path of a scenario this one inherits from and overrides."
    )
    policies: list[PolicySpec] | PolicyChanges = Field(  # type: ignore[assignment]
        default_factory=list,
        description="A list (replaces inherited policies) or {mode, from_year, items}.",
    )


def json_schema() -> dict:
    schema = ScenarioFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "egov scenario file"
    return schema


@dataclass
class Scenario:
    """A resolved, validated scenario: its parameters, default seed and source files."""

    params: Params
    seed: int
    path: Path | None
    chain: list[Path] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.params.name


# --- reading YAML with line numbers -------------------------------------------------


@dataclass
class Source:
    """One parsed file: its data and the line of every key and list item."""

    path: Path
    data: dict
    lines: dict[Path_, int]


def _read_limited(path: Path) -> bytes:
    """At most MAX_FILE_BYTES of a regular file; anything else is refused unread."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise ScenarioError([f"{path}: not a regular file"])
        if info.st_size > MAX_FILE_BYTES:
            raise ScenarioError(
                [f"{path}:1: (top level): file is {info.st_size:,} bytes; the limit is {MAX_FILE_BYTES:,}"]
            )
        with open(path, "rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as e:
        raise ScenarioError([f"{path}: cannot read file: {e.strerror or e}"]) from None
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError([f"{path}:1: (top level): file is over the limit of {MAX_FILE_BYTES:,} bytes"])
    return raw


def _is_yaml_name(path: Path) -> bool:
    return path.suffix.lower() in (".yaml", ".yml")


def read_source(path: Path) -> Source:
    """Parse one file safely; every failure becomes a ScenarioError naming the file.
    Size, nesting depth and alias expansion are checked before anything is built, and
    duplicate keys are refused (see sim.model.limits, sim.experiments.safe_yaml)."""
    raw = _read_limited(path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ScenarioError([f"{path}: not a text file (not valid UTF-8)"]) from None
    if "\x00" in text:
        raise ScenarioError([f"{path}: not a text file (contains NUL bytes)"])
    lines: dict[Path_, int] = {}
    loader = None
    try:
        safe_yaml.check_text(text)
        safe_yaml.check_depth(text)
        loader = yaml.SafeLoader(text)
        node = loader.get_single_node()
        if node is not None:
            safe_yaml.check_graph(node)
            safe_yaml.walk_lines(node, lines)
        data = loader.construct_document(node) if node is not None else None
    except safe_yaml.YamlProblem as e:
        raise ScenarioError([f"{path}:{e.line or '?'}: {e.field}: {e.message}"]) from None
    except yaml.constructor.ConstructorError as e:
        line = e.problem_mark.line + 1 if e.problem_mark else 0
        where = [p for p, n in lines.items() if n == line and isinstance(p[-1], str)]
        field_name = ".".join(map(str, max(where, key=len))) if where else "(top level)"
        tag = (getattr(e, "problem", "") or "").strip()
        if "tag" not in tag:
            raise ScenarioError(
                [f"{path}:{line or '?'}: {field_name}: {tag or 'cannot read this value'}"]
            ) from None
        raise ScenarioError(
            [
                f"{path}:{line or '?'}: {field_name}: YAML tag not allowed ({tag}): scenario files "
                "are data; tags that build Python objects are refused"
            ]
        ) from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 1 if mark else 0
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        near = ""
        if _is_yaml_name(path) and 0 < line <= len(text.splitlines()):  # never echo other files
            near = text.splitlines()[line - 1].strip()[:80]
        near = f" near {near!r}" if near else ""
        raise ScenarioError(
            [f"{path}:{line or '?'}: (top level): YAML syntax error: {problem}{near}"]
        ) from None
    except RecursionError:
        raise ScenarioError([f"{path}:?: (top level): nested too deeply"]) from None
    finally:
        if loader is not None:
            loader.dispose()
    if data is None:
        raise ScenarioError([f"{path}:1: (top level): the file is empty; a scenario is a mapping of fields"])
    if not isinstance(data, dict):
        raise ScenarioError(
            [
                f"{path}:1: (top level): a scenario is a mapping of fields (name: ..., "
                f"policies: ...), not a {type(data).__name__}"
            ]
        )
    return Source(path, data, lines)


# --- resolving `extends` --------------------------------------------------------------


def find_scenario(name: str, near: Path | None = None) -> Path | None:
    """A scenario by path, or by name among the shipped ones.

    With `near` (the folder of an extending or experiment file), a relative name is looked
    up beside that file, never in the current directory, so results do not depend on
    where a command is run. Only YAML files (.yaml, .yml) are scenarios."""
    if not isinstance(name, str) or not name.strip() or "\x00" in name:
        return None
    given = Path(name)
    if near is None:
        candidates = [given]
    else:
        candidates = (
            [given] if given.is_absolute() else [near / name, near / f"{name}.yaml", near / f"{name}.yml"]
        )
    if not given.is_absolute() and ".." not in given.parts:
        candidates += [SHIPPED / name, SHIPPED / f"{name}.yaml", SHIPPED / f"{name}.yml"]
    for c in candidates:
        try:
            if c.is_file() and (near is None or _is_yaml_name(c)):
                return c.resolve()
        except OSError:
            continue
    return None


def _merge(base: dict, over: dict) -> dict:
    """Deep merge of mappings; lists and scalars of `over` replace those of `base`."""
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


Origins = dict[Path_, tuple[Path, int]]


def _origins(source: Source, remap=None) -> Origins:
    out: Origins = {}
    for path, line in source.lines.items():
        new = remap(path) if remap else path
        if new is not None:
            out[new] = (source.path, line)
    return out


def _apply_policy_changes(parent: dict, parent_origins: Origins, child: Source) -> tuple[list, Origins]:
    """Resolve a child's `policies:` (a list, or {mode, from_year, items}) against the
    parent's list; returns the new list and where each item came from."""
    spec = child.data["policies"]
    inherited = list(parent.get("policies") or [])
    origins: Origins = {}

    def keep_parent(index_map):
        for path, where in parent_origins.items():
            if path[:1] == ("policies",) and len(path) > 1 and path[1] in index_map:
                origins[("policies", index_map[path[1]], *path[2:])] = where

    if isinstance(spec, list):
        items, offset, kept = spec, 0, []
        child_prefix: Path_ = ("policies",)
    else:
        if not isinstance(spec, dict):
            raise ScenarioError(
                [
                    f"{child.path}:{child.lines.get(('policies',), '?')}: policies: a list of "
                    "policies or a mapping {mode, from_year, items}"
                ]
            )
        try:
            changes = PolicyChanges.model_validate({**spec, "items": []})
        except ValidationError as e:
            raise ScenarioError(_describe(e, child, ("policies",), PolicyChanges)) from None
        items = spec.get("items") or []
        child_prefix = ("policies", "items")
        kept = []
        index_map = {}
        if changes.mode == "append":
            for i, p in enumerate(inherited):
                p = dict(p) if isinstance(p, dict) else p
                if changes.from_year is not None and isinstance(p, dict) and _spends(p):
                    if p.get("start", 2005) >= changes.from_year:
                        continue
                    if p.get("end", 2030) >= changes.from_year:
                        p["end"] = changes.from_year - 1
                index_map[i] = len(kept)
                kept.append(p)
            keep_parent(index_map)
        offset = len(kept)
    if not isinstance(items, list):
        raise ScenarioError(
            [
                f"{child.path}:{child.lines.get(child_prefix, '?')}: {'.'.join(map(str, child_prefix))}:"
                " a list of policies"
            ]
        )

    def remap(path):
        if path[: len(child_prefix)] == child_prefix and len(path) > len(child_prefix):
            rest = path[len(child_prefix) :]
            if isinstance(rest[0], int):
                return ("policies", rest[0] + offset, *rest[1:])
        return None

    origins.update(_origins(child, remap))
    origins[("policies",)] = (child.path, child.lines.get(("policies",), 1))
    return kept + list(items), origins


def _spends(policy: dict) -> bool:
    lever = LEVERS.get(policy.get("lever"))
    return lever is not None and lever.acts_on in ("agency", "region")


def resolve(path: Path, _seen: tuple[Path, ...] = ()) -> tuple[dict, Origins, list[Path]]:
    """The merged data of a scenario and its ancestors, with the origin of every field."""
    path = path.resolve()
    if path in _seen:
        cycle = " -> ".join(p.name for p in (*_seen, path))
        raise ScenarioError([f"{_seen[-1]}: extends cycle: {cycle}"])
    source = read_source(path)
    parent_name = source.data.get("extends")
    if parent_name is None:
        data = dict(source.data)
        if isinstance(data.get("policies"), dict):
            data["policies"], origins = _apply_policy_changes({}, {}, source)
            rest = {k: v for k, v in _origins(source).items() if k[:1] != ("policies",)}
            origins.update(rest)
        else:
            origins = _origins(source)
        return data, origins, [path]
    if not isinstance(parent_name, str):
        line = source.lines.get(("extends",), "?")
        raise ScenarioError([f"{path}:{line}: extends: the name or path of another scenario"])
    parent_path = find_scenario(parent_name, path.parent)
    if parent_path is None:
        line = source.lines.get(("extends",), "?")
        known = [p.stem for p in path.parent.glob("*.y*ml")] + [p.stem for p in SHIPPED.glob("*.y*ml")]
        raise ScenarioError(
            [
                f"{path}:{line}: extends: no scenario {parent_name!r} beside this file or shipped "
                "(a scenario is a .yaml or .yml file, found relative to the extending file)"
                + _did_you_mean(parent_name, known)
            ]
        )
    parent, parent_origins, chain = resolve(parent_path, (*_seen, path))
    child_data = {k: v for k, v in source.data.items() if k != "extends"}
    origins = dict(parent_origins)
    if "policies" in child_data:
        child_data["policies"], policy_origins = _apply_policy_changes(parent, parent_origins, source)
        origins = {k: v for k, v in origins.items() if k[:1] != ("policies",)}
        origins.update(policy_origins)
        rest = {k: v for k, v in _origins(source).items() if k[:1] != ("policies",)}
    else:
        rest = _origins(source)
    if "events" in child_data:
        origins = {k: v for k, v in origins.items() if k[:1] != ("events",)}
    origins.update(rest)
    return _merge(parent, child_data), origins, [*chain, path]


# --- validation messages ----------------------------------------------------------------


def _did_you_mean(name: str, allowed) -> str:
    close = difflib.get_close_matches(str(name), [str(a) for a in allowed], n=1, cutoff=0.5)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _fields_at(model: type[BaseModel], loc: Path_) -> list[str]:
    """The field names valid at a location of the file."""
    current: Any = model
    for part in loc:
        if isinstance(part, int) or current is None:
            continue
        info = getattr(current, "model_fields", {}).get(part)
        if info is None:
            return []
        current = _model_in(info.annotation)
    return list(getattr(current, "model_fields", {}) or [])


def _model_in(annotation) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _clean_loc(loc) -> Path_:
    """Drop pydantic's union-branch and validator labels from an error location."""
    return tuple(
        p
        for p in loc
        if isinstance(p, int)
        or (
            isinstance(p, str)
            and not (p.startswith(("list[", "function-", "tagged-union")) or p in ("PolicyChanges",))
        )
    )


def _describe(error: ValidationError, where, prefix: Path_ = (), model=ResolvedScenario) -> list[str]:
    """One line per problem: file:line: field: what is wrong (and what is allowed)."""
    problems = []
    for err in error.errors():
        loc = (*prefix, *_clean_loc(err["loc"]))
        msg = err["msg"].removeprefix("Value error, ")
        if not loc and err["type"] == "value_error":
            # model-level checks name their field at the start of the message
            head, _, rest = msg.partition(": ")
            named = tuple(int(p) if p.isdigit() else p for p in head.split("."))
            if rest and named[0] in model.model_fields:
                loc, msg = named, rest
        file, line = _locate(where, loc)
        field_name = ".".join(map(str, loc)) or "(top level)"
        if err["type"] == "extra_forbidden":
            allowed = _fields_at(model, loc[len(prefix) : -1])
            msg = f"unknown field {loc[-1]!r}{_did_you_mean(loc[-1], allowed)}"
            if allowed:
                msg += f"; allowed: {', '.join(allowed)}"
        elif "unknown lever" in msg:
            msg += _did_you_mean(err.get("input", ""), LEVERS)
        elif err["type"] == "literal_error":
            msg = f"{msg}, got {err.get('input')!r}" + _did_you_mean(
                err.get("input", ""), _literal_values(err)
            )
        elif err["type"] not in ("value_error", "assertion_error") and "input" in err:
            msg = f"{msg} (got {err['input']!r})"
        line_text = f":{line}" if line else ""
        problems.append(f"{file}{line_text}: {field_name}: {msg}")
    return list(dict.fromkeys(problems))


def _literal_values(err) -> list[str]:
    expected = (err.get("ctx") or {}).get("expected", "")
    return [v.strip(" '\"") for v in expected.replace(" or ", ",").split(",") if v.strip()]


def _locate(where, loc: Path_):
    """The file and line of the deepest known part of `loc`."""
    if isinstance(where, Source):
        origins = {p: (where.path, line) for p, line in where.lines.items()}
        default = where.path
    else:
        origins, default = where
    for cut in range(len(loc), 0, -1):
        if loc[:cut] in origins:
            return origins[loc[:cut]]
    return default, None


def load(path: str | Path) -> Scenario:
    """Read, resolve and validate a scenario file (or a shipped scenario's name)."""
    found = find_scenario(str(path))
    if found is None:
        known = [p.stem for p in SHIPPED.glob("*.y*ml")]
        raise ScenarioError([f"{path}: no such scenario file{_did_you_mean(str(path), known)}"])
    data, origins, chain = resolve(found)
    data.pop("extends", None)
    data.setdefault("name", found.stem)
    try:
        parsed = ResolvedScenario.model_validate(data)
    except ValidationError as e:
        raise ScenarioError(_describe(e, (origins, found))) from None
    params = Params.model_validate(parsed.model_dump(exclude={"seed"}))
    return Scenario(params=params, seed=parsed.seed, path=found, chain=chain)


def json_line(text: str, field: str) -> int | str:
    """The line of a dotted field (`scenario.coefficients.online_peers`) in a JSON file
    written one key per line, found key by key; '?' when it is not there."""
    position = 0
    for key in field.split("."):
        if key.isdigit():
            continue
        found = text.find(f'"{key}":', position)
        if found < 0:
            return "?" if position == 0 else text.count("\n", 0, position) + 1
        position = found
    return text.count("\n", 0, position) + 1


def from_manifest(path: str | Path) -> tuple[Scenario, str]:
    """The scenario, seed and engine recorded in a run's manifest.json, checked like a
    scenario file: a manifest is input too."""
    from sim.model.limits import check_seed

    path = Path(path)
    raw = _read_limited(path)
    try:
        manifest = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        line = getattr(e, "lineno", None) or "?"
        raise ScenarioError(
            [f"{path}:{line}: (top level): not a usable run manifest: not valid JSON"]
        ) from None
    if not isinstance(manifest, dict) or manifest.get("kind", "egov-run") != "egov-run":
        raise ScenarioError([f"{path}:1: (top level): not a usable run manifest: not an egov run manifest"])
    problems = []
    for key, kind, what in (
        ("scenario", dict, "a mapping"),
        ("seed", int, "an integer"),
        ("engine", str, "a name"),
    ):
        value = manifest.get(key)
        if not isinstance(value, kind) or isinstance(value, bool):
            where = json_line(raw.decode("utf-8"), key) if key in manifest else 1
            problems.append(f"{path}:{where}: {key}: missing or not {what} in the run manifest")
    if problems:
        raise ScenarioError(problems)
    try:
        seed = check_seed(manifest["seed"])
    except ValueError as e:
        raise ScenarioError([f"{path}:{json_line(raw.decode('utf-8'), 'seed')}: seed: {e}"]) from None
    if manifest["engine"] not in ("vectorized", "agent"):
        line = json_line(raw.decode("utf-8"), "engine")
        raise ScenarioError(
            [f"{path}:{line}: engine: must be vectorized or agent, got {manifest['engine']!r}"]
        )
    try:
        params = Params.model_validate(manifest["scenario"])
    except ValidationError as e:
        text = raw.decode("utf-8")
        problems = []
        for p in _describe(e, ({}, path), ("scenario",), Params):
            field = p[len(f"{path}: ") :].split(":", 1)[0] if p.startswith(f"{path}: ") else ""
            problems.append(p.replace(f"{path}:", f"{path}:{json_line(text, field) if field else '?'}:", 1))
        raise ScenarioError(problems) from None
    return Scenario(params, seed, path), manifest["engine"]


def shipped(folder: Path = SHIPPED, subfolders: bool = False) -> list[tuple[str, str]]:
    """(name, description) of every shipped scenario (or of the YAML files in `folder`);
    with `subfolders`, also those one folder down (such as `teaching/tipping_point`),
    named by their path relative to `folder`, as `load` finds them."""
    out = []
    paths = sorted(folder.glob("*.yaml"))
    if subfolders:
        paths += sorted(folder.glob("*/*.yaml"))
    for p in paths:
        try:
            desc = (read_source(p).data.get("description") or "").strip()
        except ScenarioError:
            desc = "(invalid file)"
        out.append((p.relative_to(folder).with_suffix("").as_posix(), desc))
    return out
