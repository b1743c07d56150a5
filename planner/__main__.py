"""`python -m planner` runs the coplan command."""

import sys

from planner.cli import main

sys.exit(main())
