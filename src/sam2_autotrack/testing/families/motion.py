"""Paths and motion of family objects: curving, bouncing paths; spin and breathing scale."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

__all__ = ["curving_path", "spin_and_breathe"]


def _bounce(x: NDArray[np.float64], lo: float, hi: float) -> NDArray[np.float64]:
    """Fold ``x`` into ``[lo, hi]`` by reflection at the ends (a bounce)."""
    span = hi - lo
    if span <= 0:
        return np.full_like(x, (lo + hi) / 2.0)
    y = np.mod(x - lo, 2.0 * span)
    return np.asarray(lo + np.where(y > span, 2.0 * span - y, y), dtype=np.float64)


def curving_path(
    rng: np.random.Generator,
    n: int,
    start: tuple[float, float],
    speed: float,
    box: tuple[float, float, float, float],
    wobble: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Draw a curving path at ``speed`` px/frame from ``start``.

    It bounces inside ``box`` (x0, y0, x1, y1) and carries a sinusoidal ``wobble`` (px) that is
    zero at frame 0.
    """
    t = np.arange(n, dtype=np.float64)
    heading = float(rng.uniform(0, 2 * np.pi)) + float(rng.uniform(-0.04, 0.04)) * t
    steps_x = np.concatenate([[0.0], speed * np.cos(heading[:-1])])
    steps_y = np.concatenate([[0.0], speed * np.sin(heading[:-1])])
    freq = rng.uniform(0.02, 0.08, size=2)
    phase = rng.uniform(0, 2 * np.pi, size=2)
    xs = start[0] + np.cumsum(steps_x)
    ys = start[1] + np.cumsum(steps_y)
    xs += wobble * (np.sin(2 * np.pi * freq[0] * t + phase[0]) - math.sin(phase[0]))
    ys += wobble * (np.sin(2 * np.pi * freq[1] * t + phase[1]) - math.sin(phase[1]))
    return _bounce(xs, box[0], box[2]), _bounce(ys, box[1], box[3])


def spin_and_breathe(
    rng: np.random.Generator, n: int, base_scale: float, spin_max: float, breathe: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Draw a spin (at most ``spin_max`` degrees a frame) and a scale breathing about 1."""
    t = np.arange(n, dtype=np.float64)
    angle = float(rng.uniform(-180, 180)) + float(rng.uniform(-spin_max, spin_max)) * t
    amp = float(rng.uniform(0.0, breathe))
    freq = float(rng.uniform(0.01, 0.04))
    phase = float(rng.uniform(0, 2 * np.pi))
    scale = base_scale * (1.0 + amp * (np.sin(2 * np.pi * freq * t + phase) - math.sin(phase)))
    return angle, scale
