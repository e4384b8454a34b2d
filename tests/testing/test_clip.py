"""Tests of sam2_autotrack.testing.clip: validation, read-only arrays and writing to disk."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from sam2_autotrack.errors import ExportError, SyntheticClipError
from sam2_autotrack.evaluation import load_mask_sequences
from sam2_autotrack.testing import SyntheticClip, make_clip


def test_write_round_trips(tmp_path: Path) -> None:
    clip = make_clip("occlusion", resolution_wh=(214, 120), frame_count=9)
    files = clip.write(tmp_path)
    assert files.video_path == tmp_path / "occlusion.mp4"
    assert files.frame_count == 9
    capture = cv2.VideoCapture(str(files.video_path))
    decoded = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        decoded.append(frame[..., ::-1])
    capture.release()
    assert len(decoded) == 9
    assert decoded[0].shape == clip.frames[0].shape
    error = np.abs(decoded[4].astype(int) - clip.frames[4].astype(int)).mean()
    assert error < 6, error
    loaded = load_mask_sequences(files.gt_dir)
    assert sorted(loaded) == sorted(clip.masks)
    for oid, seq in clip.masks.items():
        assert files.mask_dirs[oid] == files.gt_dir / oid
        assert np.array_equal(loaded[oid], seq)
    png = cv2.imread(str(files.gt_dir / "gt_1" / "frame_00000.png"), cv2.IMREAD_UNCHANGED)
    assert png.dtype == np.uint8
    assert png.ndim == 2
    assert set(np.unique(png)) <= {0, 255}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporaries left


def test_rewrite_replaces_stale_ground_truth(tmp_path: Path) -> None:
    make_clip("touching", resolution_wh=(96, 64), frame_count=5).write(tmp_path)
    files = make_clip("touching", resolution_wh=(96, 64), frame_count=3).write(tmp_path)
    assert sorted(p.name for p in (files.gt_dir / "gt_1").iterdir()) == [
        "frame_00000.png",
        "frame_00001.png",
        "frame_00002.png",
    ]


def test_clip_errors() -> None:
    frames = np.zeros((2, 8, 8, 3), np.uint8)
    with pytest.raises(SyntheticClipError, match=r"\(2, 8, 8\).*\(2, 8, 9\)"):
        SyntheticClip("x", frames, {"a": np.zeros((2, 8, 9), bool)})
    with pytest.raises(SyntheticClipError, match="file name"):
        SyntheticClip("a/b", frames, {})
    with pytest.raises(SyntheticClipError, match="uint8"):
        SyntheticClip("x", frames.astype(np.float32), {})


def test_odd_resolution_cannot_be_written(tmp_path: Path) -> None:
    clip = SyntheticClip("odd", np.zeros((1, 9, 8, 3), np.uint8), {})
    with pytest.raises(ExportError, match="even"):
        clip.write(tmp_path)


def test_clip_arrays_are_read_only() -> None:
    clip = make_clip("touching", resolution_wh=(96, 64), frame_count=3)
    with pytest.raises(ValueError, match="read-only"):
        clip.frames[0, 0, 0, 0] = 1
    with pytest.raises(ValueError, match="read-only"):
        clip.masks["gt_1"][0, 0, 0] = True
