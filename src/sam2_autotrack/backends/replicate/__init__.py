"""sam2_autotrack.backends.replicate."""
