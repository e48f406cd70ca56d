"""`python -m demodeck` runs the same program as the `demodeck` script."""

from demodeck.cli import run

raise SystemExit(run())
