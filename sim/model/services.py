"""The service catalogue: services are data, not agents.

A service has an owning agency, an audience, a maturity (0 offline, 1 information,
2 interactive, 3 transactional, 4 transformational/proactive) and data dependencies on
other agencies. Its effective quality is its maturity discounted for every dependency
that is not linked through the national data-exchange standard: a transactional service
that needs a certificate from an agency outside the exchange still sends the applicant
to fetch it. This is where "interoperability versus new platforms" comes from.
"""

from __future__ import annotations

import numpy as np

AUDIENCES = ("citizens", "businesses")
NATIONAL = -1


class ServiceCatalogue:
    """Services as parallel arrays; `depends` is a services x agencies 0/1 matrix."""

    def __init__(self, names, owner, audience, region, maturity, depends, n_regions):
        self.names = list(names)
        self.owner = np.asarray(owner, dtype=np.int32)
        self.audience = np.asarray(audience, dtype=np.int8)
        self.region = np.asarray(region, dtype=np.int32)
        self.maturity = np.asarray(maturity, dtype=np.float64)
        self.depends = np.asarray(depends, dtype=bool)
        # serves[a][r, s]: weight of service s among those of audience a in region r
        self.serves = {}
        for a, name in enumerate(AUDIENCES):
            reach = (self.audience == a)[None, :] & (
                (self.region == NATIONAL)[None, :] | (self.region[None, :] == np.arange(n_regions)[:, None])
            )
            self.serves[name] = reach / np.maximum(reach.sum(axis=1, keepdims=True), 1)
        self.of_agency = [np.flatnonzero(self.owner == a) for a in range(depends.shape[1])]

    def __len__(self) -> int:
        return len(self.names)

    def linkage(self, interop: np.ndarray, penalty: float) -> np.ndarray:
        """Per service, the factor (0-1] its unlinked data dependencies leave of it."""
        link = interop[self.owner][:, None] * interop[None, :]
        per_dependency = np.where(self.depends, 1.0 - penalty * (1.0 - link), 1.0)
        return per_dependency.prod(axis=1)

    def mean_link(self, interop: np.ndarray) -> np.ndarray:
        """Per service, the mean linkage (owner x partner interoperability) over its data
        dependencies; 1 for services that need no one else's data (the G2G strength)."""
        link = interop[self.owner][:, None] * interop[None, :]
        n = self.depends.sum(axis=1)
        return np.where(n > 0, (link * self.depends).sum(axis=1) / np.maximum(n, 1), 1.0)

    def effective_quality(self, interop, outage, penalty) -> np.ndarray:
        """Maturity (as a share of level 4) x linkage, zero while the owner is down."""
        return self.maturity / 4.0 * self.linkage(interop, penalty) * ~outage[self.owner]

    def by_region(self, values: np.ndarray, audience: str) -> np.ndarray:
        """Mean of a per-service value over the services a region's audience can use."""
        return self.serves[audience] @ values
