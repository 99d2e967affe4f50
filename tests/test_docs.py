"""The documentation stays true to the code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sim.model.levers import EVENTS, LEVERS
from sim.model.params import Coefficients, Thresholds

ROOT = Path(__file__).resolve().parents[1]


def test_parameter_tables_in_model_md_are_current():
    out = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "gen_params.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stdout + out.stderr + "\nrun: python docs/gen_params.py --write"


def test_model_md_names_every_lever_event_and_parameter():
    text = (ROOT / "docs" / "model.md").read_text()
    for heading in ("Overview", "Design concepts", "Details"):
        assert heading in text
    for name in [*LEVERS, *EVENTS, *Coefficients.model_fields, *Thresholds.model_fields]:
        assert f"`{name}`" in text, name


def test_readme_has_the_two_quickstart_commands():
    text = (ROOT / "README.md").read_text()
    assert "make demo" in text and "make test" in text
    assert "make test" in (ROOT / ".ci" / "run").read_text()
