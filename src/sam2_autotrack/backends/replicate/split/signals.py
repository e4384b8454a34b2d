"""What a union split saw on one frame: areas, objects sharing a component, colour purity.

[`frame_signals`][sam2_autotrack.backends.replicate.split.frame_signals] condenses a frame's label
map into a [`FrameSignals`][sam2_autotrack.backends.replicate.split.FrameSignals] (a few numbers per
object), from which [`plan_windows`][sam2_autotrack.backends.replicate.split.plan_windows] finds the
frames where the split is unsure. Holding one per frame costs a few bytes per object.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from sam2_autotrack.errors import MaskError

__all__ = ["FrameSignals", "frame_signals"]

_EIGHT = np.ones((3, 3), dtype=bool)


@dataclass(frozen=True)
class FrameSignals:
    """One frame of a split, condensed.

    Objects are numbered as in a label map: object ``k`` (1-based) is ``object_ids[k - 1]``.

    Parameters
    ----------
    areas
        Pixels of each object (index ``k - 1``).
    groups
        Objects sharing one 8-connected component of the union (each group sorted, two or more
        objects; objects alone in their components are not listed).
    purity
        Colour purity of each object (see
        [`ColourModels`][sam2_autotrack.backends.replicate.split.ColourModels]), ``nan`` when
        unknown.
    """

    areas: tuple[int, ...]
    groups: tuple[tuple[int, ...], ...] = ()
    purity: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        count = len(self.areas)
        if self.purity and len(self.purity) != count:
            raise MaskError(f"purity has {len(self.purity)} values for {count} objects")
        for group in self.groups:
            if len(group) < 2 or any(not 1 <= k <= count for k in group):
                raise MaskError(
                    f"group {group} must name two or more objects among 1..{count} (objects "
                    "sharing a union component)"
                )

    def partners(self, label: int) -> tuple[int, ...]:
        """Objects sharing a component with object ``label`` (empty when it is alone).

        Parameters
        ----------
        label
            The object (1-based).

        Returns
        -------
        tuple[int, ...]
            The other objects' labels, increasing.
        """
        for group in self.groups:
            if label in group:
                return tuple(k for k in group if k != label)
        return ()

    def purity_of(self, label: int) -> float:
        """Colour purity of object ``label`` (``nan`` when not measured).

        Parameters
        ----------
        label
            The object (1-based).

        Returns
        -------
        float
            The purity, in 0..1, or ``nan``.
        """
        return self.purity[label - 1] if self.purity else math.nan


def frame_signals(
    labels: NDArray[np.integer], count: int, purity: Sequence[float] | None = None
) -> FrameSignals:
    """Condense a frame's ``(H, W)`` label map (0 background, ``k`` object ``k``).

    Parameters
    ----------
    labels
        The split's label map of the frame.
    count
        Number of objects.
    purity
        Per-object colour purity of the frame, if measured.

    Returns
    -------
    FrameSignals
        Each object's area, the components objects share, and the purities.

    Raises
    ------
    MaskError
        ``labels`` is not 2-D, or holds labels beyond ``count``.

    Examples
    --------
    >>> import numpy as np
    >>> labels = np.array([[1, 2, 0, 3, 3]])
    >>> s = frame_signals(labels, 3)
    >>> s.areas, s.groups, s.partners(2), s.partners(3)
    ((1, 1, 2), ((1, 2),), (1,), ())
    """
    label_map = np.asarray(labels)
    if label_map.ndim != 2:
        raise MaskError(f"labels must be one (H, W) label map; got shape {label_map.shape}")
    foreground = label_map > 0
    areas = np.bincount(label_map[foreground].astype(np.int64), minlength=count + 1)[1:]
    if areas.size != count:
        raise MaskError(f"labels hold objects beyond 1..{count}; pass the number of objects")
    groups: list[tuple[int, ...]] = []
    components, found = ndimage.label(foreground, structure=_EIGHT)
    if found:
        pairs = np.unique(
            components[foreground].astype(np.int64) * (count + 1) + label_map[foreground]
        )
        component_of, label_of = pairs // (count + 1), pairs % (count + 1)
        for component in np.unique(component_of):
            members = tuple(int(k) for k in label_of[component_of == component])
            if len(members) > 1:
                groups.append(members)
        groups = _merged(groups)
    values = tuple(float(v) for v in purity) if purity is not None else ()
    return FrameSignals(
        areas=tuple(int(a) for a in areas), groups=tuple(sorted(groups)), purity=values
    )


def _merged(groups: list[tuple[int, ...]]) -> list[tuple[int, ...]]:
    """Join groups that share an object (an object split over two components links them)."""
    merged: list[set[int]] = []
    for group in groups:
        joined = set(group)
        rest = []
        for existing in merged:
            if existing & joined:
                joined |= existing
            else:
                rest.append(existing)
        merged = [*rest, joined]
    return [tuple(sorted(g)) for g in merged]
