"""Batch runs on any executor: small picklable job descriptions, one per video.

A tracker holds HTTP clients, locks and callbacks, none of which should travel to another process
or machine. What travels instead is a [`VideoJob`][sam2_autotrack.run.VideoJob] — the video, its run
folder, the backend's name and constructor options, and the selection, seed and export options — and
the worker builds its own tracker from it (`sam2_autotrack.tracker.track_video_job`). The worker
writes the run folder and sends back a one-row [`BatchItem`][sam2_autotrack.run.BatchItem] for the
summary table.

[`run_jobs`][sam2_autotrack.run.run_jobs] submits the jobs to any `concurrent.futures.Executor` — a
thread or process pool, or Dask's (``distributed.Client(...).get_executor()``) — and turns a worker
that died into a failed row for its own videos only.
[`completed_item`][sam2_autotrack.run.completed_item] is the resume rule: a run folder that is
complete (manifest written, no ``INCOMPLETE`` marker) with the same backend and options is not
redone; an interrupted one is run again (a Replicate prediction recorded in its ``work/`` journal is
resumed, not paid again).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import (
    FIRST_COMPLETED,
    BrokenExecutor,
    CancelledError,
    Executor,
    Future,
    wait,
)
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from sam2_autotrack.errors import AutotrackError, ConfigError
from sam2_autotrack.export.options import ExportOptions
from sam2_autotrack.prompts.model import Prompts
from sam2_autotrack.rediscovery.options import RediscoveryOptions
from sam2_autotrack.run.batch import BatchItem, BatchReport, one_line, unique_run_dirs
from sam2_autotrack.run.folder import is_incomplete
from sam2_autotrack.run.manifest import MANIFEST_NAME, read_manifest
from sam2_autotrack.seeds.options import SeedOptions
from sam2_autotrack.selection.options import SelectionOptions

__all__ = ["VideoJob", "completed_item", "make_jobs", "run_jobs", "worker_lost"]

_WORKER_LOST = {"KilledWorker", "CommClosedError", "FutureCancelledError"}


@dataclass(frozen=True)
class VideoJob:
    """Everything a worker needs to track one video into its run folder (picklable).

    Parameters
    ----------
    video
        The input video, as the worker sees it (a shared filesystem for remote workers).
    run_dir
        Its run folder (written by the worker).
    backend
        ``"local"`` or ``"replicate"`` (``"auto"`` is resolved before jobs are made, so every
        worker uses the same engine). A Replicate worker reads ``REPLICATE_API_TOKEN`` from its
        own environment: tokens never travel in jobs.
    backend_options
        Keyword arguments of the backend's constructor (e.g. ``{"image_inputs": {...}}`` for
        [`ReplicateBackend`][sam2_autotrack.ReplicateBackend]); option objects or dicts.
    selection, seeds, exports
        The tracker's options.
    prompts
        What to track instead of the automatic choice (the same for every video), or ``None``.
    rediscover
        Re-discovery of later objects
        ([`RediscoveryOptions`][sam2_autotrack.rediscovery.RediscoveryOptions]), or ``None`` (off).
    """

    video: Path
    run_dir: Path
    backend: Literal["local", "replicate"]
    backend_options: Mapping[str, Any] = field(default_factory=dict)
    selection: SelectionOptions = field(default_factory=SelectionOptions)
    seeds: SeedOptions = field(default_factory=SeedOptions)
    exports: ExportOptions = field(default_factory=ExportOptions)
    prompts: Prompts | None = None
    rediscover: RediscoveryOptions | None = None

    def parameters(self) -> dict[str, Any]:
        """Return the settings recorded in the manifest's ``parameters`` (the resume check).

        Returns
        -------
        dict[str, Any]
            The selection, seed and export options as JSON, and the prompts when given.
        """
        recorded = {
            "selection": self.selection.model_dump(mode="json"),
            "seeds": self.seeds.model_dump(mode="json"),
            "exports": self.exports.model_dump(mode="json"),
        }
        if self.rediscover is not None:
            recorded["rediscovery"] = self.rediscover.model_dump(mode="json")
        if self.prompts is not None:
            recorded["prompts"] = self.prompts.model_dump(mode="json")
        return recorded


def make_jobs(
    videos: Sequence[Path],
    out_dir: Path,
    *,
    backend: str,
    owns_backend: bool,
    backend_options: Mapping[str, Any] | None,
    selection: SelectionOptions,
    seeds: SeedOptions,
    exports: ExportOptions,
    prompts: Prompts | None = None,
    rediscover: RediscoveryOptions | None = None,
) -> list[VideoJob]:
    """One job per video, each with its own run folder under ``out_dir``.

    Parameters
    ----------
    videos, out_dir
        The inputs and the parent of their run folders (``
        unique_run_dirs``).
    backend
        The tracker's backend name: only ``"local"`` and ``"replicate"`` can be rebuilt.
    owns_backend
        Whether the tracker built its backend from a name (else it was given an instance).
    backend_options
        The workers' backend constructor arguments; needed for a backend instance.
    selection, seeds, exports, prompts, rediscover
        The tracker's options, the same for every video.

    Raises
    ------
    ConfigError
        Another backend, or an instance with no ``backend_options``.
    """
    if backend not in ("local", "replicate"):
        raise ConfigError(
            f"backend {backend!r} cannot be rebuilt on other workers; executor= needs the "
            "'local' or 'replicate' backend (or run without executor=)"
        )
    if backend_options is None and not owns_backend:
        raise ConfigError(
            "this tracker was given a backend instance, which holds connections and locks "
            "and cannot be sent to workers; pass backend_options={...} (the keyword "
            "arguments of its constructor, {} for the defaults) or build the tracker from "
            f"'{backend}'"
        )
    kind: Literal["local", "replicate"] = "replicate" if backend == "replicate" else "local"
    extra = dict(backend_options or {})
    return [
        VideoJob(video, run_dir, kind, extra, selection, seeds, exports, prompts, rediscover)
        for video, run_dir in zip(videos, unique_run_dirs(videos, out_dir), strict=True)
    ]


def completed_item(job: VideoJob) -> BatchItem | None:
    """Return a ``"skipped"`` row when ``job``'s run folder is already complete, else ``None``.

    Complete means: ``manifest.json`` present, no ``INCOMPLETE`` marker, and the manifest records
    the same backend and the same selection, seed and export options. Anything else (a missing
    or interrupted folder, other settings, an unreadable manifest) is run again.

    Parameters
    ----------
    job
        The video's job (its run folder, backend and options).

    Returns
    -------
    BatchItem or None
        The ``"skipped"`` row, or ``None`` when the video must be run.
    """
    run_dir = Path(job.run_dir)
    if is_incomplete(run_dir) or not (run_dir / MANIFEST_NAME).is_file():
        return None
    try:
        manifest = read_manifest(run_dir)
        recorded = dict(manifest.get("parameters") or {})
        recorded.pop("detector", None)  # how text prompts were resolved, not a setting
        same = (
            recorded == job.parameters()
            and (manifest.get("backend") or {}).get("name") == job.backend
        )
        objects = len(manifest["tracks"]["object_ids"])
        frames = int(manifest["tracks"]["frame_count"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not same:
        return None
    return BatchItem(
        Path(job.video), "skipped", run_dir, 0.0, objects=objects, frames=frames,
        note="already complete with these settings; not redone",
    )  # fmt: skip


def worker_lost(exc: BaseException) -> bool:
    """Whether ``exc`` says the worker running a job died or went away (not a job's own error).

    Covers the standard library's broken pools and cancelled futures and, by name, Dask's
    ``KilledWorker`` (no import of Dask needed).

    Examples
    --------
    >>> from concurrent.futures.process import BrokenProcessPool
    >>> worker_lost(BrokenProcessPool("a process died")), worker_lost(ValueError())
    (True, False)
    """
    if isinstance(exc, BrokenExecutor | CancelledError):
        return True
    return any(cls.__name__ in _WORKER_LOST for cls in type(exc).__mro__)


def run_jobs(
    jobs: Sequence[VideoJob],
    *,
    executor: Executor,
    runner: Callable[[VideoJob], BatchItem],
    progress: Callable[[str, int, int | None], None] | None = None,
) -> BatchReport:
    """Run ``runner(job)`` for every job on ``executor``; return the rows in input order.

    Parameters
    ----------
    jobs
        One job per video.
    executor
        Any `concurrent.futures.Executor`; it is not shut down here. Only as many jobs
        are submitted at once as it can run (its ``slots`` — see
        `DaskExecutor` — or a pool's worker count), so a job
        never waits on a worker behind another.
    runner
        The function the workers call — a module-level function, so it pickles by name
        (`sam2_autotrack.tracker.track_video_job`). It returns the video's row; an
        [`AutotrackError`][sam2_autotrack.AutotrackError] or ``OSError`` it raises becomes a failed
        row.
    progress
        Called as ``("videos", done, total)`` whenever a video finishes.

    Returns
    -------
    BatchReport
        One row per job. A worker that died fails only the videos it was running (Dask
        retries a video on another worker up to ``distributed.scheduler.allowed-failures``
        times before giving up on it).

    Raises
    ------
    Exception
        Anything else a job raised (a bug), after the other jobs finished.
    """
    total = len(jobs)
    if progress is not None:
        progress("videos", 0, total)
    window = max(
        1, int(getattr(executor, "slots", 0) or getattr(executor, "_max_workers", 0) or total)
    )
    waiting = list(range(total))[::-1]
    pending: dict[Future[BatchItem], int] = {}
    started: dict[int, float] = {}
    rows: dict[int, BatchItem] = {}
    unexpected: list[BaseException] = []
    while waiting or pending:
        while waiting and len(pending) < window:  # as many in flight as the workers can run
            index = waiting.pop()
            started[index] = time.perf_counter()
            pending[executor.submit(runner, jobs[index])] = index
        finished, _ = wait(list(pending), return_when=FIRST_COMPLETED)
        for future in finished:
            index = pending.pop(future)
            rows[index] = _row(
                future, jobs[index], time.perf_counter() - started[index], unexpected
            )
            if progress is not None:
                progress("videos", len(rows), total)
    if unexpected:
        raise unexpected[0]
    return BatchReport(tuple(rows[index] for index in range(total)))


def _row(
    future: Future[BatchItem], job: VideoJob, seconds: float, unexpected: list[BaseException]
) -> BatchItem:
    try:
        return future.result()
    except Exception as exc:  # classified below; a bug is re-raised after the batch
        if worker_lost(exc):
            reason = f"the worker running it died ({type(exc).__name__}: {one_line(exc)})"
        elif isinstance(exc, AutotrackError | OSError):
            reason = one_line(exc)
        else:
            unexpected.append(exc)
            reason = f"{type(exc).__name__}: {one_line(exc)}"
    return BatchItem(Path(job.video), "failed", Path(job.run_dir), seconds, error=reason)
