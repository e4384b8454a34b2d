"""Objects found by their motion: superpixels that move unlike the camera, grouped into segments.

The motion evidence of `residual_motion` marks what
moves unlike the camera, but its blobs are fattened by the flow's halo and merge neighbours. This
module turns it into object-shaped candidates, at the cue resolution (~320 px):

`aligned_difference`
    Camera-compensated frame differencing: every later frame is warped onto frame 0 with the
    camera's homography (fitted to the optical flow with RANSAC, each offset starting from the
    previous one's fit so a fast pan stays within reach), a smooth gain removes lighting drift,
    and the colour difference, damped on strong edges (where a sub-pixel misfit shows), is
    normalised by its noise level. A low quantile over the offsets keeps what differs at most
    of them: pixels of frame 0 that a moving object leaves or that move themselves.
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
    "aligned_difference",
    "camera_homographies",
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


def _gradient(image: NDArray[np.float32]) -> NDArray[np.float32]:
    gx = cv2.Sobel(image, cv2.CV_32F, 1, 0, ksize=3) / 8
    gy = cv2.Sobel(image, cv2.CV_32F, 0, 1, ksize=3) / 8
    g = gx * gx + gy * gy
    return np.sqrt(g.sum(axis=2) if g.ndim == 3 else g).astype(np.float32)


def _nan_quantile(stack: NDArray[np.float32], q: float) -> NDArray[np.float32]:
    ordered = np.sort(stack, axis=0)  # NaN sort last
    count = np.count_nonzero(~np.isnan(stack), axis=0)
    index = np.clip(np.floor(q * (count - 1)).astype(np.int64), 0, stack.shape[0] - 1)
    picked = np.take_along_axis(ordered, index[None], axis=0)[0]
    return np.where(count > 0, picked, 0.0).astype(np.float32)


def _gain(
    g0: NDArray[np.uint8], warped: NDArray[np.uint8], valid: NDArray[np.bool_]
) -> NDArray[np.float32]:
    """Smooth gain (log-linear in x and y) taking ``warped``'s lighting to ``g0``'s."""
    h, w = g0.shape
    ys, xs = np.mgrid[0:h:4, 0:w:4]
    keep = valid[ys, xs]
    if keep.sum() < 10:
        return np.ones((h, w), np.float32)
    ratio = np.log(g0[ys, xs].astype(np.float64) + 8) - np.log(
        warped[ys, xs].astype(np.float64) + 8
    )
    ratio = ratio[keep]
    design = np.stack([np.ones(int(keep.sum())), xs[keep] / w - 0.5, ys[keep] / h - 0.5], 1)
    inliers = np.ones(len(ratio), bool)
    coef = np.zeros(3)
    for _ in range(3):  # robust: refit on the pixels within 3 MADs
        if inliers.sum() < 10:
            break
        coef = np.linalg.lstsq(design[inliers], ratio[inliers], rcond=None)[0]
        residual = ratio - design @ coef
        mad = 1.4826 * float(np.median(np.abs(residual[inliers]))) + 1e-3
        inliers = np.abs(residual) < 3 * mad
    gain_x = np.exp(coef[1] * (np.arange(w) / w - 0.5))
    gain_y = np.exp(coef[0] + coef[2] * (np.arange(h) / h - 0.5))
    gain: NDArray[np.float32] = (gain_y[:, None] * gain_x[None, :]).astype(np.float32)
    return gain


def camera_homographies(
    grays: list[NDArray[np.uint8]], offsets: list[int]
) -> dict[int, NDArray[np.float64]]:
    """Homography frame 0 → frame ``k`` of the camera for each offset ``k`` (see the module notes).

    DIS flow between frame 0 and frame ``k`` pre-warped with the previous offset's homography,
    RANSAC on a grid of samples. Offsets whose fit fails are left out.
    """
    h, w = grays[0].shape
    dis = cv2.DISOpticalFlow.create(cv2.DISOpticalFlow_PRESET_FAST)
    step = max(2, min(h, w) // 40)
    ys, xs = np.mgrid[0:h:step, 0:w:step]
    src = np.stack([xs.ravel(), ys.ravel()], 1).astype(np.float32)
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    grid = np.stack([gx, gy], -1).reshape(-1, 1, 2)
    out: dict[int, NDArray[np.float64]] = {}
    previous = np.eye(3)
    for k in sorted(offsets):
        mapped = cv2.perspectiveTransform(grid, previous).reshape(h, w, 2)
        pre = cv2.remap(
            grays[k],
            mapped[..., 0],
            mapped[..., 1],
            cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REPLICATE,
        )
        none = np.zeros((h, w, 2), np.float32)
        flow = np.asarray(dis.calc(grays[0], np.asarray(pre, np.uint8), none), np.float32)
        mid = (src + flow[ys.ravel(), xs.ravel()]).reshape(-1, 1, 2).astype(np.float64)
        dst = cv2.perspectiveTransform(mid, previous).reshape(-1, 2).astype(np.float32)
        inside = (dst[:, 0] >= 0) & (dst[:, 0] <= w - 1) & (dst[:, 1] >= 0) & (dst[:, 1] <= h - 1)
        if inside.sum() < 12:
            continue
        cv2.setRNGSeed(0)
        fit, _ = cv2.findHomography(
            src[inside], dst[inside], cv2.RANSAC, 1.0, maxIters=2000, confidence=0.995
        )
        if fit is not None:
            out[k] = np.asarray(fit, np.float64)
            previous = out[k]
    return out


def aligned_difference(
    frames: NDArray[np.uint8],
    *,
    first_offset: int = 4,
    offset_step: int = 2,
    quantile: float = 0.35,
    edge_damping: float = 0.7,
) -> NDArray[np.float32]:
    """Camera-compensated difference of frame 0 to the later frames, in noise levels.

    Parameters
    ----------
    frames
        ``(T, h, w, 3)`` uint8 RGB frames of one shot, frame 0 first.
    first_offset, offset_step
        The later frames compared: ``first_offset, first_offset + offset_step, ...`` (every
        frame when the shot is shorter than ``first_offset``).
    quantile
        Quantile over the offsets of each pixel's difference.
    edge_damping
        The difference is divided by ``1 + edge_damping * gradient`` (a sub-pixel misfit of
        the camera shows on strong edges).

    Returns
    -------
    numpy.ndarray
        ``(h, w)`` float32, 0 with fewer than two frames.
    """
    count = len(frames)
    h, w = frames.shape[1:3]
    if count < 2:
        return np.zeros((h, w), np.float32)
    grays = [np.asarray(cv2.cvtColor(f, cv2.COLOR_RGB2GRAY), np.uint8) for f in frames]
    offsets = list(range(first_offset, count, offset_step)) or list(range(1, count))
    homographies = camera_homographies(grays, offsets)
    f0 = frames[0].astype(np.float32)
    g0 = _gradient(f0)
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    grid = np.stack([xs, ys], -1).reshape(-1, 1, 2)
    stack = []
    medians = []
    for k, fit in sorted(homographies.items()):
        mapped = cv2.perspectiveTransform(grid, fit).reshape(h, w, 2)
        mx, my = mapped[..., 0], mapped[..., 1]
        inside = (mx >= 1) & (mx <= w - 2) & (my >= 1) & (my <= h - 2)
        warped = cv2.remap(frames[k], mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        gain = _gain(grays[0], np.asarray(cv2.cvtColor(warped, cv2.COLOR_RGB2GRAY)), inside)
        warped_f = warped.astype(np.float32) * gain[..., None]
        damping = 1.0 + edge_damping * np.minimum(g0, _gradient(warped_f))
        diff = np.linalg.norm(f0 - warped_f, axis=2) / damping
        if inside.any():
            medians.append(float(np.median(diff[inside])))
        diff[~inside] = np.nan
        stack.append(diff.astype(np.float32))
    if not stack:
        return np.zeros((h, w), np.float32)
    sigma = 1.4826 * float(np.median(medians)) + 0.5 if medians else 1.0
    return _nan_quantile((np.stack(stack) / sigma).astype(np.float32), quantile)


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
