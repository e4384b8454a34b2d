"""The overlay preview: H.264 video of the source with each object tinted, outlined and labelled.

The source is decoded through ffmpeg one frame at a time, each frame is drawn with OpenCV and piped
to the encoder, so memory stays flat whatever the clip length. Masks given every k-th frame are
held until the next mask frame; the output has exactly the source's frame count. How the objects
are drawn is an :class:`OverlayStyle`; their colours come from
:func:`~sam2_autotrack.export.palette.object_colors`, the same as in every viz picture.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Annotated, Any

import cv2
import numpy as np
from numpy.typing import NDArray
from pydantic import Field

from sam2_autotrack._fs import atomic_path
from sam2_autotrack._options import Options
from sam2_autotrack.errors import ExportError
from sam2_autotrack.export._checks import (
    DEFAULT_TIMEOUT_S,
    check_frame_count,
    check_geometry,
    check_suffix,
    encoded_frames,
    frame_rate,
)
from sam2_autotrack.export.palette import object_colors
from sam2_autotrack.masks.cleanup import MaskCleanup, hold_indices
from sam2_autotrack.masks.validate import checked_mask_stacks
from sam2_autotrack.video.ffmpeg import require_encoders
from sam2_autotrack.video.process import iter_ffmpeg_output, run_ffmpeg
from sam2_autotrack.video.stream_info import probe_stream

__all__ = ["OverlayStyle", "write_overlay_video"]

_Channel = Annotated[int, Field(ge=0, le=255)]


class OverlayStyle(Options):
    """How the overlay preview draws the objects.

    Parameters
    ----------
    fill_alpha
        Opacity of the colour fill, ``0`` (contours only) to ``1`` (solid).
    contour_px
        Outline thickness in pixels; ``0`` draws none.
    draw_ids
        Write each object's id near the point deepest inside its mask.
    colors_rgb
        Colour per object id (three integers 0..255); ids not listed get the library's object
        colours in order (:func:`~sam2_autotrack.export.palette.object_colors`).

    Examples
    --------
    >>> OverlayStyle()
    OverlayStyle(fill_alpha=0.5, contour_px=2, draw_ids=True, colors_rgb=None)
    >>> OverlayStyle(fill_alpha=2)
    Traceback (most recent call last):
    ...
    sam2_autotrack.errors.ConfigError: invalid OverlayStyle: fill_alpha=2: must be less than or ...
    """

    fill_alpha: float = Field(default=0.5, ge=0.0, le=1.0)
    contour_px: int = Field(default=2, ge=0)
    draw_ids: bool = True
    colors_rgb: dict[str, tuple[_Channel, _Channel, _Channel]] | None = None


def _object_colors(
    object_ids: Sequence[str], chosen: Mapping[str, tuple[int, int, int]] | None
) -> dict[str, tuple[int, int, int]]:
    palette = [(int(r), int(g), int(b)) for r, g, b in object_colors(len(object_ids)).tolist()]
    return {oid: (chosen or {}).get(oid, palette[i]) for i, oid in enumerate(object_ids)}


def _label_anchor(mask: NDArray[np.bool_]) -> tuple[int, int]:
    """Return the mask pixel farthest from its edge (inside even for rings and C shapes)."""
    distance = cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, 3)
    y, x = np.unravel_index(int(np.argmax(distance)), distance.shape)
    return int(x), int(y)


def _draw_overlay(
    frame_rgb: NDArray[np.uint8],
    objects: Sequence[tuple[str, NDArray[np.bool_], tuple[int, int, int]]],
    style: OverlayStyle,
) -> NDArray[np.uint8]:
    alpha = style.fill_alpha
    blended = frame_rgb.astype(np.float32)
    for _, mask, color in objects:
        if mask.any():
            blended[mask] = (1.0 - alpha) * blended[mask] + alpha * np.asarray(color, np.float32)
    out = np.clip(np.rint(blended), 0, 255).astype(np.uint8)
    height, width = out.shape[:2]
    scale = max(0.35, min(width, height) / 700.0)
    thickness = max(1, round(scale * 2))
    for object_id, mask, color in objects:
        if not mask.any():
            continue
        if style.contour_px > 0:
            contours, _ = cv2.findContours(
                mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE
            )
            cv2.drawContours(out, contours, -1, color, style.contour_px, cv2.LINE_AA)
        if style.draw_ids:
            x, y = _label_anchor(mask)
            (text_w, text_h), _ = cv2.getTextSize(
                object_id, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness
            )
            org = (
                int(np.clip(x - text_w // 2, 0, max(0, width - text_w))),
                int(np.clip(y + text_h // 2, text_h, height - 1)),
            )
            cv2.putText(
                out, object_id, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0),
                thickness + 2, cv2.LINE_AA,
            )  # fmt: skip
            cv2.putText(
                out, object_id, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255),
                thickness, cv2.LINE_AA,
            )  # fmt: skip
    return out


def write_overlay_video(
    source_video: str | Path,
    masks: Mapping[str, Any],
    *,
    frame_indices: Any,
    frame_count: int,
    out_path: str | Path,
    style: OverlayStyle | None = None,
    cleanup: MaskCleanup | None = None,
    fps: float | Fraction | None = None,
    ffmpeg: str | Path | None = None,
    timeout: float = DEFAULT_TIMEOUT_S,
) -> Path:
    """Write an H.264 preview: each object tinted in its own colour, outlined and labelled.

    Parameters
    ----------
    source_video
        The video the masks were made on.
    masks
        ``{object_id: (T, H, W) bool}``, all the same shape.
    frame_indices
        ``(T,)`` source-frame index of each mask frame; each mask is held until the next one.
    frame_count
        Number of frames of the source video; the output has exactly this many.
    out_path
        Destination ``.mp4`` (yuv420p; an odd width or height is padded by one black pixel).
        Written atomically.
    style
        Fill opacity, outline, id labels and colours (default :class:`OverlayStyle`).
    cleanup
        Hole filling and speck removal applied before drawing (feathering is ignored).
    fps
        Output frame rate; ``None`` keeps the source's exact rate.
    ffmpeg
        The ffmpeg executable, or ``None`` to find one.
    timeout
        Seconds decoding and encoding may take before ffmpeg is killed.

    Returns
    -------
    Path
        ``out_path``.

    Raises
    ------
    MaskSizeError
        The masks' size differs from the decoded (rotated) source size.
    ExportError
        Wrong suffix, or the source decodes to a different frame count.
    FFmpegError
        ffmpeg failed or timed out (nothing is left at ``out_path``).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from sam2_autotrack.video import run_ffmpeg
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = run_ffmpeg(["-f", "lavfi", "-i", "testsrc=size=32x24:rate=10", "-frames:v", "3",
    ...                 "-c:v", "ffv1", str(d / "clip.mkv")], timeout=60)
    >>> car = np.zeros((3, 24, 32), dtype=bool); car[:, 4:20, 8:24] = True
    >>> write_overlay_video(d / "clip.mkv", {"car": car}, frame_indices=[0, 1, 2],
    ...                     frame_count=3, out_path=d / "overlay.mp4").name
    'overlay.mp4'
    """
    drawing = style if style is not None else OverlayStyle()
    out = Path(out_path)
    check_suffix(out, (".mp4",), "the overlay preview (H.264)")
    source = Path(source_video)
    exe = require_encoders(ffmpeg, ["libx264"])
    info = probe_stream(source, ffmpeg=exe, timeout=min(timeout, 120.0))
    stacks = checked_mask_stacks(masks)
    first = next(iter(stacks.values()))
    check_geometry(first, frame_indices, info, source)
    positions = hold_indices(frame_indices, frame_count)
    options = cleanup if cleanup is not None else MaskCleanup()
    cleaned = {oid: options.apply(stack) for oid, stack in stacks.items()}
    colors = _object_colors(list(cleaned), drawing.colors_rgb)
    rate = frame_rate(fps, info)
    width, height = info.resolution_wh
    frame_bytes = width * height * 3
    decoded = 0

    def composed() -> Iterator[bytes]:
        nonlocal decoded
        frames = iter_ffmpeg_output(
            ["-loglevel", "error", "-i", source, "-map", "0:v:0", "-fps_mode", "passthrough",
             "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"],
            chunk_bytes=frame_bytes,
            ffmpeg=exe,
            timeout=timeout,
        )  # fmt: skip
        empty = np.zeros((height, width), dtype=bool)
        for t, raw in enumerate(frames):
            if t >= frame_count:
                frames.close()
                raise ExportError(
                    f"{source.name} decodes to more than {frame_count} frames but frame_count "
                    f"is {frame_count}; pass the number of frames the video really decodes to"
                )
            frame = np.frombuffer(raw, dtype=np.uint8).reshape(height, width, 3)
            position = positions[t]
            objects = [
                (oid, stack[position] if position >= 0 else empty, colors[oid])
                for oid, stack in cleaned.items()
            ]
            drawn = _draw_overlay(frame, objects, drawing)
            decoded = t + 1
            yield drawn.tobytes()

    with atomic_path(out) as tmp:
        result = run_ffmpeg(
            [
                "-y", "-loglevel", "error", "-nostats", "-progress", "pipe:1",
                "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}",
                "-framerate", str(rate), "-i", "pipe:0",
                "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", "-an",
                "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p",
                "-r", str(rate), "-movflags", "+faststart", "-f", "mp4", tmp,
            ],
            ffmpeg=exe,
            timeout=timeout,
            stdin=composed(),
        )  # fmt: skip
        check_frame_count(decoded, frame_count, source)
        check_frame_count(encoded_frames(result.stdout), frame_count, source)
    return out
