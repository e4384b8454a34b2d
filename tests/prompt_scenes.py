"""Shared pieces of the prompt tests: a clip of four flat-colour objects with their truth.

Four boxes of four colours on a flat grey background, losslessly encoded (FFV1), so the fake
``meta/sam-2`` segments each exactly, the embedded engine proposes each, and the fake
``adirik/grounding-dino`` can be told which colour names which thing.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

W, H, T = 160, 96, 10
BACKGROUND = (40, 40, 40)
COLOURS_BGR = {
    "red": (0, 0, 230),
    "green": (0, 200, 0),
    "blue": (230, 60, 0),
    "yellow": (0, 220, 230),
}
# (x, y, w, h) at frame t
BOXES = {
    "red": lambda t: (10 + 2 * t, 10, 22, 20),
    "green": lambda t: (60, 50 - 2 * t, 18, 24),
    "blue": lambda t: (120 - 3 * t, 12, 20, 18),
    "yellow": lambda t: (100, 60, 24, 20),
}
INSIDE_XY = {"red": (20, 20), "green": (68, 60), "blue": (128, 20), "yellow": (110, 70)}
"""A pixel inside each object on frame 0."""
BOX_XYXY = {"red": (10, 10, 32, 30), "green": (60, 50, 78, 74), "blue": (120, 12, 140, 30),
            "yellow": (100, 60, 124, 80)}  # fmt: skip
"""Each object's tight box on frame 0 (end-exclusive)."""


def four_objects(path: Path) -> dict[str, np.ndarray]:
    """Write the clip to ``path`` (``.avi``); return ``{colour: (T, H, W) bool}`` truth."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"FFV1"), 10, (W, H))
    truth: dict[str, list[np.ndarray]] = {name: [] for name in COLOURS_BGR}
    for t in range(T):
        frame = np.full((H, W, 3), BACKGROUND, np.uint8)
        for name, box in BOXES.items():
            x, y, w, h = box(t)
            mask = np.zeros((H, W), bool)
            mask[y : y + h, x : x + w] = True
            for other in truth:
                if other != name and len(truth[other]) > t:
                    truth[other][t] &= ~mask
            frame[mask] = COLOURS_BGR[name]
            truth[name].append(mask)
        writer.write(frame)
    writer.release()
    return {name: np.stack(masks) for name, masks in truth.items()}


def iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two mask stacks (1.0 when both are empty)."""
    union = np.logical_or(a, b).sum()
    return 1.0 if union == 0 else float(np.logical_and(a, b).sum() / union)


def best_match(masks: np.ndarray, truth: dict[str, np.ndarray]) -> tuple[str, float]:
    """Return the truth object ``masks`` overlaps best, and the IoU."""
    scores = {name: iou(masks, stack) for name, stack in truth.items()}
    name = max(scores, key=scores.__getitem__)
    return name, scores[name]
