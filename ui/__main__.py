"""`python -m ui`: the desktop app."""

from ui.app import main

raise SystemExit(main())
