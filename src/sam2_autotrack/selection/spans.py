"""Pieces of a band that spans the frame: a rail, a pole, a beam crossing the picture.

A bar that runs from one border of the frame to another is part of the scene's structure, not an
object: a fence rail, a pole in front of everything, the edge of a table. Mask generators rarely
give it whole -- they cut it where its shading changes -- and a piece that touches one border, or
none, passes every border rule, while its clean, thin shape scores as an object.

`spans_the_frame` tells such a piece from a thin object by looking past its ends: walking from
each end along the piece's long axis, a bar goes on in colours that change only gradually, and
stand out from what lies beside it, all the way to the border, while an object ends where the
image steps to something else (or, camouflaged, runs on into a background of its own colours).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.selection.geometry import BORDER_NAMES

__all__ = ["spans_the_frame"]

_MAX_THINNESS = 0.35
"""Only pieces at most this wide for their length (minor over major extent) are judged."""
_MAX_STEP = 12.0
"""Lab distance between successive samples along the axis above which the band has ended."""
_MAX_DRIFT = 50.0
"""Lab distance from the piece's own end colour above which the band has ended."""
_SIDE_CONTRAST = 8.0
"""Lab distance from what lies beside the band for a sample to stand out from it."""
_SIDE_SHARE = 0.6
"""Share of the samples past a piece's end that must stand out on both sides."""


def _border_at(x: float, y: float, width: int, height: int) -> str:
    """Name the border a point just outside the frame has crossed."""
    distances = (-y, y - (height - 1), -x, x - (width - 1))
    return BORDER_NAMES[int(np.argmax(distances))]


def _walk(
    lab: NDArray[np.float32],
    start: NDArray[np.float64],
    direction: NDArray[np.float64],
    across: NDArray[np.float64],
    thickness: float,
    colour: NDArray[np.float32],
) -> str | None:
    """Follow the axis out of a piece's end; return the border the band reaches, or ``None``.

    The band goes on while each sample's colour is close to the last ones' and to the end's,
    and it must stand out from what lies beside it (``_SIDE_CONTRAST`` on both sides) along most
    of the way (``_SIDE_SHARE``): a camouflaged object's end runs into a background of its own
    colours, which does not.
    """
    height, width = lab.shape[:2]
    previous = colour
    offsets = np.arange(-round(thickness / 4), round(thickness / 4) + 1, dtype=np.float64)
    side = thickness / 2.0 + 2.0
    point = start.copy()
    standing_out = 0
    for steps in range(2 * (height + width)):  # steps: the samples taken so far
        point = point + direction
        x, y = float(point[0]), float(point[1])
        if not (0.0 <= x <= width - 1 and 0.0 <= y <= height - 1):
            if steps and standing_out < _SIDE_SHARE * steps:
                return None
            return _border_at(x, y, width, height)
        xs = np.clip(np.rint(x + offsets * across[0]).astype(int), 0, width - 1)
        ys = np.clip(np.rint(y + offsets * across[1]).astype(int), 0, height - 1)
        sample = np.median(lab[ys, xs], axis=0).astype(np.float32)
        if (
            float(np.linalg.norm(sample - previous)) > _MAX_STEP
            or float(np.linalg.norm(sample - colour)) > _MAX_DRIFT
        ):
            return None
        previous = (0.7 * previous + 0.3 * sample).astype(np.float32)
        beside = [
            lab[
                min(max(round(y + sign * side * across[1]), 0), height - 1),
                min(max(round(x + sign * side * across[0]), 0), width - 1),
            ]
            for sign in (-1.0, 1.0)
        ]
        if min(float(np.linalg.norm(b - sample)) for b in beside) > _SIDE_CONTRAST:
            standing_out += 1
    return None


def spans_the_frame(
    crop: NDArray[np.uint8], origin_xy: tuple[int, int], lab: NDArray[np.float32]
) -> tuple[str, str] | None:
    """Return the two borders a thin piece's band reaches, or ``None`` when it is no such piece.

    Parameters
    ----------
    crop
        ``(h, w)`` uint8 mask of the piece in its box (non-zero inside).
    origin_xy
        ``(x, y)`` of the box's top-left corner in ``lab``.
    lab
        ``(H, W, 3)`` float32 CIE Lab image the piece lies in (the same grid as ``crop``).

    Returns
    -------
    tuple of str or None
        ``(border, border)``: two different borders (in the order ``"top"``, ``"bottom"``,
        ``"left"``, ``"right"``) that the band reaches past the piece's two ends; ``None`` when
        the piece is not thin or ends in a change of colour on at least one side.

    Examples
    --------
    >>> import numpy as np
    >>> lab = np.zeros((40, 60, 3), np.float32); lab[..., 0] = 80.0
    >>> lab[18:22, :, 0] = 30.0  # a dark rail across the frame
    >>> piece = np.ones((4, 20), np.uint8)  # a piece of it, in the middle
    >>> spans_the_frame(piece, (20, 18), lab)
    ('left', 'right')
    >>> stick = lab.copy(); stick[18:22] = 80.0; stick[18:22, 20:40, 0] = 30.0  # a stick
    >>> spans_the_frame(piece, (20, 18), stick) is None
    True
    """
    ys, xs = np.nonzero(crop)
    if len(xs) < 6:
        return None
    points = np.stack([xs + origin_xy[0], ys + origin_xy[1]], axis=1).astype(np.float64)
    centre = points.mean(axis=0)
    _, _, axes = np.linalg.svd(points - centre, full_matrices=False)
    along, across = axes[0], axes[1]
    t = (points - centre) @ along
    s = (points - centre) @ across
    low, high = np.percentile(t, [1, 99])
    length = float(high - low)
    thickness = float(np.subtract(*np.percentile(s, [99, 1])))
    if length <= 0 or thickness > _MAX_THINNESS * length:
        return None
    reached = []
    for end, direction in ((high, along), (low, -along)):
        near_end = np.abs(t - end) <= max(1.0, 0.1 * length)
        colour = np.median(
            lab[points[near_end, 1].astype(int), points[near_end, 0].astype(int)], axis=0
        ).astype(np.float32)
        border = _walk(lab, centre + end * along, direction, across, thickness, colour)
        if border is None:
            return None
        reached.append(border)
    first, second = sorted(reached, key=BORDER_NAMES.index)
    if first == second:
        return None
    return first, second
