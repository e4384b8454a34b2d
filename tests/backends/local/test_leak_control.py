"""Leak control: an object's prior is gated to pixels near it that move like it."""

from __future__ import annotations

import numpy as np

from sam2_autotrack.backends.local import TrackerOptions
from sam2_autotrack.backends.local.leak_control import limit_growth, weaken_uncovered


def _scene() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw an object (label 1) moving right by 3 px beside a still neighbour region."""
    priors = np.ones((2, 60, 80), np.float32)
    warped = np.zeros((60, 80), np.uint8)
    warped[20:40, 20:40] = 1
    flow = np.zeros((60, 80, 2), np.float32)
    flow[15:45, 15:45] = (-3.0, 0.0)  # backward flow of the object and a band around it
    flow[15:45, 40:45] = 0.0  # the still neighbour right of it
    return priors, warped, flow


def test_a_still_neighbour_is_gated_and_the_moving_band_is_not() -> None:
    priors, warped, flow = _scene()
    opts = TrackerOptions()
    before = priors.copy()
    limit_growth(priors, warped, flow, None, opts)
    assert priors[1, 30, 17] == before[1, 30, 17]  # moves like the object: may be gained
    assert priors[1, 30, 42] == np.float32(opts.motion_gate)  # still neighbour: gated
    assert priors[1, 30, 79] == 0.0  # far from the object: no appearance-only jump
    np.testing.assert_array_equal(priors[0], before[0])  # the background is never gated


def test_uncovered_pixels_are_left_to_appearance() -> None:
    priors, warped, flow = _scene()
    uncovered = np.zeros((60, 80), bool)
    uncovered[25:35, 40:45] = True
    limit_growth(priors, warped, flow, uncovered, TrackerOptions())
    assert priors[1, 30, 42] == 1.0
    assert priors[1, 20, 42] < 1.0


def test_weaken_uncovered_lowers_only_the_copied_label_where_flows_disagree() -> None:
    priors = np.ones((3, 20, 20), np.float32)
    warped = np.zeros((20, 20), np.uint8)
    warped[:, 10:] = 2
    flow = np.zeros((20, 20, 2), np.float32)
    forward = np.zeros_like(flow)
    forward[5:8, 12:15] = (4.0, 0.0)  # forward flow that does not lead back
    ys, xs = np.mgrid[0:20, 0:20].astype(np.float32)
    uncovered = weaken_uncovered(priors, warped, flow, forward, xs, ys, 0.25)
    assert uncovered.sum() == 9
    assert uncovered[5:8, 12:15].all()
    np.testing.assert_allclose(priors[2, 5:8, 12:15], 0.25)
    assert priors[2, 0, 12] == 1.0
    np.testing.assert_array_equal(priors[:2], 1.0)  # other labels untouched
