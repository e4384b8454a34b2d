"""Measuring each proposal on the analysis grid: the first rules and the objectness terms.

Per proposal, in `measure_proposals`: its box, the speck rule, the borders it touches and
the share of its outline on them, the background rule (backdrop-like unless a bounded subject),
cleaning (the library's hole and speck rules), the speck rule again, then the objectness terms
(`objectness`). The pairwise rules run after, in
[`select_objects`][sam2_autotrack.selection.select_objects].
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.selection.decisions import BoxXYXY
from sam2_autotrack.selection.geometry import (
    BORDER_NAMES,
    border_fraction,
    border_params,
    border_runs,
    box_of,
)
from sam2_autotrack.selection.objectness import (
    contrast,
    objectness_features,
    shape_terms,
    size_prior,
    weighted_objectness,
)
from sam2_autotrack.selection.options import SelectionOptions
from sam2_autotrack.selection.rules import (
    Verdict,
    background_rule,
    clean_proposal,
    cleaned_speck_rule,
    is_backdrop_like,
    is_bounded_subject,
    speck_rule,
)
from sam2_autotrack.selection.spans import spans_the_frame

__all__ = ["Measured", "measure_proposals"]


@dataclass
class Measured:
    """Every proposal measured on the analysis grid (one slot per proposal).

    Attributes
    ----------
    raw_boxes
        Each raw proposal's box, scaled to full-resolution pixels.
    clean
        ``(N, h, w)`` uint8 0/1 cleaned masks on the grid (background ones raw, specks empty).
    boxes
        ``(N, 4)`` tight grid boxes of ``clean``.
    clean_area
        Cleaned areas in full-resolution pixels.
    objectness
        The hand-weighted objectness (NaN for specks).
    features
        The calibrated objectness terms, by index (not for specks; ``enclosed`` still 0).
    verdicts
        The speck and background verdicts.
    closeups
        Close-up subjects: backdrop-like (large, or cut by two borders) but bounded, and not
        background (a person filling the lower half of the frame).
    """

    raw_boxes: list[BoxXYXY]
    clean: NDArray[np.uint8]
    boxes: NDArray[np.int64]
    clean_area: NDArray[np.float64]
    objectness: NDArray[np.float64]
    features: dict[int, NDArray[np.float64]]
    verdicts: dict[int, Verdict]
    closeups: set[int] = field(default_factory=set)


def measure_proposals(
    stack: NDArray[np.bool_],
    small: NDArray[np.uint8],
    step: int,
    areas: list[int],
    model_scores: NDArray[np.float64] | None,
    image: NDArray[np.uint8] | None,
    opts: SelectionOptions,
) -> Measured:
    """Measure every proposal: boxes, the speck, background and cleaning rules, objectness terms.

    ``small`` is ``stack`` on the analysis grid (every ``step``-th pixel), ``areas`` the full
    pixel counts, ``image`` the frame when the contrast term is wanted.
    """
    count, height, width = stack.shape
    resolution_wh = (width, height)
    frame_area = float(width * height)
    unit = float(step * step)
    min_area = opts.effective_min_area(resolution_wh)
    tolerance, min_run = border_params(
        resolution_wh, opts.border_tolerance_fraction, opts.border_min_run_fraction
    )
    lab: NDArray[np.float32] | None = None
    if image is not None:
        sampled = np.ascontiguousarray(image[::step, ::step]).astype(np.float32) / 255.0
        lab = np.asarray(cv2.cvtColor(sampled, cv2.COLOR_RGB2LAB), dtype=np.float32)
    small_min = max(1, math.ceil(min_area / unit))
    small_hole = math.ceil(opts.effective_hole_area(resolution_wh) / unit)
    cell = max(4, round(min(small.shape[1:]) / 30))
    small_tol = max(1, math.ceil(tolerance / step))
    result = Measured(
        raw_boxes=[],
        clean=np.zeros(small.shape, dtype=np.uint8),
        boxes=np.zeros((count, 4), dtype=np.int64),
        clean_area=np.zeros(count, dtype=np.float64),
        objectness=np.full(count, np.nan),
        features={},
        verdicts={},
    )
    best_score = (
        max(1e-6, float(np.clip(model_scores, 0.0, 1.0).max()))
        if model_scores is not None and len(model_scores)
        else 1.0
    )
    for i in range(count):
        box = box_of(small[i])
        result.raw_boxes.append(
            (box[0] * step, box[1] * step, min(width, box[2] * step), min(height, box[3] * step))
        )
        x0, y0, x1, y1 = box
        verdict = speck_rule(areas[i], min_area, empty_on_grid=x1 == x0)
        if verdict is not None:
            result.verdicts[i] = verdict
            continue
        raw = small[i, y0:y1, x0:x1]
        raw_fraction = areas[i] / frame_area
        runs = border_runs(small[i], box, small_tol)
        touched = [n for n, r in zip(BORDER_NAMES, runs, strict=True) if r * step >= min_run]
        on_border = border_fraction(raw, runs)
        model = None if model_scores is None else float(np.clip(model_scores[i], 0.0, 1.0))
        backdrop_like = is_backdrop_like(len(touched), raw_fraction, opts)
        grid_h, grid_w = small[i].shape
        lengths = (grid_w, grid_w, grid_h, grid_h)  # top, bottom, left, right
        band = max(
            (r / n for name, r, n in zip(BORDER_NAMES, runs, lengths, strict=True)
             if name in touched),
            default=0.0,
        )  # fmt: skip
        bounded_subject = is_bounded_subject(
            len(touched), on_border, model, opts, band_fraction=band
        )
        verdict = background_rule(
            raw_fraction,
            touched,
            backdrop_like=backdrop_like,
            bounded_subject=bounded_subject,
            options=opts,
        )
        if verdict is None and lab is not None and opts.reject_spans:
            reached = spans_the_frame(raw, (x0, y0), lab)
            if reached is not None:
                verdict = (
                    "background",
                    (
                        f"background: a piece of a band across the frame ({reached[0]} to "
                        f"{reached[1]})"
                    ),
                )
        # Background is judged on the raw proposal; only the others are worth cleaning.
        crop = raw if verdict is not None else clean_proposal(raw, small_min, small_hole)
        kept_px = cv2.countNonZero(crop)
        speck = cleaned_speck_rule(areas[i], kept_px * unit, min_area)
        if speck is not None:
            result.verdicts[i] = speck
            continue
        if verdict is not None:
            result.verdicts[i] = verdict
        elif backdrop_like and bounded_subject:
            result.closeups.add(i)
        result.clean[i, y0:y1, x0:x1] = crop
        tight = box_of(crop)
        result.boxes[i] = (x0 + tight[0], y0 + tight[1], x0 + tight[2], y0 + tight[3])
        result.clean_area[i] = kept_px * unit
        fraction = result.clean_area[i] / frame_area
        solidity, compactness = shape_terms(crop)
        size = size_prior(float(fraction), opts)
        outline = contrast(lab, crop, (x0, y0), cell) if lab is not None else None
        result.features[i] = objectness_features(
            solidity,
            compactness,
            size,
            model,
            outline,
            # a bounded subject's border contact was judged by the backdrop rule already: the
            # frame cuts it, and the calibration data hold no border-crossing objects to say
            # otherwise
            0 if backdrop_like and bounded_subject else len(touched),
            on_border,
            float(fraction),
            1.0 if model is None else model / best_score,
        )
        result.objectness[i] = weighted_objectness(
            solidity, compactness, size, model, outline, len(touched), opts
        )
    return result
