"""Choose the real objects among automatic mask proposals: `select_objects`.

A SAM 2-style automatic mask generator returns, on frame 0, many overlapping masks: the objects,
near-duplicates of them, parts of them, background slabs (sky, floor, walls) and specks. Picking by
area alone (the baseline) picks the slabs first.
[`select_objects`][sam2_autotrack.selection.select_objects] measures every proposal on an analysis
grid (`measure`, `geometry`), scores its objectness (`objectness`) and runs the rules of `rules` in
order, recording for every proposal whether it was kept and why. Only the chosen masks are cleaned
at full resolution, on their bounding-box crop.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.errors import MaskError
from sam2_autotrack.masks.validate import as_rgb_image
from sam2_autotrack.selection.decisions import ProposalDecision, Selection
from sam2_autotrack.selection.geometry import (
    analysis_grid,
    as_proposal_stack,
    enclosed_fractions,
    mask_box,
    pair_intersections,
    u8,
)
from sam2_autotrack.selection.measure import measure_proposals
from sam2_autotrack.selection.objectness import final_objectness
from sam2_autotrack.selection.options import SelectionOptions
from sam2_autotrack.selection.rules import (
    cap_rule,
    clean_proposal,
    containers_of,
    duplicate_rule,
    overlap_rule,
    part_whole_rule,
    threshold_rule,
)

__all__ = ["select_objects"]


def select_objects(
    masks: Any,
    *,
    scores: Any = None,
    image_rgb: Any = None,
    options: SelectionOptions | None = None,
) -> Selection:
    """Select the real objects among automatic mask proposals.

    The rules (speck, background, cleaning, objectness threshold, duplicate, part/whole, overlap,
    max_objects) are described in `rules` and
    [`SelectionOptions`][sam2_autotrack.SelectionOptions]. Survivors are ranked by **objectness**,
    from these terms measured on the cleaned mask:

    - ``solidity`` = area inside the outer outline / convex-hull area (holes do not count, so a
      ring is as solid as a disc; 1 for convex shapes, low for slivers, Cs and groups of separate
      blobs);
    - ``compactness`` = ``4*pi*area / perimeter**2`` clipped to 1 (1 for a disc, low for thin or
      ragged shapes);
    - ``size_prior`` = 1 when the area fraction of the frame is within ``size_prior_range`` and
      ``exp(-d**2 / (2*ln(softness)**2))`` outside, ``d`` the log-distance to the range;
    - ``model_score`` = the proposal's score from the mask generator (predicted IoU), only when
      ``scores`` is given;
    - ``contrast`` = how strongly the outline stands out *all the way around*, only when
      ``image_rgb`` is given: thin bands just inside and just outside the mask are cut into small
      squares (1/30 of the analysis grid's shorter side, at least 4 grid pixels), the Lab distance
      between the two bands' mean colours is taken in each square, and the 25th percentile of
      those local steps, divided by 20 and clipped to 1, is the term. Objects of any shape (rings,
      Cs, stars) stand out nearly everywhere along their outline; a background fragment is cut
      out of a larger region and most of its outline has no step at all (the image border is
      ignored);
    - the borders touched (a bounded subject's count as none: the backdrop rule judged them), the
      share of the outline on the frame border, the log area fraction (bounded to 0.1-3 %);
    - the *enclosed* fraction = the largest share of the proposal's area lying inside a hole of
      another candidate (a proposal that survived the speck and background rules), e.g. the
      background disc seen through a ring.

    With ``objectness="calibrated"`` (the default) they feed the logistic model of
    [`calibrated_objectness`][sam2_autotrack.selection.calibrated_objectness] (``model_score`` and
    ``contrast`` are 0.5 when not measured); with ``"weighted"``::

        objectness = (w_s*solidity + w_c*compactness + w_z*size_prior
                      [+ w_m*model_score] [+ w_e*contrast]) / (sum of the weights used)
                     - border_penalty * (number of touched borders)
                     - enclosed_penalty * (fraction inside a hole of another candidate)

    Parameters
    ----------
    masks
        ``(N, H, W)`` bool proposals (any array; non-zero is foreground). Not modified.
    scores
        Optional ``(N,)`` model scores in ``[0, 1]``.
    image_rgb
        Optional ``(H, W, 3)`` uint8 RGB frame the proposals are for; adds the contrast term.
    options
        Thresholds and weights; ``SelectionOptions()`` by default.

    Returns
    -------
    Selection
        The chosen, cleaned masks in rank order and the decision for every proposal. It is empty
        (``len == 0``) when nothing survives, so the decisions can still be inspected;
        [`clicks_from_selection`][sam2_autotrack.seeds.clicks_from_selection] raises
        [`SelectionError`][sam2_autotrack.SelectionError] on an empty selection.

    Raises
    ------
    MaskError
        ``masks`` is not 3-D, or ``scores`` / ``image_rgb`` have the wrong shape.

    Examples
    --------
    >>> import numpy as np
    >>> masks = np.zeros((4, 120, 160), dtype=bool)
    >>> masks[0, :40] = True                  # sky: touches top, left and right
    >>> masks[1, 50:90, 60:100] = True        # an object
    >>> masks[2, 51:90, 60:100] = True        # its near-duplicate
    >>> masks[3, 5, 5] = True                 # a speck
    >>> sel = select_objects(masks)
    >>> sel.indices.tolist()
    [1]
    >>> [d.category for d in sel.decisions]
    ['background', 'kept', 'duplicate', 'speck']
    """
    opts = options if options is not None else SelectionOptions()
    stack = as_proposal_stack(masks)
    count, height, width = stack.shape
    resolution_wh = (width, height)
    model_scores: NDArray[np.float64] | None = None
    if scores is not None:
        model_scores = np.asarray(scores, dtype=np.float64)
        if model_scores.shape != (count,):
            raise MaskError(
                f"scores must have shape ({count},) to match the {count} masks; got "
                f"{model_scores.shape}. Pass one score per proposal, or scores=None"
            )
    image = None if image_rgb is None else as_rgb_image(image_rgb, expected_wh=resolution_wh)
    min_area = opts.effective_min_area(resolution_wh)
    hole_area = opts.effective_hole_area(resolution_wh)
    areas = [int(cv2.countNonZero(m)) for m in stack.view(np.uint8)]
    small, step = analysis_grid(stack, opts.analysis_max_side)
    unit = float(step * step)
    measured = measure_proposals(stack, small, step, areas, model_scores, image, opts)
    verdicts = measured.verdicts
    clean, boxes, clean_area = measured.clean, measured.boxes, measured.clean_area

    survivors = [i for i in range(count) if i not in verdicts]
    enclosed = enclosed_fractions(clean, boxes, survivors) if survivors else {}
    objectness, features = final_objectness(
        survivors, measured.objectness, measured.features, enclosed, opts
    )
    if opts.objectness == "calibrated":
        verdicts.update(threshold_rule(survivors, objectness, opts))
        survivors = [i for i in survivors if i not in verdicts]
    survivors.sort(key=lambda i: (-objectness[i], i))
    inter = pair_intersections(clean, boxes, survivors)

    def overlap(i: int, j: int) -> int:
        return inter.get((i, j) if i < j else (j, i), 0)

    representatives, duplicates = duplicate_rule(survivors, overlap, clean_area, unit, opts)
    verdicts.update(duplicates)
    containers = containers_of(
        representatives, overlap, clean_area, unit, opts, closeups=measured.closeups
    )
    verdicts.update(
        part_whole_rule(
            representatives,
            containers,
            objectness=objectness,
            features=features,
            clean=clean,
            boxes=boxes,
            clean_area=clean_area,
            options=opts,
            closeups=measured.closeups,
        )
    )
    remaining = [i for i in representatives if i not in verdicts]
    accepted, overlapping = overlap_rule(remaining, containers, overlap, clean_area, unit, opts)
    verdicts.update(overlapping)
    verdicts.update(cap_rule(accepted, opts))
    chosen = accepted[: opts.max_objects]

    # Clean the chosen masks at full resolution, on their bounding-box crops.
    raw_boxes = list(measured.raw_boxes)
    out = np.zeros((len(chosen), height, width), dtype=np.bool_)
    for k, i in enumerate(chosen):
        x0, y0, x1, y1 = mask_box(stack[i])
        raw_boxes[i] = (x0, y0, x1, y1)
        crop = np.ascontiguousarray(u8(stack[i])[y0:y1, x0:x1])
        out[k, y0:y1, x0:x1] = clean_proposal(crop, min_area, hole_area) != 0

    decisions = tuple(
        ProposalDecision(
            index=i,
            kept=verdicts[i][0] == "kept",
            category=verdicts[i][0],
            reason=verdicts[i][1],
            objectness=float(objectness[i]),
            area=areas[i],
            box_xyxy=raw_boxes[i],
            features=tuple(float(v) for v in features[i]) if i in features else (),
        )
        for i in range(count)
    )
    return Selection(
        masks=out,
        indices=np.asarray(chosen, dtype=np.int64),
        scores=np.asarray([objectness[i] for i in chosen], dtype=np.float64),
        decisions=decisions,
    )
