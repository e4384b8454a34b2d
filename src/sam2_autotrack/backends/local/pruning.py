"""Pruning the scored candidates into the proposals (nearly disjoint, best first)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.backends.local.options import ProposalOptions
from sam2_autotrack.backends.local.scoring import Candidate

__all__ = ["drop_groups", "move_apart", "prune"]


def _median_motion(cand: Candidate, residual: NDArray[np.float32]) -> NDArray[np.float64] | None:
    """Median residual motion of a candidate, ``None`` when under 30 % of it is trusted.

    ``residual`` is the ``(H, W, 2)`` flow minus the camera's, NaN where untrusted.
    """
    bottom, right = cand.top + cand.crop.shape[0], cand.left + cand.crop.shape[1]
    inside = residual[cand.top : bottom, cand.left : right][cand.crop]
    inside = inside[~np.isnan(inside[:, 0])]
    if len(inside) < 0.3 * cand.area:
        return None
    return np.median(inside, axis=0).astype(np.float64)


def move_apart(a: NDArray[np.float64], b: NDArray[np.float64], moving_px: float) -> bool:
    """Whether two median motions differ by ``moving_px`` and by half the faster one's speed."""
    return bool(np.hypot(*(a - b)) >= max(moving_px, 0.5 * max(np.hypot(*a), np.hypot(*b))))


def _adds_only_a_rim(subject: Candidate, other: Candidate, opts: ProposalOptions) -> bool:
    """Whether ``subject`` is a scored-no-better ``other`` plus a margin (60 % of it is ``other``).

    A subject candidate earns its place by joining parts or finding what the others missed; one
    that is a single better (or equal) candidate plus a rim (the flow's halo, a loose cut) would
    only compete with it.
    """
    shared = subject.overlap(other)
    return (
        other.score >= subject.score
        and shared >= opts.nested_fraction * other.area
        and shared >= 0.6 * subject.area
    )


def drop_groups(
    kept: list[Candidate],
    residual: NDArray[np.float32] | None,
    opts: ProposalOptions,
    *,
    calibrated: bool = False,
) -> list[Candidate]:
    """Drop every candidate holding two candidates that move unlike each other (a group).

    A candidate is one object only if what is inside it moves as one: when two of the other
    candidates lie in it (``nested_fraction`` of their area) and their median motions relative
    to the camera (``residual``, the flow minus the camera's) differ by at least ``moving_px``
    and by at least half the faster one's speed, it is two objects merged (touching objects, a
    moving blob spanning neighbours) and is dropped; its parts stay. Parts that move together
    (a face and a shirt) keep their whole. Without ``residual`` nothing is dropped. With
    ``calibrated`` scores (predicted IoUs), only parts scored at least as well as the whole
    count: two objects merged score below each of them, while the fragments of one spinning or
    bending object (which move unlike each other too) score below their whole.
    """
    if residual is None:
        return kept
    motion = [_median_motion(c, residual) for c in kept]
    out = []
    for whole in kept:
        inside = [
            m
            for part, m in zip(kept, motion, strict=True)
            if part is not whole
            and m is not None
            and part.area < whole.area
            and (not calibrated or part.score >= whole.score)
            and whole.overlap(part) >= opts.nested_fraction * part.area
        ]
        apart = any(
            move_apart(a, b, opts.moving_px) for k, a in enumerate(inside) for b in inside[k + 1 :]
        )
        if not apart:
            out.append(whole)
    return out


def prune(
    scored: list[Candidate],
    opts: ProposalOptions,
    shape: tuple[int, int],
    residual: NDArray[np.float32] | None = None,
    *,
    calibrated: bool = False,
) -> tuple[list[NDArray[np.bool_]], list[float]]:
    """Keep the best candidates, nearly disjoint; return their full masks and confidences.

    Best first (score, then smaller area), a candidate nested in a better one (a part or a
    duplicate, ``nested_fraction``) or swallowing a clearly better one (object plus background)
    is dropped; one swallowing a barely better one (``whole_margin``) replaces it, as the whole of
    which it is a part. Subject candidates bypass this: they overlap the others on purpose (a
    whole and its parts) and only their own near-duplicates and those that are a better-scored
    candidate plus a rim are dropped; they take their places among the ``max_proposals``. The
    confidence maps ``min_score`` to 0 and ``min_score + confidence_span`` to 1. With the
    ``residual`` motion, a candidate holding two that move unlike each other is dropped
    (`drop_groups`). With ``calibrated`` (the learned score of
    `rescoring`), the scores are reported as they are, and a candidate nested in a better one
    is kept when it scores nearly as well (``part_score_margin``, ``part_area_fraction``), and
    those scored below ``learned_floor`` are left out.
    """
    if calibrated:
        scored = [c for c in scored if c.score >= opts.learned_floor]
    ordered = sorted((c for c in scored if not c.subject), key=lambda c: (-c.score, c.area))
    kept: list[Candidate] = []
    for cand in ordered:
        dominated = False
        replaced: list[Candidate] = []
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
                # nested in (or a near-duplicate of) a better candidate: a part of it -- unless
                # the learned score (a predicted IoU, under which a mere fragment scores low)
                # rates it nearly as well and it is clearly smaller: then the better one may be
                # two objects in one blob, and the selection decides between part and whole
                if (
                    calibrated
                    and cand.area <= opts.part_area_fraction * other.area
                    and other.score - cand.score <= opts.part_score_margin
                ):
                    continue
                dominated = True
                break
        if not dominated:
            kept = [k for k in kept if all(k is not r for r in replaced)]
            kept.append(cand)
        if len(kept) >= opts.max_proposals:
            break
    # subject candidates overlap the others on purpose (a whole and its parts): the selection
    # decides between them; only their own near-duplicates are dropped here
    subjects: list[Candidate] = []
    for cand in sorted((c for c in scored if c.subject), key=lambda c: (-c.score, c.area)):
        if all(
            cand.overlap(other) < 0.9 * max(cand.area, other.area) for other in subjects + kept
        ) and not any(_adds_only_a_rim(cand, other, opts) for other in kept):
            subjects.append(cand)
    kept = kept[: max(0, opts.max_proposals - len(subjects))] + subjects
    kept = drop_groups(kept, residual, opts, calibrated=calibrated)
    kept.sort(key=lambda c: (-c.score, c.area))
    if calibrated:  # the learned score is already a predicted IoU
        return [c.full(shape) for c in kept], [c.score for c in kept]
    # report a calibrated confidence: min_score maps to 0, min_score + confidence_span to 1
    confidence = [
        float(np.clip((c.score - opts.min_score) / opts.confidence_span, 0.0, 1.0)) for c in kept
    ]
    return [c.full(shape) for c in kept], confidence
