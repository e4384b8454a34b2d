"""sam2_autotrack.backends."""
