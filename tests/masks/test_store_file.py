"""The mask index file (.msq): exact round trip, lazy reads, and damaged files refused."""

from __future__ import annotations

import os
import struct
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from sam2_autotrack import MaskError
from sam2_autotrack.masks import MaskSequence, open_mask_file, write_mask_file

stacks = st.integers(1, 30).flatmap(
    lambda h: st.integers(1, 30).flatmap(
        lambda w: hnp.arrays(np.bool_, st.tuples(st.integers(0, 5), st.just(h), st.just(w)))
    )
)


def _moving(frames: int = 6, shape: tuple[int, int] = (24, 40)) -> np.ndarray:
    stack = np.zeros((frames, *shape), bool)
    for t in range(frames):
        stack[t, 4:14, 2 + 3 * t : 12 + 3 * t] = True
    return stack


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(stacks)
def test_round_trip_is_exact(tmp_path: Path, stack: np.ndarray) -> None:
    seq = MaskSequence((stack.shape[2], stack.shape[1]), stack)
    loaded = open_mask_file(write_mask_file(tmp_path / "a.msq", seq))
    assert loaded.shape == stack.shape
    assert np.array_equal(loaded.to_array(), stack)
    assert loaded.areas.tolist() == seq.areas.tolist()
    assert loaded == seq
    assert loaded.nbytes == seq.nbytes


def test_frames_are_read_from_the_file_on_demand(tmp_path: Path) -> None:
    stack = _moving()
    path = write_mask_file(tmp_path / "obj_1.msq", MaskSequence.from_array(stack))
    loaded = open_mask_file(path)
    assert loaded.source == path
    assert MaskSequence.from_array(stack).source is None
    # the file holds the compressed frames; only offsets and areas were read
    assert path.stat().st_size == 40 + loaded.nbytes + 24 * len(stack)
    assert np.array_equal(loaded[3], stack[3])
    assert np.array_equal(loaded[-1], stack[-1])
    part = loaded[2:5]
    assert part.source == path
    assert np.array_equal(part.to_array(), stack[2:5])
    assert part.areas.tolist() == stack[2:5].sum(axis=(1, 2)).tolist()
    with pytest.raises(IndexError):
        loaded[len(stack)]


def test_a_file_sequence_is_read_only_and_copies_into_memory(tmp_path: Path) -> None:
    stack = _moving()
    loaded = open_mask_file(write_mask_file(tmp_path / "a.msq", MaskSequence.from_array(stack)))
    with pytest.raises(MaskError, match=r"cannot be appended to; copy it first"):
        loaded.append(stack[0])
    copy = MaskSequence(loaded.resolution_wh, loaded)
    copy.append(stack[0])
    assert copy.source is None
    assert len(copy) == len(stack) + 1


def test_a_replaced_file_is_refused_not_read_at_stale_offsets(tmp_path: Path) -> None:
    stack = _moving()
    path = write_mask_file(tmp_path / "a.msq", MaskSequence.from_array(stack))
    loaded = open_mask_file(path)
    write_mask_file(path, MaskSequence.from_array(~stack))  # another run wrote the folder
    with pytest.raises(MaskError, match="changed since it was loaded"):
        loaded[0]
    path.unlink()
    with pytest.raises(MaskError, match="moved or deleted"):
        loaded[0]


def _damage(path: Path, offset: int, data: bytes) -> None:
    with path.open("r+b") as handle:
        handle.seek(offset)
        handle.write(data)


@pytest.mark.parametrize(
    ("damage", "words"),
    [
        (lambda p: p.write_bytes(b"not a mask file at all, just text"), "not a mask index"),
        (lambda p: p.write_bytes(p.read_bytes()[:-5]), "truncated"),
        (lambda p: _damage(p, 8, struct.pack("<I", 2)), "version 2"),
        (lambda p: _damage(p, p.stat().st_size - 3, b"\xff"), "checksum"),
        (lambda p: _damage(p, 12, struct.pack("<I", 0)), "0x24"),
    ],
)
def test_damaged_files_are_refused_with_the_reason(
    tmp_path: Path, damage: Callable[[Path], object], words: str
) -> None:
    path = write_mask_file(tmp_path / "a.msq", MaskSequence.from_array(_moving()))
    damage(path)
    with pytest.raises(MaskError, match=words):
        open_mask_file(path)


def test_a_corrupt_frame_is_refused_when_read(tmp_path: Path) -> None:
    path = write_mask_file(tmp_path / "a.msq", MaskSequence.from_array(_moving()))
    _damage(path, 42, b"\x00\x00\x00")  # inside frame 0's compressed bytes
    loaded = open_mask_file(path)
    with pytest.raises(MaskError, match="corrupt"):
        loaded[0]
    assert loaded[1].any()


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(MaskError, match="cannot read the mask index"):
        open_mask_file(tmp_path / "nothing.msq")


def test_writing_is_atomic_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    write_mask_file(tmp_path / "a.msq", MaskSequence.from_array(_moving()))
    assert sorted(os.listdir(tmp_path)) == ["a.msq"]
