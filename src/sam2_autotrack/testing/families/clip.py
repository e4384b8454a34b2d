"""The clip a family draws: `FamilyClip`, a synthetic clip plus what was drawn."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.errors import SyntheticClipError
from sam2_autotrack.testing.clip import SyntheticClip, SyntheticClipFiles

__all__ = ["HELD_OUT_SEED_START", "FamilyClip"]


HELD_OUT_SEED_START = 1000
"""Seeds below this are for tuning; seeds from it on are held out for reporting."""


@dataclass(frozen=True)
class FamilyClip(SyntheticClip):
    """A clip drawn from a family: a `SyntheticClip` plus what was drawn.

    Being a [`SyntheticClip`][sam2_autotrack.testing.SyntheticClip], it is written with
    [`write`][sam2_autotrack.testing.SyntheticClip.write] and scored with `evaluate` against
    [`masks`][sam2_autotrack.masks] like the fixed suite.

    Parameters
    ----------
    name, frames, masks, fps
        As in [`SyntheticClip`][sam2_autotrack.testing.SyntheticClip]; ``name`` is
        ``"<family>_s<seed>"`` and the masks are ``{"gt_1": ..., "gt_k": ...}`` in z-order (back to
        front).
    family
        The family the clip was drawn from.
    seed
        The seed it was drawn with (``>= HELD_OUT_SEED_START`` means held out).
    regions
        ``{region_id: (T, H, W) bool}``: visible pixels of background regions (``wall_1``,
        ``floor_1``, ...) and foreground occluders (``bar_1``), none of them objects. A region
        behind an object loses the object's pixels; a region drawn through a sub-pixel camera
        shift is given to the nearest pixel.
    params
        JSON-ready description of every drawn parameter (frame size, objects, camera, lighting,
        regions).
    files
        Where [`make_family_clip`][sam2_autotrack.testing.make_family_clip] wrote the clip when it
        was given ``out_dir``, else ``None``.
    """

    family: str = ""
    seed: int = 0
    regions: Mapping[str, NDArray[np.bool_]] = field(default_factory=dict)
    params: Mapping[str, Any] = field(default_factory=dict)
    files: SyntheticClipFiles | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        shape = self.frames.shape[:3]
        checked: dict[str, NDArray[np.bool_]] = {}
        for region_id, mask in self.regions.items():
            array = np.asarray(mask, dtype=bool)
            if array.shape != shape:
                raise SyntheticClipError(
                    f"regions[{region_id!r}] must have shape {shape} (T, H, W); got {array.shape}"
                )
            array.setflags(write=False)
            checked[region_id] = array
        object.__setattr__(self, "regions", checked)

    @property
    def held_out(self) -> bool:
        """Whether the seed is in the held-out set (``seed >= HELD_OUT_SEED_START``)."""
        return self.seed >= HELD_OUT_SEED_START
