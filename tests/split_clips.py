"""Flat-colour clips that are hard for a geometric union split but separable by appearance.

The fake ``meta/sam-2-video`` (``tests/fake_replicate.py``) tracks by colour, so on these clips it
is a *perfect* tracker: one prediction per object returns each object's visible pixels exactly,
and the union prediction returns their exact union. What is left to test is how well the union
is divided back into objects. Every clip has same-size objects whose union components merge:

``crossing``
    Two discs of the same size pass through each other (the red one in front).
``occlusion``
    A disc passes behind a box (hidden for several frames) and comes out on the other side;
    a third object moves on its own.
``touching``
    Two boxes of the same size slide along each other in contact, then part.
``bouncing``
    Two discs of the same size run into each other twice and bounce back.

Objects have hard edges and flat colours far (> 100 per channel) from each other and from the
textured background, so the colour tracker never confuses them. Clips are written losslessly
(FFV1), so the fake server decodes exactly the rendered pixels. Scenes are drawn at half size and
doubled, so every edge lies between 2x2 blocks: a trimmed upload re-encoded as H.264 yuv420p
(whose colour is stored per 2x2 block) keeps every object's colour up to its edge, and the colour
tracker stays perfect on it too.

Used by the Replicate backend tests and ``benchmarks/bench_union_split.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

__all__ = ["CLIP_NAMES", "COLOURS", "FlatClip", "flat_clip"]

W, H = 256, 160
COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (230, 40, 40),
    "blue": (40, 90, 235),
    "green": (40, 210, 70),
    "yellow": (235, 215, 40),
}
"""RGB colour of each object (background pixels stay within 20..80 on every channel)."""

Path2D = Callable[[float], tuple[float, float]]


@dataclass(frozen=True)
class _Object:
    name: str
    shape: str  # "disc" (size = radius) or "box" (size = (half width, half height))
    size: tuple[float, float]
    colour: str
    path: Path2D  # u in [0, 1] -> centre (x, y) in pixels


@dataclass(frozen=True)
class FlatClip:
    """A rendered clip: RGB frames and each object's visible pixels per frame.

    Parameters
    ----------
    name
        One of :data:`CLIP_NAMES`.
    frames
        ``(T, H, W, 3)`` uint8 RGB.
    truth
        ``{object name: (T, H, W) bool}`` visible pixels, in the order objects are listed.
    """

    name: str
    frames: np.ndarray
    truth: dict[str, np.ndarray]

    def write(self, path: Path, fps: int = 10) -> Path:
        """Write the frames losslessly (FFV1 in AVI) to ``path`` and return it."""
        height, width = self.frames.shape[1:3]
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"FFV1"), fps, (width, height))
        for frame in self.frames:
            writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
        writer.release()
        return path

    def seed_masks(self) -> np.ndarray:
        """``(K, H, W)`` frame-0 masks of the objects (what a selection would hand the seeder)."""
        return np.stack([mask[0] for mask in self.truth.values()])


def _lerp(a: tuple[float, float], b: tuple[float, float]) -> Path2D:
    return lambda u: (a[0] + (b[0] - a[0]) * u, a[1] + (b[1] - a[1]) * u)


def _bounce(left: float, right: float, y: float, contact: float, hits: int) -> Path2D:
    """Move between ``left`` and ``contact`` (x) ``hits`` times: a triangle wave."""

    def path(u: float) -> tuple[float, float]:
        phase = (u * hits) % 1.0
        tri = 1.0 - abs(2.0 * phase - 1.0)  # 0 -> 1 -> 0
        return (left + (contact - left) * tri, y)

    del right
    return path


def _scene(name: str) -> list[_Object]:
    if name == "crossing":
        return [
            _Object("b", "disc", (22, 22), "blue", _lerp((226, 84), (30, 76))),
            _Object("a", "disc", (22, 22), "red", _lerp((30, 72), (226, 84))),
        ]
    if name == "occlusion":
        return [
            _Object("b", "disc", (20, 20), "blue", _lerp((20, 70), (236, 78))),
            _Object("a", "box", (26, 30), "red", _lerp((112, 74), (144, 74))),
            _Object("c", "disc", (14, 14), "green", _lerp((200, 134), (60, 130))),
        ]
    if name == "touching":

        def left(u: float) -> tuple[float, float]:
            return (100.0 + 20 * u, 40 + 80 * u)

        def right(u: float) -> tuple[float, float]:
            gap = 0.0 if u < 0.6 else (u - 0.6) * 150  # in contact for 60 % of the clip
            return (100.0 + 20 * u + 40 + gap, 120 - 80 * u)

        return [
            _Object("a", "box", (20, 22), "red", left),
            _Object("b", "box", (20, 22), "blue", right),
        ]
    if name == "bouncing":
        # centres 28 apart at the turning point while the radius is 24: they overlap by 20 px
        return [
            _Object("a", "disc", (24, 24), "red", _bounce(34, 0, 80, 114, 2)),
            _Object(
                "b",
                "disc",
                (24, 24),
                "blue",
                lambda u: (256 - _bounce(34, 0, 80, 114, 2)(u)[0], 80),
            ),
        ]
    raise KeyError(f"unknown clip {name!r}; choose one of {CLIP_NAMES}")


CLIP_NAMES = ("crossing", "occlusion", "touching", "bouncing")


def _background(rng: np.random.Generator) -> np.ndarray:
    noise = rng.normal(0.0, 1.0, (H // 4, W // 4, 3))
    smooth = cv2.resize(noise.astype(np.float32), (W, H), interpolation=cv2.INTER_CUBIC)
    return np.clip(50 + 12 * smooth, 20, 80).astype(np.uint8)


def _draw(obj: _Object, u: float) -> np.ndarray:
    """Return the object's whole silhouette at time ``u`` (drawn at half size, doubled)."""
    x, y = (v / 2 for v in obj.path(u))
    mask = np.zeros((H // 2, W // 2), np.uint8)
    if obj.shape == "disc":
        cv2.circle(mask, (round(x), round(y)), round(obj.size[0] / 2), 1, -1, lineType=cv2.LINE_8)
    else:
        hw, hh = (v / 2 for v in obj.size)
        cv2.rectangle(
            mask, (round(x - hw), round(y - hh)), (round(x + hw) - 1, round(y + hh) - 1), 1, -1
        )
    return np.repeat(np.repeat(mask, 2, axis=0), 2, axis=1).astype(bool)


def flat_clip(name: str, frames: int = 40) -> FlatClip:
    """Render clip ``name`` (see the module docstring) with ``frames`` frames.

    Objects are drawn back to front in the order the scene lists them; ``truth`` holds the
    visible pixels of each, keyed by object name in alphabetical order.
    """
    objects = _scene(name)
    rng = np.random.default_rng(7)
    background = _background(rng)
    video = np.empty((frames, H, W, 3), np.uint8)
    truth = {
        obj.name: np.zeros((frames, H, W), bool) for obj in sorted(objects, key=lambda o: o.name)
    }
    for t in range(frames):
        u = t / max(1, frames - 1)
        frame = background.copy()
        # a slow drift of the background keeps the optical flow honest
        frame = np.roll(frame, t // 4, axis=1)
        taken = np.zeros((H, W), bool)
        for obj in reversed(objects):  # front to back: each object keeps what is still free
            mask = _draw(obj, u) & ~taken
            truth[obj.name][t] = mask
            taken |= mask
        for obj in objects:
            frame[truth[obj.name][t]] = COLOURS[obj.colour]
        video[t] = frame
    return FlatClip(name=name, frames=video, truth=truth)
