"""The command layer: the `egov` command (also `python -m sim`), on top of everything else.

main (the app and `main()`, the console entry point), common (consoles, how bad input
is reported), and one module per group of commands: scenarios (run, validate,
scenarios, schema), reports (report, compare), sweeps (sweep, summarize), teaching
(app: the interactive page in sim/app). Each command
imports what it needs when it runs, so `egov --help` starts fast. See
docs/architecture.md.
"""

from sim.cli.main import app, main

__all__ = ["app", "main"]
