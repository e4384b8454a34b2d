"""Flow segments: touching objects that move each their own way are proposed apart."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

from sam2_autotrack.backends.local import ProposalOptions
from sam2_autotrack.backends.local.alignment import aligned_difference
from sam2_autotrack.backends.local.flow_segments import flow_segments, superpixel_flow
from sam2_autotrack.backends.local.motion import camera_residual_flow, residual_motion
from sam2_autotrack.backends.local.motion_segments import motion_map
from sam2_autotrack.backends.local.proposals import propose_masks

SIZE = (180, 240)


def _texture(rng: np.random.Generator, shape: tuple[int, int], level: float) -> NDArray[np.uint8]:
    noise = cv2.GaussianBlur(rng.random(shape).astype(np.float32), (0, 0), 1.5)
    noise = (noise - noise.min()) / max(1e-6, float(np.ptp(noise)))
    grey = np.clip(level + 60.0 * (noise - 0.5), 0, 255).astype(np.uint8)
    return np.repeat(grey[..., None], 3, axis=2)


def _clip(
    velocities: tuple[tuple[float, float], tuple[float, float]], turn_deg: float = 0.0
) -> tuple[NDArray[np.uint8], NDArray[np.bool_], NDArray[np.bool_]]:
    """Draw two textured squares side by side on a still texture, each moving its own way.

    Returns the frames and the two squares' frame-0 masks. With ``turn_deg`` the pair is one
    rigid body instead: it turns by that much per frame about its centre as it moves.
    """
    rng = np.random.default_rng(3)
    background = _texture(rng, SIZE, 120.0)
    sprites = [_texture(rng, (40, 40), 150.0), _texture(rng, (40, 40), 95.0)]
    frames = []
    masks: list[NDArray[np.bool_]] = []
    for t in range(12):
        frame = background.copy()
        if turn_deg:
            body = np.hstack(sprites)
            canvas = np.zeros((*SIZE, 3), np.uint8)
            inside = np.zeros(SIZE, np.uint8)
            cx, cy = 80 + velocities[0][0] * t, 90 + velocities[0][1] * t
            canvas[70:110, 40:120] = body
            inside[70:110, 40:120] = 1
            move = cv2.getRotationMatrix2D((80.0, 90.0), turn_deg * t, 1.0)
            move[:, 2] += (cx - 80, cy - 90)
            canvas = cv2.warpAffine(canvas, move, SIZE[::-1], flags=cv2.INTER_LINEAR)
            inside = cv2.warpAffine(inside, move, SIZE[::-1], flags=cv2.INTER_NEAREST)
            frame[inside > 0] = canvas[inside > 0]
            if t == 0:
                masks = [np.zeros(SIZE, bool), np.zeros(SIZE, bool)]
                masks[0][70:110, 40:80] = True
                masks[1][70:110, 80:120] = True
        else:
            for k, (sprite, (vx, vy)) in enumerate(zip(sprites, velocities, strict=True)):
                top, left = round(70 + vy * t), round(40 + 40 * k + vx * t)
                frame[top : top + 40, left : left + 40] = sprite
                if t == 0:
                    mask = np.zeros(SIZE, bool)
                    mask[top : top + 40, left : left + 40] = True
                    masks.append(mask)
        frames.append(frame)
    return np.stack(frames), masks[0], masks[1]


def _segments(frames: NDArray[np.uint8]) -> list[NDArray[np.bool_]]:
    motion = residual_motion(frames)
    assert motion is not None
    superpixels = motion_map(frames[0], motion.evidence, aligned_difference(frames))
    flow, valid = camera_residual_flow(frames[0], frames[8])
    return flow_segments(superpixels, flow, valid)


def _iou(a: NDArray[np.bool_], b: NDArray[np.bool_]) -> float:
    return float((a & b).sum()) / max(1.0, float((a | b).sum()))


def test_touching_objects_moving_apart_are_proposed_one_by_one() -> None:
    frames, left, right = _clip(((-1.0, 0.0), (0.0, 1.0)))
    segments = _segments(frames)
    assert segments, "the pair moves two ways: expected its groups"
    for square in (left, right):
        best = max(_iou(square, s) for s in segments)
        assert best >= 0.6, f"best IoU with a square {best:.2f}"
    # no segment holds both
    for s in segments:
        assert min((s & left).sum(), (s & right).sum()) < 0.3 * left.sum()


def test_a_turning_rigid_body_is_not_split() -> None:
    frames, _, _ = _clip(((1.0, 0.5), (1.0, 0.5)), turn_deg=1.5)
    assert _segments(frames) == []


def test_objects_moving_together_are_not_split() -> None:
    frames, _, _ = _clip(((1.0, 0.5), (1.0, 0.5)))
    assert _segments(frames) == []


@pytest.mark.parametrize("trusted_share", [0.0, 0.2])
def test_superpixels_with_too_little_trusted_flow_are_unknown(trusted_share: float) -> None:
    labels = np.zeros((10, 10), np.int32)
    labels[:, 5:] = 1
    flow = np.full((10, 10, 2), 2.0, np.float32)
    valid = np.ones((10, 10), bool)
    valid[:, :5] = False
    valid[: round(10 * trusted_share), :5] = True
    before = flow.copy()
    flows, known = superpixel_flow(labels, flow, valid)
    assert known.tolist() == [False, True]
    assert flows[0].tolist() == [0.0, 0.0]
    assert flows[1].tolist() == [2.0, 2.0]
    np.testing.assert_array_equal(flow, before)


@pytest.mark.parametrize("enabled", [True, False])
def test_proposals_part_look_alike_movers_only_with_flow_segments(enabled: bool) -> None:
    # both squares and the floor share one texture: only their motions tell them apart
    rng = np.random.default_rng(5)
    background = _texture(rng, SIZE, 120.0)
    sprites = [_texture(rng, (40, 40), 120.0), _texture(rng, (40, 40), 120.0)]
    frames = []
    for t in range(12):
        frame = background.copy()
        frame[70:110, 40 - t : 80 - t] = sprites[0]
        frame[70 + t : 110 + t, 80:120] = sprites[1]
        frames.append(frame)
    left = np.zeros(SIZE, bool)
    left[70:110, 40:80] = True
    right = np.zeros(SIZE, bool)
    right[70:110, 80:120] = True
    options = ProposalOptions(flow_segments=enabled)
    proposals = propose_masks(frames[0], video_frames=np.stack(frames[1:]), options=options)
    best = [max(_iou(square, m) for m in proposals.masks) for square in (left, right)]
    # the motion cues see one blob of both; only the flow parts them (here, the left one)
    if enabled:
        assert max(best) >= 0.8, best
    else:
        assert max(best) < 0.6, best
