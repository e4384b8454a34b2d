"""One pass feeds every video export: presets, progress, frame-by-frame masks, parallel encodes."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from encoded_clips import FRAMES, decode_alpha, leftovers, moving_masks
from sam2_autotrack import ExportError, FFmpegError
from sam2_autotrack.export import (
    ENCODER_SETTINGS,
    QUALITIES,
    ExportOptions,
    encoder_settings,
    write_alpha_video,
    write_alpha_videos,
    write_exports,
)
from sam2_autotrack.masks import MaskSequence
from sam2_autotrack.video import find_ffmpeg, probe_stream


class FrameByFrameOnly(MaskSequence):
    """A sequence that refuses to be decoded whole: exports must read it one frame at a time."""

    __slots__ = ()

    def to_array(self) -> NDArray[np.bool_]:
        raise AssertionError("an export decoded a whole mask stack")


@dataclass(frozen=True)
class Clip:
    video: Path
    sequences: dict[str, MaskSequence]
    frame_indices: NDArray[np.int64]
    frame_count: int = FRAMES
    fps: float | None = None

    @property
    def object_ids(self) -> tuple[str, ...]:
        return tuple(self.sequences)

    @property
    def resolution_wh(self) -> tuple[int, int]:
        return next(iter(self.sequences.values())).resolution_wh

    def mask_sequence(self, object_id: str) -> MaskSequence:
        return self.sequences[object_id]


def frame_by_frame(stack: NDArray[np.bool_]) -> FrameByFrameOnly:
    return FrameByFrameOnly((stack.shape[2], stack.shape[1]), stack)


def two_objects(height: int = 48, width: int = 64) -> dict[str, NDArray[np.bool_]]:
    return {
        "a": moving_masks(FRAMES, height, width, seed=1),
        "b": moving_masks(FRAMES, height, width, seed=2)[:, ::-1, ::-1].copy(),
    }


def test_every_preset_is_one_row_of_the_table() -> None:
    assert QUALITIES == ("draft", "good", "best")
    assert ExportOptions().quality == "good"
    assert encoder_settings("webm", "draft")[-4:] == ("-deadline", "realtime", "-cpu-used", "8")
    for quality in QUALITIES:
        assert set(ENCODER_SETTINGS[quality]) == {"webm", "prores", "overlay"}
        assert "-row-mt" in ENCODER_SETTINGS[quality]["webm"]


@pytest.mark.parametrize("quality", ["draft", "good", "best"])
@pytest.mark.parametrize("codec", ["webm", "prores"])
def test_every_preset_gives_the_masks_back(
    clips: dict[str, Path], tmp_path: Path, quality: str, codec: str
) -> None:
    masks = moving_masks(FRAMES, 48, 64, seed=4)  # the gray clip has an even width (prores_aw)
    suffix = ".webm" if codec == "webm" else ".mov"
    out = write_alpha_video(
        clips["gray"], frame_by_frame(masks), frame_indices=np.arange(FRAMES),
        frame_count=FRAMES, out_path=tmp_path / f"a{suffix}", codec=codec,  # type: ignore[arg-type]
        quality=quality,  # type: ignore[arg-type]
    )  # fmt: skip
    alpha = decode_alpha(out, (64, 48))
    assert alpha.shape[0] == FRAMES
    assert np.array_equal(alpha >= 128, masks)  # every pixel, every preset
    if codec == "prores" and quality != "draft":
        assert np.array_equal(alpha, masks * np.uint8(255))  # prores_ks: bit-exact, as before


def test_an_odd_width_falls_back_to_prores_ks(clips: dict[str, Path], tmp_path: Path) -> None:
    masks = moving_masks(FRAMES, 47, 65, seed=6)
    out = write_alpha_video(
        clips["odd"], masks, frame_indices=np.arange(FRAMES), frame_count=FRAMES,
        out_path=tmp_path / "odd.mov", codec="prores", quality="draft",
    )  # fmt: skip
    assert probe_stream(out).resolution_wh == (65, 47)
    assert np.array_equal(decode_alpha(out, (65, 47)), masks * np.uint8(255))


def test_exports_read_masks_frame_by_frame_and_report_every_frame(
    clips: dict[str, Path], tmp_path: Path
) -> None:
    stacks = two_objects()
    clip = Clip(
        video=clips["gray"],
        sequences={oid: frame_by_frame(stack[::2]) for oid, stack in stacks.items()},
        frame_indices=np.arange(0, FRAMES, 2),
    )
    calls: list[tuple[str, int, int | None]] = []
    options = ExportOptions(
        alpha=("webm", "prores"), per_object=True, overlay=True, coco=True, palette=True,
        quality="draft", cleanup={"fill_holes_px": 4, "feather_px": 1},
    )  # fmt: skip
    written = write_exports(clip, tmp_path, options, progress=lambda *a: calls.append(a))
    assert [p.relative_to(tmp_path).as_posix() for p in written][:7] == [
        "alpha/union.webm", "alpha/a.webm", "alpha/b.webm",
        "alpha/union.mov", "alpha/a.mov", "alpha/b.mov", "overlay.mp4",
    ]  # fmt: skip
    total = 7 * FRAMES + 2 * 5  # seven videos of every source frame, COCO and palette per mask
    assert calls[0] == ("export", 0, total)
    assert [done for _, done, _ in calls] == list(range(total + 1))
    assert {stage for stage, _, _ in calls} == {"export"}
    assert {t for _, _, t in calls} == {total}
    union = decode_alpha(tmp_path / "alpha" / "union.mov", (64, 48)) >= 128
    held = np.repeat(stacks["a"][::2] | stacks["b"][::2], 2, axis=0)
    assert float(np.mean(union == held)) >= 0.99  # cleanup may fill a few holes


def test_one_failing_encoder_stops_the_pass_and_leaves_no_partial_file(
    clips: dict[str, Path], tmp_path: Path
) -> None:
    real = find_ffmpeg()
    wrapper = tmp_path / "bin" / "ffmpeg-failing-for-b"
    wrapper.parent.mkdir()
    wrapper.write_text(
        "#!/bin/sh\n"
        'case "$*" in *b.webm*) echo "simulated crash of one encoder" >&2; exit 1;; esac\n'
        f'exec "{real}" "$@"\n'
    )
    wrapper.chmod(0o755)
    out = tmp_path / "out"
    masks = two_objects()
    with pytest.raises(FFmpegError, match="simulated crash of one encoder"):
        write_alpha_videos(
            clips["gray"], masks, frame_indices=np.arange(FRAMES), frame_count=FRAMES,
            out_paths={"a": out / "a.webm", "b": out / "b.webm"}, ffmpeg=wrapper,
        )  # fmt: skip
    assert not (out / "b.webm").exists()
    assert [name for name in leftovers(out, {"a.webm"}) if name.startswith(".")] == []


def test_a_longer_source_fails_every_output_of_the_pass(
    clips: dict[str, Path], tmp_path: Path
) -> None:
    masks = two_objects()
    with pytest.raises(ExportError, match="more than 7"):
        write_exports(
            Clip(clips["gray"], {k: MaskSequence.from_array(v[:7]) for k, v in masks.items()},
                 np.arange(7), frame_count=7),
            tmp_path, ExportOptions(alpha="webm", per_object=True, overlay=True),
        )  # fmt: skip
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == []


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="parallel encodes need two cores")
def test_encoders_of_one_pass_run_at_the_same_time(clips: dict[str, Path], tmp_path: Path) -> None:
    real = find_ffmpeg()
    log = tmp_path / "encodes.log"
    wrapper = tmp_path / "bin" / "ffmpeg-logging"
    wrapper.parent.mkdir()
    wrapper.write_text(
        "#!/bin/sh\n"
        'case "$*" in *pipe:0*)\n'
        f'  echo "start $(date +%s.%N)" >> "{log}"; "{real}" "$@"; status=$?\n'
        f'  echo "end $(date +%s.%N)" >> "{log}"; exit $status;;\n'
        "esac\n"
        f'exec "{real}" "$@"\n'
    )
    wrapper.chmod(0o755)
    masks = two_objects()
    started = time.monotonic()
    write_alpha_videos(
        clips["gray"], masks, frame_indices=np.arange(FRAMES), frame_count=FRAMES,
        out_paths={"a": tmp_path / "a.webm", "b": tmp_path / "b.webm"}, ffmpeg=wrapper,
    )  # fmt: skip
    assert time.monotonic() - started < 60
    events: list[tuple[float, str]] = sorted(
        (float(stamp), kind)
        for kind, stamp in (line.split() for line in log.read_text().split("\n") if line)
    )
    kinds = [kind for _, kind in events]
    assert kinds.count("start") == 2
    assert kinds[:2] == ["start", "start"]  # the second encoder started before the first ended


def test_outputs_need_their_masks(clips: dict[str, Path], tmp_path: Path) -> None:
    masks: dict[str, Any] = two_objects()
    with pytest.raises(ExportError, match="out_paths"):
        write_alpha_videos(
            clips["gray"], masks, frame_indices=np.arange(FRAMES), frame_count=FRAMES,
            out_paths={"c": tmp_path / "c.webm"},
        )  # fmt: skip
    assert leftovers(tmp_path, set()) == []
