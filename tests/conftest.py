"""Shared pytest fixtures.

Each block is owned by one topic; append new fixtures in their own clearly named block.
"""

from __future__ import annotations

import functools
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path

import imageio_ffmpeg
import pytest

# -- video fixtures (tests/video/): small clips encoded with the imageio-ffmpeg binary ----

MakeClip = Callable[..., Path]


@pytest.fixture(scope="session")
def ffmpeg_exe() -> str:
    """Path of the static ffmpeg binary bundled with imageio-ffmpeg."""
    return str(imageio_ffmpeg.get_ffmpeg_exe())


def _run_ffmpeg(ffmpeg: str, *args: str) -> bytes:
    result = subprocess.run(
        [ffmpeg, "-hide_banner", "-loglevel", "error", "-nostdin", "-y", *args],
        capture_output=True,
        timeout=60,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"ffmpeg {' '.join(args)} failed: {result.stderr.decode(errors='replace')}")
    return result.stdout


@pytest.fixture(scope="session")
def run_ffmpeg(ffmpeg_exe: str) -> Callable[..., bytes]:
    """``run_ffmpeg(*args)``: run ffmpeg quietly, return stdout; a failure fails the test."""
    return functools.partial(_run_ffmpeg, ffmpeg_exe)


@pytest.fixture(scope="session")
def make_testsrc_clip(ffmpeg_exe: str, tmp_path_factory: pytest.TempPathFactory) -> MakeClip:
    """Return a factory ``make(name, *, size="64x48", rate="10", frames=10, vf=None) -> Path``.

    Encodes ffmpeg's ``testsrc2`` pattern (asymmetric, so rotations are detectable) as H.264
    yuv420p with ``-movflags +faststart`` into a session temp dir and returns the path.
    """
    directory = tmp_path_factory.mktemp("testsrc_clips")

    def make(
        name: str,
        *,
        size: str = "64x48",
        rate: str = "10",
        frames: int = 10,
        vf: str | None = None,
    ) -> Path:
        out = directory / name
        if out.exists():
            return out
        filters = ["-vf", vf] if vf else []
        _run_ffmpeg(
            ffmpeg_exe,
            *("-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}"),
            *("-frames:v", str(frames), *filters),
            *("-c:v", "libx264", "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(out)),
        )
        return out

    return make


@pytest.fixture(scope="session")
def testsrc_mp4(make_testsrc_clip: MakeClip) -> Path:
    """A 64x48, 10 fps, 10-frame H.264 clip with no rotation."""
    return make_testsrc_clip("testsrc.mp4")


@pytest.fixture(scope="session")
def rotated90_mp4(ffmpeg_exe: str, testsrc_mp4: Path) -> Path:
    """``testsrc_mp4`` remuxed with a 90° (counter-clockwise) display matrix, pixels untouched."""
    out = testsrc_mp4.with_name("rotated90.mp4")
    if not out.exists():
        _run_ffmpeg(
            ffmpeg_exe, "-display_rotation", "90", "-i", str(testsrc_mp4), "-c", "copy", str(out)
        )
    return out


def _mdat_offset(path: Path) -> int:
    data = path.read_bytes()
    pos = 0
    while pos + 8 <= len(data):
        size = int.from_bytes(data[pos : pos + 4], "big")
        if data[pos + 4 : pos + 8] == b"mdat":
            return pos
        assert size >= 8, "unexpected box layout"
        pos += size
    raise AssertionError("no mdat box")


@pytest.fixture(scope="session")
def mdat_offset() -> Callable[[Path], int]:
    """``mdat_offset(path)``: byte offset of the top-level ``mdat`` box of an ISO-BMFF file."""
    return _mdat_offset


# -- fake Replicate server (tests/test_replicate.py): a real HTTP server on 127.0.0.1 -------------

from collections.abc import Iterator  # noqa: E402

from fake_replicate import FakeReplicate  # noqa: E402


@pytest.fixture
def fake_replicate(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeReplicate]:
    """Start a :class:`fake_replicate.FakeReplicate` on a free port; stop it after the test.

    ``REPLICATE_BASE_URL`` and ``REPLICATE_API_TOKEN`` point at it for the test's duration.
    """
    server = FakeReplicate().start()
    monkeypatch.setenv("REPLICATE_BASE_URL", server.url)
    monkeypatch.setenv("REPLICATE_API_TOKEN", server.token)
    monkeypatch.setenv("REPLICATE_POLL_INTERVAL", "0.01")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def sigint_raises() -> Iterator[None]:
    """Make SIGINT raise KeyboardInterrupt for the test's duration, then restore its handler.

    A test run started as a background job (``cmd &`` in a script) inherits SIGINT *ignored*, and
    Python then leaves it ignored: the Ctrl-C tests' ``pthread_kill`` would do nothing.
    """
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


# -- isolation: runs without an output folder keep journals in the user cache; keep it per test --


@pytest.fixture(autouse=True)
def _isolated_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))


# -- embedded engine fixtures (tests/backends/local/): a generated clip, the two-squares video ----

import numpy as np  # noqa: E402
from numpy.typing import NDArray  # noqa: E402

from local_clips import SMALL_WH, two_squares_clip, write_video  # noqa: E402
from sam2_autotrack.testing import SyntheticClip, make_clip  # noqa: E402


@pytest.fixture(scope="module")
def small_clip() -> SyntheticClip:
    return make_clip("rings_and_c", resolution_wh=SMALL_WH, frame_count=12)


@pytest.fixture(scope="module")
def squares_video(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, NDArray[np.bool_]]:
    frames, truth = two_squares_clip()
    path = write_video(frames, tmp_path_factory.mktemp("squares") / "squares.mp4")
    return path, truth
