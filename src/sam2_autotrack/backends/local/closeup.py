"""Close-up subjects: one whole-subject candidate for a person or object framed up close.

A close-up (head and shoulders in a car, a large object filling the middle of the frame) is
cut by the bottom border and fills a large part of the frame, but the top and side borders
show what lies behind it. Neither colour merging nor motion groups its differently coloured
parts (hair, face, white shirt, dark suit; a head that talks while the torso stays still), and
what moves most is often the backdrop seen through a window.

[`closeup_subject`][sam2_autotrack.backends.local.closeup_subject] takes the framing as the
prior: GrabCut started from the whole frame except thin strips along the top and the sides
(the colours seen there are backdrop), open at the bottom. The cut is kept only when it looks
like a close-up subject (`is_closeup_cut`): large, standing on the bottom border, and
*bounded*, i.e. it does not run along the top or side strips (a floor, a wall or a table
reaching across the frame does, and is backdrop).

Everything is deterministic (seeded GrabCut).
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.backends.local.grabcut import grabcut_foreground
from sam2_autotrack.masks.cleanup import fill_small_holes, largest_component

__all__ = ["closeup_subject", "is_closeup_cut"]


def is_closeup_cut(
    mask: NDArray[np.bool_],
    margins_px: tuple[int, int],
    *,
    min_area_fraction: float = 0.15,
    max_area_fraction: float = 0.65,
    min_bottom_fraction: float = 0.15,
    max_side_contact: float = 0.5,
    max_top_contact: float = 0.3,
) -> bool:
    """Whether a cut from the open-bottom frame looks like a close-up subject.

    Parameters
    ----------
    mask
        ``(h, w)`` bool cut (nothing in the top and side strips).
    margins_px
        ``(side, top)``: width in pixels of the side strips and height of the top strip that
        were backdrop.
    min_area_fraction, max_area_fraction
        Area of a close-up subject, as a fraction of the frame.
    min_bottom_fraction
        Least share of the bottom row it must cover (it stands on the bottom border).
    max_side_contact
        Largest share of the column just inside a side strip that it may cover (a close-up's
        shoulders reach the sides low down; a floor or a wall runs along them).
    max_top_contact
        Largest share of the row just below the top strip that it may cover (hair may touch the
        top; a wall reaching across does).

    Returns
    -------
    bool
        ``True`` when every test passes.

    Examples
    --------
    >>> import numpy as np
    >>> person = np.zeros((100, 120), bool); person[30:, 30:90] = True
    >>> is_closeup_cut(person, (4, 4))
    True
    >>> floor = np.zeros((100, 120), bool); floor[50:, 4:116] = True
    >>> is_closeup_cut(floor, (4, 4))
    False
    """
    m = np.asarray(mask, dtype=bool)
    h, w = m.shape
    side, top = margins_px
    area = float(np.count_nonzero(m)) / (h * w)
    if not min_area_fraction <= area <= max_area_fraction:
        return False
    if float(m[-1].mean()) < min_bottom_fraction:
        return False
    below_top = m[min(top, h - 1), side : w - side]
    if below_top.size and float(below_top.mean()) > max_top_contact:
        return False
    rows = slice(top, h)
    left = m[rows, min(side, w - 1)]
    right = m[rows, max(0, w - 1 - side)]
    return max(float(left.mean()), float(right.mean())) <= max_side_contact


def closeup_subject(
    image_rgb: NDArray[np.uint8],
    *,
    side_margin: float = 0.03,
    top_margin: float = 0.03,
    iterations: int = 3,
    work_max_side: int = 160,
) -> NDArray[np.bool_] | None:
    """Cut the close-up subject of a frame: GrabCut from the open-bottom frame (see the module).

    Pixels in a strip ``side_margin`` of the width along each side and ``top_margin`` of the
    height along the top are sure background, every other pixel probable foreground; GrabCut's
    colour models then leave as foreground what is unlike the colours of those strips. The
    largest connected part of the cut, holes filled, is the candidate when
    [`is_closeup_cut`][sam2_autotrack.backends.local.is_closeup_cut] accepts it.

    Parameters
    ----------
    image_rgb
        ``(h, w, 3)`` uint8 RGB image.
    side_margin, top_margin
        Width of the side strips and height of the top strip, as fractions of the width and
        height (at least one pixel each).
    iterations
        GrabCut iterations.
    work_max_side
        The cut is made on a copy at most this many pixels on its longest side (GrabCut's cost
        grows with the pixels; a close-up subject is large) and brought back to the image's
        size.

    Returns
    -------
    numpy.ndarray or None
        ``(h, w)`` bool subject, or ``None`` when the image is too small, GrabCut keeps
        nothing or the cut does not look like a close-up subject.

    Examples
    --------
    >>> import numpy as np
    >>> img = np.full((90, 120, 3), (60, 90, 140), np.uint8)   # blue-grey backdrop
    >>> img[35:, 35:85] = (200, 170, 140)                      # a torso on the bottom border
    >>> img[12:40, 48:72] = (230, 190, 160)                    # and a head
    >>> cut = closeup_subject(img)
    >>> bool(cut[60, 60]), bool(cut[20, 60]), bool(cut[60, 10])
    (True, True, False)
    """
    full = np.asarray(image_rgb)
    full_h, full_w = full.shape[:2]
    scale = min(1.0, work_max_side / max(full_h, full_w))
    image = full
    if scale < 1:
        small_wh = (max(8, round(full_w * scale)), max(8, round(full_h * scale)))
        image = np.asarray(cv2.resize(full, small_wh, interpolation=cv2.INTER_AREA), np.uint8)
    h, w = image.shape[:2]
    side = max(1, round(side_margin * w))
    top = max(1, round(top_margin * h))
    if w - 2 * side < 4 or h - top < 4:
        return None
    gc = np.full((h, w), cv2.GC_PR_FGD, np.uint8)
    gc[:top] = cv2.GC_BGD
    gc[:, :side] = cv2.GC_BGD
    gc[:, w - side :] = cv2.GC_BGD
    try:
        fg = grabcut_foreground(image, gc, iterations).astype(np.uint8)
    except cv2.error:
        return None
    largest = largest_component(fg)
    if largest is None:
        return None
    cut = fill_small_holes(largest)
    if not is_closeup_cut(cut, (side, top)):
        return None
    if (h, w) != (full_h, full_w):
        up = cv2.resize(cut.astype(np.float32), (full_w, full_h), interpolation=cv2.INTER_LINEAR)
        cut = np.asarray(up >= 0.5)
    return cut
