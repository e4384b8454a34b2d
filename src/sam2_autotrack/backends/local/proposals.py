"""Automatic object proposals on one image with classical CPU segmentation (no model weights).

The embedded engine's answer to SAM 2's automatic mask generator:

1. SLIC superpixels on a working copy of the image (longest side ``work_max_side``), at several
   superpixel counts (greedy merging depends on the starting partition; pooling several makes
   the proposals robust, much as SAM pools crops).
2. Per partition, superpixels are merged greedily on a region adjacency graph. The distance of
   two neighbours is the difference of their colour statistics (Lab mean and spread, so a
   striped or checkered object reads as one texture) plus the mean edge strength along their
   shared boundary (edges of a texture-smoothed Lab image: high on object outlines, low inside
   textures). Every region formed along the way is a candidate.
3. Candidates are scored by how an *object* looks: it differs from the ring of pixels around it
   all the way round (a low percentile of the ring's colour differences) and has a strong
   outline nearly everywhere (a low percentile of the edge strength along it). Parts of objects
   and pieces of background next to objects fail one or both. Candidates below ``min_score``
   are dropped, like SAM's predicted-IoU threshold.
4. When later frames of the video are at hand, DIS optical flow from frame 0 to frame ``k`` (and
   back, to discard pixels occluded in frame ``k``) minus the camera motion (a similarity fit
   with RANSAC) gives each candidate a motion contrast that can nudge its score
   (``motion_weight``) and, optionally, the merge distance (``motion_merge_weight``). Both
   default low: flow in weakly textured background next to a moving object is dragged along
   with it, which misleads more often than it helps.
5. Best first, a candidate nested in a better one (a part or duplicate) or swallowing a clearly
   better one (object plus background) is dropped; one swallowing a barely better one replaces
   it (the whole of which it is a part). The proposals are nearly disjoint.

Everything is deterministic (SLIC, DIS and the seeded RANSAC have no free randomness here).
"""

from __future__ import annotations

import heapq
import time
from dataclasses import dataclass
from typing import Annotated

import cv2
import numpy as np
from numpy.typing import NDArray
from pydantic import Field
from scipy.ndimage import find_objects
from skimage.segmentation import slic

from sam2_autotrack._options import Options
from sam2_autotrack.backends.base import MaskProposals
from sam2_autotrack.errors import MaskError
from sam2_autotrack.masks.validate import as_rgb_image

__all__ = ["ProposalOptions", "propose_masks"]

_MIN_EDGE_REF = 20.0  # floor of the reference edge strength (Sobel of Lab), for flat images


class ProposalOptions(Options):
    """Parameters of the classical proposal generator (one fixed set; not tuned per clip).

    Parameters
    ----------
    work_max_side
        Longest side, in pixels, of the working copy segmented into superpixels. 640 keeps a
        854×480 frame at 0.75 scale (about 0.2 s of SLIC); masks are resized back to the image.
    superpixels
        Approximate numbers of SLIC superpixels; the merge hierarchy is built once per entry and
        the candidates of all of them are pooled (greedy merging is sensitive to the starting
        partition; several partitions make the proposals robust, as SAM's multi-crop does).
    compactness
        SLIC compactness (higher: squarer superpixels, lower: they follow colour edges more).
    slic_iterations
        k-means iterations of SLIC (scikit-image's default is 10; 6 is nearly as good and
        faster).
    motion_offset
        Frame ``k`` whose motion relative to frame 0 is measured (the last available frame when
        the video is shorter).
    motion_merge_weight
        Weight, in the merge distance, of the residual-motion difference of two neighbours
        (in units of ``moving_px``). 0 by default: flow in weakly textured background next to a
        moving object is dragged along with it, which merges object and background more often
        than it separates touching objects.
    motion_weight
        Share of the motion contrast (how much of the ring around a candidate moves unlike it)
        in the score of a candidate that moves independently of the camera; candidates that do
        not move lose half of this share.
    moving_px
        Mean residual motion (working pixels over ``k`` frames) above which a region is "moving
        independently of the camera".
    colour_scale
        Colour difference (Lab units) that counts as distance 1 when merging and as contrast 0.5
        when scoring.
    edge_weight
        Weight of the mean edge strength along the boundary two neighbours share (relative to
        the image's 90th-percentile edge strength) in their merge distance.
    ring_percentile
        A candidate's colour contrast is this percentile of the colour differences between it and
        the pixels of a ring around it, and its outline strength this percentile of the edge
        strength along its outline: low percentiles demand contrast all around (an object),
        which parts of objects and background next to objects lack.
    enclosed_penalty
        The score is multiplied by ``1 - enclosed_penalty * f``, ``f`` the fraction of the
        candidate's pixels within ``colour_scale`` of its surroundings' mean colour: a ring's
        candidate that swallowed the hole, or an object plus a piece of background, holds
        pixels that look like what is around it.
    confidence_span
        The reported confidence is ``(score - min_score) / confidence_span`` clipped to
        ``[0, 1]``, so it spreads over the whole range that a selection step weighs.
    colour_weight
        Share of the colour contrast in the score; the outline strength has the rest.
    min_score
        Candidates scoring below this are not proposed (SAM's generator likewise drops masks
        below a predicted-IoU threshold): on the synthetic suite it keeps about 95 % of the
        object candidates and drops about 99.7 % of the background ones.
    edge_percentile
        Edge strength at this percentile of the image counts as a full-strength outline when a
        candidate's outline is scored.
    texture_window
        Window (fraction of the working image's longest side) over which colour means and
        standard deviations are taken, so a striped or checkered object reads as one texture.
    texture_weight
        Weight of the colour standard deviations relative to the colour means.
    lightness_weight
        Weight of the mean lightness (L) relative to the chromaticity (a, b) when merging:
        below 1 makes merging tolerant of shading across one object.
    merge_threshold
        Merging stops when the closest pair of neighbours is further apart than this.
    min_area_fraction, max_area_fraction
        Candidates outside this fraction of the frame are not emitted.
    max_scored
        Per superpixel partition, only this many regions of the merge hierarchy are scored: those
        with the strongest mean edge along their outline when they formed (a cheap proxy of
        the full score; scoring is the costly step).
    nested_fraction
        A candidate with this fraction of its area inside a better-scored one is dropped as a
        part or duplicate of it (a candidate holding 80 % of a better-scored one is dropped
        too, see ``whole_margin``), so the proposals are mostly disjoint and a "keep the whole"
        selection cannot pick an object-plus-background blob over the object.
    whole_margin
        A candidate holding 80 % of a better-scored one replaces it (as the whole of which the
        better one is a part) when its score is at most this much lower; further below, it is
        dropped as the better one plus background.
    max_proposals
        At most this many candidates are returned (best score first).

    Examples
    --------
    >>> opts = ProposalOptions(superpixels=(400,), min_score=0.4)
    >>> opts.superpixels, opts.work_max_side
    ((400,), 640)
    """

    work_max_side: Annotated[int, Field(ge=64)] = 640
    superpixels: tuple[Annotated[int, Field(ge=16)], ...] = (600, 1000)
    compactness: Annotated[float, Field(gt=0)] = 12.0
    slic_iterations: Annotated[int, Field(ge=1)] = 6
    motion_offset: Annotated[int, Field(ge=1)] = 5
    motion_merge_weight: Annotated[float, Field(ge=0)] = 0.0
    motion_weight: Annotated[float, Field(ge=0, le=1)] = 0.05
    moving_px: Annotated[float, Field(gt=0)] = 1.5
    merge_threshold: Annotated[float, Field(gt=0)] = 10.0
    colour_scale: Annotated[float, Field(gt=0)] = 12.0
    edge_weight: Annotated[float, Field(ge=0)] = 1.0
    ring_percentile: Annotated[float, Field(ge=0, le=100)] = 15.0
    colour_weight: Annotated[float, Field(ge=0, le=1)] = 0.6
    min_score: Annotated[float, Field(ge=0, le=1)] = 0.45
    confidence_span: Annotated[float, Field(gt=0, le=1)] = 0.35
    enclosed_penalty: Annotated[float, Field(ge=0, le=1)] = 1.0
    edge_percentile: Annotated[float, Field(ge=0, le=100)] = 90.0
    texture_window: Annotated[float, Field(gt=0, le=0.2)] = 0.025
    texture_weight: Annotated[float, Field(ge=0)] = 1.0
    lightness_weight: Annotated[float, Field(ge=0)] = 0.75
    min_area_fraction: Annotated[float, Field(ge=0, le=1)] = 0.002
    max_area_fraction: Annotated[float, Field(gt=0, le=1)] = 0.35
    max_proposals: Annotated[int, Field(ge=1)] = 64
    nested_fraction: Annotated[float, Field(gt=0, le=1)] = 0.9
    whole_margin: Annotated[float, Field(ge=0, le=1)] = 0.03
    max_scored: Annotated[int, Field(ge=1)] = 200


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


@dataclass
class _Candidate:
    """A scored candidate stored as its bounding-box crop (full masks would not fit in memory)."""

    score: float
    area: int
    top: int
    left: int
    crop: NDArray[np.bool_]

    def overlap(self, other: _Candidate) -> int:
        top = max(self.top, other.top)
        left = max(self.left, other.left)
        bottom = min(self.top + self.crop.shape[0], other.top + other.crop.shape[0])
        right = min(self.left + self.crop.shape[1], other.left + other.crop.shape[1])
        if bottom <= top or right <= left:
            return 0
        mine = self.crop[top - self.top : bottom - self.top, left - self.left : right - self.left]
        theirs = other.crop[
            top - other.top : bottom - other.top, left - other.left : right - other.left
        ]
        return int(np.count_nonzero(mine & theirs))

    def full(self, shape: tuple[int, int]) -> NDArray[np.bool_]:
        mask = np.zeros(shape, dtype=bool)
        mask[
            self.top : self.top + self.crop.shape[0], self.left : self.left + self.crop.shape[1]
        ] = self.crop
        return mask


def _residual_motion(
    first: NDArray[np.uint8], later: NDArray[np.uint8]
) -> tuple[NDArray[np.float32], NDArray[np.bool_]]:
    """Return per-pixel flow minus the camera motion, and where the flow is trustworthy."""
    g0 = cv2.cvtColor(first, cv2.COLOR_RGB2GRAY)
    g1 = cv2.cvtColor(later, cv2.COLOR_RGB2GRAY)
    dis = cv2.DISOpticalFlow.create(cv2.DISOpticalFlow_PRESET_MEDIUM)
    fwd = np.asarray(dis.calc(g0, g1, np.zeros((*g0.shape, 2), np.float32)), np.float32)
    bwd = np.asarray(dis.calc(g1, g0, np.zeros((*g0.shape, 2), np.float32)), np.float32)
    h, w = g0.shape
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    map_x = xs + fwd[..., 0]
    map_y = ys + fwd[..., 1]
    back = cv2.remap(bwd, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    err = np.hypot(fwd[..., 0] + back[..., 0], fwd[..., 1] + back[..., 1])
    speed = np.hypot(fwd[..., 0], fwd[..., 1])
    inside = (map_x >= 0) & (map_x <= w - 1) & (map_y >= 0) & (map_y <= h - 1)
    valid = inside & (err < 0.75 + 0.1 * speed)
    step = max(2, min(h, w) // 60)
    grid = np.zeros_like(valid)
    grid[::step, ::step] = True
    sample = valid & grid
    src = np.stack([xs[sample], ys[sample]], axis=1)
    dst = src + fwd[sample]
    residual = fwd.copy()
    if len(src) >= 6:
        cv2.setRNGSeed(0)
        model, _ = cv2.estimateAffinePartial2D(
            src, dst, method=cv2.RANSAC, ransacReprojThreshold=1.0, maxIters=2000, confidence=0.995
        )
        if model is not None:
            pred_x = model[0, 0] * xs + model[0, 1] * ys + model[0, 2] - xs
            pred_y = model[1, 0] * xs + model[1, 1] * ys + model[1, 2] - ys
            residual[..., 0] -= pred_x.astype(np.float32)
            residual[..., 1] -= pred_y.astype(np.float32)
    return residual, valid


def _edge_strength(features: NDArray[np.float32]) -> NDArray[np.float32]:
    """Gradient magnitude of the texture features (high on object outlines, low in textures)."""
    grad = np.zeros(features.shape[:2], np.float32)
    for c in range(features.shape[2]):
        gx = cv2.Sobel(features[..., c], cv2.CV_32F, 1, 0, ksize=3)
        gy = cv2.Sobel(features[..., c], cv2.CV_32F, 0, 1, ksize=3)
        grad += gx * gx + gy * gy
    return np.sqrt(grad)


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


def _texture_features(lab_image: NDArray[np.uint8], opts: ProposalOptions) -> NDArray[np.float32]:
    """Per-pixel Lab means and standard deviations over a window: texture-smoothed colour."""
    lab = lab_image.astype(np.float32)
    size = max(3, round(opts.texture_window * max(lab_image.shape[:2])) | 1)
    mean = cv2.blur(lab, (size, size))
    sq = cv2.blur(lab * lab, (size, size))
    std = np.sqrt(np.maximum(sq - mean * mean, 0.0))
    return np.concatenate([mean, opts.texture_weight * std], axis=2)


def propose_masks(
    image_rgb: NDArray[np.uint8],
    *,
    video_frames: NDArray[np.uint8] | None = None,
    options: ProposalOptions | None = None,
) -> MaskProposals:
    """Propose object masks on an RGB image with superpixels, colour and (optionally) motion.

    Parameters
    ----------
    image_rgb
        ``(H, W, 3)`` uint8 RGB image (frame 0 of the video).
    video_frames
        Optional ``(T, H, W, 3)`` uint8 RGB frames that *follow* ``image_rgb`` (frame 1, 2, ...).
        When given, regions moving differently from the camera become strong candidates.
    options
        Generator parameters; :class:`ProposalOptions` defaults when ``None``.

    Returns
    -------
    MaskProposals
        Overlapping candidate masks at the image's own size with scores in ``[0, 1]``, best first.

    Examples
    --------
    >>> import numpy as np
    >>> img = np.full((120, 160, 3), 40, np.uint8)
    >>> img[40:80, 60:110] = (220, 60, 30)
    >>> props = propose_masks(img)
    >>> best = props.masks[0]
    >>> bool(best[60, 85]), bool(best[10, 10])
    (True, False)
    """
    started = time.perf_counter()
    opts = options if options is not None else ProposalOptions()
    image = as_rgb_image(image_rgb)
    if image.shape[0] < 8 or image.shape[1] < 8:
        raise MaskError(f"image_rgb is {image.shape[1]}x{image.shape[0]}; need at least 8x8 pixels")
    height, width = image.shape[:2]
    scale = min(1.0, opts.work_max_side / max(height, width))
    work_wh = (max(8, round(width * scale)), max(8, round(height * scale)))
    work: NDArray[np.uint8] = image
    if scale < 1:
        work = np.asarray(cv2.resize(image, work_wh, interpolation=cv2.INTER_AREA), np.uint8)
    wh, ww = work.shape[:2]

    lab_image = np.asarray(cv2.cvtColor(work, cv2.COLOR_RGB2LAB), dtype=np.uint8)
    features = _texture_features(lab_image, opts)
    lab_px = lab_image.astype(np.float64).reshape(-1, 3)
    edge = _edge_strength(features)
    edge_ref = max(float(np.percentile(edge, 90)), _MIN_EDGE_REF)
    residual: NDArray[np.float32] | None = None
    valid: NDArray[np.bool_] | None = None
    if video_frames is not None:
        frames = np.asarray(video_frames)
        if frames.ndim != 4 or frames.shape[1:] != image.shape:
            raise MaskError(
                f"video_frames must have shape (T, {height}, {width}, 3) like the image; got "
                f"{frames.shape} (pass the frames that follow image_rgb, at the same size)"
            )
        if len(frames):
            later = frames[min(opts.motion_offset, len(frames)) - 1]
            later_w = np.asarray(
                cv2.resize(later, work_wh, interpolation=cv2.INTER_AREA) if scale < 1 else later,
                dtype=np.uint8,
            )
            residual, valid = _residual_motion(work, later_w)
            residual[~valid] = np.nan
    total = float(wh * ww)
    scored: list[_Candidate] = []
    for n_segments in opts.superpixels:
        labels = slic(
            work,
            n_segments=n_segments,
            compactness=opts.compactness,
            start_label=0,
            channel_axis=-1,
            enforce_connectivity=True,
            max_num_iter=opts.slic_iterations,
        ).astype(np.int64)
        candidates = _merge_superpixels(
            labels, lab_px, edge, edge_ref, residual, valid, opts, total_area=total
        )
        scored += _score_candidates(
            candidates, labels, int(labels.max()) + 1, features, edge, residual, opts
        )
    masks_work, scores = _prune(scored, opts, (wh, ww))
    if masks_work:
        stack = np.stack(masks_work)
        if scale < 1:
            up = np.empty((len(stack), height, width), dtype=bool)
            for idx, m in enumerate(stack):
                up[idx] = (
                    cv2.resize(
                        m.astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR
                    )
                    >= 0.5
                )
            stack = up
        result_scores = np.asarray(scores, dtype=np.float64)
    else:
        stack = np.zeros((0, height, width), dtype=bool)
        result_scores = np.zeros(0, dtype=np.float64)
    return MaskProposals(masks=stack, scores=result_scores, seconds=time.perf_counter() - started)


def _merge_superpixels(
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
    """Merge superpixels greedily on a region adjacency graph; return every region formed."""
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


def _ring(mask: NDArray[np.bool_], width: int) -> NDArray[np.bool_]:
    """Pixels outside ``mask`` within ``width`` pixels of it (distance transform: fast)."""
    outside = (~mask).astype(np.uint8)
    distance = cv2.distanceTransform(outside, cv2.DIST_L2, 3)
    ring: NDArray[np.bool_] = (distance > 0) & (distance <= width)
    return ring


def _score_candidates(
    candidates: list[list[int]],
    labels: NDArray[np.int64],
    n: int,
    features: NDArray[np.float32],
    grad: NDArray[np.float32],
    residual: NDArray[np.float32] | None,
    opts: ProposalOptions,
) -> list[_Candidate]:
    """Turn superpixel sets into masks and score them by contrast with their surroundings."""
    unique: dict[frozenset[int], None] = {}
    for members in candidates:
        unique.setdefault(frozenset(members), None)
    lab = features
    h, w = labels.shape
    grad_ref = max(float(np.percentile(grad, opts.edge_percentile)), _MIN_EDGE_REF)
    ring_width = max(3, round(0.02 * max(h, w)))
    # bounding box of every superpixel (inclusive), so each candidate is scored on its own crop
    boxes = find_objects(labels + 1, max_label=n)
    y0 = np.array([b[0].start if b else h for b in boxes], np.int64)
    x0 = np.array([b[1].start if b else w for b in boxes], np.int64)
    y1 = np.array([b[0].stop - 1 if b else 0 for b in boxes], np.int64)
    x1 = np.array([b[1].stop - 1 if b else 0 for b in boxes], np.int64)
    scored: list[_Candidate] = []
    lookup = np.zeros(n, dtype=bool)
    for member_set in unique:
        idx = list(member_set)
        top = max(0, int(y0[idx].min()) - ring_width - 1)
        left = max(0, int(x0[idx].min()) - ring_width - 1)
        bottom = min(h, int(y1[idx].max()) + ring_width + 2)
        right = min(w, int(x1[idx].max()) + ring_width + 2)
        lookup[:] = False
        lookup[idx] = True
        crop = lookup[labels[top:bottom, left:right]]
        area = int(crop.sum())
        if area == 0:
            continue
        ring = _ring(crop, ring_width)
        if not ring.any():
            continue
        lab_crop = lab[top:bottom, left:right]
        inside_px = lab_crop[crop]
        inside_mean = inside_px.mean(axis=0)
        # an object differs from its surroundings all around (a part or a piece of background
        # next to an object does not): a low percentile of the ring's colour differences ...
        ring_diff = np.linalg.norm(lab_crop[ring] - inside_mean, axis=1)
        low = float(np.percentile(ring_diff, opts.ring_percentile))
        colour = low / (low + opts.colour_scale)
        # ... and a strong outline nearly everywhere: a low percentile of the edge strength
        edge_px = crop & ~(cv2.erode(crop.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0)
        edge_g = grad[top:bottom, left:right][edge_px]
        edge = min(1.0, float(np.percentile(edge_g, opts.ring_percentile)) / grad_ref)
        score = opts.colour_weight * colour + (1 - opts.colour_weight) * edge
        if opts.enclosed_penalty > 0:
            # ... and holds little that looks like its surroundings (a ring's candidate that
            # swallowed the hole, an object plus a piece of background)
            ring_mean = lab_crop[ring].mean(axis=0)
            like_ring = np.linalg.norm(inside_px - ring_mean, axis=1) < opts.colour_scale
            score *= 1.0 - opts.enclosed_penalty * float(like_ring.mean())
        if residual is not None:
            res_crop = residual[top:bottom, left:right]
            inside = res_crop[crop]
            inside = inside[~np.isnan(inside[:, 0])]
            if len(inside) >= 0.3 * area:
                m_in = np.median(inside, axis=0).astype(np.float64)
                speed = float(np.hypot(*m_in))
            else:
                m_in, speed = np.zeros(2, dtype=np.float64), 0.0
            if speed >= opts.moving_px:
                around = res_crop[ring]
                around = around[~np.isnan(around[:, 0])]
                if len(around):
                    same = np.hypot(*(around - m_in).T) < 0.5 * speed
                    contrast = 1.0 - float(same.mean())
                else:
                    contrast = 0.5
                score = (1 - opts.motion_weight) * score + opts.motion_weight * contrast
            else:
                score *= 1 - 0.5 * opts.motion_weight
        if score >= opts.min_score:
            scored.append(_Candidate(score, area, top, left, crop))
    return scored


def _prune(
    scored: list[_Candidate], opts: ProposalOptions, shape: tuple[int, int]
) -> tuple[list[NDArray[np.bool_]], list[float]]:
    """Best first; drop near-duplicates and bigger candidates that swallow a better one."""
    ordered = sorted(scored, key=lambda c: (-c.score, c.area))
    kept: list[_Candidate] = []
    for cand in ordered:
        dominated = False
        replaced: list[_Candidate] = []
        for other in kept:
            overlap = cand.overlap(other)
            if overlap >= 0.8 * other.area and cand.area > other.area:
                # cand swallows a better candidate: object plus background, unless the two
                # score nearly alike (then cand is the whole and the kept one a part of it)
                if other.score - cand.score <= opts.whole_margin:
                    replaced.append(other)
                    continue
                dominated = True
                break
            if overlap >= opts.nested_fraction * min(cand.area, other.area):
                # nested in (or a near-duplicate of) a better candidate: a part of it
                dominated = True
                break
        if not dominated:
            kept = [k for k in kept if all(k is not r for r in replaced)]
            kept.append(cand)
        if len(kept) >= opts.max_proposals:
            break
    kept.sort(key=lambda c: (-c.score, c.area))
    # report a calibrated confidence: min_score maps to 0, min_score + confidence_span to 1
    confidence = [
        float(np.clip((c.score - opts.min_score) / opts.confidence_span, 0.0, 1.0)) for c in kept
    ]
    return [c.full(shape) for c in kept], confidence
