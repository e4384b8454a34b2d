"""Generated clips for re-discovery: an object that enters mid-clip, and a hard cut.

Both are lossless FFV1 (flat colours stay flat, so the fake ``meta/sam-2`` proposes them and the
fake ``meta/sam-2-video`` tracks them by colour), on a lightly textured background the embedded
engine's proposals do not take for objects.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

W, H, T, FPS = 192, 112, 48, 12
ENTERS_AT = 11  # the late object's first visible frame in the "enters" clip
CUT_AT = 24  # the first frame of the second shot in the "cut" clip


def _background(colour: tuple[int, int, int], seed: int) -> NDArray[np.uint8]:
    rng = np.random.default_rng(seed)
    noise = cv2.resize(rng.random((H // 8, W // 8)).astype(np.float32), (W, H))
    frame = np.asarray(colour, np.float32)[None, None] + 14.0 * (noise[..., None] - 0.5)
    return np.clip(frame, 0, 255).astype(np.uint8)


def _box(x: int, y: int, w: int, h: int) -> NDArray[np.bool_]:
    mask = np.zeros((H, W), bool)
    mask[max(y, 0) : max(y + h, 0), max(x, 0) : max(x + w, 0)] = True
    return mask


def _disc(cx: float, cy: float, r: float) -> NDArray[np.bool_]:
    yy, xx = np.mgrid[:H, :W]
    return np.asarray((xx - cx) ** 2 + (yy - cy) ** 2 <= r * r)


def _write(path: Path, frames: list[NDArray[np.uint8]]) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"FFV1"), FPS, (W, H))
    for frame in frames:
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def enters_clip(path: Path) -> tuple[Path, dict[str, NDArray[np.bool_]]]:
    """Write a clip: a red box from frame 0, a blue box sliding in from the right from frame 11.

    Returns the video and the ``(T, H, W)`` visible-pixel truth per object (``"red"``,
    ``"blue"``).
    """
    background = _background((110, 118, 104), seed=1)
    frames, truth = [], {"red": [], "blue": []}
    for t in range(T):
        frame = background.copy()
        red = _box(30 + t, 36, 30, 26)
        # in from the right edge at 16 px a frame, then on at 1 px a frame
        blue_x = max(W - 16 * (t - ENTERS_AT + 1), 150 - (t - ENTERS_AT))
        blue = _box(blue_x, 60, 32, 28) if t >= ENTERS_AT else np.zeros((H, W), bool)
        frame[red] = (220, 40, 30)
        frame[blue] = (30, 60, 220)
        frames.append(frame)
        truth["red"].append(red & ~blue)
        truth["blue"].append(blue)
    return _write(path, frames), {k: np.stack(v) for k, v in truth.items()}


def cut_clip(path: Path) -> tuple[Path, dict[str, NDArray[np.bool_]]]:
    """Write a clip: a red box and a green disc (frames 0-23), then a yellow box, a magenta disc.

    The second shot has another background and other objects (a hard cut at frame 24).
    """
    first, second = _background((110, 118, 104), seed=1), _background((40, 60, 120), seed=2)
    frames, truth = [], {"red": [], "green": [], "yellow": [], "magenta": []}
    empty = np.zeros((H, W), bool)
    for t in range(T):
        if t < CUT_AT:
            frame = first.copy()
            red, green = _box(20 + t, 30, 30, 26), _disc(140 - t, 70, 15)
            frame[red], frame[green] = (220, 40, 30), (40, 200, 60)
            masks = {"red": red, "green": green, "yellow": empty, "magenta": empty}
        else:
            frame = second.copy()
            s = t - CUT_AT
            yellow, magenta = _box(100 - s, 20, 34, 24), _disc(50 + s, 75, 16)
            frame[yellow], frame[magenta] = (230, 210, 40), (210, 40, 200)
            masks = {"red": empty, "green": empty, "yellow": yellow, "magenta": magenta}
        frames.append(frame)
        for name, mask in masks.items():
            truth[name].append(mask)
    return _write(path, frames), {k: np.stack(v) for k, v in truth.items()}


def mean_iou(masks: NDArray[np.bool_], truth: NDArray[np.bool_]) -> float:
    """Mean IoU over the frames where ``truth`` is visible."""
    scores = []
    for mask, target in zip(masks, truth, strict=True):
        if target.any():
            scores.append(np.count_nonzero(mask & target) / np.count_nonzero(mask | target))
    return float(np.mean(scores))


def best_match(result_masks: dict[str, NDArray[np.bool_]], truth: NDArray[np.bool_]) -> str:
    """Return the object id whose masks match ``truth`` best (mean IoU where it is visible)."""
    return max(result_masks, key=lambda oid: mean_iou(result_masks[oid], truth))
