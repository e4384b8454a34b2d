"""Both re-discovery paths compare a keyframe's finds with the same frame: `ShotReference`.

A find is named only when it changed since the shot's previous *searched* keyframe (or the clip's
first frame). A cut starts a new shot: its frame is compared with nothing, and when it is not
searched itself, nothing of the new shot was judged yet, so its first keyframe is compared with
nothing either (its still objects must not be held back as "unchanged").
"""

from __future__ import annotations

import numpy as np

from sam2_autotrack.backends.local.backend import LocalBackend
from sam2_autotrack.rediscovery import KeyframeSearch, RediscoveryOptions, ShotReference
from sam2_autotrack.seeds.options import SeedOptions
from sam2_autotrack.selection.options import SelectionOptions


def _frame(value: int) -> np.ndarray:
    return np.full((12, 16, 3), value, np.uint8)


def test_a_keyframe_is_compared_with_the_previous_searched_keyframe_of_its_shot() -> None:
    ref = ShotReference(_frame(0))
    assert int(ref.step(_frame(1), after_cut=False)[0, 0, 0]) == 0
    # a frame that is not searched leaves the reference as it was
    assert int(ref.step(_frame(2), after_cut=False, keyframe=False)[0, 0, 0]) == 1
    assert int(ref.step(_frame(3), after_cut=False)[0, 0, 0]) == 1
    assert int(ref.frame[0, 0, 0]) == 3


def test_a_cut_starts_the_shot_over() -> None:
    ref = ShotReference(_frame(0))
    assert ref.step(_frame(5), after_cut=True) is None
    assert int(ref.step(_frame(6), after_cut=False)[0, 0, 0]) == 5
    # a cut that is not searched: the shot's first keyframe has nothing to compare with
    assert ref.step(_frame(7), after_cut=True, keyframe=False) is None
    assert ref.frame is None
    assert ref.step(_frame(8), after_cut=False) is None
    assert int(ref.step(_frame(9), after_cut=False)[0, 0, 0]) == 8


def test_the_first_frame_is_read_once_and_only_when_needed() -> None:
    calls: list[int] = []

    def load() -> np.ndarray:
        calls.append(1)
        return _frame(4)

    ref = ShotReference(load=load)
    assert calls == []
    assert int(ref.step(_frame(1), after_cut=False)[0, 0, 0]) == 4
    assert ref.frame is not None
    assert calls == [1]
    # a cut before any keyframe never needs the first frame
    cut_first = ShotReference(load=load)
    assert cut_first.step(_frame(2), after_cut=True) is None
    assert cut_first.frame is not None
    assert calls == [1]
    # the stored frame is a copy: the caller may reuse its buffer
    buffer = _frame(1)
    ref.step(buffer, after_cut=False)
    buffer[:] = 200
    assert int(ref.frame[0, 0, 0]) == 1


def test_the_embedded_engines_search_forgets_the_old_shot_at_a_cut_it_does_not_search() -> None:
    search = KeyframeSearch(
        LocalBackend(),
        selection=SelectionOptions(),
        seeds=SeedOptions(),
        options=RediscoveryOptions(at_cuts=False),
        known=("obj_1",),
        every=10,
    )
    search(10, _frame(10), {}, False)  # on the beat (nothing to find in a flat frame)
    assert int(search.earlier_frame()[0, 0, 0]) == 10
    # frame 24 is a cut off the beat, not searched: no frame of the new shot was judged
    assert search(24, _frame(24), {}, True) == {}
    assert search.earlier_frame() is None
