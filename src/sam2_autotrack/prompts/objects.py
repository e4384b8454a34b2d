"""What prompts resolved to: a `PromptedObject` per object, in `PromptedObjects`.

[`PromptedObjects`][sam2_autotrack.prompts.PromptedObjects] is the prompted counterpart of a
[`Selection`][sam2_autotrack.Selection]: the objects to seed, with how each was found.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.clicks import Click, check_object_id
from sam2_autotrack.errors import ConfigError, MaskError
from sam2_autotrack.masks.validate import as_mask
from sam2_autotrack.prompts.detector import Detection

__all__ = ["MaskSource", "PromptKind", "PromptedObject", "PromptedObjects"]

PromptKind = Literal["point", "box", "pick", "text"]
"""Which kind of prompt made the object."""
MaskSource = Literal["proposal", "grabcut", "clicks"]
"""Where the object's first mask comes from: a proposal, a GrabCut cut-out of a box, or nowhere
(its clicks are sent as they are and the tracker segments from them)."""


@dataclass(frozen=True, eq=False)
class PromptedObject:
    """One object a prompt chose, and how.

    Parameters
    ----------
    object_id
        Its id (``point_1``, ``box_2``, ``proposal_7``, ``person_1``, or the id given).
    kind
        ``"point"``, ``"box"``, ``"pick"`` or ``"text"``.
    prompt
        The prompt in words (``"point (120, 80)"``, ``"pick 7"``, ...).
    frame
        The frame its mask is on (or its first click, for ``source="clicks"``).
    source
        ``"proposal"``, ``"grabcut"`` or ``"clicks"`` (see
        [`MaskSource`][sam2_autotrack.prompts.MaskSource]).
    mask
        ``(H, W)`` bool on ``frame``; ``None`` exactly when ``source="clicks"``.
    proposal
        The proposal's number on ``frame`` (``source="proposal"``).
    box_iou
        Box IoU of the box (or detected box) with that proposal's bounding box.
    box_xyxy
        The box (box and text prompts).
    detection
        The detection it came from (text prompts).
    clicks
        The user's own clicks sent with it, as they are: its negative points, its points on other
        frames, or all its points when ``source="clicks"``.
    """

    object_id: str
    kind: PromptKind
    prompt: str
    frame: int
    source: MaskSource
    mask: NDArray[np.bool_] | None = None
    proposal: int | None = None
    box_iou: float | None = None
    box_xyxy: tuple[int, int, int, int] | None = None
    detection: Detection | None = None
    clicks: tuple[Click, ...] = ()

    def __post_init__(self) -> None:
        try:
            check_object_id(self.object_id)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        if (self.mask is None) != (self.source == "clicks"):
            raise ConfigError(
                f"object {self.object_id!r}: a mask is needed exactly when source is not "
                f"'clicks' (source {self.source!r})"
            )
        if self.mask is not None:
            mask = as_mask(self.mask, name=f"mask of {self.object_id!r}")
            if not mask.any():
                raise MaskError(f"object {self.object_id!r} ({self.prompt}) has an empty mask")
            object.__setattr__(self, "mask", mask)
        elif not any(c.is_positive for c in self.clicks):
            raise ConfigError(f"object {self.object_id!r} has neither a mask nor a positive click")
        if any(c.object_id != self.object_id for c in self.clicks):
            raise ConfigError(f"object {self.object_id!r} carries clicks of another object")

    def to_json_dict(self) -> dict[str, Any]:
        """Return the object as JSON, without its mask (that is ``masks_selected/<id>.png``).

        Returns
        -------
        dict[str, Any]
            The object's id, kind, prompt, frame, source, proposal, box IoU and the like.
        """
        return {
            "object_id": self.object_id,
            "kind": self.kind,
            "prompt": self.prompt,
            "frame": self.frame,
            "source": self.source,
            "proposal": self.proposal,
            "box_iou": None if self.box_iou is None else round(self.box_iou, 4),
            "box_xyxy": None if self.box_xyxy is None else list(self.box_xyxy),
            "detection": None if self.detection is None else self.detection.to_json_dict(),
            "clicks": [c.model_dump(mode="json") for c in self.clicks],
        }


@dataclass(frozen=True, eq=False)
class PromptedObjects:
    """The objects prompts chose, in order (points, boxes, picks, text), with what happened.

    Parameters
    ----------
    objects
        One [`PromptedObject`][sam2_autotrack.prompts.PromptedObject] per object; ids unique.
    resolution_wh
        ``(width, height)`` of the frames.
    notes
        What did not become an object, and why (a detection matching no query item, a query
        item nothing was found for, a duplicate, ...).
    detections
        Every detection the detector returned for the text prompt.

    Examples
    --------
    >>> import numpy as np
    >>> mask = np.zeros((4, 6), bool); mask[1:3, 1:4] = True
    >>> obj = PromptedObject("proposal_2", "pick", "pick 2", 0, "proposal", mask, proposal=2)
    >>> chosen = PromptedObjects((obj,), resolution_wh=(6, 4))
    >>> chosen.object_ids, chosen.masks.shape
    (('proposal_2',), (1, 4, 6))
    """

    objects: tuple[PromptedObject, ...]
    resolution_wh: tuple[int, int]
    notes: tuple[str, ...] = ()
    detections: tuple[Detection, ...] = field(default=())

    def __post_init__(self) -> None:
        ids = [o.object_id for o in self.objects]
        duplicated = sorted({i for i in ids if ids.count(i) > 1})
        if duplicated:
            raise ConfigError(f"object ids must be unique; repeated: {', '.join(duplicated)}")
        width, height = self.resolution_wh
        for obj in self.objects:
            if obj.mask is not None and obj.mask.shape != (height, width):
                raise MaskError(
                    f"the mask of {obj.object_id!r} is {obj.mask.shape[1]}x{obj.mask.shape[0]} "
                    f"but the frames are {width}x{height}"
                )

    def __len__(self) -> int:
        return len(self.objects)

    def __iter__(self) -> Iterator[PromptedObject]:
        return iter(self.objects)

    def __getitem__(self, index: int) -> PromptedObject:
        return self.objects[index]

    @property
    def object_ids(self) -> tuple[str, ...]:
        """The object ids, in order."""
        return tuple(o.object_id for o in self.objects)

    @property
    def masks(self) -> NDArray[np.bool_]:
        """``(K, H, W)`` bool: each object's mask (empty for an object made of clicks only)."""
        width, height = self.resolution_wh
        out = np.zeros((len(self.objects), height, width), dtype=bool)
        for k, obj in enumerate(self.objects):
            if obj.mask is not None:
                out[k] = obj.mask
        return out

    def frame0_masks(self) -> dict[str, NDArray[np.bool_]]:
        """``{object_id: (H, W) bool}`` of every object with a mask on frame 0.

        Returns
        -------
        dict[str, numpy.ndarray]
            The masks, in object order (objects made of clicks only have none).
        """
        return {o.object_id: o.mask for o in self.objects if o.mask is not None and o.frame == 0}

    def to_json_dict(self) -> dict[str, Any]:
        """Return the objects, notes and detections as JSON (a run folder's ``prompts.json``).

        Returns
        -------
        dict[str, Any]
            ``resolution_wh``, ``objects`` (each
            [`PromptedObject.to_json_dict`][sam2_autotrack.prompts.PromptedObject.to_json_dict]),
            ``notes`` and ``detections``.
        """
        return {
            "resolution_wh": list(self.resolution_wh),
            "objects": [o.to_json_dict() for o in self.objects],
            "notes": list(self.notes),
            "detections": [d.to_json_dict() for d in self.detections],
        }
