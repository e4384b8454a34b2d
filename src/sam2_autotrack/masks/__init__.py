"""sam2_autotrack.masks."""
