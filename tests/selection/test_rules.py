"""The selection rules one by one: bounded subjects, rims, filled holes, parts and wholes."""

from __future__ import annotations

import numpy as np
from selection_masks import H, W, box, decision_map, disc, ring_mask

from sam2_autotrack.masks import fill_small_holes
from sam2_autotrack.selection import SelectionOptions, select_objects, touches_borders
from sam2_autotrack.selection.rules import (
    background_rule,
    cap_rule,
    clean_proposal,
    fills_holes_of,
    is_backdrop_like,
    is_bounded_subject,
    is_rim,
    speck_rule,
    threshold_rule,
)


def test_a_whole_that_only_adds_a_rim_loses_to_the_better_outlined_part() -> None:
    # a motion blob fattened by the flow's halo around a disc: same object, looser outline
    image = np.full((H, W, 3), 90, dtype=np.uint8)
    tight = disc(160, 120, 40)
    image[tight] = (40, 160, 220)
    loose = disc(160, 120, 52)
    masks = np.stack([loose, tight])
    selection = select_objects(masks, scores=np.array([1.0, 0.7]), image_rgb=image)
    assert selection.indices.tolist() == [1]
    assert selection.decisions[0].reason.startswith("whole: only a rim around 1")
    no_rim = select_objects(
        masks, scores=np.array([1.0, 0.7]), image_rgb=image,
        options=SelectionOptions(rim_thickness=0.0),
    )  # fmt: skip
    assert no_rim.indices.tolist() == [0]


def test_a_ring_beats_the_ring_with_its_hole_filled() -> None:
    ring = ring_mask()
    filled = ring | fill_small_holes(ring, max_hole_px=ring.size)
    image = np.full((H, W, 3), 90, dtype=np.uint8)
    image[ring] = (220, 60, 40)
    selection = select_objects(
        np.stack([filled, ring]), scores=np.array([0.95, 0.9]), image_rgb=image
    )
    assert selection.indices.tolist() == [1]
    assert selection.decisions[0].reason == "whole: 1 with its hole filled"


def test_close_up_cut_by_the_bottom_border_is_a_subject() -> None:
    # a head-and-shoulders close-up: a third of the frame, cut by the bottom edge only
    close_up = disc(160, 240, 125)
    assert touches_borders(close_up) == ("bottom",)
    assert close_up.mean() > 0.3
    selection = select_objects(close_up[None])
    assert selection.indices.tolist() == [0]
    # a region as large reaching across the frame (left and right) is still background
    band = box(0, 90, W, 240)
    assert decision_map(select_objects(band[None]))[0] == "background"


# -- the rule functions themselves -----------------------------------------------------------------


def test_background_and_bounded_subjects() -> None:
    opts = SelectionOptions()
    assert is_backdrop_like(2, 0.05, opts)
    assert is_backdrop_like(0, 0.31, opts)
    assert not is_backdrop_like(1, 0.2, opts)
    # a close-up cut by one border bounds itself; across the frame only a confident one does
    assert is_bounded_subject(1, 0.3, None, opts)
    assert not is_bounded_subject(2, 0.3, None, opts)
    assert is_bounded_subject(2, 0.3, 0.9, opts)
    assert not is_bounded_subject(1, 0.6, 1.0, opts)  # mostly cut by the frame: a floor
    too_big = background_rule(0.7, ["top"], backdrop_like=True, bounded_subject=True, options=opts)
    assert too_big is not None
    assert too_big[1] == "background: 70% of frame > 65%"
    walls = background_rule(
        0.1, ["top", "left", "right"], backdrop_like=True, bounded_subject=True, options=opts
    )
    assert walls == ("background", "background: touches 3 borders (top, left, right)")
    corner = background_rule(
        0.1, ["top", "left"], backdrop_like=True, bounded_subject=False, options=opts
    )
    assert corner == (
        "background",
        "background: touches 2 borders (top, left), not a bounded subject",
    )
    kept = background_rule(
        0.1, ["top", "left"], backdrop_like=True, bounded_subject=True, options=opts
    )
    assert kept is None


def test_specks_threshold_and_cap() -> None:
    assert speck_rule(10, 64) == ("speck", "speck: 10 px < min_area 64")
    assert speck_rule(100, 64) is None
    assert speck_rule(100, 64, empty_on_grid=True) is not None
    objectness = np.array([0.9, 0.4, 0.6])
    verdicts = threshold_rule([0, 1, 2], objectness, SelectionOptions())
    assert verdicts == {1: ("not_object", "not an object: objectness 0.40 < 0.50")}
    capped = cap_rule([2, 0, 1], SelectionOptions(max_objects=2))
    assert capped[2] == ("kept", "kept (rank 1)")
    assert capped[1] == ("below_max_objects", "below max_objects: rank 3 > 2")


def test_cleaning_removes_specks_then_fills_small_holes() -> None:
    crop = np.zeros((20, 20), dtype=np.uint8)
    crop[2:12, 2:12] = 1
    crop[5, 5] = 0  # a 1 px hole
    crop[16, 16] = 1  # a 1 px speck
    cleaned = clean_proposal(crop, 2, 2)
    assert cleaned.dtype == np.uint8
    assert cleaned[5, 5] == 1
    assert cleaned[16, 16] == 0
    assert clean_proposal(crop, 2, 1)[5, 5] == 0  # holes of fewer than 1 px: none
    assert crop[5, 5] == 0  # not modified


def test_rim_and_filled_hole_predicates() -> None:
    part = disc(160, 120, 40)
    rim = disc(160, 120, 50)  # 10 px of rim around a 40 px radius: thin
    fat = disc(160, 120, 80)
    ring = ring_mask()
    filled = fill_small_holes(ring)
    clean = np.stack([part, rim, fat, ring, filled]).astype(np.uint8)
    boxes = np.array([[0, 0, W, H]] * 5, dtype=np.int64)
    assert is_rim(clean, boxes, 0, 1, 0.5)
    assert not is_rim(clean, boxes, 0, 2, 0.5)
    assert fills_holes_of(clean, boxes, 3, 4)
    assert not fills_holes_of(clean, boxes, 0, 1)


def test_a_confident_band_along_two_borders_is_background_a_corner_subject_is_not() -> None:
    # a wall: down the whole left side and onto the floor; a subject: in the bottom-left corner
    wall = box(0, 40, 40, H)  # 83 % of the left border, touches the bottom too
    subject = box(0, 150, 90, H)  # 38 % of the left border, 28 % of the bottom
    confident = np.array([0.95])
    walls = select_objects(wall[None], scores=confident)
    assert decision_map(walls) == {0: "background"}
    assert "not a bounded subject" in walls.decisions[0].reason
    assert decision_map(select_objects(subject[None], scores=confident)) == {0: "kept"}
    # the band test is what turns the confident wall down
    lenient = SelectionOptions(subject_max_band_fraction=1.0)
    assert decision_map(select_objects(wall[None], scores=confident, options=lenient)) == {
        0: "kept"
    }


def _two_discs_and_their_blob() -> tuple[np.ndarray, np.ndarray]:
    """Two discs side by side and one blob holding both (neighbours caught in one motion blob)."""
    image = np.full((H, W, 3), 90, dtype=np.uint8)
    left, right = disc(110, 120, 34), disc(200, 120, 34)
    image[left] = (40, 160, 220)
    image[right] = (220, 160, 40)
    blob = disc(110, 120, 38) | disc(200, 120, 38) | box(110, 100, 200, 140)
    return image, np.stack([blob, left, right])


def test_a_whole_made_of_two_objects_and_a_rim_loses_to_them() -> None:
    image, masks = _two_discs_and_their_blob()
    scores = np.array([0.95, 0.9, 0.9])
    selection = select_objects(masks, scores=scores, image_rgb=image)
    assert sorted(selection.indices.tolist()) == [1, 2]
    assert selection.decisions[0].reason == "whole: a group of 1, 2"
    # a part scored well below its whole is a part: no group, the whole stays one object
    selection = select_objects(masks, scores=np.array([0.95, 0.5, 0.9]), image_rgb=image)
    assert selection.indices.tolist() == [0]
    # the parts must cover enough of the whole
    strict = SelectionOptions(group_coverage=1.0)
    selection = select_objects(masks, scores=scores, image_rgb=image, options=strict)
    assert selection.indices.tolist() == [0]


def test_a_part_does_not_lose_to_a_whole_that_lost_to_another_part() -> None:
    # the blob loses to the left disc (clearly the better object); the right disc, scored
    # below the blob, is then judged on its own instead of dropped as a part of a dropped whole
    image, masks = _two_discs_and_their_blob()
    scores = np.array([0.8, 0.95, 0.5])
    # a tight group margin: the right disc is no group member, only a part of the blob
    tight = SelectionOptions(group_margin=0.5)
    selection = select_objects(masks, scores=scores, image_rgb=image, options=tight)
    assert selection.decisions[0].reason == "whole: 1 inside it is the better object"
    assert selection.decisions[2].category == "kept", selection.decisions[2].reason
    assert sorted(selection.indices.tolist()) == [1, 2]


def test_parts_a_little_below_their_whole_still_make_a_group() -> None:
    # near 1 the objectness saturates: parts 0.37 below the blob in log-odds are a group at the
    # default margin (0.5), and not when the parts must be at least as likely objects
    image, masks = _two_discs_and_their_blob()
    scores = np.array([0.99, 0.8, 0.8])
    selection = select_objects(masks, scores=scores, image_rgb=image)
    assert selection.decisions[0].reason == "whole: a group of 1, 2"
    assert sorted(selection.indices.tolist()) == [1, 2]
    strict = SelectionOptions(group_margin=0.0)
    selection = select_objects(masks, scores=scores, image_rgb=image, options=strict)
    assert selection.indices.tolist() == [0]


def test_a_close_up_subject_keeps_its_face_as_a_part() -> None:
    # a head-and-shoulders close-up cut by the bottom border, and its face, which stands out
    # more (higher objectness) and spills past the person's outline (an ear, 12 % of it)
    person = disc(160, 250, 120) | disc(160, 100, 50)
    face = disc(160, 112, 40) | box(196, 96, 232, 126)
    image = np.full((H, W, 3), 200, dtype=np.uint8)
    image[person] = (30, 30, 60)
    image[face] = (220, 170, 140)
    masks, scores = np.stack([person, face]), np.array([0.5, 0.6])
    selection = select_objects(masks, scores=scores, image_rgb=image)
    assert selection.indices.tolist() == [0]
    assert selection.decisions[1].reason == "part of 0"
    assert selection.decisions[1].objectness > selection.decisions[0].objectness
    # with the ordinary margin the face would take the person's place ...
    ordinary = SelectionOptions(closeup_part_margin=1.0)
    selection = select_objects(masks, scores=scores, image_rgb=image, options=ordinary)
    assert selection.indices.tolist() == [1]
    # ... and with the ordinary containment the two would only overlap, the face ranked first
    strict = SelectionOptions(closeup_part_containment=0.9)
    selection = select_objects(masks, scores=scores, image_rgb=image, options=strict)
    assert selection.indices.tolist() == [1]


def test_neighbours_whose_proposals_share_a_boundary_still_make_a_group() -> None:
    # the left disc's proposal runs 14 px into its neighbour (a shared boundary, ~15 % of the
    # right disc): the two are still the blob's objects, not parts of it
    image, masks = _two_discs_and_their_blob()
    left = masks[1] | box(160, 100, 180, 140)
    shared = np.count_nonzero(left & masks[2]) / np.count_nonzero(masks[2])
    assert 0.1 < shared < 0.2
    stack = np.stack([masks[0], left, masks[2]])
    selection = select_objects(stack, scores=np.array([0.95, 0.9, 0.9]), image_rgb=image)
    assert selection.decisions[0].reason == "whole: a group of 2, 1"
    assert sorted(selection.indices.tolist()) == [1, 2]
