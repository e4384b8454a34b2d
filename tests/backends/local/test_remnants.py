"""Static remnants: a track sheds the static patch its first region held once the object moves.

Objects that keep still, and objects without a remnant, keep everything.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from local_clips import grass_texture, iou, texture
from sam2_autotrack.backends.local import TrackerOptions
from sam2_autotrack.backends.local.propagation import LabelPropagator
from sam2_autotrack.backends.local.remnants import RemnantShedder, relative_motion
from sam2_autotrack.errors import ConfigError


def shadow_clip(
    frames: int = 40, speed: int = 2, still: bool = False
) -> tuple[NDArray[np.uint8], NDArray[np.bool_], NDArray[np.bool_]]:
    """Build a grey textured disc beside a dark static shadow on grass; the disc moves away.

    Returns the ``(T, H, W, 3)`` frames, the disc's ``(T, H, W)`` truth and the shadow's
    ``(H, W)`` region (static; the disc never covers it).
    """
    rng = np.random.default_rng(5)
    height, width = 140, 240
    grass = grass_texture(rng, (height, width))
    dark = np.stack([texture(rng, (height, width), 10, 35)] * 3, axis=-1)
    grey = np.kron(rng.uniform(120, 220, (height, width // 2)), np.ones((1, 2)))
    grey_rgb = np.stack([grey, grey, grey + 8], axis=-1)
    yy, xx = np.mgrid[0:height, 0:width]
    shadow = (np.abs(xx - 48) <= 18) & (np.abs(yy - 85) <= 22)
    out = np.zeros((frames, height, width, 3), np.uint8)
    truth = np.zeros((frames, height, width), bool)
    for t in range(frames):
        step = 0 if still else speed * t
        cx, cy = 90 + step, 85 - step // 3
        disc = (xx - cx) ** 2 + (yy - cy) ** 2 <= 25**2
        disc_tex = np.roll(np.roll(grey_rgb, step, axis=1), -(step // 3), axis=0)
        img = np.where(shadow[..., None], dark, grass)
        img = np.where(disc[..., None], disc_tex, img)
        truth[t] = disc
        out[t] = np.clip(img + rng.normal(0, 2, img.shape), 0, 255).astype(np.uint8)
    return out, truth, shadow & ~truth[0]


def track(
    frames: NDArray[np.uint8], first: NDArray[np.bool_], options: TrackerOptions
) -> list[NDArray[np.bool_]]:
    propagator = LabelPropagator(frames[0], first[None], options=options)
    return [propagator.step(frame)[0] for frame in frames[1:]]


@pytest.mark.parametrize("shedding", [True, False])
def test_a_moving_object_sheds_the_static_patch_its_first_region_held(shedding: bool) -> None:
    frames, truth, shadow = shadow_clip()
    first = truth[0] | shadow  # the frame-0 region took in the shadow beside the disc
    options = TrackerOptions() if shedding else TrackerOptions(remnant_ratio=0)
    masks = track(frames, first, options)
    kept = np.count_nonzero(masks[-1] & shadow) / np.count_nonzero(shadow)
    if shedding:
        assert kept <= 0.05, f"the track kept {kept:.0%} of the shadow"
        assert iou(masks[-1], truth[-1]) >= 0.85
    else:
        # the leak this option exists for: without it the shadow stays in the track
        assert kept >= 0.5
        assert iou(masks[-1], truth[-1]) < 0.7


def test_an_object_that_keeps_still_sheds_nothing() -> None:
    frames, truth, shadow = shadow_clip(still=True)
    first = truth[0] | shadow  # still: nothing tells the shadow from the object
    masks = track(frames, first, TrackerOptions())
    assert iou(masks[-1], first) >= 0.95


def test_a_moving_object_alone_keeps_itself_whole() -> None:
    frames, truth, _ = shadow_clip()
    masks = track(frames, truth[0], TrackerOptions())
    assert min(iou(m, t) for m, t in zip(masks, truth[1:], strict=True)) >= 0.85


def test_relative_motion_is_measured_against_the_affine_flow_of_the_background() -> None:
    labels = np.zeros((40, 60), np.uint8)
    labels[10:20, 10:20] = 1
    gx, gy = np.meshgrid(np.arange(60, dtype=np.float32), np.arange(40, dtype=np.float32))
    flow = np.stack([0.1 * gx + 1.0, -0.05 * gy], axis=-1).astype(np.float32)
    flow[labels == 1] += (3.0, 4.0)  # the object moves its own way: not part of the model
    relative = relative_motion(labels, flow, (gx, gy))
    np.testing.assert_allclose(relative[labels == 0], 0.0, atol=1e-3)
    np.testing.assert_allclose(relative[labels == 1], 5.0, atol=1e-3)


def test_pixels_age_while_they_keep_still_and_new_objects_start_young() -> None:
    labels = np.zeros((30, 40), np.uint8)
    labels[2:8, 2:8] = 1
    options = TrackerOptions(remnant_frames=3)
    shedder = RemnantShedder(labels, options)
    gx, gy = np.meshgrid(np.arange(40, dtype=np.float32), np.arange(30, dtype=np.float32))
    relative = np.zeros((30, 40), np.float32)
    relative[2:5, 2:8] = 2.0  # the top half of the object moves
    for _ in range(3):
        shedder.advance(labels, relative, (gx, gy))
        shedder.observe(labels, labels, relative, np.zeros((30, 40), np.int64), None)
    assert np.array_equal(shedder.still, (labels == 1) & (relative == 0))
    labels[20:25, 20:30] = 2
    shedder.add_objects(labels, 1)
    assert shedder.count == 2
    assert not shedder.still[labels == 2].any()
    assert shedder.still[6, 6]


def test_remnant_options_are_checked() -> None:
    with pytest.raises(ConfigError, match="remnant_ratio"):
        TrackerOptions(remnant_ratio=-1)


def test_an_object_seeded_over_a_large_share_of_the_frame_sheds_nothing() -> None:
    # a close-up subject's still parts look unlike its moving core as much as a remnant does
    # (a talking head's suit): above remnant_max_object_fraction nothing is shed
    frames, truth, shadow = shadow_clip()
    first = truth[0] | shadow
    share = float(first.mean())
    large = TrackerOptions(remnant_max_object_fraction=0.9 * share)
    masks = track(frames, first, large)
    assert np.count_nonzero(masks[-1] & shadow) >= 0.5 * np.count_nonzero(shadow)
    small = TrackerOptions(remnant_max_object_fraction=1.1 * share)
    masks = track(frames, first, small)
    assert np.count_nonzero(masks[-1] & shadow) <= 0.05 * np.count_nonzero(shadow)
