"""One pass over the source video feeds every video export, encoders running side by side.

The source is decoded by ffmpeg once per pixel format the outputs need (``yuv420p`` for WebM,
``yuv444p`` for ProRes, ``rgb24`` for the overlay) and each decoded frame is handed to every
output's encoder: an alpha video gets the source planes followed by its alpha plane (raw
``yuva420p``/``yuva444p``: no colour conversion, no filter graph), the overlay gets the frame drawn
on. The only per-frame Python work is that composite. Each encoder is its own ffmpeg process fed
through a small queue by its own thread, so the encodes run in parallel: up to two encoders per
CPU core at once (more outputs are encoded in further passes), the cores shared out among them as
ffmpeg threads, so a machine's cores stay busy without being oversubscribed. Every output is
written atomically; the first failure stops them all.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import cast

from sam2_autotrack._fs import atomic_path
from sam2_autotrack.errors import ExportError
from sam2_autotrack.export._checks import check_frame_count, encoded_frames
from sam2_autotrack.video.process import iter_ffmpeg_output, run_ffmpeg

__all__ = ["ExportProgress", "VideoEncode", "encode_from_source", "frame_bytes"]

ProgressFn = Callable[[str, int, "int | None"], None]
_QUEUE_FRAMES = 3
_POLL_S = 0.05


class ExportProgress:
    """Count frames handed to encoders (and other export units) across every output.

    Calls ``callback("export", done, total)`` after each unit; thread-safe.

    Examples
    --------
    >>> seen = []
    >>> counter = ExportProgress(lambda stage, done, total: seen.append((done, total)), total=2)
    >>> counter.advance(); counter.advance()
    >>> seen
    [(0, 2), (1, 2), (2, 2)]
    """

    def __init__(self, callback: ProgressFn | None, total: int, stage: str = "export") -> None:
        self._callback = callback
        self._total = total
        self._stage = stage
        self._done = 0
        self._lock = threading.Lock()
        if callback is not None:
            callback(stage, 0, total)

    def advance(self, units: int = 1) -> None:
        """Record ``units`` more units done.

        Parameters
        ----------
        units
            How many units (frames) were finished since the last call.
        """
        if self._callback is None:
            return
        with self._lock:
            self._done += units
            self._callback(self._stage, self._done, self._total)


@dataclass(frozen=True)
class VideoEncode:
    """One video file made from the decoded source frames.

    Parameters
    ----------
    out_path
        Destination (written atomically).
    source_format
        Raw pixel format the source is decoded to for this output.
    input_format
        Raw pixel format of the frames `compose` returns (what the encoder reads).
    output_args
        ffmpeg arguments after the input (encoder settings, filters, container).
    compose
        ``compose(decoded_frame, t)`` returns the encoder's frame for source frame ``t``. Each
        output's ``compose`` is called from one thread only, in frame order.
    """

    out_path: Path
    source_format: str
    input_format: str
    output_args: tuple[str, ...]
    compose: Callable[[bytes, int], bytes]


def frame_bytes(pixel_format: str, resolution_wh: tuple[int, int]) -> int:
    """Return the size of one raw frame of ``pixel_format``.

    Examples
    --------
    >>> frame_bytes("yuv420p", (65, 47)), frame_bytes("yuva420p", (4, 2))
    (4639, 20)
    """
    width, height = resolution_wh
    luma = width * height
    chroma = ((width + 1) // 2) * ((height + 1) // 2)
    sizes = {
        "gray": luma,
        "yuv420p": luma + 2 * chroma,
        "yuva420p": 2 * luma + 2 * chroma,
        "yuv444p": 3 * luma,
        "yuva444p": 4 * luma,
        "rgb24": 3 * luma,
    }
    if pixel_format not in sizes:
        raise ExportError(f"unsupported raw pixel format {pixel_format!r}")
    return sizes[pixel_format]


class _AbortedError(Exception):
    """Another part of the export failed: stop this one without leaving a file."""


_END = object()


def encode_from_source(
    source: Path,
    encodes: Sequence[VideoEncode],
    *,
    frame_count: int,
    rate: Fraction,
    resolution_wh: tuple[int, int],
    ffmpeg: Path,
    timeout: float,
    progress: ExportProgress | None = None,
    max_parallel: int | None = None,
) -> list[Path]:
    """Decode ``source`` and write every one of ``encodes``; return their paths in order.

    Parameters
    ----------
    source
        The source video (decoded with ffmpeg's automatic rotation).
    encodes
        The outputs.
    frame_count
        Frames the source must decode to; every output gets exactly these.
    rate
        Output frame rate (frame ``n`` is shown at ``n / rate``).
    resolution_wh
        Decoded (rotated) source size.
    ffmpeg
        The ffmpeg executable.
    timeout
        Seconds each ffmpeg process may take.
    progress
        Advanced by one per frame handed to an encoder.
    max_parallel
        Encoders running at once (default: twice the number of CPU cores).

    Raises
    ------
    ExportError
        The source decodes to another number of frames than ``frame_count``.
    FFmpegError
        A decode or an encode failed (no output of that pass is left behind).
    """
    cores = max(1, os.cpu_count() or 1)
    width = max(1, max_parallel if max_parallel is not None else 2 * cores)
    for start in range(0, len(encodes), width):
        batch = list(encodes[start : start + width])
        threads = max(1, cores // len(batch))
        _encode_batch(
            source, batch, frame_count=frame_count, rate=rate, resolution_wh=resolution_wh,
            ffmpeg=ffmpeg, timeout=timeout, progress=progress, threads=threads,
        )  # fmt: skip
    return [encode.out_path for encode in encodes]


def _encode_batch(
    source: Path,
    batch: list[VideoEncode],
    *,
    frame_count: int,
    rate: Fraction,
    resolution_wh: tuple[int, int],
    ffmpeg: Path,
    timeout: float,
    progress: ExportProgress | None,
    threads: int,
) -> None:
    abort = threading.Event()
    queues: list[queue.Queue[object]] = [queue.Queue(maxsize=_QUEUE_FRAMES) for _ in batch]
    formats = list(dict.fromkeys(encode.source_format for encode in batch))
    width, height = resolution_wh

    def put(q: queue.Queue[object], item: object) -> None:
        while not abort.is_set():
            try:
                q.put(item, timeout=_POLL_S)
                return
            except queue.Full:
                continue
        raise _AbortedError

    def decode(pixel_format: str) -> None:
        mine = [
            q
            for q, encode in zip(queues, batch, strict=True)
            if encode.source_format == pixel_format
        ]
        frames = iter_ffmpeg_output(
            ["-loglevel", "error", "-i", source, "-map", "0:v:0", "-fps_mode", "passthrough",
             "-f", "rawvideo", "-pix_fmt", pixel_format, "pipe:1"],
            chunk_bytes=frame_bytes(pixel_format, resolution_wh),
            ffmpeg=ffmpeg,
            timeout=timeout,
        )  # fmt: skip
        decoded = 0
        try:
            for raw in frames:
                if decoded >= frame_count:
                    raise ExportError(
                        f"{source.name} decodes to more than {frame_count} frames but frame_count "
                        f"is {frame_count}; pass the number of frames the video really decodes to"
                    )
                for q in mine:
                    put(q, (raw, decoded))
                decoded += 1
        finally:
            frames.close()
        check_frame_count(decoded, frame_count, source)
        for q in mine:
            put(q, _END)

    def fed(index: int) -> Iterator[bytes]:
        encode, q = batch[index], queues[index]
        while True:
            try:
                item = q.get(timeout=_POLL_S)
            except queue.Empty:
                if abort.is_set():
                    raise _AbortedError from None
                continue
            if item is _END:
                return
            if abort.is_set():
                raise _AbortedError
            raw, t = cast(tuple[bytes, int], item)
            yield encode.compose(raw, t)
            if progress is not None:
                progress.advance()

    def encode_one(index: int) -> None:
        encode = batch[index]
        with atomic_path(encode.out_path) as tmp:
            result = run_ffmpeg(
                [
                    "-y", "-loglevel", "error", "-nostats", "-progress", "pipe:1",
                    "-f", "rawvideo", "-pix_fmt", encode.input_format, "-s", f"{width}x{height}",
                    "-framerate", str(rate), "-i", "pipe:0",
                    "-an", "-sn", "-dn", *encode.output_args,
                    "-threads", str(threads), "-r", str(rate), tmp,
                ],
                ffmpeg=ffmpeg,
                timeout=timeout,
                stdin=fed(index),
            )  # fmt: skip
            if abort.is_set():
                raise _AbortedError
            check_frame_count(encoded_frames(result.stdout), frame_count, source)

    def guarded(task: Callable[[], None]) -> None:
        try:
            task()
        except BaseException:
            abort.set()
            raise

    tasks: list[Callable[[], None]] = [lambda f=f: decode(f) for f in formats]  # type: ignore[misc]
    tasks += [lambda i=i: encode_one(i) for i in range(len(batch))]  # type: ignore[misc]
    with ThreadPoolExecutor(max_workers=len(tasks), thread_name_prefix="export") as pool:
        futures = [pool.submit(guarded, task) for task in tasks]
        try:
            wait(futures, return_when=FIRST_EXCEPTION)
            wait(futures)
        except BaseException:
            abort.set()  # Ctrl-C: stop every thread (each kills its ffmpeg), then re-raise
            raise
    errors = [f.exception() for f in futures]
    real = [e for e in errors if e is not None and not isinstance(e, _AbortedError)]
    if real:
        raise real[0]
    if any(e is not None for e in errors):  # pragma: no cover - an abort always has a cause
        raise ExportError("the export was stopped; see the error above")
