"""Training-only distractors for the proposal score: things that move but are not objects.

The families teach the learned proposal score (`calibrate_proposals.py`) what an object is, and
real footage holds two kinds of motion they never show, which a score that trusts motion reads
as objects:

- a **window**: a region that stays put while what is seen through it moves -- the scenery
  behind a car's window, a screen, water (``carphone``: the rear window's moving scenery);
- a **hole**: a still dark region that a moving object enters or leaves, so the frame changes
  there though nothing of it moves (``bigbuckbunny``: the burrow's mouth as the bunny comes out);
- **swaying** texture: a ragged region whose texture ripples in place -- foliage in the wind,
  water (``bigbuckbunny``'s tree once the wind moves it).

`add_distractors` paints one or both into a family clip's background -- only where no object
covers it, so the ground truth stays exact -- and records them among the clip's non-object
``regions``. Clips with distractors only ever add *tuning* rows (seeds below 1000); the
benchmark's families, tuning and held out, are never changed.
"""

from __future__ import annotations

import dataclasses
import math

import cv2
import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.testing import FamilyClip
from sam2_autotrack.testing.textures import lowpass_noise

__all__ = ["STILL_CAMERA_PX", "add_distractors", "still_camera"]

STILL_CAMERA_PX = 0.25
"""Camera speed (px/frame) up to which painting a distractor in frame coordinates is fine."""


def still_camera(clip: FamilyClip) -> bool:
    """Whether the clip's camera moves at most `STILL_CAMERA_PX` per frame."""
    camera = clip.params.get("camera", {})
    return math.hypot(*camera.get("px_per_frame", (0.0, 0.0))) <= STILL_CAMERA_PX


def _blob(
    rng: np.random.Generator,
    size_hw: tuple[int, int],
    centre: tuple[float, float],
    radius: float,
    *,
    rounded_rect: bool,
    ragged: float = 0.25,
) -> NDArray[np.bool_]:
    """Draw a filled ellipse or rounded rectangle around ``centre`` (x, y)."""
    height, width = size_hw
    mask = np.zeros((height, width), np.uint8)
    cx, cy = centre
    aspect = float(rng.uniform(0.6, 1.6))
    rx, ry = radius * math.sqrt(aspect), radius / math.sqrt(aspect)
    if rounded_rect:
        x0, y0 = int(cx - rx), int(cy - ry)
        x1, y1 = int(cx + rx), int(cy + ry)
        corner = max(2, int(0.25 * min(rx, ry)))
        cv2.rectangle(mask, (x0 + corner, y0), (x1 - corner, y1), 1, -1)
        cv2.rectangle(mask, (x0, y0 + corner), (x1, y1 - corner), 1, -1)
        for px, py in (
            (x0 + corner, y0 + corner),
            (x1 - corner, y0 + corner),
            (x0 + corner, y1 - corner),
            (x1 - corner, y1 - corner),
        ):
            cv2.circle(mask, (px, py), corner, 1, -1)
    else:
        angle = float(rng.uniform(0, 180))
        cv2.ellipse(
            mask, (int(cx), int(cy)), (max(2, int(rx)), max(2, int(ry))), angle, 0, 360, 1, -1
        )
        # a ragged outline: a hole's mouth is not a clean ellipse
        wobble = lowpass_noise(rng, (height, width), max(4.0, radius / 3))
        inside = cv2.distanceTransform(mask, cv2.DIST_L2, 3)
        outside = cv2.distanceTransform(1 - mask, cv2.DIST_L2, 3)
        signed = inside - outside
        mask = (signed + ragged * radius * (2 * wobble - 1) > 0).astype(np.uint8)
    return mask > 0


def _window(
    rng: np.random.Generator, objects: NDArray[np.bool_], frames: NDArray[np.uint8]
) -> tuple[NDArray[np.uint8], NDArray[np.bool_]]:
    """Frames with a still window whose inside scrolls; its visible pixels."""
    frames = frames.copy()
    count, height, width = frames.shape[:3]
    radius = float(rng.uniform(0.08, 0.2)) * min(height, width)
    cx = float(rng.uniform(radius, width - radius))
    cy = float(rng.uniform(radius, height - radius))
    inside = _blob(rng, (height, width), (cx, cy), radius, rounded_rect=True)
    frame_px = max(2, round(0.012 * min(height, width)))
    grown = cv2.dilate(inside.view(np.uint8), np.ones((2 * frame_px + 1,) * 2, np.uint8)) > 0
    border = grown & ~inside
    speed = float(rng.uniform(2.0, 7.0))
    heading = float(rng.uniform(0, 2 * math.pi))
    span = math.ceil(speed * count) + 2
    big_h, big_w = height + 2 * span, width + 2 * span
    scenery = np.stack(
        [lowpass_noise(rng, (big_h, big_w), float(rng.uniform(4, 14))) for _ in range(3)], -1
    )
    tint = rng.uniform(60, 230, size=3)
    scenery = np.clip(tint + 110 * (scenery - 0.5), 0, 255).astype(np.float32)
    frame_colour = rng.uniform(20, 200, size=3)
    for t in range(count):
        ox = span + speed * t * math.cos(heading)
        oy = span + speed * t * math.sin(heading)
        shift = np.array([[1.0, 0.0, -ox], [0.0, 1.0, -oy]])
        view = cv2.warpAffine(scenery, shift, (width, height), flags=cv2.INTER_LINEAR)
        free = ~objects[t]
        paint_in = inside & free
        frames[t][paint_in] = np.clip(view[paint_in], 0, 255).astype(np.uint8)
        frames[t][border & free] = frame_colour.astype(np.uint8)
    visible = inside[None] & ~objects
    return frames, visible


def _sway(
    rng: np.random.Generator, objects: NDArray[np.bool_], frames: NDArray[np.uint8]
) -> tuple[NDArray[np.uint8], NDArray[np.bool_]]:
    """Frames with a ragged region whose texture ripples in place; its visible pixels."""
    count, height, width = frames.shape[:3]
    radius = float(rng.uniform(0.1, 0.25)) * min(height, width)
    # ragged, and half of the time cut by a border, as foliage at the frame's edge is
    low = 0.3 * radius if rng.random() < 0.5 else 1.2 * radius
    cx = float(rng.uniform(low, max(low, width - low)))
    cy = float(rng.uniform(low, max(low, height - low)))
    region = _blob(rng, (height, width), (cx, cy), radius, rounded_rect=False, ragged=0.8)
    cell = float(rng.uniform(3, 10))
    base = np.stack([lowpass_noise(rng, (height, width), cell) for _ in range(3)], -1)
    tint = rng.uniform(40, 220, size=3)
    leaves = np.clip(tint + 120 * (base - 0.5), 0, 255).astype(np.float32)
    phase = lowpass_noise(rng, (height, width), max(6.0, radius / 2)) * 2 * math.pi
    amplitude = float(rng.uniform(1.5, 5.0))
    period = float(rng.uniform(8, 25))
    grid_x, grid_y = np.meshgrid(
        np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32)
    )
    heading = float(rng.uniform(0, 2 * math.pi))
    out = frames.copy()
    for t in range(count):
        wave = amplitude * np.sin(2 * math.pi * t / period + phase).astype(np.float32)
        map_x = grid_x + wave * math.cos(heading)
        map_y = grid_y + wave * math.sin(heading)
        view = cv2.remap(leaves, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        paint = region & ~objects[t]
        out[t][paint] = np.clip(view[paint], 0, 255).astype(np.uint8)
    return out, region[None] & ~objects


def _hole(
    clip: FamilyClip,
    rng: np.random.Generator,
    objects: NDArray[np.bool_],
    frames: NDArray[np.uint8],
) -> tuple[NDArray[np.uint8], NDArray[np.bool_]] | None:
    """Frames with a still dark hole on a moving object's path; its visible pixels."""
    count, height, width = frames.shape[:3]
    # (frame-0 area, centre then, centre a third of the clip on) of the objects that move
    moving = []
    for mask in clip.masks.values():
        first, later = mask[0], mask[min(count - 1, max(4, count // 3))]
        if first.any() and later.any():
            a = np.argwhere(first).mean(0)
            b = np.argwhere(later).mean(0)
            if float(np.hypot(*(b - a))) >= 4.0:
                moving.append((np.count_nonzero(first), a, b))
    if not moving:
        return None
    area, (y0, x0), (y1, x1) = moving[int(rng.integers(len(moving)))]
    size = math.sqrt(float(area))
    # centred between where the object is and where it goes: it is covered, then uncovered
    f = float(rng.uniform(0.3, 0.9))
    centre = (x0 + f * (x1 - x0), y0 + f * (y1 - y0))
    radius = float(rng.uniform(0.6, 1.3)) * size
    hole = _blob(rng, (height, width), centre, radius, rounded_rect=False)
    if not hole.any():
        return None
    depth = float(rng.uniform(0.15, 0.45))
    shade = lowpass_noise(rng, (height, width), max(3.0, radius / 3))
    out = frames.copy()
    for t in range(count):
        paint = hole & ~objects[t]
        dark = out[t][paint].astype(np.float32) * (depth * (0.8 + 0.4 * shade[paint]))[:, None]
        out[t][paint] = np.clip(dark, 0, 255).astype(np.uint8)
    return out, hole[None] & ~objects


def add_distractors(clip: FamilyClip, rng: np.random.Generator | int | None = None) -> FamilyClip:
    """Return ``clip`` with a window or swaying texture, a hole, or one of each painted in.

    Parameters
    ----------
    clip
        A family clip (not modified).
    rng
        Randomness of the draw: which distractors, where, how they look.

    Returns
    -------
    FamilyClip
        The same objects and masks, new frames, the distractors' visible pixels added to
        ``regions`` (``window_1``, ``sway_1``, ``hole_1``) and to ``params["distractors"]``.

    Raises
    ------
    ValueError
        When the clip's camera moves (a slow drift is fine): the distractors are painted in
        frame coordinates, so they would move with the camera -- like an object it follows,
        not like a still region.
    """
    if not still_camera(clip):
        raise ValueError(
            f"add_distractors needs a still camera (at most {STILL_CAMERA_PX} px/frame); "
            f"{clip.name}'s camera moves: {clip.params.get('camera')}"
        )
    gen = np.random.default_rng(rng)
    # what is in front of the background: the objects and the foreground bars
    objects = np.zeros(clip.frames.shape[:3], bool)
    for mask in clip.masks.values():
        objects |= np.asarray(mask, bool)
    for name, mask in clip.regions.items():
        if name.startswith("bar_"):
            objects |= np.asarray(mask, bool)
    kinds = (("window",), ("sway",), ("hole",), ("window", "hole"), ("sway", "hole"))[
        int(gen.integers(5))
    ]
    frames = clip.frames
    regions = dict(clip.regions)
    drawn: list[str] = []
    if "window" in kinds:
        frames, visible = _window(gen, objects, frames)
        regions["window_1"] = visible
        drawn.append("window")
    if "sway" in kinds:
        frames, visible = _sway(gen, objects, frames)
        regions["sway_1"] = visible
        drawn.append("sway")
    if "hole" in kinds:
        made = _hole(clip, gen, objects, frames)
        if made is not None:
            frames, visible = made
            regions["hole_1"] = visible
            drawn.append("hole")
    params = {**clip.params, "distractors": drawn}
    return dataclasses.replace(
        clip, frames=frames, regions=regions, params=params, name=f"{clip.name}_d", files=None
    )
