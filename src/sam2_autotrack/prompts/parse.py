"""Prompts written as text, as the command line takes them: ``X,Y@FRAME:ID``, ``X0,Y0,X1,Y1``.

Each parser returns a validated prompt or raises one [`ConfigError`][sam2_autotrack.ConfigError]
line naming the flag, the text given and the form it takes.
"""

from __future__ import annotations

import re

from sam2_autotrack.errors import ConfigError
from sam2_autotrack.prompts.model import BoxPrompt, PointPrompt

__all__ = ["parse_box", "parse_picks", "parse_point"]

_INT = r"\s*(\d+)\s*"
_TAIL = r"(?:@\s*(?P<frame>\d+)\s*)?(?::\s*(?P<id>\S+)\s*)?"
_POINT = re.compile(rf"{_INT},{_INT}{_TAIL}")
_BOX = re.compile(rf"{_INT},{_INT},{_INT},{_INT}{_TAIL}")


def _fields(match: re.Match[str]) -> tuple[int, str | None]:
    return int(match.group("frame") or 0), match.group("id")


def parse_point(text: str, *, label: int = 1, flag: str = "--point") -> PointPrompt:
    """Parse ``X,Y``, ``X,Y@FRAME``, ``X,Y:ID`` or ``X,Y@FRAME:ID`` into a point.

    Points with the same ``ID`` make one object; without one, a positive point is an object of
    its own and a negative point refines every point's object.

    Parameters
    ----------
    text
        The flag's value, such as ``"120,80@30:car"`` (pixels of the video's own frame).
    label
        ``1`` for a positive point (``--point``), ``0`` for a negative one (``--negative-point``).
    flag
        The flag's name, for error messages.

    Returns
    -------
    PointPrompt
        The point.

    Raises
    ------
    ConfigError
        ``text`` is malformed, or a coordinate or frame is negative.

    Examples
    --------
    >>> parse_point("120,80")
    PointPrompt(x=120, y=80, label=1, frame=0, object_id=None)
    >>> parse_point("5, 6@30:car", label=0).describe()
    "negative point (5, 6) on frame 30 of 'car'"
    >>> parse_point("120;80")
    Traceback (most recent call last):
    ...
    sam2_autotrack.errors.ConfigError: --point '120;80': write X,Y ...
    """
    match = _POINT.fullmatch(text)
    if match is None:
        raise ConfigError(
            f"{flag} {text!r}: write X,Y (whole pixels of the displayed frame), optionally "
            "@FRAME for another frame and :ID to group points into one object, e.g. 120,80 or "
            "120,80@30:car"
        )
    frame, object_id = _fields(match)
    try:
        return PointPrompt(
            x=int(match.group(1)), y=int(match.group(2)), label=label, frame=frame,
            object_id=object_id,
        )  # fmt: skip
    except ConfigError as exc:
        raise ConfigError(f"{flag} {text!r}: {str(exc).split(': ', 1)[-1]}") from None


def parse_box(text: str, *, flag: str = "--box") -> BoxPrompt:
    """Parse ``X0,Y0,X1,Y1``, optionally with ``@FRAME`` and ``:ID``, into a box.

    Parameters
    ----------
    text
        The flag's value, such as ``"10,20,60,90@4:car"`` (pixels of the video's own frame).
    flag
        The flag's name, for error messages.

    Returns
    -------
    BoxPrompt
        The box.

    Raises
    ------
    ConfigError
        ``text`` is malformed, or the box is empty or has negative coordinates.

    Examples
    --------
    >>> parse_box("10,20,60,90@4").describe()
    'box (10, 20, 60, 90) on frame 4'
    >>> parse_box("60,20,10,90")
    Traceback (most recent call last):
    ...
    sam2_autotrack.errors.ConfigError: --box '60,20,10,90': box (60, 20, 10, 90) is empty: ...
    """
    match = _BOX.fullmatch(text)
    if match is None:
        raise ConfigError(
            f"{flag} {text!r}: write X0,Y0,X1,Y1 (top-left corner, then bottom-right, in whole "
            "pixels), optionally @FRAME and :ID, e.g. 10,20,60,90"
        )
    frame, object_id = _fields(match)
    x0, y0, x1, y1 = (int(match.group(k)) for k in range(1, 5))
    try:
        return BoxPrompt(x0=x0, y0=y0, x1=x1, y1=y1, frame=frame, object_id=object_id)
    except ConfigError as exc:
        raise ConfigError(f"{flag} {text!r}: {str(exc).split(': ', 1)[-1]}") from None


def parse_picks(text: str, *, flag: str = "--pick") -> tuple[int, ...]:
    """Parse ``N`` or ``N,N,...``: proposal numbers as drawn by ``viz.show_proposals``.

    Parameters
    ----------
    text
        The flag's value.
    flag
        The flag's name, for error messages.

    Returns
    -------
    tuple[int, ...]
        The proposal numbers, in order.

    Raises
    ------
    ConfigError
        ``text`` is not comma-separated whole numbers.

    Examples
    --------
    >>> parse_picks("3"), parse_picks("3, 7,12")
    ((3,), (3, 7, 12))
    >>> parse_picks("three")
    Traceback (most recent call last):
    ...
    sam2_autotrack.errors.ConfigError: --pick 'three': write proposal numbers ...
    """
    parts = [part.strip() for part in text.split(",")]
    if not parts or not all(part.isdigit() for part in parts):
        raise ConfigError(
            f"{flag} {text!r}: write proposal numbers as drawn by viz.show_proposals and named in "
            "masks_all/proposal_NNN.png, e.g. --pick 3 or --pick 3,7"
        )
    return tuple(int(part) for part in parts)
