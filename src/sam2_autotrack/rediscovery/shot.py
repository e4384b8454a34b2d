"""The frame a keyframe's finds must have changed since: the shot's previous keyframe.

Re-discovery names only finds that changed since the shot's previous keyframe
([`changed`][sam2_autotrack.rediscovery.changed]): a patch of background that looked like an
object on a keyframe already searched, and was not chosen there, is not new on the next one. Both
re-discovery paths keep that frame with one
[`ShotReference`][sam2_autotrack.rediscovery.ShotReference], so they agree on it:

- before any keyframe, it is the clip's first frame (the frame-0 objects were chosen on it);
- a searched keyframe is compared with it, then becomes it;
- the first frame of a new shot (a cut) is compared with nothing (everything in it is new); it
  becomes the reference when it is searched. When it is not (cuts not searched, the cut off the
  keyframe beat), the shot has no searched frame yet and its first keyframe is compared with
  nothing either: its objects were never judged, so none is held back as unchanged.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

__all__ = ["ShotReference"]


class ShotReference:
    """The shot's previous keyframe (or first frame), read lazily.

    Parameters
    ----------
    first
        The clip's first frame, or ``None`` to read it with ``load`` when first needed.
    load
        Returns the clip's first frame (or ``None`` when there is no clip to read); called at
        most once, and only when ``first`` is ``None``.

    Examples
    --------
    >>> import numpy as np
    >>> frames = [np.full((2, 2, 3), v, np.uint8) for v in range(4)]
    >>> ref = ShotReference(frames[0])
    >>> int(ref.step(frames[1], after_cut=False)[0, 0, 0])  # a keyframe: compared with frame 0
    0
    >>> ref.step(frames[2], after_cut=True) is None  # a searched cut: the new shot starts
    True
    >>> int(ref.step(frames[3], after_cut=False)[0, 0, 0])  # compared with the cut's frame
    2
    >>> ref.step(frames[0], after_cut=True, keyframe=False) is None  # a cut not searched
    True
    >>> ref.step(frames[1], after_cut=False) is None  # nothing of this shot was judged yet
    True
    """

    def __init__(
        self,
        first: NDArray[np.uint8] | None = None,
        *,
        load: Callable[[], NDArray[np.uint8] | None] | None = None,
    ) -> None:
        self._frame = first
        self._load = load if first is None else None

    @property
    def frame(self) -> NDArray[np.uint8] | None:
        """The frame the next keyframe of the shot is compared with (``None``: none known)."""
        if self._load is not None:
            load, self._load = self._load, None
            self._frame = load()
        return self._frame

    def step(
        self, frame_rgb: NDArray[np.uint8], *, after_cut: bool, keyframe: bool = True
    ) -> NDArray[np.uint8] | None:
        """Move on to a frame; return what a search on it compares with.

        Parameters
        ----------
        frame_rgb
            ``(H, W, 3)`` uint8 frame reached.
        after_cut
            It is the first frame of a new shot.
        keyframe
            It is searched for new objects, so later keyframes of its shot are compared with it.

        Returns
        -------
        numpy.ndarray or None
            The shot's previous searched keyframe (or the clip's first frame); ``None`` on a
            cut's frame, when nothing of the shot was searched yet, or when no frame is known.
        """
        before = None if after_cut else self.frame
        if after_cut:
            self._load = None
            self._frame = None
        if keyframe:
            self._frame = np.array(frame_rgb, dtype=np.uint8, copy=True)
        return before
