"""Every export a set of `ExportOptions` asks for, from any masked video, in one call.

The writers take plain data; [`write_exports`][sam2_autotrack.export.write_exports] takes anything
shaped like a tracking result (the [`MaskedVideo`][sam2_autotrack.export.MaskedVideo] protocol —
[`TrackResult`][sam2_autotrack.TrackResult] is one) and hands each writer its part. It never imports
[`sam2_autotrack.run`][sam2_autotrack.run].
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.errors import ExportError
from sam2_autotrack.export._checks import (
    DEFAULT_TIMEOUT_S,
    check_geometry,
    checked_masks,
    frame_rate,
)
from sam2_autotrack.export._frames import HeldAlpha, HeldMasks
from sam2_autotrack.export.alpha import alpha_suffix, alpha_video_encode
from sam2_autotrack.export.coco import write_coco_json
from sam2_autotrack.export.encode import ExportProgress, VideoEncode, encode_from_source
from sam2_autotrack.export.options import ExportOptions
from sam2_autotrack.export.overlay import overlay_colors, overlay_video_encode
from sam2_autotrack.export.sequences import write_palette_pngs
from sam2_autotrack.masks.cleanup import hold_indices
from sam2_autotrack.masks.store import MaskSequence
from sam2_autotrack.video.ffmpeg import require_encoders
from sam2_autotrack.video.stream_info import VideoStreamInfo, probe_stream

__all__ = ["MaskedVideo", "require_export_tools", "write_exports"]


class MaskedVideo(Protocol):
    """What `write_exports` needs: a source video and per-object masks over it.

    The masks are read frame by frame through
    [`mask_sequence`][sam2_autotrack.export.MaskedVideo.mask_sequence], so a long video exports in
    bounded memory.
    """

    @property
    def video(self) -> Path | None:
        """The source video (read again by the video exports)."""
        ...

    @property
    def object_ids(self) -> tuple[str, ...]:
        """Object ids in click order."""
        ...

    @property
    def frame_indices(self) -> NDArray[np.int64]:
        """``(T,)`` source-frame index of each mask frame."""
        ...

    @property
    def frame_count(self) -> int:
        """Number of frames of the source video."""
        ...

    @property
    def fps(self) -> float | None:
        """Source frame rate, or ``None`` to take it from the video."""
        ...

    @property
    def resolution_wh(self) -> tuple[int, int]:
        """``(width, height)`` of the masks."""
        ...

    def mask_sequence(self, object_id: str) -> MaskSequence | NDArray[np.bool_]:
        """One object's masks, read one frame at a time (``seq[t]`` is an ``(H, W)`` bool mask).

        A [`MaskSequence`][sam2_autotrack.masks.MaskSequence] keeps a long video's masks compressed;
        a ``(T, H, W)`` array also works (for short clips).

        Parameters
        ----------
        object_id
            One of the video's object ids.

        Returns
        -------
        MaskSequence or numpy.ndarray
            The object's masks, one per mask frame.
        """
        ...


def require_export_tools(options: ExportOptions) -> Path | None:
    """Check, before any work, that ffmpeg has every encoder the video exports need.

    Parameters
    ----------
    options
        The exports asked for (their ``ffmpeg`` setting says which ffmpeg to use).

    Returns
    -------
    Path or None
        The ffmpeg to use, or ``None`` when no video export is asked for.

    Raises
    ------
    FFmpegNotFoundError
        No usable ffmpeg, or it lacks an encoder (the message says which and how to fix it).

    Examples
    --------
    >>> require_export_tools(ExportOptions(coco=True)) is None
    True
    >>> require_export_tools(ExportOptions(alpha="prores")).is_file()
    True
    """
    if not options.encoders:
        return None
    return require_encoders(options.ffmpeg, options.encoders)


def _source_of(masked: MaskedVideo) -> Path:
    if masked.video is None:
        raise ExportError(
            "this result has no source video, so video exports are impossible; build it with "
            "video=... or load it from a run folder"
        )
    if not Path(masked.video).is_file():
        raise ExportError(
            f"the source video {masked.video} is missing; video exports re-read it — put it back "
            "at that path or pass a result whose video is where it is now "
            "(result.replace(video=...))"
        )
    return Path(masked.video)


ProgressCallback = Callable[[str, int, "int | None"], None]


def write_exports(
    masked: MaskedVideo,
    out_dir: str | Path,
    options: ExportOptions | None = None,
    *,
    progress: ProgressCallback | None = None,
    timeout: float = DEFAULT_TIMEOUT_S,
) -> list[Path]:
    """Write the exports ``options`` ask for under ``out_dir``; return the files written.

    ``alpha`` gives ``alpha/union.<ext>`` and, with ``per_object``, ``alpha/<object_id>.<ext>``;
    ``overlay`` gives ``overlay.mp4``; ``coco`` gives ``coco.json``; ``palette`` gives
    ``palette/frame_00000.png``... ``options.cleanup`` applies to every one of them. When a video
    export is asked for, the source video and ffmpeg are checked before anything is written.

    Every video is made in one pass over the source: it is decoded once (per pixel format) and
    each frame goes to every encoder, the encoders running in parallel within the machine's
    cores (`sam2_autotrack.export.encode`); the masks are read one frame at a time.

    Parameters
    ----------
    masked
        A [`MaskedVideo`][sam2_autotrack.export.MaskedVideo], e.g. a
        [`TrackResult`][sam2_autotrack.TrackResult].
    out_dir
        Folder to write into (created).
    options
        What to write (default: nothing).
    progress
        A [`ProgressCallback`][sam2_autotrack.ProgressCallback], called as ``("export", done,
        total)`` after every frame encoded and every mask frame written to COCO or palette PNGs
        (``total`` counts them over all outputs).
    timeout
        Seconds each ffmpeg process may take before it is killed.

    Returns
    -------
    list of Path
        The files written, in the order above.

    Raises
    ------
    ExportError
        A video export is asked for but the source video is unknown or missing.
    FFmpegNotFoundError
        ffmpeg is missing or lacks an encoder.
    """
    chosen = options if options is not None else ExportOptions()
    out = Path(out_dir)
    exe = require_export_tools(chosen)
    source = _source_of(masked) if exe is not None else None
    masks = {oid: masked.mask_sequence(oid) for oid in masked.object_ids}
    frame_indices, frame_count = masked.frame_indices, masked.frame_count
    if chosen.per_object and "union" in masks:
        raise ExportError(
            "an object is called 'union', which is the name of the alpha video of all objects; "
            "rename the object or drop per_object"
        )
    encodes: list[VideoEncode] = []
    info: VideoStreamInfo | None = None
    if source is not None and exe is not None:
        encodes, info = _video_encodes(source, masks, masked, chosen, out, exe, timeout)
    mask_frames = len(frame_indices)
    total = len(encodes) * frame_count + mask_frames * (int(chosen.coco) + int(chosen.palette))
    counter = ExportProgress(progress, total) if chosen.wants_files else None
    written: list[Path] = []
    if encodes and source is not None and exe is not None and info is not None:
        written += encode_from_source(
            source, encodes, frame_count=frame_count, rate=frame_rate(masked.fps, info),
            resolution_wh=info.resolution_wh, ffmpeg=exe, timeout=timeout, progress=counter,
        )  # fmt: skip
    if chosen.coco:
        name = masked.video.name if masked.video is not None else "video"
        written.append(
            write_coco_json(
                masks,
                frame_indices=frame_indices,
                out_path=out / "coco.json",
                video_name=name,
                resolution_wh=masked.resolution_wh,
                cleanup=chosen.cleanup,
                progress=counter,
            )
        )
    if chosen.palette:
        written.extend(
            write_palette_pngs(
                masks,
                frame_indices=frame_indices,
                out_dir=out / "palette",
                cleanup=chosen.cleanup,
                progress=counter,
            )
        )
    return written


def _video_encodes(
    source: Path,
    masks: dict[str, MaskSequence | NDArray[np.bool_]],
    masked: MaskedVideo,
    chosen: ExportOptions,
    out: Path,
    exe: Path,
    timeout: float,
) -> tuple[list[VideoEncode], VideoStreamInfo]:
    """Check the masks against the source and describe every video export, in output order."""
    info = probe_stream(source, ffmpeg=exe, timeout=min(timeout, 120.0))
    frames = checked_masks(masks, masked.frame_indices)
    check_geometry(next(iter(frames.values())), masked.frame_indices, info, source)
    positions = hold_indices(masked.frame_indices, masked.frame_count)
    wh = info.resolution_wh
    if wh[0] % 2 and "prores" in chosen.alpha:
        require_encoders(exe, ["prores_ks"])  # the fallback of prores_aw for odd widths
    encodes: list[VideoEncode] = []
    for codec in chosen.alpha:
        suffix = alpha_suffix(codec)
        union = HeldAlpha(frames, positions, wh, chosen.cleanup)
        path = out / "alpha" / f"union{suffix}"
        clear = chosen.clear_hidden
        encodes.append(
            alpha_video_encode(path, codec, chosen.quality, union, wh, clear_hidden=clear)
        )
        if chosen.per_object:
            for oid, sequence in frames.items():
                alpha = HeldAlpha({oid: sequence}, positions, wh, chosen.cleanup)
                path = out / "alpha" / f"{oid}{suffix}"
                encodes.append(
                    alpha_video_encode(path, codec, chosen.quality, alpha, wh, clear_hidden=clear)
                )
    if chosen.overlay:
        style = chosen.overlay_style
        held = HeldMasks(frames, positions, wh, chosen.cleanup)
        encodes.append(
            overlay_video_encode(
                out / "overlay.mp4",
                held,
                colors=overlay_colors(list(frames), style.colors_rgb),
                style=style,
                resolution_wh=wh,
                quality=chosen.quality,
            )
        )
    return encodes, info
