"""Mask frames of a video prediction: counted, decoded lazily, brought back to the source size."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from sam2_autotrack import PredictionError
from sam2_autotrack.backends.replicate.frames import check_frame_count, mask_frames
from sam2_autotrack.backends.replicate.predictions import PredictionResult
from sam2_autotrack.backends.replicate.upload import PreparedVideo


def _pngs(tmp_path: Path, masks: np.ndarray) -> list[Path]:
    paths = []
    for t, mask in enumerate(masks):
        path = tmp_path / f"frame_{t:05d}.png"
        cv2.imwrite(str(path), mask.astype(np.uint8) * 255)
        paths.append(path)
    return paths


def test_frames_are_decoded_one_at_a_time_and_resized_back(tmp_path: Path) -> None:
    small = np.zeros((3, 4, 6), bool)
    small[:, 1:3, 0:3] = True
    files = _pngs(tmp_path, small)
    prepared = PreparedVideo(
        path=tmp_path / "up.mp4", source=tmp_path / "src.mp4", source_wh=(12, 8),
        upload_wh=(6, 4), scale_xy=(0.5, 0.5), start_frame=0, frame_count=5,
        source_frame_count=5,
    )  # fmt: skip
    frames = mask_frames(files, prepared, frame_interval=2)
    first = next(frames)
    files[1].unlink()  # not decoded yet: the generator reads each file when it gets there
    assert first.shape == (8, 12)
    assert first[2:6, 0:6].all()
    assert int(first.sum()) == 24
    with pytest.raises(Exception, match="frame_00001"):
        next(frames)


def test_a_wrong_number_of_frames_is_a_prediction_error(tmp_path: Path) -> None:
    result = PredictionResult(prediction_id="p1", output=None, files=(tmp_path / "a.png",) * 3)
    check_frame_count(result, frame_count=5, frame_interval=2)  # ceil(5 / 2) == 3
    with pytest.raises(PredictionError, match="returned 3 mask frames but the video has 6"):
        check_frame_count(result, frame_count=6, frame_interval=1)
