"""`TrackResult`: what a tracking run hands back, with its exporters and its on-disk form."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.backends.base import MaskProposals, ObjectTracks
from sam2_autotrack.clicks import ClickSet
from sam2_autotrack.errors import ExportError, MaskError
from sam2_autotrack.export.alpha import AlphaCodec, union_of, write_alpha_video
from sam2_autotrack.export.coco import write_coco_json
from sam2_autotrack.export.overlay import write_overlay_video
from sam2_autotrack.export.sequences import write_mask_sequences, write_palette_pngs
from sam2_autotrack.masks.cleanup import MaskCleanup
from sam2_autotrack.masks.png import decode_mask
from sam2_autotrack.run.manifest import MANIFEST_NAME
from sam2_autotrack.video.reader import VideoInfo

if TYPE_CHECKING:
    from sam2_autotrack.evaluation.scores import EvaluationReport
    from sam2_autotrack.selection.select import Selection

__all__ = ["AlphaCodec", "TrackResult"]

_ALPHA_SUFFIX: dict[str, str] = {"webm": ".webm", "prores": ".mov"}


class TrackResult:
    """Per-object masks through a video, with the clicks and provenance that produced them.

    Parameters
    ----------
    video
        The source video the masks belong to.
    video_info
        Its probed properties (size as the tracker sees it, fps, frame count).
    clicks
        The click set that seeded the tracker.
    tracks
        The backend's per-object masks (``(T, H, W)`` bool per object) and frame indices.
    backend
        The backend's :meth:`~sam2_autotrack.Backend.describe` output.
    timings
        Seconds per stage (``"propose"``, ``"select"``, ``"seed"``, ``"track"``, ...).
    proposals, selection
        The frame-0 proposals and the selection made from them, when this run made them.
    run_dir
        The folder the run was saved to, if any.

    Examples
    --------
    >>> import numpy as np
    >>> from sam2_autotrack import Click, ClickSet, ObjectTracks
    >>> masks = np.zeros((2, 4, 6), bool); masks[:, 1:3, 1:3] = True
    >>> tracks = ObjectTracks(masks={"obj_1": masks}, frame_indices=np.arange(2), frame_count=2)
    >>> clicks = ClickSet.build([Click(x=1, y=1)], resolution_wh=(6, 4))
    >>> r = TrackResult.from_arrays(tracks, clicks=clicks, fps=25.0)
    >>> len(r), r.object_ids, r.masks("obj_1").shape
    (1, ('obj_1',), (2, 4, 6))
    """

    def __init__(
        self,
        *,
        video: Path | None,
        video_info: VideoInfo | None,
        clicks: ClickSet,
        tracks: ObjectTracks,
        backend: Mapping[str, Any] | None = None,
        timings: Mapping[str, float] | None = None,
        proposals: MaskProposals | None = None,
        selection: Selection | None = None,
        run_dir: Path | None = None,
        fps: float | None = None,
    ) -> None:
        if video_info is not None and tracks.resolution_wh != video_info.resolution_wh:
            raise MaskError(
                f"tracked masks are {tracks.resolution_wh[0]}x{tracks.resolution_wh[1]} but the "
                f"video is {video_info.width}x{video_info.height}; masks must be in the video's "
                "own pixel space"
            )
        missing = [oid for oid in clicks.object_ids if oid not in tracks.masks]
        if missing:
            raise MaskError(
                f"the tracker returned no masks for {', '.join(missing)}; got "
                f"{', '.join(tracks.object_ids)}"
            )
        self.video = Path(video) if video is not None else None
        self.video_info = video_info
        self.clicks = clicks
        self.tracks = tracks
        self.backend: dict[str, Any] = dict(backend or {})
        self.timings: dict[str, float] = dict(timings or {})
        self.proposals = proposals
        self.selection = selection
        self.run_dir = run_dir
        self._fps = fps if fps is not None else (video_info.fps if video_info else None)

    @classmethod
    def from_arrays(
        cls,
        tracks: ObjectTracks,
        *,
        clicks: ClickSet,
        fps: float | None = None,
        video: Path | None = None,
    ) -> TrackResult:
        """Wrap bare tracks (no probed video) in a result, e.g. in tests and notebooks."""
        return cls(video=video, video_info=None, clicks=clicks, tracks=tracks, fps=fps)

    # -- the shape of the result ----------------------------------------------------------------

    @property
    def object_ids(self) -> tuple[str, ...]:
        """Object ids in click order (``obj_1``, ``obj_2``, ...)."""
        return self.tracks.object_ids

    @property
    def frame_count(self) -> int:
        """Number of frames in the source video."""
        return self.tracks.frame_count

    @property
    def frame_indices(self) -> NDArray[np.int64]:
        """``(T,)`` source-frame index of each mask frame."""
        return self.tracks.frame_indices

    @property
    def resolution_wh(self) -> tuple[int, int]:
        """``(width, height)`` of the masks (the video's own pixel space)."""
        return self.tracks.resolution_wh

    @property
    def fps(self) -> float | None:
        """Source frame rate, when known."""
        return self._fps

    @property
    def prediction_ids(self) -> tuple[str, ...]:
        """Remote prediction ids (proposal prediction first), empty for the local engine."""
        ids: list[str] = []
        if self.proposals is not None and self.proposals.prediction_id:
            ids.append(self.proposals.prediction_id)
        ids.extend(self.tracks.prediction_ids)
        return tuple(ids)

    def __len__(self) -> int:
        return len(self.object_ids)

    def __iter__(self) -> Iterator[str]:
        return iter(self.object_ids)

    def __getitem__(self, key: str | int) -> NDArray[np.bool_]:
        object_id = self.object_ids[key] if isinstance(key, int) else key
        return self.masks(object_id)

    def __repr__(self) -> str:
        w, h = self.resolution_wh
        return (
            f"TrackResult(objects={list(self.object_ids)}, frames={len(self.frame_indices)}/"
            f"{self.frame_count}, resolution_wh=({w}, {h}), backend={self.backend.get('name')!r})"
        )

    def _repr_png_(self) -> bytes | None:
        """Show a filmstrip of the tracks in Jupyter (nothing when the source video is gone)."""
        if self.video is None or not self.video.is_file():
            return None
        from sam2_autotrack.viz.figures import filmstrip

        return filmstrip(self, n=6).to_png()

    def masks(self, object_id: str) -> NDArray[np.bool_]:
        """Return ``(T, H, W)`` bool masks of one object (a copy; T = ``len(frame_indices)``)."""
        try:
            stack = self.tracks.masks[object_id]
        except KeyError:
            raise KeyError(
                f"no object {object_id!r}; this result has {', '.join(self.object_ids)}"
            ) from None
        return np.array(stack, dtype=bool, copy=True)

    def union_masks(self) -> NDArray[np.bool_]:
        """Return the ``(T, H, W)`` bool union of every object's masks."""
        return union_of(self.tracks.masks)

    def areas(self) -> dict[str, NDArray[np.int64]]:
        """Return each object's mask area in pixels per mask frame (drift shows up as a jump)."""
        return {
            oid: m.reshape(m.shape[0], -1).sum(axis=1).astype(np.int64)
            for oid, m in self.tracks.masks.items()
        }

    # -- exporters --------------------------------------------------------------------------------

    def _source(self) -> Path:
        if self.video is None:
            raise ExportError(
                "this result has no source video, so video exports are impossible; build it with "
                "video=... or load it from a run folder"
            )
        if not self.video.is_file():
            raise ExportError(
                f"the source video {self.video} is missing; video exports re-read it — put it "
                "back at that path or set result.video to where it is now"
            )
        return self.video

    def to_alpha_video(
        self,
        path: str | Path,
        *,
        object_id: str | None = None,
        codec: AlphaCodec = "webm",
        cleanup: MaskCleanup | None = None,
        ffmpeg: str | Path | None = None,
    ) -> Path:
        """Write a true-alpha video of one object (or of the union when ``object_id`` is None).

        WebM VP9 (``yuva420p``) or ProRes 4444 (``yuva444p10le``), at the source fps with exactly
        the source frame count (masks from a frame interval > 1 are held, not stretched).
        """
        mask = self.union_masks() if object_id is None else self.masks(object_id)
        return write_alpha_video(
            self._source(),
            mask,
            frame_indices=self.frame_indices,
            frame_count=self.frame_count,
            out_path=Path(path),
            codec=codec,
            fps=self.fps,
            cleanup=cleanup if cleanup is not None else MaskCleanup(),
            ffmpeg=ffmpeg,
        )

    def to_overlay_video(
        self,
        path: str | Path,
        *,
        cleanup: MaskCleanup | None = None,
        ffmpeg: str | Path | None = None,
    ) -> Path:
        """Write an H.264 preview with a colour per object and the object ids drawn."""
        return write_overlay_video(
            self._source(),
            self.tracks.masks,
            frame_indices=self.frame_indices,
            frame_count=self.frame_count,
            out_path=Path(path),
            fps=self.fps,
            cleanup=cleanup,
            ffmpeg=ffmpeg,
        )

    def to_mask_pngs(
        self, directory: str | Path, *, cleanup: MaskCleanup | None = None
    ) -> dict[str, list[Path]]:
        """Write one folder of white-on-black PNG masks per object (``<id>/frame_00000.png``)."""
        return write_mask_sequences(
            self.tracks.masks,
            frame_indices=self.frame_indices,
            out_dir=Path(directory),
            cleanup=cleanup,
        )

    def to_palette_pngs(
        self, directory: str | Path, *, cleanup: MaskCleanup | None = None
    ) -> list[Path]:
        """Write one indexed (DAVIS-style palette) PNG per mask frame."""
        return write_palette_pngs(
            self.tracks.masks,
            frame_indices=self.frame_indices,
            out_dir=Path(directory),
            cleanup=cleanup,
        )

    def to_coco(self, path: str | Path, *, cleanup: MaskCleanup | None = None) -> Path:
        """Write COCO-style JSON with a pycocotools-compatible RLE per object per frame."""
        name = self.video.name if self.video is not None else "video"
        return write_coco_json(
            self.tracks.masks,
            frame_indices=self.frame_indices,
            out_path=Path(path),
            video_name=name,
            resolution_wh=self.resolution_wh,
            cleanup=cleanup,
        )

    def export(
        self,
        out_dir: str | Path,
        *,
        alpha: Sequence[AlphaCodec] = (),
        per_object: bool = False,
        overlay: bool = False,
        coco: bool = False,
        palette: bool = False,
        cleanup: MaskCleanup | None = None,
        ffmpeg: str | Path | None = None,
    ) -> list[Path]:
        """Write the requested exports under ``out_dir`` and return the files written.

        ``alpha`` codecs give ``alpha/union.<ext>`` and, with ``per_object``, one file per object
        (``alpha/<id>.<ext>``); ``overlay`` gives ``overlay.mp4``; ``coco`` gives ``coco.json``;
        ``palette`` gives ``palette/frame_00000.png``... The same ``cleanup`` applies to every
        export.
        """
        out = Path(out_dir)
        written: list[Path] = []
        for codec in alpha:
            if codec not in _ALPHA_SUFFIX:
                raise ExportError(f"unknown alpha codec {codec!r}; use 'webm' or 'prores'")
            suffix = _ALPHA_SUFFIX[codec]
            written.append(
                self.to_alpha_video(
                    out / "alpha" / f"union{suffix}", codec=codec, cleanup=cleanup, ffmpeg=ffmpeg
                )
            )
            if per_object:
                for oid in self.object_ids:
                    written.append(
                        self.to_alpha_video(
                            out / "alpha" / f"{oid}{suffix}",
                            object_id=oid,
                            codec=codec,
                            cleanup=cleanup,
                            ffmpeg=ffmpeg,
                        )
                    )
        if overlay:
            written.append(
                self.to_overlay_video(out / "overlay.mp4", cleanup=cleanup, ffmpeg=ffmpeg)
            )
        if coco:
            written.append(self.to_coco(out / "coco.json", cleanup=cleanup))
        if palette:
            written.extend(self.to_palette_pngs(out / "palette", cleanup=cleanup))
        return written

    # -- evaluation -------------------------------------------------------------------------------

    def evaluate(
        self,
        ground_truth: Mapping[str, NDArray[np.bool_]],
        *,
        objects: Literal["present_at_start", "all"] = "present_at_start",
    ) -> EvaluationReport:
        """Score these tracks against ground truth ``{gt_id: (F, H, W) bool}`` (DAVIS J&F).

        The ground truth covers every source frame (``F`` = :attr:`frame_count`) or exactly the
        mask frames; with a frame interval > 1 it is cut down to :attr:`frame_indices`.
        """
        from sam2_autotrack.evaluation.scores import evaluate

        truth = {
            gid: (
                np.asarray(m)[self.frame_indices]
                if np.asarray(m).shape[0] == self.frame_count
                and len(self.frame_indices) != self.frame_count
                else np.asarray(m)
            )
            for gid, m in ground_truth.items()
        }
        return evaluate(self.tracks.masks, truth, objects=objects)

    # -- persistence ------------------------------------------------------------------------------

    @classmethod
    def load(cls, run_dir: str | Path) -> TrackResult:
        """Load a run folder written by :meth:`AutoTracker.track` (manifest + per-object masks)."""
        run = Path(run_dir)
        manifest_path = run / MANIFEST_NAME
        if not manifest_path.is_file():
            raise ExportError(
                f"{run} is not a run folder: {MANIFEST_NAME} is missing; pass the --out folder of "
                "a finished `sam2-autotrack track` run"
            )
        manifest = json.loads(manifest_path.read_text())
        clicks = ClickSet.model_validate(
            {key: manifest["clicks"][key] for key in ("clicks", "resolution_wh")}
        )
        info_dict = manifest["input"]["video_info"]
        info = VideoInfo(
            **{
                **info_dict,
                "path": Path(info_dict["path"]),
                "sample_aspect_ratio": tuple(info_dict["sample_aspect_ratio"]),
            }
        )
        masks_root = run / "masks"
        frame_indices = np.asarray(manifest["tracks"]["frame_indices"], dtype=np.int64)
        masks: dict[str, NDArray[np.bool_]] = {}
        for oid in manifest["tracks"]["object_ids"]:
            masks[oid] = _load_sequence(masks_root / oid, frame_indices, info.resolution_wh)
        tracks = ObjectTracks(
            masks=masks,
            frame_indices=frame_indices,
            frame_count=int(manifest["tracks"]["frame_count"]),
            prediction_ids=tuple(manifest["tracks"].get("prediction_ids", ())),
            predict_time=manifest["tracks"].get("predict_time"),
        )
        video = Path(manifest["input"]["video"])
        return cls(
            video=video,
            video_info=info,
            clicks=clicks,
            tracks=tracks,
            backend=manifest.get("backend"),
            timings=manifest.get("timings"),
            run_dir=run,
        )

    def video_info_dict(self) -> dict[str, Any] | None:
        """Return the probed video properties as JSON-ready values."""
        if self.video_info is None:
            return None
        info = dataclasses.asdict(self.video_info)
        info["path"] = str(self.video_info.path)
        info["sample_aspect_ratio"] = list(self.video_info.sample_aspect_ratio)
        return info


def _load_sequence(
    folder: Path, frame_indices: NDArray[np.int64], resolution_wh: tuple[int, int]
) -> NDArray[np.bool_]:
    width, height = resolution_wh
    out = np.zeros((len(frame_indices), height, width), dtype=bool)
    for t, index in enumerate(frame_indices):
        path = folder / f"frame_{int(index):05d}.png"
        if not path.is_file():
            raise ExportError(
                f"mask {path} is missing; the run folder is incomplete — re-run "
                "`sam2-autotrack track` (a Replicate prediction is resumed, not paid again)"
            )
        out[t] = decode_mask(path, expected_wh=resolution_wh)
    return out
