import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from sam2_autotrack import MaskError, ObjectTracks
from sam2_autotrack.masks import MaskSequence

stacks = st.integers(1, 40).flatmap(
    lambda h: st.integers(1, 40).flatmap(
        lambda w: hnp.arrays(np.bool_, st.tuples(st.integers(0, 5), st.just(h), st.just(w)))
    )
)


@settings(max_examples=80, deadline=None)
@given(stacks)
def test_round_trip_is_exact(stack: np.ndarray) -> None:
    seq = MaskSequence((stack.shape[2], stack.shape[1]), stack)
    assert seq.shape == stack.shape
    assert np.array_equal(seq.to_array(), stack)
    assert np.array_equal(np.asarray(seq), stack)
    assert seq.areas.tolist() == [int(m.sum()) for m in stack]
    for t in range(len(seq)):
        assert np.array_equal(seq[t], stack[t])
    assert np.array_equal(np.stack(list(seq)) if len(seq) else stack, stack)


def test_reads_are_fresh_arrays_and_inputs_are_untouched() -> None:
    mask = np.zeros((8, 10), bool)
    mask[2:5, 3:7] = True
    seq = MaskSequence((10, 8))
    seq.append(mask)
    mask[:] = False  # the sequence copied it
    first = seq[0]
    first[:] = False  # and hands out new arrays
    assert int(seq[0].sum()) == 12


def test_a_720p_frame_costs_kilobytes_not_a_megabyte() -> None:
    mask = np.zeros((720, 1280), bool)
    yy, xx = np.mgrid[:720, :1280]
    mask[(yy - 360) ** 2 + (xx - 600) ** 2 < 200**2] = True
    seq = MaskSequence((1280, 720), [mask] * 10)
    assert seq.nbytes < 10 * 16_000  # a bool stack would be 10 x 921,600 bytes
    assert np.array_equal(seq[9], mask)


def test_slices_and_equality() -> None:
    stack = np.random.default_rng(0).random((6, 5, 4)) > 0.5
    seq = MaskSequence.from_array(stack)
    assert np.array_equal(seq[2:4].to_array(), stack[2:4])
    assert seq == MaskSequence.from_array(stack)
    assert seq != MaskSequence.from_array(~stack)


@pytest.mark.parametrize(
    ("frame", "words"),
    [(np.zeros((4, 5), bool), "5x4"), (np.zeros((3,), bool), "2-D"), (np.zeros((1, 3, 4)), "2-D")],
)
def test_wrong_frames_are_refused(frame: np.ndarray, words: str) -> None:
    seq = MaskSequence((4, 3))
    with pytest.raises(MaskError, match=words):
        seq.append(frame)
    assert len(seq) == 0


def test_tracks_compress_arrays_and_keep_sequences() -> None:
    stack = np.zeros((3, 4, 5), bool)
    stack[:, 1, 1] = True
    tracks = ObjectTracks(
        masks={"a": stack, "b": MaskSequence.from_array(~stack)},
        frame_indices=np.arange(3),
        frame_count=3,
    )
    assert all(isinstance(s, MaskSequence) for s in tracks.masks.values())
    assert tracks.resolution_wh == (5, 4)
    with pytest.raises(MaskError, match="same"):
        ObjectTracks(masks={"a": stack, "b": stack[:2]}, frame_indices=np.arange(3), frame_count=3)
