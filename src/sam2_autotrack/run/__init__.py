"""sam2_autotrack.run."""
