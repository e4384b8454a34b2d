"""The batch side of [`AutoTracker.track_many`][sam2_autotrack.AutoTracker.track_many].

``track_batch`` runs the videos on threads sharing the tracker, or as
[`VideoJob`][sam2_autotrack.run.VideoJob] s on an executor; ``run_video_job`` runs one job
where it lands: it builds the job's backend and a tracker (of the type it is given, so this
module needs no import of the facade), writes the run folder and returns the video's row.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import Any, Protocol

from sam2_autotrack.backends.base import Backend
from sam2_autotrack.backends.resolve import close_backend, resolve_backend
from sam2_autotrack.errors import AutotrackError
from sam2_autotrack.export.options import ExportOptions
from sam2_autotrack.prompts.model import Prompts
from sam2_autotrack.rediscovery.options import RediscoveryOptions
from sam2_autotrack.run.batch import BatchItem, BatchReport, one_line, run_batch
from sam2_autotrack.run.jobs import VideoJob, completed_item, make_jobs, run_jobs
from sam2_autotrack.seeds.options import SeedOptions
from sam2_autotrack.selection.options import SelectionOptions

__all__ = ["run_video_job", "track_batch"]


class _Tracks(Protocol):
    """What a job's tracker returns (a [`TrackResult`][sam2_autotrack.TrackResult])."""

    @property
    def frame_count(self) -> int:
        """Frames tracked."""
        ...

    def __len__(self) -> int:
        """Objects tracked."""
        ...


class _Tracker(Protocol):
    """What ``run_video_job`` needs of the tracker it builds."""

    def track(self, video: Path, out_dir: Path, *, exports: Any, prompts: Any) -> _Tracks:
        """Track one video into its run folder."""
        ...


class _BatchTracker(_Tracker, Protocol):
    """What ``track_batch`` needs of the tracker ([`AutoTracker`][sam2_autotrack.AutoTracker])."""

    backend: Backend
    selection_options: SelectionOptions
    seed_options: SeedOptions
    rediscovery: RediscoveryOptions | None
    progress: Callable[[str, int, int | None], None] | None


def track_batch(
    tracker: _BatchTracker,
    videos: Sequence[Path],
    out_dir: Path,
    *,
    exports: ExportOptions,
    prompts: Prompts | None,
    concurrency: int,
    executor: Executor | None,
    backend_options: Mapping[str, Any] | None,
    owns_backend: bool,
    runner: Callable[[VideoJob], BatchItem],
) -> BatchReport:
    """Track ``videos`` into ``out_dir/<stem>/`` (see ``track_many``; options already checked)."""
    name = tracker.backend.name
    if executor is not None:
        jobs = make_jobs(
            videos, out_dir, backend=name, owns_backend=owns_backend,
            backend_options=backend_options, selection=tracker.selection_options,
            seeds=tracker.seed_options, exports=exports, prompts=prompts,
            rediscover=tracker.rediscovery,
        )  # fmt: skip
        return run_jobs(jobs, executor=executor, runner=runner, progress=tracker.progress)

    def one(video: Path, run_dir: Path) -> Any:
        job = VideoJob(
            video, run_dir, "replicate" if name == "replicate" else "local",
            selection=tracker.selection_options, seeds=tracker.seed_options, exports=exports,
            prompts=prompts, rediscover=tracker.rediscovery,
        )  # fmt: skip
        done = completed_item(job) if name in ("local", "replicate") else None
        if done is not None:
            return done
        return tracker.track(video, run_dir, exports=exports, prompts=prompts)

    return run_batch(list(videos), one, out_dir=out_dir, concurrency=concurrency)


def run_video_job(job: VideoJob, tracker_type: Callable[..., _Tracker]) -> BatchItem:
    """Run one job on a worker with a tracker of ``tracker_type``; return its summary row.

    The worker builds its own backend and tracker from the job (a Replicate worker reads
    ``REPLICATE_API_TOKEN`` from its own environment), writes the run folder, and returns a row
    without the masks (they stay in the run folder). A folder already complete with the same
    settings is not redone. An [`AutotrackError`][sam2_autotrack.AutotrackError] or ``OSError``
    becomes a failed row; anything else propagates.
    """
    started = time.perf_counter()
    done = completed_item(job)
    if done is not None:
        return done
    video, run_dir = Path(job.video), Path(job.run_dir)
    try:
        if job.backend == "local":
            from sam2_autotrack.backends.local.backend import LocalBackend

            backend: Backend = LocalBackend(**dict(job.backend_options))
        else:
            backend = resolve_backend("replicate", replicate_options=job.backend_options)
        try:
            tracker = tracker_type(
                backend,
                selection=job.selection,
                seeds=job.seeds,
                stream=io.StringIO(),
                rediscover=job.rediscover,
            )
            result = tracker.track(video, run_dir, exports=job.exports, prompts=job.prompts)
        finally:
            close_backend(backend)
    except (AutotrackError, OSError) as exc:
        return BatchItem(
            video, "failed", run_dir, time.perf_counter() - started, error=one_line(exc)
        )
    return BatchItem(
        video, "ok", run_dir, time.perf_counter() - started,
        objects=len(result), frames=result.frame_count,
    )  # fmt: skip
