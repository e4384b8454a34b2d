"""What an area curve says about a track: sudden jumps, and slow drift that no single step shows.

A tracker that loses its object usually betrays it in the mask area. A *jump* is a sudden change
from one mask frame to the next (the mask snapped to another object or vanished). A *drift* is a
slow change that adds up: the mask creeping over the background grows a few percent per frame,
never a jump, yet ends 25 times its size. Drift is measured per steady stretch (between jumps)
against the stretch's starting level, the median of its first few areas, so a change already
marked as a jump is not reported again.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["AreaDrift", "area_drifts", "area_jumps"]


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
        Positions of the jumps (:func:`area_jumps`); each starts a new stretch.
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
