"""Per-object series measured from masks frame by frame, and what an area curve says.

[`TrackMeter`][sam2_autotrack.masks.TrackMeter] measures, one frame at a time (a long video is never
held whole), each object's [`TrackSeries`][sam2_autotrack.masks.TrackSeries]: area, centroid, pixels
lost since the previous frame and pixels taken from the other objects; `sam2_autotrack.masks.health`
judges tracks from them.

The area curve alone already betrays a tracker that loses its object (the area chart of
[`sam2_autotrack.viz`][sam2_autotrack.viz] marks both):

* an **area jump** ([`area_jumps`][sam2_autotrack.masks.area_jumps]) -- the area changes from one
  mask frame to the next by more than a fraction of the larger of the two (the mask snapped to
  another object or vanished);
* an **area drift** ([`area_drifts`][sam2_autotrack.masks.area_drifts]) -- a slow change that adds
  up: the mask creeping over the background grows a few percent per frame, never a jump, yet ends 25
  times its size. Drift is measured per steady stretch (between jumps) against the stretch's
  starting level, the median of its first few areas, so a change already marked as a jump is not
  reported again.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.errors import MaskError
from sam2_autotrack.masks.validate import as_mask_stack

__all__ = ["AreaDrift", "TrackMeter", "TrackSeries", "area_drifts", "area_jumps"]


@dataclass(frozen=True)
class AreaDrift:
    """A steady stretch of an area curve that moved far from its starting level.

    Parameters
    ----------
    start
        Position (0-based, in mask frames) where the stretch begins: 0 or a jump.
    onset
        First position whose area is ``ratio`` times away from the starting level.
    peak
        Position of the largest departure in the stretch.
    factor
        ``area[peak] / starting level``: above 1 the mask grew, below 1 it shrank.
    """

    start: int
    onset: int
    peak: int
    factor: float


def area_jumps(area: NDArray[np.integer[Any]], threshold: float) -> NDArray[np.int64]:
    """Return positions ``t`` where the area changes by more than ``threshold`` of its size.

    The change from ``t - 1`` to ``t`` is measured against the larger of the two areas, so it
    lies in 0..1 (1: the mask appeared or vanished).

    Parameters
    ----------
    area
        ``(T,)`` pixel counts of one mask, frame by frame.
    threshold
        Smallest relative change counted as a jump, in 0..1.

    Returns
    -------
    numpy.ndarray
        The positions ``t`` (``1 <= t < T``), increasing.

    Examples
    --------
    >>> import numpy as np
    >>> area_jumps(np.array([100, 102, 30, 31]), 0.35).tolist()
    [2]
    """
    values = np.asarray(area, dtype=np.float64)
    if values.size < 2:
        return np.zeros(0, dtype=np.int64)
    previous = values[:-1]
    change = np.abs(np.diff(values)) / np.maximum(np.maximum(previous, values[1:]), 1.0)
    return (np.flatnonzero(change > threshold) + 1).astype(np.int64)


def area_drifts(
    area: NDArray[np.integer[Any]],
    jumps: NDArray[np.int64],
    ratio: float,
    *,
    window: int = 5,
) -> tuple[AreaDrift, ...]:
    """Find steady stretches whose area ends up more than ``ratio`` times away from its start.

    Parameters
    ----------
    area
        ``(T,)`` mask areas.
    jumps
        Positions of the jumps ([`area_jumps`][sam2_autotrack.masks.area_jumps]); each starts a new
        stretch.
    ratio
        A stretch drifts when some area is at least ``ratio`` times its starting level, or at most
        ``1 / ratio`` of it (``ratio > 1``).
    window
        The starting level is the median of the stretch's first ``window`` areas.

    Returns
    -------
    tuple of AreaDrift
        One per drifting stretch, in order.

    Examples
    --------
    >>> import numpy as np
    >>> growing = np.round(100 * 25 ** (np.arange(60) / 59)).astype(int)  # ×25, +5.6 % a frame
    >>> area_jumps(growing, 0.35).size
    0
    >>> (drift,) = area_drifts(growing, area_jumps(growing, 0.35), 3.0)
    >>> drift.start, drift.onset, drift.peak, round(drift.factor, 1)
    (0, 23, 59, 22.3)
    """
    values = np.maximum(np.asarray(area, dtype=np.float64), 1.0)
    bounds = [0, *(int(t) for t in jumps), len(values)]
    found = []
    for start, stop in itertools.pairwise(bounds):
        stretch = values[start:stop]
        if stretch.size < 2:
            continue
        level = float(np.median(stretch[:window]))
        log_ratio = np.log(stretch / level)
        away = np.flatnonzero(np.abs(log_ratio) >= np.log(ratio))
        if away.size == 0:
            continue
        peak = int(np.argmax(np.abs(log_ratio)))
        found.append(
            AreaDrift(
                start=start,
                onset=start + int(away[0]),
                peak=start + peak,
                factor=float(stretch[peak] / level),
            )
        )
    return tuple(found)


# -- per-frame series ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TrackSeries:
    """What track health reads from one object's masks, one value per frame.

    Attributes
    ----------
    shape_hw
        ``(height, width)`` of the masks measured.
    areas
        ``(T,)`` mask area.
    centroids
        ``(T, 2)`` ``(x, y)`` mean of the mask's pixels (NaN on empty frames).
    lost
        ``(T,)`` pixels the mask held on the previous frame and not any more (0 on frame 0).
    taken
        ``{other_id: (T,)}``: of the pixels ``other_id`` lost, how many this mask holds now.
    """

    shape_hw: tuple[int, int]
    areas: NDArray[np.int64]
    centroids: NDArray[np.float64]
    lost: NDArray[np.int64]
    taken: dict[str, NDArray[np.int64]] = field(default_factory=dict)


class TrackMeter:
    """Measures the `TrackSeries` of several objects, one frame at a time.

    Examples
    --------
    >>> import numpy as np
    >>> meter = TrackMeter(["a"])
    >>> for t in range(3):
    ...     m = np.zeros((1, 20, 20), bool); m[0, 5:10, 5 + t:10 + t] = True
    ...     meter.add(m)
    >>> meter.series()["a"].areas.tolist(), meter.series()["a"].lost.tolist()
    ([25, 25, 25], [0, 5, 5])
    """

    def __init__(self, object_ids: Sequence[str]) -> None:
        self._ids = [str(oid) for oid in object_ids]
        self._previous: NDArray[np.bool_] | None = None
        self._areas: list[list[int]] = [[] for _ in self._ids]
        self._centroids: list[list[tuple[float, float]]] = [[] for _ in self._ids]
        self._lost: list[list[int]] = [[] for _ in self._ids]
        # [object][other]: per frame, the pixels object holds of those other lost
        self._taken: list[list[list[int]]] = [[[] for _ in self._ids] for _ in self._ids]

    def add(self, masks: Any) -> None:
        """Measure one frame: ``(K, H, W)`` masks in the order of the object ids.

        Parameters
        ----------
        masks
            ``(K, H, W)`` masks of this frame, one per object id, every frame of the same size.

        Raises
        ------
        MaskError
            Not one mask per object, or a frame of another size than the first.
        """
        stack = as_mask_stack(masks, axes="(K, H, W)")
        if stack.shape[0] != len(self._ids):
            raise MaskError(f"expected {len(self._ids)} masks (one per object); got {len(stack)}")
        if self._previous is not None and stack.shape != self._previous.shape:
            raise MaskError(f"every frame must be {self._previous.shape}; got {stack.shape}")
        lost = self._previous & ~stack if self._previous is not None else np.zeros_like(stack)
        for k, mask in enumerate(stack):
            ys, xs = np.nonzero(mask)
            self._areas[k].append(len(xs))
            self._centroids[k].append((xs.mean(), ys.mean()) if len(xs) else (np.nan, np.nan))
            self._lost[k].append(int(np.count_nonzero(lost[k])))
            for j in range(len(self._ids)):
                if j != k:
                    self._taken[k][j].append(int(np.count_nonzero(mask & lost[j])))
        self._previous = stack.copy()

    def series(self) -> dict[str, TrackSeries]:
        """Return the series measured so far, per object id.

        Returns
        -------
        dict[str, TrackSeries]
            ``{object_id: series}``, one value per frame added.
        """
        shape = (0, 0) if self._previous is None else self._previous.shape[1:]
        return {
            oid: TrackSeries(
                shape_hw=(int(shape[0]), int(shape[1])),
                areas=np.asarray(self._areas[k], dtype=np.int64),
                centroids=np.asarray(self._centroids[k], dtype=np.float64).reshape(-1, 2),
                lost=np.asarray(self._lost[k], dtype=np.int64),
                taken={
                    other: np.asarray(self._taken[k][j], dtype=np.int64)
                    for j, other in enumerate(self._ids)
                    if j != k
                },
            )
            for k, oid in enumerate(self._ids)
        }
