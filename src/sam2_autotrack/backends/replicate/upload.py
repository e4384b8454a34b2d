"""Opt-in trimming and downscaling of the video uploaded to Replicate, with the coordinate maps.

By default the hosted model gets the *original* file, byte for byte. When a frame range or a
largest side is asked for, [`prepare_upload`][sam2_autotrack.backends.replicate.prepare_upload]
re-encodes the clip once with ffmpeg (H.264 yuv420p, CRF 16, even dimensions, aspect ratio kept,
audio dropped, display rotation applied) and returns a
[`PreparedVideo`][sam2_autotrack.backends.replicate.PreparedVideo] that knows how to move clicks
*into* the upload
([`PreparedVideo.to_upload`][sam2_autotrack.backends.replicate.PreparedVideo.to_upload]) and masks
*back* to the source
([`PreparedVideo.masks_to_source`][sam2_autotrack.backends.replicate.PreparedVideo.masks_to_source]).

Geometry: a pixel's centre ``x + 0.5`` in the source maps to ``(x + 0.5) * sx`` in the upload, with
``sx = upload_width / source_width`` (likewise ``y``), which is the convention of OpenCV's and
ffmpeg's resamplers. Frames: upload frame ``i`` is source frame ``start_frame + i``.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from sam2_autotrack._fs import atomic_path, file_sha256
from sam2_autotrack.clicks import Click, ClickSet
from sam2_autotrack.errors import (
    ClickError,
    ConfigError,
    FFmpegError,
    MaskError,
    MaskSizeError,
)
from sam2_autotrack.video.probe import count_frames, probe_video
from sam2_autotrack.video.process import run_ffmpeg

__all__ = ["PREPARE_CRF", "PreparedVideo", "check_prepare_options", "prepare_upload"]

PREPARE_CRF = 16
"""x264 constant rate factor of a re-encoded upload (visually lossless for SAM 2's purposes)."""

_PRESET = "fast"
# Bump when the encode settings change, so cached uploads made with older settings are not reused.
_RECIPE = f"libx264/yuv420p/crf{PREPARE_CRF}/{_PRESET}/v1"


@dataclass(frozen=True)
class PreparedVideo:
    """The file to upload and how its pixels and frames relate to the source video.

    Parameters
    ----------
    path
        The file to upload: the source itself when nothing had to change, else the re-encode.
    source
        The source video.
    source_wh
        ``(width, height)`` of the source frames, display rotation applied.
    upload_wh
        ``(width, height)`` of the upload's frames.
    scale_xy
        ``(sx, sy) = upload size / source size`` per axis (``(1.0, 1.0)`` without downscaling;
        the two can differ slightly because the upload's sides are rounded to even numbers).
    start_frame
        Source index of the upload's frame 0.
    frame_count
        Number of frames in the upload.
    source_frame_count
        Number of frames in the source.

    Examples
    --------
    >>> prepared = PreparedVideo(path=Path("clip.mp4"), source=Path("clip.mp4"),
    ...     source_wh=(640, 360), upload_wh=(320, 180), scale_xy=(0.5, 0.5), start_frame=10,
    ...     frame_count=20, source_frame_count=50)
    >>> clicks = ClickSet.build([Click(x=101, y=40, frame=12)], resolution_wh=(640, 360))
    >>> moved = prepared.to_upload(clicks)[0]
    >>> (moved.x, moved.y, moved.frame)
    (50, 20, 2)
    """

    path: Path
    source: Path
    source_wh: tuple[int, int]
    upload_wh: tuple[int, int]
    scale_xy: tuple[float, float]
    start_frame: int
    frame_count: int
    source_frame_count: int

    @classmethod
    def original(
        cls, video: Path, *, resolution_wh: tuple[int, int], frame_count: int
    ) -> PreparedVideo:
        """Return the upload when nothing is trimmed or scaled: ``video`` itself, no mapping.

        Parameters
        ----------
        video
            The source video.
        resolution_wh
            Its ``(width, height)``.
        frame_count
            Its number of frames.

        Returns
        -------
        PreparedVideo
            An upload whose frames and pixels are the source's.
        """
        return cls(
            path=video,
            source=video,
            source_wh=resolution_wh,
            upload_wh=resolution_wh,
            scale_xy=(1.0, 1.0),
            start_frame=0,
            frame_count=frame_count,
            source_frame_count=frame_count,
        )

    @property
    def reencoded(self) -> bool:
        """Whether the upload is a re-encode (``False``: the original file is uploaded)."""
        return self.path != self.source

    @property
    def stop_frame(self) -> int:
        """Source index one past the upload's last frame."""
        return self.start_frame + self.frame_count

    def to_upload(self, clicks: ClickSet) -> ClickSet:
        """Move source-space clicks into the upload's pixels and frame numbering.

        Coordinates are scaled about pixel centres, rounded (halves up) and clamped into the
        upload frame; frames are shifted by ``-start_frame``.

        Parameters
        ----------
        clicks
            Clicks in the source's pixel space and frame numbering.

        Returns
        -------
        ClickSet
            The same clicks, in the same order, bound to ``upload_wh``.

        Raises
        ------
        ClickError
            ``clicks`` are bound to another frame size, or a click lies outside the uploaded
            frame range (before ``start_frame`` or at/after ``stop_frame``).

        Examples
        --------
        >>> prepared = PreparedVideo(path=Path("a.mp4"), source=Path("a.mp4"), source_wh=(64, 48),
        ...     upload_wh=(64, 48), scale_xy=(1.0, 1.0), start_frame=5, frame_count=10,
        ...     source_frame_count=20)
        >>> prepared.to_upload(ClickSet.build([Click(x=3, y=4, frame=5)]))[0].frame
        0
        >>> prepared.to_upload(ClickSet.build([Click(x=3, y=4, frame=2)]))
        Traceback (most recent call last):
        ...
        sam2_autotrack.errors.ClickError: click 0 (object 'obj_1') is on source frame 2, ...
        """
        if clicks.resolution_wh is not None and tuple(clicks.resolution_wh) != self.source_wh:
            raise ClickError(
                f"the clicks are for a {clicks.resolution_wh[0]}x{clicks.resolution_wh[1]} frame "
                f"but the source video is {self.source_wh[0]}x{self.source_wh[1]}; make the "
                "clicks on the source video's own frames (no resizing)"
            )
        (sx, sy), (width, height) = self.scale_xy, self.upload_wh
        moved = []
        for index, click in enumerate(clicks):
            if not self.start_frame <= click.frame < self.stop_frame:
                raise ClickError(
                    f"click {index} (object {click.object_id!r}) is on source frame "
                    f"{click.frame}, outside the uploaded frames {self.start_frame}.."
                    f"{self.stop_frame - 1} (start_frame={self.start_frame}, "
                    f"stop_frame={self.stop_frame}); move the click into that range or widen "
                    "start_frame/stop_frame"
                )
            moved.append(
                Click(
                    x=_scale_index(click.x, sx, width),
                    y=_scale_index(click.y, sy, height),
                    label=click.label,
                    frame=click.frame - self.start_frame,
                    object_id=click.object_id,
                )
            )
        return ClickSet.build(moved, resolution_wh=self.upload_wh)

    def masks_to_source(
        self, masks: NDArray[np.bool_], frame_indices: NDArray[np.integer]
    ) -> tuple[NDArray[np.bool_], NDArray[np.int64]]:
        """Bring upload-space masks back to the source's size and frame numbering.

        Resizing is bilinear on a float copy, thresholded at 0.5: smoother and closer to the
        true outline than nearest-neighbour when upscaling, and a mask that is empty (or full)
        stays empty (full). Without downscaling the masks are copied unchanged.

        Parameters
        ----------
        masks
            ``(T, h, w)`` bool masks at ``upload_wh`` (not modified).
        frame_indices
            ``(T,)`` upload frame index of each mask.

        Returns
        -------
        tuple of numpy.ndarray
            ``(T, H, W)`` bool masks at ``source_wh`` and ``(T,)`` int64 source frame indices
            (``frame_indices + start_frame``).

        Raises
        ------
        MaskSizeError
            The masks are not at the upload's size.
        MaskError
            ``masks`` is not 3-D, or the frame indices do not match it or leave the upload.

        Examples
        --------
        >>> prepared = PreparedVideo(path=Path("b.mp4"), source=Path("a.mp4"), source_wh=(8, 4),
        ...     upload_wh=(4, 2), scale_xy=(0.5, 0.5), start_frame=3, frame_count=2,
        ...     source_frame_count=9)
        >>> small = np.zeros((1, 2, 4), dtype=bool)
        >>> small[0, :, :2] = True
        >>> big, frames = prepared.masks_to_source(small, np.array([1]))
        >>> big.shape, frames.tolist(), int(big.sum())
        ((1, 4, 8), [4], 16)
        """
        array = np.asarray(masks)
        if array.ndim != 3:
            raise MaskError(
                f"masks must have shape (T, h, w); got shape {array.shape} — stack the frames"
            )
        actual_wh = (int(array.shape[2]), int(array.shape[1]))
        if actual_wh != self.upload_wh:
            raise MaskSizeError(
                f"the masks are {actual_wh[0]}x{actual_wh[1]} but the upload is "
                f"{self.upload_wh[0]}x{self.upload_wh[1]}; pass the masks the hosted model "
                "returned for this upload",
                expected_wh=self.upload_wh,
                actual_wh=actual_wh,
            )
        indices = np.asarray(frame_indices, dtype=np.int64)
        if indices.shape != (array.shape[0],):
            raise MaskError(
                f"frame_indices must have shape ({array.shape[0]},) to match the masks; got "
                f"{indices.shape}"
            )
        if indices.size and (indices.min() < 0 or indices.max() >= self.frame_count):
            raise MaskError(
                f"frame_indices must lie in 0..{self.frame_count - 1} (the upload's frames); got "
                f"{int(indices.min())}..{int(indices.max())}"
            )
        if actual_wh == self.source_wh:
            restored = array.astype(bool, copy=True)
        else:
            width, height = self.source_wh
            restored = np.empty((array.shape[0], height, width), dtype=bool)
            for t, frame in enumerate(array):
                resized = cv2.resize(
                    frame.astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR
                )
                restored[t] = resized >= 0.5
        return restored, indices + self.start_frame


def _scale_index(value: int, scale: float, size: int) -> int:
    """Map a pixel index through a resize by ``scale`` (pixel-centre aligned, rounded), clamped."""
    # centre (value + 0.5) * scale, minus 0.5 back to an index, plus 0.5 to round halves up
    return min(max(math.floor((value + 0.5) * scale), 0), size - 1)


def _even_side(value: float, cap: int | None) -> int:
    side = max(2, 2 * math.floor(value / 2 + 0.5))
    if cap is not None and side > cap:
        side = max(2, side - 2)
    return side


def _upload_size(source_wh: tuple[int, int], max_side: int | None) -> tuple[int, int]:
    width, height = source_wh
    scale = 1.0
    if max_side is not None and max(width, height) > max_side:
        scale = max_side / max(width, height)
    return (_even_side(width * scale, max_side), _even_side(height * scale, max_side))


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_prepare_options(
    *, max_side: int | None, start_frame: int, stop_frame: int | None
) -> list[str]:
    """Return what is wrong with the preparation options (an empty list when they are valid).

    Examples
    --------
    >>> check_prepare_options(max_side=None, start_frame=0, stop_frame=None)
    []
    >>> check_prepare_options(max_side=1, start_frame=0, stop_frame=None)
    ['upload_max_side must be None or an int >= 2; got 1']
    """
    problems = []
    if max_side is not None and not (_is_int(max_side) and max_side >= 2):
        problems.append(f"upload_max_side must be None or an int >= 2; got {max_side!r}")
    if not (_is_int(start_frame) and start_frame >= 0):
        problems.append(f"start_frame must be an int >= 0; got {start_frame!r}")
    elif stop_frame is not None and not (_is_int(stop_frame) and stop_frame > start_frame):
        problems.append(
            f"stop_frame must be None or an int > start_frame={start_frame}; got {stop_frame!r}"
        )
    return problems


def prepare_upload(
    video: Path,
    *,
    out_dir: Path,
    max_side: int | None = None,
    start_frame: int = 0,
    stop_frame: int | None = None,
    ffmpeg: str | Path | None = None,
    timeout: float = 600.0,
) -> PreparedVideo:
    """Trim and/or downscale ``video`` for upload, or hand back the original when nothing changes.

    The original file is returned untouched (no re-encode) unless the frame range actually
    drops frames or the largest side exceeds ``max_side``. Otherwise the frames
    ``start_frame .. stop_frame - 1`` (counted by decoding, not by timestamps) are re-encoded with
    the ffmpeg binary as H.264 yuv420p (CRF 16), with even sides close to the source's aspect
    ratio, the source's display rotation applied to the pixels, and no audio. The result is
    written atomically into ``out_dir`` under a name derived from the source's content and the
    options, its frame count is verified by decoding, and an existing result is reused.

    Parameters
    ----------
    video
        The source video.
    out_dir
        Where a re-encode is written (created when needed).
    max_side
        Largest allowed side of the upload in pixels (``None``: keep the size).
    start_frame
        First source frame to upload.
    stop_frame
        Source frame to stop before (``None``: the end; values past the end are clamped).
    ffmpeg
        The ffmpeg executable, or ``None`` for [`find_ffmpeg`][sam2_autotrack.video.find_ffmpeg]'s
        choice.
    timeout
        Seconds the re-encode may take before ffmpeg is killed.

    Returns
    -------
    PreparedVideo
        The file to upload and the coordinate/frame maps.

    Raises
    ------
    ConfigError
        An option is out of range, or ``start_frame`` is not before the end of the video.
    FFmpegError
        The re-encode failed, timed out or produced the wrong number of frames.
    VideoNotFoundError, NotAVideoError, EmptyVideoError
        The source cannot be read.

    Examples
    --------
    >>> import tempfile
    >>> from sam2_autotrack.testing.samples import sample_video
    >>> out = Path(tempfile.mkdtemp())
    >>> same = prepare_upload(sample_video("carphone"), out_dir=out)
    >>> same.reencoded, same.upload_wh, same.frame_count
    (False, (176, 144), 120)
    >>> small = prepare_upload(sample_video("carphone"), out_dir=out, max_side=88,
    ...                        start_frame=100)
    >>> small.reencoded, small.upload_wh, small.frame_count, small.start_frame
    (True, (88, 72), 20, 100)
    """
    problems = check_prepare_options(
        max_side=max_side, start_frame=start_frame, stop_frame=stop_frame
    )
    if problems:
        raise ConfigError("invalid upload preparation options: " + "; ".join(problems))
    video = Path(video)
    info = probe_video(video, exact_frame_count=True)
    source_wh, source_count = info.resolution_wh, int(info.frame_count)
    if start_frame >= source_count:
        raise ConfigError(
            f"start_frame={start_frame} but {video.name} has only {source_count} frames "
            f"(0..{source_count - 1}); choose a start_frame inside the video"
        )
    stop = source_count if stop_frame is None else min(stop_frame, source_count)
    count = stop - start_frame
    upload_wh = _upload_size(source_wh, max_side)
    trims = start_frame > 0 or stop < source_count
    shrinks = max_side is not None and max(source_wh) > max_side
    if not (trims or shrinks):
        return PreparedVideo.original(video, resolution_wh=source_wh, frame_count=source_count)
    recipe = json.dumps(
        [_RECIPE, file_sha256(video), start_frame, stop, list(upload_wh)], separators=(",", ":")
    )
    tag = hashlib.sha256(recipe.encode("utf-8")).hexdigest()[:16]
    target = Path(out_dir) / f"{video.stem[:40]}_upload_{tag}.mp4"
    if not target.is_file():
        _encode(
            video,
            target,
            start_frame=start_frame,
            count=count,
            source_wh=source_wh,
            upload_wh=upload_wh,
            ffmpeg=ffmpeg,
            timeout=timeout,
        )
    return PreparedVideo(
        path=target,
        source=video,
        source_wh=source_wh,
        upload_wh=upload_wh,
        scale_xy=(upload_wh[0] / source_wh[0], upload_wh[1] / source_wh[1]),
        start_frame=start_frame,
        frame_count=count,
        source_frame_count=source_count,
    )


def _encode(
    video: Path,
    target: Path,
    *,
    start_frame: int,
    count: int,
    source_wh: tuple[int, int],
    upload_wh: tuple[int, int],
    ffmpeg: str | Path | None,
    timeout: float,
) -> None:
    # ffmpeg applies the display matrix before the filters (autorotate) and writes none, so the
    # upload's stored pixels are upright, like the frames the tracker reads.
    filters = [
        f"trim=start_frame={start_frame}:end_frame={start_frame + count}",
        "setpts=PTS-STARTPTS",
    ]
    if upload_wh != source_wh:
        shrinking = upload_wh[0] < source_wh[0] or upload_wh[1] < source_wh[1]
        filters.append(
            f"scale={upload_wh[0]}:{upload_wh[1]}:flags={'area' if shrinking else 'bicubic'}"
        )
    with atomic_path(target) as tmp:
        run_ffmpeg(
            [
                "-loglevel",
                "error",
                "-y",
                "-i",
                video,
                "-map",
                "0:v:0",
                "-an",
                "-sn",
                "-dn",
                "-vf",
                ",".join(filters),
                "-fps_mode",
                "passthrough",
                "-frames:v",
                str(count),
                "-c:v",
                "libx264",
                "-preset",
                _PRESET,
                "-crf",
                str(PREPARE_CRF),
                "-pix_fmt",
                "yuv420p",
                "-movflags",
                "+faststart",
                tmp,
            ],
            ffmpeg=ffmpeg,
            timeout=timeout,
        )
        produced = count_frames(tmp)
        if produced != count:
            raise FFmpegError(
                f"re-encoding {video.name} for upload produced {produced} frames instead of "
                f"{count}; the source's timestamps are probably broken — remux it to constant "
                "frame rate (ffmpeg -i in -fps_mode cfr out.mp4) or upload it unprepared"
            )
