import os
import stat
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from sam2_autotrack import (
    FFmpegError,
    FFmpegNotFoundError,
    NotAVideoError,
    VideoNotFoundError,
)
from sam2_autotrack.video import ffmpeg as _ffmpeg
from sam2_autotrack.video.ffmpeg import (
    FFMPEG_ENV_VAR,
    find_ffmpeg,
    iter_ffmpeg_output,
    probe_video,
    require_encoders,
    run_ffmpeg,
)


def _script(path: Path, body: str) -> Path:
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def _clip(path: Path, *, size: str, rate: str, frames: int, extra: tuple[str, ...] = ()) -> Path:
    run_ffmpeg(
        ["-loglevel", "error", "-f", "lavfi", "-i", f"testsrc=size={size}:rate={rate}",
         "-frames:v", str(frames), "-c:v", "libx264", "-pix_fmt", "yuv444p", *extra, path],
        timeout=60,
    )  # fmt: skip
    return path


def test_default_lookup_finds_a_working_binary(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(FFMPEG_ENV_VAR, raising=False)
    exe = find_ffmpeg()
    assert exe.is_file()
    assert os.access(exe, os.X_OK)


def test_explicit_argument_wins_over_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    real = find_ffmpeg()
    monkeypatch.setenv(FFMPEG_ENV_VAR, str(tmp_path / "missing-ffmpeg"))
    assert find_ffmpeg(real) == real


def test_environment_variable_is_used_and_checked(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    real = find_ffmpeg()
    link = tmp_path / "my-ffmpeg"
    link.symlink_to(real)
    monkeypatch.setenv(FFMPEG_ENV_VAR, str(link))
    assert find_ffmpeg() == real  # resolved
    monkeypatch.setenv(FFMPEG_ENV_VAR, str(tmp_path / "nope"))
    with pytest.raises(FFmpegNotFoundError, match=FFMPEG_ENV_VAR):
        find_ffmpeg()


def test_missing_explicit_path_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(FFmpegNotFoundError, match="pip install imageio-ffmpeg") as info:
        find_ffmpeg(tmp_path / "no-ffmpeg-here")
    assert "ffmpeg=" in str(info.value)


def test_a_binary_that_is_not_ffmpeg_is_rejected(tmp_path: Path) -> None:
    fake = _script(tmp_path / "fake-ffmpeg", "echo 'hello'; exit 0")
    with pytest.raises(FFmpegNotFoundError, match="does not behave like ffmpeg"):
        find_ffmpeg(fake)
    broken = _script(tmp_path / "broken-ffmpeg", "echo boom >&2; exit 3")
    with pytest.raises(FFmpegNotFoundError, match="exited 3"):
        find_ffmpeg(broken)


def test_nothing_usable_raises(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(FFMPEG_ENV_VAR, raising=False)
    monkeypatch.setattr(_ffmpeg, "_bundled_ffmpeg", lambda: None)
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no ffmpeg on PATH
    with pytest.raises(FFmpegNotFoundError, match="pip install imageio-ffmpeg"):
        find_ffmpeg()


def test_path_is_the_last_resort(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(FFMPEG_ENV_VAR, raising=False)
    (tmp_path / "ffmpeg").symlink_to(find_ffmpeg())
    monkeypatch.setattr(_ffmpeg, "_bundled_ffmpeg", lambda: None)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert find_ffmpeg() == (tmp_path / "ffmpeg").resolve()


def test_require_encoders() -> None:
    exe = require_encoders(None, ["libvpx-vp9", "prores_ks", "libx264"])
    assert exe == find_ffmpeg()
    with pytest.raises(FFmpegNotFoundError, match="no-such-encoder"):
        require_encoders(exe, ["libx264", "no-such-encoder"])


def test_failure_carries_command_and_stderr_tail(tmp_path: Path) -> None:
    missing = tmp_path / "missing-input.mp4"
    with pytest.raises(FFmpegError) as info:
        run_ffmpeg(["-i", missing, "-f", "null", "-"], timeout=60)
    error = info.value
    assert error.command is not None
    assert str(missing) in error.command
    assert error.stderr_tail
    assert "No such file" in error.stderr_tail
    assert error.stderr_tail in str(error)


def test_timeout_kills_ffmpeg() -> None:
    with pytest.raises(FFmpegError, match=r"timed out after 0\.5 s"):
        run_ffmpeg(
            ["-re", "-f", "lavfi", "-i", "color=black:size=16x16:rate=5", "-f", "null", "-"],
            timeout=0.5,
        )


def test_non_positive_timeout_is_rejected() -> None:
    with pytest.raises(FFmpegError, match="timeout"):
        run_ffmpeg(["-version"], timeout=0)


def test_streamed_stdin_round_trips() -> None:
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, size=(7, 5, 3), dtype=np.uint8)
    pulled: list[int] = []

    def chunks() -> object:
        for i, frame in enumerate(frames):
            pulled.append(i)
            yield frame.tobytes()

    result = run_ffmpeg(
        ["-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "gray", "-s", "3x5", "-i", "pipe:0",
         "-f", "rawvideo", "-pix_fmt", "gray", "pipe:1"],
        timeout=60,
        stdin=chunks(),  # type: ignore[arg-type]
    )  # fmt: skip
    assert pulled == list(range(7))
    assert np.array_equal(np.frombuffer(result.stdout, np.uint8).reshape(7, 5, 3), frames)


def test_stdin_bytes_and_iterator_are_exclusive() -> None:
    with pytest.raises(FFmpegError, match="only one"):
        run_ffmpeg(["-version"], timeout=10, stdin_bytes=b"", stdin=[b""])


def test_an_exception_in_the_stdin_iterator_propagates() -> None:
    def chunks() -> object:
        yield bytes(15)
        raise KeyError("generator broke")

    with pytest.raises(KeyError, match="generator broke"):
        run_ffmpeg(
            ["-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "gray", "-s", "3x5", "-i",
             "pipe:0", "-f", "null", "-"],
            timeout=60,
            stdin=chunks(),  # type: ignore[arg-type]
        )  # fmt: skip


def test_iter_output_yields_whole_frames_and_rejects_partial_ones() -> None:
    args = ["-f", "lavfi", "-i", "color=gray:size=4x2:rate=10", "-frames:v", "3",
            "-f", "rawvideo", "-pix_fmt", "gray", "pipe:1"]  # fmt: skip
    frames = list(iter_ffmpeg_output(args, chunk_bytes=8, timeout=60))
    assert len(frames) == 3
    assert all(len(f) == 8 for f in frames)
    with pytest.raises(FFmpegError, match="partial chunk"):
        list(iter_ffmpeg_output(args, chunk_bytes=5, timeout=60))


def test_iter_output_failure_raises_with_stderr(tmp_path: Path) -> None:
    with pytest.raises(FFmpegError) as info:
        list(
            iter_ffmpeg_output(
                ["-i", tmp_path / "missing.mp4", "-f", "rawvideo", "pipe:1"],
                chunk_bytes=4,
                timeout=60,
            )
        )
    assert info.value.stderr_tail


def test_probe_reports_odd_size_and_exact_rate(tmp_path: Path) -> None:
    clip = _clip(tmp_path / "odd.mp4", size="65x47", rate="30000/1001", frames=3)
    info = probe_video(clip)
    assert info.resolution_wh == (65, 47)
    assert info.fps == Fraction(30000, 1001)


def test_probe_applies_display_rotation(tmp_path: Path) -> None:
    clip = _clip(tmp_path / "clip.mp4", size="40x24", rate="25", frames=2)
    rotated = tmp_path / "rotated.mp4"
    run_ffmpeg(
        ["-loglevel", "error", "-display_rotation:v:0", "90", "-i", clip, "-c", "copy", rotated],
        timeout=60,
    )
    assert probe_video(clip).resolution_wh == (40, 24)
    assert probe_video(rotated).resolution_wh == (24, 40)


def test_probe_errors(tmp_path: Path) -> None:
    with pytest.raises(VideoNotFoundError):
        probe_video(tmp_path / "missing.mp4")
    text = tmp_path / "notes.mp4"
    text.write_text("this is not a video\n")
    with pytest.raises(NotAVideoError, match="cannot decode"):
        probe_video(text)
