"""Experiments and sweeps: experiment files are validated like scenarios; seeds are derived
from one root seed and recorded; results do not depend on the executor; a sweep killed
part-way resumes to exactly the uninterrupted dataset; failed runs are recorded while the
others complete; common random numbers narrow the paired intervals; sensitivity designs
give Sobol' and Morris indices of the right shape."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.experiments import experiment as experiments
from sim.experiments.sweeps import open_results, read_dataset
from sim.experiments.sweeps import sweep as run_sweep

EGOV = [sys.executable, "-m", "sim"]
SMOKE = experiments.SHIPPED / "smoke.yaml"
VARYING = ("wall_seconds", "worker")  # differ between two executions of the same run


def egov(*args, cwd=None, env=None, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*EGOV, *map(str, args)], capture_output=True, text=True, timeout=timeout, cwd=cwd, env=env
    )


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


def stable(index: pd.DataFrame) -> pd.DataFrame:
    return index.drop(columns=list(VARYING)).reset_index(drop=True)


def assert_same_results(a: Path, b: Path) -> None:
    pd.testing.assert_frame_equal(read_dataset(a), read_dataset(b), check_exact=True)
    ia, ib = pd.read_parquet(a / "runs.parquet"), pd.read_parquet(b / "runs.parquet")
    pd.testing.assert_frame_equal(stable(ia), stable(ib), check_exact=True)


@pytest.fixture(scope="module")
def smoke_serial(tmp_path_factory) -> Path:
    """The smoke experiment swept once, serially: the reference dataset."""
    out = tmp_path_factory.mktemp("serial")
    result = run_sweep(SMOKE, out, executor="serial")
    assert result.ok
    return result.folder


# --- experiment files -----------------------------------------------------------------

GOOD = """
    name: tiny
    scenarios: [kazakhstan_baseline, interoperability_first]
    replications: 2
    scale: 20000
    start_year: 2020
    end_year: 2022
    outcomes:
      - {name: online, indicator: citizen_online_share}
"""

BAD_CASES = {
    "unknown_top_key": (
        """
        name: bad
        scenarios: [kazakhstan_baseline]
        replication: 4
        outcomes: [{name: online}]
        """,
        ["bad.yaml:3", "replication", "did you mean 'replications'"],
    ),
    "unknown_scenario": (
        """
        name: bad
        scenarios:
          - kazakhstan_baseline
          - interop_first
        outcomes: [{name: online}]
        """,
        ["bad.yaml:4", "scenarios.1", "did you mean 'interoperability_first'"],
    ),
    "reference_not_listed": (
        """
        name: bad
        scenarios: [kazakhstan_baseline]
        reference: data_literacy
        outcomes: [{name: online}]
        """,
        ["bad.yaml:3", "reference", "not one of the scenarios"],
    ),
    "unknown_indicator": (
        """
        name: bad
        scenarios: [kazakhstan_baseline]
        outcomes:
          - name: online
            indicator: citizen_online_shar
        """,
        ["bad.yaml:5", "outcomes.0.indicator", "did you mean 'citizen_online_share'"],
    ),
    "disparity_of_a_share": (
        """
        name: bad
        scenarios: [kazakhstan_baseline]
        outcomes:
          - {name: gap, kind: disparity, indicator: online_gin}
        """,
        ["bad.yaml:4", "outcomes.0.indicator", "unknown disparity index", "did you mean 'online_gini'"],
    ),
    "year_outside_run": (
        """
        name: bad
        scenarios: [kazakhstan_baseline]
        end_year: 2020
        outcomes:
          - {name: online, year: 2030}
        """,
        ["bad.yaml:5", "outcomes.0.year", "outside the simulated years 2005-2020"],
    ),
    "threshold_missing": (
        """
        name: bad
        scenarios: [kazakhstan_baseline]
        outcomes:
          - {name: when, kind: time_to_threshold}
        """,
        ["bad.yaml:4", "outcomes.0", "needs a threshold"],
    ),
    "no_outcomes": (
        """
        name: bad
        scenarios: [kazakhstan_baseline]
        """,
        ["bad.yaml:1", "outcomes: missing", "name: online_2030"],
    ),
    "design_kind_typo": (
        """
        name: bad
        scenarios: [kazakhstan_baseline]
        design:
          kind: morris
        outcomes: [{name: online}]
        """,
        ["bad.yaml:4", "design.kind", "did you mean 'morris_sa'"],
    ),
    "unknown_parameter": (
        """
        name: bad
        scenarios: [kazakhstan_baseline]
        design:
          kind: grid
          parameters:
            coefficients.online_peer: [1.0, 2.0]
        outcomes: [{name: online}]
        """,
        [
            "bad.yaml:6",
            "design.parameters.coefficients.online_peer",
            "did you mean 'coefficients.online_peers'",
        ],
    ),
    "bound_out_of_range": (
        """
        name: bad
        scenarios: [kazakhstan_baseline]
        design:
          kind: lhs
          samples: 8
          parameters:
            coefficients.online_peers: {low: 1.0, high: 25.0}
        outcomes: [{name: online}]
        """,
        ["bad.yaml:7", "coefficients.online_peers", "value 25", "less than or equal to 20"],
    ),
    "bounds_reversed": (
        """
        name: bad
        scenarios: [kazakhstan_baseline]
        design:
          kind: morris_sa
          samples: 4
          parameters:
            budget:
              low: 50
              high: 30
        outcomes: [{name: online}]
        """,
        ["bad.yaml:9", "design.parameters.budget.high", "must be above low"],
    ),
    "grid_needs_a_list": (
        """
        name: bad
        scenarios: [kazakhstan_baseline]
        design:
          kind: grid
          parameters:
            budget: {low: 30, high: 50}
        outcomes: [{name: online}]
        """,
        ["bad.yaml:6", "design.parameters.budget", "non-empty list"],
    ),
    "sobol_not_power_of_two": (
        """
        name: bad
        scenarios: [kazakhstan_baseline]
        design:
          kind: sobol_sa
          samples: 100
          parameters:
            budget: {low: 30, high: 50}
        outcomes: [{name: online}]
        """,
        ["bad.yaml:5", "design.samples", "power of 2", "try 64 or 128"],
    ),
    "set_unknown_path": (
        """
        name: bad
        scenarios: [kazakhstan_baseline]
        set:
          coefficents.online_peers: 2.0
        outcomes: [{name: online}]
        """,
        ["bad.yaml:4", "set.coefficents.online_peers", "did you mean 'coefficients.online_peers'"],
    ),
    "scale_out_of_range": (
        """
        name: bad
        scenarios: [kazakhstan_baseline]
        scale: 0
        outcomes: [{name: online}]
        """,
        ["bad.yaml:3", "scale", "greater than or equal to 1"],
    ),
    "syntax_error": (
        """
        name: bad
        scenarios: [kazakhstan_baseline
        """,
        ["bad.yaml:", "YAML syntax error"],
    ),
    "empty": ("", ["bad.yaml:1", "empty"]),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_experiment_gets_one_clear_message(case, tmp_path):
    text, expected = BAD_CASES[case]
    bad = write(tmp_path, "bad.yaml", text)
    with pytest.raises(experiments.ExperimentError) as caught:
        experiments.load(bad)
    message = "\n".join(caught.value.problems)
    for fragment in expected:
        assert fragment in message, (fragment, message)


def test_bad_experiment_on_the_command_line_exits_2_and_writes_nothing(tmp_path):
    bad = write(tmp_path, "bad.yaml", BAD_CASES["unknown_parameter"][0])
    out = tmp_path / "results"
    result = egov("sweep", bad, "--out", out)
    assert result.returncode == 2, result.stderr
    assert "bad.yaml:6: design.parameters.coefficients.online_peer" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists(), "nothing is written on bad input"
    debug = egov("sweep", bad, "--out", out, "--debug")
    assert debug.returncode != 0 and "Traceback" in debug.stderr
    assert egov("sweep", bad, "--executor", "turbo").returncode == 2
    assert not out.exists()


def test_shipped_experiments_validate():
    plans = {p.stem: experiments.load(p) for p in sorted(experiments.SHIPPED.glob("*.yaml"))}
    assert {"policy_comparison", "sensitivity_morris", "smoke"} <= set(plans)
    policy = plans["policy_comparison"]
    assert policy.reference == "kazakhstan_baseline" and len(policy.seeds) == 2
    assert policy.design.kind == "posterior" and len(policy.points) == 10  # calibration posterior draws
    assert len(policy.scenarios) == 7 and len(policy.runs) == 140
    morris = plans["sensitivity_morris"]
    d = len(morris.parameters)
    assert morris.design.kind == "morris_sa" and len(morris.points) == morris.design.samples * (d + 1)
    assert all(p.startswith("coefficients.") for p in morris.parameters)
    for path in experiments.SHIPPED.glob("*.yaml"):
        assert path.read_text().startswith("#"), "each experiment opens with a comment saying its question"


def test_grid_design_and_overrides(tmp_path):
    design = """
    set: {coefficients.online_trust: 1.0, world.ties_per_citizen: 6}
    design:
      kind: grid
      parameters:
        budget: [30, 50]
        coefficients.online_peers: [1.0, 2.0, 3.0]
    """
    path = write(tmp_path, "grid.yaml", GOOD + design)
    exp = experiments.load(path)
    assert len(exp.points) == 6 and len(exp.runs) == 6 * 2 * 2
    assert exp.points[0] == {"budget": 30.0, "coefficients.online_peers": 1.0}
    params = exp.params_for(exp.runs[-1])
    assert params.world.scale == 20000 and params.end_year == 2022
    assert params.coefficients.online_trust == 1.0 and params.world.ties_per_citizen == 6
    assert params.budget == 50 and params.coefficients.online_peers == 3.0
    # seeds: replication k has the same seed in every scenario and point
    by_rep = {}
    for run in exp.runs:
        by_rep.setdefault(run.replication, set()).add(run.seed)
    assert [by_rep[k] for k in sorted(by_rep)] == [{s} for s in exp.seeds]
    assert exp.seeds == [int(c.generate_state(1)[0]) for c in np.random.SeedSequence(exp.spec.seed).spawn(2)]


# --- sweeps ----------------------------------------------------------------------------


def test_seeds_are_recorded_and_the_experiment_reruns_identically(smoke_serial, tmp_path):
    record = json.loads((smoke_serial / "experiment.json").read_text())
    exp = experiments.load(SMOKE)
    assert record["seeds"] == exp.seeds == experiments.replication_seeds(exp.spec.seed, 4)
    assert record["content_hash"] == exp.content_hash
    assert {"sim", "numpy", "SALib"} <= set(record["versions"])
    index = pd.read_parquet(smoke_serial / "runs.parquet")
    assert len(index) == 12 and index["run_id"].is_unique and (index["status"] == "done").all()
    for rep, seed in enumerate(exp.seeds):
        assert set(index.loc[index["replication"] == rep, "seed"]) == {seed}
    again = run_sweep(SMOKE, tmp_path, executor="serial")
    assert_same_results(smoke_serial, again.folder)
    a = open_results(smoke_serial).summary()
    pd.testing.assert_frame_equal(a, again.summary(), check_exact=True)


def test_same_results_with_two_processes(smoke_serial, tmp_path):
    result = run_sweep(SMOKE, tmp_path, executor="process", workers=2)
    assert result.ok and "2 workers" in result.executor
    assert result.runs["worker"].nunique() == 2, "both workers took runs"
    assert_same_results(smoke_serial, result.folder)


def test_same_results_with_two_dask_workers(smoke_serial, tmp_path):
    pytest.importorskip("distributed")
    result = run_sweep(SMOKE, tmp_path, executor="dask", workers=2)
    assert result.ok and "dask" in result.executor
    assert_same_results(smoke_serial, result.folder)


def test_same_results_on_an_existing_dask_cluster(smoke_serial, tmp_path):
    """--scheduler ADDRESS: the sweep runs on a cluster it did not start (as on HPC)."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        result = run_sweep(SMOKE, tmp_path, executor="dask", scheduler=cluster.scheduler_address)
        assert result.ok and cluster.scheduler_address in result.executor
    assert_same_results(smoke_serial, result.folder)


def test_sweep_killed_part_way_resumes_to_the_same_dataset(smoke_serial, tmp_path):
    env = {**os.environ, "EGOV_WRITE_DELAY": "0.3"}  # testing aid: widen each write
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [*EGOV, "sweep", str(SMOKE), "--out", str(out), "--workers", "2", "--quiet"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    runs = out / "smoke" / "runs"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(runs.glob("*.parquet"))) < 3:
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    finished = list(runs.glob("*.parquet"))
    assert 3 <= len(finished) < 12, "killed part-way"
    refused = egov("sweep", SMOKE, "--out", out)
    assert refused.returncode == 2 and "add --resume" in refused.stderr

    resumed = egov("sweep", SMOKE, "--out", out, "--resume", "--workers", "2")
    assert resumed.returncode == 0, resumed.stderr
    assert f"{12 - len(finished)} of 12 runs to do" in resumed.stderr
    assert f"next:    egov report {out / 'smoke'}" in resumed.stdout
    assert not list((out / "smoke").rglob("*.tmp")), "temporary files are cleaned up"
    assert_same_results(smoke_serial, out / "smoke")
    data = read_dataset(out / "smoke")
    assert not data.duplicated(["run_id", "step"]).any()
    assert sorted(data["run_id"].unique()) == sorted(pd.read_parquet(smoke_serial / "runs.parquet")["run_id"])

    # nothing left to do: resuming again runs nothing
    again = egov("sweep", SMOKE, "--out", out, "--resume", "-q")
    assert again.returncode == 0 and "0 of 12" not in again.stdout
    # a changed experiment is refused, and nothing is written
    changed = write(tmp_path, "smoke.yaml", SMOKE.read_text().replace("replications: 4", "replications: 5"))
    before = sorted(p.name for p in runs.iterdir())
    refused = egov("sweep", changed, "--out", out, "--resume")
    assert refused.returncode == 2
    assert "different version of experiment 'smoke'" in refused.stderr and "replications" in refused.stderr
    assert sorted(p.name for p in runs.iterdir()) == before


def test_a_failing_run_is_recorded_and_the_others_complete(smoke_serial, tmp_path):
    exp = experiments.load(SMOKE)
    seed = exp.seeds[1]
    env = {**os.environ, "EGOV_FAIL_RUNS": f"data_literacy:{seed}"}  # testing aid: raise in that run
    result = egov("sweep", SMOKE, "--out", tmp_path, "--workers", "2", env=env)
    assert result.returncode == 1, result.stderr
    failed_id = experiments.run_id("data_literacy", 0, 1)
    assert "1 runs failed" in result.stderr and failed_id in result.stderr
    assert "Traceback" not in result.stderr
    folder = tmp_path / "smoke"
    index = pd.read_parquet(folder / "runs.parquet")
    assert (index["status"] == "done").sum() == 11
    row = index.set_index("run_id").loc[failed_id]
    assert row["status"] == "failed" and "fault injected" in row["error"]
    record = json.loads((folder / "failures" / f"{failed_id}.json").read_text())
    assert (
        "Traceback (most recent call last)" in record["traceback"] and "RuntimeError" in record["traceback"]
    )
    assert record["seed"] == seed and record["scenario"] == "data_literacy"
    assert record["params"] == {} and record["replication"] == 1
    # the summary leaves the incomplete pair out and says so
    summary = pd.read_csv(folder / "summary.csv")
    paired = summary[(summary["scenario"] == "data_literacy") & (summary["statistic"] == "paired")]
    assert (paired["n"] == 3).all()
    # resuming without the fault runs only the failed run
    resumed = egov("sweep", SMOKE, "--out", tmp_path, "--resume", "--executor", "serial")
    assert resumed.returncode == 0 and "1 of 12 runs to do" in resumed.stderr
    assert not (folder / "failures" / f"{failed_id}.json").exists()
    assert_same_results(smoke_serial, folder)


@pytest.mark.parametrize("executor", ["process", "dask"])
def test_a_lost_worker_does_not_lose_the_sweep(executor, smoke_serial, tmp_path, monkeypatch):
    """A worker process that dies mid-run (EGOV_KILL_WORKER_ONCE, a testing aid) is
    replaced and its runs are done again: by the process pool, and by Dask."""
    if executor == "dask":
        pytest.importorskip("distributed")
    marker = tmp_path / "killed"
    monkeypatch.setenv("EGOV_KILL_WORKER_ONCE", str(marker))
    result = run_sweep(SMOKE, tmp_path, executor=executor, workers=2)
    assert marker.exists(), "a worker was killed"
    assert result.ok, result.failures
    assert_same_results(smoke_serial, result.folder)


def test_paired_interval_is_narrower_than_unpaired(smoke_serial):
    table = open_results(smoke_serial).summary()
    diff = table[table["section"] == "difference"]
    assert set(diff["scenario"]) == {"interoperability_first", "data_literacy"}
    width = (diff["high"] - diff["low"]).to_numpy()
    paired = width[diff["statistic"].to_numpy() == "paired"]
    unpaired = width[diff["statistic"].to_numpy() == "unpaired"]
    assert len(paired) == len(unpaired) == 2 * 4
    # common random numbers narrow the interval; where a policy tips the data exchange in
    # some seeds and not in others the paired differences vary too, so not every outcome
    # (an outcome that is the same in every run, e.g. a threshold no run reaches, has no
    # interval to narrow: both widths are 0)
    varies = unpaired > 0
    assert varies.sum() >= 4, diff
    assert (paired[varies] < unpaired[varies]).mean() >= 0.75 and paired.mean() < unpaired.mean(), diff
    assert paired.sum() < 0.7 * unpaired.sum()
    # same point estimate, mean of the paired differences
    runs = open_results(smoke_serial).runs
    wide = runs.pivot_table(index="replication", columns="scenario", values="online_2027")
    expected = (wide["interoperability_first"] - wide["kazakhstan_baseline"]).mean()
    got = diff[(diff["scenario"] == "interoperability_first") & (diff["outcome"] == "online_2027")]
    assert np.allclose(got["value"], expected)
    dist = table[table["section"] == "distribution"]
    assert (
        len(dist) == 3 * 4 and (dist["low"] <= dist["value"]).all() and (dist["value"] <= dist["high"]).all()
    )


def test_summarize_command_prints_and_writes(smoke_serial):
    result = egov("summarize", smoke_serial)
    assert result.returncode == 0, result.stderr
    assert "paired CI" in result.stdout and "interoperability_first" in result.stdout
    for name in ("summary.csv", "summary.parquet"):
        assert (smoke_serial / name).stat().st_size > 0
    bad = egov("summarize", smoke_serial / "runs")
    assert bad.returncode == 2 and "not an experiment results folder" in bad.stderr


# --- sensitivity designs ---------------------------------------------------------------

TINY_WORLD = """
    name: tiny_world
    start_year: 2016
    end_year: 2018
    world: {kind: synthetic, n_regions: 4, synthetic_population: 100000, scale: 250}
    policies:
      - {lever: new_platforms, start: 2016, end: 2018, budget_share: 0.5}
      - {lever: data_literacy, start: 2016, end: 2018, budget_share: 0.3}
    events: []
"""

SENSITIVITY = """
    name: {name}
    scenarios: [tiny_world.yaml]
    replications: 1
    seed: 3
    design:
      kind: {kind}
      samples: {samples}
      {extra}
      parameters:
        coefficients.online_quality: {{low: 2.0, high: 5.0}}
        coefficients.online_peers: {{low: 0.5, high: 3.0}}
        budget: {{low: 20, high: 60}}
    outcomes:
      - {{name: online, indicator: citizen_online_share}}
      - {{name: gap, kind: disparity, indicator: online_gini, stat: mean}}
"""


def test_morris_and_sobol_summaries_have_the_right_shape(tmp_path):
    write(tmp_path, "tiny_world.yaml", TINY_WORLD)
    names = ["coefficients.online_quality", "coefficients.online_peers", "budget"]
    # Morris: r trajectories of D+1 points; mu_star (with CI), mu and sigma per parameter
    morris = write(
        tmp_path,
        "morris.yaml",
        SENSITIVITY.format(name="morris", kind="morris_sa", samples=4, extra="levels: 4"),
    )
    result = run_sweep(morris, tmp_path / "out", executor="serial")
    assert result.ok and len(result.runs) == 4 * (3 + 1)
    table = result.summary()
    rows = table[table["section"] == "morris"]
    assert set(rows["statistic"]) == {"mu_star", "mu", "sigma"}
    for outcome in ("online", "gap"):
        sel = rows[(rows["outcome"] == outcome) & (rows["statistic"] == "mu_star")]
        assert sorted(sel["parameter"]) == sorted(names)
        assert np.isfinite(sel["value"]).all() and (sel["low"] <= sel["value"]).all()
        assert (sel["n"] == 16).all()
    # Sobol': N(2D+2) points with second order; S1 and ST per parameter, S2 per pair
    sobol = write(
        tmp_path,
        "sobol.yaml",
        SENSITIVITY.format(name="sobol", kind="sobol_sa", samples=8, extra="second_order: true"),
    )
    result = run_sweep(sobol, tmp_path / "out", executor="serial")
    assert result.ok and len(result.runs) == 8 * (2 * 3 + 2)
    table = result.summary()
    rows = table[(table["section"] == "sobol") & (table["outcome"] == "online")]
    for stat in ("S1", "ST"):
        sel = rows[rows["statistic"] == stat]
        assert sorted(sel["parameter"]) == sorted(names) and np.isfinite(sel["value"]).all()
    pairs = rows[rows["statistic"] == "S2"]["parameter"]
    assert len(pairs) == 3 and all(" x " in p for p in pairs)
    assert list(table.columns) == [
        "section",
        "scenario",
        "point",
        "outcome",
        "parameter",
        "statistic",
        "value",
        "low",
        "high",
        "interval",
        "n",
    ]
    printed = egov("summarize", result.folder)
    assert printed.returncode == 0 and "sobol indices: online in tiny_world" in printed.stdout


# --- Python API --------------------------------------------------------------------------


def test_evaluate_is_a_plain_function_of_params_and_seed(smoke_serial):
    exp = experiments.load(SMOKE)
    outcomes = [o.model_dump() for o in exp.outcomes]
    kw = dict(scale=20000, start_year=2014, end_year=2027, outcomes=outcomes)
    got = sim.evaluate({}, exp.seeds[0], scenario="interoperability_first", **kw)
    runs = open_results(smoke_serial).runs.set_index("run_id")
    row = runs.loc[experiments.run_id("interoperability_first", 0, 0)]
    assert got == {o.name: row[o.name] for o in exp.outcomes}, "same run, same outcomes as the sweep"
    default = sim.evaluate({"coefficients.online_peers": 3.0}, 1, scale=20000, end_year=2012)
    assert set(default) == {"online_share", "eservice_share", "online_gini", "year_online_half"}
    assert all(isinstance(v, float) for v in default.values())
    with pytest.raises(KeyError, match="online_peers"):
        sim.evaluate({"coefficients.online_peer": 3.0}, 1, scale=20000, end_year=2006)


def test_sweep_api_returns_tidy_tables(smoke_serial, tmp_path):
    shutil.copytree(smoke_serial, tmp_path / "smoke")
    result = sim.sweep(SMOKE, tmp_path, resume=True, executor="serial")
    assert result.executed == 0 and result.ok
    assert list(result.runs.columns[:5]) == ["run_id", "scenario", "point", "replication", "seed"]
    long = result.outcomes
    assert len(long) == 12 * 4 and set(long["outcome"]) == {o.name for o in result.experiment.outcomes}
    national = result.national()
    assert len(national) == 12 * 14 * 12 and {"run_id", "seed", "citizen_online_share"} <= set(national)


def test_documented_experiment_files_validate(tmp_path):
    """The experiment files shown in README.md and docs/experiments.md are valid."""
    root = Path(__file__).resolve().parents[1]
    write(tmp_path, "my_variant.yaml", "extends: kazakhstan_baseline\nname: my_variant\n")
    for doc in ("README.md", "docs/experiments.md"):
        text = (root / doc).read_text()
        blocks = [b.split("```", 1)[0] for b in text.split("```yaml\n")[1:]]
        examples = [b for b in blocks if "outcomes:" in b and "scenarios:" in b]
        assert examples, doc
        for i, block in enumerate(examples):
            exp = experiments.load(write(tmp_path, f"example{i}.yaml", block))
            assert exp.runs, (doc, i)


def test_help_on_sweep_commands():
    for command in ("sweep", "summarize"):
        result = egov(command, "--help")
        assert result.returncode == 0 and "Usage" in result.stdout


def test_sweep_throughput_benchmark_runs(tmp_path):
    """`python -m benchmarks.sweep_throughput --quick` runs end to end (no timing asserted)."""
    out = tmp_path / "sweep.json"
    root = Path(sim.__file__).resolve().parent.parent
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.sweep_throughput", "--quick", "--out", str(out)],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(out.read_text())
    assert {"process/1", "process/2", "serial/1"} <= set(report["results"])
    for row in report["results"].values():
        assert row["runs_per_minute"] > 0 and row["samples"]
    assert set(report["parallel_efficiency_2_workers"]) >= {"process"}
