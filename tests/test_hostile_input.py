# ruff: noqa: E501  (the corpus is a table of one-line cases)
"""A corpus of malformed input, as a hostile or careless user would give it: scenario
files, experiment files, command lines, manifests, results folders and Python calls.

Every CLI case must get exit status 2, one `error:` line naming the file, the line and
the field, no traceback, and nothing written anywhere (the test runs in an empty
temporary working directory and checks it is unchanged). Most cases run in-process
(typer's CliRunner); a representative subset runs in real subprocesses under an address
space limit (resource.setrlimit(RLIMIT_AS)), to show that size, expansion and depth
limits hold before memory or time is spent.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

import sim
from sim.cli import app
from sim.model.limits import MAX_FILE_BYTES

RUNNER = CliRunner()
EGOV = [sys.executable, "-m", "sim"]


def snapshot(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def invoke(args: list, cwd: Path):
    before = snapshot(cwd)
    old = os.getcwd()
    os.chdir(cwd)
    try:
        result = RUNNER.invoke(app, [str(a) for a in args], catch_exceptions=True)
    finally:
        os.chdir(old)
    after = snapshot(cwd)
    return result, after - before


def assert_clean_error(result, written, fragments, code=2):
    err = result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"unhandled {type(result.exception).__name__}: {result.exception}\n{err}"
    )
    assert result.exit_code == code, (result.exit_code, err, result.stdout)
    assert "Traceback" not in err + result.stdout
    assert "error" in err.lower(), err
    for fragment in fragments:
        assert fragment in err, (fragment, err)
    assert not written, f"written on bad input: {sorted(written)}"


# --- scenario files: (content, file:line fragment, field) --------------------------------

ALIAS_BOMB = "\n".join(
    ["a: &a [x, x, x, x, x, x, x, x, x]"]
    + [f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]" for p, c in zip("abcdefg", "bcdefgh", strict=True)]
)
MERGE_BOMB = "\n".join(
    ["a: &a {k0: 0, k1: 1, k2: 2, k3: 3, k4: 4, k5: 5, k6: 6, k7: 7, k8: 8}"]
    + [
        f"{c}: &{c} [" + ", ".join([f"{{<<: *{p}, z{i}: {i}}}" for i in range(9)]) + "]"
        for p, c in zip("abcdefg", "bcdefgh", strict=True)
    ]
)
DEEP_BLOCK = (
    "name: deep\nworld:\n" + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(60)) + "  " * 61 + "v: 1\n"
)

SCENARIOS: dict[str, tuple[str | bytes, str, str]] = {
    # syntax and encoding
    "syntax_unclosed": ("name: bad\npolicies: [\n  {lever: broadband\n", "bad.yaml:", "YAML syntax error"),
    "syntax_bad_indent": ("name: bad\n  budget: 3\n budget: 4\n", "bad.yaml:2", "(top level)"),
    "syntax_tab": ("name: bad\n\tbudget: 3\n", "bad.yaml:", "YAML syntax error"),
    "empty": ("", "bad.yaml:1", "(top level)"),
    "only_comment": ("# nothing\n", "bad.yaml:1", "(top level)"),
    "top_list": ("- a\n- b\n", "bad.yaml:1", "(top level)"),
    "top_scalar": ("hello\n", "bad.yaml:1", "(top level)"),
    "not_utf8": (b"name: \xff\xfe\n", "bad.yaml", "not a text file"),
    "nul_byte": (b"name: a\x00b\n", "bad.yaml", "not a text file"),
    "control_char": ("name: ok\nbudget: 4\x07\n", "bad.yaml:2", "control character"),
    "escape_sequence": ("name: ok\ndescription: \x1b[31mred\n", "bad.yaml:2", "control character"),
    "python_tag": (
        'name: !!python/object/apply:os.system ["touch PWNED"]\n',
        "bad.yaml:1",
        "tag not allowed",
    ),
    "python_name_tag": ("name: ok\nbudget: !!python/name:os.system\n", "bad.yaml:2", "tag not allowed"),
    "custom_tag": ("name: ok\nbudget: !money 4\n", "bad.yaml:2", "tag not allowed"),
    # size, expansion, depth
    "alias_bomb": (ALIAS_BOMB, "bad.yaml:", "expands to more than"),
    "merge_key_bomb": (MERGE_BOMB, "bad.yaml:", "expands to more than"),
    "deep_brackets": ("name: x\nworld: " + "[" * 5000 + "]" * 5000 + "\n", "bad.yaml:2", "nested more than"),
    "deep_braces": (
        "name: x\nworld: " + "{a: " * 200 + "1" + "}" * 200 + "\n",
        "bad.yaml:2",
        "nested more than",
    ),
    "deep_block": (DEEP_BLOCK, "bad.yaml:", "nested more than"),
    "too_big": ("name: big\n" + "# padding\n" * (MAX_FILE_BYTES // 10 + 10), "bad.yaml:1", "the limit is"),
    "recursive_alias": ("name: x\nworld: &w\n  kind: *w\n", "bad.yaml:", "(top level)"),
    # keys
    "duplicate_top_key": (
        "name: a\nbudget: 1\nbudget: 2\n",
        "bad.yaml:3",
        "budget: duplicate key 'budget' (first on line 2",
    ),
    "duplicate_nested_key": (
        "name: a\ncoefficients:\n  online_peers: 1\n  online_peers: 2\n",
        "bad.yaml:4",
        "coefficients.online_peers: duplicate key",
    ),
    "duplicate_in_policy": (
        "name: a\npolicies:\n  - lever: broadband\n    lever: open_data\n    budget_share: 0.1\n",
        "bad.yaml:4",
        "policies.0.lever: duplicate key",
    ),
    "list_key": ("name: a\n[x, y]: 1\n", "bad.yaml:2", "a key must be a plain name"),
    "mapping_key": ("name: a\n{x: 1}: 1\n", "bad.yaml:2", "a key must be a plain name"),
    "unknown_field": ("name: a\nbudgett: 3\n", "bad.yaml:2", "budgett: unknown field"),
    "unknown_nested": (
        "name: a\ncoefficients:\n  online_peer: 2\n",
        "bad.yaml:3",
        "coefficients.online_peer",
    ),
    # names used as paths
    "name_parent": ("name: ../../x\n", "bad.yaml:1", "name: name '../../x' is not a safe folder name"),
    "name_absolute": ("name: /tmp/evil\n", "bad.yaml:1", "name: name '/tmp/evil'"),
    "name_empty": ("name: ''\n", "bad.yaml:1", "name: name ''"),
    "name_slash": ("name: a/b\n", "bad.yaml:1", "name: name 'a/b'"),
    "name_newline": ('name: "a\\nb"\n', "bad.yaml:1", "name: name 'a\\nb'"),
    "name_dot": ("name: .hidden\n", "bad.yaml:1", "name: name '.hidden'"),
    "name_dotdot": ("name: ..\n", "bad.yaml:1", "name: name '..'"),
    "name_too_long": ("name: " + "a" * 101 + "\n", "bad.yaml:1", "at most 100 characters"),
    "name_list": ("name: [a, b]\n", "bad.yaml:1", "name:"),
    "name_backslash": ("name: 'a\\b'\n", "bad.yaml:1", "not a safe folder name"),
    # extends
    "extends_etc_passwd": (
        "extends: /etc/passwd\nname: a\n",
        "bad.yaml:1",
        "extends: no scenario '/etc/passwd'",
    ),
    "extends_proc": ("extends: /proc/self/environ\nname: a\n", "bad.yaml:1", "extends: no scenario"),
    "extends_relative_escape": (
        "extends: ../../../../etc/passwd\nname: a\n",
        "bad.yaml:1",
        "extends: no scenario",
    ),
    "extends_dev_zero": ("extends: /dev/zero\nname: a\n", "bad.yaml:1", "extends: no scenario"),
    "extends_missing": (
        "extends: nothing_here\nname: a\n",
        "bad.yaml:1",
        "extends: no scenario 'nothing_here'",
    ),
    "extends_list": ("extends: [a]\nname: a\n", "bad.yaml:1", "extends:"),
    "extends_text_file": ("extends: notes.txt\nname: a\n", "bad.yaml:1", "extends: no scenario 'notes.txt'"),
    "extends_self": ("extends: bad\nname: a\n", "bad.yaml", "extends cycle"),
    # numbers: finite, ranges, order
    "nan_coefficient": (
        "name: a\ncoefficients:\n  online_peers: .nan\n",
        "bad.yaml:3",
        "coefficients.online_peers: Input should be a finite number",
    ),
    "inf_coefficient": (
        "name: a\ncoefficients:\n  online_trust: .inf\n",
        "bad.yaml:3",
        "coefficients.online_trust",
    ),
    "neg_inf_intercept": (
        "name: a\ncoefficients:\n  online_intercept: -.inf\n",
        "bad.yaml:3",
        "coefficients.online_intercept",
    ),
    "negative_coefficient": (
        "name: a\ncoefficients:\n  access_rate: -1\n",
        "bad.yaml:3",
        "coefficients.access_rate",
    ),
    "tuple_nan": (
        "name: a\ncoefficients:\n  online_age: [0, .nan, 0, 0]\n",
        "bad.yaml:3",
        "coefficients.online_age.1",
    ),
    "tuple_inf": (
        "name: a\ncoefficients:\n  business_size: [0, 0, .inf, 0]\n",
        "bad.yaml:3",
        "coefficients.business_size.2",
    ),
    "tuple_negative": (
        "name: a\ncoefficients:\n  literacy_age_factor: [1, -0.5, 0.5, 0.2]\n",
        "bad.yaml:3",
        "coefficients.literacy_age_factor.1",
    ),
    "tuple_huge": (
        "name: a\ncoefficients:\n  online_age: [0, 0, 0, 1e300]\n",
        "bad.yaml:3",
        "coefficients.online_age.3",
    ),
    "tuple_short": (
        "name: a\ncoefficients:\n  online_age: [0, 0]\n",
        "bad.yaml:3",
        "coefficients.online_age",
    ),
    "tuple_long": (
        "name: a\ncoefficients:\n  online_age: [0, 0, 0, 0, 0]\n",
        "bad.yaml:3",
        "coefficients.online_age",
    ),
    "tuple_strings": (
        "name: a\ncoefficients:\n  online_age: [a, b, c, d]\n",
        "bad.yaml:3",
        "coefficients.online_age.0",
    ),
    "openness_unordered": (
        "name: a\nthresholds:\n  openness_levels: [0.5, 0.3, 0.6]\n",
        "bad.yaml:2",
        "openness_levels: cut-offs must increase",
    ),
    "openness_nan": (
        "name: a\nthresholds:\n  openness_levels: [0.1, .nan, 0.6]\n",
        "bad.yaml:3",
        "thresholds.openness_levels.1",
    ),
    "openness_above_one": (
        "name: a\nthresholds:\n  openness_levels: [0.1, 0.3, 1.6]\n",
        "bad.yaml:3",
        "thresholds.openness_levels.2",
    ),
    "stage_maturity_order": (
        "name: a\nthresholds:\n  agency_stage2_maturity: 3.5\n  agency_stage3_maturity: 2.0\n",
        "bad.yaml:2",
        "agency_stage3_maturity",
    ),
    "threshold_nan": ("name: a\nthresholds:\n  stage_share: .nan\n", "bad.yaml:3", "thresholds.stage_share"),
    "budget_negative": ("name: a\nbudget: -5\n", "bad.yaml:2", "budget:"),
    "budget_nan": ("name: a\nbudget: .nan\n", "bad.yaml:2", "budget:"),
    "budget_text": ("name: a\nbudget: lots\n", "bad.yaml:2", "budget:"),
    "budget_bool": ("name: a\nbudget: true\n", "bad.yaml:2", "budget:"),
    "scale_zero": ("name: a\nworld:\n  scale: 0\n", "bad.yaml:3", "world.scale"),
    "scale_nan": ("name: a\nworld:\n  scale: .nan\n", "bad.yaml:3", "world.scale"),
    "years_reversed": ("name: a\nstart_year: 2020\nend_year: 2010\n", "bad.yaml:3", "end_year"),
    "year_far": ("name: a\nend_year: 3000\n", "bad.yaml:2", "end_year"),
    "steps_zero": ("name: a\nsteps_per_year: 0\n", "bad.yaml:2", "steps_per_year"),
    "steps_float": ("name: a\nsteps_per_year: 12.5\n", "bad.yaml:2", "steps_per_year"),
    "regions_one": ("name: a\nworld:\n  kind: synthetic\n  n_regions: 1\n", "bad.yaml:4", "world.n_regions"),
    "population_huge": (
        "name: a\nworld:\n  kind: synthetic\n  synthetic_population: 1e12\n",
        "bad.yaml:4",
        "world.synthetic_population",
    ),
    "world_kind": ("name: a\nworld:\n  kind: mars\n", "bad.yaml:3", "world.kind"),
    # seeds
    "seed_huge": ("name: a\nseed: 1000000000000000000000000000000\n", "bad.yaml:2", "seed:"),
    "seed_negative": ("name: a\nseed: -1\n", "bad.yaml:2", "seed:"),
    "seed_float": ("name: a\nseed: 1.5\n", "bad.yaml:2", "seed:"),
    "seed_above_32bit": ("name: a\nseed: 4294967296\n", "bad.yaml:2", "seed:"),
    "seed_text": ("name: a\nseed: abc\n", "bad.yaml:2", "seed:"),
    # policies and events
    "shares_above_one": (
        "name: a\nstart_year: 2010\nend_year: 2012\npolicies:\n"
        "  - {lever: broadband, start: 2010, end: 2012, budget_share: 0.6}\n"
        "  - {lever: open_data, start: 2011, end: 2011, budget_share: 0.65}\n",
        "bad.yaml:4",
        "sum to 1.25 in 2011",
    ),
    "share_nan": (
        "name: a\npolicies:\n  - {lever: broadband, budget_share: .nan}\n",
        "bad.yaml:3",
        "policies.0.budget_share",
    ),
    "policy_end_before_start": (
        "name: a\npolicies:\n  - {lever: broadband, start: 2020, end: 2010, budget_share: 0.1}\n",
        "bad.yaml:3",
        "policies.0",
    ),
    "unknown_lever": (
        "name: a\npolicies:\n  - {lever: broadbnd, budget_share: 0.1}\n",
        "bad.yaml:3",
        "did you mean 'broadband'",
    ),
    "unknown_region": (
        "name: a\npolicies:\n  - lever: broadband\n    budget_share: 0.2\n    target: {regions: [Atlantis]}\n",
        "bad.yaml:5",
        "policies.0.target.regions",
    ),
    "two_target_kinds": (
        "name: a\npolicies:\n  - lever: broadband\n    budget_share: 0.2\n"
        "    target: {regions: [Almaty], lagging: {count: 2}}\n",
        "bad.yaml:5",
        "policies.0.target",
    ),
    "lagging_zero": (
        "name: a\npolicies:\n  - lever: broadband\n    budget_share: 0.2\n    target: {lagging: {count: 0}}\n",
        "bad.yaml:5",
        "policies.0.target.lagging.count",
    ),
    "policies_not_list": ("name: a\npolicies: 5\n", "bad.yaml:2", "policies"),
    "policies_bad_mode": (
        "extends: kazakhstan_baseline\nname: a\npolicies: {mode: merge}\n",
        "bad.yaml:3",
        "policies.mode",
    ),
    "event_unknown": ("name: a\nevents:\n  - {kind: flood, year: 2020}\n", "bad.yaml:3", "events.0.kind"),
    "event_month_13": (
        "name: a\nevents:\n  - {kind: cyber_wave, year: 2020, month: 13}\n",
        "bad.yaml:3",
        "events.0.month",
    ),
    "event_shock_above_one": (
        "name: a\nevents:\n  - {kind: demand_shock, year: 2020, intensity: 2}\n",
        "bad.yaml:3",
        "events.0",
    ),
    "event_intensity_inf": (
        "name: a\nevents:\n  - {kind: cyber_wave, year: 2020, intensity: .inf}\n",
        "bad.yaml:3",
        "events.0.intensity",
    ),
}


def _write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


@pytest.mark.parametrize("case", sorted(SCENARIOS))
def test_bad_scenario_file(case, tmp_path):
    content, where, field = SCENARIOS[case]
    _write(tmp_path, "bad.yaml", content)
    (tmp_path / "notes.txt").write_text("secret: not a scenario\n")
    commands = [["validate", "bad.yaml"], ["run", "bad.yaml", "--out", "results"]]
    for command in commands:
        result, written = invoke(command, tmp_path)
        assert_clean_error(result, written, [where, field])
        assert "secret" not in result.stderr
    assert not (tmp_path / "PWNED").exists()
    assert not Path("/tmp/evil").exists() and not (tmp_path.parent.parent / "x").exists()


def test_error_does_not_echo_a_non_scenario_file(tmp_path):
    (tmp_path / "secret.txt").write_text("password: [hunter2\n")
    result, written = invoke(["validate", "secret.txt"], tmp_path)
    assert_clean_error(result, written, ["secret.txt:", "YAML syntax error"])
    assert "hunter2" not in result.stderr


def test_extends_is_looked_up_beside_the_extending_file_not_in_the_cwd(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "parent.yaml").write_text("name: right\nbudget: 11\n")
    (tmp_path / "parent.yaml").write_text("name: wrong\nbudget: 22\n")
    (tmp_path / "sub" / "child.yaml").write_text("extends: parent.yaml\nname: child\n")
    from sim import scenario

    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        assert scenario.load("sub/child.yaml").params.budget == 11
        (tmp_path / "sub" / "parent.yaml").unlink()
        with pytest.raises(scenario.ScenarioError, match="extends: no scenario 'parent.yaml'"):
            scenario.load("sub/child.yaml")
    finally:
        os.chdir(old)


# --- experiment files ---------------------------------------------------------------------

EXP_HEAD = "name: exp\nscenarios: [tiny]\nreplications: 2\n"
OUTCOMES = "outcomes:\n  - {name: o, indicator: citizen_online_share}\n"
TINY_SCENARIO = (
    "name: tiny\nstart_year: 2020\nend_year: 2021\n"
    "world: {kind: synthetic, n_regions: 2, synthetic_population: 2000, scale: 100}\n"
    "policies: []\nevents: []\n"
)


def _grid(n_params: int, n_values: int) -> str:
    names = [
        "online_peers",
        "online_trust",
        "online_quality",
        "online_literacy",
        "online_habit",
        "participation_trust",
        "participation_literacy",
        "business_quality",
        "business_readiness",
        "business_peers",
    ][:n_params]
    values = ", ".join(f"{1 + i / 100:g}" for i in range(n_values))
    rows = "".join(f"    coefficients.{n}: [{values}]\n" for n in names)
    return f"design:\n  kind: grid\n  parameters:\n{rows}"


EXPERIMENTS: dict[str, tuple[str, str, str]] = {
    "exp_name_parent": ("name: ../../x\nscenarios: [tiny]\n" + OUTCOMES, "exp.yaml:1", "name"),
    "exp_name_slash": ("name: a/b\nscenarios: [tiny]\n" + OUTCOMES, "exp.yaml:1", "name"),
    "exp_name_newline": ('name: "a\\nb"\nscenarios: [tiny]\n' + OUTCOMES, "exp.yaml:1", "name"),
    "exp_seed_huge": (EXP_HEAD + "seed: 1e30\n" + OUTCOMES, "exp.yaml:4", "seed"),
    "exp_seed_above_32bit": (EXP_HEAD + "seed: 4294967296\n" + OUTCOMES, "exp.yaml:4", "seed"),
    "exp_seed_negative": (EXP_HEAD + "seed: -3\n" + OUTCOMES, "exp.yaml:4", "seed"),
    "exp_replications_zero": (
        "name: exp\nscenarios: [tiny]\nreplications: 0\n" + OUTCOMES,
        "exp.yaml:3",
        "replications",
    ),
    "exp_duplicate_key": (EXP_HEAD + "seed: 1\nseed: 2\n" + OUTCOMES, "exp.yaml:5", "seed: duplicate key"),
    "exp_alias_bomb": (ALIAS_BOMB + "\n", "exp.yaml:", "expands to more than"),
    "exp_deep": ("name: exp\nset: " + "[" * 3000 + "]" * 3000 + "\n", "exp.yaml:2", "nested more than"),
    "exp_grid_huge": (
        EXP_HEAD + OUTCOMES + _grid(10, 10),
        "exp.yaml:",
        "design: 10,000,000,000 design points",
    ),
    "exp_grid_many_runs": (
        "name: exp\nscenarios: [tiny]\nreplications: 1000\n" + OUTCOMES + _grid(2, 10),
        "exp.yaml:",
        "100,000 runs",
    ),
    "exp_sobol_millions": (
        EXP_HEAD + OUTCOMES + "design:\n  kind: sobol_sa\n  samples: 524288\n  parameters:\n"
        "    coefficients.online_peers: {low: 1, high: 2}\n",
        "exp.yaml:",
        "design points (sobol_sa)",
    ),
    "exp_lhs_too_many": (
        EXP_HEAD + OUTCOMES + "design:\n  kind: lhs\n  samples: 200000\n  parameters:\n"
        "    coefficients.online_peers: {low: 1, high: 2}\n",
        "exp.yaml:",
        "200,000 design points",
    ),
    "exp_replications_many": (
        "name: exp\nscenarios: [tiny]\nreplications: 50000\n" + OUTCOMES,
        "exp.yaml:3",
        "replications: 50,000 runs",
    ),
    "exp_threshold_five": (
        EXP_HEAD
        + "outcomes:\n  - {name: t, kind: time_to_threshold, indicator: citizen_online_share, threshold: 5}\n",
        "exp.yaml:5",
        "outcomes.0.threshold",
    ),
    "exp_threshold_nan": (
        EXP_HEAD + "outcomes:\n  - {name: t, kind: time_to_threshold, threshold: .nan}\n",
        "exp.yaml:5",
        "outcomes.0.threshold",
    ),
    "exp_unknown_indicator": (
        EXP_HEAD + "outcomes:\n  - {name: t, indicator: citizen_onlin_share}\n",
        "exp.yaml:5",
        "outcomes.0.indicator",
    ),
    "exp_outcome_year": (
        EXP_HEAD + "outcomes:\n  - {name: t, year: 2090}\n",
        "exp.yaml:5",
        "outcomes.0.year",
    ),
    "exp_scale_nan": (EXP_HEAD + "scale: .nan\n" + OUTCOMES, "exp.yaml:4", "scale"),
    "exp_scale_too_small": (
        "name: exp\nscenarios: [kazakhstan_baseline]\nscale: 1\n" + OUTCOMES,
        "exp.yaml:3",
        "scale: scenario 'kazakhstan_baseline'",
    ),
    "exp_set_unknown": (
        EXP_HEAD + "set: {coefficients.nope: 1}\n" + OUTCOMES,
        "exp.yaml:4",
        "set.coefficients.nope",
    ),
    "exp_set_nan": (EXP_HEAD + "set: {budget: .nan}\n" + OUTCOMES, "exp.yaml:4", "set.budget"),
    "exp_grid_nan": (
        EXP_HEAD + OUTCOMES + "design:\n  kind: grid\n  parameters:\n    budget: [10, .nan]\n",
        "exp.yaml:9",
        "design.parameters.budget",
    ),
    "exp_bounds_reversed": (
        EXP_HEAD
        + OUTCOMES
        + "design:\n  kind: lhs\n  samples: 4\n  parameters:\n    budget: {low: 50, high: 10}\n",
        "exp.yaml:10",
        "design.parameters.budget.high",
    ),
    "exp_bounds_inf": (
        EXP_HEAD
        + OUTCOMES
        + "design:\n  kind: lhs\n  samples: 4\n  parameters:\n    budget: {low: 1, high: .inf}\n",
        "exp.yaml:10",
        "design.parameters.budget",
    ),
    "exp_scenario_etc_passwd": (
        "name: exp\nscenarios: [/etc/passwd]\n" + OUTCOMES,
        "exp.yaml:2",
        "scenarios.0",
    ),
    "exp_scenario_bad_name": ("name: exp\nscenarios: [evilname]\n" + OUTCOMES, "evilname.yaml:1", "name"),
    "exp_scenario_nan": ("name: exp\nscenarios: [nanscen]\n" + OUTCOMES, "nanscen.yaml:2", "budget"),
    "exp_list_key": ("name: exp\n[a]: 1\n", "exp.yaml:2", "a key must be a plain name"),
    "exp_top_list": ("- a\n", "exp.yaml:1", "(top level)"),
}


@pytest.mark.parametrize("case", sorted(EXPERIMENTS))
def test_bad_experiment_file(case, tmp_path):
    content, where, field = EXPERIMENTS[case]
    _write(tmp_path, "tiny.yaml", TINY_SCENARIO)
    _write(tmp_path, "evilname.yaml", "name: ../../../escaped\n")
    _write(tmp_path, "nanscen.yaml", "name: nanscen\nbudget: .nan\n")
    _write(tmp_path, "exp.yaml", content)
    result, written = invoke(["sweep", "exp.yaml", "--out", "results", "--executor", "serial"], tmp_path)
    assert_clean_error(result, written, [where, field])
    assert not (tmp_path.parent / "escaped").exists()


# --- command lines --------------------------------------------------------------------

GOOD = TINY_SCENARIO.replace("name: tiny", "name: good")

COMMAND_LINES: dict[str, tuple[list, list]] = {
    "seed_negative": (["run", "good.yaml", "--seed", "-1", "--out", "r"], ["--seed"]),
    "seed_above_32bit": (["run", "good.yaml", "--seed", "4294967296", "--out", "r"], ["--seed"]),
    "seed_1e30": (["run", "good.yaml", "--seed", "1e30", "--out", "r"], ["--seed"]),
    "seed_text": (["run", "good.yaml", "--seed", "abc", "--out", "r"], ["--seed"]),
    "scale_nan": (["run", "good.yaml", "--scale", "nan", "--out", "r"], ["good.yaml", "world.scale"]),
    "scale_inf": (["run", "good.yaml", "--scale", "inf", "--out", "r"], ["good.yaml", "world.scale"]),
    "scale_negative": (["run", "good.yaml", "--scale", "-5", "--out", "r"], ["good.yaml", "world.scale"]),
    "scale_one_kazakhstan": (
        ["run", "kazakhstan_baseline", "--scale", "1", "--out", "r"],
        ["kazakhstan_baseline.yaml", "world.scale", "19,", "GiB", "--allow-large"],
    ),
    "end_year_far": (["run", "good.yaml", "--end-year", "3000", "--out", "r"], ["good.yaml", "end_year"]),
    "end_year_before_start": (
        ["run", "good.yaml", "--end-year", "2001", "--out", "r"],
        ["good.yaml", "end_year"],
    ),
    "engine_unknown": (["run", "good.yaml", "--engine", "turbo", "--out", "r"], ["--engine"]),
    "no_such_scenario": (["run", "nope.yaml", "--out", "r"], ["nope.yaml", "no such scenario"]),
    "scenario_is_folder": (["run", "afolder", "--out", "r"], ["afolder"]),
    "out_is_file": (["run", "good.yaml", "--out", "afile"], ["afile", "--out", "is a file"]),
    "out_under_file": (["run", "good.yaml", "--out", "afile/sub"], ["afile/sub", "--out"]),
    "report_out_file": (["report", "afolder", "--out", "afile"], ["afile", "--out"]),
    "report_no_folder": (["report", "missing"], ["missing", "no such folder"]),
    "compare_out_file": (["compare", "afolder", "--out", "afile"], ["afile", "--out"]),
    "summarize_not_results": (["summarize", "afolder"], ["afolder", "not an experiment results folder"]),
    "sweep_no_such": (["sweep", "nope.yaml", "--out", "r"], ["nope.yaml", "no such experiment"]),
    "sweep_workers_zero": (["sweep", "smoke", "--workers", "0", "--out", "r"], ["--workers"]),
    "sweep_scheduler_without_dask": (
        ["sweep", "smoke", "--scheduler", "tcp://x:1", "--out", "r"],
        ["--scheduler"],
    ),
    "validate_dev_zero": (["validate", "/dev/zero"], ["/dev/zero", "no such scenario file"]),
    "validate_folder": (["validate", "afolder"], ["afolder"]),
}


@pytest.mark.parametrize("case", sorted(COMMAND_LINES))
def test_bad_command_line(case, tmp_path):
    args, fragments = COMMAND_LINES[case]
    _write(tmp_path, "good.yaml", GOOD)
    (tmp_path / "afile").write_text("in the way\n")
    (tmp_path / "afolder").mkdir()
    result, written = invoke(args, tmp_path)
    if "Usage:" in result.stderr:  # a bad option value, rejected by the parser
        assert result.exit_code == 2 and not written and "Traceback" not in result.stderr
        for fragment in fragments:
            assert fragment in result.stderr, (fragment, result.stderr)
        return
    assert_clean_error(result, written, fragments)


# --- manifests --------------------------------------------------------------------------


def _manifest(**changes) -> str:
    base = {
        "kind": "egov-run",
        "scenario": sim.Params(name="m", end_year=2006).model_dump(mode="json"),
        "seed": 1,
        "engine": "vectorized",
    }
    for key, value in changes.items():
        if value is KeyError:
            base.pop(key)
        else:
            base[key] = value
    return json.dumps(base)


def _scenario_with(**changes) -> dict:
    data = sim.Params(name="m", end_year=2006).model_dump(mode="json")
    data.update(changes)
    return data


MANIFESTS: dict[str, tuple[str, list]] = {
    "not_json": ("{not json", ["manifest.json:1", "not valid JSON"]),
    "truncated": (_manifest()[:200], ["manifest.json:", "not valid JSON"]),
    "empty": ("", ["manifest.json:", "not valid JSON"]),
    "json_list": ("[1, 2, 3]", ["manifest.json:1", "(top level)", "not an egov run manifest"]),
    "json_string": ('"manifest"', ["manifest.json:1", "not an egov run manifest"]),
    "wrong_kind": (_manifest(kind="egov-experiment"), ["manifest.json:1", "not an egov run manifest"]),
    "no_scenario": (_manifest(scenario=KeyError), ["manifest.json:1", "scenario:"]),
    "scenario_list": (_manifest(scenario=[1]), ["manifest.json:1", "scenario:"]),
    "no_seed": (_manifest(seed=KeyError), ["manifest.json:1", "seed:"]),
    "seed_1e30": (_manifest(seed=10**30), ["manifest.json:1", "seed:"]),
    "seed_float": (_manifest(seed=1.5), ["manifest.json:1", "seed:"]),
    "seed_text": (_manifest(seed="1"), ["manifest.json:1", "seed:"]),
    "seed_negative": (_manifest(seed=-1), ["manifest.json:1", "seed:"]),
    "seed_bool": (_manifest(seed=True), ["manifest.json:1", "seed:"]),
    "engine_bogus": (_manifest(engine="warp"), ["manifest.json:1", "engine:"]),
    "name_escape": (
        _manifest(scenario=_scenario_with(name="../../../x")),
        ["manifest.json:1", "scenario.name"],
    ),
    "name_absolute": (
        _manifest(scenario=_scenario_with(name="/tmp/evil")),
        ["manifest.json:1", "scenario.name"],
    ),
    "budget_nan": (
        _manifest(scenario=_scenario_with(budget=float("nan"))),
        ["manifest.json:1", "scenario.budget"],
    ),
    "unknown_field": (_manifest(scenario=_scenario_with(extra=1)), ["manifest.json:1", "scenario.extra"]),
    "deep_json": ('{"scenario": ' + "[" * 100000 + "]" * 100000 + "}", ["manifest.json:", "manifest"]),
    "too_big": (" " * (MAX_FILE_BYTES + 10) + "{}", ["manifest.json:1", "the limit is"]),
}


def test_a_bad_field_of_a_written_manifest_is_named_with_its_line(tmp_path):
    """Manifests are written one key per line: the error points at the field's line."""
    record = json.loads(_manifest())
    record["scenario"]["coefficients"]["online_peers"] = -5
    text = json.dumps(record, indent=2)
    (tmp_path / "manifest.json").write_text(text)
    line = next(i for i, t in enumerate(text.splitlines(), 1) if '"online_peers"' in t)
    result, written = invoke(["run", "manifest.json", "--out", "results"], tmp_path)
    assert_clean_error(result, written, [f"manifest.json:{line}", "coefficients.online_peers"])


@pytest.mark.parametrize("case", sorted(MANIFESTS))
def test_bad_manifest(case, tmp_path):
    text, fragments = MANIFESTS[case]
    (tmp_path / "manifest.json").write_text(text)
    result, written = invoke(["run", "manifest.json", "--out", "results"], tmp_path)
    assert_clean_error(result, written, fragments)
    assert not Path("/tmp/evil").exists()


# --- Python API ------------------------------------------------------------------------


def _assign(path: str, value):
    def change():
        params = sim.Params()
        *parents, last = path.split(".")
        node = params
        for part in parents:
            node = node[int(part)] if part.isdigit() else getattr(node, part)
        setattr(node, last, value)
        return params

    return change


API_CALLS = {
    "share_sum_nested": (_assign("policies.0.budget_share", 1.0), "budget shares sum to"),
    "unknown_region_nested": (
        _assign("policies.0.target.regions", ["Atlantis"]),
        "unknown region 'Atlantis'",
    ),
    "nan_nested": (_assign("coefficients.online_peers", float("nan")), "finite number"),
    "tuple_nested": (_assign("coefficients.online_age", (0, float("inf"), 0, 0)), "finite number"),
    "threshold_order_nested": (_assign("thresholds.openness_levels", (0.6, 0.3, 0.1)), "must increase"),
    "name_nested": (_assign("name", "../../x"), "not a safe folder name"),
    "seed_float": (lambda: sim.EGovModel(seed=1.5), "seed must be a non-negative integer"),
    "seed_huge": (lambda: sim.EGovModel(seed=10**30), "seed must be a non-negative integer"),
    "seed_negative": (lambda: sim.EGovModel(seed=-1), "seed must be a non-negative integer"),
    "seed_and_rng": (lambda: sim.EGovModel(seed=3, rng=4), "either seed or rng"),
    "unknown_override": (lambda: sim.EGovModel(online_peer=2.0), "did you mean"),
    "override_nan": (lambda: sim.EGovModel(budget=float("nan")), "finite number"),
    "agents_above_limit": (lambda: sim.EGovModel(scale=1), "--allow-large"),
    "evaluate_seed_float": (
        lambda: sim.evaluate({}, seed=2.5, end_year=2006, scale=4000),
        "seed must be a non-negative integer",
    ),
    "evaluate_unknown_indicator": (
        lambda: sim.evaluate({}, seed=1, scale=4000, outcomes=[{"name": "x", "indicator": "nope"}]),
        "unknown indicator 'nope'",
    ),
    "evaluate_unknown_path": (lambda: sim.evaluate({"coefficients.nope": 1}), "coefficients.nope"),
}


@pytest.mark.parametrize("case", sorted(API_CALLS))
def test_bad_python_call(case):
    call, fragment = API_CALLS[case]
    t0 = time.perf_counter()
    with pytest.raises((ValueError, TypeError, KeyError)) as info:
        call()
    assert fragment in str(info.value), str(info.value)
    assert time.perf_counter() - t0 < 10, "refused before any run"


def test_a_failed_nested_assignment_is_undone():
    params = sim.Params()
    before = params.policies[0].budget_share
    with pytest.raises(ValueError):
        params.policies[0].budget_share = 1.0
    assert params.policies[0].budget_share == before
    sim.Params.model_validate(params.model_dump())


def test_list_changed_in_place_is_refused_before_the_run():
    params = sim.Params(end_year=2006)
    params.policies.append(sim.PolicySpec(lever="broadband", budget_share=0.9))
    with pytest.raises(ValueError, match="budget shares sum"):
        sim.EGovModel(params)


# --- real processes under a memory limit ------------------------------------------------

LIMIT = 1536 * 2**20  # 1.5 GiB of address space


def _limited():
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT))


SUBPROCESS_CASES = {
    "alias_bomb": (["validate", "bad.yaml"], ALIAS_BOMB),
    "merge_key_bomb": (["validate", "bad.yaml"], MERGE_BOMB),
    "deep_brackets": (["validate", "bad.yaml"], "name: x\nworld: " + "[" * 5000 + "]" * 5000 + "\n"),
    "big_file": (["validate", "bad.yaml"], None),
    "name_escape": (["run", "bad.yaml", "--out", "results"], "name: ../../x\n"),
    "scale_one": (["run", "kazakhstan_baseline", "--scale", "1", "--out", "results"], None),
    "population_1e8": (
        ["run", "bad.yaml", "--out", "results"],
        "name: big\nworld: {kind: synthetic, synthetic_population: 100000000, scale: 1}\n",
    ),
    "grid_1e10": (["sweep", "bad.yaml", "--out", "results"], EXP_HEAD + OUTCOMES + _grid(10, 10)),
}


@pytest.mark.parametrize("case", sorted(SUBPROCESS_CASES))
def test_resource_cases_in_a_real_process_under_a_memory_limit(case, tmp_path):
    args, content = SUBPROCESS_CASES[case]
    if case == "big_file":
        with open(tmp_path / "bad.yaml", "w") as f:  # 50 MB of valid YAML
            line = "- [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]\n"
            f.write("name: big\nitems:\n" + line * (50 * 2**20 // len(line)))
    elif content is not None:
        _write(tmp_path, "bad.yaml", content)
    _write(tmp_path, "tiny.yaml", TINY_SCENARIO)
    before = snapshot(tmp_path)
    t0 = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": str(Path(sim.__file__).parents[1])}
    env.pop("EGOV_ALLOW_LARGE", None)
    proc = subprocess.run(
        [*EGOV, *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_limited,
        env=env,
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and "MemoryError" not in proc.stderr
    lines = [x for x in proc.stderr.splitlines() if x.startswith("error:")]
    assert len(lines) == 1, proc.stderr
    assert time.perf_counter() - t0 < 60
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(
    "args,option",
    [
        (["run", "kazakhstan_baseline", "--seed", "1e30"], "--seed"),
        (["run", "kazakhstan_baseline", "--seed", "99999999999"], "--seed"),
        (["run", "kazakhstan_baseline", "--bogus", "x"], "--bogus"),
        (["sweep", "smoke", "--workers", "0"], "--workers"),
    ],
)
def test_bad_options_get_one_line_from_the_real_command(args, option, tmp_path):
    """From the command line (not the in-process runner), a bad option or value is one line
    naming the option and where to look, exit status 2; nothing written."""
    result = subprocess.run(
        [sys.executable, "-m", "sim", *args], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and option in lines[0], result.stderr
    assert "--help" in lines[0] and "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []
