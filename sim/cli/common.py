"""What every `egov` subcommand shares: the consoles and how bad input is reported
(one line per problem on stderr, exit status 2, a traceback only with --debug)."""

from __future__ import annotations

import typer
from rich.console import Console

out_console = Console(soft_wrap=True)
if not out_console.is_terminal:  # files and pipes get whole tables, not 80 columns
    out_console = Console(soft_wrap=True, width=160)
err_console = Console(stderr=True)


class BadInput(Exception):
    """Input the user can fix: reported without traceback, exit status 2."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def fail(problems: list[str], debug: bool, error: BaseException | None = None) -> None:
    if debug and error is not None:
        raise error
    for line in problems:
        err_console.print(f"[bold red]error[/]: {line}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)
