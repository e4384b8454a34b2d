"""Scene cuts: where a video jumps from one shot to the next.

Two consecutive frames are compared by their colour histograms (8×8×8 RGB bins of a 64×36
thumbnail), in total-variation distance (half the L1 distance, in ``[0, 1]``): camera and object
motion move little of the histogram, a new shot moves most of it.

The threshold adapts to the shot ([`CutDetector`][sam2_autotrack.video.CutDetector]): a pair
is a cut when its distance exceeds ``CUT_FACTOR`` times the median distance of the shot's
previous ``CUT_WINDOW`` pairs, clamped to ``[CUT_FLOOR, CUT_CEILING]`` (over a shot's first
three pairs, at least 0.3). A calm shot
(median 0.03) cuts above 0.2; a busy one (fast pan, median 0.1) only above 0.3; nothing above
0.5 is ever the same shot. A blur or a flash that builds up over several frames raises its own
median and is not a cut (on ``bikes`` this finds exactly the five hand-found cuts, and not the
car crossing the lens at frames 98-102); the floor keeps a calm synthetic clip where one object
suddenly grows (a histogram move of about 0.18) a single shot. Motion is never measured across a
cut, and a tracker seeded on one shot cannot follow its objects into the next
([`find_cuts`][sam2_autotrack.video.find_cuts] for a stack,
[`first_cut`][sam2_autotrack.video.first_cut] for the first one,
[`is_cut`][sam2_autotrack.video.is_cut] for one pair at a fixed threshold).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

import cv2
import numpy as np
from numpy.typing import NDArray

__all__ = [
    "CUT_CEILING",
    "CUT_FACTOR",
    "CUT_FLOOR",
    "CUT_THRESHOLD",
    "CUT_WINDOW",
    "CutDetector",
    "find_cuts",
    "first_cut",
    "frame_distance",
    "is_cut",
]

CUT_THRESHOLD = 0.4
"""Fixed total-variation distance above which ``is_cut`` calls two frames different shots."""
CUT_FLOOR = 0.2
"""The adaptive threshold never goes below this distance (calm shots, compression noise)."""
CUT_CEILING = 0.5
"""The adaptive threshold never goes above this distance (however busy the shot)."""
CUT_FACTOR = 3.0
"""A cut is a distance this many times the shot's recent median distance."""
CUT_WINDOW = 12
"""How many previous frame pairs of the shot the median is taken over."""
_WARM_UP = 3  # before this many pairs of a shot, its level is taken as at least _WARM_UP_LEVEL
_WARM_UP_LEVEL = 0.1


def _histogram(frame: NDArray[np.uint8]) -> NDArray[np.float32]:
    small = cv2.resize(frame, (64, 36), interpolation=cv2.INTER_AREA)
    hist = cv2.calcHist([small], [0, 1, 2], None, [8, 8, 8], [0, 256] * 3).ravel()
    result: NDArray[np.float32] = (hist / max(float(hist.sum()), 1.0)).astype(np.float32)
    return result


def _distance(a: NDArray[np.float32], b: NDArray[np.float32]) -> float:
    return 0.5 * float(np.abs(a - b).sum())


def frame_distance(previous: NDArray[np.uint8], current: NDArray[np.uint8]) -> float:
    """Return the total-variation distance between two frames' colour histograms, in ``[0, 1]``.

    Parameters
    ----------
    previous, current
        ``(H, W, 3)`` uint8 frames.

    Returns
    -------
    float
        Half the L1 distance of their normalised 8×8×8 RGB histograms.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.zeros((32, 32, 3), np.uint8)
    >>> frame_distance(a, a), frame_distance(a, a + 255)
    (0.0, 1.0)
    """
    return _distance(_histogram(previous), _histogram(current))


def is_cut(
    previous: NDArray[np.uint8], current: NDArray[np.uint8], *, threshold: float = CUT_THRESHOLD
) -> bool:
    """Whether two consecutive frames belong to different shots, at a fixed threshold.

    Without the frames before them there is no shot to adapt to;
    [`CutDetector`][sam2_autotrack.video.CutDetector] adapts.

    Parameters
    ----------
    previous, current
        ``(H, W, 3)`` uint8 frames, in that order.
    threshold
        Total-variation distance of the colour histograms above which they are different shots.

    Returns
    -------
    bool
        ``True`` at a cut.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.zeros((32, 32, 3), np.uint8)
    >>> is_cut(a, a), is_cut(a, a + 255)
    (False, True)
    """
    return frame_distance(previous, current) > threshold


class CutDetector:
    """Find scene cuts frame by frame, with a threshold that adapts to the shot (see the module).

    Feed the frames in order to ``push``; it says whether each frame starts a new shot.

    Parameters
    ----------
    factor, floor, ceiling, window
        The threshold is ``factor × median(last window distances of the shot)``, clamped to
        ``[floor, ceiling]``.

    Examples
    --------
    >>> import numpy as np
    >>> detector = CutDetector()
    >>> dark, bright = np.zeros((36, 64, 3), np.uint8), np.full((36, 64, 3), 200, np.uint8)
    >>> [detector.push(f) for f in (dark, dark, bright, bright)]
    [False, False, True, False]
    >>> detector.cuts
    [2]
    """

    def __init__(
        self,
        *,
        factor: float = CUT_FACTOR,
        floor: float = CUT_FLOOR,
        ceiling: float = CUT_CEILING,
        window: int = CUT_WINDOW,
    ) -> None:
        self.factor, self.floor, self.ceiling = factor, floor, ceiling
        self._recent: deque[float] = deque(maxlen=window)
        self._previous: NDArray[np.float32] | None = None
        self._index = -1
        self.cuts: list[int] = []
        """Indices of the frames pushed so far that start a new shot."""

    @property
    def threshold(self) -> float:
        """The distance above which the next frame would start a new shot."""
        level = float(np.median(self._recent)) if self._recent else 0.0
        if len(self._recent) < _WARM_UP:  # a shot's first pairs: too few to know its level
            level = max(level, _WARM_UP_LEVEL)
        return min(self.ceiling, max(self.floor, self.factor * level))

    def push(self, frame: NDArray[np.uint8]) -> bool:
        """Take the next frame; return whether it starts a new shot.

        Parameters
        ----------
        frame
            ``(H, W, 3)`` uint8, the frame after the last one pushed.

        Returns
        -------
        bool
            ``True`` when it starts a new shot (its index is added to ``cuts``).
        """
        histogram = _histogram(frame)
        self._index += 1
        previous, self._previous = self._previous, histogram
        if previous is None:
            return False
        distance = _distance(previous, histogram)
        if distance > self.threshold:
            self.cuts.append(self._index)
            self._recent.clear()  # a new shot: its own level
            return True
        self._recent.append(distance)
        return False


def find_cuts(frames: Iterable[NDArray[np.uint8]]) -> list[int]:
    """Return the indices of the frames that start a new shot (adaptive threshold).

    Parameters
    ----------
    frames
        ``(H, W, 3)`` uint8 frames in order (a ``(T, H, W, 3)`` array or any iterable).

    Returns
    -------
    list[int]
        Indices of the frames that start a new shot, ascending.

    Examples
    --------
    >>> import numpy as np
    >>> frames = np.zeros((6, 32, 32, 3), np.uint8)
    >>> frames[4:] = 255
    >>> find_cuts(frames)
    [4]
    """
    detector = CutDetector()
    for frame in frames:
        detector.push(frame)
    return detector.cuts


def first_cut(frames: NDArray[np.uint8]) -> int:
    """Count the frames before the first scene cut (``len(frames)`` when there is none).

    Parameters
    ----------
    frames
        ``(T, H, W, 3)`` uint8 frames, frame 0 first.

    Returns
    -------
    int
        ``k`` such that ``frames[:k]`` are one shot (at least 1 for a non-empty input).

    Examples
    --------
    >>> import numpy as np
    >>> frames = np.zeros((5, 32, 32, 3), np.uint8)
    >>> frames[3:] = 255
    >>> first_cut(frames)
    3
    """
    detector = CutDetector()
    for index, frame in enumerate(frames):
        if detector.push(frame):
            return index
    return len(frames)
