"""Background regions (floors, backdrops, panels, corner walls, pillars, bands): not objects.

Each touches only its own image borders (`REGION_KINDS`) and is painted into the world
canvas with a texture of its own (`add_region`).
"""

from __future__ import annotations

from typing import Literal

import cv2
import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.testing.families.palettes import palette, texture
from sam2_autotrack.testing.families.scene import Draft

__all__ = ["REGION_KINDS", "Border", "add_region"]

Border = Literal["top", "bottom", "left", "right"]


# The borders each region kind touches (see the family notes).
REGION_KINDS: dict[str, tuple[Border, ...]] = {
    "floor": ("bottom",),
    "backdrop": ("top",),
    "side_panel": ("left",),  # mirrored to the right at random
    "corner_wall": ("left", "bottom"),  # any two adjacent borders
    "pillar": ("top", "bottom"),
    "band": ("left", "right"),
}


def _region_polygon(
    rng: np.random.Generator, kind: str, size_wh: tuple[int, int], margin: float, out: float
) -> tuple[NDArray[np.float64], tuple[Border, ...]]:
    """Polygon (frame pixels) of a background region touching only its own borders.

    It reaches ``out`` pixels past each border it touches and stays ``margin`` pixels inside the
    others.
    """
    w, h = size_wh
    u = rng.uniform
    m = margin
    if kind == "floor":
        top = float(u(0.5, 0.78)) * h
        tilt = float(u(-0.06, 0.06)) * h
        xl_t, xr_t = float(u(0.12, 0.35)) * w, float(u(0.65, 0.88)) * w
        xl_b, xr_b = max(m, xl_t - float(u(0, 0.1)) * w), min(w - m, xr_t + float(u(0, 0.1)) * w)
        xs = np.linspace(xl_t, xr_t, 12)
        ys = top + tilt * (xs - w / 2) / w + float(u(0.0, 0.02)) * h * np.sin(xs / w * 9.0)
        pts = [*zip(xs, ys, strict=True), (xr_b, h + out), (xl_b, h + out)]
        borders: tuple[Border, ...] = ("bottom",)
    elif kind == "backdrop":
        bottom = float(u(0.2, 0.45)) * h
        # a camera that travels far widens the margin past 0.3 of the width: no room to draw
        xl = float(u(min(m / w, 0.3), 0.3)) * w
        xr = float(u(0.7, max(1 - m / w, 0.7))) * w
        xs = np.linspace(xr, xl, 40)
        scallop = float(u(0.02, 0.06)) * h
        period = float(u(0.08, 0.2)) * w
        ys = bottom + scallop * np.abs(np.sin(np.pi * (xs - xl) / period))
        pts = [(xl, -out), (xr, -out), *zip(xs, ys, strict=True)]
        borders = ("top",)
    elif kind == "side_panel":
        x_in = float(u(0.15, 0.35)) * w
        y0, y1 = float(u(0.08, 0.3)) * h, float(u(0.65, 0.92)) * h
        y0, y1 = max(y0, m), min(y1, h - m)
        slant = float(u(-0.05, 0.05)) * w
        pts = [(-out, y0), (x_in + slant, y0), (x_in - slant, y1), (-out, y1)]
        borders = ("left",)
    elif kind == "corner_wall":
        x_in = float(u(0.2, 0.45)) * w
        y_top = float(u(0.3, 0.6)) * h
        drop = float(u(-0.15, 0.15)) * h
        pts = [(-out, y_top), (x_in, y_top + drop), (x_in, h + out), (-out, h + out)]
        borders = ("left", "bottom")
    elif kind == "pillar":
        x0 = float(u(0.15, 0.75)) * w
        width = float(u(0.06, 0.18)) * w
        lean = float(u(-0.04, 0.04)) * w
        pts = [
            (x0 + lean, -out),
            (x0 + width + lean, -out),
            (x0 + width - lean, h + out),
            (x0 - lean, h + out),
        ]
        borders = ("top", "bottom")
    else:  # band
        y0 = float(u(0.15, 0.7)) * h
        height = float(u(0.06, 0.2)) * h
        tilt = float(u(-0.05, 0.05)) * h
        pts = [
            (-out, y0 - tilt),
            (w + out, y0 + tilt),
            (w + out, y0 + height + tilt),
            (-out, y0 + height - tilt),
        ]
        borders = ("left", "right")
    poly = np.array(pts, np.float64)
    # Mirror at random so every border (or pair of adjacent borders) occurs.
    if rng.random() < 0.5 and kind in ("side_panel", "corner_wall", "pillar", "floor", "backdrop"):
        poly[:, 0] = w - poly[:, 0]
        borders = tuple({"left": "right", "right": "left"}.get(b, b) for b in borders)  # type: ignore[misc]
    if kind == "corner_wall" and rng.random() < 0.5:
        poly[:, 1] = h - poly[:, 1]
        borders = tuple({"top": "bottom", "bottom": "top"}.get(b, b) for b in borders)  # type: ignore[misc]
    return poly, borders


def add_region(rng: np.random.Generator, draft: Draft, kind: str, index: int) -> bool:
    """Paint one background region into the world canvas; ``False`` if it would overlap one."""
    width, height = draft.size_wh
    travel = max(
        float(draft.cam_x.max() - draft.cam_x.min()), float(draft.cam_y.max() - draft.cam_y.min())
    )
    margin = 0.06 * min(width, height) + travel + 2
    out = travel + 8
    poly, borders = _region_polygon(rng, kind, draft.size_wh, margin, out)
    canvas_h, canvas_w = draft.canvas.shape[:2]
    mask = np.zeros((canvas_h, canvas_w), np.uint8)
    offset = np.array([draft.cam_x[0], draft.cam_y[0]])
    pts = np.round((poly + offset) * 16).astype(np.int32)
    cv2.fillPoly(mask, [pts], 1, lineType=cv2.LINE_8, shift=4)
    region = mask.astype(bool)
    if any((region & other).any() for other in draft.region_masks.values()):
        return False
    frame_part = region[
        round(offset[1]) : round(offset[1]) + height, round(offset[0]) : round(offset[0]) + width
    ]
    fraction = float(frame_part.mean())
    if not 0.03 <= fraction <= 0.4:
        return False
    hue = float(rng.uniform(0, 180))
    values = (float(rng.uniform(40, 120)), float(rng.uniform(130, 230)))
    colours = palette(rng, hue, float(rng.uniform(20, 200)), values, 8.0)
    kind_tex = str(rng.choice(("stripes", "fibres", "blotches", "smooth")))
    tex = texture(rng, (canvas_h, canvas_w), kind_tex, colours, draft.ref)
    draft.canvas[region] = tex[region]
    name = f"{kind}_{index}"
    draft.region_masks[name] = region
    draft.params.setdefault("regions", []).append(
        {
            "id": name,
            "kind": kind,
            "borders": list(borders),
            "texture": kind_tex,
            "area_fraction": round(fraction, 4),
        }
    )
    return True
