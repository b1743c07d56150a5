"""coplan's desktop app (PySide6 + matplotlib). Start it with `coplan-gui` or `python -m ui`."""
