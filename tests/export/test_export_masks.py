import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.typing import NDArray
from PIL import Image

from sam2_autotrack import ConfigError, ExportError, MaskError, MaskSizeError
from sam2_autotrack.export.palette import davis_palette
from sam2_autotrack.export.sequences import (
    decode_rle,
    encode_rle,
    write_coco_json,
    write_mask_sequences,
    write_palette_pngs,
)
from sam2_autotrack.masks.cleanup import (
    MaskCleanup,
    clean_mask_sequence,
    feather_alpha,
    hold_to_all_frames,
)

masks_2d = hnp.arrays(
    dtype=np.bool_,
    shape=st.tuples(st.integers(1, 24), st.integers(1, 24)),
    elements=st.booleans(),
)


def _blobs(count: int, height: int, width: int, seed: int) -> NDArray[np.bool_]:
    rng = np.random.default_rng(seed)
    noise = rng.random((count, height + 4, width + 4))
    smooth = cv2.blur(noise.transpose(1, 2, 0), (5, 5)).reshape(height + 4, width + 4, count)
    return np.ascontiguousarray(smooth.transpose(2, 0, 1)[:, 2:-2, 2:-2] > 0.52)


# -- hold / cleanup / feather ----------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 40), min_size=1, max_size=8, unique=True),
    st.integers(0, 10),
)
def test_hold_shows_the_last_mask_at_or_before_each_frame(
    raw_indices: list[int], extra: int
) -> None:
    indices = np.array(sorted(raw_indices))
    frame_count = int(indices[-1]) + 1 + extra
    masks = np.zeros((indices.size, 2, 3), dtype=bool)
    masks[np.arange(indices.size), 0, 0] = True
    masks[:, 1, :] = (np.arange(indices.size)[:, None] % 2) == 0
    before = masks.copy()
    held = hold_to_all_frames(masks, indices, frame_count)
    assert held.shape == (frame_count, 2, 3)
    for t in range(frame_count):
        earlier = np.flatnonzero(indices <= t)
        if earlier.size == 0:
            assert not held[t].any()
        else:
            assert np.array_equal(held[t], masks[earlier[-1]])
    assert np.array_equal(masks, before)


def test_hold_rejects_bad_indices() -> None:
    masks = np.zeros((2, 2, 2), dtype=bool)
    with pytest.raises(MaskError, match="strictly increasing"):
        hold_to_all_frames(masks, [3, 1], 5)
    with pytest.raises(MaskError, match="beyond"):
        hold_to_all_frames(masks, [0, 5], 5)
    with pytest.raises(MaskError, match="shape"):
        hold_to_all_frames(masks, [0], 5)


def test_fill_holes_fills_only_small_enclosed_holes() -> None:
    masks = np.zeros((2, 20, 20), dtype=bool)
    masks[0, 2:18, 2:18] = True
    masks[0, 5, 5] = False  # 1-px hole
    masks[0, 8:12, 8:12] = False  # 16-px hole
    masks[1, :, :10] = True
    masks[1, 0:3, 3:6] = False  # notch touching the border: background, not a hole
    before = masks.copy()
    filled = clean_mask_sequence(masks, fill_holes_px=4)
    assert filled[0, 5, 5]
    assert not filled[0, 8:12, 8:12].any()
    assert not filled[1, 0:3, 3:6].any()
    assert np.array_equal(
        clean_mask_sequence(masks, fill_holes_px=16)[0, 2:18, 2:18], np.ones((16, 16), bool)
    )
    assert np.array_equal(masks, before)


def test_min_component_removes_specks_per_frame() -> None:
    masks = np.zeros((2, 10, 10), dtype=bool)
    masks[0, 1:6, 1:6] = True
    masks[1, 1:6, 1:6] = False
    masks[1, 3, 3] = True  # a speck where frame 0 has a big region: frames are independent
    masks[0, 8, 8] = masks[0, 9, 9] = True  # diagonal pair: one 8-connected 2-px region
    cleaned = clean_mask_sequence(masks, min_component_px=2)
    assert cleaned[0, 1:6, 1:6].all()
    assert cleaned[0, 8, 8]
    assert cleaned[0, 9, 9]
    assert not cleaned[1].any()
    assert not clean_mask_sequence(masks, min_component_px=3)[0, 8, 8]


def test_cleanup_model_is_frozen_and_validated() -> None:
    options = MaskCleanup(fill_holes_px=3)
    with pytest.raises(ConfigError):
        options.fill_holes_px = 4  # type: ignore[misc]
    with pytest.raises(ConfigError):
        MaskCleanup(min_component_px=-1)
    with pytest.raises(ConfigError):
        MaskCleanup(bogus=1)  # type: ignore[call-arg]
    assert MaskCleanup().is_noop
    assert not options.is_noop


@settings(max_examples=60, deadline=None)
@given(masks_2d, st.sampled_from([0.5, 1.0, 2.5, 6.0]))
def test_feathered_alpha_thresholds_back_to_the_mask(
    mask: NDArray[np.bool_], radius: float
) -> None:
    before = mask.copy()
    alpha = feather_alpha(mask, radius_px=radius)
    assert alpha.dtype == np.uint8
    assert alpha.shape == mask.shape
    assert np.array_equal(alpha >= 128, mask)
    assert np.array_equal(mask, before)


def test_feather_is_a_soft_ramp_and_zero_is_hard() -> None:
    mask = np.zeros((1, 30), dtype=bool)
    mask[0, 15:] = True
    hard = feather_alpha(mask, radius_px=0)
    assert set(np.unique(hard).tolist()) == {0, 255}
    soft = feather_alpha(mask, radius_px=4)[0].astype(int)
    assert np.all(np.diff(soft) >= 0)
    assert soft[0] == 0
    assert soft[-1] == 255
    assert 5 <= int(np.count_nonzero((soft > 0) & (soft < 255))) <= 9
    with pytest.raises(MaskError, match="per frame"):
        feather_alpha(np.zeros((2, 3, 3), bool), radius_px=1)


# -- PNG sequences ---------------------------------------------------------------------------


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


# -- palette PNGs -----------------------------------------------------------------------------


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


# -- COCO RLE ---------------------------------------------------------------------------------


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


# pycocotools' Cython decoder trips a numpy 2 DeprecationWarning inside pycocotools itself.
@pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy:DeprecationWarning"
)
def test_coco_json_loads_in_pycocotools_and_matches_masks(tmp_path: Path) -> None:
    coco_module = pytest.importorskip("pycocotools.coco")
    coco_mask = pytest.importorskip("pycocotools.mask")
    car = _blobs(3, 21, 30, seed=6)
    dog = _blobs(3, 21, 30, seed=7)
    dog[1] = False  # absent on the middle frame: no annotation
    path = write_coco_json(
        {"car": car, "dog": dog}, frame_indices=[0, 5, 10], out_path=tmp_path / "coco.json",
        video_name="street.mp4", resolution_wh=(30, 21),
    )  # fmt: skip
    document = json.loads(path.read_text())
    assert [im["frame_index"] for im in document["images"]] == [0, 5, 10]
    assert [o["name"] for o in document["objects"]] == ["car", "dog"]
    assert len(document["annotations"]) == 5
    coco = coco_module.COCO()
    coco.dataset = document
    coco.createIndex()
    by_object = {"car": car, "dog": dog}
    for ann in document["annotations"]:
        t = [0, 5, 10].index(ann["frame_index"])
        mask = by_object[ann["object_name"]][t]
        assert ann["image_id"] == document["images"][t]["id"]
        assert np.array_equal(coco.annToMask(ann).astype(bool), mask)
        assert ann["area"] == int(mask.sum())
        rle = dict(ann["segmentation"], counts=ann["segmentation"]["counts"].encode("ascii"))
        assert ann["bbox"] == coco_mask.toBbox(rle).tolist()
    present = {(a["object_name"], a["frame_index"]) for a in document["annotations"]}
    assert ("dog", 5) not in present
    assert ("car", 5) in present


def test_coco_json_checks_resolution(tmp_path: Path) -> None:
    masks = {"a": np.ones((1, 4, 6), dtype=bool)}
    with pytest.raises(MaskSizeError, match="6x4") as info:
        write_coco_json(
            masks, frame_indices=[0], out_path=tmp_path / "c.json", video_name="v",
            resolution_wh=(4, 6),
        )  # fmt: skip
    assert info.value.actual_wh == (6, 4)
    assert list(tmp_path.iterdir()) == []


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
