"""Pydantic models for SAM 2 video clicks and the four strings of ``meta/sam-2-video``.

Replicate's ``meta/sam-2-video`` takes its prompts as four parallel, comma-separated strings::

    click_coordinates = "[x,y],[x,y]"
    click_labels      = "1,0"
    click_frames      = "0,0"
    click_object_ids  = "obj_1,obj_1"

The hosted model extends short ``click_labels``/``click_frames`` lists cyclically; this module
always writes full lists, one entry per click, so what is sent is what is meant.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from sam2_autotrack.errors import ClickError

__all__ = ["Click", "ClickSet", "ReplicateClickStrings"]

_OBJECT_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_COORD_RE = re.compile(r"\[\s*([^\[\],]*)\s*,\s*([^\[\],]*)\s*\]")


def check_object_id(value: str) -> str:
    """Return ``value`` if it is a valid object id, else raise ``ValueError`` saying why.

    An object id names the object in the click strings sent to Replicate (one comma-separated
    string) *and* the files written for it (``masks/<id>/``, ``alpha/<id>.webm``), so it must be a
    safe file name: 1 to 64 ASCII letters, digits, ``.``, ``_`` or ``-``, starting with a letter
    or a digit (so never ``..``, an absolute path or a path with ``/``).

    Examples
    --------
    >>> check_object_id("obj_1")
    'obj_1'
    >>> check_object_id("../../etc")
    Traceback (most recent call last):
    ...
    ValueError: object id '../../etc' is not a safe name: ...
    """
    if not value:
        raise ValueError("object id is empty; use a name such as 'obj_1'")
    if not _OBJECT_ID_RE.fullmatch(value):
        raise ValueError(
            f"object id {value!r} is not a safe name: ids are sent as one comma-separated string "
            "and name the files written for the object, so use 1-64 ASCII letters, digits, '.', "
            "'_' or '-', starting with a letter or digit (e.g. 'obj_1', 'person_2')"
        )
    return value


class Click(BaseModel):
    """One click on one frame for one object.

    Parameters
    ----------
    x, y
        Integer pixel coordinates in the video's own pixel space (no resizing), ``x`` to the right,
        ``y`` down, ``(0, 0)`` the top-left pixel.
    label
        ``1`` for a positive (foreground) click, ``0`` for a negative (background) click.
    frame
        The frame index the click is on (0 for automatic seeding).
    object_id
        The object the click belongs to, e.g. ``"obj_1"``; no commas or whitespace.

    Examples
    --------
    >>> Click(x=10, y=20, label=1, frame=0, object_id="obj_1")
    Click(x=10, y=20, label=1, frame=0, object_id='obj_1')
    """

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    x: Annotated[int, Field(ge=0)]
    y: Annotated[int, Field(ge=0)]
    label: Literal[0, 1] = 1
    frame: Annotated[int, Field(ge=0)] = 0
    object_id: str = "obj_1"

    def __init__(
        self, *, x: int, y: int, label: int = 1, frame: int = 0, object_id: str = "obj_1"
    ) -> None:
        # Validation errors surface as ClickError (part of the library's error tree), not as
        # pydantic's ValidationError.
        try:
            super().__init__(x=x, y=y, label=label, frame=frame, object_id=object_id)
        except ValidationError as exc:
            raise ClickError(_describe(exc)) from None

    @field_validator("object_id")
    @classmethod
    def _valid_object_id(cls, value: str) -> str:
        return check_object_id(value)

    @property
    def point_xy(self) -> tuple[int, int]:
        """The click's ``(x, y)`` pixel."""
        return (self.x, self.y)

    @property
    def is_positive(self) -> bool:
        """Whether this is a foreground click (label 1)."""
        return self.label == 1


class ReplicateClickStrings(BaseModel):
    """The four click strings exactly as ``meta/sam-2-video`` takes them.

    Examples
    --------
    >>> s = ReplicateClickStrings(
    ...     click_coordinates="[5,6],[7,8]", click_labels="1,0",
    ...     click_frames="0,0", click_object_ids="obj_1,obj_1")
    >>> s.as_input()["click_labels"]
    '1,0'
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    click_coordinates: str
    click_labels: str
    click_frames: str
    click_object_ids: str

    def as_input(self) -> dict[str, str]:
        """Return the four strings as a dict ready to merge into a prediction's ``input``.

        Returns
        -------
        dict[str, str]
            ``click_coordinates``, ``click_labels``, ``click_frames`` and ``click_object_ids``.
        """
        return {
            "click_coordinates": self.click_coordinates,
            "click_labels": self.click_labels,
            "click_frames": self.click_frames,
            "click_object_ids": self.click_object_ids,
        }


def _split_list(text: str, name: str) -> list[str]:
    items = [part.strip() for part in text.split(",")]
    if text.strip() == "" or any(item == "" for item in items):
        raise ClickError(
            f"{name} {text!r} has an empty entry; write one comma-separated value per click, "
            "e.g. '1,0'"
        )
    return items


def _parse_int(token: str, what: str) -> int:
    if not re.fullmatch(r"[+-]?[0-9]+", token.strip()):
        raise ClickError(
            f"{what} {token.strip()!r} is not an integer; click values must be whole pixels/frames"
        )
    return int(token)


def _parse_coordinates(text: str) -> list[tuple[int, int]]:
    stripped = text.strip()
    if not stripped:
        raise ClickError("click_coordinates is empty; expected '[x,y],[x,y],...'")
    points: list[tuple[int, int]] = []
    pos = 0
    for match in _COORD_RE.finditer(stripped):
        between = stripped[pos : match.start()].strip()
        if between != ("," if points else ""):
            raise ClickError(
                f"click_coordinates {text!r} is malformed near {stripped[pos : match.end()]!r}; "
                "expected '[x,y],[x,y],...' with integer x and y"
            )
        points.append(
            (_parse_int(match.group(1), "x coordinate"), _parse_int(match.group(2), "y coordinate"))
        )
        pos = match.end()
    if not points or stripped[pos:].strip():
        raise ClickError(
            f"click_coordinates {text!r} is malformed; expected '[x,y],[x,y],...' with integer x, y"
        )
    return points


class ClickSet(BaseModel):
    """An ordered set of clicks, optionally bound to a frame size.

    The clicks keep their order; [`to_replicate`][sam2_autotrack.ClickSet.to_replicate] renders them
    as the four strings and [`from_replicate`][sam2_autotrack.ClickSet.from_replicate] parses them
    back (``from_replicate(s).to_replicate() == s`` for every canonical ``s``).

    Parameters
    ----------
    clicks
        The clicks, in the order they will be sent.
    resolution_wh
        ``(width, height)`` of the video the clicks are for. When given, every click must lie
        inside it.

    Examples
    --------
    >>> cs = ClickSet(clicks=[Click(x=5, y=6), Click(x=7, y=8, label=0)], resolution_wh=(64, 48))
    >>> cs.to_replicate().click_coordinates
    '[5,6],[7,8]'
    >>> ClickSet.from_replicate(cs.to_replicate(), resolution_wh=(64, 48)) == cs
    True
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    clicks: tuple[Click, ...]
    resolution_wh: tuple[Annotated[int, Field(gt=0)], Annotated[int, Field(gt=0)]] | None = None

    def __init__(
        self, *, clicks: Sequence[Click], resolution_wh: tuple[int, int] | None = None
    ) -> None:
        # Validation errors surface as ClickError, not as pydantic's ValidationError.
        try:
            super().__init__(clicks=clicks, resolution_wh=resolution_wh)
        except ValidationError as exc:
            raise ClickError(_describe(exc)) from None

    @model_validator(mode="after")
    def _inside_frame(self) -> ClickSet:
        if not self.clicks:
            raise ValueError("a click set needs at least one click")
        if self.resolution_wh is not None:
            width, height = self.resolution_wh
            for index, click in enumerate(self.clicks):
                if click.x >= width or click.y >= height:
                    raise ValueError(
                        f"click {index} at ({click.x}, {click.y}) is outside the {width}x{height} "
                        f"frame; valid x is 0..{width - 1} and y is 0..{height - 1} (clicks must "
                        "be in the video's own pixel space)"
                    )
        return self

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def build(
        cls, clicks: Iterable[Click], *, resolution_wh: tuple[int, int] | None = None
    ) -> ClickSet:
        """Validate ``clicks`` into a click set, raising `ClickError` on bad input.

        Parameters
        ----------
        clicks
            The [`Click`][sam2_autotrack.Click]s, in order (object ids in order of first
            appearance).
        resolution_wh
            ``(width, height)`` of the frame the clicks were made on; if given, clicks outside it
            are rejected.

        Returns
        -------
        ClickSet
            The validated click set.

        Raises
        ------
        ClickError
            No clicks, an invalid click, or a click outside ``resolution_wh``.

        Examples
        --------
        >>> ClickSet.build([Click(x=1, y=1)]).object_ids
        ('obj_1',)
        """
        return cls(clicks=tuple(clicks), resolution_wh=resolution_wh)

    @classmethod
    def from_replicate(
        cls,
        strings: ReplicateClickStrings | Mapping[str, str],
        *,
        resolution_wh: tuple[int, int] | None = None,
    ) -> ClickSet:
        """Parse the four Replicate click strings.

        Parameters
        ----------
        strings
            A [`ReplicateClickStrings`][sam2_autotrack.ReplicateClickStrings] or a mapping with the
            four keys.
        resolution_wh
            If given, clicks outside ``(width, height)`` are rejected.

        Raises
        ------
        ClickError
            When the strings are malformed, of unequal lengths, or out of range.

        Returns
        -------
        ClickSet
            The parsed clicks, in the strings' order.

        Examples
        --------
        >>> cs = ClickSet.from_replicate({"click_coordinates": "[1,2]", "click_labels": "1",
        ...                                "click_frames": "0", "click_object_ids": "car"})
        >>> cs.clicks[0].object_id
        'car'
        """
        if not isinstance(strings, ReplicateClickStrings):
            missing = sorted(set(ReplicateClickStrings.model_fields) - set(strings))
            if missing:
                raise ClickError(f"missing click strings: {', '.join(missing)}")
            try:
                strings = ReplicateClickStrings(
                    **{key: strings[key] for key in ReplicateClickStrings.model_fields}
                )
            except ValidationError as exc:
                raise ClickError(
                    _describe(exc) + "; each of the four click strings must be a str"
                ) from None
        points = _parse_coordinates(strings.click_coordinates)
        labels = _split_list(strings.click_labels, "click_labels")
        frames = _split_list(strings.click_frames, "click_frames")
        ids = _split_list(strings.click_object_ids, "click_object_ids")
        lengths = {
            "click_coordinates": len(points),
            "click_labels": len(labels),
            "click_frames": len(frames),
            "click_object_ids": len(ids),
        }
        if len(set(lengths.values())) != 1:
            detail = ", ".join(f"{k}={v}" for k, v in lengths.items())
            raise ClickError(
                f"the four click strings have unequal lengths ({detail}); write one entry per "
                "click in every string"
            )
        clicks = []
        for (x, y), label_text, frame_text, object_id in zip(
            points, labels, frames, ids, strict=True
        ):
            label = _parse_int(label_text, "label")
            if label not in (0, 1):
                raise ClickError(
                    f"label {label} is not 0 or 1; use 1 for foreground, 0 for background"
                )
            frame = _parse_int(frame_text, "frame")
            clicks.append(Click(x=x, y=y, label=label, frame=frame, object_id=object_id))
        return cls.build(clicks, resolution_wh=resolution_wh)

    # -- rendering ----------------------------------------------------------------------------

    def to_replicate(self) -> ReplicateClickStrings:
        """Render the four strings of ``meta/sam-2-video`` (full lists, no spaces).

        Returns
        -------
        ReplicateClickStrings
            ``click_coordinates`` ``"[x,y],..."``, ``click_labels`` ``"1,0,..."``,
            ``click_frames`` and ``click_object_ids``, one entry per click.
        """
        return ReplicateClickStrings(
            click_coordinates=",".join(f"[{c.x},{c.y}]" for c in self.clicks),
            click_labels=",".join(str(c.label) for c in self.clicks),
            click_frames=",".join(str(c.frame) for c in self.clicks),
            click_object_ids=",".join(c.object_id for c in self.clicks),
        )

    def to_json_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict: the four strings plus the structured clicks.

        Returns
        -------
        dict[str, Any]
            The four Replicate strings, ``num_points``, ``clicks`` and ``resolution_wh``.
        """
        return {
            **self.to_replicate().as_input(),
            "num_points": len(self.clicks),
            **self.model_dump(mode="json"),
        }

    # -- queries ------------------------------------------------------------------------------

    @property
    def object_ids(self) -> tuple[str, ...]:
        """The distinct object ids, in order of first appearance."""
        return tuple(dict.fromkeys(c.object_id for c in self.clicks))

    def by_object(self) -> dict[str, tuple[Click, ...]]:
        """Group the clicks per object id (objects in order of first appearance).

        Returns
        -------
        dict[str, tuple[Click, ...]]
            ``{object_id: clicks}``, each object's clicks in their order in the set.
        """
        groups: dict[str, list[Click]] = {oid: [] for oid in self.object_ids}
        for click in self.clicks:
            groups[click.object_id].append(click)
        return {oid: tuple(group) for oid, group in groups.items()}

    def for_object(self, object_id: str) -> ClickSet:
        """Return the clicks of one object as their own click set.

        Parameters
        ----------
        object_id
            One of [`object_ids`][sam2_autotrack.ClickSet.object_ids].

        Returns
        -------
        ClickSet
            That object's clicks, with this set's ``resolution_wh``.

        Raises
        ------
        ClickError
            No clicks for ``object_id``; the message lists the known ids.
        """
        chosen = [c for c in self.clicks if c.object_id == object_id]
        if not chosen:
            raise ClickError(
                f"no clicks for object {object_id!r}; known objects: {', '.join(self.object_ids)}"
            )
        return ClickSet.build(chosen, resolution_wh=self.resolution_wh)

    def __len__(self) -> int:
        return len(self.clicks)

    def __iter__(self) -> Iterator[Click]:  # type: ignore[override]
        return iter(self.clicks)

    def __getitem__(self, index: int) -> Click:
        return self.clicks[index]


def _describe(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"]) or "click set"
        message = str(error["msg"]).removeprefix("Value error, ")
        parts.append(f"{where}: {message}")
    text = "invalid clicks: " + "; ".join(parts)
    if any(error["type"] != "value_error" for error in exc.errors()):
        # pydantic's own messages say what is wrong but not what a valid click looks like.
        text += (
            " (a click needs int x >= 0 and y >= 0 in the video's pixel space, label 0 or 1, "
            "int frame >= 0 and an object id such as 'obj_1')"
        )
    return text
