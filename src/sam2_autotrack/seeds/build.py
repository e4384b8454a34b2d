"""The click set for SAM 2 video from selected masks (`clicks_from_selection`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from pydantic import ValidationError

from sam2_autotrack.clicks import Click, ClickSet
from sam2_autotrack.errors import ClickError, MaskError, SelectionError
from sam2_autotrack.seeds.interior import find_seeds
from sam2_autotrack.seeds.negatives import negative_points
from sam2_autotrack.seeds.options import SeedOptions
from sam2_autotrack.selection.decisions import Selection

__all__ = ["clicks_from_selection"]


def clicks_from_selection(
    masks: Selection | Any,
    *,
    object_ids: Sequence[str] | None = None,
    options: SeedOptions | None = None,
    frame: int = 0,
) -> ClickSet:
    """Turn selected object masks into the click set for SAM 2 video.

    Every object gets up to ``options.seeds_per_object`` positive clicks from
    [`find_seeds`][sam2_autotrack.seeds.find_seeds] and, with ``options.negatives="touching"``, up
    to ``options.max_negatives`` negative clicks from
    [`negative_points`][sam2_autotrack.seeds.negative_points] in the other selected objects it
    touches. Clicks are ordered object by object, positives first.

    Parameters
    ----------
    masks
        A [`Selection`][sam2_autotrack.Selection], or ``(K, H, W)`` bool masks (one per object).
    object_ids
        One id per object; default ``obj_1 .. obj_K``.
    options
        Seeds per object, negative-click policy and the seed geometry (default
        [`SeedOptions`][sam2_autotrack.SeedOptions]).
    frame
        Frame index the clicks are on.

    Returns
    -------
    ClickSet
        With ``resolution_wh`` set from the masks.

    Raises
    ------
    SelectionError
        There are no masks, or one of them is empty.
    ClickError
        ``object_ids`` has the wrong length or an invalid id.
    MaskError
        ``masks`` is not a ``(K, H, W)`` stack or a [`Selection`][sam2_autotrack.Selection].

    Examples
    --------
    >>> import numpy as np
    >>> m = np.zeros((2, 60, 80), dtype=bool)
    >>> m[0, 10:50, 5:40] = True
    >>> m[1, 10:50, 40:75] = True
    >>> cs = clicks_from_selection(m, options=SeedOptions(seeds_per_object=1))
    >>> cs.to_replicate().click_labels, cs.object_ids
    ('1,0,1,0', ('obj_1', 'obj_2'))
    """
    if isinstance(masks, Selection):
        stack = masks.masks
    else:
        stack = np.asarray(masks)
        if stack.ndim != 3:
            raise MaskError(
                f"masks must be a 3-D (K, H, W) array or a Selection; got shape {stack.shape}. "
                "Stack single masks with np.stack"
            )
        stack = stack != 0 if stack.dtype != np.bool_ else stack
    count, height, width = stack.shape
    if count == 0:
        detail = ""
        if isinstance(masks, Selection):
            detail = f" (decisions: {masks.category_counts()})"
        raise SelectionError(
            f"no objects were selected{detail}, so there is nothing to click on; relax "
            "SelectionOptions (max_area_fraction, border_touch_limit, min_area_fraction) or "
            "check the proposals"
        )
    ids = list(object_ids) if object_ids is not None else [f"obj_{k + 1}" for k in range(count)]
    if len(ids) != count:
        raise ClickError(
            f"got {len(ids)} object ids for {count} objects; pass one id per mask or "
            "object_ids=None for obj_1..obj_K"
        )
    for object_id in ids:
        try:
            Click(x=0, y=0, object_id=object_id)
        except ValidationError as exc:
            message = exc.errors()[0]["msg"].removeprefix("Value error, ")
            raise ClickError(f"invalid object id {object_id!r}: {message}") from None
    chosen = options if options is not None else SeedOptions()
    clicks: list[Click] = []
    for k in range(count):
        if not stack[k].any():
            raise SelectionError(
                f"object {ids[k]!r} has an empty mask; drop it before making clicks"
            )
        seeds = find_seeds(
            stack[k],
            n=chosen.seeds_per_object,
            margin=chosen.margin_px,
            min_component_fraction=chosen.min_component_fraction,
        )
        for px, py in seeds.points_xy.tolist():
            clicks.append(Click(x=int(px), y=int(py), label=1, frame=frame, object_id=ids[k]))
        if chosen.negatives == "touching" and count > 1:
            others = [stack[j] for j in range(count) if j != k]
            reach = float(np.clip(seeds.max_depth / 2.0, 6.0, 40.0))
            negs = negative_points(
                stack[k],
                others,
                max_points=chosen.max_negatives,
                gap=chosen.touch_gap_px,
                reach=reach,
            )
            for px, py in negs.tolist():
                clicks.append(Click(x=int(px), y=int(py), label=0, frame=frame, object_id=ids[k]))
    return ClickSet.build(clicks, resolution_wh=(width, height))
