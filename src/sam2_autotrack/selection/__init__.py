"""sam2_autotrack.selection."""
