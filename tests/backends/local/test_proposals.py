"""Proposals of the embedded engine: every object proposed, deterministic, inputs checked."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

import sam2_autotrack.backends.local.proposals as proposals_module
from local_clips import (
    iou,
)
from sam2_autotrack.backends.local import ProposalOptions
from sam2_autotrack.backends.local.proposals import propose_masks
from sam2_autotrack.errors import MaskError
from sam2_autotrack.testing import SyntheticClip


def test_proposals_hold_every_object(small_clip: SyntheticClip) -> None:
    frames = small_clip.frames
    proposals = propose_masks(frames[0], video_frames=frames[1:6])
    assert proposals.masks.shape[1:] == frames.shape[1:3]
    assert proposals.scores is not None
    assert np.all(np.diff(proposals.scores) <= 1e-12), "proposals come best first"
    for gt_id, gt in small_clip.masks.items():
        if gt[0].any():
            best = max(iou(m, gt[0]) for m in proposals.masks)
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


@pytest.mark.parametrize(
    ("size_wh", "reference", "expected"),
    [
        ((320, 240), 153_600, [1200, 2000]),  # half the reference area: twice the counts
        ((400, 300), 153_600, [768, 1280]),
        ((176, 144), 153_600, [704, 1000]),  # superpixels of 36 px at the least
        ((160, 120), 153_600, [600, 1000]),  # never fewer than given
        ((854, 480), 153_600, [600, 1000]),  # worked on at 640x360: the counts as given
        ((320, 240), 0, [600, 1000]),
    ],
)
def test_small_frames_get_proportionally_more_superpixels(
    monkeypatch: pytest.MonkeyPatch, size_wh: tuple[int, int], reference: int, expected: list[int]
) -> None:
    counts: list[int] = []
    original = proposals_module.slic

    def counting_slic(image: NDArray[np.uint8], **kwargs: object) -> NDArray[np.int64]:
        counts.append(int(kwargs["n_segments"]))  # type: ignore[call-overload]
        return original(image, **kwargs)  # type: ignore[no-any-return]

    monkeypatch.setattr(proposals_module, "slic", counting_slic)
    width, height = size_wh
    image = np.full((height, width, 3), 90, np.uint8)
    image[height // 3 : height // 2, width // 3 : width // 2] = (200, 40, 40)
    options = ProposalOptions(superpixel_reference_area=reference, subjects=False)
    propose_masks(image, options=options)
    assert counts == expected
