"""sam2_autotrack.video."""
