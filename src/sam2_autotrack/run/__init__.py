"""A tracking run as data and on disk: the result, its folder, its manifest, its exports, batches.

- [`TrackResult`][sam2_autotrack.TrackResult] (``result``): per-object masks, clicks and provenance;
  data only.
- ``folder``: the run folder — [`write_seed_stage`][sam2_autotrack.run.write_seed_stage],
  [`write_tracks`][sam2_autotrack.run.write_tracks], [`load_run`][sam2_autotrack.load_run] (masks
  read lazily from the folder's ``masks_index/`` files); a folder whose run has not finished holds
  an ``INCOMPLETE`` marker ([`is_incomplete`][sam2_autotrack.run.is_incomplete]).
- ``health``: track health in a run's words — `health_record` (what the manifest and
  ``video_result.json`` keep), `health_summary` (the CLI's warning line per unsure object).
- ``manifest``: ``manifest.json``, written last, secrets scrubbed —
  [`write_run_manifest`][sam2_autotrack.run.write_run_manifest]; files written into a finished
  run later (exports) are added by [`add_files`][sam2_autotrack.run.add_files].
- [`export_run`][sam2_autotrack.export_run] (``exports``): a run's exports through
  [`sam2_autotrack.export`][sam2_autotrack.export], recorded in its manifest.
- ``batch``: many videos, one failure never stopping the others —
  [`BatchReport`][sam2_autotrack.BatchReport].
- ``jobs``: batches on any `concurrent.futures.Executor` through picklable
  [`VideoJob`][sam2_autotrack.run.VideoJob] descriptions
  ([`run_jobs`][sam2_autotrack.run.run_jobs]); a complete run folder is not redone.
- ``dask``: [`dask_executor`][sam2_autotrack.run.dask_executor], Dask distributed for many machines
  (the ``dask`` extra).

``run`` uses [`sam2_autotrack.export`][sam2_autotrack.export]; ``export`` never uses ``run``.
"""

from sam2_autotrack.run.batch import BatchItem, BatchReport, run_batch, unique_run_dirs
from sam2_autotrack.run.dask import dask_executor
from sam2_autotrack.run.exports import export_run
from sam2_autotrack.run.folder import (
    INCOMPLETE_NAME,
    MASK_INDEX_DIR,
    is_incomplete,
    load_run,
    write_seed_stage,
    write_tracks,
)
from sam2_autotrack.run.health import health_record, health_summary, issue_frames
from sam2_autotrack.run.jobs import VideoJob, completed_item, run_jobs
from sam2_autotrack.run.manifest import (
    MANIFEST_NAME,
    add_files,
    read_manifest,
    scrub_secrets,
    write_manifest,
    write_run_manifest,
)
from sam2_autotrack.run.result import TrackResult

__all__ = [
    "BatchItem",
    "BatchReport",
    "INCOMPLETE_NAME",
    "MANIFEST_NAME",
    "MASK_INDEX_DIR",
    "TrackResult",
    "VideoJob",
    "add_files",
    "completed_item",
    "dask_executor",
    "export_run",
    "health_record",
    "health_summary",
    "is_incomplete",
    "issue_frames",
    "load_run",
    "read_manifest",
    "run_batch",
    "run_jobs",
    "scrub_secrets",
    "unique_run_dirs",
    "write_manifest",
    "write_run_manifest",
    "write_seed_stage",
    "write_tracks",
]
