from pathlib import Path

import numpy as np
import pytest

from encoded_clips import FRAMES, decode_rgb, leftovers
from sam2_autotrack import ConfigError, ExportError, MaskSizeError
from sam2_autotrack.export.overlay import OverlayStyle, write_overlay_video
from sam2_autotrack.export.palette import object_colors
from sam2_autotrack.video import probe_stream


def test_overlay_tints_each_object_with_its_colour(clips: dict[str, Path], tmp_path: Path) -> None:
    left = np.zeros((FRAMES, 48, 64), dtype=bool)
    right = np.zeros((FRAMES, 48, 64), dtype=bool)
    left[:, 10:38, 4:28] = True
    right[:, 10:38, 36:60] = True
    out = write_overlay_video(
        clips["gray"], {"left": left, "right": right}, frame_indices=np.arange(FRAMES),
        frame_count=FRAMES, out_path=tmp_path / "overlay.mp4",
        style=OverlayStyle(fill_alpha=0.5, draw_ids=False),
    )  # fmt: skip
    assert probe_stream(out).fps == 25
    frames = decode_rgb(out, (64, 48)).astype(np.float64)
    assert frames.shape[0] == FRAMES
    gray = decode_rgb(clips["gray"], (64, 48))[0].astype(np.float64).mean()
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
        out_path=tmp_path / "plain.mp4",
        style=OverlayStyle(draw_ids=False, colors_rgb={"obj": (255, 0, 0)}),
    )  # fmt: skip
    out_ids = write_overlay_video(
        clips["odd"], {"obj": masks}, frame_indices=[0, 5], frame_count=FRAMES,
        out_path=tmp_path / "ids.mp4",
        style=OverlayStyle(draw_ids=True, colors_rgb={"obj": (255, 0, 0)}),
    )  # fmt: skip
    assert probe_stream(out_plain).resolution_wh == (66, 48)
    plain = decode_rgb(out_plain, (66, 48)).astype(np.int16)
    ids = decode_rgb(out_ids, (66, 48)).astype(np.int16)
    source = decode_rgb(clips["odd"], (65, 47)).astype(np.int16)
    assert plain.shape[0] == ids.shape[0] == FRAMES
    # Frames 0..4 are tinted red inside the mask; frames 5..9 (empty mask) are untouched.
    tint = plain[:5, 10:35, 10:35, 0] - source[:5, 10:35, 10:35, 0]
    assert float(tint.mean()) > 30
    blank = write_overlay_video(
        clips["odd"], {"obj": np.zeros_like(masks)}, frame_indices=[0, 5], frame_count=FRAMES,
        out_path=tmp_path / "blank.mp4", style=OverlayStyle(draw_ids=False),
    )  # fmt: skip
    untouched = decode_rgb(blank, (66, 48)).astype(np.int16)
    assert abs(float((plain[5:, 10:35, 10:35, 0] - untouched[5:, 10:35, 10:35, 0]).mean())) < 5
    assert float((plain[:5, 10:35, 10:35, 0] - untouched[:5, 10:35, 10:35, 0]).mean()) > 30
    # The id label changes pixels near the centre of the object.
    assert float(np.abs(ids[:5, 15:30, 10:35] - plain[:5, 15:30, 10:35]).max()) > 100


def test_overlay_argument_checks(clips: dict[str, Path], tmp_path: Path) -> None:
    masks = {"a": np.zeros((FRAMES, 48, 64), dtype=bool)}
    common = {"frame_indices": np.arange(FRAMES), "frame_count": FRAMES}
    # The drawing settings are an options object: refused when built, before any encode.
    with pytest.raises(ConfigError, match="alpha"):
        OverlayStyle(fill_alpha=2)
    with pytest.raises(ExportError, match=r"\.mp4"):
        write_overlay_video(clips["gray"], masks, out_path=tmp_path / "o.webm", **common)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="colors_rgb"):
        OverlayStyle(colors_rgb={"a": (300, 0, 0)})
    with pytest.raises(MaskSizeError):
        write_overlay_video(
            clips["odd"],
            masks,
            out_path=tmp_path / "o.mp4",
            **common,  # type: ignore[arg-type]
        )
    assert leftovers(tmp_path, set()) == []


def test_overlay_style_is_validated_and_frozen() -> None:
    with pytest.raises(ConfigError, match="contour_px"):
        OverlayStyle(contour_px=-1)
    with pytest.raises(ConfigError, match="colors_rgb"):
        OverlayStyle(colors_rgb={"a": (1, 2)})  # type: ignore[dict-item]
    with pytest.raises(ConfigError, match="unknown option"):
        OverlayStyle(alpha=0.3)  # type: ignore[call-arg]
    style = OverlayStyle(colors_rgb={"a": (1, 2, 3)})
    with pytest.raises(ConfigError, match="frozen"):
        style.draw_ids = False  # type: ignore[misc]
    assert style.replace(draw_ids=False).colors_rgb == {"a": (1, 2, 3)}
    assert style.draw_ids
