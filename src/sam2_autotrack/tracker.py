"""`AutoTracker`: the small facade that composes video I/O, a backend, selection and seeding."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, TextIO

import cv2
import numpy as np
from numpy.typing import NDArray

from sam2_autotrack._fs import atomic_path, file_sha256, write_json_atomic
from sam2_autotrack.backends.base import Backend, MaskProposals, ProgressCallback
from sam2_autotrack.clicks import ClickSet
from sam2_autotrack.errors import AutotrackError, SelectionError
from sam2_autotrack.masks.cleanup import MaskCleanup
from sam2_autotrack.masks.png import write_mask_png
from sam2_autotrack.progress import note
from sam2_autotrack.run.batch import BatchReport, run_batch
from sam2_autotrack.run.manifest import write_manifest
from sam2_autotrack.run.result import AlphaCodec, TrackResult
from sam2_autotrack.seeds.points import clicks_from_selection
from sam2_autotrack.selection.select import Selection, SelectionOptions, select_objects
from sam2_autotrack.video.reader import probe_video, read_frame

__all__ = ["AutoTracker", "BackendChoice", "default_work_dir"]

BackendChoice = Literal["auto", "local", "replicate"]
NegativePolicy = Literal["touching", "none"]


def default_work_dir() -> Path:
    """Where backends keep journals when a run has no output folder (the user cache dir)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "sam2_autotrack"


def resolve_backend(
    choice: Backend | BackendChoice,
    *,
    api_token: str | None = None,
    replicate_options: Mapping[str, Any] | None = None,
    stream: TextIO | None = None,
) -> Backend:
    """Turn ``"auto" | "local" | "replicate"`` (or a ready backend) into a backend.

    ``"auto"`` uses Replicate when a token is given or ``REPLICATE_API_TOKEN`` is set, and the
    embedded CPU engine otherwise — saying so on stderr. ``replicate_options`` are the keyword
    arguments of :class:`~sam2_autotrack.ReplicateBackend` (option objects or dicts, e.g.
    ``{"image_inputs": {"use_m2m": False}, "timeouts": {"prediction": 600}}``), used when it is
    chosen.
    """
    if not isinstance(choice, str):
        return choice
    if choice not in ("auto", "local", "replicate"):
        raise AutotrackError(
            f"unknown backend {choice!r}; use 'auto', 'local', 'replicate' or a Backend instance"
        )
    token = api_token or os.environ.get("REPLICATE_API_TOKEN") or None
    if choice == "replicate" or (choice == "auto" and token):
        from sam2_autotrack.backends.replicate.backend import ReplicateBackend

        return ReplicateBackend(api_token=token, **dict(replicate_options or {}))
    from sam2_autotrack.backends.local.backend import LocalBackend

    if choice == "auto":
        note(
            "no REPLICATE_API_TOKEN set: using the embedded CPU engine (backend='local'); set the "
            "token or pass backend='replicate' to use hosted SAM 2",
            stream=stream,
        )
    return LocalBackend()


class AutoTracker:
    """Track the objects of a video with no human clicks.

    ``track()`` does everything; the steps are public for notebooks:
    :meth:`first_frame` → :meth:`propose` → :meth:`select` → :meth:`seed` → :meth:`propagate`.

    Parameters
    ----------
    backend
        ``"auto"`` (Replicate when ``REPLICATE_API_TOKEN`` is set, else the embedded CPU engine),
        ``"local"``, ``"replicate"``, or any object implementing :class:`~sam2_autotrack.Backend`
        (e.g. ``ReplicateBackend(image_inputs={"pred_iou_thresh": 0.8})``).
    api_token
        Replicate token; overrides ``REPLICATE_API_TOKEN``.
    selection
        Rules that pick the real objects among the proposals (see :class:`SelectionOptions`).
    seeds_per_object
        Positive clicks per object.
    negatives
        ``"touching"``: a background click in each neighbour that touches an object, where a leak
        is likely; ``"none"``: positive clicks only.
    progress
        A :data:`~sam2_autotrack.ProgressCallback` (e.g. :class:`StderrProgress`), or ``None``.
    stream
        Where notes go (default stderr).

    Examples
    --------
    >>> from sam2_autotrack import AutoTracker
    >>> tracker = AutoTracker(backend="local")
    >>> tracker.backend.name
    'local'
    """

    def __init__(
        self,
        backend: Backend | BackendChoice = "auto",
        *,
        api_token: str | None = None,
        selection: SelectionOptions | None = None,
        seeds_per_object: int = 3,
        negatives: NegativePolicy = "touching",
        progress: ProgressCallback | None = None,
        stream: TextIO | None = None,
    ) -> None:
        if seeds_per_object < 1:
            raise AutotrackError(f"seeds_per_object must be ≥ 1; got {seeds_per_object}")
        if negatives not in ("touching", "none"):
            raise AutotrackError(f"negatives must be 'touching' or 'none'; got {negatives!r}")
        self._stream = stream if stream is not None else sys.stderr
        self.backend: Backend = resolve_backend(backend, api_token=api_token, stream=self._stream)
        self.selection_options = selection if selection is not None else SelectionOptions()
        self.seeds_per_object = seeds_per_object
        self.negatives: NegativePolicy = negatives
        self.progress = progress

    def __repr__(self) -> str:
        return (
            f"AutoTracker(backend={self.backend.name!r}, "
            f"max_objects={self.selection_options.max_objects}, "
            f"seeds_per_object={self.seeds_per_object}, negatives={self.negatives!r})"
        )

    # -- the steps ----------------------------------------------------------------------------

    def first_frame(self, video: str | Path) -> NDArray[np.uint8]:
        """Return frame 0 of ``video``: ``(H, W, 3)`` RGB at native size, as the tracker sees it."""
        return read_frame(Path(video), 0)

    def propose(
        self,
        image_rgb: NDArray[np.uint8],
        *,
        video: str | Path | None = None,
        work_dir: str | Path | None = None,
    ) -> MaskProposals:
        """Ask the backend for automatic mask proposals on ``image_rgb``."""
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
        """Filter, dedupe and rank proposals; keep the real objects (see :class:`SelectionOptions`).

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

    def seed(self, selection: Selection | NDArray[np.bool_]) -> ClickSet:
        """Turn selected masks into interior positive clicks (plus negatives where they help)."""
        masks = selection.masks if isinstance(selection, Selection) else np.asarray(selection)
        return clicks_from_selection(
            masks, seeds_per_object=self.seeds_per_object, negatives=self.negatives
        )

    def propagate(
        self,
        video: str | Path,
        clicks: ClickSet,
        *,
        work_dir: str | Path | None = None,
    ) -> TrackResult:
        """Track every object of ``clicks`` through ``video``."""
        video = Path(video)
        info = probe_video(video)
        started = time.perf_counter()
        tracks = self.backend.track(
            video,
            clicks,
            work_dir=Path(work_dir) if work_dir is not None else default_work_dir(),
            progress=self.progress,
        )
        return TrackResult(
            video=video,
            video_info=info,
            clicks=clicks,
            tracks=tracks,
            backend=self.backend.describe(),
            timings={"track": time.perf_counter() - started},
        )

    # -- the whole job ----------------------------------------------------------------------------

    def track(
        self,
        video: str | Path,
        out_dir: str | Path | None = None,
        *,
        alpha: Sequence[AlphaCodec] = (),
        per_object: bool = False,
        overlay: bool = False,
        coco: bool = False,
        palette: bool = False,
        cleanup: MaskCleanup | None = None,
        ffmpeg: str | Path | None = None,
    ) -> TrackResult:
        """Run the whole pipeline on ``video`` and, with ``out_dir``, write the run folder.

        The folder gets ``frame0.png``, ``masks_all/``, ``masks_selected/``, ``clicks.json``,
        ``video_result.json``, ``masks/<object_id>/frame_00000.png``..., the requested exports and
        ``manifest.json`` (written last: a folder with a manifest is complete).
        """
        video = Path(video)
        timings: dict[str, float] = {}
        clock = time.perf_counter()
        frame0 = read_frame(video, 0)
        timings["read"] = time.perf_counter() - clock

        out = Path(out_dir) if out_dir is not None else None
        work_dir = out / "work" if out is not None else default_work_dir()

        clock = time.perf_counter()
        self._progress("propose", 0, 1)
        proposals = self.propose(frame0, video=video, work_dir=work_dir)
        timings["propose"] = time.perf_counter() - clock
        self._progress("propose", 1, 1)

        clock = time.perf_counter()
        selection = self.select(proposals, image_rgb=frame0)
        timings["select"] = time.perf_counter() - clock

        clock = time.perf_counter()
        clicks = self.seed(selection)
        timings["seed"] = time.perf_counter() - clock

        if out is not None:
            self._write_seed_stage(out, frame0, proposals, selection, clicks)

        result = self.propagate(video, clicks, work_dir=work_dir)
        result.timings = {**timings, **result.timings}
        result.proposals = proposals
        result.selection = selection
        result.run_dir = out
        if out is not None:
            self._write_outputs(
                result,
                out,
                alpha=alpha,
                per_object=per_object,
                overlay=overlay,
                coco=coco,
                palette=palette,
                cleanup=cleanup,
                ffmpeg=ffmpeg,
            )
        return result

    def track_many(
        self,
        videos: Sequence[str | Path],
        *,
        out_dir: str | Path,
        concurrency: int = 2,
        **exports: Any,
    ) -> BatchReport:
        """Track several videos, ``concurrency`` at a time, sharing this tracker's backend.

        Each video gets ``out_dir/<stem>/``; one failing video does not stop the others (its
        row in the report says why). The Replicate backend's client is shared, so a rate limit
        hit by one job slows them all instead of failing them. ``exports`` are :meth:`track`'s.
        """
        paths = [Path(v) for v in videos]
        return run_batch(
            paths,
            lambda video, run_dir: self.track(video, run_dir, **exports),
            out_dir=Path(out_dir),
            concurrency=concurrency,
        )

    # -- writing ----------------------------------------------------------------------------------

    def _progress(self, stage: str, done: int, total: int | None) -> None:
        if self.progress is not None:
            self.progress(stage, done, total)

    def _write_seed_stage(
        self,
        out: Path,
        frame0: NDArray[np.uint8],
        proposals: MaskProposals,
        selection: Selection,
        clicks: ClickSet,
    ) -> None:
        with atomic_path(out / "frame0.png") as tmp:
            if not cv2.imwrite(str(tmp), cv2.cvtColor(frame0, cv2.COLOR_RGB2BGR)):
                raise AutotrackError(f"could not write {out / 'frame0.png'}; is the disk full?")
        for index, mask in enumerate(proposals.masks):
            write_mask_png(out / "masks_all" / f"proposal_{index:03d}.png", mask)
        for object_id, mask in zip(clicks.object_ids, selection.masks, strict=True):
            write_mask_png(out / "masks_selected" / f"{object_id}.png", mask)
        write_json_atomic(out / "clicks.json", clicks.to_json_dict())

    def _write_outputs(
        self,
        result: TrackResult,
        out: Path,
        *,
        alpha: Sequence[AlphaCodec],
        per_object: bool,
        overlay: bool,
        coco: bool,
        palette: bool,
        cleanup: MaskCleanup | None,
        ffmpeg: str | Path | None,
    ) -> None:
        tracks = result.tracks
        files: list[Path] = [out / "frame0.png", out / "clicks.json"]
        files += sorted((out / "masks_all").glob("*.png"))
        files += sorted((out / "masks_selected").glob("*.png"))
        video_result = {
            "backend": result.backend,
            "object_ids": list(tracks.object_ids),
            "frame_indices": tracks.frame_indices.tolist(),
            "frame_count": tracks.frame_count,
            "prediction_ids": list(result.prediction_ids),
            "predict_time": tracks.predict_time,
            "info": _jsonable(tracks.info),
        }
        files.append(write_json_atomic(out / "video_result.json", video_result))
        for paths in result.to_mask_pngs(out / "masks").values():
            files.extend(paths)
        clock = time.perf_counter()
        self._progress("export", 0, 1)
        files += result.export(
            out,
            alpha=alpha,
            per_object=per_object,
            overlay=overlay,
            coco=coco,
            palette=palette,
            cleanup=cleanup,
            ffmpeg=ffmpeg,
        )
        result.timings["export"] = time.perf_counter() - clock
        self._progress("export", 1, 1)
        write_run_manifest(result, out, files=files, parameters=self.parameters())

    def parameters(self) -> dict[str, Any]:
        """Return the settings of this tracker, as recorded in the manifest."""
        return {
            "selection": self.selection_options.model_dump(mode="json"),
            "seeds_per_object": self.seeds_per_object,
            "negatives": self.negatives,
        }


def write_run_manifest(
    result: TrackResult, out: Path, *, files: Sequence[Path], parameters: dict[str, Any]
) -> Path:
    """Write the manifest of ``result`` into ``out``: inputs, parameters, clicks, files, timings."""
    video = result.video
    inputs: dict[str, Any] = {"video": str(video.resolve()) if video else None}
    if video is not None and video.is_file():
        inputs["video_sha256"] = file_sha256(video)
        inputs["video_bytes"] = video.stat().st_size
    inputs["video_info"] = result.video_info_dict()
    tracks = result.tracks
    return write_manifest(
        out,
        inputs=inputs,
        parameters=parameters,
        backend=result.backend,
        clicks=result.clicks.to_json_dict(),
        tracks={
            "object_ids": list(tracks.object_ids),
            "frame_indices": tracks.frame_indices.tolist(),
            "frame_count": tracks.frame_count,
            "prediction_ids": list(result.prediction_ids),
            "predict_time": tracks.predict_time,
        },
        timings=result.timings,
        files=files,
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    return value
