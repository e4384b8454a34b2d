"""sam2_autotrack.testing."""
