"""Scenario files: shipped ones validate and run, `extends` works, and every kind of bad
input gets one clear message (file, line, field), exit status 2 and nothing written."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

import sim
from sim.experiments import scenario as scenarios

EGOV = [sys.executable, "-m", "sim"]
SHIPPED = sorted(scenarios.SHIPPED.glob("*.yaml"))


def egov(*args, cwd=None, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*EGOV, *map(str, args)], capture_output=True, text=True, timeout=600, cwd=cwd, env=env
    )


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


def test_baseline_file_is_the_default_parameter_set():
    baseline = scenarios.load("kazakhstan_baseline").params
    default = sim.Params()
    assert baseline.model_dump(exclude={"description"}) == default.model_dump(exclude={"description"})


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_scenario_validates_and_runs_two_years(path):
    spec = scenarios.load(path)
    assert spec.params.description
    assert path.read_text().startswith("#"), "each scenario opens with a comment saying its question"
    start = 2024 if spec.params.name != "kazakhstan_baseline" else 2005
    params = spec.params.model_copy(update={"start_year": start, "end_year": start + 1})
    params.world.scale = 8000
    model = sim.EGovModel(sim.Params.model_validate(params.model_dump()), seed=1)
    model.run()
    assert len(model.national_frame()) == 24


def test_policy_variants_spend_the_same_budget_from_2025():
    shares = {}
    for path in SHIPPED:
        params = scenarios.load(path).params
        shares[path.stem] = [
            round(sum(p.budget_share for p in params.policies if p.active(y)), 9) for y in range(2025, 2031)
        ]
    assert len(set(map(tuple, shares.values()))) == 1, shares


def test_extends_inherits_and_overrides(tmp_path):
    write(
        tmp_path,
        "parent.yaml",
        """
        name: parent
        start_year: 2010
        end_year: 2015
        budget: 30
        world: {kind: synthetic, n_regions: 3, scale: 200}
        coefficients: {online_quality: 4.0, online_trust: 1.0}
        policies:
          - {lever: broadband, start: 2010, end: 2015, budget_share: 0.5}
          - {lever: mandate, start: 2012, end: 2015, intensity: 0.4}
        events: []
    """,
    )
    write(
        tmp_path,
        "replace.yaml",
        """
        extends: parent
        name: replace
        coefficients: {online_trust: 2.0}
        world: {scale: 100}
        policies:
          - {lever: open_data, start: 2011, end: 2012, budget_share: 0.2}
    """,
    )
    write(
        tmp_path,
        "append.yaml",
        """
        extends: parent.yaml
        name: append
        policies:
          mode: append
          from_year: 2013
          items:
            - {lever: data_literacy, start: 2013, end: 2015, budget_share: 0.5}
    """,
    )
    replaced = scenarios.load(tmp_path / "replace.yaml").params
    assert replaced.budget == 30 and replaced.start_year == 2010
    assert replaced.coefficients.online_quality == 4.0  # inherited
    assert replaced.coefficients.online_trust == 2.0  # overridden
    assert replaced.world.kind == "synthetic" and replaced.world.scale == 100
    assert [p.lever for p in replaced.policies] == ["open_data"]
    appended = scenarios.load(tmp_path / "append.yaml").params
    got = [(p.lever, p.start, p.end) for p in appended.policies]
    # the inherited budget lever stops the year before; the mandate is kept
    assert got == [("broadband", 2010, 2012), ("mandate", 2012, 2015), ("data_literacy", 2013, 2015)]


GOOD = """
    name: ok
    start_year: 2010
    end_year: 2012
    world: {kind: synthetic, n_regions: 3, scale: 500}
    policies:
      - {lever: broadband, start: 2010, end: 2012, budget_share: 0.5}
    events: []
"""

BAD_CASES = {
    "unknown_key": (
        """
        name: bad
        start_year: 2010
        coefficients:
          online_qualty: 3
    """,
        ["bad.yaml:4", "coefficients.online_qualty", "did you mean 'online_quality'"],
    ),
    "unknown_top_key": (
        """
        name: bad
        budgett: 3
    """,
        ["bad.yaml:2", "budgett", "did you mean 'budget'"],
    ),
    "wrong_type": (
        """
        name: bad
        budget: lots
    """,
        ["bad.yaml:2", "budget", "valid number"],
    ),
    "out_of_range": (
        """
        name: bad
        policies:
          - lever: broadband
            budget_share: 1.5
    """,
        ["bad.yaml:4", "policies.0.budget_share", "less than or equal to 1"],
    ),
    "end_before_start": (
        """
        name: bad
        start_year: 2020
        end_year: 2010
    """,
        ["bad.yaml:3", "end_year", "before start_year"],
    ),
    "unknown_lever": (
        """
        name: bad
        policies:
          - {lever: broadbnd, budget_share: 0.2}
    """,
        ["bad.yaml:3", "policies.0.lever", "did you mean 'broadband'"],
    ),
    "unknown_region": (
        """
        name: bad
        policies:
          - lever: broadband
            budget_share: 0.2
            target: {regions: [Almati]}
    """,
        ["bad.yaml:5", "policies.0.target.regions", "did you mean 'Almaty'"],
    ),
    "shares_above_one": (
        """
        name: bad
        start_year: 2010
        end_year: 2012
        policies:
          - {lever: broadband, start: 2010, end: 2012, budget_share: 0.6}
          - {lever: open_data, start: 2011, end: 2011, budget_share: 0.6}
    """,
        ["bad.yaml:4", "policies", "sum to 1.20 in 2011"],
    ),
    "missing_extends": (
        """
        extends: no_such_parent
        name: bad
    """,
        ["bad.yaml:1", "extends", "no scenario 'no_such_parent'"],
    ),
    "syntax_error": (
        """
        name: bad
        policies: [
          {lever: broadband
    """,
        ["bad.yaml:", "YAML syntax error"],
    ),
    "empty": ("", ["bad.yaml:1", "empty"]),
    "not_a_mapping": (
        """
        - lever: broadband
    """,
        ["bad.yaml:1", "mapping", "not a list"],
    ),
    "not_text": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", ["bad.yaml", "not a text file"]),
    "python_tag": (
        """
        name: !!python/object/apply:os.system ["touch PWNED"]
    """,
        ["bad.yaml:1", "tag not allowed"],
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_input_gets_one_clear_message(case, tmp_path):
    text, expected = BAD_CASES[case]
    bad = write(tmp_path, "bad.yaml", text)
    out = tmp_path / "results"
    for command in (["run", bad, "--out", out], ["validate", bad]):
        result = egov(*command, cwd=tmp_path)
        assert result.returncode == 2, result.stderr
        for fragment in expected:
            assert fragment in result.stderr, (fragment, result.stderr)
        assert "Traceback" not in result.stderr
        assert not out.exists(), "nothing is written on bad input"
    assert not (tmp_path / "PWNED").exists(), "nothing in a file is ever executed"


def test_extends_cycle_is_reported(tmp_path):
    write(tmp_path, "a.yaml", "extends: b\nname: a\n")
    write(tmp_path, "b.yaml", "extends: a\nname: b\n")
    result = egov("validate", tmp_path / "a.yaml")
    assert result.returncode == 2
    assert "extends cycle: a.yaml -> b.yaml -> a.yaml" in result.stderr


def test_debug_shows_the_traceback(tmp_path):
    bad = write(tmp_path, "bad.yaml", "name: bad\nbudget: lots\n")
    result = egov("run", bad, "--debug", "--out", tmp_path / "r")
    assert result.returncode != 0 and "Traceback" in result.stderr


def test_bad_command_line_option_exits_2(tmp_path):
    good = write(tmp_path, "good.yaml", GOOD)
    result = egov("run", good, "--end-year", "2001", "--out", tmp_path / "r")
    assert result.returncode == 2 and "end_year" in result.stderr
    assert not (tmp_path / "r").exists()
    assert egov("run", good, "--engine", "turbo").returncode == 2


def test_validate_accepts_good_files(tmp_path):
    good = write(tmp_path, "good.yaml", GOOD)
    result = egov("validate", good, *SHIPPED)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("ok:") == 1 + len(SHIPPED)


def test_schema_is_committed_and_current():
    committed = (scenarios.SHIPPED / "scenario.schema.json").read_text()
    result = egov("schema")
    assert result.returncode == 0
    assert result.stdout.strip() == committed.strip(), "run: egov schema > scenarios/scenario.schema.json"
    assert "budget_share" in committed and "additionalProperties" in committed


def test_scenarios_lists_shipped_with_descriptions():
    result = egov("scenarios")
    assert result.returncode == 0
    for path in SHIPPED:
        assert path.stem in result.stdout


def test_help_on_every_subcommand():
    for command in ("run", "validate", "scenarios", "schema"):
        result = egov(command, "--help")
        assert result.returncode == 0 and "Usage" in result.stdout


def run_folder(tmp_path, *args) -> Path:
    result = egov("run", *args, "--out", tmp_path / "results", "--quiet")
    assert result.returncode == 0, result.stderr
    return Path(result.stdout.strip().splitlines()[-1])


def test_run_writes_results_and_manifest_reruns_it_exactly(tmp_path):
    good = write(tmp_path, "good.yaml", GOOD)
    first = run_folder(tmp_path, good, "--seed", "4", "--engine", "agent", "--scale", "800")
    assert first.parent == tmp_path / "results" / "ok"
    for name in ("national.parquet", "regions.parquet", "profile.parquet", "summary.png", "manifest.json"):
        assert (first / name).stat().st_size > 0, name
    import json

    manifest = json.loads((first / "manifest.json").read_text())
    assert manifest["seed"] == 4 and manifest["engine"] == "agent"
    assert manifest["scenario"]["world"]["scale"] == 800
    assert manifest["agents"]["Citizen"] > 0 and manifest["wall_seconds"] > 0
    assert manifest["version"] == sim.__version__
    second = run_folder(tmp_path, first / "manifest.json")
    assert second != first
    for name in ("national", "regions", "profile"):
        a = pd.read_parquet(first / f"{name}.parquet")
        b = pd.read_parquet(second / f"{name}.parquet")
        pd.testing.assert_frame_equal(a, b, check_exact=True)
    profile = pd.read_parquet(first / "profile.parquet")
    assert {"egov_stage", "B2G_ahead", "openness_level", "ahead_of_stage"} <= set(profile.columns)
    assert set(profile["year"]) == {2010, 2011, 2012}


def test_killed_run_leaves_no_file_under_its_final_name(tmp_path):
    good = write(tmp_path, "good.yaml", GOOD)
    env = {**os.environ, "EGOV_WRITE_DELAY": "30"}
    proc = subprocess.Popen(
        [*EGOV, "run", str(good), "--out", str(tmp_path / "results"), "-q"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    import time

    deadline = time.monotonic() + 120
    temp = []
    while time.monotonic() < deadline and not temp:
        temp = list((tmp_path / "results").rglob(".national.parquet.*.tmp"))
        time.sleep(0.05)
    assert temp, "the run never began writing"
    proc.kill()
    proc.wait()
    folders = list((tmp_path / "results" / "ok").iterdir())
    assert len(folders) == 1
    assert not (folders[0] / "national.parquet").exists()
    assert not (folders[0] / "manifest.json").exists()
