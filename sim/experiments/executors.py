"""Executors for sweeps: serial (this process), local worker processes, or a Dask
cluster, each a concurrent.futures.Executor behind one handle."""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sim.experiments.experiment import SweepRefused

EXECUTORS = ("process", "dask", "serial")
# Set by sweep() when it is called from a script without a main guard: workers are then
# forked (they do not import the script again) instead of started from a forkserver.
FORK_WORKERS = threading.local()
PRELOAD = ("sim.experiments.runs", "sim.model.egov_model")  # what a worker process imports at start


class SerialExecutor(cf.Executor):
    """Runs each task at submission, in this process (for debugging: breakpoints work)."""

    def submit(self, fn, /, *args, **kwargs):
        future: cf.Future = cf.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as e:
            future.set_exception(e)
        return future


def _watch_parent(parent: int) -> None:
    """Worker initializer: exit when the driving process is gone (e.g. killed), so no
    orphan keeps computing runs nobody will store."""

    def watch():
        while True:
            time.sleep(1.0)
            try:
                os.kill(parent, 0)
            except ProcessLookupError:
                os._exit(0)
            except PermissionError:
                pass

    threading.Thread(target=watch, daemon=True).start()


def _single_threaded_numerics() -> None:
    # one run per core: numeric libraries must not start their own thread pools
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")


@dataclass
class ExecutorHandle:
    """An executor, a description of it and whether a broken one can be replaced."""

    executor: cf.Executor
    description: str
    workers: int
    close: Callable[[], None]
    restartable: bool = False
    max_in_flight: int | None = None  # tasks submitted ahead; None: all at once


# Dask's nanny sets MALLOC_TRIM_THRESHOLD_=65536 in its workers, which also switches off
# glibc's dynamic mmap threshold: every array above 128 kB (a column of ~20,000 agents)
# is then mapped and unmapped at each use, and a run takes twice as long. The statistical
# profiler, which samples the running task's stack every 10 ms, is of no use to a sweep.
DASK_WORKER_CONFIG = {
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    "distributed.worker.profile.enabled": False,
}


def open_executor(kind: str, workers: int | None = None, scheduler: str | None = None) -> ExecutorHandle:
    """A concurrent.futures.Executor: serial, local processes, or Dask."""
    if kind == "serial":
        ex = SerialExecutor()
        return ExecutorHandle(ex, "serial (this process)", 1, lambda: ex.shutdown(), max_in_flight=1)
    if kind == "process":
        n = workers or os.cpu_count() or 1
        _single_threaded_numerics()
        if getattr(FORK_WORKERS, "on", False):  # a script without a main guard: fork, not re-import
            ctx = multiprocessing.get_context("fork")
        else:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(list(PRELOAD))
        ex = cf.ProcessPoolExecutor(
            max_workers=n, mp_context=ctx, initializer=_watch_parent, initargs=(os.getpid(),)
        )
        return ExecutorHandle(
            ex,
            f"process ({n} worker{'s' * (n > 1)})",
            n,
            lambda: ex.shutdown(wait=True, cancel_futures=True),
            restartable=True,
            max_in_flight=2 * n,
        )
    if kind == "dask":
        try:
            import distributed
        except ImportError:
            raise SweepRefused(
                ["--executor dask needs the dask extra: pip install 'egov-sim[dask]' (or .[dask])"]
            ) from None
        import logging

        if scheduler:
            try:
                client = distributed.Client(scheduler, timeout="10s")
            except (OSError, TimeoutError, ValueError) as e:
                raise SweepRefused([f"cannot reach the Dask scheduler at {scheduler}: {e}"]) from None
            n = len(client.scheduler_info().get("workers", {}))
            description = f"dask (scheduler {scheduler}, {n} workers now)"
            cluster = None
        else:
            import dask

            _single_threaded_numerics()
            n = workers or os.cpu_count() or 1
            # workers forked from a server that has imported the model start in a blink
            multiprocessing.get_context("forkserver").set_forkserver_preload(list(PRELOAD))
            local = {**DASK_WORKER_CONFIG, "distributed.worker.multiprocessing-method": "forkserver"}
            with dask.config.set(local):  # for this cluster only, not the caller's others
                cluster = distributed.LocalCluster(
                    n_workers=n,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    silence_logs=logging.ERROR,
                    preload=list(PRELOAD),  # imported as the workers start
                )
            client = distributed.Client(cluster)
            description = f"dask (local cluster, {n} worker{'s' * (n > 1)})"
        ex = client.get_executor(pure=False)

        def close():
            with contextlib.suppress(Exception):
                ex.shutdown(wait=False)
            client.close()
            if cluster is not None:
                cluster.close()

        return ExecutorHandle(ex, description, max(n, 1), close, max_in_flight=None if scheduler else 2 * n)
    raise ValueError(f"executor must be one of {EXECUTORS}, got {kind!r}")
