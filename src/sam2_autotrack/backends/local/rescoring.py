"""A learned proposal score: the predicted IoU of a candidate with the object it stands for.

The hand-made score of `scoring` multiplies a few cues with hand-set weights; it ranks parts,
wholes and background pieces poorly when colours are close (a textured object on a background of
its own hue) or when an object barely stands out in colour but moves. With motion measured and
something in the shot moving, every candidate is described instead by `PROPOSAL_FEATURES` --
the hand-made score, how much it and the ring around it move unlike the camera (the superpixel
motion model, the aligned frame difference), saliency, colour repeat, size and borders -- and a
logistic model (`PROPOSAL_COEFFICIENTS`) maps them to a number in ``[0, 1]`` that estimates the
candidate's IoU with the best-matching object, like SAM's predicted IoU. A part of an object
(low IoU with it), a background piece (no object) and the object plus background (IoU well
under 1) all score below the object itself, so the pruning keeps the whole object.

Without later frames (an image alone) or in a shot where nothing moves, the hand-made score
stays: the model leans on motion and would only read its absence.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.backends.local.cues import SubjectCues
from sam2_autotrack.backends.local.scoring import (
    Candidate,
    borders_reached,
    colour_repeat,
    ring,
    ring_width_of,
)

__all__ = [
    "PROPOSAL_COEFFICIENTS",
    "PROPOSAL_FEATURES",
    "candidate_features",
    "predicted_iou",
    "rescore",
]

PROPOSAL_FEATURES = (
    "bias",
    "hand_score_logit",
    "probability_inside",
    "probability_ring",
    "difference_inside",
    "difference_ring",
    "saliency_contrast",
    "colour_repeat",
    "log10_area_fraction",
    "borders_touched",
)
"""Names of the terms of the learned proposal score, in the order of `PROPOSAL_COEFFICIENTS`.

``hand_score_logit`` is the log-odds of the hand-made score of `scoring` (colour contrast with
the ring, outline strength, how little of it looks like its ring); ``probability_*`` the mean
superpixel motion probability (`motion_map`) inside the candidate and in the ring around it;
``difference_*`` ``log1p`` of the mean aligned difference there (clipped at 20 noise levels);
``saliency_contrast`` the mean saliency inside minus the ring's; ``colour_repeat`` the share of
its colours as common in the rest of the frame (`colour_repeat`); ``log10_area_fraction`` is
clipped to ``[-4, -0.3]``; ``borders_touched`` counts the image borders it touches.

Colour contrast, outline strength, flow evidence, solidity and the subject flag were tried as
terms of their own and left out: with the terms above they added nothing on the validation
seeds, and some took signs that would not carry over to real footage."""

PROPOSAL_COEFFICIENTS = (
    1.109,
    0.015,
    3.584,
    -2.586,
    -0.249,
    0.022,
    0.688,
    -2.454,
    0.594,
    -1.181,
)
"""Logistic weights of the learned proposal score (see `predicted_iou`), fitted by
``benchmarks/calibrate_proposals.py`` (how is documented there)."""


def candidate_features(candidate: Candidate, cues: SubjectCues) -> NDArray[np.float64]:
    """Measure the terms of `PROPOSAL_FEATURES` for one candidate.

    Parameters
    ----------
    candidate
        A scored candidate (its crop holds a ring's margin around it).
    cues
        The subject cues at the working resolution, with their motion maps.

    Returns
    -------
    numpy.ndarray
        ``(len(PROPOSAL_FEATURES),)`` float64.

    Raises
    ------
    ValueError
        When the cues hold no motion maps (the model needs them).
    """
    if cues.difference is None or cues.probability is None:
        raise ValueError("candidate_features needs the motion maps of SubjectCues; got None")
    crop, top, left = candidate.crop, candidate.top, candidate.left
    bottom, right = top + crop.shape[0], left + crop.shape[1]
    shape_hw = (int(cues.saliency.shape[0]), int(cues.saliency.shape[1]))
    around = ring(crop, ring_width_of(shape_hw))
    if not around.any():
        around = ~crop

    def inside_ring(values: NDArray[np.float32]) -> tuple[float, float]:
        patch = values[top:bottom, left:right]
        return float(patch[crop].mean()), float(patch[around].mean())

    prob_in, prob_ring = inside_ring(cues.probability)
    diff_in, diff_ring = inside_ring(np.minimum(cues.difference, 20.0))
    sal_in, sal_ring = inside_ring(cues.saliency)
    fraction = candidate.area / float(shape_hw[0] * shape_hw[1])
    score = min(max(candidate.score, 1e-3), 1 - 1e-3)
    return np.array(
        [
            1.0,
            math.log(score / (1 - score)),
            prob_in,
            prob_ring,
            math.log1p(max(diff_in, 0.0)),
            math.log1p(max(diff_ring, 0.0)),
            sal_in - sal_ring,
            colour_repeat(cues, crop, top, left),
            min(-0.3, max(-4.0, math.log10(max(fraction, 1e-9)))),
            float(borders_reached(crop, top, left, shape_hw, min_run=1)),
        ],
        dtype=np.float64,
    )


def predicted_iou(features: NDArray[np.float64]) -> float:
    """``sigmoid(PROPOSAL_COEFFICIENTS · features)``: the candidate's predicted IoU.

    Parameters
    ----------
    features
        The terms of `PROPOSAL_FEATURES` (`candidate_features`).

    Returns
    -------
    float
        In ``(0, 1)``.

    Examples
    --------
    >>> import numpy as np
    >>> 0.0 < predicted_iou(np.zeros(len(PROPOSAL_FEATURES))) < 1.0
    True
    """
    z = float(np.dot(np.asarray(PROPOSAL_COEFFICIENTS, dtype=np.float64), features))
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


def rescore(candidates: list[Candidate], cues: SubjectCues) -> list[Candidate]:
    """Candidates with the learned score (`predicted_iou`) in place of the hand-made one.

    Parameters
    ----------
    candidates
        Scored candidates (not modified).
    cues
        The subject cues at the working resolution, with their motion maps.

    Returns
    -------
    list of Candidate
        New candidates, same order, ``score`` replaced.
    """
    return [replace(c, score=predicted_iou(candidate_features(c, cues))) for c in candidates]
