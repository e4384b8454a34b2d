"""Blend coloured masks over an image: the fill and outline every picture of objects starts from."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.errors import ConfigError, MaskError
from sam2_autotrack.export.palette import object_colors
from sam2_autotrack.masks.validate import as_mask_stack, as_rgb_image
from sam2_autotrack.viz.draw import draw_contour

__all__ = ["as_mask_layers", "overlay_masks"]


def as_mask_layers(masks: Any, image_hw: tuple[int, int], what: str) -> NDArray[np.bool_]:
    """Return ``(N, H, W)`` bool masks at the image's size; one ``(H, W)`` mask becomes N = 1.

    Raises
    ------
    MaskError
        Not masks, or not at ``image_hw``
        (see [`as_mask_stack`][sam2_autotrack.masks.as_mask_stack]).
    """
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
        ``(N, 3)`` uint8 RGB colours; defaults to the object colours
        ([`object_colors`][sam2_autotrack.export.object_colors]).
    alpha
        Opacity of the fill, 0..1.
    outline
        Contour thickness in pixels (0: no contour).

    Returns
    -------
    numpy.ndarray
        A new ``(H, W, 3)`` uint8 RGB image.

    Raises
    ------
    ConfigError
        ``alpha`` outside 0..1 or a negative ``outline``.
    MaskError
        Masks of another size, or ``colors`` not ``(N, 3)``.

    Examples
    --------
    >>> import numpy as np
    >>> img = np.zeros((8, 8, 3), np.uint8)
    >>> m = np.zeros((1, 8, 8), bool); m[0, 2:6, 2:6] = True
    >>> out = overlay_masks(img, m, colors=np.array([[200, 0, 0]], np.uint8), alpha=1.0, outline=0)
    >>> out[4, 4].tolist(), out[0, 0].tolist()
    ([200, 0, 0], [0, 0, 0])
    """
    if not 0.0 <= alpha <= 1.0:
        raise ConfigError(f"alpha must be between 0 and 1 (the fill opacity); got {alpha}")
    if outline < 0:
        raise ConfigError(f"outline must be >= 0 pixels (0: no contour); got {outline}")
    image = as_rgb_image(image_rgb)
    stack = as_mask_layers(masks, image.shape[:2], "masks")
    colours = object_colors(len(stack)) if colors is None else np.asarray(colors, dtype=np.uint8)
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
            draw_contour(out, mask, colour, outline)
    result: NDArray[np.uint8] = out
    return result
