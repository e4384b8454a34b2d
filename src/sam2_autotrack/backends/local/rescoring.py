"""A learned proposal score: the predicted IoU of a candidate with the object it stands for.

The hand-made score of `scoring` multiplies a few cues with hand-set weights; it ranks parts,
wholes and background pieces poorly when colours are close (a textured object on a background of
its own hue) or when an object barely stands out in colour but moves. With motion measured and
something in the shot moving, every candidate is described instead by `PROPOSAL_FEATURES` --
the hand-made score, how much it and the ring around it move unlike the camera (the superpixel
motion model, the aligned frame difference), saliency, colour repeat, size and borders -- and a
model maps them to a number in ``[0, 1]`` that estimates the candidate's IoU with the
best-matching object, like SAM's predicted IoU. Two models (``ProposalOptions.score_model``):

- ``"boosted"`` (the default): a logistic fit plus boosted decision trees at 0.3 of their
  log-odds (`proposal_model`, a `TreeEnsemble`). The trees say what one weighted sum cannot --
  a term matters only in company (colour repeat counts against a candidate that does not move
  unlike its ring, much less against one that does);
- ``"logistic"``: one weighted sum, `PROPOSAL_COEFFICIENTS` (the previous default).

A part of an object
(low IoU with it), a background piece (no object) and the object plus background (IoU well
under 1) all score below the object itself, so the pruning keeps the whole object.

Without later frames (an image alone) or in a shot where nothing moves, the hand-made score
stays: the model leans on motion and would only read its absence.
"""

from __future__ import annotations

import functools
import math
from dataclasses import replace
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.backends.local.cues import SubjectCues
from sam2_autotrack.backends.local.scoring import (
    Candidate,
    borders_reached,
    colour_repeat,
    ring_width_of,
)
from sam2_autotrack.backends.local.surroundings import flow_coherence, surroundings
from sam2_autotrack.backends.local.trees import TreeEnsemble, load_ensemble

__all__ = [
    "PROPOSAL_COEFFICIENTS",
    "PROPOSAL_FEATURES",
    "ScoreModel",
    "candidate_features",
    "predicted_iou",
    "proposal_model",
    "rescore",
]

PROPOSAL_FEATURES = (
    "bias",
    "hand_score_logit",
    "probability_inside",
    "probability_ring",
    "probability_ring_alike",
    "ring_alike_share",
    "ring_comoving",
    "flow_incoherence",
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
superpixel motion probability (`motion_map`) inside the candidate and in the *far ring* around
it (from one ring-width to two out: right next to a moving object, the flow's halo and the
superpixel map's spill make its still surroundings look moving, as a fragment's would be),
``probability_ring_alike`` in the part of the far ring coloured like the candidate (coarse colours
holding 1 % of it; 0 when none is): a fragment of a moving object is continued by moving pixels
of its own colours, an object camouflaged on its background by still ones; ``ring_alike_share``
the share of the ring coloured like it (a piece of a pole or a wall is continued by more of it);
``ring_comoving`` the share of the far ring that moves
unlike the camera *the way the candidate does* (its affine motion carried on): a fragment is
continued by the rest of its object, an object touching another that moves its own way is not;
``flow_incoherence`` the share of the candidate's own trusted pixels that do not follow its
affine motion: a blob of two objects moving apart (or of an object and still background) has
many (`surroundings.flow_coherence`; both 0 without the residual flow);
``difference_*`` ``log1p`` of the mean aligned difference inside and in the far ring (clipped
at 20 noise levels);
``saliency_contrast`` the mean saliency inside minus the ring's; ``colour_repeat`` the share of
its colours as common in the rest of the frame (`colour_repeat`); ``log10_area_fraction`` is
clipped to ``[-4, -0.3]``; ``borders_touched`` counts the image borders it touches.

Colour contrast, outline strength, flow evidence, solidity and the subject flag were tried as
terms of their own and left out: with the terms above they added nothing on the validation
seeds, and some took signs that would not carry over to real footage."""

PROPOSAL_COEFFICIENTS = (
    1.383,
    -0.043,
    3.014,
    -2.537,
    -0.550,
    -0.148,
    0.017,
    -0.793,
    -0.340,
    0.093,
    1.134,
    -2.362,
    0.580,
    -1.233,
)
"""Logistic weights of the learned proposal score (``score_model="logistic"``, see
`predicted_iou`), fitted by ``benchmarks/calibrate_proposals.py`` (how is documented there)."""

ScoreModel = Literal["logistic", "boosted"]
"""Which model maps `PROPOSAL_FEATURES` to the predicted IoU (see the module docstring)."""

MODEL_FILE = "proposal_trees.json"
"""The shipped model of ``score_model="boosted"``, in ``backends/local/models``."""


@functools.cache
def proposal_model() -> TreeEnsemble:
    """Return the model of ``score_model="boosted"`` (loaded once).

    A logistic fit plus boosted trees, fitted by ``benchmarks/calibrate_proposals.py --write`` on
    tuning clips only (the model's ``note`` says which); its columns are `PROPOSAL_FEATURES`.

    Returns
    -------
    TreeEnsemble
        The model.

    Raises
    ------
    ValueError
        When the shipped model's features are not `PROPOSAL_FEATURES` (a stale model file).
    """
    model = load_ensemble(MODEL_FILE)
    if model.features != PROPOSAL_FEATURES:
        raise ValueError(
            f"{MODEL_FILE} was fitted on features {model.features}; the score measures "
            f"{PROPOSAL_FEATURES} (refit with benchmarks/calibrate_proposals.py --write)"
        )
    return model


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
    # the colour terms read the ring next to the outline, the motion terms the far ring
    near = surroundings(candidate, shape_hw, ring_width_of(shape_hw))
    around, far = near.ring, near.far

    def inside_ring(values: NDArray[np.float32]) -> tuple[float, float]:
        patch = values[top:bottom, left:right]
        return float(patch[crop].mean()), float(patch[around].mean())

    prob_in = float(cues.probability[top:bottom, left:right][crop].mean())
    prob_ring = float(cues.probability[far.window][far.ring].mean())
    bins = cues.colour_bins[top:bottom, left:right]
    counts = np.bincount(bins[crop])
    own_bins = np.flatnonzero(counts >= 0.01 * candidate.area)
    alike = around & np.isin(bins, own_bins)
    far_alike = far.ring & np.isin(cues.colour_bins[far.window], own_bins)
    ring_probability = cues.probability[far.window][far_alike]
    prob_alike = float(ring_probability.mean()) if far_alike.any() else 0.0
    alike_share = float(np.count_nonzero(alike)) / max(1, int(np.count_nonzero(around)))
    comoving, incoherence = flow_coherence(far.mask, far.top, far.left, far.ring, cues.flow)
    difference = np.minimum(cues.difference, 20.0)
    diff_in = float(difference[top:bottom, left:right][crop].mean())
    diff_ring = float(difference[far.window][far.ring].mean())
    sal_in, sal_ring = inside_ring(cues.saliency)
    fraction = candidate.area / float(shape_hw[0] * shape_hw[1])
    score = min(max(candidate.score, 1e-3), 1 - 1e-3)
    return np.array(
        [
            1.0,
            math.log(score / (1 - score)),
            prob_in,
            prob_ring,
            prob_alike,
            alike_share,
            comoving,
            incoherence,
            math.log1p(max(diff_in, 0.0)),
            math.log1p(max(diff_ring, 0.0)),
            sal_in - sal_ring,
            colour_repeat(cues, crop, top, left),
            min(-0.3, max(-4.0, math.log10(max(fraction, 1e-9)))),
            float(borders_reached(crop, top, left, shape_hw, min_run=1)),
        ],
        dtype=np.float64,
    )


def predicted_iou(features: NDArray[np.float64], model: ScoreModel = "logistic") -> float:
    """Return the candidate's predicted IoU.

    Parameters
    ----------
    features
        The terms of `PROPOSAL_FEATURES` (`candidate_features`).
    model
        ``"logistic"``: ``sigmoid(PROPOSAL_COEFFICIENTS · features)``; ``"boosted"``:
        `proposal_model`.

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
    return float(_scores(np.asarray(features, dtype=np.float64).reshape(1, -1), model)[0])


def _scores(rows: NDArray[np.float64], model: ScoreModel) -> NDArray[np.float64]:
    """Predicted IoU of every row of terms."""
    if model == "boosted":
        return proposal_model().probability(rows)
    z = np.clip(rows @ np.asarray(PROPOSAL_COEFFICIENTS, dtype=np.float64), -50.0, 50.0)
    out: NDArray[np.float64] = 1.0 / (1.0 + np.exp(-z))
    return out


def rescore(
    candidates: list[Candidate], cues: SubjectCues, model: ScoreModel = "logistic"
) -> list[Candidate]:
    """Candidates with the learned score (`predicted_iou`) in place of the hand-made one.

    Parameters
    ----------
    candidates
        Scored candidates (not modified).
    cues
        The subject cues at the working resolution, with their motion maps.
    model
        Which model scores them (``ProposalOptions.score_model``).

    Returns
    -------
    list of Candidate
        New candidates, same order, ``score`` replaced.
    """
    if not candidates:
        return []
    rows = np.stack([candidate_features(c, cues) for c in candidates])
    scores = _scores(rows, model)
    return [replace(c, score=float(s)) for c, s in zip(candidates, scores, strict=True)]
