"""The families: one builder per difficulty (see `sam2_autotrack.testing.families`)."""

from __future__ import annotations

import math
from typing import Any

import cv2
import numpy as np

from sam2_autotrack.errors import SyntheticClipError
from sam2_autotrack.testing.families.objects import add_bar, add_object, draw_speed, place_objects
from sam2_autotrack.testing.families.palettes import palette, random_colours
from sam2_autotrack.testing.families.regions import REGION_KINDS, add_region
from sam2_autotrack.testing.families.scene import (
    Draft,
    FamilyScene,
    Layer,
    draw_size,
    draw_world,
    finish,
    layer_mask,
    visible_enough,
)
from sam2_autotrack.testing.families.sprites import PATTERNS, any_shape_mask, sprite

__all__ = ["BUILDERS", "FAMILIES"]

FAMILIES: tuple[str, ...] = (
    "textured_bg",
    "walls_floor",
    "tiny",
    "closeup",
    "pan",
    "occlusion",
    "mixed",
    "still",
)
"""Family names accepted by `make_family_clip` (see the module notes)."""


_BG_KINDS = ("noise_stripes", "blotches", "fibres", "smooth")


def _family_textured_bg(rng: np.random.Generator, n: int) -> FamilyScene:
    size = draw_size(rng)
    hue = float(rng.uniform(0, 180))
    sat = float(rng.uniform(50, 170))
    bright = float(rng.uniform(0.8, 1.05))
    # The objects' textures span brightness 120..200 (times `bright`): the background does too.
    values = tuple(float(v) * bright + float(rng.uniform(-12, 12)) for v in (125, 160, 195))
    colours = palette(rng, hue, sat, values, 6.0)
    kind = str(rng.choice(("blotches", "fibres", "stripes")))
    drift = float(rng.uniform(0, 0.6)) if rng.random() < 0.5 else 0.0
    draft = draw_world(rng, size, n, colours=colours, kind=kind, drift=drift)
    count = int(rng.integers(1, 6))
    place_objects(
        rng,
        draft,
        count,
        area_frac=(0.008, 0.06),
        speed=(0.5, 3.5),
        brightness=bright,
        close_to=(hue, sat),
    )
    draft.params["background"].update({"hue": round(hue, 1), "saturation": round(sat, 1)})
    return finish(rng, draft)


def _plain_world(rng: np.random.Generator, n: int) -> Draft:
    """Draw a world of random size, colours and texture, with a slow drift half the time."""
    size = draw_size(rng)
    colours, _, _ = random_colours(rng)
    kind = str(rng.choice(_BG_KINDS))
    drift = float(rng.uniform(0, 0.3)) if rng.random() < 0.5 else 0.0
    draft = draw_world(rng, size, n, colours=colours, kind=kind, drift=drift)
    return draft


def _family_walls_floor(rng: np.random.Generator, n: int) -> FamilyScene:
    draft = _plain_world(rng, n)
    wanted = 1 if rng.random() < 0.5 else 2
    index = 1
    for _ in range(30):
        if index > wanted:
            break
        region_kind = str(rng.choice(list(REGION_KINDS)))
        if add_region(rng, draft, region_kind, index):
            index += 1
    count = int(rng.integers(1, 5))
    place_objects(rng, draft, count, area_frac=(0.008, 0.05), speed=(0.5, 3.0))
    return finish(rng, draft)


def _family_tiny(rng: np.random.Generator, n: int) -> FamilyScene:
    size = (320, 240)
    colours, _, _ = random_colours(rng)
    kind = str(rng.choice(_BG_KINDS))
    drift = float(rng.uniform(0, 0.3)) if rng.random() < 0.4 else 0.0
    draft = draw_world(rng, size, n, colours=colours, kind=kind, drift=drift)
    count = int(rng.integers(2, 7))
    place_objects(rng, draft, count, area_px=(175.0, 225.0), speed=(0.8, 4.0), spin_max=3.0)
    return finish(rng, draft, noise_max=4.0)


def _family_closeup(rng: np.random.Generator, n: int) -> FamilyScene:
    size = draw_size(rng)
    width, height = size
    colours, _, _ = random_colours(rng)
    kind = str(rng.choice(_BG_KINDS))
    draft = draw_world(rng, size, n, colours=colours, kind=kind, drift=0.0)
    shape = "head_shoulders" if rng.random() < 0.6 else "blob"
    for _attempt in range(80):
        subject = _closeup_subject(rng, draft, shape)
        if subject is not None:
            break
    else:  # pragma: no cover - the draws above succeed within a few attempts
        raise SyntheticClipError("could not place a close-up subject")
    draft.layers.append(subject)
    if rng.random() < 0.6:  # a smaller object, in front of or behind the subject
        for _attempt in range(40):
            corner_x = float(rng.choice([0.14, 0.86])) * width
            start = (
                corner_x + float(rng.uniform(-0.06, 0.06)) * width,
                float(rng.uniform(0.15, 0.35)) * height,
            )
            area = float(rng.uniform(0.008, 0.03)) * draft.area
            behind = bool(rng.random() < 0.4)
            small = add_object(
                rng,
                draft,
                area_px=area,
                speed=draw_speed(rng, draft, (0.3, 2.0)),
                start=start,
                at=0 if behind else None,
            )
            if visible_enough(draft):
                break
            draft.layers.remove(small)
    return finish(rng, draft)


def _closeup_subject(rng: np.random.Generator, draft: Draft, shape: str) -> Layer | None:
    """Draw a close-up subject swaying a little, cut by the bottom border.

    Returns ``None`` when the drawn subject covers 32 % of the frame or less, misses the bottom
    border, or comes within 3 px of another border, on some frame.
    """
    width, height = draft.size_wh
    n = draft.n
    shape_seed = int(rng.integers(1 << 32))
    unit = any_shape_mask(shape, 256, np.random.default_rng(shape_seed))
    rows = np.flatnonzero(unit.any(axis=1)) / 256.0
    cols = np.flatnonzero(unit.any(axis=0)) / 256.0
    top_f, bottom_f, width_f = float(rows[0]), float(rows[-1]), float(cols[-1] - cols[0])
    top = float(rng.uniform(0.04, 0.2)) * height
    largest = 0.92 * width / width_f  # as wide as fits with a margin on both sides
    smallest = 1.1 * (height - top) / (bottom_f - top_f)  # the bottom border cuts it
    if smallest > largest:
        return None
    size = round(float(rng.uniform(max(smallest, 0.75 * largest), largest)))
    t = np.arange(n, dtype=np.float64)
    sway = float(rng.uniform(0.005, 0.03)) * width
    phase = float(rng.uniform(0, 2 * np.pi))
    freq = float(rng.uniform(0.01, 0.04))
    centre_f = float(cols[0] + cols[-1]) / 2.0  # the outline's centre within the sprite
    cx = width / 2.0 + float(rng.uniform(-0.08, 0.08)) * width + (0.5 - centre_f) * size
    xs = cx + sway * (np.sin(2 * np.pi * freq * t + phase) - math.sin(phase))
    cy = top + (0.5 - top_f) * size
    ys = cy + float(rng.uniform(0.0, 0.01)) * height * np.sin(2 * np.pi * 1.3 * freq * t)
    angle = float(rng.uniform(-3, 3)) + float(rng.uniform(-0.05, 0.05)) * t
    scale = 1.0 + float(rng.uniform(0, 0.03)) * (
        np.sin(2 * np.pi * freq * t + phase) - math.sin(phase)
    )
    # Geometry first, on the outline alone: every frame's extent (to a pixel), then the area on
    # a few frames with a margin over the 30 % the family promises.
    mask = any_shape_mask(shape, size, np.random.default_rng(shape_seed))
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    outline = np.vstack([c.reshape(-1, 2) for c in contours]).astype(np.float64)
    for k in range(n):
        m = cv2.getRotationMatrix2D((size / 2.0, size / 2.0), float(angle[k]), float(scale[k]))
        moved = outline @ m[:, :2].T + m[:, 2] + np.array([xs[k] - size / 2.0, ys[k] - size / 2.0])
        lo, hi = moved.min(axis=0), moved.max(axis=0)
        if lo[0] < 3 or hi[0] > width - 4 or lo[1] < 3 or hi[1] < height + 3:
            return None
    shape_only = Layer("object", np.dstack([np.zeros((size, size, 3), np.uint8), mask * 255]),
                        xs, ys, angle, scale)  # fmt: skip
    areas = [float(layer_mask(shape_only, k, draft.size_wh).mean()) for k in range(0, n, 8)]
    if min(areas) <= 0.32:
        return None
    hue = float(rng.uniform(0, 180))
    sat = float(rng.uniform(30, 200))
    pattern = str(rng.choice(PATTERNS))
    rgba, _ = sprite(rng, shape, 1.0, hue, sat, pattern, size=size, shape_seed=shape_seed)
    info = {
        "shape": shape,
        "pattern": pattern,
        "area_px": round(areas[0] * draft.area),
        "area_fraction": round(areas[0], 4),
        "hue": round(hue, 1),
        "saturation": round(sat, 1),
        "speed_px_per_frame": round(2 * np.pi * freq * sway, 3),
        "anchored": False,
        "role": "closeup_subject",
    }
    return Layer("object", rgba, xs, ys, angle, scale, info)


def _family_pan(rng: np.random.Generator, n: int) -> FamilyScene:
    size = draw_size(rng)
    colours, _, _ = random_colours(rng)
    kind = str(rng.choice(_BG_KINDS))
    pan = float(rng.uniform(3.5, 10.0)) * size[0] / 854.0
    draft = draw_world(rng, size, n, colours=colours, kind=kind, pan_speed=pan)
    width, height = size
    travel_x = float(draft.cam_x[-1] - draft.cam_x[0])
    count = int(rng.integers(1, 6))
    for _ in range(count):
        for _attempt in range(40):
            anchored = bool(rng.random() < 0.5)
            area = float(np.exp(rng.uniform(np.log(0.008), np.log(0.05)))) * draft.area
            if anchored:  # start where the pan keeps it in view
                radius = math.sqrt(area / np.pi) * 1.4
                lo = radius + max(0.0, travel_x)
                hi = width - radius + min(0.0, travel_x)
                if hi <= lo:
                    lo, hi = radius, width - radius
                start = (float(rng.uniform(lo, hi)), float(rng.uniform(radius, height - radius)))
                speed = draw_speed(rng, draft, (0.0, 0.8))
            else:
                start, speed = None, draw_speed(rng, draft, (0.5, 3.0))
            layer = add_object(
                rng, draft, area_px=area, speed=speed, start=start, anchored=anchored
            )
            if visible_enough(draft):
                break
            draft.layers.remove(layer)
    return finish(rng, draft)


def _family_occlusion(rng: np.random.Generator, n: int) -> FamilyScene:
    size = draw_size(rng)
    width, height = size
    colours, _, _ = random_colours(rng)
    kind = str(rng.choice(_BG_KINDS))
    draft = draw_world(rng, size, n, colours=colours, kind=kind, drift=0.0)
    # A crossing pair: `mover` passes over or under `anchor` around mid-clip.
    for _attempt in range(60):
        area_a = float(rng.uniform(0.015, 0.05)) * draft.area
        area_b = float(rng.uniform(0.01, 0.04)) * draft.area
        ra, rb = math.sqrt(area_a / np.pi), math.sqrt(area_b / np.pi)
        anchor_pos = (
            float(rng.uniform(0.35, 0.65)) * width,
            float(rng.uniform(0.35, 0.65)) * height,
        )
        heading = float(rng.uniform(-0.5, 0.5)) + (np.pi if rng.random() < 0.5 else 0.0)
        t_cross = float(rng.uniform(0.35, 0.6)) * (n - 1)
        distance = (ra + rb) * float(rng.uniform(1.4, 2.2))
        speed = distance / t_cross
        t = np.arange(n, dtype=np.float64)
        xs_b = anchor_pos[0] + (t - t_cross) * speed * math.cos(heading)
        ys_b = anchor_pos[1] + (t - t_cross) * speed * math.sin(heading)
        inside = (
            xs_b.min() > rb
            and xs_b.max() < width - rb
            and ys_b.min() > rb
            and ys_b.max() < height - rb
        )
        if inside:
            break
    mover_in_front = bool(rng.random() < 0.5)
    order = [("anchor", area_a), ("mover", area_b)]
    if not mover_in_front:
        order.reverse()
    for role, area in order:
        if role == "anchor":
            add_object(
                rng,
                draft,
                area_px=area,
                speed=draw_speed(rng, draft, (0.0, 0.4)),
                start=anchor_pos,
                role=role,
            )
        else:
            add_object(
                rng, draft, area_px=area, speed=speed, xs_ys=(xs_b, ys_b), spin_max=1.0, role=role
            )
    others = int(rng.integers(0, 3))
    place_objects(rng, draft, others, area_frac=(0.008, 0.04), speed=(0.5, 3.0))
    if rng.random() < 0.8:  # a bar the mover passes behind, away from where it starts
        x_bar = float(xs_b[int(rng.integers(n // 2, n))])
        for _attempt in range(20):
            bar = add_bar(rng, draft, x=min(max(x_bar, 0.1 * width), 0.9 * width))
            if visible_enough(draft):
                break
            draft.layers.remove(bar)
            x_bar = float(rng.uniform(0.15, 0.85)) * width
    return finish(rng, draft)


def _family_mixed(rng: np.random.Generator, n: int) -> FamilyScene:
    size = draw_size(rng)
    colours, hue, sat = random_colours(rng)
    kind = str(rng.choice(_BG_KINDS))
    pan = float(rng.uniform(2.0, 8.0)) * size[0] / 854.0 if rng.random() < 0.35 else 0.0
    drift = float(rng.uniform(0, 0.5)) if pan == 0 and rng.random() < 0.5 else 0.0
    draft = draw_world(rng, size, n, colours=colours, kind=kind, pan_speed=pan, drift=drift)
    if rng.random() < 0.4:
        for _ in range(10):
            if add_region(rng, draft, str(rng.choice(list(REGION_KINDS))), 1):
                break
    count = int(rng.integers(1, 7))
    close = rng.random() < 0.3
    extra: dict[str, Any] = {"close_to": (hue, sat)} if close else {}
    place_objects(rng, draft, count, area_frac=(0.003, 0.08), speed=(0.3, 4.0), **extra)
    if rng.random() < 0.3:
        bar = add_bar(rng, draft)
        if not visible_enough(draft):
            draft.layers.remove(bar)
    return finish(rng, draft)


def _family_still(rng: np.random.Generator, n: int) -> FamilyScene:
    # Still objects among moving ones (a parked car beside passing traffic): an engine that
    # takes whatever stays put for background misses them.
    draft = _plain_world(rng, n)
    width, height = draft.size_wh
    for _ in range(int(rng.integers(1, 4))):
        for _attempt in range(40):
            area = float(np.exp(rng.uniform(np.log(0.008), np.log(0.05)))) * draft.area
            radius = math.sqrt(area / math.pi) * 1.3
            x = float(rng.uniform(radius, width - radius))
            y = float(rng.uniform(radius, height - radius))
            layer = add_object(
                rng,
                draft,
                area_px=area,
                speed=0.0,
                xs_ys=(np.full(n, x), np.full(n, y)),
                spin_max=0.0,
                breathe=0.0,
                role="still",
            )
            if visible_enough(draft):
                break
            draft.layers.remove(layer)
    place_objects(rng, draft, int(rng.integers(1, 4)), area_frac=(0.008, 0.05), speed=(0.5, 3.0))
    return finish(rng, draft)


BUILDERS = {
    "textured_bg": _family_textured_bg,
    "walls_floor": _family_walls_floor,
    "tiny": _family_tiny,
    "closeup": _family_closeup,
    "pan": _family_pan,
    "occlusion": _family_occlusion,
    "mixed": _family_mixed,
    "still": _family_still,
}
