"""Which objects on a keyframe are new: the selection rules, minus what live tracks cover.

[`new_objects`][sam2_autotrack.rediscovery.new_objects] applies the selection rules to *all* of the
keyframe's proposals, as on frame 0, then drops the picks that
[`covered`][sam2_autotrack.rediscovery.covered] says are already tracked. Selecting first keeps the
rules' ranking and de-duplication meaningful (they compare proposals with each other: with the
tracked objects taken out first, the best leftovers — background pieces — would win their places),
and a still shot then yields the same objects as frame 0, all covered: nothing new.
[`keyframes`][sam2_autotrack.rediscovery.keyframes] says where to look.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import cv2
import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.masks.validate import as_mask_stack
from sam2_autotrack.selection.options import SelectionOptions
from sam2_autotrack.selection.select import select_objects

__all__ = ["CHANGE_LEVEL", "changed", "covered", "keyframes", "new_objects"]

CHANGE_LEVEL = 20
"""Grey-level step (0-255) above which a pixel counts as changed between two keyframes."""

_DILATE_FRACTION = 0.01  # of the frame diagonal: boundary slop between a track and a proposal


def covered(
    masks: NDArray[np.bool_], live_masks: Sequence[NDArray[np.bool_]], *, cover: float = 0.5
) -> NDArray[np.bool_]:
    """Which of ``masks`` are objects already tracked.

    A mask is covered when at least ``cover`` of its area lies on the union of ``live_masks``
    (dilated by 1 % of the frame diagonal: a track and a proposal of one object never agree to
    the pixel), or when it holds at least ``cover`` of one live object's area (that object with
    its surroundings, not a new one).

    Parameters
    ----------
    masks
        ``(N, H, W)`` bool candidates.
    live_masks
        ``(H, W)`` bool masks of the objects tracked on this frame (empty ones are ignored).
    cover
        The share, in ``(0, 1]``.

    Returns
    -------
    numpy.ndarray
        ``(N,)`` bool.

    Examples
    --------
    >>> import numpy as np
    >>> live = np.zeros((100, 100), bool); live[10:50, 10:50] = True
    >>> masks = np.zeros((3, 100, 100), bool)
    >>> masks[0, 12:48, 12:48] = True   # the tracked object again
    >>> masks[1, 0:90, 0:90] = True     # the tracked object and its surroundings
    >>> masks[2, 60:90, 60:90] = True   # something new
    >>> covered(masks, [live]).tolist()
    [True, True, False]
    """
    stack = as_mask_stack(masks, name="masks", axes="(N, H, W)")
    result = np.zeros(stack.shape[0], dtype=bool)
    live = [np.asarray(m, dtype=bool) for m in live_masks if np.any(m)]
    if not live or not len(stack):
        return result
    height, width = stack.shape[1:]
    radius = max(1, round(_DILATE_FRACTION * float(np.hypot(height, width))))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    union = cv2.dilate(np.logical_or.reduce(live).astype(np.uint8), kernel) > 0
    result |= _mostly_on(stack, union, cover)
    for mask in live:
        held = (stack & mask).reshape(len(stack), -1).sum(axis=1)
        result |= held >= cover * int(mask.sum())
    return result


def changed(
    masks: NDArray[np.bool_],
    image_rgb: NDArray[np.uint8],
    earlier_rgb: NDArray[np.uint8],
    *,
    share: float,
) -> NDArray[np.bool_]:
    """Which of ``masks`` changed between ``earlier_rgb`` and ``image_rgb``.

    A mask changed when, on at least ``share`` of its pixels, the grey level moved by more than
    `CHANGE_LEVEL`. Something that enters (or moves, or is uncovered) changes; a patch of sky or
    a still object that sat there all along does not.

    Parameters
    ----------
    masks
        ``(N, H, W)`` bool masks on ``image_rgb``.
    image_rgb
        ``(H, W, 3)`` uint8 frame the masks are on.
    earlier_rgb
        ``(h, w, 3)`` uint8 earlier frame of the same shot (resized to ``(H, W)`` if needed).
    share
        The share of changed pixels, in ``[0, 1]``; ``0``: every mask counts as changed.

    Returns
    -------
    numpy.ndarray
        ``(N,)`` bool.

    Examples
    --------
    >>> import numpy as np
    >>> before = np.zeros((40, 40, 3), np.uint8)
    >>> now = before.copy(); now[5:15, 5:15] = 200      # something arrived top-left
    >>> masks = np.zeros((2, 40, 40), bool)
    >>> masks[0, 5:15, 5:15] = True; masks[1, 25:35, 25:35] = True
    >>> changed(masks, now, before, share=0.2).tolist()
    [True, False]
    """
    stack = as_mask_stack(masks, name="masks", axes="(N, H, W)")
    if share <= 0 or not len(stack):
        return np.ones(len(stack), dtype=bool)
    height, width = stack.shape[1:]
    earlier = np.asarray(earlier_rgb, dtype=np.uint8)
    if earlier.shape[:2] != (height, width):
        earlier = np.asarray(
            cv2.resize(earlier, (width, height), interpolation=cv2.INTER_AREA), dtype=np.uint8
        )
    now = cv2.cvtColor(np.asarray(image_rgb, dtype=np.uint8), cv2.COLOR_RGB2GRAY)
    before = cv2.cvtColor(earlier, cv2.COLOR_RGB2GRAY)
    return _mostly_on(stack, cv2.absdiff(now, before) > CHANGE_LEVEL, share)


def _mostly_on(
    stack: NDArray[np.bool_], region: NDArray[np.bool_], share: float
) -> NDArray[np.bool_]:
    """``(N,)`` bool: whether at least ``share`` of each mask's area lies on ``region``."""
    areas = stack.reshape(len(stack), -1).sum(axis=1)
    on = (stack & region).reshape(len(stack), -1).sum(axis=1)
    result: NDArray[np.bool_] = on >= share * np.maximum(areas, 1)
    return result


def new_objects(
    masks: NDArray[np.bool_],
    live_masks: Sequence[NDArray[np.bool_]],
    *,
    scores: NDArray[np.float64] | None = None,
    image_rgb: NDArray[np.uint8] | None = None,
    selection: SelectionOptions | None = None,
    cover: float = 0.5,
    earlier_rgb: NDArray[np.uint8] | None = None,
    changed_share: float = 0.2,
) -> NDArray[np.bool_]:
    """Return the new objects among a keyframe's proposals, ``(K, H, W)`` bool, best first.

    The selection rules pick the real objects among all ``masks`` (room is made for the live ones:
    ``max_objects`` is raised by their count), then the picks
    [`covered`][sam2_autotrack.rediscovery.covered] by a live track are dropped, and, given an
    earlier frame of the shot, those that have not
    [`changed`][sam2_autotrack.rediscovery.changed] since (they were there and not picked); at
    most ``selection.max_objects`` remain.

    Parameters
    ----------
    masks
        ``(N, H, W)`` bool proposals of the keyframe.
    live_masks
        ``(H, W)`` bool masks of the objects tracked there.
    scores
        ``(N,)`` proposal scores, or ``None``.
    image_rgb
        The keyframe, for the selection rules that look at it.
    selection
        The selection rules (default options when ``None``).
    cover
        The covered share (see [`covered`][sam2_autotrack.rediscovery.covered]).
    earlier_rgb
        The shot's previous keyframe (or first frame); ``None`` (after a cut): no change test.
        Needs ``image_rgb``.
    changed_share
        See [`changed`][sam2_autotrack.rediscovery.changed].

    Returns
    -------
    numpy.ndarray
        ``(K, H, W)`` bool new objects.

    Examples
    --------
    >>> import numpy as np
    >>> live = np.zeros((120, 160), bool); live[20:60, 20:60] = True
    >>> masks = np.zeros((2, 120, 160), bool)
    >>> masks[0, 20:60, 20:60] = True; masks[1, 60:100, 100:140] = True
    >>> found = new_objects(masks, [live])
    >>> found.shape, bool(found[0, 80, 120])
    ((1, 120, 160), True)
    """
    options = selection if selection is not None else SelectionOptions()
    stack = as_mask_stack(masks, name="masks", axes="(N, H, W)")
    empty = np.zeros((0, *stack.shape[1:]), dtype=bool)
    if not len(stack):
        return empty
    live = [m for m in live_masks if np.any(m)]
    roomy = options.model_copy(update={"max_objects": options.max_objects + len(live)})
    chosen = select_objects(stack, scores=scores, image_rgb=image_rgb, options=roomy).masks
    if not len(chosen):
        return empty
    fresh = chosen[~covered(chosen, live, cover=cover)]
    if earlier_rgb is not None and image_rgb is not None and len(fresh):
        fresh = fresh[changed(fresh, image_rgb, earlier_rgb, share=changed_share)]
    return fresh[: options.max_objects]


def keyframes(
    frame_indices: Iterable[int], *, every: int, cuts: Iterable[int] = (), at_cuts: bool = True
) -> list[int]:
    """Return the mask frames to look for new objects on (not frame 0: it is seeded anyway).

    Every ``every``-th source frame (``0``: none) and, with ``at_cuts``, the first frame of every
    shot; each moved to the first of ``frame_indices`` at or after it (a backend may return a mask
    every ``k`` frames only).

    Parameters
    ----------
    frame_indices
        The source frames that have masks.
    every
        Keyframe spacing in frames (``0``: none).
    cuts
        Frames that start a new shot.
    at_cuts
        Also look on those.

    Returns
    -------
    list[int]
        The keyframes, ascending.

    Examples
    --------
    >>> keyframes(range(0, 100, 2), every=30, cuts=[45])
    [30, 46, 60, 90]
    >>> keyframes(range(10), every=0, cuts=[4], at_cuts=False)
    []
    """
    indices = sorted(int(i) for i in frame_indices)
    if not indices:
        return []
    wanted = set(range(every, indices[-1] + 1, every)) if every > 0 else set()
    if at_cuts:
        wanted |= {int(c) for c in cuts}
    found = set()
    for frame in wanted:
        later = [i for i in indices if i >= frame]
        if later and later[0] > 0:
            found.add(later[0])
    return sorted(found)
