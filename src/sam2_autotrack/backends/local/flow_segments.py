"""Moving regions split by how they move: touching objects that the motion cues see as one.

Two objects that touch or overlap in frame 0 and both move unlike the camera form one blob in
the motion probability (`motion_map`), and every candidate cut from that blob holds both. On a
background coloured like them, colour cannot part them either. Their *flows* differ, though:
each object moves its own way. `flow_segments` groups the moving superpixels of the motion map
by their flow (camera motion removed): neighbours whose median flows agree within a tolerance
join one group (neighbour to neighbour, so a turning or growing object, whose flow changes
smoothly across it, stays one group); a blob whose moving superpixels fall in two or more
sizeable groups gives each group as a candidate.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray
from scipy import ndimage
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from sam2_autotrack.backends.local.motion import affine_motion_at, fit_affine_motion
from sam2_autotrack.backends.local.motion_segments import MotionMap
from sam2_autotrack.masks.cleanup import fill_small_holes, largest_component

__all__ = ["flow_segments", "superpixel_flow"]


def superpixel_flow(
    labels: NDArray[np.int32],
    flow: NDArray[np.float32],
    valid: NDArray[np.bool_],
    *,
    min_valid: float = 0.3,
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Median flow of every superpixel over its trusted pixels.

    Parameters
    ----------
    labels
        ``(h, w)`` superpixel labels ``0..n-1``.
    flow
        ``(h, w, 2)`` flow (camera motion removed).
    valid
        ``(h, w)`` bool: where the flow is trusted.
    min_valid
        Smallest trusted share of a superpixel for its flow to count as known.

    Returns
    -------
    tuple
        ``(flows, known)``: ``(n, 2)`` float64 median flows and ``(n,)`` bool known ones.

    Examples
    --------
    >>> import numpy as np
    >>> labels = np.zeros((4, 4), np.int32); labels[:, 2:] = 1
    >>> flow = np.zeros((4, 4, 2), np.float32); flow[:, 2:, 0] = 3.0
    >>> flows, known = superpixel_flow(labels, flow, np.ones((4, 4), bool))
    >>> flows[:, 0].tolist(), known.tolist()
    ([0.0, 3.0], [True, True])
    """
    n = int(labels.max()) + 1
    count = np.bincount(labels.ravel(), minlength=n)
    trusted = np.where(valid, labels, -1)
    trusted_count = np.bincount(trusted[trusted >= 0], minlength=n)
    index = np.arange(n)
    flows = np.zeros((n, 2), np.float64)
    known = trusted_count >= np.maximum(1, min_valid * count)
    if known.any():
        for axis in range(2):
            values = np.asarray(ndimage.median(flow[..., axis], trusted, index), np.float64)
            flows[:, axis] = np.where(known, np.nan_to_num(values), 0.0)
    return flows, known


def flow_segments(
    motion: MotionMap,
    flow: NDArray[np.float32],
    valid: NDArray[np.bool_],
    *,
    min_probability: float = 0.5,
    min_speed: float | None = 1.5,
    tolerance: float = 0.75,
    relative_tolerance: float = 0.25,
    min_share: float = 0.1,
    min_superpixels: int = 3,
    refine: bool = True,
) -> list[NDArray[np.bool_]]:
    """Candidates: the differently-moving groups of the moving blobs (module notes).

    Parameters
    ----------
    motion
        `motion_map` of frame 0 (superpixels, their adjacency and motion probability).
    flow
        ``(h, w, 2)`` float32 flow from frame 0 to a later frame of the shot with the camera
        motion removed, at the resolution of ``motion``.
    valid
        ``(h, w)`` bool: where ``flow`` is trusted.
    min_probability
        Superpixels at least this likely to move unlike the camera are the moving ones.
    min_speed
        Superpixels whose known flow is at least this fast (pixels) are moving ones too
        (``None``: only ``min_probability`` says).
    tolerance, relative_tolerance
        Two neighbours move alike when their median flows differ by at most
        ``max(tolerance, relative_tolerance × the faster one's speed)`` pixels.
    min_share, min_superpixels
        A group is a candidate when it holds at least this share of its blob's moving pixels
        and this many superpixels.
    refine
        Refine each group to the pixels near it that move as its affine motion says (its
        largest piece, small holes filled; the group as it is when under half of it is left).

    Returns
    -------
    list of numpy.ndarray
        ``(h, w)`` bool candidates, only from the blobs that hold two or more groups.

    Examples
    --------
    >>> import numpy as np
    >>> from sam2_autotrack.backends.local.motion_segments import MotionMap
    >>> labels = np.repeat(np.arange(8, dtype=np.int32)[None, :], 4, 0).repeat(4, 1)
    >>> i, j = np.arange(7), np.arange(1, 8)
    >>> motion = MotionMap(
    ...     probability=np.ones((4, 32), np.float32), labels=labels,
    ...     superpixel_probability=np.ones(8), edges=(i, j, np.full(7, 4.0)),
    ...     colour=np.zeros((8, 3)), count=np.full(8, 16.0))
    >>> flow = np.zeros((4, 32, 2), np.float32)
    >>> flow[:, :16, 0], flow[:, 16:, 1] = 3.0, -3.0     # two halves, two motions
    >>> [int(s.sum()) for s in flow_segments(motion, flow, np.ones((4, 32), bool))]
    [64, 64]
    """
    labels = motion.labels
    n = len(motion.superpixel_probability)
    flows, known = superpixel_flow(labels, flow, valid)
    moving = motion.superpixel_probability >= min_probability
    speed = np.hypot(flows[:, 0], flows[:, 1])
    if min_speed is not None:
        moving |= known & (speed >= min_speed)
    i, j, _ = motion.edges
    both = moving[i] & moving[j]
    bi, bj = i[both], j[both]
    blobs = _components(n, bi, bj)
    difference = np.hypot(*(flows[bi] - flows[bj]).T)
    allowed = np.maximum(tolerance, relative_tolerance * np.maximum(speed[bi], speed[bj]))
    alike = known[bi] & known[bj] & (difference <= allowed)
    groups = _components(n, bi[alike], bj[alike])
    out: list[NDArray[np.bool_]] = []
    for blob in np.unique(blobs[moving & known]):
        members = np.flatnonzero((blobs == blob) & moving & known)
        pixels = motion.count[members]
        total = float(pixels.sum())
        sizeable = []
        for group in np.unique(groups[members]):
            inside = members[groups[members] == group]
            if len(inside) >= min_superpixels and motion.count[inside].sum() >= min_share * total:
                sizeable.append(inside)
        if len(sizeable) < 2:
            continue
        for inside in sizeable:
            member = np.isin(labels, inside)
            if refine:
                member = _follow_pixels(
                    member, flow, valid, (tolerance, relative_tolerance, min_speed)
                )
            closed = cv2.morphologyEx(
                member.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8)
            )
            out.append(np.asarray(closed, np.uint8) > 0)
    return out


def _follow_pixels(
    member: NDArray[np.bool_],
    flow: NDArray[np.float32],
    valid: NDArray[np.bool_],
    tolerances: tuple[float, float, float | None],
) -> NDArray[np.bool_]:
    """Return the pixels near a group that move as its affine motion says (or the group)."""
    tolerance, relative_tolerance, min_speed = tolerances
    ys, xs = np.nonzero(member & valid)
    if len(xs) < 10:
        return member
    model = fit_affine_motion(xs, ys, flow, tolerance=tolerance)
    near = cv2.dilate(member.astype(np.uint8), np.ones((7, 7), np.uint8)) > 0
    py, px = np.nonzero(near & valid)
    predicted = affine_motion_at(model, px, py)
    actual = flow[py, px].astype(np.float64)
    speed = np.hypot(*actual.T)
    off = np.hypot(*(actual - predicted).T)
    ok = (off <= np.maximum(tolerance, relative_tolerance * speed)) & (
        speed >= (min_speed if min_speed is not None else tolerance)
    )
    follow = np.zeros_like(member)
    follow[py[ok], px[ok]] = True
    piece = largest_component(follow)
    if piece is None or piece.sum() < 0.5 * member.sum():
        return member
    return fill_small_holes(piece)


def _components(n: int, i: NDArray[np.int64], j: NDArray[np.int64]) -> NDArray[np.int32]:
    """Connected-component label of each of ``n`` nodes joined by the edges ``(i, j)``."""
    graph = csr_matrix((np.ones(len(i)), (i, j)), shape=(n, n))
    _, component = connected_components(graph, directed=False)
    return np.asarray(component, np.int32)
