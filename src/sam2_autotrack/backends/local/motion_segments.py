"""Objects found by their motion: superpixels that move unlike the camera, grouped into segments.

The motion evidence of `residual_motion` marks what moves unlike the camera (and
`alignment.aligned_difference` what differs from frame 0 once the camera's motion is taken out),
but its blobs are fattened by the flow's halo and merge neighbours. This module turns it into
object-shaped candidates, at the cue resolution (~320 px):

`motion_map`
    Per SLIC superpixel, the probability that it belongs to an independently moving object: a
    logistic model (`MOTION_COEFFICIENTS`) of its median and mean flow evidence, its
    aligned difference (mean, and share above 2.5 noise levels) and its texture, each also
    averaged over its neighbours.
`motion_segments`
    A graph cut of the superpixels (unaries from the probability, smoothness weighted by colour
    similarity, at two strengths): every connected foreground segment is a candidate, refined by
    GrabCut on a crop around it. Segments that move together form one candidate even when their
    colours differ (a face, a shirt and a suit); a moving object's outline follows superpixel
    edges instead of the flow's halo.

Everything is deterministic (SLIC, seeded RANSAC and GrabCut).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray
from scipy import ndimage
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import breadth_first_order, maximum_flow
from skimage.segmentation import slic

from sam2_autotrack.backends.local.grabcut import grabcut_foreground

__all__ = [
    "MOTION_COEFFICIENTS",
    "MotionMap",
    "motion_map",
    "motion_segments",
]

MOTION_COEFFICIENTS = (
    -4.645,
    1.647,
    -1.555,
    0.767,
    1.134,
    0.404,
    3.818,
    -2.026,
    1.971,
    -4.834,
    -0.423,
)
"""Logistic weights of `motion_map`: bias, then for the superpixel itself and for the mean of
its neighbours, ``log1p`` of the median and of the mean flow evidence, ``log1p`` of the mean
aligned difference (clipped at 20), the share of aligned difference above 2.5 and the mean
``log1p`` texture strength. Fitted by logistic regression (L2 penalty 1) on the superpixels of the
tuning families (seeds 0-5, checked on 6-9; never the held-out seeds >= 1000), each labelled by
whether at least half of it lies on a ground-truth object, weighted by its size."""


def _texture_strength(gray: NDArray[np.uint8]) -> NDArray[np.float32]:
    """Smaller eigenvalue of the structure tensor (high on corners and textures)."""
    g = gray.astype(np.float32)
    ix = cv2.Sobel(g, cv2.CV_32F, 1, 0, ksize=3) / 8
    iy = cv2.Sobel(g, cv2.CV_32F, 0, 1, ksize=3) / 8
    jxx = cv2.GaussianBlur(ix * ix, (0, 0), 1.5)
    jyy = cv2.GaussianBlur(iy * iy, (0, 0), 1.5)
    jxy = cv2.GaussianBlur(ix * iy, (0, 0), 1.5)
    trace, det = jxx + jyy, jxx * jyy - jxy * jxy
    return (trace / 2 - np.sqrt(np.maximum(trace * trace / 4 - det, 0))).astype(np.float32)


@dataclass(frozen=True)
class MotionMap:
    """Superpixels and the probability that each belongs to an independently moving object.

    Attributes
    ----------
    probability
        ``(h, w)`` float32 per pixel (its superpixel's).
    labels
        ``(h, w)`` superpixel labels.
    superpixel_probability
        ``(n,)`` per superpixel.
    edges
        ``(i, j, length)``: neighbouring superpixels and the length of their shared boundary.
    colour
        ``(n, 3)`` mean Lab colour (float, 0-255 scale of OpenCV's float Lab).
    count
        ``(n,)`` pixels per superpixel.
    """

    probability: NDArray[np.float32]
    labels: NDArray[np.int32]
    superpixel_probability: NDArray[np.float64]
    edges: tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]
    colour: NDArray[np.float64]
    count: NDArray[np.float64]


def _adjacency(
    labels: NDArray[np.int32],
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    n = int(labels.max()) + 1
    a = np.concatenate([labels[:, :-1].ravel(), labels[:-1, :].ravel()])
    b = np.concatenate([labels[:, 1:].ravel(), labels[1:, :].ravel()])
    differ = a != b
    lo, hi = np.minimum(a[differ], b[differ]), np.maximum(a[differ], b[differ])
    pairs, length = np.unique(lo.astype(np.int64) * n + hi, return_counts=True)
    return pairs // n, pairs % n, length.astype(np.float64)


def motion_map(
    image_rgb: NDArray[np.uint8],
    evidence: NDArray[np.float32],
    difference: NDArray[np.float32],
    *,
    pixels_per_superpixel: float = 50.0,
) -> MotionMap:
    """Probability that each superpixel of frame 0 moves unlike the camera (module notes).

    Parameters
    ----------
    image_rgb
        ``(h, w, 3)`` uint8 frame 0 at the cue resolution.
    evidence
        ``(h, w)`` flow evidence (`MotionEvidence`).
    difference
        ``(h, w)`` `aligned_difference`.
    pixels_per_superpixel
        Mean superpixel size.
    """
    h, w = image_rgb.shape[:2]
    labels = slic(
        image_rgb,
        n_segments=max(64, int(h * w / pixels_per_superpixel)),
        compactness=10.0,
        start_label=0,
        channel_axis=-1,
        max_num_iter=6,
    ).astype(np.int32)
    n = int(labels.max()) + 1
    flat = labels.ravel()
    count = np.bincount(flat, minlength=n).astype(np.float64)

    def mean(values: NDArray[np.float32]) -> NDArray[np.float64]:
        sums = np.bincount(flat, weights=values.ravel().astype(np.float64), minlength=n)
        result: NDArray[np.float64] = sums / np.maximum(count, 1)
        return result

    texture = _texture_strength(np.asarray(cv2.cvtColor(image_rgb, cv2.COLOR_RGB2GRAY)))
    median = np.asarray(ndimage.median(evidence, labels, np.arange(n)), np.float64)
    own = np.stack(
        [
            np.log1p(median),
            np.log1p(mean(evidence)),
            np.log1p(mean(np.minimum(difference, 20))),
            mean((difference > 2.5).astype(np.float32)),
            mean(np.log1p(texture)),
        ],
        1,
    )
    i, j, length = _adjacency(labels)
    adjacency = csr_matrix(
        (np.concatenate([length, length]), (np.concatenate([i, j]), np.concatenate([j, i]))),
        shape=(n, n),
    )
    total = np.asarray(adjacency.sum(1)).ravel()
    features = np.concatenate([own, (adjacency @ own) / np.maximum(total, 1)[:, None]], 1)
    coef = np.asarray(MOTION_COEFFICIENTS)
    z = coef[0] + features @ coef[1:]
    probability = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
    lab = cv2.cvtColor(image_rgb, cv2.COLOR_RGB2LAB).astype(np.float32)
    colour = np.stack([mean(lab[..., c]) for c in range(3)], 1)
    return MotionMap(
        probability=probability[labels].astype(np.float32),
        labels=labels,
        superpixel_probability=probability,
        edges=(i, j, length),
        colour=colour,
        count=count,
    )


def _min_cut(
    cost_fg: NDArray[np.float64],
    cost_bg: NDArray[np.float64],
    i: NDArray[np.int64],
    j: NDArray[np.int64],
    weight: NDArray[np.float64],
    scale: float = 100.0,
) -> NDArray[np.bool_]:
    """Foreground nodes of the minimum s-t cut (integer capacities, Dinic's max flow)."""
    n = len(cost_fg)
    source, sink = n, n + 1
    rows = np.concatenate([np.full(n, source), np.arange(n), i, j])
    cols = np.concatenate([np.arange(n), np.full(n, sink), j, i])
    caps = np.concatenate(
        [
            np.round(np.maximum(cost_bg, 0) * scale),
            np.round(np.maximum(cost_fg, 0) * scale),
            np.round(weight * scale),
            np.round(weight * scale),
        ]
    ).astype(np.int64)
    keep = caps > 0
    graph = csr_matrix(
        (caps[keep].astype(np.int32), (rows[keep], cols[keep])), shape=(n + 2, n + 2)
    )
    graph.sum_duplicates()
    flow = maximum_flow(graph, source, sink, method="dinic")
    residual = graph - flow.flow
    residual.data[residual.data < 0] = 0
    residual.eliminate_zeros()
    reached = breadth_first_order(residual, source, directed=True, return_predecessors=False)
    foreground = np.zeros(n + 2, bool)
    foreground[reached] = True
    return foreground[:n]


def _grabcut_refine(
    image_rgb: NDArray[np.uint8],
    segment: NDArray[np.bool_],
    probability: NDArray[np.float32],
    *,
    margin: float = 0.5,
    iterations: int = 3,
) -> NDArray[np.bool_]:
    """GrabCut on a crop around ``segment``; the components touching the segment are kept.

    Its core (where moving) is sure foreground, what is far from it and static sure background.
    """
    h, w = segment.shape
    ys, xs = np.nonzero(segment)
    y0, y1, x0, x1 = int(ys.min()), int(ys.max()) + 1, int(xs.min()), int(xs.max()) + 1
    py, px = max(6, int(margin * (y1 - y0))), max(6, int(margin * (x1 - x0)))
    top, bottom, left, right = max(0, y0 - py), min(h, y1 + py), max(0, x0 - px), min(w, x1 + px)
    crop = segment[top:bottom, left:right].astype(np.uint8)
    prob = probability[top:bottom, left:right]
    radius = max(1, int(0.15 * np.sqrt(segment.sum() / np.pi)))
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    core = cv2.erode(crop, disc) > 0
    wide = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (4 * radius + 3, 4 * radius + 3))
    grown = cv2.dilate(crop, wide) > 0
    labels = np.full(crop.shape, cv2.GC_PR_BGD, np.uint8)
    labels[crop > 0] = cv2.GC_PR_FGD
    labels[core & (prob >= 0.6)] = cv2.GC_FGD
    labels[~grown & (prob < 0.3)] = cv2.GC_BGD
    if not (labels == cv2.GC_FGD).any():
        labels[core] = cv2.GC_FGD
    background = (labels == cv2.GC_BGD) | (labels == cv2.GC_PR_BGD)
    if not (labels == cv2.GC_FGD).any() or not background.any():
        return segment
    try:
        cut = grabcut_foreground(image_rgb[top:bottom, left:right], labels, iterations)
    except cv2.error:
        return segment
    fg = cut.astype(np.uint8)
    _, components = cv2.connectedComponents(fg, connectivity=8)
    touching = np.unique(components[(fg > 0) & (crop > 0)])
    out = np.zeros_like(segment)
    out[top:bottom, left:right] = np.isin(components, touching[touching > 0])
    return out


def motion_segments(
    image_rgb: NDArray[np.uint8],
    motion: MotionMap,
    *,
    smoothness: tuple[float, ...] = (0.3, 1.0),
    colour_sigma: float = 10.0,
    min_pixels: int = 20,
) -> list[NDArray[np.bool_]]:
    """Candidates: the connected segments of a graph cut of the superpixels, GrabCut-refined.

    Parameters
    ----------
    image_rgb
        ``(h, w, 3)`` uint8 frame 0 at the resolution of ``motion``.
    motion
        `motion_map` of the frame.
    smoothness
        Strengths of the pairwise term (one cut each; segments repeated at 95 % overlap are
        kept once).
    colour_sigma
        Lab distance at which two neighbours' pairwise weight falls to ``exp(-1/2)``.
    min_pixels
        Smallest segment.

    Returns
    -------
    list of numpy.ndarray
        ``(h, w)`` bool candidates.
    """
    i, j, length = motion.edges
    p = np.clip(motion.superpixel_probability, 1e-4, 1 - 1e-4)
    relative = motion.count / motion.count.mean()
    distance = np.linalg.norm(motion.colour[i] - motion.colour[j], axis=1)
    similarity = np.exp(-(distance**2) / (2 * colour_sigma**2))
    pairwise = length / np.sqrt(motion.count.mean()) * similarity
    out: list[NDArray[np.bool_]] = []
    seen: list[NDArray[np.bool_]] = []
    for strength in smoothness:
        fg = _min_cut(-np.log(p) * relative, -np.log(1 - p) * relative, i, j, strength * pairwise)
        mask = fg[motion.labels].astype(np.uint8)
        n, components = cv2.connectedComponents(mask, connectivity=8)
        for c in range(1, n):
            segment = components == c
            size = int(segment.sum())
            if size < min_pixels:
                continue
            if any((segment & s).sum() >= 0.95 * max(size, int(s.sum())) for s in seen):
                continue
            seen.append(segment)
            out.append(_grabcut_refine(image_rgb, segment, motion.probability))
    return out
