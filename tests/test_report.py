"""Figures and reports, drawn from small real results (a ~1,000-citizen Kazakhstan world,
real sweeps): what each figure contains, and that `egov report` writes a self-contained
HTML file with every figure inline and nothing to fetch from the network."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
import textwrap
from html.parser import HTMLParser
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import sim
from sim.analysis import plots, report
from sim.model.framework import MODELS

EGOV = [sys.executable, "-m", "sim"]
SCALE = 20000  # ~1,000 citizen agents for all of Kazakhstan


def egov(*args, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([*EGOV, *map(str, args)], capture_output=True, text=True, timeout=300, cwd=cwd)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def run_tables():
    """2005-2012: stages 1-4 are entered, and models run ahead of stage in places."""
    params = sim.Params(start_year=2005, end_year=2012, world=sim.WorldSpec(scale=SCALE))
    model = sim.EGovModel(params, seed=1).run()
    return model.national_frame(), model.region_frame(), model.profile_frame()


def write_experiment(folder: Path, name: str, body: str) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(f"name: {name}\nscale: {SCALE}\n" + textwrap.dedent(body).lstrip("\n"))
    return path


@pytest.fixture(scope="module")
def sweep_folder(tmp_path_factory) -> Path:
    """Two scenarios x 3 seeds, paired by seed."""
    from sim.experiments.sweeps import sweep

    root = tmp_path_factory.mktemp("sweep")
    experiment = write_experiment(
        root,
        "tiny",
        """
        scenarios: [kazakhstan_baseline, interoperability_first]
        reference: kazakhstan_baseline
        replications: 3
        seed: 11
        start_year: 2022
        end_year: 2027
        outcomes:
          - {name: online_2027, indicator: citizen_online_share, year: 2027}
          - {name: gini_2027, kind: disparity, indicator: online_gini, year: 2027}
          - {name: year_online_30, kind: time_to_threshold, indicator: citizen_online_share, threshold: 0.3}
        """,
    )
    result = sweep(experiment, root / "results", executor="serial")
    assert result.ok
    return result.folder


def sensitivity_folder(root: Path, kind: str, samples: int) -> Path:
    from sim.experiments.sweeps import sweep

    experiment = write_experiment(
        root,
        f"tiny_{kind}",
        f"""
        scenarios: [kazakhstan_baseline]
        replications: 1
        start_year: 2018
        end_year: 2020
        design:
          kind: {kind}
          samples: {samples}
          parameters:
            coefficients.online_peers: {{low: 0.5, high: 3.0}}
            coefficients.online_quality: {{low: 2.0, high: 5.0}}
        outcomes:
          - {{name: online_2020, indicator: citizen_online_share, year: 2020}}
          - {{name: egdi_2020, indicator: egdi, year: 2020}}
        """,
    )
    result = sweep(experiment, root / "results", executor="serial")
    assert result.ok
    return result.folder


@pytest.fixture(scope="module")
def morris_folder(tmp_path_factory) -> Path:
    return sensitivity_folder(tmp_path_factory.mktemp("morris"), "morris_sa", 3)


def sweep_national(folder: Path) -> pd.DataFrame:
    from sim.experiments.sweeps import read_dataset

    return read_dataset(folder)


def labelled_lines(ax) -> list:
    return [line for line in ax.get_lines() if not line.get_label().startswith("_")]


def bands(ax) -> list:
    return [c for c in ax.collections if c.get_gid() == "band"]


# --- figures ---------------------------------------------------------------------------


def test_adoption_figure_of_a_run(run_tables):
    national, _, _ = run_tables
    fig = plots.adoption_figure(national, "baseline")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "year" and "share" in ax.get_ylabel()
    assert len(labelled_lines(ax)) == len(plots.PALETTE)
    marked = [t.get_text() for t in ax.texts]
    assert any("Transformational" in t for t in marked), marked


def test_adoption_bands_of_a_sweep(sweep_folder):
    national = sweep_national(sweep_folder)
    fig = plots.adoption_bands_figure(national, reference="kazakhstan_baseline")
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert len(panels) == len(plots.CHANNELS)
    for ax, column in zip(panels, plots.CHANNELS, strict=True):
        assert ax.get_title() == plots.label(column)
        assert "(0-1)" in ax.get_ylabel()
        assert len(labelled_lines(ax)) == 2, "one median line per scenario"
        assert len(bands(ax)) == 2, "one 5-95% band per scenario"
    legend = [t.get_text() for t in panels[0].get_legend().get_texts()]
    assert legend[0].startswith("kazakhstan_baseline") and "5-95%" in legend[0]
    assert "3 seeds" in fig._suptitle.get_text()


def test_a_single_run_draws_no_band(run_tables):
    national, _, _ = run_tables
    fig = plots.adoption_bands_figure(national)
    assert not bands(fig.axes[0]) and len(labelled_lines(fig.axes[0])) == 1


def test_comparison_figure_from_paired_differences(sweep_folder):
    result = report.open_sweep(sweep_folder)
    diffs = report.differences_from_summary(report.sweep_summary(result), result.experiment)
    assert set(diffs["outcome"]) == {"online_2027", "gini_2027", "year_online_30"}
    assert (diffs["pairs"] == 3).all()
    fig = plots.comparison_figure(diffs, "kazakhstan_baseline")
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title().split("\n")[0] for ax in panels] == list(diffs["outcome"])
    assert panels[0].get_title() == "online_2027\npeople using e-services themselves, 2027"
    units = dict(zip(diffs["outcome"], diffs["unit"], strict=True))
    assert units["online_2027"] == "percentage points" and units["year_online_30"] == "years"
    for ax in panels:
        assert ax.get_xlabel().startswith("difference (")
        dots = [line for line in ax.get_lines() if line.get_marker() == "o"]
        assert len(dots) == 1, "one scenario against the reference"
    online = diffs.set_index("outcome").loc["online_2027"]
    assert online["low"] <= online["diff"] <= online["high"]
    assert [t.get_text() for t in panels[0].get_yticklabels()] == ["interoperability_first"]


def test_region_map_has_a_tile_per_region(run_tables):
    _, regions, _ = run_tables
    fig = plots.region_map_figure(regions, "citizen_online_share", 2010)
    ax = fig.axes[0]
    tiles = [p for p in ax.patches if (p.get_gid() or "").startswith("tile:")]
    assert len(tiles) == 20
    assert len({(p.get_x(), p.get_y()) for p in tiles}) == 20, "no two regions share a tile"
    texts = {t.get_text() for t in ax.texts}
    assert {"Astana", "Almaty", "Shymkent", "Ulytau"} <= texts
    assert "2010" in ax.get_title()
    assert "people using e-services themselves" in fig.axes[1].get_xlabel()  # colour bar


def test_tile_layout_keeps_geography():
    from sim.model.world_data import kazakhstan_regions

    cells = plots.tile_layout(kazakhstan_regions())
    assert (
        cells["West Kazakhstan"][0] < cells["Aktobe"][0] < cells["Karaganda"][0] < cells["East Kazakhstan"][0]
    )
    assert cells["North Kazakhstan"][1] < cells["Karaganda"][1] < cells["Shymkent"][1]
    assert cells["Almaty"] != cells["Almaty Region"]


def test_tile_assignment_matches_the_optimum_on_kazakhstan():
    from scipy.optimize import linear_sum_assignment

    from sim.model.world_data import kazakhstan_regions

    captured = {}
    real = plots.least_cost_assignment

    def spy(cost):
        captured["cost"] = cost
        return real(cost)

    plots.least_cost_assignment = spy
    try:
        plots.tile_layout(kazakhstan_regions())
    finally:
        plots.least_cost_assignment = real
    cost = captured["cost"]
    rows, cols = linear_sum_assignment(cost)
    ours = real(cost)
    assert cost[np.arange(len(ours)), ours].sum() == pytest.approx(cost[rows, cols].sum())


def test_region_heatmap_sorted_by_final_value(run_tables):
    _, regions, _ = run_tables
    fig = plots.region_heatmap_figure(regions, "citizen_online_share")
    ax = fig.axes[0]
    image = ax.get_images()[0].get_array()
    assert image.shape == (20, 8)  # regions x years 2005-2012
    final = image[:, -1]
    assert (np.diff(final) <= 1e-12).all(), "highest final value at the top"
    shown = [t.get_text() for t in ax.get_yticklabels()]
    december = regions[(regions["year"] == 2012) & (regions["month"] == 12)]
    assert shown[0] == december.loc[december["citizen_online_share"].idxmax(), "region"]
    assert ax.get_xlabel().startswith("year") and ax.get_ylabel().startswith("region")


def test_disparity_of_a_run_and_of_a_sweep(run_tables, sweep_folder):
    national, _, _ = run_tables
    fig = plots.disparity_figure(national)
    gini, theil = fig.axes[:2]
    assert "Gini" in gini.get_ylabel() and "Theil" in theil.get_ylabel()
    assert len(theil.collections) == 2, "within and between parts stacked"
    labels = [t.get_text() for t in theil.get_legend().get_texts()]
    assert any("within" in t for t in labels) and any("between" in t for t in labels)
    fig = plots.disparity_figure(sweep_national(sweep_folder), reference="kazakhstan_baseline")
    assert len(bands(fig.axes[0])) == 2 and len(bands(fig.axes[1])) == 2


def test_profile_of_a_run(run_tables):
    _, _, profile = run_tables
    fig = plots.profile_figure(profile, 2012)
    ax = fig.axes[0]
    rows = [t.get_text() for t in ax.get_yticklabels()]
    assert rows[0] == "National" and len(rows) == 21
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Stage", *MODELS, "Openness"]
    highlighted = [p for p in ax.patches if (p.get_gid() or "").startswith("ahead:")]
    at = profile[profile["year"] == 2012]
    assert len(highlighted) == int(at[[f"{m}_ahead" for m in MODELS]].to_numpy().sum())


def test_profile_highlights_the_model_ahead_of_stage():
    """A hand-built case: region B has C2G active at stage 2 (expected from stage 3)."""
    rows = []
    for region, stage, c2g in (("A", 4, 0.05), ("B", 2, 0.6), ("National", 3, 0.2)):
        row = {"year": 2020, "region": region, "egov_stage": stage, "openness": 0.4, "openness_level": 2}
        for m in MODELS:
            strength = c2g if m == "C2G" else 0.5
            row[f"{m}_strength"] = strength
            row[f"{m}_active"] = strength >= 0.1
            row[f"{m}_ahead"] = region == "B" and m == "C2G"
        row["ahead_of_stage"] = region == "B"
        rows.append(row)
    fig = plots.profile_figure(pd.DataFrame(rows))
    ax = fig.axes[0]
    highlighted = [p for p in ax.patches if (p.get_gid() or "").startswith("ahead:")]
    assert [p.get_gid() for p in highlighted] == ["ahead:B:C2G"]
    cell = highlighted[0]
    assert matplotlib_colour(cell.get_edgecolor()) == plots.HIGHLIGHT.lower()
    # in the C2G column and in B's row
    column = [t.get_text() for t in ax.get_xticklabels()].index("C2G")
    assert column < cell.get_x() < column + 1
    row_labels = [t.get_text() for t in ax.get_yticklabels()]
    assert row_labels == ["National", "A", "B"]
    y_of_b = ax.get_yticks()[row_labels.index("B")]
    assert cell.get_y() < y_of_b < cell.get_y() + cell.get_height()
    assert "1 of 3 places" in ax.get_title()


def matplotlib_colour(rgba) -> str:
    import matplotlib.colors

    return matplotlib.colors.to_hex(rgba)


def test_agencies_by_stage(run_tables, sweep_folder):
    national, _, _ = run_tables
    fig = plots.agency_stages_figure(national)
    ax = fig.axes[0]
    assert ax.get_ylabel() == "agencies (count)" and ax.get_xlabel() == "year"
    assert len(ax.collections) == 3, "stacked areas for stages 1-3"
    top = ax.collections[-1].get_paths()[0].vertices[:, 1].max()
    assert top == pytest.approx(
        national[["agencies_stage1", "agencies_stage2", "agencies_stage3"]].sum(axis=1).max()
    )
    fig = plots.agency_stages_figure(sweep_national(sweep_folder), reference="kazakhstan_baseline")
    assert [ax.get_title() for ax in fig.axes] == ["kazakhstan_baseline", "interoperability_first"]


def test_sensitivity_morris(morris_folder):
    result = report.open_sweep(morris_folder)
    indices = report.indices_from_summary(report.sweep_summary(result), "kazakhstan_baseline")
    assert set(indices.columns) >= {"outcome", "parameter", "mu_star", "mu_star_conf", "sigma"}
    fig = plots.sensitivity_figure(indices)
    assert len(fig.axes) == 2  # one panel per outcome
    for ax in fig.axes:
        assert ax.get_xlabel().startswith("mu*") and ax.get_ylabel().startswith("sigma")
        assert len(ax.containers) == 2, "one point with its interval per parameter"
        assert {t.get_text() for t in ax.get_legend().get_texts()} == {
            "coefficients.online_peers",
            "coefficients.online_quality",
        }
    assert "Morris" in fig._suptitle.get_text()


def test_sensitivity_sobol(tmp_path):
    folder = sensitivity_folder(tmp_path, "sobol_sa", 2)
    result = report.open_sweep(folder)
    indices = report.indices_from_summary(report.sweep_summary(result), "kazakhstan_baseline")
    assert set(indices.columns) >= {"S1", "S1_conf", "ST", "ST_conf"}
    fig = plots.sensitivity_figure(indices)
    ax = fig.axes[0]
    assert ax.get_xlabel().startswith("Sobol index")
    assert len(ax.patches) == 4, "S1 and ST bars for two parameters"
    assert "Sobol" in fig._suptitle.get_text()


# --- reports ---------------------------------------------------------------------------


class Resources(HTMLParser):
    """Every URL-bearing attribute, every <img>, and the inline CSS."""

    URL_ATTRS = {"src", "href", "srcset", "action", "data", "poster", "background", "formaction"}

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []
        self.images: list[str] = []
        self.tags: list[str] = []
        self.css = ""
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            if name in self.URL_ATTRS and value is not None:
                self.urls.append(value)
        if tag == "img":
            self.images.append(dict(attrs)["src"])
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.css += data


def check_self_contained(path: Path) -> Resources:
    text = path.read_text()
    parsed = Resources()
    parsed.feed(text)
    for url in parsed.urls:
        assert url.startswith(("data:", "#")), f"external resource {url[:80]}"
    assert not {"script", "link", "iframe", "object", "embed"} & set(parsed.tags)
    assert "url(" not in parsed.css and "@import" not in parsed.css and "@font-face" not in parsed.css
    assert "default-src 'none'" in text, "a Content-Security-Policy forbids any fetch"
    figures = sorted(path.parent.glob("fig_*.png"))
    assert figures and len(parsed.images) == len(figures), "every figure inline, each also as a PNG"
    inline = {base64.b64decode(src.split(",", 1)[1]) for src in parsed.images}
    assert all(src.startswith("data:image/png;base64,") for src in parsed.images)
    assert {f.read_bytes() for f in figures} == inline, "the PNGs beside the report are the inline figures"
    return parsed


def test_egov_run_then_report_on_the_run_folder(tmp_path):
    result = egov("run", "kazakhstan_baseline", "--scale", SCALE, "--end-year", 2012, "--out", tmp_path)
    assert result.returncode == 0, result.stderr
    folder = Path(result.stdout.split("results:")[1].split()[0])
    assert f"egov report {folder}" in result.stdout, "egov run says what to do next"
    result = egov("report", folder)
    assert result.returncode == 0, result.stderr
    path = folder / "report.html"
    assert f"report: {path}" in result.stdout
    check_self_contained(path)
    names = {p.stem for p in folder.glob("fig_*.png")}
    assert {
        "fig_adoption",
        "fig_regions_map",
        "fig_regions_heatmap",
        "fig_disparity",
        "fig_agencies",
        "fig_exchange",
    } <= names
    assert any(n.startswith("fig_profile_") for n in names)
    text = path.read_text()
    manifest = json.loads((folder / "manifest.json").read_text())
    for fragment in (
        manifest["scenario"]["description"][:40],  # the scenario description
        "Key numbers",
        "Transitions",
        "Transformational",
        "online 50%",
        "Provenance",
        manifest["version"],
        manifest["started"][:10],
        "seed 0",
    ):
        assert fragment in text, fragment


def test_report_on_a_sweep_folder(sweep_folder):
    result = egov("report", sweep_folder)
    assert result.returncode == 0, result.stderr
    path = sweep_folder / "report.html"
    check_self_contained(path)
    names = {p.stem for p in sweep_folder.glob("fig_*.png")}
    assert {"fig_adoption", "fig_comparison", "fig_disparity", "fig_agencies", "fig_regions_map"} <= names
    text = path.read_text()
    record = json.loads((sweep_folder / "experiment.json").read_text())
    for fragment in (
        "Comparison to the reference",
        "paired 95% CI",
        "interoperability_first",
        "Transitions",
        "Tipping diagnostics",
        "bimodality",
    ):
        assert fragment in text, fragment
    assert ", ".join(map(str, record["seeds"])) in text, "the seeds are recorded"


def test_report_on_a_sensitivity_sweep_has_the_indices(morris_folder):
    path = report.report(morris_folder)
    check_self_contained(path)
    assert (morris_folder / "fig_sensitivity.png").exists()
    assert "mu_star" in path.read_text()


def test_compare_puts_several_runs_in_one_report(tmp_path):
    folders = []
    for scenario in ("kazakhstan_baseline", "interoperability_first"):
        for seed in (0, 1):
            params = sim.experiments.scenario.load(scenario).params.model_copy(
                update={"start_year": 2024, "end_year": 2027}
            )
            params.world.scale = SCALE
            from datetime import UTC, datetime

            from sim.experiments.results import new_run_dir, write_run

            model = sim.EGovModel(sim.Params.model_validate(params.model_dump()), seed=seed).run()
            folder = new_run_dir(tmp_path / "results", params.name, seed, "vectorized")
            write_run(model, folder, datetime.now(UTC), 0.1)
            folders.append(folder)
    out = tmp_path / "cmp"
    result = egov("compare", *folders, "--out", out)
    assert result.returncode == 0, result.stderr
    parsed = check_self_contained(out / "report.html")
    assert len(parsed.images) >= 6
    text = (out / "report.html").read_text()
    assert "Difference to <b>kazakhstan_baseline</b>" in text and "paired 95% CI" in text
    assert (out / "fig_comparison.png").exists()


def test_report_on_a_folder_that_is_not_results(tmp_path):
    result = egov("report", tmp_path)
    assert result.returncode == 2
    assert "neither a run folder" in result.stderr and "Traceback" not in result.stderr
    result = egov("compare", tmp_path / "missing")
    assert result.returncode == 2 and "no finished run folder" in result.stderr


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def page_requests(html: Path, tmp: Path) -> list[str]:
    """http(s) requests the page itself made when loaded in headless Chromium (from the
    browser's network log; requests of the browser's own services are not the page's)."""
    log = tmp / f"{html.stem}.netlog.json"
    subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--proxy-server=http://127.0.0.1:9",  # nothing could be fetched anyway
            f"--log-net-log={log}",
            f"--user-data-dir={tmp / 'profile'}",
            f"--screenshot={tmp / (html.stem + '.png')}",
            "--window-size=1200,3000",
            html.resolve().as_uri(),
        ],
        capture_output=True,
        timeout=120,
    )
    events = json.loads(log.read_text())
    types = {v: k for k, v in events["constants"]["logEventTypes"].items()}
    return [
        e["params"]["url"]
        for e in events["events"]
        if types.get(e["type"]) == "URL_REQUEST_START_JOB"
        and e["params"].get("initiator") != "not an origin"
        and e["params"].get("url", "").startswith(("http:", "https:"))
    ]


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium here (the static check above still runs)")
def test_report_opens_in_a_browser_without_requests(sweep_folder, tmp_path):
    control = tmp_path / "control.html"
    control.write_text('<html><body><img src="https://example.com/x.png"></body></html>')
    assert page_requests(control, tmp_path) == ["https://example.com/x.png"], "the check sees requests"
    path = sweep_folder / "report.html"
    if not path.exists():
        report.report(sweep_folder)
    assert page_requests(path, tmp_path) == []
    assert (tmp_path / "report.png").stat().st_size > 10_000, "the page rendered"


def test_report_adds_the_drivers_and_the_policy_map_when_asked(tmp_path, monkeypatch):
    """`egov report --drivers --policy-map` reruns the model for the regional drivers and
    the interoperability-versus-platforms map (a 2 x 2 grid here, to keep the test short)."""
    from sim.analysis.report import dynamics

    monkeypatch.setattr(dynamics, "MAP_JOINED", (0.3, 1.0))
    monkeypatch.setattr(dynamics, "MAP_MATURITY", (1.5, 3.5))
    monkeypatch.setattr(dynamics, "MAP_SCALE", 20000.0)
    monkeypatch.setattr(dynamics, "DRIVERS_SCALE", 20000.0)
    result = egov("run", "kazakhstan_baseline", "--scale", SCALE, "--out", tmp_path)
    assert result.returncode == 0, result.stderr
    folder = Path(result.stdout.split("results:")[1].split()[0])
    path = report.run_report(folder, tmp_path / "rep", drivers=True, policy_map=True)
    check_self_contained(path)
    names = {p.stem for p in (tmp_path / "rep").glob("fig_*.png")}
    assert {"fig_drivers", "fig_policy_map", "fig_exchange"} <= names
    text = path.read_text()
    for fragment in (
        "Regional drivers",
        "Interoperability or platforms?",
        "income",
        "This scenario stands at",
    ):
        assert fragment in text, fragment


def test_tipping_diagnostics_flag_two_outcomes_and_jumps():
    from sim.analysis.report import dynamics

    outcomes = pd.DataFrame(
        {
            "scenario": ["a"] * 6 + ["b"] * 6,
            "outcome": ["x"] * 12,
            "seed": list(range(6)) * 2,
            "value": [0.1, 0.1, 0.12, 0.9, 0.9, 0.88, 0.5, 0.51, 0.49, 0.5, 0.52, 0.48],
        }
    )
    html = dynamics.tipping_section(outcomes)
    rows = html.split("<tr>")[2:]
    assert "yes" in rows[0] and "no" in rows[1]
    points = pd.DataFrame(
        {
            "scenario": ["a"] * 4,
            "outcome": ["x"] * 4,
            "parameter": ["budget"] * 4,
            "seed": [0] * 4,
            "x": [10.0, 11.0, 12.1, 13.31],
            "value": [0.1, 0.12, 0.8, 0.82],
        }
    )
    table = dynamics.jumps_table(points)
    assert "0.68" in table and "budget" in table and "10%" in table
