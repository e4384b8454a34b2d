"""Masks one source frame at a time for the video exports: held in time, cleaned, feathered.

Private to [`sam2_autotrack.export`][sam2_autotrack.export]. A `HeldMasks` answers "which masks are
shown on source frame ``t``" from compressed sequences (or stacks), decoding and cleaning each mask
frame once however long it is held, so a long video exports in bounded memory.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.export._checks import MaskFrames
from sam2_autotrack.masks.cleanup import MaskCleanup, feather_alpha

__all__ = ["HeldAlpha", "HeldMasks"]


class HeldMasks:
    """The cleaned ``(H, W)`` masks of several objects shown on each source frame.

    Parameters
    ----------
    masks
        ``{object_id: masks}`` read frame by frame; not modified.
    positions
        ``(frame_count,)`` mask position shown on each source frame (``-1``: nothing yet), as
        [`hold_indices`][sam2_autotrack.masks.hold_indices] gives them.
    resolution_wh
        ``(width, height)`` of the masks.
    cleanup
        Hole filling and speck removal, applied per mask frame (feathering is not applied here).
    union
        Merge the objects into one mask (``{"union": ...}``) *before* cleaning, as the union
        alpha video does.
    """

    def __init__(
        self,
        masks: Mapping[str, MaskFrames],
        positions: NDArray[np.intp],
        resolution_wh: tuple[int, int],
        cleanup: MaskCleanup,
        *,
        union: bool = False,
    ) -> None:
        self._masks = dict(masks)
        self._positions = positions
        self._cleanup = cleanup
        self._union = union
        width, height = resolution_wh
        self._empty = np.zeros((height, width), dtype=bool)
        self._position = -2
        self._current: dict[str, NDArray[np.bool_]] = {}

    def position(self, t: int) -> int:
        """Return the mask position shown on source frame ``t`` (``-1``: none)."""
        return int(self._positions[t])

    def at(self, t: int) -> dict[str, NDArray[np.bool_]]:
        """Return ``{object_id: (H, W) bool}`` shown on source frame ``t`` (do not modify)."""
        position = self.position(t)
        if position != self._position:
            self._current = self._load(position)
            self._position = position
        return self._current

    def _load(self, position: int) -> dict[str, NDArray[np.bool_]]:
        if position < 0:
            names: Sequence[str] = ["union"] if self._union else list(self._masks)
            return {name: self._empty for name in names}
        frames = {oid: np.asarray(m[position], dtype=bool) for oid, m in self._masks.items()}
        if self._union:
            merged = np.zeros_like(self._empty)
            for frame in frames.values():
                merged |= frame
            frames = {"union": merged}
        if self._cleanup.fill_holes_px == 0 and self._cleanup.min_component_px == 0:
            return frames
        return {oid: self._cleanup.apply(frame) for oid, frame in frames.items()}


class HeldAlpha:
    """The 8-bit alpha plane (bytes) of one mask, or of the union of several, per source frame.

    Parameters
    ----------
    masks
        ``{object_id: masks}``; with several objects the alpha is their union.
    positions, resolution_wh
        As for `HeldMasks`.
    cleanup
        Hole filling and speck removal (on the union), then ``feather_px`` edge feathering.

    Examples
    --------
    >>> from sam2_autotrack.masks.cleanup import hold_indices
    >>> a = np.zeros((2, 1, 3), bool); a[0, 0, 0] = True; b = np.zeros((2, 1, 3), bool)
    >>> b[1, 0, 2] = True
    >>> alpha = HeldAlpha({"a": a, "b": b}, hold_indices([0, 2], 4), (3, 1), MaskCleanup())
    >>> [list(alpha(t)) for t in range(4)]
    [[255, 0, 0], [255, 0, 0], [0, 0, 255], [0, 0, 255]]
    """

    def __init__(
        self,
        masks: Mapping[str, MaskFrames],
        positions: NDArray[np.intp],
        resolution_wh: tuple[int, int],
        cleanup: MaskCleanup,
    ) -> None:
        self._held = HeldMasks(masks, positions, resolution_wh, cleanup, union=len(masks) > 1)
        self._feather_px = cleanup.feather_px
        self._position = -2
        self._bytes = b""

    def __call__(self, t: int) -> bytes:
        """Return the alpha plane shown on source frame ``t`` (``H * W`` bytes)."""
        position = self._held.position(t)
        if position != self._position:
            (mask,) = self._held.at(t).values()
            self._bytes = feather_alpha(mask, radius_px=self._feather_px).tobytes()
            self._position = position
        return self._bytes
