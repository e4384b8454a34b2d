import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import ndimage

from sam2_autotrack.errors import EvaluationError
from sam2_autotrack.evaluation.metrics import (
    boundary_f,
    jaccard,
)


def square(shape: tuple[int, int], y: int, x: int, side: int) -> np.ndarray:
    mask = np.zeros(shape, bool)
    mask[y : y + side, x : x + side] = True
    return mask


# -- J ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("dy", "dx"), [(0, 0), (0, 1), (3, 0), (2, 5), (9, 9), (10, 0), (12, 3)])
def test_jaccard_of_shifted_squares_matches_area_formula(dy: int, dx: int) -> None:
    a = square((40, 40), 5, 5, 10)
    b = square((40, 40), 5 + dy, 5 + dx, 10)
    inter = max(0, 10 - dy) * max(0, 10 - dx)
    assert jaccard(a, b) == pytest.approx(inter / (200 - inter))


def test_jaccard_empty_cases() -> None:
    empty = np.zeros((8, 8), bool)
    assert jaccard(empty, empty) == 1.0
    assert jaccard(empty, square((8, 8), 1, 1, 3)) == 0.0
    assert jaccard(square((8, 8), 1, 1, 3), empty) == 0.0


def test_jaccard_accepts_uint8_masks() -> None:
    a = square((8, 8), 0, 0, 4)
    assert jaccard(a.astype(np.uint8) * 255, a) == 1.0


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_jaccard_is_symmetric_and_bounded(seed: int) -> None:
    rng = np.random.default_rng(seed)
    a, b = rng.random((2, 12, 12)) < rng.random(2)[:, None, None]
    value = jaccard(a, b)
    assert 0.0 <= value <= 1.0
    assert value == jaccard(b, a)
    assert jaccard(a, a) == 1.0


def test_jaccard_leaves_void_pixels_out_of_intersection_and_union() -> None:
    gt = square((10, 10), 2, 2, 4)  # 16 px
    pred = square((10, 10), 2, 2, 6)  # 36 px, 20 of them outside gt
    void = np.zeros((10, 10), bool)
    void[6:8, 2:8] = True  # 12 of pred's extra pixels
    assert jaccard(pred, gt) == 16 / 36
    assert jaccard(pred, gt, void=void) == 16 / 24
    everything = np.ones((10, 10), bool)
    assert jaccard(pred, gt, void=everything) == 1.0  # the union is all void: empty/empty
    with pytest.raises(EvaluationError, match="void"):
        jaccard(pred, gt, void=np.zeros((9, 10), bool))


# -- F ---------------------------------------------------------------------------------------------


def reference_f(pred: np.ndarray, gt: np.ndarray, bound_th: float = 0.008) -> float:
    """Score F by a plain full-frame transcription of the DAVIS definition (no cropping)."""
    radius = math.ceil(bound_th * math.hypot(*gt.shape))

    def bmap(seg: np.ndarray) -> np.ndarray:
        h, w = seg.shape
        out = np.zeros_like(seg)
        for y in range(h):
            for x in range(w):
                if y == h - 1 and x == w - 1:
                    continue
                east = seg[y, x + 1] if x + 1 < w else False
                south = seg[y + 1, x] if y + 1 < h else False
                se = seg[y + 1, x + 1] if (x + 1 < w and y + 1 < h) else False
                if y == h - 1:
                    out[y, x] = seg[y, x] != east
                elif x == w - 1:
                    out[y, x] = seg[y, x] != south
                else:
                    out[y, x] = seg[y, x] != east or seg[y, x] != south or seg[y, x] != se
        return out

    yy, xx = np.mgrid[-radius : radius + 1, -radius : radius + 1]
    disk = xx**2 + yy**2 <= radius**2
    bp, bg = bmap(pred), bmap(gt)
    if not bp.any() and not bg.any():
        return 1.0
    if not bp.any() or not bg.any():
        return 0.0
    precision = (bp & ndimage.binary_dilation(bg, disk)).sum() / bp.sum()
    recall = (bg & ndimage.binary_dilation(bp, disk)).sum() / bg.sum()
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def test_boundary_f_one_pixel_shift_is_within_tolerance() -> None:
    shape = (60, 80)  # diagonal 100 → tolerance ceil(0.8) = 1 px
    a = square(shape, 20, 20, 15)
    assert boundary_f(a, a) == 1.0
    assert boundary_f(a, square(shape, 20, 21, 15)) == 1.0
    assert boundary_f(a, square(shape, 19, 20, 15)) == 1.0
    assert boundary_f(a, square(shape, 20, 23, 15)) < 1.0


def test_boundary_f_tolerance_is_ceil_of_bound_th_times_diagonal() -> None:
    shape = (480, 854)  # diagonal 979.7 → 8 px
    a = square(shape, 100, 100, 120)
    assert boundary_f(a, square(shape, 100, 108, 120)) == 1.0
    assert boundary_f(a, square(shape, 100, 109, 120)) < 1.0
    # A larger tolerance (in pixels when >= 1) accepts the 9-px shift.
    assert boundary_f(a, square(shape, 100, 109, 120), bound_th=9) == 1.0


def test_boundary_f_far_apart_is_zero_and_empty_cases() -> None:
    shape = (100, 100)
    a, b = square(shape, 5, 5, 10), square(shape, 60, 60, 10)
    empty = np.zeros(shape, bool)
    assert boundary_f(a, b) == 0.0
    assert boundary_f(empty, empty) == 1.0
    assert boundary_f(a, empty) == 0.0
    assert boundary_f(empty, a) == 0.0


@pytest.mark.parametrize("seed", range(6))
def test_boundary_f_matches_full_frame_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    shape = (int(rng.integers(20, 50)), int(rng.integers(20, 70)))

    def blob() -> np.ndarray:
        noise = ndimage.gaussian_filter(rng.random(shape), 3)
        return noise > np.quantile(noise, rng.uniform(0.5, 0.95))

    pred, gt = blob(), blob()
    if seed == 0:  # masks touching the image's last row / column exercise the edge rules
        pred[-3:, :] = True
        gt[:, -2:] = True
    assert boundary_f(pred, gt) == pytest.approx(reference_f(pred, gt), abs=1e-12)
    assert boundary_f(pred, gt, bound_th=0.05) == pytest.approx(
        reference_f(pred, gt, 0.05), abs=1e-12
    )


def test_boundary_f_rejects_bad_tolerance() -> None:
    a = square((10, 10), 0, 0, 3)
    with pytest.raises(EvaluationError, match="bound_th"):
        boundary_f(a, a, bound_th=0)


def test_boundary_f_takes_boundaries_of_the_masks_without_void() -> None:
    # the prediction covers the object and a void band below it: without the void it is exact
    gt = square((8, 8), 2, 2, 2)
    pred = gt.copy()
    pred[4:6, 2:4] = True
    void = np.zeros((8, 8), bool)
    void[4:6, 2:4] = True
    assert boundary_f(pred, gt) < 1.0
    assert boundary_f(pred, gt, void=void) == 1.0
    assert boundary_f(pred, gt, void=void) == reference_f(pred & ~void, gt & ~void)


def test_frame_metrics_name_both_shapes_on_mismatch() -> None:
    a, b = np.zeros((10, 12), bool), np.zeros((12, 10), bool)
    for metric in (jaccard, boundary_f):
        with pytest.raises(EvaluationError, match=r"\(10, 12\).*\(12, 10\)"):
            metric(a, b)
    with pytest.raises(EvaluationError, match="evaluate"):
        jaccard(np.zeros((2, 4, 4), bool), np.zeros((2, 4, 4), bool))
