"""Proposal filtering and selection: every rule on small synthetic masks."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from sam2_autotrack.errors import MaskError, MaskSizeError
from sam2_autotrack.selection.select import (
    Selection,
    SelectionOptions,
    fill_small_holes,
    mask_iou_matrix,
    remove_small_components,
    select_objects,
    touches_borders,
)

H, W = 240, 320


def blank(height: int = H, width: int = W) -> NDArray[np.bool_]:
    return np.zeros((height, width), dtype=bool)


def disc(cx: int, cy: int, r: int, *, height: int = H, width: int = W) -> NDArray[np.bool_]:
    canvas = np.zeros((height, width), dtype=np.uint8)
    cv2.circle(canvas, (cx, cy), r, 1, thickness=-1)
    return canvas.astype(bool)


def box(
    x0: int, y0: int, x1: int, y1: int, *, height: int = H, width: int = W
) -> NDArray[np.bool_]:
    mask = np.zeros((height, width), dtype=bool)
    mask[y0:y1, x0:x1] = True
    return mask


def decision_map(selection: Selection) -> dict[int, str]:
    return {d.index: d.category for d in selection.decisions}


# -- the rules, one by one ------------------------------------------------------------------------


def test_speck_is_dropped_and_object_kept() -> None:
    masks = np.stack([disc(160, 120, 30), disc(40, 40, 2)])
    selection = select_objects(masks)
    assert selection.indices.tolist() == [0]
    speck = selection.decisions[1]
    assert speck.category == "speck"
    assert not speck.kept
    assert speck.reason.startswith("speck")


def test_spray_of_fragments_is_a_speck_after_cleaning() -> None:
    spray = blank()
    for k in range(12):  # 12 dots of 9 px: 108 px in total, every component below min_area
        spray[20 + 15 * (k % 4) : 23 + 15 * (k % 4), 30 + 15 * (k // 4) : 33 + 15 * (k // 4)] = True
    options = SelectionOptions(min_area=64)
    selection = select_objects(np.stack([spray, disc(200, 150, 25)]), options=options)
    assert decision_map(selection) == {0: "speck", 1: "kept"}
    assert "after cleaning" in selection.decisions[0].reason


def test_chosen_mask_is_cleaned_holes_filled_and_fragments_removed() -> None:
    mask = disc(160, 120, 40)
    mask[118:121, 158:161] = False  # a 9 px pinhole
    mask[10:13, 10:13] = True  # a detached 9 px fragment
    selection = select_objects(mask[None], options=SelectionOptions(min_area=50))
    cleaned = selection.masks[0]
    assert cleaned[119, 159]
    assert not cleaned[11, 11]
    assert np.array_equal(cleaned, disc(160, 120, 40))


def test_near_duplicate_is_removed() -> None:
    original = disc(160, 120, 40)
    shifted = np.roll(original, 1, axis=1)
    selection = select_objects(np.stack([original, shifted]))
    assert len(selection) == 1
    (dropped,) = [d for d in selection.decisions if not d.kept]
    assert dropped.category == "duplicate"
    assert dropped.reason.startswith(f"duplicate of {selection.indices[0]}")


@pytest.mark.parametrize(
    ("mode", "kept", "dropped"),
    [
        ("whole", {0, 2}, {1: "part"}),
        ("part", {1, 2}, {0: "whole"}),
        ("both", {0, 1, 2}, {}),
    ],
)
def test_part_and_whole_in_each_mode(mode: str, kept: set[int], dropped: dict[int, str]) -> None:
    whole = box(40, 40, 140, 200)  # a standing "person"
    part = box(50, 50, 130, 100)  # its "head and shoulders", entirely inside
    other = disc(240, 120, 35)
    options = SelectionOptions(keep_parts=mode)  # type: ignore[arg-type]
    selection = select_objects(np.stack([whole, part, other]), options=options)
    assert set(selection.indices.tolist()) == kept
    categories = decision_map(selection)
    for index, category in dropped.items():
        assert categories[index] == category
    if mode == "whole":
        assert selection.decisions[1].reason == "part of 0"


def test_slab_touching_two_or_more_borders_is_background() -> None:
    floor = box(0, 180, W, H)  # bottom, left, right
    wall = box(0, 0, 40, H)  # top, bottom, left
    corner_slab = box(200, 0, W, 60)  # top, right
    selection = select_objects(np.stack([floor, wall, corner_slab, disc(160, 100, 30)]))
    assert selection.indices.tolist() == [3]
    for d in selection.decisions[:3]:
        assert d.category == "background"
        assert "borders" in d.reason
    assert "touches 3 borders" in selection.decisions[0].reason
    assert "touches 2 borders" in selection.decisions[2].reason


def test_large_slab_is_background_even_away_from_borders() -> None:
    slab = box(30, 30, 290, 210)  # 61% of the frame, touches no border
    selection = select_objects(np.stack([slab, disc(160, 120, 20)]))
    assert decision_map(selection)[0] == "background"
    assert "of frame" in selection.decisions[0].reason
    assert touches_borders(slab) == ()


def test_object_grazing_a_corner_is_kept() -> None:
    canvas = np.zeros((H, W), dtype=np.uint8)
    kite = np.array([[0, 0], [70, 20], [90, 90], [20, 70]], dtype=np.int32)
    cv2.fillPoly(canvas, [kite], 1)  # its tip pokes into the top-left corner
    grazing = canvas.astype(bool)
    assert grazing[0, 0]
    assert touches_borders(grazing) == ()
    assert touches_borders(grazing, min_run=1) == ("top", "left")
    selection = select_objects(grazing[None])
    assert selection.indices.tolist() == [0]


def test_object_cut_by_one_border_is_kept() -> None:
    cut = disc(160, 230, 50)  # a long run on the bottom border only
    assert touches_borders(cut) == ("bottom",)
    assert select_objects(cut[None]).indices.tolist() == [0]


def test_touches_borders_tolerance_and_run() -> None:
    mask = box(100, 3, 200, 50)  # 3 px below the top edge, 100 px long
    assert touches_borders(mask, tolerance=1) == ()
    assert touches_borders(mask, tolerance=4) == ("top",)
    assert touches_borders(mask, tolerance=4, min_run=150) == ()


def test_compact_object_ranks_before_irregular_sliver() -> None:
    sliver = np.zeros((H, W), dtype=np.uint8)
    cv2.ellipse(sliver, (160, 120), (110, 90), 0, 200, 340, 1, thickness=7)  # a thin arc
    sliver_mask = sliver.astype(bool)
    compact = disc(160, 170, int(np.sqrt(sliver_mask.sum() / np.pi)))
    compact &= ~sliver_mask
    selection = select_objects(np.stack([sliver_mask, compact]))
    assert selection.indices.tolist()[0] == 1
    assert selection.scores[0] > selection.decisions[0].objectness


def test_max_objects_is_respected_and_the_rest_recorded() -> None:
    masks = np.stack([disc(50 + 55 * k, 120, 20) for k in range(5)])
    selection = select_objects(masks, options=SelectionOptions(max_objects=2))
    assert len(selection) == 2
    below = [d for d in selection.decisions if d.category == "below_max_objects"]
    assert len(below) == 3
    assert all(d.reason.startswith("below max_objects") for d in below)
    assert np.all(np.diff(selection.scores) <= 0)


def test_overlapping_versions_of_one_object_are_not_two_objects() -> None:
    a = box(60, 60, 160, 160)
    b = box(75, 60, 175, 160)  # IoU 0.74: not a duplicate by IoU, not a part, but one object
    selection = select_objects(np.stack([a, b]))
    assert len(selection) == 1
    dropped = [d for d in selection.decisions if not d.kept]
    assert dropped[0].category == "duplicate"
    assert "overlaps" in dropped[0].reason


def test_model_scores_break_ties_between_identical_shapes() -> None:
    masks = np.stack([disc(80, 120, 30), disc(240, 120, 30)])
    first = select_objects(masks, scores=np.array([0.6, 0.99]))
    second = select_objects(masks, scores=np.array([0.99, 0.6]))
    assert first.indices.tolist() == [1, 0]
    assert second.indices.tolist() == [0, 1]


def test_colour_contrast_prefers_the_region_that_stands_out() -> None:
    image = np.full((H, W, 3), 90, dtype=np.uint8)
    visible, camouflaged = disc(80, 120, 30), disc(240, 120, 30)
    image[visible] = (230, 40, 40)
    masks = np.stack([camouflaged, visible])
    selection = select_objects(masks, image_rgb=image)
    assert selection.indices.tolist() == [1, 0]


def test_typical_frame_picks_objects_where_area_only_picks_background() -> None:
    height, width = 360, 640
    sky = box(0, 0, width, 100, height=height, width=width)
    floor = box(0, 290, width, height, height=height, width=width)
    wall = box(0, 100, 90, 290, height=height, width=width)
    objects = [
        disc(200, 200, 45, height=height, width=width),
        box(300, 150, 380, 280, height=height, width=width),
        disc(500, 190, 55, height=height, width=width),
    ]
    masks = np.stack([sky, floor, wall, *objects])

    def area_only(stack: NDArray[np.bool_], k: int) -> list[int]:
        """Pick the largest first (the baseline's rule)."""
        return sorted(range(len(stack)), key=lambda i: -int(stack[i].sum()))[:k]

    assert set(area_only(masks, 3)) == {0, 1, 2}
    selection = select_objects(masks)
    assert set(selection.indices.tolist()) == {3, 4, 5}


def test_selection_at_full_hd_uses_the_grid_and_matches_exact_analysis() -> None:
    height, width = 1080, 1920
    masks = np.stack(
        [
            box(0, 0, width, 250, height=height, width=width),
            disc(500, 600, 120, height=height, width=width),
            np.roll(disc(500, 600, 120, height=height, width=width), 2, axis=0),
            disc(1300, 550, 160, height=height, width=width),
            box(1240, 480, 1360, 600, height=height, width=width),
            disc(100, 1000, 3, height=height, width=width),
        ]
    )
    fast = select_objects(masks)
    exact = select_objects(masks, options=SelectionOptions(analysis_max_side=1920))
    for selection in (fast, exact):
        categories = [d.category for d in selection.decisions]
        assert categories[0] == "background"
        assert categories[3] == "kept"
        assert sorted(categories[1:3]) == ["duplicate", "kept"]  # either copy of the disc
        assert categories[4:] == ["part", "speck"]
        for rank, index in enumerate(selection.indices.tolist()):
            assert np.array_equal(selection.masks[rank], masks[index])


# -- the result ----------------------------------------------------------------------------------


def test_selection_records_one_decision_per_proposal_in_order() -> None:
    masks = np.stack([disc(80, 120, 30), disc(80, 120, 2), box(0, 0, W, 40), disc(240, 120, 30)])
    selection = select_objects(masks)
    assert [d.index for d in selection.decisions] == [0, 1, 2, 3]
    assert {d.index for d in selection.decisions if d.kept} == set(selection.indices.tolist())
    assert selection.decisions[0].area == int(masks[0].sum())
    x0, y0, x1, y1 = selection.decisions[0].box_xyxy
    ys, xs = np.nonzero(masks[0])
    assert (x0, y0, x1, y1) == (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
    assert selection.resolution_wh == (W, H)
    assert selection[0].shape == (H, W)
    assert len(list(selection)) == len(selection)


def test_nothing_survives_gives_an_empty_selection() -> None:
    selection = select_objects(np.stack([box(0, 0, W, 60), disc(10, 10, 2)]))
    assert len(selection) == 0
    assert selection.masks.shape == (0, H, W)
    assert selection.category_counts() == {"background": 1, "speck": 1}


def test_inputs_are_never_mutated() -> None:
    rng = np.random.default_rng(3)
    masks = np.stack([disc(80, 120, 30), box(0, 0, W, 60), disc(240, 120, 35)])
    masks[0, 120, 80] = False  # a pinhole the cleaning fills in its output
    masks |= rng.random(masks.shape) < 0.001
    scores = np.array([0.9, 0.8, 0.7])
    image = rng.integers(0, 255, (H, W, 3), dtype=np.uint8)
    before = (masks.copy(), scores.copy(), image.copy())
    select_objects(masks, scores=scores, image_rgb=image)
    fill_small_holes(masks[0], max_hole_area=10)
    remove_small_components(masks[0], min_area=10)
    mask_iou_matrix(masks)
    touches_borders(masks[1])
    assert np.array_equal(masks, before[0])
    assert np.array_equal(scores, before[1])
    assert np.array_equal(image, before[2])


def test_bad_inputs_raise_mask_errors_naming_the_shape() -> None:
    with pytest.raises(MaskError, match=r"\(N, H, W\)"):
        select_objects(disc(10, 10, 5))
    with pytest.raises(MaskError, match=r"scores must have shape \(2,\)"):
        select_objects(np.stack([disc(80, 80, 20)] * 2), scores=[0.5])
    with pytest.raises(MaskSizeError, match="320x240"):
        select_objects(disc(80, 80, 20)[None], image_rgb=np.zeros((10, 10, 3), np.uint8))


def test_options_are_frozen_and_validated() -> None:
    options = SelectionOptions()
    with pytest.raises(ValueError, match="frozen"):
        options.max_objects = 5  # type: ignore[misc]
    with pytest.raises(ValueError, match="keep_parts"):
        SelectionOptions(keep_parts="some")  # type: ignore[arg-type]
    assert SelectionOptions(min_area=10).effective_min_area((1920, 1080)) == 10


# -- the helpers ---------------------------------------------------------------------------------


def test_fill_small_holes_keeps_large_holes_and_open_notches() -> None:
    ring = disc(160, 120, 60) & ~disc(160, 120, 30)  # a 2800 px hole
    ring[118:121, 118:121] = False  # plus a 9 px pinhole in the ring body
    filled = fill_small_holes(ring, max_hole_area=100)
    assert filled[119, 119]
    assert not filled[120, 160]
    notch = box(0, 50, 100, 150)
    notch[90:110, 0:30] = False  # open to the image edge: not a hole
    assert np.array_equal(fill_small_holes(notch, max_hole_area=10_000), notch)


def test_remove_small_components_keeps_exactly_the_large_ones() -> None:
    mask = disc(100, 100, 20) | box(250, 50, 255, 55)
    cleaned = remove_small_components(mask, min_area=26)
    assert np.array_equal(cleaned, disc(100, 100, 20))
    assert np.array_equal(remove_small_components(mask, min_area=25), mask)


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    count=st.integers(1, 8),
    height=st.integers(8, 60),
    width=st.integers(8, 60),
)
def test_mask_iou_matrix_matches_brute_force(
    seed: int, count: int, height: int, width: int
) -> None:
    rng = np.random.default_rng(seed)
    masks = np.zeros((count, height, width), dtype=bool)
    for k in range(count):
        y0, x0 = rng.integers(0, height), rng.integers(0, width)
        y1, x1 = rng.integers(y0, height + 1), rng.integers(x0, width + 1)
        masks[k, y0:y1, x0:x1] = rng.random((y1 - y0, x1 - x0)) < 0.7
    expected = np.zeros((count, count))
    for i in range(count):
        for j in range(count):
            union = np.logical_or(masks[i], masks[j]).sum()
            expected[i, j] = np.logical_and(masks[i], masks[j]).sum() / union if union else 0.0
    np.testing.assert_allclose(mask_iou_matrix(masks), expected)


# -- objectness for objects of any shape ----------------------------------------------------------


def c_shape_mask() -> NDArray[np.bool_]:
    canvas = np.zeros((H, W), dtype=np.uint8)
    cv2.ellipse(canvas, (240, 70), (45, 45), 0, 40, 320, 1, thickness=22)  # opens to the right
    return canvas.astype(bool)


def ring_mask() -> NDArray[np.bool_]:
    return disc(230, 175, 42) & ~disc(230, 175, 22)


def textured_background(seed: int) -> NDArray[np.uint8]:
    """Smooth random colour texture, like grass or a wall seen from afar."""
    rng = np.random.default_rng(seed)
    noise = rng.random((H, W, 3)).astype(np.float32)
    smooth = cv2.GaussianBlur(noise, (0, 0), 6)
    smooth = (smooth - smooth.min()) / (smooth.max() - smooth.min())
    texture: NDArray[np.uint8] = (60 + 80 * smooth).astype(np.uint8)
    return texture


def border_fragment(image: NDArray[np.uint8], area: int) -> NDArray[np.bool_]:
    """Cut an irregular piece of the background touching the left border, about ``area`` px."""
    grey = image.astype(np.float32).mean(axis=2)
    region = np.zeros((H, W), dtype=np.uint8)
    cv2.ellipse(region, (0, 120), (90, 70), 0, 0, 360, 1, thickness=-1)
    inside = region > 0
    # The brighter part of the texture there, grown until the piece at the border is big enough.
    for share in np.linspace(0.3, 0.9, 13):
        level = np.quantile(grey[inside], 1.0 - share)
        blob = ((grey >= level) & inside).astype(np.uint8)
        _, labels, stats, _ = cv2.connectedComponentsWithStats(blob, connectivity=4)
        at_border = [k for k in np.unique(labels[:, 0]) if k != 0]
        if at_border:
            piece = max(at_border, key=lambda k: stats[k, cv2.CC_STAT_AREA])
            if stats[piece, cv2.CC_STAT_AREA] >= 0.7 * area:
                fragment: NDArray[np.bool_] = labels == piece
                return fragment
    raise AssertionError("no border fragment of that size in this texture")


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_c_shape_and_ring_rank_above_an_irregular_border_fragment(seed: int) -> None:
    image = textured_background(seed)
    c_mask, ring = c_shape_mask(), ring_mask()
    image[c_mask] = (200, 170, 40)
    image[ring] = (40, 90, 200)
    fragment = border_fragment(image, area=int(ring.sum()))
    assert touches_borders(fragment) == ("left",)
    assert 0.4 < fragment.sum() / ring.sum() < 1.6
    # Neither object is solid in the convex-hull sense nor does the fragment have a clean shape.
    masks = np.stack([fragment, c_mask, ring])
    selection = select_objects(masks, image_rgb=image, options=SelectionOptions(max_objects=2))
    assert set(selection.indices.tolist()) == {1, 2}
    fragment_score = selection.decisions[0].objectness
    assert all(score > fragment_score + 0.1 for score in selection.scores)


def test_region_seen_through_a_ring_ranks_below_a_c_shape() -> None:
    ring, c_mask = ring_mask(), c_shape_mask()
    through_hole = disc(230, 175, 21)  # the background inside the ring: a perfect disc
    masks = np.stack([through_hole, ring, c_mask])
    selection = select_objects(masks, options=SelectionOptions(max_objects=2))
    assert set(selection.indices.tolist()) == {1, 2}
    assert selection.decisions[0].category == "below_max_objects"
    no_penalty = select_objects(masks, options=SelectionOptions(enclosed_penalty=0.0))
    assert no_penalty.decisions[0].objectness > selection.decisions[0].objectness


def test_contrast_is_judged_all_along_the_outline() -> None:
    image = np.full((H, W, 3), 90, dtype=np.uint8)
    whole, half = disc(80, 120, 35), disc(240, 120, 35)
    image[whole] = (230, 40, 40)
    image[half & (np.arange(W)[None, :] < 240)] = (230, 40, 40)  # only its left half stands out
    selection = select_objects(np.stack([half, whole]), image_rgb=image)
    assert selection.indices.tolist() == [1, 0]
    assert selection.scores[0] - selection.scores[1] > 0.1
