"""`TrackResult`: the masks, clicks and provenance a tracking run hands back, checked when built.

A result is data: it never writes files. The run folder is written and read by
`sam2_autotrack.run.folder`, the manifest by `sam2_autotrack.run.manifest` and the
exports by [`export_run`][sam2_autotrack.run.export_run] (or
[`write_exports`][sam2_autotrack.export.write_exports], which takes any
[`MaskedVideo`][sam2_autotrack.export.MaskedVideo], a result among them).
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

    Frozen: build a changed copy with [`replace`][sam2_autotrack.TrackResult.replace]. Checked when
    built: the masks must be in the video's pixel space, every clicked object must have masks, and
    the clicks and the selection must match the objects.

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
        The backend's [`describe`][sam2_autotrack.Backend.describe] record.
    timings
        Seconds per stage (``"propose"``, ``"select"``, ``"seed"``, ``"track"``, ...).
    proposals
        The frame-0 proposals, when this run made them (``None`` otherwise).
    selection
        The selection made from ``proposals``, when this run made it (``None`` otherwise).
    run_dir
        The folder the run was saved to, if any.

    Raises
    ------
    ConfigError
        ``tracks`` or ``clicks`` of the wrong type, an ``fps`` that is not a positive number, or a
        negative or non-finite timing.
    MaskError
        Masks of another size than the video, a clicked object with no masks, or a selection
        with another number of objects than the clicks.
    MaskSizeError
        Clicks made on a frame of another size than the masks.

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
        # objects re-discovered on later keyframes are not in the frame-0 selection
        selected = {c.object_id for c in self.clicks if c.frame == 0}
        if self.selection is not None and len(self.selection) != len(selected):
            raise MaskError(
                f"the selection has {len(self.selection)} objects but the clicks have "
                f"{len(selected)} on frame 0; pass the selection the clicks were made from"
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
        """Wrap bare tracks (no probed video) in a result, e.g. in tests and notebooks.

        Parameters
        ----------
        tracks
            Per-object masks and their frame indices.
        clicks
            The clicks that seeded them (their object ids must all have masks).
        fps
            Source frame rate, or ``None`` when unknown.
        video
            The source video, if there is one (the video exports read it).

        Returns
        -------
        TrackResult
            A result with no probed video info, backend record, timings, proposals or selection.

        Raises
        ------
        ConfigError, MaskError
            As the constructor: the checks are the same.
        """
        return cls(tracks=tracks, clicks=clicks, fps=fps, video=video)

    def replace(self, **changes: Any) -> TrackResult:
        """Return a copy with ``changes`` applied and checked (this result is unchanged).

        Parameters
        ----------
        **changes
            New values of the result's fields, by name (``timings={...}``, ``run_dir=...``).

        Returns
        -------
        TrackResult
            The changed copy, checked as a new result is.

        Raises
        ------
        ConfigError, MaskError
            As the constructor, when the changed fields do not fit together.
        """
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

    @property
    def first_frames(self) -> dict[str, int]:
        """Per object id, the frame it was first seeded on (its first click's frame).

        ``0`` for the frame-0 objects; a keyframe for the objects re-discovery found later.
        """
        first: dict[str, int] = {}
        for click in self.clicks:
            first[click.object_id] = min(first.get(click.object_id, click.frame), click.frame)
        return {oid: first.get(oid, 0) for oid in self.tracks.object_ids}

    @property
    def scene_cuts(self) -> tuple[int, ...]:
        """The frames that start a new shot, when the backend looked for them (else ``()``)."""
        return tuple(int(f) for f in self.tracks.info.get("scene_cuts") or ())

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
        [`mask_sequence`][sam2_autotrack.TrackResult.mask_sequence] or
        [`iter_masks`][sam2_autotrack.TrackResult.iter_masks], which never hold the whole stack.

        Parameters
        ----------
        object_id
            One of [`object_ids`][sam2_autotrack.TrackResult.object_ids] (``"obj_1"``, ...).

        Returns
        -------
        numpy.ndarray
            ``(T, H, W)`` bool, one mask per tracked frame.

        Raises
        ------
        KeyError
            No object of that id; the message lists the ids there are.
        """
        return self.mask_sequence(object_id).to_array()

    def mask_sequence(self, object_id: str) -> MaskSequence:
        """Return one object's compressed masks: index a frame, iterate, or read ``areas``.

        Frame ``t`` (``seq[t]``) is decoded when it is asked for; a loaded run's sequences read
        it from the run folder. Nothing else is held in memory but a few bytes per frame.

        Parameters
        ----------
        object_id
            One of [`object_ids`][sam2_autotrack.TrackResult.object_ids].

        Returns
        -------
        MaskSequence
            The object's masks, one per tracked frame (the result's own, not a copy).

        Raises
        ------
        KeyError
            No object of that id; the message lists the ids there are.
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

        Yields
        ------
        tuple[int, dict[str, numpy.ndarray]]
            The source frame index and each object's ``(H, W)`` bool mask on it, in
            [`frame_indices`][sam2_autotrack.TrackResult.frame_indices] order.
        """
        sequences = self.tracks.masks
        for position, frame in enumerate(self.frame_indices.tolist()):
            yield int(frame), {oid: seq[position] for oid, seq in sequences.items()}

    def union_masks(self) -> UnionSequence:
        """Return the union of every object's masks as a lazy ``(T, H, W)`` view.

        ``union[t]`` computes frame ``t``'s ``(H, W)`` bool union when it is asked for; iterate it
        frame by frame, or take the whole stack with ``np.asarray(union)`` (short clips).

        Returns
        -------
        UnionSequence
            One ``(H, W)`` union per tracked frame, computed on demand.
        """
        return UnionSequence(self.tracks.masks.values())

    @functools.cached_property
    def health(self) -> dict[str, tuple[HealthIssue, ...]]:
        """Per object id, the stretches of its track not to trust; ``()`` is a healthy track.

        Each `HealthIssue` is a ``kind`` — ``"lost"`` (empty for
        many frames), ``"drift"`` (area changing several-fold within a few frames), ``"leak"``
        (growing into a neighbour that shrinks), ``"jump"`` (centroid teleporting) — over mask
        frames ``[start, stop)`` (positions in `frame_indices`), with a ``detail``. It is
        the backend's record (``tracks.info["health"]``, measured as it tracked), restored from
        the run folder by `load_run`, or — for a result built from
        arrays — judged from the masks the first time it is asked for (one frame at a time,
        `measure_health` with its default thresholds). A track that ends at a scene cut (see
        `scene_cuts`) is not *lost* there: its shot ended.

        Raises
        ------
        MaskError
            The recorded health is malformed.
        """
        recorded = self.tracks.info.get("health")
        health: dict[str, tuple[HealthIssue, ...]] | None = None
        if recorded is not None:
            judged = health_from_json(recorded)
            if set(judged) == set(self.object_ids):
                health = {oid: judged[oid] for oid in self.object_ids}
        if health is None:
            measured = measure_health(self.tracks.masks)
            health = {oid: measured[oid].issues for oid in self.object_ids}
        return self._without_shot_ends(health)

    def _without_shot_ends(
        self, health: dict[str, tuple[HealthIssue, ...]]
    ) -> dict[str, tuple[HealthIssue, ...]]:
        """Drop the ``lost`` issues that start at a scene cut: the track ended with its shot."""
        cuts = set(self.scene_cuts)
        if not cuts:
            return health
        indices = [int(i) for i in self.frame_indices]

        def at_a_cut(issue: HealthIssue) -> bool:
            if issue.kind != "lost" or not 0 <= issue.start < len(indices):
                return False
            before = indices[issue.start - 1] if issue.start > 0 else -1
            return any(before < cut <= indices[issue.start] for cut in cuts)

        return {
            oid: tuple(issue for issue in issues if not at_a_cut(issue))
            for oid, issues in health.items()
        }

    def areas(self) -> dict[str, NDArray[np.int64]]:
        """Return each object's mask area in pixels per mask frame (drift shows up as a jump).

        Returns
        -------
        dict[str, numpy.ndarray]
            ``{object_id: (T,) int64}`` pixel counts, one per tracked frame.
        """
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
        (``F`` = [`frame_count`][sam2_autotrack.TrackResult.frame_count]) or exactly the mask
        frames; with a frame interval > 1 it is cut down to
        [`frame_indices`][sam2_autotrack.TrackResult.frame_indices]. Arrays or sequences (a
        [`MaskSequence`][sam2_autotrack.masks.MaskSequence], another run's
        [`mask_sequence`][sam2_autotrack.TrackResult.mask_sequence]) are accepted; the tracks and
        sequences are read frame by frame, never stacked. ``protocol`` and ``objects`` are those of
        [`sam2_autotrack.evaluation.evaluate`][sam2_autotrack.evaluation.evaluate].

        Parameters
        ----------
        ground_truth
            ``{gt_id: (F, H, W) bool}`` ground-truth masks, arrays or mask sequences.
        protocol
            ``"davis-unsupervised"`` (every frame, Hungarian matching of objects) or
            ``"davis-semi-supervised"`` (object ``k`` compared with ground-truth object ``k``).
        objects
            Which ground-truth objects are scored: ``"all"``, ``"davis-frame0-labels"`` or
            ``"present_at_start"``.
        void
            Optional ``(F, H, W)`` bool mask of pixels to ignore (DAVIS label 255).

        Returns
        -------
        EvaluationReport
            Per-object J and F scores, their means, and the matching used.

        Raises
        ------
        ConfigError
            An unknown ``protocol`` or ``objects`` mode.
        EvaluationError
            Ground truth that is not a ``(F, H, W)`` mask stack, of another shape or frame count
            than the tracks, or none to score.
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
