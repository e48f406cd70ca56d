"""`python -m demodeck` runs the same CLI as the `demodeck` script."""

from demodeck.cli import main

raise SystemExit(main())
