"""Remainders: what is left of a blob once a candidate inside it that moves apart is taken out.

Two objects that touch or overlap on frame 0 (a ball in front of a bar, two shapes side by
side) are often found as one blob, plus the one of them that stands out on its own; the other
(the occluded one, or the one coloured like the blob's rim) has no candidate of its own. When a
well-scored candidate inside a blob looks unlike the rest of the blob and moves unlike it
(relative to the camera, beyond what the rest's own affine motion carries it to), the blob may
be two things: the rest is scored on its own (`split_groups`), and when it scores as an object
the blob is dropped and the rest proposed beside its part. A part that moves with the rest of
its whole (a shirt with the person wearing it), or the halves of one turning object, yield
nothing; a rest that scores low (a piece of background the blob took in) leaves the blob to the
pruning and the selection.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.backends.local.cues import SubjectCues
from sam2_autotrack.backends.local.motion import affine_motion_at, fit_affine_motion
from sam2_autotrack.backends.local.options import ProposalOptions
from sam2_autotrack.backends.local.pruning import move_apart
from sam2_autotrack.backends.local.rescoring import rescore
from sam2_autotrack.backends.local.scoring import Candidate, score_subject_masks
from sam2_autotrack.masks.cleanup import largest_component

__all__ = ["remainder_masks", "split_groups"]

_LARGEST_SHARE = 0.7
"""The rest's largest connected piece must hold this share of it (else it is scraps)."""


def _largest_piece(mask: NDArray[np.bool_]) -> NDArray[np.bool_] | None:
    """Return the largest 8-connected piece of ``mask`` (opened by 3×3), or ``None`` if scraps."""
    opened = cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    share = _LARGEST_SHARE * np.count_nonzero(mask) / max(1, int(np.count_nonzero(opened)))
    return largest_component(opened, min_share=share)


def _moves_apart(
    part: NDArray[np.bool_],
    rest: NDArray[np.bool_],
    residual: NDArray[np.float32],
    moving_px: float,
) -> bool:
    """Whether ``part`` moves unlike what the rest's own motion would carry it to.

    An affine model of the rest's residual flow (least squares on its trusted pixels) predicts
    the part's; the part moves apart when its median motion differs from that prediction
    (`move_apart`). A rigid object turning or growing carries its parts along its affine
    motion; two objects sliding past each other do not move as one. Needs 30 % of each
    trusted.
    """
    trusted = ~np.isnan(residual[..., 0])
    ry, rx = np.nonzero(rest & trusted)
    py, px = np.nonzero(part & trusted)
    if len(rx) < max(10.0, 0.3 * np.count_nonzero(rest)):
        return False
    if len(px) < max(10.0, 0.3 * np.count_nonzero(part)):
        return False
    model = fit_affine_motion(rx, ry, residual)
    predicted = affine_motion_at(model, px, py)
    actual = residual[py, px].astype(np.float64)
    return move_apart(np.median(actual, axis=0), np.median(predicted, axis=0), moving_px)


def _as_candidate(mask: NDArray[np.bool_]) -> Candidate:
    ys, xs = np.nonzero(mask)
    top, left = int(ys.min()), int(xs.min())
    crop = mask[top : int(ys.max()) + 1, left : int(xs.max()) + 1]
    return Candidate(score=0.0, area=int(crop.sum()), top=top, left=left, crop=crop)


@dataclass(frozen=True)
class Remainder:
    """The rest of a blob once a part that moves apart from it is taken out.

    Attributes
    ----------
    whole, part
        The blob and the candidate inside it.
    mask
        ``(H, W)`` bool rest (its largest piece) at the working resolution.
    part_mask
        ``(H, W)`` bool full mask of ``part`` (not the rest's surroundings).
    existing
        A candidate (other than the whole) that already is the rest, or ``None``.
    """

    whole: Candidate
    part: Candidate
    mask: NDArray[np.bool_]
    part_mask: NDArray[np.bool_]
    existing: Candidate | None = None


def remainder_masks(
    candidates: list[Candidate],
    residual: NDArray[np.float32],
    features: NDArray[np.float32],
    opts: ProposalOptions,
    *,
    consider: int = 40,
) -> list[Remainder]:
    """Find the rest of each blob that holds a well-scored candidate moving apart from it.

    Among the ``consider`` best-scored candidates, for a *whole* holding a *part*
    (``nested_fraction`` of the part inside it, the part at most ``part_area_fraction`` of it and
    scored at most ``part_score_margin`` below it), the rest is the whole minus the part; when
    the part moves unlike the rest relative to the camera (`_moves_apart`) and looks unlike it
    (mean colours at least ``colour_scale`` apart: the halves of one turning object look alike,
    two objects seldom do), the
    rest's largest piece (at least 70 % of it and ``min_area_fraction`` of the frame) is
    returned, with the candidate that already is it (IoU 0.85), if any. A rest that is nearly
    the whole (a small part in front of a large object) is the whole *carved*: the object
    without what is in front of it.

    Parameters
    ----------
    candidates
        Scored candidates at the working resolution.
    residual
        ``(H, W, 2)`` flow minus the camera's motion at the working resolution, NaN where
        untrusted.
    features
        ``(H, W, C)`` texture features, Lab means first (`features`).
    opts
        The generator's parameters.
    consider
        How many of the best-scored candidates are searched for wholes and parts.

    Returns
    -------
    list of Remainder
        At most one per whole and part, no two alike.

    Examples
    --------
    >>> import numpy as np
    >>> from sam2_autotrack.backends.local.scoring import Candidate
    >>> blob = np.zeros((40, 60), bool); blob[10:30, 5:55] = True
    >>> part = np.zeros((40, 60), bool); part[10:30, 30:55] = True
    >>> def cand(m, s):
    ...     ys, xs = np.nonzero(m)
    ...     crop = m[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    ...     return Candidate(score=s, area=int(m.sum()), top=int(ys.min()),
    ...                      left=int(xs.min()), crop=crop)
    >>> residual = np.zeros((40, 60, 2), np.float32); residual[part] = (4.0, 0.0)
    >>> lab = np.zeros((40, 60, 3), np.float32); lab[part] = (60.0, 20.0, 0.0)
    >>> pair = [cand(blob, 0.9), cand(part, 0.85)]
    >>> rests = remainder_masks(pair, residual, lab, ProposalOptions())
    >>> rest = rests[0].mask
    >>> len(rests), int(rest.sum()), bool(rest[20, 10]), bool(rest[20, 40])
    (1, 500, True, False)
    """
    shape = residual.shape[:2]
    total = float(shape[0] * shape[1])
    ranked = sorted(candidates, key=lambda c: (-c.score, c.area))[:consider]
    colours = features[..., :3]
    found: list[Remainder] = []
    found_rests: list[Candidate] = []
    for whole in ranked:
        whole_mask: NDArray[np.bool_] | None = None
        for part in ranked:
            if (
                part is whole
                or part.area > opts.part_area_fraction * whole.area
                or part.score < whole.score - opts.part_score_margin
                or whole.overlap(part) < opts.nested_fraction * part.area
            ):
                continue
            if whole_mask is None:
                whole_mask = whole.full(shape)
            part_mask = part.full(shape)
            rest = whole_mask & ~part_mask
            piece = _largest_piece(rest)
            if piece is None or np.count_nonzero(piece) < max(opts.min_area_fraction * total, 20):
                continue
            rest_cand = _as_candidate(piece)
            gap = colours[part_mask].mean(axis=0) - colours[piece].mean(axis=0)
            if float(np.linalg.norm(gap)) < opts.colour_scale:
                continue
            if not _moves_apart(part_mask, piece, residual, opts.moving_px):
                continue
            if any(_alike(rest_cand, other, 0.85) for other in found_rests):
                continue
            existing = next(
                (
                    other
                    for other in candidates
                    if _alike(rest_cand, other, 0.85) and not _alike(other, whole, 0.9)
                ),
                None,
            )
            found.append(Remainder(whole, part, piece, part_mask, existing))
            found_rests.append(rest_cand)
    return found


def split_groups(
    scored: list[Candidate],
    residual: NDArray[np.float32],
    features: NDArray[np.float32],
    edge: NDArray[np.float32],
    cues: SubjectCues,
    opts: ProposalOptions,
) -> list[Candidate]:
    """Split the blobs of two things: drop the blob, add the rest beside its part.

    Each remainder (`remainder_masks`) is scored like a subject candidate (hand-made score,
    then the learned one, the part left out of its ring: it is in front of the rest, not
    around it). A rest scoring at least ``remainder_min_score`` is an object of its own, so its
    blob (a part that moves apart plus an object) is two objects and is dropped; the rest joins
    the candidates. A rest scoring lower (a piece of background the blob took in beside the
    part) leaves the blob to the pruning and the selection.

    Parameters
    ----------
    scored
        Candidates with the learned score, at the working resolution (not modified).
    residual
        ``(H, W, 2)`` flow minus the camera's motion, NaN where untrusted.
    features, edge
        The texture features and their edge strength the candidates were scored with.
    cues
        The subject cues, with their motion maps.
    opts
        The generator's parameters.

    Returns
    -------
    list of Candidate
        ``scored`` without the split blobs (and their near-copies, IoU 0.9), plus the rests.
    """
    split: list[Candidate] = []
    rests: list[Candidate] = []
    for remainder in remainder_masks(scored, residual, features, opts):
        if remainder.existing is not None:
            if remainder.existing.score >= opts.remainder_min_score:
                split.append(remainder.whole)
            continue
        found = score_subject_masks(
            [remainder.mask], features, edge, cues, opts, beside=[remainder.part_mask]
        )
        if not found:
            continue
        rest = rescore(found, cues, opts.score_model)[0]
        if rest.score >= opts.remainder_min_score:
            split.append(remainder.whole)
            rests.append(rest)
    # the same blob is often found several times (superpixel partitions, motion blobs)
    kept = [c for c in scored if not any(_alike(c, whole) for whole in split)]
    return kept + rests


def _alike(a: Candidate, b: Candidate, iou: float = 0.9) -> bool:
    """Whether two candidates are the same region (IoU at least ``iou``)."""
    shared = a.overlap(b)
    return shared >= iou * (a.area + b.area - shared)
