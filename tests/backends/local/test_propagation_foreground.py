"""LabelPropagator constrained to a given foreground (what the image-guided union split uses)."""

from __future__ import annotations

import numpy as np
import pytest

from sam2_autotrack import MaskError
from sam2_autotrack.backends.local.options import TrackerOptions
from sam2_autotrack.backends.local.propagation import LabelPropagator


def _frame(x_red: int, x_blue: int, size: tuple[int, int] = (64, 96)) -> np.ndarray:
    frame = np.full((*size, 3), 40, np.uint8)
    frame[20:44, x_red : x_red + 20] = (220, 40, 40)
    frame[20:44, x_blue : x_blue + 20] = (40, 90, 230)
    return frame


def _masks(frame: np.ndarray) -> np.ndarray:
    return np.stack(
        [np.all(frame == (220, 40, 40), axis=2), np.all(frame == (40, 90, 230), axis=2)]
    )


def _foreground(frame: np.ndarray) -> np.ndarray:
    return np.any(frame != 40, axis=2)


@pytest.mark.parametrize("work_max_side", [480, 64])  # full size, and a smaller working size
def test_masks_partition_the_foreground_exactly(work_max_side: int) -> None:
    first = _frame(20, 40)  # touching boxes
    masks = _masks(first)
    propagator = LabelPropagator(first, masks, options=TrackerOptions(work_max_side=work_max_side))
    nxt = _frame(23, 43)
    foreground = _foreground(nxt)
    foreground[0, 0] = True  # a stray foreground pixel far from both objects
    out = propagator.step(nxt, foreground=foreground)
    assert (out.sum(axis=0) == foreground).all()  # every foreground pixel, exactly one object
    red = np.all(nxt == (220, 40, 40), axis=2)
    assert (out[0] & red).sum() >= 0.95 * red.sum()


def test_a_foreground_region_no_prior_reaches_goes_by_appearance() -> None:
    first = _frame(10, 60)
    masks = _masks(first)
    propagator = LabelPropagator(first, masks)
    nxt = _frame(10, 60)
    nxt[52:62, 2:12] = (40, 90, 230)  # a blue patch far from the blue box, next to the red one
    foreground = _foreground(nxt)
    out = propagator.step(nxt, foreground=foreground)
    assert out[1][52:62, 2:12].all()  # blue-looking foreground is the blue object's
    assert not out[0][52:62, 2:12].any()


def test_without_foreground_nothing_changes_and_a_wrong_size_is_refused() -> None:
    first = _frame(20, 60)
    masks = _masks(first)
    plain = LabelPropagator(first, masks).step(_frame(22, 58))
    again = LabelPropagator(first, masks).step(_frame(22, 58), foreground=None)
    assert (plain == again).all()
    with pytest.raises(MaskError, match="foreground is 95x64"):
        LabelPropagator(first, masks).step(_frame(22, 58), foreground=np.ones((64, 95), bool))
