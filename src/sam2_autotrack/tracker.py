"""`AutoTracker`: the small facade that composes video I/O, a backend, selection and seeding.

It composes the steps and nothing else: the steps live in [`selection`][sam2_autotrack.selection]
(or [`prompts`][sam2_autotrack.prompts] when the user says what to track),
[`seeds`][sam2_autotrack.seeds] and the backends, the run folder in [`run`][sam2_autotrack.run], the
exports in [`export`][sam2_autotrack.export].
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import Any, TextIO

import numpy as np
from numpy.typing import NDArray

from sam2_autotrack._pipeline import (
    check_exports,
    check_prompts,
    prompt_record,
    require_objects,
    track_video,
)
from sam2_autotrack._prompting import default_detector, resolve_for_backend
from sam2_autotrack._worker import run_video_job, track_batch
from sam2_autotrack.backends.base import Backend, MaskProposals, ProgressCallback
from sam2_autotrack.backends.resolve import BackendChoice, close_backend, resolve_backend
from sam2_autotrack.clicks import ClickSet
from sam2_autotrack.errors import ConfigError
from sam2_autotrack.export.options import ExportOptions
from sam2_autotrack.prompts import Detector, PromptedObjects, Prompts, clicks_from_prompts
from sam2_autotrack.rediscovery.options import RediscoveryOptions, coerce_rediscovery
from sam2_autotrack.rediscovery.run import track_objects
from sam2_autotrack.run.batch import BatchItem, BatchReport
from sam2_autotrack.run.jobs import VideoJob
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
    rediscover
        Re-discovery of objects that appear after frame 0 (entering, or after a scene cut): a
        keyframe spacing in frames, ``"auto"`` (2 s of video), a
        [`RediscoveryOptions`][sam2_autotrack.rediscovery.RediscoveryOptions] or a dict of its
        fields. Default ``"auto"``: a keyframe every 2 s of video and the first frame of every
        shot (on Replicate each keyframe is one ``meta/sam-2`` prediction, and each keyframe
        that finds objects one more trimmed ``meta/sam-2-video`` prediction); ``None``/``0``:
        off, only the objects of frame 0.

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
        rediscover: RediscoveryOptions | dict[str, Any] | int | str | None = "auto",
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
        self.rediscovery = coerce_rediscovery(rediscover)
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

    def parameters(
        self, *, exports: ExportOptions | None = None, prompts: Prompts | None = None
    ) -> dict[str, Any]:
        """Return the settings of this tracker (and of a run), as recorded in the manifest.

        Parameters
        ----------
        exports
            A run's export options, recorded under ``"exports"`` when given.
        prompts
            A run's prompts, recorded under ``"prompts"`` (with the detector for text) when given.

        Returns
        -------
        dict[str, Any]
            ``{"selection": ..., "seeds": ...}``: the selection and seed options as JSON, plus
            ``"rediscovery"`` when it is on and the run's ``exports`` and ``prompts``.
        """
        recorded: dict[str, Any] = {
            "selection": self.selection_options.model_dump(mode="json"),
            "seeds": self.seed_options.model_dump(mode="json"),
        }
        if self.rediscovery is not None:
            recorded["rediscovery"] = self.rediscovery.model_dump(mode="json")
        if exports is not None:
            recorded["exports"] = exports.model_dump(mode="json")
        return {**recorded, **prompt_record(prompts, lambda: self.detector)}

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
        return require_objects(selection, masks.shape[0])

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
        finding a region around its clicks again. With re-discovery on, the objects found on
        keyframes are tracked too and the result's clicks hold theirs (each on its keyframe).

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
        tracks, clicks = track_objects(
            self.backend, video, clicks, regions=objects.frame0_masks() if objects else {},
            rediscovery=self.rediscovery, selection=self.selection_options,
            seeds=self.seed_options, fps=info.fps if info.fps > 0 else None, work_dir=root,
            progress=self.progress,
        )  # fmt: skip
        return TrackResult(
            tracks=tracks, clicks=clicks, video=video, video_info=info,
            backend=self.backend.describe(), timings={"track": time.perf_counter() - started},
        )  # fmt: skip

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
        options = check_exports(exports, out_dir)
        chosen = check_prompts(prompts, self.backend, lambda: self.detector)
        out = Path(out_dir) if out_dir is not None else None
        work_dir = out / "work" if out is not None else default_work_dir()
        return track_video(
            self, Path(video), out, exports=options, prompts=chosen, work_dir=work_dir,
            stream=self._stream,
        )  # fmt: skip

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
        options = check_exports(exports, out_dir)
        chosen = check_prompts(prompts, self.backend, lambda: self.detector)
        return track_batch(
            self, [Path(v) for v in videos], Path(out_dir), exports=options, prompts=chosen,
            concurrency=concurrency, executor=executor, backend_options=backend_options,
            owns_backend=self._owns_backend, runner=track_video_job,
        )  # fmt: skip


def track_video_job(job: VideoJob) -> BatchItem:
    """Run one [`VideoJob`][sam2_autotrack.run.VideoJob] on a worker; return its summary row.

    The worker builds its own backend and tracker from the job (a Replicate worker reads
    ``REPLICATE_API_TOKEN`` from its own environment), writes the run folder, and returns a row
    without the masks (they stay in the run folder). A folder already complete with the same
    settings is not redone. An [`AutotrackError`][sam2_autotrack.AutotrackError] or ``OSError``
    becomes a failed row; anything else propagates.
    """
    return run_video_job(job, AutoTracker)
