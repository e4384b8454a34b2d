"""The embedded CPU engine: proposals, initial regions, propagation and the LocalBackend."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

from sam2_autotrack.backends.base import Backend, MaskProposals
from sam2_autotrack.backends.local.backend import LocalBackend
from sam2_autotrack.backends.local.propagation import (
    LabelPropagator,
    TrackerOptions,
    initial_masks_from_clicks,
)
from sam2_autotrack.backends.local.proposals import ProposalOptions, propose_masks
from sam2_autotrack.clicks import Click, ClickSet
from sam2_autotrack.errors import BackendError, ClickError, MaskError, VideoNotFoundError
from sam2_autotrack.testing import SyntheticClip, make_clip

SMALL_WH = (320, 180)


def _iou(a: NDArray[np.bool_], b: NDArray[np.bool_]) -> float:
    union = np.count_nonzero(a | b)
    return 1.0 if union == 0 else np.count_nonzero(a & b) / union


def _texture(rng: np.random.Generator, shape: tuple[int, int], low: int, high: int) -> NDArray:
    noise = rng.random((shape[0] // 6 + 2, shape[1] // 6 + 2)).astype(np.float32)
    noise = cv2.resize(noise, (shape[1], shape[0]), interpolation=cv2.INTER_CUBIC)
    return np.clip(low + (high - low) * noise, 0, 255)


def _two_squares_clip(frames: int = 16) -> tuple[NDArray[np.uint8], NDArray[np.bool_]]:
    """Two textured squares on a textured background; square B slides over square A.

    Returns the ``(T, H, W, 3)`` frames and ``(2, T, H, W)`` visible-pixel ground truth.
    """
    rng = np.random.default_rng(7)
    height, width = 120, 200
    background = np.stack([_texture(rng, (height, width + 80), 70, 130)] * 3, axis=-1)
    background[..., 1] += 10
    tex_a = np.stack(
        [_texture(rng, (36, 36), 180, 250), _texture(rng, (36, 36), 20, 70), np.full((36, 36), 40)],
        axis=-1,
    )
    tex_b = np.stack(
        [
            np.full((30, 30), 30),
            _texture(rng, (30, 30), 60, 110),
            _texture(rng, (30, 30), 180, 250),
        ],
        axis=-1,
    )
    out = np.zeros((frames, height, width, 3), np.uint8)
    truth = np.zeros((2, frames, height, width), bool)
    for t in range(frames):
        pan = t
        img = background[:, pan : pan + width].copy()
        ay, ax = 40, 60 + t
        by, bx = 45, 150 - 5 * t
        img[ay : ay + 36, ax : ax + 36] = tex_a
        truth[0, t, ay : ay + 36, ax : ax + 36] = True
        bx0, bx1 = max(bx, 0), max(min(bx + 30, width), 0)
        if bx1 > bx0:
            img[by : by + 30, bx0:bx1] = tex_b[:, bx0 - bx : bx1 - bx]
            truth[1, t, by : by + 30, bx0:bx1] = True
        truth[0, t] &= ~truth[1, t]
        out[t] = np.clip(img + rng.normal(0, 2, img.shape), 0, 255).astype(np.uint8)
    return out, truth


def _write_video(frames: NDArray[np.uint8], path: Path) -> Path:
    clip = SyntheticClip(
        name=path.stem,
        frames=frames,
        masks={"gt_1": np.zeros(frames.shape[:3], bool)},
    )
    return clip.write(path.parent).video_path


def _centre_click(mask: NDArray[np.bool_], object_id: str) -> Click:
    depth = cv2.distanceTransform(np.pad(mask, 1).astype(np.uint8), cv2.DIST_L2, 5)[1:-1, 1:-1]
    y, x = np.unravel_index(int(np.argmax(depth)), depth.shape)
    return Click(x=int(x), y=int(y), object_id=object_id)


@pytest.fixture(scope="module")
def small_clip() -> SyntheticClip:
    return make_clip("rings_and_c", resolution_wh=SMALL_WH, frame_count=12)


# -- proposals -------------------------------------------------------------------------------


def test_proposals_hold_every_object(small_clip: SyntheticClip) -> None:
    frames = small_clip.frames
    proposals = propose_masks(frames[0], video_frames=frames[1:6])
    assert proposals.masks.shape[1:] == frames.shape[1:3]
    assert proposals.scores is not None
    assert np.all(np.diff(proposals.scores) <= 1e-12), "proposals come best first"
    for gt_id, gt in small_clip.masks.items():
        if gt[0].any():
            best = max(_iou(m, gt[0]) for m in proposals.masks)
            assert best >= 0.8, f"{gt_id}: best proposal IoU {best:.2f}"


def test_proposals_do_not_mutate_and_are_deterministic(small_clip: SyntheticClip) -> None:
    frames = small_clip.frames[:4].copy()
    before = frames.copy()
    first = propose_masks(frames[0], video_frames=frames[1:])
    second = propose_masks(frames[0], video_frames=frames[1:])
    np.testing.assert_array_equal(frames, before)
    np.testing.assert_array_equal(first.masks, second.masks)
    assert first.scores is not None
    assert second.scores is not None
    np.testing.assert_array_equal(first.scores, second.scores)


@pytest.mark.parametrize(
    "image",
    [
        np.zeros((40, 40), np.uint8),
        np.zeros((40, 40, 3), np.float32),
        np.zeros((4, 40, 3), np.uint8),
    ],
)
def test_proposals_reject_bad_images(image: NDArray) -> None:
    with pytest.raises(MaskError, match="image_rgb"):
        propose_masks(image)


def test_proposals_reject_mismatched_video_frames() -> None:
    image = np.zeros((40, 60, 3), np.uint8)
    with pytest.raises(MaskError, match="video_frames"):
        propose_masks(image, video_frames=np.zeros((2, 40, 50, 3), np.uint8))


# -- initial regions -------------------------------------------------------------------------


def test_initial_region_prefers_proposal_without_negatives() -> None:
    image = np.zeros((60, 80, 3), np.uint8)
    masks = np.zeros((2, 60, 80), bool)
    masks[0, 10:50, 10:70] = True  # object plus neighbour
    masks[1, 10:50, 10:40] = True  # the object alone
    clicks = ClickSet.build([Click(x=20, y=30), Click(x=60, y=30, label=0)], resolution_wh=(80, 60))
    out = initial_masks_from_clicks(
        image, clicks, proposals=MaskProposals(masks=masks, scores=np.array([0.9, 0.9]))
    )
    np.testing.assert_array_equal(out["obj_1"], masks[1])


def test_initial_region_falls_back_to_grabcut() -> None:
    rng = np.random.default_rng(3)
    image = np.stack([_texture(rng, (90, 120), 60, 120)] * 3, axis=-1).astype(np.uint8)
    truth = np.zeros((90, 120), bool)
    cv2.circle(truth.view(np.uint8), (60, 45), 18, 1, -1)
    image[truth] = (220, 40, 40)
    clicks = ClickSet.build([Click(x=60, y=45), Click(x=55, y=40)], resolution_wh=(120, 90))
    empty = MaskProposals(masks=np.zeros((1, 90, 120), bool))
    out = initial_masks_from_clicks(image, clicks, proposals=empty)
    assert _iou(out["obj_1"], truth) >= 0.85


def test_initial_region_grabcut_works_at_the_image_corner() -> None:
    image = np.full((60, 80, 3), 90, np.uint8)
    image[:20, :25] = (30, 200, 60)
    clicks = ClickSet.build([Click(x=2, y=2), Click(x=10, y=8)], resolution_wh=(80, 60))
    out = initial_masks_from_clicks(image, clicks)["obj_1"]
    assert out[2, 2]
    assert out[8, 10]
    assert not out[50, 70]


def test_initial_region_rejects_mismatched_proposals() -> None:
    image = np.zeros((60, 80, 3), np.uint8)
    clicks = ClickSet.build([Click(x=5, y=5)])
    wrong = MaskProposals(masks=np.ones((1, 30, 40), bool))
    with pytest.raises(MaskError, match="propose on the same frame"):
        initial_masks_from_clicks(image, clicks, proposals=wrong)


# -- propagation -----------------------------------------------------------------------------


def test_propagation_follows_a_translating_object_and_survives_occlusion() -> None:
    frames, truth = _two_squares_clip()
    before = frames.copy()
    propagator = LabelPropagator(frames[0], truth[:, 0])
    for t in range(1, len(frames)):
        masks = propagator.step(frames[t])
        assert masks.shape == (2, *frames.shape[1:3])
        # square A is tracked accurately before B reaches it (B covers A from frame 10 on)
        if t < 10:
            assert _iou(masks[0], truth[0, t]) >= 0.85, f"frame {t}"
        # identities never swap: each label overlaps its own object more than the other
        for k in range(2):
            own = np.count_nonzero(masks[k] & truth[k, t])
            other = np.count_nonzero(masks[k] & truth[1 - k, t])
            assert own >= other, f"frame {t}: object {k} drifted onto the other one"
    assert _iou(masks[1], truth[1, -1]) >= 0.8
    np.testing.assert_array_equal(frames, before)


def _grey_neighbours_clip(frames: int = 22) -> tuple[NDArray[np.uint8], NDArray[np.bool_]]:
    """Build a static grey rock and a same-coloured grey disc walking past it, touching it.

    Returns the ``(T, H, W, 3)`` frames (green grass background) and the rock's ``(T, H, W)``
    visible-pixel ground truth.
    """
    rng = np.random.default_rng(11)
    height, width = 120, 200
    grass = np.stack(
        [
            _texture(rng, (height, width), 40, 90),
            _texture(rng, (height, width), 120, 190),
            _texture(rng, (height, width), 20, 60),
        ],
        axis=-1,
    )
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
    frames, truth = _grey_neighbours_clip()
    propagator = LabelPropagator(
        frames[0], truth[None, 0], options=TrackerOptions(leak_control=leak_control)
    )
    ious = [_iou(propagator.step(frame)[0], truth[t]) for t, frame in enumerate(frames[1:], 1)]
    if leak_control:
        assert min(ious) >= 0.8, f"the rock leaked onto the disc: IoU {min(ious):.2f}"
    else:
        # the leak this option exists for: without it the rock grows onto the grey disc
        assert min(ious) < 0.8


def test_propagator_validates_shapes() -> None:
    frame = np.zeros((30, 40, 3), np.uint8)
    with pytest.raises(MaskError, match="masks must be"):
        LabelPropagator(frame, np.zeros((1, 20, 40), bool))
    propagator = LabelPropagator(frame, np.ones((1, 30, 40), bool))
    with pytest.raises(MaskError, match="frame must be"):
        propagator.step(np.zeros((30, 41, 3), np.uint8))


# -- the backend -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def squares_video(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, NDArray[np.bool_]]:
    frames, truth = _two_squares_clip()
    path = _write_video(frames, tmp_path_factory.mktemp("squares") / "squares.mp4")
    return path, truth


def test_backend_is_a_backend() -> None:
    backend = LocalBackend()
    assert isinstance(backend, Backend)
    assert backend.name == "local"
    described = backend.describe()
    assert described["tracker"] == TrackerOptions().model_dump(mode="json")
    assert described["proposals"] == ProposalOptions().model_dump(mode="json")


def test_backend_tracks_with_progress_and_is_deterministic(
    squares_video: tuple[Path, NDArray[np.bool_]],
) -> None:
    path, truth = squares_video
    clicks = ClickSet.build(
        [_centre_click(truth[0, 0], "a"), _centre_click(truth[1, 0], "b")],
        resolution_wh=(200, 120),
    )
    calls: list[tuple[str, int, int | None]] = []
    backend = LocalBackend()
    tracks = backend.track(path, clicks, progress=lambda s, d, t: calls.append((s, d, t)))
    frame_count = truth.shape[1]
    assert tracks.object_ids == ("a", "b")
    assert tracks.frame_count == frame_count
    np.testing.assert_array_equal(tracks.frame_indices, np.arange(frame_count))
    assert tracks.masks["a"].shape == (frame_count, 120, 200)
    assert [c[1] for c in calls] == list(range(1, frame_count + 1))
    assert {c[0] for c in calls} == {"track"}
    assert tracks.info["tracking_fps"] > 0
    mean_j = np.mean([_iou(tracks.masks["a"][t], truth[0, t]) for t in range(6)])
    assert mean_j >= 0.8
    again = LocalBackend().track(path, clicks)
    for oid in tracks.object_ids:
        np.testing.assert_array_equal(tracks.masks[oid], again.masks[oid])


def test_backend_propose_uses_the_cache_in_track(
    squares_video: tuple[Path, NDArray[np.bool_]],
) -> None:
    from sam2_autotrack.video import read_frame

    path, truth = squares_video
    backend = LocalBackend()
    first = read_frame(path, 0)
    proposals = backend.propose(first, video=path)
    assert proposals.resolution_wh == (200, 120)
    clicks = ClickSet.build([_centre_click(truth[0, 0], "obj_1")], resolution_wh=(200, 120))
    tracks = backend.track(path, clicks)
    assert tracks.info["proposal_source"] == "cache"


def test_backend_rejects_bad_input(
    squares_video: tuple[Path, NDArray[np.bool_]], tmp_path: Path
) -> None:
    path, _ = squares_video
    backend = LocalBackend()
    with pytest.raises(ClickError, match="frame 0"):
        backend.track(path, ClickSet.build([Click(x=5, y=5, frame=3)]))
    with pytest.raises(ClickError, match="200x120"):
        backend.track(path, ClickSet.build([Click(x=5, y=5)], resolution_wh=(400, 240)))
    with pytest.raises(VideoNotFoundError):
        backend.track(tmp_path / "missing.mp4", ClickSet.build([Click(x=5, y=5)]))
    with pytest.raises(MaskError, match="image_rgb"):
        backend.propose(np.zeros((10, 10), np.uint8))
    with pytest.raises(BackendError, match="motion_frames"):
        LocalBackend(motion_frames=-1)
