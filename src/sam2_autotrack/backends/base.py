"""The small protocol every tracking backend implements, and the values it exchanges.

A backend does two things: propose object masks on one image, and track objects through a video
from a click set. [`AutoTracker`][sam2_autotrack.AutoTracker] composes them with the (backend-free)
mask selection and seed generation. The embedded CPU engine and the Replicate backend both implement
it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.backends.cost import CostReport
from sam2_autotrack.clicks import ClickSet, check_object_id
from sam2_autotrack.errors import MaskError
from sam2_autotrack.masks.store import MaskSequence
from sam2_autotrack.masks.validate import as_mask_stack

__all__ = ["Backend", "DiscoverCallback", "MaskProposals", "ObjectTracks", "ProgressCallback"]

ProgressCallback = Callable[[str, int, "int | None"], None]
"""``progress(stage, done, total)``: called as work advances; ``total`` is ``None`` if unknown."""

DiscoverCallback = Callable[
    [int, NDArray[np.uint8], Mapping[str, NDArray[np.bool_]], bool],
    Mapping[str, NDArray[np.bool_]],
]
"""``discover(frame_index, frame_rgb, live_masks, after_cut) -> {new_object_id: (H, W) bool}``.

Called by an engine that re-discovers objects while it tracks (the embedded engine) on a keyframe
with the masks of the objects still tracked there (``after_cut``: the frame starts a new shot and
no track survived it); returns the objects to start tracking from that frame, with their ids
(none: an empty mapping). [`sam2_autotrack.rediscovery`][sam2_autotrack.rediscovery] makes one.
"""


def _check_cost(cost: object) -> None:
    if not isinstance(cost, CostReport):
        raise MaskError(
            f"cost must be a CostReport (sam2_autotrack.backends.CostReport); got "
            f"{type(cost).__name__}"
        )


@dataclass(frozen=True)
class MaskProposals:
    """Automatic mask proposals on one image.

    Parameters
    ----------
    masks
        ``(N, H, W)`` bool, one mask per proposal, at the image's own size.
    scores
        ``(N,)`` model confidence per proposal (predicted IoU / stability), or ``None``.
    prediction_id
        The remote prediction that produced them, if any.
    seconds
        Wall time spent producing them.
    cost
        The remote predictions made for them (empty for local engines).
    """

    masks: NDArray[np.bool_]
    scores: NDArray[np.float64] | None = None
    prediction_id: str | None = None
    seconds: float = 0.0
    cost: CostReport = field(default_factory=CostReport)

    def __post_init__(self) -> None:
        _check_cost(self.cost)
        masks = as_mask_stack(self.masks, name="proposal masks", axes="(N, H, W)")
        object.__setattr__(self, "masks", masks)
        if self.scores is not None:
            scores = np.asarray(self.scores, dtype=np.float64)
            if scores.shape != (masks.shape[0],):
                raise MaskError(
                    f"scores must have shape ({masks.shape[0]},) to match the masks; "
                    f"got {scores.shape}"
                )
            object.__setattr__(self, "scores", scores)

    def __len__(self) -> int:
        return int(self.masks.shape[0])

    @property
    def resolution_wh(self) -> tuple[int, int]:
        """``(width, height)`` of the masks."""
        return (int(self.masks.shape[2]), int(self.masks.shape[1]))


@dataclass(frozen=True)
class ObjectTracks:
    """Per-object masks through a video, as a backend returns them.

    The masks are held as [`MaskSequence`][sam2_autotrack.masks.MaskSequence] (each frame
    compressed, a few kilobytes), so memory does not grow by megabytes per frame; a backend appends
    frame by frame. ``(T, H, W)`` arrays are accepted too and compressed on construction.

    Parameters
    ----------
    masks
        ``{object_id: MaskSequence or (T, H, W) bool}``; every object has the same ``(T, H, W)``.
    frame_indices
        ``(T,)`` source-frame index of each mask frame (``0, k, 2k, ...`` for an output frame
        interval ``k``).
    frame_count
        Number of frames in the source video.
    prediction_ids
        Remote predictions that produced the tracks (empty for local engines).
    predict_time
        Billed seconds of remote compute, when known.
    info
        Backend-specific details worth recording (model versions, strategy, ...).
    cost
        The remote predictions made for the tracks: ids, models, purposes, frames uploaded and
        predict time (empty for local engines).
    """

    masks: Mapping[str, MaskSequence]
    frame_indices: NDArray[np.int64]
    frame_count: int
    prediction_ids: tuple[str, ...] = ()
    predict_time: float | None = None
    info: Mapping[str, Any] = field(default_factory=dict)
    cost: CostReport = field(default_factory=CostReport)

    def __post_init__(self) -> None:
        _check_cost(self.cost)
        if not self.masks:
            raise MaskError(
                "masks is empty; pass {object_id: (T, H, W) bool array or MaskSequence} with one "
                "object"
            )
        sequences: dict[str, MaskSequence] = {}
        for object_id, value in self.masks.items():
            try:
                check_object_id(object_id)
            except ValueError as exc:
                raise MaskError(f"tracks for an unusable object id: {exc}") from None
            sequences[object_id] = (
                value
                if isinstance(value, MaskSequence)
                else MaskSequence.from_array(value, name=f"masks[{object_id!r}]")
            )
        shapes = {s.shape for s in sequences.values()}
        if len(shapes) != 1:
            raise MaskError(
                f"every object's masks must have the same (T, H, W) shape; got {sorted(shapes)}"
            )
        shape = next(iter(shapes))
        indices = np.asarray(self.frame_indices, dtype=np.int64)
        if indices.shape != (shape[0],):
            raise MaskError(
                f"frame_indices must have shape ({shape[0]},) to match the masks; "
                f"got {indices.shape}"
            )
        if indices.size and (np.any(np.diff(indices) <= 0) or indices[0] < 0):
            raise MaskError("frame_indices must be non-negative and strictly increasing")
        if indices.size and indices[-1] >= self.frame_count:
            raise MaskError(
                f"frame index {int(indices[-1])} is beyond the video's {self.frame_count} frames"
            )
        object.__setattr__(self, "masks", sequences)
        object.__setattr__(self, "frame_indices", indices)

    @property
    def object_ids(self) -> tuple[str, ...]:
        """Object ids in insertion order."""
        return tuple(self.masks)

    @property
    def resolution_wh(self) -> tuple[int, int]:
        """``(width, height)`` of the masks."""
        return next(iter(self.masks.values())).resolution_wh


@runtime_checkable
class Backend(Protocol):
    """What [`AutoTracker`][sam2_autotrack.AutoTracker] needs from an engine.

    Implementations: [`LocalBackend`][sam2_autotrack.LocalBackend] (embedded CPU engine) and
    [`ReplicateBackend`][sam2_autotrack.ReplicateBackend] (hosted SAM 2).
    """

    @property
    def name(self) -> str:
        """Short name recorded in manifests (``"local"``, ``"replicate"``)."""
        ...

    def propose(
        self,
        image_rgb: NDArray[np.uint8],
        *,
        video: Path | None = None,
        work_dir: Path | None = None,
    ) -> MaskProposals:
        """Propose object masks on one ``(H, W, 3)`` RGB image at its native size.

        Parameters
        ----------
        image_rgb
            ``(H, W, 3)`` uint8 RGB image, at the video's own size.
        video
            The clip the image is frame 0 of, for engines that use motion cues.
        work_dir
            Where a backend may keep journals and downloads (``None``: a temporary folder or
            nothing).

        Returns
        -------
        MaskProposals
            Candidate masks at the image's size, possibly overlapping, with optional scores.
        """
        ...

    def track(
        self,
        video: Path,
        clicks: ClickSet,
        *,
        work_dir: Path | None = None,
        progress: ProgressCallback | None = None,
    ) -> ObjectTracks:
        """Track every object of ``clicks`` through ``video``.

        Parameters
        ----------
        video
            The video file.
        clicks
            The seed clicks, grouped by object id, in the video's own pixel space.
        work_dir
            Where a backend may keep journals, uploads and downloads (and resume from them).
        progress
            Called as ``progress(stage, done, total)`` while the work goes on.

        Returns
        -------
        ObjectTracks
            One mask sequence per object id of ``clicks``, with the tracked frame indices.
        """
        ...

    def describe(self) -> dict[str, Any]:
        """Backend name, versions and settings, for the run manifest (never a secret).

        Returns
        -------
        dict[str, Any]
            A JSON-ready record; ``"name"`` is the backend's [`name`][sam2_autotrack.Backend.name].
        """
        ...

    def close(self) -> None:
        """Release connections and other resources (a no-op for engines that hold none)."""
        ...
