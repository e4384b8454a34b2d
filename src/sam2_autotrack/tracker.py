"""`AutoTracker`: the small facade that composes video I/O, a backend, selection and seeding.

It composes the steps and nothing else: the steps live in [`selection`][sam2_autotrack.selection]
(or [`prompts`][sam2_autotrack.prompts] when the user says what to track),
[`seeds`][sam2_autotrack.seeds] and the backends, the run folder in [`run`][sam2_autotrack.run], the
exports in [`export`][sam2_autotrack.export].
"""

from __future__ import annotations

import io
import os
import sys
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import Any, Literal, TextIO

import numpy as np
from numpy.typing import NDArray

from sam2_autotrack._prompting import (
    check_prompts_for_backend,
    coerce_prompts,
    default_detector,
    resolve_for_backend,
)
from sam2_autotrack.backends.base import Backend, MaskProposals, ProgressCallback
from sam2_autotrack.backends.local.backend import LocalBackend
from sam2_autotrack.backends.resolve import BackendChoice, close_backend, resolve_backend
from sam2_autotrack.clicks import ClickSet
from sam2_autotrack.errors import AutotrackError, ConfigError, SelectionError
from sam2_autotrack.export.bundle import require_export_tools, write_exports
from sam2_autotrack.export.options import ExportOptions
from sam2_autotrack.progress import note
from sam2_autotrack.prompts import (
    PROMPTS_NAME,
    Detector,
    PromptedObjects,
    Prompts,
    clicks_from_prompts,
    write_prompt_stage,
)
from sam2_autotrack.run.batch import BatchItem, BatchReport, one_line, run_batch, unique_run_dirs
from sam2_autotrack.run.folder import (
    begin_run,
    check_run_dir,
    finish_run,
    write_seed_stage,
    write_tracks,
)
from sam2_autotrack.run.jobs import VideoJob, completed_item, run_jobs
from sam2_autotrack.run.manifest import write_run_manifest
from sam2_autotrack.run.result import TrackResult
from sam2_autotrack.seeds.build import clicks_from_selection
from sam2_autotrack.seeds.options import SeedOptions
from sam2_autotrack.selection.decisions import Selection
from sam2_autotrack.selection.options import SelectionOptions
from sam2_autotrack.selection.select import select_objects
from sam2_autotrack.video.probe import probe_video
from sam2_autotrack.video.reader import read_frame

__all__ = ["AutoTracker", "BackendChoice", "default_work_dir", "track_video_job"]


def default_work_dir() -> Path:
    """Where backends keep journals when a run has no output folder (the user cache dir)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "sam2_autotrack"


class AutoTracker:
    """Track the objects of a video with no human clicks.

    ``track()`` does everything; the steps are public for notebooks:
    [`first_frame`][sam2_autotrack.AutoTracker.first_frame] →
    [`propose`][sam2_autotrack.AutoTracker.propose] → [`select`][sam2_autotrack.AutoTracker.select]
    → [`seed`][sam2_autotrack.AutoTracker.seed] →
    [`propagate`][sam2_autotrack.AutoTracker.propagate]. To say what to track instead of the
    automatic choice, pass ``prompts=`` ([`Prompts`][sam2_autotrack.prompts.Prompts]: points, boxes,
    proposal numbers, text) to ``track()``, or call [`resolve`][sam2_autotrack.AutoTracker.resolve]
    in place of [`select`][sam2_autotrack.AutoTracker.select]. Every option is checked here, before
    any work (a bad one raises [`ConfigError`][sam2_autotrack.ConfigError]).

    A tracker is a context manager: leaving the ``with`` block (or
    [`close`][sam2_autotrack.AutoTracker.close]) closes the backend's HTTP connections — **only for
    a backend the tracker created** from ``"auto"``, ``"local"`` or ``"replicate"``. A
    [`Backend`][sam2_autotrack.Backend] instance you pass in stays yours (you may share it between
    trackers); close it yourself.

    Parameters
    ----------
    backend
        ``"auto"`` (Replicate when ``REPLICATE_API_TOKEN`` is set, else the embedded CPU engine),
        ``"local"``, ``"replicate"``, or any object implementing [`Backend`][sam2_autotrack.Backend]
        (e.g. ``ReplicateBackend(image_inputs={"pred_iou_thresh": 0.8})``).
    api_token
        Replicate token; overrides ``REPLICATE_API_TOKEN``.
    selection
        Rules that pick the real objects among the proposals (a
        [`SelectionOptions`][sam2_autotrack.SelectionOptions] or a dict of its fields).
    seeds
        Clicks per object and the negative-click policy (a
        [`SeedOptions`][sam2_autotrack.seeds.SeedOptions] or a dict of its fields).
    progress
        A [`ProgressCallback`][sam2_autotrack.ProgressCallback] (e.g.
        [`StderrProgress`][sam2_autotrack.StderrProgress]), or ``None``.
    stream
        Where notes go (default stderr).
    detector
        The open-vocabulary [`Detector`][sam2_autotrack.prompts.Detector] of text prompts. Default:
        Grounding DINO on Replicate
        ([`GroundingDinoDetector`][sam2_autotrack.backends.replicate.GroundingDinoDetector]), made
        at the first text prompt — through the Replicate backend's client, or with ``api_token`` /
        ``REPLICATE_API_TOKEN`` for another backend (without a token a text prompt fails at once:
        there is no offline detector). A detector you pass stays yours to close.

    Examples
    --------
    >>> from sam2_autotrack import AutoTracker
    >>> with AutoTracker(backend="local", seeds={"seeds_per_object": 2}) as tracker:
    ...     tracker.backend.name, tracker.seed_options.seeds_per_object
    ('local', 2)
    """

    def __init__(
        self,
        backend: Backend | BackendChoice = "auto",
        *,
        api_token: str | None = None,
        selection: SelectionOptions | dict[str, Any] | None = None,
        seeds: SeedOptions | dict[str, Any] | None = None,
        progress: ProgressCallback | None = None,
        stream: TextIO | None = None,
        detector: Detector | None = None,
    ) -> None:
        if detector is not None and not isinstance(detector, Detector):
            raise ConfigError(
                f"detector must implement sam2_autotrack.prompts.Detector (name, detect, "
                f"describe, close) or be None; got {type(detector).__name__}"
            )
        self._detector = detector
        self._owns_detector = False
        self._api_token = api_token
        self.selection_options = SelectionOptions.coerce(selection) or SelectionOptions()
        self.seed_options = SeedOptions.coerce(seeds) or SeedOptions()
        if progress is not None and not callable(progress):
            raise ConfigError(
                f"progress must be a callable progress(stage, done, total) or None; got "
                f"{type(progress).__name__}"
            )
        self.progress = progress
        self._stream = stream if stream is not None else sys.stderr
        self._owns_backend = isinstance(backend, str)
        self.backend: Backend = resolve_backend(backend, api_token=api_token, stream=self._stream)

    def __repr__(self) -> str:
        return (
            f"AutoTracker(backend={self.backend.name!r}, "
            f"max_objects={self.selection_options.max_objects}, "
            f"seeds_per_object={self.seed_options.seeds_per_object}, "
            f"negatives={self.seed_options.negatives!r})"
        )

    def close(self) -> None:
        """Close the backend (and detector) connections this tracker created (else nothing)."""
        if self._owns_backend:
            close_backend(self.backend)
        if self._owns_detector and self._detector is not None:
            self._detector.close()

    @property
    def detector(self) -> Detector:
        """The text-prompt detector (made at first use; see the ``detector`` parameter).

        Raises
        ------
        MissingTokenError
            No detector was given, the backend is not Replicate's and there is no token.
        """
        if self._detector is None:
            self._detector, self._owns_detector = default_detector(self.backend, self._api_token)
        return self._detector

    def __enter__(self) -> AutoTracker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def parameters(self) -> dict[str, Any]:
        """Return the settings of this tracker, as recorded in the manifest.

        Returns
        -------
        dict[str, Any]
            ``{"selection": ..., "seeds": ...}``: the selection and seed options as JSON.
        """
        return {
            "selection": self.selection_options.model_dump(mode="json"),
            "seeds": self.seed_options.model_dump(mode="json"),
        }

    # -- the steps ----------------------------------------------------------------------------

    def first_frame(self, video: str | Path) -> NDArray[np.uint8]:
        """Return frame 0 of ``video``: ``(H, W, 3)`` RGB at native size, as the tracker sees it.

        Parameters
        ----------
        video
            Path of the video file.

        Returns
        -------
        numpy.ndarray
            ``(H, W, 3)`` uint8 RGB, rotation metadata applied.

        Raises
        ------
        VideoError
            The file is missing, is not a video, or has no frame.
        """
        return read_frame(Path(video), 0)

    def propose(
        self,
        image_rgb: NDArray[np.uint8],
        *,
        video: str | Path | None = None,
        work_dir: str | Path | None = None,
    ) -> MaskProposals:
        """Ask the backend for automatic mask proposals on ``image_rgb``.

        Parameters
        ----------
        image_rgb
            ``(H, W, 3)`` uint8 RGB frame (usually
            [`first_frame`][sam2_autotrack.AutoTracker.first_frame]).
        video
            The video the frame comes from; the embedded engine reads a few more frames of it to
            tell moving subjects from the background (``None``: the image alone).
        work_dir
            Where the backend keeps its journal and downloads (default: a temporary folder).

        Returns
        -------
        MaskProposals
            ``masks`` ``(N, H, W)`` bool and their ``scores``, with provenance and cost.

        Raises
        ------
        BackendError
            The backend failed (for Replicate: the API, a prediction, a download).
        """
        return self.backend.propose(
            image_rgb,
            video=Path(video) if video is not None else None,
            work_dir=Path(work_dir) if work_dir is not None else default_work_dir(),
        )

    def select(
        self,
        proposals: MaskProposals | NDArray[np.bool_],
        *,
        image_rgb: NDArray[np.uint8] | None = None,
    ) -> Selection:
        """Filter, dedupe and rank proposals; keep the real objects (see `SelectionOptions`).

        Parameters
        ----------
        proposals
            The [`MaskProposals`][sam2_autotrack.MaskProposals], or ``(N, H, W)`` bool masks.
        image_rgb
            The frame the proposals were made on; with it, contrast with the surroundings counts
            in each proposal's objectness.

        Returns
        -------
        Selection
            The kept masks in rank order and one decision (with its reason) per proposal.

        Raises
        ------
        SelectionError
            When no proposal survives, with the counts per rejection reason.
        """
        if isinstance(proposals, MaskProposals):
            masks, scores = proposals.masks, proposals.scores
        else:
            masks, scores = np.asarray(proposals, dtype=bool), None
        selection = select_objects(
            masks, scores=scores, image_rgb=image_rgb, options=self.selection_options
        )
        if len(selection) == 0:
            counts = selection.category_counts()
            summary = ", ".join(f"{n} {category}" for category, n in sorted(counts.items()))
            raise SelectionError(
                f"none of the {masks.shape[0]} proposals looks like an object "
                f"({summary or 'none'}); lower --min-area, raise --max-area-fraction, or relax "
                "the proposal thresholds"
            )
        return selection

    def resolve(
        self,
        prompts: Prompts | dict[str, Any],
        proposals: MaskProposals,
        *,
        image_rgb: NDArray[np.uint8],
        video: str | Path | None = None,
        work_dir: str | Path | None = None,
    ) -> PromptedObjects:
        """Choose the objects the prompts name, in place of `select`.

        Runs the detector on ``image_rgb`` for a text prompt, proposes on the later frames boxes
        are on (reading them from ``video``), and matches every prompt to the proposals
        ([`resolve_prompts`][sam2_autotrack.prompts.resolve_prompts]: the rules, the GrabCut
        fallback).

        Parameters
        ----------
        prompts
            A [`Prompts`][sam2_autotrack.prompts.Prompts] or a dict of its fields (points, boxes,
            proposal numbers, text).
        proposals
            The frame-0 proposals the prompts are matched to.
        image_rgb
            Frame 0 as ``(H, W, 3)`` uint8 RGB.
        video
            The video, needed when a prompt is on a later frame.
        work_dir
            Where the detector and backend keep their journals (default: a temporary folder).

        Returns
        -------
        PromptedObjects
            One object per prompt, with its frame-0 mask, clicks and how it was found.

        Raises
        ------
        ConfigError
            Invalid or empty prompts, a prompt outside the frame, a ``--pick`` number with no
            proposal (the message lists the valid ones), two prompts choosing one proposal.
        MissingTokenError
            A text prompt with no detector available (no token).
        SelectionError
            Nothing usable was found (e.g. the detector found nothing).
        """
        return resolve_for_backend(
            self.backend,
            lambda: self.detector,
            prompts,
            proposals,
            image_rgb=image_rgb,
            video=Path(video) if video is not None else None,
            work_dir=Path(work_dir) if work_dir is not None else default_work_dir(),
        )

    def seed(self, selection: Selection | PromptedObjects | NDArray[np.bool_]) -> ClickSet:
        """Turn selected (or prompted) objects into interior positive clicks (plus negatives).

        Prompted objects also bring their own clicks along
        ([`clicks_from_prompts`][sam2_autotrack.prompts.clicks_from_prompts]).

        Parameters
        ----------
        selection
            A [`Selection`][sam2_autotrack.Selection], the prompted objects of
            [`resolve`][sam2_autotrack.AutoTracker.resolve], or ``(K, H, W)`` bool masks in object
            order.

        Returns
        -------
        ClickSet
            ``seeds_per_object`` positive clicks per object (``obj_1``, ``obj_2``, ... in order) and
            the negatives the [`SeedOptions`][sam2_autotrack.SeedOptions] ask for.
        """
        if isinstance(selection, PromptedObjects):
            return clicks_from_prompts(selection, options=self.seed_options)
        masks = selection.masks if isinstance(selection, Selection) else np.asarray(selection)
        return clicks_from_selection(masks, options=self.seed_options)

    def propagate(
        self,
        video: str | Path,
        clicks: ClickSet,
        *,
        work_dir: str | Path | None = None,
        objects: PromptedObjects | None = None,
    ) -> TrackResult:
        """Track every object of ``clicks`` through ``video``.

        With the prompted ``objects`` the clicks were made from, the embedded engine starts each
        object from its resolved frame-0 mask (a proposal or a GrabCut cut-out) instead of
        finding a region around its clicks again.

        Parameters
        ----------
        video
            Path of the video file.
        clicks
            The seed clicks, in the video's own pixels.
        work_dir
            Where the backend keeps its journal and downloads (default: a temporary folder).
        objects
            The prompted objects the clicks were made from, if any.

        Returns
        -------
        TrackResult
            Per-object masks through the clip, with the clicks, video info and timings (not saved:
            [`track`][sam2_autotrack.AutoTracker.track] writes the run folder).

        Raises
        ------
        VideoError
            The video cannot be read.
        BackendError
            The backend failed (for Replicate: the API, a prediction, a download).
        """
        video = Path(video)
        info = probe_video(video)
        started = time.perf_counter()
        root = Path(work_dir) if work_dir is not None else default_work_dir()
        regions = objects.frame0_masks() if objects is not None else {}
        if regions and isinstance(self.backend, LocalBackend):
            tracks = self.backend.track(
                video, clicks, work_dir=root, progress=self.progress, initial_masks=regions
            )
        else:
            tracks = self.backend.track(video, clicks, work_dir=root, progress=self.progress)
        return TrackResult(
            tracks=tracks,
            clicks=clicks,
            video=video,
            video_info=info,
            backend=self.backend.describe(),
            timings={"track": time.perf_counter() - started},
        )

    # -- the whole job ----------------------------------------------------------------------------

    def track(
        self,
        video: str | Path,
        out_dir: str | Path | None = None,
        *,
        exports: ExportOptions | dict[str, Any] | None = None,
        prompts: Prompts | dict[str, Any] | None = None,
    ) -> TrackResult:
        """Run the whole pipeline on ``video`` and, with ``out_dir``, write the run folder.

        The folder gets ``frame0.png``, ``masks_all/``, ``masks_selected/``, ``clicks.json``,
        ``video_result.json``, ``masks/<object_id>/frame_00000.png``..., the ``exports`` asked for
        (an [`ExportOptions`][sam2_autotrack.export.ExportOptions] or a dict of its fields) and
        ``manifest.json`` (written last: a folder with a manifest is complete).

        With ``prompts`` (a [`Prompts`][sam2_autotrack.prompts.Prompts] or a dict of its fields)
        the objects are the ones the prompts name, not the automatic choice
        ([`resolve`][sam2_autotrack.AutoTracker.resolve] replaces
        [`select`][sam2_autotrack.AutoTracker.select]), and ``prompts.json`` records how each was
        found.

        Parameters
        ----------
        video
            Path of the video file.
        out_dir
            The run folder to write (created if missing). ``None``: nothing is written and only
            the returned result holds the masks.
        exports
            Which exports to write into ``out_dir``: an
            [`ExportOptions`][sam2_autotrack.export.ExportOptions] or a dict of its fields (for
            example ``{"alpha": ("webm",), "per_object": True, "overlay": True}``; ``per_object`` is
            a bool: also one alpha video per object). ``None``: no exports.
        prompts
            What to track instead of the automatic choice: a
            [`Prompts`][sam2_autotrack.prompts.Prompts] or a dict of its fields (``points``,
            ``boxes``, ``picks``, ``text``). ``None``: the selection chooses.

        Returns
        -------
        TrackResult
            The masks, clicks, proposals, selection, timings and cost; ``run_dir`` is ``out_dir``.

        Raises
        ------
        ConfigError
            Invalid ``exports`` or ``prompts``, exports asked for without ``out_dir``, a prompt
            outside the frame or on a frame the backend cannot start from — before any work.
        MissingTokenError
            A text prompt with no detector (no Replicate token) — before any work.
        FFmpegNotFoundError
            A video export is asked for but ffmpeg lacks its encoder — before any work.
        """
        options = self._checked_exports(exports, out_dir)
        chosen = self._checked_prompts(prompts)
        video = Path(video)
        out = Path(out_dir) if out_dir is not None else None
        work_dir = out / "work" if out is not None else default_work_dir()
        timings: dict[str, float] = {}

        if out is not None:
            check_run_dir(out)
        clock = time.perf_counter()
        frame0 = self.first_frame(video)
        timings["read"] = time.perf_counter() - clock
        if chosen is not None:
            frame_count = probe_video(video).frame_count if chosen.later_frames() else None
            height, width = frame0.shape[:2]
            chosen.check_video(resolution_wh=(width, height), frame_count=frame_count)
        if out is not None:
            begin_run(out)  # marked incomplete until its manifest is written
            if chosen is None:  # an earlier prompted run's record would describe other objects
                (out / PROMPTS_NAME).unlink(missing_ok=True)

        clock = time.perf_counter()
        self._progress("propose", 0, 1)
        proposals = self.propose(frame0, video=video, work_dir=work_dir)
        timings["propose"] = time.perf_counter() - clock
        self._progress("propose", 1, 1)

        clock = time.perf_counter()
        selection: Selection | None = None
        objects: PromptedObjects | None = None
        if chosen is not None:
            objects = self.resolve(
                chosen, proposals, image_rgb=frame0, video=video, work_dir=work_dir
            )
            for message in objects.notes:
                note(message, stream=self._stream)
            timings["resolve"] = time.perf_counter() - clock
            clock = time.perf_counter()
            clicks = self.seed(objects)
        else:
            selection = self.select(proposals, image_rgb=frame0)
            timings["select"] = time.perf_counter() - clock
            clock = time.perf_counter()
            clicks = self.seed(selection)
        timings["seed"] = time.perf_counter() - clock

        files: list[Path] = []
        if out is not None:
            files += write_seed_stage(
                out, frame0_rgb=frame0, proposals=proposals, selection=selection, clicks=clicks
            )
            if objects is not None:
                files += write_prompt_stage(out, objects, record=self._prompt_record(chosen))

        tracked = self.propagate(video, clicks, work_dir=work_dir, objects=objects)
        result = tracked.replace(
            timings={**timings, **tracked.timings},
            proposals=proposals,
            selection=selection,
            run_dir=out,
        )
        if out is None:
            return result
        files += write_tracks(out, result)
        clock = time.perf_counter()
        files += write_exports(result, out, options, progress=self.progress)
        result = result.replace(timings={**result.timings, "export": time.perf_counter() - clock})
        parameters = {
            **self.parameters(),
            "exports": options.model_dump(mode="json"),
            **self._prompt_record(chosen),
        }
        write_run_manifest(result, out, files=files, parameters=parameters)
        finish_run(out)
        return result

    def track_many(
        self,
        videos: Sequence[str | Path],
        *,
        out_dir: str | Path,
        concurrency: int = 2,
        exports: ExportOptions | dict[str, Any] | None = None,
        executor: Executor | None = None,
        backend_options: Mapping[str, Any] | None = None,
        prompts: Prompts | dict[str, Any] | None = None,
    ) -> BatchReport:
        """Track several videos; each gets ``out_dir/<stem>/``, one failure never stops the rest.

        By default ``concurrency`` threads share this tracker's backend (the Replicate client is
        shared, so a rate limit hit by one job slows them all instead of failing them).

        With ``executor`` — any `concurrent.futures.Executor`: a process pool, or Dask's
        for many machines (``distributed.Client("tcp://HOST:8786").get_executor()``, see
        [`sam2_autotrack.run.dask_executor`][sam2_autotrack.run.dask_executor]) — each video travels
        as a small picklable [`VideoJob`][sam2_autotrack.run.VideoJob] (backend name and options,
        selection, seed and export options) and the worker builds its own tracker: a tracker's HTTP
        clients and locks never leave this process. The worker writes the video's run folder (paths
        must mean the same on the workers: a shared filesystem) and sends back its row of the
        summary; a worker that dies fails only its own videos. Progress is reported as ``("videos",
        done, total)``.

        Either way a video whose run folder is already complete with the same backend and options
        is not redone (its row says ``skipped``), and an interrupted one is run again (a
        Replicate prediction recorded in its ``work/`` is resumed, not paid again).

        Parameters
        ----------
        videos
            The input videos.
        out_dir
            Parent folder of the run folders.
        concurrency
            Threads when no ``executor`` is given.
        exports, prompts
            [`track`][sam2_autotrack.AutoTracker.track]'s, checked once before any video is read
            (the same prompts for every video).
        executor
            Where to run the videos instead of this process's threads.
        backend_options
            With ``executor``: keyword arguments the workers give their backend's constructor.
            Needed when this tracker was given a backend *instance* (which cannot travel); a
            tracker built from ``"auto"``/``"local"``/``"replicate"`` sends its backend's name.

        Raises
        ------
        ConfigError
            Invalid ``concurrency``, ``exports`` or ``prompts``; a backend instance with an
            ``executor`` but no ``backend_options``.

        Returns
        -------
        BatchReport
            One item per video, in input order (``ok``, ``skipped`` or ``failed`` with its
            error), with its run folder; ``report.table()`` prints them.
        """
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise ConfigError(f"concurrency must be an integer >= 1; got {concurrency!r}")
        options = self._checked_exports(exports, out_dir)
        chosen = self._checked_prompts(prompts)
        paths = [Path(v) for v in videos]
        if executor is not None:
            jobs = self._jobs(paths, Path(out_dir), options, chosen, backend_options)
            return run_jobs(jobs, executor=executor, runner=track_video_job, progress=self.progress)
        name = self.backend.name

        def one(video: Path, run_dir: Path) -> TrackResult | BatchItem:
            job = VideoJob(
                video, run_dir, "replicate" if name == "replicate" else "local",
                selection=self.selection_options, seeds=self.seed_options, exports=options,
                prompts=chosen,
            )  # fmt: skip
            done = completed_item(job) if name in ("local", "replicate") else None
            if done is not None:
                return done
            return self.track(video, run_dir, exports=options, prompts=chosen)

        return run_batch(paths, one, out_dir=Path(out_dir), concurrency=concurrency)

    def _jobs(
        self,
        videos: list[Path],
        out_dir: Path,
        exports: ExportOptions,
        prompts: Prompts | None,
        backend_options: Mapping[str, Any] | None,
    ) -> list[VideoJob]:
        name = self.backend.name
        if name not in ("local", "replicate"):
            raise ConfigError(
                f"backend {name!r} cannot be rebuilt on other workers; executor= needs the "
                "'local' or 'replicate' backend (or run without executor=)"
            )
        if backend_options is None and not self._owns_backend:
            raise ConfigError(
                "this tracker was given a backend instance, which holds connections and locks "
                "and cannot be sent to workers; pass backend_options={...} (the keyword "
                "arguments of its constructor, {} for the defaults) or build the tracker from "
                f"'{name}'"
            )
        kind: Literal["local", "replicate"] = "replicate" if name == "replicate" else "local"
        extra = dict(backend_options or {})
        return [
            VideoJob(
                video,
                run_dir,
                kind,
                extra,
                self.selection_options,
                self.seed_options,
                exports,
                prompts,
            )
            for video, run_dir in zip(videos, unique_run_dirs(videos, out_dir), strict=True)
        ]

    # -- helpers ----------------------------------------------------------------------------------

    def _checked_exports(
        self, exports: ExportOptions | dict[str, Any] | None, out_dir: str | Path | None
    ) -> ExportOptions:
        options = ExportOptions.coerce(exports) or ExportOptions()
        if options.wants_files and out_dir is None:
            raise ConfigError(
                "exports need an output folder: pass out_dir (track(video, out_dir, exports=...))"
                " or write them later with sam2_autotrack.run.export_run(result, out_dir, ...)"
            )
        require_export_tools(options)
        return options

    def _checked_prompts(self, prompts: Prompts | dict[str, Any] | None) -> Prompts | None:
        """Coerce and check prompts against the backend; make sure text has a detector."""
        chosen = coerce_prompts(prompts)
        if chosen is not None:
            check_prompts_for_backend(chosen, self.backend)
            if chosen.text:
                _ = self.detector  # no token: fails here, before any work
        return chosen

    def _prompt_record(self, prompts: Prompts | None) -> dict[str, Any]:
        """Return the prompts as given (and the detector) for prompts.json and the manifest."""
        if prompts is None:
            return {}
        record: dict[str, Any] = {"prompts": prompts.model_dump(mode="json")}
        if prompts.text:
            record["detector"] = self.detector.describe()
        return record

    def _progress(self, stage: str, done: int, total: int | None) -> None:
        if self.progress is not None:
            self.progress(stage, done, total)


def track_video_job(job: VideoJob) -> BatchItem:
    """Run one [`VideoJob`][sam2_autotrack.run.VideoJob] on a worker; return its summary row.

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
            tracker = AutoTracker(
                backend, selection=job.selection, seeds=job.seeds, stream=io.StringIO()
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
