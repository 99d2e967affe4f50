"""Agent-based simulation of e-government adoption (the Integrated
Stage-Model-Openness framework, Kazakhstan 2005 onward)."""

from sim.agents import Agency, Business, Citizen, Region
from sim.model import EGovModel
from sim.params import Coefficients, EventSpec, Params, PolicySpec, Thresholds, WorldSpec

__version__ = "0.1.0"

__all__ = [
    "Agency",
    "Business",
    "Citizen",
    "Coefficients",
    "EGovModel",
    "EventSpec",
    "Params",
    "PolicySpec",
    "Region",
    "Thresholds",
    "WorldSpec",
    "__version__",
]
