"""Small clips and helpers shared by the embedded engine's tests."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.clicks import Click
from sam2_autotrack.testing import SyntheticClip

SMALL_WH = (320, 180)


def iou(a: NDArray[np.bool_], b: NDArray[np.bool_]) -> float:
    union = np.count_nonzero(a | b)
    return 1.0 if union == 0 else np.count_nonzero(a & b) / union


def texture(rng: np.random.Generator, shape: tuple[int, int], low: int, high: int) -> NDArray:
    noise = rng.random((shape[0] // 6 + 2, shape[1] // 6 + 2)).astype(np.float32)
    noise = cv2.resize(noise, (shape[1], shape[0]), interpolation=cv2.INTER_CUBIC)
    return np.clip(low + (high - low) * noise, 0, 255)


def grass_texture(rng: np.random.Generator, shape: tuple[int, int]) -> NDArray:
    """Green textured ground (float RGB), the background of the leak and remnant clips."""
    return np.stack(
        [texture(rng, shape, 40, 90), texture(rng, shape, 120, 190), texture(rng, shape, 20, 60)],
        axis=-1,
    )


def two_squares_clip(frames: int = 16) -> tuple[NDArray[np.uint8], NDArray[np.bool_]]:
    """Two textured squares on a textured background; square B slides over square A.

    Returns the ``(T, H, W, 3)`` frames and ``(2, T, H, W)`` visible-pixel ground truth.
    """
    rng = np.random.default_rng(7)
    height, width = 120, 200
    background = np.stack([texture(rng, (height, width + 80), 70, 130)] * 3, axis=-1)
    background[..., 1] += 10
    tex_a = np.stack(
        [texture(rng, (36, 36), 180, 250), texture(rng, (36, 36), 20, 70), np.full((36, 36), 40)],
        axis=-1,
    )
    tex_b = np.stack(
        [
            np.full((30, 30), 30),
            texture(rng, (30, 30), 60, 110),
            texture(rng, (30, 30), 180, 250),
        ],
        axis=-1,
    )
    out = np.zeros((frames, height, width, 3), np.uint8)
    truth = np.zeros((2, frames, height, width), bool)
    for t in range(frames):
        pan = t
        img = background[:, pan : pan + width].copy()
        ay, ax = 40, 60 + t
        by, bx = 45, 150 - 5 * t
        img[ay : ay + 36, ax : ax + 36] = tex_a
        truth[0, t, ay : ay + 36, ax : ax + 36] = True
        bx0, bx1 = max(bx, 0), max(min(bx + 30, width), 0)
        if bx1 > bx0:
            img[by : by + 30, bx0:bx1] = tex_b[:, bx0 - bx : bx1 - bx]
            truth[1, t, by : by + 30, bx0:bx1] = True
        truth[0, t] &= ~truth[1, t]
        out[t] = np.clip(img + rng.normal(0, 2, img.shape), 0, 255).astype(np.uint8)
    return out, truth


def write_video(frames: NDArray[np.uint8], path: Path) -> Path:
    clip = SyntheticClip(
        name=path.stem,
        frames=frames,
        masks={"gt_1": np.zeros(frames.shape[:3], bool)},
    )
    return clip.write(path.parent).video_path


def centre_click(mask: NDArray[np.bool_], object_id: str) -> Click:
    depth = cv2.distanceTransform(np.pad(mask, 1).astype(np.uint8), cv2.DIST_L2, 5)[1:-1, 1:-1]
    y, x = np.unravel_index(int(np.argmax(depth)), depth.shape)
    return Click(x=int(x), y=int(y), object_id=object_id)


def noisy_grey(rng_seed: int = 0) -> NDArray[np.uint8]:
    rng = np.random.default_rng(rng_seed)
    return np.clip(90 + rng.normal(0, 3, (160, 240, 3)), 0, 255).astype(np.uint8)
