"""The settings of the ``auto`` strategy: when a stretch of the clip is re-run per object.

[`AutoOptions`][sam2_autotrack.backends.replicate.AutoOptions] is validated when built (a bad value
raises [`ConfigError`][sam2_autotrack.ConfigError] naming the option) and accepted as a plain dict
by [`ReplicateBackend`][sam2_autotrack.ReplicateBackend] (``auto={...}``).
"""

from __future__ import annotations

from pydantic import Field, StrictBool, StrictInt

from sam2_autotrack._options import Options

__all__ = ["AutoOptions"]


class AutoOptions(Options):
    """When the ``auto`` strategy re-runs part of the clip per object, and how much it may spend.

    A mask frame is *unsure* for an object when the image-guided split (a) put it in one union
    component with another object, (b) lost it (area below ``vanish_ratio`` of its last area
    while alone) and found it again later, or (c) gave it pixels whose colours fit it badly
    (colour purity below ``min_purity`` of its first frame's). Unsure frames at most
    ``merge_gap`` mask frames apart form one run; its window starts one mask frame before the
    run (the confident frame the clicks are placed on) and ends ``margin`` mask frames after it.

    Attributes
    ----------
    merge_gap
        Unsure mask frames at most this many frames apart are re-run in one window.
    margin
        Confident mask frames added after each run (the stitched identity is carried on from
        the window's last frame, so it should be a confident one).
    vanish_ratio
        An object is lost on a frame when its area falls below this fraction of its area on the
        last frame it was alone in its component.
    min_purity
        Identity is unsure when an object's colour purity falls below this fraction of its
        purity on the first frame.
    max_extra_frames
        The windows upload at most this many times the frames of the union prediction, in total
        over all their predictions (``1.0``: at most twice the cost of one prediction in uploaded
        frames). The most unsure windows are kept first; ``0`` turns the windows off (the image
        split alone).
    leave_one_out
        In a window whose objects share the union, re-run all but one of them (the largest one
        that stays visible): its mask is what the union leaves once the others are placed, at
        one prediction less per window.

    Examples
    --------
    >>> AutoOptions(max_extra_frames=0.5).margin
    1
    >>> AutoOptions(vanish_ratio=1.5)
    Traceback (most recent call last):
    ...
    sam2_autotrack.errors.ConfigError: invalid AutoOptions: vanish_ratio=1.5: must be less ...
    """

    merge_gap: StrictInt = Field(default=2, ge=0)
    margin: StrictInt = Field(default=1, ge=1)
    vanish_ratio: float = Field(default=0.25, gt=0.0, lt=1.0)
    min_purity: float = Field(default=0.9, ge=0.0, le=1.0)
    max_extra_frames: float = Field(default=1.0, ge=0.0, allow_inf_nan=False)
    leave_one_out: StrictBool = True
