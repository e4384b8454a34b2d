"""Checks shared by the export writers, run before anything is written.

Mask stacks against their frame indices and the source video, output suffixes, the output frame
rate, and the frame count an encode really produced. Private to
[`sam2_autotrack.export`][sam2_autotrack.export]; a bad argument leaves nothing behind.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.errors import ExportError, MaskError, MaskSizeError
from sam2_autotrack.masks.cleanup import hold_indices
from sam2_autotrack.masks.store import MaskSequence
from sam2_autotrack.masks.validate import as_mask_stack
from sam2_autotrack.video.stream_info import VideoStreamInfo

__all__ = [
    "DEFAULT_TIMEOUT_S",
    "MaskFrames",
    "check_frame_count",
    "check_geometry",
    "check_suffix",
    "checked_masks",
    "encoded_frames",
    "frame_rate",
]

DEFAULT_TIMEOUT_S = 900.0
"""Seconds an encode may take before ffmpeg is killed."""


MaskFrames = MaskSequence | NDArray[np.bool_]
"""One object's masks, read frame by frame: a `MaskSequence` or a ``(T, H, W)`` stack."""


def checked_masks(masks: Mapping[str, Any], frame_indices: Any) -> dict[str, MaskFrames]:
    """Validate ``{object_id: masks}`` and their ``(T,)`` increasing frame indices.

    A [`MaskSequence`][sam2_autotrack.masks.MaskSequence] is kept as it is (never decoded whole: the
    exports read it frame by frame); anything else is checked as a ``(T, H, W)`` mask stack.
    """
    if not masks:
        raise MaskError("masks is empty; pass {object_id: (T, H, W) bool array} with one object")
    frames: dict[str, MaskFrames] = {
        str(oid): m if isinstance(m, MaskSequence) else as_mask_stack(m, name=f"masks[{oid!r}]")
        for oid, m in masks.items()
    }
    shapes = {tuple(m.shape) for m in frames.values()}
    if len(shapes) != 1:
        raise MaskError(
            f"every object's masks must have the same (T, H, W) shape; got {sorted(shapes)}"
        )
    shape = next(iter(shapes))
    indices = np.asarray(frame_indices)
    if indices.shape != (shape[0],):
        raise MaskError(
            f"frame_indices must have shape ({shape[0]},), one index per mask frame; "
            f"got {indices.shape}"
        )
    if indices.size:
        hold_indices(indices, int(indices[-1]) + 1)  # validates order and sign
    return frames


def frame_rate(fps: float | Fraction | None, info: VideoStreamInfo) -> Fraction:
    """Return the output rate: the source's exact fraction, or ``fps`` when it really differs."""
    if fps is None:
        return info.fps
    if not (math.isfinite(float(fps)) and float(fps) > 0):
        raise ExportError(f"fps must be a positive number; got {fps!r} (or pass fps=None)")
    if abs(float(fps) - float(info.fps)) <= 1e-6 * float(info.fps):
        return info.fps  # a float rounding of the source rate: keep the exact fraction
    return fps if isinstance(fps, Fraction) else Fraction(fps).limit_denominator(1_000_000)


def check_geometry(
    stack: MaskFrames, frame_indices: Any, info: VideoStreamInfo, source: Path
) -> None:
    """Check one index per mask frame and masks the size of the decoded (rotated) source."""
    indices = np.asarray(frame_indices)
    if indices.shape != (stack.shape[0],):
        raise MaskError(
            f"frame_indices must have shape ({stack.shape[0]},), one index per mask frame; "
            f"got {indices.shape}"
        )
    mask_wh = (int(stack.shape[2]), int(stack.shape[1]))
    if mask_wh != info.resolution_wh:
        raise MaskSizeError(
            f"masks are {mask_wh[0]}x{mask_wh[1]} but {source.name} decodes to "
            f"{info.resolution_wh[0]}x{info.resolution_wh[1]} (after rotation); pass masks made "
            "on this video's frames",
            expected_wh=info.resolution_wh,
            actual_wh=mask_wh,
        )


def check_suffix(out_path: Path, suffixes: Sequence[str], what: str) -> None:
    """Refuse an output name whose suffix does not match the container written."""
    if out_path.suffix.lower() not in suffixes:
        raise ExportError(
            f"{what} is written as {'/'.join(suffixes)}, but out_path is {out_path.name}; "
            f"give out_path the suffix {suffixes[0]}"
        )


def encoded_frames(progress: bytes) -> int | None:
    """Return the last ``frame=`` count of ffmpeg's ``-progress`` output, if any."""
    count = None
    for line in progress.decode("ascii", "replace").splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "frame" and value.strip().isdigit():
            count = int(value.strip())
    return count


def check_frame_count(encoded: int | None, frame_count: int, source: Path) -> None:
    """Fail when the encode produced another number of frames than the source should have."""
    if encoded is not None and encoded != frame_count:
        got = f"more than {frame_count}" if encoded > frame_count else str(encoded)
        raise ExportError(
            f"{source.name} decodes to {got} frames but frame_count is {frame_count}; pass the "
            "number of frames the video really decodes to"
        )
