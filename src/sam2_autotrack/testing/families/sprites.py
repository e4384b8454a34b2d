"""Shapes and sprites of the families, textured into RGBA sprites of a given area.

The suite's shapes (`shape_mask`) plus elongated sausages and
head-and-shoulders outlines.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.testing.families.palettes import flat_texture
from sam2_autotrack.testing.shapes import shape_mask
from sam2_autotrack.testing.textures import object_texture

__all__ = ["PATTERNS", "SHAPES", "SHAPE_WEIGHTS", "any_shape_mask", "sprite"]

_SYNTHETIC_SHAPES = (
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


SHAPES = (*_SYNTHETIC_SHAPES, "elongated")


# Blobs, rings, C-shapes and elongated objects are drawn more often than the polygons.
SHAPE_WEIGHTS = np.array([1, 1, 0.6, 0.6, 0.4, 0.4, 3, 1.5, 1.5, 2.5], np.float64)


PATTERNS = ("stripes", "checker", "dots", "noise", "flat")


def _elongated_mask(size: int, rng: np.random.Generator) -> NDArray[np.uint8]:
    """Draw a sausage: discs along a slightly bent centre line (aspect 0.18-0.35), centred."""
    mask = np.zeros((size, size), np.uint8)
    length = 0.9 * size
    half_width = 0.5 * float(rng.uniform(0.18, 0.35)) * length
    bend = float(rng.uniform(-0.25, 0.25))
    c = size / 2.0
    sh = 4
    f = float(1 << sh)
    for s in np.linspace(-1.0, 1.0, 64):
        x = c + s * (length / 2.0 - half_width)
        y = c + bend * (s * s - 1.0 / 3.0) * length / 2.0
        cv2.circle(mask, (round(x * f), round(y * f)), round(half_width * f), 1, -1, shift=sh)
    return mask


def _head_shoulders_mask(size: int, rng: np.random.Generator) -> NDArray[np.uint8]:
    """Draw a head-and-shoulders outline that fills a square down to its bottom edge."""
    mask = np.zeros((size, size), np.uint8)
    sh = 4
    f = float(1 << sh)
    c = size / 2.0 + float(rng.uniform(-0.03, 0.03)) * size
    head_w = float(rng.uniform(0.14, 0.19)) * size
    head_h = head_w * float(rng.uniform(1.2, 1.4))
    head_top = 0.03 * size
    head_cy = head_top + head_h
    cv2.ellipse(
        mask,
        (round(c * f), round(head_cy * f)),
        (round(head_w * f), round(head_h * f)),
        float(rng.uniform(-8, 8)),
        0,
        360,
        1,
        -1,
        shift=sh,
    )
    neck_w = head_w * float(rng.uniform(0.55, 0.75))
    shoulder_y = head_cy + head_h * float(rng.uniform(0.75, 0.95))
    cv2.rectangle(
        mask,
        (round((c - neck_w) * f), round(head_cy * f)),
        (round((c + neck_w) * f), round((shoulder_y + 0.1 * size) * f)),
        1,
        -1,
        shift=sh,
    )
    half = 0.5 * float(rng.uniform(0.82, 0.98)) * size
    drop = float(rng.uniform(0.08, 0.16)) * size  # how far the shoulders slope down
    centre = size / 2.0
    cv2.ellipse(
        mask,
        (round(centre * f), round((shoulder_y + drop) * f)),
        (round(half * f), round(drop * f)),
        0,
        180,
        360,
        1,
        -1,
        shift=sh,
    )
    cv2.rectangle(
        mask,
        (round((centre - half) * f), round((shoulder_y + drop) * f)),
        (round((centre + half) * f), round((size + 1) * f)),
        1,
        -1,
        shift=sh,
    )
    return mask


def any_shape_mask(shape: str, size: int, rng: np.random.Generator) -> NDArray[np.uint8]:
    """Draw a ``(size, size)`` 0/1 mask of a family shape (a suite shape or a family one)."""
    if shape == "elongated":
        return _elongated_mask(size, rng)
    if shape == "head_shoulders":
        return _head_shoulders_mask(size, rng)
    return shape_mask(shape, size, rng)


def sprite(
    rng: np.random.Generator,
    shape: str,
    area_px: float,
    hue: float,
    saturation: float,
    pattern: str,
    brightness: float = 1.0,
    *,
    size: int | None = None,
    shape_seed: int | None = None,
) -> tuple[NDArray[np.uint8], float]:
    """RGBA sprite of ``shape`` and the scale at which its mask covers about ``area_px``.

    ``size`` forces the sprite's side (then ``area_px`` only sets the returned scale);
    ``shape_seed`` fixes the random outline (blob harmonics, sausage bend, ...).
    """
    if shape_seed is None:
        shape_seed = int(rng.integers(1 << 32))
    if size is None:
        unit = any_shape_mask(shape, 96, np.random.default_rng(shape_seed))
        size = max(10, math.ceil(math.sqrt(area_px / max(float(unit.mean()), 1e-3))) + 2)
    mask = any_shape_mask(shape, size, np.random.default_rng(shape_seed))
    if pattern == "flat":
        tex = flat_texture(size, hue, saturation)
    else:
        tex = object_texture(size, hue, saturation, pattern, rng)
    if brightness != 1.0:
        tex = np.asarray(np.clip(tex.astype(np.float32) * brightness, 0, 255), dtype=np.uint8)
    rgba = np.dstack([tex, mask * np.uint8(255)])
    return rgba, math.sqrt(area_px / max(int(mask.sum()), 1))
