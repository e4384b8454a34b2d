"""A family scene being drawn: the world canvas, the camera, the layers, the lighting.

`Draft` is the scene under construction (`draw_world` starts it; objects, occluders
and regions are added by `objects` and
`regions`); `finish` draws the lighting and noise and
freezes it into a `FamilyScene` of named `Layer` s. `visible_enough` checks
that no object hides another on frame 0.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.testing.families.palettes import texture
from sam2_autotrack.testing.render import paste

__all__ = [
    "FPS",
    "HORIZON",
    "RESOLUTIONS",
    "Draft",
    "FamilyScene",
    "Layer",
    "draw_size",
    "draw_world",
    "finish",
    "layer_mask",
    "visible_enough",
]

RESOLUTIONS: tuple[tuple[int, int], ...] = ((320, 240), (640, 360), (854, 480))
"""``(width, height)`` frame sizes a family draws from (``tiny`` always uses 320×240)."""


HORIZON = 48  # frames every random draw is made for; longer clips continue the same motion


FPS = 25.0


@dataclass(frozen=True, eq=False)
class Layer:
    """One sprite composited over the background: an object or a foreground occluder.

    Layers compare by identity. ``name`` is given when the scene is finished (objects become
    ``gt_1..gt_k`` back to front, occluders ``bar_1..``); ``info`` is what was drawn.
    """

    kind: Literal["object", "occluder"]
    rgba: NDArray[np.uint8]  # (S, S, 4): texture + alpha (the shape)
    xs: NDArray[np.float64]  # (n,) centre in frame pixels
    ys: NDArray[np.float64]
    angle: NDArray[np.float64]  # degrees
    scale: NDArray[np.float64]
    info: Mapping[str, Any] = field(default_factory=dict)
    name: str = ""


@dataclass(frozen=True)
class FamilyScene:
    """A drawn clip: world canvas, camera path, layers (back to front), lighting, noise."""

    size_wh: tuple[int, int]
    frame_count: int
    canvas: NDArray[np.uint8]  # (Hc, Wc, 3) world background, regions painted in
    region_masks: Mapping[str, NDArray[np.bool_]]  # (Hc, Wc) per background region
    cam_x: NDArray[np.float64]  # (n,) top-left of the view in canvas pixels
    cam_y: NDArray[np.float64]
    layers: tuple[Layer, ...]
    gain: NDArray[np.float64]  # (n,) global gain
    grad_x: NDArray[np.float64]  # (n,) relative left-right gradient
    grad_y: NDArray[np.float64]
    noise: NDArray[np.float32]  # (H + m, W + m, 3) sensor-noise tile
    noise_offsets: NDArray[np.int64]  # (n, 2) per-frame offsets into the tile
    params: Mapping[str, Any]


@dataclass
class Draft:
    """A scene under construction (mutable; frozen into a `FamilyScene` at the end)."""

    size_wh: tuple[int, int]
    n: int
    canvas: NDArray[np.uint8]
    cam_x: NDArray[np.float64]
    cam_y: NDArray[np.float64]
    region_masks: dict[str, NDArray[np.bool_]] = field(default_factory=dict)
    layers: list[Layer] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def ref(self) -> float:
        """The frame diagonal, in pixels (feature sizes scale with it)."""
        return math.hypot(*self.size_wh)

    @property
    def area(self) -> int:
        """Pixels of a frame."""
        return self.size_wh[0] * self.size_wh[1]


def draw_size(rng: np.random.Generator) -> tuple[int, int]:
    """Draw a frame size among `RESOLUTIONS`."""
    return RESOLUTIONS[int(rng.integers(len(RESOLUTIONS)))]


def draw_world(
    rng: np.random.Generator,
    size_wh: tuple[int, int],
    n: int,
    *,
    colours: NDArray[np.float32],
    kind: str,
    pan_speed: float = 0.0,
    drift: float = 0.0,
) -> Draft:
    """Draw the background canvas and the camera path.

    The camera pans at ``pan_speed`` px/frame (mostly horizontally), or drifts slowly at ``drift``
    px/frame in a random direction, or stands still.
    """
    width, height = size_wh
    t = np.arange(n, dtype=np.float64)
    if pan_speed > 0:
        heading = float(rng.uniform(-0.35, 0.35)) + (np.pi if rng.random() < 0.5 else 0.0)
        bob = float(rng.uniform(0.0, 0.01)) * height
        dx = pan_speed * math.cos(heading) * t
        dy = pan_speed * math.sin(heading) * t + bob * np.sin(2 * np.pi * t / n)
    else:
        heading = float(rng.uniform(0, 2 * np.pi))
        dx = drift * math.cos(heading) * t
        dy = drift * math.sin(heading) * t
    margin = 6
    cam_x = dx - dx.min() + margin
    cam_y = dy - dy.min() + margin
    canvas_w = math.ceil(cam_x.max()) + width + margin + 2
    canvas_h = math.ceil(cam_y.max()) + height + margin + 2
    canvas = texture(rng, (canvas_h, canvas_w), kind, colours, math.hypot(width, height))
    draft = Draft(size_wh, n, canvas, cam_x, cam_y)
    travel = (float(dx[-1]), float(dy[-1]))
    draft.params["camera"] = {
        "mode": "pan" if pan_speed > 0 else ("drift" if drift > 0 else "static"),
        "px_per_frame": [travel[0] / max(n - 1, 1), travel[1] / max(n - 1, 1)],
    }
    draft.params["background"] = {"kind": kind}
    return draft


def _draw_lighting(
    rng: np.random.Generator, draft: Draft, *, noise_max: float = 6.0
) -> dict[str, Any]:
    n = draft.n
    t = np.arange(n, dtype=np.float64) / HORIZON
    phase = rng.uniform(0, 2 * np.pi, size=3)
    gain_amp = float(rng.uniform(0.0, 0.15))
    grad_amp = float(rng.uniform(0.0, 0.3))
    grad_y_amp = float(rng.uniform(0.0, 0.15))
    freq = float(rng.uniform(0.3, 1.2))
    sigma = float(rng.uniform(1.0, noise_max))
    width, height = draft.size_wh
    margin = 16
    noise = rng.standard_normal((height + margin, width + margin, 3), dtype=np.float32)
    noise *= np.float32(sigma)
    return {
        "gain": 1.0 + gain_amp * np.sin(2 * np.pi * freq * t + phase[0]),
        "grad_x": grad_amp * np.sin(2 * np.pi * 0.5 * freq * t + phase[1]),
        "grad_y": grad_y_amp * np.sin(2 * np.pi * 0.5 * freq * t + phase[2]),
        "noise": noise,
        "noise_offsets": rng.integers(0, margin, size=(n, 2)).astype(np.int64),
        "params": {
            "gain_amplitude": round(gain_amp, 3),
            "gradient_amplitude": round(grad_amp, 3),
            "noise_sigma": round(sigma, 2),
        },
    }


def finish(rng: np.random.Generator, draft: Draft, *, noise_max: float = 6.0) -> FamilyScene:
    """Draw the lighting and noise, name the layers and freeze the draft into a scene."""
    light = _draw_lighting(rng, draft, noise_max=noise_max)
    draft.params["lighting"] = light["params"]
    named: list[Layer] = []
    counts = {"object": 0, "occluder": 0}
    for layer in draft.layers:
        counts[layer.kind] += 1
        prefix = "gt" if layer.kind == "object" else "bar"
        named.append(dataclasses.replace(layer, name=f"{prefix}_{counts[layer.kind]}"))
    draft.layers = named
    draft.params["object_count"] = counts["object"]
    draft.params["objects"] = [
        {"id": layer.name, **layer.info} for layer in named if layer.kind == "object"
    ]
    draft.params["occluders"] = [
        {"id": layer.name, **layer.info} for layer in named if layer.kind == "occluder"
    ]
    return FamilyScene(
        size_wh=draft.size_wh,
        frame_count=draft.n,
        canvas=draft.canvas,
        region_masks=dict(draft.region_masks),
        cam_x=draft.cam_x,
        cam_y=draft.cam_y,
        layers=tuple(draft.layers),
        gain=light["gain"],
        grad_x=light["grad_x"],
        grad_y=light["grad_y"],
        noise=light["noise"],
        noise_offsets=light["noise_offsets"],
        params=draft.params,
    )


def layer_mask(layer: Layer, t: int, size_wh: tuple[int, int]) -> NDArray[np.bool_]:
    """Return the pixels ``layer`` covers at frame ``t`` when nothing is in front of it."""
    width, height = size_wh
    frame = np.zeros((height, width, 3), np.uint8)
    label = np.zeros((height, width), np.uint8)
    paste(frame, label, 1, layer.rgba, layer.xs[t], layer.ys[t], layer.angle[t], layer.scale[t])
    return np.asarray(label == 1, dtype=bool)


def visible_enough(draft: Draft, t: int = 0, fraction: float = 0.6) -> bool:
    """Whether every object keeps at least ``fraction`` of its pixels visible at frame ``t``."""
    width, height = draft.size_wh
    frame = np.zeros((height, width, 3), np.uint8)
    label = np.zeros((height, width), np.uint8)
    for index, layer in enumerate(draft.layers, start=1):
        paste(
            frame,
            label,
            index,
            layer.rgba,
            layer.xs[t],
            layer.ys[t],
            layer.angle[t],
            layer.scale[t],
        )
    for index, layer in enumerate(draft.layers, start=1):
        if layer.kind != "object":
            continue
        alone = int(layer_mask(layer, t, draft.size_wh).sum())
        if alone == 0 or int((label == index).sum()) < fraction * alone:
            return False
    return True
