"""`python -m northstar ...`: see northstar.cli."""

from northstar.cli import main

raise SystemExit(main())
