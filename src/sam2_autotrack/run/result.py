"""`TrackResult`: the masks, clicks and provenance a tracking run hands back, checked when built.

A result is data: it never writes files. The run folder is written and read by
:mod:`sam2_autotrack.run.folder`, the manifest by :mod:`sam2_autotrack.run.manifest` and the
exports by :func:`~sam2_autotrack.run.export_run` (or :func:`~sam2_autotrack.export.write_exports`,
which takes any :class:`~sam2_autotrack.export.MaskedVideo`, a result among them).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.backends.base import MaskProposals, ObjectTracks
from sam2_autotrack.backends.cost import CostReport
from sam2_autotrack.clicks import ClickSet
from sam2_autotrack.errors import ConfigError, MaskError, MaskSizeError
from sam2_autotrack.masks.health import HealthIssue
from sam2_autotrack.masks.health_meter import health_from_json, measure_health
from sam2_autotrack.masks.store import MaskSequence
from sam2_autotrack.masks.union import UnionSequence
from sam2_autotrack.video.probe import VideoInfo

if TYPE_CHECKING:
    from sam2_autotrack.evaluation import EvaluationReport, ObjectsMode, Protocol
    from sam2_autotrack.evaluation.frames import MaskSource
    from sam2_autotrack.selection.decisions import Selection

__all__ = ["TrackResult"]


@dataclass(frozen=True, eq=False)
class TrackResult:
    """Per-object masks through a video, with the clicks and provenance that produced them.

    Frozen: build a changed copy with :meth:`replace`. Checked when built: the masks must be in
    the video's pixel space, every clicked object must have masks, and the clicks and the
    selection must match the objects.

    Parameters
    ----------
    tracks
        The backend's per-object masks (``(T, H, W)`` bool per object) and frame indices.
    clicks
        The click set that seeded the tracker.
    video
        The source video the masks belong to (the video exports read it again).
    video_info
        Its probed properties (size as the tracker sees it, fps, frame count).
    fps
        Source frame rate; default ``video_info.fps`` (``None`` when unknown).
    backend
        The backend's :meth:`~sam2_autotrack.Backend.describe` record.
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
    >>> r = TrackResult(tracks=tracks, clicks=clicks, fps=25.0)
    >>> len(r), r.object_ids, r.masks("obj_1").shape, r.areas()["obj_1"].tolist()
    (1, ('obj_1',), (2, 4, 6), [4, 4])
    >>> r.replace(timings={"track": 1.5}).timings
    {'track': 1.5}
    >>> r.health
    {'obj_1': ()}
    """

    tracks: ObjectTracks
    clicks: ClickSet
    video: Path | None = None
    video_info: VideoInfo | None = None
    fps: float | None = None
    backend: Mapping[str, Any] = field(default_factory=dict)
    timings: Mapping[str, float] = field(default_factory=dict)
    proposals: MaskProposals | None = None
    selection: Selection | None = None
    run_dir: Path | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.tracks, ObjectTracks):
            raise ConfigError(f"tracks must be ObjectTracks; got {type(self.tracks).__name__}")
        if not isinstance(self.clicks, ClickSet):
            raise ConfigError(f"clicks must be a ClickSet; got {type(self.clicks).__name__}")
        tracks = self.tracks
        width, height = tracks.resolution_wh
        info = self.video_info
        if info is not None and tracks.resolution_wh != info.resolution_wh:
            raise MaskError(
                f"tracked masks are {width}x{height} but the video is {info.width}x{info.height}; "
                "masks must be in the video's own pixel space"
            )
        clicked = self.clicks.resolution_wh
        if clicked is not None and tuple(clicked) != tracks.resolution_wh:
            raise MaskSizeError(
                f"the clicks were made on a {clicked[0]}x{clicked[1]} frame but the masks are "
                f"{width}x{height}; clicks and masks must be in the video's own pixel space",
                expected_wh=tracks.resolution_wh,
                actual_wh=(int(clicked[0]), int(clicked[1])),
            )
        missing = [oid for oid in self.clicks.object_ids if oid not in tracks.masks]
        if missing:
            raise MaskError(
                f"the tracker returned no masks for {', '.join(missing)}; got "
                f"{', '.join(tracks.object_ids)}"
            )
        if self.selection is not None and len(self.selection) != len(self.clicks.object_ids):
            raise MaskError(
                f"the selection has {len(self.selection)} objects but the clicks have "
                f"{len(self.clicks.object_ids)}; pass the selection the clicks were made from"
            )
        fps = self.fps
        if fps is None and info is not None and info.fps > 0:
            fps = float(info.fps)
        if fps is not None and not (math.isfinite(float(fps)) and float(fps) > 0):
            raise ConfigError(f"fps must be a positive number or None; got {fps!r}")
        timings: dict[str, float] = {}
        for stage, seconds in dict(self.timings).items():
            if not math.isfinite(float(seconds)) or float(seconds) < 0:
                raise ConfigError(f"timings[{stage!r}] must be seconds >= 0; got {seconds!r}")
            timings[str(stage)] = float(seconds)
        object.__setattr__(self, "video", Path(self.video) if self.video is not None else None)
        object.__setattr__(
            self, "run_dir", Path(self.run_dir) if self.run_dir is not None else None
        )
        object.__setattr__(self, "fps", float(fps) if fps is not None else None)
        object.__setattr__(self, "backend", dict(self.backend))
        object.__setattr__(self, "timings", timings)

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
        return cls(tracks=tracks, clicks=clicks, fps=fps, video=video)

    def replace(self, **changes: Any) -> TrackResult:
        """Return a copy with ``changes`` applied and checked (this result is unchanged)."""
        return dataclasses.replace(self, **changes)

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
    def prediction_ids(self) -> tuple[str, ...]:
        """Remote prediction ids (proposal prediction first), empty for the local engine."""
        ids: list[str] = []
        if self.proposals is not None and self.proposals.prediction_id:
            ids.append(self.proposals.prediction_id)
        ids.extend(self.tracks.prediction_ids)
        return tuple(ids)

    @property
    def cost(self) -> CostReport:
        """The run's remote predictions: the proposals' then the tracks' (empty when local).

        Predictions made, frames each uploaded, predict time; ``cost.summary()`` is one line.
        """
        proposals = self.proposals.cost if self.proposals is not None else CostReport()
        return proposals + self.tracks.cost

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
        from sam2_autotrack.viz.strip import filmstrip

        return filmstrip(self, n=6).to_png()

    def masks(self, object_id: str) -> NDArray[np.bool_]:
        """Return ``(T, H, W)`` bool masks of one object (a new array; T = ``len(frame_indices)``).

        It costs ``T × H × W`` bytes (0.9 MB per 720p frame): for long videos use
        :meth:`mask_sequence` or :meth:`iter_masks`, which never hold the whole stack.
        """
        return self.mask_sequence(object_id).to_array()

    def mask_sequence(self, object_id: str) -> MaskSequence:
        """Return one object's compressed masks: index a frame, iterate, or read ``areas``.

        Frame ``t`` (``seq[t]``) is decoded when it is asked for; a loaded run's sequences read
        it from the run folder. Nothing else is held in memory but a few bytes per frame.
        """
        try:
            return self.tracks.masks[object_id]
        except KeyError:
            raise KeyError(
                f"no object {object_id!r}; this result has {', '.join(self.object_ids)}"
            ) from None

    def iter_masks(self) -> Iterator[tuple[int, dict[str, NDArray[np.bool_]]]]:
        """Yield ``(source_frame_index, {object_id: (H, W) bool})`` frame by frame.

        Only one frame's masks are in memory at a time, whatever the length of the video.
        """
        sequences = self.tracks.masks
        for position, frame in enumerate(self.frame_indices.tolist()):
            yield int(frame), {oid: seq[position] for oid, seq in sequences.items()}

    def union_masks(self) -> UnionSequence:
        """Return the union of every object's masks as a lazy ``(T, H, W)`` view.

        ``union[t]`` computes frame ``t``'s ``(H, W)`` bool union when it is asked for; iterate it
        frame by frame, or take the whole stack with ``np.asarray(union)`` (short clips).
        """
        return UnionSequence(self.tracks.masks.values())

    @functools.cached_property
    def health(self) -> dict[str, tuple[HealthIssue, ...]]:
        """Per object id, the stretches of its track not to trust; ``()`` is a healthy track.

        Each :class:`~sam2_autotrack.masks.HealthIssue` is a ``kind`` — ``"lost"`` (empty for
        many frames), ``"drift"`` (area changing several-fold within a few frames), ``"leak"``
        (growing into a neighbour that shrinks), ``"jump"`` (centroid teleporting) — over mask
        frames ``[start, stop)`` (positions in :attr:`frame_indices`), with a ``detail``. It is
        the backend's record (``tracks.info["health"]``, measured as it tracked), restored from
        the run folder by :func:`~sam2_autotrack.run.load_run`, or — for a result built from
        arrays — judged from the masks the first time it is asked for (one frame at a time,
        :func:`~sam2_autotrack.masks.measure_health` with its default thresholds).

        Raises
        ------
        MaskError
            The recorded health is malformed.
        """
        recorded = self.tracks.info.get("health")
        if recorded is not None:
            health = health_from_json(recorded)
            if set(health) == set(self.object_ids):
                return {oid: health[oid] for oid in self.object_ids}
        measured = measure_health(self.tracks.masks)
        return {oid: measured[oid].issues for oid in self.object_ids}

    def areas(self) -> dict[str, NDArray[np.int64]]:
        """Return each object's mask area in pixels per mask frame (drift shows up as a jump)."""
        return {oid: seq.areas for oid, seq in self.tracks.masks.items()}

    def evaluate(
        self,
        ground_truth: Mapping[str, MaskSource],
        *,
        protocol: Protocol = "davis-unsupervised",
        objects: ObjectsMode = "all",
        void: MaskSource | None = None,
    ) -> EvaluationReport:
        """Score these tracks against ground truth ``{gt_id: (F, H, W) bool}`` (DAVIS J&F).

        The ground truth (and the optional ``(F, H, W)`` void mask) covers every source frame
        (``F`` = :attr:`frame_count`) or exactly the mask frames; with a frame interval > 1 it is
        cut down to :attr:`frame_indices`. Arrays or sequences (a
        :class:`~sam2_autotrack.masks.MaskSequence`, another run's :meth:`mask_sequence`) are
        accepted; the tracks and sequences are read frame by frame, never stacked. ``protocol``
        and ``objects`` are those of :func:`sam2_autotrack.evaluation.evaluate`.
        """
        from sam2_autotrack.evaluation import evaluate
        from sam2_autotrack.evaluation.frames import as_mask_frames, picked_frames

        def mask_frames(masks: Any, name: str) -> MaskSource:
            frames = as_mask_frames(masks, name=name)
            if len(frames) == self.frame_count and len(self.frame_indices) != self.frame_count:
                return picked_frames(frames, self.frame_indices.tolist())
            return frames

        truth = {gid: mask_frames(m, f"ground_truth[{gid!r}]") for gid, m in ground_truth.items()}
        return evaluate(
            dict(self.tracks.masks),
            truth,
            protocol=protocol,
            objects=objects,
            void=None if void is None else mask_frames(void, "void"),
        )
