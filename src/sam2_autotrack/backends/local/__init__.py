"""sam2_autotrack.backends.local."""
