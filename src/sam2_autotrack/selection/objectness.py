"""Objectness: how much a proposal looks like a whole object, from its shape and its image.

The terms, measured on the cleaned mask on the analysis grid (see
`select_objects` for their definitions): solidity and
compactness (`shape_terms`), a size prior (`size_prior`), the mask generator's score,
the contrast all along the outline (`contrast`), the borders touched, the share of the
outline on the frame border, the (bounded) log area fraction and the share seen through another
proposal's hole. Two ways to combine them:

- ``"calibrated"`` (the default): a logistic model,
  [`calibrated_objectness`][sam2_autotrack.selection.calibrated_objectness] with
  [`OBJECTNESS_COEFFICIENTS`][sam2_autotrack.selection.OBJECTNESS_COEFFICIENTS] (how they were
  fitted is documented there): a probability that the proposal is a whole object;
- ``"weighted"``: the former hand-weighted mean (`weighted_objectness`), for ranking only.
"""

from __future__ import annotations

import math
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.selection.options import SelectionOptions

__all__ = [
    "OBJECTNESS_COEFFICIENTS",
    "OBJECTNESS_COEFFICIENTS_WITHOUT_SCORE",
    "OBJECTNESS_FEATURES",
    "SIZE_BOUNDS",
    "bounded_log_area",
    "calibrated_objectness",
    "contrast",
    "final_objectness",
    "logit",
    "objectness_features",
    "shape_terms",
    "size_prior",
    "weighted_objectness",
]


def shape_terms(crop: NDArray[np.uint8]) -> tuple[float, float]:
    """``(solidity, compactness)`` of a cleaned crop, both in ``[0, 1]``."""
    contours, _ = cv2.findContours(crop, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return 0.0, 0.0
    area = float(sum(cv2.contourArea(c) for c in contours))
    perimeter = float(sum(cv2.arcLength(c, True) for c in contours))
    hull_area = float(cv2.contourArea(cv2.convexHull(np.vstack(contours))))
    if area <= 0.0 or hull_area <= 0.0 or perimeter <= 0.0:
        # One- or two-pixel-thick shapes have no polygon area: treat as maximally irregular.
        return 0.0, 0.0
    solidity = min(1.0, area / hull_area)
    compactness = min(1.0, 4.0 * math.pi * area / (perimeter * perimeter))
    return solidity, compactness


OBJECTNESS_FEATURES = (
    "bias",
    "solidity",
    "compactness",
    "size_prior",
    "model_score",
    "contrast",
    "borders_touched",
    "border_fraction",
    "log10_area_fraction",
    "model_share",
    "enclosed",
)
"""Names of the terms of the calibrated objectness, in the order of `OBJECTNESS_COEFFICIENTS`.

``log10_area_fraction`` is bounded to `SIZE_BOUNDS` (`bounded_log_area`).

``model_share`` is the score over the best score among the proposals (how the proposal ranks in
its own frame: a clip whose objects all score low still has a best one). ``model_score`` and
``model_share`` are NaN when no scores are given (then
`OBJECTNESS_COEFFICIENTS_WITHOUT_SCORE` apply); ``contrast`` is 0.5 when no image is given."""

OBJECTNESS_COEFFICIENTS = (
    -5.561,
    0.790,
    0.987,
    -0.265,
    3.423,
    0.971,
    0.189,
    0.307,
    0.424,
    5.799,
    -0.801,
)
"""Logistic-regression weights of the calibrated objectness when the proposals carry scores.

Fitted by ``benchmarks/calibrate_objectness.py --families 0-9`` on tuning clips only: the seven
generated scenes of the suite drawn with seeds 101 and 102 at 854×480 and seed 103 at 320×240
(21 clips of 30 frames), and the seeded families (`sam2_autotrack.testing.families`) at
tuning seeds 0-9 (70 clips); the suite's own seed 0 and the families' held-out seeds never used.
Every proposal of the embedded engine on frame 0 (with motion cues, so scored by its learned
predicted IoU, `sam2_autotrack.backends.local.rescoring`) that passes the speck rules gives one
row of `OBJECTNESS_FEATURES` (1,669 rows), labelled *object* when its IoU with a ground-truth
object on frame 0 is at least 0.5 (542 objects); logistic regression by Newton's method, L2
penalty 1 on every weight but the bias. The size term is bounded (`bounded_log_area`).
Reliability on that data (mean predicted → observed rate per fifth of the range): 0.05 → 0.04,
0.29 → 0.26, 0.50 → 0.54, 0.71 → 0.68, 0.93 → 0.97. The mask generator's score carries most of
the weight: the engine's predicted IoU already weighs motion, colour and outline. Refit with the
script after changing a term or the engine."""

OBJECTNESS_COEFFICIENTS_WITHOUT_SCORE = (
    2.911,
    -0.152,
    3.528,
    -0.482,
    0.0,
    2.971,
    -1.656,
    -1.165,
    2.844,
    0.0,
    -3.127,
)
"""The same fit without the ``model_score`` term (its weight is 0), for proposals that come
without scores (SAM 2 on Replicate returns none): shape, contrast, borders and size decide."""


def objectness_features(
    solidity: float,
    compactness: float,
    size: float,
    model: float | None,
    contrast: float | None,
    touched: int,
    border_fraction: float,
    area_fraction: float,
    model_share: float = 1.0,
) -> NDArray[np.float64]:
    """Return the terms of `OBJECTNESS_FEATURES` (``enclosed`` is filled in later)."""
    return np.array(
        [
            1.0,
            solidity,
            compactness,
            size,
            math.nan if model is None else model,
            0.5 if contrast is None else contrast,
            float(touched),
            border_fraction,
            bounded_log_area(area_fraction),
            math.nan if model is None else model_share,
            0.0,
        ],
        dtype=np.float64,
    )


SIZE_BOUNDS = (-3.0, -1.5)
"""``log10`` area fractions below and above which the size term stops changing (0.1 % and 3 %)."""


def bounded_log_area(area_fraction: float) -> float:
    """``log10`` of the area fraction, clipped to `SIZE_BOUNDS`.

    Bounded so the fitted size weight cannot keep pushing: a 0.1 % object is as plausible as a
    smaller one (the speck rule judges those) and a 3 % one as a larger one (the background
    rules judge those).

    Examples
    --------
    >>> bounded_log_area(0.01), bounded_log_area(1e-5), bounded_log_area(0.5)
    (-2.0, -3.0, -1.5)
    """
    low, high = SIZE_BOUNDS
    return min(high, max(low, math.log10(max(area_fraction, 1e-9))))


def logit(p: float) -> float:
    """Log-odds of ``p`` (clipped away from 0 and 1)."""
    q = min(max(float(p), 1e-9), 1.0 - 1e-9)
    return math.log(q / (1.0 - q))


def calibrated_objectness(features: Any) -> float:
    """Probability-like objectness: ``sigmoid(OBJECTNESS_COEFFICIENTS · features)``.

    Parameters
    ----------
    features
        The terms named by [`OBJECTNESS_FEATURES`][sam2_autotrack.selection.OBJECTNESS_FEATURES], in
        that order; a NaN ``model_score`` (no scores given) selects
        `OBJECTNESS_COEFFICIENTS_WITHOUT_SCORE`.

    Returns
    -------
    float
        In ``(0, 1)``; on the tuning clips it is calibrated: among proposals scored ``p``,
        about a fraction ``p`` match a real object (IoU at least 0.5 with it).

    Examples
    --------
    >>> round(calibrated_objectness([1, 1, 1, 1, 1, 1, 0, 0, -1, 1, 0]), 2) > 0.5
    True
    """
    x = np.asarray(features, dtype=np.float64)
    weights = OBJECTNESS_COEFFICIENTS
    score_term = OBJECTNESS_FEATURES.index("model_score")
    if math.isnan(x[score_term]):  # no scores: the fit without the score terms
        x = np.nan_to_num(x)
        weights = OBJECTNESS_COEFFICIENTS_WITHOUT_SCORE
    z = float(np.dot(np.asarray(weights, dtype=np.float64), x))
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


def size_prior(fraction: float, options: SelectionOptions) -> float:
    """1 inside ``size_prior_range``, a log-Gaussian fall-off outside (see ``select_objects``)."""
    low, high = options.size_prior_range
    if fraction <= 0.0:
        return 0.0
    if fraction < low:
        distance = math.log(low / fraction)
    elif fraction > high:
        distance = math.log(fraction / high)
    else:
        return 1.0
    return math.exp(-0.5 * (distance / math.log(options.size_prior_softness)) ** 2)


def contrast(
    lab: NDArray[np.float32], crop: NDArray[np.uint8], origin: tuple[int, int], cell: int
) -> float:
    """Contrast all along the outline: the low quartile of local inside/outside colour steps.

    A thin band just inside and one just outside the mask are cut into ``cell``-pixel squares; in
    every square holding both, the Lab distance between the two bands' mean colours is one local
    step. The result is the 25th percentile of the steps over the outline, divided by 20 and
    clipped to 1: an object stands out from its surroundings nearly all the way around, while a
    fragment cut out of a larger region has long stretches of outline with no step at all. Image
    borders have no outside band and are ignored.
    """
    x0, y0 = origin
    height, width = lab.shape[:2]
    pad = 3
    gx0, gy0 = max(0, x0 - pad), max(0, y0 - pad)
    gx1, gy1 = min(width, x0 + crop.shape[1] + pad), min(height, y0 + crop.shape[0] + pad)
    grown = np.zeros((gy1 - gy0, gx1 - gx0), dtype=np.uint8)
    grown[y0 - gy0 : y0 - gy0 + crop.shape[0], x0 - gx0 : x0 - gx0 + crop.shape[1]] = crop
    kernel = np.ones((5, 5), dtype=np.uint8)
    inner = (grown > 0) & (cv2.erode(grown, kernel, borderType=cv2.BORDER_REPLICATE) == 0)
    outer = (cv2.dilate(grown, kernel) > 0) & (grown == 0)
    if not inner.any() or not outer.any():
        return 0.0
    patch = lab[gy0:gy1, gx0:gx1]
    # Square cells anchored to the frame, so the same outline gets the same cells wherever cut.
    cols = (np.arange(gx0, gx1) // cell)[None, :]
    rows = (np.arange(gy0, gy1) // cell)[:, None]
    cell_id = (rows - gy0 // cell) * (cols.max() - gx0 // cell + 1) + (cols - gx0 // cell)
    count = int(cell_id.max()) + 1
    steps_in = cell_id[inner]
    steps_out = cell_id[outer]
    n_in = np.bincount(steps_in, minlength=count)
    n_out = np.bincount(steps_out, minlength=count)
    both = (n_in >= 2) & (n_out >= 2)
    if not both.any():
        return 0.0
    colour_in = patch[inner]
    colour_out = patch[outer]
    mean_in = (
        np.stack([np.bincount(steps_in, colour_in[:, k], count)[both] for k in range(3)], axis=1)
        / n_in[both, None]
    )
    mean_out = (
        np.stack([np.bincount(steps_out, colour_out[:, k], count)[both] for k in range(3)], axis=1)
        / n_out[both, None]
    )
    steps = np.linalg.norm(mean_in - mean_out, axis=1)
    return float(min(1.0, float(np.quantile(steps, 0.25)) / 20.0))


def weighted_objectness(
    solidity: float,
    compactness: float,
    size: float,
    model: float | None,
    contrast_term: float | None,
    touched: int,
    options: SelectionOptions,
) -> float:
    """Return the hand-weighted objectness (``objectness="weighted"``), without the enclosed term.

    The weighted mean of the terms given (``model`` and ``contrast_term`` only when measured)
    minus ``border_penalty`` per touched border.
    """
    terms = [
        (options.weight_solidity, solidity),
        (options.weight_compactness, compactness),
        (options.weight_size, size),
    ]
    if model is not None:
        terms.append((options.weight_model, model))
    if contrast_term is not None:
        terms.append((options.weight_contrast, contrast_term))
    total_weight = sum(w for w, _ in terms)
    weighted = sum(w * v for w, v in terms) / total_weight if total_weight > 0 else 0.0
    return weighted - options.border_penalty * touched


def final_objectness(
    survivors: list[int],
    objectness: NDArray[np.float64],
    features: dict[int, NDArray[np.float64]],
    enclosed: dict[int, float],
    options: SelectionOptions,
) -> tuple[NDArray[np.float64], dict[int, NDArray[np.float64]]]:
    """Objectness of the survivors once the enclosed fractions are known.

    ``"weighted"``: the hand-weighted objectness minus ``enclosed_penalty`` times the enclosed
    fraction. ``"calibrated"``:
    [`calibrated_objectness`][sam2_autotrack.selection.calibrated_objectness] of the features with
    the enclosed fraction filled in (0 when ``enclosed_penalty`` is 0, which switches the term off
    in both modes). Returns new arrays; the inputs are not modified.
    """
    objectness = objectness.copy()
    features = {i: f.copy() for i, f in features.items()}
    if options.objectness == "weighted":
        if options.enclosed_penalty > 0.0:
            for i, share in enclosed.items():
                objectness[i] -= options.enclosed_penalty * share
        return objectness, features
    for i in survivors:
        features[i][-1] = enclosed.get(i, 0.0) if options.enclosed_penalty > 0.0 else 0.0
        objectness[i] = calibrated_objectness(features[i])
    return objectness, features
