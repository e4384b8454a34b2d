"""Stitching the per-object windows back into the split, and carrying identities past them."""

from __future__ import annotations

import numpy as np
import pytest

from sam2_autotrack import MaskError
from sam2_autotrack.backends.replicate.split import (
    Window,
    identity_map,
    relabel,
    stitch_frame,
    stitch_sequences,
)
from sam2_autotrack.masks.store import MaskSequence


def _row(*values: int) -> np.ndarray:
    return np.array([values], dtype=np.int32)


def test_claims_decide_the_window_objects_and_the_leftover_gets_the_rest() -> None:
    split = _row(1, 1, 1, 1, 2, 2, 3, 3, 0)
    claim_2 = _row(0, 0, 1, 1, 1, 1, 0, 0, 1).astype(bool)  # also claims a background pixel
    out = stitch_frame(split, {2: claim_2}, objects=(1, 2), leftover=1)
    assert out.tolist() == [[1, 1, 2, 2, 2, 2, 3, 3, 0]]  # background stays background
    # without a leftover the split's owner keeps what nobody claims
    claim_2 = _row(0, 0, 1, 0, 0, 0, 0, 0, 0).astype(bool)
    assert stitch_frame(split, {2: claim_2}, objects=(1, 2)).tolist() == [
        [1, 1, 2, 1, 2, 2, 3, 3, 0]
    ]


def test_a_claim_overrides_an_object_outside_the_window() -> None:
    split = _row(1, 1, 3, 3, 0)
    out = stitch_frame(split, {1: _row(1, 1, 1, 0, 0).astype(bool)}, objects=(1,))
    assert out.tolist() == [[1, 1, 1, 3, 0]]


def test_overlapping_claims_keep_the_split_owner_when_it_is_a_claimant() -> None:
    split = _row(1, 2, 2, 3)
    claims = {2: _row(1, 1, 1, 0).astype(bool), 3: _row(1, 1, 0, 1).astype(bool)}
    out = stitch_frame(split, claims, objects=(1, 2, 3), leftover=1)
    assert out.tolist() == [[2, 2, 2, 3]]  # pixel 0: neither claimant owned it, the first wins


def test_a_claim_a_pixel_short_of_the_union_edge_does_not_hand_the_rim_away() -> None:
    split = np.zeros((20, 20), np.int32)
    split[1:18, 1:10] = 1
    split[1:18, 10:18] = 2
    claim_2 = np.zeros((20, 20), bool)
    claim_2[2:17, 10:17] = True  # the object's own mask, one pixel inside its outer outline
    out = stitch_frame(split, {2: claim_2}, objects=(1, 2), leftover=1)
    assert (out == split).all()
    # but a pixel of the split's object 2 deep inside object 1's side goes to the leftover
    split[9, 5] = 2
    out = stitch_frame(split, {2: claim_2}, objects=(1, 2), leftover=1)
    assert out[9, 5] == 1


def test_identity_map_and_relabel() -> None:
    split = _row(1, 1, 2, 2, 3, 0)
    stitched = _row(2, 2, 1, 1, 3, 0)
    mapping = identity_map(split, stitched, (1, 2))
    assert mapping == {1: 2, 2: 1}
    table = np.arange(4, dtype=np.int32)
    for before, after in mapping.items():
        table[before] = after
    assert relabel(split, table).tolist() == stitched.tolist()
    assert identity_map(_row(1, 0, 0), _row(0, 0, 2), (1, 2)) == {1: 1, 2: 2}
    with pytest.raises(MaskError, match="keeps 0"):
        relabel(split, np.array([1, 0], np.int32))


def test_a_swap_inside_a_window_is_undone_for_the_rest_of_the_clip() -> None:
    frames, width = 8, 10
    a = np.zeros((frames, 1, width), bool)
    b = np.zeros((frames, 1, width), bool)
    a[:, 0, :4] = True
    b[:, 0, 6:] = True
    truth = {"a": a.copy(), "b": b.copy()}
    a[3:], b[3:] = truth["b"][3:], truth["a"][3:]  # the split swaps them at frame 3
    split = {"a": MaskSequence.from_array(a), "b": MaskSequence.from_array(b)}
    window = Window(first=2, last=4, objects=(1, 2), rerun=(2,), leftover=1)
    claims = iter(truth["b"][2:5])
    fixed = stitch_sequences(split, [window], [{2: claims}])
    assert (fixed["a"].to_array() == truth["a"]).all()
    assert (fixed["b"].to_array() == truth["b"]).all()
    assert next(claims, None) is None  # every window frame was read, once


def test_stitch_sequences_checks_its_inputs() -> None:
    split = {"a": MaskSequence.from_array(np.ones((2, 1, 3), bool))}
    window = Window(first=0, last=1, objects=(1,), rerun=(1,))
    with pytest.raises(MaskError, match="claims for 0 windows"):
        stitch_sequences(split, [window], [])
    with pytest.raises(MaskError, match="claims\\[1\\]"):
        stitch_frame(_row(1, 1), {1: np.ones((2, 2), bool)}, objects=(1,))
