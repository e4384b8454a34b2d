"""Textures for synthetic clips: band-limited noise, object patterns and the backgrounds.

Objects get a two-colour pattern of their hue (stripes, checker, dots or noise) lit from above
(`object_texture`); the background is muted noise with warped stripes
(`background`), large enough for the camera to pan over.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.testing.scene import Scene

__all__ = ["background", "hsv_to_rgb", "lowpass_noise", "object_texture"]


def lowpass_noise(
    rng: np.random.Generator, shape_hw: tuple[int, int], cell: float
) -> NDArray[np.float32]:
    """Return band-limited noise in [0, 1]: a coarse random grid resized with cubic splines.

    Parameters
    ----------
    rng
        The random generator.
    shape_hw
        ``(height, width)`` of the result.
    cell
        Size in pixels of one grid cell (the feature size of the noise).

    Examples
    --------
    >>> import numpy as np
    >>> noise = lowpass_noise(np.random.default_rng(0), (20, 30), 5.0)
    >>> noise.shape, float(noise.min()), float(noise.max())
    ((20, 30), 0.0, 1.0)
    """
    h, w = shape_hw
    gh, gw = max(2, round(h / cell) + 2), max(2, round(w / cell) + 2)
    small = rng.random((gh, gw), dtype=np.float32)
    big = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    lo, hi = float(big.min()), float(big.max())
    return np.asarray((big - lo) / max(hi - lo, 1e-6), dtype=np.float32)


def hsv_to_rgb(h: float, s: float, v: float) -> NDArray[np.float32]:
    """Return one OpenCV HSV colour (hue 0..180, wrapped) as a ``(3,)`` float32 RGB.

    Examples
    --------
    >>> hsv_to_rgb(0, 255, 255).tolist()
    [255.0, 0.0, 0.0]
    """
    px = np.array([[[h % 180, np.clip(s, 0, 255), np.clip(v, 0, 255)]]], np.uint8)
    return np.asarray(cv2.cvtColor(px, cv2.COLOR_HSV2RGB)[0, 0], dtype=np.float32)


def object_texture(
    size: int, hue: float, saturation: float, pattern: str, rng: np.random.Generator
) -> NDArray[np.uint8]:
    """Paint a ``(size, size, 3)`` RGB texture in a two-colour palette of ``hue``."""
    base = hsv_to_rgb(hue, saturation, 200)
    alt = hsv_to_rgb(hue + rng.uniform(-12, 12), saturation * 0.8, 120)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / max(size, 1)
    period = float(rng.uniform(0.12, 0.2))
    if pattern == "stripes":
        angle = rng.uniform(0, np.pi)
        field_ = 0.5 + 0.5 * np.sin(2 * np.pi * (xx * np.cos(angle) + yy * np.sin(angle)) / period)
    elif pattern == "checker":
        field_ = ((np.floor(xx / period) + np.floor(yy / period)) % 2).astype(np.float32)
        field_ = cv2.GaussianBlur(field_, (0, 0), max(size * 0.01, 0.5))
    elif pattern == "dots":
        gx = (xx / period) % 1.0 - 0.5
        gy = (yy / period) % 1.0 - 0.5
        field_ = (gx * gx + gy * gy < 0.09).astype(np.float32)
    else:  # noise
        field_ = lowpass_noise(rng, (size, size), max(size / 6.0, 2.0))
    field_ = 0.65 * field_ + 0.35 * lowpass_noise(rng, (size, size), max(size / 3.0, 2.0))
    shade = 0.85 + 0.3 * (1.0 - yy)  # lit from above
    tex = (alt + (base - alt) * field_[..., None]) * shade[..., None]
    return np.asarray(np.clip(tex, 0, 255), dtype=np.uint8)


def background(
    rng: np.random.Generator,
    shape_hw: tuple[int, int],
    ref: float,
    scene: Scene,
    *,
    hue: float | None = None,
) -> NDArray[np.uint8]:
    """Paint the background: band-limited noise through a muted palette, plus warped stripes.

    Parameters
    ----------
    rng
        The random generator.
    shape_hw
        ``(height, width)`` of the canvas (larger than the frame, for the camera pan).
    ref
        Reference length in pixels (the frame diagonal); feature sizes scale with it.
    scene
        The scene (its ``bg_scale`` and ``bg_saturation`` are used).
    hue
        The palette's first hue (OpenCV units, 0..180); drawn from ``rng`` when ``None`` (the
        fixed suite's backgrounds), given by the synthetic families to match their palettes.

    Returns
    -------
    numpy.ndarray
        ``(height, width, 3)`` uint8 RGB.
    """
    h, w = shape_hw
    coarse = lowpass_noise(rng, (h, w), ref / (6.0 * scene.bg_scale))
    fine = lowpass_noise(rng, (h, w), ref / (25.0 * scene.bg_scale))
    warp = lowpass_noise(rng, (h, w), ref / (3.0 * scene.bg_scale))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    angle = rng.uniform(0, np.pi)
    period = ref / (10.0 * scene.bg_scale)
    stripes = 0.5 + 0.5 * np.sin(
        2 * np.pi * (xx * np.cos(angle) + yy * np.sin(angle)) / period + 6.0 * warp
    )
    hue0 = rng.uniform(0, 180) if hue is None else hue
    colours = np.stack(
        [hsv_to_rgb(hue0 + k * 25, scene.bg_saturation, v) for k, v in enumerate((90, 140, 185))]
    )
    t = coarse[..., None]
    rgb = np.where(
        t < 0.5, colours[0] + (colours[1] - colours[0]) * (2 * t),
        colours[1] + (colours[2] - colours[1]) * (2 * t - 1),
    )  # fmt: skip
    rgb = rgb * (0.8 + 0.25 * fine[..., None]) + 22.0 * (stripes[..., None] - 0.5)
    return np.asarray(np.clip(rgb, 0, 255), dtype=np.uint8)
