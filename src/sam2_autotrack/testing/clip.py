"""A rendered synthetic clip with its exact ground truth, and where writing it put the files.

Made by [`make_clip`][sam2_autotrack.testing.make_clip];
[`SyntheticClip.write`][sam2_autotrack.testing.SyntheticClip.write] saves the video and the
per-object PNG masks for tools that read files.
"""

from __future__ import annotations

import math
import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from sam2_autotrack._fs import write_bytes_atomic
from sam2_autotrack.errors import ExportError, MaskError, SyntheticClipError
from sam2_autotrack.masks.validate import as_rgb_frames
from sam2_autotrack.testing.writing import encode_h264, replace_dir

__all__ = ["SyntheticClip", "SyntheticClipFiles"]

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class SyntheticClipFiles:
    """Where [`SyntheticClip.write`][sam2_autotrack.testing.SyntheticClip.write] put a clip.

    Parameters
    ----------
    video_path
        The H.264 ``.mp4`` (yuv420p) of the frames.
    gt_dir
        The ground-truth folder: one sub-folder per object id holding ``frame_00000.png``, ...
    mask_dirs
        ``{object_id: folder}`` inside ``gt_dir``.
    frame_count
        Number of frames written (video frames and PNGs per object).
    """

    video_path: Path
    gt_dir: Path
    mask_dirs: Mapping[str, Path]
    frame_count: int


@dataclass(frozen=True)
class SyntheticClip:
    """A rendered clip with exact visible-pixel ground truth per object.

    Parameters
    ----------
    name
        Clip name, used for file names (letters, digits, ``_``, ``-``, ``.``).
    frames
        ``(T, H, W, 3)`` uint8 RGB frames.
    masks
        ``{object_id: (T, H, W) bool}``: the visible pixels of each object in each frame (an
        occluded part is excluded; an object outside the frame is all ``False``).
    fps
        Frame rate used when the clip is written as a video.

    Examples
    --------
    >>> from sam2_autotrack.testing import make_clip
    >>> clip = make_clip("shapes_pan", resolution_wh=(160, 96), frame_count=4)
    >>> clip.frames.shape, clip.resolution_wh, clip.frame_count
    ((4, 96, 160, 3), (160, 96), 4)
    >>> sorted(clip.masks)
    ['gt_1', 'gt_2', 'gt_3']
    """

    name: str
    frames: NDArray[np.uint8]
    masks: Mapping[str, NDArray[np.bool_]]
    fps: float = 25.0

    def __post_init__(self) -> None:
        if not _NAME_RE.match(self.name):
            raise SyntheticClipError(
                f"clip name {self.name!r} cannot be used as a file name; use letters, digits, "
                "'_', '-' and '.' only"
            )
        try:
            frames = as_rgb_frames(self.frames)
        except MaskError as exc:
            raise SyntheticClipError(str(exc)) from None
        if frames.shape[0] == 0:
            raise SyntheticClipError("a clip needs at least one frame; got T = 0")
        if not (math.isfinite(self.fps) and self.fps > 0):
            raise SyntheticClipError(f"fps must be a positive number; got {self.fps!r}")
        checked: dict[str, NDArray[np.bool_]] = {}
        for object_id, mask in self.masks.items():
            if not _NAME_RE.match(object_id):
                raise SyntheticClipError(
                    f"object id {object_id!r} cannot be used as a folder name; use letters, "
                    "digits, '_', '-' and '.' only"
                )
            array = np.asarray(mask)
            if array.shape != frames.shape[:3]:
                raise SyntheticClipError(
                    f"masks[{object_id!r}] must have shape {frames.shape[:3]} (T, H, W) to match "
                    f"the frames; got {array.shape}"
                )
            array = array.astype(bool, copy=False)
            array.setflags(write=False)
            checked[object_id] = array
        frames.setflags(write=False)
        object.__setattr__(self, "frames", frames)
        object.__setattr__(self, "masks", checked)

    @property
    def resolution_wh(self) -> tuple[int, int]:
        """``(width, height)`` of the frames."""
        return (int(self.frames.shape[2]), int(self.frames.shape[1]))

    @property
    def frame_count(self) -> int:
        """Number of frames ``T``."""
        return int(self.frames.shape[0])

    @property
    def present_at_start(self) -> tuple[str, ...]:
        """Ids of the objects visible in frame 0 (what an auto-seeded tracker can find).

        Examples
        --------
        >>> from sam2_autotrack.testing import make_clip
        >>> clip = make_clip("enters_mid_clip", resolution_wh=(160, 96), frame_count=12)
        >>> len(clip.present_at_start) < len(clip.masks)
        True
        """
        return tuple(oid for oid, m in self.masks.items() if bool(m[0].any()))

    def write(
        self, directory: str | Path, *, crf: int = 12, timeout_s: float = 300.0
    ) -> SyntheticClipFiles:
        """Write the video and the ground-truth PNGs into ``directory``.

        Writes ``<directory>/<name>.mp4`` (H.264, yuv420p, through the imageio-ffmpeg binary) and
        ``<directory>/<name>_gt/<object_id>/frame_00000.png``, ... (8-bit white-on-black). Every
        file is written atomically, and the ground-truth folder is replaced as a whole, so stale
        frames of an earlier write never remain.

        Parameters
        ----------
        directory
            Output folder (created if missing).
        crf
            x264 constant rate factor, 0 (lossless luma) to 51; lower is higher quality.
        timeout_s
            How long ffmpeg may take before it is killed.

        Returns
        -------
        SyntheticClipFiles
            The paths written.

        Raises
        ------
        ExportError
            The resolution is odd (yuv420p needs even sizes) or ``crf`` is out of range.
        FFmpegNotFoundError, FFmpegError
            ffmpeg is missing or the encode failed.

        Examples
        --------
        >>> import tempfile
        >>> from sam2_autotrack.testing import make_clip
        >>> clip = make_clip("touching", resolution_wh=(96, 64), frame_count=3)
        >>> files = clip.write(tempfile.mkdtemp())
        >>> files.video_path.name, files.frame_count, sorted(files.mask_dirs)
        ('touching.mp4', 3, ['gt_1', 'gt_2', 'gt_3'])
        """
        width, height = self.resolution_wh
        if width % 2 or height % 2:
            raise ExportError(
                f"H.264 yuv420p needs an even width and height; the clip is {width}x{height}: "
                "render it at an even resolution_wh"
            )
        if not 0 <= crf <= 51:
            raise ExportError(f"crf must be in 0..51; got {crf}")
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        video_path = directory / f"{self.name}.mp4"
        encode_h264(self.frames, video_path, fps=self.fps, crf=crf, timeout_s=timeout_s)

        gt_dir = directory / f"{self.name}_gt"
        staging = Path(tempfile.mkdtemp(prefix=f".{gt_dir.name}.", dir=directory))
        try:
            for object_id, masks in self.masks.items():
                for t in range(self.frame_count):
                    ok, png = cv2.imencode(".png", masks[t].astype(np.uint8) * np.uint8(255))
                    if not ok:  # pragma: no cover - OpenCV always encodes 8-bit gray PNGs
                        raise ExportError(f"OpenCV could not encode the PNG of {object_id} @ {t}")
                    write_bytes_atomic(staging / object_id / f"frame_{t:05d}.png", png.tobytes())
            replace_dir(staging, gt_dir)
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
        return SyntheticClipFiles(
            video_path=video_path,
            gt_dir=gt_dir,
            mask_dirs={oid: gt_dir / oid for oid in self.masks},
            frame_count=self.frame_count,
        )
