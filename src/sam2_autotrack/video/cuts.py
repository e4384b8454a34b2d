"""Scene cuts: where a video jumps from one shot to the next.

A cut is a pair of consecutive frames whose colour histograms (8×8×8 RGB bins of a 64×36
thumbnail) differ by more than a threshold in total-variation distance (half the L1 distance, in
``[0, 1]``): camera and object motion move little of the histogram, a new shot moves most of it.
Motion is never measured across a cut, and a tracker seeded on one shot cannot follow its objects
into the next ([`is_cut`][sam2_autotrack.video.is_cut] for a pair of frames,
[`first_cut`][sam2_autotrack.video.first_cut] for a stack).
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

__all__ = ["CUT_THRESHOLD", "first_cut", "is_cut"]

CUT_THRESHOLD = 0.4
"""Default total-variation distance above which two consecutive frames are different shots."""


def _histogram(frame: NDArray[np.uint8]) -> NDArray[np.float32]:
    small = cv2.resize(frame, (64, 36), interpolation=cv2.INTER_AREA)
    hist = cv2.calcHist([small], [0, 1, 2], None, [8, 8, 8], [0, 256] * 3).ravel()
    result: NDArray[np.float32] = (hist / max(float(hist.sum()), 1.0)).astype(np.float32)
    return result


def is_cut(
    previous: NDArray[np.uint8], current: NDArray[np.uint8], *, threshold: float = CUT_THRESHOLD
) -> bool:
    """Whether two consecutive frames belong to different shots.

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
    distance = 0.5 * float(np.abs(_histogram(current) - _histogram(previous)).sum())
    return distance > threshold


def first_cut(frames: NDArray[np.uint8], *, threshold: float = CUT_THRESHOLD) -> int:
    """Count the frames before the first scene cut (``len(frames)`` when there is none).

    Parameters
    ----------
    frames
        ``(T, H, W, 3)`` uint8 frames, frame 0 first.
    threshold
        Total-variation distance above which two consecutive frames are different shots.

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
    if len(frames) == 0:
        return 0
    previous = _histogram(frames[0])
    for index in range(1, len(frames)):
        current = _histogram(frames[index])
        if 0.5 * float(np.abs(current - previous).sum()) > threshold:
            return index
        previous = current
    return len(frames)
