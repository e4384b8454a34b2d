"""Tests of sam2_autotrack.viz.overlay and the palette alias: the coloured fill of every picture."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from sam2_autotrack.errors import ConfigError, MaskError
from sam2_autotrack.export.palette import object_colors
from sam2_autotrack.viz import overlay_masks, palette

H, W = 120, 160


def _image(seed: int = 0) -> NDArray[np.uint8]:
    rng = np.random.default_rng(seed)
    return rng.integers(60, 120, size=(H, W, 3), dtype=np.uint8)


def _rect(y0: int, y1: int, x0: int, x1: int) -> NDArray[np.bool_]:
    mask = np.zeros((H, W), dtype=bool)
    mask[y0:y1, x0:x1] = True
    return mask


def test_palette_colours_are_distinct_and_stable() -> None:
    colours = palette(25)
    assert colours.shape == (25, 3)
    assert colours.dtype == np.uint8
    assert len({tuple(c) for c in colours.tolist()}) == 25
    assert np.array_equal(palette(5), colours[:5])


def test_overlay_paints_only_inside_masks_and_leaves_input_untouched() -> None:
    image = _image()
    before = image.copy()
    masks = np.stack([_rect(10, 50, 10, 60), _rect(60, 100, 80, 150)])
    colours = np.array([[255, 0, 0], [0, 0, 255]], np.uint8)
    out = overlay_masks(image, masks, colors=colours, alpha=1.0, outline=0)
    assert np.array_equal(image, before)
    assert (out[masks[0]] == colours[0]).all()
    assert (out[masks[1]] == colours[1]).all()
    outside = ~(masks[0] | masks[1])
    assert np.array_equal(out[outside], image[outside])


def test_overlay_blends_with_alpha() -> None:
    image = np.full((H, W, 3), 100, np.uint8)
    out = overlay_masks(image, _rect(0, 10, 0, 10), colors=np.array([[200, 0, 0]], np.uint8),
                        alpha=0.5, outline=0)  # fmt: skip
    assert out[5, 5].tolist() == [150, 50, 50]


def test_overlay_rejects_masks_of_another_size() -> None:
    with pytest.raises(MaskError, match="pixel space"):
        overlay_masks(_image(), np.zeros((1, H + 1, W), bool))


def test_palette_is_the_object_palette() -> None:
    assert palette is object_colors
    default = overlay_masks(_image(), _rect(0, 20, 0, 20), alpha=1.0, outline=0)
    assert default[10, 10].tolist() == object_colors(1)[0].tolist()


def test_overlay_options_are_checked_first() -> None:
    with pytest.raises(ConfigError, match="alpha"):
        overlay_masks(np.zeros((2, 2), np.uint8), np.zeros((1, 2, 2), bool), alpha=1.5)
    with pytest.raises(ConfigError, match="outline"):
        overlay_masks(_image(), _rect(0, 5, 0, 5), outline=-1)
    with pytest.raises(MaskError, match=r"colors must have shape \(1, 3\)"):
        overlay_masks(_image(), _rect(0, 5, 0, 5), colors=np.zeros((2, 3), np.uint8))
