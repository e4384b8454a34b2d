"""The selection's rules, one function each; ``select_objects`` runs them in this order.

Every rule returns its verdicts, ``{proposal index: (category, reason)}`` (or one verdict), and
never modifies its inputs. In the order they run:

1. `speck_rule` -- fewer than ``min_area`` pixels.
2. `background_rule` -- larger than ``max_area_fraction`` of the frame, touching
   ``border_touch_limit`` borders, or *backdrop-like* (`is_backdrop_like`) without being a
   *bounded subject* (`is_bounded_subject`).
3. `clean_proposal` then `cleaned_speck_rule` -- specks removed and small holes
   filled (the library's one rule, `sam2_autotrack.masks.cleanup`), too little left.
4. `threshold_rule` -- calibrated objectness below ``min_objectness`` (``not_object``).
5. `duplicate_rule` -- IoU with a better survivor at least ``dedupe_iou``.
6. `part_whole_rule` -- parts against wholes (`containers_of`); with the calibrated
   objectness a whole loses to its part when the part is clearly the better object, when the
   whole only adds a rim around it (`is_rim`) or when it is the part with its holes filled
   (`fills_holes_of`).
7. `overlap_rule` -- sharing more than ``max_overlap`` with a better-ranked survivor.
8. `cap_rule` -- only the first ``max_objects`` are kept.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence

import cv2
import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.masks.cleanup import fill_small_holes, remove_small_components
from sam2_autotrack.selection.decisions import DecisionCategory
from sam2_autotrack.selection.objectness import logit
from sam2_autotrack.selection.options import SelectionOptions

__all__ = [
    "Verdict",
    "background_rule",
    "cap_rule",
    "clean_proposal",
    "cleaned_speck_rule",
    "containers_of",
    "duplicate_rule",
    "fills_holes_of",
    "groups_of_parts",
    "is_backdrop_like",
    "is_bounded_subject",
    "is_rim",
    "overlap_rule",
    "part_whole_rule",
    "speck_rule",
    "threshold_rule",
]

Verdict = tuple[DecisionCategory, str]
"""``(category, reason)`` of one proposal."""

Overlap = Callable[[int, int], int]
"""Intersection (analysis-grid pixels) of two survivors."""

_CONTRAST = 5  # index of the contrast term in OBJECTNESS_FEATURES
_GROUP_OVERLAP = 0.2  # share of a group's part that may lie on the parts chosen before it


def speck_rule(area: int, min_area: int, *, empty_on_grid: bool = False) -> Verdict | None:
    """Call a proposal of fewer than ``min_area`` pixels (or none on the grid) a speck."""
    if empty_on_grid or area < min_area:
        return "speck", f"speck: {area} px < min_area {min_area}"
    return None


def is_backdrop_like(touched: int, raw_fraction: float, options: SelectionOptions) -> bool:
    """Touching two borders or larger than ``large_area_fraction``: a wall, a floor, a close-up."""
    return touched >= 2 or raw_fraction > options.large_area_fraction


def is_bounded_subject(
    touched: int,
    border_fraction: float,
    model: float | None,
    options: SelectionOptions,
    *,
    band_fraction: float = 0.0,
) -> bool:
    """Whether a backdrop-like proposal is a bounded subject all the same.

    At most ``subject_max_border_fraction`` of its outline lies on the frame border, and it is
    either cut by exactly one border (a close-up: its outline decides) or confidently proposed
    (the mask generator's score at least ``subject_min_score``). A proposal touching two
    borders that runs along ``band_fraction`` >= ``subject_max_band_fraction`` of one of them
    (the longest contact over that border's length) is a band -- a wall or a floor -- never a
    subject.
    """
    if touched >= 2 and band_fraction >= options.subject_max_band_fraction:
        return False
    return border_fraction <= options.subject_max_border_fraction and (
        touched == 1 or (model is not None and model >= options.subject_min_score)
    )


def background_rule(
    raw_fraction: float,
    touched: Sequence[str],
    *,
    backdrop_like: bool,
    bounded_subject: bool,
    options: SelectionOptions,
) -> Verdict | None:
    """Background: too large, touching too many borders, or backdrop-like and not bounded."""
    if raw_fraction > options.max_area_fraction:
        return "background", (
            f"background: {raw_fraction:.0%} of frame > {options.max_area_fraction:.0%}"
        )
    if len(touched) >= options.border_touch_limit:
        return "background", f"background: touches {len(touched)} borders ({', '.join(touched)})"
    if backdrop_like and not bounded_subject:
        why = (
            f"touches {len(touched)} borders ({', '.join(touched)})"
            if len(touched) >= 2
            else f"{raw_fraction:.0%} of frame > {options.large_area_fraction:.0%}"
        )
        return "background", f"background: {why}, not a bounded subject"
    return None


def clean_proposal(raw: NDArray[np.uint8], min_px: int, hole_px: int) -> NDArray[np.uint8]:
    """Remove specks of fewer than ``min_px`` pixels, then fill holes of fewer than ``hole_px``.

    ``raw`` is a 0/1 crop holding the whole mask; the result is a new 0/1 crop.
    """
    kept = remove_small_components(raw, min_px=min_px)
    filled = fill_small_holes(kept, max_hole_px=hole_px - 1)
    return filled.view(np.uint8)


def cleaned_speck_rule(area: int, kept_area: float, min_area: int) -> Verdict | None:
    """Call a spray of fragments a speck: fewer than ``min_area`` pixels left after cleaning."""
    if kept_area < min_area:
        return "speck", f"speck: {area} px, {int(kept_area)} after cleaning < {min_area}"
    return None


def threshold_rule(
    survivors: Sequence[int], objectness: NDArray[np.float64], options: SelectionOptions
) -> dict[int, Verdict]:
    """Calibrated objectness below ``min_objectness``: not an object."""
    return {
        i: (
            "not_object",
            f"not an object: objectness {objectness[i]:.2f} < {options.min_objectness:.2f}",
        )
        for i in survivors
        if objectness[i] < options.min_objectness
    }


def duplicate_rule(
    ranked: Sequence[int],
    overlap: Overlap,
    clean_area: NDArray[np.float64],
    unit: float,
    options: SelectionOptions,
) -> tuple[list[int], dict[int, Verdict]]:
    """Greedy in rank order: IoU with a representative at least ``dedupe_iou`` is a duplicate.

    Returns the representatives (in rank order) and the duplicates' verdicts.
    """
    representatives: list[int] = []
    verdicts: dict[int, Verdict] = {}
    for i in ranked:
        best_j, best_iou = -1, 0.0
        for j in representatives:
            shared = overlap(i, j)
            if shared:
                iou = shared / (clean_area[i] / unit + clean_area[j] / unit - shared)
                if iou > best_iou:
                    best_j, best_iou = j, iou
        if best_iou >= options.dedupe_iou:
            verdicts[i] = "duplicate", f"duplicate of {best_j} (IoU {best_iou:.2f})"
        else:
            representatives.append(i)
    return representatives, verdicts


def containers_of(
    representatives: Sequence[int],
    overlap: Overlap,
    clean_area: NDArray[np.float64],
    unit: float,
    options: SelectionOptions,
    closeups: Collection[int] = (),
) -> dict[int, list[int]]:
    """For each representative, the larger ones holding ``part_containment`` of it (its wholes).

    A close-up subject (in ``closeups``) holds its parts at ``closeup_part_containment``.
    """
    containers: dict[int, list[int]] = {i: [] for i in representatives}
    for i in representatives:
        for j in representatives:
            if clean_area[j] > clean_area[i]:
                shared = overlap(i, j)
                needed = (
                    options.closeup_part_containment if j in closeups else options.part_containment
                )
                if shared and shared * unit >= needed * clean_area[i]:
                    containers[i].append(j)
    return containers


def is_rim(
    clean: NDArray[np.uint8], boxes: NDArray[np.int64], part: int, whole: int, thickness: float
) -> bool:
    """Whether ``whole`` adds only a thin rim around ``part`` (see ``rim_thickness``)."""
    x0, y0, x1, y1 = (int(v) for v in boxes[whole])
    outer = clean[whole, y0:y1, x0:x1]
    inner = clean[part, y0:y1, x0:x1]
    excess = cv2.bitwise_and(outer, cv2.bitwise_not(inner * 255) // 255)
    if not excess.any():
        return True
    padded = cv2.copyMakeBorder(inner, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    radius = float(cv2.distanceTransform(padded, cv2.DIST_L2, 3).max())
    excess_padded = cv2.copyMakeBorder(excess, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    depth = float(cv2.distanceTransform(excess_padded, cv2.DIST_L2, 3).max())
    return depth <= thickness * radius


def fills_holes_of(
    clean: NDArray[np.uint8], boxes: NDArray[np.int64], part: int, whole: int
) -> bool:
    """Whether ``whole`` is ``part`` plus (at least 80 % of its excess) ``part``'s own holes."""
    x0, y0, x1, y1 = (int(v) for v in boxes[whole])
    outer = clean[whole, y0:y1, x0:x1]
    inner = np.ascontiguousarray(clean[part, y0:y1, x0:x1])
    excess = (outer > 0) & (inner == 0)
    total = int(np.count_nonzero(excess))
    if total == 0:
        return False
    holes = fill_small_holes(inner) & (inner == 0)
    return int(np.count_nonzero(excess & holes)) >= 0.8 * total


def groups_of_parts(
    representatives: Sequence[int],
    containers: dict[int, list[int]],
    *,
    objectness: NDArray[np.float64],
    clean: NDArray[np.uint8],
    options: SelectionOptions,
) -> dict[int, list[int]]:
    """Wholes that are several objects and a rim: ``{whole: [its parts]}``.

    A whole holding at least two nearly disjoint parts (each overlapping the ones chosen before
    it on at most a fifth of its area) that are objects on their own (objectness at
    least ``min_objectness``), each about as likely an object as the whole or more (at most
    ``group_margin`` below it in log-odds), which together
    cover at least ``group_coverage`` of it, is those objects merged with a rim of their
    surroundings (neighbours caught in one motion blob, the flow's halo around them) -- not one
    object. A person's face and shirt score below the person, so the person keeps them as parts.
    """
    out: dict[int, list[int]] = {}
    wholes = {j for i in representatives for j in containers[i]}
    for j in sorted(wholes):
        parts = sorted(
            (
                i
                for i in representatives
                if j in containers[i]
                and objectness[i] >= options.min_objectness
                and logit(objectness[i]) >= logit(objectness[j]) - options.group_margin
            ),
            key=lambda i: (-objectness[i], i),
        )
        chosen: list[int] = []
        union = np.zeros(clean.shape[1:], dtype=bool)
        for i in parts:
            mask = clean[i] > 0
            if np.count_nonzero(mask & union) <= _GROUP_OVERLAP * np.count_nonzero(mask):
                chosen.append(i)
                union |= mask
        whole = clean[j] > 0
        if len(chosen) >= 2 and np.count_nonzero(union & whole) >= (
            options.group_coverage * np.count_nonzero(whole)
        ):
            out[j] = chosen
    return out


def part_whole_rule(
    representatives: Sequence[int],
    containers: dict[int, list[int]],
    *,
    objectness: NDArray[np.float64],
    features: dict[int, NDArray[np.float64]],
    clean: NDArray[np.uint8],
    boxes: NDArray[np.int64],
    clean_area: NDArray[np.float64],
    options: SelectionOptions,
    closeups: Collection[int] = (),
) -> dict[int, Verdict]:
    """Parts against wholes, as ``keep_parts`` and the objectness mode say.

    ``keep_parts="whole"`` with the calibrated objectness: a whole that is several objects and a
    rim loses to them (`groups_of_parts`); otherwise a part loses to its whole -- unless it
    is clearly the better object (log-odds ahead by more than ``part_margin``: the "whole" is the
    object plus something else, the bunny inside a bunny-plus-rock blob), or the whole only adds
    a thin rim around the better-outlined part (a motion blob fattened by the flow's halo), or
    the whole is the part with its holes filled (a ring and the ring with what is seen through
    it); then the whole is dropped, and its other parts are judged on their own (a part only
    loses to a whole that stays). With the weighted objectness every part loses to its largest
    whole. ``keep_parts="part"`` drops the wholes, ``"both"`` neither.
    """
    verdicts: dict[int, Verdict] = {}
    if options.keep_parts == "whole" and options.objectness == "calibrated":
        lost: dict[int, str] = {}
        groups = groups_of_parts(
            representatives,
            containers,
            objectness=objectness,
            clean=clean,
            options=options,
        )
        for j, group in groups.items():
            listed = ", ".join(str(i) for i in group)
            lost[j] = f"whole: a group of {listed}"
        parts_of: list[tuple[int, int]] = []
        for i in representatives:
            for j in containers[i]:
                if j in groups:  # not a whole: its parts are the objects
                    continue
                margin = options.closeup_part_margin if j in closeups else options.part_margin
                if logit(objectness[i]) - logit(objectness[j]) > margin:
                    lost.setdefault(j, f"whole: {i} inside it is the better object")
                elif features[i][_CONTRAST] > (
                    features[j][_CONTRAST] + options.rim_contrast_margin
                ) and is_rim(clean, boxes, i, j, options.rim_thickness):
                    lost.setdefault(j, f"whole: only a rim around {i}, which is better outlined")
                elif fills_holes_of(clean, boxes, i, j):
                    lost.setdefault(j, f"whole: {i} with its hole filled")
                else:
                    parts_of.append((i, j))
        # A part only loses to a whole that stays: in a blob of two objects that lost to the
        # better-outlined one, the other one is judged on its own.
        dropped_wholes = set(lost)
        for i, j in parts_of:
            if j not in dropped_wholes:
                lost.setdefault(i, f"part of {j}")
        for i, why in lost.items():
            verdicts[i] = ("whole" if why.startswith("whole") else "part"), why
    elif options.keep_parts == "whole":
        for i in representatives:
            if containers[i]:
                whole = max(containers[i], key=lambda j: (clean_area[j], -j))
                verdicts[i] = "part", f"part of {whole}"
    elif options.keep_parts == "part":
        for j in representatives:
            parts = sorted(i for i in representatives if j in containers[i])
            if parts:
                listed = ", ".join(str(p) for p in parts)
                verdicts[j] = "whole", f"whole: has parts {listed}"
    return verdicts


def overlap_rule(
    candidates: Sequence[int],
    containers: dict[int, list[int]],
    overlap: Overlap,
    clean_area: NDArray[np.float64],
    unit: float,
    options: SelectionOptions,
) -> tuple[list[int], dict[int, Verdict]]:
    """Distinct objects: drop any candidate sharing more than ``max_overlap`` with a better one.

    A part and its whole kept on purpose (``keep_parts="both"``) do not count. Returns the
    accepted candidates (in rank order) and the dropped ones' verdicts.
    """
    accepted: list[int] = []
    verdicts: dict[int, Verdict] = {}
    for i in candidates:
        for j in accepted:
            if i in containers[j] or j in containers[i]:
                continue
            shared_px = overlap(i, j) * unit
            smaller = min(clean_area[i], clean_area[j])
            if shared_px > options.max_overlap * smaller:
                # The rule measures the overlap against the smaller mask; so does the reason.
                verdicts[i] = (
                    "duplicate",
                    f"duplicate: overlaps {j} ({shared_px / smaller:.0%} of the smaller mask)",
                )
                break
        else:
            accepted.append(i)
    return accepted, verdicts


def cap_rule(accepted: Sequence[int], options: SelectionOptions) -> dict[int, Verdict]:
    """Keep the first ``max_objects``; rank the rest below the cap."""
    verdicts: dict[int, Verdict] = {}
    for rank, i in enumerate(accepted, start=1):
        if rank <= options.max_objects:
            verdicts[i] = "kept", f"kept (rank {rank})"
        else:
            why = f"below max_objects: rank {rank} > {options.max_objects}"
            verdicts[i] = "below_max_objects", why
    return verdicts
