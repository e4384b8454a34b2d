"""Interior positive seeds: well-spread clicks deep inside one mask (`find_seeds`).

SAM 2 video follows whatever the first clicks say. A click on an object's edge may be read as the
neighbouring object, so positive seeds are placed *deep* inside the mask -- at least a margin away
from its boundary and from the image border (depth as defined in
[`sam2_autotrack.seeds`][sam2_autotrack.seeds]) -- and spread out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.errors import ClickError, MaskError
from sam2_autotrack.seeds._depth import depth_map, padded_crop
from sam2_autotrack.selection.geometry import as_contiguous_mask as _as_mask2d

__all__ = ["Seeds", "find_seeds", "seed_points"]

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

    1. **Margin.** Only pixels at least ``margin`` deep are eligible (depth as defined in
       [`sam2_autotrack.seeds`][sam2_autotrack.seeds]: the image edge counts as boundary). The
       default margin is ``min(12, 0.25 * R)``, ``R`` the mask's maximum inscribed radius -- always
       satisfiable. If no pixel is ``margin`` deep (only possible with an explicit margin), the
       deepest pixels are used instead and ``fallback`` is set; points are never silently put on the
       edge.
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
    padded, off_x, off_y = padded_crop(array, 1)
    depth = depth_map(padded)
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
    [`find_seeds`][sam2_autotrack.seeds.find_seeds] for the rules, and use it to learn whether the
    margin could be honoured (with the default margin it always can).

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
