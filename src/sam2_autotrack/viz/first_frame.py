"""Pictures of frame 0: every proposal and its fate, then the chosen objects and their clicks."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.backends.base import MaskProposals
from sam2_autotrack.clicks import ClickSet
from sam2_autotrack.errors import ConfigError, MaskError
from sam2_autotrack.export.palette import object_colors
from sam2_autotrack.masks.validate import as_rgb_image
from sam2_autotrack.selection.decisions import ProposalDecision, Selection
from sam2_autotrack.viz.draw import (
    Box,
    draw_click,
    draw_contour,
    font_scale,
    free_text_origin,
    hatch,
    ink_for,
    interior_point,
    legend_panel,
    put_text,
    rgb_tuple,
    text_box,
    text_size,
)
from sam2_autotrack.viz.figure import Figure
from sam2_autotrack.viz.overlay import as_mask_layers, overlay_masks

__all__ = ["proposal_label_origins", "show_proposals", "show_selection"]


def _check_alpha(alpha: float) -> None:
    if not 0.0 <= alpha <= 1.0:
        raise ConfigError(f"alpha must be between 0 and 1 (the fill opacity); got {alpha}")


def proposal_label_origins(
    masks: NDArray[np.bool_],
    labels: dict[int, str],
    first: list[int],
    scale: float,
) -> dict[int, tuple[int, int]]:
    """Place each proposal's label inside its mask so that no two labels overlap.

    Labels in ``first`` (the kept proposals, in rank order) are placed first and always drawn; the
    others are moved off any label already placed, or left out when no free spot is near. Drawn
    in this order (others first, ``first`` last), a visible label is always the whole label of
    one proposal, never a kept label partly covered by a rejected one ("18" over "12:obj_1").

    Parameters
    ----------
    masks
        ``(N, H, W)`` bool proposal masks.
    labels
        ``{index: text}`` of the labels to place.
    first
        Indices placed first, in this order; the rest follow in index order.
    scale
        Text scale.

    Returns
    -------
    dict
        ``{index: (x, y)}`` baseline origin of every label that is drawn (a proposal with an empty
        mask has none).
    """
    height, width = masks.shape[1:]
    always = set(first)
    order = first + sorted(i for i in labels if i not in always)
    taken: list[Box] = []
    origins: dict[int, tuple[int, int]] = {}
    for i in order:
        point = interior_point(masks[i])
        if point is None:
            continue
        text = labels[i]
        text_w, text_h = text_size(text, scale)
        preferred = (
            int(np.clip(point[0] - text_w // 2, 0, max(0, width - text_w))),
            int(np.clip(point[1] + text_h // 2, text_h, height - 1)),
        )
        origin = free_text_origin(text, preferred, scale, (width, height), taken)
        if origin is None:
            if i not in always:
                continue  # no free spot: the legend still lists it
            origin = preferred
        origins[i] = origin
        taken.append(text_box(text, origin, scale))
    return origins


def show_proposals(
    image_rgb: NDArray[np.uint8],
    proposals: MaskProposals | NDArray[np.bool_],
    *,
    selection: Selection | None = None,
    alpha: float = 0.45,
) -> Figure:
    """Draw every proposal coloured and numbered; with ``selection``, explain each decision.

    Without a selection every proposal is filled with its colour and labelled with its index. With
    the [`Selection`][sam2_autotrack.Selection] made from these proposals, kept proposals are filled
    with their object's colour (the one every other picture gives that object) and labelled
    ``index:obj_k``; rejected ones are only outlined and hatched (never over a kept
    object), and a legend under the image gives every proposal's fate (``#7 duplicate of 4``, ``#2
    background: touches 3 borders``). Labels never overlap: a kept label is drawn whole at its
    object, and a rejected proposal's label moves aside (or is left to the legend) rather than cover
    it.

    Parameters
    ----------
    image_rgb
        ``(H, W, 3)`` uint8 RGB frame the proposals were made on.
    proposals
        The [`MaskProposals`][sam2_autotrack.MaskProposals] or an ``(N, H, W)`` bool array.
    selection
        The selection made from exactly these proposals (its ``decisions`` are indexed like them).
    alpha
        Fill opacity.

    Returns
    -------
    Figure
        The picture (image on top, legend below when a selection is given).

    Raises
    ------
    ConfigError
        ``alpha`` outside 0..1.
    MaskError
        An image that is not ``(H, W, 3)`` uint8, masks of another size, or a selection with
        decisions for proposals that were not given.

    Examples
    --------
    >>> import numpy as np
    >>> img = np.full((40, 60, 3), 90, np.uint8)
    >>> masks = np.zeros((2, 40, 60), bool)
    >>> masks[0, 5:20, 5:25] = True; masks[1, 22:35, 30:55] = True
    >>> fig = show_proposals(img, masks)
    >>> fig.image.shape
    (40, 60, 3)
    """
    _check_alpha(alpha)
    image = as_rgb_image(image_rgb)
    raw = proposals.masks if isinstance(proposals, MaskProposals) else proposals
    masks = as_mask_layers(raw, image.shape[:2], "proposal masks")
    count = len(masks)
    height, width = image.shape[:2]
    scale = font_scale(width)

    decisions: dict[int, ProposalDecision] = {}
    rank: dict[int, int] = {}
    if selection is not None:
        decisions = {int(d.index): d for d in selection.decisions}
        rank = {int(index): k for k, index in enumerate(np.asarray(selection.indices).tolist())}
        unknown = sorted(set(decisions) - set(range(count)))
        if unknown:
            raise MaskError(
                f"the selection has decisions for proposals {unknown[:5]} but only {count} "
                "proposals were given; pass the proposals the selection was made from"
            )
    # A kept proposal wears its object's colour (object k: colour k, as in show_selection, the
    # filmstrip, the area plot and the overlay video); rejected ones take the colours after.
    palette = object_colors(count)
    spare = iter(range(len(rank), count))
    colours = np.array(
        [palette[rank[i]] if i in rank else palette[next(spare)] for i in range(count)],
        dtype=np.uint8,
    ).reshape(count, 3)
    kept = [i for i in range(count) if selection is None or i in rank]
    rejected = [i for i in range(count) if selection is not None and i not in rank]

    # Fill the kept proposals, largest first so small ones stay visible on top.
    areas = masks.reshape(count, -1).sum(axis=1)
    order = sorted(kept, key=lambda i: -int(areas[i]))
    canvas = overlay_masks(
        image,
        masks[order] if order else np.zeros((0, height, width), bool),
        colors=colours[order] if order else np.zeros((0, 3), np.uint8),
        alpha=alpha,
        outline=max(1, round(scale * 2)),
    )
    # Hatch the rejected ones, but never over a kept object: a kept object must not look rejected.
    lines = hatch((height, width), max(6, round(10 * scale)))
    if kept:
        lines &= ~masks[kept].any(axis=0)
    for i in rejected:
        canvas[masks[i] & lines] = colours[i]
        draw_contour(canvas, masks[i], colours[i], 1)

    labels = {i: (f"{i}:obj_{rank[i] + 1}" if i in rank else f"{i}") for i in range(count)}
    # Kept labels are placed first (in rank order) and always drawn; without a selection, all are.
    first = sorted(rank, key=rank.__getitem__) if selection is not None else list(range(count))
    origins = proposal_label_origins(masks, labels, first, scale)
    for i in sorted(origins, key=lambda i: (i in rank, i)):  # kept labels last, on top
        colour = rgb_tuple(colours[i])
        put_text(canvas, labels[i], origins[i], scale, ink_for(colour), box=colour)

    title = f"{count} proposals"
    if selection is None:
        return Figure(canvas, title=title)
    legend: list[tuple[str, tuple[int, int, int]]] = []
    for i in range(count):
        colour = rgb_tuple(colours[i])
        if i in rank:
            legend.append((f"#{i} kept as obj_{rank[i] + 1}", colour))
        else:
            reason = decisions[i].reason if i in decisions else "not selected"
            legend.append((f"#{i} {reason}", colour))
    title += f", {len(kept)} kept"
    if not legend:
        return Figure(canvas, title=title)
    panel = legend_panel(legend, width, 0.8 * scale)
    return Figure(np.vstack([canvas, panel]), title=title, text=[t for t, _ in legend])


def show_selection(
    image_rgb: NDArray[np.uint8],
    selection: Selection | NDArray[np.bool_],
    clicks: ClickSet | None = None,
    *,
    alpha: float = 0.45,
    marker_radius: int | None = None,
) -> Figure:
    """Draw the selected objects and their seed clicks.

    Object ``k`` is filled with colour ``k``; each click is a disc of its object's colour with a
    white ``+`` (positive, label 1) or ``−`` (negative, label 0), centred on the click's pixel.

    Parameters
    ----------
    image_rgb
        ``(H, W, 3)`` uint8 RGB frame 0.
    selection
        The [`Selection`][sam2_autotrack.Selection], or ``(K, H, W)`` bool masks in object order.
    clicks
        The seed clicks ([`AutoTracker.seed`][sam2_autotrack.AutoTracker.seed]); objects are matched
        by order of first appearance (``obj_1`` ↔ mask 0, ...).
    alpha
        Fill opacity.
    marker_radius
        Radius of the click discs in pixels (default scales with the image width).

    Returns
    -------
    Figure
        The picture with a legend (one line per object: its clicks).

    Raises
    ------
    ConfigError
        ``alpha`` outside 0..1, or a ``marker_radius`` below 1.
    MaskError
        An image that is not ``(H, W, 3)`` uint8, masks of another size, or clicks made on a
        frame of another size or outside the image.

    Examples
    --------
    >>> import numpy as np
    >>> from sam2_autotrack import Click, ClickSet
    >>> img = np.zeros((40, 60, 3), np.uint8)
    >>> masks = np.zeros((1, 40, 60), bool); masks[0, 5:30, 5:40] = True
    >>> fig = show_selection(img, masks, ClickSet.build([Click(x=20, y=15)]))
    >>> fig.image[15, 20].tolist()
    [255, 255, 255]
    """
    _check_alpha(alpha)
    if marker_radius is not None and marker_radius < 1:
        raise ConfigError(
            f"marker_radius must be >= 1 pixel (or None: automatic); got {marker_radius}"
        )
    image = as_rgb_image(image_rgb)
    raw = selection if isinstance(selection, np.ndarray) else selection.masks
    masks = as_mask_layers(raw, image.shape[:2], "selected masks")
    height, width = image.shape[:2]
    object_ids = [f"obj_{k + 1}" for k in range(len(masks))]
    if clicks is not None:
        object_ids = list(clicks.object_ids)
    colours = object_colors(max(len(masks), len(object_ids)))
    canvas = overlay_masks(image, masks, colors=colours[: len(masks)], alpha=alpha)
    scale = font_scale(width)
    radius = marker_radius if marker_radius is not None else max(4, round(min(width, 1400) / 110))
    legend: list[tuple[str, tuple[int, int, int]]] = []
    if clicks is not None:
        if clicks.resolution_wh is not None and clicks.resolution_wh != (width, height):
            raise MaskError(
                f"the clicks are for a {clicks.resolution_wh[0]}x{clicks.resolution_wh[1]} frame "
                f"but the image is {width}x{height}; clicks must be in the video's own pixels"
            )
        slot = {oid: k for k, oid in enumerate(object_ids)}
        for click in clicks.clicks:
            if click.x >= width or click.y >= height:
                raise MaskError(
                    f"click ({click.x}, {click.y}) is outside the {width}x{height} image; clicks "
                    "must be in the video's own pixel space"
                )
            rgb = rgb_tuple(colours[slot[click.object_id]])
            draw_click(canvas, click.x, click.y, rgb, click.is_positive, radius)
        for oid, group in clicks.by_object().items():
            positive = sum(1 for c in group if c.is_positive)
            rgb = rgb_tuple(colours[slot[oid]])
            legend.append((f"{oid}: {positive} +, {len(group) - positive} -", rgb))
    else:
        for k, oid in enumerate(object_ids):
            legend.append((oid, rgb_tuple(colours[k])))
    title = f"{len(masks)} selected objects"
    if not legend:
        return Figure(canvas, title=title)
    panel = legend_panel(legend, width, 0.8 * scale)
    return Figure(np.vstack([canvas, panel]), title=title, text=[t for t, _ in legend])
