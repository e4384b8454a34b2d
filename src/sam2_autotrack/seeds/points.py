"""Interior seed clicks for a selected object, negative clicks near its neighbours.

SAM 2 video follows whatever the first clicks say. A click on an object's edge may be read as the
neighbouring object, so positive seeds here are placed *deep* inside the mask -- at least a margin
away from its boundary and from the image border -- and spread out, and negative clicks go just
outside the object where a leak is likely (inside a neighbour it touches).

Depth is the Euclidean distance transform of the *zero-padded* mask: the distance of each pixel to
the nearest pixel that is not in the mask, where the pixels beyond the image edge count as not in
the mask. A pixel next to the boundary has depth 1; a disc of radius ``r`` has depth ``≈ r`` at its
centre (its *maximum inscribed radius*).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import cv2
import numpy as np
from numpy.typing import NDArray
from pydantic import ValidationError
from scipy import ndimage

from sam2_autotrack.clicks import Click, ClickSet
from sam2_autotrack.errors import ClickError, MaskError, MaskSizeError, SelectionError
from sam2_autotrack.selection.select import Selection, _as_mask2d, _mask_box

__all__ = [
    "Seeds",
    "clicks_from_selection",
    "find_seeds",
    "negative_points",
    "seed_points",
]

_MAX_CANDIDATES = 40_000


@dataclass(frozen=True)
class Seeds:
    """Positive seed points for one mask, and how well they honour the margin.

    Attributes
    ----------
    points_xy
        ``(k, 2)`` int64 ``(x, y)`` pixels, ``k ≤ n``, all inside the mask, best first.
    margin
        The margin asked for, in pixels (the scale-aware default when ``margin=None``).
    depth
        ``(k,)`` depth of each point (distance to the nearest non-mask pixel or the image edge).
    max_depth
        The mask's maximum inscribed radius ``R`` (its deepest pixel's depth).
    fallback
        ``True`` when no pixel of the mask is ``margin`` deep: the points are then the deepest
        pixels there are, and their depth is below the margin.
    note
        Plain-language summary, e.g. why fewer than ``n`` points were returned.
    """

    points_xy: NDArray[np.int64]
    margin: float
    depth: NDArray[np.float64]
    max_depth: float
    fallback: bool
    note: str

    def __len__(self) -> int:
        return int(self.points_xy.shape[0])


def _rounded_centroid(region: NDArray[np.bool_]) -> tuple[int, int]:
    """Centroid ``(x, y)`` rounded half up, in exact integer arithmetic.

    OpenCV's centroids are float sums that its parallel labelling may add in any order, so a
    centroid at exactly ``.5`` could round either way from one call to the next.
    """
    ys, xs = np.nonzero(region)
    area = int(xs.size)
    return ((2 * int(xs.sum()) + area) // (2 * area), (2 * int(ys.sum()) + area) // (2 * area))


def _rng(rng: np.random.Generator | int | None) -> np.random.Generator | None:
    if rng is None or isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng(rng)


def _pick(flat_scores: NDArray[Any], rng: np.random.Generator | None) -> int:
    """Index of the maximum; exact ties go to the first in raster order, or to ``rng``."""
    best = flat_scores.max()
    if rng is None:
        return int(np.argmax(flat_scores))
    ties = np.flatnonzero(flat_scores == best)
    return int(ties[0] if ties.size == 1 else rng.choice(ties))


def _padded_crop(mask: NDArray[np.bool_], pad: int) -> tuple[NDArray[np.uint8], int, int]:
    """Bounding-box crop of ``mask`` with ``pad`` zero pixels around; returns crop, x0, y0."""
    x, y, x1, y1 = _mask_box(mask)
    crop = np.ascontiguousarray(mask[y:y1, x:x1].view(np.uint8))
    padded = np.asarray(
        cv2.copyMakeBorder(crop, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0), dtype=np.uint8
    )
    return padded, x - pad, y - pad


def _depth(binary_u8: NDArray[np.uint8], *, exact: bool = True) -> NDArray[np.float32]:
    """Euclidean distance of each non-zero pixel to the nearest zero pixel.

    ``exact=True`` uses SciPy's exact EDT: OpenCV's ``DIST_MASK_PRECISE`` runs in parallel and
    was seen to return slightly different values from one call to the next on the same input,
    which made seeds non-deterministic. ``exact=False`` uses OpenCV's sequential 5×5 chamfer
    approximation (faster, within ~2%).
    """
    if exact:
        return np.asarray(ndimage.distance_transform_edt(binary_u8), dtype=np.float32)
    return np.asarray(cv2.distanceTransform(binary_u8, cv2.DIST_L2, 5), dtype=np.float32)


def find_seeds(
    mask: Any,
    *,
    n: int = 3,
    margin: float | None = None,
    min_component_fraction: float = 0.15,
    rng: np.random.Generator | int | None = None,
) -> Seeds:
    """Choose up to ``n`` well-spread positive clicks deep inside ``mask``.

    Rules, in order:

    1. **Margin.** Only pixels at least ``margin`` deep are eligible (depth as in the module
       docstring, so the image edge counts as boundary). The default margin is
       ``min(12, 0.25 * R)``, ``R`` the mask's maximum inscribed radius -- always satisfiable. If
       no pixel is ``margin`` deep (only possible with an explicit margin), the deepest pixels are
       used instead and ``fallback`` is set; points are never silently put on the edge.
    2. **Components.** The 8-connected components are taken largest first. The largest one, and
       every other component holding at least ``min_component_fraction`` of the mask's area, gets
       one seed (while ``n`` allows), provided it has an eligible pixel; smaller fragments get
       none (a click on a fragment is more likely a click on noise).
    3. **First seed of a component.** Its centroid, *only* if the centroid lies in the component
       and is at least ``max(margin, R_c / 2)`` deep (``R_c`` its inscribed radius) -- the centroid
       of a ring or a C lies outside it; otherwise its deepest pixel.
    4. **The rest.** Farthest-point sampling over the eligible pixels of the seeded components,
       weighted towards depth: the next seed maximises ``d(p) * depth(p) / R`` with ``d(p)`` the
       distance to the nearest seed so far (in a disc of radius ``R`` seeded at its centre this is
       ``R / 2`` from the centre: spread out, yet never hugging the boundary), and must be at
       least ``max(2, margin)`` px from every seed (so tiny masks get fewer, distinct seeds).

    The result depends only on the input: ``rng`` is used solely to break exact ties (with
    ``rng=None`` ties go to the first pixel in raster order).

    Parameters
    ----------
    mask
        ``(H, W)`` bool (any array; non-zero is foreground). Not modified.
    n
        Maximum number of seeds.
    margin
        Minimum depth in pixels; ``None`` for the scale-aware default.
    min_component_fraction
        Share of the mask's area a secondary component needs to get a seed.
    rng
        Tie-breaker: a ``numpy.random.Generator``, a seed, or ``None``.

    Returns
    -------
    Seeds
        Points, their depth, the margin and whether the fallback was used.

    Raises
    ------
    MaskError
        ``mask`` is not 2-D or is empty.
    ClickError
        ``n`` is below 1.

    Examples
    --------
    >>> import numpy as np
    >>> ring = np.zeros((100, 100), dtype=np.uint8)
    >>> import cv2
    >>> _ = cv2.circle(ring, (50, 50), 35, 1, thickness=12)
    >>> seeds = find_seeds(ring, n=3)
    >>> bool(ring[50, 50]), len(seeds), bool(all(ring[y, x] for x, y in seeds.points_xy))
    (False, 3, True)
    """
    if n < 1:
        raise ClickError(f"n must be at least 1 seed; got {n}. Ask for n=1 or more")
    array = _as_mask2d(mask)
    if not array.any():
        raise MaskError(
            "the mask is empty, so there is nowhere to click; drop this object or pass a "
            "mask with foreground pixels"
        )
    generator = _rng(rng)
    padded, off_x, off_y = _padded_crop(array, 1)
    depth = _depth(padded)
    _, labels, stats, _ = cv2.connectedComponentsWithStats(padded, connectivity=8)
    areas = stats[:, cv2.CC_STAT_AREA].astype(np.int64)
    areas[0] = 0
    total = int(areas.sum())
    order = [int(c) for c in np.argsort(-areas[1:], kind="stable") + 1]
    eligible = [order[0]] + [c for c in order[1:] if areas[c] >= min_component_fraction * total]
    max_depth = float(depth.max())
    used_margin = min(12.0, 0.25 * max_depth) if margin is None else float(margin)

    in_eligible = np.isin(labels, eligible)
    threshold = used_margin
    fallback = False
    eligible_depth = float(depth[in_eligible].max())
    if eligible_depth < used_margin:
        threshold, fallback = eligible_depth, True
    deep = in_eligible & (depth >= threshold)
    spacing = max(2.0, used_margin)

    points: list[tuple[int, int]] = []
    for component in eligible:
        if len(points) >= n:
            break
        region = deep & (labels == component)
        if not region.any():
            continue
        comp_depth = float(depth[labels == component].max())
        cx, cy = _rounded_centroid(labels == component)
        if (
            labels[cy, cx] == component
            and depth[cy, cx] >= max(threshold, comp_depth / 2.0)
            and not fallback
        ):
            points.append((cx, cy))
            continue
        ys, xs = np.nonzero(region)
        best = _pick(depth[ys, xs], generator)
        points.append((int(xs[best]), int(ys[best])))

    seeded = [c for c in eligible if any(labels[y, x] == c for x, y in points)]
    cand_y, cand_x = np.nonzero(deep & np.isin(labels, seeded))
    if cand_y.size > _MAX_CANDIDATES:
        stride = math.ceil(cand_y.size / _MAX_CANDIDATES)
        cand_y, cand_x = cand_y[::stride], cand_x[::stride]
    weight = depth[cand_y, cand_x].astype(np.float64) / max(eligible_depth, 1e-9)
    nearest = np.full(cand_y.size, np.inf)
    for x, y in points:
        nearest = np.minimum(nearest, np.hypot(cand_x - x, cand_y - y))
    while len(points) < n and cand_y.size:
        score = np.where(nearest >= spacing, nearest * weight, -1.0)
        best = _pick(score, generator)
        if score[best] < 0:
            break
        x, y = int(cand_x[best]), int(cand_y[best])
        points.append((x, y))
        nearest = np.minimum(nearest, np.hypot(cand_x - x, cand_y - y))

    points_xy = np.array([(x + off_x, y + off_y) for x, y in points], dtype=np.int64)
    point_depth = np.array([float(depth[y, x]) for x, y in points], dtype=np.float64)
    if fallback:
        note = (
            f"no pixel is {used_margin:g} px deep (deepest {eligible_depth:.1f} px); used the "
            "deepest pixels -- pass a smaller margin or check the mask"
        )
    elif len(points) < n:
        note = f"only {len(points)} seeds fit {spacing:g} px apart at depth >= {used_margin:g} px"
    else:
        note = f"{len(points)} seeds at depth >= {used_margin:g} px"
    return Seeds(
        points_xy=points_xy.reshape(-1, 2),
        margin=used_margin,
        depth=point_depth,
        max_depth=max_depth,
        fallback=fallback,
        note=note,
    )


def seed_points(
    mask: Any,
    *,
    n: int = 3,
    margin: float | None = None,
    rng: np.random.Generator | int | None = None,
) -> NDArray[np.int64]:
    """Up to ``n`` well-spread ``(x, y)`` positive clicks deep inside ``mask``.

    Shortcut for ``find_seeds(mask, n=n, margin=margin, rng=rng).points_xy``; see
    :func:`find_seeds` for the rules, and use it to learn whether the margin could be honoured
    (with the default margin it always can).

    Parameters
    ----------
    mask
        ``(H, W)`` bool. Not modified.
    n
        Maximum number of points.
    margin
        Minimum distance in pixels from the mask boundary and the image border; ``None`` for
        ``min(12, 0.25 * max inscribed radius)``.
    rng
        Tie-breaker only; the same input always gives the same points.

    Returns
    -------
    numpy.ndarray
        ``(k, 2)`` int64 ``(x, y)``, ``1 ≤ k ≤ n``.

    Examples
    --------
    >>> import numpy as np
    >>> m = np.zeros((60, 80), dtype=bool)
    >>> m[10:50, 10:70] = True
    >>> seed_points(m, n=1).tolist()
    [[40, 30]]
    """
    return find_seeds(mask, n=n, margin=margin, rng=rng).points_xy


def negative_points(
    mask: Any,
    others: Any,
    *,
    max_points: int = 2,
    gap: int = 3,
    reach: float | None = None,
) -> NDArray[np.int64]:
    """Negative clicks just outside ``mask``, inside the neighbours it touches.

    Policy ("touching"): a neighbour in ``others`` counts when some of its pixels (outside
    ``mask``) are within ``gap`` px of ``mask`` -- touching or nearly touching, where SAM 2 is most
    likely to leak from one object into the other. Each such neighbour gets at most one click, at
    the pixel ``p`` of the neighbour, within ``reach`` px of ``mask``, that maximises
    ``min(depth_n(p), reach) - 0.5 * dist(p, mask)``: well inside the neighbour (``depth_n`` as in
    the module docstring) yet close to the shared boundary. Neighbours are taken by contact length
    (pixels within ``gap``), longest first. Neighbours that do not touch get no click.

    Parameters
    ----------
    mask
        ``(H, W)`` bool, the object. Not modified.
    others
        ``(M, H, W)`` bool (or a sequence of ``(H, W)`` masks), the other objects; may be empty.
    max_points
        Maximum number of clicks returned.
    gap
        How close (px) a neighbour must come to count as touching.
    reach
        How far from ``mask`` (px) a click may go; default ``clip(R / 2, 6, 40)``, ``R`` the
        object's maximum inscribed radius.

    Returns
    -------
    numpy.ndarray
        ``(k, 2)`` int64 ``(x, y)``, ``0 ≤ k ≤ max_points``, none inside ``mask``.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.zeros((40, 80), dtype=bool)
    >>> a[10:30, 10:40] = True
    >>> b = np.zeros_like(a)
    >>> b[10:30, 40:70] = True
    >>> pts = negative_points(a, b[None])
    >>> len(pts), bool(b[pts[0, 1], pts[0, 0]]), bool(a[pts[0, 1], pts[0, 0]])
    (1, True, False)
    """
    array = _as_mask2d(mask)
    height, width = array.shape
    if isinstance(others, np.ndarray) and others.ndim == 2:
        others = others[None]
    neighbours = [_as_mask2d(o, "others[i]") for o in (others if len(others) else [])]
    for o in neighbours:
        if o.shape != array.shape:
            raise MaskSizeError(
                f"a neighbour mask is {o.shape[1]}x{o.shape[0]} but the object is "
                f"{width}x{height}; pass masks of the same frame",
                expected_wh=(width, height),
                actual_wh=(int(o.shape[1]), int(o.shape[0])),
            )
    empty = np.zeros((0, 2), dtype=np.int64)
    if max_points < 1 or not neighbours or not array.any():
        return empty

    bx0, by0, bx1, by1 = _mask_box(array)
    if reach is None:
        padded, _, _ = _padded_crop(array, 1)
        reach = float(np.clip(_depth(padded, exact=False).max() / 2.0, 6.0, 40.0))
    grow = math.ceil(2 * reach + gap + 1)
    x0, y0 = max(0, bx0 - grow), max(0, by0 - grow)
    x1, y1 = min(width, bx1 + grow), min(height, by1 + grow)
    obj = np.ascontiguousarray(array[y0:y1, x0:x1].view(np.uint8))
    # Distance of every pixel outside the object to the object (0 inside it).
    to_obj = _depth(np.ascontiguousarray(1 - obj), exact=False)

    found: list[tuple[int, int, int]] = []  # (contact, x, y)
    for o in neighbours:
        region = o[y0:y1, x0:x1] & (obj == 0)
        contact = int(np.count_nonzero(region & (to_obj <= gap)))
        if not contact:
            continue
        inside = cv2.copyMakeBorder(region.view(np.uint8), 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
        depth_n = _depth(inside, exact=False)[1:-1, 1:-1]
        candidates = region & (to_obj <= reach)
        score = np.where(candidates, np.minimum(depth_n, reach) - 0.5 * to_obj, -np.inf)
        best = int(np.argmax(score))
        by, bx = divmod(best, score.shape[1])
        found.append((contact, bx + x0, by + y0))
    found.sort(key=lambda item: -item[0])
    points = [(px, py) for _, px, py in found[:max_points]]
    return np.array(points, dtype=np.int64).reshape(-1, 2) if points else empty


def clicks_from_selection(
    masks: Selection | Any,
    *,
    object_ids: Sequence[str] | None = None,
    seeds_per_object: int = 3,
    negatives: Literal["touching", "none"] = "touching",
    max_negatives: int = 2,
    margin: float | None = None,
    frame: int = 0,
) -> ClickSet:
    """Turn selected object masks into the click set for SAM 2 video.

    Every object gets up to ``seeds_per_object`` positive clicks from :func:`find_seeds` and, with
    ``negatives="touching"``, up to ``max_negatives`` negative clicks from
    :func:`negative_points` in the other selected objects it touches. Clicks are ordered object by
    object, positives first.

    Parameters
    ----------
    masks
        A :class:`~sam2_autotrack.Selection`, or ``(K, H, W)`` bool masks (one per object).
    object_ids
        One id per object; default ``obj_1 .. obj_K``.
    seeds_per_object
        Maximum positive clicks per object.
    negatives
        ``"touching"`` (default) or ``"none"``.
    max_negatives
        Maximum negative clicks per object.
    margin
        Seed margin in pixels, as in :func:`find_seeds` (``None``: scale-aware default).
    frame
        Frame index the clicks are on.

    Returns
    -------
    ClickSet
        With ``resolution_wh`` set from the masks.

    Raises
    ------
    SelectionError
        There are no masks, or one of them is empty.
    ClickError
        ``object_ids`` has the wrong length or an invalid id.

    Examples
    --------
    >>> import numpy as np
    >>> m = np.zeros((2, 60, 80), dtype=bool)
    >>> m[0, 10:50, 5:40] = True
    >>> m[1, 10:50, 40:75] = True
    >>> cs = clicks_from_selection(m, seeds_per_object=1)
    >>> cs.to_replicate().click_labels, cs.object_ids
    ('1,0,1,0', ('obj_1', 'obj_2'))
    """
    if isinstance(masks, Selection):
        stack = masks.masks
    else:
        stack = np.asarray(masks)
        if stack.ndim != 3:
            raise MaskError(
                f"masks must be a 3-D (K, H, W) array or a Selection; got shape {stack.shape}. "
                "Stack single masks with np.stack"
            )
        stack = stack != 0 if stack.dtype != np.bool_ else stack
    count, height, width = stack.shape
    if count == 0:
        detail = ""
        if isinstance(masks, Selection):
            detail = f" (decisions: {masks.category_counts()})"
        raise SelectionError(
            f"no objects were selected{detail}, so there is nothing to click on; relax "
            "SelectionOptions (max_area_fraction, border_touch_limit, min_area_fraction) or "
            "check the proposals"
        )
    ids = list(object_ids) if object_ids is not None else [f"obj_{k + 1}" for k in range(count)]
    if len(ids) != count:
        raise ClickError(
            f"got {len(ids)} object ids for {count} objects; pass one id per mask or "
            "object_ids=None for obj_1..obj_K"
        )
    for object_id in ids:
        try:
            Click(x=0, y=0, object_id=object_id)
        except ValidationError as exc:
            message = exc.errors()[0]["msg"].removeprefix("Value error, ")
            raise ClickError(f"invalid object id {object_id!r}: {message}") from None
    clicks: list[Click] = []
    for k in range(count):
        if not stack[k].any():
            raise SelectionError(
                f"object {ids[k]!r} has an empty mask; drop it before making clicks"
            )
        seeds = find_seeds(stack[k], n=seeds_per_object, margin=margin)
        for px, py in seeds.points_xy.tolist():
            clicks.append(Click(x=int(px), y=int(py), label=1, frame=frame, object_id=ids[k]))
        if negatives == "touching" and count > 1:
            others = [stack[j] for j in range(count) if j != k]
            reach = float(np.clip(seeds.max_depth / 2.0, 6.0, 40.0))
            negs = negative_points(stack[k], others, max_points=max_negatives, reach=reach)
            for px, py in negs.tolist():
                clicks.append(Click(x=int(px), y=int(py), label=0, frame=frame, object_id=ids[k]))
    return ClickSet.build(clicks, resolution_wh=(width, height))
