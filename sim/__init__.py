"""Agent-based simulation of e-government adoption (the Integrated
Stage-Model-Openness framework, Kazakhstan 2005 onward).

Names are imported on first use (PEP 562), so `egov validate` and other light commands
start without loading Mesa, pandas or matplotlib. This file imports nothing of the
package by name: the layers (sim/model, sim/experiments, sim/analysis, sim/cli) are
described in docs/architecture.md.
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
    "evaluate": "sim.experiments.runs",
    "sweep": "sim.experiments.sweeps",
}

# Modules exported under short names (`from sim import scenario`; `sim.plots.label(...)`).
_MODULES = {
    "scenario": "sim.experiments.scenario",
    "plots": "sim.analysis.plots",
    "transitions": "sim.analysis.transitions",
}

__all__ = [*_EXPORTS, *_MODULES, "__version__"]


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(import_module(_EXPORTS[name]), name)
    elif name in _MODULES:
        value = import_module(_MODULES[name])
    else:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted(__all__)
