"""Turn `Prompts` into objects: [`resolve_prompts`][sam2_autotrack.prompts.resolve_prompts].

The rules, applied in this order (picks first: they name a proposal outright):

picks
    Pick ``n`` is frame-0 proposal ``n``.
points
    A point group with points on frame 0 chooses, among the frame-0 proposals, one that holds all
    of its frame-0 positive points and none of its negative points nor the other groups' positive
    points, covering at most ``point_max_area_fraction`` of the frame: the largest such (the
    whole object rather than a part). Its negative points and its points on later frames are sent
    as clicks with it. When no proposal qualifies — or a group starts on a later frame — its
    points are sent as clicks as they are: the tracker segments from them (hosted SAM 2 from the
    clicks, the embedded engine by GrabCut around them).
boxes
    A box chooses, among its frame's proposals, the one whose bounding box it overlaps best, when
    that box IoU reaches ``min_box_iou`` (boxes claim proposals best match first); otherwise the
    object is cut out of the box with GrabCut.
text
    The detector's boxes whose label maps to a query item, after non-maximum suppression, most
    confident first (at most ``max_text_objects``), are matched like boxes. A detection whose best
    proposal is already another prompt's object is that object, not a new one. Ids are the item's
    safe name and a number: ``person_1``, ``traffic_light_2``.

Two explicit prompts (points, boxes, picks) that choose the same proposal are an error: each
object needs its own prompt.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.backends.base import MaskProposals
from sam2_autotrack.backends.local.grabcut import grabcut_box
from sam2_autotrack.clicks import Click
from sam2_autotrack.errors import ConfigError, SelectionError
from sam2_autotrack.masks.validate import as_rgb_image
from sam2_autotrack.prompts.detector import Detection
from sam2_autotrack.prompts.match import (
    mask_boxes,
    point_candidates,
    rank_for_box,
    suppress_overlaps,
)
from sam2_autotrack.prompts.model import BoxPrompt, PointGroup, Prompts
from sam2_autotrack.prompts.objects import PromptedObject, PromptedObjects
from sam2_autotrack.prompts.text import object_name

__all__ = ["resolve_prompts"]


@dataclass
class _Frame:
    """One frame's proposals, their boxes, and who has claimed which."""

    masks: NDArray[np.bool_]
    image: NDArray[np.uint8]
    boxes: NDArray[np.int64]
    claimed: dict[int, str] = field(default_factory=dict)


def _as_frames(
    proposals: MaskProposals | Mapping[int, MaskProposals],
    images_rgb: NDArray[np.uint8] | Mapping[int, NDArray[np.uint8]],
) -> dict[int, _Frame]:
    by_frame = {0: proposals} if isinstance(proposals, MaskProposals) else dict(proposals)
    images = {0: images_rgb} if not isinstance(images_rgb, Mapping) else dict(images_rgb)
    frames: dict[int, _Frame] = {}
    for index, found in by_frame.items():
        if index not in images:
            raise ConfigError(f"no image of frame {index} was given for its proposals")
        image = as_rgb_image(images[index], name=f"frame {index}", expected_wh=found.resolution_wh)
        frames[index] = _Frame(found.masks, image, mask_boxes(found.masks))
    if 0 not in frames:
        raise ConfigError("the proposals of frame 0 are needed to resolve prompts")
    return frames


def _frame(frames: dict[int, _Frame], index: int, what: str) -> _Frame:
    if index not in frames:
        raise ConfigError(
            f"{what} is on frame {index} but no proposals were made there; propose on frame "
            f"{index} too (AutoTracker.resolve does when given the video)"
        )
    return frames[index]


def _claim(frame: _Frame, index: int, object_id: str, what: str) -> None:
    owner = frame.claimed.get(index)
    if owner is not None:
        raise ConfigError(
            f"{what} chooses proposal {index}, which is already the object {owner!r}; each object "
            "needs its own prompt (drop one of them, or add a point elsewhere)"
        )
    frame.claimed[index] = object_id


def _picks(prompts: Prompts, frame0: _Frame) -> list[PromptedObject]:
    count = frame0.masks.shape[0]
    valid = f"0..{count - 1}" if count else "none: there are no proposals"
    objects = []
    for number, object_id in zip(prompts.picks, prompts.pick_ids(), strict=True):
        if number >= count:
            raise ConfigError(
                f"--pick {number}: there is no proposal {number}; the valid numbers are {valid} "
                "(as drawn by viz.show_proposals and named in masks_all/proposal_NNN.png)"
            )
        _claim(frame0, number, object_id, f"pick {number}")
        objects.append(
            PromptedObject(
                object_id, "pick", f"pick {number}", 0, "proposal", frame0.masks[number],
                proposal=number,
            )
        )  # fmt: skip
    return objects


def _xy(points: Sequence[Click]) -> NDArray[np.int64]:
    return np.array([c.point_xy for c in points], dtype=np.int64).reshape(-1, 2)


def _points(prompts: Prompts, frame0: _Frame) -> tuple[list[PromptedObject], list[str]]:
    groups = prompts.point_groups()
    positives0 = {g.object_id: [p.click(g.object_id) for p in g.positives if p.frame == 0]
                  for g in groups}  # fmt: skip
    objects: list[PromptedObject] = []
    notes: list[str] = []
    for group in groups:
        clicks = group.clicks()
        own = positives0[group.object_id]
        if not own:
            objects.append(_clicks_only(group, clicks, group.first_frame))
            continue
        negatives = [c for c in clicks if not c.is_positive and c.frame == 0]
        others = [c for oid, cs in positives0.items() if oid != group.object_id for c in cs]
        candidates = point_candidates(
            frame0.masks, _xy(own), _xy(negatives + others),
            max_area_fraction=prompts.matching.point_max_area_fraction,
        )  # fmt: skip
        if not candidates:
            notes.append(
                f"{group.describe()}: no proposal holds it, so its points are sent as clicks"
            )
            objects.append(_clicks_only(group, clicks, 0))
            continue
        index = candidates[0]
        _claim(frame0, index, group.object_id, group.describe())
        kept = tuple(c for c in clicks if not (c.is_positive and c.frame == 0))
        objects.append(
            PromptedObject(
                group.object_id, "point", group.describe(), 0, "proposal", frame0.masks[index],
                proposal=index, clicks=kept,
            )
        )  # fmt: skip
    return objects, notes


def _clicks_only(group: PointGroup, clicks: tuple[Click, ...], frame: int) -> PromptedObject:
    return PromptedObject(
        group.object_id, "point", group.describe(), frame, "clicks", clicks=clicks
    )


def _cut_out(frame: _Frame, box_xyxy: tuple[int, int, int, int]) -> NDArray[np.bool_] | None:
    height, width = frame.image.shape[:2]
    x0, y0, x1, y1 = box_xyxy
    clipped = (max(0, x0), max(0, y0), min(width, x1), min(height, y1))
    if clipped[0] >= clipped[2] or clipped[1] >= clipped[3]:
        return None
    mask = grabcut_box(frame.image, clipped)
    return mask if mask.any() else None


def _boxes(prompts: Prompts, frames: dict[int, _Frame]) -> tuple[list[PromptedObject], list[str]]:
    threshold = prompts.matching.min_box_iou
    ids = prompts.box_ids()
    chosen: dict[int, tuple[int, float]] = {}
    # Boxes claim proposals best match first, so a loose box cannot take a tight box's object.
    pairs: list[tuple[float, int, int]] = []
    for k, box in enumerate(prompts.boxes):
        frame = _frame(frames, box.frame, box.describe())
        for index, iou in rank_for_box(frame.masks, frame.boxes, box.box_xyxy):
            if iou >= threshold:
                pairs.append((iou, k, index))
    for iou, k, index in sorted(pairs, key=lambda p: (-p[0], p[1], p[2])):
        frame = frames[prompts.boxes[k].frame]
        if k in chosen or index in frame.claimed:
            continue
        frame.claimed[index] = ids[k]
        chosen[k] = (index, iou)
    objects: list[PromptedObject] = []
    notes: list[str] = []
    for k, (box, object_id) in enumerate(zip(prompts.boxes, ids, strict=True)):
        frame = frames[box.frame]
        if k in chosen:
            index, iou = chosen[k]
            objects.append(_box_object(object_id, box, "proposal", frame.masks[index], index, iou))
            continue
        best = rank_for_box(frame.masks, frame.boxes, box.box_xyxy)
        if best and best[0][1] >= threshold and best[0][0] in frame.claimed:
            owner = frame.claimed[best[0][0]]
            if owner not in ids:  # another box lost it to a better match: GrabCut is right
                raise ConfigError(
                    f"{box.describe()} chooses proposal {best[0][0]}, which is already the "
                    f"object {owner!r}; each object needs its own prompt"
                )
        mask = _cut_out(frame, box.box_xyxy)
        if mask is None:
            raise SelectionError(
                f"{box.describe()}: no proposal fits it and GrabCut found nothing in it; draw "
                "the box tightly around one object, or use a point"
            )
        notes.append(f"{box.describe()}: no proposal fits it, so it is cut out with GrabCut")
        objects.append(_box_object(object_id, box, "grabcut", mask, None, None))
    return objects, notes


def _box_object(
    object_id: str,
    box: BoxPrompt,
    source: str,
    mask: NDArray[np.bool_],
    index: int | None,
    iou: float | None,
) -> PromptedObject:
    return PromptedObject(
        object_id, "box", box.describe(), box.frame,
        "proposal" if source == "proposal" else "grabcut", mask,
        proposal=index, box_iou=iou, box_xyxy=box.box_xyxy,
    )  # fmt: skip


def _text(
    prompts: Prompts,
    frame0: _Frame,
    detections: Sequence[Detection],
    taken_ids: set[str],
) -> tuple[list[PromptedObject], list[str]]:
    notes: list[str] = []
    usable = []
    for detection in detections:
        if detection.query is None:
            notes.append(f"detection {detection.describe()} matches no query item; not used")
        else:
            usable.append(detection)
    kept, dropped = suppress_overlaps(usable, prompts.matching.nms_iou)
    for loser, winner in dropped:
        notes.append(f"detection {loser.describe()} overlaps {winner.describe()}; not used")
    limit = prompts.matching.max_text_objects
    if len(kept) > limit:
        notes.append(
            f"{len(kept) - limit} more detection(s) below the {limit} most confident; raise "
            "MatchOptions.max_text_objects to track them too"
        )
        kept = kept[:limit]
    counters: dict[str, int] = {}
    objects: list[PromptedObject] = []
    threshold = prompts.matching.min_box_iou
    for detection in kept:
        assert detection.query is not None
        x0, y0, x1, y1 = (round(v) for v in detection.box_xyxy)
        box = (x0, y0, x1, y1)
        ranked = rank_for_box(frame0.masks, frame0.boxes, detection.box_xyxy)
        free = [(i, iou) for i, iou in ranked if iou >= threshold and i not in frame0.claimed]
        if ranked and ranked[0][1] >= threshold and ranked[0][0] in frame0.claimed:
            owner = frame0.claimed[ranked[0][0]]
            notes.append(f"detection {detection.describe()} is the object {owner!r} already")
            continue
        mask = frame0.masks[free[0][0]] if free else _cut_out(frame0, box)
        if mask is None:
            notes.append(f"detection {detection.describe()}: GrabCut found nothing in its box")
            continue
        base = object_name(detection.query)
        counters[base] = counters.get(base, 0) + 1
        while f"{base}_{counters[base]}" in taken_ids:
            counters[base] += 1
        object_id = f"{base}_{counters[base]}"
        taken_ids.add(object_id)
        if free:
            frame0.claimed[free[0][0]] = object_id
        objects.append(
            PromptedObject(
                object_id, "text", f"text {detection.query!r}: {detection.describe()}", 0,
                "proposal" if free else "grabcut", mask,
                proposal=free[0][0] if free else None, box_iou=free[0][1] if free else None,
                box_xyxy=box, detection=detection,
            )
        )  # fmt: skip
    found = {d.query for d in usable}
    for item in prompts.text:
        if item not in found:
            notes.append(f"text {item!r}: the detector found nothing")
    return objects, notes


def resolve_prompts(
    prompts: Prompts,
    proposals: MaskProposals | Mapping[int, MaskProposals],
    *,
    images_rgb: NDArray[np.uint8] | Mapping[int, NDArray[np.uint8]],
    detections: Sequence[Detection] = (),
) -> PromptedObjects:
    """Resolve prompts into objects: each point group, box, pick and detection its own.

    The rules are in the module docstring. Nothing is modified; the result holds every object's
    first mask (or its clicks) and notes on what was not used.

    Parameters
    ----------
    prompts
        What the user asked for.
    proposals
        The frame-0 [`MaskProposals`][sam2_autotrack.MaskProposals], or ``{frame: proposals}`` when
        boxes are on later frames too (frame 0 always).
    images_rgb
        The ``(H, W, 3)`` RGB frame(s) the proposals were made on (GrabCut cuts boxes out of
        them), like ``proposals``.
    detections
        What the detector found for ``prompts.text`` on frame 0, labels mapped to query items.

    Returns
    -------
    PromptedObjects
        The objects in order: points, boxes, picks, text.

    Raises
    ------
    ConfigError
        A pick names no proposal (the message lists the valid numbers), two prompts choose the
        same proposal, or a box is on a frame with no proposals.
    SelectionError
        No object results (the detector found nothing), or a box holds nothing GrabCut can cut.

    Examples
    --------
    >>> import numpy as np
    >>> from sam2_autotrack import MaskProposals
    >>> masks = np.zeros((2, 40, 60), bool)
    >>> masks[0, 5:15, 5:20] = True; masks[1, 20:35, 30:55] = True
    >>> chosen = resolve_prompts(Prompts(points=[(40, 28)], picks=[0]), MaskProposals(masks),
    ...                          images_rgb=np.zeros((40, 60, 3), np.uint8))
    >>> [(o.object_id, o.proposal) for o in chosen]
    [('point_1', 1), ('proposal_0', 0)]
    """
    frames = _as_frames(proposals, images_rgb)
    frame0 = frames[0]
    picks = _picks(prompts, frame0)
    points, notes = _points(prompts, frame0)
    boxes, box_notes = _boxes(prompts, frames)
    taken = {o.object_id for o in (*picks, *points, *boxes)}
    texts, text_notes = _text(prompts, frame0, detections, taken) if prompts.text else ([], [])
    objects = (*points, *boxes, *picks, *texts)
    if not objects:
        items = ", ".join(repr(t) for t in prompts.text)
        raise SelectionError(
            f"the detector found nothing usable for {items or 'the prompts'}; lower its "
            "box_threshold, rephrase the items (nouns such as 'person, dog'), or choose the "
            "objects with points, boxes or --pick"
        )
    height, width = frame0.masks.shape[1:]
    return PromptedObjects(
        objects=objects,
        resolution_wh=(int(width), int(height)),
        notes=(*notes, *box_notes, *text_notes),
        detections=tuple(detections),
    )
