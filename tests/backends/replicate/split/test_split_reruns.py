"""The clicks and frame ranges of a window's per-object predictions."""

from __future__ import annotations

import numpy as np
import pytest

from sam2_autotrack import Click, ClickError, ClickSet
from sam2_autotrack.backends.replicate.split import Window, reruns_of


def _masks() -> dict[int, np.ndarray]:
    a = np.zeros((60, 80), bool)
    a[10:50, 5:38] = True
    b = np.zeros((60, 80), bool)
    b[10:50, 38:75] = True  # touching a
    return {1: a, 2: b}


CLICKS = ClickSet.build(
    [
        Click(x=20, y=30, object_id="a"),
        Click(x=50, y=30, object_id="b"),
        Click(x=60, y=30, frame=9, object_id="b"),  # a later correction click
    ],
    resolution_wh=(80, 60),
)


def test_clicks_are_placed_inside_each_rerun_object_on_the_window_first_frame() -> None:
    window = Window(first=4, last=8, objects=(1, 2), rerun=(2,), leftover=1)
    (run,) = reruns_of([window], [_masks()], ["a", "b"], CLICKS, start_frame=10, frame_interval=2)
    assert (run.start_frame, run.stop_frame) == (18, 27)  # mask frames 4..8 at k=2, from 10
    assert run.purpose == "window 18-26 b"
    assert run.clicks.object_ids == ("b",)
    b = _masks()[2]
    positives = [c for c in run.clicks if c.is_positive]
    negatives = [c for c in run.clicks if not c.is_positive]
    assert positives
    assert all(b[c.y, c.x] for c in positives)
    assert all(c.frame == 18 for c in run.clicks)
    assert all(_masks()[1][c.y, c.x] for c in negatives)  # negatives go in the touching object


def test_a_window_at_the_start_reuses_the_original_clicks_in_its_range() -> None:
    window = Window(first=0, last=5, objects=(1, 2), rerun=(1, 2))
    runs = reruns_of([window], [_masks()], ["a", "b"], CLICKS, start_frame=0)
    assert [r.object_id for r in runs] == ["a", "b"]
    assert [c.point_xy for c in runs[1].clicks] == [(50, 30)]  # frame 9 is outside 0..5
    late = Window(first=0, last=12, objects=(1, 2), rerun=(2,), leftover=1)
    (run,) = reruns_of([late], [_masks()], ["a", "b"], CLICKS, start_frame=0)
    assert [c.frame for c in run.clicks] == [0, 9]


def test_a_window_at_the_start_needs_the_object_clicked_there() -> None:
    clicks = ClickSet.build(
        [Click(x=20, y=30, object_id="a"), Click(x=50, y=30, frame=3, object_id="b")]
    )
    window = Window(first=0, last=2, objects=(1, 2), rerun=(2,), leftover=1)
    with pytest.raises(ClickError, match="no click on frame 0"):
        reruns_of([window], [_masks()], ["a", "b"], clicks, start_frame=0)
