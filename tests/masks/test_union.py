"""UnionSequence: the union of objects' masks, frame by frame."""

from __future__ import annotations

import numpy as np
import pytest

from sam2_autotrack import MaskError
from sam2_autotrack.masks import MaskSequence, UnionSequence


def test_union_equals_the_stacked_union_and_never_changes_its_inputs() -> None:
    rng = np.random.default_rng(3)
    stacks = [rng.random((5, 7, 9)) > 0.7 for _ in range(3)]
    sequences = [MaskSequence.from_array(s) for s in stacks]
    union = UnionSequence(sequences)
    expected = stacks[0] | stacks[1] | stacks[2]
    assert union.shape == expected.shape
    assert union.resolution_wh == (9, 7)
    assert len(union) == 5
    assert np.array_equal(np.asarray(union), expected)
    assert np.array_equal(union.to_array(), expected)
    assert all(np.array_equal(f, e) for f, e in zip(union, expected, strict=True))
    assert np.array_equal(union[-1], expected[-1])
    assert np.array_equal(union[1:3].to_array(), expected[1:3])
    frame = union[0]
    frame[:] = True  # a fresh array: the sequences are untouched
    assert np.array_equal(sequences[0].to_array(), stacks[0])


def test_union_needs_objects_of_one_shape() -> None:
    with pytest.raises(MaskError, match="at least one"):
        UnionSequence([])
    a = MaskSequence.from_array(np.zeros((2, 3, 4), bool))
    b = MaskSequence.from_array(np.zeros((3, 3, 4), bool))
    with pytest.raises(MaskError, match="same"):
        UnionSequence([a, b])
