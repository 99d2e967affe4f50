"""Smoke test of the benchmark harness: `python -m benchmarks --quick` runs end to end
in a real subprocess and writes the JSON report. No timing assertions."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ("engine_ratio", "reference_check", "scale", "cost_growth", "phases", "kazakhstan")


def test_quick_benchmarks_write_report(tmp_path):
    out = tmp_path / "b.json"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--repeats", "1", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(out.read_text())

    machine = report["machine"]
    for key in ("cores", "python", "numpy", "platform", "cpu_model"):
        assert key in machine
    assert machine["cores"] >= 1

    assert set(BENCHMARKS) <= set(report["benchmarks"])
    for name in BENCHMARKS:
        rows = report["benchmarks"][name]["rows"]
        assert rows, name
        for row in rows:
            assert {"median", "min", "max"} <= set(row), (name, row)
            assert row["min"] <= row["median"] <= row["max"], (name, row)

    assert report["benchmarks"]["engine_ratio"]["ratio_of_medians"] > 0
    assert report["benchmarks"]["engine_ratio"]["reference_ratio_of_medians"] > 0
    assert report["benchmarks"]["engine_ratio"]["max_abs_table_difference"] == 0
    assert "per_citizen_ratio_of_medians" in report["benchmarks"]["cost_growth"]
    assert report["benchmarks"]["phases"]["share_percent"]
    assert {g["status"] for g in report["goals"]} == {"n/a (--quick)"}
