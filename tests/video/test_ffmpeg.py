"""Tests of sam2_autotrack.video.ffmpeg: finding a working ffmpeg and its encoders."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from sam2_autotrack import FFmpegNotFoundError
from sam2_autotrack.video import FFMPEG_ENV_VAR, find_ffmpeg, require_encoders
from sam2_autotrack.video import ffmpeg as _ffmpeg
from sam2_autotrack.video.ffmpeg import stderr_tail


def _script(path: Path, body: str) -> Path:
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
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


def test_stderr_tail_keeps_the_last_non_blank_lines() -> None:
    text = "".join(f"line {i}\n\n" for i in range(30))
    assert stderr_tail(text) == "\n".join(f"line {i}" for i in range(15, 30))
    assert stderr_tail("") == ""
