"""Deterministic SAM 2-like automatic mask proposals for benchmarks and experiments.

A SAM 2 automatic mask generator returns, on a typical frame, the real objects plus a lot of noise:
near-duplicates of each object (slightly shifted, eroded or dilated), parts of objects (a head, a
wheel), large background slabs (sky, floor, a wall) and specks. `make_proposals` draws such a
set with OpenCV at any resolution (1920×1080 by default) from one integer seed, and says which
proposal is which, so a benchmark can both time a selector and check what it picked.

Run it to see a summary::

    python benchmarks/proposals.py
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

__all__ = ["SyntheticProposals", "make_proposals"]


@dataclass(frozen=True)
class SyntheticProposals:
    """Proposals with their ground truth.

    Attributes
    ----------
    masks
        ``(N, H, W)`` bool proposals, shuffled.
    scores
        ``(N,)`` model-like confidence in ``[0.86, 1.0]``.
    kinds
        ``(N,)`` one of ``"object"``, ``"duplicate"``, ``"part"``, ``"background"``, ``"speck"``.
    object_of
        ``(N,)`` the object a proposal belongs to (``-1`` for background and specks).
    """

    masks: NDArray[np.bool_]
    scores: NDArray[np.float64]
    kinds: tuple[str, ...]
    object_of: NDArray[np.int64]

    @property
    def object_indices(self) -> NDArray[np.int64]:
        """Indices of the one canonical mask of every real object, by object number."""
        found = [(int(self.object_of[i]), i) for i, k in enumerate(self.kinds) if k == "object"]
        return np.array([i for _, i in sorted(found)], dtype=np.int64)


def _blank(height: int, width: int) -> NDArray[np.uint8]:
    return np.zeros((height, width), dtype=np.uint8)


def _object_mask(
    rng: np.random.Generator, height: int, width: int, slot: tuple[int, int, int, int]
) -> NDArray[np.uint8]:
    """Draw one object (ellipse, rounded box or star-ish polygon) inside ``slot``."""
    x0, y0, x1, y1 = slot
    canvas = _blank(height, width)
    cx = int(rng.integers(x0 + (x1 - x0) // 3, x1 - (x1 - x0) // 3))
    cy = int(rng.integers(y0 + (y1 - y0) // 3, y1 - (y1 - y0) // 3))
    rx = int(rng.integers((x1 - x0) // 6, (x1 - x0) // 3))
    ry = int(rng.integers((y1 - y0) // 6, (y1 - y0) // 3))
    kind = int(rng.integers(0, 3))
    if kind == 0:
        angle = float(rng.uniform(0, 180))
        cv2.ellipse(canvas, (cx, cy), (rx, ry), angle, 0, 360, 1, thickness=-1)
    elif kind == 1:
        r = max(4, min(rx, ry) // 3)
        cv2.rectangle(canvas, (cx - rx + r, cy - ry), (cx + rx - r, cy + ry), 1, thickness=-1)
        cv2.rectangle(canvas, (cx - rx, cy - ry + r), (cx + rx, cy + ry - r), 1, thickness=-1)
        for px, py in ((cx - rx + r, cy - ry + r), (cx + rx - r, cy - ry + r)):
            cv2.circle(canvas, (px, py), r, 1, thickness=-1)
        for px, py in ((cx - rx + r, cy + ry - r), (cx + rx - r, cy + ry - r)):
            cv2.circle(canvas, (px, py), r, 1, thickness=-1)
    else:
        count = int(rng.integers(7, 12))
        angles = np.sort(rng.uniform(0, 2 * np.pi, count))
        radii = rng.uniform(0.6, 1.0, count)
        pts = np.stack(
            [cx + rx * radii * np.cos(angles), cy + ry * radii * np.sin(angles)], axis=1
        ).astype(np.int32)
        cv2.fillPoly(canvas, [pts], 1)
    return canvas


def _jitter(rng: np.random.Generator, mask: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """Make a near-duplicate: shifted by a few pixels and grown or shrunk slightly."""
    dy, dx = (int(v) for v in rng.integers(-4, 5, size=2))
    shifted = np.roll(mask, (dy, dx), axis=(0, 1))
    size = int(rng.integers(3, 8))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    if rng.random() < 0.5:
        return cv2.dilate(shifted, kernel)
    return cv2.erode(shifted, kernel)


def _part(rng: np.random.Generator, mask: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """Make a part: the object cut by a random half-plane through a point near its centre."""
    ys, xs = np.nonzero(mask)
    cy, cx = float(ys.mean()), float(xs.mean())
    spread = float(np.sqrt(ys.var() + xs.var()))
    theta = float(rng.uniform(0, 2 * np.pi))
    offset = float(rng.uniform(-0.1, 0.5)) * spread
    yy, xx = np.mgrid[0 : mask.shape[0], 0 : mask.shape[1]]
    side = (xx - cx) * np.cos(theta) + (yy - cy) * np.sin(theta) > offset
    return (mask.astype(bool) & side).astype(np.uint8)


def _wavy_band(
    rng: np.random.Generator, height: int, width: int, *, top: bool, depth: float
) -> NDArray[np.uint8]:
    """Sky (``top``) or floor band whose inner edge undulates."""
    xs = np.arange(width)
    phase = float(rng.uniform(0, 2 * np.pi))
    edge = depth * height + 0.03 * height * np.sin(xs / width * 2 * np.pi * 1.5 + phase)
    rows = np.arange(height)[:, None]
    band = rows < edge[None, :] if top else rows > height - edge[None, :]
    return band.astype(np.uint8)


def make_proposals(
    *,
    seed: int = 0,
    resolution_wh: tuple[int, int] = (1920, 1080),
    n_objects: int = 6,
    duplicates_per_object: int = 3,
    parts_per_object: int = 3,
    n_specks: int = 14,
) -> SyntheticProposals:
    """Generate a shuffled, SAM 2-like proposal set with ground truth.

    Parameters
    ----------
    seed
        Seed of the random generator; the same seed gives the same proposals.
    resolution_wh
        ``(width, height)`` of the frame.
    n_objects
        Real objects, laid out on a grid in the middle band of the frame (between sky and floor).
    duplicates_per_object, parts_per_object
        Jittered copies and half-plane parts drawn for every object.
    n_specks
        Tiny blobs scattered over the frame.

    Returns
    -------
    SyntheticProposals
        ``n_objects * (1 + duplicates_per_object + parts_per_object) + 6 + n_specks`` proposals
        (62 with the defaults): objects, duplicates, parts, six background slabs (sky, floor, left
        and right wall, the sky+wall union, one whole-frame mask) and specks.
    """
    width, height = resolution_wh
    rng = np.random.default_rng(seed)
    layers: list[NDArray[np.uint8]] = []
    kinds: list[str] = []
    owner: list[int] = []

    sky = _wavy_band(rng, height, width, top=True, depth=0.22)
    floor = _wavy_band(rng, height, width, top=False, depth=0.2)
    left_wall = _blank(height, width)
    left_wall[:, : int(0.12 * width)] = 1
    left_wall &= 1 - sky
    right_wall = _blank(height, width)
    right_wall[:, int(0.9 * width) :] = 1
    right_wall &= 1 - floor
    whole = np.ones((height, width), dtype=np.uint8)

    cols = (n_objects + 1) // 2
    x_lo, x_hi = int(0.14 * width), int(0.88 * width)
    y_lo, y_hi = int(0.22 * height), int(0.85 * height)
    cell_w = (x_hi - x_lo) // cols
    cell_h = (y_hi - y_lo) // 2
    objects: list[NDArray[np.uint8]] = []
    for k in range(n_objects):
        row, col = divmod(k, cols)
        slot = (
            x_lo + col * cell_w,
            y_lo + row * cell_h,
            x_lo + (col + 1) * cell_w,
            y_lo + (row + 1) * cell_h,
        )
        obj = _object_mask(rng, height, width, slot)
        objects.append(obj)
        layers.append(obj)
        kinds.append("object")
        owner.append(k)
        for _ in range(duplicates_per_object):
            layers.append(_jitter(rng, obj))
            kinds.append("duplicate")
            owner.append(k)
        for _ in range(parts_per_object):
            layers.append(_part(rng, obj))
            kinds.append("part")
            owner.append(k)

    occupied = np.zeros((height, width), dtype=np.uint8)
    for obj in objects:
        occupied |= obj
    for slab in (sky, floor, left_wall, right_wall, np.maximum(sky, left_wall), whole):
        layers.append(slab & (1 - occupied))
        kinds.append("background")
        owner.append(-1)

    for _ in range(n_specks):
        speck = _blank(height, width)
        cx, cy = int(rng.integers(0, width)), int(rng.integers(0, height))
        radius = int(rng.integers(2, 9))
        cv2.circle(speck, (cx, cy), radius, 1, thickness=-1)
        layers.append(speck)
        kinds.append("speck")
        owner.append(-1)

    order = rng.permutation(len(layers))
    masks = np.stack([layers[i] for i in order]).astype(bool)
    scores = rng.uniform(0.86, 1.0, size=len(layers))
    return SyntheticProposals(
        masks=masks,
        scores=scores,
        kinds=tuple(kinds[i] for i in order),
        object_of=np.array([owner[i] for i in order], dtype=np.int64),
    )


if __name__ == "__main__":
    proposals = make_proposals()
    n, h, w = proposals.masks.shape
    counts = {k: proposals.kinds.count(k) for k in sorted(set(proposals.kinds))}
    print(f"{n} proposals at {w}x{h}: {counts}")
