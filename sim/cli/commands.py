"""The `egov` app: every command module registers its commands here, in the order
`egov --help` lists them."""

from __future__ import annotations

import typer

from sim.cli import calibrate, reports, scenarios, sweeps, teaching

app = typer.Typer(
    help="Agent-based simulation of e-government adoption (Kazakhstan, 2005 onward).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

scenarios.register(app)  # run, validate, scenarios, schema
reports.register(app)  # report, compare
sweeps.register(app)  # sweep, summarize
calibrate.register(app)  # calibrate, validation
teaching.register(app)  # app (the teaching page)


def main() -> None:
    """`egov`. A bad option or option value gets one line naming the option and the
    command's --help, exit status 2 (click's usage box is for `--help`)."""
    import sys

    import click

    try:  # typer >= 0.26 carries its own copy of click
        from typer._click import exceptions as cx
    except ImportError:  # pragma: no cover
        from click import exceptions as cx

    from sim.cli.common import err_console

    try:
        code = app(prog_name="egov", standalone_mode=False)
    except cx.NoArgsIsHelpError as e:
        click.echo(e.ctx.get_help() if e.ctx else "", err=True)
        sys.exit(2)
    except cx.UsageError as e:
        where = (
            f"egov {e.ctx.command_path.split(' ', 1)[1]}" if e.ctx and " " in e.ctx.command_path else "egov"
        )
        err_console.print(
            f"[bold red]error[/]: {click.utils.strip_ansi(e.format_message())} (see {where} --help)",
            highlight=False,
            soft_wrap=True,
        )
        sys.exit(2)
    except (getattr(cx, "Abort", KeyboardInterrupt), KeyboardInterrupt):
        err_console.print("[bold red]error[/]: interrupted", highlight=False)
        sys.exit(130)
    except BrokenPipeError:  # the reader went away (`egov ... | head`): stop quietly
        _silence_stdout()
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush into a closed pipe does
    not print a second error (the recipe of the Python signal docs)."""
    import os
    import sys

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
