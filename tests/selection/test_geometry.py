"""Selection geometry: borders touched, pairwise IoU on the analysis grid."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from selection_masks import (
    box,
)

from sam2_autotrack.selection import (
    mask_iou_matrix,
    touches_borders,
)


def test_touches_borders_tolerance_and_run() -> None:
    mask = box(100, 3, 200, 50)  # 3 px below the top edge, 100 px long
    assert touches_borders(mask, tolerance=1) == ()
    assert touches_borders(mask, tolerance=4) == ("top",)
    assert touches_borders(mask, tolerance=4, min_run=150) == ()


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
