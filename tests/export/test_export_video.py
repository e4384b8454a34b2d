from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from sam2_autotrack import ExportError, FFmpegError, FFmpegNotFoundError, MaskError, MaskSizeError
from sam2_autotrack.export.palette import object_colors
from sam2_autotrack.export.video import (
    union_of,
    write_alpha_video,
    write_overlay_video,
)
from sam2_autotrack.masks.cleanup import MaskCleanup, hold_to_all_frames
from sam2_autotrack.video import find_ffmpeg, probe_stream, run_ffmpeg

FRAMES = 10


def _make_clip(path: Path, *, size: str, rate: str, source: str = "testsrc=") -> Path:
    run_ffmpeg(
        ["-loglevel", "error", "-f", "lavfi", "-i", f"{source}size={size}:rate={rate}",
         "-frames:v", str(FRAMES), "-c:v", "libx264", "-pix_fmt", "yuv444p", "-crf", "10", path],
        timeout=60,
    )  # fmt: skip
    return path


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("clips")
    odd = _make_clip(root / "odd.mp4", size="65x47", rate="30000/1001")
    rotated = root / "rotated.mp4"
    run_ffmpeg(
        ["-loglevel", "error", "-display_rotation:v:0", "90", "-i", odd, "-c", "copy", rotated],
        timeout=60,
    )
    gray = _make_clip(root / "gray.mp4", size="64x48", rate="25", source="color=c=0x808080:")
    return {"odd": odd, "rotated": rotated, "gray": gray}


def _moving_masks(count: int, height: int, width: int, seed: int = 0) -> NDArray[np.bool_]:
    rng = np.random.default_rng(seed)
    masks = np.zeros((count, height, width), dtype=bool)
    yy, xx = np.mgrid[0:height, 0:width]
    for t in range(count):
        cy, cx = rng.uniform(0.3, 0.7) * height, rng.uniform(0.3, 0.7) * width
        masks[t] = (yy - cy) ** 2 / (0.3 * height) ** 2 + (xx - cx) ** 2 / (0.25 * width) ** 2 < 1
        masks[t, : height // 6, : width // 5] = True  # a corner block touching the border
    return masks


def _decode_alpha(path: Path, resolution_wh: tuple[int, int]) -> NDArray[np.uint8]:
    # The libvpx decoder must be chosen before -i: ffmpeg's native VP9 decoder drops the alpha.
    decoder = ["-c:v", "libvpx-vp9"] if path.suffix == ".webm" else []
    result = run_ffmpeg(
        ["-loglevel", "error", *decoder, "-i", path, "-vf", "alphaextract",
         "-f", "rawvideo", "-pix_fmt", "gray", "pipe:1"],
        timeout=60,
    )  # fmt: skip
    width, height = resolution_wh
    return np.frombuffer(result.stdout, np.uint8).reshape(-1, height, width)


def _decode_rgb(path: Path, resolution_wh: tuple[int, int]) -> NDArray[np.uint8]:
    result = run_ffmpeg(
        ["-loglevel", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"],
        timeout=60,
    )
    width, height = resolution_wh
    return np.frombuffer(result.stdout, np.uint8).reshape(-1, height, width, 3)


def _leftovers(folder: Path, keep: set[str]) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


@pytest.mark.parametrize(("codec", "suffix"), [("webm", ".webm"), ("prores", ".mov")])
@pytest.mark.parametrize("interval", [1, 3])
def test_alpha_matches_masks_frame_count_and_rate(
    clips: dict[str, Path], tmp_path: Path, codec: str, suffix: str, interval: int
) -> None:
    source = clips["odd"]
    frame_indices = np.arange(0, FRAMES, interval)
    masks = _moving_masks(frame_indices.size, 47, 65)
    out = write_alpha_video(
        source,
        masks,
        frame_indices=frame_indices,
        frame_count=FRAMES,
        out_path=tmp_path / f"alpha{suffix}",
        codec=codec,  # type: ignore[arg-type]
    )
    assert out == tmp_path / f"alpha{suffix}"
    assert _leftovers(tmp_path, {out.name}) == []
    info = probe_stream(out)
    assert info.resolution_wh == (65, 47)
    assert info.fps == Fraction(30000, 1001)
    alpha = _decode_alpha(out, (65, 47))
    assert alpha.shape[0] == FRAMES
    expected = hold_to_all_frames(masks, frame_indices, FRAMES)
    agreement = float(np.mean((alpha >= 128) == expected))
    assert agreement >= 0.999
    if interval > 1:
        # Held, not stretched: frames 1 and 2 carry mask frame 0, frame 3 the next one.
        assert np.array_equal(alpha[1] >= 128, masks[0])
        assert np.array_equal(alpha[2] >= 128, masks[0])
        assert np.array_equal(alpha[3] >= 128, masks[1])


def test_prores_keeps_the_picture(clips: dict[str, Path], tmp_path: Path) -> None:
    masks = np.ones((FRAMES, 47, 65), dtype=bool)
    out = write_alpha_video(
        clips["odd"], masks, frame_indices=np.arange(FRAMES), frame_count=FRAMES,
        out_path=tmp_path / "a.mov", codec="prores",
    )  # fmt: skip
    source_rgb = _decode_rgb(clips["odd"], (65, 47)).astype(np.int16)
    out_rgb = _decode_rgb(out, (65, 47)).astype(np.int16)
    assert out_rgb.shape == source_rgb.shape
    assert float(np.abs(out_rgb - source_rgb).mean()) < 4.0


def test_rotated_source_uses_displayed_orientation(clips: dict[str, Path], tmp_path: Path) -> None:
    info = probe_stream(clips["rotated"])
    assert info.resolution_wh == (47, 65)
    masks = _moving_masks(FRAMES, 65, 47, seed=3)
    out = write_alpha_video(
        clips["rotated"], masks, frame_indices=np.arange(FRAMES), frame_count=FRAMES,
        out_path=tmp_path / "rot.webm",
    )  # fmt: skip
    alpha = _decode_alpha(out, (47, 65))
    assert alpha.shape[0] == FRAMES
    assert float(np.mean((alpha >= 128) == masks)) >= 0.999
    with pytest.raises(MaskSizeError, match="after rotation") as info_error:
        write_alpha_video(
            clips["rotated"], masks.transpose(0, 2, 1), frame_indices=np.arange(FRAMES),
            frame_count=FRAMES, out_path=tmp_path / "wrong.webm",
        )  # fmt: skip
    assert info_error.value.expected_wh == (47, 65)
    assert not (tmp_path / "wrong.webm").exists()


def test_feathered_alpha_is_soft_but_thresholds_to_the_mask(
    clips: dict[str, Path], tmp_path: Path
) -> None:
    masks = _moving_masks(FRAMES, 47, 65, seed=5)
    out = write_alpha_video(
        clips["odd"], masks, frame_indices=np.arange(FRAMES), frame_count=FRAMES,
        out_path=tmp_path / "soft.mov", codec="prores", cleanup=MaskCleanup(feather_px=3),
    )  # fmt: skip
    alpha = _decode_alpha(out, (65, 47))
    assert np.any((alpha > 20) & (alpha < 235))
    assert float(np.mean((alpha >= 128) == masks)) >= 0.99


def test_fps_override_keeps_every_frame(clips: dict[str, Path], tmp_path: Path) -> None:
    masks = _moving_masks(FRAMES, 47, 65)
    out = write_alpha_video(
        clips["odd"], masks, frame_indices=np.arange(FRAMES), frame_count=FRAMES,
        out_path=tmp_path / "slow.webm", fps=10,
    )  # fmt: skip
    assert probe_stream(out).fps == 10
    alpha = _decode_alpha(out, (65, 47))
    assert alpha.shape[0] == FRAMES
    assert float(np.mean((alpha >= 128) == masks)) >= 0.999


def test_a_float_source_rate_keeps_the_exact_fraction(
    clips: dict[str, Path], tmp_path: Path
) -> None:
    masks = _moving_masks(FRAMES, 47, 65)
    out = write_alpha_video(
        clips["odd"], masks, frame_indices=np.arange(FRAMES), frame_count=FRAMES,
        out_path=tmp_path / "a.webm", fps=30000 / 1001,
    )  # fmt: skip
    assert probe_stream(out).fps == Fraction(30000, 1001)


@pytest.mark.parametrize(("frame_count", "message"), [(14, "to 10 frames"), (7, "more than 7")])
def test_frame_count_mismatch_leaves_nothing(
    clips: dict[str, Path], tmp_path: Path, frame_count: int, message: str
) -> None:
    masks = _moving_masks(2, 47, 65)
    indices = [0, frame_count - 1]
    with pytest.raises(ExportError, match=message):
        write_alpha_video(
            clips["odd"], masks, frame_indices=indices, frame_count=frame_count,
            out_path=tmp_path / "a.webm", timeout=60,
        )  # fmt: skip
    with pytest.raises(ExportError, match=message):
        write_overlay_video(
            clips["odd"], {"a": masks}, frame_indices=indices, frame_count=frame_count,
            out_path=tmp_path / "o.mp4", timeout=60,
        )  # fmt: skip
    assert _leftovers(tmp_path, set()) == []


def test_failing_ffmpeg_raises_with_stderr_and_leaves_nothing(
    clips: dict[str, Path], tmp_path: Path
) -> None:
    real = find_ffmpeg()
    wrapper = tmp_path / "bin" / "ffmpeg-that-fails-encodes"
    wrapper.parent.mkdir()
    wrapper.write_text(
        "#!/bin/sh\n"
        'case "$*" in *pipe:0*) echo "simulated encoder crash" >&2; exit 1;; esac\n'
        f'exec "{real}" "$@"\n'
    )
    wrapper.chmod(0o755)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    masks = _moving_masks(FRAMES, 47, 65)
    with pytest.raises(FFmpegError, match="simulated encoder crash") as info:
        write_alpha_video(
            clips["odd"], masks, frame_indices=np.arange(FRAMES), frame_count=FRAMES,
            out_path=out_dir / "a.webm", ffmpeg=wrapper,
        )  # fmt: skip
    assert info.value.stderr_tail is not None
    assert "simulated encoder crash" in info.value.stderr_tail
    assert _leftovers(out_dir, set()) == []


def test_missing_ffmpeg(clips: dict[str, Path], tmp_path: Path) -> None:
    masks = _moving_masks(FRAMES, 47, 65)
    with pytest.raises(FFmpegNotFoundError, match="pip install imageio-ffmpeg"):
        write_alpha_video(
            clips["odd"], masks, frame_indices=np.arange(FRAMES), frame_count=FRAMES,
            out_path=tmp_path / "a.webm", ffmpeg=tmp_path / "no-ffmpeg",
        )  # fmt: skip
    assert not (tmp_path / "a.webm").exists()


def test_argument_checks(clips: dict[str, Path], tmp_path: Path) -> None:
    masks = _moving_masks(FRAMES, 47, 65)
    common = {"frame_indices": np.arange(FRAMES), "frame_count": FRAMES}
    with pytest.raises(ExportError, match=r"suffix \.mov"):
        write_alpha_video(
            clips["odd"], masks, out_path=tmp_path / "a.webm", codec="prores", **common
        )  # type: ignore[arg-type]
    with pytest.raises(ExportError, match="codec"):
        write_alpha_video(clips["odd"], masks, out_path=tmp_path / "a.webm", codec="gif", **common)  # type: ignore[arg-type]
    with pytest.raises(MaskError, match="frame_indices"):
        write_alpha_video(
            clips["odd"], masks, frame_indices=[0, 1], frame_count=FRAMES,
            out_path=tmp_path / "a.webm",
        )  # fmt: skip
    with pytest.raises(MaskError, match="beyond"):
        write_alpha_video(
            clips["odd"], masks, frame_indices=np.arange(FRAMES) + 1, frame_count=FRAMES,
            out_path=tmp_path / "a.webm",
        )  # fmt: skip
    with pytest.raises(ExportError, match="fps"):
        write_alpha_video(clips["odd"], masks, out_path=tmp_path / "a.webm", fps=0, **common)  # type: ignore[arg-type]
    assert _leftovers(tmp_path, set()) == []


def test_inputs_are_not_modified(clips: dict[str, Path], tmp_path: Path) -> None:
    masks = _moving_masks(4, 47, 65)
    masks[0, 20, 30] = False
    before = masks.copy()
    indices = np.array([0, 3, 6, 9])
    write_alpha_video(
        clips["odd"], masks, frame_indices=indices, frame_count=FRAMES,
        out_path=tmp_path / "a.webm", cleanup=MaskCleanup(fill_holes_px=10, feather_px=1),
    )  # fmt: skip
    assert np.array_equal(masks, before)
    assert indices.tolist() == [0, 3, 6, 9]


def test_union_of() -> None:
    a = np.zeros((2, 3, 4), dtype=bool)
    b = np.zeros((2, 3, 4), dtype=bool)
    a[0, 0, 0] = True
    b[1, 2, 3] = True
    union = union_of({"a": a, "b": b})
    assert union.shape == (2, 3, 4)
    assert union[0, 0, 0]
    assert union[1, 2, 3]
    assert int(union.sum()) == 2
    assert int(a.sum()) == 1  # untouched
    with pytest.raises(MaskError, match="same"):
        union_of({"a": a, "b": b[:, :2]})
    with pytest.raises(MaskError, match="empty"):
        union_of({})


def test_overlay_tints_each_object_with_its_colour(clips: dict[str, Path], tmp_path: Path) -> None:
    left = np.zeros((FRAMES, 48, 64), dtype=bool)
    right = np.zeros((FRAMES, 48, 64), dtype=bool)
    left[:, 10:38, 4:28] = True
    right[:, 10:38, 36:60] = True
    out = write_overlay_video(
        clips["gray"], {"left": left, "right": right}, frame_indices=np.arange(FRAMES),
        frame_count=FRAMES, out_path=tmp_path / "overlay.mp4", alpha=0.5, draw_ids=False,
    )  # fmt: skip
    assert probe_stream(out).fps == 25
    frames = _decode_rgb(out, (64, 48)).astype(np.float64)
    assert frames.shape[0] == FRAMES
    gray = _decode_rgb(clips["gray"], (64, 48))[0].astype(np.float64).mean()
    colors = object_colors(2).tolist()
    windows = [(slice(16, 32), slice(10, 22)), (slice(16, 32), slice(42, 54))]
    for (ys, xs), color in zip(windows, colors, strict=True):
        inside = frames[:, ys, xs].reshape(-1, 3).mean(axis=0)
        expected = 0.5 * gray + 0.5 * np.asarray(color, dtype=np.float64)
        assert np.all(np.abs(inside - expected) < 12), (inside, expected)
    background = frames[:, 42:, :].reshape(-1, 3).mean(axis=0)
    assert np.all(np.abs(background - gray) < 6)


def test_overlay_holds_masks_pads_odd_sizes_and_draws_ids(
    clips: dict[str, Path], tmp_path: Path
) -> None:
    masks = np.zeros((2, 47, 65), dtype=bool)
    masks[0, 5:40, 5:40] = True  # shown on frames 0..4
    out_plain = write_overlay_video(
        clips["odd"], {"obj": masks}, frame_indices=[0, 5], frame_count=FRAMES,
        out_path=tmp_path / "plain.mp4", draw_ids=False, colors_rgb={"obj": (255, 0, 0)},
    )  # fmt: skip
    out_ids = write_overlay_video(
        clips["odd"], {"obj": masks}, frame_indices=[0, 5], frame_count=FRAMES,
        out_path=tmp_path / "ids.mp4", draw_ids=True, colors_rgb={"obj": (255, 0, 0)},
    )  # fmt: skip
    assert probe_stream(out_plain).resolution_wh == (66, 48)
    plain = _decode_rgb(out_plain, (66, 48)).astype(np.int16)
    ids = _decode_rgb(out_ids, (66, 48)).astype(np.int16)
    source = _decode_rgb(clips["odd"], (65, 47)).astype(np.int16)
    assert plain.shape[0] == ids.shape[0] == FRAMES
    # Frames 0..4 are tinted red inside the mask; frames 5..9 (empty mask) are untouched.
    tint = plain[:5, 10:35, 10:35, 0] - source[:5, 10:35, 10:35, 0]
    assert float(tint.mean()) > 30
    blank = write_overlay_video(
        clips["odd"], {"obj": np.zeros_like(masks)}, frame_indices=[0, 5], frame_count=FRAMES,
        out_path=tmp_path / "blank.mp4", draw_ids=False,
    )  # fmt: skip
    untouched = _decode_rgb(blank, (66, 48)).astype(np.int16)
    assert abs(float((plain[5:, 10:35, 10:35, 0] - untouched[5:, 10:35, 10:35, 0]).mean())) < 5
    assert float((plain[:5, 10:35, 10:35, 0] - untouched[:5, 10:35, 10:35, 0]).mean()) > 30
    # The id label changes pixels near the centre of the object.
    assert float(np.abs(ids[:5, 15:30, 10:35] - plain[:5, 15:30, 10:35]).max()) > 100


def test_overlay_argument_checks(clips: dict[str, Path], tmp_path: Path) -> None:
    masks = {"a": np.zeros((FRAMES, 48, 64), dtype=bool)}
    common = {"frame_indices": np.arange(FRAMES), "frame_count": FRAMES}
    with pytest.raises(ExportError, match="alpha"):
        write_overlay_video(clips["gray"], masks, out_path=tmp_path / "o.mp4", alpha=2, **common)  # type: ignore[arg-type]
    with pytest.raises(ExportError, match=r"\.mp4"):
        write_overlay_video(clips["gray"], masks, out_path=tmp_path / "o.webm", **common)  # type: ignore[arg-type]
    with pytest.raises(ExportError, match="colors_rgb"):
        write_overlay_video(
            clips["gray"],
            masks,
            out_path=tmp_path / "o.mp4",
            colors_rgb={"a": (300, 0, 0)},
            **common,  # type: ignore[arg-type]
        )
    with pytest.raises(MaskSizeError):
        write_overlay_video(
            clips["odd"],
            masks,
            out_path=tmp_path / "o.mp4",
            **common,  # type: ignore[arg-type]
        )
    assert _leftovers(tmp_path, set()) == []


@pytest.mark.slow
@pytest.mark.parametrize("codec", ["webm", "prores"])
def test_real_clip_alpha_round_trip_every_third_mask(codec: str, tmp_path: Path) -> None:
    # Real footage at 29.97 fps with a non-square sample aspect ratio; masks every 3rd frame.
    from sam2_autotrack import probe_video as probe_source
    from sam2_autotrack import sample_video

    source = sample_video("carphone")
    info = probe_source(source, exact_frame_count=True)
    width, height = info.resolution_wh
    indices = np.arange(0, info.frame_count, 3)
    masks = _moving_masks(len(indices), height, width, seed=7)
    suffix = ".webm" if codec == "webm" else ".mov"
    out = write_alpha_video(
        source,
        masks,
        frame_indices=indices,
        frame_count=info.frame_count,
        out_path=tmp_path / f"alpha{suffix}",
        codec=codec,  # type: ignore[arg-type]
    )
    alpha = _decode_alpha(out, (width, height))
    held = hold_to_all_frames(masks, indices, info.frame_count)
    assert alpha.shape[0] == info.frame_count
    agreement = float(((alpha >= 128) == held).mean())
    assert agreement >= 0.999, agreement
    assert probe_stream(out).fps == Fraction(30000, 1001)
