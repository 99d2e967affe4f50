"""Shared pieces: summaries of repeated measurements, the machine description, memory
readings, and running one measurement in a fresh Python process."""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import subprocess
import sys
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def summary(values) -> dict:
    """Median, min and max of repeated measurements (and the values themselves)."""
    vals = [float(v) for v in values]
    if not vals:
        raise ValueError("no measurements to summarise")
    return {
        "median": statistics.median(vals),
        "min": min(vals),
        "max": max(vals),
        "values": vals,
    }


def _status_kb(field: str) -> float | None:
    """A kB field of /proc/self/status (Linux), or None."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return float(line.split()[1])
    except OSError:
        pass
    return None


def peak_rss_mib() -> dict:
    """Peak resident memory of this process [MiB], two ways.

    ``vmhwm`` is the kernel's high-water mark of this process's own address space
    (/proc/self/status VmHWM). ``ru_maxrss`` is getrusage(RUSAGE_SELF); on Linux it is
    carried across execve, so a child can report its *parent's* peak if the parent was
    larger when it spawned the child. Workers are spawned from a small parent, but the
    reported peak is VmHWM where available for that reason.
    """
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    maxrss_mib = maxrss / 1024 if sys.platform != "darwin" else maxrss / 2**20
    hwm = _status_kb("VmHWM")
    return {
        "peak_rss_mib": hwm / 1024 if hwm is not None else maxrss_mib,
        "ru_maxrss_mib": maxrss_mib,
        "source": "VmHWM" if hwm is not None else "ru_maxrss",
    }


def current_rss_mib() -> float | None:
    rss = _status_kb("VmRSS")
    return rss / 1024 if rss is not None else None


def cpu_model() -> str | None:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def memory_gib() -> float | None:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return round(float(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return None


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def machine() -> dict:
    """The machine and software the figures were measured on. Versions come from
    package metadata, so the orchestrating process stays small."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "cpu_model": cpu_model(),
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "memory_gib": memory_gib(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "numpy": _version("numpy"),
        "scipy": _version("scipy"),
        "mesa": _version("mesa"),
    }


def load_average() -> list[float] | None:
    """1, 5 and 15 minute load averages: other work on the machine skews timings."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def git_state() -> dict:
    """Commit of the working tree and whether sim/ had uncommitted changes."""

    def git(*args: str) -> str | None:
        try:
            out = subprocess.run(
                ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10, check=True
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return out.stdout.strip()

    status = git("status", "--porcelain", "--", "sim")
    return {"commit": git("rev-parse", "HEAD"), "sim_dirty": bool(status) if status is not None else None}


def in_fresh_process(task: str, **args) -> dict:
    """Run `benchmarks.worker` task in a new interpreter and return its JSON result."""
    env = os.environ.copy()
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    cmd = [sys.executable, "-m", "benchmarks.worker", task, json.dumps(args)]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark worker {task} {args} failed:\n{proc.stderr[-4000:]}")
    lines = proc.stdout.strip().splitlines()
    if not lines:
        raise RuntimeError(f"benchmark worker {task} printed no result:\n{proc.stderr[-4000:]}")
    return json.loads(lines[-1])
