"""Label propagation: translation, occlusion, leak control, checked inputs."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

from local_clips import (
    grass_texture,
    iou,
    two_squares_clip,
)
from sam2_autotrack.backends.local import TrackerOptions
from sam2_autotrack.backends.local.propagation import LabelPropagator
from sam2_autotrack.errors import ConfigError, MaskError


def test_propagation_follows_a_translating_object_and_survives_occlusion() -> None:
    frames, truth = two_squares_clip()
    before = frames.copy()
    propagator = LabelPropagator(frames[0], truth[:, 0])
    for t in range(1, len(frames)):
        masks = propagator.step(frames[t])
        assert masks.shape == (2, *frames.shape[1:3])
        # square A is tracked accurately before B reaches it (B covers A from frame 10 on)
        if t < 10:
            assert iou(masks[0], truth[0, t]) >= 0.85, f"frame {t}"
        # identities never swap: each label overlaps its own object more than the other
        for k in range(2):
            own = np.count_nonzero(masks[k] & truth[k, t])
            other = np.count_nonzero(masks[k] & truth[1 - k, t])
            assert own >= other, f"frame {t}: object {k} drifted onto the other one"
    assert iou(masks[1], truth[1, -1]) >= 0.8
    np.testing.assert_array_equal(frames, before)


def grey_neighbours_clip(frames: int = 22) -> tuple[NDArray[np.uint8], NDArray[np.bool_]]:
    """Build a static grey rock and a same-coloured grey disc walking past it, touching it.

    Returns the ``(T, H, W, 3)`` frames (green grass background) and the rock's ``(T, H, W)``
    visible-pixel ground truth.
    """
    rng = np.random.default_rng(11)
    height, width = 120, 200
    grass = grass_texture(rng, (height, width))
    # fine-grained texture, so the flow is sharp at the contact of the two grey things
    grey = np.kron(rng.uniform(90, 180, (height // 2, width // 2)), np.ones((2, 2)))
    grey_rgb = np.stack([grey, grey, grey + 5], axis=-1)
    yy, xx = np.mgrid[0:height, 0:width]
    rock = (np.abs(xx - 50) <= 18) & (np.abs(yy - 75) <= 15)
    out = np.zeros((frames, height, width, 3), np.uint8)
    truth = np.zeros((frames, height, width), bool)
    for t in range(frames):
        # the disc walks up past the rock's right side, touching it
        cx, cy = 94, 110 - 6 * t
        disc = (xx - cx) ** 2 + (yy - cy) ** 2 <= 24**2
        disc_tex = np.roll(grey_rgb, -6 * t, axis=0)
        img = np.where(rock[..., None], grey_rgb, grass)
        img = np.where(disc[..., None], disc_tex, img)
        truth[t] = rock & ~disc
        out[t] = np.clip(img + rng.normal(0, 2, img.shape), 0, 255).astype(np.uint8)
    return out, truth


@pytest.mark.parametrize("leak_control", [True, False])
def test_static_object_does_not_swallow_a_same_colour_mover(leak_control: bool) -> None:
    frames, truth = grey_neighbours_clip()
    # in this small frame a full-resolution flow and re-placing the small rock by its own look
    # also keep it off the disc: both are switched off here to see leak control alone
    options = TrackerOptions(leak_control=leak_control, follow_max_area=0, flow_finest_scale=2)
    propagator = LabelPropagator(frames[0], truth[None, 0], options=options)
    ious = [iou(propagator.step(frame)[0], truth[t]) for t, frame in enumerate(frames[1:], 1)]
    if leak_control:
        assert min(ious) >= 0.8, f"the rock leaked onto the disc: IoU {min(ious):.2f}"
    else:
        # the leak this option exists for: without it the rock grows onto the grey disc
        assert min(ious) < 0.8


def tiny_mover_clip(frames: int = 12) -> tuple[NDArray[np.uint8], NDArray[np.bool_]]:
    """Build a 5×33 bar moving up 2.2 px a frame over a 320×240 camouflage of its own hues.

    Returns the ``(T, H, W, 3)`` frames and the bar's ``(T, H, W)`` masks.
    """
    rng = np.random.default_rng(4)
    height, width = 240, 320
    noise = cv2.GaussianBlur(rng.normal(0, 1, (height, width)).astype(np.float32), (0, 0), 8)
    tones = np.digitize(noise, np.quantile(noise, [0.35, 0.7]))
    palette = np.array([[40, 100, 90], [80, 130, 118], [120, 170, 160]], np.float32)
    back = palette[tones]
    yy, xx = np.mgrid[0:height, 0:width]
    out = np.zeros((frames, height, width, 3), np.uint8)
    truth = np.zeros((frames, height, width), bool)
    for t in range(frames):
        bar = (np.abs(yy - (150 - 2.2 * t)) <= 2.5) & (np.abs(xx - 160) <= 16)
        img = np.where(bar[..., None], np.array([68, 142, 127], np.float32), back)
        out[t] = np.clip(img + rng.normal(0, 3, img.shape), 0, 255).astype(np.uint8)
        truth[t] = bar
    return out, truth


def test_a_tiny_mover_on_its_own_hues_is_followed_not_left_behind() -> None:
    frames, truth = tiny_mover_clip()

    def ious(options: TrackerOptions) -> list[float]:
        propagator = LabelPropagator(frames[0], truth[None, 0], options=options)
        return [iou(propagator.step(f)[0], truth[t]) for t, f in enumerate(frames[1:], 1)]

    followed = ious(TrackerOptions())
    assert min(followed) >= 0.6, [round(v, 2) for v in followed]
    # what the template match is for: the flow alone averages the bar with the still
    # background and leaves it behind
    flow_only = ious(TrackerOptions(follow_max_area=0))
    assert flow_only[-1] < 0.4, [round(v, 2) for v in flow_only]


def test_propagator_validates_shapes() -> None:
    frame = np.zeros((30, 40, 3), np.uint8)
    with pytest.raises(MaskError, match="masks must be"):
        LabelPropagator(frame, np.zeros((1, 20, 40), bool))
    propagator = LabelPropagator(frame, np.ones((1, 30, 40), bool))
    with pytest.raises(MaskError, match="frame must be"):
        propagator.step(np.zeros((30, 41, 3), np.uint8))


@pytest.mark.parametrize("order", ["object_first", "region_first"])
def test_a_small_object_inside_a_large_initial_region_keeps_its_pixels(order: str) -> None:
    # a region drawn around an object (a cut-out that took the object in) must not take the
    # object's pixels, whichever comes first in the mask stack
    frames, truth = two_squares_clip()
    region = np.zeros_like(truth[0, 0])
    region[2:-2, 2:-2] = True
    masks = np.stack([truth[0, 0], region])
    if order == "region_first":
        masks = masks[::-1].copy()
    k = 0 if order == "object_first" else 1
    propagator = LabelPropagator(frames[0], masks)
    for t in range(1, 6):
        out = propagator.step(frames[t])
        assert iou(out[k], truth[0, t]) >= 0.85, f"frame {t}"


def test_flow_options_are_checked_and_reach_the_flow() -> None:
    for bad in ({"flow_finest_scale": -1}, {"flow_refinement": -1}, {"follow_search": 0}):
        with pytest.raises(ConfigError, match=next(iter(bad))):
            TrackerOptions(**bad)
    frames, truth = tiny_mover_clip(frames=2)
    options = TrackerOptions(flow_finest_scale=0, flow_refinement=3)
    propagator = LabelPropagator(frames[0], truth[None, 0], options=options)
    dis = propagator._dis
    assert (dis.getFinestScale(), dis.getVariationalRefinementIterations()) == (0, 3)
    preset = LabelPropagator(
        frames[0],
        truth[None, 0],
        options=TrackerOptions(flow_finest_scale=None, flow_refinement=None),
    )._dis
    assert (preset.getFinestScale(), preset.getVariationalRefinementIterations()) == (2, 0)
