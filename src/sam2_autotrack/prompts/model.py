"""`Prompts`: what the user says to track — points, boxes, proposal numbers and text.

Coordinates are pixels of the frame as the tracker sees it (native size, display rotation
applied: what [`first_frame`][sam2_autotrack.AutoTracker.first_frame] returns), ``x`` to the right
and ``y`` down from the top-left pixel, like every click. Each prompt makes one object:

- a **point group** — the points sharing an ``object_id``, or one unnamed positive point; unnamed
  negative points refine every point group;
- a **box** — ``(x0, y0, x1, y1)`` pixel edges, end-exclusive;
- a **pick** — the number of a frame-0 proposal, as
  [`show_proposals`][sam2_autotrack.viz.show_proposals] draws it and ``masks_all/proposal_NNN.png``
  names it;
- each object a **text** item (``"person, dog"``) is detected as.

Everything that can be checked without the video is checked when the model is built (a
[`ConfigError`][sam2_autotrack.ConfigError] naming the prompt);
[`Prompts.check_video`][sam2_autotrack.prompts.Prompts.check_video] checks the rest against the
video's size and frame count, before any work.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from sam2_autotrack._options import Options, config_error
from sam2_autotrack.clicks import Click, check_object_id
from sam2_autotrack.errors import ConfigError
from sam2_autotrack.prompts.options import MatchOptions
from sam2_autotrack.prompts.text import split_query, words

__all__ = ["BoxPrompt", "PointGroup", "PointPrompt", "Prompts"]

_MAX_TEXT_ITEMS = 32
"""Grounding DINO reads at most 256 text tokens; 32 items keep a query well inside that."""

Pixel = Annotated[int, Field(ge=0)]


def _check_id(value: str | None) -> str | None:
    return None if value is None else check_object_id(value)


def _prompt_error(exc: ValidationError, owner: str) -> ConfigError:
    """One ConfigError line; a rule about the whole prompt is stated without echoing its input."""
    errors = exc.errors()
    if any(error["type"] != "value_error" for error in errors):
        return config_error(exc, owner)
    parts = []
    for error in errors:
        where = ".".join(str(p) for p in error["loc"])
        message = str(error["msg"]).removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    return ConfigError(f"invalid {owner}: " + "; ".join(parts))


class _PromptModel(Options):
    """An `Options` whose errors name the prompt, not its dict."""

    def __init__(self, **data: Any) -> None:
        try:
            BaseModel.__init__(self, **data)
        except ValidationError as exc:
            raise _prompt_error(exc, type(self).__name__) from None


class PointPrompt(_PromptModel):
    """One point: on the object (``label=1``) or not on it (``label=0``).

    Parameters
    ----------
    x, y
        The pixel, in the displayed frame's pixels.
    label
        ``1`` positive (the object is here), ``0`` negative (it is not).
    frame
        The frame the point is on (default 0). Only the Replicate backend takes later frames.
    object_id
        Points sharing an id make one object. ``None``: a positive point is an object of its own
        (``point_1``, ``point_2``...), a negative point refines every point group.

    Examples
    --------
    >>> PointPrompt(x=120, y=80).describe()
    'point (120, 80)'
    >>> PointPrompt(x=5, y=6, label=0, frame=30, object_id="car").describe()
    "negative point (5, 6) on frame 30 of 'car'"
    """

    x: Pixel
    y: Pixel
    label: Literal[0, 1] = 1
    frame: Pixel = 0
    object_id: str | None = None

    _valid_id = field_validator("object_id")(_check_id)

    @property
    def point_xy(self) -> tuple[int, int]:
        """``(x, y)``."""
        return (self.x, self.y)

    def describe(self) -> str:
        """Name the point in messages: ``"negative point (5, 6) on frame 30 of 'car'"``.

        Returns
        -------
        str
            The description.
        """
        text = f"{'point' if self.label else 'negative point'} ({self.x}, {self.y})"
        if self.frame:
            text += f" on frame {self.frame}"
        if self.object_id is not None:
            text += f" of {self.object_id!r}"
        return text

    def click(self, object_id: str) -> Click:
        """Return the point as a [`Click`][sam2_autotrack.Click] of ``object_id``.

        Parameters
        ----------
        object_id
            The object the click seeds (the point's own ``object_id`` is not used).

        Returns
        -------
        Click
            The click, with this point's position, label and frame.
        """
        return Click(x=self.x, y=self.y, label=self.label, frame=self.frame, object_id=object_id)


class BoxPrompt(_PromptModel):
    """One box around one object.

    Parameters
    ----------
    x0, y0, x1, y1
        Pixel edges, end-exclusive: the box holds ``[y0:y1, x0:x1]``; ``x0 < x1``, ``y0 < y1``.
    frame
        The frame the box is on (default 0). A box on a later frame needs proposals on that frame
        (one more ``meta/sam-2`` prediction on Replicate; the embedded engine starts on frame 0
        only).
    object_id
        The object's id (default ``box_1``, ``box_2``...).

    Examples
    --------
    >>> BoxPrompt(x0=10, y0=20, x1=60, y1=90).box_xyxy
    (10, 20, 60, 90)
    >>> BoxPrompt(x0=60, y0=20, x1=10, y1=90)
    Traceback (most recent call last):
    ...
    sam2_autotrack.errors.ConfigError: invalid BoxPrompt: box (60, 20, 10, 90) is empty: ...
    """

    x0: Pixel
    y0: Pixel
    x1: Pixel
    y1: Pixel
    frame: Pixel = 0
    object_id: str | None = None

    _valid_id = field_validator("object_id")(_check_id)

    @model_validator(mode="after")
    def _not_empty(self) -> BoxPrompt:
        if self.x0 >= self.x1 or self.y0 >= self.y1:
            raise ValueError(
                f"box {self.box_xyxy} is empty: give (x0, y0, x1, y1) with x0 < x1 and y0 < y1 "
                "(top-left corner, then bottom-right; end-exclusive pixel edges)"
            )
        return self

    @property
    def box_xyxy(self) -> tuple[int, int, int, int]:
        """``(x0, y0, x1, y1)``."""
        return (self.x0, self.y0, self.x1, self.y1)

    def describe(self) -> str:
        """Name the box in messages: ``"box (10, 20, 60, 90) on frame 3"``.

        Returns
        -------
        str
            The description, with the frame when it is not 0 and the object id when given.
        """
        text = f"box {self.box_xyxy}"
        if self.frame:
            text += f" on frame {self.frame}"
        if self.object_id is not None:
            text += f" of {self.object_id!r}"
        return text


@dataclass(frozen=True)
class PointGroup:
    """The points of one object (see `Prompts.point_groups`).

    Attributes
    ----------
    object_id
        The object's id (given, or ``point_<k>``).
    positives
        Its positive points (at least one), in the order given.
    negatives
        Its negative points: its own, then the unnamed ones every group shares.
    """

    object_id: str
    positives: tuple[PointPrompt, ...]
    negatives: tuple[PointPrompt, ...]

    @property
    def first_frame(self) -> int:
        """The first frame with a positive point (the frame the object starts on)."""
        return min(p.frame for p in self.positives)

    def describe(self) -> str:
        """Name the group in messages by its first positive point.

        Returns
        -------
        str
            The first positive point's description.
        """
        first = self.positives[0].describe()
        return first if self.positives[0].object_id is not None else f"{first} ({self.object_id})"

    def clicks(self) -> tuple[Click, ...]:
        """Every point of the group as clicks of its object (positives first).

        Returns
        -------
        tuple[Click, ...]
            One [`Click`][sam2_autotrack.Click] per point, with the group's ``object_id``.
        """
        return tuple(p.click(self.object_id) for p in (*self.positives, *self.negatives))


def _pair(value: Any, names: tuple[str, ...]) -> Any:
    """``(x, y)`` → ``{"x": x, "y": y}`` (and the same for a 4-tuple box); others untouched."""
    if isinstance(value, Sequence) and not isinstance(value, str) and len(value) == len(names):
        return dict(zip(names, value, strict=True))
    return value


class Prompts(_PromptModel):
    """What to track, said by the user; replaces the automatic choice of objects.

    Each point group, box, pick and detected text object becomes one object (see the module
    docstring). Objects come in that order: points, boxes, picks, text.

    Parameters
    ----------
    points
        [`PointPrompt`][sam2_autotrack.prompts.PointPrompt] objects (or dicts of their fields, or
        ``(x, y)`` pairs: positive points on frame 0).
    boxes
        [`BoxPrompt`][sam2_autotrack.prompts.BoxPrompt] objects (or dicts, or ``(x0, y0, x1, y1)``
        tuples on frame 0).
    picks
        Numbers of frame-0 proposals (``viz.show_proposals`` and ``masks_all/``), each at most
        once.
    text
        Things to find with the open-vocabulary detector: one string split at commas and full
        stops (``"person, dog"``), or a list of items. Needs a detector (Grounding DINO on
        Replicate: a Replicate token); there is no offline detector.
    matching
        [`MatchOptions`][sam2_autotrack.prompts.MatchOptions] (thresholds of the matching).

    Examples
    --------
    >>> p = Prompts(points=[(120, 80)], boxes=[(10, 20, 60, 90)], picks=3, text="person, dog")
    >>> p.describe()
    'point (120, 80); box (10, 20, 60, 90); pick 3; text "person", "dog"'
    >>> [g.object_id for g in p.point_groups()], p.box_ids(), p.pick_ids()
    (['point_1'], ['box_1'], ['proposal_3'])
    >>> Prompts(picks=[2, 2])
    Traceback (most recent call last):
    ...
    sam2_autotrack.errors.ConfigError: invalid Prompts: pick 2 is given twice; ...
    """

    points: tuple[PointPrompt, ...] = ()
    boxes: tuple[BoxPrompt, ...] = ()
    picks: tuple[Pixel, ...] = ()
    text: tuple[str, ...] = ()
    matching: MatchOptions = MatchOptions()

    @field_validator("points", mode="before")
    @classmethod
    def _points_from_pairs(cls, value: Any) -> Any:
        if isinstance(value, Sequence) and not isinstance(value, str):
            return [_pair(item, ("x", "y")) for item in value]
        return value

    @field_validator("boxes", mode="before")
    @classmethod
    def _boxes_from_tuples(cls, value: Any) -> Any:
        if isinstance(value, Sequence) and not isinstance(value, str):
            return [_pair(item, ("x0", "y0", "x1", "y1")) for item in value]
        return value

    @field_validator("picks", mode="before")
    @classmethod
    def _picks_as_tuple(cls, value: Any) -> Any:
        if isinstance(value, Sequence) and not isinstance(value, str):
            return [_index(item) for item in value]
        return [_index(value)]

    @field_validator("text", mode="before")
    @classmethod
    def _split_text(cls, value: Any) -> Any:
        if isinstance(value, str):
            return split_query(value)
        if isinstance(value, Sequence):
            if not all(isinstance(item, str) for item in value):
                raise ValueError("must be a string ('person, dog') or a list of strings")
            return split_query(",".join(value))
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Prompts:
        for item in self.text:
            if not words(item):
                raise ValueError(
                    f"text item {item!r} has no word to look for; write things such as "
                    "'person, dog'"
                )
        if len(self.text) > _MAX_TEXT_ITEMS:
            raise ValueError(
                f"the text prompt has {len(self.text)} items; the detector reads at most "
                f"{_MAX_TEXT_ITEMS} at once, so split it over several runs"
            )
        seen: set[int] = set()
        for number in self.picks:
            if number in seen:
                raise ValueError(f"pick {number} is given twice; pick each proposal once")
            seen.add(number)
        positive_ids = {p.object_id for p in self.points if p.label == 1}
        if any(p.label == 0 for p in self.points) and not positive_ids:
            raise ValueError(
                "a negative point only refines an object chosen with points; add a positive "
                "point (--point) on the object"
            )
        for point in self.points:
            if point.label == 0 and point.object_id not in positive_ids | {None}:
                raise ValueError(
                    f"{point.describe()} names an object with no positive point; add a "
                    f"positive point of {point.object_id!r}"
                )
        box_ids = [b.object_id for b in self.boxes if b.object_id is not None]
        for object_id in box_ids:
            if box_ids.count(object_id) > 1:
                raise ValueError(f"two boxes are named {object_id!r}; give each box its own id")
            if object_id in positive_ids:
                raise ValueError(
                    f"{object_id!r} names both a box and points; give each object one kind of "
                    "prompt and its own id"
                )
        for object_id in self.pick_ids():
            if object_id in positive_ids or object_id in box_ids:
                raise ValueError(f"{object_id!r} is the id of a pick; name the other object else")
        return self

    # -- queries -------------------------------------------------------------------------------

    @property
    def is_empty(self) -> bool:
        """``True`` when nothing is prompted (the automatic choice then stands)."""
        return not (self.points or self.boxes or self.picks or self.text)

    def describe(self) -> str:
        """One line naming every prompt (for messages and the run record).

        Returns
        -------
        str
            The prompts' descriptions joined by ``; ``, or ``"no prompts"``.
        """
        parts = [p.describe() for p in self.points] + [b.describe() for b in self.boxes]
        if self.picks:
            parts.append(
                f"pick{'s' if len(self.picks) > 1 else ''} " + ", ".join(map(str, self.picks))
            )
        if self.text:
            parts.append("text " + ", ".join(f'"{t}"' for t in self.text))
        return "; ".join(parts) or "no prompts"

    def _taken_ids(self) -> set[str]:
        named = {p.object_id for p in self.points} | {b.object_id for b in self.boxes}
        return {i for i in named if i is not None} | set(self.pick_ids())

    def point_groups(self) -> list[PointGroup]:
        """Return the objects the points make, in order of their first point.

        Points sharing an ``object_id`` are one group; every unnamed positive point is a group
        of its own, named ``point_1``, ``point_2``... (skipping ids given to other prompts);
        unnamed negative points join every group.

        Returns
        -------
        list[PointGroup]
            The groups, in order of their first point (empty: no points).
        """
        taken = self._taken_ids()
        shared = tuple(p for p in self.points if p.label == 0 and p.object_id is None)
        order: list[str] = []
        positives: dict[str, list[PointPrompt]] = {}
        negatives: dict[str, list[PointPrompt]] = {}
        counter = 0
        for point in self.points:
            if point.object_id is None:
                if point.label == 0:
                    continue
                counter += 1
                while f"point_{counter}" in taken:
                    counter += 1
                object_id = f"point_{counter}"
            else:
                object_id = point.object_id
            if object_id not in positives:
                order.append(object_id)
                positives[object_id], negatives[object_id] = [], []
            (positives if point.label else negatives)[object_id].append(point)
        return [PointGroup(oid, tuple(positives[oid]), (*negatives[oid], *shared)) for oid in order]

    def box_ids(self) -> list[str]:
        """Return the object id of each box: its own, or ``box_1``, ``box_2``... in order.

        Returns
        -------
        list[str]
            One id per box, in the order of ``boxes``.
        """
        taken = self._taken_ids()
        ids: list[str] = []
        counter = 0
        for box in self.boxes:
            if box.object_id is not None:
                ids.append(box.object_id)
                continue
            counter += 1
            while f"box_{counter}" in taken:
                counter += 1
            ids.append(f"box_{counter}")
        return ids

    def pick_ids(self) -> list[str]:
        """Return the object id of each pick: ``proposal_<number>``.

        Returns
        -------
        list[str]
            One id per pick, in the order of ``picks``.
        """
        return [f"proposal_{n}" for n in self.picks]

    def later_frames(self) -> list[str]:
        """Describe every point and box on a frame after 0 (the embedded engine refuses them).

        Returns
        -------
        list[str]
            One description per such prompt (empty: every prompt is on frame 0).
        """
        prompts: list[PointPrompt | BoxPrompt] = [*self.points, *self.boxes]
        return [p.describe() for p in prompts if p.frame > 0]

    def check_video(self, *, resolution_wh: tuple[int, int], frame_count: int | None) -> None:
        """Check every point and box against the video's frame size and frame count.

        Parameters
        ----------
        resolution_wh
            ``(width, height)`` of the video.
        frame_count
            Its number of frames, or ``None`` when unknown (frames are then not checked).

        Raises
        ------
        ConfigError
            A point or box outside the frame, or on a frame the video does not have; the message
            names the prompt and the valid range.
        """
        width, height = resolution_wh
        rule = (
            "coordinates are pixels of the displayed frame (rotation applied), as "
            "AutoTracker.first_frame returns it"
        )
        for point in self.points:
            if point.x >= width or point.y >= height:
                raise ConfigError(
                    f"{point.describe()} is outside the {width}x{height} frame (x 0..{width - 1}, "
                    f"y 0..{height - 1}); {rule}"
                )
        for box in self.boxes:
            if box.x1 > width or box.y1 > height:
                raise ConfigError(
                    f"{box.describe()} reaches outside the {width}x{height} frame (x1 at most "
                    f"{width}, y1 at most {height}: end-exclusive edges); {rule}"
                )
        if frame_count is None:
            return
        prompts: list[PointPrompt | BoxPrompt] = [*self.points, *self.boxes]
        for prompt in prompts:
            if prompt.frame >= frame_count:
                raise ConfigError(
                    f"{prompt.describe()}: the video has {frame_count} frames "
                    f"(0..{frame_count - 1}); put the prompt on one of them"
                )


def _index(value: Any) -> Any:
    """Return a proposal number as a Python int (numpy integers too); anything else as is."""
    if isinstance(value, bool):
        return value
    try:
        return operator.index(value)
    except TypeError:
        return value
