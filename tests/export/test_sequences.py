from pathlib import Path

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image

from sam2_autotrack import ExportError, MaskError
from sam2_autotrack.export.palette import davis_palette
from sam2_autotrack.export.sequences import write_mask_sequences, write_palette_pngs
from sam2_autotrack.masks.cleanup import MaskCleanup, hold_to_all_frames


def _blobs(count: int, height: int, width: int, seed: int) -> NDArray[np.bool_]:
    rng = np.random.default_rng(seed)
    noise = rng.random((count, height + 4, width + 4))
    smooth = cv2.blur(noise.transpose(1, 2, 0), (5, 5)).reshape(height + 4, width + 4, count)
    return np.ascontiguousarray(smooth.transpose(2, 0, 1)[:, 2:-2, 2:-2] > 0.52)


def test_mask_sequences_are_lossless_white_on_black(tmp_path: Path) -> None:
    car = _blobs(3, 17, 23, seed=1)
    dog = _blobs(3, 17, 23, seed=2)
    files = write_mask_sequences(
        {"car": car, "dog": dog}, frame_indices=[0, 4, 8], out_dir=tmp_path
    )
    assert list(files) == ["car", "dog"]
    for object_id, masks in (("car", car), ("dog", dog)):
        names = [p.relative_to(tmp_path).as_posix() for p in files[object_id]]
        assert names == [f"{object_id}/frame_{i:05d}.png" for i in (0, 4, 8)]
        for path, mask in zip(files[object_id], masks, strict=True):
            image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
            assert image.dtype == np.uint8
            assert image.ndim == 2
            assert np.array_equal(image, np.where(mask, 255, 0))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["car", "dog"]  # no temp files


def test_mask_sequences_hold_to_every_frame(tmp_path: Path) -> None:
    masks = _blobs(2, 9, 11, seed=3)
    files = write_mask_sequences({"a": masks}, frame_indices=[1, 3], out_dir=tmp_path, hold_to=6)
    assert [p.name for p in files["a"]] == [f"frame_{i:05d}.png" for i in range(6)]
    expected = hold_to_all_frames(masks, [1, 3], 6)
    for path, mask in zip(files["a"], expected, strict=True):
        assert np.array_equal(cv2.imread(str(path), cv2.IMREAD_UNCHANGED) > 0, mask)


def test_mask_sequences_apply_cleanup_and_feather(tmp_path: Path) -> None:
    masks = np.zeros((1, 20, 20), dtype=bool)
    masks[0, 4:16, 4:16] = True
    masks[0, 9, 9] = False
    masks[0, 0, 19] = True
    cleanup = MaskCleanup(fill_holes_px=1, min_component_px=2, feather_px=2)
    written = write_mask_sequences(
        {"a": masks}, frame_indices=[0], out_dir=tmp_path, cleanup=cleanup
    )
    image = cv2.imread(str(written["a"][0]), cv2.IMREAD_UNCHANGED)
    assert image[9, 9] >= 128
    assert image[0, 19] < 128
    assert np.any((image > 0) & (image < 255))


def test_unsafe_object_ids_are_refused(tmp_path: Path) -> None:
    masks = np.zeros((1, 2, 2), dtype=bool)
    for bad in ("../escape", "a/b", "", ".hidden"):
        with pytest.raises(ExportError, match="folder name"):
            write_mask_sequences({bad: masks}, frame_indices=[0], out_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_davis_palette_matches_the_known_colours() -> None:
    palette = davis_palette()
    assert palette.shape == (256, 3)
    assert palette[1].tolist() == [128, 0, 0]
    assert palette[5].tolist() == [128, 0, 128]
    assert palette[8].tolist() == [64, 0, 0]
    assert palette[255].tolist() == [224, 224, 192]
    assert len({tuple(c) for c in palette.tolist()}) == 256


def test_palette_pngs_hold_indices_and_the_davis_palette(tmp_path: Path) -> None:
    a = _blobs(2, 13, 19, seed=4)
    b = _blobs(2, 13, 19, seed=5)
    files = write_palette_pngs({"a": a, "b": b}, frame_indices=[0, 7], out_dir=tmp_path)
    assert [p.name for p in files] == ["frame_00000.png", "frame_00007.png"]
    for t, path in enumerate(files):
        with Image.open(path) as image:
            assert image.mode == "P"
            labels = np.asarray(image)
            palette = np.asarray(image.getpalette()[: 3 * 256], dtype=np.uint8).reshape(-1, 3)
        expected = np.zeros((13, 19), dtype=np.uint8)
        expected[a[t]] = 1
        expected[b[t]] = 2  # the later object wins overlaps
        assert np.array_equal(labels, expected)
        assert np.array_equal(palette, davis_palette()[: palette.shape[0]])


def test_palette_pngs_refuse_too_many_objects(tmp_path: Path) -> None:
    masks = {f"o{i}": np.zeros((1, 2, 2), dtype=bool) for i in range(256)}
    with pytest.raises(ExportError, match="255"):
        write_palette_pngs(masks, frame_indices=[0], out_dir=tmp_path)


def test_exports_reject_mismatched_inputs(tmp_path: Path) -> None:
    with pytest.raises(MaskError, match="same"):
        write_palette_pngs(
            {"a": np.zeros((1, 2, 2), bool), "b": np.zeros((1, 3, 2), bool)},
            frame_indices=[0],
            out_dir=tmp_path,
        )
    with pytest.raises(MaskError, match="frame_indices"):
        write_mask_sequences({"a": np.zeros((2, 2, 2), bool)}, frame_indices=[0], out_dir=tmp_path)
    with pytest.raises(MaskError, match="increasing"):
        write_mask_sequences(
            {"a": np.zeros((2, 2, 2), bool)}, frame_indices=[3, 3], out_dir=tmp_path
        )
    with pytest.raises(MaskError, match="empty"):
        write_palette_pngs({}, frame_indices=[], out_dir=tmp_path)
