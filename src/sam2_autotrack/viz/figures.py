"""Pictures of each pipeline step, for notebooks and reports.

Every helper renders to an ``(H, W, 3)`` uint8 RGB array with OpenCV (no plotting library needed)
and wraps it in a :class:`Figure`, which Jupyter displays through ``_repr_png_`` and which
:meth:`Figure.save` writes atomically:

- :func:`show_proposals` — every frame-0 proposal coloured and numbered; with a selection, the
  rejected ones are outlined and hatched and the legend gives each one's reason.
- :func:`show_selection` — the selected objects with their seed clicks (``+`` positive, ``−``
  negative).
- :func:`filmstrip` — evenly spaced frames with the tracked masks overlaid.
- :func:`area_plot` — each object's mask area over time; a sudden jump usually means drift. Uses
  matplotlib when it is installed (``pip install "sam2_autotrack[viz]"``), else an OpenCV chart.

Object ``k`` (0-based, in click order) always gets colour ``palette(k + 1)[k]``, so an object has
the same colour in every picture.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, Protocol

import cv2
import numpy as np
from numpy.typing import NDArray

from sam2_autotrack._fs import atomic_path
from sam2_autotrack.backends.base import MaskProposals
from sam2_autotrack.clicks import ClickSet
from sam2_autotrack.errors import (
    AutotrackError,
    ExportError,
    MaskError,
    MissingDependencyError,
    VideoError,
)
from sam2_autotrack.export.palette import object_colors
from sam2_autotrack.masks.validate import as_mask_stack, as_rgb_frames, as_rgb_image
from sam2_autotrack.selection.select import ProposalDecision, Selection


class TrackedVideo(Protocol):
    """What the pictures need of a tracking result (:class:`~sam2_autotrack.TrackResult` has it)."""

    @property
    def video(self) -> Path | None:
        """The source video, read for the frames under the masks."""
        ...

    @property
    def object_ids(self) -> tuple[str, ...]:
        """Object ids in click order."""
        ...

    @property
    def frame_indices(self) -> NDArray[np.int64]:
        """``(T,)`` source-frame index of each mask frame."""
        ...

    def masks(self, object_id: str) -> NDArray[np.bool_]:
        """``(T, H, W)`` bool masks of one object."""
        ...

    def areas(self) -> dict[str, NDArray[np.int64]]:
        """Each object's mask area per mask frame."""
        ...


__all__ = [
    "Figure",
    "area_plot",
    "filmstrip",
    "overlay_masks",
    "palette",
    "show_proposals",
    "show_selection",
]

_FONT = cv2.FONT_HERSHEY_SIMPLEX
_AA = cv2.LINE_AA
_PANEL_RGB = (24, 24, 28)
_TEXT_RGB = (235, 235, 235)
_WRITE_FORMATS = {".png": ".png", ".jpg": ".jpg", ".jpeg": ".jpg", ".webp": ".webp"}
# -- the figure object ----------------------------------------------------------------------------


class Figure:
    r"""A rendered picture: an RGB array that Jupyter shows and :meth:`save` writes.

    Parameters
    ----------
    image
        ``(H, W, 3)`` uint8 RGB pixels (copied; the figure never aliases caller arrays).
    title
        A short description, used by ``repr``.
    text
        The text lines drawn in the picture's legend (handy for tests and alt text).

    Examples
    --------
    >>> import numpy as np
    >>> fig = Figure(np.zeros((4, 6, 3), np.uint8), title="black")
    >>> fig.image.shape, fig.to_png()[:4]
    ((4, 6, 3), b'\x89PNG')
    """

    def __init__(
        self, image: NDArray[np.uint8], *, title: str = "", text: Sequence[str] = ()
    ) -> None:
        self.image: NDArray[np.uint8] = as_rgb_image(image, name="a figure's image").copy()
        self.title = title
        self.text: tuple[str, ...] = tuple(text)

    def __repr__(self) -> str:
        height, width = self.image.shape[:2]
        return f"Figure({self.title!r}, {width}x{height})"

    @property
    def resolution_wh(self) -> tuple[int, int]:
        """``(width, height)`` of the picture."""
        return (int(self.image.shape[1]), int(self.image.shape[0]))

    def to_png(self) -> bytes:
        """Return the picture encoded as PNG bytes."""
        return _encode(self.image, ".png")

    def _repr_png_(self) -> bytes:
        return self.to_png()

    def save(self, path: str | Path) -> Path:
        """Write the picture to ``path`` (``.png``, ``.jpg`` or ``.webp``) atomically.

        Returns
        -------
        Path
            The written file.
        """
        path = Path(path)
        extension = _WRITE_FORMATS.get(path.suffix.lower())
        if extension is None:
            raise ExportError(
                f"cannot save a figure as {path.suffix or 'a file without extension'!r}; "
                f"use one of {', '.join(sorted(_WRITE_FORMATS))}"
            )
        data = _encode(self.image, extension)
        with atomic_path(path) as tmp:
            tmp.write_bytes(data)
        return path


def _encode(image_rgb: NDArray[np.uint8], extension: str) -> bytes:
    ok, buffer = cv2.imencode(extension, cv2.cvtColor(image_rgb, cv2.COLOR_RGB2BGR))
    if not ok:  # pragma: no cover - OpenCV always encodes these formats
        raise ExportError(f"OpenCV could not encode the figure as {extension}; try '.png'")
    return bytes(buffer.tobytes())


# -- pure helpers ---------------------------------------------------------------------------------


def palette(n: int) -> NDArray[np.uint8]:
    """Return ``n`` distinct RGB colours; colour ``k`` is the same for every ``n > k``.

    The same colours as the overlay video (:func:`~sam2_autotrack.export.palette.object_colors`).

    Examples
    --------
    >>> palette(3).shape
    (3, 3)
    >>> bool((palette(12)[:3] == palette(3)).all())
    True
    """
    return object_colors(n)


def _check_masks(masks: Any, image_hw: tuple[int, int], what: str) -> NDArray[np.bool_]:
    array = np.asarray(masks)
    return as_mask_stack(
        array[None] if array.ndim == 2 else array, name=what, axes="(N, H, W)", expected_hw=image_hw
    )


def overlay_masks(
    image_rgb: NDArray[np.uint8],
    masks: NDArray[np.bool_],
    *,
    colors: NDArray[np.uint8] | None = None,
    alpha: float = 0.5,
    outline: int = 2,
) -> NDArray[np.uint8]:
    """Blend coloured masks over an image; later masks are drawn over earlier ones.

    Parameters
    ----------
    image_rgb
        ``(H, W, 3)`` uint8 RGB image (not modified).
    masks
        ``(N, H, W)`` bool masks at the image's size (or one ``(H, W)`` mask).
    colors
        ``(N, 3)`` uint8 RGB colours; defaults to :func:`palette`.
    alpha
        Opacity of the fill, 0..1.
    outline
        Contour thickness in pixels (0: no contour).

    Returns
    -------
    numpy.ndarray
        A new ``(H, W, 3)`` uint8 RGB image.

    Examples
    --------
    >>> import numpy as np
    >>> img = np.zeros((8, 8, 3), np.uint8)
    >>> m = np.zeros((1, 8, 8), bool); m[0, 2:6, 2:6] = True
    >>> out = overlay_masks(img, m, colors=np.array([[200, 0, 0]], np.uint8), alpha=1.0, outline=0)
    >>> out[4, 4].tolist(), out[0, 0].tolist()
    ([200, 0, 0], [0, 0, 0])
    """
    image = as_rgb_image(image_rgb)
    stack = _check_masks(masks, image.shape[:2], "masks")
    if not 0.0 <= alpha <= 1.0:
        raise AutotrackError(f"alpha must be between 0 and 1; got {alpha}")
    colours = palette(len(stack)) if colors is None else np.asarray(colors, dtype=np.uint8)
    if colours.shape != (len(stack), 3):
        raise MaskError(f"colors must have shape ({len(stack)}, 3); got {colours.shape}")
    layer = image.copy()
    covered = np.zeros(image.shape[:2], dtype=bool)
    for mask, colour in zip(stack, colours, strict=True):
        layer[mask] = colour
        covered |= mask
    out = image.copy()
    blended = image[covered].astype(np.float32) * (1.0 - alpha) + layer[covered] * alpha
    out[covered] = np.clip(np.rint(blended), 0, 255).astype(np.uint8)
    if outline > 0:
        for mask, colour in zip(stack, colours, strict=True):
            _draw_contour(out, mask, colour, outline)
    result: NDArray[np.uint8] = out
    return result


def _draw_contour(
    canvas: NDArray[np.uint8], mask: NDArray[np.bool_], colour: Any, thickness: int
) -> None:
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    cv2.drawContours(canvas, contours, -1, _rgb_tuple(colour), thickness)


def _rgb_tuple(colour: Any) -> tuple[int, int, int]:
    # Canvases are RGB and OpenCV writes a colour tuple's channels in order, so no swap is needed.
    r, g, b = (int(c) for c in colour)
    return (r, g, b)


def _font_scale(width: int) -> float:
    return float(np.clip(width / 1400.0, 0.4, 1.2))


def _put_text(
    canvas: NDArray[np.uint8],
    text: str,
    origin: tuple[int, int],
    scale: float,
    colour: tuple[int, int, int] = _TEXT_RGB,
    box: tuple[int, int, int] | None = None,
) -> None:
    """Draw ``text`` with its baseline at ``origin``, on a filled ``box`` colour if given."""
    thickness = max(1, round(scale * 1.6))
    if box is not None:
        (text_w, text_h), baseline = cv2.getTextSize(text, _FONT, scale, thickness)
        x, y = origin
        cv2.rectangle(canvas, (x - 2, y - text_h - 2), (x + text_w + 2, y + baseline), box, -1)
    cv2.putText(canvas, text, origin, _FONT, scale, colour, thickness, _AA)


def _ink_for(background: tuple[int, int, int]) -> tuple[int, int, int]:
    """Black or white, whichever reads better on ``background``."""
    r, g, b = background
    return (0, 0, 0) if 0.299 * r + 0.587 * g + 0.114 * b > 140 else (255, 255, 255)


def _interior_point(mask: NDArray[np.bool_]) -> tuple[int, int] | None:
    """Return the ``(x, y)`` pixel of ``mask`` farthest from its boundary, or None if empty."""
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    y0, y1, x0, x1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    crop = np.pad(mask[y0:y1, x0:x1], 1).astype(np.uint8)
    distance = cv2.distanceTransform(crop, cv2.DIST_L2, 3)
    y, x = np.unravel_index(int(np.argmax(distance)), distance.shape)
    return (int(x0 + x - 1), int(y0 + y - 1))


def _hatch(shape: tuple[int, int], spacing: int) -> NDArray[np.bool_]:
    yy, xx = np.indices(shape)
    result: NDArray[np.bool_] = ((xx + yy) % spacing) < max(1, spacing // 5)
    return result


def _legend_panel(
    lines: Sequence[tuple[str, tuple[int, int, int]]], width: int, scale: float
) -> NDArray[np.uint8]:
    """Render ``(text, swatch colour)`` lines in as many columns as fit into ``width``."""
    thickness = max(1, round(scale * 1.6))
    (_, text_h), baseline = cv2.getTextSize("Ag", _FONT, scale, thickness)
    line_h = text_h + baseline + max(4, round(6 * scale))
    pad = max(4, round(8 * scale))
    swatch = text_h
    widest = max(cv2.getTextSize(t, _FONT, scale, thickness)[0][0] for t, _ in lines)
    column_w = swatch + pad + widest + 2 * pad
    columns = max(1, (width - pad) // column_w)
    rows = -(-len(lines) // columns)
    panel = np.empty((rows * line_h + 2 * pad, width, 3), dtype=np.uint8)
    panel[:] = _PANEL_RGB
    for i, (text, colour) in enumerate(lines):
        col, row = divmod(i, rows)
        x = pad + col * column_w
        y = pad + row * line_h + text_h
        cv2.rectangle(panel, (x, y - swatch), (x + swatch, y), _rgb_tuple(colour), -1)
        _put_text(panel, text, (x + swatch + pad, y), scale)
    return panel


# -- proposals and selection ----------------------------------------------------------------------


def show_proposals(
    image_rgb: NDArray[np.uint8],
    proposals: MaskProposals | NDArray[np.bool_],
    *,
    selection: Selection | None = None,
    alpha: float = 0.45,
) -> Figure:
    """Draw every proposal coloured and numbered; with ``selection``, explain each decision.

    Without a selection every proposal is filled with its colour and labelled with its index. With
    the :class:`~sam2_autotrack.Selection` made from these proposals, kept proposals are filled and
    labelled ``#index→obj_k``; rejected ones are only outlined and hatched, and a legend under the
    image gives every proposal's fate (``#7 duplicate of 4``, ``#2 background: touches 3 borders``).

    Parameters
    ----------
    image_rgb
        ``(H, W, 3)`` uint8 RGB frame the proposals were made on.
    proposals
        The :class:`~sam2_autotrack.MaskProposals` or an ``(N, H, W)`` bool array.
    selection
        The selection made from exactly these proposals (its ``decisions`` are indexed like them).
    alpha
        Fill opacity.

    Returns
    -------
    Figure
        The picture (image on top, legend below when a selection is given).

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
    image = as_rgb_image(image_rgb)
    raw = proposals.masks if isinstance(proposals, MaskProposals) else proposals
    masks = _check_masks(raw, image.shape[:2], "proposal masks")
    count = len(masks)
    colours = palette(count)
    height, width = image.shape[:2]
    scale = _font_scale(width)

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
    hatch = _hatch((height, width), max(6, round(10 * scale)))
    for i in rejected:
        lines = masks[i] & hatch
        canvas[lines] = colours[i]
        _draw_contour(canvas, masks[i], colours[i], 1)

    for i in range(count):
        point = _interior_point(masks[i])
        if point is None:
            continue
        label = f"{i}" if i not in rank else f"{i}:obj_{rank[i] + 1}"
        (text_w, text_h), _ = cv2.getTextSize(label, _FONT, scale, max(1, round(scale * 1.6)))
        x = int(np.clip(point[0] - text_w // 2, 0, max(0, width - text_w)))
        y = int(np.clip(point[1] + text_h // 2, text_h, height - 1))
        colour = _rgb_tuple(colours[i])
        _put_text(canvas, label, (x, y), scale, _ink_for(colour), box=colour)

    title = f"{count} proposals"
    if selection is None:
        return Figure(canvas, title=title)
    legend: list[tuple[str, tuple[int, int, int]]] = []
    for i in range(count):
        colour = _rgb_tuple(colours[i])
        if i in rank:
            legend.append((f"#{i} kept as obj_{rank[i] + 1}", colour))
        else:
            reason = decisions[i].reason if i in decisions else "not selected"
            legend.append((f"#{i} {reason}", colour))
    title += f", {len(kept)} kept"
    if not legend:
        return Figure(canvas, title=title)
    panel = _legend_panel(legend, width, 0.8 * scale)
    return Figure(np.vstack([canvas, panel]), title=title, text=[t for t, _ in legend])


def _draw_click(
    canvas: NDArray[np.uint8], x: int, y: int, colour: tuple[int, int, int], positive: bool, r: int
) -> None:
    cv2.circle(canvas, (x, y), r + 2, (0, 0, 0), -1, _AA)
    cv2.circle(canvas, (x, y), r, colour, -1, _AA)
    arm = max(2, r - max(2, r // 3))
    bar = max(1, r // 3)
    white = (255, 255, 255)
    cv2.rectangle(canvas, (x - arm, y - bar // 2), (x + arm, y + (bar - 1) // 2), white, -1)
    if positive:
        cv2.rectangle(canvas, (x - bar // 2, y - arm), (x + (bar - 1) // 2, y + arm), white, -1)


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
        The :class:`~sam2_autotrack.Selection`, or ``(K, H, W)`` bool masks in object order.
    clicks
        The seed clicks (:meth:`AutoTracker.seed`); objects are matched by order of first
        appearance (``obj_1`` ↔ mask 0, ...).
    alpha
        Fill opacity.
    marker_radius
        Radius of the click discs in pixels (default scales with the image width).

    Returns
    -------
    Figure
        The picture with a legend (one line per object: its clicks).

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
    image = as_rgb_image(image_rgb)
    raw = selection if isinstance(selection, np.ndarray) else selection.masks
    masks = _check_masks(raw, image.shape[:2], "selected masks")
    height, width = image.shape[:2]
    object_ids = [f"obj_{k + 1}" for k in range(len(masks))]
    if clicks is not None:
        object_ids = list(clicks.object_ids)
    count = max(len(masks), len(object_ids))
    colours = palette(count)
    canvas = overlay_masks(image, masks, colors=colours[: len(masks)], alpha=alpha)
    scale = _font_scale(width)
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
            colour = colours[slot[click.object_id]]
            rgb = _rgb_tuple(colour)
            _draw_click(canvas, click.x, click.y, rgb, click.is_positive, radius)
        for oid, group in clicks.by_object().items():
            positive = sum(1 for c in group if c.is_positive)
            colour = colours[slot[oid]]
            rgb = _rgb_tuple(colour)
            legend.append((f"{oid}: {positive} +, {len(group) - positive} -", rgb))
    else:
        for k, oid in enumerate(object_ids):
            rgb = _rgb_tuple(colours[k])
            legend.append((oid, rgb))
    title = f"{len(masks)} selected objects"
    if not legend:
        return Figure(canvas, title=title)
    panel = _legend_panel(legend, width, 0.8 * scale)
    return Figure(np.vstack([canvas, panel]), title=title, text=[t for t, _ in legend])


# -- through time ---------------------------------------------------------------------------------


def _even_positions(total: int, n: int) -> list[int]:
    if total <= 0:
        return []
    n = min(n, total)
    return sorted({round(float(p)) for p in np.linspace(0, total - 1, n)})


def filmstrip(
    source: TrackedVideo | NDArray[np.uint8],
    masks: Mapping[str, NDArray[np.bool_]] | NDArray[np.bool_] | None = None,
    *,
    n: int = 6,
    columns: int | None = None,
    thumb_width: int = 320,
    frame_indices: Sequence[int] | NDArray[np.int64] | None = None,
    alpha: float = 0.5,
) -> Figure:
    """Show ``n`` evenly spaced frames with the masks overlaid, in a grid.

    Parameters
    ----------
    source
        A :class:`~sam2_autotrack.TrackResult` (frames are read from its video), or ``(T, H, W, 3)``
        uint8 RGB frames matching ``masks`` one-to-one.
    masks
        With frames: ``{object_id: (T, H, W) bool}`` or one ``(T, H, W)`` bool array. Ignored for a
        result.
    n
        Number of frames to show (fewer if there are fewer mask frames).
    columns
        Frames per row (default ``min(n, 3)``).
    thumb_width
        Width of each frame in pixels (frames are scaled, keeping their aspect ratio).
    frame_indices
        Source-frame number of each of the ``T`` frames, used for the captions (default ``0..T-1``;
        a result's own ``frame_indices`` are used for a result).
    alpha
        Fill opacity.

    Returns
    -------
    Figure
        The grid; each frame is captioned with its source-frame number.

    Examples
    --------
    >>> import numpy as np
    >>> frames = np.zeros((10, 30, 40, 3), np.uint8)
    >>> m = np.zeros((10, 30, 40), bool); m[:, 10:20, 10:20] = True
    >>> filmstrip(frames, {"obj_1": m}, n=4, columns=4, thumb_width=40).image.shape
    (30, 160, 3)
    """
    if n < 1:
        raise AutotrackError(f"n must be ≥ 1; got {n}")
    if thumb_width < 8:
        raise AutotrackError(f"thumb_width must be ≥ 8 pixels; got {thumb_width}")
    if isinstance(source, np.ndarray):
        frames_all = as_rgb_frames(source)
        if masks is None:
            raise MaskError("pass the masks to overlay: filmstrip(frames, {'obj_1': masks_thw})")
        per_object = dict(masks) if isinstance(masks, Mapping) else {"obj_1": masks}
        total = frames_all.shape[0]
        labels = np.arange(total) if frame_indices is None else np.asarray(frame_indices, np.int64)
        positions = _even_positions(total, n)
        frames = [frames_all[p] for p in positions]
    else:
        per_object = {oid: source.masks(oid) for oid in source.object_ids}
        labels = source.frame_indices
        total = len(labels)
        positions = _even_positions(total, n)
        frames = _read_frames(source, [int(labels[p]) for p in positions])
    if labels.shape != (total,):
        raise MaskError(f"frame_indices must have shape ({total},); got {labels.shape}")
    stacks = {}
    for oid, stack in per_object.items():
        array = np.asarray(stack, dtype=bool)
        if array.ndim != 3 or array.shape[0] != total:
            raise MaskError(
                f"masks[{oid!r}] must be (T, H, W) with T={total} frames; got {array.shape}"
            )
        stacks[oid] = array
    colours = palette(len(stacks))
    height, width = frames[0].shape[:2] if frames else (1, 1)
    thumb_h = max(1, round(height * thumb_width / width))
    scale = _font_scale(thumb_width * 2)
    tiles = []
    for position, frame in zip(positions, frames, strict=True):
        if frame.shape[:2] != next(iter(stacks.values())).shape[1:]:
            raise MaskError(
                f"frame {int(labels[position])} is {frame.shape[1]}x{frame.shape[0]} but the masks "
                f"are {next(iter(stacks.values())).shape[2]}x{next(iter(stacks.values())).shape[1]}"
            )
        small = cv2.resize(frame, (thumb_width, thumb_h), interpolation=cv2.INTER_AREA)
        small_masks = np.stack(
            [
                cv2.resize(
                    s[position].astype(np.uint8),
                    (thumb_width, thumb_h),
                    interpolation=cv2.INTER_NEAREST,
                ).astype(bool)
                for s in stacks.values()
            ]
        )
        tile = overlay_masks(small, small_masks, colors=colours, alpha=alpha, outline=1)
        caption = f"frame {int(labels[position])}"
        _put_text(tile, caption, (4, 4 + round(22 * scale)), scale, box=_PANEL_RGB)
        tiles.append(tile)
    cols = columns if columns is not None else min(len(tiles), 3)
    if cols < 1:
        raise AutotrackError(f"columns must be ≥ 1; got {cols}")
    rows = -(-len(tiles) // cols)
    grid = np.zeros((rows * thumb_h, cols * thumb_width, 3), dtype=np.uint8)
    grid[:] = _PANEL_RGB
    for k, tile in enumerate(tiles):
        row, col = divmod(k, cols)
        y0, x0 = row * thumb_h, col * thumb_width
        grid[y0 : y0 + thumb_h, x0 : x0 + thumb_width] = tile
    shown = ", ".join(str(int(labels[p])) for p in positions)
    return Figure(
        grid, title=f"frames {shown}", text=[f"frame {int(labels[p])}" for p in positions]
    )


def _read_frames(result: TrackedVideo, indices: list[int]) -> list[NDArray[np.uint8]]:
    if result.video is None:
        raise VideoError(
            "this result has no source video to read frames from; pass the frames yourself: "
            "filmstrip(frames, {oid: result.masks(oid) for oid in result.object_ids})"
        )
    from sam2_autotrack.video.reader import iter_frames

    wanted = set(indices)
    found: dict[int, NDArray[np.uint8]] = {}
    stop = max(indices) + 1 if indices else 0
    frames = iter_frames(result.video, start=0, stop=stop)
    try:
        for index, frame in enumerate(frames):
            if index in wanted:
                found[index] = np.asarray(frame)
    finally:
        close = getattr(frames, "close", None)
        if close is not None:
            close()
    missing = sorted(wanted - set(found))
    if missing:
        raise VideoError(
            f"{result.video} has no frame {missing[0]} (the result expects it); was the video "
            "replaced after tracking?",
            path=result.video,
        )
    return [found[i] for i in indices]


def _area_jumps(area: NDArray[np.int64], threshold: float) -> NDArray[np.int64]:
    """Return positions ``t`` where the area changes by more than ``threshold`` of its size."""
    values = np.asarray(area, dtype=np.float64)
    if values.size < 2:
        return np.zeros(0, dtype=np.int64)
    previous = values[:-1]
    change = np.abs(np.diff(values)) / np.maximum(np.maximum(previous, values[1:]), 1.0)
    return (np.flatnonzero(change > threshold) + 1).astype(np.int64)


def _import_matplotlib() -> Any:
    try:
        return importlib.import_module("matplotlib")
    except ImportError as exc:
        raise MissingDependencyError(
            "matplotlib is not installed, so this chart cannot use it; install the plotting "
            'extra with `pip install "sam2_autotrack[viz]"` or pass engine="opencv"'
        ) from exc


def area_plot(
    result: TrackedVideo | Mapping[str, NDArray[np.integer[Any]]],
    *,
    frame_indices: Sequence[int] | NDArray[np.int64] | None = None,
    jump_threshold: float = 0.35,
    engine: Literal["auto", "matplotlib", "opencv"] = "auto",
    size_wh: tuple[int, int] = (800, 360),
) -> Figure:
    """Plot each object's mask area over time; mark sudden jumps (usually drift or a lost track).

    Parameters
    ----------
    result
        A :class:`~sam2_autotrack.TrackResult`, or ``{object_id: (T,) areas}``.
    frame_indices
        x values for a mapping of areas (default ``0..T-1``; a result uses its own).
    jump_threshold
        A change of more than this fraction of the larger of two consecutive areas is marked.
    engine
        ``"matplotlib"`` (needs the ``viz`` extra), ``"opencv"``, or ``"auto"`` (matplotlib when it
        is installed).
    size_wh
        ``(width, height)`` of the chart in pixels.

    Returns
    -------
    Figure
        The chart; ``text`` lists the marked jumps (``"obj_1 jumps at frame 42"``).

    Examples
    --------
    >>> import numpy as np
    >>> areas = {"obj_1": np.array([100, 102, 30, 31])}
    >>> fig = area_plot(areas, engine="opencv", size_wh=(320, 200))
    >>> fig.image.shape, fig.text
    ((200, 320, 3), ('obj_1 jumps at frame 2',))
    """
    if engine not in ("auto", "matplotlib", "opencv"):
        raise AutotrackError(f"engine must be 'auto', 'matplotlib' or 'opencv'; got {engine!r}")
    width, height = size_wh
    if width < 160 or height < 120:
        raise AutotrackError(f"size_wh must be at least (160, 120); got {size_wh}")
    if isinstance(result, Mapping):
        areas = {str(oid): np.asarray(a, dtype=np.int64) for oid, a in result.items()}
        lengths = {a.shape for a in areas.values()}
        if not areas or len(lengths) != 1 or len(next(iter(lengths))) != 1:
            raise MaskError(
                f"areas must be one (T,) array per object, all the same length; got {lengths}"
            )
        total = next(iter(areas.values())).shape[0]
        xs = np.arange(total) if frame_indices is None else np.asarray(frame_indices, np.int64)
        if xs.shape != (total,):
            raise MaskError(f"frame_indices must have shape ({total},); got {xs.shape}")
    else:
        areas = result.areas()
        xs = result.frame_indices
    jumps = {oid: _area_jumps(a, jump_threshold) for oid, a in areas.items()}
    notes = [f"{oid} jumps at frame {int(xs[t])}" for oid, ts in jumps.items() for t in ts]
    colours = palette(len(areas))
    if engine == "matplotlib" or engine == "auto":
        try:
            _import_matplotlib()
        except MissingDependencyError:
            if engine == "matplotlib":
                raise
        else:
            image = _area_plot_matplotlib(areas, xs, jumps, colours, size_wh)
            return Figure(image, title="mask area per object", text=notes)
    image = _area_plot_opencv(areas, xs, jumps, colours, size_wh)
    return Figure(image, title="mask area per object", text=notes)


def _area_plot_matplotlib(
    areas: Mapping[str, NDArray[np.int64]],
    xs: NDArray[np.int64],
    jumps: Mapping[str, NDArray[np.int64]],
    colours: NDArray[np.uint8],
    size_wh: tuple[int, int],
) -> NDArray[np.uint8]:
    figure_module = importlib.import_module("matplotlib.figure")
    agg = importlib.import_module("matplotlib.backends.backend_agg")
    dpi = 100
    fig = figure_module.Figure(figsize=(size_wh[0] / dpi, size_wh[1] / dpi), dpi=dpi)
    agg.FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    for (oid, area), colour in zip(areas.items(), colours, strict=True):
        rgb = tuple(float(c) / 255.0 for c in colour)
        ax.plot(xs, area, color=rgb, linewidth=1.8, label=oid)
        marks = jumps[oid]
        if marks.size:
            ax.scatter(xs[marks], area[marks], color=rgb, marker="x", s=60, zorder=3)
    ax.set_xlabel("frame")
    ax.set_ylabel("mask area (px)")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize="small")
    fig.tight_layout()
    fig.canvas.draw()
    rgba = np.asarray(fig.canvas.buffer_rgba())
    image: NDArray[np.uint8] = np.ascontiguousarray(rgba[..., :3]).astype(np.uint8)
    if image.shape[:2] != (size_wh[1], size_wh[0]):
        return np.asarray(cv2.resize(image, size_wh, interpolation=cv2.INTER_AREA), dtype=np.uint8)
    return image


def _area_plot_opencv(
    areas: Mapping[str, NDArray[np.int64]],
    xs: NDArray[np.int64],
    jumps: Mapping[str, NDArray[np.int64]],
    colours: NDArray[np.uint8],
    size_wh: tuple[int, int],
) -> NDArray[np.uint8]:
    width, height = size_wh
    canvas = np.full((height, width, 3), 255, dtype=np.uint8)
    scale = 0.4
    left, right, top, bottom = 64, 12, 12 + 18 * len(areas), 36
    plot_w, plot_h = width - left - right, height - top - bottom
    if plot_w < 20 or plot_h < 20:
        raise AutotrackError(
            f"size_wh {size_wh} is too small for {len(areas)} objects; make it taller"
        )
    y_max = max(1, max(int(a.max()) if a.size else 0 for a in areas.values()))
    x_min, x_max = (int(xs[0]), int(xs[-1])) if xs.size else (0, 1)
    x_span = max(1, x_max - x_min)

    def to_px(x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.int32]:
        px = left + (x - x_min) / x_span * plot_w
        py = top + plot_h - y / y_max * plot_h
        points: NDArray[np.int32] = np.stack([px, py], axis=-1).round().astype(np.int32)
        return points

    grey, black = (200, 200, 200), (0, 0, 0)
    for k in range(5):
        value = y_max * k / 4
        y = round(float(top + plot_h - value / y_max * plot_h))
        cv2.line(canvas, (left, y), (left + plot_w, y), grey, 1)
        cv2.putText(canvas, f"{value:,.0f}", (4, y + 4), _FONT, scale, black, 1, _AA)
    for x_value in np.linspace(x_min, x_max, 5):
        x = round(float(left + (x_value - x_min) / x_span * plot_w))
        cv2.putText(
            canvas,
            f"{x_value:.0f}",
            (x - 8, top + plot_h + 16),
            _FONT,
            scale,
            black,
            1,
            _AA,
        )
    cv2.putText(canvas, "frame", (left + plot_w // 2 - 16, height - 4), _FONT, scale, black, 1, _AA)
    cv2.rectangle(canvas, (left, top), (left + plot_w, top + plot_h), black, 1)
    for k, ((oid, area), colour) in enumerate(zip(areas.items(), colours, strict=True)):
        rgb = _rgb_tuple(colour)
        points = to_px(xs.astype(np.float64), area.astype(np.float64))
        cv2.polylines(canvas, [points.reshape(-1, 1, 2)], False, rgb, 2, _AA)
        for t in jumps[oid]:
            x, y = (int(v) for v in points[t])
            cv2.drawMarker(canvas, (x, y), rgb, cv2.MARKER_TILTED_CROSS, 12, 2)
        y_legend = 14 + 18 * k
        cv2.line(canvas, (left, y_legend - 4), (left + 24, y_legend - 4), rgb, 3)
        cv2.putText(canvas, oid, (left + 30, y_legend), _FONT, scale, black, 1, _AA)
    return canvas
