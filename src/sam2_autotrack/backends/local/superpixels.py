"""Greedy superpixel merging: the candidate regions of the proposal generator.

SLIC superpixels of the working image are the nodes of a region adjacency graph; neighbours are
merged closest first (colour statistics, edge strength along the shared boundary, optionally
residual motion) and every region formed along the way is a candidate
(`merge_superpixels`).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.backends.local.options import ProposalOptions

__all__ = ["merge_superpixels"]


@dataclass
class _Region:
    """A node of the merge graph: a set of superpixels with summed features."""

    members: list[int]
    count: float
    hist: NDArray[np.float64]
    motion_sum: NDArray[np.float64]
    motion_count: float
    alive: bool = True
    birth: float = 0.0
    death: float = float("inf")
    stats: NDArray[np.float64] | None = None
    outline: float = 0.0

    def colour_stats(self, texture_weight: float, lightness_weight: float) -> NDArray[np.float64]:
        """Mean and (weighted) standard deviation of the region's Lab colours, cached."""
        if self.stats is None:
            mean = self.hist[:3] / self.count
            std = np.sqrt(np.maximum(self.hist[3:] / self.count - mean * mean, 0.0))
            stats = np.concatenate([mean, texture_weight * std])
            stats[0] *= lightness_weight
            self.stats = stats
        return self.stats

    def motion(self) -> NDArray[np.float64] | None:
        if self.motion_count < 0.3 * self.count or self.motion_count <= 0:
            return None
        return self.motion_sum / self.motion_count


def _adjacency(
    labels: NDArray[np.int64], n: int, edge: NDArray[np.float32]
) -> list[dict[int, list[float]]]:
    """Neighbours of every superpixel with the summed edge strength along the shared boundary."""
    keys_parts = []
    weight_parts = []
    for (a, b), (ea, eb) in (
        ((labels[:, :-1], labels[:, 1:]), (edge[:, :-1], edge[:, 1:])),
        ((labels[:-1, :], labels[1:, :]), (edge[:-1, :], edge[1:, :])),
    ):
        diff = a != b
        keys_parts.append(np.minimum(a[diff], b[diff]) * n + np.maximum(a[diff], b[diff]))
        weight_parts.append(0.5 * (ea[diff] + eb[diff]))
    keys = np.concatenate(keys_parts)
    weights = np.concatenate(weight_parts).astype(np.float64)
    unique, inverse = np.unique(keys, return_inverse=True)
    sums = np.bincount(inverse, weights=weights, minlength=len(unique))
    lengths = np.bincount(inverse, minlength=len(unique)).astype(np.float64)
    neighbours: list[dict[int, list[float]]] = [{} for _ in range(n)]
    for key, total, length in zip(unique.tolist(), sums.tolist(), lengths.tolist(), strict=True):
        i, j = divmod(int(key), n)
        neighbours[i][j] = [total, length]
        neighbours[j][i] = [total, length]
    return neighbours


def merge_superpixels(
    labels: NDArray[np.int64],
    lab_px: NDArray[np.float64],
    edge: NDArray[np.float32],
    edge_ref: float,
    residual: NDArray[np.float32] | None,
    valid: NDArray[np.bool_] | None,
    opts: ProposalOptions,
    *,
    total_area: float,
) -> list[list[int]]:
    """Merge superpixels greedily on a region adjacency graph; return the regions worth scoring.

    The distance of two neighbours is the difference of their colour statistics (Lab mean and
    spread) over ``colour_scale``, plus the mean edge strength along their shared boundary over
    ``edge_ref`` (times ``edge_weight``), plus, with ``motion_merge_weight``, their difference of
    residual motion. The closest pair merges until the distance passes ``merge_threshold``; every
    region formed along the way whose area is between ``min_area_fraction`` and
    ``max_area_fraction`` of ``total_area`` is a candidate, and the ``max_scored`` ones with the
    strongest mean outline are returned, as lists of superpixel labels.
    """
    n = int(labels.max()) + 1
    flat = labels.ravel()
    counts = np.bincount(flat, minlength=n).astype(np.float64)
    hists = np.concatenate(
        [
            np.stack([np.bincount(flat, weights=lab_px[:, c], minlength=n) for c in range(3)], 1),
            np.stack(
                [np.bincount(flat, weights=lab_px[:, c] ** 2, minlength=n) for c in range(3)], 1
            ),
        ],
        axis=1,
    )  # per-superpixel sums of Lab and of Lab squared: mean and spread of the region's colours
    motion_sum = np.zeros((n, 2))
    motion_count = np.zeros(n)
    has_motion = residual is not None and valid is not None and opts.motion_merge_weight > 0
    if residual is not None and valid is not None:
        vflat = valid.ravel()
        motion_count = np.bincount(flat[vflat], minlength=n).astype(np.float64)
        for c in range(2):
            motion_sum[:, c] = np.bincount(
                flat[vflat], weights=np.nan_to_num(residual[..., c]).ravel()[vflat], minlength=n
            )
    regions = [
        _Region([i], counts[i], hists[i].copy(), motion_sum[i].copy(), motion_count[i])
        for i in range(n)
    ]
    neighbours = _adjacency(labels, n, edge)
    neighbours_initial = [list(nb.values()) for nb in neighbours]

    def distance(a: _Region, b: _Region, shared: list[float]) -> float:
        weights = (opts.texture_weight, opts.lightness_weight)
        diff = a.colour_stats(*weights) - b.colour_stats(*weights)
        d = float(np.sqrt(np.dot(diff, diff)))
        d /= opts.colour_scale
        d += opts.edge_weight * shared[0] / max(shared[1], 1.0) / edge_ref
        if has_motion:
            ma, mb = a.motion(), b.motion()
            if ma is not None and mb is not None:
                d += opts.motion_merge_weight * float(np.hypot(*(ma - mb))) / opts.moving_px
        return d

    heap: list[tuple[float, int, int]] = []
    for i in range(n):
        for j, shared in neighbours[i].items():
            if i < j:
                heap.append((distance(regions[i], regions[j], shared), i, j))
    heapq.heapify(heap)
    min_area = opts.min_area_fraction * total_area
    max_area = opts.max_area_fraction * total_area
    while heap:
        d, i, j = heapq.heappop(heap)
        if d > opts.merge_threshold:
            break
        if not (regions[i].alive and regions[j].alive):
            continue
        a, b = regions[i], regions[j]
        merged = _Region(
            a.members + b.members,
            a.count + b.count,
            a.hist + b.hist,
            a.motion_sum + b.motion_sum,
            a.motion_count + b.motion_count,
            birth=d,
        )
        a.alive = b.alive = False
        a.death = b.death = d
        k = len(regions)
        regions.append(merged)
        nbrs: dict[int, list[float]] = {}
        for old in (i, j):
            for m, shared in neighbours[old].items():
                if m in (i, j):
                    continue
                acc = nbrs.setdefault(m, [0.0, 0.0])
                acc[0] += shared[0]
                acc[1] += shared[1]
                neighbours[m].pop(old, None)
        neighbours.append(nbrs)
        outline = sum(v[0] for v in nbrs.values())
        outline_len = sum(v[1] for v in nbrs.values())
        merged.outline = outline / max(outline_len, 1.0)
        for m, shared in nbrs.items():
            neighbours[m][k] = shared
            if regions[m].alive:
                heapq.heappush(heap, (distance(merged, regions[m], shared), min(k, m), max(k, m)))
    # every region of plausible size is a candidate; only those with the strongest mean outline
    # (edge strength along the boundary with their neighbours when they formed) get scored
    for i in range(n):
        shared_all = neighbours_initial[i]
        regions[i].outline = sum(v[0] for v in shared_all) / max(sum(v[1] for v in shared_all), 1.0)
    ranked = sorted(
        (r for r in regions if min_area <= r.count <= max_area and (len(r.members) > 1 or r.alive)),
        key=lambda r: -r.outline,
    )
    return [r.members for r in ranked[: opts.max_scored]]
