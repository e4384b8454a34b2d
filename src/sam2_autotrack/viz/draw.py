"""Drawing helpers shared by the pictures: text, label placement, contours, legends, hatch, clicks.

Canvases are ``(H, W, 3)`` uint8 **RGB** arrays drawn in place with OpenCV; OpenCV writes a colour
tuple's channels in order, so RGB tuples need no swap. Text boxes are ``(x0, y0, x1, y1)`` pixel
rectangles, end-exclusive.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

__all__ = [
    "AA",
    "FONT",
    "PANEL_RGB",
    "TEXT_RGB",
    "Box",
    "draw_click",
    "draw_contour",
    "font_scale",
    "free_text_origin",
    "hatch",
    "ink_for",
    "interior_point",
    "legend_panel",
    "put_text",
    "rgb_tuple",
    "text_box",
    "text_size",
]

FONT = cv2.FONT_HERSHEY_SIMPLEX
"""The font of every label and legend."""
AA = cv2.LINE_AA
"""Anti-aliased lines and text."""
PANEL_RGB = (24, 24, 28)
"""Background of legend panels and caption boxes."""
TEXT_RGB = (235, 235, 235)
"""Text colour on `PANEL_RGB`."""

Box = tuple[int, int, int, int]
"""``(x0, y0, x1, y1)`` pixel rectangle, end-exclusive."""


def rgb_tuple(colour: Any) -> tuple[int, int, int]:
    """Return a colour (array row, tuple, ...) as a tuple of three Python ints.

    Examples
    --------
    >>> import numpy as np
    >>> rgb_tuple(np.array([1, 2, 3], np.uint8))
    (1, 2, 3)
    """
    r, g, b = (int(c) for c in colour)
    return (r, g, b)


def font_scale(width: int) -> float:
    """Return the text scale for a picture ``width`` pixels wide (0.4 to 1.2).

    Examples
    --------
    >>> font_scale(160), font_scale(1400), font_scale(4000)
    (0.4, 1.0, 1.2)
    """
    return float(np.clip(width / 1400.0, 0.4, 1.2))


def _thickness(scale: float) -> int:
    return max(1, round(scale * 1.6))


def text_size(text: str, scale: float) -> tuple[int, int]:
    """Return the ``(width, height)`` of ``text``'s glyphs above the baseline at ``scale``.

    Examples
    --------
    >>> w1, h1 = text_size("1", 0.5); w2, h2 = text_size("12:obj_1", 0.5)
    >>> w2 > w1, h1 > 0
    (True, True)
    """
    (text_w, text_h), _ = cv2.getTextSize(text, FONT, scale, _thickness(scale))
    return (int(text_w), int(text_h))


def text_box(text: str, origin: tuple[int, int], scale: float) -> Box:
    """Return the rectangle `put_text` fills behind ``text`` drawn with baseline ``origin``.

    Examples
    --------
    >>> x0, y0, x1, y1 = text_box("12", (10, 30), 0.4)
    >>> x0, y1 > 30, x1 > x0
    (8, True, True)
    """
    (text_w, text_h), baseline = cv2.getTextSize(text, FONT, scale, _thickness(scale))
    x, y = origin
    return (x - 2, y - text_h - 2, x + text_w + 3, y + baseline + 1)


def put_text(
    canvas: NDArray[np.uint8],
    text: str,
    origin: tuple[int, int],
    scale: float,
    colour: tuple[int, int, int] = TEXT_RGB,
    box: tuple[int, int, int] | None = None,
) -> None:
    """Draw ``text`` with its baseline at ``origin``, on a filled ``box`` colour if given.

    The filled rectangle is exactly `text_box`.
    """
    if box is not None:
        x0, y0, x1, y1 = text_box(text, origin, scale)
        cv2.rectangle(canvas, (x0, y0), (x1 - 1, y1 - 1), box, -1)
    cv2.putText(canvas, text, origin, FONT, scale, colour, _thickness(scale), AA)


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def free_text_origin(
    text: str,
    preferred: tuple[int, int],
    scale: float,
    image_wh: tuple[int, int],
    taken: Sequence[Box],
    *,
    rings: int = 6,
) -> tuple[int, int] | None:
    """Find where to draw ``text`` near ``preferred`` without covering any box in ``taken``.

    Candidate baselines step away from ``preferred`` (half a label width sideways, one label
    height up or down), nearest first, each kept inside the image. A label drawn over another
    would merge with it ("18" over "12:obj_1" reads "18:obj_1"), so a crowded spot is skipped.

    Parameters
    ----------
    text
        The label.
    preferred
        Baseline origin ``(x, y)`` the label would ideally have.
    scale
        Text scale.
    image_wh
        ``(width, height)`` of the canvas.
    taken
        Boxes of labels already placed (see `text_box`).
    rings
        How far to search, in steps.

    Returns
    -------
    tuple of int or None
        The origin, or None when every candidate covers a taken box.

    Examples
    --------
    >>> first = text_box("0:obj_1", (20, 30), 0.4)
    >>> free_text_origin("2", (20, 30), 0.4, (100, 80), [])
    (20, 30)
    >>> origin = free_text_origin("2", (20, 30), 0.4, (100, 80), [first])
    >>> origin != (20, 30), origin is not None
    (True, True)
    """
    (text_w, text_h), baseline = cv2.getTextSize(text, FONT, scale, _thickness(scale))
    width, height = image_wh
    step_x = max(4, (text_w + 5) // 2)
    step_y = text_h + baseline + 4
    offsets = sorted(
        ((i, j) for i in range(-rings, rings + 1) for j in range(-rings, rings + 1)),
        key=lambda ij: ((ij[0] * step_x) ** 2 + (ij[1] * step_y) ** 2, ij[1], ij[0]),
    )
    seen: set[tuple[int, int]] = set()
    for i, j in offsets:
        x = int(np.clip(preferred[0] + i * step_x, 0, max(0, width - text_w)))
        y = int(np.clip(preferred[1] + j * step_y, text_h, height - 1))
        if (x, y) in seen:
            continue
        seen.add((x, y))
        box = text_box(text, (x, y), scale)
        if not any(_overlaps(box, other) for other in taken):
            return (x, y)
    return None


def ink_for(background: tuple[int, int, int]) -> tuple[int, int, int]:
    """Return black or white, whichever reads better on ``background``.

    Examples
    --------
    >>> ink_for((255, 225, 25)), ink_for((0, 130, 200))
    ((0, 0, 0), (255, 255, 255))
    """
    r, g, b = background
    return (0, 0, 0) if 0.299 * r + 0.587 * g + 0.114 * b > 140 else (255, 255, 255)


def interior_point(mask: NDArray[np.bool_]) -> tuple[int, int] | None:
    """Return the ``(x, y)`` pixel of ``mask`` farthest from its boundary, or None if empty.

    Examples
    --------
    >>> import numpy as np
    >>> m = np.zeros((10, 20), bool); m[2:9, 3:10] = True
    >>> interior_point(m), interior_point(np.zeros((4, 4), bool))
    ((6, 5), None)
    """
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    y0, y1, x0, x1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    crop = np.pad(mask[y0:y1, x0:x1], 1).astype(np.uint8)
    distance = cv2.distanceTransform(crop, cv2.DIST_L2, 3)
    y, x = np.unravel_index(int(np.argmax(distance)), distance.shape)
    return (int(x0 + x - 1), int(y0 + y - 1))


def hatch(shape_hw: tuple[int, int], spacing: int) -> NDArray[np.bool_]:
    """Return diagonal hatch lines: ``True`` on about a fifth of every ``spacing`` pixels.

    Examples
    --------
    >>> hatch((2, 6), 5).astype(int).tolist()
    [[1, 0, 0, 0, 0, 1], [0, 0, 0, 0, 1, 0]]
    """
    yy, xx = np.indices(shape_hw)
    result: NDArray[np.bool_] = ((xx + yy) % spacing) < max(1, spacing // 5)
    return result


def draw_contour(
    canvas: NDArray[np.uint8], mask: NDArray[np.bool_], colour: Any, thickness: int
) -> None:
    """Draw the outer contour of ``mask`` on ``canvas`` (in place)."""
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    cv2.drawContours(canvas, contours, -1, rgb_tuple(colour), thickness)


def draw_click(
    canvas: NDArray[np.uint8], x: int, y: int, colour: tuple[int, int, int], positive: bool, r: int
) -> None:
    """Draw a click marker: a disc of ``colour`` with a white ``+`` (positive) or ``−``."""
    cv2.circle(canvas, (x, y), r + 2, (0, 0, 0), -1, AA)
    cv2.circle(canvas, (x, y), r, colour, -1, AA)
    arm = max(2, r - max(2, r // 3))
    bar = max(1, r // 3)
    white = (255, 255, 255)
    cv2.rectangle(canvas, (x - arm, y - bar // 2), (x + arm, y + (bar - 1) // 2), white, -1)
    if positive:
        cv2.rectangle(canvas, (x - bar // 2, y - arm), (x + (bar - 1) // 2, y + arm), white, -1)


def legend_panel(
    lines: Sequence[tuple[str, tuple[int, int, int]]], width: int, scale: float
) -> NDArray[np.uint8]:
    """Render ``(text, swatch colour)`` lines in as many columns as fit into ``width``.

    Returns
    -------
    numpy.ndarray
        A new ``(rows, width, 3)`` uint8 RGB panel to stack under a picture.
    """
    thickness = _thickness(scale)
    (_, text_h), baseline = cv2.getTextSize("Ag", FONT, scale, thickness)
    line_h = text_h + baseline + max(4, round(6 * scale))
    pad = max(4, round(8 * scale))
    swatch = text_h
    widest = max(cv2.getTextSize(t, FONT, scale, thickness)[0][0] for t, _ in lines)
    column_w = swatch + pad + widest + 2 * pad
    columns = max(1, (width - pad) // column_w)
    rows = -(-len(lines) // columns)
    panel = np.empty((rows * line_h + 2 * pad, width, 3), dtype=np.uint8)
    panel[:] = PANEL_RGB
    for i, (text, colour) in enumerate(lines):
        col, row = divmod(i, rows)
        x = pad + col * column_w
        y = pad + row * line_h + text_h
        cv2.rectangle(panel, (x, y - swatch), (x + swatch, y), rgb_tuple(colour), -1)
        put_text(panel, text, (x + swatch + pad, y), scale)
    return panel
