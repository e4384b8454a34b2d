"""Every export a set of :class:`ExportOptions` asks for, from any masked video, in one call.

The writers take plain data; :func:`write_exports` takes anything shaped like a tracking result
(the :class:`MaskedVideo` protocol — :class:`~sam2_autotrack.TrackResult` is one) and hands each
writer its part. It never imports :mod:`sam2_autotrack.run`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.errors import ExportError
from sam2_autotrack.export.alpha import alpha_suffix, union_of, write_alpha_video
from sam2_autotrack.export.coco import write_coco_json
from sam2_autotrack.export.options import ExportOptions
from sam2_autotrack.export.overlay import write_overlay_video
from sam2_autotrack.export.sequences import write_palette_pngs
from sam2_autotrack.video.ffmpeg import require_encoders

__all__ = ["MaskedVideo", "require_export_tools", "write_exports"]


class MaskedVideo(Protocol):
    """What :func:`write_exports` needs: a source video and per-object masks over it."""

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

    def masks(self, object_id: str) -> NDArray[np.bool_]:
        """``(T, H, W)`` bool masks of one object."""
        ...


def require_export_tools(options: ExportOptions) -> Path | None:
    """Check, before any work, that ffmpeg has every encoder the video exports need.

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


def write_exports(
    masked: MaskedVideo, out_dir: str | Path, options: ExportOptions | None = None
) -> list[Path]:
    """Write the exports ``options`` ask for under ``out_dir``; return the files written.

    ``alpha`` gives ``alpha/union.<ext>`` and, with ``per_object``, ``alpha/<object_id>.<ext>``;
    ``overlay`` gives ``overlay.mp4``; ``coco`` gives ``coco.json``; ``palette`` gives
    ``palette/frame_00000.png``... ``options.cleanup`` applies to every one of them. When a video
    export is asked for, the source video and ffmpeg are checked before anything is written.

    Parameters
    ----------
    masked
        A :class:`MaskedVideo`, e.g. a :class:`~sam2_autotrack.TrackResult`.
    out_dir
        Folder to write into (created).
    options
        What to write (default: nothing).

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
    masks = {oid: masked.masks(oid) for oid in masked.object_ids}
    frame_indices, frame_count = masked.frame_indices, masked.frame_count
    if chosen.per_object and "union" in masks:
        raise ExportError(
            "an object is called 'union', which is the name of the alpha video of all objects; "
            "rename the object or drop per_object"
        )
    written: list[Path] = []
    if source is not None:
        for codec in chosen.alpha:
            suffix = alpha_suffix(codec)
            stacks = [("union", union_of(masks))]
            if chosen.per_object:
                stacks += list(masks.items())
            for name, stack in stacks:
                written.append(
                    write_alpha_video(
                        source,
                        stack,
                        out_path=out / "alpha" / f"{name}{suffix}",
                        codec=codec,
                        fps=masked.fps,
                        cleanup=chosen.cleanup,
                        ffmpeg=exe,
                        frame_indices=frame_indices,
                        frame_count=frame_count,
                    )
                )
        if chosen.overlay:
            written.append(
                write_overlay_video(
                    source,
                    masks,
                    out_path=out / "overlay.mp4",
                    style=chosen.overlay_style,
                    cleanup=chosen.cleanup,
                    fps=masked.fps,
                    ffmpeg=exe,
                    frame_indices=frame_indices,
                    frame_count=frame_count,
                )
            )
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
            )
        )
    if chosen.palette:
        written.extend(
            write_palette_pngs(
                masks,
                frame_indices=frame_indices,
                out_dir=out / "palette",
                cleanup=chosen.cleanup,
            )
        )
    return written
