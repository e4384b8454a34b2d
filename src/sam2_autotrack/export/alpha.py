"""True-alpha video of masks over their source: WebM VP9 (``yuva420p``) or ProRes 4444.

The source is read through ffmpeg and streamed one frame at a time, so memory stays flat whatever
the clip length. Masks given every k-th frame (``frame_indices = 0, k, 2k, ...``) are *held* until
the next mask frame, and the output always has exactly the source's frame count at the source frame
rate (or ``fps=`` when given): the alpha never drifts or gets stretched in time.

The video is made by ffmpeg itself: the source is decoded from ``-i source`` (with ffmpeg's
automatic rotation, the orientation the masks are drawn in) and the alpha arrives as raw 8-bit gray
frames on stdin; both streams are re-timed to ``frame number / fps`` so ``alphamerge`` pairs frame
*n* with alpha *n* exactly. Reading alpha back from a WebM needs the libvpx decoder
(``ffmpeg -c:v libvpx-vp9 -i file.webm``): ffmpeg's native VP9 decoder silently drops it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from sam2_autotrack._fs import atomic_path
from sam2_autotrack.errors import ExportError
from sam2_autotrack.export._checks import (
    DEFAULT_TIMEOUT_S,
    check_frame_count,
    check_geometry,
    check_suffix,
    encoded_frames,
    frame_rate,
)
from sam2_autotrack.masks.cleanup import MaskCleanup, feather_alpha, hold_indices
from sam2_autotrack.masks.validate import as_mask_stack, checked_mask_stacks
from sam2_autotrack.video.ffmpeg import require_encoders
from sam2_autotrack.video.process import run_ffmpeg
from sam2_autotrack.video.stream_info import probe_stream

__all__ = [
    "ALPHA_CODECS",
    "AlphaCodec",
    "alpha_encoder",
    "alpha_suffix",
    "union_of",
    "write_alpha_video",
]

AlphaCodec = Literal["webm", "prores"]
"""``"webm"``: VP9 ``yuva420p`` in WebM. ``"prores"``: ProRes 4444 ``yuva444p10le`` in QuickTime."""

ALPHA_CODECS: tuple[AlphaCodec, ...] = ("webm", "prores")
"""Every :data:`AlphaCodec`, in the order exports write them."""

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


def _spec(codec: str) -> dict[str, Any]:
    if codec not in _ALPHA_CODECS:
        raise ExportError(f"codec must be 'webm' or 'prores'; got {codec!r}")
    return _ALPHA_CODECS[codec]


def alpha_suffix(codec: AlphaCodec) -> str:
    """Return the file suffix an alpha video of ``codec`` is written with.

    Examples
    --------
    >>> alpha_suffix("webm"), alpha_suffix("prores")
    ('.webm', '.mov')
    """
    suffix: str = _spec(codec)["suffixes"][0]
    return suffix


def alpha_encoder(codec: AlphaCodec) -> str:
    """Return the ffmpeg encoder ``codec`` needs (as ``ffmpeg -encoders`` names it).

    Examples
    --------
    >>> alpha_encoder("prores")
    'prores_ks'
    """
    encoder: str = _spec(codec)["encoder"]
    return encoder


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
    timeout: float = DEFAULT_TIMEOUT_S,
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
    spec = _spec(codec)
    out = Path(out_path)
    check_suffix(out, spec["suffixes"], f"codec={codec!r}")
    source = Path(source_video)
    exe = require_encoders(ffmpeg, [spec["encoder"]])
    info = probe_stream(source, ffmpeg=exe, timeout=min(timeout, 120.0))
    stack = as_mask_stack(mask, name="mask")
    check_geometry(stack, frame_indices, info, source)
    positions = hold_indices(frame_indices, frame_count)
    options = cleanup if cleanup is not None else MaskCleanup()
    cleaned = options.apply(stack)
    rate = frame_rate(fps, info)
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
        check_frame_count(encoded_frames(result.stdout), frame_count, source)
    return out
