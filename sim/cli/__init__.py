"""The command layer: the `egov` command (also `python -m sim`), on top of everything else.

commands (the app, and its `main()` that this package's `main()`, the console entry
point, calls), common (consoles, how bad input is reported), and one module per group of
commands: scenarios (run, validate, scenarios, schema), reports (report, compare), sweeps
(sweep, summarize), calibrate (calibrate, validation), teaching (app: the interactive
page in sim/app). Each command imports what it needs when it runs, so `egov --help`
starts fast. The app's module is not named main: importing it would replace this
package's `main` with the module. See
docs/architecture.md.
"""

import sys

__all__ = ["app", "main"]


def main() -> None:
    """The console entry point. It loads the commands inside, so a Ctrl-C while Python
    imports them ends as one during a command does: one line, exit status 130."""
    try:
        from sim.cli.commands import main as egov
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted while loading; nothing written\n")
        _forget_handled_interrupt()
        sys.exit(130)
    try:
        egov()
    finally:
        _forget_handled_interrupt()


def _forget_handled_interrupt() -> None:
    """Keep a handled Ctrl-C from turning exit 130 into death by SIGINT. CPython 3.12 notes
    a KeyboardInterrupt that ends code run from a string (`exec(str)`, as dataclasses and
    namedtuple do while modules load) even when a caller handles it, and `python -m sim`
    then kills itself with SIGINT at exit; the next string run clears that note."""
    exec("pass", {})


def __getattr__(name: str):  # `from sim.cli import app`, loaded on first use (PEP 562)
    if name == "app":
        from sim.cli.commands import app

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
