"""What the pictures need of a tracking result, as a protocol, so viz never imports ``run/``."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.masks.store import MaskSequence

__all__ = ["TrackedVideo"]


class TrackedVideo(Protocol):
    """What `filmstrip` and [`area_plot`][sam2_autotrack.viz.area_plot] read.

    [`TrackResult`][sam2_autotrack.TrackResult] has all of it; any object with these members works.
    """

    @property
    def video(self) -> Path | None:
        """The source video, read for the frames under the masks."""
        ...

    @property
    def object_ids(self) -> tuple[str, ...]:
        """Object ids in click order."""
        ...

    @property
    def frame_indices(self) -> NDArray[np.int64]:
        """``(T,)`` source-frame index of each mask frame."""
        ...

    def masks(self, object_id: str) -> NDArray[np.bool_]:
        """``(T, H, W)`` bool masks of one object.

        Parameters
        ----------
        object_id
            One of ``object_ids``.

        Returns
        -------
        numpy.ndarray
            ``(T, H, W)`` bool, one mask per mask frame.
        """
        ...

    def mask_sequence(self, object_id: str) -> MaskSequence:
        """One object's masks, read frame by frame (what the pictures use: no whole stack).

        Parameters
        ----------
        object_id
            One of ``object_ids``.

        Returns
        -------
        MaskSequence
            The object's masks, one per mask frame.
        """
        ...

    def areas(self) -> dict[str, NDArray[np.int64]]:
        """Each object's mask area per mask frame.

        Returns
        -------
        dict[str, numpy.ndarray]
            ``{object_id: (T,) int64}`` pixel counts.
        """
        ...
