"""The overlay preview: H.264 video of the source with each object tinted, outlined and labelled.

The source is decoded through ffmpeg one frame at a time, each frame is drawn with OpenCV and piped
to the encoder (`sam2_autotrack.export.encode`), so memory stays flat whatever the clip
length. Drawing touches only each object's bounding box, and a mask's outline and label position
are found once per mask frame however long it is held. Masks given every k-th frame are held until
the next mask frame; the output has exactly the source's frame count. How the objects are drawn is
an [`OverlayStyle`][sam2_autotrack.export.OverlayStyle]; their colours come from
[`object_colors`][sam2_autotrack.export.object_colors], the same as in every viz picture.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Annotated, Any

import cv2
import numpy as np
from numpy.typing import NDArray
from pydantic import Field

from sam2_autotrack._options import Options
from sam2_autotrack.export._checks import (
    DEFAULT_TIMEOUT_S,
    check_geometry,
    check_suffix,
    checked_masks,
    frame_rate,
)
from sam2_autotrack.export._frames import HeldMasks
from sam2_autotrack.export.encode import ExportProgress, VideoEncode, encode_from_source
from sam2_autotrack.export.palette import object_colors
from sam2_autotrack.export.presets import DEFAULT_QUALITY, Quality, encoder_settings
from sam2_autotrack.masks.cleanup import MaskCleanup, hold_indices
from sam2_autotrack.video.ffmpeg import require_encoders
from sam2_autotrack.video.stream_info import probe_stream

__all__ = ["OverlayStyle", "overlay_colors", "overlay_video_encode", "write_overlay_video"]

_Channel = Annotated[int, Field(ge=0, le=255)]


class OverlayStyle(Options):
    """How the overlay preview draws the objects.

    Attributes
    ----------
    fill_alpha
        Opacity of the colour fill, ``0`` (contours only) to ``1`` (solid).
    contour_px
        Outline thickness in pixels; ``0`` draws none.
    draw_ids
        Write each object's id near the point deepest inside its mask.
    colors_rgb
        Colour per object id (three integers 0..255); ids not listed get the library's object
        colours in order ([`object_colors`][sam2_autotrack.export.object_colors]).

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


def overlay_colors(
    object_ids: Sequence[str], chosen: Mapping[str, tuple[int, int, int]] | None
) -> dict[str, tuple[int, int, int]]:
    """Return each object's colour: ``chosen`` where given, else the library's object colours.

    Examples
    --------
    >>> overlay_colors(["a", "b"], {"b": (1, 2, 3)})["b"]
    (1, 2, 3)
    """
    palette = [(int(r), int(g), int(b)) for r, g, b in object_colors(len(object_ids)).tolist()]
    return {oid: (chosen or {}).get(oid, palette[i]) for i, oid in enumerate(object_ids)}


_Color = tuple[int, int, int]
_PAD_EVEN = ("-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2")  # yuv420p needs even sides
_MP4 = ("-movflags", "+faststart", "-f", "mp4")


class _Shape:
    """What drawing one mask needs, found once per mask frame: box, outline, label position."""

    __slots__ = ("anchor", "box", "contours", "inside")

    def __init__(self, mask: NDArray[np.bool_], style: OverlayStyle) -> None:
        self.box: tuple[int, int, int, int] | None = None
        self.inside: NDArray[np.uint8] = np.zeros((0, 0), dtype=np.uint8)
        self.contours: Sequence[Any] = ()
        self.anchor = (0, 0)
        as_bytes = np.ascontiguousarray(mask, dtype=bool).view(np.uint8)
        x, y, w, h = cv2.boundingRect(as_bytes)
        if w == 0 or h == 0:
            return
        height, width = mask.shape
        # One pixel of margin (clipped to the frame) keeps outlines and distances exactly as on
        # the whole frame: every background pixel nearest to the mask lies in that margin.
        y0, y1 = max(0, y - 1), min(height, y + h + 1)
        x0, x1 = max(0, x - 1), min(width, x + w + 1)
        self.box = (y0, y1, x0, x1)
        self.inside = np.ascontiguousarray(as_bytes[y0:y1, x0:x1])
        if style.contour_px > 0:
            self.contours, _ = cv2.findContours(
                self.inside, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE, offset=(x0, y0)
            )
        if style.draw_ids:
            distance = cv2.distanceTransform(self.inside, cv2.DIST_L2, 3)
            row, col = np.unravel_index(int(np.argmax(distance)), distance.shape)
            self.anchor = (int(col) + x0, int(row) + y0)


def _draw_overlay(
    frame_rgb: NDArray[np.uint8],
    objects: Sequence[tuple[str, _Shape, _Color]],
    style: OverlayStyle,
) -> NDArray[np.uint8]:
    alpha = style.fill_alpha
    out: NDArray[np.uint8] = frame_rgb.copy()
    for _, shape, color in objects:
        if shape.box is None or alpha == 0:
            continue
        y0, y1, x0, x1 = shape.box
        region = out[y0:y1, x0:x1]
        tint = np.empty_like(region)
        tint[:] = color
        blended = cv2.addWeighted(region, 1.0 - alpha, tint, alpha, 0.0)
        cv2.copyTo(blended, shape.inside, region)  # writes into the frame in place
    height, width = out.shape[:2]
    scale = max(0.35, min(width, height) / 700.0)
    thickness = max(1, round(scale * 2))
    for object_id, shape, color in objects:
        if shape.box is None:
            continue
        if style.contour_px > 0:
            cv2.drawContours(out, shape.contours, -1, color, style.contour_px, cv2.LINE_AA)
        if style.draw_ids:
            x, y = shape.anchor
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


def overlay_video_encode(
    out_path: Path,
    held: HeldMasks,
    *,
    colors: Mapping[str, _Color],
    style: OverlayStyle,
    resolution_wh: tuple[int, int],
    quality: Quality = DEFAULT_QUALITY,
) -> VideoEncode:
    """Describe the overlay preview for `encode_from_source`.

    ``held`` gives the (cleaned) masks shown on each source frame; ``colors`` one colour per
    object id.
    """
    width, height = resolution_wh
    cached: dict[str, Any] = {"position": None, "objects": []}

    def compose(raw: bytes, t: int) -> bytes:
        position = held.position(t)
        if position != cached["position"]:
            cached["objects"] = [
                (oid, _Shape(mask, style), colors[oid]) for oid, mask in held.at(t).items()
            ]
            cached["position"] = position
        frame = np.frombuffer(raw, dtype=np.uint8).reshape(height, width, 3)
        drawn: NDArray[np.uint8] = _draw_overlay(frame, cached["objects"], style)
        return drawn.tobytes()

    return VideoEncode(
        out_path=out_path,
        source_format="rgb24",
        input_format="rgb24",
        output_args=(*_PAD_EVEN, *encoder_settings("overlay", quality), *_MP4),
        compose=compose,
    )


def write_overlay_video(
    source_video: str | Path,
    masks: Mapping[str, Any],
    *,
    frame_indices: Any,
    frame_count: int,
    out_path: str | Path,
    style: OverlayStyle | None = None,
    cleanup: MaskCleanup | None = None,
    quality: Quality = DEFAULT_QUALITY,
    fps: float | Fraction | None = None,
    ffmpeg: str | Path | None = None,
    timeout: float = DEFAULT_TIMEOUT_S,
    progress: ExportProgress | None = None,
) -> Path:
    """Write an H.264 preview: each object tinted in its own colour, outlined and labelled.

    Parameters
    ----------
    source_video
        The video the masks were made on.
    masks
        ``{object_id: (T, H, W) bool or MaskSequence}``, all the same shape (read frame by frame).
    frame_indices
        ``(T,)`` source-frame index of each mask frame; each mask is held until the next one.
    frame_count
        Number of frames of the source video; the output has exactly this many.
    out_path
        Destination ``.mp4`` (yuv420p; an odd width or height is padded by one black pixel).
        Written atomically.
    style
        Fill opacity, outline, id labels and colours (default
        [`OverlayStyle`][sam2_autotrack.export.OverlayStyle]).
    cleanup
        Hole filling and speck removal applied before drawing (feathering is ignored).
    quality
        Encoder preset, ``"draft"``, ``"good"`` (default) or ``"best"``
        (`sam2_autotrack.export.presets`).
    fps
        Output frame rate; ``None`` keeps the source's exact rate.
    ffmpeg
        The ffmpeg executable, or ``None`` to find one.
    timeout
        Seconds decoding and encoding may take before ffmpeg is killed.
    progress
        Advanced by one per frame encoded.

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
    frames = checked_masks(masks, frame_indices)
    check_geometry(next(iter(frames.values())), frame_indices, info, source)
    positions = hold_indices(frame_indices, frame_count)
    options = cleanup if cleanup is not None else MaskCleanup()
    held = HeldMasks(frames, positions, info.resolution_wh, options)
    encode = overlay_video_encode(
        out, held, colors=overlay_colors(list(frames), drawing.colors_rgb), style=drawing,
        resolution_wh=info.resolution_wh, quality=quality,
    )  # fmt: skip
    encode_from_source(
        source, [encode], frame_count=frame_count, rate=frame_rate(fps, info),
        resolution_wh=info.resolution_wh, ffmpeg=exe, timeout=timeout, progress=progress,
    )  # fmt: skip
    return out
