"""The compiled kernels: counter-based draws equal in plain Python, numpy and numba;
results independent of the thread count; agent objects made only on demand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sim
from sim.model import kernels, rng
from sim.model.agents.citizen import ONLINE


def test_counter_draws_are_the_same_in_python_numpy_and_numba():
    for seed, name, step in [(0, "need", 1), (2**32 - 1, "channel", 312), (7, "adoption", 0)]:
        k = rng.key(seed, name, step)
        agents = [0, 1, 2, 999, 2**31 - 1, 20_000_000]
        py = [rng.uniform(k, i) for i in agents]
        nb = [kernels.draw(np.uint64(k), i) for i in agents]
        assert py == nb
        block = rng.uniforms_counter(k, 1000)
        assert block.tolist() == [rng.uniform(k, i) for i in range(1000)]


def test_counter_draws_look_uniform_and_streams_differ():
    k = rng.key(1, "need", 5)
    u = rng.uniforms_counter(k, 200_000)
    assert u.min() >= 0.0 and u.max() < 1.0
    assert abs(u.mean() - 0.5) < 0.005 and abs(u.var() - 1 / 12) < 0.002
    counts = np.bincount((u * 10).astype(int), minlength=10)
    assert (np.abs(counts - 20_000) < 800).all()
    other = [rng.key(2, "need", 5), rng.key(1, "channel", 5), rng.key(1, "need", 6)]
    for k2 in other:
        assert abs(np.corrcoef(u, rng.uniforms_counter(k2, 200_000))[0, 1]) < 0.01
    assert len({rng.key(s, d, t) for s in range(5) for d in ("a", "b") for t in range(50)}) == 500


def test_results_do_not_depend_on_the_thread_count(busy_params, monkeypatch):
    monkeypatch.setattr(kernels, "PARALLEL_MIN", 0)  # threads even for this small world
    tables = []
    try:
        for n in (1, 2):
            kernels.set_threads(n)
            model = sim.EGovModel(busy_params, seed=3).run()
            tables.append((model.national_frame(), model.region_frame(), model.citizen_store.columns))
    finally:
        kernels.set_threads(1)
    (nat1, reg1, cols1), (nat2, reg2, cols2) = tables
    pd.testing.assert_frame_equal(nat1, nat2, check_exact=True)
    pd.testing.assert_frame_equal(reg1, reg2, check_exact=True)
    for column in cols1:
        np.testing.assert_array_equal(cols1[column], cols2[column], err_msg=column)


def test_online_tie_counts_stay_exact_whatever_the_thread_count(busy_params, monkeypatch):
    monkeypatch.setattr(kernels, "PARALLEL_MIN", 0)
    try:
        for n in (1, 2):
            kernels.set_threads(n)
            model = sim.EGovModel(busy_params, seed=2)
            for _ in range(30):  # past a January: cohort turnover resets some channels
                model.step()
            online = (model.citizen_store["channel"] == ONLINE).astype(np.float64)
            np.testing.assert_array_equal(model.tie_counts.online, model.ties @ online)
    finally:
        kernels.set_threads(1)


def test_citizen_and_firm_objects_are_made_on_demand(busy_params):
    model = sim.EGovModel(busy_params, seed=1)
    assert not model._objects_made
    model.step()
    assert not model._objects_made  # the fast engine needs no objects
    assert len(model.agents_by_type[sim.Citizen]) == len(model.citizen_store)
    assert model._objects_made
    assert sim.EGovModel(busy_params, seed=1, engine="agent")._objects_made


def _compiled_signatures() -> dict[str, int]:
    import numba

    found = {
        name: len(f.signatures)
        for name, f in vars(kernels).items()
        if isinstance(f, numba.core.registry.CPUDispatcher)
    }
    for name in ("_CITIZENS", "_BUSINESSES"):
        loop = getattr(kernels, name)
        found[f"{name}.serial"] = len(loop.serial.signatures)
        found[f"{name}.parallel"] = len(loop._parallel.signatures) if loop._parallel is not None else 0
    return found


@pytest.mark.parametrize("threads", [1, 2])
def test_after_the_warm_up_a_run_loads_no_compiled_code_and_boxes_no_array(busy_params, threads, monkeypatch):
    """`egov run` warms the kernels up with Ctrl-C held, then runs with it live. That is
    safe only if the run compiles or loads nothing more (the warm-up used the model's own
    argument types, and the parallel loops when there are threads) and no compiled call
    returns an array: numba boxes a returned array by calling back into Python
    (_numba_unpickle), where a pending Ctrl-C became a SystemError (seen from
    symmetric_ties before its arrays were made by the caller)."""
    import sys
    from collections import Counter

    # the small world takes the parallel loops with a lower bar (results do not depend on it)
    monkeypatch.setattr(kernels, "PARALLEL_MIN", 64)
    monkeypatch.setattr(kernels, "_threads", threads)
    assert kernels.warm_up() >= 0.0
    before = _compiled_signatures()
    callbacks: Counter[str] = Counter()

    def watch(frame, event, arg):
        if event == "call" and frame.f_code.co_name == "_numba_unpickle":
            callbacks[frame.f_back.f_code.co_name if frame.f_back else "?"] += 1

    sys.setprofile(watch)
    try:
        model = sim.EGovModel(busy_params, seed=1)
        for _ in range(14):  # past a January: the cohort turnover's kernel runs too
            model.step()
    finally:
        sys.setprofile(None)
    assert _compiled_signatures() == before
    assert not callbacks
    if threads > 1:
        assert before["_CITIZENS.parallel"] == before["_BUSINESSES.parallel"] == 1


def test_parallel_loops_are_compiled_and_cached_apart_from_the_serial_ones():
    # numba's disk cache keys a function by its qualified name and bytecode, not by its
    # compile options: a parallel compile of the same function would share the serial
    # one's cache entry (and run serially, or the serial run in parallel)
    loops = (kernels._CITIZENS, kernels._BUSINESSES)
    try:
        kernels.set_threads(2)
        for loop in loops:
            parallel = loop.compiled(kernels.PARALLEL_MIN)
            assert parallel is not loop.serial and parallel.targetoptions.get("parallel")
            assert parallel.py_func.__qualname__ != loop.serial.py_func.__qualname__
            assert loop.compiled(kernels.PARALLEL_MIN - 1) is loop.serial  # small loops stay serial
    finally:
        kernels.set_threads(1)
    assert all(loop.compiled(kernels.PARALLEL_MIN) is loop.serial for loop in loops)


def test_a_fork_during_a_background_tie_update_gets_complete_counts(busy_params, monkeypatch):
    """A process forked while the tie counts are being added on the background thread
    (a fork executor reusing a stepped model) must not wait forever for a thread that
    does not exist in it: the update finishes before the fork, and the child's counts are
    exact."""
    import os
    import signal
    import threading
    import time

    real = kernels.add_switches

    def slow_in_background(*args):
        if threading.current_thread().name.startswith("egov-ties"):
            time.sleep(0.3)  # still running when the fork comes
        return real(*args)

    monkeypatch.setattr(kernels, "add_switches", slow_in_background)
    monkeypatch.setattr(kernels, "PARALLEL_MIN", 0)
    try:
        kernels.set_threads(2)
        model = sim.EGovModel(busy_params, seed=2)
        model.step()
        assert model.tie_counts.pending is not None and not model.tie_counts.pending.done()
        pid = os.fork()
        if pid == 0:  # the child: exit 0 only with exact counts, killed if it hangs
            signal.alarm(10)
            ties = model.tie_counts
            online = (model.citizen_store["channel"] == ONLINE).astype(np.int64)
            expected = np.add.reduceat(online[ties.indices], ties.indptr[:-1]) * (np.diff(ties.indptr) > 0)
            os._exit(0 if np.array_equal(ties.online, expected) else 1)
        _, status = os.waitpid(pid, 0)
    finally:
        kernels.set_threads(1)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status
