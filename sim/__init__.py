"""Agent-based simulation of e-government adoption (the Integrated
Stage-Model-Openness framework, Kazakhstan 2005 onward).

Names are imported on first use (PEP 562), so `egov validate` and other light commands
start without loading Mesa, pandas or matplotlib.
"""

from importlib import import_module

__version__ = "0.1.0"

_EXPORTS = {
    "Agency": "sim.model.agents",
    "Business": "sim.model.agents",
    "Citizen": "sim.model.agents",
    "Region": "sim.model.agents",
    "EGovModel": "sim.model.egov_model",
    "Coefficients": "sim.model.params",
    "EventSpec": "sim.model.params",
    "Params": "sim.model.params",
    "PolicySpec": "sim.model.params",
    "Thresholds": "sim.model.params",
    "WorldSpec": "sim.model.params",
    "evaluate": "sim.sweeps",
    "sweep": "sim.sweeps",
}

__all__ = [*_EXPORTS, "__version__"]


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'sim' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
