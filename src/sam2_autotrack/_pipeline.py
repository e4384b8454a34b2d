"""The whole job of [`AutoTracker.track`][sam2_autotrack.AutoTracker.track], step by step.

``track_video`` runs the tracker's public steps in order — frame 0, proposals, the
selection (or the prompts' resolution), seeds, propagation (with re-discovery when the tracker
has it on) — and, with a run folder, writes each stage's files, the exports and the manifest
last (the ``INCOMPLETE`` marker comes off when it is written). It is a function of the steps
(``TrackerSteps``, which [`AutoTracker`][sam2_autotrack.AutoTracker] implements), so the facade
only composes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, TextIO

import numpy as np
from numpy.typing import NDArray

from sam2_autotrack._fs import write_json_atomic
from sam2_autotrack._prompting import check_prompts_for_backend, coerce_prompts
from sam2_autotrack.backends.base import Backend, MaskProposals, ProgressCallback
from sam2_autotrack.clicks import ClickSet
from sam2_autotrack.errors import ConfigError, SelectionError
from sam2_autotrack.export.bundle import require_export_tools, write_exports
from sam2_autotrack.export.options import ExportOptions
from sam2_autotrack.progress import note
from sam2_autotrack.prompts import (
    PROMPTS_NAME,
    Detector,
    PromptedObjects,
    Prompts,
    write_prompt_stage,
)
from sam2_autotrack.run.folder import (
    begin_run,
    check_run_dir,
    finish_run,
    write_seed_stage,
    write_tracks,
)
from sam2_autotrack.run.manifest import write_run_manifest
from sam2_autotrack.run.result import TrackResult
from sam2_autotrack.selection.decisions import Selection
from sam2_autotrack.video.probe import probe_video

__all__ = [
    "TrackerSteps",
    "check_exports",
    "check_prompts",
    "prompt_record",
    "require_objects",
    "track_video",
]


class TrackerSteps(Protocol):
    """The steps ``track_video`` composes ([`AutoTracker`][sam2_autotrack.AutoTracker]'s)."""

    progress: ProgressCallback | None

    def first_frame(self, video: str | Path) -> NDArray[np.uint8]:
        """Return frame 0, RGB."""
        ...

    def propose(
        self,
        image_rgb: NDArray[np.uint8],
        *,
        video: str | Path | None = None,
        work_dir: str | Path | None = None,
    ) -> MaskProposals:
        """Return the proposals on frame 0."""
        ...

    def select(
        self, proposals: MaskProposals, *, image_rgb: NDArray[np.uint8] | None = None
    ) -> Selection:
        """Return the automatic choice."""
        ...

    def resolve(
        self,
        prompts: Prompts,
        proposals: MaskProposals,
        *,
        image_rgb: NDArray[np.uint8],
        video: str | Path | None = None,
        work_dir: str | Path | None = None,
    ) -> PromptedObjects:
        """Return the prompts' choice."""
        ...

    def seed(self, selection: Selection | PromptedObjects) -> ClickSet:
        """Return clicks for the chosen objects."""
        ...

    def propagate(
        self,
        video: str | Path,
        clicks: ClickSet,
        *,
        work_dir: str | Path | None = None,
        objects: PromptedObjects | None = None,
    ) -> TrackResult:
        """Return the tracks through the video."""
        ...

    def parameters(
        self, *, exports: ExportOptions | None = None, prompts: Prompts | None = None
    ) -> dict[str, Any]:
        """Return the manifest's ``parameters``."""
        ...

    @property
    def detector(self) -> Detector:
        """Return the text prompts' detector."""
        ...


def check_exports(
    exports: ExportOptions | dict[str, Any] | None, out_dir: str | Path | None
) -> ExportOptions:
    """Coerce ``exports``; refuse file exports without a run folder or ffmpeg's encoders.

    Raises
    ------
    ConfigError
        Invalid options, or exports asked for without ``out_dir``.
    FFmpegNotFoundError
        A video export without the encoder it needs.
    """
    options = ExportOptions.coerce(exports) or ExportOptions()
    if options.wants_files and out_dir is None:
        raise ConfigError(
            "exports need an output folder: pass out_dir (track(video, out_dir, exports=...))"
            " or write them later with sam2_autotrack.run.export_run(result, out_dir, ...)"
        )
    require_export_tools(options)
    return options


def check_prompts(
    prompts: Prompts | dict[str, Any] | None, backend: Backend, detector: Callable[[], Detector]
) -> Prompts | None:
    """Coerce and check ``prompts`` against ``backend``; make sure text has a detector.

    ``detector()`` is called for a text prompt: with no token it fails here, before any work.
    """
    chosen = coerce_prompts(prompts)
    if chosen is not None:
        check_prompts_for_backend(chosen, backend)
        if chosen.text:
            detector()
    return chosen


def prompt_record(prompts: Prompts | None, detector: Callable[[], Detector]) -> dict[str, Any]:
    """Return the prompts as given (and the detector) for ``prompts.json`` and the manifest."""
    if prompts is None:
        return {}
    record: dict[str, Any] = {"prompts": prompts.model_dump(mode="json")}
    if prompts.text:
        record["detector"] = detector().describe()
    return record


def require_objects(selection: Selection, proposal_count: int) -> Selection:
    """Return ``selection``; raise [`SelectionError`][sam2_autotrack.SelectionError] if empty."""
    if len(selection) == 0:
        counts = selection.category_counts()
        summary = ", ".join(f"{n} {category}" for category, n in sorted(counts.items()))
        raise SelectionError(
            f"none of the {proposal_count} proposals looks like an object "
            f"({summary or 'none'}); lower --min-area, raise --max-area-fraction, or relax "
            "the proposal thresholds"
        )
    return selection


def _progress(steps: TrackerSteps, stage: str, done: int, total: int | None) -> None:
    if steps.progress is not None:
        steps.progress(stage, done, total)


def track_video(
    steps: TrackerSteps,
    video: Path,
    out: Path | None,
    *,
    exports: ExportOptions,
    prompts: Prompts | None,
    work_dir: Path,
    stream: TextIO,
) -> TrackResult:
    """Run the whole pipeline on ``video``; with ``out``, write the run folder.

    ``exports`` and ``prompts`` are already checked (see
    [`AutoTracker.track`][sam2_autotrack.AutoTracker.track], which documents the folder's files).
    """
    timings: dict[str, float] = {}
    if out is not None:
        check_run_dir(out)
    clock = time.perf_counter()
    frame0 = steps.first_frame(video)
    timings["read"] = time.perf_counter() - clock
    if prompts is not None:
        frame_count = probe_video(video).frame_count if prompts.later_frames() else None
        height, width = frame0.shape[:2]
        prompts.check_video(resolution_wh=(width, height), frame_count=frame_count)
    if out is not None:
        begin_run(out)  # marked incomplete until its manifest is written
        if prompts is None:  # an earlier prompted run's record would describe other objects
            (out / PROMPTS_NAME).unlink(missing_ok=True)

    clock = time.perf_counter()
    _progress(steps, "propose", 0, 1)
    proposals = steps.propose(frame0, video=video, work_dir=work_dir)
    timings["propose"] = time.perf_counter() - clock
    _progress(steps, "propose", 1, 1)

    clock = time.perf_counter()
    selection: Selection | None = None
    objects: PromptedObjects | None = None
    if prompts is not None:
        objects = steps.resolve(
            prompts, proposals, image_rgb=frame0, video=video, work_dir=work_dir
        )
        for message in objects.notes:
            note(message, stream=stream)
        timings["resolve"] = time.perf_counter() - clock
        clock = time.perf_counter()
        clicks = steps.seed(objects)
    else:
        selection = steps.select(proposals, image_rgb=frame0)
        timings["select"] = time.perf_counter() - clock
        clock = time.perf_counter()
        clicks = steps.seed(selection)
    timings["seed"] = time.perf_counter() - clock

    files: list[Path] = []
    if out is not None:
        files += write_seed_stage(
            out, frame0_rgb=frame0, proposals=proposals, selection=selection, clicks=clicks
        )
        if objects is not None:
            files += write_prompt_stage(
                out, objects, record=prompt_record(prompts, lambda: steps.detector)
            )

    tracked = steps.propagate(video, clicks, work_dir=work_dir, objects=objects)
    result = tracked.replace(
        timings={**timings, **tracked.timings},
        proposals=proposals,
        selection=selection,
        run_dir=out,
    )
    if out is None:
        return result
    if result.clicks != clicks:  # re-discovery seeded more objects on later frames
        write_json_atomic(out / "clicks.json", result.clicks.to_json_dict())
    files += write_tracks(out, result)
    clock = time.perf_counter()
    files += write_exports(result, out, exports, progress=steps.progress)
    result = result.replace(timings={**result.timings, "export": time.perf_counter() - clock})
    parameters = steps.parameters(exports=exports, prompts=prompts)
    write_run_manifest(result, out, files=files, parameters=parameters)
    finish_run(out)
    return result
