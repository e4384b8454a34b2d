from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from encoded_clips import FRAMES, decode_alpha, decode_rgb, leftovers, moving_masks
from sam2_autotrack import ExportError, FFmpegError, FFmpegNotFoundError, MaskError, MaskSizeError
from sam2_autotrack.export.alpha import union_of, write_alpha_video
from sam2_autotrack.export.overlay import write_overlay_video
from sam2_autotrack.masks.cleanup import MaskCleanup, hold_to_all_frames
from sam2_autotrack.video import find_ffmpeg, probe_stream


@pytest.mark.parametrize(("codec", "suffix"), [("webm", ".webm"), ("prores", ".mov")])
@pytest.mark.parametrize("interval", [1, 3])
def test_alpha_matches_masks_frame_count_and_rate(
    clips: dict[str, Path], tmp_path: Path, codec: str, suffix: str, interval: int
) -> None:
    source = clips["odd"]
    frame_indices = np.arange(0, FRAMES, interval)
    masks = moving_masks(frame_indices.size, 47, 65)
    out = write_alpha_video(
        source,
        masks,
        frame_indices=frame_indices,
        frame_count=FRAMES,
        out_path=tmp_path / f"alpha{suffix}",
        codec=codec,  # type: ignore[arg-type]
    )
    assert out == tmp_path / f"alpha{suffix}"
    assert leftovers(tmp_path, {out.name}) == []
    info = probe_stream(out)
    assert info.resolution_wh == (65, 47)
    assert info.fps == Fraction(30000, 1001)
    alpha = decode_alpha(out, (65, 47))
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
    source_rgb = decode_rgb(clips["odd"], (65, 47)).astype(np.int16)
    out_rgb = decode_rgb(out, (65, 47)).astype(np.int16)
    assert out_rgb.shape == source_rgb.shape
    assert float(np.abs(out_rgb - source_rgb).mean()) < 4.0


def test_rotated_source_uses_displayed_orientation(clips: dict[str, Path], tmp_path: Path) -> None:
    info = probe_stream(clips["rotated"])
    assert info.resolution_wh == (47, 65)
    masks = moving_masks(FRAMES, 65, 47, seed=3)
    out = write_alpha_video(
        clips["rotated"], masks, frame_indices=np.arange(FRAMES), frame_count=FRAMES,
        out_path=tmp_path / "rot.webm",
    )  # fmt: skip
    alpha = decode_alpha(out, (47, 65))
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
    masks = moving_masks(FRAMES, 47, 65, seed=5)
    out = write_alpha_video(
        clips["odd"], masks, frame_indices=np.arange(FRAMES), frame_count=FRAMES,
        out_path=tmp_path / "soft.mov", codec="prores", cleanup=MaskCleanup(feather_px=3),
    )  # fmt: skip
    alpha = decode_alpha(out, (65, 47))
    assert np.any((alpha > 20) & (alpha < 235))
    assert float(np.mean((alpha >= 128) == masks)) >= 0.99


def test_fps_override_keeps_every_frame(clips: dict[str, Path], tmp_path: Path) -> None:
    masks = moving_masks(FRAMES, 47, 65)
    out = write_alpha_video(
        clips["odd"], masks, frame_indices=np.arange(FRAMES), frame_count=FRAMES,
        out_path=tmp_path / "slow.webm", fps=10,
    )  # fmt: skip
    assert probe_stream(out).fps == 10
    alpha = decode_alpha(out, (65, 47))
    assert alpha.shape[0] == FRAMES
    assert float(np.mean((alpha >= 128) == masks)) >= 0.999


def test_a_float_source_rate_keeps_the_exact_fraction(
    clips: dict[str, Path], tmp_path: Path
) -> None:
    masks = moving_masks(FRAMES, 47, 65)
    out = write_alpha_video(
        clips["odd"], masks, frame_indices=np.arange(FRAMES), frame_count=FRAMES,
        out_path=tmp_path / "a.webm", fps=30000 / 1001,
    )  # fmt: skip
    assert probe_stream(out).fps == Fraction(30000, 1001)


@pytest.mark.parametrize(("frame_count", "message"), [(14, "to 10 frames"), (7, "more than 7")])
def test_frame_count_mismatch_leaves_nothing(
    clips: dict[str, Path], tmp_path: Path, frame_count: int, message: str
) -> None:
    masks = moving_masks(2, 47, 65)
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
    assert leftovers(tmp_path, set()) == []


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
    masks = moving_masks(FRAMES, 47, 65)
    with pytest.raises(FFmpegError, match="simulated encoder crash") as info:
        write_alpha_video(
            clips["odd"], masks, frame_indices=np.arange(FRAMES), frame_count=FRAMES,
            out_path=out_dir / "a.webm", ffmpeg=wrapper,
        )  # fmt: skip
    assert info.value.stderr_tail is not None
    assert "simulated encoder crash" in info.value.stderr_tail
    assert leftovers(out_dir, set()) == []


def test_missing_ffmpeg(clips: dict[str, Path], tmp_path: Path) -> None:
    masks = moving_masks(FRAMES, 47, 65)
    with pytest.raises(FFmpegNotFoundError, match="pip install imageio-ffmpeg"):
        write_alpha_video(
            clips["odd"], masks, frame_indices=np.arange(FRAMES), frame_count=FRAMES,
            out_path=tmp_path / "a.webm", ffmpeg=tmp_path / "no-ffmpeg",
        )  # fmt: skip
    assert not (tmp_path / "a.webm").exists()


def test_argument_checks(clips: dict[str, Path], tmp_path: Path) -> None:
    masks = moving_masks(FRAMES, 47, 65)
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
    assert leftovers(tmp_path, set()) == []


def test_inputs_are_not_modified(clips: dict[str, Path], tmp_path: Path) -> None:
    masks = moving_masks(4, 47, 65)
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


@pytest.mark.slow
@pytest.mark.parametrize("codec", ["webm", "prores"])
def test_real_clip_alpha_round_trip_every_third_mask(codec: str, tmp_path: Path) -> None:
    # Real footage at 29.97 fps with a non-square sample aspect ratio; masks every 3rd frame.
    from sam2_autotrack import probe_video as probe_source
    from sam2_autotrack.testing import sample_video

    source = sample_video("carphone")
    info = probe_source(source, exact_frame_count=True)
    width, height = info.resolution_wh
    indices = np.arange(0, info.frame_count, 3)
    masks = moving_masks(len(indices), height, width, seed=7)
    suffix = ".webm" if codec == "webm" else ".mov"
    out = write_alpha_video(
        source,
        masks,
        frame_indices=indices,
        frame_count=info.frame_count,
        out_path=tmp_path / f"alpha{suffix}",
        codec=codec,  # type: ignore[arg-type]
    )
    alpha = decode_alpha(out, (width, height))
    held = hold_to_all_frames(masks, indices, info.frame_count)
    assert alpha.shape[0] == info.frame_count
    agreement = float(((alpha >= 128) == held).mean())
    assert agreement >= 0.999, agreement
    assert probe_stream(out).fps == Fraction(30000, 1001)


@pytest.mark.parametrize("codec", ["webm", "prores"])
def test_the_picture_the_alpha_hides_is_black_unless_kept(
    clips: dict[str, Path], tmp_path: Path, codec: str
) -> None:
    masks = np.zeros((FRAMES, 47, 65), dtype=bool)
    masks[:, 10:20, 5:15] = True  # the far right of the frame is > 8 px from any visible pixel
    suffix = ".webm" if codec == "webm" else ".mov"
    source_rgb = decode_rgb(clips["odd"], (65, 47)).astype(np.int16)
    pictures = {}
    for clear in (True, False):
        out = write_alpha_video(
            clips["odd"], masks, frame_indices=np.arange(FRAMES), frame_count=FRAMES,
            out_path=tmp_path / f"{clear}{suffix}", codec=codec,  # type: ignore[arg-type]
            clear_hidden=clear,
        )  # fmt: skip
        pictures[clear] = decode_rgb(out, (65, 47)).astype(np.int16)
        assert np.array_equal(decode_alpha(out, (65, 47)) >= 128, masks)
    far = np.s_[:, :, 32:]
    near = np.s_[:, 10:20, 5:15]
    # hidden: black when cleared, the source when kept (within the codec's loss on this tiny
    # colour-bar clip); what shows is the source in both
    assert float(source_rgb[far].mean()) > 60
    assert float(np.abs(pictures[True][far]).max()) <= 8
    assert float(np.abs(pictures[False][far] - source_rgb[far]).mean()) < 20.0
    for picture in pictures.values():
        assert float(np.abs(picture[near] - source_rgb[near]).mean()) < 20.0
    if codec == "prores":  # intra-only: the visible pixels are coded the same either way
        assert np.array_equal(pictures[True][near], pictures[False][near])
