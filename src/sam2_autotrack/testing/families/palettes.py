"""Colours and textures of the families: palettes around a hue, and the background kinds.

Textures: ``blotches`` (rock, foliage, camouflage), ``fibres`` (grass, wood, fabric), ``smooth``
(a painted wall, a sky), ``stripes`` (a sunshade, planks) and ``noise_stripes`` (the fixed
suite's background, `background`, in the palette's hue).
"""

from __future__ import annotations

import math

import cv2
import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.testing.scene import Scene
from sam2_autotrack.testing.textures import background, hsv_to_rgb, lowpass_noise

__all__ = ["flat_texture", "palette", "random_colours", "texture"]


def palette(
    rng: np.random.Generator,
    hue: float,
    saturation: float,
    values: tuple[float, ...],
    hue_spread: float,
) -> NDArray[np.float32]:
    """``(k, 3)`` RGB colours around ``hue`` / ``saturation`` at the given brightness values."""
    colours = [
        hsv_to_rgb(
            hue + float(rng.uniform(-hue_spread, hue_spread)),
            saturation * float(rng.uniform(0.85, 1.15)),
            v,
        )
        for v in values
    ]
    return np.stack(colours).astype(np.float32)


def _through_palette(t: NDArray[np.float32], colours: NDArray[np.float32]) -> NDArray[np.float32]:
    """Map ``t`` in [0, 1] piecewise-linearly through ``colours`` (k, 3) → (H, W, 3)."""
    k = colours.shape[0]
    pos = np.clip(t, 0.0, 1.0) * (k - 1)
    knots = np.arange(k, dtype=np.float64)
    out = np.empty((*t.shape, 3), np.float32)
    for channel in range(3):
        out[..., channel] = np.interp(pos, knots, colours[:, channel])
    return out


def texture(
    rng: np.random.Generator,
    shape_hw: tuple[int, int],
    kind: str,
    colours: NDArray[np.float32],
    ref: float,
) -> NDArray[np.uint8]:
    """Paint a ``(H, W, 3)`` texture of ``kind`` in ``colours`` (``ref``: frame diagonal)."""
    h, w = shape_hw
    if kind == "blotches":  # rock, foliage, camouflage: patches with sharp-ish edges
        base = 0.65 * lowpass_noise(rng, (h, w), ref / float(rng.uniform(5, 12)))
        base += 0.35 * lowpass_noise(rng, (h, w), ref / float(rng.uniform(20, 40)))
        edges = np.quantile(base, [1 / 3, 2 / 3])
        level = np.digitize(base, edges).astype(np.float32) / 2.0
        level = cv2.GaussianBlur(level, (0, 0), max(ref / 600.0, 0.6))
        rgb = _through_palette(level, colours)
    elif kind == "fibres":  # grass, wood, fabric: noise stretched along one direction
        along = ref / float(rng.uniform(4, 10))
        across = ref / float(rng.uniform(80, 160))
        if rng.random() < 0.5:
            small = rng.random((max(2, round(h / across)), max(2, round(w / along))))
        else:
            small = rng.random((max(2, round(h / along)), max(2, round(w / across))))
        streaks = cv2.resize(small.astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
        streaks = np.clip(streaks, 0, 1)
        broad = lowpass_noise(rng, (h, w), ref / 6.0)
        rgb = _through_palette(np.asarray(0.6 * streaks + 0.4 * broad, np.float32), colours)
    elif kind == "smooth":  # a painted wall, a sky, a studio backdrop
        yy = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None]
        slope = float(rng.uniform(0.3, 0.8))
        t = slope * yy + (1 - slope) * lowpass_noise(rng, (h, w), ref / 3.0)
        rgb = _through_palette(np.asarray(t, np.float32), colours)
        rgb *= (0.95 + 0.1 * lowpass_noise(rng, (h, w), ref / 60.0))[..., None]
    elif kind == "stripes":  # a sunshade, a striped awning, planks
        angle = float(rng.choice([0.0, np.pi / 2])) + float(rng.uniform(-0.2, 0.2))
        period = ref / float(rng.uniform(12, 30))
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        phase = 2 * np.pi * (xx * math.cos(angle) + yy * math.sin(angle)) / period
        band = (np.sin(phase) > 0).astype(np.float32)
        band = cv2.GaussianBlur(band, (0, 0), 0.8)
        rgb = colours[0] + (colours[-1] - colours[0]) * band[..., None]
        rgb *= (0.9 + 0.2 * lowpass_noise(rng, (h, w), ref / 30.0))[..., None]
    else:  # noise_stripes: the fixed suite's background, in this palette's hue
        hsv = cv2.cvtColor(colours[None, :1].astype(np.uint8), cv2.COLOR_RGB2HSV)[0, 0]
        scene = Scene(
            objects=(), bg_scale=float(rng.uniform(0.7, 2.5)), bg_saturation=float(hsv[1])
        )
        return background(rng, (h, w), ref, scene, hue=float(hsv[0]))
    return np.asarray(np.clip(rgb, 0, 255), dtype=np.uint8)


def flat_texture(size: int, hue: float, saturation: float) -> NDArray[np.uint8]:
    """Paint a uniform albedo lit from above (a plain-coloured object)."""
    base = hsv_to_rgb(hue, saturation, 175)
    shade = 0.85 + 0.3 * (1.0 - np.linspace(0.0, 1.0, size, dtype=np.float32))
    tex = base[None, None, :] * shade[:, None, None] * np.ones((1, size, 1), np.float32)
    return np.asarray(np.clip(tex, 0, 255), dtype=np.uint8)


def random_colours(rng: np.random.Generator) -> tuple[NDArray[np.float32], float, float]:
    """Draw a background palette of random hue and muted saturation; return it, hue, sat."""
    hue = float(rng.uniform(0, 180))
    sat = float(rng.uniform(25, 140))
    lo = float(rng.uniform(50, 120))
    hi = lo + float(rng.uniform(40, 110))
    values = (lo, (lo + hi) / 2, hi)
    return palette(rng, hue, sat, values, 25.0), hue, sat
