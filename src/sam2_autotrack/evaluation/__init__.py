"""sam2_autotrack.evaluation."""
