"""Track health in a run's words: the manifest's record and one short line per unsure object.

A `TrackResult`'s `health` counts
frames as positions in its mask frames; a person reads source-frame numbers. `health_record`
is what the manifest and ``video_result.json`` keep (each issue also with its source frames,
first and last), `health_summary` the line the CLI prints for every unhealthy object.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from sam2_autotrack.masks.health import HealthIssue

__all__ = ["health_record", "health_summary", "issue_frames"]

_SHOWN = 2  # issues spelled out per object in a summary line; the rest are counted


def issue_frames(issue: HealthIssue, frame_indices: ArrayLike) -> tuple[int, int]:
    """Return the first and last source frame of ``issue`` (both included).

    Parameters
    ----------
    issue
        A track health issue (mask-frame positions).
    frame_indices
        ``(T,)`` source-frame index of each mask frame.

    Returns
    -------
    tuple of int
        ``(first, last)`` source frames.

    Examples
    --------
    >>> issue_frames(HealthIssue("lost", 2, 5, "empty for 3 frames"), [0, 3, 6, 9, 12, 15])
    (6, 12)
    """
    indices = np.asarray(frame_indices, dtype=np.int64)
    last = min(issue.stop, len(indices)) - 1
    return int(indices[min(issue.start, last)]), int(indices[last])


def health_record(
    health: Mapping[str, Sequence[HealthIssue]], frame_indices: ArrayLike
) -> dict[str, list[dict[str, Any]]]:
    """Return ``{object_id: [{"kind", "start", "stop", "detail", "frames"}, ...]}`` (JSON-ready).

    ``start``/``stop`` are mask-frame positions (``[start, stop)``); ``frames`` is ``[first,
    last]`` in source frames. `health_from_json` reads it back.

    Parameters
    ----------
    health
        ``{object_id: issues}``, as `TrackResult.health` gives it.
    frame_indices
        ``(T,)`` source-frame index of each mask frame.

    Returns
    -------
    dict
        The record, per object id.

    Examples
    --------
    >>> record = health_record({"obj_1": (HealthIssue("lost", 1, 3, "gone"),)}, [0, 2, 4, 6])
    >>> record["obj_1"][0]["frames"]
    [2, 4]
    """
    return {
        oid: [
            {**issue.to_json(), "frames": list(issue_frames(issue, frame_indices))}
            for issue in issues
        ]
        for oid, issues in health.items()
    }


def health_summary(
    health: Mapping[str, Sequence[HealthIssue]], frame_indices: ArrayLike
) -> dict[str, str]:
    """Return one short line per unhealthy object (healthy objects are left out).

    Parameters
    ----------
    health
        ``{object_id: issues}``, as `TrackResult.health` gives it.
    frame_indices
        ``(T,)`` source-frame index of each mask frame.

    Returns
    -------
    dict
        ``{object_id: line}``, e.g. ``"drift at frames 40-52 (area x6.1 ...)"``.

    Examples
    --------
    >>> drift = HealthIssue("drift", 40, 53, "area x6.1 within 2 frames, 120 -> 732 px")
    >>> health_summary({"obj_1": (), "obj_2": (drift,)}, range(100))
    {'obj_2': 'drift at frames 40-52 (area x6.1 within 2 frames, 120 -> 732 px)'}
    """
    lines: dict[str, str] = {}
    for oid, issues in health.items():
        if not issues:
            continue
        parts = []
        for issue in issues[:_SHOWN]:
            first, last = issue_frames(issue, frame_indices)
            span = f"frame {first}" if first == last else f"frames {first}-{last}"
            parts.append(f"{issue.kind} at {span} ({issue.detail})")
        if len(issues) > _SHOWN:
            parts.append(f"{len(issues) - _SHOWN} more")
        lines[oid] = "; ".join(parts)
    return lines
