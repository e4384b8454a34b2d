"""What each of a window's per-object predictions sends: its frame range and its clicks.

A [`Window`][sam2_autotrack.backends.replicate.split.Window] is re-run as one prediction per
re-run object on a trimmed upload of the window's source frames. Each object's clicks are placed
on the window's first frame — the confident frame just before the unsure run — from its split
mask there (interior positives, negatives in the touching objects, by
[`clicks_from_selection`][sam2_autotrack.seeds.clicks_from_selection]); a window that starts on the
clip's first mask frame uses the original clicks instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.backends.replicate.split.windows import Window
from sam2_autotrack.clicks import ClickSet
from sam2_autotrack.errors import ClickError
from sam2_autotrack.seeds.build import clicks_from_selection
from sam2_autotrack.seeds.options import SeedOptions

__all__ = ["Rerun", "reruns_of"]


@dataclass(frozen=True)
class Rerun:
    """One prediction of a window: an object, the source frames uploaded, the clicks sent.

    Parameters
    ----------
    window
        Index of the window in the plan.
    label
        The object (1-based, as in label maps).
    object_id
        Its id.
    start_frame, stop_frame
        Source frames uploaded: ``start_frame .. stop_frame - 1``.
    clicks
        The object's clicks, in the source's pixels, on source frame ``start_frame``.
    """

    window: int
    label: int
    object_id: str
    start_frame: int
    stop_frame: int
    clicks: ClickSet

    @property
    def purpose(self) -> str:
        """The cost report's purpose: ``"window 40-52 obj_2"`` (source frames, inclusive)."""
        return f"window {self.start_frame}-{self.stop_frame - 1} {self.object_id}"


def reruns_of(
    windows: Sequence[Window],
    first_masks: Sequence[Mapping[int, NDArray[np.bool_]]],
    object_ids: Sequence[str],
    original: ClickSet,
    *,
    start_frame: int,
    frame_interval: int = 1,
    seeds: SeedOptions | None = None,
) -> list[Rerun]:
    """Return the predictions of every window, window by window, object by object.

    Parameters
    ----------
    windows
        The plan.
    first_masks
        Per window, ``{object: (H, W) bool}``: the split's masks of the window's objects on its
        first frame.
    object_ids
        Object ``k`` is ``object_ids[k - 1]``.
    original
        The clicks of the whole clip (source pixels and frames), used for windows starting on
        the first mask frame.
    start_frame
        Source frame of mask frame 0.
    frame_interval
        Source frames per mask frame.
    seeds
        How clicks are placed on a mask (default [`SeedOptions`][sam2_autotrack.seeds.SeedOptions]).

    Raises
    ------
    ClickError
        A window starting on the first mask frame re-runs an object without clicks there.

    Returns
    -------
    list[Rerun]
        One prediction per re-run object of each window, with its clicks and source frames.

    Examples
    --------
    >>> import numpy as np
    >>> from sam2_autotrack.clicks import Click
    >>> a = np.zeros((40, 60), bool); a[5:35, 5:30] = True
    >>> window = Window(first=3, last=6, objects=(1, 2), rerun=(2,), leftover=1)
    >>> clicks = ClickSet.build([Click(x=10, y=10, object_id="a"), Click(x=40, y=9, object_id="b")])
    >>> (run,) = reruns_of([window], [{1: a, 2: ~a}], ["a", "b"], clicks, start_frame=0)
    >>> run.purpose, run.clicks.object_ids, {c.frame for c in run.clicks}
    ('window 3-6 b', ('b',), {3})
    """
    chosen = seeds if seeds is not None else SeedOptions()
    runs: list[Rerun] = []
    for index, (window, masks) in enumerate(zip(windows, first_masks, strict=True)):
        first_source = start_frame + window.first * frame_interval
        stop_source = start_frame + window.last * frame_interval + 1
        placed: ClickSet | None
        if window.first == 0:
            kept = [c for c in original if first_source <= c.frame < stop_source]
            placed = ClickSet.build(kept, resolution_wh=original.resolution_wh) if kept else None
        else:
            present = [k for k in window.objects if masks[k].any()]
            placed = clicks_from_selection(
                np.stack([masks[k] for k in present]),
                object_ids=[object_ids[k - 1] for k in present],
                options=chosen,
                frame=first_source,
            )
        for label in window.rerun:
            object_id = object_ids[label - 1]
            if placed is None or object_id not in placed.object_ids:
                raise ClickError(
                    f"object {object_id!r} has no click on frame {first_source}, where its "
                    "window starts; give every object a positive click on the first frame"
                )
            runs.append(
                Rerun(
                    window=index,
                    label=label,
                    object_id=object_id,
                    start_frame=first_source,
                    stop_frame=stop_source,
                    clicks=placed.for_object(object_id),
                )
            )
    return runs
