"""Initial regions: the proposal whose own seeds the clicks are, else GrabCut."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from local_clips import (
    iou,
    texture,
)
from sam2_autotrack.backends.base import MaskProposals
from sam2_autotrack.backends.local.initial import initial_masks_from_clicks
from sam2_autotrack.clicks import Click, ClickSet
from sam2_autotrack.errors import MaskError


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


def test_overlapping_picks_keep_their_own_proposals() -> None:
    # two picks that share a margin: each proposal holds one of the other object's clicks
    rng = np.random.default_rng(5)
    image = np.stack([texture(rng, (80, 120), 40, 200)] * 3, axis=-1).astype(np.uint8)
    masks = np.zeros((2, 80, 120), bool)
    masks[0, 10:70, 10:66] = True
    masks[1, 10:70, 54:110] = True
    clicks = ClickSet.build(
        [
            Click(x=30, y=40),
            Click(x=60, y=40),
            Click(x=85, y=40, object_id="obj_2"),
            Click(x=58, y=20, object_id="obj_2"),
        ],
        resolution_wh=(120, 80),
    )
    out = initial_masks_from_clicks(
        image, clicks, proposals=MaskProposals(masks=masks, scores=np.array([0.9, 0.8]))
    )
    # not GrabCut over the texture: each object starts as its own proposal
    np.testing.assert_array_equal(out["obj_1"], masks[0])
    np.testing.assert_array_equal(out["obj_2"], masks[1])


def test_a_proposal_free_of_the_other_objects_clicks_wins() -> None:
    image = np.zeros((60, 80, 3), np.uint8)
    masks = np.zeros((2, 60, 80), bool)
    masks[0, 10:50, 10:70] = True  # both objects
    masks[1, 10:50, 10:40] = True  # the first alone
    clicks = ClickSet.build(
        [Click(x=20, y=30), Click(x=60, y=30, object_id="obj_2")], resolution_wh=(80, 60)
    )
    out = initial_masks_from_clicks(
        image, clicks, proposals=MaskProposals(masks=masks, scores=np.array([0.9, 0.5]))
    )
    np.testing.assert_array_equal(out["obj_1"], masks[1])


def test_initial_region_falls_back_to_grabcut() -> None:
    rng = np.random.default_rng(3)
    image = np.stack([texture(rng, (90, 120), 60, 120)] * 3, axis=-1).astype(np.uint8)
    truth = np.zeros((90, 120), bool)
    cv2.circle(truth.view(np.uint8), (60, 45), 18, 1, -1)
    image[truth] = (220, 40, 40)
    clicks = ClickSet.build([Click(x=60, y=45), Click(x=55, y=40)], resolution_wh=(120, 90))
    empty = MaskProposals(masks=np.zeros((1, 90, 120), bool))
    out = initial_masks_from_clicks(image, clicks, proposals=empty)
    assert iou(out["obj_1"], truth) >= 0.85


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


def test_a_chosen_proposal_has_its_outline_settled_on_the_image() -> None:
    rng = np.random.default_rng(1)
    image = rng.integers(20, 60, size=(80, 100, 3), dtype=np.uint8)
    yy, xx = np.mgrid[:80, :100]
    disc = (yy - 40) ** 2 + (xx - 50) ** 2 <= 20**2
    image[disc] = (200, 80, 60)
    loose = (yy - 40) ** 2 + (xx - 50) ** 2 <= 22**2  # a proposal reaching past the object
    proposals = MaskProposals(masks=loose[None])
    clicks = ClickSet(clicks=(Click(x=50, y=40),))
    as_proposed = initial_masks_from_clicks(image, clicks, proposals=proposals)["obj_1"]
    settled = initial_masks_from_clicks(image, clicks, proposals=proposals, refine_band=0.15)
    iou = np.logical_and(settled["obj_1"], disc).sum() / np.logical_or(settled["obj_1"], disc).sum()
    assert np.array_equal(as_proposed, loose)
    assert iou > 0.95
    assert not (settled["obj_1"] & ~loose).any()
