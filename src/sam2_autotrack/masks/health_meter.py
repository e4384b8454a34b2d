"""Track health of every object of a clip, measured frame by frame, and its JSON record.

`track_health` judges one ``(T, H, W)`` stack. A tracker (or
a result read from disk) has several objects' masks, frame after frame, and must never hold the
clip: `HealthMeter` takes one frame's ``(K, H, W)`` masks at a time (subsampled to at
most ``max_side`` pixels on the longest side, as both backends do) and judges every object
against the others at the end (`judge_tracks`); `measure_health` runs it over
per-object mask sequences. `health_to_json` and `health_from_json` convert the
verdicts to and from the record backends put in ``ObjectTracks.info["health"]``: per object id, a
list of ``{"kind", "start", "stop", "detail"}`` (an empty list is a healthy track).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.errors import MaskError
from sam2_autotrack.masks.health import HealthIssue, HealthOptions, TrackHealth, judge_track
from sam2_autotrack.masks.series import TrackMeter, TrackSeries
from sam2_autotrack.masks.validate import as_mask_stack

__all__ = [
    "HEALTH_MAX_SIDE",
    "HealthMeter",
    "health_from_json",
    "health_to_json",
    "judge_tracks",
    "measure_health",
]

HEALTH_MAX_SIDE = 480
"""Track health is judged on masks subsampled to at most this many pixels on the longest side."""


def judge_tracks(
    series: Mapping[str, TrackSeries], options: HealthOptions | None = None
) -> dict[str, TrackHealth]:
    """Judge every object's series against the others'; a leak names its neighbour's id.

    Parameters
    ----------
    series
        ``{object_id: TrackSeries}`` as `TrackMeter.series` gives them.
    options
        Thresholds; `HealthOptions` defaults.

    Returns
    -------
    dict
        ``{object_id: TrackHealth}``.

    Examples
    --------
    >>> import numpy as np
    >>> meter = TrackMeter(["a", "b"])
    >>> for t in range(8):
    ...     m = np.zeros((2, 30, 30), bool); m[0, 5:15, 5:15] = True; m[1, 20:25, 20:25] = t < 2
    ...     meter.add(m)
    >>> {oid: [i.kind for i in h.issues] for oid, h in judge_tracks(meter.series()).items()}
    {'a': [], 'b': ['lost']}
    """
    return {
        oid: judge_track(
            own,
            {other: s for other, s in series.items() if other != oid},
            options,
            name_neighbours=True,
        )
        for oid, own in series.items()
    }


class HealthMeter:
    """Measures the track health of several objects, one frame of masks at a time.

    Parameters
    ----------
    object_ids
        The objects, in the order of the masks handed to `add`.
    max_side
        Masks are subsampled (every ``step``-th row and column) to at most this many pixels on
        the longest side before they are measured; ``min_area`` then counts subsampled pixels.
    options
        Thresholds; `HealthOptions` defaults.

    Examples
    --------
    >>> import numpy as np
    >>> meter = HealthMeter(["a"])
    >>> for t in range(10):
    ...     m = np.zeros((1, 40, 40), bool); m[0, 10:20, 10:20] = True
    ...     if t >= 6: m[0] = True                  # swallows the frame
    ...     meter.add(m)
    >>> [(i.kind, i.start) for i in meter.judge()["a"].issues]
    [('drift', 5)]
    """

    def __init__(
        self,
        object_ids: Sequence[str],
        *,
        max_side: int = HEALTH_MAX_SIDE,
        options: HealthOptions | None = None,
    ) -> None:
        if max_side < 1:
            raise MaskError(f"max_side must be at least 1 pixel; got {max_side}")
        self._ids = [str(oid) for oid in object_ids]
        self._meter = TrackMeter(self._ids)
        self._max_side = int(max_side)
        self._step: int | None = None
        self._options = options

    def add(self, masks: Any) -> None:
        """Measure one frame.

        Parameters
        ----------
        masks
            ``(K, H, W)`` bool masks of this frame, in the order of the object ids.
        """
        stack = as_mask_stack(masks, axes="(K, H, W)")
        if self._step is None:
            self._step = max(1, -(-max(stack.shape[1:]) // self._max_side))
        self._meter.add(stack[:, :: self._step, :: self._step])

    def judge(self) -> dict[str, TrackHealth]:
        """Judge every object on the frames measured so far.

        Returns
        -------
        dict
            ``{object_id: TrackHealth}``; a leak names its neighbour's id.
        """
        return judge_tracks(self._meter.series(), self._options)


def measure_health(
    sequences: Mapping[str, Sequence[NDArray[np.bool_]]],
    *,
    max_side: int = HEALTH_MAX_SIDE,
    options: HealthOptions | None = None,
) -> dict[str, TrackHealth]:
    """Judge the tracks of ``{object_id: frames}``, reading one frame of every object at a time.

    Parameters
    ----------
    sequences
        ``{object_id: frames}``: ``(T, H, W)`` arrays or sequences of ``(H, W)`` masks such as
        `MaskSequence` (decoded one frame at a time: memory does not grow with the clip).
    max_side
        Masks are subsampled to at most this many pixels on the longest side (see
        `HealthMeter`).
    options
        Thresholds; `HealthOptions` defaults.

    Returns
    -------
    dict
        ``{object_id: TrackHealth}``.

    Raises
    ------
    MaskError
        The objects have different frame counts.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.zeros((12, 40, 40), bool); a[:, 5:15, 5:15] = True
    >>> b = a.copy(); b[4:] = False                   # gone from frame 4 on
    >>> {oid: [i.kind for i in h.issues] for oid, h in measure_health({"a": a, "b": b}).items()}
    {'a': [], 'b': ['lost']}
    """
    ids = list(sequences)
    counts = {len(sequences[oid]) for oid in ids}
    if len(counts) > 1:
        raise MaskError(f"every object needs the same number of frames; got {sorted(counts)}")
    meter = HealthMeter(ids, max_side=max_side, options=options)
    for t in range(counts.pop() if counts else 0):
        meter.add(np.stack([np.asarray(sequences[oid][t], dtype=bool) for oid in ids]))
    return meter.judge()


def health_to_json(
    health: Mapping[str, TrackHealth | Sequence[HealthIssue]],
) -> dict[str, list[dict[str, Any]]]:
    """Turn track health into its JSON record.

    Parameters
    ----------
    health
        ``{object_id: TrackHealth or issues}``.

    Returns
    -------
    dict
        ``{object_id: [issue record, ...]}`` (see `HealthIssue.to_json`).
    """
    return {
        str(oid): [
            issue.to_json()
            for issue in (verdict.issues if isinstance(verdict, TrackHealth) else verdict)
        ]
        for oid, verdict in health.items()
    }


def health_from_json(data: Any) -> dict[str, tuple[HealthIssue, ...]]:
    """Rebuild track health from `health_to_json`'s record.

    Parameters
    ----------
    data
        The parsed JSON record.

    Returns
    -------
    dict
        ``{object_id: (HealthIssue, ...)}``.

    Raises
    ------
    MaskError
        ``data`` is not such a record.

    Examples
    --------
    >>> record = {"obj_1": [], "obj_2": [{"kind": "lost", "start": 3, "stop": 9, "detail": "x"}]}
    >>> health_to_json(health_from_json(record)) == record
    True
    """
    if not isinstance(data, Mapping):
        raise MaskError(
            f"a track health record must map object ids to lists of issues; got "
            f"{type(data).__name__}"
        )
    restored: dict[str, tuple[HealthIssue, ...]] = {}
    for oid, issues in data.items():
        if not isinstance(issues, list | tuple):
            raise MaskError(
                f"the track health of {oid!r} must be a list of issues; got {type(issues).__name__}"
            )
        restored[str(oid)] = tuple(HealthIssue.from_json(issue) for issue in issues)
    return restored
