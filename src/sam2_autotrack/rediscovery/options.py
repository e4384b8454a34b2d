"""`RediscoveryOptions`: when and how objects that appear after frame 0 are looked for."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from sam2_autotrack._options import Options
from sam2_autotrack.errors import ConfigError

__all__ = ["AUTO_SECONDS", "RediscoveryOptions", "coerce_rediscovery"]

AUTO_SECONDS = 2.0
"""``every="auto"``: a keyframe every this many seconds of video."""


class RediscoveryOptions(Options):
    """Re-discovery of objects that enter mid-clip or appear after a scene cut.

    On every keyframe (every ``every`` frames, and the first frame of every shot with
    ``at_cuts``) the backend proposes masks, the selection rules pick the real objects among
    them, and those not already covered by a live track are seeded there and tracked to the end
    of their shot under new ids (``obj_<n+1>``, ...).

    Parameters
    ----------
    every
        Keyframe spacing in frames; ``"auto"``:
        [`AUTO_SECONDS`][sam2_autotrack.rediscovery.AUTO_SECONDS] seconds of the clip (50 frames at
        25 fps); ``0``: scene cuts only (with ``at_cuts``).
    at_cuts
        Also look on the first frame of every new shot.
    cover
        A selected proposal is an object already tracked when at least this share of its area
        lies on the live tracks (dilated by ``1 %`` of the frame diagonal), or when it holds at
        least this share of one live object (that object with its surroundings).
    max_objects
        At most this many objects in all (frame-0 ones included); later finds are dropped.
    changed_share
        A find must have changed since the shot's previous keyframe (or its first frame): on at
        least this share of its pixels the grey level moved by more than
        [`CHANGE_LEVEL`][sam2_autotrack.rediscovery.CHANGE_LEVEL]. What sat there unchanged and
        was not picked then did not enter -- a sky patch, a swaying tree -- so it is not named now
        (nor is a still object whose track was lost). ``0`` turns the test off.
    propose_max_side
        The embedded engine proposes on keyframes downscaled to at most this longest side (its
        proposals cost seconds at full size; the tracker refines the boundaries). ``None``: full
        size. The hosted model always sees the full frame.

    Examples
    --------
    >>> RediscoveryOptions().every, RediscoveryOptions(every=25).frames_between(25.0)
    ('auto', 25)
    >>> RediscoveryOptions().frames_between(25.0), RediscoveryOptions().frames_between(None)
    (50, 50)
    """

    every: Literal["auto"] | Annotated[int, Field(ge=0)] = "auto"
    at_cuts: bool = True
    cover: float = Field(0.5, gt=0.0, le=1.0)
    max_objects: int = Field(24, ge=1, le=254)
    changed_share: float = Field(0.2, ge=0.0, le=1.0)
    propose_max_side: int | None = Field(320, ge=64)

    def frames_between(self, fps: float | None) -> int:
        """Return the keyframe spacing in frames for a clip at ``fps``.

        Parameters
        ----------
        fps
            The clip's frame rate (25 when unknown).

        Returns
        -------
        int
            Frames between keyframes; ``0``: cuts only.
        """
        if self.every == "auto":
            rate = fps if fps is not None and fps > 0 else 25.0
            return max(1, round(AUTO_SECONDS * rate))
        return int(self.every)


def coerce_rediscovery(
    value: RediscoveryOptions | dict[str, Any] | int | str | None,
) -> RediscoveryOptions | None:
    """Return the re-discovery options a tracker was given; ``None`` (off) for ``None`` or ``0``.

    An int (or ``"auto"``) is the keyframe spacing, a dict the fields.

    Parameters
    ----------
    value
        Options, a dict of their fields, a keyframe spacing, ``"auto"``, or ``None``.

    Returns
    -------
    RediscoveryOptions or None
        The options; ``None`` when re-discovery is off.

    Raises
    ------
    ConfigError
        An invalid value (negative, not a number, an unknown field).

    Examples
    --------
    >>> coerce_rediscovery(0) is None, coerce_rediscovery(30).every
    (True, 30)
    >>> coerce_rediscovery("auto").every
    'auto'
    """
    if value is None or (isinstance(value, int) and not isinstance(value, bool) and value == 0):
        return None
    if isinstance(value, RediscoveryOptions):
        return value
    if isinstance(value, dict):
        return RediscoveryOptions.coerce(value)
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ConfigError(
            f"rediscover must be a frame count (0 = off), 'auto', a dict of RediscoveryOptions "
            f"fields or RediscoveryOptions; got {type(value).__name__}"
        )
    return RediscoveryOptions(every=value)
