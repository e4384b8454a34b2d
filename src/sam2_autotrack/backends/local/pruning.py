"""Pruning the scored candidates into the proposals (nearly disjoint, best first)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.backends.local.options import ProposalOptions
from sam2_autotrack.backends.local.scoring import Candidate

__all__ = ["prune"]


def prune(
    scored: list[Candidate], opts: ProposalOptions, shape: tuple[int, int]
) -> tuple[list[NDArray[np.bool_]], list[float]]:
    """Keep the best candidates, nearly disjoint; return their full masks and confidences.

    Best first (score, then smaller area), a candidate nested in a better one (a part or a
    duplicate, ``nested_fraction``) or swallowing a clearly better one (object plus background)
    is dropped; one swallowing a barely better one (``whole_margin``) replaces it, as the whole of
    which it is a part. Subject candidates bypass this: they overlap the others on purpose (a
    whole and its parts) and only their own near-duplicates are dropped; they take their places
    among the ``max_proposals``. The confidence maps ``min_score`` to 0 and
    ``min_score + confidence_span`` to 1.
    """
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
                # nested in (or a near-duplicate of) a better candidate: a part of it
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
        if all(cand.overlap(other) < 0.9 * max(cand.area, other.area) for other in subjects + kept):
            subjects.append(cand)
    kept = kept[: max(0, opts.max_proposals - len(subjects))] + subjects
    kept.sort(key=lambda c: (-c.score, c.area))
    # report a calibrated confidence: min_score maps to 0, min_score + confidence_span to 1
    confidence = [
        float(np.clip((c.score - opts.min_score) / opts.confidence_span, 0.0, 1.0)) for c in kept
    ]
    return [c.full(shape) for c in kept], confidence
