"""Generated clips for the track-health tests: three flat-colour boxes, one of them corrupted.

The tests' Replicate-compatible server tracks by colour, so a box that vanishes from the clip
vanishes from its masks (a *lost* track) and a box that swells several-fold in one frame swells in
its masks (*drift*): the corruption reaches the tracker through the video itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import cv2
import numpy as np

W, H, T = 160, 96, 12
CORRUPT_FROM = 6
"""First frame of the corruption."""
COLOURS_BGR = {"red": (0, 0, 230), "green": (0, 200, 0), "blue": (230, 60, 0)}

Corruption = Literal["vanish", "swell"] | None


def health_clip(
    path: Path, corrupt: Corruption = None, *, frames: int = T
) -> dict[str, np.ndarray]:
    """Write the clip (lossless FFV1) and return each box's ``(T, H, W)`` truth.

    ``corrupt="vanish"``: the blue box is gone from :data:`CORRUPT_FROM` on; ``"swell"``: the
    green box is 8 times bigger from :data:`CORRUPT_FROM` on.
    """
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"FFV1"), 10, (W, H))
    truth: dict[str, list[np.ndarray]] = {name: [] for name in COLOURS_BGR}
    for t in range(frames):
        frame = np.full((H, W, 3), (40, 40, 40), np.uint8)
        boxes = {
            "red": (slice(14, 34), slice(12 + 2 * t, 32 + 2 * t)),
            "green": (slice(50, 68), slice(60, 78)),
            "blue": (slice(30, 48), slice(120 - 3 * min(t, 12), 140 - 3 * min(t, 12))),
        }
        if corrupt == "swell" and t >= CORRUPT_FROM:
            boxes["green"] = (slice(50, 94), slice(40, 100))
        for name, (rows, cols) in boxes.items():
            mask = np.zeros((H, W), bool)
            if not (corrupt == "vanish" and name == "blue" and t >= CORRUPT_FROM):
                mask[rows, cols] = True
            frame[mask] = COLOURS_BGR[name]
            truth[name].append(mask)
        writer.write(frame)
    writer.release()
    return {name: np.stack(masks) for name, masks in truth.items()}


def object_of(masks_frame0: dict[str, np.ndarray], box: np.ndarray) -> str:
    """Return the object id whose frame-0 mask overlaps ``box`` (a truth mask) the most."""
    return max(masks_frame0, key=lambda oid: int(np.logical_and(masks_frame0[oid], box).sum()))
