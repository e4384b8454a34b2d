"""Long and short versions of one synthetic clip, and the peak memory a call allocates.

Used by the tests that check memory does not grow with the length of a video (issue 19): the
same job on a clip and on a longer version of it must allocate about the same peak, while a
``(T, H, W)`` stack of the longer clip's masks would be megabytes more.
"""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import cv2
import numpy as np

W, H = 256, 192
"""Size of the clip: one object's ``(T, H, W)`` bool stack costs 48 KiB per frame."""
CLICKS_XY = {"obj_1": (30, 80), "obj_2": (180, 125)}
"""A point inside each of the clip's two objects on frame 0."""

T = TypeVar("T")


def synthetic_avi(path: Path, frames: int) -> Path:
    """Write a lossless clip: a disc and a box going to and fro on a smooth textured ground."""
    rng = np.random.default_rng(0)
    ground = (rng.random((H // 8, W // 8, 3)) * 120 + 60).astype(np.float32)
    ground = cv2.resize(ground, (W, H), interpolation=cv2.INTER_CUBIC).astype(np.uint8)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"FFV1"), 25, (W, H))
    for t in range(frames):
        frame = ground.copy()
        swing, sway = abs(t % 80 - 40), abs(t % 40 - 20)  # triangle waves: no jumps
        cv2.circle(frame, (110 - 2 * swing, 80), 30, (230, 40, 40), -1)
        cv2.rectangle(frame, (150, 120 - sway), (210, 170 - sway), (30, 200, 60), -1)
        writer.write(frame)
    writer.release()
    return path


def stack_bytes(frames: int) -> int:
    """Bytes of one object's ``(frames, H, W)`` bool stack."""
    return frames * H * W


def peak_traced(job: Callable[[], T]) -> tuple[int, T]:
    """Run ``job`` under tracemalloc; return the peak bytes it allocated and its result."""
    gc.collect()
    tracemalloc.start()
    try:
        result = job()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak, result
