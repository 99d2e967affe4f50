"""`python -m sim` is the `egov` command."""

from sim.cli import main

main()
