"""Scoring candidate regions by how an *object* looks (the proposal generator's confidence).

A candidate is an object when it differs from the ring of pixels around it all the way round (a
low percentile of the ring's colour differences), has a strong outline nearly everywhere (a low
percentile of the edge strength along it) and holds little that looks like its surroundings.
Then, in this order:

- **flow contrast** (one later frame): moving unlike its ring raises the score by
  ``motion_weight``, not moving lowers it by half that;
- **subject cues** (`SubjectCues`): moving unlike the
  camera while the ring does not (``subject_weight``) and saliency contrast
  (``saliency_weight``) raise it;
- **colour repeat**: a static candidate under `REPEAT_MAX_FRACTION` of the frame whose colours
  are as common in the rest of the frame (a stripe of a sunshade, a blotch of camouflage) loses
  ``repeat_weight`` times that share;
- **static backdrop**: with motion measured, a static candidate reaching two or more image
  borders (a corner wall, a pillar) loses ``static_backdrop_weight`` of its score.

Candidates scoring below ``min_score`` are dropped. Candidates are kept as bounding-box crops
(`Candidate`): full masks of hundreds of candidates would not fit in memory.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray
from scipy.ndimage import find_objects

from sam2_autotrack.backends.local.cues import SubjectCues
from sam2_autotrack.backends.local.features import MIN_EDGE_REF
from sam2_autotrack.backends.local.options import ProposalOptions

__all__ = [
    "REPEAT_MAX_FRACTION",
    "Candidate",
    "borders_reached",
    "colour_repeat",
    "ring",
    "ring_width_of",
    "score_candidates",
    "score_crop",
    "score_subject_masks",
]


REPEAT_MAX_FRACTION = 0.15
"""Candidates covering this share of the frame or more never lose score to colour repeat."""


@dataclass
class Candidate:
    """A scored candidate stored as its bounding-box crop (full masks would not fit in memory).

    Attributes
    ----------
    score
        The generator's score (``min_score`` or more).
    area
        Pixel count at the working resolution.
    top, left
        Where the crop sits in the working image.
    crop
        ``(h, w)`` bool mask of the candidate inside its crop (with a ring's margin).
    motion
        Motion contrast: share of it moving unlike the camera minus that of its ring.
    subject
        A whole-subject candidate (moving blob, figure-ground cut), pruned apart.
    beside
        ``crop``-shaped bool mask of pixels that are not its surroundings (a candidate in front
        of it, `remainders`): left out of its ring when it is scored, or ``None``.
    """

    score: float
    area: int
    top: int
    left: int
    crop: NDArray[np.bool_]
    motion: float = 0.0
    subject: bool = False
    beside: NDArray[np.bool_] | None = None

    def overlap(self, other: Candidate) -> int:
        """Pixels shared with ``other``."""
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
        """Return the candidate as a full ``shape`` mask."""
        mask = np.zeros(shape, dtype=bool)
        mask[
            self.top : self.top + self.crop.shape[0], self.left : self.left + self.crop.shape[1]
        ] = self.crop
        return mask


def ring(mask: NDArray[np.bool_], width: int) -> NDArray[np.bool_]:
    """Pixels outside ``mask`` within ``width`` pixels of it (distance transform: fast)."""
    outside = (~mask).astype(np.uint8)
    distance = cv2.distanceTransform(outside, cv2.DIST_L2, 3)
    around: NDArray[np.bool_] = (distance > 0) & (distance <= width)
    return around


def ring_width_of(shape_hw: tuple[int, int]) -> int:
    """Width of the ring around a candidate in an image of ``shape_hw``: 2 % of its longer side."""
    return max(3, round(0.02 * max(shape_hw)))


def _grad_ref(grad: NDArray[np.float32], opts: ProposalOptions) -> float:
    return max(float(np.percentile(grad, opts.edge_percentile)), MIN_EDGE_REF)


def score_candidates(
    candidates: list[list[int]],
    labels: NDArray[np.int64],
    n: int,
    features: NDArray[np.float32],
    grad: NDArray[np.float32],
    residual: NDArray[np.float32] | None,
    opts: ProposalOptions,
    cues: SubjectCues | None = None,
) -> list[Candidate]:
    """Turn superpixel sets (labels of ``labels``, ``n`` of them) into scored candidates."""
    unique: dict[frozenset[int], None] = {}
    for members in candidates:
        unique.setdefault(frozenset(members), None)
    h, w = labels.shape
    grad_ref = _grad_ref(grad, opts)
    ring_width = ring_width_of((h, w))
    # bounding box of every superpixel (inclusive), so each candidate is scored on its own crop
    boxes = find_objects(labels + 1, max_label=n)
    y0 = np.array([b[0].start if b else h for b in boxes], np.int64)
    x0 = np.array([b[1].start if b else w for b in boxes], np.int64)
    y1 = np.array([b[0].stop - 1 if b else 0 for b in boxes], np.int64)
    x1 = np.array([b[1].stop - 1 if b else 0 for b in boxes], np.int64)
    scored: list[Candidate] = []
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
        cand = score_crop(
            crop, top, left, features, grad, grad_ref, ring_width, residual, cues, opts
        )
        if cand is not None:
            scored.append(cand)
    return scored


def score_subject_masks(
    masks: list[NDArray[np.bool_]],
    features: NDArray[np.float32],
    grad: NDArray[np.float32],
    cues: SubjectCues,
    opts: ProposalOptions,
    beside: list[NDArray[np.bool_]] | None = None,
) -> list[Candidate]:
    """Score whole-subject candidates (full working-size masks) like the others.

    Subjects of less than ``min_area_fraction`` or more than ``subject_max_area_fraction`` of the
    frame are left out; the flow contrast is not applied (the cues carry their motion).
    ``beside`` (one full mask per subject) holds pixels left out of each one's ring.
    """
    wh, ww = grad.shape
    total = float(wh * ww)
    ring_width = ring_width_of((wh, ww))
    grad_ref = _grad_ref(grad, opts)
    scored: list[Candidate] = []
    for n, mask in enumerate(masks):
        area = int(mask.sum())
        too_big = area > opts.subject_max_area_fraction * total
        if area < opts.min_area_fraction * total or too_big:
            continue
        ys, xs = np.nonzero(mask)
        top = max(0, int(ys.min()) - ring_width - 1)
        left = max(0, int(xs.min()) - ring_width - 1)
        bottom = min(wh, int(ys.max()) + ring_width + 2)
        right = min(ww, int(xs.max()) + ring_width + 2)
        excluded = None if beside is None else beside[n][top:bottom, left:right]
        cand = score_crop(
            mask[top:bottom, left:right],
            top,
            left,
            features,
            grad,
            grad_ref,
            ring_width,
            None,
            cues,
            opts,
            beside=excluded,
        )
        if cand is not None:
            cand.subject = True
            scored.append(cand)
    return scored


def score_crop(
    crop: NDArray[np.bool_],
    top: int,
    left: int,
    lab: NDArray[np.float32],
    grad: NDArray[np.float32],
    grad_ref: float,
    ring_width: int,
    residual: NDArray[np.float32] | None,
    cues: SubjectCues | None,
    opts: ProposalOptions,
    *,
    beside: NDArray[np.bool_] | None = None,
) -> Candidate | None:
    """Score one candidate given as a crop (with a ring's margin) of the working image.

    ``lab`` holds the texture features (Lab means first), ``grad`` their edge strength, whose
    ``grad_ref`` counts as a full-strength outline; ``beside`` (crop-shaped) holds pixels left
    out of the ring. Returns ``None`` below ``min_score``.
    """
    bottom, right = top + crop.shape[0], left + crop.shape[1]
    area = int(crop.sum())
    if area == 0:
        return None
    around = ring(crop, ring_width)
    if beside is not None:
        around &= ~beside
    if not around.any():
        return None
    lab_crop = lab[top:bottom, left:right]
    inside_px = lab_crop[crop]
    inside_mean = inside_px.mean(axis=0)
    # an object differs from its surroundings all around (a part or a piece of background
    # next to an object does not): a low percentile of the ring's colour differences ...
    ring_diff = np.linalg.norm(lab_crop[around] - inside_mean, axis=1)
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
        ring_mean = lab_crop[around].mean(axis=0)
        like_ring = np.linalg.norm(inside_px - ring_mean, axis=1) < opts.colour_scale
        score *= 1.0 - opts.enclosed_penalty * float(like_ring.mean())
    if residual is not None:
        score = _flow_contrast(score, residual[top:bottom, left:right], crop, around, area, opts)
    motion_contrast = 0.0
    if cues is not None:
        score, motion_contrast = _subject_terms(score, crop, around, top, left, cues, opts)
    if score < opts.min_score:
        return None
    return Candidate(score, area, top, left, crop, motion=motion_contrast, beside=beside)


def _flow_contrast(
    score: float,
    res_crop: NDArray[np.float32],
    crop: NDArray[np.bool_],
    around: NDArray[np.bool_],
    area: int,
    opts: ProposalOptions,
) -> float:
    """Mix in how much of the ring moves unlike the candidate (``motion_weight``)."""
    inside = res_crop[crop]
    inside = inside[~np.isnan(inside[:, 0])]
    if len(inside) >= 0.3 * area:
        m_in = np.median(inside, axis=0).astype(np.float64)
        speed = float(np.hypot(*m_in))
    else:
        m_in, speed = np.zeros(2, dtype=np.float64), 0.0
    if speed >= opts.moving_px:
        ring_flow = res_crop[around]
        ring_flow = ring_flow[~np.isnan(ring_flow[:, 0])]
        if len(ring_flow):
            same = np.hypot(*(ring_flow - m_in).T) < 0.5 * speed
            contrast = 1.0 - float(same.mean())
        else:
            contrast = 0.5
        return (1 - opts.motion_weight) * score + opts.motion_weight * contrast
    return score * (1 - 0.5 * opts.motion_weight)


def _subject_terms(
    score: float,
    crop: NDArray[np.bool_],
    around: NDArray[np.bool_],
    top: int,
    left: int,
    cues: SubjectCues,
    opts: ProposalOptions,
) -> tuple[float, float]:
    """Apply motion, saliency, colour-repeat and static-backdrop terms; ``(score, motion)``."""
    bottom, right = top + crop.shape[0], left + crop.shape[1]
    motion_contrast = 0.0
    moving_share = 0.0
    if cues.moving is not None:
        mov = cues.moving[top:bottom, left:right]
        moving_share = float(mov[crop].mean())
        motion_contrast = float(np.clip(moving_share - mov[around].mean(), 0.0, 1.0))
        score = 1.0 - (1.0 - score) * (1.0 - opts.subject_weight * motion_contrast)
    sal = cues.saliency[top:bottom, left:right]
    saliency_contrast = float(np.clip(sal[crop].mean() - sal[around].mean(), 0.0, 1.0))
    score = 1.0 - (1.0 - score) * (1.0 - opts.saliency_weight * saliency_contrast)
    static = moving_share < opts.static_motion
    height, width = cues.colour_bins.shape
    # a pattern element (a stripe, a tile) is small; a large static candidate whose colours recur
    # elsewhere is a subject that barely moved (a person in close-up, his suit like the seat)
    small = float(crop.sum()) < REPEAT_MAX_FRACTION * height * width
    if opts.repeat_weight > 0 and static and small:
        score *= 1.0 - opts.repeat_weight * colour_repeat(cues, crop, top, left)
    reaching = opts.static_backdrop_weight > 0 and cues.moving is not None and static
    if reaching and borders_reached(crop, top, left, (height, width)) >= 2:
        score *= 1.0 - opts.static_backdrop_weight
    return score, motion_contrast


def colour_repeat(cues: SubjectCues, crop: NDArray[np.bool_], top: int, left: int) -> float:
    """Share of a candidate's pixels whose coarse colour is as common in the rest of the frame.

    ``sum_b min(n_in, n_out) / n_in`` over the coarse colour bins: near 1 for a pattern element
    (a stripe, a tile, a blotch), low for a subject with colours of its own.
    """
    bottom, right = top + crop.shape[0], left + crop.shape[1]
    colours = cues.colour_bins[top:bottom, left:right][crop]
    in_bins = np.bincount(colours, minlength=len(cues.colour_histogram))
    out_bins = cues.colour_histogram - in_bins
    return float(np.minimum(in_bins, out_bins).sum() / max(len(colours), 1))


def borders_reached(
    crop: NDArray[np.bool_],
    top: int,
    left: int,
    shape_hw: tuple[int, int],
    *,
    min_run: float | None = None,
) -> int:
    """Count the image borders a candidate lies on along at least ``min_run`` pixels each.

    Parameters
    ----------
    crop
        ``(h, w)`` bool candidate crop placed at ``(top, left)`` in the working image.
    top, left
        Where the crop sits.
    shape_hw
        ``(height, width)`` of the working image.
    min_run
        Pixels along a border that count as lying on it; default a tenth of the shorter side
        (``1`` counts any contact).

    Returns
    -------
    int
        0 to 4.
    """
    height, width = shape_hw
    bottom, right = top + crop.shape[0], left + crop.shape[1]
    run = 0.1 * min(height, width) if min_run is None else min_run
    return (
        int(top == 0 and crop[0].sum() >= run)
        + int(bottom == height and crop[-1].sum() >= run)
        + int(left == 0 and crop[:, 0].sum() >= run)
        + int(right == width and crop[:, -1].sum() >= run)
    )
