"""Compiled kernels: the citizens' and firms' rules as one fused loop each (numba).

The loops call the very formulas the per-agent rules call (sim/model/agents/citizen.py
and business.py), compiled by numba as they are, and draw their random numbers inside
the loop from the counter-based generator of sim/model/rng.py: agent i's draw for a
decision is a SplitMix64 hash of the step's key and i, so no draw array is made and a
draw is computed only where the rule needs it. Both engines therefore give identical
tables per seed (tests/test_engines.py, tests/test_kernels.py).

Each citizen's update depends only on the state at step start, so the loop over citizens
can run on several threads (`set_threads`): the results are the same whatever the thread
count. Each citizen's count of ties online (`Ties.online`) is kept up to date by adding
the ties of those who switched: at the end of the loop when serial (it lists them as it
goes); when parallel, after it, on a background thread while the model goes on with the
rest of the step (the scatter is serial and waits on memory, so it would otherwise leave
a core idle). Nothing reads the counts before the next citizen loop, which waits for
them. Integer additions, so the same counts either way.

Compiled code is cached on disk (numba `cache=True`) under a folder named after a hash of
the source files the kernels compile, so editing a formula never reuses a stale kernel.
The folder is `$EGOV_NUMBA_CACHE`, else `$NUMBA_CACHE_DIR`, else
`<venv>/var/cache/egov-sim-numba` in a virtual environment, else the user cache
(`$XDG_CACHE_HOME` or `~/.cache`)/egov-sim/numba; never the repository.
"""

from __future__ import annotations

import functools
import hashlib
import os
import sys
import time
import types
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_for
from pathlib import Path

import numba
import numpy as np

from sim.model import formulas, rng
from sim.model.agents import business, citizen


def _cache_root() -> Path:
    for var in ("EGOV_NUMBA_CACHE", "NUMBA_CACHE_DIR"):
        if os.environ.get(var):
            return Path(os.environ[var])
    if sys.prefix != sys.base_prefix:
        root = Path(sys.prefix) / "var" / "cache" / "egov-sim-numba"
        try:
            root.mkdir(parents=True, exist_ok=True)
            if os.access(root, os.W_OK):
                return root
        except OSError:
            pass
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "egov-sim" / "numba"


def _sources_hash() -> str:
    h = hashlib.sha256(numba.__version__.encode())
    for module in (formulas, rng, citizen, business, sys.modules[__name__]):
        h.update(Path(module.__file__).read_bytes())
    return h.hexdigest()[:16]


CACHE_DIR = _cache_root() / _sources_hash()
numba.config.CACHE_DIR = str(CACHE_DIR)

jit = numba.njit(cache=True)

# --- the counter-based draw (rng.uniform), in uint64 arithmetic ---------------------------

_GOLDEN, _MIX1, _MIX2 = np.uint64(rng.GOLDEN), np.uint64(rng.MIX1), np.uint64(rng.MIX2)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)


@jit
def draw(key, i):
    """rng.uniform(key, i): agent i's U[0,1) draw under a step's decision key."""
    z = key + np.uint64(i + 1) * _GOLDEN
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    z = z ^ (z >> _S31)
    return np.float64(z >> _S11) * rng.TO_UNIT


# --- the formulas: the rules' own functions (@formula), which numba compiles inline ---------

per_step = formulas.per_step
c_logistic, c_clip01 = citizen.logistic, citizen.clip01
c_new_literacy, c_access_probability = citizen.new_literacy, citizen.access_probability
c_access_hazard = citizen.access_hazard
c_online_logit, c_choose_channel = citizen.online_logit, citizen.choose_channel
c_trust_after_service, c_failure_probability = citizen.trust_after_service, citizen.failure_probability
c_participation_probability = citizen.participation_probability
c_need_probability, c_fallback_channel = citizen.need_probability, citizen.fallback_channel
b_new_readiness, b_adoption_probability = business.new_readiness, business.adoption_probability
b_readiness_growth = business.readiness_growth
b_drop_probability = business.drop_probability

ONLINE, ASSISTED, PAPER = citizen.ONLINE, citizen.ASSISTED, citizen.PAPER
# each decision's position in citizen.Keys (the keys array the loop reads)
_KEY = {name: i for i, name in enumerate(citizen.Keys._fields)}
K_ACCESS, K_NEED, K_CHANNEL, K_FAILURE = _KEY["access"], _KEY["need"], _KEY["channel"], _KEY["failure"]
K_PARTICIPATION, K_ACCESS_LOSS = _KEY["participation"], _KEY["access_loss"]
K_SIGNATURE, K_REGISTRATION = _KEY["signature"], _KEY["registration"]


BLOCK = 1024  # citizens a pass goes through at a time (their columns stay in cache)


def _citizen_loop(
    region, urban, age, lit, internet, trust, channel, failed, participated, non_user, last_online,
    registered, online_ties, degree, indptr, indices, switched, switch, fold,
    quality, cov_u, cov_r, centre_u, centre_r, afford, loss, paper_open, dose, engagement,
    responsiveness, outage, signed, adopters,
    c, age_factor, online_age, keys, spy, step, trust_shock, need_surge,
):  # fmt: skip
    """Citizen.step for every citizen, in the rule's order of operations. By block of
    citizens, two passes: the first does what every citizen does and lists those who need
    a service; the second takes the listed through the service (a dense pass, instead of
    a branch that goes one way or the other at random). Serial (`fold`), the loop lists
    who switched to or from online (`switched`: row, or ~row for a switch away) and adds
    their ties to the counts once every citizen has read them."""
    n_switched = np.zeros(1, np.int64)
    n_regions = quality.size
    part_bound = np.empty(n_regions)  # participation chance at trust = literacy = 1
    hazard = np.empty(n_regions)  # access hazard per step
    for r in range(n_regions):
        hazard[r] = c_access_hazard(c, adopters[r], spy)
        p_max = per_step(c_participation_probability(c, 1.0, 1.0, engagement[r]), spy)
        part_bound[r] = p_max * (1.0 + 1e-9)  # coefficients >= 0: nobody lies above it
    n = region.size
    for b in numba.prange((n + BLOCK - 1) // BLOCK):
        lo, hi = b * BLOCK, min(n, (b + 1) * BLOCK)
        # the needy's row, literacy, trust and internet at step start (the first pass
        # updates them)
        needy, needy_lit, needy_tr = np.empty(hi - lo, np.int64), np.empty(hi - lo), np.empty(hi - lo)
        needy_net = np.empty(hi - lo, np.bool_)
        k = 0
        for i in range(lo, hi):
            r = region[i]
            lt, net, tr = lit[i], internet[i], trust[i]
            # the draws every citizen needs, made up front (independent, so they overlap)
            u_access = draw(keys[K_ACCESS_LOSS] if net else keys[K_ACCESS], i)
            u_need = draw(keys[K_NEED], i)
            u_part = draw(keys[K_PARTICIPATION], i)

            new_lit = c_new_literacy(c, lt, net, dose[r], age_factor[age[i]], spy)
            coverage = cov_u[r] if urban[i] else cov_r[r]
            p_access = c_access_probability(hazard[r], coverage, lt, afford[r])
            got_access = (u_access >= loss[r]) if net else (u_access < p_access)

            took_part = False
            if net and u_part < part_bound[r]:  # only the connected can take part
                took_part = u_part < per_step(c_participation_probability(c, tr, lt, engagement[r]), spy)

            new_tr = tr
            if took_part:
                new_tr = new_tr + c.responsiveness_trust * (responsiveness[r] - 0.5)
            lit[i] = new_lit
            internet[i] = got_access
            participated[i] = took_part
            # as if no service was needed (channel kept, no failure); the needy's row is
            # rewritten by the second pass
            trust[i] = c_clip01(new_tr - trust_shock)
            failed[i] = False
            if not fold:
                switch[i] = 0
            needy[k], needy_lit[k], needy_tr[k], needy_net[k] = i, lt, tr, net
            k += u_need < c_need_probability(c, need_surge, last_online[i], step, spy)

        for j in range(k):
            i = needy[j]
            r = region[i]
            lt, net, tr, ch, urb, a = needy_lit[j], needy_net[j], needy_tr[j], channel[i], urban[i], age[i]
            q = quality[r]
            new_ch, fl = np.int64(ch), False
            can_online = net and not non_user[i]
            centre = centre_u[r] if urb else centre_r[r]
            peers = online_ties[i] / max(degree[i], 1)  # share of ties online at step start
            habit = 1.0 if ch == ONLINE else 0.0
            p_online = 0.0
            if can_online:
                p_online = c_logistic(c_online_logit(c, q, lt, peers, tr, online_age[a], habit))
            u = draw(keys[K_CHANNEL], i)
            new_ch = c_choose_channel(p_online, can_online, centre, paper_open[r], u, np.int64(ch))
            new_tr = c_trust_after_service(c, tr, q, responsiveness[r], spy)
            if new_ch == ONLINE and not registered[i] and draw(keys[K_SIGNATURE], i) < signed[r]:
                # a service to be signed without a key: done at a centre, which issues keys
                new_ch = c_fallback_channel(centre)
                registered[i] = new_ch == ASSISTED and draw(keys[K_REGISTRATION], i) < c.registration_uptake
            elif new_ch == ONLINE:
                if draw(keys[K_FAILURE], i) < c_failure_probability(c, q, outage[r]):
                    fl = True
                    new_ch = c_fallback_channel(centre)
                    new_tr = new_tr - c.trust_failure_loss
                else:
                    last_online[i] = step
            if participated[i]:
                new_tr = new_tr + c.responsiveness_trust * (responsiveness[r] - 0.5)

            channel[i] = new_ch
            failed[i] = fl
            trust[i] = c_clip01(new_tr - trust_shock)
            went = (1 if new_ch == ONLINE else 0) - (1 if ch == ONLINE else 0)
            if fold:  # serial: listed, added below
                if went != 0:
                    switched[n_switched[0]] = i if went > 0 else ~i
                    n_switched[0] += 1
            else:  # parallel: recorded, then added serially (add_switches)
                switch[i] = went
    if fold:
        for t in range(n_switched[0]):
            i = switched[t]
            if i < 0:
                add_ties(indptr, indices, ~i, -1, online_ties)
            else:
                add_ties(indptr, indices, i, 1, online_ties)


@numba.njit(cache=True, nogil=True)
def add_ties(indptr, indices, i, went, counts):
    """counts[j] += went for each tie j of citizen i (who went online: +1, or away: -1)."""
    for p in range(indptr[i], indptr[i + 1]):
        counts[indices[p]] += went


@numba.njit(cache=True, nogil=True)
def add_switches(indptr, indices, switch, counts):
    """counts += ties @ switch, for the few citizens who switched (symmetric ties). Releases
    the GIL, to run on the background thread."""
    for i in range(switch.size):
        if switch[i] != 0:
            add_ties(indptr, indices, i, switch[i], counts)


def _business_loop(
    region, size, readiness, adopted, vat_payer,
    quality, peers, mandate_r, outage, open_data,
    c, size_shift, key_adoption, key_drop, spy,
):  # fmt: skip
    """Business.step for every firm (each firm's update depends only on the step's start)."""
    growth = np.empty((2, quality.size))  # readiness growth by status and region
    bound = np.empty(quality.size)  # adoption chance at readiness 1, the largest size shift
    largest_shift = size_shift.max()
    for r in range(quality.size):
        growth[0, r] = b_readiness_growth(c, False, open_data[r], spy)
        growth[1, r] = b_readiness_growth(c, True, open_data[r], spy)
        p_max = b_adoption_probability(c, quality[r], 1.0, peers[r], largest_shift, mandate_r[r], spy)
        bound[r] = p_max * (1.0 + 1e-9)  # business_readiness >= 0: nobody lies above it
    for i in numba.prange(region.size):
        r = region[i]
        rd, ad = readiness[i], adopted[i]
        mandate = mandate_r[r] if vat_payer[i] else 0.0
        now = ad
        if not ad:
            u = draw(key_adoption, i)
            if u < bound[r] or rd > 1.0:  # else no chance under the bound can take it
                p = b_adoption_probability(c, quality[r], rd, peers[r], size_shift[size[i]], mandate, spy)
                now = u < p
        elif draw(key_drop, i) < b_drop_probability(c, quality[r], outage[r], mandate, spy):
            now = False
        readiness[i] = b_new_readiness(rd, growth[1 if ad else 0, r])
        adopted[i] = now


CITIZEN_SUMS = (
    "online",
    "assisted",
    "paper",
    "internet",
    "digital_literacy",
    "trust",
    "participated",
    "failed",
    "online_12m",
    "online_now",
    "ever_online",
    "non_user",
    "online_urban",
    "registered",
)


@jit
def _counts(
    channel, internet, participated, failed, last_online, non_user, urban, registered, step, recent_from
):
    """The counts of CITIZEN_SUMS over one block, branch-free (the compiler vectorizes it)."""
    n_online = n_assisted = n_paper = n_net = n_part = n_failed = 0
    n_recent = n_now = n_ever = n_non = n_online_urban = n_registered = 0
    for i in range(channel.size):
        ch = channel[i]
        online = ch == ONLINE
        n_online += online
        n_assisted += ch == ASSISTED
        n_paper += ch == PAPER
        n_net += internet[i]
        n_part += participated[i]
        n_failed += failed[i]
        last = last_online[i]
        n_recent += last >= recent_from
        n_now += last == step
        n_ever += last >= 0
        n_non += non_user[i]
        n_online_urban += online & urban[i]
        n_registered += registered[i]
    return (n_online, n_assisted, n_paper, n_net, n_part, n_failed, n_recent, n_now, n_ever, n_non,
            n_online_urban, n_registered)  # fmt: skip


@jit
def _block_sums(counts, channel, internet, lit, trust, participated, failed, last_online, non_user, urban,
                registered, step, recent_from, out):  # fmt: skip
    """Per block of citizens (stored block by block), the sums of CITIZEN_SUMS: its counts,
    then literacy and trust added up in storage order. Serial on purpose: when the citizen
    loop runs on threads, the tie counts are being added on a background thread meanwhile,
    and a parallel pass here would fight it for the cores (measured at 1M citizens on 2
    threads: 60 M citizen-steps/s with parallel sums, 68 M with serial ones). Fills
    `out` (blocks x sums) rather than returning it, as block_counts does."""
    bounds = np.zeros(counts.size + 1, np.int64)
    bounds[1:] = np.cumsum(counts)
    for b in range(counts.size):
        lo, hi = bounds[b], bounds[b + 1]
        n = _counts(
            channel[lo:hi], internet[lo:hi], participated[lo:hi], failed[lo:hi], last_online[lo:hi],
            non_user[lo:hi], urban[lo:hi], registered[lo:hi], step, recent_from,
        )  # fmt: skip
        s_lit = s_trust = 0.0
        lit_b, trust_b = lit[lo:hi], trust[lo:hi]
        for i in range(lit_b.size):
            s_lit += lit_b[i]
            s_trust += trust_b[i]
        row = out[b]
        row[0], row[1], row[2], row[3], row[4], row[5] = n[0], n[1], n[2], n[3], s_lit, s_trust
        row[6], row[7], row[8], row[9], row[10], row[11], row[12] = n[4], n[5], n[6], n[7], n[8], n[9], n[10]
        row[13] = n[11]


@jit
def _count_true(flags):
    n = 0
    for i in range(flags.size):
        n += flags[i]
    return n


@jit
def _block_counts(flags, counts, out):
    start = 0
    for b in range(counts.size):
        out[b] = _count_true(flags[start : start + counts[b]])
        start += counts[b]


def block_counts(flags: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Per block of agents (stored block by block), how many have `flags` set (as float64:
    the same numbers as np.add.reduceat over the blocks; a vectorized count per slice).
    The compiled loop fills an array made here: a compiled function that returns an array
    calls back into Python to box it, and a Ctrl-C pending there becomes a SystemError."""
    out = np.zeros(counts.size)
    _block_counts(flags, counts, out)
    return out


def citizen_block_sums(store, counts: np.ndarray, step: int, recent_from: int) -> dict[str, np.ndarray]:
    """Sums by block (e.g. region) of the citizen columns the indicators read: counts of
    each channel, of internet users, participants, failures, of those online in the last
    year (last online step >= recent_from), this step, ever, of non-users, of urban
    citizens online and of EDS key holders; sums of literacy and trust. The same whatever the thread count."""
    s = store.columns
    out = np.zeros((counts.size, len(CITIZEN_SUMS)))
    _block_sums(
        counts.astype(np.int64), s["channel"], s["internet"], s["digital_literacy"], s["trust"],
        s["participated"], s["failed"], s["last_online_step"], s["non_user"], s["urban"], s["registered"],
        int(step), int(recent_from), out,
    )  # fmt: skip
    return {name: out[:, j] for j, name in enumerate(CITIZEN_SUMS)}


@jit
def tie_pattern(i, j, n, indptr, indices):
    """The symmetric CSR pattern of the pairs (i, j), for sim.model.graph.symmetric_ties:
    fills indptr (n + 1 zeros) and the front of indices (2 * len(i) slots); returns how
    many indices it used. The caller allocates: a compiled function that returns an array
    calls back into Python to box it, where a pending Ctrl-C turns into a SystemError."""
    degree = np.zeros(n + 1, np.int64)
    for p in range(i.size):
        if i[p] != j[p]:
            degree[i[p] + 1] += 1
            degree[j[p] + 1] += 1
    start = np.cumsum(degree)
    fill = start[:-1].copy()
    for p in range(i.size):
        a, b = i[p], j[p]
        if a != b:
            indices[fill[a]] = b
            fill[a] += 1
            indices[fill[b]] = a
            fill[b] += 1
    # sort each row, drop repeated ties, compact in place
    out = 0
    for r in range(n):
        row = np.sort(indices[start[r] : start[r + 1]])
        last = -1
        for v in row:
            if v != last:
                indices[out] = v
                out += 1
                last = v
        indptr[r + 1] = out
    return out


@jit
def age_one_year(region, age, urban, lit, internet, u, rates, n_young, lit_young, net_young, leavers):
    """Cohort turnover's pass over the citizens (sim/model/cohorts.py), before anyone moves:
    adds each region x urban/rural cell's 15-29s (their count, literacy and internet, in
    storage order, as np.bincount adds them) into n_young, lit_young, net_young; then
    moves each citizen whose draw u is under its rate (rates[region, band]) up a band, or,
    from 60+, writes its row into `leavers`. Returns the number of leavers."""
    n_leavers = 0
    for i in range(region.size):
        r, a = region[i], age[i]
        if a == 0:
            cell = 2 * r + (0 if urban[i] else 1)
            n_young[cell] += 1.0
            lit_young[cell] += lit[i]
            net_young[cell] += 1.0 if internet[i] else 0.0
        if u[i] < rates[r, a]:
            if a < 3:
                age[i] = a + 1
            else:
                leavers[n_leavers] = i
                n_leavers += 1
    return n_leavers


# --- threads and the calls the model makes -------------------------------------------------

_threads = max(int(os.environ.get("EGOV_THREADS", "1") or 1), 1)


def set_threads(n: int) -> None:
    """Run the citizen loop on n threads (1: serial, the default; results do not depend
    on n). More than one thread compiles a parallel version of the loop on first use."""
    global _threads
    _threads = max(int(n), 1)


def threads() -> int:
    return _threads


PARALLEL_MIN = 100_000  # agents in a loop below which it stays serial whatever the threads


class _Loop:
    """A loop over agents compiled twice: serial, and with its `prange` run on threads
    (compiled on first use with more than one thread). numba's on-disk cache tells
    compiled functions apart by qualified name and bytecode, not by compile options, so
    the parallel version is compiled from a copy of the function under its own name:
    otherwise whichever version was cached first would be loaded for both."""

    def __init__(self, fn):
        self.serial = jit(fn)
        self._fn, self._parallel = fn, None

    def compiled(self, n: int):
        """The version for the current thread count (`set_threads`) and a loop over n
        agents: serial below PARALLEL_MIN, where waking a thread costs more than it saves."""
        if _threads == 1 or n < PARALLEL_MIN:
            return self.serial
        if self._parallel is None:
            # threads that sleep between the parallel loops instead of spinning: a
            # spinning thread takes a core from the serial work between loops and, on a
            # shared machine, from other processes (read when OpenMP starts; a setting
            # of the user's is kept)
            os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
            fn = self._fn
            twin = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__ + "_parallel",
                                      fn.__defaults__, fn.__closure__)  # fmt: skip
            twin.__qualname__ = fn.__qualname__ + "_parallel"
            self._parallel = numba.njit(cache=True, parallel=True)(twin)
        numba.set_num_threads(min(_threads, numba.config.NUMBA_NUM_THREADS))
        return self._parallel


_CITIZENS, _BUSINESSES = _Loop(_citizen_loop), _Loop(_business_loop)


def _keys(keys) -> np.ndarray:
    return np.array(keys, dtype=np.uint64)


@functools.lru_cache(maxsize=64)
def _by_band(values: tuple[float, ...]) -> np.ndarray:
    """A per-age-band or per-size tuple as the array the loops take (made once per value:
    the tuples are the same every step)."""
    return np.asarray(values, dtype=np.float64)


_background: tuple[int, ThreadPoolExecutor] | None = None
_running: set[Future] = set()  # tie updates submitted and not yet done


def _background_thread() -> ThreadPoolExecutor:
    """The one thread that adds switches after parallel loops (a new one in a forked child)."""
    global _background
    if _background is None or _background[0] != os.getpid():
        _background = (os.getpid(), ThreadPoolExecutor(1, thread_name_prefix="egov-ties"))
    return _background[1]


def _finish_updates() -> None:
    """Let running tie updates finish before the process forks: the thread running one
    does not exist in the child, which would otherwise wait for it forever."""
    wait_for(list(_running))


os.register_at_fork(before=_finish_updates)


def citizens(store, x, ties) -> None:
    """Step every citizen in place (columns of `store`), then bring the counts of online
    ties (`ties.online`) up to date from the citizens who switched (in the background
    after a parallel loop: `ties.wait()` or reading `ties.online` waits for it)."""
    s = store.columns
    ties.wait()  # the last update reads `switch`, which the loop rewrites
    kernel = _CITIZENS.compiled(store.n)
    fold = kernel is _CITIZENS.serial
    kernel(
        s["region"], s["urban"], s["age_band"], s["digital_literacy"], s["internet"], s["trust"],
        s["channel"], s["failed"], s["participated"], s["non_user"], s["last_online_step"],
        s["registered"], ties.online, ties.degree, ties.indptr, ties.indices, ties.switched, ties.switch,
        fold,
        x.quality, x.coverage_urban, x.coverage_rural, x.centre_reach, x.centre_reach_rural,
        x.affordability, x.loss_hazard, x.paper_open, x.literacy_dose, x.engagement,
        x.responsiveness, x.outage, x.signed, x.adopters,
        x.coefficients, _by_band(x.literacy_age_factor),
        _by_band(x.online_age), _keys(x.keys), int(x.steps_per_year),
        int(x.step), float(x.trust_shock), float(x.need_surge),
    )  # fmt: skip
    if not fold:  # the loop is over: the switches go straight into the counts, in the background
        ties.pending = _background_thread().submit(add_switches, ties.indptr, ties.indices, ties.switch,
                                                   ties._online)  # fmt: skip
        _running.add(ties.pending)
        ties.pending.add_done_callback(_running.discard)


class Ties:
    """The citizens' ties (CSR arrays) and each citizen's count of ties online, kept equal
    to ties @ (channel == ONLINE) by adding the ties of those who switch."""

    def __init__(self, indptr: np.ndarray, indices: np.ndarray, channel: np.ndarray):
        n = indptr.size - 1
        self.indptr = indptr.astype(np.int32, copy=False)
        self.indices = indices.astype(np.int32, copy=False)
        degree = np.diff(self.indptr)
        if degree.size and degree.max() >= 2**15:
            raise ValueError(f"a citizen with {degree.max()} ties: counts of ties are int16")
        # counts as int16 (2 bytes a citizen instead of 4: the loop streams less memory)
        self.degree = degree.astype(np.int16)
        self._online = np.zeros(n, np.int16)
        self.switch = np.zeros(n, np.int8)
        self.switched = np.zeros(n, np.int32)  # who switched, listed by the serial loop
        self.pending: Future | None = None  # the update after a parallel loop, if running
        self.update(np.zeros(n, np.bool_), channel)

    def wait(self) -> None:
        """Wait for the update of the counts after the last parallel loop, if running."""
        if self.pending is not None:
            pending, self.pending = self.pending, None
            pending.result()

    @property
    def online(self) -> np.ndarray:
        """Each citizen's count of ties online (up to date: waits for the update)."""
        self.wait()
        return self._online

    def update(self, online_before: np.ndarray, channel: np.ndarray) -> None:
        """After channels changed outside the kernel (cohort turnover, building)."""
        self.wait()
        self.switch[:] = (channel == ONLINE).view(np.int8) - online_before.view(np.int8)
        add_switches(self.indptr, self.indices, self.switch, self._online)

    def __getstate__(self) -> dict:
        self.wait()
        return {**self.__dict__, "pending": None}


def businesses(store, x) -> None:
    """Step every firm in place."""
    s = store.columns
    _BUSINESSES.compiled(store.n)(
        s["region"], s["size"], s["readiness"], s["adopted"], s["vat_payer"],
        x.quality, x.peers, x.mandate, x.outage, x.open_data,
        x.coefficients, _by_band(x.size_shift),
        np.uint64(x.keys.adoption), np.uint64(x.keys.drop), int(x.steps_per_year),
    )  # fmt: skip


def warm_up() -> float:
    """Compile (or load from the cache) every kernel on a tiny input, with the argument
    types of the model's own calls, so a run loads no more compiled code once it starts
    (`egov run` does this with Ctrl-C held: an interrupt inside numba's loader is lost
    in a ctypes callback or crashes the process). With more than one thread, the parallel
    loops too, on PARALLEL_MIN agents. Returns seconds."""
    from sim.model.columns import Store

    t0 = time.perf_counter()
    one = np.ones(1)
    k = citizen.CitizenCoefficients(*([0.1] * len(citizen.CitizenCoefficients._fields)))
    x = citizen.CitizenInputs(
        *([one] * 14), 0.0, 0.0,
        citizen.Keys(*range(8)), 12, 1, k, (1.0,) * 4, (0.0,) * 4,
    )  # fmt: skip
    bk = business.BusinessCoefficients(*([0.1] * len(business.BusinessCoefficients._fields)))
    bx = business.BusinessInputs(*([one] * 5), business.Keys(1, 2), 12, bk, (0.0,) * 4)
    for n in (2, PARALLEL_MIN) if _threads > 1 else (2,):
        cs = Store(citizen.Citizen.states, n)
        ties = Ties(np.zeros(n + 1, np.int32), np.zeros(0, np.int32), cs["channel"])
        citizens(cs, x, ties)
        ties.wait()
        businesses(Store(business.Business.states, n), bx)
    cs = Store(citizen.Citizen.states, 2)
    citizen_block_sums(cs, np.array([2]), 1, 0)
    block_counts(cs["internet"], np.array([2]))
    z = np.zeros(2)
    age_one_year(cs["region"], cs["age_band"], cs["urban"], cs["digital_literacy"], cs["internet"], z,
                 np.ones((2, 4)), z.copy(), z.copy(), z.copy(), np.empty(2, np.int64))  # fmt: skip
    # the tie builder's pairs are int32 (sim.model.world.build_ties)
    pairs = np.array([0], np.int32), np.array([1], np.int32)
    tie_pattern(*pairs, 2, np.zeros(3, np.int64), np.empty(2, np.int32))
    return time.perf_counter() - t0
