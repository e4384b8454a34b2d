"""Interior seeds: properties on random shapes, rings, borders, margins and fragments."""

from __future__ import annotations

import itertools

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from sam2_autotrack.errors import ClickError, MaskError
from sam2_autotrack.seeds.interior import find_seeds, seed_points
from seed_masks import padded_depth


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
