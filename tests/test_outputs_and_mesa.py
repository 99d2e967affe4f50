"""Where results go, and what happens when they cannot go there; sweeps in which every
run fails; sweeps from scripts without a main guard; and the Mesa conventions
(DataCollector, seed=None, rng=, mesa.batch_run, SolaraViz plot components)."""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import mesa
import numpy as np
import pytest

import sim
from sim.model.egov_model import EGovModel, national_indicators

ROOT = Path(__file__).resolve().parents[1]
EGOV = [sys.executable, "-m", "sim"]
TINY = (
    "name: tiny\nstart_year: 2020\nend_year: 2021\n"
    "world: {kind: synthetic, n_regions: 2, synthetic_population: 20000, scale: 20}\n"
    "policies: []\nevents: []\n"
)


def egov(*args, cwd=None, env=None, timeout=300):
    env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run(
        [*EGOV, *map(str, args)], capture_output=True, text=True, cwd=cwd, env=env, timeout=timeout
    )


def one_error(proc, *fragments):
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, proc.stderr
    for f in fragments:
        assert f in lines[0], (f, lines[0])


@pytest.fixture
def tiny(tmp_path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    return path


@pytest.fixture
def mount_point(tmp_path):
    """A folder to mount a small tmpfs on; skipped where mounting is not permitted."""
    mounted = []

    def mount(options: str) -> Path:
        point = tmp_path / f"mnt{len(mounted)}"
        point.mkdir()
        proc = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)], capture_output=True
        )
        if proc.returncode != 0:
            pytest.skip(
                f"cannot mount a tmpfs here ({proc.stderr.decode().strip()}); tests run as root, "
                "so chmod cannot make a read-only folder"
            )
        mounted.append(point)
        return point

    yield mount
    for point in mounted:
        subprocess.run(["umount", "-l", str(point)], capture_output=True)


# --- output folders --------------------------------------------------------------------


def test_out_on_a_read_only_filesystem_is_refused_before_the_run(tiny, mount_point):
    ro = mount_point("ro,size=1m")
    proc = egov("run", tiny, "--out", ro / "results")
    one_error(proc, str(ro / "results"), "--out", "Read-only file system")
    assert "tiny, seed" not in proc.stdout, "the model did not run"


def test_disk_full_while_writing_leaves_nothing_that_looks_like_a_result(tiny, mount_point):
    small = mount_point("size=48k")
    proc = egov("run", tiny, "--out", small)
    one_error(proc, "--out", "No space left on device", "nothing kept")
    left = [p for p in small.rglob("*") if p.is_file()]
    assert left == [], left


def test_a_file_in_the_way_of_out(tiny, tmp_path):
    (tmp_path / "results").write_text("a file")
    one_error(egov("run", tiny, "--out", tmp_path / "results"), "--out", "is a file")
    one_error(egov("run", tiny, "--out", tmp_path / "results" / "sub"), "--out")
    one_error(egov("sweep", "smoke", "--out", tmp_path / "results"), "--out")


def test_a_symlink_in_the_output_root_cannot_lead_results_elsewhere(tiny, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    root = tmp_path / "results"
    root.mkdir()
    (root / "tiny").symlink_to(outside)
    one_error(egov("run", tiny, "--out", root), "outside the results folder")
    assert list(outside.iterdir()) == []


def test_paths_inside_refuses_escapes(tmp_path):
    from sim.model.paths import UnsafePath, inside

    assert inside(tmp_path, "a", "b") == tmp_path / "a" / "b"
    for parts in (("..",), ("../x",), ("/etc",), ("a/b",), ("",), ("a\nb",), (".hidden",)):
        with pytest.raises(UnsafePath):
            inside(tmp_path, *parts)


def test_a_tampered_manifest_cannot_write_outside_out(tmp_path):
    manifest = {
        "kind": "egov-run",
        "scenario": {**sim.Params(end_year=2006).model_dump(mode="json"), "name": "../../escaped"},
        "seed": 1,
        "engine": "vectorized",
    }
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    one_error(egov("run", tmp_path / "manifest.json", "--out", tmp_path / "r"), "scenario.name")
    assert not (tmp_path.parent / "escaped").exists() and not (tmp_path / "r").exists()


def test_report_out_pointing_at_a_file(tmp_path):
    (tmp_path / "f").write_text("x")
    (tmp_path / "runs").mkdir()
    one_error(egov("report", tmp_path / "runs", "--out", tmp_path / "f"), "--out")
    one_error(egov("compare", tmp_path / "runs", "--out", tmp_path / "f"), "--out")


# --- sweeps ------------------------------------------------------------------------------

EXPERIMENT = """
name: {name}
scenarios: [{scenario}]
replications: 3
outcomes:
  - {{name: online, indicator: citizen_online_share}}
"""


def _experiment(tmp_path, name="tinyexp", scenario="tiny"):
    (tmp_path / "tiny.yaml").write_text(TINY)
    path = tmp_path / f"{name}.yaml"
    path.write_text(EXPERIMENT.format(name=name, scenario=scenario))
    return path


def test_a_sweep_in_which_every_run_fails_exits_nonzero_and_raises_in_python(tmp_path):
    exp = _experiment(tmp_path)
    proc = egov("sweep", exp, "--out", tmp_path / "cli", "--executor", "serial", env={"EGOV_FAIL_RUNS": "*"})
    assert proc.returncode == 1, proc.stderr
    assert "3 runs failed" in proc.stderr
    from sim.experiments.sweeps import SweepFailed

    os.environ["EGOV_FAIL_RUNS"] = "*"
    try:
        with pytest.raises(SweepFailed, match="all 3 runs of 'tinyexp' failed"):
            sim.sweep(exp, tmp_path / "py", executor="serial")
    finally:
        del os.environ["EGOV_FAIL_RUNS"]


def test_a_sweep_whose_scenario_has_an_unsafe_name_is_refused(tmp_path):
    exp = _experiment(tmp_path, scenario="evil")
    (tmp_path / "evil.yaml").write_text("name: ../../../outside\n")
    proc = egov("sweep", exp, "--out", tmp_path / "r")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "tinyexp.yaml:3: scenarios.0: scenario 'evil' is invalid" in proc.stderr
    assert "evil.yaml:1: name: name '../../../outside' is not a safe folder name" in proc.stderr
    assert not (tmp_path / "r").exists()


def test_a_tampered_experiment_record_is_a_clean_error(tmp_path):
    folder = tmp_path / "r" / "x"
    folder.mkdir(parents=True)
    for text in ("[1, 2]", '{"name": "x"}', '{"spec": 5, "scenarios": {}}', "{trunc"):
        (folder / "experiment.json").write_text(text)
        one_error(egov("summarize", folder), "experiment.json")
        proc = egov("report", folder)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr


def test_a_script_without_a_main_guard_sweeps_with_worker_processes(tmp_path):
    exp = _experiment(tmp_path)
    script = tmp_path / "my_sweep.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import sim

            result = sim.sweep({str(exp)!r}, out={str(tmp_path / "results")!r}, executor="process", workers=2)
            print("done", int((result.runs["status"] == "done").sum()))
            """
        )
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    assert "done 3" in proc.stdout


# --- Mesa conventions ----------------------------------------------------------------------

SMALL = dict(
    kind="synthetic", n_regions=3, synthetic_population=30_000, scale=30, start_year=2020, end_year=2021
)


def test_datacollector_records_the_national_indicators_every_step():
    model = EGovModel(seed=2, **SMALL)
    model.run()
    frame = model.datacollector.get_model_vars_dataframe()
    national = model.national_frame()
    assert list(frame.columns) == list(national_indicators())
    assert len(frame) == len(national) == 24
    np.testing.assert_allclose(frame["citizen_online_share"], national["citizen_online_share"])
    assert EGovModel(seed=2, collect=False, **SMALL).datacollector is None


def test_seed_none_draws_a_seed_and_records_it_so_the_run_repeats():
    a = EGovModel(seed=None, **SMALL)
    assert isinstance(a.seed, int) and 0 <= a.seed < 2**32
    b = EGovModel(seed=a.seed, **SMALL)
    a.run(), b.run()
    assert a.national_frame().equals(b.national_frame())


def test_rng_is_accepted_as_in_mesa():
    assert EGovModel(rng=7, **SMALL).seed == 7
    g1, g2 = np.random.default_rng(3), np.random.default_rng(3)
    assert EGovModel(rng=g1, **SMALL).seed == EGovModel(rng=g2, **SMALL).seed


def test_keyword_overrides_by_name_and_dotted_path():
    model = EGovModel(seed=1, **SMALL, online_peers=2.5, **{"coefficients.online_trust": 1.0}, budget=50)
    k = model.params.coefficients
    assert (k.online_peers, k.online_trust, model.params.budget) == (2.5, 1.0, 50)
    assert model.params.world.kind == "synthetic"


def test_mesa_batch_run():
    method = multiprocessing.get_start_method(allow_none=True)
    try:
        results = mesa.batch_run(
            EGovModel,
            parameters={**SMALL, "scale": [30, 60], "budget": 40},
            iterations=2,
            max_steps=6,
            number_processes=1,
            display_progress=False,
        )
    finally:
        multiprocessing.set_start_method(method, force=True)  # batch_run forces "spawn"
    assert len(results) == 4
    for row in results:
        assert row["Step"] == 6 and 0 <= row["citizen_online_share"] <= 1
    assert {row["scale"] for row in results} == {30, 60}


def test_solara_plot_component_accepts_the_model():
    pytest.importorskip("solara", reason="SolaraViz needs solara (pip install 'mesa[viz]')")
    import ipywidgets
    import solara
    from mesa.visualization import make_plot_component

    model = EGovModel(seed=1, **SMALL)
    model.step()
    model.step()
    component, page = make_plot_component("citizen_online_share")  # Mesa 3.5: (component, page)
    assert page == 0
    # rendered for real: the plot reads the model's DataCollector
    box, context = solara.render(component(model), handle_error=False)
    assert isinstance(box, ipywidgets.Widget)
    assert context.find(ipywidgets.Widget).widgets


def test_a_truncated_run_file_is_a_failed_run_not_a_traceback(tmp_path):
    exp = _experiment(tmp_path)
    assert egov("sweep", exp, "--out", tmp_path / "r", "--executor", "serial", "-q").returncode == 0
    folder = tmp_path / "r" / "tinyexp"
    damaged = sorted((folder / "runs").glob("*.parquet"))[0]
    damaged.write_bytes(damaged.read_bytes()[:300])
    proc = egov("summarize", folder)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr
    assert "1 failed" in proc.stdout
    proc = egov("report", folder)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    resumed = egov("sweep", exp, "--out", tmp_path / "r", "--executor", "serial", "--resume", "-q")
    assert resumed.returncode == 0, resumed.stderr
    assert damaged.stat().st_size > 300, "resume reran the damaged run"


LOADING = "error: interrupted while loading; nothing written"
RUNNING = "error: interrupted; the unfinished run folder was removed"


@pytest.mark.parametrize(
    "moment",
    [("start", 0.3), ("start", 1.0), ("folder", 0.0), ("folder", 0.15), ("folder", 0.5)],
    ids=["imports", "warm-up", "build", "first-steps", "run"],
)
def test_ctrl_c_during_a_run_leaves_no_result_and_one_line(tmp_path, moment):
    """SIGINT at any moment of `egov run` (while Python loads the commands, while the
    compiled kernels load, while the world is built, while it runs): exit 130, one line,
    and nothing that looks like a result. Before the kernels were warmed up with Ctrl-C
    held, an interrupt inside numba's loader crashed the process (exit -11) or was lost
    (exit 0 with a result written)."""
    import signal
    import time

    since, delay = moment
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim", "run", "kazakhstan_baseline", "--scale", "100", "--out", "out", "-q"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # as from a terminal: a shell running the suite in the background (`make test &`)
        # starts it with SIGINT ignored, which the child would inherit
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 60
    while since == "folder" and not list((tmp_path / "out").glob("kazakhstan_baseline/*")):
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.01)  # the run folder is made (and probed) before the model is built
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    # a moment timed from the start may fall on either side of the run folder
    allowed = [RUNNING] if since == "folder" else [LOADING, RUNNING]
    assert err.strip().splitlines() in [[line] for line in allowed], err
    assert not [p for p in (tmp_path / "out").rglob("*") if p.is_file()]
    assert not list((tmp_path / "out").glob("kazakhstan_baseline/*"))


INTERRUPT_INSIDE = {
    # while the commands load: the import of sim.cli.commands is interrupted
    "imports": """
import builtins
real_import = builtins.__import__
def interrupting(name, *args, **kwargs):
    if name == "sim.cli.commands":
        exec("raise KeyboardInterrupt", {})
    return real_import(name, *args, **kwargs)
builtins.__import__ = interrupting
""",
    # while the compiled kernels load, inside a command
    "warm-up": """
from sim.model import kernels
kernels.warm_up = lambda: exec("raise KeyboardInterrupt", {})
""",
}


@pytest.mark.parametrize("moment", sorted(INTERRUPT_INSIDE))
def test_ctrl_c_landing_in_code_run_from_a_string_still_exits_130(tmp_path, moment):
    """The rare failure of the test above (exit -2 after the one line): under `python -m`,
    CPython 3.12 kills the process with SIGINT at exit when a KeyboardInterrupt once ended
    code run from a string (dataclasses build methods that way while modules load), even
    though the command handled it. Here the interrupt lands there every time."""
    package = tmp_path / "interrupted"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "__main__.py").write_text(
        "import sys\n" + INTERRUPT_INSIDE[moment] + "import sim.cli\nsim.cli.main()\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    args = ["run", "kazakhstan_baseline", "--scale", "100", "--out", "out", "-q"]
    proc = subprocess.run(
        [sys.executable, "-m", "interrupted", *args], cwd=tmp_path, capture_output=True, text=True, env=env
    )
    assert proc.returncode == 130, proc.stderr
    assert proc.stderr.strip().splitlines() == [LOADING]
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").rglob("*"))


def test_mesa_batch_run_with_seeds_is_reproducible():
    """Mesa 3.5's own seeding (`rng=[...]`): the same seeds give the same rows."""

    def rows():
        method = multiprocessing.get_start_method(allow_none=True)
        try:
            return mesa.batch_run(
                EGovModel,
                parameters={**SMALL, "budget": 40},
                rng=[1, 2],
                max_steps=4,
                number_processes=1,
                display_progress=False,
            )
        finally:
            multiprocessing.set_start_method(method, force=True)

    first, second = rows(), rows()
    assert len(first) == 2
    assert [r["citizen_online_share"] for r in first] == [r["citizen_online_share"] for r in second]
