"""The per-object strategies of ``meta/sam-2-video``: from clicks to each object's MaskSequence.

`VideoTracking` holds what every prediction of one
[`track`][sam2_autotrack.ReplicateBackend.track] call shares (client, model, inputs, work folder)
and runs a strategy:

- `VideoTracking.union` — one prediction for all objects; its union mask split per object
  by geometry (``"split"``), with the image (``"image"``), or with the image and then short
  per-object re-runs of the unsure stretches (``"auto"``: `VideoTracking.rerun_windows`);
- `VideoTracking.separately` — one prediction per object, run concurrently.

Mask frames are decoded one at a time (`mask_frames`) and appended to each object's sequence; every
prediction's cost is returned as a
[`PredictionCost`][sam2_autotrack.backends.PredictionCost].
"""

from __future__ import annotations

import concurrent.futures
import functools
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from numpy.typing import NDArray

from sam2_autotrack.backends.base import ProgressCallback
from sam2_autotrack.backends.cost import PredictionCost
from sam2_autotrack.backends.replicate.client import ReplicateClient
from sam2_autotrack.backends.replicate.frames import check_frame_count, mask_frames
from sam2_autotrack.backends.replicate.models import ModelVersions
from sam2_autotrack.backends.replicate.options import UploadOptions, VideoModelInputs
from sam2_autotrack.backends.replicate.outputs import frame_outputs
from sam2_autotrack.backends.replicate.predictions import PredictionResult
from sam2_autotrack.backends.replicate.split.geometric import frame0_seeds
from sam2_autotrack.backends.replicate.split.options import AutoOptions
from sam2_autotrack.backends.replicate.split.reruns import Rerun, reruns_of
from sam2_autotrack.backends.replicate.split.stitch import stitch_sequences
from sam2_autotrack.backends.replicate.split.stream import split_by_geometry, split_by_image
from sam2_autotrack.backends.replicate.split.windows import Window, plan_windows
from sam2_autotrack.backends.replicate.upload import PreparedVideo, prepare_upload
from sam2_autotrack.clicks import ClickSet
from sam2_autotrack.masks.store import MaskSequence
from sam2_autotrack.video.reader import iter_frames

__all__ = ["INPUT_DIR", "PREPARE_TIMEOUT_S", "VideoTracking"]

INPUT_DIR = "replicate_inputs"
"""Sub-folder of the work folder holding prepared uploads."""
PREPARE_TIMEOUT_S = 3600.0
"""Seconds a re-encode of an upload may take."""

Outcome = tuple[PredictionResult, PredictionCost]


@dataclass(frozen=True)
class VideoTracking:
    """What every ``meta/sam-2-video`` prediction of one ``track`` call shares.

    Parameters
    ----------
    client
        The HTTP client.
    models, video_inputs, upload, auto
        The backend's settings.
    video
        The source video.
    root
        The work folder (journal, downloads, prepared uploads).
    resume
        Reuse journaled predictions.
    progress
        Progress callback, also handed to the client.
    """

    client: ReplicateClient
    models: ModelVersions
    video_inputs: VideoModelInputs
    upload: UploadOptions
    auto: AutoOptions
    video: Path
    root: Path
    resume: bool
    progress: ProgressCallback | None = None

    @property
    def frame_interval(self) -> int:
        """``output_frame_interval``: source frames per mask frame."""
        return self.video_inputs.output_frame_interval

    def run(
        self,
        prepared: PreparedVideo,
        clicks: ClickSet,
        *,
        purpose: str,
        journal_extra: Mapping[str, Any] | None,
        stop: threading.Event | None = None,
    ) -> Outcome:
        """Run one prediction on ``prepared`` from source-space ``clicks``; return it and its cost.

        The clicks are moved into the upload when it was prepared (``journal_extra`` given).
        """
        sent = prepared.to_upload(clicks) if journal_extra else clicks
        result = self.client.run(
            self.models.video_version,
            {**sent.to_replicate().as_input(), **self.video_inputs.as_input()},
            files={"input_video": prepared.path},
            work_dir=self.root,
            select_outputs=frame_outputs,
            resume=self.resume,
            progress=self.progress,
            stop=stop,
            journal_extra=journal_extra,
        )
        check_frame_count(result, prepared.frame_count, self.frame_interval)
        cost = PredictionCost(
            prediction_id=result.prediction_id,
            model=self.models.video_model,
            purpose=purpose,
            frames_uploaded=prepared.frame_count,
            predict_time=result.predict_time,
            resumed=result.resumed,
        )
        return result, cost

    def frames(self, result: PredictionResult, prepared: PreparedVideo) -> Iterator[NDArray[Any]]:
        """Return the prediction's masks at the source's size, decoded one per ``next()``."""
        return mask_frames(
            result.files,
            prepared,
            mask_type=self.video_inputs.mask_type,
            frame_interval=self.frame_interval,
        )

    def union(
        self,
        prepared: PreparedVideo,
        clicks: ClickSet,
        strategy: str,
        journal_extra: Mapping[str, Any] | None,
    ) -> tuple[dict[str, MaskSequence], list[PredictionCost], dict[str, Any]]:
        """One prediction for every object, its union split by ``strategy``.

        ``strategy`` is ``"single"`` (one object: the union is its mask), ``"split"``,
        ``"image"`` or ``"auto"``. Returns the sequences, the costs and what ``info`` records.
        """
        purpose = "track" if strategy == "single" else "union"
        result, cost = self.run(prepared, clicks, purpose=purpose, journal_extra=journal_extra)
        unions = self.frames(result, prepared)
        resolution_wh = prepared.source_wh
        if strategy == "single":
            return {clicks.object_ids[0]: MaskSequence(resolution_wh, unions)}, [cost], {}
        seeds = frame0_seeds(clicks, first_frame=prepared.start_frame)
        if strategy == "split":
            return split_by_geometry(unions, seeds, resolution_wh), [cost], {"split": "geometric"}
        k = self.frame_interval
        frames = iter_frames(
            self.video, start=prepared.start_frame, stop=prepared.stop_frame, step=k
        )
        split, signals = split_by_image(
            unions, frames, seeds, resolution_wh, progress=self.progress, total=len(result.files)
        )
        if strategy == "image":
            return split, [cost], {"split": "image"}
        windows = plan_windows(
            signals, self.auto, upload_frames=prepared.frame_count, frame_interval=k
        )
        masks, window_costs = self.rerun_windows(prepared, clicks, split, windows)
        first = prepared.start_frame
        ids = clicks.object_ids
        record = [
            {
                "frames": [first + w.first * k, first + w.last * k],
                "objects": [ids[i - 1] for i in w.objects],
                "rerun": [ids[i - 1] for i in w.rerun],
                "leftover": None if w.leftover is None else ids[w.leftover - 1],
                "reasons": list(w.reasons),
            }
            for w in windows
        ]
        return masks, [cost, *window_costs], {"split": "image", "windows": record}

    def rerun_windows(
        self,
        prepared: PreparedVideo,
        clicks: ClickSet,
        split: dict[str, MaskSequence],
        windows: Sequence[Window],
    ) -> tuple[dict[str, MaskSequence], list[PredictionCost]]:
        """Re-run each window per object on a trimmed upload and stitch the answers in."""
        if not windows:
            return split, []
        object_ids = list(split)
        reruns = reruns_of(
            windows,
            [{i: split[object_ids[i - 1]][w.first] for i in w.objects} for w in windows],
            object_ids,
            clicks,
            start_frame=prepared.start_frame,
            frame_interval=self.frame_interval,
        )
        uploads: dict[tuple[int, int], PreparedVideo] = {}
        for rerun in reruns:  # one trimmed upload per window, prepared before the predictions
            span = (rerun.start_frame, rerun.stop_frame)
            if span not in uploads:
                uploads[span] = prepare_upload(
                    self.video,
                    out_dir=self.root / INPUT_DIR,
                    max_side=self.upload.max_side,
                    start_frame=rerun.start_frame,
                    stop_frame=rerun.stop_frame,
                    timeout=PREPARE_TIMEOUT_S,
                )

        def task(rerun: Rerun) -> Callable[..., Outcome]:
            window_upload = uploads[(rerun.start_frame, rerun.stop_frame)]
            extra = {
                "upload_prepare": {
                    "max_side": self.upload.max_side,
                    "upload_wh": list(window_upload.upload_wh),
                    "upload_frames": [window_upload.start_frame, window_upload.stop_frame],
                },
                "purpose": rerun.purpose,
            }
            return functools.partial(
                self.run, window_upload, rerun.clicks, purpose=rerun.purpose, journal_extra=extra
            )

        outcomes = self.concurrently([task(rerun) for rerun in reruns])
        claims: list[dict[int, Iterator[NDArray[Any]]]] = [{} for _ in windows]
        for rerun, (result, _) in zip(reruns, outcomes, strict=True):
            window_upload = uploads[(rerun.start_frame, rerun.stop_frame)]
            claims[rerun.window][rerun.label] = self.frames(result, window_upload)
        return stitch_sequences(split, windows, claims), [cost for _, cost in outcomes]

    def separately(
        self,
        prepared: PreparedVideo,
        clicks: ClickSet,
        journal_extra: Mapping[str, Any] | None,
    ) -> tuple[dict[str, MaskSequence], list[PredictionCost]]:
        """One prediction per object, run concurrently: exact masks, N times the cost."""
        tasks = [
            functools.partial(
                self.run,
                prepared,
                clicks.for_object(oid),
                purpose=f"object {oid}",
                journal_extra=journal_extra,
            )
            for oid in clicks.object_ids
        ]
        outcomes = self.concurrently(tasks)
        masks = {
            oid: MaskSequence(prepared.source_wh, self.frames(result, prepared))
            for oid, (result, _) in zip(clicks.object_ids, outcomes, strict=True)
        }
        return masks, [cost for _, cost in outcomes]

    def concurrently(self, tasks: Sequence[Callable[..., Outcome]]) -> list[Outcome]:
        """Run ``task(stop=event)`` for every task at once; the first failure stops the others."""
        if not tasks:
            return []
        stop = threading.Event()
        pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=min(len(tasks), 8), thread_name_prefix="autotrack-obj"
        )
        futures = [pool.submit(task, stop=stop) for task in tasks]
        try:
            return [future.result() for future in futures]
        except BaseException:
            # Ctrl-C or one prediction failing: stop the siblings (they cancel their predictions).
            stop.set()
            timeouts, limits = self.client.timeouts, self.client.limits
            concurrent.futures.wait(
                futures, timeout=timeouts.cancel + limits.max_poll_interval + 1.0
            )
            raise
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
