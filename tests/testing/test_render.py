"""Tests of the scene building blocks: scene, shapes, textures and render."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from sam2_autotrack.errors import SyntheticClipError
from sam2_autotrack.testing.render import paste, render
from sam2_autotrack.testing.scene import Scene, SceneObject, follow
from sam2_autotrack.testing.shapes import SHAPES, shape_mask
from sam2_autotrack.testing.textures import lowpass_noise, object_texture


@pytest.mark.parametrize("shape", SHAPES)
def test_every_shape_is_one_centred_piece(shape: str) -> None:
    mask = shape_mask(shape, 64, np.random.default_rng(0))
    assert mask.shape == (64, 64)
    assert set(np.unique(mask)) == {0, 1}
    assert 0.15 < mask.mean() < 0.75, mask.mean()
    _, pieces = ndimage.label(mask)
    assert pieces == 1
    ys, xs = np.nonzero(mask)
    assert abs(xs.mean() - 31.5) < 12
    assert abs(ys.mean() - 31.5) < 12
    assert not mask[0].any(), "drawn inside the square"
    assert not mask[:, 0].any(), "drawn inside the square"


def test_unknown_shape_names_the_choices() -> None:
    with pytest.raises(SyntheticClipError, match="ellipse"):
        shape_mask("pentagram", 32, np.random.default_rng(0))


def test_follow_passes_through_every_waypoint_without_jumps() -> None:
    path = ((0.0, 0.1, 0.9), (0.4, 0.5, 0.2), (1.0, 0.7, 0.6))
    xs, ys = follow(path, np.array([0.0, 0.4, 1.0]))
    assert np.allclose(xs, [0.1, 0.5, 0.7])
    assert np.allclose(ys, [0.9, 0.2, 0.6])
    u = np.linspace(0.0, 1.0, 2001)
    xs, ys = follow(path, u)
    assert np.abs(np.diff(xs)).max() < 2e-3
    assert np.abs(np.diff(ys)).max() < 2e-3
    still_x, still_y = follow(((0.0, 0.3, 0.4),), u)
    assert (still_x == 0.3).all()
    assert (still_y == 0.4).all()


def test_textures_are_in_range_and_reproducible() -> None:
    noise = lowpass_noise(np.random.default_rng(1), (40, 50), 8.0)
    assert noise.dtype == np.float32
    assert noise.min() == 0.0
    assert noise.max() == 1.0
    a = object_texture(32, 100.0, 170.0, "stripes", np.random.default_rng(2))
    b = object_texture(32, 100.0, 170.0, "stripes", np.random.default_rng(2))
    assert a.shape == (32, 32, 3)
    assert a.dtype == np.uint8
    assert np.array_equal(a, b)
    assert a.reshape(-1, 3).std(axis=0).max() > 5, "a pattern, not a flat colour"


def _sprite(size: int, colour: tuple[int, int, int]) -> np.ndarray:
    rgba = np.zeros((size, size, 4), np.uint8)
    rgba[..., :3] = colour
    rgba[..., 3] = 255
    return rgba


def test_paste_paints_back_to_front_and_ignores_sprites_outside() -> None:
    frame = np.zeros((40, 60, 3), np.uint8)
    label = np.zeros((40, 60), np.uint8)
    paste(frame, label, 1, _sprite(20, (200, 0, 0)), 25.0, 20.0, 0.0, 1.0)
    paste(frame, label, 2, _sprite(10, (0, 200, 0)), 30.0, 20.0, 0.0, 1.0)
    assert label[20, 30] == 2
    assert frame[20, 30].tolist() == [0, 200, 0]
    assert label[20, 18] == 1
    assert frame[20, 18].tolist() == [200, 0, 0]
    assert label[0, 0] == 0
    assert not frame[0, 0].any()
    before_frame, before_label = frame.copy(), label.copy()
    paste(frame, label, 3, _sprite(10, (0, 0, 200)), -100.0, -100.0, 0.0, 1.0)
    assert np.array_equal(frame, before_frame)
    assert np.array_equal(label, before_label)


def test_render_masks_hold_only_visible_pixels() -> None:
    still = ((0.0, 0.5, 0.5),)
    scene = Scene(
        objects=(
            SceneObject("disk", 0.08, still, 20.0, "noise", wobble=0.0, scale_amp=0.0),
            SceneObject("disk", 0.02, still, 120.0, "stripes", wobble=0.0, scale_amp=0.0),
        ),
        pan_xy=(0.0, 0.0),
    )
    frames, masks = render(scene, 96, 64, 2, np.random.default_rng(0))
    back, front = masks["gt_1"], masks["gt_2"]
    assert frames.shape == (2, 64, 96, 3)
    assert front[:, 32, 48].all()
    assert not back[:, 32, 48].any(), "the front disk hides the back"
    assert not (back & front).any()
    assert (ndimage.binary_fill_holes(back[0]) & ~back[0]).sum() == front[0].sum()
