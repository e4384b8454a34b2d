from pathlib import Path

import cv2
import numpy as np
import pytest
from scipy import ndimage

from sam2_autotrack.errors import ExportError, SyntheticClipError
from sam2_autotrack.evaluation import load_mask_sequences
from sam2_autotrack.testing.synthetic import SYNTHETIC_SUITE, SyntheticClip, make_clip

# Small renders keep the suite fast; positions and sizes scale with the resolution.
SMALL = (428, 240)


@pytest.fixture(scope="module")
def clips() -> dict[str, SyntheticClip]:
    return {name: make_clip(name, resolution_wh=SMALL, frame_count=24) for name in SYNTHETIC_SUITE}


def test_suite_names() -> None:
    assert len(SYNTHETIC_SUITE) >= 6
    assert len(set(SYNTHETIC_SUITE)) == len(SYNTHETIC_SUITE)
    for required in ("rings_and_c", "occlusion", "touching", "enters_mid_clip", "clutter"):
        assert required in SYNTHETIC_SUITE


@pytest.mark.parametrize("name", SYNTHETIC_SUITE)
def test_clip_shapes_and_types(clips: dict[str, SyntheticClip], name: str) -> None:
    clip = clips[name]
    assert clip.name == name
    assert clip.frames.shape == (24, 240, 428, 3)
    assert clip.frames.dtype == np.uint8
    assert clip.resolution_wh == SMALL
    assert clip.frame_count == 24
    assert clip.fps > 0
    for oid, mask in clip.masks.items():
        assert oid.startswith("gt_")
        assert mask.shape == (24, 240, 428)
        assert mask.dtype == np.bool_


@pytest.mark.parametrize("name", SYNTHETIC_SUITE)
def test_objects_at_frame_zero_look_like_real_objects(
    clips: dict[str, SyntheticClip], name: str
) -> None:
    clip = clips[name]
    present = clip.present_at_start
    assert len(present) >= 3
    for oid in present:
        first = clip.masks[oid][0]
        assert 0.005 <= first.mean() <= 0.10, (oid, first.mean())
        borders = [first[0].any(), first[-1].any(), first[:, 0].any(), first[:, -1].any()]
        assert sum(borders) <= 1, oid
        _, n_components = ndimage.label(first)
        assert n_components == 1, oid


@pytest.mark.parametrize("name", SYNTHETIC_SUITE)
def test_visible_masks_are_disjoint(clips: dict[str, SyntheticClip], name: str) -> None:
    stack = np.stack(list(clips[name].masks.values())).astype(np.uint8)
    assert stack.sum(axis=0).max() <= 1


@pytest.mark.parametrize("name", SYNTHETIC_SUITE)
def test_frames_are_textured_not_flat(clips: dict[str, SyntheticClip], name: str) -> None:
    clip = clips[name]
    frame = clip.frames[0].astype(np.float64)
    for oid in clip.present_at_start:
        inside = ndimage.binary_erosion(clip.masks[oid][0], iterations=2)
        assert frame[inside].std(axis=0).max() > 5.0, oid
    background = ~np.any([m[0] for m in clip.masks.values()], axis=0)
    assert frame[background].std(axis=0).max() > 10.0


def test_same_rng_gives_identical_arrays_and_other_rng_differs() -> None:
    a = make_clip("clutter", resolution_wh=(160, 96), frame_count=5, rng=7)
    b = make_clip("clutter", resolution_wh=(160, 96), frame_count=5, rng=np.random.default_rng(7))
    c = make_clip("clutter", resolution_wh=(160, 96), frame_count=5, rng=8)
    assert np.array_equal(a.frames, b.frames)
    assert a.masks.keys() == b.masks.keys()
    for oid in a.masks:
        assert np.array_equal(a.masks[oid], b.masks[oid])
    assert not np.array_equal(a.frames, c.frames)


def test_occluded_object_loses_exactly_the_occluders_pixels(
    clips: dict[str, SyntheticClip],
) -> None:
    clip = clips["occlusion"]
    back, front = clip.masks["gt_2"], clip.masks["gt_3"]  # rectangle; ellipse passes in front
    found = False
    for t in range(clip.frame_count):
        if not front[t].any() or (back[t] & front[t]).any():
            continue
        filled = ndimage.binary_fill_holes(back[t])
        if filled[front[t]].all():  # the ellipse sits wholly inside the rectangle's outline
            found = True
            hole = filled & ~back[t]
            assert np.array_equal(hole, front[t])  # the hole is exactly the occluder
            assert back[t].sum() < 0.85 * back[0].sum()
    assert found, "the front object never passes fully over the back one"


def test_touching_objects_come_into_contact(clips: dict[str, SyntheticClip]) -> None:
    clip = clips["touching"]
    left, right = clip.masks["gt_1"], clip.masks["gt_2"]
    cross = np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]], bool)

    def in_contact(t: int) -> bool:
        return bool((ndimage.binary_dilation(left[t], cross) & right[t]).any())

    contact = [in_contact(t) for t in range(clip.frame_count)]
    assert not contact[0]
    assert not contact[-1]
    assert sum(contact) >= clip.frame_count // 4


def test_entering_object_is_absent_at_start(clips: dict[str, SyntheticClip]) -> None:
    clip = clips["enters_mid_clip"]
    late = [oid for oid in clip.masks if oid not in clip.present_at_start]
    assert len(late) == 1
    seq = clip.masks[late[0]]
    assert not seq[0].any()
    assert seq[-1].sum() > 0.01 * seq[-1].size
    first_seen = int(np.argmax(seq.reshape(len(seq), -1).any(axis=1)))
    assert 0 < first_seen < clip.frame_count - 1


def test_ring_has_a_hole_and_c_shape_centroid_is_outside_it(
    clips: dict[str, SyntheticClip],
) -> None:
    clip = clips["rings_and_c"]
    ring, c_shape = clip.masks["gt_1"][0], clip.masks["gt_2"][0]
    hole = ndimage.binary_fill_holes(ring) & ~ring
    assert hole.sum() > 0.2 * ring.sum()
    assert not np.any([m[0][hole] for m in clip.masks.values()])  # background shows through
    assert not ndimage.binary_fill_holes(c_shape)[~c_shape].any()  # the C is open
    cy, cx = ndimage.center_of_mass(c_shape)
    assert not c_shape[round(cy), round(cx)]
    for t in range(clip.frame_count):  # it stays open as it rotates
        cy, cx = ndimage.center_of_mass(clip.masks["gt_2"][t])
        assert not clip.masks["gt_2"][t][round(cy), round(cx)]


def test_camera_pan_moves_the_background(clips: dict[str, SyntheticClip]) -> None:
    clip = clips["shapes_pan"]
    gray = clip.frames.mean(axis=3)
    shift, _ = cv2.phaseCorrelate(gray[0], gray[4])
    assert np.hypot(*shift) > 1.0
    background = ~np.any([m[0] | m[-1] for m in clip.masks.values()], axis=0)
    diff = np.abs(clip.frames[0].astype(int) - clip.frames[-1].astype(int))[background]
    assert diff.mean() > 10


def test_lighting_changes_over_the_clip(clips: dict[str, SyntheticClip]) -> None:
    means = clips["lighting_noise"].frames.reshape(24, -1).mean(axis=1)
    assert means.max() - means.min() > 5


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


def test_errors() -> None:
    with pytest.raises(SyntheticClipError, match="shapes_pan"):
        make_clip("nope")
    with pytest.raises(ValueError, match="at least"):
        make_clip("touching", resolution_wh=(16, 16))
    with pytest.raises(SyntheticClipError, match="frame_count"):
        make_clip("touching", frame_count=0)
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


def test_clip_arrays_are_read_only(clips: dict[str, SyntheticClip]) -> None:
    clip = clips["touching"]
    with pytest.raises(ValueError, match="read-only"):
        clip.frames[0, 0, 0, 0] = 1
    with pytest.raises(ValueError, match="read-only"):
        clip.masks["gt_1"][0, 0, 0] = True


def test_default_clip_is_full_size_and_realistic_at_frame_zero() -> None:
    clip = make_clip("enters_mid_clip")
    assert clip.resolution_wh == (854, 480)
    assert clip.frame_count == 60
    assert len(clip.present_at_start) == 3
    for oid in clip.present_at_start:
        assert 0.005 <= clip.masks[oid][0].mean() <= 0.10
