"""Every code block of README.md and docs/experiments.md runs as written, in order, in a
fresh working directory (a copy of the shipped scenarios and experiments, nothing else).

`egov ...` lines run in-process through typer's CliRunner; python blocks run with exec()
in one namespace per document, so a later block sees an earlier block's imports, as a
reader's session would. To keep the suite fast the workload is reduced, never the
commands: experiments are cut to their first replication and worlds to at least 20,000
people per agent (by wrapping sim.experiment.load), and the two `make demo` runs get
`--scale 4000`. Blocks that need a cluster (Dask, SLURM), an optional package that is not
installed, or minutes of work (Morris screening, the SALib loop; run them with
EGOV_SLOW_DOCS=1) are skipped with the reason. docs/performance.md holds benchmark
commands, covered by tests/test_benchmarks_smoke.py.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import multiprocessing
import os
import re
import shlex
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
SLOW = os.environ.get("EGOV_SLOW_DOCS", "") not in ("", "0")
BLOCK = re.compile(r"```(\w+)\n(.*?)```", re.S)


def blocks(doc: str) -> list[tuple[str, str]]:
    text = (ROOT / doc).read_text()
    return [(m.group(1), m.group(2)) for m in BLOCK.finditer(text) if m.group(1) in ("sh", "python")]


def reduce_workload(monkeypatch) -> None:
    import sim.experiments.experiment
    import sim.experiments.sweeps
    from sim.experiments.experiment import apply_changes

    original = sim.experiments.experiment.load

    def load(path, allow_large=False):
        exp = original(path, allow_large)
        scenarios = {
            name: apply_changes(p, {"world.scale": max(p.world.scale, 20_000.0)})
            for name, p in exp.scenarios.items()
        }
        return dataclasses.replace(exp, seeds=exp.seeds[:1], scenarios=scenarios)

    monkeypatch.setattr(sim.experiments.experiment, "load", load)
    monkeypatch.setattr(sim.experiments.sweeps, "load_experiment", load)


def run_shell_line(line: str, skipped: list[str]) -> None:
    from sim.cli import app

    command = line.split("#", 1)[0].strip()
    if not command:
        return
    if command == "make demo":  # what the Makefile runs, at a reduced scale
        for scenario in ("kazakhstan_baseline", "interoperability_first"):
            run_shell_line(f"egov run {scenario} --scale 4000 --quiet", skipped)
        return
    if command == "make app" or command.startswith("egov app"):
        skipped.append(f"{command}: starts a server; tests/test_app_browser.py drives it")
        return
    if command == "make test":
        skipped.append(f"{command}: this is the test suite")
        return
    if command.startswith("dask ") or "--scheduler" in command:
        skipped.append(f"{command}: needs a Dask cluster")
        return
    if "sensitivity_morris" in command and not SLOW:
        skipped.append(f"{command}: minutes of work (EGOV_SLOW_DOCS=1 runs it)")
        return
    if "--policy-map" in command and not SLOW:
        skipped.append(
            f"{command}: a minute of reruns (EGOV_SLOW_DOCS=1 runs it; tests/test_report.py covers it)"
        )
        return
    if "<run-id>" in command:
        runs = sorted(Path("results/kazakhstan_baseline").iterdir())
        command = command.replace("<run-id>", runs[-1].name)
    args = shlex.split(command)
    assert args[0] == "egov", f"unexpected shell command in the docs: {command}"
    result = CliRunner().invoke(app, args[1:])
    assert result.exit_code == 0, f"{command}\n{result.stdout}\n{result.stderr}\n{result.exception!r}"


def run_python_block(code: str, namespace: dict, skipped: list[str]) -> None:
    for module in re.findall(r"^\s*from (\w+)[\w.]* import|^\s*import (\w+)", code, re.M):
        name = module[0] or module[1]
        if importlib.util.find_spec(name) is None:
            skipped.append(f"python block importing {name}: not installed")
            return
    if "SALib" in code and "saltelli.sample" in code and not SLOW:
        skipped.append("SALib loop over 256 runs: minutes of work (EGOV_SLOW_DOCS=1 runs it)")
        return
    if "<run-id>" in code:
        runs = sorted(Path("results/kazakhstan_baseline").iterdir())
        code = code.replace("<run-id>", runs[-1].name)
    exec(compile(code, "<docs>", "exec"), namespace)


@pytest.mark.parametrize("doc", ["README.md", "docs/experiments.md"])
def test_doc_code_blocks_run_in_order(doc, tmp_path, monkeypatch):
    for folder in ("scenarios", "experiments"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    monkeypatch.chdir(tmp_path)
    reduce_workload(monkeypatch)
    namespace: dict = {"__name__": "docs_example"}
    skipped: list[str] = []
    method = multiprocessing.get_start_method(allow_none=True)
    try:
        for kind, code in blocks(doc):
            if kind == "sh":
                for line in code.splitlines():
                    run_shell_line(line, skipped)
            else:
                run_python_block(code, namespace, skipped)
    finally:
        multiprocessing.set_start_method(method, force=True)  # mesa.batch_run forces "spawn"
    print(f"{doc}: skipped: {skipped}")
