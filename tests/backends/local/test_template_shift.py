"""Small objects re-placed by their own look (`template_shift.follow_small_objects`)."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from sam2_autotrack.backends.local.template_shift import follow_small_objects

Frames = tuple[NDArray[np.uint8], NDArray[np.uint8], NDArray[np.uint8]]


def still_flow(shape_hw: tuple[int, int]) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Return the ``(map_x, map_y)`` of a flow that saw nothing move."""
    grid_x, grid_y = np.meshgrid(
        np.arange(shape_hw[1], dtype=np.float32), np.arange(shape_hw[0], dtype=np.float32)
    )
    return grid_x, grid_y


def follow(
    frames: Frames,
    warped: NDArray[np.uint8] | None = None,
    source_xy: tuple[NDArray[np.float32], NDArray[np.float32]] | None = None,
    *,
    max_area: int = 100,
    search: int = 6,
) -> tuple[NDArray[np.uint8], dict[int, NDArray[np.float64]]]:
    """Run `follow_small_objects` on ``(before, after, labels)`` (by default nothing moved)."""
    before, after, labels = frames
    return follow_small_objects(
        before,
        labels,
        after,
        labels if warped is None else warped,
        still_flow(labels.shape) if source_xy is None else source_xy,
        {},
        max_area=max_area,
        search=search,
        ratio=0.5,
    )


def moved_patch(shift_yx: tuple[int, int], *, flat: bool = False) -> Frames:
    """Return a previous frame, a new frame and the previous labels of a 6×12 patch that moved.

    The background is random (or one flat colour, the patch's own, with ``flat``); the patch is
    a fixed random texture moved by ``shift_yx`` whole pixels.
    """
    rng = np.random.default_rng(5)
    height, width = 60, 80
    if flat:
        back = np.full((height, width, 3), 120, np.uint8)
        patch = np.full((6, 12, 3), 120, np.uint8)
    else:
        back = rng.integers(0, 255, (height, width, 3)).astype(np.uint8)
        patch = rng.integers(0, 255, (6, 12, 3)).astype(np.uint8)
    before, after = back.copy(), back.copy()
    before[20:26, 30:42] = patch
    dy, dx = shift_yx
    after[20 + dy : 26 + dy, 30 + dx : 42 + dx] = patch
    labels = np.zeros((height, width), np.uint8)
    labels[20:26, 30:42] = 1
    return before, after, labels


@pytest.mark.parametrize("shift_yx", [(3, 0), (-2, 4), (0, -5)])
def test_a_small_object_the_flow_left_behind_is_moved_to_its_own_pixels(
    shift_yx: tuple[int, int],
) -> None:
    before, after, labels = moved_patch(shift_yx)
    inputs = [a.copy() for a in (before, after, labels)]
    # the flow saw nothing move: its warped map is the previous one
    moved, residuals = follow((before, after, labels))
    dy, dx = shift_yx
    expected = np.zeros_like(labels)
    expected[20 + dy : 26 + dy, 30 + dx : 42 + dx] = 1
    np.testing.assert_array_equal(moved, expected)
    assert set(residuals) == {1}
    assert np.all(np.abs(residuals[1]) <= 0.5)
    for original, given in zip(inputs, (before, after, labels), strict=True):
        np.testing.assert_array_equal(original, given)


def test_an_object_whose_look_does_not_pin_it_down_keeps_the_flow_placement() -> None:
    before, after, labels = moved_patch((3, 0), flat=True)
    warped = np.roll(labels, 1, axis=0)  # wherever the flow put it
    moved, residuals = follow((before, after, labels), warped)
    np.testing.assert_array_equal(moved, warped)
    assert residuals == {}


def test_objects_above_the_area_limit_keep_the_flow_placement() -> None:
    before, after, labels = moved_patch((3, 0))
    moved, _ = follow((before, after, labels), max_area=71)
    np.testing.assert_array_equal(moved, labels)  # 72 pixels > 71


def test_a_template_that_would_leave_the_frame_keeps_the_flow_placement() -> None:
    before, after, labels = moved_patch((3, 0))
    moved, _ = follow((before, after, labels), search=25)
    np.testing.assert_array_equal(moved, labels)


def test_a_moved_object_does_not_take_another_objects_pixels() -> None:
    before, after, labels = moved_patch((3, 0))
    warped = labels.copy()
    warped[26:28, 30:42] = 2  # another object holds the rows the patch moves onto
    moved, _ = follow((before, after, labels), warped)
    assert np.all(moved[26:28, 30:42] == 2)
    assert np.all(moved[23:26, 30:42] == 1)
    assert not np.any(moved[20:23] == 1)


def test_an_object_the_flow_already_explains_keeps_the_flow_placement() -> None:
    before, after, labels = moved_patch((3, 0))
    map_x, map_y = still_flow(labels.shape)
    map_y = map_y - 3.0  # the flow saw the move: each pixel comes from 3 rows up
    warped = np.roll(labels, 3, axis=0)
    moved, residuals = follow((before, after, labels), warped, (map_x, map_y))
    np.testing.assert_array_equal(moved, warped)
    assert residuals == {}


def test_parts_moving_apart_keep_the_flow_placement() -> None:
    # the patch's left half moves down 3 rows, its right half stays: no one shift explains both,
    # and the flow that follows each half does
    before, after, labels = moved_patch((0, 0))
    after = before.copy()
    after[:, :36] = np.roll(before[:, :36], 3, axis=0)
    map_x, map_y = still_flow(labels.shape)
    map_y = map_y.copy()
    map_y[:, :36] -= 3.0
    warped = labels.copy()
    warped[:, :36] = np.roll(labels[:, :36], 3, axis=0)
    moved, _ = follow((before, after, labels), warped, (map_x, map_y))
    np.testing.assert_array_equal(moved, warped)
