"""The service catalogue: services are data, not agents.

A service has an owning agency, an audience, a maturity (0 offline, 1 information,
2 interactive, 3 transactional, 4 transformational/proactive) and data dependencies on
other agencies. Its effective quality is its maturity discounted for every dependency
that is not linked through the national data-exchange standard: a transactional service
that needs a certificate from an agency outside the exchange still sends the applicant
to fetch it. This is where "interoperability versus new platforms" comes from.

The portfolio is open: proactive life-event services exist in the catalogue from the
start but are launched only when their owner has reached digital transformation and
every agency whose data they need is on the exchange. Until then they are not available
and count in no indicator.
"""

from __future__ import annotations

import numpy as np

AUDIENCES = ("citizens", "businesses")
NATIONAL = -1
LAUNCH_MATURITY = 3.0  # a proactive service starts transactional


class ServiceCatalogue:
    """Services as parallel arrays; `depends` is a services x agencies 0/1 matrix."""

    def __init__(self, names, owner, audience, region, maturity, depends, n_regions, proactive=None):
        self.names = list(names)
        self.owner = np.asarray(owner, dtype=np.int32)
        self.audience = np.asarray(audience, dtype=np.int8)
        self.region = np.asarray(region, dtype=np.int32)
        self.maturity = np.asarray(maturity, dtype=np.float64)
        self.depends = np.asarray(depends, dtype=bool)
        self.proactive = np.zeros(len(self.names), bool) if proactive is None else np.asarray(proactive, bool)
        self.available = ~self.proactive
        # a dependency on the owner itself needs no exchange
        self.external = self.depends & (np.arange(self.depends.shape[1])[None, :] != self.owner[:, None])
        # reach[a][r, s]: service s is offered to audience a in region r
        self.reach = {
            name: (self.audience == a)[None, :]
            & ((self.region == NATIONAL)[None, :] | (self.region[None, :] == np.arange(n_regions)[:, None]))
            for a, name in enumerate(AUDIENCES)
        }
        self.of_agency = [np.flatnonzero(self.owner == a) for a in range(depends.shape[1])]
        self._serves: dict[str, np.ndarray] = {}
        self._serves_key = b""
        self._memo: dict[str, tuple[tuple, np.ndarray]] = {}

    def _remembered(self, name: str, key: tuple, compute) -> np.ndarray:
        """compute(), or its last result if `key` (the bytes of every input) is unchanged:
        the model asks for the same values several times a step (inputs, indicators). The
        result is read-only, as it is shared."""
        last = self._memo.get(name)
        if last is not None and last[0] == key:
            return last[1]
        value = compute()
        value.flags.writeable = False
        self._memo[name] = (key, value)
        return value

    def __len__(self) -> int:
        return len(self.names)

    @property
    def serves(self) -> dict[str, np.ndarray]:
        """serves[a][r, s]: weight of service s among the available services of audience a
        in region r (rows sum to 1). Recomputed only when the portfolio changes."""
        key = self.available.tobytes()
        if self._serves_key != key:
            out = {}
            for name, reach in self.reach.items():
                live = reach & self.available[None, :]
                out[name] = live / np.maximum(live.sum(axis=1, keepdims=True), 1)
            self._serves, self._serves_key = out, key
        return self._serves

    def launch(self, agency_stage: np.ndarray, joined: np.ndarray) -> np.ndarray:
        """Launch the proactive services whose owner is at stage 3 and whose data
        partners (and owner) are all on the exchange; returns the launched indices."""
        partners_on = ~(self.external & ~joined[None, :]).any(axis=1)
        ready = self.proactive & ~self.available & (agency_stage[self.owner] == 3) & joined[self.owner]
        new = np.flatnonzero(ready & partners_on)
        self.available[new] = True
        self.maturity[new] = LAUNCH_MATURITY
        return new

    def partners_on(self, agency: int, joined: np.ndarray) -> float:
        """Share of the data an agency's available services need from other agencies that
        is on the exchange (its data partners, weighted by how many services need them)."""
        own = self.owner == agency
        needs = self.external[own & self.available].sum(axis=0)
        total = needs.sum()
        return float(needs @ joined / total) if total else 0.0

    def linkage(self, interop: np.ndarray, penalty: float) -> np.ndarray:
        """Per service, the factor (0-1] its unlinked data dependencies leave of it."""
        link = interop[self.owner][:, None] * interop[None, :]
        per_dependency = np.where(self.depends, 1.0 - penalty * (1.0 - link), 1.0)
        return per_dependency.prod(axis=1)

    def mean_link(self, interop: np.ndarray) -> np.ndarray:
        """Per service, the mean linkage (owner x partner interoperability) over its data
        dependencies; 1 for services that need no one else's data (the G2G strength)."""

        def compute():
            link = interop[self.owner][:, None] * interop[None, :]
            n = self.depends.sum(axis=1)
            return np.where(n > 0, (link * self.depends).sum(axis=1) / np.maximum(n, 1), 1.0)

        return self._remembered("mean_link", (interop.tobytes(),), compute)

    def links_joined(self, joined: np.ndarray) -> np.ndarray:
        """Per service, the share of its external data dependencies on which both the owner
        and the partner are on the exchange (1 for services that need no one else's data)."""
        both = self.external & joined[None, :] & joined[self.owner][:, None]
        n = self.external.sum(axis=1)
        return np.where(n > 0, both.sum(axis=1) / np.maximum(n, 1), 1.0)

    def share_links_joined(self, joined: np.ndarray) -> float:
        """Share of all data dependencies of available services that are linked."""
        ext = self.external[self.available]
        if not ext.any():
            return 1.0
        both = ext & joined[None, :] & joined[self.owner[self.available]][:, None]
        return float(both.sum() / ext.sum())

    def effective_quality(self, interop, outage, penalty) -> np.ndarray:
        """Maturity (as a share of level 4) x linkage, zero while the owner is down."""
        interop, outage = np.asarray(interop), np.asarray(outage)
        key = (interop.tobytes(), outage.tobytes(), self.maturity.tobytes(), float(penalty))
        return self._remembered(
            "effective_quality",
            key,
            lambda: self.maturity / 4.0 * self.linkage(interop, penalty) * ~outage[self.owner],
        )

    def by_region(self, values: np.ndarray, audience: str) -> np.ndarray:
        """Mean of a per-service value over the available services a region's audience can use."""
        return self.serves[audience] @ values
