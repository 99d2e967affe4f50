"""The four agent kinds, one module each: columns, per-agent rule and kernel side by side."""

from sim.agents.agency import Agency
from sim.agents.business import Business
from sim.agents.citizen import Citizen
from sim.agents.region import Region

__all__ = ["Agency", "Business", "Citizen", "Region"]
