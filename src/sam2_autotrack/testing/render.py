"""Render a scene into frames and exact visible-pixel masks.

Each object's mask and texture are rendered once as an RGBA sprite at its frame-0 size; every
frame warps the sprites (rotate, scale, translate) into small regions of interest over the panned
background, back to front (`paste`), so the ground truth of an object holds exactly its
*visible* pixels. Lighting drift and sensor noise are applied last.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.testing.scene import Scene, follow, smoothstep
from sam2_autotrack.testing.shapes import shape_mask
from sam2_autotrack.testing.textures import background, object_texture

__all__ = ["paste", "render"]


def render(
    scene: Scene, width: int, height: int, frame_count: int, rng: np.random.Generator
) -> tuple[NDArray[np.uint8], dict[str, NDArray[np.bool_]]]:
    """Render ``frame_count`` frames of ``scene`` and each object's visible pixels.

    Parameters
    ----------
    scene
        What to draw.
    width, height
        Frame size in pixels.
    frame_count
        Number of frames; the scene's paths span the whole clip whatever the count.
    rng
        Every random choice (background, sprites, sway, lighting phases, noise) comes from it.

    Returns
    -------
    tuple
        ``(frames, masks)``: ``(T, H, W, 3)`` uint8 RGB and ``{"gt_1": (T, H, W) bool, ...}`` in
        the scene's object order (back to front).

    Examples
    --------
    >>> import numpy as np
    >>> from sam2_autotrack.testing.scene import Scene, SceneObject
    >>> scene = Scene(objects=(SceneObject("disk", 0.05, ((0.0, 0.5, 0.5),), 30.0, "noise"),))
    >>> frames, masks = render(scene, 64, 48, 3, np.random.default_rng(0))
    >>> frames.shape, sorted(masks), bool(masks["gt_1"][0, 24, 32])
    ((3, 48, 64, 3), ['gt_1'], True)
    """
    u = np.linspace(0.0, 1.0, frame_count) if frame_count > 1 else np.zeros(1)
    ref = float(math.hypot(width, height))

    # Camera: the background canvas is larger than the frame by the pan travel on each side.
    pad_x = math.ceil(scene.pan_xy[0] * width / 2) + 4
    pad_y = math.ceil(scene.pan_xy[1] * height / 2) + 4
    bg = background(rng, (height + 2 * pad_y, width + 2 * pad_x), ref, scene)
    phase = rng.uniform(0, 2 * np.pi, size=4)
    ease = 2.0 * smoothstep(u) - 1.0  # -1 → 1
    cam_x = pad_x + (pad_x - 3) * (0.9 * ease + 0.1 * np.sin(2 * np.pi * u + phase[0]))
    cam_y = pad_y + (pad_y - 3) * (0.8 * np.sin(np.pi * u + phase[1]) * ease)

    # Lighting: a global gain and a left-right gradient, both drifting smoothly.
    gain = 1.0 + scene.light_amp * np.sin(2 * np.pi * 0.8 * u + phase[2])
    grad = scene.light_grad * np.sin(2 * np.pi * 0.5 * u + phase[3])
    x_rel = (np.arange(width, dtype=np.float32) / max(width - 1, 1) - 0.5)[None, :, None]
    noise_margin = 16
    noise = rng.normal(
        0.0, scene.noise_sigma, size=(height + noise_margin, width + noise_margin, 3)
    ).astype(np.float32)
    noise_offsets = rng.integers(0, noise_margin, size=(frame_count, 2))

    # Sprites: each object's mask and texture rendered once at its frame-0 pixel size.
    sprites = []
    for obj in scene.objects:
        unit = shape_mask(obj.shape, 128, np.random.default_rng(rng.integers(1 << 32)))
        unit_frac = float(unit.mean())
        size = max(8, round(math.sqrt(obj.area_frac * width * height / unit_frac)))
        mask = shape_mask(obj.shape, size, np.random.default_rng(rng.integers(1 << 32)))
        tex = object_texture(size, obj.hue, obj.saturation, obj.pattern, rng)
        xs, ys = follow(obj.path, u)
        wob = rng.uniform(0, 2 * np.pi, size=3)
        xs = (xs + obj.wobble * np.sin(2 * np.pi * 1.3 * u + wob[0]) * np.sin(np.pi * u)) * width
        ys = (ys + obj.wobble * np.sin(2 * np.pi * 1.1 * u + wob[1]) * np.sin(np.pi * u)) * height
        angle = rng.uniform(-20, 20) + obj.rotate_deg * u
        scale = (
            1.0 + obj.scale_amp * np.sin(2 * np.pi * u + wob[2]) - obj.scale_amp * np.sin(wob[2])
        )
        rgba = np.dstack([tex, mask * np.uint8(255)])
        sprites.append((rgba, xs, ys, angle, scale))

    frames = np.empty((frame_count, height, width, 3), np.uint8)
    labels = np.zeros((frame_count, height, width), np.uint8)
    for t in range(frame_count):
        shift = np.array([[1.0, 0.0, -cam_x[t]], [0.0, 1.0, -cam_y[t]]])
        frame: NDArray[np.uint8] = np.asarray(
            cv2.warpAffine(bg, shift, (width, height), flags=cv2.INTER_LINEAR), dtype=np.uint8
        )
        label = labels[t]
        for index, (rgba, xs, ys, angle, scale) in enumerate(sprites, start=1):
            paste(frame, label, index, rgba, xs[t], ys[t], angle[t], scale[t])
        lit = frame.astype(np.float32)
        lit *= (gain[t] * (1.0 + grad[t] * x_rel)).astype(np.float32)
        oy, ox = noise_offsets[t]
        lit += noise[oy : oy + height, ox : ox + width]
        np.clip(lit, 0, 255, out=lit)
        frames[t] = lit.astype(np.uint8)
    masks = {f"gt_{i}": labels == i for i in range(1, len(sprites) + 1)}
    return frames, masks


def paste(
    frame: NDArray[np.uint8],
    label: NDArray[np.uint8],
    index: int,
    rgba: NDArray[np.uint8],
    cx: float,
    cy: float,
    angle: float,
    scale: float,
) -> None:
    """Warp one RGBA sprite (rotate + scale about its centre, translate) into ``frame``, in place.

    The sprite's pixels (alpha ≥ 128, lone diagonal steps dropped) overwrite ``frame`` and set
    ``label`` to ``index``, so painting back to front leaves each label holding exactly the
    visible pixels of its object.

    Parameters
    ----------
    frame
        ``(H, W, 3)`` uint8 RGB canvas, modified.
    label
        ``(H, W)`` uint8 object-index map, modified.
    index
        The object's label value (1-based).
    rgba
        ``(S, S, 4)`` uint8 sprite: texture and alpha.
    cx, cy
        Where the sprite's centre goes, in pixels.
    angle
        Rotation in degrees (counter-clockwise).
    scale
        Scale factor.
    """
    size = rgba.shape[0]
    m = cv2.getRotationMatrix2D((size / 2.0, size / 2.0), float(angle), float(scale))
    m[0, 2] += cx - size / 2.0
    m[1, 2] += cy - size / 2.0
    corners = np.array([[0, 0, 1], [size, 0, 1], [0, size, 1], [size, size, 1]], np.float64)
    moved = corners @ m.T
    height, width = label.shape
    x0 = max(0, math.floor(moved[:, 0].min()) - 1)
    y0 = max(0, math.floor(moved[:, 1].min()) - 1)
    x1 = min(width, math.ceil(moved[:, 0].max()) + 2)
    y1 = min(height, math.ceil(moved[:, 1].max()) + 2)
    if x1 <= x0 or y1 <= y0:
        return  # entirely outside the frame
    m[0, 2] -= x0
    m[1, 2] -= y0
    roi_wh = (x1 - x0, y1 - y0)
    # One bilinear warp of texture + mask (alpha); the mask is the alpha thresholded half-way,
    # which gives smoother edges than nearest neighbour. Pixels with no 4-neighbour (lone diagonal
    # steps at sharp tips) are dropped, so an object is one 4-connected piece unless occluded.
    warped = cv2.warpAffine(rgba, m, roi_wh, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    warped_mask = warped[..., 3] >= 128
    if not warped_mask.any():
        return
    neighbours = np.zeros(warped_mask.shape, np.uint8)
    neighbours[1:] += warped_mask[:-1]
    neighbours[:-1] += warped_mask[1:]
    neighbours[:, 1:] += warped_mask[:, :-1]
    neighbours[:, :-1] += warped_mask[:, 1:]
    warped_mask &= neighbours > 0
    warped_tex = warped[..., :3]
    frame[y0:y1, x0:x1][warped_mask] = warped_tex[warped_mask]
    label[y0:y1, x0:x1][warped_mask] = index
