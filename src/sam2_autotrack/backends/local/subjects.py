"""Whole-subject candidates: what moves unlike the camera or stands out from the backdrop.

Pure array functions used by the embedded proposal generator
(`proposals`), all at a working resolution of ~320 px:

[`border_contrast_saliency`][sam2_autotrack.backends.local.border_contrast_saliency]
    Colour saliency with a background prior: the colours seen along the image border (k-means
    clusters of the border strip, weighted by how many of the four borders each one reaches) are
    background; a pixel is salient as far as its colour is unlike all of them. A subject touching
    one border keeps its saliency, a backdrop reaching two or more does not.
[`figure_ground`][sam2_autotrack.backends.local.figure_ground]
    GrabCut initialised from a prior map (motion and saliency): sure foreground where the prior
    is high, probable foreground/background around it.
[`moving_subjects`][sam2_autotrack.backends.local.moving_subjects]
    The blobs moving unlike the camera (motion evidence of
    [`residual_motion`][sam2_autotrack.backends.local.residual_motion]) and their GrabCut cuts: they
    join the differently coloured parts of one subject that move together (a face, a white shirt
    and a dark suit).
[`centre_subject`][sam2_autotrack.backends.local.centre_subject]
    The figure-ground cut of the frame's centre, where a shot puts its subject.

Everything is deterministic (seeded k-means and GrabCut).
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.backends.local.grabcut import grabcut_foreground
from sam2_autotrack.masks.cleanup import fill_small_holes, largest_component

__all__ = ["border_contrast_saliency", "centre_subject", "figure_ground", "moving_subjects"]


def border_contrast_saliency(
    image_rgb: NDArray[np.uint8],
    *,
    clusters: int = 8,
    strip_fraction: float = 0.04,
    colour_sigma: float = 12.0,
) -> NDArray[np.float32]:
    """Saliency in ``[0, 1]``: how unlike the backdrop's colours (seen on the border) a pixel is.

    The border strip (``strip_fraction`` of the shorter side) is clustered into ``clusters``
    Lab colours (k-means). A cluster's *backdrop weight* is the number of borders on which it
    holds at least 15 % of that border's pixels, divided by two and clipped to 1: a colour that
    runs along two borders is backdrop (sky, floor, wall), one seen on one border only may be a
    subject that reaches the edge of the frame. The saliency of a pixel is
    ``1 - max_c weight_c * exp(-d_c² / (2 colour_sigma²))``, ``d_c`` the Lab distance of its
    (slightly blurred) colour to cluster ``c``.

    Parameters
    ----------
    image_rgb
        ``(H, W, 3)`` uint8 RGB image (any size; work at ~320 px for speed).
    clusters
        Number of border colour clusters.
    strip_fraction
        Width of the border strip as a fraction of the shorter side (at least 2 pixels).
    colour_sigma
        Lab distance at which a colour is still ``exp(-1/2)`` like a backdrop colour.

    Returns
    -------
    numpy.ndarray
        ``(H, W)`` float32 saliency.

    Examples
    --------
    >>> import numpy as np
    >>> img = np.full((60, 80, 3), (40, 120, 40), np.uint8)
    >>> img[20:40, 30:50] = (230, 40, 40)
    >>> sal = border_contrast_saliency(img)
    >>> bool(sal[30, 40] > 0.9), bool(sal[5, 5] < 0.1)
    (True, True)
    """
    image = np.asarray(image_rgb)
    blurred = cv2.GaussianBlur(image, (0, 0), 1.0)
    lab = cv2.cvtColor(blurred.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)
    h, w = lab.shape[:2]
    s = max(2, round(strip_fraction * min(h, w)))
    strips = [lab[:s].reshape(-1, 3), lab[-s:].reshape(-1, 3)]
    strips += [lab[:, :s].reshape(-1, 3), lab[:, -s:].reshape(-1, 3)]
    samples = np.ascontiguousarray(np.concatenate(strips), dtype=np.float32)
    k = min(clusters, len(samples))
    cv2.setRNGSeed(0)
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 0.5)
    _, labels, centres = cv2.kmeans(
        samples, k, np.zeros((len(samples), 1), np.int32), criteria, 2, cv2.KMEANS_PP_CENTERS
    )
    labels = labels.ravel()
    bounds = np.cumsum([0] + [len(p) for p in strips])
    weight = np.zeros(k)
    for side in range(4):
        share = np.bincount(labels[bounds[side] : bounds[side + 1]], minlength=k)
        weight += share / max(1, bounds[side + 1] - bounds[side]) >= 0.15
    weight = np.minimum(1.0, weight / 2.0)
    like = np.zeros((h, w), np.float32)
    for c in range(k):
        if weight[c] <= 0:
            continue
        d2 = ((lab - centres[c]) ** 2).sum(axis=2)
        np.maximum(like, weight[c] * np.exp(-d2 / (2 * colour_sigma**2)), out=like)
    saliency: NDArray[np.float32] = (1.0 - like).astype(np.float32)
    return saliency


def figure_ground(
    image_rgb: NDArray[np.uint8],
    prior: NDArray[np.float32],
    *,
    sure: float = 0.8,
    probable: float = 0.5,
    unlikely: float = 0.1,
    iterations: int = 3,
) -> NDArray[np.bool_] | None:
    """GrabCut figure-ground segmentation initialised from a foreground prior map.

    Pixels with ``prior >= sure`` (after a small erosion) are sure foreground, ``>= probable``
    probable foreground, ``< unlikely`` sure background, the rest probable background. GrabCut's
    colour models then carry the label to the rest of the subject and its outline snaps to
    edges.

    Parameters
    ----------
    image_rgb
        ``(H, W, 3)`` uint8 RGB image (work at ~320 px: GrabCut's cost grows with the pixels).
    prior
        ``(H, W)`` foreground prior in ``[0, 1]`` (e.g. motion evidence and saliency).
    sure, probable, unlikely
        Thresholds of the prior, see above.
    iterations
        GrabCut iterations.

    Returns
    -------
    numpy.ndarray or None
        ``(H, W)`` bool foreground, or ``None`` when the prior has no sure foreground or no
        sure background (nothing to start from).

    Examples
    --------
    >>> import numpy as np
    >>> img = np.full((60, 80, 3), 30, np.uint8); img[15:45, 20:60] = (200, 180, 40)
    >>> prior = np.zeros((60, 80), np.float32); prior[10:50, 15:65] = 0.3  # unsure
    >>> prior[25:35, 30:50] = 1.0                                            # sure
    >>> fg = figure_ground(img, prior)
    >>> bool(fg[20, 25]), bool(fg[5, 5])
    (True, False)
    """
    p = np.asarray(prior, dtype=np.float32)
    core = cv2.erode((p >= sure).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    background = p < unlikely
    if not core.any() or not background.any():
        return None
    gc = np.full(p.shape, cv2.GC_PR_BGD, np.uint8)
    gc[p >= probable] = cv2.GC_PR_FGD
    gc[core] = cv2.GC_FGD
    gc[background] = cv2.GC_BGD
    return grabcut_foreground(np.asarray(image_rgb), gc, iterations)


def moving_subjects(
    image_rgb: NDArray[np.uint8],
    evidence: NDArray[np.float32],
    saliency: NDArray[np.float32] | None = None,
    *,
    moving: float = 3.0,
    grow: float = 2.0,
    min_area_fraction: float = 0.004,
    max_blobs: int = 4,
    static: float = 1.5,
    backdrop_saliency: float = 0.25,
) -> list[NDArray[np.bool_]]:
    """Whole-subject candidates grown from the blobs that move unlike the camera.

    Every connected blob of ``evidence >= grow`` holding pixels of ``evidence >= moving``
    (hysteresis; after a small opening and closing; the
    ``max_blobs`` largest of at least ``min_area_fraction`` of the frame) gives two candidates:

    1. the blob itself, holes filled (segments that move together, grouped into one object);
    2. a GrabCut figure-ground cut on a crop three times the blob's box: the blob's core is sure
       foreground, the blob probable foreground, pixels that are static *and* look like the
       backdrop (``saliency < backdrop_saliency``) and the other blobs sure background. Parts of
       the subject that barely move (a torso under a talking head, legs under waving arms) join
       it through their colours; the component touching the blob is kept.

    Parameters
    ----------
    image_rgb
        ``(h, w, 3)`` uint8 RGB frame 0 at the resolution of ``evidence``.
    evidence
        ``(h, w)`` motion evidence
        (`evidence`).
    saliency
        Optional ``(h, w)`` saliency in ``[0, 1]``
        ([`border_contrast_saliency`][sam2_autotrack.backends.local.border_contrast_saliency]);
        without it, static pixels are only probable background.
    moving
        Evidence above which a pixel surely moves unlike the camera (a blob needs some).
    grow
        Evidence above which a pixel next to a moving one is part of its blob.
    min_area_fraction
        Smallest blob, as a fraction of the frame.
    max_blobs
        At most this many blobs (largest first).
    static
        Evidence below which a pixel is static.
    backdrop_saliency
        Saliency below which a static pixel is sure background.

    Returns
    -------
    list of numpy.ndarray
        ``(h, w)`` bool candidates (blob, then its cut, per blob; cuts that fail are left out).

    Examples
    --------
    >>> import numpy as np
    >>> img = np.full((60, 80, 3), 30, np.uint8); img[10:50, 20:60] = (200, 180, 40)
    >>> ev = np.zeros((60, 80), np.float32); ev[5:55, 15:65] = 1.6  # neither static nor moving
    >>> ev[15:30, 25:55] = 10.0                                    # the moving part
    >>> blob, cut = moving_subjects(img, ev)
    >>> int(blob.sum()) < int(cut.sum()), bool(cut[40, 40]), bool(cut[5, 5])
    (True, True, False)
    """
    h, w = evidence.shape
    kernel = np.ones((3, 3), np.uint8)
    mov = (np.asarray(evidence) >= grow).astype(np.uint8)
    mov = np.asarray(cv2.morphologyEx(mov, cv2.MORPH_OPEN, kernel), np.uint8)
    mov = np.asarray(cv2.morphologyEx(mov, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8)), np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mov, connectivity=8)
    strong = np.bincount(labels[np.asarray(evidence) >= moving], minlength=count)
    order = sorted(range(1, count), key=lambda i: -int(stats[i, cv2.CC_STAT_AREA]))
    order = [
        i
        for i in order
        if stats[i, cv2.CC_STAT_AREA] >= min_area_fraction * h * w
        and strong[i] >= 0.1 * stats[i, cv2.CC_STAT_AREA]
    ]
    order = order[:max_blobs]
    backdrop = np.asarray(evidence) < static
    if saliency is not None:
        backdrop &= np.asarray(saliency) < backdrop_saliency
    image = np.asarray(image_rgb)
    out: list[NDArray[np.bool_]] = []
    for i in order:
        blob = labels == i
        filled = fill_small_holes(blob)
        out.append(filled)
        x, y, bw, bh = (int(v) for v in stats[i, :4])
        x0, y0 = max(0, x - bw), max(0, y - bh)
        x1, y1 = min(w, x + 2 * bw), min(h, y + 2 * bh)
        crop_blob = filled[y0:y1, x0:x1]
        others = (labels[y0:y1, x0:x1] > 0) & ~blob[y0:y1, x0:x1]
        gc = np.full(crop_blob.shape, cv2.GC_PR_BGD, np.uint8)
        gc[backdrop[y0:y1, x0:x1]] = cv2.GC_BGD
        gc[others] = cv2.GC_BGD
        gc[crop_blob] = cv2.GC_PR_FGD
        core = cv2.erode(crop_blob.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
        gc[core] = cv2.GC_FGD
        if not core.any() or not ((gc == cv2.GC_BGD).any() or (gc == cv2.GC_PR_BGD).any()):
            continue
        try:
            fg = grabcut_foreground(image[y0:y1, x0:x1], gc, 3).astype(np.uint8)
        except cv2.error:
            continue
        _, comp = cv2.connectedComponents(fg, connectivity=8)
        touching = np.unique(comp[core & (fg > 0)])
        keep = np.isin(comp, touching[touching > 0])
        cut = np.zeros((h, w), dtype=bool)
        cut[y0:y1, x0:x1] = keep
        out.append(fill_small_holes(cut))
    return out


def centre_subject(image_rgb: NDArray[np.uint8]) -> NDArray[np.bool_] | None:
    """Figure-ground cut of the frame's centre (see ``ProposalOptions.centre_subject``).

    GrabCut started from a rectangle 10 % in from the left and right borders and 6 % from the
    top and bottom (what lies outside it is backdrop): the way a shot is framed, the subject sits
    in the middle.

    Parameters
    ----------
    image_rgb
        ``(h, w, 3)`` uint8 RGB image (work at ~320 px: GrabCut's cost grows with the pixels).

    Returns
    -------
    numpy.ndarray or None
        ``(h, w)`` bool: the largest connected part of the cut, holes filled; ``None`` when the
        image is too small or GrabCut keeps nothing.
    """
    h, w = image_rgb.shape[:2]
    rect = (round(0.1 * w), round(0.06 * h), w - 2 * round(0.1 * w), h - 2 * round(0.06 * h))
    if rect[2] < 4 or rect[3] < 4:
        return None
    gc = np.zeros((h, w), np.uint8)
    bgd = np.zeros((1, 65), np.float64)
    fgd = np.zeros((1, 65), np.float64)
    cv2.setRNGSeed(0)
    try:
        cv2.grabCut(
            np.ascontiguousarray(image_rgb[..., ::-1]), gc, rect, bgd, fgd, 5, cv2.GC_INIT_WITH_RECT
        )
    except cv2.error:
        return None
    fg = ((gc == cv2.GC_FGD) | (gc == cv2.GC_PR_FGD)).astype(np.uint8)
    largest = largest_component(fg)
    return None if largest is None else fill_small_holes(largest)
