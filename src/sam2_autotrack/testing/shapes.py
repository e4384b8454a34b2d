"""Object silhouettes for synthetic clips: disks, ellipses, stars, rings, C-shapes, blobs, ...

Each shape is drawn with sub-pixel precision into a square 0/1 mask (`shape_mask`); the
renderer turns it into a sprite's alpha channel.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.errors import SyntheticClipError

__all__ = ["SHAPES", "shape_mask"]

SHAPES: tuple[str, ...] = (
    "disk",
    "ellipse",
    "rounded_rect",
    "star",
    "triangle",
    "hexagon",
    "blob",
    "ring",
    "c_shape",
)
"""The shape names `shape_mask` draws."""


def shape_mask(shape: str, size: int, rng: np.random.Generator) -> NDArray[np.uint8]:
    """Draw a ``(size, size)`` 0/1 mask of ``shape`` centred in the square.

    Parameters
    ----------
    shape
        One of `SHAPES`.
    size
        Side of the square in pixels.
    rng
        Used by ``"blob"`` only (its random harmonics).

    Raises
    ------
    SyntheticClipError
        Unknown ``shape``.

    Examples
    --------
    >>> import numpy as np
    >>> ring = shape_mask("ring", 32, np.random.default_rng(0))
    >>> ring.shape, int(ring[16, 16]), int(ring[16, 3])
    ((32, 32), 0, 1)
    """
    mask = np.zeros((size, size), np.uint8)
    c = size / 2.0
    r = 0.46 * size
    sh = 4  # sub-pixel bits for cv2 drawing
    f = float(1 << sh)

    def pt(x: float, y: float) -> tuple[int, int]:
        return (round(x * f), round(y * f))

    def poly(xs: NDArray[np.float64], ys: NDArray[np.float64]) -> None:
        pts = np.round(np.stack([xs, ys], axis=1) * f).astype(np.int32)
        cv2.fillPoly(mask, [pts], 1, lineType=cv2.LINE_8, shift=sh)

    angles = np.linspace(0, 2 * np.pi, 361)[:-1]
    if shape == "disk":
        cv2.circle(mask, pt(c, c), round(r * f), 1, -1, lineType=cv2.LINE_8, shift=sh)
    elif shape == "ellipse":
        cv2.ellipse(mask, pt(c, c), (round(r * f), round(0.6 * r * f)), 0, 0, 360, 1, -1,
                    lineType=cv2.LINE_8, shift=sh)  # fmt: skip
    elif shape == "rounded_rect":
        half_w, half_h, rad = 0.95 * r, 0.7 * r, 0.25 * r
        cv2.rectangle(mask, pt(c - half_w + rad, c - half_h), pt(c + half_w - rad, c + half_h), 1,
                      -1, shift=sh)  # fmt: skip
        cv2.rectangle(mask, pt(c - half_w, c - half_h + rad), pt(c + half_w, c + half_h - rad), 1,
                      -1, shift=sh)  # fmt: skip
        for sx in (-1, 1):
            for sy in (-1, 1):
                centre = pt(c + sx * (half_w - rad), c + sy * (half_h - rad))
                cv2.circle(mask, centre, round(rad * f), 1, -1, shift=sh)
    elif shape == "star":
        k = np.arange(10)
        radii = np.where(k % 2 == 0, r, 0.5 * r)
        theta = k * np.pi / 5 - np.pi / 2
        poly(c + radii * np.cos(theta), c + radii * np.sin(theta))
    elif shape == "triangle":
        theta = np.arange(3) * 2 * np.pi / 3 - np.pi / 2
        poly(c + r * np.cos(theta), c + 0.1 * r + r * np.sin(theta))
    elif shape == "hexagon":
        theta = np.arange(6) * np.pi / 3
        poly(c + r * np.cos(theta), c + r * np.sin(theta))
    elif shape == "blob":
        radius = np.full_like(angles, 0.75 * r)
        for harmonic in (2, 3, 5):
            amp = rng.uniform(0.04, 0.1) * r
            radius += amp * np.cos(harmonic * angles + rng.uniform(0, 2 * np.pi))
        poly(c + radius * np.cos(angles), c + radius * np.sin(angles))
    elif shape in ("ring", "c_shape"):
        inner = 0.55 * r if shape == "ring" else 0.58 * r
        cv2.circle(mask, pt(c, c), round(r * f), 1, -1, shift=sh)
        cv2.circle(mask, pt(c, c), round(inner * f), 0, -1, shift=sh)
        if shape == "c_shape":  # cut a 90° wedge open to the right
            far = 2 * r
            wedge = np.array([[c, c], [c + far, c - far], [c + far, c + far]])
            cv2.fillPoly(mask, [np.round(wedge * f).astype(np.int32)], 0, shift=sh)
    else:
        raise SyntheticClipError(f"unknown shape {shape!r}; choose one of {', '.join(SHAPES)}")
    return mask
