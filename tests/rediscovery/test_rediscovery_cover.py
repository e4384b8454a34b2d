"""The covered-proposal rule, the keyframe plan, the options and the id numbering."""

from __future__ import annotations

import numpy as np
import pytest

from sam2_autotrack import ConfigError
from sam2_autotrack.backends.base import MaskProposals
from sam2_autotrack.rediscovery import (
    KeyframeSearch,
    RediscoveryOptions,
    changed,
    coerce_rediscovery,
    covered,
    keyframes,
    new_objects,
    next_object_number,
)
from sam2_autotrack.seeds import SeedOptions
from sam2_autotrack.selection import SelectionOptions


def _box(x0: int, y0: int, x1: int, y1: int, shape: tuple[int, int] = (120, 160)) -> np.ndarray:
    mask = np.zeros(shape, bool)
    mask[y0:y1, x0:x1] = True
    return mask


def test_a_proposal_on_a_live_track_or_holding_one_is_covered_a_new_one_is_not() -> None:
    live = [_box(10, 10, 50, 50)]
    masks = np.stack(
        [
            _box(12, 12, 51, 49),  # the tracked object, boundaries a little off
            _box(30, 10, 70, 50),  # half on the track, half beside it: exactly at the share
            _box(0, 0, 100, 100),  # the tracked object with its surroundings
            _box(100, 60, 140, 100),  # something else
            _box(48, 30, 90, 50),  # touches the track, mostly off it
        ]
    )
    assert covered(masks, live).tolist() == [True, True, True, False, False]
    assert covered(masks, live, cover=0.9).tolist() == [True, False, True, False, False]
    assert covered(masks, []).tolist() == [False] * 5
    assert covered(masks, [np.zeros((120, 160), bool)]).tolist() == [False] * 5


def test_new_objects_are_the_selected_picks_no_live_track_covers() -> None:
    masks = np.stack([_box(20, 20, 60, 60), _box(90, 40, 130, 80), _box(95, 45, 125, 75)])
    # nothing live: the selection rules alone (the nested duplicate goes)
    assert len(new_objects(masks, [])) == 2
    found = new_objects(masks, [_box(20, 20, 60, 60)])
    assert len(found) == 1
    assert found[0][60, 110]
    assert not found[0][40, 40]
    assert len(new_objects(masks, [_box(20, 20, 60, 60), _box(88, 38, 132, 82)])) == 0
    assert new_objects(masks[:0], []).shape == (0, 120, 160)


def _frame(*boxes: tuple[np.ndarray, tuple[int, int, int]]) -> np.ndarray:
    rng = np.random.default_rng(0)
    frame = np.clip(110 + rng.normal(0, 3, (120, 160, 3)), 0, 255).astype(np.uint8)
    for mask, colour in boxes:
        frame[mask] = colour
    return frame


def test_a_find_that_has_not_changed_since_the_shots_last_look_is_not_new() -> None:
    still, entering = _box(20, 20, 60, 60), _box(90, 40, 130, 80)
    earlier = _frame((still, (200, 40, 40)))
    now = _frame((still, (200, 40, 40)), (entering, (40, 60, 210)))
    masks = np.stack([still, entering])
    assert changed(masks, now, earlier, share=0.2).tolist() == [False, True]
    assert changed(masks, now, now, share=0.2).tolist() == [False, False]
    assert changed(masks, now, earlier, share=0.0).tolist() == [True, True]
    # a smaller earlier frame is brought to the keyframe's size
    half = earlier[::2, ::2]
    assert changed(masks, now, half, share=0.2).tolist() == [False, True]
    # the still box sat there unpicked (or its track was lost): only the entering one is new
    found = new_objects(masks, [], image_rgb=now, earlier_rgb=earlier)
    assert len(found) == 1
    assert found[0][60, 110]
    assert len(new_objects(masks, [], image_rgb=now, earlier_rgb=None)) == 2
    assert len(new_objects(masks, [], image_rgb=now, earlier_rgb=earlier, changed_share=0)) == 2


class _Painted:
    """A backend proposing the given boxes that are painted on the frame (not background grey)."""

    def __init__(self, masks: np.ndarray) -> None:
        self.masks = masks

    def propose(self, image_rgb: np.ndarray, **_: object) -> MaskProposals:
        shown = [m for m in self.masks if np.abs(image_rgb[m] - 110.0).mean() > 20.0]
        return MaskProposals(masks=np.stack(shown) if shown else self.masks[:0])


def test_the_keyframe_search_compares_with_the_shots_previous_keyframe() -> None:
    still, entering = _box(20, 20, 60, 60), _box(90, 40, 130, 80)
    red, blue = (200, 40, 40), (40, 60, 210)
    search = KeyframeSearch(
        _Painted(np.stack([still, entering])),  # type: ignore[arg-type]
        selection=SelectionOptions(),
        seeds=SeedOptions(),
        options=RediscoveryOptions(),
        known=("obj_1",),
        every=10,
    )
    # no clip to read a first frame from: the first keyframe is judged on the rules alone
    first = search(10, _frame((still, red)), {}, after_cut=False)
    assert list(first) == ["obj_2"]
    assert first["obj_2"][40, 40]
    # ten frames on the blue box has come; the red box, unchanged and untracked, is not new
    second = search(20, _frame((still, red), (entering, blue)), {}, after_cut=False)
    assert list(second) == ["obj_3"]
    assert second["obj_3"][60, 110]
    # after a cut nothing is compared with the shot before
    third = search(30, _frame((still, red), (entering, blue)), {}, after_cut=True)
    assert len(third) == 2


def test_keyframes_every_k_frames_and_at_cuts_on_mask_frames() -> None:
    assert keyframes(range(100), every=25, cuts=[30]) == [25, 30, 50, 75]
    assert keyframes(range(100), every=25, cuts=[30], at_cuts=False) == [25, 50, 75]
    assert keyframes(range(100), every=0, cuts=[30, 60]) == [30, 60]
    on_every_4th = [12, 20, 32, 36, 40, 52, 60, 72, 80, 92]
    assert keyframes(range(0, 100, 4), every=10, cuts=[33]) == on_every_4th
    assert keyframes([], every=5) == []


def test_options_and_their_coercion() -> None:
    assert RediscoveryOptions().frames_between(25.0) == 50
    assert RediscoveryOptions().frames_between(29.97) == 60
    assert RediscoveryOptions(every=7).frames_between(25.0) == 7
    assert coerce_rediscovery(None) is None
    assert coerce_rediscovery(0) is None
    assert coerce_rediscovery({"every": 9, "cover": 0.6}) == RediscoveryOptions(every=9, cover=0.6)
    for bad in (-1, "often", {"every": 5, "sometimes": True}, {"cover": 0.0}, True, 2.5):
        with pytest.raises(ConfigError):
            coerce_rediscovery(bad)  # type: ignore[arg-type]


def test_new_ids_continue_the_numbering() -> None:
    assert next_object_number(("obj_1", "obj_2")) == 3
    assert next_object_number(("car", "obj_7", "obj_x")) == 8
    assert next_object_number(()) == 1
