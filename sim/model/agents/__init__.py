"""The four agent kinds, one module each: columns, per-agent rule and kernel side by side."""

from sim.model.agents.agency import Agency
from sim.model.agents.business import Business
from sim.model.agents.citizen import Citizen
from sim.model.agents.region import Region

__all__ = ["Agency", "Business", "Citizen", "Region"]
