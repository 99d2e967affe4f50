"""The `egov` app: every command module registers its commands here, in the order
`egov --help` lists them."""

from __future__ import annotations

import typer

from sim.cli import reports, scenarios, sweeps, teaching

app = typer.Typer(
    help="Agent-based simulation of e-government adoption (Kazakhstan, 2005 onward).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

scenarios.register(app)  # run, validate, scenarios, schema
reports.register(app)  # report, compare
sweeps.register(app)  # sweep, summarize
teaching.register(app)  # app (the teaching page)


def main() -> None:
    app(prog_name="egov")
