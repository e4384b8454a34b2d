"""Tests of sam2_autotrack.video.process: running ffmpeg with a watchdog, streaming in and out."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sam2_autotrack import FFmpegError
from sam2_autotrack.video import iter_ffmpeg_output, run_ffmpeg


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
