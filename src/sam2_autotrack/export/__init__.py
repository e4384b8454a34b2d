"""sam2_autotrack.export."""
