"""The union of several objects' masks, frame by frame, as a lazy read-only view.

[`UnionSequence`][sam2_autotrack.masks.UnionSequence] behaves like the ``(T, H, W)`` bool union
stack — ``len``, ``shape``, ``view[t]``, iteration, slicing, ``np.asarray(view)`` — but computes a
frame only when it is asked for, from the objects'
[`MaskSequence`][sam2_autotrack.masks.MaskSequence], so a long video's union never has to be in
memory at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import overload

import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.errors import MaskError
from sam2_autotrack.masks.store import FrameStack, MaskSequence

__all__ = ["UnionSequence"]


class UnionSequence(FrameStack):
    """Per frame, the union of the masks of every given object (computed on access).

    Parameters
    ----------
    sequences
        One [`MaskSequence`][sam2_autotrack.masks.MaskSequence] per object, all the same ``(T, H,
        W)``.

    Examples
    --------
    >>> a = MaskSequence.from_array(np.eye(3, dtype=bool)[None].repeat(2, axis=0))
    >>> b = MaskSequence.from_array(np.fliplr(np.eye(3, dtype=bool))[None].repeat(2, axis=0))
    >>> union = UnionSequence([a, b])
    >>> union.shape, int(union[1].sum()), np.asarray(union).shape
    ((2, 3, 3), 5, (2, 3, 3))
    """

    __slots__ = ("_sequences",)

    def __init__(self, sequences: Iterable[MaskSequence]) -> None:
        self._sequences = tuple(sequences)
        if not self._sequences:
            raise MaskError("a union needs at least one object's masks")
        shapes = {s.shape for s in self._sequences}
        if len(shapes) != 1:
            raise MaskError(
                f"every object's masks must have the same (T, H, W) shape; got {sorted(shapes)}"
            )

    def __len__(self) -> int:
        return len(self._sequences[0])

    @overload
    def __getitem__(self, index: int) -> NDArray[np.bool_]: ...

    @overload
    def __getitem__(self, index: slice) -> UnionSequence: ...

    def __getitem__(self, index: int | slice) -> NDArray[np.bool_] | UnionSequence:
        """Return frame ``index``'s union as a new ``(H, W)`` bool array (a slice gives a view)."""
        if isinstance(index, slice):
            return UnionSequence(s[index] for s in self._sequences)
        union = self._sequences[0][index]
        for sequence in self._sequences[1:]:
            union |= sequence[index]
        return union

    @property
    def shape(self) -> tuple[int, int, int]:
        """``(T, H, W)`` of the union stack this view stands for."""
        return self._sequences[0].shape

    @property
    def resolution_wh(self) -> tuple[int, int]:
        """``(width, height)`` of the masks."""
        return self._sequences[0].resolution_wh

    def __repr__(self) -> str:
        return f"UnionSequence(objects={len(self._sequences)}, shape={self.shape})"
