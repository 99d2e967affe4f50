"""Parameters are typed and strict: bad values fail before any step runs."""

from __future__ import annotations

import subprocess
import sys

import pytest
from pydantic import ValidationError

import sim
from sim.model.params import PolicySpec


def test_out_of_range_names_parameter_and_range():
    with pytest.raises(ValidationError) as e:
        sim.Coefficients(online_quality=-1.0)
    text = str(e.value)
    assert "online_quality" in text and "greater than or equal to 0" in text


def test_wrong_type_names_parameter():
    with pytest.raises(ValidationError) as e:
        sim.Params(budget="a lot")
    assert "budget" in str(e.value) and "valid number" in str(e.value)


def test_assignment_is_validated_too():
    params = sim.Params()
    with pytest.raises(ValidationError, match="service_need"):
        params.coefficients.service_need = 1.5


def test_unknown_coefficient_is_an_error():
    with pytest.raises(ValidationError, match="online_qualty"):
        sim.Coefficients(online_qualty=1.0)


def test_model_level_checks():
    with pytest.raises(ValidationError, match="end_year"):
        sim.Params(start_year=2020, end_year=2010)
    with pytest.raises(ValidationError, match="budget shares sum to 1.20 in 2010"):
        sim.Params(
            start_year=2010,
            end_year=2011,
            policies=[
                PolicySpec(lever="broadband", start=2010, end=2010, budget_share=0.6),
                PolicySpec(lever="new_platforms", start=2010, end=2011, budget_share=0.6),
            ],
        )
    with pytest.raises(ValidationError, match="did you mean 'Almaty'"):
        sim.Params(policies=[PolicySpec(lever="broadband", budget_share=0.1, target={"regions": ["Almati"]})])
    with pytest.raises(ValidationError, match="unknown lever 'broadbnd'"):
        PolicySpec(lever="broadbnd", budget_share=0.1)
    with pytest.raises(ValidationError, match="acts on regions"):
        sim.Params(
            policies=[
                PolicySpec(lever="broadband", budget_share=0.1, target={"agencies": ["Ministry of Finance"]})
            ]
        )
    with pytest.raises(ValidationError, match="unknown agency"):
        sim.Params(
            policies=[
                PolicySpec(lever="open_data", budget_share=0.1, target={"agencies": ["Ministry of Magic"]})
            ]
        )


def test_documented_quickstart_snippet_runs():
    code = "import sim; m = sim.EGovModel(seed=1); m.run(); print(m.national_frame().tail())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "online_max_min" in out.stdout and "2030" in out.stdout
