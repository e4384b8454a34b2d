import numpy as np
import pytest

from sam2_autotrack import ConfigError
from sam2_autotrack.export.palette import object_colors
from sam2_autotrack.viz import palette


def test_object_colours_are_distinct_stable_and_prefix_consistent() -> None:
    colors = object_colors(60)
    assert colors.shape == (60, 3)
    assert colors.dtype == np.uint8
    assert len({tuple(c) for c in colors.tolist()}) == 60
    assert np.array_equal(object_colors(60), colors)
    for n in (1, 4, 11, 30):
        assert np.array_equal(object_colors(n), colors[:n])


def test_pictures_and_the_overlay_video_share_one_palette() -> None:
    # From the 4th object on, the two palettes used to differ.
    assert np.array_equal(palette(25), object_colors(25))


def test_negative_count_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=">= 0"):
        object_colors(-1)
