"""Tests of sam2_autotrack.viz.draw: label boxes and free spots, the hatch, click markers."""

from __future__ import annotations

import numpy as np

from sam2_autotrack.viz.draw import (
    draw_click,
    free_text_origin,
    hatch,
    put_text,
    text_box,
    text_size,
)


def test_put_text_fills_exactly_its_text_box() -> None:
    canvas = np.zeros((60, 120, 3), np.uint8)
    put_text(canvas, "12:obj_1", (10, 30), 0.5, (0, 0, 255), box=(200, 0, 0))
    x0, y0, x1, y1 = text_box("12:obj_1", (10, 30), 0.5)
    painted = canvas.any(axis=-1)
    assert painted[y0:y1, x0:x1].all()
    painted[y0:y1, x0:x1] = False
    assert not painted.any(), "nothing outside the box"


def test_free_text_origin_avoids_taken_boxes_and_stays_inside() -> None:
    taken = [text_box("0:obj_1", (40, 40), 0.5)]
    origin = free_text_origin("18", (40, 40), 0.5, (120, 80), taken)
    assert origin is not None
    box = text_box("18", origin, 0.5)
    other = taken[0]
    assert box[2] <= other[0] or other[2] <= box[0] or box[3] <= other[1] or other[3] <= box[1]
    width, height = text_size("18", 0.5)
    assert 0 <= origin[0] <= 120 - width
    assert height <= origin[1] < 80
    assert free_text_origin("18", (40, 40), 0.5, (120, 80), []) == (40, 40)


def test_free_text_origin_gives_up_when_everything_is_taken() -> None:
    full = [(-10, -10, 200, 200)]
    assert free_text_origin("7", (20, 20), 0.5, (60, 40), full) is None


def test_hatch_covers_about_a_fifth() -> None:
    lines = hatch((100, 100), 10)
    assert 0.15 < lines.mean() < 0.25
    assert lines[0, 0]
    assert not lines[0, 5]


def test_click_markers_show_plus_and_minus() -> None:
    canvas = np.zeros((40, 80, 3), np.uint8)
    draw_click(canvas, 20, 20, (200, 0, 0), True, 8)
    draw_click(canvas, 60, 20, (200, 0, 0), False, 8)
    white = [255, 255, 255]
    assert canvas[20, 20].tolist() == white
    assert canvas[15, 20].tolist() == white, "a + has a vertical bar"
    assert canvas[15, 60].tolist() == [200, 0, 0], "a − has none"
