"""Tests of sam2_autotrack.video.checks and .capture: every reader refuses a broken file alike."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from sam2_autotrack.errors import EmptyVideoError, NotAVideoError, VideoNotFoundError
from sam2_autotrack.video import count_frames, iter_frames, probe_video, read_frame
from sam2_autotrack.video.checks import image_format, looks_like_video_container

RunFFmpeg = Callable[..., bytes]
MdatOffset = Callable[[Path], int]


def test_sniffing_names_still_images_and_video_containers() -> None:
    assert image_format(b"\x89PNG\r\n\x1a\n" + bytes(8)) == "PNG"
    assert image_format(b"\xff\xd8\xff\xe0" + bytes(8)) == "JPEG"
    assert image_format(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "WebP"
    assert image_format(b"\x00\x00\x00\x18ftypmp42") is None
    assert looks_like_video_container(b"\x00\x00\x00\x18ftypmp42")
    assert looks_like_video_container(b"\x1a\x45\xdf\xa3" + bytes(8))  # Matroska / WebM
    assert looks_like_video_container(b"RIFF\x00\x00\x00\x00AVI LIST")
    assert not looks_like_video_container(b"this is not a video")
    assert not looks_like_video_container(b"RIFF\x00\x00\x00\x00WEBPVP8 ")


# -- errors -----------------------------------------------------------------------------------

READERS = [
    pytest.param(probe_video, id="probe_video"),
    pytest.param(lambda p: probe_video(p, exact_frame_count=True), id="probe_video_exact"),
    pytest.param(count_frames, id="count_frames"),
    pytest.param(read_frame, id="read_frame"),
    pytest.param(lambda p: list(iter_frames(p)), id="iter_frames"),
]


@pytest.mark.parametrize("reader", READERS)
def test_missing_file(reader: Any, tmp_path: Path) -> None:
    with pytest.raises(VideoNotFoundError, match="does not exist") as info:
        reader(tmp_path / "nope.mp4")
    assert isinstance(info.value, FileNotFoundError)
    assert info.value.path == tmp_path / "nope.mp4"


@pytest.mark.parametrize("reader", READERS)
def test_directory(reader: Any, tmp_path: Path) -> None:
    folder = tmp_path / "clip.mp4"
    folder.mkdir()
    with pytest.raises(VideoNotFoundError, match="directory"):
        reader(folder)


@pytest.mark.parametrize("reader", READERS)
def test_text_file_is_not_a_video(reader: Any, tmp_path: Path) -> None:
    text = tmp_path / "notes.mp4"
    text.write_text("this is not a video\n" * 20)
    with pytest.raises(NotAVideoError, match="not a video"):
        reader(text)


@pytest.mark.parametrize("reader", READERS)
def test_zero_byte_file_is_not_a_video(reader: Any, tmp_path: Path) -> None:
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(NotAVideoError, match="0 bytes"):
        reader(empty)


@pytest.mark.parametrize("extension", [".png", ".jpg"])
@pytest.mark.parametrize("reader", READERS)
def test_image_renamed_mp4_is_not_a_video(reader: Any, tmp_path: Path, extension: str) -> None:
    image = np.zeros((16, 16, 3), dtype=np.uint8)
    image[4:12, 4:12] = 200
    ok, encoded = cv2.imencode(extension, image)
    assert ok
    renamed = tmp_path / "frame.mp4"
    renamed.write_bytes(encoded.tobytes())
    # OpenCV's FFmpeg backend would decode it as a 1-frame "video"; it must be refused instead.
    with pytest.raises(NotAVideoError, match="image, not a video"):
        reader(renamed)


@pytest.mark.parametrize("reader", READERS)
def test_audio_only_mp4_is_empty(reader: Any, run_ffmpeg: RunFFmpeg, tmp_path: Path) -> None:
    audio = tmp_path / "audio.mp4"
    run_ffmpeg("-f", "lavfi", "-i", "sine=duration=0.2", "-c:a", "aac", str(audio))
    with pytest.raises(EmptyVideoError, match="no decodable video stream"):
        reader(audio)


@pytest.mark.parametrize("reader", READERS)
def test_truncated_before_first_frame_is_empty(
    reader: Any, testsrc_mp4: Path, mdat_offset: MdatOffset, tmp_path: Path
) -> None:
    truncated = tmp_path / "cut.mp4"
    truncated.write_bytes(testsrc_mp4.read_bytes()[: mdat_offset(testsrc_mp4) + 16])
    with pytest.raises(EmptyVideoError, match="truncated"):
        reader(truncated)


@pytest.mark.parametrize("reader", READERS)
def test_truncated_without_index_is_empty(
    reader: Any, run_ffmpeg: RunFFmpeg, testsrc_mp4: Path, tmp_path: Path
) -> None:
    # Without faststart the moov index sits at the end; cutting it off leaves an unreadable mp4.
    plain = tmp_path / "plain.mp4"
    run_ffmpeg("-i", str(testsrc_mp4), "-c", "copy", str(plain))
    data = plain.read_bytes()
    assert data.find(b"moov") > data.find(b"mdat")
    truncated = tmp_path / "cut.mp4"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(EmptyVideoError):
        reader(truncated)
