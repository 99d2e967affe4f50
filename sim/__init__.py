"""Agent-based simulation of e-government adoption (the Integrated
Stage-Model-Openness framework, Kazakhstan 2005 onward).

Names are imported on first use (PEP 562), so `egov validate` and other light commands
start without loading Mesa, pandas or matplotlib.
"""

from importlib import import_module

__version__ = "0.1.0"

_EXPORTS = {
    "Agency": "sim.agents",
    "Business": "sim.agents",
    "Citizen": "sim.agents",
    "Region": "sim.agents",
    "EGovModel": "sim.model",
    "Coefficients": "sim.params",
    "EventSpec": "sim.params",
    "Params": "sim.params",
    "PolicySpec": "sim.params",
    "Thresholds": "sim.params",
    "WorldSpec": "sim.params",
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
