"""The auto strategy's plan: unsure frames, windows, re-run objects, budget; and the signals."""

from __future__ import annotations

import numpy as np
import pytest

from sam2_autotrack import ConfigError, MaskError
from sam2_autotrack.backends.replicate.split import (
    AutoOptions,
    FrameSignals,
    Window,
    frame_signals,
    plan_windows,
    unsure_objects,
)

APART = FrameSignals(areas=(100, 100, 100))
MERGED_12 = FrameSignals(areas=(100, 100, 100), groups=((1, 2),))


def test_frame_signals_find_objects_sharing_a_component() -> None:
    labels = np.zeros((6, 12), np.int32)
    labels[1:3, 1:3] = 1
    labels[1:3, 3:5] = 2  # touches 1
    labels[4:6, 8:10] = 3  # alone
    signals = frame_signals(labels, 3, purity=[1.0, 0.5, 1.0])
    assert signals.areas == (4, 4, 4)
    assert signals.groups == ((1, 2),)
    assert signals.partners(1) == (2,)
    assert signals.partners(3) == ()
    assert signals.purity_of(2) == 0.5
    # diagonal contact counts (8-connectivity); an object in two components links them
    labels = np.zeros((4, 8), np.int32)
    labels[0, 0], labels[1, 1] = 1, 2
    labels[3, 6], labels[3, 7] = 2, 3
    assert frame_signals(labels, 3).groups == ((1, 2, 3),)


def test_frame_signals_refuse_labels_beyond_the_count() -> None:
    with pytest.raises(MaskError, match=r"beyond 1\.\.2"):
        frame_signals(np.array([[3, 1]]), 2)


def test_merged_frames_become_one_window_from_the_confident_frame_before() -> None:
    frames = [APART] * 10 + [MERGED_12] * 4 + [APART] * 10
    (window,) = plan_windows(frames, AutoOptions(margin=2), upload_frames=24)
    assert (window.first, window.last) == (9, 15)  # lead frame 9, unsure 10..13, margin 2
    assert window.objects == (1, 2)
    assert window.leftover == 1
    assert window.rerun == (2,)
    assert window.reasons == ("merge",)
    assert window.frames_uploaded() == 7
    assert window.cost(frame_interval=3) == 19
    assert 9 in window
    assert 16 not in window


def test_without_leave_one_out_every_unsure_object_is_rerun() -> None:
    frames = [APART] * 5 + [MERGED_12] * 3 + [APART] * 5
    (window,) = plan_windows(frames, AutoOptions(leave_one_out=False), upload_frames=13)
    assert window.rerun == (1, 2)
    assert window.leftover is None


def test_close_runs_are_joined_and_far_runs_are_not() -> None:
    frames = [APART] * 4 + [MERGED_12] + [APART] * 2 + [MERGED_12] + [APART] * 12 + [MERGED_12]
    frames += [APART] * 4
    windows = plan_windows(frames, AutoOptions(merge_gap=2, margin=1), upload_frames=len(frames))
    assert [(w.first, w.last) for w in windows] == [(3, 8), (19, 21)]
    apart = plan_windows(frames, AutoOptions(merge_gap=0, margin=1), upload_frames=len(frames))
    assert [(w.first, w.last) for w in apart] == [(3, 5), (6, 8), (19, 21)]


def test_a_vanished_object_that_comes_back_is_unsure_with_its_occluder() -> None:
    behind = FrameSignals(areas=(100, 60, 100), groups=((1, 2),))
    gone = FrameSignals(areas=(100, 0, 100))
    frames = [APART] * 5 + [behind] * 2 + [gone] * 4 + [behind] * 2 + [APART] * 5
    flags, lost = unsure_objects(frames, AutoOptions())
    assert lost[1][7:11] == [True] * 4
    assert not any(lost[0])
    assert flags[8] == {1: {"vanish"}, 2: {"vanish"}}
    (window,) = plan_windows(frames, AutoOptions(), upload_frames=len(frames))
    assert (window.first, window.last) == (4, 13)
    assert window.leftover == 1
    assert window.rerun == (2,)
    assert window.reasons == ("merge", "vanish")


def test_an_object_that_leaves_for_good_costs_no_window() -> None:
    gone = FrameSignals(areas=(100, 0, 100))
    frames = [APART] * 5 + [gone] * 6
    flags, lost = unsure_objects(frames, AutoOptions())
    assert all(lost[1][5:])
    assert not any(flags)
    assert plan_windows(frames, AutoOptions(), upload_frames=11) == ()


def test_a_drop_in_colour_purity_is_unsure_identity() -> None:
    clean = FrameSignals(areas=(100, 100, 100), purity=(1.0, 1.0, 0.6))
    swapped = FrameSignals(areas=(100, 100, 100), purity=(0.7, 1.0, 0.6))
    frames = [clean] * 4 + [swapped] + [clean] * 4
    flags, _ = unsure_objects(frames, AutoOptions(min_purity=0.9))
    assert flags[4] == {1: {"identity"}}  # object 3's purity was always 0.6: relative, not absolute
    (window,) = plan_windows(frames, AutoOptions(min_purity=0.9), upload_frames=9)
    assert window.rerun == (1,)
    assert window.leftover is None
    assert window.reasons == ("identity",)
    assert plan_windows(frames, AutoOptions(min_purity=0.6), upload_frames=9) == ()


def test_unsure_first_frame_starts_the_window_at_zero() -> None:
    frames = [MERGED_12] * 3 + [APART] * 5
    (window,) = plan_windows(frames, AutoOptions(), upload_frames=8)
    assert (window.first, window.last) == (0, 3)


def test_the_budget_keeps_the_most_unsure_windows() -> None:
    gone = FrameSignals(areas=(100, 0, 100))
    behind = FrameSignals(areas=(100, 60, 100), groups=((1, 2),))
    frames = [APART] * 3 + [MERGED_12] * 3 + [APART] * 8  # a short merge: score 6
    frames += [behind] + [gone] * 3 + [behind] + [APART] * 8  # an occlusion: score 2*2 + 3*6
    total = len(frames)
    every = plan_windows(frames, AutoOptions(), upload_frames=total)
    assert len(every) == 2
    costs = [w.cost() for w in every]
    tight = plan_windows(
        frames, AutoOptions(max_extra_frames=max(costs) / total), upload_frames=total
    )
    assert [w.reasons for w in tight] == [("merge", "vanish")]
    assert plan_windows(frames, AutoOptions(max_extra_frames=0), upload_frames=total) == ()
    assert sum(w.cost() for w in every) <= total  # the default budget: one more union's frames


def test_an_object_absent_on_the_lead_frame_cannot_be_rerun() -> None:
    appears = FrameSignals(areas=(100, 0, 100))
    merged = FrameSignals(areas=(100, 50, 100), groups=((1, 2),))
    frames = [appears] * 3 + [merged] * 2 + [APART] * 3
    (window,) = plan_windows(frames, AutoOptions(leave_one_out=False), upload_frames=8)
    assert window.objects == (1, 2)
    assert window.rerun == (1,)


def test_windows_and_options_are_checked() -> None:
    with pytest.raises(MaskError, match="first <= last"):
        Window(first=5, last=4, objects=(1,), rerun=(1,))
    with pytest.raises(MaskError, match="subset"):
        Window(first=0, last=4, objects=(1,), rerun=(2,))
    with pytest.raises(ConfigError, match="max_extra_frames"):
        AutoOptions(max_extra_frames=-1)
    with pytest.raises(ConfigError, match="margin=0"):
        AutoOptions(margin=0)
    with pytest.raises(ConfigError, match="unknown option"):
        AutoOptions(budget=2)
    assert plan_windows([], AutoOptions(), upload_frames=0) == ()
