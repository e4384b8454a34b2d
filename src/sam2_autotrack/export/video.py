"""Video exports: true-alpha video (WebM VP9 / ProRes 4444) and a coloured overlay preview (H.264).

Both read the source video through ffmpeg and stream one frame at a time, so memory stays flat
whatever the clip length. Masks given every k-th frame (``frame_indices = 0, k, 2k, ...``) are
*held* until the next mask frame, and the output always has exactly the source's frame count at
the source frame rate (or ``fps=`` when given): unlike the guide's ``-framerate 30`` recipe, the
alpha never drifts or gets stretched in time.

The alpha video is made by ffmpeg itself: the source is decoded from ``-i source`` (with ffmpeg's
automatic rotation, the orientation the masks are drawn in) and the alpha arrives as raw 8-bit gray
frames on stdin; both streams are re-timed to ``frame number / fps`` so ``alphamerge`` pairs frame
*n* with alpha *n* exactly. Reading alpha back from a WebM needs the libvpx decoder
(``ffmpeg -c:v libvpx-vp9 -i file.webm``): ffmpeg's native VP9 decoder silently drops it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

import cv2
import numpy as np
from numpy.typing import NDArray

from sam2_autotrack._fs import atomic_path
from sam2_autotrack.errors import ExportError, MaskError, MaskSizeError
from sam2_autotrack.export.palette import object_colors
from sam2_autotrack.masks.cleanup import (
    MaskCleanup,
    feather_alpha,
    hold_indices,
)
from sam2_autotrack.masks.validate import as_mask_stack, checked_mask_stacks
from sam2_autotrack.video.ffmpeg import require_encoders
from sam2_autotrack.video.process import iter_ffmpeg_output, run_ffmpeg
from sam2_autotrack.video.stream_info import VideoStreamInfo, probe_stream

__all__ = [
    "AlphaCodec",
    "union_of",
    "write_alpha_video",
    "write_overlay_video",
]

AlphaCodec = Literal["webm", "prores"]
"""``"webm"``: VP9 ``yuva420p`` in WebM. ``"prores"``: ProRes 4444 ``yuva444p10le`` in QuickTime."""

_DEFAULT_TIMEOUT_S = 900.0

_ALPHA_CODECS: dict[str, dict[str, Any]] = {
    "webm": {
        "encoder": "libvpx-vp9",
        "suffixes": (".webm",),
        "merge_format": "yuva420p",
        "args": [
            "-c:v", "libvpx-vp9", "-pix_fmt", "yuva420p", "-b:v", "0", "-crf", "24",
            "-deadline", "good", "-cpu-used", "4", "-row-mt", "1", "-f", "webm",
        ],
    },
    "prores": {
        "encoder": "prores_ks",
        "suffixes": (".mov",),
        "merge_format": "yuva444p",
        "args": [
            "-c:v", "prores_ks", "-profile:v", "4", "-pix_fmt", "yuva444p10le",
            "-vendor", "apl0", "-f", "mov",
        ],
    },
}  # fmt: skip


def union_of(masks: Mapping[str, Any]) -> NDArray[np.bool_]:
    """Union of every object's ``(T, H, W)`` masks: one mask stack covering all objects.

    Parameters
    ----------
    masks
        ``{object_id: (T, H, W) bool}``, all the same shape; not modified.

    Returns
    -------
    numpy.ndarray
        ``(T, H, W)`` bool, a new array.

    Examples
    --------
    >>> a = np.array([[[True, False]]]); b = np.array([[[False, False]]])
    >>> union_of({"a": a, "b": b}).tolist()
    [[[True, False]]]
    """
    stacks = checked_mask_stacks(masks)
    first = next(iter(stacks.values()))
    out = np.zeros(first.shape, dtype=bool)
    for stack in stacks.values():
        out |= stack
    return out


def _frame_rate(fps: float | Fraction | None, info: VideoStreamInfo) -> Fraction:
    if fps is None:
        return info.fps
    if not (math.isfinite(float(fps)) and float(fps) > 0):
        raise ExportError(f"fps must be a positive number; got {fps!r} (or pass fps=None)")
    if abs(float(fps) - float(info.fps)) <= 1e-6 * float(info.fps):
        return info.fps  # a float rounding of the source rate: keep the exact fraction
    return fps if isinstance(fps, Fraction) else Fraction(fps).limit_denominator(1_000_000)


def _check_geometry(
    stack: NDArray[np.bool_], frame_indices: Any, info: VideoStreamInfo, source: Path
) -> None:
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


def _check_suffix(out_path: Path, suffixes: Sequence[str], what: str) -> None:
    if out_path.suffix.lower() not in suffixes:
        raise ExportError(
            f"{what} is written as {'/'.join(suffixes)}, but out_path is {out_path.name}; "
            f"give out_path the suffix {suffixes[0]}"
        )


def _encoded_frames(progress: bytes) -> int | None:
    count = None
    for line in progress.decode("ascii", "replace").splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "frame" and value.strip().isdigit():
            count = int(value.strip())
    return count


def _check_frame_count(encoded: int | None, frame_count: int, source: Path) -> None:
    if encoded is not None and encoded != frame_count:
        got = f"more than {frame_count}" if encoded > frame_count else str(encoded)
        raise ExportError(
            f"{source.name} decodes to {got} frames but frame_count is {frame_count}; pass the "
            "number of frames the video really decodes to"
        )


def _alpha_frames(
    stack: NDArray[np.bool_], positions: NDArray[np.intp], feather_px: float
) -> Iterator[bytes]:
    empty = bytes(stack.shape[1] * stack.shape[2])
    last_position = -2
    last = empty
    for position in positions:
        if position != last_position:
            last = (
                empty
                if position < 0
                else feather_alpha(stack[position], radius_px=feather_px).tobytes()
            )
            last_position = int(position)
        yield last
    # One frame more than the source should have: with alphamerge=shortest=1 the output then has
    # frame_count + 1 frames exactly when the source is longer than frame_count (detected).
    yield empty


def write_alpha_video(
    source_video: str | Path,
    mask: Any,
    *,
    frame_indices: Any,
    frame_count: int,
    out_path: str | Path,
    codec: AlphaCodec = "webm",
    fps: float | Fraction | None = None,
    cleanup: MaskCleanup | None = None,
    ffmpeg: str | Path | None = None,
    timeout: float = _DEFAULT_TIMEOUT_S,
) -> Path:
    """Write the source video with ``mask`` as its alpha channel (true transparency).

    Parameters
    ----------
    source_video
        The video the masks were made on.
    mask
        ``(T, H, W)`` bool: one object's masks, or :func:`union_of` several.
    frame_indices
        ``(T,)`` source-frame index of each mask frame; each mask is held until the next one.
    frame_count
        Number of frames of the source video; the output has exactly this many.
    out_path
        Destination (``.webm`` for ``"webm"``, ``.mov`` for ``"prores"``). Written atomically.
    codec
        ``"webm"``: VP9 with alpha (``yuva420p``), small, plays in browsers. ``"prores"``: ProRes
        4444 (``yuva444p10le``), large, for editors and compositing.
    fps
        Output frame rate; ``None`` keeps the source's exact rate.
    cleanup
        Hole filling, speck removal and edge feathering (default: none).
    ffmpeg
        The ffmpeg executable, or ``None`` to find one.
    timeout
        Seconds the encode may take before ffmpeg is killed.

    Returns
    -------
    Path
        ``out_path``.

    Raises
    ------
    MaskSizeError
        The masks' size differs from the decoded (rotated) source size.
    ExportError
        Wrong suffix for the codec, or the source decodes to a different frame count.
    FFmpegError
        ffmpeg failed or timed out (nothing is left at ``out_path``).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from sam2_autotrack.video import run_ffmpeg
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = run_ffmpeg(["-f", "lavfi", "-i", "testsrc=size=32x24:rate=10", "-frames:v", "4",
    ...                 "-c:v", "ffv1", str(d / "clip.mkv")], timeout=60)
    >>> masks = np.zeros((2, 24, 32), dtype=bool); masks[:, 4:20, 8:24] = True
    >>> write_alpha_video(d / "clip.mkv", masks, frame_indices=[0, 2], frame_count=4,
    ...                   out_path=d / "alpha.webm").name
    'alpha.webm'
    """
    if codec not in _ALPHA_CODECS:
        raise ExportError(f"codec must be 'webm' or 'prores'; got {codec!r}")
    spec = _ALPHA_CODECS[codec]
    out = Path(out_path)
    _check_suffix(out, spec["suffixes"], f"codec={codec!r}")
    source = Path(source_video)
    exe = require_encoders(ffmpeg, [spec["encoder"]])
    info = probe_stream(source, ffmpeg=exe, timeout=min(timeout, 120.0))
    stack = as_mask_stack(mask, name="mask")
    _check_geometry(stack, frame_indices, info, source)
    positions = hold_indices(frame_indices, frame_count)
    options = cleanup if cleanup is not None else MaskCleanup()
    cleaned = options.apply(stack)
    rate = _frame_rate(fps, info)
    width, height = info.resolution_wh
    retime = f"settb={rate.denominator}/{rate.numerator},setpts=N"
    graph = (
        f"[0:v]{retime},format={spec['merge_format']}[rgb];"
        f"[1:v]format=gray,{retime}[alpha];"
        "[rgb][alpha]alphamerge=shortest=1[out]"
    )
    with atomic_path(out) as tmp:
        result = run_ffmpeg(
            [
                "-y", "-loglevel", "error", "-nostats", "-progress", "pipe:1",
                "-i", source,
                "-f", "rawvideo", "-pix_fmt", "gray", "-s", f"{width}x{height}",
                "-framerate", str(rate), "-i", "pipe:0",
                "-filter_complex", graph, "-map", "[out]",
                "-r", str(rate), "-an", "-sn", "-dn",
                *spec["args"], tmp,
            ],
            ffmpeg=exe,
            timeout=timeout,
            stdin=_alpha_frames(cleaned, positions, options.feather_px),
        )  # fmt: skip
        _check_frame_count(_encoded_frames(result.stdout), frame_count, source)
    return out


def _object_colors(
    object_ids: Sequence[str], chosen: Mapping[str, tuple[int, int, int]] | None
) -> dict[str, tuple[int, int, int]]:
    palette = [tuple(int(c) for c in rgb) for rgb in object_colors(len(object_ids))]
    colors: dict[str, tuple[int, int, int]] = {}
    for i, oid in enumerate(object_ids):
        color = (chosen or {}).get(oid, palette[i])
        values = tuple(int(c) for c in color)
        if len(values) != 3 or not all(0 <= c <= 255 for c in values):
            raise ExportError(
                f"colors_rgb[{oid!r}] must be three integers in 0..255; got {color!r}"
            )
        colors[oid] = (values[0], values[1], values[2])
    return colors


def _label_anchor(mask: NDArray[np.bool_]) -> tuple[int, int]:
    """Return the mask pixel farthest from its edge (inside even for rings and C shapes)."""
    distance = cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, 3)
    y, x = np.unravel_index(int(np.argmax(distance)), distance.shape)
    return int(x), int(y)


def _draw_overlay(
    frame_rgb: NDArray[np.uint8],
    objects: Sequence[tuple[str, NDArray[np.bool_], tuple[int, int, int]]],
    *,
    alpha: float,
    contour_px: int,
    draw_ids: bool,
) -> NDArray[np.uint8]:
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
        if contour_px > 0:
            contours, _ = cv2.findContours(
                mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE
            )
            cv2.drawContours(out, contours, -1, color, contour_px, cv2.LINE_AA)
        if draw_ids:
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
    alpha: float = 0.5,
    draw_ids: bool = True,
    contour_px: int = 2,
    colors_rgb: Mapping[str, tuple[int, int, int]] | None = None,
    fps: float | Fraction | None = None,
    cleanup: MaskCleanup | None = None,
    ffmpeg: str | Path | None = None,
    timeout: float = _DEFAULT_TIMEOUT_S,
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
    alpha
        Opacity of the colour fill, ``0`` (contours only) to ``1`` (solid).
    draw_ids
        Write each object's id near the point deepest inside its mask.
    contour_px
        Outline thickness; ``0`` draws none.
    colors_rgb
        Colour per object id; missing ids get the library's object colours in order
        (:func:`~sam2_autotrack.export.palette.object_colors`).
    fps
        Output frame rate; ``None`` keeps the source's exact rate.
    cleanup
        Hole filling and speck removal applied before drawing (feathering is ignored).
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
        Bad options, or the source decodes to a different frame count.
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
    if not 0.0 <= alpha <= 1.0:
        raise ExportError(f"alpha must be between 0 and 1; got {alpha!r}")
    if contour_px < 0:
        raise ExportError(f"contour_px must be >= 0; got {contour_px}")
    out = Path(out_path)
    _check_suffix(out, (".mp4",), "the overlay preview (H.264)")
    source = Path(source_video)
    exe = require_encoders(ffmpeg, ["libx264"])
    info = probe_stream(source, ffmpeg=exe, timeout=min(timeout, 120.0))
    stacks = checked_mask_stacks(masks)
    first = next(iter(stacks.values()))
    _check_geometry(first, frame_indices, info, source)
    positions = hold_indices(frame_indices, frame_count)
    options = cleanup if cleanup is not None else MaskCleanup()
    cleaned = {oid: options.apply(stack) for oid, stack in stacks.items()}
    colors = _object_colors(list(cleaned), colors_rgb)
    rate = _frame_rate(fps, info)
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
            drawn = _draw_overlay(
                frame, objects, alpha=alpha, contour_px=contour_px, draw_ids=draw_ids
            )
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
        _check_frame_count(decoded, frame_count, source)
        _check_frame_count(_encoded_frames(result.stdout), frame_count, source)
    return out
