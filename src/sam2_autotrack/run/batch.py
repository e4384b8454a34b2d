"""Batch runs: many videos, one failure never stopping the others, a summary table at the end.

[`run_batch`][sam2_autotrack.run.run_batch] runs a job per video on a thread pool (sharing one
tracker); [`sam2_autotrack.run.jobs.run_jobs`][sam2_autotrack.run.run_jobs] sends picklable job
descriptions to any `concurrent.futures.Executor` (processes, Dask workers). Both report a
[`BatchReport`][sam2_autotrack.BatchReport].
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from sam2_autotrack.errors import AutotrackError, ConfigError

if TYPE_CHECKING:
    from sam2_autotrack.run.result import TrackResult

__all__ = ["BatchItem", "BatchReport", "one_line", "run_batch", "unique_run_dirs"]


@dataclass(frozen=True)
class BatchItem:
    """The outcome of one video of a batch.

    Parameters
    ----------
    video
        The input video.
    status
        ``"ok"``, ``"failed"``, or ``"skipped"`` (its run folder was already complete with the
        same settings, so it was not redone).
    out_dir
        Its run folder.
    seconds
        Wall time spent on it.
    result
        The [`TrackResult`][sam2_autotrack.TrackResult] when it succeeded in this process (results
        made by other processes or machines stay in their run folders: load them with
        [`load_run`][sam2_autotrack.run.load_run]).
    error
        One line saying why it failed.
    objects
        Number of tracked objects (0 when failed); taken from ``result`` when given.
    frames
        Number of source frames (0 when failed); taken from ``result`` when given.
    note
        One line about a skipped video.
    """

    video: Path
    status: Literal["ok", "failed", "skipped"]
    out_dir: Path | None
    seconds: float
    result: TrackResult | None = None
    error: str | None = None
    objects: int = 0
    frames: int = 0
    note: str | None = None

    def __post_init__(self) -> None:
        if self.result is not None:
            object.__setattr__(self, "objects", len(self.result))
            object.__setattr__(self, "frames", self.result.frame_count)


@dataclass(frozen=True)
class BatchReport:
    """Every video's outcome, in input order, with a summary table."""

    items: tuple[BatchItem, ...]

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[BatchItem]:
        return iter(self.items)

    def __getitem__(self, index: int) -> BatchItem:
        return self.items[index]

    @property
    def ok(self) -> bool:
        """Whether every video succeeded (or was already complete)."""
        return all(item.status != "failed" for item in self.items)

    @property
    def failed(self) -> tuple[BatchItem, ...]:
        """The videos that failed."""
        return tuple(item for item in self.items if item.status == "failed")

    def table(self) -> str:
        """Return a plain-text summary: video, objects, frames, seconds, status.

        Returns
        -------
        str
            A header line and one aligned line per video; the status carries the error of a
            failed video and the note of a skipped one.

        Examples
        --------
        >>> from pathlib import Path
        >>> r = BatchReport((BatchItem(Path("a.mp4"), "failed", None, 0.5, error="boom"),))
        >>> print(r.table())  # doctest: +NORMALIZE_WHITESPACE
        video  objects  frames  seconds  status
        a.mp4        0       0      0.5  failed: boom
        """
        rows = [("video", "objects", "frames", "seconds", "status")]
        for item in self.items:
            why = item.error if item.error is not None else item.note
            status = item.status if why is None else f"{item.status}: {why}"
            rows.append(
                (
                    item.video.name,
                    str(item.objects),
                    str(item.frames),
                    f"{item.seconds:.1f}",
                    status,
                )
            )
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        lines = []
        for row in rows:
            cells = [row[0].ljust(widths[0])] + [row[i].rjust(widths[i]) for i in (1, 2, 3)]
            lines.append("  ".join([*cells, row[4]]).rstrip())
        return "\n".join(lines)


def one_line(exc: BaseException) -> str:
    r"""Return an exception's message on one line (its type name when it has none).

    Examples
    --------
    >>> one_line(ValueError("bad\n  value")), one_line(KeyError())
    ('bad value', 'KeyError')
    """
    return " ".join(str(exc).split()) or type(exc).__name__


def unique_run_dirs(videos: Sequence[Path], out_dir: Path) -> list[Path]:
    """One sub-folder of ``out_dir`` per video, named after its stem, made unique.

    Parameters
    ----------
    videos
        The input videos.
    out_dir
        The parent folder (nothing is created).

    Returns
    -------
    list[pathlib.Path]
        ``out_dir/<stem>`` per video, in input order; a repeated stem gets ``-2``, ``-3``, ...

    Examples
    --------
    >>> from pathlib import Path
    >>> [p.name for p in unique_run_dirs([Path("a/x.mp4"), Path("b/x.mp4")], Path("out"))]
    ['x', 'x-2']
    """
    seen: dict[str, int] = {}
    dirs = []
    for video in videos:
        stem = video.stem or "video"
        seen[stem] = seen.get(stem, 0) + 1
        name = stem if seen[stem] == 1 else f"{stem}-{seen[stem]}"
        dirs.append(out_dir / name)
    return dirs


def run_batch(
    videos: Sequence[Path],
    job: Callable[[Path, Path], TrackResult | BatchItem],
    *,
    out_dir: Path,
    concurrency: int,
) -> BatchReport:
    """Run ``job(video, run_dir)`` for every video with ``concurrency`` threads.

    ``job`` returns the video's result, or a ready [`BatchItem`][sam2_autotrack.run.BatchItem] (e.g.
    a skipped one). An [`AutotrackError`][sam2_autotrack.AutotrackError] or ``OSError`` fails only
    its own video; Ctrl-C stops the batch.

    Parameters
    ----------
    videos
        The input videos.
    job
        Called as ``job(video, run_dir)`` in a worker thread; returns the video's
        [`TrackResult`][sam2_autotrack.TrackResult] or a ready ``BatchItem``.
    out_dir
        Parent of the run folders (see [`unique_run_dirs`][sam2_autotrack.run.unique_run_dirs]).
    concurrency
        Number of threads (>= 1).

    Returns
    -------
    BatchReport
        One item per video, in input order.

    Raises
    ------
    ConfigError
        ``concurrency`` below 1.
    """
    if concurrency < 1:
        raise ConfigError(f"concurrency must be ≥ 1; got {concurrency}")
    dirs = unique_run_dirs(videos, out_dir)

    def one(video: Path, run_dir: Path) -> BatchItem:
        started = time.perf_counter()
        try:
            result = job(video, run_dir)
        except (AutotrackError, OSError) as exc:
            return BatchItem(
                video, "failed", run_dir, time.perf_counter() - started, error=one_line(exc)
            )
        if isinstance(result, BatchItem):
            return result
        return BatchItem(video, "ok", run_dir, time.perf_counter() - started, result=result)

    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="autotrack") as pool:
        items = list(pool.map(one, videos, dirs))
    return BatchReport(tuple(items))
