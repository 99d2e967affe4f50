"""Serve the teaching page (sim/app/page.py) with Solara's server, offline: no browser
is opened, Solara's version check (a request to pypi.org) is off, and nothing is
auto-restarted. Bound to 127.0.0.1 unless another host is asked for."""

from __future__ import annotations

import ipaddress
import os

LOOPBACK = "127.0.0.1"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(scenario: str, host: str = LOOPBACK, port: int = 8765, seed: int | None = None) -> None:
    """Start the page's server in this process; returns when the server stops."""
    from solara.__main__ import cli

    os.environ["EGOV_APP_SCENARIO"] = scenario
    if seed is not None:
        os.environ["EGOV_APP_SEED"] = str(seed)
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    args = [
        "run",
        "sim.app.page:Page",
        "--host",
        host,
        "--port",
        str(port),
        "--production",
        "--no-open",
        "--no-check-version",
        "--theme-variant",
        "light",
    ]
    cli.main(args=args, prog_name="egov app", standalone_mode=False)
