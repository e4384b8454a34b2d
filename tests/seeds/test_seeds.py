"""Seed clicks: properties on random shapes, negatives, and the click set for SAM 2 video."""

from __future__ import annotations

import itertools

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray
from scipy.ndimage import distance_transform_edt

from sam2_autotrack.errors import ClickError, MaskError, SelectionError
from sam2_autotrack.seeds.points import (
    clicks_from_selection,
    find_seeds,
    negative_points,
    seed_points,
)
from sam2_autotrack.selection.select import select_objects


def padded_depth(mask: NDArray[np.bool_]) -> NDArray[np.float64]:
    """Distance to the nearest non-mask pixel, the outside of the image counting as non-mask."""
    depth: NDArray[np.float64] = distance_transform_edt(np.pad(mask, 1))[1:-1, 1:-1]
    return depth


@st.composite
def shapes(draw: st.DrawFn) -> NDArray[np.bool_]:
    """Blobs, rings, C-shapes and multi-blob masks drawn with OpenCV on a random canvas."""
    height = draw(st.integers(24, 160))
    width = draw(st.integers(24, 160))
    canvas = np.zeros((height, width), dtype=np.uint8)
    kind = draw(st.sampled_from(["blob", "ring", "c", "multi"]))
    cx = draw(st.integers(0, width - 1))
    cy = draw(st.integers(0, height - 1))
    rx = draw(st.integers(4, max(4, width // 2)))
    ry = draw(st.integers(4, max(4, height // 2)))
    angle = draw(st.integers(0, 179))
    if kind == "blob":
        cv2.ellipse(canvas, (cx, cy), (rx, ry), angle, 0, 360, 1, thickness=-1)
    elif kind == "ring":
        thickness = draw(st.integers(3, max(3, min(rx, ry))))
        cv2.ellipse(canvas, (cx, cy), (rx, ry), angle, 0, 360, 1, thickness=thickness)
    elif kind == "c":
        thickness = draw(st.integers(3, max(3, min(rx, ry))))
        start = draw(st.integers(0, 359))
        cv2.ellipse(canvas, (cx, cy), (rx, ry), angle, start, start + 270, 1, thickness=thickness)
    else:
        for _ in range(draw(st.integers(2, 4))):
            bx = draw(st.integers(0, width - 1))
            by = draw(st.integers(0, height - 1))
            br = draw(st.integers(2, max(2, min(width, height) // 4)))
            cv2.circle(canvas, (bx, by), br, 1, thickness=-1)
    mask = canvas.astype(bool)
    if not mask.any():
        mask[height // 2, width // 2] = True
    return mask


@settings(max_examples=120, deadline=None)
@given(mask=shapes(), n=st.integers(1, 5))
def test_seed_properties_on_random_shapes(mask: NDArray[np.bool_], n: int) -> None:
    before = mask.copy()
    seeds = find_seeds(mask, n=n)
    points = seeds.points_xy
    depth = padded_depth(mask)

    assert points.dtype == np.int64
    assert 1 <= len(points) <= n
    xs, ys = points[:, 0], points[:, 1]
    assert np.all(mask[ys, xs]), "every seed is inside the mask"
    # The default margin is always satisfiable; the seeds honour it, image border included.
    assert not seeds.fallback
    assert np.all(depth[ys, xs] >= seeds.margin - 1e-6)
    np.testing.assert_allclose(seeds.depth, depth[ys, xs], atol=1e-3)
    assert seeds.max_depth == pytest.approx(depth.max(), abs=1e-3)
    # Distinct and spread: at least max(2, margin) apart.
    for a, b in itertools.combinations(points.tolist(), 2):
        assert np.hypot(a[0] - b[0], a[1] - b[1]) >= max(2.0, seeds.margin) - 1e-9
    # Deterministic: same input, same output; a seed for the tie-breaker is reproducible too.
    assert np.array_equal(find_seeds(mask, n=n).points_xy, points)
    assert np.array_equal(
        seed_points(mask, n=n, rng=7), seed_points(mask, n=n, rng=np.random.default_rng(7))
    )
    assert np.array_equal(mask, before)


@settings(max_examples=60, deadline=None)
@given(
    height=st.integers(40, 160),
    width=st.integers(40, 160),
    fraction=st.floats(0.3, 0.9),
    angle=st.integers(0, 179),
)
def test_seeds_spread_over_a_single_blob(
    height: int, width: int, fraction: float, angle: int
) -> None:
    canvas = np.zeros((height, width), dtype=np.uint8)
    axes = (int(fraction * width / 2), int(fraction * height / 2))
    cv2.ellipse(canvas, (width // 2, height // 2), axes, angle, 0, 360, 1, thickness=-1)
    mask = canvas.astype(bool)
    seeds = find_seeds(mask, n=3)
    feasible = padded_depth(mask) >= seeds.margin
    scale = np.sqrt(feasible.sum())
    assert len(seeds) == 3
    spread = min(
        np.hypot(a[0] - b[0], a[1] - b[1])
        for a, b in itertools.combinations(seeds.points_xy.tolist(), 2)
    )
    assert spread >= 0.2 * scale


def test_ring_seeds_avoid_the_hole_at_its_centroid() -> None:
    canvas = np.zeros((120, 120), dtype=np.uint8)
    cv2.circle(canvas, (60, 60), 45, 1, thickness=14)
    mask = canvas.astype(bool)
    points = seed_points(mask, n=3)
    assert not mask[60, 60]
    assert all(mask[y, x] for x, y in points.tolist())
    assert all(np.hypot(x - 60, y - 60) > 30 for x, y in points.tolist())


def test_first_seed_is_the_centroid_of_a_convex_blob() -> None:
    mask = np.zeros((60, 100), dtype=bool)
    mask[10:51, 20:81] = True
    assert seed_points(mask, n=1).tolist() == [[50, 30]]


def test_seeds_keep_away_from_the_image_border() -> None:
    mask = np.zeros((80, 200), dtype=bool)
    mask[:40] = True  # a band along the top edge, cut by three borders
    seeds = find_seeds(mask, n=3, margin=8)
    assert not seeds.fallback
    assert np.all(seeds.points_xy[:, 1] >= 7)  # >= 8 px from the edge, i.e. row >= 7
    assert np.all(seeds.points_xy[:, 0] >= 7)
    assert np.all(seeds.points_xy[:, 0] <= 192)


def test_unsatisfiable_margin_falls_back_to_the_deepest_pixels_and_says_so() -> None:
    mask = np.zeros((50, 50), dtype=bool)
    mask[20:27, 5:45] = True  # 7 px thick: depth at most 4
    seeds = find_seeds(mask, n=3, margin=10)
    assert seeds.fallback
    assert "margin" in seeds.note
    assert np.all(seeds.depth == pytest.approx(padded_depth(mask).max()))


def test_multi_component_rule_largest_first_fragments_get_none() -> None:
    mask = np.zeros((100, 200), dtype=bool)
    mask[20:80, 10:80] = True  # largest
    mask[30:70, 120:160] = True  # 38% of the largest's area: gets a seed
    mask[5:8, 190:193] = True  # a 9 px fragment: never gets one
    seeds = find_seeds(mask, n=5)
    xs = seeds.points_xy[:, 0].tolist()
    assert xs[0] < 80, "the first seed is on the largest component"
    assert 120 <= xs[1] < 160, "the second goes to the other large component"
    assert not any(x >= 190 for x in xs)


def test_empty_mask_and_bad_n_are_errors() -> None:
    with pytest.raises(MaskError, match="empty"):
        seed_points(np.zeros((10, 10), dtype=bool))
    with pytest.raises(ClickError, match="at least 1"):
        seed_points(np.ones((10, 10), dtype=bool), n=0)
    with pytest.raises(MaskError, match=r"\(H, W\)"):
        seed_points(np.ones((2, 10, 10), dtype=bool))


# -- negative clicks ------------------------------------------------------------------------------


def two_touching() -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    left = np.zeros((80, 160), dtype=bool)
    left[10:70, 10:80] = True
    right = np.zeros_like(left)
    right[10:70, 80:150] = True
    return left, right


def test_negative_click_goes_into_the_touching_neighbour_near_the_contact() -> None:
    left, right = two_touching()
    points = negative_points(left, right[None])
    assert points.shape == (1, 2)
    x, y = points[0].tolist()
    assert right[y, x]
    assert not left[y, x]
    assert 80 < x <= 80 + 40, "near the shared boundary, within reach"
    assert padded_depth(right)[y, x] > 3, "clearly inside the neighbour"


def test_no_negative_click_for_distant_neighbours_or_none_at_all() -> None:
    left, _ = two_touching()
    far = np.zeros_like(left)
    far[10:70, 120:150] = True  # 40 px away
    assert negative_points(left, far[None]).shape == (0, 2)
    assert negative_points(left, np.zeros((0, *left.shape), dtype=bool)).shape == (0, 2)


def test_negative_points_respect_max_points_and_order_by_contact() -> None:
    centre = np.zeros((120, 120), dtype=bool)
    centre[40:80, 40:80] = True
    long_contact = np.zeros_like(centre)
    long_contact[40:80, 80:110] = True
    short_contact = np.zeros_like(centre)
    short_contact[80:100, 60:75] = True
    others = np.stack([short_contact, long_contact])
    both = negative_points(centre, others, max_points=2)
    assert len(both) == 2
    first_x, first_y = both[0].tolist()
    assert long_contact[first_y, first_x]
    one = negative_points(centre, others, max_points=1)
    assert one.tolist() == both[:1].tolist()


# -- the click set -------------------------------------------------------------------------------


def test_clicks_from_selection_builds_a_valid_click_set() -> None:
    left, right = two_touching()
    masks = np.stack([left, right])
    before = masks.copy()
    clicks = clicks_from_selection(masks, seeds_per_object=2, frame=4)
    assert clicks.resolution_wh == (160, 80)
    assert clicks.object_ids == ("obj_1", "obj_2")
    for click in clicks:
        assert type(click.x) is int
        assert type(click.y) is int
        assert click.frame == 4
        owner = masks[0] if click.object_id == "obj_1" else masks[1]
        assert bool(owner[click.y, click.x]) == (click.label == 1)
    labels = [c.label for c in clicks.for_object("obj_1")]
    assert labels == [1, 1, 0], "positives first, then the negative in the touching neighbour"
    assert np.array_equal(masks, before)
    strings = clicks.to_replicate()
    assert strings.click_frames == ",".join(["4"] * len(clicks))


def test_clicks_from_selection_options() -> None:
    left, right = two_touching()
    masks = np.stack([left, right])
    no_negatives = clicks_from_selection(masks, negatives="none", object_ids=["car", "dog"])
    assert {c.label for c in no_negatives} == {1}
    assert no_negatives.object_ids == ("car", "dog")
    with pytest.raises(ClickError, match="2 objects"):
        clicks_from_selection(masks, object_ids=["only_one"])
    with pytest.raises(ClickError, match="comma"):
        clicks_from_selection(masks, object_ids=["a,b", "c"])


def test_clicks_from_a_selection_and_from_an_empty_one() -> None:
    masks = np.zeros((2, 60, 80), dtype=bool)
    masks[0, 10:50, 10:40] = True
    masks[1, 0:5, 0:5] = True
    selection = select_objects(masks)
    clicks = clicks_from_selection(selection)
    assert clicks.object_ids == ("obj_1",)
    assert clicks_from_selection(selection).to_replicate() == clicks.to_replicate()
    empty = select_objects(masks[1:])
    with pytest.raises(SelectionError, match="speck"):
        clicks_from_selection(empty)
    blank = np.zeros((1, 60, 80), dtype=bool)
    with pytest.raises(SelectionError, match="empty mask"):
        clicks_from_selection(blank)
