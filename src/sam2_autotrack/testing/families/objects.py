"""Objects and occluders of a family scene: drawn, placed, and redrawn when one hides another."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.testing.families.motion import curving_path, spin_and_breathe
from sam2_autotrack.testing.families.palettes import palette, texture
from sam2_autotrack.testing.families.scene import Draft, Layer, visible_enough
from sam2_autotrack.testing.families.sprites import PATTERNS, SHAPE_WEIGHTS, SHAPES, sprite

__all__ = ["add_bar", "add_object", "draw_speed", "place_objects"]


def add_object(
    rng: np.random.Generator,
    draft: Draft,
    *,
    area_px: float,
    speed: float,
    start: tuple[float, float] | None = None,
    hue: float | None = None,
    saturation: float | None = None,
    shape: str | None = None,
    pattern: str | None = None,
    brightness: float | None = None,
    anchored: bool = False,
    xs_ys: tuple[NDArray[np.float64], NDArray[np.float64]] | None = None,
    spin_max: float = 1.5,
    breathe: float = 0.06,
    close_to: tuple[float, float] | None = None,
    at: int | None = None,
    role: str | None = None,
) -> Layer:
    """Draw one object (shape, texture, size, motion) and put it in front of the others.

    ``at`` inserts it at that z-index instead; ``close_to=(hue, saturation)`` draws its colour
    near that one; ``breathe`` is the amplitude of its scale's slow oscillation.
    """
    width, height = draft.size_wh
    if shape is None:
        shape = str(rng.choice(SHAPES, p=SHAPE_WEIGHTS / SHAPE_WEIGHTS.sum()))
    if pattern is None:
        pattern = str(rng.choice(PATTERNS))
    if close_to is not None:
        hue = close_to[0] + float(rng.uniform(-8, 8))
        saturation = close_to[1] * float(rng.uniform(0.85, 1.15))
    hue = float(rng.uniform(0, 180)) if hue is None else hue
    saturation = float(rng.uniform(60, 220)) if saturation is None else saturation
    brightness = float(rng.uniform(0.7, 1.15)) if brightness is None else brightness
    rgba, base_scale = sprite(rng, shape, area_px, hue, saturation, pattern, brightness)
    radius = 0.5 * rgba.shape[0] * base_scale
    box = (radius, radius, width - radius, height - radius)
    if start is None:
        start = (float(rng.uniform(box[0], box[2])), float(rng.uniform(box[1], box[3])))
    if xs_ys is None:
        wobble = float(rng.uniform(0.0, 0.02)) * draft.ref
        xs, ys = curving_path(rng, draft.n, start, speed, box, wobble)
        if anchored:  # fixed in the world: moves on screen opposite to the camera
            xs = xs - (draft.cam_x - draft.cam_x[0])
            ys = ys - (draft.cam_y - draft.cam_y[0])
    else:
        xs, ys = xs_ys
    angle, scale = spin_and_breathe(rng, draft.n, base_scale, spin_max, breathe)
    info: dict[str, Any] = {
        "shape": shape,
        "pattern": pattern,
        "area_px": round(area_px, 1),
        "hue": round(hue % 180, 1),
        "saturation": round(saturation, 1),
        "speed_px_per_frame": round(speed, 3),
        "anchored": anchored,
    }
    if role is not None:
        info["role"] = role
    layer = Layer("object", rgba, xs, ys, angle, scale, info)
    draft.layers.insert(len(draft.layers) if at is None else at, layer)
    return layer


def add_bar(rng: np.random.Generator, draft: Draft, *, x: float | None = None) -> Layer:
    """Add a foreground pole (top to bottom) or rail (left to right): occludes, not an object."""
    width, height = draft.size_wh
    vertical = bool(rng.random() < 0.7)
    span = max(width, height) + 8
    size = span + 2
    thick = max(4, round(float(rng.uniform(0.03, 0.07)) * (width if vertical else height)))
    colours = palette(
        rng,
        float(rng.uniform(0, 180)),
        float(rng.uniform(20, 160)),
        (float(rng.uniform(40, 110)), float(rng.uniform(130, 220))),
        10.0,
    )
    tex = texture(rng, (size, size), str(rng.choice(("fibres", "smooth"))), colours, draft.ref)
    alpha = np.zeros((size, size), np.uint8)
    lo = (size - thick) // 2
    alpha[:, lo : lo + thick] = 255
    rgba = np.dstack([tex, alpha])
    if not vertical:
        rgba = np.ascontiguousarray(np.rot90(rgba))
    n = draft.n
    if vertical:
        cx = float(rng.uniform(0.2, 0.8)) * width if x is None else x
        xs, ys = np.full(n, cx), np.full(n, height / 2.0)
    else:
        xs, ys = np.full(n, width / 2.0), np.full(n, float(rng.uniform(0.25, 0.75)) * height)
    xs = xs - (draft.cam_x - draft.cam_x[0])  # the bar stands in the world
    ys = ys - (draft.cam_y - draft.cam_y[0])
    tilt = float(rng.uniform(-4, 4))
    info = {"orientation": "vertical" if vertical else "horizontal", "thickness_px": thick}
    layer = Layer("occluder", rgba, xs, ys, np.full(n, tilt), np.ones(n), info)
    draft.layers.append(layer)
    return layer


def place_objects(
    rng: np.random.Generator,
    draft: Draft,
    count: int,
    *,
    area_frac: tuple[float, float] | None = None,
    area_px: tuple[float, float] | None = None,
    speed: tuple[float, float],
    tries: int = 40,
    **kwargs: Any,
) -> None:
    """Add ``count`` objects, redrawing any that hides (or is hidden by) others at frame 0."""
    for _ in range(count):
        for _attempt in range(tries):
            if area_px is not None:
                area = float(rng.uniform(*area_px))
            else:
                assert area_frac is not None
                area = float(np.exp(rng.uniform(*np.log(area_frac)))) * draft.area
            speed_px = draw_speed(rng, draft, speed)
            layer = add_object(rng, draft, area_px=area, speed=speed_px, **kwargs)
            if visible_enough(draft):
                break
            draft.layers.remove(layer)


def draw_speed(rng: np.random.Generator, draft: Draft, speed: tuple[float, float]) -> float:
    """Draw a speed in px/frame; the range ``speed`` is given for a 1000-px frame diagonal."""
    return float(rng.uniform(*speed)) * draft.ref / 1000.0
