import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.typing import NDArray

from sam2_autotrack import MaskError
from sam2_autotrack.masks.rle import decode_rle, encode_rle

masks_2d = hnp.arrays(
    dtype=np.bool_,
    shape=st.tuples(st.integers(1, 24), st.integers(1, 24)),
    elements=st.booleans(),
)


@settings(max_examples=150, deadline=None)
@given(masks_2d)
def test_rle_round_trip(mask: NDArray[np.bool_]) -> None:
    rle = encode_rle(mask)
    assert rle["size"] == list(mask.shape)
    assert isinstance(rle["counts"], str)
    decoded = decode_rle(rle)
    assert decoded.dtype == np.bool_
    assert np.array_equal(decoded, mask)
    assert np.array_equal(decode_rle(json.loads(json.dumps(rle))), mask)


@settings(max_examples=150, deadline=None)
@given(
    hnp.arrays(
        dtype=np.bool_,
        shape=st.tuples(st.integers(1, 80), st.integers(1, 80)),
        elements=st.booleans(),
    )
)
def test_rle_matches_pycocotools_byte_for_byte(mask: NDArray[np.bool_]) -> None:
    coco_mask = pytest.importorskip("pycocotools.mask")
    theirs = coco_mask.encode(np.asfortranarray(mask.astype(np.uint8)))
    ours = encode_rle(mask)
    assert ours["counts"].encode("ascii") == theirs["counts"]
    assert ours["size"] == list(theirs["size"])
    assert np.array_equal(decode_rle(theirs), mask)
    assert int(coco_mask.area(theirs)) == int(mask.sum())


def test_rle_handles_long_runs_and_large_masks() -> None:
    coco_mask = pytest.importorskip("pycocotools.mask")
    mask = np.zeros((1080, 1920), dtype=bool)
    mask[100:900, 300:1700] = True
    mask[500, 1000] = False
    theirs = coco_mask.encode(np.asfortranarray(mask.astype(np.uint8)))
    assert encode_rle(mask)["counts"].encode("ascii") == theirs["counts"]
    assert np.array_equal(decode_rle(encode_rle(mask)), mask)
    assert encode_rle(np.ones((3, 4), bool))["counts"] == decode_rle_counts_of_full(3, 4)


def decode_rle_counts_of_full(height: int, width: int) -> str:
    coco_mask = pytest.importorskip("pycocotools.mask")
    full = coco_mask.encode(np.asfortranarray(np.ones((height, width), np.uint8)))
    counts: str = full["counts"].decode("ascii")
    return counts


def test_decode_rle_rejects_malformed_input() -> None:
    with pytest.raises(MaskError, match="size"):
        decode_rle({"counts": "abc"})
    with pytest.raises(MaskError, match="sum"):
        decode_rle({"size": [2, 2], "counts": [1, 2]})
    with pytest.raises(MaskError, match="truncated"):
        decode_rle({"size": [2, 2], "counts": "0`"})  # continuation bit set on the last char
    with pytest.raises(MaskError, match="invalid character"):
        decode_rle({"size": [2, 2], "counts": " "})
    with pytest.raises(MaskError, match="one"):
        encode_rle(np.zeros((2, 2, 2), bool))
