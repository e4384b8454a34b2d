"""Shared pieces of the Replicate tests (tests/backends/replicate/): a clip, clicks, a fast backend.

The backend talks to ``tests/fake_replicate.py`` (``REPLICATE_BASE_URL``/``REPLICATE_API_TOKEN``
are set by the ``fake_replicate`` fixture) with short polls, short backoffs and a 20 s bound per
prediction, so a test that goes wrong fails in seconds instead of hanging.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np

from sam2_autotrack import Click, ClickSet
from sam2_autotrack.backends.replicate.backend import ReplicateBackend

W, H, T = 80, 48, 12
BG = (30, 30, 30)

FAST: dict[str, dict[str, Any]] = {
    "limits": {"poll_interval": 0.01},
    "retries": {"backoff_base": 0.01},
    "timeouts": {"prediction": 20.0},
}
"""Option groups of :func:`fast_backend` (a test's own values for a group are merged in)."""


def fast_options(**options: Any) -> dict[str, Any]:
    """``options`` with the :data:`FAST` groups merged under them (dict groups only)."""
    merged: dict[str, Any] = {key: dict(value) for key, value in FAST.items()}
    for key, value in options.items():
        if key in merged and isinstance(value, dict):
            merged[key].update(value)
        else:
            merged[key] = value
    return merged


def fast_backend(**options: Any) -> ReplicateBackend:
    """Return a backend for the fake server: 10 ms polls, 10 ms backoff, 20 s per prediction."""
    return ReplicateBackend(**fast_options(**options))


def make_clip(path: Path, *, frames: int = T, touching: bool = False) -> dict[str, np.ndarray]:
    """Two flat-colour boxes (red 'a', blue 'b') moving towards each other, lossless FFV1."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"FFV1"), 10, (W, H))
    truth: dict[str, list[np.ndarray]] = {"a": [], "b": []}
    for t in range(frames):
        frame = np.full((H, W, 3), BG, np.uint8)
        a = np.zeros((H, W), bool)
        b = np.zeros((H, W), bool)
        a[10:22, 5 + 2 * t : 17 + 2 * t] = True
        row = slice(14, 26) if touching else slice(28, 40)
        b[row, 62 - 2 * t : 74 - 2 * t] = True
        b &= ~a
        frame[a] = (0, 0, 255)
        frame[b] = (255, 0, 0)
        writer.write(frame)
        truth["a"].append(a)
        truth["b"].append(b)
    writer.release()
    return {k: np.stack(v) for k, v in truth.items()}


CLICKS = ClickSet.build(
    [Click(x=10, y=15, object_id="a"), Click(x=67, y=33, object_id="b")], resolution_wh=(W, H)
)


def frame0_rgb(path: Path) -> np.ndarray:
    """Frame 0 of a clip as RGB."""
    ok, frame = cv2.VideoCapture(str(path)).read()
    assert ok
    return cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two masks (1.0 when both are empty)."""
    union = np.logical_or(a, b).sum()
    return 1.0 if union == 0 else float(np.logical_and(a, b).sum() / union)


def blank() -> np.ndarray:
    """Return an all-black ``(H, W, 3)`` image (the fake ``meta/sam-2`` finds one region)."""
    return np.zeros((H, W, 3), np.uint8)
