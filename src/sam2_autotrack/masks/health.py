"""Tracks that say when they are unsure: loss, drift, leaks and jumps, from the masks alone.

[`track_health`][sam2_autotrack.masks.track_health] (and
[`judge_track`][sam2_autotrack.masks.judge_track], the same on series measured frame by frame with
[`TrackMeter`][sam2_autotrack.masks.TrackMeter], as ``LocalBackend.track`` does) flags per object:

* **lost** -- the mask is empty (or below ``min_area`` pixels) for at least ``lost_frames``
  consecutive frames after having been visible: the object left, is hidden, or the tracker let
  go of it;
* **drift** -- within ``drift_window`` frames the area changes by at least ``drift_ratio`` times
  (up or down): real objects change size smoothly, a tracker that slid onto the background or
  collapsed to a sliver does not (a fast swing; the slow drift of an area curve is
  [`area_drifts`][sam2_autotrack.masks.area_drifts]);
* **leak** -- another object's area shrinks by at least ``leak_shrink`` of it from one frame to
  the next (net: an object that only moves loses pixels at its trailing edge but keeps its
  size), at least ``leak_fraction`` of the pixels it lost now belong to this object, and this
  object *grew* by at least half of what it took, for at least ``leak_frames`` frames in a row.
  An occluder passing in front of something takes its pixels too, but keeps its own size, and an
  object revealed behind one that moves away grows while the mover keeps its size: neither is
  flagged;
* **jump** -- the centroid moves by more than ``jump_fraction`` of the frame's diagonal between
  consecutive frames (teleporting onto something else).

The thresholds ([`HealthOptions`][sam2_autotrack.masks.HealthOptions]) are defaults that separate
the generated suite's clean tracks from deliberately corrupted copies of them; they are meant to be
reported, not to stop a run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import Field

from sam2_autotrack._options import Options
from sam2_autotrack.errors import MaskError
from sam2_autotrack.masks.series import TrackMeter, TrackSeries
from sam2_autotrack.masks.validate import as_mask_stack

__all__ = [
    "ISSUE_KINDS",
    "HealthIssue",
    "HealthOptions",
    "IssueKind",
    "TrackHealth",
    "judge_track",
    "track_health",
]

IssueKind = Literal["lost", "drift", "leak", "jump"]
ISSUE_KINDS: tuple[IssueKind, ...] = ("lost", "drift", "leak", "jump")


class HealthOptions(Options):
    """Thresholds of `track_health` (see the module notes for each issue).

    Attributes
    ----------
    min_area
        Masks with fewer pixels count as empty.
    lost_frames
        Consecutive empty frames (after the object was seen) that make the track *lost*.
    drift_ratio, drift_window
        Area changing by at least ``drift_ratio`` times within ``drift_window`` frames is
        *drift*.
    leak_fraction, leak_shrink
        See *leak* in the module notes.
    leak_frames
        A leak must go on for at least this many consecutive frames (a real leak keeps
        spreading; one frame of it is as likely a revealed object's outline).
    jump_fraction
        Centroid jump, as a fraction of the frame diagonal, that counts as a *jump*.

    Examples
    --------
    >>> HealthOptions().drift_ratio
    3.0
    """

    min_area: int = Field(16, ge=1)
    lost_frames: int = Field(5, ge=1)
    drift_ratio: float = Field(3.0, gt=1.0)
    drift_window: int = Field(3, ge=1)
    leak_fraction: float = Field(0.5, gt=0.0, le=1.0)
    leak_frames: int = Field(2, ge=1)
    leak_shrink: float = Field(0.2, ge=0.0, le=1.0)
    jump_fraction: float = Field(0.15, gt=0.0)


@dataclass(frozen=True)
class HealthIssue:
    """One doubtful stretch of a track: ``kind`` over mask frames ``[start, stop)``, and why.

    ``start`` and ``stop`` are positions in the track (mask frames), not source-frame numbers:
    with an output frame interval, source frame ``frame_indices[start]`` starts the stretch.

    Examples
    --------
    >>> issue = HealthIssue("lost", 6, 12, "empty for 6 frames")
    >>> issue.to_json()
    {'kind': 'lost', 'start': 6, 'stop': 12, 'detail': 'empty for 6 frames'}
    >>> HealthIssue.from_json(issue.to_json()) == issue
    True
    """

    kind: IssueKind
    start: int
    stop: int
    detail: str

    def to_json(self) -> dict[str, Any]:
        """Return the issue as a JSON-ready record.

        Returns
        -------
        dict
            ``{"kind", "start", "stop", "detail"}``.
        """
        return {"kind": self.kind, "start": self.start, "stop": self.stop, "detail": self.detail}

    @classmethod
    def from_json(cls, data: Any) -> HealthIssue:
        """Rebuild an issue from `to_json`'s record (other keys are ignored).

        Parameters
        ----------
        data
            The record.

        Returns
        -------
        HealthIssue
            The issue.

        Raises
        ------
        MaskError
            ``data`` is not such a record.
        """
        try:
            kind, start, stop = data["kind"], int(data["start"]), int(data["stop"])
            detail = str(data["detail"])
        except (TypeError, KeyError, ValueError):
            raise MaskError(
                f"a track health issue must be {{'kind', 'start', 'stop', 'detail'}}; got "
                f"{data!r:.80}"
            ) from None
        if kind not in ISSUE_KINDS or not 0 <= start < stop:
            raise MaskError(
                f"a track health issue needs a kind in {', '.join(ISSUE_KINDS)} and frames "
                f"0 <= start < stop; got {kind!r} over [{start}, {stop})"
            )
        return cls(kind=kind, start=start, stop=stop, detail=detail)


@dataclass(frozen=True)
class TrackHealth:
    """The verdict on one object's track.

    Attributes
    ----------
    issues
        Every doubtful stretch, in frame order.
    areas
        ``(T,)`` mask area per frame.
    unsure
        ``(T,)`` bool, frames inside any issue.
    """

    issues: tuple[HealthIssue, ...]
    areas: NDArray[np.int64]
    unsure: NDArray[np.bool_] = field(repr=False)

    @property
    def ok(self) -> bool:
        """``True`` when no issue was found."""
        return not self.issues

    def kinds(self) -> set[str]:
        """Return the kinds of issue found.

        Returns
        -------
        set[str]
            Some of ``"lost"``, ``"drift"``, ``"leak"``, ``"jump"`` (empty: a healthy track).
        """
        return {issue.kind for issue in self.issues}


def _frames(count: int) -> str:
    return f"{count} frame" if count == 1 else f"{count} frames"


def _runs(flags: NDArray[np.bool_]) -> list[tuple[int, int]]:
    """``[start, stop)`` of every run of True."""
    padded = np.concatenate([[False], flags, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def track_health(
    masks: Any, *, others: Sequence[Any] | None = None, options: HealthOptions | None = None
) -> TrackHealth:
    """Flag the frames of one object's track that should not be trusted.

    Parameters
    ----------
    masks
        ``(T, H, W)`` bool masks of the object.
    others
        The other objects' ``(T, H, W)`` masks of the same clip (for leak detection).
    options
        Thresholds; [`HealthOptions`][sam2_autotrack.masks.HealthOptions] defaults.

    Returns
    -------
    TrackHealth
        The issues found (empty for a clean track).

    Raises
    ------
    MaskError
        ``masks`` is not 3-D, or an entry of ``others`` has a different shape.

    Examples
    --------
    >>> import numpy as np
    >>> m = np.zeros((12, 40, 40), bool)
    >>> m[:, 10:20, 10:20] = True
    >>> track_health(m).ok
    True
    >>> m[6:, 0:40, 0:40] = True                     # swallows the frame at frame 6
    >>> [i.kind for i in track_health(m).issues]
    ['drift']
    >>> m[6:] = False                                # gone from frame 6 on
    >>> [(i.kind, i.start, i.stop) for i in track_health(m).issues]
    [('lost', 6, 12)]
    """
    stack = as_mask_stack(masks)
    neighbours = [as_mask_stack(o, name=f"others[{j}]") for j, o in enumerate(others or [])]
    for j, other in enumerate(neighbours):
        if other.shape != stack.shape:
            raise MaskError(
                f"others[{j}] has shape {other.shape}; every track must be {stack.shape}"
            )
    meter = TrackMeter([str(j) for j in range(len(neighbours) + 1)])
    for t in range(stack.shape[0]):
        meter.add(np.stack([stack[t], *(o[t] for o in neighbours)]))
    series = meter.series()
    own = series.pop("0")
    return judge_track(own, series, options)


def judge_track(
    track: TrackSeries,
    others: Mapping[str, TrackSeries],
    options: HealthOptions | None = None,
    *,
    name_neighbours: bool = False,
) -> TrackHealth:
    """Judge one object's series (see [`track_health`][sam2_autotrack.masks.track_health]).

    ``others`` are its neighbours' series by object id (the ids of ``track.taken``), in a fixed
    order: a leak into the ``j``-th is reported as ``"other object #j"``, or by its id with
    ``name_neighbours=True``.

    Parameters
    ----------
    track
        The object's measured [`TrackSeries`][sam2_autotrack.masks.TrackSeries].
    others
        The other objects' series, by object id.
    options
        Thresholds; default [`HealthOptions`][sam2_autotrack.masks.HealthOptions]'s.
    name_neighbours
        Name a leak's neighbour by its object id instead of ``"other object #j"``.

    Returns
    -------
    TrackHealth
        The stretches of frames where the track should not be trusted, by kind.
    """
    opts = options if options is not None else HealthOptions()
    areas = track.areas
    count = len(areas)
    height, width = track.shape_hw
    present = areas >= opts.min_area
    issues: list[HealthIssue] = []

    # lost: long empty runs after the object was first seen
    seen = np.flatnonzero(present)
    if len(seen):
        for start, stop in _runs(~present):
            if start > seen[0] and stop - start >= opts.lost_frames:
                issues.append(HealthIssue("lost", start, stop, f"empty for {stop - start} frames"))

    # drift: the area jumping several-fold within a few frames (both frames visible)
    # (the stretch starts at the last visible frame that is still that far from the end one, so
    # a one-frame swell is reported at that frame, not a window earlier)
    safe = np.maximum(areas, 1).astype(np.float64)

    def fold(a: int, b: int) -> float:
        return float(max(safe[b] / safe[a], safe[a] / safe[b]))

    t = 0
    while t < count:
        hit = None
        if present[t]:
            for u in range(t + 1, min(count, t + opts.drift_window + 1)):
                if present[u] and fold(t, u) >= opts.drift_ratio:
                    hit = u
                    start = t
                    while (
                        present[start + 1]
                        and start + 1 < u
                        and fold(start + 1, u) >= opts.drift_ratio
                    ):
                        start += 1
                    detail = (
                        f"area x{fold(start, u):.1f} within {_frames(u - start)}, "
                        f"{areas[start]} -> {areas[u]} px"
                    )
                    issues.append(HealthIssue("drift", start, u + 1, detail))
                    break
        t = hit + 1 if hit is not None else t + 1

    # jump: the centroid teleporting between consecutive visible frames
    diagonal = float(np.hypot(height, width))
    for k in range(1, count):
        if present[k] and present[k - 1]:
            step = float(np.hypot(*(track.centroids[k] - track.centroids[k - 1])))
            if step > opts.jump_fraction * diagonal:
                issues.append(
                    HealthIssue("jump", k - 1, k + 1, f"centroid moved {step:.0f} px in 1 frame")
                )

    # leak: growing into another object that shrinks at the same time
    for j, (other_id, other) in enumerate(others.items()):
        flagged = np.zeros(count, dtype=bool)
        stolen_series = track.taken[other_id]
        for k in range(1, count):
            # the neighbour must really shrink (net area), not just move: an object moving
            # away in front of another one loses pixels at its trailing edge that the revealed
            # object takes, but keeps its size
            shrink = int(other.areas[k - 1]) - int(other.areas[k])
            if shrink <= 0 or shrink < opts.leak_shrink * int(other.areas[k - 1]):
                continue
            n_lost = int(other.lost[k])
            stolen = int(stolen_series[k])
            grew = int(areas[k]) - int(areas[k - 1])
            if stolen >= opts.leak_fraction * n_lost and grew >= 0.5 * stolen:
                flagged[k] = True
        for start, stop in _runs(flagged):
            if stop - start < opts.leak_frames:
                continue
            into = other_id if name_neighbours else f"other object #{j}"
            issues.append(HealthIssue("leak", start, stop, f"grows into {into} as it shrinks"))

    issues.sort(key=lambda issue: (issue.start, issue.kind))
    unsure = np.zeros(count, dtype=bool)
    for issue in issues:
        unsure[issue.start : issue.stop] = True
    return TrackHealth(issues=tuple(issues), areas=areas, unsure=unsure)
