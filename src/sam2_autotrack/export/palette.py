"""The colours of objects, the same in every picture and video the library draws.

Object ``k`` (0-based, in click order) gets ``object_colors(n)[k]`` for every ``n > k``: the
overlay video, [`sam2_autotrack.viz`][sam2_autotrack.viz] pictures and legends agree. Index masks
written for DAVIS-style tools use the separate, standard
[`davis_palette`][sam2_autotrack.export.davis_palette].
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.errors import ConfigError

__all__ = ["davis_palette", "object_colors"]

# High-contrast colours for the first objects (RGB); later ones step around the hue circle.
_BASE_COLORS_RGB = np.array(
    [
        (230, 25, 75),
        (60, 180, 75),
        (0, 130, 200),
        (255, 225, 25),
        (245, 130, 48),
        (145, 30, 180),
        (70, 240, 240),
        (240, 50, 230),
        (210, 245, 60),
        (250, 190, 212),
    ],
    dtype=np.uint8,
)
_GOLDEN = 0.618033988749895


def object_colors(count: int) -> NDArray[np.uint8]:
    """Return ``count`` visually distinct RGB colours, the same ones on every call.

    Parameters
    ----------
    count
        How many colours.

    Returns
    -------
    numpy.ndarray
        ``(count, 3)`` uint8 RGB; no two rows are equal, and row ``k`` does not depend on
        ``count`` (as long as ``count > k``).

    Raises
    ------
    ConfigError
        ``count`` is negative.

    Examples
    --------
    >>> object_colors(2).tolist()
    [[230, 25, 75], [60, 180, 75]]
    >>> len({tuple(c) for c in object_colors(40).tolist()})
    40
    """
    if count < 0:
        raise ConfigError(f"the number of colours must be >= 0; got {count}")
    colors = [tuple(int(c) for c in rgb) for rgb in _BASE_COLORS_RGB[:count]]
    k = 0
    while len(colors) < count:
        hue = (0.11 + k * _GOLDEN) % 1.0
        value = 255 if (k // 7) % 2 == 0 else 200
        hsv = np.array([[[int(hue * 180) % 180, 220, value]]], dtype=np.uint8)
        rgb = tuple(int(c) for c in cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0])
        if rgb not in colors:
            colors.append(rgb)
        k += 1
    return np.array(colors, dtype=np.uint8).reshape(count, 3)


def davis_palette() -> NDArray[np.uint8]:
    """Return the 256-colour palette of DAVIS / PASCAL VOC index masks.

    Index 0 is black (background); index ``i`` gets the colour made by spreading the bits of ``i``
    over the high bits of red, green and blue.

    Returns
    -------
    numpy.ndarray
        ``(256, 3)`` uint8 RGB.

    Examples
    --------
    >>> davis_palette()[:4].tolist()
    [[0, 0, 0], [128, 0, 0], [0, 128, 0], [128, 128, 0]]
    """
    palette = np.zeros((256, 3), dtype=np.uint8)
    for index in range(256):
        value = index
        red = green = blue = 0
        for bit in range(7, -1, -1):
            red |= (value & 1) << bit
            green |= ((value >> 1) & 1) << bit
            blue |= ((value >> 2) & 1) << bit
            value >>= 3
        palette[index] = (red, green, blue)
    return palette
