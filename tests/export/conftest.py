"""Fixtures of the export tests: the encoded clips the alpha and overlay videos are made over."""

from __future__ import annotations

from pathlib import Path

import pytest

from encoded_clips import make_clip
from sam2_autotrack.video import run_ffmpeg


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("clips")
    odd = make_clip(root / "odd.mp4", size="65x47", rate="30000/1001")
    rotated = root / "rotated.mp4"
    run_ffmpeg(
        ["-loglevel", "error", "-display_rotation:v:0", "90", "-i", odd, "-c", "copy", rotated],
        timeout=60,
    )
    gray = make_clip(root / "gray.mp4", size="64x48", rate="25", source="color=c=0x808080:")
    return {"odd": odd, "rotated": rotated, "gray": gray}
