"""The description of a synthetic scene: objects, their paths, camera pan, lighting and noise.

A `Scene` lists `SceneObject` s back to front; each object follows
`Waypoints` through normalised clip time ``u`` in [0, 1] with `follow` (smoothstep
between waypoints, so motion has no jumps). The named scenes are in
`sam2_autotrack.testing.suite`; `sam2_autotrack.testing.render.render` draws them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "Scene",
    "SceneObject",
    "Waypoints",
    "disk_radius_frac",
    "follow",
    "jitter",
    "smoothstep",
]

Waypoints = tuple[tuple[float, float, float], ...]
"""``((u, x, y), ...)``: normalised time ``u`` in [0, 1] and position as fractions of W and H."""


@dataclass(frozen=True)
class SceneObject:
    """One object of a scene: its silhouette, size, path, colours and how it turns and breathes.

    Parameters
    ----------
    shape
        A name from `SHAPES`.
    area_frac
        Fraction of the frame area the object covers at frame 0 (scale 1).
    path
        Where its centre goes over the clip.
    hue
        OpenCV hue, 0..180.
    pattern
        ``"stripes"``, ``"checker"``, ``"dots"`` or ``"noise"``.
    rotate_deg
        Total rotation over the clip, in degrees.
    scale_amp
        Amplitude of the slow size change (0.06: ±6 %).
    wobble
        Amplitude of the small random-looking sway, as a fraction of the frame size.
    saturation
        Colour saturation of the texture, 0..255.
    """

    shape: str
    area_frac: float  # fraction of the frame area at frame 0 (scale 1)
    path: Waypoints
    hue: float  # 0..180 (OpenCV hue)
    pattern: str
    rotate_deg: float = 20.0  # total rotation over the clip
    scale_amp: float = 0.06
    wobble: float = 0.01  # fraction of the frame size
    saturation: float = 170.0


@dataclass(frozen=True)
class Scene:
    """A whole scene: objects back to front, camera pan, lighting drift and sensor noise.

    Parameters
    ----------
    objects
        The objects, back to front (later ones occlude earlier ones).
    pan_xy
        Camera travel over the clip, as fractions of W and H.
    light_amp
        Amplitude of the global gain drift.
    light_grad
        Amplitude of the left-right lighting gradient drift.
    noise_sigma
        Standard deviation of the Gaussian sensor noise, in 8-bit levels.
    bg_scale
        Background texture scale; above 1 the texture is finer.
    bg_saturation
        Colour saturation of the background, 0..255.
    """

    objects: tuple[SceneObject, ...]  # back to front
    pan_xy: tuple[float, float] = (0.08, 0.03)  # camera travel as fractions of W and H
    light_amp: float = 0.06
    light_grad: float = 0.10
    noise_sigma: float = 2.5
    bg_scale: float = 1.0  # >1 → finer background texture
    bg_saturation: float = 60.0


def smoothstep(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """Ease from 0 to 1 with zero slope at both ends (``3x² - 2x³``, ``x`` clipped to [0, 1]).

    Examples
    --------
    >>> import numpy as np
    >>> smoothstep(np.array([-1.0, 0.0, 0.5, 1.0, 2.0])).tolist()
    [0.0, 0.0, 0.5, 1.0, 1.0]
    """
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def follow(path: Waypoints, u: NDArray[np.float64]) -> tuple[NDArray[np.float64], ...]:
    """Return the positions along ``path`` at times ``u``: smoothstep between waypoints (C1).

    Parameters
    ----------
    path
        The waypoints, in increasing ``u``.
    u
        Normalised times in [0, 1].

    Returns
    -------
    tuple of numpy.ndarray
        ``(xs, ys)`` as fractions of W and H, shaped like ``u``.

    Examples
    --------
    >>> import numpy as np
    >>> xs, ys = follow(((0.0, 0.2, 0.5), (1.0, 0.8, 0.5)), np.array([0.0, 0.5, 1.0]))
    >>> [round(float(x), 6) for x in xs], ys.tolist()
    ([0.2, 0.5, 0.8], [0.5, 0.5, 0.5])
    """
    knots = np.array([p[0] for p in path], dtype=np.float64)
    xs = np.array([p[1] for p in path], dtype=np.float64)
    ys = np.array([p[2] for p in path], dtype=np.float64)
    if len(path) == 1:
        return np.full_like(u, xs[0]), np.full_like(u, ys[0])
    seg = np.clip(np.searchsorted(knots, u, side="right") - 1, 0, len(path) - 2)
    local = smoothstep((u - knots[seg]) / np.maximum(knots[seg + 1] - knots[seg], 1e-9))
    return xs[seg] + (xs[seg + 1] - xs[seg]) * local, ys[seg] + (ys[seg + 1] - ys[seg]) * local


def jitter(rng: np.random.Generator, path: Waypoints, amount: float) -> Waypoints:
    """Return ``path`` with each waypoint moved by up to ``amount`` in x and y (same times)."""
    out = []
    for u, x, y in path:
        dx, dy = rng.uniform(-amount, amount, size=2)
        out.append((u, x + float(dx), y + float(dy)))
    return tuple(out)


def disk_radius_frac(area_frac: float, size_wh: tuple[int, int]) -> tuple[float, float]:
    """Return the radius of a disk covering ``area_frac`` of the frame, as fractions of (W, H)."""
    width, height = size_wh
    radius_px = math.sqrt(area_frac * width * height / math.pi)
    return radius_px / width, radius_px / height
