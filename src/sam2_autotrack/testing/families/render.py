"""Rendering a drawn scene (a pure function of it): frames, exact visible truth, regions."""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.testing.families.clip import FamilyClip
from sam2_autotrack.testing.families.scene import FPS, FamilyScene
from sam2_autotrack.testing.render import paste

__all__ = ["clip_from_scene", "render_scene"]


def clip_from_scene(scene: FamilyScene) -> FamilyClip:
    """Render ``scene`` into a clip: object masks from the label maps, bars among the regions."""
    frames_rgb, labels, regions = render_scene(scene)
    masks = {
        layer.name: labels == index
        for index, layer in enumerate(scene.layers, start=1)
        if layer.kind == "object"
    }
    for index, layer in enumerate(scene.layers, start=1):
        if layer.kind == "occluder":
            regions[layer.name] = labels == index
    family, seed = str(scene.params["family"]), int(scene.params["seed"])
    return FamilyClip(
        name=f"{family}_s{seed}",
        frames=frames_rgb,
        masks=masks,
        fps=FPS,
        family=family,
        seed=seed,
        regions=regions,
        params=scene.params,
    )


def render_scene(
    scene: FamilyScene,
) -> tuple[NDArray[np.uint8], NDArray[np.uint8], dict[str, NDArray[np.bool_]]]:
    """Render the frames, the label maps and the visible pixels of every background region.

    Label 0 is background, label ``i`` is ``scene.layers[i - 1]``.
    """
    width, height = scene.size_wh
    count = scene.frame_count
    frames = np.empty((count, height, width, 3), np.uint8)
    labels = np.zeros((count, height, width), np.uint8)
    regions = {name: np.zeros((count, height, width), bool) for name in scene.region_masks}
    x_rel = (np.arange(width, dtype=np.float32) / max(width - 1, 1) - 0.5)[None, :, None]
    y_rel = (np.arange(height, dtype=np.float32) / max(height - 1, 1) - 0.5)[:, None, None]
    for t in range(count):
        shift = np.array([[1.0, 0.0, -scene.cam_x[t]], [0.0, 1.0, -scene.cam_y[t]]])
        frame: NDArray[np.uint8] = np.asarray(
            cv2.warpAffine(scene.canvas, shift, (width, height), flags=cv2.INTER_LINEAR),
            dtype=np.uint8,
        )
        label = labels[t]
        for index, layer in enumerate(scene.layers, start=1):
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
        for name, world in scene.region_masks.items():
            seen = cv2.warpAffine(
                world.view(np.uint8), shift, (width, height), flags=cv2.INTER_NEAREST
            )
            regions[name][t] = (seen > 0) & (label == 0)
        lit = frame.astype(np.float32)
        light = 1.0 + scene.grad_x[t] * x_rel + scene.grad_y[t] * y_rel
        lit *= (scene.gain[t] * light).astype(np.float32)
        oy, ox = scene.noise_offsets[t]
        lit += scene.noise[oy : oy + height, ox : ox + width]
        np.clip(lit, 0, 255, out=lit)
        frames[t] = lit.astype(np.uint8)
    return frames, labels, regions
