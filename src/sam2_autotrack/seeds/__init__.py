"""sam2_autotrack.seeds."""
