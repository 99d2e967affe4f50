"""`egov app`: the interactive teaching page (Mesa SolaraViz, served by Solara) for
live lectures, offline, bound to 127.0.0.1 by default."""

from __future__ import annotations

from typing import Annotated

import typer

from sim.cli.common import BadInput, err_console, fail, out_console


def app_command(
    scenario: Annotated[
        str,
        typer.Argument(
            help="Scenario to open with: a shipped name (teaching/tipping_point, kazakhstan_baseline) "
            "or a file."
        ),
    ] = "teaching/tipping_point",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8765,
    host: Annotated[
        str,
        typer.Option(help="Address to bind; other than loopback makes the page reachable from the network."),
    ] = "127.0.0.1",
    seed: Annotated[
        int | None, typer.Option(min=0, max=2**32 - 1, help="Seed (default: the scenario's).")
    ] = None,
    debug: Annotated[bool, typer.Option(help="Show tracebacks.")] = False,
) -> None:
    """Start the interactive teaching page: pick a scenario, change policies and feedbacks,
    play the model and see the previous settings' run as a ghost line."""
    from sim.experiments import scenario as scenarios

    try:
        scenarios.load(scenario)
    except scenarios.ScenarioError as e:
        fail(e.problems, debug, e)
    try:
        import mesa.visualization  # noqa: F401
        import solara  # noqa: F401
    except ImportError as e:
        fail(
            [f"the app needs Mesa's visualization stack ({e.name} is missing): pip install -e '.[app]'"],
            debug,
            e,
        )
    from sim.app.server import is_loopback, serve

    if not is_loopback(host):
        err_console.print(
            f"[bold yellow]warning[/]: binding to {host}: anyone who can reach this machine on port "
            f"{port} can use the page and run the model (no authentication); use 127.0.0.1 for a lecture "
            "on this laptop",
            highlight=False,
        )
    out_console.print(
        f"egov app: http://{'127.0.0.1' if host == '0.0.0.0' else host}:{port}/  (Ctrl-C stops)"
    )
    try:
        serve(scenario, host=host, port=port, seed=seed)
    except OSError as e:
        fail([f"cannot serve on {host}:{port}: {e.strerror or e}"], debug, e)
    except BadInput as e:
        fail(e.problems, debug, e)


def register(app: typer.Typer) -> None:
    """Add `app` to the `egov` app."""
    app.command("app")(app_command)
