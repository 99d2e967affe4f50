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
        sys.exit(130)
    egov()


def __getattr__(name: str):  # `from sim.cli import app`, loaded on first use (PEP 562)
    if name == "app":
        from sim.cli.commands import app

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
